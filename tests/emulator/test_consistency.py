"""The synthetic data is consistent across aggregations, granularities, filters and groupings."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from emulator_helpers import NOW, UTC, get_json, keys_of, month_bounds, window
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_ldusage.catalogue import BY_OPERATION, ENDPOINTS, Endpoint
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig, run_emulator

AGGREGATING = [e for e in ENDPOINTS if e.query_param("granularity") is not None]
# Observability metrics have no incremental aggregation (month_to_date and average:
# test_exports_ranking_and_freshness).
INCREMENTAL = [e for e in AGGREGATING if "incremental" in e.family.aggregation_values]
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MONTHS = [(2025, m) for m in range(1, 13)] + [(2026, 1), (2026, 2)]
# Drawn accounts (2-4) and a sized one (5: 6 projects of 4 environments, 400 flags each): the rules hold
# for any account, whatever its size.
SEEDS = (2, 3, 4, 5)


def _group_values(endpoint: Endpoint) -> tuple[str, ...]:
    param = endpoint.query_param("group_by")
    return param.allowed or () if param else ()


def _totals(body: dict[str, Any]) -> list[float]:
    keys = keys_of(body)
    return [sum(point[k] for k in keys) for point in body["series"]]


def _approx(value: float) -> Any:
    return pytest.approx(value, abs=1e-6)


@st.composite
def _grouped_query(draw: st.DrawFn) -> tuple[int, Endpoint, tuple[int, int], list[tuple[str, str]]]:
    seed = draw(st.sampled_from(SEEDS))
    endpoint = draw(st.sampled_from(INCREMENTAL))
    month = draw(st.sampled_from(MONTHS))
    groups = draw(st.lists(st.sampled_from(_group_values(endpoint) or ("none",)), max_size=2, unique=True))
    params = [("groupBy", g) for g in groups if g != "none"]
    if any(rule.value in groups for rule in endpoint.rules):  # groupBy=projectId needs a project
        params.append(("projectKey", "default"))
    return seed, endpoint, month, params


@FAST
@given(_grouped_query())
def test_incremental_days_sum_to_last_month_to_date(
    emus: dict[int, Emulator], query: tuple[int, Endpoint, tuple[int, int], list[tuple[str, str]]]
) -> None:
    seed, endpoint, (year, month), groups = query
    emu = emus[seed]
    start, end = month_bounds(year, month)
    base = window(endpoint, start, end) + groups + [("granularity", "daily")]
    inc = get_json(emu, endpoint.operation_id, [*base, ("aggregationType", "incremental")])
    mtd = get_json(emu, endpoint.operation_id, [*base, ("aggregationType", "month_to_date")])
    assert inc["metadata"] == mtd["metadata"]
    assert len(inc["series"]) == len(mtd["series"]) == (end - start).days
    for key in keys_of(inc):
        assert sum(p[key] for p in inc["series"]) == _approx(mtd["series"][-1][key])
        running = [p[key] for p in mtd["series"]]
        assert running == sorted(running), "month_to_date must not decrease inside a month"


@FAST
@given(
    seed=st.sampled_from(SEEDS),
    endpoint=st.sampled_from([e for e in AGGREGATING if "monthly" in e.family.granularity_values]),
    first=st.integers(0, 300),
    days=st.integers(20, 200),
)
def test_monthly_equals_last_month_to_date_point(
    emus: dict[int, Emulator], seed: int, endpoint: Endpoint, first: int, days: int
) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=first)
    end = min(start + timedelta(days=days), NOW)
    base = [*window(endpoint, start, end), ("aggregationType", "month_to_date")]
    daily = get_json(emus[seed], endpoint.operation_id, [*base, ("granularity", "daily")])
    monthly = get_json(emus[seed], endpoint.operation_id, [*base, ("granularity", "monthly")])
    last_by_month: dict[tuple[int, int], dict[str, Any]] = {}
    for point in daily["series"]:
        when = datetime.fromtimestamp(point["time"] / 1000, UTC)
        last_by_month[(when.year, when.month)] = point
    assert [datetime.fromtimestamp(p["time"] / 1000, UTC) for p in monthly["series"]] == [
        datetime(y, m, 1, tzinfo=UTC) for y, m in last_by_month
    ]
    for point, expected in zip(monthly["series"], last_by_month.values(), strict=True):
        assert {k: v for k, v in point.items() if k != "time"} == {
            k: v for k, v in expected.items() if k != "time"
        }


@FAST
@given(
    seed=st.sampled_from(SEEDS),
    endpoint=st.sampled_from([e for e in AGGREGATING if _group_values(e)]),
    data=st.data(),
)
def test_groups_sum_to_the_ungrouped_series_for_every_aggregation(
    emus: dict[int, Emulator], seed: int, endpoint: Endpoint, data: st.DataObject
) -> None:
    group = data.draw(st.sampled_from(_group_values(endpoint)))
    aggregation = data.draw(st.sampled_from(endpoint.family.aggregation_values))
    granularity = data.draw(st.sampled_from(endpoint.family.granularity_by_aggregation[aggregation]))
    span = timedelta(days=4) if granularity == "hourly" else timedelta(days=75)
    base = [
        *window(endpoint, NOW - span, NOW),
        ("aggregationType", aggregation),
        ("granularity", granularity),
    ]
    for rule in endpoint.rules:  # groupBy=projectId needs explicit projects: name them all
        if group == rule.value:
            needed = endpoint.query_param(rule.needs)
            assert needed is not None
            base += [(needed.wire, p.key) for p in emus[seed].data.account.projects]
    plain = get_json(emus[seed], endpoint.operation_id, base)
    grouped = get_json(emus[seed], endpoint.operation_id, [*base, ("groupBy", group)])
    assert [p["time"] for p in plain["series"]] == [p["time"] for p in grouped["series"]]
    assert all(group in meta for meta in grouped["metadata"])
    assert len(grouped["metadata"]) >= len(plain["metadata"])
    assert _totals(grouped) == [_approx(v) for v in _totals(plain)]
    if endpoint.family.name == "contexts":  # contextKind is always a dimension: sums match per kind too
        assert all("contextKind" in meta for meta in plain["metadata"] + grouped["metadata"])
        for key, meta in enumerate(plain["metadata"]):
            same_kind = [
                str(i) for i, m in enumerate(grouped["metadata"]) if m["contextKind"] == meta["contextKind"]
            ]
            for p_plain, p_grouped in zip(plain["series"], grouped["series"], strict=True):
                assert sum(p_grouped[k] for k in same_kind) == _approx(p_plain[str(key)])


@FAST
@given(seed=st.sampled_from(SEEDS), endpoint=st.sampled_from(INCREMENTAL), data=st.data())
def test_filters_narrow(
    emus: dict[int, Emulator], seed: int, endpoint: Endpoint, data: st.DataObject
) -> None:
    emu = emus[seed]
    account = emu.data.account
    project = data.draw(st.sampled_from(account.projects)).key
    filters = [("projectKey", project)]
    if endpoint.query_param("environment_key") and data.draw(st.booleans()):
        env = data.draw(st.sampled_from([e for e in account.environments if e.project_key == project]))
        filters.append(("environmentKey", env.key))
    base = [*window(endpoint, NOW - timedelta(days=40), NOW), ("aggregationType", "incremental")]
    everything = _totals(get_json(emu, endpoint.operation_id, base))
    narrowed = _totals(get_json(emu, endpoint.operation_id, base + filters))
    assert len(narrowed) == len(everything)
    assert all(n <= e + 1e-9 for n, e in zip(narrowed, everything, strict=True))
    assert sum(narrowed) < sum(everything) or len(account.projects) == 1


def test_filter_by_unknown_value_gives_no_series(emu: Emulator) -> None:
    body = get_json(emu, "getMAUTotalUsage", [("projectKey", "no-such-project")])
    assert body["metadata"] == []
    assert body["series"] and all(set(p) == {"time"} for p in body["series"])


@pytest.mark.parametrize("endpoint", AGGREGATING, ids=lambda e: e.operation_id)
def test_times_are_utc_bucket_starts(emu: Emulator, endpoint: Endpoint) -> None:
    for aggregation, granularities in endpoint.family.granularity_by_aggregation.items():
        for granularity in granularities:
            start = datetime(2025, 11, 17, 13, 45, tzinfo=UTC)
            end = start + (timedelta(days=2) if granularity == "hourly" else timedelta(days=80))
            params = [
                *window(endpoint, start, end),
                ("aggregationType", aggregation),
                ("granularity", granularity),
            ]
            times = [p["time"] for p in get_json(emu, endpoint.operation_id, params)["series"]]
            assert times == sorted(set(times)) and times
            if granularity == "monthly":
                assert all(datetime.fromtimestamp(t / 1000, UTC).day == 1 for t in times)
                assert all(t % 86_400_000 == 0 for t in times)
                continue
            step = 3_600_000 if granularity == "hourly" else 86_400_000
            assert all(t % step == 0 for t in times)
            assert all(b - a == step for a, b in itertools.pairwise(times))
            assert times[0] >= start.timestamp() * 1000 and times[-1] < end.timestamp() * 1000


def test_rolling_30d_is_the_sum_of_30_daily_counts(emu: Emulator) -> None:
    endpoint = BY_OPERATION["getContextsTotalUsage"]
    start, end = datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    rolling = get_json(
        emu, endpoint.operation_id, [*window(endpoint, start, end), ("aggregationType", "rolling_30d")]
    )
    inc = get_json(
        emu,
        endpoint.operation_id,
        [*window(endpoint, start - timedelta(days=29), end), ("aggregationType", "incremental")],
    )
    assert rolling["metadata"] == inc["metadata"]
    for i, point in enumerate(rolling["series"]):
        for key in keys_of(rolling):
            assert point[key] == sum(p[key] for p in inc["series"][i : i + 30])


def test_service_connections_are_fractional(emu: Emulator) -> None:
    body = get_json(
        emu, "getServiceConnectionsUsage", [("aggregationType", "incremental"), ("groupBy", "sdkName")]
    )
    values = [v for p in body["series"] for k, v in p.items() if k != "time"]
    assert values and any(v != int(v) for v in values)


def test_legacy_mau_daily_incremental_sums_to_month_to_date(emu: Emulator) -> None:
    endpoint = BY_OPERATION["getMauUsage"]
    start, end = month_bounds(2026, 1)
    base = [*window(endpoint, start, end), ("groupby", "sdktype")]
    inc = get_json(emu, "getMauUsage", [*base, ("aggregationType", "daily_incremental")])
    mtd = get_json(emu, "getMauUsage", [*base, ("aggregationType", "month_to_date")])
    assert inc["metadata"] == mtd["metadata"] == [{"sdktype": "client"}, {"sdktype": "server"}]
    for key in keys_of(inc):
        assert sum(p[key] for p in inc["series"]) == mtd["series"][-1][key]


def test_streams_equal_the_sum_over_sdk_versions(emu: Emulator) -> None:
    endpoint = BY_OPERATION["getStreamUsage"]
    params = window(endpoint, NOW - timedelta(days=10), NOW - timedelta(days=1))
    total = get_json(emu, "getStreamUsage", params, source="client")
    split = get_json(emu, "getStreamUsageBySdkVersion", params, source="client")
    assert all(meta["source"] == "client" and {"sdk", "version"} <= set(meta) for meta in split["metadata"])
    assert _totals(split) == _totals(total)
    go = split["metadata"][0]
    only = get_json(
        emu,
        "getStreamUsageBySdkVersion",
        [*params, ("sdk", go["sdk"]), ("version", go["version"])],
        source="client",
    )
    assert only["metadata"] == [go]
    assert [p["0"] for p in only["series"]] == [p["0"] for p in split["series"]]


def test_same_seed_same_data_other_seed_other_data(emu: Emulator, emus: dict[int, Emulator]) -> None:
    with run_emulator(EmulatorConfig(now=NOW, seed=1)) as twin:
        assert get_json(twin, "getMAUTotalUsage") == get_json(emu, "getMAUTotalUsage")
    assert get_json(emus[2], "getMAUTotalUsage")["series"] != get_json(emu, "getMAUTotalUsage")["series"]


@pytest.fixture(scope="module")
def no_lag() -> Iterator[Emulator]:
    with run_emulator(EmulatorConfig(now=NOW, lag=timedelta(0), settle=timedelta(0))) as emulator:
        yield emulator


@pytest.mark.parametrize(
    ("age", "step_ms"),
    [(timedelta(minutes=90), 60_000), (timedelta(hours=30), 3_600_000), (timedelta(days=9), 86_400_000)],
)
@pytest.mark.parametrize(
    "operation", ["getEvaluationsUsage", "getEventsUsage", "getStreamUsage", "getStreamUsageBySdkVersion"]
)
def test_auto_granularity_follows_the_age_of_from(
    no_lag: Emulator, operation: str, age: timedelta, step_ms: int
) -> None:
    endpoint = BY_OPERATION[operation]
    body = get_json(no_lag, operation, window(endpoint, NOW - age, NOW))
    times = [p["time"] for p in body["series"]]
    assert len(times) == age // timedelta(milliseconds=step_ms)
    assert all(b - a == step_ms for a, b in itertools.pairwise(times))
    assert all(t % step_ms == 0 for t in times)


def test_auto_daily_buckets_follow_tz(no_lag: Emulator) -> None:
    endpoint = BY_OPERATION["getStreamUsage"]
    params = [*window(endpoint, NOW - timedelta(days=10), NOW), ("tz", "America/New_York")]
    times = [p["time"] for p in get_json(no_lag, "getStreamUsage", params)["series"]]
    assert times and all(t % 86_400_000 in (4 * 3_600_000, 5 * 3_600_000) for t in times)
