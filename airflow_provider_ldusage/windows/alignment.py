"""Aligning a window to the UTC buckets an endpoint reads (hour, midnight, month start)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from airflow_provider_ldusage.core.timeconv import iso
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.windows.calendar import (
    MonthWindow,
    Window,
    is_blank,
    start_of_day,
)

if TYPE_CHECKING:
    from airflow_provider_ldusage.catalogue import Endpoint

# --- alignment to the endpoint's buckets ----------------------------------------------------------------

#: Granularities whose buckets are cut at fixed UTC boundaries (hour, midnight, month start).
BUCKET_GRANULARITIES = ("hourly", "daily", "monthly")
_UNIT = {"hourly": "hour", "daily": "day", "monthly": "month"}
_BOUNDARY = {"hourly": "the full hour", "daily": "00:00Z", "monthly": "00:00Z on the 1st"}
_PRESET_FOR = {"hourly": "previous_hour", "daily": "previous_day", "monthly": "previous_month"}


@dataclass(frozen=True)
class Alignment:
    """What :func:`align_window` made of a window.

    :param window: the window to read (the input itself when ``changed`` is false).
    :param changed: whether start or end moved.
    :param granularity: the bucket size checked (``hourly``, ``daily``, ``monthly``), or ``None`` when
        the endpoint has no fixed UTC buckets (auto-granularity families, lists): nothing was checked.
    :param note: one line for the task log saying what moved and why (empty when nothing did).
    """

    window: Window
    changed: bool
    granularity: str | None
    note: str = ""


def bucket_granularity(endpoint: Endpoint, granularity: object = None) -> str | None:
    """The UTC bucket size a request for ``endpoint`` reads, or ``None`` when it has no fixed buckets.

    ``granularity`` is the rendered argument (blank: the family's default). Endpoints whose family picks
    the bucket itself (``auto_rule``), takes no window, or has no granularity give ``None``.
    """
    family = endpoint.family
    if not endpoint.has_window or family.auto_rule is not None or family.default_granularity is None:
        return None
    chosen = family.default_granularity if is_blank(granularity) else str(granularity).strip()
    return chosen if chosen in BUCKET_GRANULARITIES else None


def floor_to_bucket(moment: datetime, granularity: str) -> datetime:
    """The start of the UTC ``granularity`` bucket holding the aware UTC datetime ``moment``."""
    if granularity == "monthly":
        return MonthWindow.of(moment).start
    if granularity == "daily":
        return start_of_day(moment)
    return moment.replace(minute=0, second=0, microsecond=0)


def align_window(window: Window, endpoint: Endpoint, granularity: object = None) -> Alignment:
    """Fit ``window`` to the UTC buckets ``endpoint`` counts in, or refuse it; never a partial bucket.

    The rule (see also docs/windows.rst):

    - Endpoints without fixed UTC buckets (auto-granularity, lists): unchanged.
    - A window whose start and end lie on bucket boundaries (00:00Z for ``daily``, the 1st at 00:00Z for
      ``monthly``, the full hour for ``hourly``): unchanged.
    - A window derived from the run (``data_interval``, ``timetable``, ``lookback:…``): start and end are
      both floored to the bucket boundary at or before them, so the window is the whole buckets the period
      has completed. Consecutive periods still tile without gap or overlap (a shared boundary floors the
      same way), and every bucket read had ended when the period ended. A ``@daily`` DAG in
      America/New_York (period ``[04:00Z, 04:00Z)``) reads the UTC day ``[00:00Z, 00:00Z)``. A period
      holding no whole bucket (an hourly schedule reading daily buckets) is refused.
    - ``window="month_to_date"``: its end is "now" by definition; only its start (a month start) is checked
      and the unfinished last bucket is read on purpose (the operators mark it provisional).
    - Other presets and explicit ``start``/``end``: refused when misaligned, with the preset that fits
      (``window="previous_day"`` for daily buckets). Explicit instants are what the user asked for, so they
      are never moved silently.

    :param window: from :func:`resolve_window` (its ``source`` decides between aligning and refusing).
    :param endpoint: the catalogue entry of the operation.
    :param granularity: the rendered ``granularity`` argument (blank: the endpoint family's default).
    :raises LaunchDarklyUsageValidationError: naming ``start``, ``end`` or ``window`` and the fix.
    """
    bucket = bucket_granularity(endpoint, granularity)
    if bucket is None:
        return Alignment(window, False, None)
    start_ok = floor_to_bucket(window.start, bucket) == window.start
    end_ok = floor_to_bucket(window.end, bucket) == window.end
    if window.source == "preset:month_to_date":
        end_ok = True
    if start_ok and end_ok:
        return Alignment(window, False, bucket)
    unit, boundary, preset = _UNIT[bucket], _BOUNDARY[bucket], _PRESET_FOR[bucket]
    why = f"{endpoint.method_name} counts in {bucket} buckets cut at {boundary} (UTC)"
    if window.source == "explicit":
        name, value = ("start", window.start) if not start_ok else ("end", window.end)
        raise LaunchDarklyUsageValidationError(
            name,
            iso(value),
            f"an instant at {boundary} UTC: {why}, so this window would land a partial {unit}; give start "
            f"and end on {unit} boundaries (e.g. {iso(floor_to_bucket(value, bucket))}), or drop them and "
            f'use window="{preset}"',
        )
    if window.source.startswith("preset:"):
        raise LaunchDarklyUsageValidationError(
            "window",
            window.source.removeprefix("preset:"),
            f'a preset of whole {unit}s: {why}; use window="{preset}", or a granularity this preset fits',
        )
    aligned_start = floor_to_bucket(window.start, bucket)
    aligned_end = floor_to_bucket(window.end, bucket)
    if aligned_start >= aligned_end:
        raise LaunchDarklyUsageValidationError(
            "window",
            window.describe(),
            f"a period holding at least one whole UTC {unit}: {why}, and this run's period lies inside one "
            f'{unit}, which it would read unfinished; use window="{preset}" or schedule the DAG at least '
            f"{bucket}",
        )
    aligned = Window(aligned_start, aligned_end, window.source)
    note = (
        f"window {window.describe()} aligned to the {bucket} UTC buckets of {endpoint.method_name}: "
        f"{aligned.describe()} (the whole {unit}s the period completed)"
    )
    return Alignment(aligned, True, bucket, note)


def conflicting_window_arguments(start: object, end: object, window: object) -> str | None:
    """A warning when ``window=`` is given together with explicit ``start``/``end``, else ``None``.

    Explicit ``start``/``end`` win (:func:`resolve_window`), so the preset is ignored; the operator logs
    or warns with this text. Blank renders (``""``, ``"None"``) count as not given.

    :param start: the rendered ``start`` argument.
    :param end: the rendered ``end`` argument.
    :param window: the rendered ``window`` argument.
    """
    if is_blank(window) or (is_blank(start) and is_blank(end)):
        return None
    given = " and ".join(n for n, v in (("start", start), ("end", end)) if not is_blank(v))
    return (
        f"window={str(window).strip()!r} is ignored because {given} {'are' if ' and ' in given else 'is'} "
        "given (explicit start/end always win); give either window= or start= and end=, not both"
    )
