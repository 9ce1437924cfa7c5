"""Reading LaunchDarkly's rate-limit headers, and the budget they imply for the next request.

LaunchDarkly counts requests per 10-second window, per account (``X-Ratelimit-Global-Remaining``), per
route (``X-Ratelimit-Route-Remaining``) and per access token (``X-Ratelimit-Auth-Token-Remaining``), each
reported only when it is enforced for the call. ``X-Ratelimit-Reset`` is the end of the account and route
windows in epoch milliseconds; the token budget has its own ``X-Ratelimit-Auth-Token-Reset`` (epoch ms).
``Retry-After`` is in seconds. Header names are matched case-insensitively.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Protocol

from airflow_provider_ldusage.defaults import MAX_RESET_WAIT, MIN_WINDOW, RATE_WINDOW, RESET_JITTER

#: Seconds between looks while another request is finding out a route's budget.
PROBE_WAIT = 0.02
#: Seconds after which a first request that brought no answer no longer holds the others back.
PROBE_TTL = 2.0

GLOBAL_LIMIT = "x-ratelimit-global-limit"
GLOBAL_REMAINING = "x-ratelimit-global-remaining"
ROUTE_LIMIT = "x-ratelimit-route-limit"
ROUTE_REMAINING = "x-ratelimit-route-remaining"
RESET = "x-ratelimit-reset"
TOKEN_LIMIT = "x-ratelimit-auth-token-limit"
TOKEN_REMAINING = "x-ratelimit-auth-token-remaining"
TOKEN_RESET = "x-ratelimit-auth-token-reset"
RETRY_AFTER = "retry-after"


CONTENT_TYPE = "content-type"
# The only response headers the core reads; the rest are never copied.
_READ = (
    GLOBAL_LIMIT,
    GLOBAL_REMAINING,
    ROUTE_LIMIT,
    ROUTE_REMAINING,
    RESET,
    TOKEN_LIMIT,
    TOKEN_REMAINING,
    TOKEN_RESET,
    RETRY_AFTER,
    CONTENT_TYPE,
    "content-length",  # named by the error for a body past max_body_bytes
    "location",  # named by the error for a redirect (never followed)
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


def scopes_for(route: str) -> tuple[str, str, str]:
    """The budget keys a request on ``route`` spends, narrowest first (a tie in resets names the first)."""
    return ("access-token", f"route:{route}", "account")


# Per budget: the remaining-count header, the limit header and the reset header that report it.
_REPORTS = (
    ("access-token", TOKEN_REMAINING, TOKEN_LIMIT, TOKEN_RESET),
    ("route", ROUTE_REMAINING, ROUTE_LIMIT, RESET),
    ("account", GLOBAL_REMAINING, GLOBAL_LIMIT, RESET),
)


@dataclass(frozen=True)
class Observation:
    """What one response said about one budget: requests left until the reset, and the limit.

    :param scope: the budget key (see :func:`scopes_for`).
    :param remaining: requests left in the window.
    :param reset_ms: the window's end in epoch milliseconds (clamped to ``now + max_wait``).
    :param limit: requests per window, when the response says.
    """

    scope: str
    remaining: int
    reset_ms: int
    limit: int | None


def observations(
    route: str, headers: Mapping[str, str], now: float, max_wait: float = MAX_RESET_WAIT
) -> list[Observation]:
    """Every budget the response reports (lower-cased ``headers``)."""
    found = []
    for scope, remaining_name, limit_name, reset_name in _REPORTS:
        remaining = _integer(headers.get(remaining_name))
        seconds = reset_seconds(headers, now, reset_name)
        if remaining is None or seconds is None:
            continue
        # A window already over still tells the limit: the next one is assumed to hold as many.
        key = f"route:{route}" if scope == "route" else scope
        reset_ms = round((now + min(seconds, max_wait)) * 1000)
        found.append(Observation(key, max(remaining, 0), reset_ms, _integer(headers.get(limit_name))))
    return found


def _integer(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) else None


class Budget(Protocol):
    """What a call asks of a rate budget: :class:`RateLimitBudget` in one process, or a shared one."""

    @property
    def window(self) -> float: ...

    def observe(
        self, route: str, headers: Mapping[str, str], now: float, *, latency: float | None = None
    ) -> None: ...

    def wait_before(self, route: str, now: float) -> tuple[float, str] | None: ...

    def spread(self, rng: random.Random) -> float: ...


@dataclass
class _Window:
    """The last known state of one budget's window (times in epoch ms, as LaunchDarkly sends them)."""

    reset_ms: int
    remaining: int
    limit: int | None
    #: Rolled over by us, not yet confirmed by a response: the next response's reset replaces ours.
    provisional: bool = False
    #: The last reset a response reported, to learn the window length from the next one.
    server_reset_ms: int = 0


class RateLimitBudget:
    """The budget left, as the responses report it, so a request waits instead of spending itself on a 429.

    Each budget (access token, route, account) is a window: requests left and when it resets. A response
    updates it (the lower count wins within a window: answers overtake each other), and each request
    reserves one request of every budget it spends, so threads sharing a hook do not overrun it either.
    When a window is over, the next one is assumed to hold the reported limit again until a response
    says otherwise. Plain state, no clock of its own: callers pass ``now`` (epoch seconds).
    :mod:`airflow_provider_ldusage.hooks._shared_budget` keeps the same state in Redis for many processes.

    :param max_wait: the longest a reset may make us wait; a later reset is taken as clock skew or a bad
        header and clamped to this.
    """

    def __init__(self, max_wait: float = MAX_RESET_WAIT) -> None:
        self.max_wait = max_wait
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self._window_ms: int | None = None  # the shortest gap seen between two consecutive resets
        self._lower_ms = 0  # the longest time to a reset seen: the window is at least this long
        self._seen: set[str] = set()  # routes that have had an answer
        self._probe_until: dict[str, float] = {}  # routes whose first request is out, until when
        self._latency = 0.0

    @property
    def window(self) -> float:
        """The window length in seconds as learnt from the resets seen (LaunchDarkly's 10 s before any)."""
        ms = self._window_ms or self._lower_ms
        if ms <= 0:
            return RATE_WINDOW
        # Never longer than LaunchDarkly's windows: a later reset is a skewed clock or a bad header.
        return min(max(ms / 1000.0, MIN_WINDOW), RATE_WINDOW)

    @property
    def known(self) -> bool:
        """Whether any answer has told this budget about a window yet."""
        return bool(self._window_ms or self._lower_ms)

    def spread(self, rng: random.Random) -> float:
        """A random offset after a reset, so the processes waiting for it do not all send at its instant
        (only a few milliseconds before any answer: then the wait is for a first answer, not a reset)."""
        if not self.known:
            return rng.uniform(0, PROBE_WAIT)
        return rng.uniform(0.1, 1.0) * RESET_JITTER * self.window

    @property
    def guard(self) -> float:
        """Seconds before a reset in which no request starts: it might reach LaunchDarkly after the reset
        and be counted in the next window, which the budget has handed out already. A part of the window,
        or twice the recent round trip when that is longer (a busy worker, a slow network)."""
        return min(max(RESET_JITTER * self.window, 2 * self.latency), 0.5 * self.window)

    @property
    def latency(self) -> float:
        """Seconds from sending a request to its answer, as recently seen (a moving average)."""
        return self._latency

    def note_latency(self, latency: float | None) -> None:
        """Fold one request's round trip into :attr:`latency`."""
        if latency is not None and 0 <= latency < self.max_wait:
            self._latency = latency if not self._latency else 0.8 * self._latency + 0.2 * latency

    def observe(
        self, route: str, headers: Mapping[str, str], now: float, *, latency: float | None = None
    ) -> None:
        """Record a response's headers (lower-cased names) for ``route``, answered ``latency`` seconds
        after it was sent."""
        found = observations(route, headers, now, self.max_wait)
        now_ms = int(now * 1000)
        with self._lock:
            self.note_latency(latency)
            self._seen.add(route)
            for item in found:
                self._record(item, now_ms)

    def _record(self, item: Observation, now_ms: int) -> None:
        self._lower_ms = max(self._lower_ms, item.reset_ms - now_ms)
        window = self._windows.get(item.scope)
        if window is None:
            window = self._windows[item.scope] = _Window(item.reset_ms, item.remaining, item.limit)
        elif window.provisional or item.reset_ms == window.reset_ms:
            window.remaining = min(window.remaining, item.remaining)
            window.reset_ms = item.reset_ms
            window.provisional = False
        elif item.reset_ms > window.reset_ms:
            window.reset_ms, window.remaining = item.reset_ms, item.remaining
        else:
            return  # an answer from an earlier window, overtaken by a later one
        if item.reset_ms > window.server_reset_ms:
            if window.server_reset_ms:
                gap = item.reset_ms - window.server_reset_ms
                self._window_ms = gap if self._window_ms is None else min(self._window_ms, gap)
            window.server_reset_ms = item.reset_ms
        if item.limit is not None:
            window.limit = item.limit

    def wait_before(self, route: str, now: float) -> tuple[float, str] | None:
        """Seconds to wait before sending on ``route``, with the reason, or ``None`` to send now.

        ``None`` reserves the request in every budget it spends.
        """
        now_ms = int(now * 1000)
        guard_ms = int(self.guard * 1000)
        with self._lock:
            if route not in self._seen:
                # Nothing known of this route's budget yet: one request finds out, the others wait for it.
                if self._probe_until.get(route, 0.0) > now:
                    return PROBE_WAIT, "waiting for the first answer on this route to learn its budget"
                self._probe_until[route] = now + PROBE_TTL
            present = []
            spent: tuple[int, str] | None = None
            for scope in scopes_for(route):
                window = self._windows.get(scope)
                if window is None:
                    continue
                if now_ms >= window.reset_ms:
                    if window.limit is None:  # a new window of unknown size: nothing to go on
                        del self._windows[scope]
                        continue
                    step = max(int(self.window * 1000), 1)
                    window.reset_ms += ((now_ms - window.reset_ms) // step + 1) * step
                    window.remaining, window.provisional = window.limit, True
                present.append(window)
                closing = now_ms >= window.reset_ms - guard_ms
                if (window.remaining <= 0 or closing) and (spent is None or window.reset_ms > spent[0]):
                    spent = (window.reset_ms, scope.split(":", 1)[0])
            if spent is not None:
                return (spent[0] - now_ms) / 1000.0, (
                    f"the {spent[1]} rate-limit budget is spent until the window resets"
                )
            for window in present:
                window.remaining -= 1
        return None
