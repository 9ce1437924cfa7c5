"""Reading LaunchDarkly's rate-limit headers, and the budget they imply for the next request.

LaunchDarkly counts requests per 10-second window, per account (``X-Ratelimit-Global-Remaining``), per
route (``X-Ratelimit-Route-Remaining``) and per access token (``X-Ratelimit-Auth-Token-Remaining``), each
reported only when it is enforced for the call. ``X-Ratelimit-Reset`` is the end of the account and route
windows in epoch milliseconds; the token budget has its own ``X-Ratelimit-Auth-Token-Reset`` (epoch ms).
``Retry-After`` is in seconds. Header names are matched case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from airflow_provider_ldusage.defaults import MAX_RESET_WAIT

GLOBAL_REMAINING = "x-ratelimit-global-remaining"
ROUTE_REMAINING = "x-ratelimit-route-remaining"
RESET = "x-ratelimit-reset"
TOKEN_LIMIT = "x-ratelimit-auth-token-limit"
TOKEN_REMAINING = "x-ratelimit-auth-token-remaining"
TOKEN_RESET = "x-ratelimit-auth-token-reset"
RETRY_AFTER = "retry-after"


CONTENT_TYPE = "content-type"
# The only response headers the core reads; the rest are never copied.
_READ = (
    GLOBAL_REMAINING,
    ROUTE_REMAINING,
    RESET,
    TOKEN_LIMIT,
    TOKEN_REMAINING,
    TOKEN_RESET,
    RETRY_AFTER,
    CONTENT_TYPE,
)


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers the core reads, under lower-case names, so readers here use plain dict lookups.

    Transports hand over case-insensitive mappings (requests, httpx): those are asked for the few names
    needed. A plain dict is folded whole.
    """
    if type(headers) is dict:
        return {k.lower(): v for k, v in headers.items()}
    picked = {}
    for name in _READ:
        value = headers.get(name)
        if value is not None:
            picked[name] = value
    return picked


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; ``None`` if absent/bad."""
    raw = headers.get(RETRY_AFTER)
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None


def reset_seconds(headers: Mapping[str, str], now: float, name: str = RESET) -> float | None:
    """Seconds from ``now`` until the reset header ``name`` (epoch ms; default ``X-Ratelimit-Reset``);
    negative when it lies in the past, ``None`` when absent or unreadable."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw) / 1000.0 - now
    except ValueError:
        return None


def spent_reset_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until every budget the response reports as spent resets (the latest of their resets).

    The token budget resets at ``X-Ratelimit-Auth-Token-Reset``, the others at ``X-Ratelimit-Reset``.
    When no budget is reported spent (a 429 without remaining headers), ``X-Ratelimit-Reset`` alone.
    """
    resets = []
    if _is_zero(headers, GLOBAL_REMAINING) or _is_zero(headers, ROUTE_REMAINING):
        resets.append(reset_seconds(headers, now))
    if _is_zero(headers, TOKEN_REMAINING):
        resets.append(reset_seconds(headers, now, TOKEN_RESET))
    known = [r for r in resets if r is not None]
    if known:
        return max(known)
    return reset_seconds(headers, now)


def _is_zero(headers: Mapping[str, str], name: str) -> bool:
    raw = headers.get(name)
    if raw is None:
        return False
    try:
        return float(raw) <= 0
    except ValueError:
        return False


@dataclass
class RateLimitBudget:
    """What the last responses said about the budget left, so the next request can wait instead of
    spending itself on a 429. Plain state, no clock of its own: callers pass ``now`` (epoch seconds).

    :param max_wait: the longest a reset may make us wait; a later reset is taken as clock skew or a bad
        header and clamped to this.
    """

    max_wait: float = MAX_RESET_WAIT
    _global_until: float = 0.0
    _route_until: dict[str, float] = field(default_factory=dict)
    # One budget per hook, and a hook holds one token: no need to key it by token.
    _token_until: float = 0.0

    def observe(self, route: str, headers: Mapping[str, str], now: float) -> None:
        """Record a response's headers (lower-cased names) for ``route``."""
        until = self._reset_at(headers, now)
        if until is not None:
            if _is_zero(headers, GLOBAL_REMAINING):
                self._global_until = max(self._global_until, until)
            if _is_zero(headers, ROUTE_REMAINING):
                self._route_until[route] = max(self._route_until.get(route, 0.0), until)
        if _is_zero(headers, TOKEN_REMAINING):
            token_until = self._reset_at(headers, now, TOKEN_RESET)
            if token_until is not None:
                self._token_until = max(self._token_until, token_until)

    def wait_before(self, route: str, now: float) -> tuple[float, str] | None:
        """Seconds to wait before sending on ``route``, with the reason, or ``None`` to send now."""
        scopes = {
            "account": self._global_until,
            "route": self._route_until.get(route, 0.0),
            "access-token": self._token_until,
        }
        # The latest reset decides; on a tie the narrowest scope is named.
        scope, until = max(reversed(scopes.items()), key=lambda item: item[1])
        if until <= now:
            return None
        return until - now, f"the {scope} rate-limit budget is spent until the window resets"

    def _reset_at(self, headers: Mapping[str, str], now: float, name: str = RESET) -> float | None:
        seconds = reset_seconds(headers, now, name)
        if seconds is None:
            return None
        # A reset in the past means our clock runs ahead of LaunchDarkly's; the window is over.
        return now + min(max(seconds, 0.0), self.max_wait)
