"""The month-end forecaster on hand-made series whose month-end is known exactly."""

from __future__ import annotations

import calendar
import random
from datetime import date

import pytest

from airflow_provider_ldusage.budgets import (
    BUDGET_METRICS,
    INTERVAL_LEVEL,
    MIN_DAYS,
    budget_endpoint,
    forecast_month_end,
    naive_pace,
)
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError

NOV = "2026-11"  # 30 days; the 1st is a Sunday


def _mtd(increments: dict[int, float], month: str = NOV, through: int | None = None) -> dict[date, float]:
    year, number = map(int, month.split("-"))
    last = through if through is not None else max(increments)
    out, running = {}, 0.0
    for day in range(1, last + 1):
        running += increments.get(day, 0.0)
        out[date(year, number, day)] = running
    return out


def _consistent(forecast: object) -> None:
    assert forecast.expected is not None and forecast.high is not None  # type: ignore[attr-defined]
    assert forecast.reached <= forecast.low <= forecast.expected <= forecast.high  # type: ignore[attr-defined]


def test_constant_daily_increment_ends_at_days_times_increment() -> None:
    series = _mtd({d: 100.0 for d in range(1, 11)})
    forecast = forecast_month_end(series, month=NOV, kind="additive")
    _consistent(forecast)
    assert forecast.expected == pytest.approx(3000.0, abs=1e-6)
    assert forecast.high == pytest.approx(3000.0, abs=1e-6)  # no noise, no model error: no spread
    assert forecast.method == "additive-weekly"
    assert forecast.days_observed == 10
    assert forecast.level == INTERVAL_LEVEL
    assert forecast.path[-1] == pytest.approx(3000.0)
    assert len(forecast.path) == 20


def test_population_that_has_all_appeared_by_day_3_stays_flat() -> None:
    series = _mtd({1: 6000.0, 2: 3000.0, 3: 1000.0}, through=12)
    forecast = forecast_month_end(series, month=NOV, kind="distinct")
    _consistent(forecast)
    assert forecast.method == "distinct-decay"
    assert forecast.reached == 10000.0
    assert forecast.expected == pytest.approx(10000.0, abs=1.0)
    assert forecast.low == 10000.0  # never below what is already reached
    # Linear pace would say 25 000; the forecaster must not.
    assert naive_pace(series, month=NOV) == pytest.approx(25000.0)


def test_distinct_decay_with_a_trickle_is_recovered() -> None:
    # 5000 * 0.6**(d-1) + 40 a day: the month ends at the sum over 30 days.
    increments = {d: 5000 * 0.6 ** (d - 1) + 40 for d in range(1, 31)}
    truth = sum(increments.values())
    seen = {d: v for d, v in increments.items() if d <= 12}
    forecast = forecast_month_end(_mtd(seen), month=NOV, kind="distinct")
    _consistent(forecast)
    assert forecast.expected == pytest.approx(truth, rel=0.01)
    assert "0.60" in forecast.note


def test_weekday_only_rhythm_is_followed() -> None:
    # 1000 on every weekday, nothing on Saturdays and Sundays; November 2026 has 21 weekdays.
    weekdays = [d for d in range(1, 31) if date(2026, 11, d).weekday() < 5]
    assert len(weekdays) == 21
    series = _mtd({d: 1000.0 for d in weekdays if d <= 15}, through=15)
    forecast = forecast_month_end(series, month=NOV, kind="additive")
    _consistent(forecast)
    assert forecast.expected == pytest.approx(21000.0, abs=1e-6)
    # Linear pace spreads the 10 weekdays seen over 15 days: 10 000 * 30 / 15.
    assert naive_pace(series, month=NOV) == pytest.approx(20000.0)


def test_gaps_are_spread_over_the_missing_days() -> None:
    full = _mtd({d: 100.0 for d in range(1, 13)})
    gappy = {day: value for day, value in full.items() if day.day not in (3, 4, 8)}
    forecast = forecast_month_end(gappy, month=NOV, kind="additive")
    _consistent(forecast)
    assert forecast.days_observed == 9
    assert forecast.expected == pytest.approx(3000.0, abs=1e-6)
    distinct = _mtd({1: 6000.0, 2: 3000.0, 3: 1000.0}, through=12)
    gappy_distinct = {day: value for day, value in distinct.items() if day.day in (1, 3, 6, 12)}
    flat = forecast_month_end(gappy_distinct, month=NOV, kind="distinct")
    _consistent(flat)
    assert flat.expected == pytest.approx(10000.0, abs=5.0)


def test_a_single_day_gives_no_forecast_and_says_so() -> None:
    forecast = forecast_month_end({date(2026, 11, 1): 1234.0}, month=NOV, kind="distinct")
    assert forecast.method == "insufficient_data"
    assert not forecast.sufficient
    assert forecast.expected is None and forecast.high is None
    assert forecast.low == 1234.0
    assert str(MIN_DAYS) in forecast.note
    two_days = {date(2026, 11, 1): 10.0, date(2026, 11, 9): 50.0}
    assert forecast_month_end(two_days, month=NOV, kind="additive").method == "insufficient_data"


def test_a_complete_month_is_its_last_value() -> None:
    series = _mtd({d: 7.0 for d in range(1, 31)})
    forecast = forecast_month_end(series, month=NOV, kind="additive")
    assert forecast.method == "complete"
    assert forecast.expected == forecast.low == forecast.high == 210.0


def test_crossing_day_follows_the_expected_path() -> None:
    forecast = forecast_month_end(_mtd({d: 100.0 for d in range(1, 11)}), month=NOV, kind="additive")
    assert forecast.crossing_day(2500) == date(2026, 11, 25)
    assert forecast.crossing_day(3001) is None
    assert forecast.crossing_day(500) == date(2026, 11, 10)  # already over: the latest known day


def test_a_falling_value_adds_nothing() -> None:
    series = _mtd({d: 100.0 for d in range(1, 11)})
    series[date(2026, 11, 6)] = 550.0  # a late correction below the day before
    forecast = forecast_month_end(series, month=NOV, kind="additive")
    _consistent(forecast)
    assert forecast.reached == 1000.0


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"month_to_date": {date(2026, 11, 1): 1.0}, "month": "2026-13", "kind": "additive"}, "month"),
        ({"month_to_date": {date(2026, 11, 1): 1.0}, "month": "11/2026", "kind": "additive"}, "month"),
        ({"month_to_date": {date(2026, 11, 1): 1.0}, "month": NOV, "kind": "average"}, "kind"),
        ({"month_to_date": {}, "month": NOV, "kind": "additive"}, "month_to_date"),
        ({"month_to_date": {date(2026, 10, 31): 1.0}, "month": NOV, "kind": "additive"}, "month_to_date"),
        (
            {"month_to_date": {date(2026, 11, 2): -1.0}, "month": NOV, "kind": "additive"},
            "month_to_date[2026-11-02]",
        ),
        (
            {"month_to_date": {date(2026, 11, 2): "5"}, "month": NOV, "kind": "additive"},
            "month_to_date[2026-11-02]",
        ),
        (
            {"month_to_date": {date(2026, 11, 2): float("nan")}, "month": NOV, "kind": "distinct"},
            "month_to_date[2026-11-02]",
        ),
    ],
)
def test_invalid_arguments_raise_the_validation_error(arguments: dict[str, object], parameter: str) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        forecast_month_end(**arguments)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter
    assert isinstance(caught.value, LaunchDarklyUsageError)


def test_the_interval_covers_about_its_stated_level_on_noisy_series() -> None:
    """Simulated months with noise, weekly rhythm and a drifting rate: coverage near 80 %."""
    rng = random.Random(20261128)
    hits = total = 0
    for trial in range(120):
        year, number = 2025 + trial // 12 % 2, trial % 12 + 1
        month = f"{year}-{number:02d}"
        days = calendar.monthrange(year, number)[1]
        weekend_share = rng.uniform(0.4, 1.0)
        rate, drift = rng.uniform(100, 1000), rng.uniform(-0.01, 0.01)
        increments = {
            d: rate
            * (1 + drift * d)
            * (weekend_share if date(year, number, d).weekday() >= 5 else 1.0)
            * rng.uniform(0.7, 1.3)
            for d in range(1, days + 1)
        }
        truth = sum(increments.values())
        for cut in (7, 14, 21):
            forecast = forecast_month_end(
                _mtd({d: v for d, v in increments.items() if d <= cut}, month), month=month, kind="additive"
            )
            _consistent(forecast)
            total += 1
            hits += forecast.low <= truth <= forecast.high  # type: ignore[operator]
    assert 0.65 <= hits / total <= 0.95, hits / total


def test_every_budget_metric_has_a_kind_from_the_catalogue() -> None:
    kinds = {name: budget_endpoint(name)[1] for name in BUDGET_METRICS}
    assert kinds["client_mau"] == kinds["total_contexts"] == kinds["experimentation_keys"] == "distinct"
    assert kinds["service_connection_minutes"] == kinds["observability_logs"] == "additive"
    with pytest.raises(LaunchDarklyUsageValidationError):
        budget_endpoint("client_maus")


def test_verdicts_for_too_few_days_and_for_a_limit_already_passed() -> None:
    from airflow_provider_ldusage.operators.budget import format_table, verdict_for

    few = forecast_month_end(
        {date(2026, 11, 1): 900.0, date(2026, 11, 2): 1200.0}, month=NOV, kind="distinct"
    )
    quiet = verdict_for("client_mau", "getMAUClientsideUsage", 10_000.0, (0.8, 1.0), few)
    assert quiet["status"] == "insufficient_data" and quiet["threshold_crossed"] is None
    assert quiet["expected"] is None and quiet["share_of_limit"] is None
    assert quiet["share_of_limit_so_far"] == pytest.approx(0.12)
    # Too few days to forecast, but the limit is already behind us: that is a crossing, not a guess.
    passed = verdict_for("client_mau", "getMAUClientsideUsage", 1_000.0, (0.8, 1.0), few)
    assert passed["status"] == "over" and passed["crossing_day"] == "2026-11-02"
    table = format_table(
        {"month": NOV, "as_of": "2026-11-03T00:00:00Z", "metrics": {"a": quiet, "b": passed}}
    )
    assert "insufficient_data" in table and "over" in table
