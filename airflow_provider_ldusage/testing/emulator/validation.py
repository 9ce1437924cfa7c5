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
from airflow_provider_ldusage.testing.emulator.data import SeriesQuery
from airflow_provider_ldusage.testing.emulator.errors import invalid, not_found

UTC = timezone.utc
_INTEGER = re.compile(r"-?[0-9]+")
# Values this large in a seconds field cannot be seconds (year 5138); used by lenient mode only.
_LENIENT_SPLIT = 10**11


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
        # The usual cause is the other unit: milliseconds (13 digits today) sent where seconds belong.
        if unit == "s":
            hint = "this endpoint takes Unix seconds (10 digits today), not milliseconds"
        else:
            hint = "this endpoint takes Unix milliseconds (13 digits today)"
        raise invalid(f"'{name}' is out of range: {hint}") from exc


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
        if param.allowed is not None and param.only_value is None:
            # A deprecated only_value parameter accepts any value: the others return an empty series.
            for value in values:
                if value not in param.allowed:
                    raise invalid(
                        f"invalid value '{value}' for '{name}'; expected one of {', '.join(param.allowed)}"
                    )
        if param.integer:
            for value in values:
                if not _INTEGER.fullmatch(value.strip()):
                    raise invalid(f"'{name}' must be an integer")
                number = int(value)
                if (param.minimum is not None and number < param.minimum) or (
                    param.maximum is not None and number > param.maximum
                ):
                    raise invalid(f"'{name}' must be between {param.minimum} and {param.maximum}")
        if param.max_unique is not None and len(set(values)) > param.max_unique:
            raise invalid(f"at most {param.max_unique} unique '{name}' values are allowed")
        other = endpoint.query_param(param.excludes) if param.excludes else None
        if other is not None and other.wire in params:
            raise invalid(f"'{name}' cannot be combined with '{other.wire}'")
    for rule in endpoint.rules:
        trigger, needed = endpoint.query_param(rule.param), endpoint.query_param(rule.needs)
        if trigger is None or needed is None or rule.value not in params.get(trigger.wire, []):
            continue
        count = len(set(params.get(needed.wire, [])))
        if count == 0:
            raise invalid(f"'{trigger.wire}={rule.value}' requires at least one '{needed.wire}'")
        if rule.max_unique is not None and count > rule.max_unique:
            raise invalid(
                f"'{trigger.wire}={rule.value}' allows at most {rule.max_unique} unique "
                f"'{needed.wire}' values"
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
    by_name = {p.name: p for p in endpoint.query_params}
    for param in endpoint.query_params:
        single = by_name.get(param.needs_single or "")
        if single is not None and param.wire in params and len(params.get(single.wire, [])) != 1:
            raise invalid(f"'{param.wire}' requires exactly one '{single.wire}'")
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
        elif endpoint.default_start is not None:
            start = endpoint.default_start.resolve(now)
        else:
            raise invalid("'from' is required")
        if "to" not in params and endpoint.window_required:
            raise invalid("'to' is required")
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
