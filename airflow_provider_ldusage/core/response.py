"""Interpreting a response: status to exception, body to representation, shape checked."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, overload

from airflow_provider_ldusage.core.ratelimit import retry_after_seconds
from airflow_provider_ldusage.core.request import UsageRequest
from airflow_provider_ldusage.core.scrub import scrub, scrub_optional
from airflow_provider_ldusage.core.statuses import HintContext, rule_for
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageAPIError,
    LaunchDarklyUsageBodyTooLargeError,
    LaunchDarklyUsageInvalidBodyError,
    LaunchDarklyUsageRedirectError,
    LaunchDarklyUsageResponseError,
)

_EXCERPT = 200
_FIELD_LIMIT = 1000
_NUMBER_TYPES = frozenset({int, float})


def server_time(headers: Mapping[str, str]) -> datetime | None:
    """The server's clock from the ``Date`` header (aware UTC), or ``None`` when absent or unreadable.

    The month-end sensor judges "has the month closed and settled?" by LaunchDarkly's clock rather than
    the worker's, so a skewed worker cannot declare a month final early.
    """
    raw = headers.get("date") or headers.get("Date")
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _excerpt(body: bytes, secret: str | None, limit: int = _EXCERPT) -> str:
    """A short, token-free account of a body: scrubbed whole before it is cut, so no half token stays."""
    text = body[: limit * 64].decode("utf-8", errors="replace")
    if "<" in text and ">" in text:
        # An HTML error page from a proxy or load balancer: keep its words, drop the markup.
        text = html.unescape(_TAGS.sub(" ", re.sub(r"(?is)<(script|style).*?</\1>", " ", text)))
    text = scrub(_SPACE.sub(" ", text).strip(), secret)
    return text[:limit] + ("…" if len(text) > limit else "")


def _error_fields(body: bytes, secret: str | None) -> tuple[str | None, str | None, str | None, bool]:
    """``code``, ``message``, ``id`` from a LaunchDarkly error body (scrubbed), and whether it was JSON."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, (_excerpt(body, secret) or None), None, False
    if not isinstance(data, dict):
        return None, _excerpt(body, secret) or None, None, True

    def field(name: str) -> str | None:
        value = data.get(name)
        text = scrub_optional(str(value) if value is not None else None, secret)
        # Scrubbed whole, then cut: an error text stays readable whatever a server puts in a field.
        return text if text is None or len(text) <= _FIELD_LIMIT else text[:_FIELD_LIMIT] + "…"

    return field("code"), field("message"), field("id"), True


def api_error(
    request: UsageRequest,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    retries: int = 0,
    secret: str | None = None,
    now: float = 0.0,
) -> LaunchDarklyUsageAPIError:
    """The exception for an error status; ``secret`` is scrubbed from anything echoed by the server.

    ``now`` (epoch seconds) turns an HTTP-date ``Retry-After`` into seconds.
    """
    code, message, request_id, is_json = _error_fields(body, secret)
    content_type = scrub(headers.get("content-type", ""), secret)
    rule = rule_for(status)
    cls = rule.exception
    hint = rule.hint(HintContext(request, message, retries))
    if not is_json and content_type and "json" not in content_type:
        hint = (hint + ". " if hint else "") + f"The body was {content_type.split(';')[0]}, not JSON"
    return cls(
        status,
        request.method,
        request.path,
        code=code,
        message=message,
        request_id=request_id,
        hint=hint,
        retry_after=retry_after_seconds(headers, now) if rule.reports_retry_after else None,
    )


class _NotAFigure(ValueError):
    """A JSON number no usage figure can be: ``NaN``/``Infinity`` literals or a float out of range."""


def _refuse_constant(literal: str) -> Any:
    raise _NotAFigure(f"the literal {literal} (not JSON, and no count)")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotAFigure(f"the number {text[:40]} (out of the range of a 64-bit float)")
    return value


def redirect_error(
    request: UsageRequest, status: int, headers: Mapping[str, str], *, secret: str | None = None
) -> LaunchDarklyUsageRedirectError:
    """The error for a 3xx: redirects are never followed (the token would travel with the request, and
    another server's body would pass for usage data); the hint names where it pointed, scrubbed."""
    location = scrub(headers.get("location", ""), secret)
    shown = location if len(location) <= 200 else location[:200] + "…"
    where = f"to {shown!r}" if location else "without a Location"
    return LaunchDarklyUsageRedirectError(
        status,
        request.method,
        request.path,
        hint=(
            f"The server redirected {where}; redirects are not followed. Set the connection's host to "
            "the API's own base URL (https://app.launchdarkly.com, https://app.launchdarkly.us or "
            "https://app.eu.launchdarkly.com) or fix the proxy in between"
        ),
    )


def body_too_large(
    request: UsageRequest, headers: Mapping[str, str], max_body_bytes: int | None
) -> LaunchDarklyUsageBodyTooLargeError:
    """The error for a body the transport stopped reading at ``max_body_bytes``."""
    declared = headers.get("content-length", "")
    size = f" (Content-Length {declared})" if declared.isdigit() else ""
    return LaunchDarklyUsageBodyTooLargeError(
        request.method,
        request.path,
        f"the body is larger than max_body_bytes={max_body_bytes}{size}; reading stopped there. Narrow "
        "start/end or the grouping, or raise max_body_bytes (connection extra or hook argument)",
    )


def decode_json(request: UsageRequest, body: bytes, *, secret: str | None = None) -> Any:
    """Parse a 2xx body; a truncated or non-JSON body raises a clear (retryable) error.

    ``NaN``, ``Infinity`` and numbers beyond a float's range (``1e999``) are refused as the wrong shape
    (Python's parser would return ``nan``/``inf``); ``secret`` is scrubbed from any excerpt quoted.
    """
    # Each error is raised after its ``except`` block: raised inside it, the parser's exception would
    # ride along as ``__context__``, and a JSONDecodeError holds the whole body (token and all).
    error: LaunchDarklyUsageResponseError
    try:
        return json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NotAFigure as exc:
        error = _response_error(request, f"{request.endpoint.response_kind}: the body holds {exc}", secret)
    except RecursionError:
        error = _response_error(request, "the body nests JSON too deeply to be a usage response", secret)
    except (ValueError, UnicodeDecodeError) as exc:
        error = _invalid_body(request, body, exc, secret)
    raise error


def _response_error(
    request: UsageRequest, problem: str, secret: str | None
) -> LaunchDarklyUsageResponseError:
    """The error for a body of the wrong shape, its text (which may quote the body) scrubbed."""
    return LaunchDarklyUsageResponseError(request.method, request.path, scrub(problem, secret))


def _invalid_body(
    request: UsageRequest, body: bytes, exc: Exception, secret: str | None
) -> LaunchDarklyUsageInvalidBodyError:
    return LaunchDarklyUsageInvalidBodyError(
        request.method,
        request.path,
        scrub(
            f"the body is not valid JSON ({exc.__class__.__name__}: {exc}); "
            f"{len(body)} bytes starting {_excerpt(body, secret, limit=80)!r}",
            secret,
        ),
    )


def check_shape(request: UsageRequest, data: Any, *, secret: str | None = None) -> Any:
    """Check ``data`` against the endpoint's 200 schema; return it unchanged.

    Extra fields are tolerated (the API is beta and grows); missing required fields and non-numeric
    series values are not. Every kind is a JSON object except ``SdkVersionDetailsList`` (a JSON array).
    A bucket ``time`` must be an instant a datetime can hold (year 1 to 9999). Values quoted in an error
    have ``secret`` scrubbed from them.
    """
    kind = request.endpoint.response_kind

    def fail(problem: str) -> LaunchDarklyUsageResponseError:
        return _response_error(request, f"{kind}: {problem}", secret)

    if kind == "SdkVersionDetailsList":
        _check_sdk_details(data, fail)
        return data
    if not isinstance(data, dict):
        raise fail(f"expected a JSON object, got {type(data).__name__}")
    if kind == "DataExportProjectRankingRep":
        _check_ranking(data, fail)
        return data
    if not isinstance(data.get("_links"), dict):
        raise fail("missing or non-object '_links'")
    if kind == "SdkListRep":
        sdks = data.get("sdks")
        if not isinstance(sdks, list) or not all(isinstance(s, str) for s in sdks):
            raise fail("'sdks' must be a list of strings")
        return data
    if kind == "SdkVersionListRep":
        versions = data.get("sdkVersions")
        if not isinstance(versions, list) or not all(
            isinstance(v, dict) and isinstance(v.get("sdk"), str) and isinstance(v.get("version"), str)
            for v in versions
        ):
            raise fail("'sdkVersions' must be a list of {sdk, version} string objects")
        return data
    metadata = data.get("metadata")
    series = data.get("series")
    if not isinstance(metadata, list) or not all(isinstance(m, dict) for m in metadata):
        raise fail("'metadata' must be a list of objects")
    if not isinstance(series, list):
        raise fail("'series' must be a list")
    for position, point in enumerate(series):
        _check_slice(request, position, point, secret)
    if kind == "DataExportSeriesListRep":
        _check_freshness(data, fail)
    return data


_Fail = Callable[[str], LaunchDarklyUsageResponseError]


def _is_int(value: Any) -> bool:
    return type(value) is int  # bool is no count


def _check_freshness(data: Mapping[str, Any], fail: _Fail) -> None:
    """``dataThrough`` (RFC 3339) and ``delayed`` (boolean) are optional, but typed when present."""
    through = data.get("dataThrough")
    if through is not None:
        if not isinstance(through, str):
            raise fail(f"'dataThrough' = {through!r} is not an RFC 3339 string")
        try:
            datetime.fromisoformat(through.replace("Z", "+00:00"))
        except ValueError:
            readable = False
        else:
            readable = True
        if not readable:  # raised outside the except: the parser's error quotes the value unscrubbed
            raise fail(f"'dataThrough' = {through!r} is not an RFC 3339 timestamp")
    delayed = data.get("delayed")
    if delayed is not None and not isinstance(delayed, bool):
        raise fail(f"'delayed' = {delayed!r} is not a boolean")


def _check_ranking(data: Mapping[str, Any], fail: _Fail) -> None:
    items, page, scope = data.get("items"), data.get("page"), data.get("scope")
    if not isinstance(items, list):
        raise fail("'items' must be a list")
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise fail(f"items[{position}] is not an object")
        if not isinstance(item.get("projectKey"), str):
            raise fail(f"items[{position}] has no string 'projectKey'")
        for name in ("rank", "usage"):
            if not _is_int(item.get(name)):
                raise fail(f"items[{position}][{name!r}] = {item.get(name)!r} is not an integer")
        components = item.get("components")
        if not isinstance(components, dict) or not _is_int(components.get("streaming")):
            raise fail(f"items[{position}]['components'] has no integer 'streaming'")
    if not isinstance(page, dict):
        raise fail("missing or non-object 'page'")
    for name in ("limit", "count", "totalCount"):
        if not _is_int(page.get(name)):
            raise fail(f"page[{name!r}] = {page.get(name)!r} is not an integer")
    cursor = page.get("nextCursor")
    if cursor is not None and (not isinstance(cursor, str) or not cursor):
        raise fail(f"page['nextCursor'] = {cursor!r} is not a non-empty string")
    if not isinstance(scope, dict):
        raise fail("missing or non-object 'scope'")


_SDK_DETAIL_FIELDS = frozenset(
    (
        "name",
        "version",
        "type",
        "projectId",
        "projectKey",
        "projectName",
        "environmentId",
        "environmentKey",
        "environmentName",
        "applicationId",
        "ldLatestVersion",
        "eolStatus",
        "latestReleaseUrl",
        "connectionType",
        "relayVersion",
        "relayEolStatus",
        "relayLatestVersion",
        "relayLatestReleaseUrl",
    )
)


def _check_sdk_details(data: Any, fail: _Fail) -> None:
    if not isinstance(data, list):
        raise fail(f"expected a JSON array, got {type(data).__name__}")
    for position, item in enumerate(data):
        if not isinstance(item, dict):
            raise fail(f"[{position}] is not an object")
        # Every documented field is optional text or null; undocumented extras are tolerated.
        for key in _SDK_DETAIL_FIELDS.intersection(item):
            value = item[key]
            if value is not None and not isinstance(value, str):
                raise fail(f"[{position}][{key!r}] = {value!r} is not a string")


# Bucket times (epoch ms) a datetime can hold: 0001-01-01 to 9999-12-31T23:59:59.999Z.
_MIN_TIME_MS = -62_135_596_800_000
_MAX_TIME_MS = 253_402_300_799_999


def _check_slice(request: UsageRequest, position: int, point: Any, secret: str | None = None) -> None:
    def fail(problem: str) -> LaunchDarklyUsageResponseError:
        return _response_error(request, f"{request.endpoint.response_kind}: {problem}", secret)

    if not isinstance(point, dict):
        raise fail(f"series[{position}] is not an object")
    if "time" not in point:
        raise fail(f"series[{position}] has no 'time'")
    # The set of value types is built in C; only a bad slice pays for the per-key search.
    # (bool is an int subclass, so exact types are compared: true/false is no count.)
    if not _NUMBER_TYPES.issuperset(map(type, point.values())):
        key, value = next((k, v) for k, v in point.items() if type(v) not in _NUMBER_TYPES)
        raise fail(f"series[{position}][{key!r}] = {value!r} is not a number")
    moment = point["time"]
    if not _MIN_TIME_MS <= moment <= _MAX_TIME_MS:  # NaN and inf are refused by the parsers already
        raise fail(
            f"series[{position}]['time'] = {moment!r} ms is not an instant a timestamp can hold "
            "(years 1 to 9999)"
        )


def decode_checked(request: UsageRequest, body: bytes, *, secret: str | None = None) -> Any:
    """Parse and shape-check a 2xx body in one go (what every hook method returns): a dict, or for
    ``SdkVersionDetailsList`` a list of dicts. ``secret`` is scrubbed from any error text."""
    return check_shape(request, decode_json(request, body, secret=secret), secret=secret)


class LazySeries(Sequence[dict[str, Any]]):
    """The ``series`` of a series response, decoded one time slice per access and checked as it is.

    The body stays bytes; each slice is a zero-copy view into it until it is read. A year of hourly data
    for a thousand series is ~9 M points: as Python dicts that is several GB, as bytes a tenth of it.

    :param request: the request the body answers (for error messages).
    :param raws: the undecoded slices.
    :param secret: scrubbed from any value an error quotes.
    """

    def __init__(self, request: UsageRequest, raws: list[Any], secret: str | None = None) -> None:
        import msgspec

        self._request = request
        self._raws = raws
        self._secret = secret
        self._decode = msgspec.json.Decoder().decode
        self._error = msgspec.DecodeError

    def __len__(self) -> int:
        return len(self._raws)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._load(i) for i in range(*index.indices(len(self._raws)))]
        return self._load(index if index >= 0 else index + len(self._raws))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for position in range(len(self._raws)):
            yield self._load(position)

    def _load(self, position: int) -> dict[str, Any]:
        try:
            point = self._decode(self._raws[position])
        except self._error as exc:  # 1e999 passes the envelope (slices are only delimited there)
            problem = f"{self._request.endpoint.response_kind}: series[{position}]: {exc}"
        else:
            _check_slice(self._request, position, point, self._secret)
            result: dict[str, Any] = point
            return result
        raise _response_error(self._request, problem, self._secret)  # outside the except: no __context__


def decode_lazily(request: UsageRequest, body: bytes, *, secret: str | None = None) -> Any:
    """Like :func:`decode_checked`, but a series response's ``series`` is a :class:`LazySeries`.

    The envelope (``_links``, ``metadata`` and the slice boundaries) is parsed and checked now, so a
    truncated or malformed body still fails here, before anything is written downstream.
    """
    if not request.endpoint.is_series:
        return decode_checked(request, body, secret=secret)
    import msgspec

    kind = request.endpoint.response_kind
    error: LaunchDarklyUsageResponseError | None = None
    malformed = False
    try:
        envelope: Any = msgspec.json.decode(body, type=_envelope_type())
    except msgspec.ValidationError as exc:  # valid JSON, wrong shape: not worth a retry
        error = _response_error(request, f"{kind}: {exc}", secret)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        error = _invalid_body(request, body, exc, secret)
        # msgspec calls NaN/Infinity malformed JSON; the plain parser tells that wrong data (not retried)
        # from a body cut short (retried), as the plain path does.
        malformed = True
    if malformed:
        decode_json(request, body, secret=secret)  # raises the plain path's error for this body
    if error is not None:  # raised outside the except: the decoder's error stays out of the chain
        raise error
    result: dict[str, Any] = {
        "_links": envelope.links,
        "metadata": envelope.metadata,
        "series": LazySeries(request, envelope.series, secret),
    }
    if request.endpoint.has_freshness:
        fresh = {name: getattr(envelope, name) for name in ("dataThrough", "delayed")}
        _check_freshness(fresh, lambda problem: _response_error(request, f"{kind}: {problem}", secret))
        result.update({k: v for k, v in fresh.items() if v is not None})
    return result


@cache
def _envelope_type() -> type:
    """The msgspec schema of a series envelope (built on first use: msgspec is imported lazily)."""
    import msgspec

    # defstruct takes real types: a class body here would see only string annotations.
    return msgspec.defstruct(
        "SeriesEnvelope",
        [
            ("links", dict[str, Any]),
            ("metadata", list[dict[str, Any]]),
            ("series", list[msgspec.Raw]),
            # DataExportSeriesListRep's freshness; absent elsewhere (typed loosely, checked afterwards).
            ("dataThrough", Any, None),
            ("delayed", Any, None),
        ],
        rename={"links": "_links"},
    )
