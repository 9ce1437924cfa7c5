"""The routes and behaviours of the official client 25.0.1 agree with each other and with the
facts: destinations, the 409 switch, pipeline freshness, the project ranking and its cursors, evaluations'
length rule, service connections' sdkType, observability metrics' average, SDK versions and the per-token
budget."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from emulator_helpers import NOW, UTC, call, concrete_path, get_json, keys_of, window
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig, run_emulator

FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EVENTS = BY_OPERATION["getDataExportEventsUsage"]
RANKING = BY_OPERATION["getDataExportProjectRanking"]
WAREHOUSE = BY_OPERATION["getWarehouseExportUsage"]


def _totals(body: dict[str, Any]) -> list[float]:
    return [sum(point[k] for k in keys_of(body)) for point in body["series"]]


@pytest.fixture
def fresh() -> Iterator[Emulator]:
    """A private emulator whose switches a test may flip."""
    with run_emulator(EmulatorConfig(now=NOW, seed=1)) as emulator:
        yield emulator


def _admin(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{emu.url}/_emulator/data-export", json=body, timeout=10)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# --- data export: destinations, 409, freshness -----------------------------------------------------------


@pytest.mark.parametrize("endpoint", [EVENTS, WAREHOUSE], ids=lambda e: e.operation_id)
@pytest.mark.parametrize("group", ["destinationKind", "destinationId"])
def test_destination_groups_add_up(emu: Emulator, endpoint: Any, group: str) -> None:
    base = [*window(endpoint, NOW - timedelta(days=6), NOW), ("aggregationType", "incremental")]
    plain = get_json(emu, endpoint.operation_id, base)
    grouped = get_json(emu, endpoint.operation_id, [*base, ("groupBy", group)])
    assert len(grouped["metadata"]) > 1
    assert _totals(grouped) == _totals(plain)


def test_destination_id_series_are_labelled_as_documented(emu: Emulator) -> None:
    body = get_json(emu, EVENTS.operation_id, [("groupBy", "destinationId")])
    by_id = {meta["destinationId"]: meta for meta in body["metadata"]}
    assert by_id[""] == {"destinationId": "", "destinationName": "Unattributed"}
    assert by_id["hidden"] == {
        "destinationId": "hidden",
        "destinationName": "Unknown destination",
        "destinationViewable": False,
    }
    visible = [m for key, m in by_id.items() if key not in ("", "hidden")]
    assert visible and all(m["destinationViewable"] is True and m["destinationKind"] for m in visible)
    account = emu.data.account
    assert {m["destinationId"] for m in visible} == {
        d.id for d in account.destinations if d.viewable and not d.warehouse
    }


def test_destination_kind_filter_narrows_to_that_kind(emu: Emulator) -> None:
    base = [("aggregationType", "incremental"), ("groupBy", "destinationKind")]
    grouped = get_json(emu, EVENTS.operation_id, base)
    for index, meta in enumerate(grouped["metadata"]):
        only = get_json(emu, EVENTS.operation_id, [*base, ("destinationKind", meta["destinationKind"])])
        assert only["metadata"] == [meta]
        assert [p["0"] for p in only["series"]] == [p[str(index)] for p in grouped["series"]]


def test_warehouse_destination_is_an_alias_of_destination_kind(emu: Emulator) -> None:
    kind = next(d.kind for d in emu.data.account.destinations if d.warehouse and d.kind != "s3")
    by_kind = get_json(emu, WAREHOUSE.operation_id, [("destinationKind", kind)])
    by_alias = get_json(emu, WAREHOUSE.operation_id, [("destination", kind)])
    assert by_kind["series"] == by_alias["series"]
    both = call(emu, WAREHOUSE.path, [("destination", kind), ("destinationKind", kind)])
    assert both.status_code == 400 and "cannot be combined" in both.json()["message"]


def test_group_by_project_id_needs_explicit_projects(emu: Emulator) -> None:
    response = call(emu, EVENTS.path, [("groupBy", "projectId")])
    assert response.status_code == 400
    assert "requires at least one 'projectKey'" in response.json()["message"]
    too_many = [("groupBy", "projectId"), *[("projectKey", f"p{i}") for i in range(101)]]
    assert call(emu, EVENTS.path, too_many).status_code == 400
    duplicates = [("groupBy", "projectId"), *[("projectKey", "default") for _ in range(150)]]
    assert call(emu, EVENTS.path, duplicates).status_code == 200


def test_unattributed_usage_gives_409_only_when_switched_on(fresh: Emulator) -> None:
    params = [("groupBy", "projectId"), ("projectKey", "default")]
    assert call(fresh, EVENTS.path, params).status_code == 200  # the default: attributable
    state = _admin(fresh, {"legacy_rows": True})
    assert state["legacy_rows"] is True
    response = call(fresh, EVENTS.path, params)
    assert response.status_code == 409
    assert set(response.json()) >= {"code", "message"}
    # Without groupBy=projectId the project's current environments include the legacy usage, as documented.
    with_legacy = get_json(fresh, EVENTS.operation_id, [("projectKey", "default")])
    other = next(p.key for p in fresh.data.account.projects if p.key != "default")
    assert call(fresh, EVENTS.path, [("groupBy", "projectId"), ("projectKey", other)]).status_code == 200
    _admin(fresh, {"legacy_rows": False})
    without = get_json(fresh, EVENTS.operation_id, [("projectKey", "default")])
    assert _totals(with_legacy)[-1] > _totals(without)[-1]
    assert call(fresh, EVENTS.path, params).status_code == 200


def test_data_through_follows_the_clock_and_the_pipeline_lag(fresh: Emulator) -> None:
    body = get_json(
        fresh, EVENTS.operation_id, [("granularity", "hourly"), ("aggregationType", "incremental")]
    )
    assert body["dataThrough"] == "2026-03-09T23:00:00Z" and body["delayed"] is False  # lag 1 h
    last = datetime.fromtimestamp(body["series"][-1]["time"] / 1000, UTC)
    assert last + timedelta(hours=1) == datetime(2026, 3, 9, 23, tzinfo=UTC)  # nothing after dataThrough
    _admin(fresh, {"lag_seconds": 5 * 3600, "source": "data_export"})
    late = get_json(
        fresh, EVENTS.operation_id, [("granularity", "hourly"), ("aggregationType", "incremental")]
    )
    assert late["dataThrough"] == "2026-03-09T19:00:00Z" and late["delayed"] is True
    assert len(late["series"]) == len(body["series"]) - 4
    assert get_json(fresh, WAREHOUSE.operation_id)["delayed"] is False  # the other pipeline is on time
    _admin(fresh, {"omit": True})
    assert "dataThrough" not in get_json(fresh, EVENTS.operation_id)
    assert "delayed" not in get_json(fresh, WAREHOUSE.operation_id)


def test_a_pinned_watermark_holds_a_month_open_until_it_catches_up(fresh: Emulator) -> None:
    february = [
        *window(EVENTS, datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
        ("aggregationType", "incremental"),
    ]
    final = get_json(fresh, EVENTS.operation_id, february)
    assert len(final["series"]) == 28
    _admin(fresh, {"data_through": "2026-02-27T06:00:00Z"})
    fresh.clock.set(datetime(2026, 2, 27, 8, tzinfo=UTC))
    early = get_json(fresh, EVENTS.operation_id, february)
    assert early["dataThrough"] == "2026-02-27T06:00:00Z" and early["delayed"] is False
    assert len(early["series"]) == 26  # 27 Feb is not complete yet
    assert early["series"] == final["series"][:26]  # what is counted is final
    fresh.clock.set(datetime(2026, 2, 27, 11, tzinfo=UTC))
    assert get_json(fresh, EVENTS.operation_id, february)["delayed"] is True
    _admin(fresh, {"data_through": None})
    fresh.clock.set(NOW)
    assert get_json(fresh, EVENTS.operation_id, february)["series"] == final["series"]


def test_admin_rejects_unknown_fields(fresh: Emulator) -> None:
    response = requests.post(f"{fresh.url}/_emulator/data-export", json={"nope": 1}, timeout=10)
    assert response.status_code == 400
    assert requests.get(f"{fresh.url}/_emulator/data-export", timeout=10).json()["legacy_rows"] is False


# --- project ranking --------------------------------------------------------------------------------------


def _ranking(emu: Emulator, params: list[tuple[str, str]]) -> dict[str, Any]:
    return get_json(emu, RANKING.operation_id, params)


@FAST
@given(seed=st.sampled_from((2, 3, 4)), days=st.integers(1, 60), hour=st.integers(0, 23))
def test_ranking_usage_equals_the_hourly_events_series(
    emus: dict[int, Emulator], seed: int, days: int, hour: int
) -> None:
    emu = emus[seed]
    start = NOW - timedelta(days=days, hours=hour)
    end = start + timedelta(days=min(days, 20))
    body = _ranking(emu, window(RANKING, start, end))
    assert body["scope"] == {
        "source": "streaming",
        "dimension": "project",
        "from": int(start.timestamp() * 1000),
        "to": int(end.timestamp() * 1000),
    }
    usages = [item["usage"] for item in body["items"]]
    assert usages == sorted(usages, reverse=True)
    assert [item["rank"] for item in body["items"]] == list(range(1, len(usages) + 1))
    for item in body["items"]:
        assert item["components"] == {"streaming": item["usage"]}
        hourly = get_json(
            emu,
            EVENTS.operation_id,
            [
                *window(EVENTS, start, end),
                ("projectKey", item["projectKey"]),
                ("aggregationType", "incremental"),
                ("granularity", "hourly"),
            ],
        )
        assert sum(_totals(hourly)) == item["usage"]


def test_ranking_pages_cover_every_project_once(emu: Emulator) -> None:
    params = window(RANKING, NOW - timedelta(days=30), NOW)
    everything = _ranking(emu, params)
    seen: list[dict[str, Any]] = []
    page = _ranking(emu, [*params, ("limit", "1")])
    while True:
        assert page["page"]["limit"] == 1 and page["page"]["count"] == len(page["items"]) == 1
        assert page["page"]["totalCount"] == everything["page"]["totalCount"]
        seen += page["items"]
        cursor = page["page"].get("nextCursor")
        if cursor is None:
            break
        page = _ranking(emu, [*params, ("limit", "1"), ("cursor", cursor)])
    assert seen == everything["items"]
    assert "nextCursor" not in everything["page"]


def test_a_cursor_is_bound_to_its_ranking_inputs(emu: Emulator) -> None:
    params = window(RANKING, NOW - timedelta(days=30), NOW)
    cursor = _ranking(emu, [*params, ("limit", "1")])["page"]["nextCursor"]
    other_window = window(RANKING, NOW - timedelta(days=29), NOW)
    for wrong in (
        [*other_window, ("cursor", cursor)],
        [*params, ("search", "def"), ("cursor", cursor)],
        [*params, ("cursor", "not-a-cursor")],
    ):
        response = call(emu, RANKING.path, wrong)
        assert response.status_code == 400, wrong
        assert set(response.json()) >= {"code", "message"}
    with run_emulator(EmulatorConfig(now=NOW, seed=2)) as other_account:
        assert call(other_account, RANKING.path, [*params, ("cursor", cursor)]).status_code == 400


def test_ranking_filters_and_limits(emu: Emulator) -> None:
    params = window(RANKING, NOW - timedelta(days=30), NOW)
    keys = [item["projectKey"] for item in _ranking(emu, params)["items"]]
    searched = _ranking(emu, [*params, ("search", "DEF")])
    assert [i["projectKey"] for i in searched["items"]] == [k for k in keys if "def" in k]
    chosen = _ranking(emu, [*params, ("projectKey", keys[-1]), ("projectKey", keys[-1])])
    assert [(i["projectKey"], i["rank"]) for i in chosen["items"]] == [(keys[-1], 1)]
    for bad in (
        [("limit", "0")],
        [("limit", "101")],
        [("limit", "x")],
        [("source", "warehouse")],
        [("dimension", "environment")],
        [("projectKey", f"p{i}") for i in range(101)],
    ):
        assert call(emu, RANKING.path, [*params, *bad]).status_code == 400, bad
    unique_enough = [("projectKey", keys[0])] * 120
    assert call(emu, RANKING.path, [*params, *unique_enough]).status_code == 200
    assert call(emu, RANKING.path, window(RANKING, NOW - timedelta(days=3), NOW)[:1]).status_code == 400
    seconds = [("from", str(int((NOW - timedelta(days=3)).timestamp()))), ("to", "1.5")]
    assert call(emu, RANKING.path, seconds).status_code == 400


def test_ranking_answers_409_on_unattributed_usage(fresh: Emulator) -> None:
    params = window(RANKING, NOW - timedelta(days=3), NOW)
    assert call(fresh, RANKING.path, params).status_code == 200
    _admin(fresh, {"legacy_rows": True})
    response = call(fresh, RANKING.path, params)
    assert response.status_code == 409 and set(response.json()) >= {"code", "message"}
    other = next(p.key for p in fresh.data.account.projects if p.key != "default")
    assert call(fresh, RANKING.path, [*params, ("projectKey", other)]).status_code == 200


# --- evaluations, service connections, observability metrics ----------------------------------------------


@pytest.fixture(scope="module")
def no_lag() -> Iterator[Emulator]:
    with run_emulator(EmulatorConfig(now=NOW, lag=timedelta(0), settle=timedelta(0))) as emulator:
        yield emulator


@pytest.mark.parametrize(
    ("start_ago", "length", "step_ms"),
    [
        (timedelta(days=40), timedelta(minutes=90), 60_000),  # length decides, not age
        (timedelta(days=40), timedelta(hours=30), 3_600_000),
        (timedelta(hours=5), timedelta(hours=3), 3_600_000),
        (timedelta(days=40), timedelta(days=3), 86_400_000),
    ],
)
def test_evaluations_granularity_follows_the_length(
    no_lag: Emulator, start_ago: timedelta, length: timedelta, step_ms: int
) -> None:
    endpoint = BY_OPERATION["getEvaluationsUsage"]
    start = NOW - start_ago
    times = [
        p["time"]
        for p in get_json(no_lag, endpoint.operation_id, window(endpoint, start, start + length))["series"]
    ]
    assert times and all(b - a == step_ms for a, b in itertools.pairwise(times))
    assert times[0] == int(start.timestamp() * 1000)


def test_evaluations_minutely_data_is_kept_70_days(no_lag: Emulator) -> None:
    endpoint = BY_OPERATION["getEvaluationsUsage"]
    start = NOW - timedelta(days=80) + timedelta(minutes=25)
    body = get_json(no_lag, endpoint.operation_id, window(endpoint, start, start + timedelta(minutes=60)))
    times = [p["time"] for p in body["series"]]
    assert times[0] == int((start - timedelta(minutes=25)).timestamp() * 1000)  # widened to the hour
    assert all(b - a == 3_600_000 for a, b in itertools.pairwise(times))


def test_many_variations_are_pooled_into_other_variations(no_lag: Emulator) -> None:
    endpoint = BY_OPERATION["getEvaluationsUsage"]
    flag = next(f for f in no_lag.data.account.flags if len(f.variations) > 10)
    env = next(e for e in no_lag.data.account.environments if e.project_key == flag.project_key)
    path = concrete_path(
        no_lag, endpoint, projectKey=flag.project_key, environmentKey=env.key, featureFlagKey=flag.key
    )
    response = call(no_lag, path, window(endpoint, NOW - timedelta(days=5), NOW))
    assert response.status_code == 200
    metadata = response.json()["metadata"]
    assert len(metadata) == 11 and {"variation": "other", "value": "Other Variations"} in metadata
    assert {m["value"] for m in metadata} - {"Other Variations"} == set(flag.variations[:10])


def test_service_connections_sdk_type_other_than_server_is_empty(emu: Emulator) -> None:
    operation = "getServiceConnectionsUsage"
    plain = get_json(emu, operation)
    assert get_json(emu, operation, [("sdkType", "server")]) == {
        **plain,
        "_links": get_json(emu, operation, [("sdkType", "server")])["_links"],
    }
    empty = get_json(emu, operation, [("sdkType", "client")])
    assert empty["metadata"] == [] and all(set(p) == {"time"} for p in empty["series"])
    assert call(emu, BY_OPERATION[operation].path, [("groupBy", "sdkType")]).status_code == 400


@pytest.mark.parametrize("granularity", ["hourly", "daily", "monthly"])
def test_observability_metrics_average_is_the_mean_hourly_count(no_lag: Emulator, granularity: str) -> None:
    emu = no_lag  # settled figures: a day and its hours are final alike
    endpoint = BY_OPERATION["getObservabilityMetricsUsage"]
    span = timedelta(days=3) if granularity == "hourly" else timedelta(days=60)
    base = [*window(endpoint, NOW - span, NOW), ("projectKey", "default")]  # one cell: floors compare
    average = get_json(
        emu, endpoint.operation_id, [*base, ("aggregationType", "average"), ("granularity", granularity)]
    )
    hourly_mtd = get_json(
        emu,
        endpoint.operation_id,
        [
            *window(endpoint, NOW - span - timedelta(days=31), NOW),
            ("projectKey", "default"),
            ("aggregationType", "month_to_date"),
            ("granularity", "hourly"),
        ],
    )
    # Hourly counts, from the month-to-date running sums.
    counts: dict[int, list[int]] = {}
    previous: dict[str, int] = {}
    for point in hourly_mtd["series"]:
        when = datetime.fromtimestamp(point["time"] / 1000, UTC)
        if when.day == 1 and when.hour == 0:
            previous = {}
        counts[point["time"]] = [point[k] - previous.get(k, 0) for k in keys_of(hourly_mtd)]
        previous = {k: point[k] for k in keys_of(hourly_mtd)}
    assert average["metadata"] == hourly_mtd["metadata"]
    for point in average["series"]:
        start = datetime.fromtimestamp(point["time"] / 1000, UTC)
        if granularity == "hourly":
            hours = [start]
        elif granularity == "daily":
            hours = [start + timedelta(hours=h) for h in range(24)]
        else:
            first = max(start, NOW - span)  # NOW - span is a midnight: the first whole day
            end = min((start + timedelta(days=32)).replace(day=1), NOW.replace(hour=0))
            hours = [first + timedelta(hours=h) for h in range(int((end - first) / timedelta(hours=1)))]
        for k in keys_of(average):
            values = [counts[int(h.timestamp() * 1000)][int(k)] for h in hours]
            assert point[k] == sum(values) // len(values), (granularity, start)


# --- SDK versions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_sdk_versions_have_eol_past_and_near_and_details_are_the_highest(seed: int) -> None:
    with run_emulator(EmulatorConfig(now=NOW, seed=seed)) as emu:
        details = call(emu, "/api/v2/usage/sdk-versions/details").json()
        everything = call(emu, "/api/v2/usage/sdk-versions/all").json()
    statuses = {r["eolStatus"] for r in details}
    assert (
        {"EolPast", "EolNear"}
        <= statuses
        <= {"EolAllClear", "EolNear", "EolPast", "MajorVersionAvailable", "EolUnknown"}
    )
    assert all(r in everything for r in details)
    for record in everything:
        same = [
            r for r in details if (r["environmentId"], r["name"]) == (record["environmentId"], record["name"])
        ]
        assert len(same) == 1
        version = tuple(map(int, record["version"].split(".")))
        assert tuple(map(int, same[0]["version"].split("."))) >= version


def test_sdk_all_versions_filters_are_exact_and_single_valued(emu: Emulator) -> None:
    everything = call(emu, "/api/v2/usage/sdk-versions/all").json()
    proxied = [r for r in everything if r["connectionType"] == "proxy"]
    assert proxied and all(r["relayVersion"] for r in proxied)
    record = proxied[0]
    for wire, field in (
        ("environmentId", "environmentId"),
        ("projectId", "projectId"),
        ("sdkName", "name"),
        ("sdkType", "type"),
        ("sdkAppId", "applicationId"),
        ("connectionType", "connectionType"),
    ):
        got = call(emu, "/api/v2/usage/sdk-versions/all", [(wire, record[field])]).json()
        assert got == [r for r in everything if r[field] == record[field]], wire
        twice = call(emu, "/api/v2/usage/sdk-versions/all", [(wire, record[field]), (wire, record[field])])
        assert twice.status_code == 400
    assert call(emu, "/api/v2/usage/sdk-versions/details", [("sdkName", "Go")]).status_code == 400


# --- per-token budget -------------------------------------------------------------------------------------


def test_per_token_budget_has_its_own_headers_and_reset() -> None:
    config = EmulatorConfig(now=NOW, tokens=("token-a", "token-b"), token_budget=2, rate_window=30.0)
    with run_emulator(config) as emu:
        path = BY_OPERATION["getMAUTotalUsage"].path
        seen = [call(emu, path, token="token-a") for _ in range(3)]
        assert [r.status_code for r in seen] == [200, 200, 429]
        assert [r.headers["X-Ratelimit-Auth-Token-Remaining"] for r in seen] == ["1", "0", "0"]
        assert all(r.headers["X-Ratelimit-Auth-Token-Limit"] == "2" for r in seen)
        reset = int(seen[-1].headers["X-Ratelimit-Auth-Token-Reset"])
        assert time.time() * 1000 < reset <= (time.time() + 30) * 1000
        assert int(seen[-1].headers["Retry-After"]) >= 1
        other = call(emu, path, token="token-b")
        assert other.status_code == 200 and other.headers["X-Ratelimit-Auth-Token-Remaining"] == "1"
        assert "X-Ratelimit-Global-Remaining" not in other.headers


def test_without_a_token_budget_there_are_no_token_headers(emu: Emulator) -> None:
    response = call(emu, BY_OPERATION["getMAUTotalUsage"].path)
    assert not any(h.lower().startswith("x-ratelimit-auth-token") for h in response.headers)
