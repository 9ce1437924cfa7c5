"""Reading a ``launchdarkly`` connection: base URL, token and transport settings, checked."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_ldusage.catalogue import DEFAULT_BASE_URL
from airflow_provider_ldusage.core.exchange import Wait
from airflow_provider_ldusage.core.request import UsageRequest
from airflow_provider_ldusage.defaults import CONNECTION_EXTRAS, TEXT_EXTRAS
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageConfigError
from airflow_provider_ldusage.hooks.params import POSITIVE_ARGUMENTS, parse_number

log = logging.getLogger(__name__)

# The connection extras (declared as conn-fields in provider_info) and their defaults: see defaults.py.
DEFAULT_CONNECT_TIMEOUT = CONNECTION_EXTRAS["connect_timeout"].default
DEFAULT_READ_TIMEOUT = CONNECTION_EXTRAS["read_timeout"].default
DEFAULT_MAX_RETRIES = int(CONNECTION_EXTRAS["max_retries"].default)
DEFAULT_MAX_RETRY_WAIT = CONNECTION_EXTRAS["max_retry_wait"].default
DEFAULT_CALL_DEADLINE = CONNECTION_EXTRAS["call_deadline"].default
DEFAULT_MAX_BODY_BYTES = int(CONNECTION_EXTRAS["max_body_bytes"].default)
EXTRA_FIELDS = (*CONNECTION_EXTRAS, *TEXT_EXTRAS)


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything the transports need from a connection, validated once.

    :param base_url: scheme + host (+ optional path prefix), no trailing slash.
    :param token: the API access token, sent raw in ``Authorization``.
    :param connect_timeout: seconds to open a connection.
    :param read_timeout: seconds to wait for the answer.
    :param max_retries: retries after the first attempt.
    :param max_retry_wait: total seconds of waiting allowed per call.
    :param call_deadline: total seconds one call may take, attempts, waits and reads included.
    :param max_body_bytes: the largest response body read.
    :param shared_budget_redis_conn_id: the ``redis`` connection keeping the rate budget shared by every
        process using this token, or ``None`` (each process paces alone).
    """

    base_url: str
    token: str
    connect_timeout: float
    read_timeout: float
    max_retries: int
    max_retry_wait: float
    call_deadline: float = DEFAULT_CALL_DEADLINE
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    shared_budget_redis_conn_id: str | None = None

    def __repr__(self) -> str:  # the token must never reach a log line through a repr
        return f"ConnectionSettings(base_url={self.base_url!r}, token='***')"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_base_url(raw: str | None, conn_id: str) -> str:
    """The base URL with a scheme and no trailing slash; plain http only for loopback addresses."""
    text = (raw or "").strip() or DEFAULT_BASE_URL
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LaunchDarklyUsageConfigError(
            f"Connection {conn_id!r}: host {text!r} is not an http(s) URL such as {DEFAULT_BASE_URL}"
        )
    if parts.username or parts.password:
        # A token in the URL would be logged by every proxy; it belongs in the password field.
        raise LaunchDarklyUsageConfigError(
            f"Connection {conn_id!r}: the host URL must not carry credentials; put the token in the password"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise LaunchDarklyUsageConfigError(
            f"Connection {conn_id!r}: refusing to send the access token over plain http to "
            f"{parts.hostname!r}; use https (plain http is allowed only for loopback addresses)"
        )
    if parts.query or parts.fragment:
        raise LaunchDarklyUsageConfigError(
            f"Connection {conn_id!r}: the host URL must not have a query string or fragment"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def _number(
    values: Mapping[str, Any],
    from_hook: frozenset[str],
    name: str,
    default: float,
    conn_id: str,
    *,
    integer: bool = False,
) -> float:
    raw = values.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse_number(raw, integer=integer, positive=name in POSITIVE_ARGUMENTS)
    except ValueError as exc:
        # Name where the value came from: a hook argument (an operator's hook_params) or an extra.
        if name in from_hook:
            raise LaunchDarklyUsageConfigError(
                f"Hook argument {name}={raw!r} (from hook_params or the hook's constructor) {exc}"
            ) from None
        raise LaunchDarklyUsageConfigError(f"Connection {conn_id!r}: extra {name}={raw!r} {exc}") from None


def _text(values: Mapping[str, Any], from_hook: frozenset[str], name: str, conn_id: str) -> str | None:
    raw = values.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        where = f"Hook argument {name}" if name in from_hook else f"Connection {conn_id!r}: extra {name}"
        raise LaunchDarklyUsageConfigError(f"{where}={raw!r} must be a connection id (a string)")
    return raw.strip()


def check_token(token: str, conn_id: str) -> None:
    """Refuse a token an HTTP header cannot carry, without repeating any of it.

    LaunchDarkly's access tokens are printable ASCII without spaces. Anything else (a line break pasted
    with it, a control character, a space, a non-ASCII character such as ``€``) would make ``requests``
    or ``httpx`` raise an error that prints the whole header value, past the secret masker.

    :raises LaunchDarklyUsageConfigError: saying which kind of character, never which characters.
    """
    bad = [c for c in token if not "!" <= c <= "~"]
    if not bad:
        return
    kinds = []
    if any(c in "\r\n" for c in bad):
        kinds.append("a line break (CR/LF)")
    if any(c not in "\r\n" and (ord(c) < 32 or ord(c) == 127) for c in bad):
        kinds.append("a control character")
    if any(c == " " for c in bad):
        kinds.append("a space")
    if any(ord(c) > 127 for c in bad):
        kinds.append("a non-ASCII character")
    raise LaunchDarklyUsageConfigError(
        f"Connection {conn_id!r}: the access token contains {' and '.join(kinds)}, which an HTTP header "
        "cannot carry (LaunchDarkly tokens are printable ASCII without spaces); paste the token into the "
        "password field again"
    )


def settings_from_connection(
    conn_id: str,
    host: str | None,
    password: str | None,
    extra: Mapping[str, Any],
    overrides: Mapping[str, Any],
) -> ConnectionSettings:
    """Build :class:`ConnectionSettings`; hook arguments in ``overrides`` (not ``None``) win over extras.

    :raises LaunchDarklyUsageConfigError: for a missing or unsendable token, an unsafe host, or a timeout,
        retry count or wait that is not a finite non-negative number (NaN, ``"inf"``); the message names
        the hook argument or the connection extra the value came from, never the token.
    """
    token = (password or "").strip()
    if token.lower().startswith("bearer "):
        # LaunchDarkly wants the raw token; a pasted "Bearer " prefix would only earn a 401.
        log.warning("Connection %s: dropping the 'Bearer ' prefix from the token", conn_id)
        token = token[7:].strip()
    if not token:
        raise LaunchDarklyUsageConfigError(
            f"Connection {conn_id!r} has no API access token: put it in the password field"
        )
    check_token(token, conn_id)
    unknown = sorted(set(extra) - set(EXTRA_FIELDS))
    if unknown:
        # A misspelt extra (read_timout) would otherwise be ignored without a word.
        log.warning(
            "Connection %s: ignoring unknown extra field(s) %s; known: %s",
            conn_id,
            ", ".join(unknown),
            ", ".join(EXTRA_FIELDS),
        )
    given = {k: v for k, v in overrides.items() if v is not None}
    merged = {**extra, **given}
    hooked = frozenset(given)
    return ConnectionSettings(
        base_url=normalise_base_url(host, conn_id),
        token=token,
        connect_timeout=_number(merged, hooked, "connect_timeout", DEFAULT_CONNECT_TIMEOUT, conn_id),
        read_timeout=_number(merged, hooked, "read_timeout", DEFAULT_READ_TIMEOUT, conn_id),
        max_retries=int(_number(merged, hooked, "max_retries", DEFAULT_MAX_RETRIES, conn_id, integer=True)),
        max_retry_wait=_number(merged, hooked, "max_retry_wait", DEFAULT_MAX_RETRY_WAIT, conn_id),
        call_deadline=_number(merged, hooked, "call_deadline", DEFAULT_CALL_DEADLINE, conn_id),
        max_body_bytes=int(
            _number(merged, hooked, "max_body_bytes", DEFAULT_MAX_BODY_BYTES, conn_id, integer=True)
        ),
        shared_budget_redis_conn_id=_text(merged, hooked, "shared_budget_redis_conn_id", conn_id),
    )


def mask_token(secret: str) -> None:
    """Register the token with Airflow's secrets masker so no task log can print it."""
    try:
        from airflow_provider_ldusage.compat import mask_secret
    except ImportError:  # pragma: no cover - older task SDKs
        return
    mask_secret(secret)


def describe_fault(exc: BaseException) -> str:
    """A short account of a transport fault (urllib3's and httpx's texts repeat the whole URL)."""
    text = str(exc) or repr(exc)
    if "Caused by " in text:
        text = text.split("Caused by ", 1)[1].rstrip(")")
    text = f"{exc.__class__.__name__}: {text}"
    return text if len(text) < 240 else text[:240] + "…"


def log_wait(logger: logging.Logger | Any, wait: Wait, request: UsageRequest, max_retries: int) -> None:
    """Log a wait with its reason: a budget wait at info, a retry at warning."""
    if wait.retry == 0:
        logger.info("Waiting %.2f s before %s: %s", wait.seconds, request.describe(), wait.reason)
    elif wait.rate_limited:  # not counted against max_retries: bounded by max_retry_wait
        logger.warning(
            "Retry %d of %s in %.2f s (rate limited; retried within max_retry_wait): %s",
            wait.retry,
            request.describe(),
            wait.seconds,
            wait.reason,
        )
    else:
        logger.warning(
            "Retry %d/%d of %s in %.2f s: %s",
            wait.retry,
            max_retries,
            request.describe(),
            wait.seconds,
            wait.reason,
        )
