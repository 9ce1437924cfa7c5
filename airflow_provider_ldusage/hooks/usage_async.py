"""``LaunchDarklyUsageAsyncHook``: the same calls for triggers, over ``httpx.AsyncClient``.

It shares everything but the socket with :class:`~airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook`:
request building, the retry and rate-limit rules and the response checks all come from
:mod:`airflow_provider_ldusage.core`. The connection is fetched the async way, because the sync lookup
deadlocks inside the triggerer's event loop on Airflow 3.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from airflow_provider_ldusage.compat import aextra_dejson, aget_connection
from airflow_provider_ldusage.core.exchange import STOPPED_AT_DEADLINE, Reply, Send, Wait, exchange
from airflow_provider_ldusage.core.request import UsageRequest, request_headers
from airflow_provider_ldusage.hooks._base import USER_AGENT, LaunchDarklyHookBase
from airflow_provider_ldusage.hooks._body import BodyReader
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
            conn = await aget_connection(self.launchdarkly_conn_id)
            extra = await aextra_dejson(conn)
            # Validation and registering the token with the masker run in a thread: off the event loop.
            self._settings = await asyncio.to_thread(self._settings_from, conn.host, conn.password, extra)
        return self._settings

    async def call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        """Call ``operation`` (operation id or sync hook method name) and return the checked body."""
        return await self.send(self.build(operation, **arguments))

    async def send(self, request: UsageRequest) -> dict[str, Any]:
        """Send a built request under the shared retry and rate-limit rules.

        Nothing slow runs on the event loop: the client (its TLS context loads the CA bundle) is built and
        every reply is decoded and checked in a worker thread; the loop only waits on sockets and sleeps.
        """
        settings = await self.settings()
        policy = self._policy(settings)
        if settings.shared_budget_redis_conn_id:
            # A blocking Redis round trip per request would stall the triggerer's event loop, and a trigger
            # sends one request per poke: this hook paces alone.
            self.log.debug("The async hook paces alone; the shared rate budget serves the sync hook")
        conversation = exchange(
            request,
            policy,
            self._budget,
            self._clock,
            self._rng,
            settings.token,
            deadline=settings.call_deadline,
            max_body_bytes=settings.max_body_bytes,
        )
        step = next(conversation)
        client = await asyncio.to_thread(
            _new_client, settings.base_url, request_headers(settings.token, USER_AGENT), settings
        )
        try:
            while True:
                if isinstance(step, Wait):
                    log_wait(self.log, step, request, policy.max_retries)
                    await self._sleep(step.seconds)
                    step = conversation.send(None)
                    continue
                reply = await self._attempt(client, request, step)
                # StopIteration cannot cross a thread's future (asyncio turns it into a TypeError in a
                # callback and the await never returns): the conversation's end comes back as a value.
                finished, outcome = await asyncio.to_thread(_advance, conversation, reply)
                if finished:
                    answer: dict[str, Any] = outcome
                    return answer
                step = outcome
        except StopIteration as done:
            result: dict[str, Any] = done.value
            return result
        finally:
            conversation.close()
            await client.aclose()

    async def _attempt(self, client: Any, request: UsageRequest, send: Send) -> Reply:
        """One GET, its body streamed within the call's byte cap; the whole attempt bounded by the time
        left before the call's deadline."""
        import httpx  # already loaded by _new_client, in its thread

        reader = BodyReader(send)

        async def attempt() -> Reply:
            async with client.stream("GET", request.path, params=list(request.params)) as response:
                head = response.headers
                self._last_date = head.get("date") or self._last_date
                status = response.status_code
                if 300 <= status < 400:
                    return Reply(status, head)  # never followed, its body never read
                stopped = reader.check_declared(head.get("content-length"))
                if stopped is None:
                    async for chunk in response.aiter_bytes():
                        stopped = reader.add(chunk)
                        if stopped is not None:
                            break
                    else:
                        return Reply(status, head, reader.body())
                return Reply(status, head, stopped=stopped)

        try:
            left = reader.time_left()
            return await (attempt() if left is None else asyncio.wait_for(attempt(), max(left, 0.001)))
        except asyncio.TimeoutError:
            return Reply(None, stopped=STOPPED_AT_DEADLINE)
        except (httpx.TransportError, httpx.DecodingError) as exc:
            if reader.expired():
                return Reply(None, stopped=STOPPED_AT_DEADLINE)
            return Reply(None, fault=describe_fault(exc))


def _advance(conversation: Any, reply: Reply) -> tuple[bool, Any]:
    """Send ``reply`` into the conversation: ``(False, next step)``, or ``(True, result)`` at its end."""
    try:
        return False, conversation.send(reply)
    except StopIteration as done:
        return True, done.value


def _new_client(base_url: str, headers: dict[str, str], settings: ConnectionSettings) -> Any:
    """An ``httpx.AsyncClient`` that follows no redirect, built in a worker thread: importing httpx,
    loading the CA bundle and the network backend its first connection would import (anyio) all take
    long enough to stall an event loop."""
    import httpx

    with contextlib.suppress(ImportError):  # httpcore's lazily imported backend; its layout may change
        importlib.import_module("httpcore._backends.anyio")
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        follow_redirects=False,
    )
