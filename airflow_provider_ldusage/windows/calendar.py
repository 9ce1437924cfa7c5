"""Windows and months on the DAG's calendar: the half-open UTC :class:`Window`, :class:`MonthWindow`, and
reading an instant on a DAG's timezone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_ldusage.core.timeconv import UTC, iso, to_utc
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError

if TYPE_CHECKING:
    pass

EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


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


# --- the calendar ---------------------------------------------------------------------------------------


def tzinfo_of(timezone: Any) -> Any:
    """A DAG's or timetable's ``timezone`` (name, pendulum or stdlib zone, or None for UTC) as a tzinfo.

    IANA zones come back as pendulum zones, whose ``convert`` resolves wall times in DST gaps and folds the
    way Airflow's scheduler does.
    """
    if timezone is None:
        return UTC
    import pendulum

    if isinstance(timezone, str):
        return pendulum.timezone(timezone)
    if not hasattr(timezone, "convert") and isinstance(getattr(timezone, "key", None), str):
        return pendulum.timezone(timezone.key)  # a stdlib ZoneInfo
    return timezone


def calendar_moment(moment: object, timezone: Any = None, parameter: str = "logical_date") -> datetime:
    """``moment`` read on the calendar of ``timezone``: its local wall clock, labelled as a UTC datetime.

    2026-03-01T00:00+09:00 in Asia/Tokyo gives 2026-03-01T00:00Z (the label "March 1st, midnight"), from
    which days and months are cut as UTC days and months (see the module description).
    """
    local = to_utc(moment, parameter).astimezone(tzinfo_of(timezone))
    return datetime(
        local.year, local.month, local.day, local.hour, local.minute, local.second, local.microsecond, UTC
    )


def is_blank(value: object) -> bool:
    # A template such as "{{ data_interval_start }}" renders to "None" or "" on runs without an interval.
    return value is None or (isinstance(value, str) and value.strip() in ("", "None"))


def start_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class MonthWindow:
    """One calendar month in UTC: ``[start, end)`` with both at 00:00Z.

    :param year: the year.
    :param month: the month, 1..12.
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9998:
            raise LaunchDarklyUsageValidationError("month", f"{self.year}-{self.month}", "a valid month")

    @classmethod
    def parse(cls, value: object, timezone: Any = None) -> MonthWindow:
        """The month named by ``value``: ``"YYYY-MM"``, or a date, aware datetime or ISO string inside it.

        An instant (an aware datetime, an ISO-8601 string with offset) is placed on the calendar of
        ``timezone`` (default UTC; see the module description): 2026-02-28T15:00Z is in ``"2026-03"`` for
        Asia/Tokyo and in ``"2026-02"`` for UTC. Naive datetimes and offset-less date-times are refused, as
        everywhere else in this package.

        :raises LaunchDarklyUsageValidationError: naming ``month``.
        """
        if isinstance(value, MonthWindow):
            return value
        if isinstance(value, datetime):
            label = calendar_moment(value, timezone, "month")
            return cls(label.year, label.month)
        if isinstance(value, date):
            return cls(value.year, value.month)
        if isinstance(value, str):
            text = value.strip()
            matched = _MONTH.match(text)
            if matched:
                return cls(int(matched.group(1)), int(matched.group(2)))
            if len(text) == 10:
                try:
                    return cls.parse(date.fromisoformat(text))
                except ValueError:
                    pass
            elif text and not text.replace(".", "", 1).isdigit():  # epoch numbers are no month
                return cls.parse(to_utc(text, "month"), timezone)
        raise LaunchDarklyUsageValidationError(
            "month", value, "'YYYY-MM', or a date, aware datetime or ISO-8601 string inside the month"
        )

    @classmethod
    def of(cls, moment: datetime) -> MonthWindow:
        """The UTC month holding the aware UTC datetime ``moment`` (no calendar conversion)."""
        return cls(moment.year, moment.month)

    @classmethod
    def closed_before(cls, instant: datetime, timezone: Any = None) -> MonthWindow:
        """The last month that had ended at ``instant`` on the calendar of ``timezone`` (default UTC).

        For 2026-03-01T00:00Z and 2026-03-15 in UTC: February; for 2026-03-01T00:00+09:00 in Asia/Tokyo
        (2026-02-28T15:00Z) also February — the month the DAG's calendar just closed, whose UTC days are then
        judged.
        """
        return cls.parse(instant, timezone).previous()

    def previous(self) -> MonthWindow:
        return MonthWindow(self.year - 1, 12) if self.month == 1 else MonthWindow(self.year, self.month - 1)

    def next(self) -> MonthWindow:
        return MonthWindow(self.year + 1, 1) if self.month == 12 else MonthWindow(self.year, self.month + 1)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        following = self.next()
        return datetime(following.year, following.month, 1, tzinfo=UTC)

    @property
    def days(self) -> tuple[date, ...]:
        count = (self.end - self.start).days
        return tuple(self.start.date() + timedelta(days=i) for i in range(count))

    def __str__(self) -> str:
        return self.label
