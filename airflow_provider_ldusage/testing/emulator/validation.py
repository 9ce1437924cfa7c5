"""Request checks, written independently of the provider's request core: the emulator must catch what a
buggy client sends. Facts (wire names, allowed values, units, limits) come from the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from airflow_provider_ldusage.catalogue import Endpoint
from airflow_provider_ldusage.testing.emulator.data import SeriesQuery, month_start
from airflow_provider_ldusage.testing.emulator.errors import invalid, not_found

UTC = timezone.utc
_INTEGER = re.compile(r"-?[0-9]+")
# Values this large in a seconds field cannot be seconds (year 5138); used by lenient mode only.
_LENIENT_SPLIT = 10**11
_DEFAULT_WINDOW = {
    "start of the current month": None,
    "30 days ago": timedelta(days=30),
    "24 hours ago": timedelta(hours=24),
    "7 days ago": timedelta(days=7),
}
_LEGACY_PROJECT_RULE = (("environmentKey", "projectKey"), ("environment", "project"))


def parse_query(raw: str) -> list[tuple[str, str]]:
    """The query string as (name, value) pairs in arrival order; blank values kept."""
    return parse_qsl(raw, keep_blank_values=True)


@dataclass(frozen=True)
class CheckedRequest:
    """A request that passed every check: the series query plus list-endpoint extras."""

    query: SeriesQuery
    params: Mapping[str, list[str]]


def _multimap(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def _instant(name: str, value: str, unit: str, lenient: bool) -> datetime:
    if not _INTEGER.fullmatch(value.strip()):
        unit_name = "seconds" if unit == "s" else "milliseconds"
        raise invalid(f"'{name}' must be an integer timestamp in Unix {unit_name}")
    number = int(value)
    if lenient:
        unit = "s" if abs(number) < _LENIENT_SPLIT else "ms"
    try:
        if unit == "s":
            return datetime.fromtimestamp(number, UTC)
        return datetime.fromtimestamp(number / 1000, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise invalid(f"'{name}' is out of range") from exc


def check_path(endpoint: Endpoint, path: Mapping[str, str]) -> None:
    """404 for a path value outside the documented set (``source``, ``type``)."""
    for param in endpoint.path_params:
        if param.allowed is not None and path.get(param.wire) not in param.allowed:
            raise not_found()


def check_query(
    endpoint: Endpoint,
    pairs: list[tuple[str, str]],
    path: Mapping[str, str],
    now: datetime,
    *,
    lenient_units: bool = False,
) -> CheckedRequest:
    """Validate the query string of ``endpoint`` at virtual time ``now``; raise :class:`ApiError` (400)."""
    if 400 not in endpoint.status_codes:
        # LaunchDarkly documents no 400 for this route (streams/{source}/sdkversions takes no query
        # parameters): it ignores a query string rather than rejecting it.
        pairs = []
    params = _multimap(pairs)
    by_wire = {p.wire: p for p in endpoint.query_params}
    window = ("from", "to") if endpoint.time_unit is not None else ()
    for name, values in params.items():
        if name in window:
            if len(values) > 1:
                raise invalid(f"query parameter '{name}' may be given only once")
            continue
        param = by_wire.get(name)
        if param is None:
            raise invalid(f"unknown query parameter '{name}'")
        if not param.repeatable and len(values) > 1:
            raise invalid(f"query parameter '{name}' may be given only once")
        if param.allowed is not None:
            for value in values:
                if value not in param.allowed:
                    raise invalid(
                        f"invalid value '{value}' for '{name}'; expected one of {', '.join(param.allowed)}"
                    )
    family = endpoint.family
    aggregation = params.get("aggregationType", [None])[0]
    granularity = params.get("granularity", [None])[0]
    if family.granularity_by_aggregation:
        effective = aggregation or family.default_aggregation
        if granularity is not None and effective is not None:
            allowed = family.granularity_by_aggregation.get(effective, ())
            if granularity not in allowed:
                raise invalid(
                    f"granularity '{granularity}' is not allowed with aggregationType '{effective}'; "
                    f"expected one of {', '.join(allowed)}"
                )
    for env_wire, project_wire in _LEGACY_PROJECT_RULE:
        if env_wire in params and env_wire in by_wire and len(params.get(project_wire, [])) != 1:
            raise invalid(f"'{env_wire}' requires exactly one '{project_wire}'")
    tz = params.get("tz", [None])[0]
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise invalid(f"invalid time zone '{tz}'") from exc
    start, end = now, now
    if endpoint.time_unit is not None:
        unit = endpoint.time_unit
        end = _instant("to", params["to"][0], unit, lenient_units) if "to" in params else now
        if "from" in params:
            start = _instant("from", params["from"][0], unit, lenient_units)
        else:
            back = _DEFAULT_WINDOW.get(endpoint.default_window or "", timedelta(days=30))
            start = month_start(now) if back is None else now - back
        if start >= end:
            raise invalid("'from' must be earlier than 'to'")
        if family.max_span_days is not None and end - start > timedelta(days=family.max_span_days):
            raise invalid(f"the time range must not exceed {family.max_span_days} days")
    filters = {name: values for name, values in params.items() if name not in ("from", "to")}
    group_by = params.get("groupBy", params.get("groupby", []))
    return CheckedRequest(
        SeriesQuery(
            endpoint.operation_id,
            start,
            end,
            aggregation=aggregation,
            granularity=granularity,
            filters=filters,
            group_by=tuple(group_by),
            path=dict(path),
            tz=tz,
        ),
        params,
    )
