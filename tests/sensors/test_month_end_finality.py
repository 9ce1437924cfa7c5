"""The pure finality rule: months, the query, summaries and verdicts (no I/O)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.sensors.finality import (
    FinalityRule,
    FinalityState,
    MonthWindow,
    Observation,
    final_result,
    is_cumulative,
    judge,
    month_arguments,
    summarize,
)

UTC = timezone.utc
FEB = MonthWindow(2026, 2)
RULE = FinalityRule(timedelta(days=3), True, 2, timedelta(hours=6))
FLOOR = datetime(2026, 3, 4, tzinfo=UTC)


def _body(values: list[int], *, days: int = 28, metadata: Any = None) -> dict[str, Any]:
    start = int(FEB.start.timestamp() * 1000)
    series = [{"time": start + i * 86_400_000, "0": values[i] if i < len(values) else i} for i in range(days)]
    return {"_links": {}, "metadata": metadata if metadata is not None else [{}], "series": series}


def _obs(at: datetime, body: dict[str, Any]) -> Observation:
    return Observation.of(at, summarize(body, FEB, cumulative=True))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02", (2026, 2)),
        (" 2026-12 ", (2026, 12)),
        ("2026-02-17", (2026, 2)),
        ("2026-02-28T23:30:00-02:00", (2026, 3)),  # months are cut at UTC midnight
        (date(2026, 2, 1), (2026, 2)),
        (datetime(2026, 2, 28, 23, 59, tzinfo=UTC), (2026, 2)),
    ],
)
def test_month_parsing(value: object, expected: tuple[int, int]) -> None:
    window = MonthWindow.parse(value)
    assert (window.year, window.month) == expected


@pytest.mark.parametrize("value", ["2026-13", "Feb 2026", "", 202602, None])
def test_month_parsing_rejects(value: object) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="month"):
        MonthWindow.parse(value)


def test_month_window_and_the_month_closed_before_an_instant() -> None:
    assert (FEB.start, FEB.end, len(FEB.days), FEB.label) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
        28,
        "2026-02",
    )
    assert MonthWindow(2024, 2).days[-1] == date(2024, 2, 29)
    assert MonthWindow.closed_before(datetime(2026, 3, 1, tzinfo=UTC)) == FEB
    assert MonthWindow.closed_before(datetime(2026, 3, 15, 12, tzinfo=UTC)) == FEB
    assert MonthWindow.closed_before(datetime(2026, 1, 5, tzinfo=UTC)) == MonthWindow(2025, 12)
    assert MonthWindow(2025, 12).end == datetime(2026, 1, 1, tzinfo=UTC)


def test_month_arguments_per_family() -> None:
    mau = month_arguments(endpoint("getMAUTotalUsage"), FEB, {"project_key": "web"})
    assert mau == {
        "project_key": "web",
        "start": FEB.start,
        "end": FEB.end,
        "aggregation_type": "month_to_date",
        "granularity": "daily",
    }
    assert is_cumulative(endpoint("getMAUTotalUsage"), mau)
    streams = month_arguments(endpoint("getStreamUsage"), FEB, {"source": "server"})
    assert streams == {"source": "server", "start": FEB.start, "end": FEB.end}
    assert not is_cumulative(endpoint("getStreamUsage"), streams)
    legacy = month_arguments(endpoint("getMauUsage"), FEB, None)
    assert legacy["aggregation_type"] == "month_to_date" and "granularity" not in legacy


@pytest.mark.parametrize("filters", [{"start": "2026-01-01"}, {"granularity": "hourly"}, ["project_key"]])
def test_month_arguments_reject_reserved_or_odd_filters(filters: Any) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="filters"):
        month_arguments(endpoint("getMAUTotalUsage"), FEB, filters)


def test_summary_figures_days_and_fingerprint() -> None:
    body = _body([], metadata=[{"sdkType": "client"}])
    summary = summarize(body, FEB, cumulative=True)
    assert summary.days_present == 28 and summary.missing_days == ()
    assert [f.to_json() for f in summary.series] == [
        {"index": 0, "metadata": {"sdkType": "client"}, "value": 27}
    ]
    assert summarize(body, FEB, cumulative=False).total == sum(range(28))
    # a revision of an early day changes the fingerprint even though the last value does not
    revised = _body([5])
    assert summarize(revised, FEB, cumulative=True).total == summary.total
    assert summarize(revised, FEB, cumulative=True).fingerprint != summary.fingerprint
    short = summarize(_body([], days=26), FEB, cumulative=True)
    assert short.missing_days == ("2026-02-27", "2026-02-28")


def test_before_the_floor_nothing_counts() -> None:
    verdict, state = judge(RULE, FEB, FinalityState(), _obs(FLOOR - timedelta(seconds=1), _body([])))
    assert not verdict.done and verdict.code == "before_settle"
    assert verdict.reason == "before month end + settle (until 2026-03-04T00:00:00Z)"
    assert state == FinalityState()


def test_missing_days_block_and_reset() -> None:
    _, state = judge(RULE, FEB, FinalityState(), _obs(FLOOR, _body([])))
    verdict, state = judge(RULE, FEB, state, _obs(FLOOR + timedelta(hours=7), _body([], days=27)))
    assert (verdict.done, verdict.code, verdict.reason) == (False, "missing_days", "missing days: 2026-02-28")
    assert state.observations == ()
    lenient = FinalityRule(timedelta(days=3), False, 1, timedelta(hours=6))
    assert judge(lenient, FEB, FinalityState(), _obs(FLOOR, _body([], days=27)))[0].done


def test_changing_figures_restart_the_run_and_unchanged_ones_finish_it() -> None:
    verdict, state = judge(RULE, FEB, FinalityState(), _obs(FLOOR, _body([1])))
    assert (verdict.done, verdict.code, verdict.reason) == (
        False,
        "accumulating",
        "1 of 2 unchanged observations",
    )
    verdict, state = judge(RULE, FEB, state, _obs(FLOOR + timedelta(hours=6), _body([2])))
    assert verdict.code == "changing"
    assert verdict.reason.startswith("figures still changing") and verdict.reason.endswith(
        "1 of 2 unchanged observations"
    )
    # identical but too soon: neither counts nor resets
    verdict, same = judge(RULE, FEB, state, _obs(FLOOR + timedelta(hours=8), _body([2])))
    assert (verdict.done, verdict.code) == (False, "too_soon") and same == state
    assert "next one counts from 2026-03-04T12:00:00Z" in verdict.reason
    verdict, state = judge(RULE, FEB, state, _obs(FLOOR + timedelta(hours=12), _body([2])))
    assert (verdict.done, verdict.code, verdict.unchanged) == (True, "final", 2)


def test_one_observation_is_enough_when_n_is_one() -> None:
    rule = FinalityRule(timedelta(0), True, 1, timedelta(0))
    assert judge(rule, FEB, FinalityState(), _obs(FEB.end, _body([])))[0].done


def test_state_is_json_and_round_trips() -> None:
    _, state = judge(RULE, FEB, FinalityState(), _obs(FLOOR, _body([])))
    data = json.loads(json.dumps(state.to_json()))
    assert FinalityState.from_json(data) == state
    assert FinalityState.from_json(None) == FinalityState()
    for bad in (
        {"version": 99, "observations": []},
        {"version": 1},
        {"version": 1, "observations": [{"at": 1}]},
    ):
        with pytest.raises(ValueError):
            FinalityState.from_json(bad)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"stable_observations": 0}, "stable_observations"),
        ({"stable_observations": True}, "stable_observations"),
        ({"settle_period": timedelta(hours=-1)}, "settle_period"),
        ({"min_observation_interval": 5}, "min_observation_interval"),
    ],
)
def test_rule_rejects_bad_knobs(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match=name):
        FinalityRule(**kwargs)


def test_final_result_is_json() -> None:
    rule = FinalityRule(timedelta(0), True, 1, timedelta(0))
    body = _body([], metadata=[{"sdkType": "client"}])
    summary = summarize(body, FEB, cumulative=True)
    _, state = judge(rule, FEB, FinalityState(), Observation.of(FLOOR, summary))
    result = final_result(
        window=FEB,
        operation="getMAUTotalUsage",
        filters={"x": ("a",)},
        state=state,
        summary=summary,
        cumulative=True,
    )
    assert json.loads(json.dumps(result)) == result
    assert result["filters"] == {"x": ["a"]}
    assert (result["judged_final_at"], result["days"], result["total"]) == ("2026-03-04T00:00:00Z", 28, 27)
