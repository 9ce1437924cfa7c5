"""Resolved windows fit the endpoint's UTC buckets (or are refused), and window= with start/end
warns. Pure functions: no Airflow run, no server."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.windows.alignment import (
    align_window,
    bucket_granularity,
    conflicting_window_arguments,
)
from airflow_provider_ldusage.windows.calendar import Window
from airflow_provider_ldusage.windows.periods import preset_window, resolve_window, split_window
from tests.airflow_compat import CronTriggerTimetable

UTC = timezone.utc
MAU = endpoint("getMAUTotalUsage")  # daily/monthly buckets at UTC midnight
METERED = endpoint("getServiceConnectionsUsage")  # hourly, daily or monthly buckets


def d(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny_daily_window(logical_date: datetime) -> Window:
    """The window a @daily DAG in America/New_York resolves on Airflow 3 (zero-length interval)."""
    timetable = CronTriggerTimetable("@daily", timezone="America/New_York")
    return resolve_window(
        logical_date=logical_date,
        data_interval_start=logical_date,
        data_interval_end=logical_date,
        timetable=timetable,
        timezone="America/New_York",
    )


def test_metered_family_is_what_the_hourly_tests_assume() -> None:
    assert bucket_granularity(METERED, "hourly") == "hourly"
    assert bucket_granularity(MAU, None) == "daily"  # the family's default
    assert bucket_granularity(MAU, "None") == "daily"  # a blank render


@pytest.mark.parametrize(
    ("logical_date", "day"),
    [
        (d(2026, 6, 2, 4), d(2026, 6, 1)),  # EDT: local midnight is 04:00Z
        (d(2026, 1, 15, 5), d(2026, 1, 14)),  # EST: 05:00Z
        (d(2026, 3, 9, 4), d(2026, 3, 8)),  # the spring-forward day has 23 hours: [05:00Z, 04:00Z)
        (d(2026, 11, 2, 5), d(2026, 11, 1)),  # the fall-back day has 25 hours: [04:00Z, 05:00Z)
    ],
)
def test_a_new_york_daily_dag_reads_the_whole_utc_day(logical_date: datetime, day: datetime) -> None:
    window = ny_daily_window(logical_date)
    assert window.source == "timetable" and window.start.hour in (4, 5)  # the unaligned period
    aligned = align_window(window, MAU)
    assert aligned.changed and aligned.granularity == "daily"
    assert (aligned.window.start, aligned.window.end) == (day, day + timedelta(days=1))
    assert aligned.window.source == "timetable"
    assert "aligned to the daily UTC buckets of get_mau_total_usage" in aligned.note
    assert aligned.window.end <= window.end  # every bucket read had ended when the period ended


def test_consecutive_new_york_runs_tile_utc_days_across_dst() -> None:
    import pendulum

    # The logical dates of consecutive @daily runs: local midnights, 05:00Z in EST and 04:00Z in EDT.
    runs = [pendulum.datetime(2026, 3, day, tz="America/New_York").in_timezone("UTC") for day in range(5, 13)]
    aligned = [align_window(ny_daily_window(r), MAU).window for r in runs]
    for before, after in itertools.pairwise(aligned):
        assert before.end == after.start
        assert after.span == timedelta(days=1)
    assert aligned[0].start == d(2026, 3, 4) and aligned[-1].end == d(2026, 3, 12)


def test_an_already_aligned_window_is_unchanged() -> None:
    window = resolve_window(
        data_interval_start=d(2026, 6, 1), data_interval_end=d(2026, 6, 2), logical_date=d(2026, 6, 1)
    )
    result = align_window(window, MAU)
    assert result.window is window and not result.changed and result.note == ""


def test_monthly_granularity_floors_a_derived_period_to_month_starts() -> None:
    window = Window(d(2026, 5, 1, 4), d(2026, 6, 1, 4), "timetable")  # @monthly in New York
    result = align_window(window, MAU, "monthly")
    assert (result.window.start, result.window.end) == (d(2026, 5, 1), d(2026, 6, 1))


def test_hourly_granularity_floors_half_hour_zones_to_whole_hours() -> None:
    window = Window(d(2026, 6, 1, 18, 30), d(2026, 6, 2, 18, 30), "timetable")  # @daily in Asia/Kolkata
    result = align_window(window, METERED, "hourly")
    assert (result.window.start, result.window.end) == (d(2026, 6, 1, 18), d(2026, 6, 2, 18))


def test_a_derived_period_inside_one_bucket_is_refused_naming_previous_day() -> None:
    window = Window(d(2026, 6, 1, 13), d(2026, 6, 1, 14), "data_interval")  # an hourly DAG, daily buckets
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        align_window(window, MAU, "daily")
    assert caught.value.parameter == "window"
    assert 'window="previous_day"' in str(caught.value) and "whole UTC day" in str(caught.value)


@pytest.mark.parametrize(
    ("start", "end", "parameter"),
    [
        (d(2026, 6, 1, 4), d(2026, 6, 2, 4), "start"),
        (d(2026, 6, 1), d(2026, 6, 2, 4), "end"),
    ],
)
def test_explicit_misaligned_start_or_end_is_refused_not_moved(
    start: datetime, end: datetime, parameter: str
) -> None:
    window = resolve_window(start=start.isoformat(), end=end.isoformat())
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        align_window(window, MAU)
    assert caught.value.parameter == parameter
    text = str(caught.value)
    assert 'window="previous_day"' in text and "partial day" in text and "00:00Z" in text


def test_explicit_monthly_and_hourly_refusals_name_the_preset_that_fits() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match='window="previous_month"'):
        align_window(Window(d(2026, 5, 1), d(2026, 5, 15), "explicit"), MAU, "monthly")
    with pytest.raises(LaunchDarklyUsageValidationError, match='window="previous_hour"'):
        align_window(Window(d(2026, 5, 1, 0, 30), d(2026, 5, 1, 2), "explicit"), METERED, "hourly")


def test_presets_that_do_not_fit_the_granularity_are_refused() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match='window="previous_month"') as caught:
        align_window(preset_window("previous_day", d(2026, 6, 15)), MAU, "monthly")
    assert caught.value.parameter == "window" and caught.value.value == "previous_day"
    with pytest.raises(LaunchDarklyUsageValidationError, match='window="previous_day"'):
        align_window(preset_window("previous_hour", d(2026, 6, 15, 13)), METERED, "daily")
    for name in ("previous_day", "last_7_days", "previous_month"):
        assert not align_window(preset_window(name, d(2026, 6, 15, 13)), MAU).changed
    assert not align_window(preset_window("previous_month", d(2026, 6, 15)), MAU, "monthly").changed


def test_month_to_date_keeps_its_open_end() -> None:
    window = preset_window("month_to_date", d(2026, 6, 15, 13))
    result = align_window(window, MAU, "monthly")
    assert result.window is window and not result.changed


def test_endpoints_without_fixed_buckets_are_left_alone() -> None:
    window = Window(d(2026, 6, 1, 4), d(2026, 6, 2, 4), "explicit")
    for operation in ("getEvaluationsUsage", "getStreamUsage"):
        result = align_window(window, endpoint(operation))
        assert result.window is window and result.granularity is None


def test_an_aligned_year_still_splits_on_month_starts() -> None:
    window = align_window(Window(d(2025, 6, 1, 4), d(2026, 6, 1, 4), "timetable"), MAU).window
    pieces = split_window(window, 365)
    assert pieces[0].start == d(2025, 6, 1) and pieces[-1].end == d(2026, 6, 1)
    assert all(p.start.hour == 0 and p.end.hour == 0 for p in pieces)


# --- window= together with start/end -------------------------------------------------------------------


def test_window_with_explicit_start_and_end_warns() -> None:
    text = conflicting_window_arguments("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z", "previous_day")
    assert text is not None
    assert "window='previous_day' is ignored" in text and "start and end are given" in text
    only_start = conflicting_window_arguments("2026-06-01T00:00:00Z", None, "last_7_days")
    assert only_start is not None and "start is given" in only_start


@pytest.mark.parametrize(
    ("start", "end", "window"),
    [
        (None, None, "previous_day"),
        ("2026-06-01", "2026-06-02", None),
        ("None", "", "previous_day"),
        ("", "", ""),
    ],
)
def test_no_warning_without_a_conflict(start: object, end: object, window: object) -> None:
    assert conflicting_window_arguments(start, end, window) is None
