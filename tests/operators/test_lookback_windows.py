"""``lookback`` re-reads exactly the windows earlier runs landed, never an overlapping one."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.windows.alignment import align_window
from airflow_provider_ldusage.windows.calendar import Window
from airflow_provider_ldusage.windows.periods import preceding_windows, previous_period, resolve_window

UTC = timezone.utc
MAU = endpoint("getMAUTotalUsage")


def d(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class _Cron:
    """A cron timetable as the task SDK exposes it (the expression and timezone windows.periods reads)."""

    def __init__(self, expression: str, timezone: str = "UTC") -> None:
        self.expression = expression
        self.timezone = timezone


def _run(tt: _Cron, fire: datetime) -> tuple[Window, Window]:
    period = resolve_window(data_interval_start=fire, data_interval_end=fire, logical_date=fire, timetable=tt)
    return period, align_window(period, MAU).window


def test_days_hours_and_months_step_back_by_their_unit() -> None:
    day = Window(d(2026, 5, 10), d(2026, 5, 11), "preset:previous_day")
    assert [w.start for w in preceding_windows(day, 3)] == [d(2026, 5, 7), d(2026, 5, 8), d(2026, 5, 9)]
    month = Window(d(2026, 3, 1), d(2026, 4, 1), "preset:previous_month")
    assert [(w.start, w.end) for w in preceding_windows(month, 2)] == [
        (d(2026, 1, 1), d(2026, 2, 1)),
        (d(2026, 2, 1), d(2026, 3, 1)),
    ]
    hour = Window(d(2026, 5, 10, 6), d(2026, 5, 10, 7), "preset:previous_hour")
    assert preceding_windows(hour, 1) == [
        Window(d(2026, 5, 10, 5), d(2026, 5, 10, 6), "lookback:preset:previous_hour")
    ]


def test_a_weekday_schedule_re_reads_its_own_earlier_periods_without_overlap() -> None:
    tt = _Cron("0 6 * * 1-5")
    runs = [d(2026, 5, day, 6) for day in (5, 6, 7, 8, 11)]  # Tue..Fri, then Monday
    landed = [_run(tt, fire)[1] for fire in runs]
    period, window = _run(tt, d(2026, 5, 12, 6))  # Tuesday: reads Monday's day
    earlier = [align_window(w, MAU).window for w in preceding_windows(window, 2, period=period, timetable=tt)]
    # Monday's run read [Fri, Mon) (three days); lookback re-reads exactly it and Friday's [Thu, Fri),
    # never the weekend's days on their own (they would overlap Monday's object)
    assert [(w.start, w.end) for w in earlier] == [
        (d(2026, 5, 7), d(2026, 5, 8)),
        (d(2026, 5, 8), d(2026, 5, 11)),
    ]
    assert all((w.start, w.end) in {(x.start, x.end) for x in landed} for w in earlier)
    assert (window.start, window.end) == (d(2026, 5, 11), d(2026, 5, 12))
    assert previous_period(tt, period.start) is not None


def test_a_new_york_daily_schedule_re_reads_whole_utc_days() -> None:
    tt = _Cron("@daily", "America/New_York")
    period, window = _run(tt, d(2026, 3, 9, 4))  # the first EDT midnight: a 23-hour period before it
    earlier = [align_window(w, MAU).window for w in preceding_windows(window, 2, period=period, timetable=tt)]
    assert [(w.start, w.end) for w in earlier] == [
        (d(2026, 3, 6), d(2026, 3, 7)),
        (d(2026, 3, 7), d(2026, 3, 8)),
    ]
    assert (window.start, window.end) == (d(2026, 3, 8), d(2026, 3, 9))


@pytest.mark.parametrize(
    "window",
    [
        Window(d(2026, 10, 27), d(2026, 11, 3), "preset:last_7_days"),
        Window(d(2026, 11, 1), d(2026, 11, 9, 6), "preset:month_to_date"),
        Window(d(2026, 3, 1), d(2026, 3, 4), "explicit"),
    ],
    ids=["last_7_days", "month_to_date", "explicit"],
)
def test_windows_without_earlier_runs_refuse_lookback(window: Window) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        preceding_windows(window, 2)
    assert caught.value.parameter == "lookback"
    assert "previous_day" in str(caught.value)
