"""``LaunchDarklyUsageAsyncHook``: the same calls for triggers, over ``httpx.AsyncClient``.

It shares everything but the socket with :class:`~airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook`:
request building, the retry and rate-limit rules and the response checks all come from
:mod:`airflow_provider_ldusage.core`. The connection is fetched the async way, because the sync lookup
deadlocks inside the triggerer's event loop on Airflow 3.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from airflow_provider_ldusage.compat import BaseHook
from airflow_provider_ldusage.core.exchange import Reply, Wait, exchange
from airflow_provider_ldusage.core.request import UsageRequest, request_headers
from airflow_provider_ldusage.hooks._base import USER_AGENT, LaunchDarklyHookBase
from airflow_provider_ldusage.hooks._connection import ConnectionSettings, describe_fault, log_wait


class LaunchDarklyUsageAsyncHook(LaunchDarklyHookBase):
    """Async access to the account-usage API for triggers.

    :param launchdarkly_conn_id: the Airflow connection id (type ``launchdarkly``).
    :param sleep: how to wait (tests pass a recorder).
    :param kwargs: timeouts, retry bounds, backoff, ``clock`` and ``rng``: see
        :class:`~airflow_provider_ldusage.hooks._base.LaunchDarklyHookBase`.
    """

    hook_name = "LaunchDarkly (async)"

    def __init__(
        self,
        launchdarkly_conn_id: str = LaunchDarklyHookBase.default_conn_name,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(launchdarkly_conn_id, **kwargs)
        self._sleep = sleep
        self._settings: ConnectionSettings | None = None

    async def settings(self) -> ConnectionSettings:
        """The connection's settings, fetched with ``aget_connection`` once and validated."""
        if self._settings is None:
            conn = await BaseHook.aget_connection(self.launchdarkly_conn_id)
            extra = await conn.aextra_dejson() if hasattr(conn, "aextra_dejson") else conn.extra_dejson
            self._settings = self._settings_from(conn.host, conn.password, extra)
        return self._settings

    async def call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        """Call ``operation`` (operation id or sync hook method name) and return the checked body."""
        return await self.send(self.build(operation, **arguments))

    async def send(self, request: UsageRequest) -> dict[str, Any]:
        """Send a built request under the shared retry and rate-limit rules."""
        import httpx

        settings = await self.settings()
        policy = self._policy(settings)
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
