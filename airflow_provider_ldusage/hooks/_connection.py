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
from airflow_provider_ldusage.defaults import CONNECTION_EXTRAS
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageConfigError

log = logging.getLogger(__name__)

# The connection extras (declared as conn-fields in provider_info) and their defaults: see defaults.py.
DEFAULT_CONNECT_TIMEOUT = CONNECTION_EXTRAS["connect_timeout"].default
DEFAULT_READ_TIMEOUT = CONNECTION_EXTRAS["read_timeout"].default
DEFAULT_MAX_RETRIES = int(CONNECTION_EXTRAS["max_retries"].default)
DEFAULT_MAX_RETRY_WAIT = CONNECTION_EXTRAS["max_retry_wait"].default
EXTRA_FIELDS = tuple(CONNECTION_EXTRAS)


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything the transports need from a connection, validated once.

    :param base_url: scheme + host (+ optional path prefix), no trailing slash.
    :param token: the API access token, sent raw in ``Authorization``.
    :param connect_timeout: seconds to open a connection.
    :param read_timeout: seconds to wait for the answer.
    :param max_retries: retries after the first attempt.
    :param max_retry_wait: total seconds of waiting allowed per call.
    """

    base_url: str
    token: str
    connect_timeout: float
    read_timeout: float
    max_retries: int
    max_retry_wait: float

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
    extra: Mapping[str, Any], name: str, default: float, conn_id: str, *, integer: bool = False
) -> float:
    raw = extra.get(name)
    if raw is None or raw == "":
        return default
    kind = "a whole number" if integer else "a number"
    try:
        # bool is an int subclass and 1.5 would truncate to 1: neither is what the user meant.
        if isinstance(raw, bool) or (integer and isinstance(raw, float) and not raw.is_integer()):
            raise ValueError(raw)
        value = int(float(raw)) if integer else float(raw)
        if integer and isinstance(raw, str) and not float(raw).is_integer():
            raise ValueError(raw)
    except (TypeError, ValueError):
        raise LaunchDarklyUsageConfigError(
            f"Connection {conn_id!r}: extra {name}={raw!r} is not {kind}"
        ) from None
    if value < 0:
        raise LaunchDarklyUsageConfigError(
            f"Connection {conn_id!r}: extra {name}={raw!r} must not be negative"
        )
    if value == 0 and "timeout" in name:
        raise LaunchDarklyUsageConfigError(f"Connection {conn_id!r}: extra {name}={raw!r} must be positive")
    return value


def settings_from_connection(
    conn_id: str,
    host: str | None,
    password: str | None,
    extra: Mapping[str, Any],
    overrides: Mapping[str, Any],
) -> ConnectionSettings:
    """Build :class:`ConnectionSettings`; hook arguments in ``overrides`` (not ``None``) win over extras."""
    token = (password or "").strip()
    if token.lower().startswith("bearer "):
        # LaunchDarkly wants the raw token; a pasted "Bearer " prefix would only earn a 401.
        log.warning("Connection %s: dropping the 'Bearer ' prefix from the token", conn_id)
        token = token[7:].strip()
    if not token:
        raise LaunchDarklyUsageConfigError(
            f"Connection {conn_id!r} has no API access token: put it in the password field"
        )
    unknown = sorted(set(extra) - set(EXTRA_FIELDS))
    if unknown:
        # A misspelt extra (read_timout) would otherwise be ignored without a word.
        log.warning(
            "Connection %s: ignoring unknown extra field(s) %s; known: %s",
            conn_id,
            ", ".join(unknown),
            ", ".join(EXTRA_FIELDS),
        )
    merged = {**extra, **{k: v for k, v in overrides.items() if v is not None}}
    return ConnectionSettings(
        base_url=normalise_base_url(host, conn_id),
        token=token,
        connect_timeout=_number(merged, "connect_timeout", DEFAULT_CONNECT_TIMEOUT, conn_id),
        read_timeout=_number(merged, "read_timeout", DEFAULT_READ_TIMEOUT, conn_id),
        max_retries=int(_number(merged, "max_retries", DEFAULT_MAX_RETRIES, conn_id, integer=True)),
        max_retry_wait=_number(merged, "max_retry_wait", DEFAULT_MAX_RETRY_WAIT, conn_id),
    )


def mask_token(secret: str) -> None:
    """Register the token with Airflow's secrets masker so no task log can print it."""
    try:
        from airflow.sdk.log import mask_secret
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
    else:
        logger.warning(
            "Retry %d/%d of %s in %.2f s: %s",
            wait.retry,
            max_retries,
            request.describe(),
            wait.seconds,
            wait.reason,
        )
