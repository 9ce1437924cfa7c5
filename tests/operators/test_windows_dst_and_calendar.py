"""Default windows across DST changes, and presets on the DAG's calendar (zones east and west of UTC)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import pendulum
import pytest
from airflow.sdk import DAG

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator
from airflow_provider_ldusage.sensors.finality import MonthWindow
from airflow_provider_ldusage.windows.periods import preset_window, resolve_window
from tests.airflow_compat import CronTriggerTimetable

UTC = timezone.utc


def d(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fires(expression: str, tz: str, first: datetime, count: int) -> list[datetime]:
    """The logical dates Airflow's scheduler (core ``CronTriggerTimetable``) gives consecutive runs."""
    from airflow.timetables.base import TimeRestriction
    from airflow.timetables.trigger import CronTriggerTimetable as CoreCron

    core = CoreCron(expression, timezone=tz)
    restriction = TimeRestriction(earliest=pendulum.instance(first), latest=None, catchup=True)
    info = core.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    out = []
    for _ in range(count):
        assert info is not None
        out.append(info.logical_date)
        info = core.next_dagrun_info(last_automated_data_interval=info.data_interval, restriction=restriction)
    return out


def default_window(expression: str, tz: str, fire: datetime) -> tuple[datetime, datetime]:
    w = resolve_window(
        logical_date=fire,
        data_interval_start=fire,
        data_interval_end=fire,
        timetable=CronTriggerTimetable(expression, timezone=tz),
    )
    return w.start, w.end


@pytest.mark.parametrize(
    ("expression", "first", "count"),
    [
        ("0 * * * *", d(2026, 3, 8, 3), 8),  # spring forward: 02:00 EST -> 03:00 EDT at 07:00Z
        ("0 * * * *", d(2026, 11, 1, 3), 8),  # fall back: 01:00 happens twice (05:00Z and 06:00Z)
        ("30 2 * * *", d(2026, 3, 5), 6),  # 02:30 does not exist on 2026-03-08
        ("30 2 * * *", d(2026, 10, 29), 6),
        ("30 1 * * *", d(2026, 10, 29), 6),  # 01:30 happens twice on 2026-11-01
    ],
)
def test_cron_default_windows_tile_across_dst(expression: str, first: datetime, count: int) -> None:
    runs = fires(expression, "America/New_York", first, count)
    windows = [default_window(expression, "America/New_York", fire) for fire in runs]
    for fire, (start, end) in zip(runs, windows, strict=True):
        assert end == fire, "the period ends at the run's own fire time"
        assert start < end
    for (_, previous_end), (start, _) in itertools.pairwise(windows):
        assert start == previous_end, "consecutive runs read consecutive periods: no gap, no re-read"


def test_hourly_spring_forward_exact_windows() -> None:
    # The reviewer's case: the run at 07:00Z (03:00 EDT) failed with "end ... an instant after start".
    assert default_window("0 * * * *", "America/New_York", d(2026, 3, 8, 7)) == (
        d(2026, 3, 8, 6),
        d(2026, 3, 8, 7),
    )


def test_hourly_fall_back_exact_windows() -> None:
    # 05:00Z = 01:00 EDT, 06:00Z = 01:00 EST, 07:00Z = 02:00 EST: each run reads exactly its hour.
    got = [default_window("0 * * * *", "America/New_York", d(2026, 11, 1, h)) for h in (5, 6, 7)]
    assert got == [
        (d(2026, 11, 1, 4), d(2026, 11, 1, 5)),
        (d(2026, 11, 1, 5), d(2026, 11, 1, 6)),
        (d(2026, 11, 1, 6), d(2026, 11, 1, 7)),
    ]


def test_daily_0230_across_both_transitions() -> None:
    ny = "America/New_York"
    # 2026-03-08 02:30 does not exist: Airflow fires at 03:30 EDT = 07:30Z.
    assert default_window("30 2 * * *", ny, d(2026, 3, 8, 7, 30)) == (
        d(2026, 3, 7, 7, 30),
        d(2026, 3, 8, 7, 30),
    )
    assert default_window("30 2 * * *", ny, d(2026, 3, 9, 6, 30)) == (
        d(2026, 3, 8, 7, 30),
        d(2026, 3, 9, 6, 30),
    )
    # 2026-11-01: 02:30 EST = 07:30Z, the day before at 02:30 EDT = 06:30Z (a 25-hour day).
    assert default_window("30 2 * * *", ny, d(2026, 11, 1, 7, 30)) == (
        d(2026, 10, 31, 6, 30),
        d(2026, 11, 1, 7, 30),
    )


# --- the DAG's calendar ---------------------------------------------------------------------------------

TOKYO_MARCH_1 = pendulum.datetime(2026, 3, 1, tz="Asia/Tokyo")  # = 2026-02-28T15:00Z
NY_MARCH_1 = pendulum.datetime(2026, 3, 1, tz="America/New_York")  # = 2026-03-01T05:00Z


@pytest.mark.parametrize(
    ("name", "reference", "tz", "start", "end"),
    [
        ("previous_month", TOKYO_MARCH_1, "Asia/Tokyo", d(2026, 2, 1), d(2026, 3, 1)),
        ("previous_day", TOKYO_MARCH_1, "Asia/Tokyo", d(2026, 2, 28), d(2026, 3, 1)),
        ("month_to_date", TOKYO_MARCH_1, "Asia/Tokyo", d(2026, 2, 1), d(2026, 3, 1)),
        ("last_7_days", TOKYO_MARCH_1, "Asia/Tokyo", d(2026, 2, 22), d(2026, 3, 1)),
        ("previous_month", NY_MARCH_1, "America/New_York", d(2026, 2, 1), d(2026, 3, 1)),
        ("previous_day", NY_MARCH_1, "America/New_York", d(2026, 2, 28), d(2026, 3, 1)),
        (
            "month_to_date",
            pendulum.datetime(2026, 3, 15, tz="Asia/Tokyo"),
            "Asia/Tokyo",
            d(2026, 3, 1),
            d(2026, 3, 15),
        ),
        # previous_hour is an instant rule: no calendar involved.
        (
            "previous_hour",
            pendulum.datetime(2026, 3, 1, 10, 30, tz="Asia/Tokyo"),
            "Asia/Tokyo",
            d(2026, 3, 1, 0),
            d(2026, 3, 1, 1),
        ),
    ],
)
def test_presets_follow_the_dags_calendar(
    name: str, reference: datetime, tz: str, start: datetime, end: datetime
) -> None:
    window = preset_window(name, reference, tz)
    assert (window.start, window.end) == (start, end)
    # ... and resolve_window passes the zone through.
    resolved = resolve_window(preset=name, logical_date=reference, timezone=tz)
    assert (resolved.start, resolved.end) == (start, end)


def test_presets_default_to_utc_calendar() -> None:
    # Without a zone the reference's UTC calendar decides (2026-02-28T15:00Z is in February).
    w = preset_window("previous_month", TOKYO_MARCH_1)
    assert (w.start, w.end) == (d(2026, 1, 1), d(2026, 2, 1))


def test_operator_reads_the_dag_timezone_for_presets() -> None:
    with DAG("tokyo", schedule="@monthly", start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Tokyo")) as dag:
        op = LaunchDarklyMauTotalUsageOperator(task_id="usage", window="previous_month")
    context: dict[str, Any] = {
        "dag": dag,
        "logical_date": TOKYO_MARCH_1,
        "data_interval_start": TOKYO_MARCH_1,
        "data_interval_end": TOKYO_MARCH_1,
    }
    w = op.resolve_window(context)  # type: ignore[arg-type]
    assert (w.start, w.end) == (d(2026, 2, 1), d(2026, 3, 1))
    # The sensor's default month is the same month.
    assert MonthWindow.closed_before(TOKYO_MARCH_1, dag.timezone).label == "2026-02"


def test_month_window_on_a_calendar() -> None:
    instant = d(2026, 2, 28, 15)
    assert MonthWindow.parse(instant).label == "2026-02"
    assert MonthWindow.parse(instant, "Asia/Tokyo").label == "2026-03"
    assert MonthWindow.parse("2026-02-28T15:00:00Z", "Asia/Tokyo").label == "2026-03"
    assert MonthWindow.parse(d(2026, 3, 1, 3), "America/New_York").label == "2026-02"
    assert MonthWindow.closed_before(instant + timedelta(hours=1), "Asia/Tokyo").label == "2026-02"
    assert MonthWindow.closed_before(d(2026, 3, 1, 3), "America/New_York").label == "2026-01"


def test_month_window_refuses_naive_instants() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="month"):
        MonthWindow.parse(datetime(2026, 3, 1))
    with pytest.raises(LaunchDarklyUsageValidationError, match="month"):
        MonthWindow.parse("2026-03-01T00:00:00")
