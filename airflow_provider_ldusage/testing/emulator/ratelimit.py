"""Per-route, global and per-access-token request budgets over fixed real-time windows, as LaunchDarkly
describes them (the token budget, new in the 25.0.1 client's README, has its own reset header)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    """Outcome of counting one request: whether it may proceed and the headers to send."""

    allowed: bool
    headers: dict[str, str]
    retry_after: int


class RateLimiter:
    """Counts requests in windows aligned to multiples of ``window`` real seconds.

    :param window: window length in seconds.
    :param route_budget: requests per route per window, or ``None`` (no route limit, no route header).
    :param global_budget: requests per window across routes, or ``None``.
    :param token_budget: requests per access token per window, or ``None``.
    """

    def __init__(
        self,
        window: float,
        route_budget: int | None,
        global_budget: int | None,
        token_budget: int | None = None,
    ) -> None:
        self.window = window
        self.route_budget = route_budget
        self.global_budget = global_budget
        self.token_budget = token_budget
        self._lock = threading.Lock()
        self._index = -1
        self._global = 0
        self._routes: dict[str, int] = {}
        self._tokens: dict[str, int] = {}

    def reset(self) -> None:
        with self._lock:
            self._index, self._global, self._routes, self._tokens = -1, 0, {}, {}

    def _roll(self, now: float) -> float:
        index = math.floor(now / self.window)
        if index != self._index:
            self._index, self._global, self._routes, self._tokens = index, 0, {}, {}
        return (index + 1) * self.window

    def _headers(self, route: str | None, window_end: float, token: str | None = None) -> dict[str, str]:
        reset = str(int(window_end * 1000))
        headers = {"X-Ratelimit-Reset": reset}
        if self.global_budget is not None:
            headers["X-Ratelimit-Global-Limit"] = str(self.global_budget)
            headers["X-Ratelimit-Global-Remaining"] = str(max(0, self.global_budget - self._global))
        if self.route_budget is not None and route is not None:
            headers["X-Ratelimit-Route-Limit"] = str(self.route_budget)
            headers["X-Ratelimit-Route-Remaining"] = str(
                max(0, self.route_budget - self._routes.get(route, 0))
            )
        if self.token_budget is not None and token is not None:
            headers["X-Ratelimit-Auth-Token-Limit"] = str(self.token_budget)
            headers["X-Ratelimit-Auth-Token-Remaining"] = str(
                max(0, self.token_budget - self._tokens.get(token, 0))
            )
            headers["X-Ratelimit-Auth-Token-Reset"] = reset
        return headers

    def peek(self, route: str | None) -> dict[str, str]:
        """Headers for a response that does not spend budget (401/403)."""
        with self._lock:
            return self._headers(route, self._roll(time.time()))

    def hit(self, route: str | None, token: str | None = None) -> RateDecision:
        """Spend one request of ``route`` (``None`` for unknown paths: global budget only) made with
        ``token``."""
        with self._lock:
            now = time.time()
            window_end = self._roll(now)
            over_global = self.global_budget is not None and self._global >= self.global_budget
            route_used = self._routes.get(route, 0) if route is not None else 0
            over_route = (
                self.route_budget is not None and route is not None and route_used >= self.route_budget
            )
            token_used = self._tokens.get(token, 0) if token is not None else 0
            over_token = (
                self.token_budget is not None and token is not None and token_used >= self.token_budget
            )
            allowed = not (over_global or over_route or over_token)
            if allowed:
                self._global += 1
                if route is not None:
                    self._routes[route] = route_used + 1
                if token is not None:
                    self._tokens[token] = token_used + 1
            headers = self._headers(route, window_end, token)
            retry_after = max(1, math.ceil(window_end - now))
            return RateDecision(allowed, headers, retry_after)
