"""A runaway SDK injected into the emulator: the same extra contexts on every endpoint that counts them."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from airflow_provider_ldusage.testing.cli import _parser
from airflow_provider_ldusage.testing.emulator import EmulatorConfig, Runaway, SeriesQuery
from airflow_provider_ldusage.testing.emulator.state import EmulatorState

UTC = timezone.utc
OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
LATER = datetime(2030, 1, 1, tzinfo=UTC)
RUNAWAY = {
    "project": "default",
    "environment": "production",
    "sdk": "JavaScript",
    "from_day": "2026-10-09",
    "extra_per_day": 5000,
}
OPERATIONS = (
    "getMAUClientsideUsage",
    "getMAUTotalUsage",
    "getContextsClientsideUsage",
    "getContextsTotalUsage",
)


def _states() -> tuple[EmulatorState, EmulatorState]:
    return EmulatorState(EmulatorConfig(seed=1)), EmulatorState(EmulatorConfig(seed=1, runaway=RUNAWAY))


def _mtd(state: EmulatorState, operation: str, **extra: object) -> dict[date, float]:
    query = SeriesQuery(operation, *OCTOBER, aggregation="month_to_date", granularity="daily", **extra)  # type: ignore[arg-type]
    body = state.data.series(query, LATER)
    return {
        datetime.fromtimestamp(p["time"] / 1000, UTC).date(): sum(v for k, v in p.items() if k != "time")
        for p in body["series"]  # type: ignore[attr-defined]
    }


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_context_count_gains_the_same_extra_contexts_from_the_given_day(operation: str) -> None:
    normal, runaway = _states()
    before, after = _mtd(normal, operation), _mtd(runaway, operation)
    for day, value in after.items():
        extra = 5000 * max(0, day.day - 8)
        assert value - before[day] == extra, (operation, day)


def test_only_the_named_sdk_in_the_named_environment_grows_and_groups_still_add_up() -> None:
    normal, runaway = _states()
    account = runaway.data.account
    project = account.project("default")
    environment = account.environment("default", "production")
    assert project is not None and environment is not None
    group_by = ("projectId", "environmentId", "sdkName")
    query = SeriesQuery(
        "getMAUClientsideUsage", *OCTOBER, aggregation="month_to_date", granularity="daily", group_by=group_by
    )
    grown = runaway.data.series(query, LATER)
    plain = normal.data.series(query, LATER)
    last, last_plain = grown["series"][-1], plain["series"][-1]  # type: ignore[index]
    changed = {
        json.dumps(meta, sort_keys=True)
        for i, meta in enumerate(grown["metadata"])  # type: ignore[arg-type]
        if last[str(i)] != last_plain[str(i)]
    }
    assert changed == {
        json.dumps(
            {"environmentId": environment.id, "projectId": project.id, "sdkName": "JavaScript"},
            sort_keys=True,
        )
    }
    assert (
        sum(v for k, v in last.items() if k != "time")
        == _mtd(runaway, "getMAUClientsideUsage")[date(2026, 10, 31)]
    )
    # Server-side contexts are not touched by a client-side SDK.
    assert _mtd(runaway, "getContextsServersideUsage") == _mtd(normal, "getContextsServersideUsage")


def test_hours_add_up_to_the_inflated_day() -> None:
    _, runaway = _states()
    day = datetime(2026, 10, 12, tzinfo=UTC)
    hourly = SeriesQuery(
        "getMAUTotalUsage", day, day + timedelta(days=1), aggregation="incremental", granularity="hourly"
    )
    daily = SeriesQuery(
        "getMAUTotalUsage", day, day + timedelta(days=1), aggregation="incremental", granularity="daily"
    )

    def total(query: SeriesQuery) -> int:
        body = runaway.data.series(query, LATER)
        return sum(v for p in body["series"] for k, v in p.items() if k != "time")  # type: ignore[attr-defined]

    assert total(hourly) == total(daily)


def test_a_runaway_naming_what_the_account_lacks_is_refused_with_what_exists() -> None:
    with pytest.raises(ValueError, match=r"no SDK .Swift.*default/production/JavaScript"):
        EmulatorState(EmulatorConfig(seed=1, runaway={**RUNAWAY, "sdk": "Swift"}))
    with pytest.raises(ValueError, match="extra_per_day must be positive"):
        Runaway("default", "production", "JavaScript", date(2026, 10, 9), 0)
    with pytest.raises(ValueError, match="exactly the keys"):
        EmulatorConfig(runaway={"project": "default"})


def test_the_cli_takes_a_runaway_as_json() -> None:
    args = _parser().parse_args(["--runaway", json.dumps(RUNAWAY)])
    assert args.runaway == Runaway("default", "production", "JavaScript", date(2026, 10, 9), 5000)
    with pytest.raises(SystemExit):
        _parser().parse_args(["--runaway", '{"project": "default"}'])
