"""Building a request: validate the arguments of one operation and turn them into path and query pairs.

Everything here runs before a socket is opened, so a bad argument never costs a request.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from airflow_provider_ldusage.catalogue import BETA_HEADER, Endpoint, QueryParam, TimeUnit
from airflow_provider_ldusage.core.timeconv import iso, to_utc, to_wire
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UsageRequest:
    """A validated request, ready for any transport.

    :param endpoint: the catalogue entry.
    :param path: the path with path parameters filled in and percent-encoded.
    :param params: query pairs in send order; repeatable filters appear once per value.
    :param start: the window start as aware UTC datetime, if given.
    :param end: the window end as aware UTC datetime, if given.
    :param time_unit: the unit ``from``/``to`` were encoded in.
    """

    endpoint: Endpoint
    path: str
    params: tuple[tuple[str, str], ...]
    start: datetime | None = None
    end: datetime | None = None
    time_unit: TimeUnit | None = None

    @property
    def method(self) -> str:
        return "GET"

    @property
    def route(self) -> str:
        """The rate-limit route key: LaunchDarkly limits per method + path pattern."""
        return self.endpoint.operation_id

    def describe(self) -> str:
        """One line for logs: method, path and window, never headers."""
        window = ""
        if self.start or self.end:
            window = f" [{iso(self.start) if self.start else '…'} .. {iso(self.end) if self.end else 'now'})"
        return f"{self.method} {self.path}{window}"


def request_headers(token: str, user_agent: str) -> dict[str, str]:
    """The headers of every call: the raw token (no ``Bearer``), exactly one beta header, JSON."""
    return {
        "Authorization": token,
        BETA_HEADER[0]: BETA_HEADER[1],
        "Accept": "application/json",
        "User-Agent": user_agent,
    }


def build_request(
    endpoint: Endpoint,
    arguments: Mapping[str, object],
    *,
    now: datetime | None = None,
) -> UsageRequest:
    """Validate ``arguments`` (Python names, ``None`` meaning absent) and build the request.

    :param endpoint: the operation's catalogue entry.
    :param arguments: the caller's keyword arguments.
    :param now: the current instant, used to check the span when only ``start`` is given.
    :raises LaunchDarklyUsageValidationError: naming the parameter, the value and what is allowed.
    """
    _reject_unknown(endpoint, arguments)
    path = _fill_path(endpoint, arguments)
    pairs: list[tuple[str, str]] = []
    start = end = None
    unit: TimeUnit | None = None
    if endpoint.has_window:
        unit = _time_unit(endpoint, arguments.get("time_unit"))
        start, end = _window(endpoint, arguments.get("start"), arguments.get("end"), now)
        if start is not None:
            pairs.append(("from", to_wire(start, unit)))
        if end is not None:
            pairs.append(("to", to_wire(end, unit)))
        if start is not None and end is not None and pairs[0][1] == pairs[1][1]:
            raise LaunchDarklyUsageValidationError(
                "end", end, f"an instant at least one {unit} after start once encoded in {unit}"
            )
        if endpoint.window_required:
            for name, given in (("start", start), ("end", end)):
                if given is None:
                    raise LaunchDarklyUsageValidationError(
                        name, None, f"an instant: {endpoint.method_name} requires both start and end"
                    )
    values = {p.name: _values(p, arguments.get(p.name)) for p in endpoint.query_params}
    _check_dependencies(endpoint, values)
    _check_rules(endpoint, values)
    _check_granularity(endpoint, values)
    for param in endpoint.query_params:
        if param.only_value is not None and values[param.name]:
            # Deprecated: the one value that returns data equals omitting it, so it is not sent.
            log.warning(
                "%s: %s=%r is deprecated and equals omitting it; not sending it",
                endpoint.method_name,
                param.name,
                param.only_value,
            )
            continue
        pairs.extend((param.wire, v) for v in values[param.name])
    return UsageRequest(endpoint, path, tuple(pairs), start, end, unit)


def _reject_unknown(endpoint: Endpoint, arguments: Mapping[str, object]) -> None:
    if endpoint.accepted_names.issuperset(arguments):
        return
    known = sorted(endpoint.accepted_names)
    for name, value in arguments.items():
        if name not in endpoint.accepted_names:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LaunchDarklyUsageValidationError(
                name, value, f"not an argument of {endpoint.method_name}{hint}; it takes {', '.join(known)}"
            )


def _fill_path(endpoint: Endpoint, arguments: Mapping[str, object]) -> str:
    """The path with its parameters filled in.

    The rule: a path parameter must be a non-empty string that is not ``.`` or ``..`` (surrounding
    whitespace ignored for that check); anything else is percent-encoded as a single segment
    (``quote(value, safe="")``), so ``/``, ``?``, ``#``, ``%`` and spaces become ``%2F``, ``%3F``, ``%23``,
    ``%25``, ``%20`` and can neither add a path segment, a query nor a fragment. A key that does not exist
    earns LaunchDarkly's 404.
    """
    path = endpoint.path
    for param in endpoint.path_params:
        value = arguments.get(param.name)
        segment = path_segment(param.name, value, endpoint.method_name)
        if param.allowed is not None and value not in param.allowed:
            raise LaunchDarklyUsageValidationError(param.name, value, _one_of(param.allowed, str(value)))
        path = path.replace("{" + param.wire + "}", segment)
    return path


def path_segment(name: str, value: object, method_name: str) -> str:
    """``value`` as one percent-encoded path segment of ``method_name``'s path (the rule of
    :func:`_fill_path`), or a :class:`LaunchDarklyUsageValidationError` naming ``name``.

    :param name: the parameter, as the error names it.
    :param value: what was given.
    :param method_name: the operation whose path it fills, as the error names it.
    """
    if not isinstance(value, str) or not value.strip():
        raise LaunchDarklyUsageValidationError(
            name, value, f"a non-empty string (path parameter of {method_name})"
        )
    if value.strip() in (".", ".."):
        # Dot segments: clients and servers resolve them, sending the token to another API path
        # (evaluations/../../streams is GET /api/v2/streams). Percent-encoding does not stop that.
        raise LaunchDarklyUsageValidationError(
            name,
            value,
            f"a key, not '.' or '..' (a dot segment would change the request path of {method_name})",
        )
    # Everything else is one percent-encoded segment: '/', '?', '#', '%' and spaces cannot leave it.
    return quote(value, safe="")


def _time_unit(endpoint: Endpoint, override: object) -> TimeUnit:
    if override is None:
        assert endpoint.time_unit is not None  # has_window guarantees it
        return endpoint.time_unit
    if override not in ("ms", "s"):
        raise LaunchDarklyUsageValidationError("time_unit", override, "'ms' or 's' (or None for the default)")
    return "ms" if override == "ms" else "s"


def _window(
    endpoint: Endpoint, raw_start: object, raw_end: object, now: datetime | None
) -> tuple[datetime | None, datetime | None]:
    start = None if raw_start is None else to_utc(raw_start, "start")
    end = None if raw_end is None else to_utc(raw_end, "end")
    if start is not None and end is not None and start >= end:
        raise LaunchDarklyUsageValidationError(
            "end", raw_end, f"an instant after start ({iso(start)}); got {iso(end)}"
        )
    limit = endpoint.max_span_days
    effective_end = end if end is not None else now
    if (
        limit is not None
        and start is not None
        and effective_end is not None
        and effective_end - start > timedelta(days=limit)
    ):
        raise LaunchDarklyUsageValidationError(
            "start",
            raw_start,
            f"a window of at most {limit} days for {endpoint.method_name}; "
            f"{iso(start)} .. {iso(effective_end)} spans {(effective_end - start).days} days "
            "(the operators split longer windows for you)",
        )
    return start, end


def _values(param: QueryParam, raw: object) -> list[str]:
    if raw is None:
        return []
    items: Sequence[object]
    if param.integer:
        return [_integer(param, raw)]
    if isinstance(raw, (str, bool)):
        items = [raw]
    elif isinstance(raw, (list, tuple)):
        items = raw
        if not items:
            raise LaunchDarklyUsageValidationError(
                param.name, raw, "at least one value, or None to leave the filter out"
            )
    else:
        raise LaunchDarklyUsageValidationError(param.name, raw, "a string or a list of strings")
    if len(items) > 1 and not param.repeatable:
        raise LaunchDarklyUsageValidationError(
            param.name, raw, "a single value (LaunchDarkly does not repeat it)"
        )
    out: list[str] = []
    for item in items:
        text = ("true" if item else "false") if isinstance(item, bool) else item
        if not isinstance(text, str) or not text.strip():
            raise LaunchDarklyUsageValidationError(param.name, item, "a non-empty string")
        if param.only_value is not None and text != param.only_value:
            raise LaunchDarklyUsageValidationError(
                param.name,
                item,
                f"only {param.only_value!r}, or leave it out: the parameter is deprecated and LaunchDarkly "
                "returns an empty series for any other value",
            )
        if param.allowed is not None and text not in param.allowed:
            raise LaunchDarklyUsageValidationError(param.name, item, _one_of(param.allowed, text))
        out.append(text)
    # A repeated value filters nothing more: sent once, so one request has one identity (and one cache
    # key, one object name) whether a template rendered ['a', 'a'] or ['a'].
    out = list(dict.fromkeys(out))
    if param.max_unique is not None and len(out) > param.max_unique:
        raise LaunchDarklyUsageValidationError(
            param.name, raw, f"at most {param.max_unique} distinct values; got {len(out)}"
        )
    return out


def _integer(param: QueryParam, raw: object) -> str:
    """An integer parameter as its wire text; a decimal string is accepted (templated fields render text)."""
    if param.minimum is not None and param.maximum is not None:
        wanted = f"an integer from {param.minimum} to {param.maximum}"
    elif param.minimum is not None:
        wanted = f"an integer of at least {param.minimum}"
    elif param.maximum is not None:
        wanted = f"an integer of at most {param.maximum}"
    else:
        wanted = "an integer"
    number: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    elif isinstance(raw, str) and raw.strip().removeprefix("-").isdigit():
        number = int(raw.strip())
    if number is None:
        raise LaunchDarklyUsageValidationError(param.name, raw, wanted)
    if (param.minimum is not None and number < param.minimum) or (
        param.maximum is not None and number > param.maximum
    ):
        raise LaunchDarklyUsageValidationError(param.name, raw, wanted)
    return str(number)


def _check_dependencies(endpoint: Endpoint, values: Mapping[str, list[str]]) -> None:
    for param in endpoint.query_params:
        if param.needs_single and values[param.name] and len(values[param.needs_single]) != 1:
            raise LaunchDarklyUsageValidationError(
                param.needs_single,
                values[param.needs_single] or None,
                f"exactly one value when {param.name} is given (LaunchDarkly's rule)",
            )


def _check_rules(endpoint: Endpoint, values: Mapping[str, list[str]]) -> None:
    """Cross-parameter rules: mutually exclusive parameters and the catalogue's ``ValueNeeds``."""
    for param in endpoint.query_params:
        if param.excludes and values[param.name] and values[param.excludes]:
            raise LaunchDarklyUsageValidationError(
                param.name,
                _shown(values[param.name]),
                f"not together with {param.excludes}={_shown(values[param.excludes])!r} "
                "(LaunchDarkly accepts one or the other); give only one of them",
            )
    for rule in endpoint.rules:
        if rule.value not in values[rule.param]:
            continue
        distinct = len(set(values[rule.needs]))
        limit = rule.max_unique
        if distinct == 0 or (limit is not None and distinct > limit):
            between = f"between 1 and {limit}" if limit is not None else "at least 1"
            raise LaunchDarklyUsageValidationError(
                rule.needs,
                _shown(values[rule.needs]) if values[rule.needs] else None,
                f"{between} distinct values when {rule.param}={rule.value!r} (LaunchDarkly's rule); "
                f"got {distinct}",
            )


def _shown(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def _check_granularity(endpoint: Endpoint, values: Mapping[str, list[str]]) -> None:
    family = endpoint.family
    if "granularity" not in values or not values["granularity"]:
        return
    given = values.get("aggregation_type")
    aggregation = given[0] if given else family.default_aggregation
    assert aggregation is not None  # families with granularity have a default aggregation
    allowed = family.granularity_by_aggregation[aggregation]
    granularity = values["granularity"][0]
    if granularity not in allowed:
        raise LaunchDarklyUsageValidationError(
            "granularity",
            granularity,
            f"with aggregation_type={aggregation!r} {endpoint.method_name} allows only "
            f"{', '.join(repr(a) for a in allowed)}",
        )


def _one_of(allowed: Sequence[str], got: str) -> str:
    text = "one of " + ", ".join(repr(a) for a in allowed)
    folded = [a for a in allowed if a.lower() == got.lower()]
    if folded:
        text += f" (values are case-sensitive: did you mean {folded[0]!r}?)"
    return text
