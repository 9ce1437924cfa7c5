"""Interpreting a response: status to exception, body to representation, shape checked."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, overload

from airflow_provider_ldusage.core.ratelimit import retry_after_seconds
from airflow_provider_ldusage.core.request import UsageRequest
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageAPIError,
    LaunchDarklyUsageAuthError,
    LaunchDarklyUsageBadRequestError,
    LaunchDarklyUsageConflictError,
    LaunchDarklyUsageForbiddenError,
    LaunchDarklyUsageInvalidBodyError,
    LaunchDarklyUsageNotFoundError,
    LaunchDarklyUsageRateLimitError,
    LaunchDarklyUsageResponseError,
    LaunchDarklyUsageServerError,
)

_EXCERPT = 200
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


def _excerpt(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    if "<" in text and ">" in text:
        # An HTML error page from a proxy or load balancer: keep its words, drop the markup.
        text = html.unescape(_TAGS.sub(" ", re.sub(r"(?is)<(script|style).*?</\1>", " ", text)))
    text = _SPACE.sub(" ", text).strip()
    return text[:_EXCERPT] + ("…" if len(text) > _EXCERPT else "")


def _error_fields(body: bytes) -> tuple[str | None, str | None, str | None, bool]:
    """``code``, ``message``, ``id`` from a LaunchDarkly error body, and whether the body was JSON."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, (_excerpt(body) or None), None, False
    if not isinstance(data, dict):
        return None, _excerpt(body) or None, None, True

    def field(name: str) -> str | None:
        value = data.get(name)
        return str(value) if value is not None else None

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
    code, message, request_id, is_json = _error_fields(body)
    if message and secret:
        message = message.replace(secret, "***")
    content_type = headers.get("content-type", "")
    cls: type[LaunchDarklyUsageAPIError] = LaunchDarklyUsageAPIError
    hint: str | None = None
    if status == 400:
        cls, hint = LaunchDarklyUsageBadRequestError, "LaunchDarkly rejected the parameters"
    elif status == 401:
        cls = LaunchDarklyUsageAuthError
        hint = "The access token is invalid, expired or lacks access; check the connection's password"
    elif status == 403:
        cls = LaunchDarklyUsageForbiddenError
        if message and "beta" in message.lower():
            hint = (
                "LaunchDarkly refused the request for lack of the `LD-API-Version: beta` header. This "
                "provider always sends exactly one; a proxy between Airflow and LaunchDarkly may be "
                "stripping or duplicating it"
            )
        else:
            hint = "The token's role may not read account usage; give it a role with usage read access"
    elif status == 404:
        cls = LaunchDarklyUsageNotFoundError
        hint = "Check the path values (project, environment, flag keys, source or type)"
    elif status == 409:
        cls, hint = LaunchDarklyUsageConflictError, conflict_hint(request)
    elif status == 429:
        cls, hint = LaunchDarklyUsageRateLimitError, f"Still rate limited after {retries} retries"
    elif status >= 500:
        cls, hint = LaunchDarklyUsageServerError, f"Still failing after {retries} retries"
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
        retry_after=retry_after_seconds(headers, now) if status in (429, 503) else None,
    )


def conflict_hint(request: UsageRequest) -> str:
    """What to change after a 409 (usage LaunchDarkly cannot attribute to a project), in one sentence.

    Grouping by the value a catalogue rule ties to explicit filters (``group_by='projectId'``) is what
    triggers it on series endpoints; on the project ranking it is the window itself.
    """
    endpoint = request.endpoint
    sent = set(request.params)
    for rule in endpoint.rules:
        param = endpoint.query_param(rule.param)
        if param is not None and (param.wire, rule.value) in sent:
            return (
                f"Some usage in the window cannot be attributed to a project. Remove {rule.param}="
                f"{rule.value!r} (group by 'environmentId' instead, or keep only the {rule.needs} filter, "
                "which needs no attribution), or narrow start/end to a period without that usage"
            )
    if endpoint.paging is not None:
        return (
            "Some usage in the window cannot be attributed to a project, so no ranking is given. Narrow "
            "start/end to a period without that usage"
        )
    return "Some usage in the window cannot be attributed; narrow start/end or remove the grouping"


def decode_json(request: UsageRequest, body: bytes) -> Any:
    """Parse a 2xx body; a truncated or non-JSON body raises a clear (retryable) error."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _invalid_body(request, body, exc) from None


def _invalid_body(request: UsageRequest, body: bytes, exc: Exception) -> LaunchDarklyUsageInvalidBodyError:
    return LaunchDarklyUsageInvalidBodyError(
        request.method,
        request.path,
        f"the body is not valid JSON ({exc.__class__.__name__}: {exc}); "
        f"{len(body)} bytes starting {_excerpt(body[:80])!r}",
    )


def check_shape(request: UsageRequest, data: Any) -> Any:
    """Check ``data`` against the endpoint's 200 schema; return it unchanged.

    Extra fields are tolerated (the API is beta and grows); missing required fields and non-numeric
    series values are not. Every kind is a JSON object except ``SdkVersionDetailsList`` (a JSON array).
    """
    kind = request.endpoint.response_kind

    def fail(problem: str) -> LaunchDarklyUsageResponseError:
        return LaunchDarklyUsageResponseError(request.method, request.path, f"{kind}: {problem}")

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
        _check_slice(request, position, point)
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
            raise fail(f"'dataThrough' = {through!r} is not an RFC 3339 timestamp") from None
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


def _check_slice(request: UsageRequest, position: int, point: Any) -> None:
    def fail(problem: str) -> LaunchDarklyUsageResponseError:
        kind = request.endpoint.response_kind
        return LaunchDarklyUsageResponseError(request.method, request.path, f"{kind}: {problem}")

    if not isinstance(point, dict):
        raise fail(f"series[{position}] is not an object")
    if "time" not in point:
        raise fail(f"series[{position}] has no 'time'")
    # The set of value types is built in C; only a bad slice pays for the per-key search.
    # (bool is an int subclass, so exact types are compared: true/false is no count.)
    if not _NUMBER_TYPES.issuperset(map(type, point.values())):
        key, value = next((k, v) for k, v in point.items() if type(v) not in _NUMBER_TYPES)
        raise fail(f"series[{position}][{key!r}] = {value!r} is not a number")


def decode_checked(request: UsageRequest, body: bytes) -> Any:
    """Parse and shape-check a 2xx body in one go (what every hook method returns): a dict, or for
    ``SdkVersionDetailsList`` a list of dicts."""
    return check_shape(request, decode_json(request, body))


class LazySeries(Sequence[dict[str, Any]]):
    """The ``series`` of a series response, decoded one time slice per access and checked as it is.

    The body stays bytes; each slice is a zero-copy view into it until it is read. A year of hourly data
    for a thousand series is ~9 M points: as Python dicts that is several GB, as bytes a tenth of it.

    :param request: the request the body answers (for error messages).
    :param raws: the undecoded slices.
    """

    def __init__(self, request: UsageRequest, raws: list[Any]) -> None:
        import msgspec

        self._request = request
        self._raws = raws
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
        point = self._decode(self._raws[position])
        _check_slice(self._request, position, point)
        result: dict[str, Any] = point
        return result


def decode_lazily(request: UsageRequest, body: bytes) -> Any:
    """Like :func:`decode_checked`, but a series response's ``series`` is a :class:`LazySeries`.

    The envelope (``_links``, ``metadata`` and the slice boundaries) is parsed and checked now, so a
    truncated or malformed body still fails here, before anything is written downstream.
    """
    if not request.endpoint.is_series:
        return decode_checked(request, body)
    import msgspec

    try:
        envelope: Any = msgspec.json.decode(body, type=_envelope_type())
    except msgspec.ValidationError as exc:  # valid JSON, wrong shape: not worth a retry
        raise LaunchDarklyUsageResponseError(
            request.method, request.path, f"{request.endpoint.response_kind}: {exc}"
        ) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise _invalid_body(request, body, exc) from None
    result: dict[str, Any] = {
        "_links": envelope.links,
        "metadata": envelope.metadata,
        "series": LazySeries(request, envelope.series),
    }
    if request.endpoint.has_freshness:
        fresh = {name: getattr(envelope, name) for name in ("dataThrough", "delayed")}
        _check_freshness(
            fresh,
            lambda problem: LaunchDarklyUsageResponseError(
                request.method, request.path, f"{request.endpoint.response_kind}: {problem}"
            ),
        )
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
