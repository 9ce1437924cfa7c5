"""The async hook (httpx, for triggers) follows the same rules as the sync one, on the same server.

pytest-asyncio is not a dependency, so each test drives its coroutine with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from airflow_provider_ldusage import __version__
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageAuthError,
    LaunchDarklyUsageServerError,
    LaunchDarklyUsageTransportError,
    LaunchDarklyUsageValidationError,
)
from airflow_provider_ldusage.hooks.usage_async import LaunchDarklyUsageAsyncHook

from .conftest import (
    SERIES_BODY,
    TOKEN,
    Answer,
    Console,
    FakeClock,
    ScriptedServer,
    SleepRecorder,
    assert_no_token,
)

WINDOW = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-15T00:00:00Z"}


def _hook(sleeps: SleepRecorder, clock: FakeClock, **kwargs: Any) -> LaunchDarklyUsageAsyncHook:
    async def sleep(seconds: float) -> None:
        sleeps(seconds)

    kwargs.setdefault("read_timeout", 5)
    return LaunchDarklyUsageAsyncHook(sleep=sleep, clock=clock, rng=random.Random(3), **kwargs)


def test_async_429_with_retry_after_then_200(
    server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock, console: Console
) -> None:
    server.queue(Answer(429, {"code": "rate_limited", "message": "slow down"}, {"Retry-After": "2"}))

    result = asyncio.run(_hook(sleeps, clock).call("get_mau_total_usage", **WINDOW))

    assert result == SERIES_BODY
    assert len(server.requests) == 2
    assert len(sleeps.calls) == 1 and 2.0 <= sleeps.calls[0] <= 3.0
    assert [kind for kind, _ in server.events] == ["request", "sleep", "request"]
    assert "Retry-After 2 s" in console.read()


def test_async_requests_carry_the_same_headers_and_query(
    server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    arguments: dict[str, Any] = {**WINDOW, "project_key": ["a", "b"], "group_by": ["projectId", "sdkName"]}
    asyncio.run(_hook(sleeps, clock).call("getMAUTotalUsage", **arguments))

    (request,) = server.requests
    assert request.path == "/api/v2/usage/total-mau"
    assert sorted(request.query) == sorted(
        [
            ("from", "1767225600000"),
            ("to", "1768435200000"),
            ("projectKey", "a"),
            ("projectKey", "b"),
            ("groupBy", "projectId"),
            ("groupBy", "sdkName"),
        ]
    )
    assert request.header_values("Authorization") == [TOKEN]
    assert request.header_values("LD-API-Version") == ["beta"]
    assert request.header_values("Accept") == ["application/json"]
    assert request.header_values("User-Agent") == [f"airflow-provider-ldusage/{__version__}"]


def test_async_401_raises_at_once(server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock) -> None:
    server.default = lambda _request: Answer(401, {"code": "unauthorized", "message": "Invalid access token"})

    with pytest.raises(LaunchDarklyUsageAuthError) as caught:
        asyncio.run(_hook(sleeps, clock).call("getStreamUsage", source="client", **WINDOW))

    assert len(server.requests) == 1 and sleeps.calls == []
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        401,
        "unauthorized",
        "Invalid access token",
    )
    assert_no_token(caught.value)


def test_async_remaining_zero_waits_before_the_next_request(
    server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    reset = str(int((clock.now + 5) * 1000))
    server.queue(Answer(200, SERIES_BODY, {"X-Ratelimit-Route-Remaining": "0", "X-Ratelimit-Reset": reset}))
    hook = _hook(sleeps, clock)

    async def twice() -> None:
        await hook.call("getMAUTotalUsage", **WINDOW)
        await hook.call("getMAUTotalUsage", **WINDOW)

    asyncio.run(twice())
    assert [kind for kind, _ in server.events] == ["request", "sleep", "request"]
    assert 4.9 <= sleeps.calls[0] <= 5.1


def test_async_retries_stop_at_the_bound_and_html_is_explained(
    server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    server.default = lambda _request: Answer(502, page, content_type="text/html")

    with pytest.raises(LaunchDarklyUsageServerError) as caught:
        asyncio.run(_hook(sleeps, clock, max_retries=2).call("getMAUTotalUsage", **WINDOW))

    assert len(server.requests) == 3
    assert "502 Bad Gateway" in str(caught.value) and "text/html, not JSON" in str(caught.value)
    assert_no_token(caught.value)


def test_async_read_timeout_raises(server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock) -> None:
    server.default = lambda _request: Answer(200, SERIES_BODY, delay=3.0)
    with pytest.raises(LaunchDarklyUsageTransportError) as caught:
        asyncio.run(_hook(sleeps, clock, read_timeout=0.5, max_retries=0).call("getMAUTotalUsage", **WINDOW))
    assert len(server.requests) == 1
    assert "Timeout" in str(caught.value)
    assert_no_token(caught.value)


def test_async_validation_happens_before_any_request(
    server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="granularity"):
        asyncio.run(
            _hook(sleeps, clock).call(
                "getMAUTotalUsage", aggregation_type="incremental", granularity="monthly"
            )
        )
    assert server.requests == []
