"""Every call has a deadline (``call_deadline``): a server that sends a byte a second, a long Retry-After
or a slow budget wait all end in ``LaunchDarklyUsageDeadlineError`` naming it, in the sync and async hooks.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageConfigError,
    LaunchDarklyUsageDeadlineError,
    LaunchDarklyUsageRateLimitError,
    LaunchDarklyUsageValidationError,
)
from airflow_provider_ldusage.hooks.params import validate_hook_params
from airflow_provider_ldusage.hooks.usage_async import LaunchDarklyUsageAsyncHook

from .conftest import (
    SERIES_BODY,
    Answer,
    FakeClock,
    ScriptedServer,
    SleepRecorder,
    assert_no_token,
    set_connection,
)

WINDOW = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-15T00:00:00Z"}


def _trickle(body: bytes, every: float = 0.25) -> Answer:
    """A 200 that sends its (valid) body one byte at a time, ``every`` seconds apart."""
    return Answer(chunks=(body[i : i + 1] for i in range(len(body))), pause=every, content_length=len(body))


def _async_hook(sleeps: SleepRecorder, clock: FakeClock, **kwargs: Any) -> LaunchDarklyUsageAsyncHook:
    async def sleep(seconds: float) -> None:
        sleeps(seconds)

    kwargs.setdefault("read_timeout", 5)
    return LaunchDarklyUsageAsyncHook(sleep=sleep, clock=clock, rng=random.Random(3), **kwargs)


@pytest.fixture
def body() -> Iterator[bytes]:
    yield json.dumps(SERIES_BODY).encode()


def test_a_server_sending_a_byte_at_a_time_is_stopped_at_the_deadline(
    make_hook: Callable[..., Any], server: ScriptedServer, body: bytes
) -> None:
    answer = _trickle(body)
    server.queue(answer)
    started = time.monotonic()
    # Each byte arrives well within read_timeout, so only the deadline can end the call.
    with pytest.raises(LaunchDarklyUsageDeadlineError) as caught:
        make_hook(read_timeout=5, call_deadline=1.5).get_mau_total_usage(**WINDOW)
    elapsed = time.monotonic() - started
    assert 1.4 <= elapsed < 3.5, elapsed
    assert answer.sent < len(body)
    error = caught.value
    assert error.deadline == 1.5 and "call_deadline=1.5 s" in str(error)
    assert "reading the response" in str(error) and "GET /api/v2/usage/total-mau" in str(error)
    assert len(server.requests) == 1, "a call past its deadline is not retried"
    assert_no_token(error)


def test_the_async_hook_stops_a_trickling_server_at_the_deadline(
    server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock, body: bytes
) -> None:
    answer = _trickle(body)
    server.queue(answer)
    started = time.monotonic()
    with pytest.raises(LaunchDarklyUsageDeadlineError) as caught:
        asyncio.run(_async_hook(sleeps, clock, call_deadline=1.5).call("get_mau_total_usage", **WINDOW))
    assert 1.4 <= time.monotonic() - started < 3.5
    assert answer.sent < len(body) and len(server.requests) == 1
    assert "call_deadline=1.5 s" in str(caught.value)


def test_a_slow_but_timely_body_still_arrives(
    make_hook: Callable[..., Any], server: ScriptedServer, body: bytes
) -> None:
    server.queue(_trickle(body, every=0.002))
    assert make_hook(call_deadline=30).get_mau_total_usage(**WINDOW) == SERIES_BODY


def test_retry_waits_count_against_the_deadline(
    make_hook: Callable[..., Any], server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    # Retry-After 100 s is within max_retry_wait (300 s) but past the 30 s deadline: no wait, no retry.
    server.queue(Answer(429, {"code": "rate_limited", "message": "slow"}, {"Retry-After": "100"}))
    with pytest.raises(LaunchDarklyUsageDeadlineError) as caught:
        make_hook(call_deadline=30, max_retry_wait=300).get_mau_total_usage(**WINDOW)
    assert sleeps.calls == [] and len(server.requests) == 1
    error = caught.value
    assert "retry wait" in error.reason and "Retry-After 100 s" in error.reason
    assert isinstance(error.__cause__, LaunchDarklyUsageRateLimitError)  # the last answer, kept


def test_the_deadline_spans_every_attempt(
    make_hook: Callable[..., Any], server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    # 503s with Retry-After 4: waits of ~4 s each add up; the sixth would pass the 20 s deadline.
    server.default = lambda recorded: Answer(503, {"message": "busy"}, {"Retry-After": "4"})
    with pytest.raises(LaunchDarklyUsageDeadlineError):
        make_hook(call_deadline=20, max_retries=20, max_retry_wait=600).get_mau_total_usage(**WINDOW)
    assert 3 <= len(sleeps.calls) <= 5 and sleeps.total < 20


def test_the_deadline_async_bounds_retry_waits_too(
    server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    server.queue(Answer(503, {"message": "busy"}, {"Retry-After": "50"}))
    with pytest.raises(LaunchDarklyUsageDeadlineError):
        asyncio.run(_async_hook(sleeps, clock, call_deadline=10).call("get_mau_total_usage", **WINDOW))
    assert sleeps.calls == [] and len(server.requests) == 1


def test_the_deadline_comes_from_the_connection_extra(
    make_hook: Callable[..., Any], server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(monkeypatch, host=server.url, extra={"call_deadline": "45", "max_body_bytes": 4096})
    hook = make_hook()
    assert (hook.settings.call_deadline, hook.settings.max_body_bytes) == (45.0, 4096)
    assert make_hook(call_deadline=7).settings.call_deadline == 7.0  # the hook argument wins
    assert make_hook().settings.call_deadline == 45.0


def test_the_default_deadline_is_finite(make_hook: Callable[..., Any], server: ScriptedServer) -> None:
    settings = make_hook().settings
    assert settings.call_deadline == 600.0 and settings.max_body_bytes == 64 * 1024 * 1024


@pytest.mark.parametrize("value", [0, "0", -1, "soon", float("nan"), "inf"])
def test_a_bad_deadline_is_refused_before_any_request(
    make_hook: Callable[..., Any], server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, value: Any
) -> None:
    set_connection(monkeypatch, host=server.url, extra={"call_deadline": value})
    with pytest.raises(LaunchDarklyUsageConfigError, match="call_deadline"):
        make_hook().get_mau_total_usage(**WINDOW)
    with pytest.raises(LaunchDarklyUsageValidationError, match="call_deadline"):
        validate_hook_params({"call_deadline": value})
    assert server.requests == []


def test_hook_params_accept_the_new_limits() -> None:
    assert validate_hook_params({"call_deadline": 120, "max_body_bytes": 1 << 20}) == {
        "call_deadline": 120,
        "max_body_bytes": 1 << 20,
    }
    with pytest.raises(LaunchDarklyUsageValidationError, match="max_body_bytes"):
        validate_hook_params({"max_body_bytes": 1.5})
