"""Turning the many ways users write an instant into one aware UTC datetime, and that into wire units."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import fields
from datetime import date, datetime, timedelta, timezone
from typing import Any

from airflow_provider_ldusage.catalogue import TimeUnit
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError

TimeInput = datetime | str | int | float
"""What ``start``/``end`` accept: aware datetime (pendulum too), ISO-8601 string, epoch seconds or ms."""

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch numbers at or above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is March 1973, so for
# every instant this API can hold the two readings cannot be confused.
_MS_THRESHOLD = 100_000_000_000
# Anything outside this range is a unit mistake (seconds read as ms or the reverse), not a real window.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_RANGE = f"an instant between {EARLIEST:%Y} and {LATEST:%Y} (is the epoch unit right?)"
_ACCEPTED = (
    "an aware datetime, an ISO-8601 string with a UTC offset (e.g. '2026-03-01T00:00:00Z'), "
    "or epoch seconds/milliseconds"
)


def to_utc(value: object, parameter: str) -> datetime:
    """Return ``value`` as an aware UTC datetime or raise naming ``parameter``.

    Naive datetimes and offset-less strings are refused: guessing their zone would silently shift a window.
    """
    if isinstance(value, bool):
        raise LaunchDarklyUsageValidationError(parameter, value, _ACCEPTED)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise LaunchDarklyUsageValidationError(
                parameter,
                value,
                "a naive datetime is ambiguous; give it a timezone (e.g. tzinfo=timezone.utc)",
            )
        result = value.astimezone(UTC)
    elif isinstance(value, date):
        raise LaunchDarklyUsageValidationError(
            parameter, value, f"a date has no time of day or zone; expected {_ACCEPTED}"
        )
    elif isinstance(value, (int, float)):
        result = _from_epoch(value, parameter)
    elif isinstance(value, str):
        result = _from_string(value.strip(), parameter)
    else:
        raise LaunchDarklyUsageValidationError(parameter, value, _ACCEPTED)
    # Every branch must end in UTC: an ISO string keeps its own offset until here, and dropping it in the
    # normalisation below would shift the window by that offset without a word.
    result = result.astimezone(UTC)
    if not EARLIEST <= result < LATEST:
        raise LaunchDarklyUsageValidationError(parameter, value, _RANGE)
    # Normalise to the stdlib type so pendulum subclasses never leak into arithmetic or serialisation.
    return datetime(
        result.year,
        result.month,
        result.day,
        result.hour,
        result.minute,
        result.second,
        result.microsecond,
        tzinfo=UTC,
    )


def _from_epoch(value: float, parameter: str) -> datetime:
    if not math.isfinite(value) or value < 0:
        raise LaunchDarklyUsageValidationError(parameter, value, "a finite, non-negative epoch number")
    try:
        if value >= _MS_THRESHOLD:
            return EPOCH + timedelta(milliseconds=value)
        return EPOCH + timedelta(seconds=value)
    except OverflowError:  # beyond year 9999 even as milliseconds: a unit mistake, not an instant
        raise LaunchDarklyUsageValidationError(parameter, value, _RANGE) from None


def _from_string(text: str, parameter: str) -> datetime:
    if not text:
        raise LaunchDarklyUsageValidationError(parameter, text, f"a non-empty value: {_ACCEPTED}")
    if text.isdigit() or (text.replace(".", "", 1).isdigit() and text.count(".") == 1):
        return _from_epoch(float(text) if "." in text else int(text), parameter)
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise LaunchDarklyUsageValidationError(parameter, text, _ACCEPTED) from None
    if parsed.tzinfo is None:
        raise LaunchDarklyUsageValidationError(
            parameter,
            text,
            "the string has no UTC offset, so its zone would be a guess; add 'Z' or '+00:00' "
            "(in templates use '{{ data_interval_start | ts }}' rather than '{{ ds }}')",
        )
    return parsed


def to_wire(moment: datetime, unit: TimeUnit) -> str:
    """Encode an aware UTC datetime as the endpoint's epoch unit, exactly (integer arithmetic)."""
    step = timedelta(milliseconds=1) if unit == "ms" else timedelta(seconds=1)
    return str((moment - EPOCH) // step)


def from_epoch_ms(value: int) -> datetime:
    """Decode a response ``time`` value (always epoch milliseconds)."""
    return EPOCH + timedelta(milliseconds=value)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with a ``Z`` suffix, second precision unless sub-second parts exist."""
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def json_fields(record: Any, *, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    """A dataclass instance's fields as JSON-ready values, in declaration order.

    Instants become :func:`iso` text, dates ``YYYY-MM-DD``, tuples lists; ``leave_out`` names fields to drop.
    """
    skip = set(leave_out)
    out: dict[str, Any] = {}
    for item in fields(record):
        if item.name in skip:
            continue
        value = getattr(record, item.name)
        if isinstance(value, datetime):
            value = iso(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[item.name] = value
    return out
