"""Time windows for the operators and the month-end sensor: resolve the window a run covers, presets, months,
and splitting long spans.

Pure functions over aware UTC datetimes; the only Airflow objects read are the timetable's public attributes
(``expression``/``timezone`` of cron timetables, ``delta`` of delta timetables) and the DAG's ``timezone``,
passed in by the caller.

**Calendar rule.** LaunchDarkly cuts its daily buckets at UTC midnight, so every day or month a window
covers is a UTC day or month. *Which* day or month a run means is decided on the DAG's calendar: the
reference instant is taken in the DAG's timezone (``dag.timezone``, UTC when unknown), the calendar day or
month is picked there, and the window is the UTC day or month with that label. A ``@monthly`` DAG in
Asia/Tokyo whose run has the logical date 2026-03-01T00:00+09:00 (2026-02-28T15:00Z) therefore reads
``"2026-02"`` = ``[2026-02-01T00:00Z, 2026-03-01T00:00Z)``, the month its own calendar just closed, as does
the month-end sensor's default month (:meth:`MonthWindow.closed_before`). For a DAG in UTC this is the
plain UTC calendar. (In zones east of UTC the label's UTC day ends up to 14 hours after the local one: a
run right at local midnight may read the last hours of that UTC day before they have happened.)

Resolution order (:func:`resolve_window`):

1. Explicit ``start`` and ``end`` (rendered strings, datetimes, pendulum DateTimes, epoch s/ms) always win.
2. A ``window=`` preset, relative to the run's logical date (``run_after`` when the logical date is None),
   on the DAG's calendar as described above (``day(ref)`` is the label of the reference's local day, read
   as a UTC day):

   ``previous_day``
       the UTC day labelled like the day before the reference's day: ``[day(ref) - 1 day, day(ref))``.
   ``previous_hour``
       the whole hour before the reference's hour (an instant rule: hours need no calendar).
   ``previous_month``
       the UTC month labelled like the calendar month before the reference's month.
   ``month_to_date``
       from the start of the month holding the last instant before ``ref`` up to ``ref`` (its local wall
       clock read as UTC); at a month boundary (``ref`` = 1st 00:00 local) that is the whole month that
       just closed, so it is never empty.
   ``last_N_days`` (``last_7_days``, ``last_30_days``…)
       the N whole UTC days before the reference's day: ``[day(ref) - N days, day(ref))``.

3. The run's data interval when it is non-empty.
4. On Airflow 3's zero-length intervals (cron and ``timedelta`` schedules, whose ``data_interval_start ==
   data_interval_end``), the schedule period that just closed, read from the timetable: for ``@daily`` and
   logical date 2026-03-02T00:00Z, ``[2026-03-01, 2026-03-02)``. Cron schedules are evaluated in the
   timetable's zone exactly as Airflow's scheduler evaluates them, across DST changes too, so consecutive
   runs read consecutive, non-overlapping periods.
5. Otherwise (manual or asset-triggered runs without an interval) a
   :class:`~airflow_provider_ldusage.exceptions.LaunchDarklyUsageValidationError` naming the fix.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_ldusage.core.timeconv import iso, to_utc
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.windows.calendar import (
    EPOCH_UTC,
    MonthWindow,
    Window,
    calendar_moment,
    is_blank,
    start_of_day,
    tzinfo_of,
)

if TYPE_CHECKING:
    pass

PRESETS = ("previous_day", "previous_hour", "previous_month", "month_to_date", "last_N_days")
_LAST_N = re.compile(r"last_(\d+)_days")
#: The largest N of ``last_N_days`` (about 27 years: longer than LaunchDarkly keeps usage data).
MAX_LAST_N_DAYS = 9999
_FIX = (
    "give explicit start= and end= (e.g. '{{ data_interval_start | ts }}' or an ISO-8601 instant with "
    "offset), or a window= preset (" + ", ".join(PRESETS) + ")"
)


# --- presets and schedule periods -----------------------------------------------------------------------


def preset_window(name: str, reference: datetime, timezone: Any = None) -> Window:
    """The window a preset names, relative to ``reference`` (aware) on the calendar of ``timezone``.

    :param timezone: the DAG's timezone (default UTC); days and months are picked on its calendar and read
        as UTC days and months (see the module description).
    :raises LaunchDarklyUsageValidationError: for an unknown preset.
    """
    source = f"preset:{name}"
    if name == "previous_hour":
        hour = to_utc(reference, "logical_date").replace(minute=0, second=0, microsecond=0)
        return Window(hour - timedelta(hours=1), hour, source)
    ref = calendar_moment(reference, timezone)
    if name == "previous_day":
        return Window(start_of_day(ref) - timedelta(days=1), start_of_day(ref), source)
    if name == "previous_month":
        month = MonthWindow.of(ref).previous()
        return Window(month.start, month.end, source)
    if name == "month_to_date":
        return Window(MonthWindow.of(ref - timedelta(microseconds=1)).start, ref, source)
    match = _LAST_N.fullmatch(name)
    if match:
        days = int(match.group(1))
        if not 1 <= days <= MAX_LAST_N_DAYS:
            raise LaunchDarklyUsageValidationError(
                "window",
                name,
                f"last_N_days with N from 1 to {MAX_LAST_N_DAYS} (got N={days}), or another preset: "
                + ", ".join(PRESETS),
            )
        return Window(start_of_day(ref) - timedelta(days=days), start_of_day(ref), source)
    raise LaunchDarklyUsageValidationError(
        "window", name, "one of " + ", ".join(PRESETS) + f" (N from 1 to {MAX_LAST_N_DAYS}, e.g. last_7_days)"
    )


def previous_period(timetable: object, reference: datetime) -> Window | None:
    """The schedule period that closed at or before ``reference``, or None for timetables without periods.

    Cron timetables (``@daily``, ``"0 6 * * *"``, ``CronTriggerTimetable``…): ``reference`` is aligned down
    to the latest fire time at or before it, and the window runs from the fire before that to it; fire times
    are computed as Airflow's scheduler computes them, DST changes included. Delta timetables:
    ``[reference - delta, reference)``. Multiple cron timetables: the latest such period.
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


class _CronSteps:
    """Fire times of a cron expression in a zone, stepped as Airflow's core ``CronMixin`` steps them.

    A mirror of ``airflow.timetables._cron.CronMixin._get_prev/_get_next/_align_to_prev`` (core, not
    importable from the task SDK, and private): croniter works on naive wall time; for expressions that
    fire every hour the step is applied to the aware instant (so the repeated hour of a fall-back is not
    skipped and a spring-forward gap is not double-counted), for the others the naive fire time is made
    aware with ``fold=1`` through the zone's ``convert`` (a time in a DST gap moves forward).
    """

    def __init__(self, expression: str, timezone: Any) -> None:
        from croniter import croniter  # already loaded by airflow.sdk's cron timetables

        self.expression = expression
        self.tz = tzinfo_of(timezone)
        self.every_hour = croniter(expression).expanded[1] == ["*"]

    def _naive(self, moment: datetime) -> datetime:
        local = moment.astimezone(self.tz)
        return datetime(
            local.year, local.month, local.day, local.hour, local.minute, local.second, local.microsecond
        )

    def _aware(self, naive: datetime) -> datetime:
        value = naive.replace(fold=1)
        convert = getattr(self.tz, "convert", None)
        aware = convert(value) if convert is not None else value.replace(tzinfo=self.tz)
        return to_utc(aware, "logical_date")

    def _step(self, current: datetime, forward: bool) -> datetime:
        import pendulum
        from croniter import croniter

        naive = self._naive(current)
        steps = croniter(self.expression, start_time=naive)
        scheduled = steps.get_next(datetime) if forward else steps.get_prev(datetime)
        if not self.every_hour:
            # A wall time in a DST gap moves forward when made aware, possibly onto ``current`` itself
            # (02:30 on a spring-forward day is 03:30): step on until the fire time is strictly beyond it.
            found = self._aware(scheduled)
            while (found <= current) if forward else (found >= current):
                scheduled = steps.get_next(datetime) if forward else steps.get_prev(datetime)
                found = self._aware(scheduled)
            return found
        # As Airflow: the naive distance applied to the aware instant (pendulum: days on the calendar,
        # hours and less in absolute time).
        local = pendulum.instance(current).in_timezone(self.tz)
        moved = local + (scheduled - naive) if forward else local - (naive - scheduled)
        return to_utc(moved, "logical_date")

    def prev(self, current: datetime) -> datetime:
        """The latest fire time strictly before ``current``."""
        return self._step(current, forward=False)

    def align_to_prev(self, current: datetime) -> datetime:
        """``current`` when it is a fire time, else the latest fire time before it."""
        before = self.prev(current)
        return current if self._step(before, forward=True) == current else before


def _cron_period(expression: str, timezone: Any, ref: datetime) -> Window:
    steps = _CronSteps(expression, timezone)
    end = steps.align_to_prev(ref)
    return Window(steps.prev(end), end, "timetable")


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
    timezone: Any = None,
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
    :param timezone: the DAG's timezone, whose calendar picks the days and months of presets (default UTC).
    :raises LaunchDarklyUsageValidationError: when no non-empty window can be derived.
    """
    if not is_blank(start) or not is_blank(end):
        for name, value in (("start", start), ("end", end)):
            if is_blank(value):
                raise LaunchDarklyUsageValidationError(
                    name,
                    value,
                    "a value: start and end go together (it rendered empty — on manual or asset-triggered "
                    "runs there is no data interval); " + _FIX,
                )
        return Window(to_utc(start, "start"), to_utc(end, "end"), "explicit")
    reference = logical_date if logical_date is not None else run_after
    if not is_blank(preset):
        if reference is None:
            raise LaunchDarklyUsageValidationError(
                "window", preset, "a run with a logical date or run_after; give explicit start= and end="
            )
        return preset_window(str(preset).strip(), reference, timezone)
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


def split_window(window: Window, max_span_days: int | None) -> list[Window]:
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
        cut = _aligned_cut(cursor, cursor + limit)
        pieces.append(Window(cursor, cut, window.source))
        cursor = cut
    pieces.append(Window(cursor, window.end, window.source))
    return pieces


def _aligned_cut(after: datetime, at_most: datetime) -> datetime:
    # Month starts first for every granularity: a request that began mid-month could restart cumulative
    # (month_to_date) counts at its own ``from`` — LaunchDarkly does not document which it does.
    cut = MonthWindow.of(at_most).start
    if cut > after:
        return cut
    cut = start_of_day(at_most)
    return cut if cut > after else at_most


def preceding_windows(
    window: Window, count: int, *, period: Window | None = None, timetable: object = None
) -> list[Window]:
    """The ``count`` windows right before ``window``, oldest first, each as an earlier run read it.

    Re-landing them under their own names replaces what those runs landed, which is how the operators'
    ``lookback`` converges provisional figures to final ones. Only windows whose predecessors are known
    qualify, so a re-read never lands an object that overlaps another:

    - a window derived from the schedule (``period``: the run's period before alignment, with the DAG's
      ``timetable``) steps back through the schedule's own earlier periods, so a weekday cron's Tuesday
      run re-reads Monday's three-day period, not the weekend's days; the caller aligns each to the
      endpoint's buckets, as those runs did;
    - a preset window that is one whole UTC hour, day or calendar month (``previous_day``,
      ``previous_hour``, ``previous_month``) steps back by that unit;
    - anything else (``month_to_date``, ``last_N_days``, explicit ``start``/``end``) has no earlier runs to
      replace: :class:`~airflow_provider_ldusage.exceptions.LaunchDarklyUsageValidationError`.

    :param window: this run's window, aligned.
    :param count: how many earlier windows.
    :param period: this run's window before alignment, when it came from the schedule.
    :param timetable: the DAG's timetable, to step ``period`` back.
    """
    source = f"lookback:{window.source}"
    unit = _whole_unit(window)
    earlier: list[Window] = []
    if period is not None and window.source in ("timetable", "data_interval") and timetable is not None:
        # The schedule decides, even when this period is one day: a weekday cron's Monday run landed a
        # three-day window, so stepping back by days would overlap it.
        current = period
        for _ in range(count):
            found = previous_period(timetable, current.start)
            if found is None or not found.end <= current.start or found.start >= found.end:
                break
            current = found
            earlier.append(Window(found.start, found.end, source))
        if len(earlier) < count:
            earlier = []
    elif unit == "month":
        month = MonthWindow.of(window.start)
        for _ in range(count):
            month = month.previous()
            earlier.append(Window(month.start, month.end, source))
    elif unit is not None:
        step = window.span
        earlier = [
            Window(window.start - k * step, window.end - k * step, source) for k in range(1, count + 1)
        ]
    if len(earlier) < count:
        raise LaunchDarklyUsageValidationError(
            "lookback",
            count,
            f"0 for the window {window.describe()}: lookback re-reads the windows earlier runs landed, which "
            "is known for one whole UTC hour, day or month (window='previous_day', 'previous_hour', "
            "'previous_month') or for a schedule's own periods, not for month_to_date, last_N_days or "
            "explicit start/end windows",
        )
    return earlier[::-1]


def _whole_unit(window: Window) -> str | None:
    """``hour``, ``day`` or ``month`` when ``window`` is exactly one such UTC unit, else ``None``."""
    month = MonthWindow.of(window.start)
    if window.start == month.start and window.end == month.end:
        return "month"
    for name, length in (("day", timedelta(days=1)), ("hour", timedelta(hours=1))):
        aligned = (window.start - EPOCH_UTC) % length == timedelta(0)
        if window.span == length and aligned:
            return name
    return None
