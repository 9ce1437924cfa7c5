"""Time windows for the operators: resolve the window a run covers, presets, and splitting long spans.

Pure functions over aware UTC datetimes; the only Airflow objects read are the timetable's public attributes
(``expression``/``timezone`` of cron timetables, ``delta`` of delta timetables), passed in by the caller.

Resolution order (:func:`resolve_window`):

1. Explicit ``start`` and ``end`` (rendered strings, datetimes, pendulum DateTimes, epoch s/ms) always win.
2. A ``window=`` preset, relative to the run's logical date (``run_after`` when the logical date is None):

   ``previous_day``
       the UTC day before the reference's day: ``[day(ref) - 1 day, day(ref))``.
   ``previous_hour``
       the whole UTC hour before the reference's hour.
   ``previous_month``
       the calendar month before the reference's month (UTC).
   ``month_to_date``
       from the start of the month holding the last instant before ``ref`` up to ``ref``; at a month
       boundary (``ref`` = 1st 00:00) that is the whole month that just closed, so it is never empty.
   ``last_N_days`` (``last_7_days``, ``last_30_days``…)
       the N whole UTC days before the reference's day: ``[day(ref) - N days, day(ref))``.

3. The run's data interval when it is non-empty.
4. On Airflow 3's zero-length intervals (cron and ``timedelta`` schedules, whose ``data_interval_start ==
   data_interval_end``), the schedule period that just closed, read from the timetable: for ``@daily`` and
   logical date 2026-03-02T00:00Z, ``[2026-03-01, 2026-03-02)``.
5. Otherwise (manual or asset-triggered runs without an interval) a
   :class:`~airflow_provider_ldusage.exceptions.LaunchDarklyUsageValidationError` naming the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_ldusage.core.timeconv import UTC, iso, to_utc
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError

PRESETS = ("previous_day", "previous_hour", "previous_month", "month_to_date", "last_N_days")
_LAST_N = re.compile(r"last_(\d{1,4})_days")
_FIX = (
    "give explicit start= and end= (e.g. '{{ data_interval_start | ts }}' or an ISO-8601 instant with "
    "offset), or a window= preset (" + ", ".join(PRESETS) + ")"
)


@dataclass(frozen=True)
class Window:
    """A half-open UTC window ``[start, end)``.

    :param start: inclusive start, aware UTC.
    :param end: exclusive end, aware UTC.
    :param source: how it was resolved (``explicit``, ``preset:<name>``, ``data_interval``, ``timetable``).
    """

    start: datetime
    end: datetime
    source: str = "explicit"

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise LaunchDarklyUsageValidationError(
                "end", iso(self.end), f"an instant after start ({iso(self.start)})"
            )

    @property
    def span(self) -> timedelta:
        return self.end - self.start

    def describe(self) -> str:
        return f"[{iso(self.start)} .. {iso(self.end)}) ({self.source})"


def _blank(value: object) -> bool:
    # A template such as "{{ data_interval_start }}" renders to "None" or "" on runs without an interval.
    return value is None or (isinstance(value, str) and value.strip() in ("", "None"))


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(moment: datetime) -> datetime:
    """Midnight UTC on the first day of ``moment``'s month."""
    return _day(moment).replace(day=1)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` (a month start) moved by ``months`` calendar months."""
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def preset_window(name: str, reference: datetime) -> Window:
    """The window a preset names, relative to ``reference`` (aware).

    :raises LaunchDarklyUsageValidationError: for an unknown preset.
    """
    ref = to_utc(reference, "logical_date")
    source = f"preset:{name}"
    if name == "previous_day":
        return Window(_day(ref) - timedelta(days=1), _day(ref), source)
    if name == "previous_hour":
        hour = ref.replace(minute=0, second=0, microsecond=0)
        return Window(hour - timedelta(hours=1), hour, source)
    if name == "previous_month":
        return Window(add_months(month_start(ref), -1), month_start(ref), source)
    if name == "month_to_date":
        return Window(month_start(ref - timedelta(microseconds=1)), ref, source)
    match = _LAST_N.fullmatch(name)
    if match and int(match.group(1)) > 0:
        return Window(_day(ref) - timedelta(days=int(match.group(1))), _day(ref), source)
    raise LaunchDarklyUsageValidationError(
        "window", name, "one of " + ", ".join(PRESETS) + " (N a positive integer, e.g. last_7_days)"
    )


def previous_period(timetable: object, reference: datetime) -> Window | None:
    """The schedule period that closed at or before ``reference``, or None for timetables without periods.

    Cron timetables (``@daily``, ``"0 6 * * *"``, ``CronTriggerTimetable``…): ``reference`` is aligned down
    to the latest fire time at or before it, and the window runs from the fire before that to it. Delta
    timetables: ``[reference - delta, reference)``. Multiple cron timetables: the latest such period.
    """
    ref = to_utc(reference, "logical_date")
    expression = getattr(timetable, "expression", None)
    if isinstance(expression, str):
        return _cron_period(expression, getattr(timetable, "timezone", None), ref)
    delta = getattr(timetable, "delta", None)
    if delta is not None:
        start = to_utc(ref - delta, "logical_date")  # relativedelta (e.g. months) works too
        return Window(start, ref, "timetable")
    children = getattr(timetable, "timetables", None)
    if isinstance(children, list) and children:
        found = [w for w in (previous_period(c, ref) for c in children) if w is not None]
        return max(found, key=lambda w: w.end) if found else None
    return None


def _cron_period(expression: str, timezone: Any, ref: datetime) -> Window:
    from croniter import croniter  # already loaded by airflow.sdk's cron timetables

    tz = _tzinfo(timezone)
    # croniter is DST-naive: step in the timetable's local wall time, then attach the zone.
    local = ref.astimezone(tz).replace(tzinfo=None) + timedelta(seconds=1)  # +1s: a fire at ref counts
    steps = croniter(expression, local)
    end_local = steps.get_prev(datetime)
    start_local = steps.get_prev(datetime)
    return Window(
        start_local.replace(tzinfo=tz).astimezone(UTC),
        end_local.replace(tzinfo=tz).astimezone(UTC),
        "timetable",
    )


def _tzinfo(timezone: Any) -> Any:
    if timezone is None:
        return UTC
    if isinstance(timezone, str):
        import pendulum

        return pendulum.timezone(timezone)
    return timezone


def resolve_window(
    *,
    start: object = None,
    end: object = None,
    preset: str | None = None,
    logical_date: datetime | None = None,
    run_after: datetime | None = None,
    data_interval_start: datetime | None = None,
    data_interval_end: datetime | None = None,
    timetable: object = None,
) -> Window:
    """Resolve the window of one task run; see the module docstring for the rules.

    :param start: the rendered ``start`` argument (None or blank when not given).
    :param end: the rendered ``end`` argument.
    :param preset: the rendered ``window`` argument.
    :param logical_date: the run's logical date (None for runs without one).
    :param run_after: the run's ``run_after``, the preset reference when ``logical_date`` is None.
    :param data_interval_start: the run's data interval start, if any.
    :param data_interval_end: the run's data interval end, if any.
    :param timetable: the DAG's timetable, read for zero-length intervals.
    :raises LaunchDarklyUsageValidationError: when no non-empty window can be derived.
    """
    if not _blank(start) or not _blank(end):
        for name, value in (("start", start), ("end", end)):
            if _blank(value):
                raise LaunchDarklyUsageValidationError(
                    name,
                    value,
                    "a value: start and end go together (it rendered empty — on manual or asset-triggered "
                    "runs there is no data interval); " + _FIX,
                )
        return Window(to_utc(start, "start"), to_utc(end, "end"), "explicit")
    reference = logical_date if logical_date is not None else run_after
    if not _blank(preset):
        if reference is None:
            raise LaunchDarklyUsageValidationError(
                "window", preset, "a run with a logical date or run_after; give explicit start= and end="
            )
        return preset_window(str(preset).strip(), reference)
    if data_interval_start is not None and data_interval_end is not None:
        interval_start = to_utc(data_interval_start, "data_interval_start")
        interval_end = to_utc(data_interval_end, "data_interval_end")
        if interval_start < interval_end:
            return Window(interval_start, interval_end, "data_interval")
        period = previous_period(timetable, interval_end) if timetable is not None else None
        if period is not None:
            return period
        raise LaunchDarklyUsageValidationError(
            "window",
            None,
            f"a non-empty period, but the run's data interval is empty ({iso(interval_start)}) and the "
            f"schedule ({type(timetable).__name__}) has no period to fall back on; " + _FIX,
        )
    raise LaunchDarklyUsageValidationError(
        "window",
        None,
        "a period to read, but this run has no data interval (a manual or asset-triggered run); " + _FIX,
    )


def split_window(window: Window, max_span_days: int | None, granularity: str | None = None) -> list[Window]:
    """Split ``window`` into consecutive windows of at most ``max_span_days`` days.

    Each piece ends at the latest month start that keeps it within the limit, so month-to-date figures
    (LaunchDarkly's default aggregation) are never restarted mid-month by a request boundary; only when no
    month start fits (limits under a month) does a piece end at the latest UTC midnight. No daily or monthly
    bucket is cut.
    """
    if max_span_days is None or window.span <= timedelta(days=max_span_days):
        return [window]
    limit = timedelta(days=max_span_days)
    pieces: list[Window] = []
    cursor = window.start
    while window.end - cursor > limit:
        cut = _aligned_cut(cursor, cursor + limit, granularity)
        pieces.append(Window(cursor, cut, window.source))
        cursor = cut
    pieces.append(Window(cursor, window.end, window.source))
    return pieces


def _aligned_cut(after: datetime, at_most: datetime, granularity: str | None) -> datetime:
    # Month starts first for every granularity: a request that began mid-month could restart cumulative
    # (month_to_date) counts at its own ``from`` — LaunchDarkly does not document which it does.
    cut = month_start(at_most)
    if cut > after:
        return cut
    cut = _day(at_most)
    return cut if cut > after else at_most
