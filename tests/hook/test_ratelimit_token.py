"""The per-access-token rate-limit budget (``X-Ratelimit-Auth-Token-*``) with its own reset
header, read like the account and route budgets: a spent budget makes the next request wait until that
reset instead of spending itself on a 429, and a 429 of the token budget is retried after that reset."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_provider_ldusage.core.ratelimit import RateLimitBudget, lower_headers, spent_reset_seconds
from airflow_provider_ldusage.defaults import RESET_JITTER
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig

from .conftest import Answer, FakeClock, ScriptedServer, SleepRecorder

UTC = timezone.utc
EMPTY = {"_links": {}, "metadata": [], "series": []}
W = {"start": datetime(2026, 1, 1, tzinfo=UTC), "end": datetime(2026, 1, 15, tzinfo=UTC)}


def _token_headers(
    clock: FakeClock, remaining: int, token_reset_in: float, reset_in: float = 1.0
) -> dict[str, str]:
    return {
        "X-Ratelimit-Global-Limit": "100",
        "X-Ratelimit-Global-Remaining": "50",
        "X-Ratelimit-Reset": str(int((clock.now + reset_in) * 1000)),
        "X-Ratelimit-Auth-Token-Limit": "5",
        "X-Ratelimit-Auth-Token-Remaining": str(remaining),
        "X-Ratelimit-Auth-Token-Reset": str(int((clock.now + token_reset_in) * 1000)),
    }


def test_budget_waits_for_the_token_reset_not_the_global_one() -> None:
    budget = RateLimitBudget(max_wait=60)
    now = 1_000_000.0
    headers = lower_headers(
        {
            "X-Ratelimit-Reset": str(int((now + 1) * 1000)),
            "X-Ratelimit-Global-Remaining": "9",
            "X-Ratelimit-Auth-Token-Remaining": "0",
            "X-Ratelimit-Auth-Token-Reset": str(int((now + 4) * 1000)),
        }
    )
    budget.observe("getAiRunsUsage", headers, now)
    wait = budget.wait_before("getVegaAIUsage", now)  # any route: the token is spent for every one
    assert wait is not None
    assert wait[0] == pytest.approx(4.0)
    assert "access-token" in wait[1]
    assert budget.wait_before("getVegaAIUsage", now + 4) is None


def test_a_token_budget_with_remaining_left_does_not_wait() -> None:
    budget = RateLimitBudget()
    now = 1_000_000.0
    headers = lower_headers(
        {"X-Ratelimit-Auth-Token-Remaining": "1", "X-Ratelimit-Auth-Token-Reset": str(int((now + 4) * 1000))}
    )
    budget.observe("r", headers, now)
    assert budget.wait_before("r", now) is None


def test_the_token_reset_alone_is_enough_and_is_clamped() -> None:
    budget = RateLimitBudget(max_wait=10)
    now = 1_000_000.0
    far = {
        "X-Ratelimit-Auth-Token-Remaining": "0",
        "X-Ratelimit-Auth-Token-Reset": str(int((now + 3600) * 1000)),
    }
    budget.observe("r", lower_headers(far), now)
    wait = budget.wait_before("r", now)
    assert wait is not None and wait[0] == pytest.approx(10.0)


def test_spent_reset_is_the_latest_reset_of_the_spent_budgets() -> None:
    now = 1_000_000.0
    headers = lower_headers(
        {
            "X-Ratelimit-Reset": str(int((now + 2) * 1000)),
            "X-Ratelimit-Route-Remaining": "0",
            "X-Ratelimit-Auth-Token-Remaining": "0",
            "X-Ratelimit-Auth-Token-Reset": str(int((now + 7) * 1000)),
        }
    )
    assert spent_reset_seconds(headers, now) == pytest.approx(7.0)
    only_global = lower_headers({"X-Ratelimit-Reset": str(int((now + 2) * 1000))})
    assert spent_reset_seconds(only_global, now) == pytest.approx(2.0)


def test_the_hook_pre_waits_until_the_token_reset(
    server: ScriptedServer, hook: Any, clock: FakeClock, sleeps: SleepRecorder
) -> None:
    server.queue(Answer(body=EMPTY, headers=_token_headers(clock, remaining=0, token_reset_in=4.0)))
    hook.get_ai_runs_usage(**W)
    hook.get_vega_ai_usage(**W)  # another route: the token budget covers every route
    assert len(server.requests) == 2
    # the reset, then a spread over a small part of the window (4 s as far as the hook can tell)
    assert sleeps.calls and 4.0 <= sleeps.calls[0] <= 4.0 + RESET_JITTER * 4.0 + 0.01
    assert [e[0] for e in server.events] == ["request", "sleep", "request"]


def test_a_token_429_is_retried_after_the_token_reset(
    server: ScriptedServer, hook: Any, clock: FakeClock, sleeps: SleepRecorder
) -> None:
    limited = Answer(
        status=429,
        body={"code": "rate_limited", "message": "Too many requests for this access token"},
        headers=_token_headers(clock, remaining=0, token_reset_in=3.0, reset_in=0.5),
    )
    server.queue(limited)
    hook.get_vega_ai_usage(**W)
    assert [len(server.requests), len(sleeps.calls)] == [2, 1]
    # The token budget's own reset (3 s), not X-Ratelimit-Reset (0.5 s), plus a spread over a small part of
    # the window (3 s as far as the hook can tell).
    assert 3.0 <= sleeps.calls[0] <= 3.0 + RESET_JITTER * 3.0 + 0.01


# --- against the emulator's per-token budget ----------------------------------------------------------------


@pytest.fixture
def emu() -> Iterator[Emulator]:
    from airflow_provider_ldusage.testing.emulator.server import run_emulator

    config = EmulatorConfig(seed=1, now=datetime(2026, 11, 2, 6, tzinfo=UTC), token_budget=2, rate_window=1.0)
    with run_emulator(config) as emulator:
        yield emulator


def test_emulator_token_budget_is_waited_out_without_a_429(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    from .conftest import set_connection

    set_connection(monkeypatch, host=emu.url, password=emu.token)
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # real waits: the emulator's windows run on real time
        waits.append(seconds)
        time.sleep(seconds)

    hook = LaunchDarklyUsageHook(read_timeout=10, sleep=sleep, max_retries=0)
    try:
        # Start just after a window opens, so two calls fit in it and the third finds the budget spent.
        time.sleep(1.0 - (time.time() % 1.0) + 0.02)
        hook.get_ai_runs_usage(**W)
        hook.get_vega_ai_usage(**W)
        hook.get_observability_metrics_usage(**W)  # three routes: only the token budget binds
    finally:
        hook.close()
    statuses = [r.status for r in emu.requests]
    assert statuses == [200, 200, 200]  # waited for the reset instead of spending a request on a 429
    assert waits and 0 < waits[0] <= 1.0 * 1.05 + 0.01  # the reset, plus a spread within 5 % of the window
    assert emu.requests[1].headers.get("authorization") == "***"
