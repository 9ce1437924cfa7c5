"""Pure window rules: presets, zero-length intervals, manual runs, splitting."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pendulum
import pytest

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.windows.calendar import Window
from airflow_provider_ldusage.windows.periods import preset_window, resolve_window, split_window
from tests.airflow_compat import CronTriggerTimetable, DeltaTriggerTimetable

UTC = timezone.utc


def d(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


REF = d(2026, 3, 2)


@pytest.mark.parametrize(
    ("name", "ref", "start", "end"),
    [
        ("previous_day", REF, d(2026, 3, 1), d(2026, 3, 2)),
        ("previous_day", d(2026, 3, 2, 13, 5), d(2026, 3, 1), d(2026, 3, 2)),
        ("previous_hour", d(2026, 3, 2, 13, 5), d(2026, 3, 2, 12), d(2026, 3, 2, 13)),
        ("previous_month", REF, d(2026, 2, 1), d(2026, 3, 1)),
        ("previous_month", d(2026, 1, 15), d(2025, 12, 1), d(2026, 1, 1)),
        ("month_to_date", d(2026, 3, 10), d(2026, 3, 1), d(2026, 3, 10)),
        ("month_to_date", d(2026, 3, 1), d(2026, 2, 1), d(2026, 3, 1)),
        ("last_7_days", REF, d(2026, 2, 23), d(2026, 3, 2)),
        ("last_30_days", d(2026, 3, 2, 6), d(2026, 1, 31), d(2026, 3, 2)),
    ],
)
def test_presets(name: str, ref: datetime, start: datetime, end: datetime) -> None:
    window = preset_window(name, ref)
    assert (window.start, window.end) == (start, end)


@pytest.mark.parametrize("name", ["yesterday", "last_0_days", "last_x_days"])
def test_unknown_preset(name: str) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="previous_day"):
        preset_window(name, REF)


def test_zero_length_cron_interval_uses_closed_period() -> None:
    tt = CronTriggerTimetable("@monthly", timezone="UTC")
    w = resolve_window(data_interval_start=REF, data_interval_end=REF, logical_date=REF, timetable=tt)
    assert (w.start, w.end, w.source) == (d(2026, 2, 1), d(2026, 3, 1), "timetable")


def test_cron_in_local_timezone() -> None:
    tt = CronTriggerTimetable("0 0 * * *", timezone="Europe/Berlin")
    ref = pendulum.datetime(2026, 3, 2, tz="Europe/Berlin")
    w = resolve_window(data_interval_start=ref, data_interval_end=ref, timetable=tt)
    assert (w.start, w.end) == (d(2026, 2, 28, 23), d(2026, 3, 1, 23))


def test_delta_interval() -> None:
    tt = DeltaTriggerTimetable(timedelta(hours=6))
    w = resolve_window(data_interval_start=REF, data_interval_end=REF, timetable=tt)
    assert (w.start, w.end) == (d(2026, 3, 1, 18), REF)


def test_explicit_wins_and_accepts_all_forms() -> None:
    w = resolve_window(
        start="2026-01-01T00:00:00+00:00",
        end=1767312000,
        preset="previous_day",
        data_interval_start=REF,
        data_interval_end=REF + timedelta(days=1),
    )
    assert (w.start, w.end, w.source) == (d(2026, 1, 1), d(2026, 1, 2), "explicit")
    w = resolve_window(start=pendulum.datetime(2026, 1, 1), end="1767312000000")
    assert (w.start, w.end) == (d(2026, 1, 1), d(2026, 1, 2))


@pytest.mark.parametrize("kwargs", [{}, {"start": "None", "end": "None"}, {"data_interval_start": None}])
def test_manual_run_without_interval_names_the_fix(kwargs: dict[str, object]) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match=r"start= and end=.*window="):
        resolve_window(**kwargs)  # type: ignore[arg-type]


def test_half_explicit_window_is_refused() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="start and end go together"):
        resolve_window(start="2026-01-01T00:00:00Z", end="None")


def test_zero_length_without_period_is_refused() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="no period"):
        resolve_window(data_interval_start=REF, data_interval_end=REF, timetable=object())


def test_split_500_days_on_month_starts() -> None:
    w = Window(d(2024, 10, 1, 6), d(2026, 2, 13))
    pieces = split_window(w, 365)
    assert [(p.start, p.end) for p in pieces] == [
        (d(2024, 10, 1, 6), d(2025, 10, 1)),
        (d(2025, 10, 1), d(2026, 2, 13)),
    ]
    long = split_window(Window(d(2023, 1, 15), d(2026, 1, 1)), 365)
    assert all(p.end.day == 1 for p in long[:-1]) and all(p.span <= timedelta(days=365) for p in long)
    assert long[0].start == d(2023, 1, 15) and long[-1].end == d(2026, 1, 1)
    assert all(a.end == b.start for a, b in itertools.pairwise(long))
    assert split_window(w, None) == [w]
    # A limit shorter than a month falls back to UTC midnights.
    short = split_window(Window(d(2026, 1, 3, 12), d(2026, 1, 20)), 7)
    assert [(p.start, p.end) for p in short] == [
        (d(2026, 1, 3, 12), d(2026, 1, 10)),
        (d(2026, 1, 10), d(2026, 1, 17)),
        (d(2026, 1, 17), d(2026, 1, 20)),
    ]
