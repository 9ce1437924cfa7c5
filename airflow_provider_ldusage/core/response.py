"""Interpreting a response: status to exception, body to representation, shape checked."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping, Sequence
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


def check_shape(request: UsageRequest, data: Any) -> dict[str, Any]:
    """Check ``data`` against the endpoint's 200 schema; return it unchanged.

    Extra fields are tolerated (the API is beta and grows); missing required fields and non-numeric
    series values are not.
    """
    kind = request.endpoint.response_kind

    def fail(problem: str) -> LaunchDarklyUsageResponseError:
        return LaunchDarklyUsageResponseError(request.method, request.path, f"{kind}: {problem}")

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object, got {type(data).__name__}")
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
    return data


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


def decode_checked(request: UsageRequest, body: bytes) -> dict[str, Any]:
    """Parse and shape-check a 2xx body in one go (what every hook method returns)."""
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


def decode_lazily(request: UsageRequest, body: bytes) -> dict[str, Any]:
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
    return {
        "_links": envelope.links,
        "metadata": envelope.metadata,
        "series": LazySeries(request, envelope.series),
    }


@cache
def _envelope_type() -> type:
    """The msgspec schema of a series envelope (built on first use: msgspec is imported lazily)."""
    import msgspec

    # defstruct takes real types: a class body here would see only string annotations.
    return msgspec.defstruct(
        "SeriesEnvelope",
        [("links", dict[str, Any]), ("metadata", list[dict[str, Any]]), ("series", list[msgspec.Raw])],
        rename={"links": "_links"},
    )
