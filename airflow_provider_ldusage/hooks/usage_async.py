"""``LaunchDarklyUsageAsyncHook``: the same calls for triggers, over ``httpx.AsyncClient``.

It shares everything but the socket with :class:`~airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook`:
request building, the retry and rate-limit rules and the response checks all come from
:mod:`airflow_provider_ldusage.core`. The connection is fetched the async way, because the sync lookup
deadlocks inside the triggerer's event loop on Airflow 3.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from airflow.sdk import BaseHook

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.core.exchange import Reply, Wait, exchange
from airflow_provider_ldusage.core.ratelimit import RateLimitBudget
from airflow_provider_ldusage.core.request import UsageRequest, build_request, request_headers
from airflow_provider_ldusage.core.response import server_time
from airflow_provider_ldusage.core.retry import RetryPolicy
from airflow_provider_ldusage.hooks._connection import (
    ConnectionSettings,
    describe_fault,
    log_wait,
    mask_token,
    settings_from_connection,
)
from airflow_provider_ldusage.hooks.usage import USER_AGENT


class LaunchDarklyUsageAsyncHook(BaseHook):
    """Async access to the account-usage API for triggers.

    :param launchdarkly_conn_id: the Airflow connection id (type ``launchdarkly``).
    :param connect_timeout: seconds to open a connection; overrides the connection extra.
    :param read_timeout: seconds to wait for a response; overrides the connection extra.
    :param max_retries: retries after the first attempt; overrides the connection extra.
    :param max_retry_wait: total seconds of waiting per call; overrides the connection extra.
    :param backoff_base: first exponential-backoff step in seconds.
    :param backoff_max: the largest single backoff step in seconds.
    :param max_reset_wait: the longest wait a ``Retry-After``/reset header may impose.
    :param sleep: how to wait (tests pass a recorder).
    :param clock: epoch seconds now.
    :param rng: randomness for jitter.
    """

    conn_name_attr = "launchdarkly_conn_id"
    default_conn_name = "launchdarkly_default"
    conn_type = "launchdarkly"
    hook_name = "LaunchDarkly (async)"

    def __init__(
        self,
        launchdarkly_conn_id: str = default_conn_name,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_retries: int | None = None,
        max_retry_wait: float | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        max_reset_wait: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self.launchdarkly_conn_id = launchdarkly_conn_id
        self._overrides = {
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "max_retries": max_retries,
            "max_retry_wait": max_retry_wait,
        }
        self._backoff = (backoff_base, backoff_max, max_reset_wait)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._last_date: str | None = None
        self._budget = RateLimitBudget(max_wait=max_reset_wait)
        self._settings: ConnectionSettings | None = None

    @property
    def last_server_time(self) -> datetime | None:
        """LaunchDarkly's clock (its ``Date`` header) as of the last response; ``None`` before any."""
        return server_time({"date": self._last_date}) if self._last_date else None

    async def settings(self) -> ConnectionSettings:
        """The connection's settings, fetched with ``aget_connection`` once and validated."""
        if self._settings is None:
            conn = await BaseHook.aget_connection(self.launchdarkly_conn_id)
            extra = await conn.aextra_dejson() if hasattr(conn, "aextra_dejson") else conn.extra_dejson
            if conn.password:
                mask_token(conn.password)
            self._settings = settings_from_connection(
                self.launchdarkly_conn_id, conn.host, conn.password, extra, self._overrides
            )
            mask_token(self._settings.token)  # the token sent may differ (a "Bearer " prefix dropped)
        return self._settings

    def build(self, operation: str, **arguments: Any) -> UsageRequest:
        """Validate ``arguments`` for ``operation`` without sending anything."""
        now = datetime.fromtimestamp(self._clock(), tz=timezone.utc)
        return build_request(endpoint(operation), arguments, now=now)

    async def call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        """Call ``operation`` (operation id or sync hook method name) and return the checked body."""
        return await self.send(self.build(operation, **arguments))

    async def send(self, request: UsageRequest) -> dict[str, Any]:
        """Send a built request under the shared retry and rate-limit rules."""
        import httpx

        settings = await self.settings()
        base, cap, reset_cap = self._backoff
        policy = RetryPolicy(settings.max_retries, settings.max_retry_wait, base, cap, reset_cap)
        timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        conversation = exchange(request, policy, self._budget, self._clock, self._rng, settings.token)
        step = next(conversation)
        async with httpx.AsyncClient(
            base_url=settings.base_url,
            headers=request_headers(settings.token, USER_AGENT),
            timeout=timeout,
        ) as client:
            try:
                while True:
                    if isinstance(step, Wait):
                        log_wait(self.log, step, request, policy.max_retries)
                        await self._sleep(step.seconds)
                        step = conversation.send(None)
                        continue
                    try:
                        response = await client.get(request.path, params=list(request.params))
                        reply = Reply(response.status_code, response.headers, response.content)
                        self._last_date = response.headers.get("date") or self._last_date
                    except (httpx.TransportError, httpx.DecodingError) as exc:
                        reply = Reply(None, fault=describe_fault(exc))
                    step = conversation.send(reply)
            except StopIteration as done:
                result: dict[str, Any] = done.value
                return result
