"""Many workers on one token: 429s bounded by time, waits spread, and one budget shared through Redis.

The budget's rules are checked on their own first; then many clients — threads with a hook each, and
separate processes — share one emulator route budget over real HTTP, each pacing alone or through a real
``redis-server`` on loopback, and Redis is killed in the middle of a run.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.core.ratelimit import RateLimitBudget, lower_headers
from airflow_provider_ldusage.core.retry import Outcome, RetryPolicy, decide
from airflow_provider_ldusage.defaults import RATE_WINDOW, RESET_JITTER
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig
from tests.redis_server import RedisServer

from .conftest import TOKEN, Answer, ScriptedServer, set_connection

UTC = timezone.utc
W = {"start": datetime(2026, 1, 1, tzinfo=UTC), "end": datetime(2026, 1, 8, tzinfo=UTC)}
NOW = 1_800_000_000.0
REDIS_CONN_ID = "ldusage_shared_budget"
WORKER = Path(__file__).with_name("budget_worker.py")


def _headers(remaining: int, reset_in: float, limit: int = 5, now: float = NOW) -> dict[str, str]:
    return lower_headers(
        {
            "X-Ratelimit-Route-Limit": str(limit),
            "X-Ratelimit-Route-Remaining": str(remaining),
            "X-Ratelimit-Reset": str(int((now + reset_in) * 1000)),
        }
    )


# --- the budget's rules -------------------------------------------------------------------------------------


def test_each_request_reserves_one_of_the_requests_reported_left() -> None:
    budget = RateLimitBudget()
    budget.observe("r", _headers(remaining=2, reset_in=4), NOW)
    assert budget.wait_before("r", NOW) is None
    assert budget.wait_before("r", NOW) is None  # two threads of one hook: both fit
    wait = budget.wait_before("r", NOW)  # the third would be a 429
    assert wait is not None and wait[0] == pytest.approx(4.0) and "route" in wait[1]
    assert budget.wait_before("other", NOW) is None  # another route's budget is untouched


def test_within_a_window_the_lower_count_wins() -> None:
    budget = RateLimitBudget()
    budget.observe("r", _headers(remaining=1, reset_in=4), NOW)
    budget.observe("r", _headers(remaining=3, reset_in=4), NOW)  # an earlier answer that arrived late
    assert budget.wait_before("r", NOW) is None
    assert budget.wait_before("r", NOW) is not None


def test_a_new_window_holds_the_limit_again_until_a_response_says_otherwise() -> None:
    budget = RateLimitBudget()
    budget.observe("r", _headers(remaining=0, reset_in=1, limit=3), NOW)
    budget.observe("r", _headers(remaining=0, reset_in=2, limit=3), NOW + 1)  # learns: windows of 1 s
    assert budget.window == pytest.approx(1.0)
    later = NOW + 2.01
    assert [budget.wait_before("r", later) is None for _ in range(4)] == [True, True, True, False]
    # The next response's reset replaces the assumed one; its count only lowers ours (the requests we
    # reserved may not have reached LaunchDarkly yet).
    budget.observe("r", _headers(remaining=2, reset_in=0.5, limit=3, now=later), later)
    wait = budget.wait_before("r", later)
    assert wait is not None and wait[0] == pytest.approx(0.5)


def test_spread_is_a_small_random_part_of_the_window() -> None:
    budget = RateLimitBudget()
    budget.observe("r", _headers(remaining=0, reset_in=0.8), NOW)  # the window is at least 0.8 s
    rng = random.Random(3)
    draws = [budget.spread(rng) for _ in range(400)]
    assert all(0.1 * RESET_JITTER * 0.8 <= d <= RESET_JITTER * 0.8 for d in draws)
    assert len({round(d, 6) for d in draws}) > 350  # spread out, not a few instants
    assert statistics.pstdev(draws) > 0.2 * RESET_JITTER * 0.8


def test_retries_after_one_429_are_spread_over_a_small_part_of_the_window() -> None:
    outcome = Outcome(429, lower_headers({"Retry-After": "2"}))
    waits = [decide(RetryPolicy(), outcome, 0, 0.0, NOW, random.Random(seed)).wait for seed in range(200)]
    assert all(2.0 <= w <= 2.0 + RESET_JITTER * RATE_WINDOW for w in waits)
    assert statistics.pstdev(waits) > 0.05


def test_retry_after_is_never_shortened_and_a_later_precise_reset_lengthens_it() -> None:
    rng = random.Random(1)
    spent = {"X-Ratelimit-Route-Remaining": "0", "Retry-After": "1"}
    early = Outcome(429, lower_headers({**spent, "X-Ratelimit-Reset": str(int((NOW + 0.3) * 1000))}))
    late = Outcome(429, lower_headers({**spent, "X-Ratelimit-Reset": str(int((NOW + 1.7) * 1000))}))
    assert 1.0 <= decide(RetryPolicy(), early, 0, 0.0, NOW, rng, window=1.0).wait <= 1.0 + RESET_JITTER
    assert 1.7 <= decide(RetryPolicy(), late, 0, 0.0, NOW, rng, window=1.0).wait <= 1.7 + RESET_JITTER


def test_429s_are_bounded_by_time_and_5xx_by_count() -> None:
    rng = random.Random(1)
    policy = RetryPolicy(max_retries=2, max_total_wait=30)
    limited = Outcome(429, lower_headers({"Retry-After": "1"}))
    assert decide(policy, limited, 50, 10.0, NOW, rng, fault_retries=0).retry
    assert not decide(policy, limited, 50, 29.5, NOW, rng, fault_retries=0).retry
    failing = Outcome(503, {})
    assert not decide(policy, failing, 50, 0.0, NOW, rng, fault_retries=2).retry
    assert decide(policy, failing, 50, 0.0, NOW, rng, fault_retries=1).retry


# --- over HTTP ----------------------------------------------------------------------------------------------


def test_retry_after_is_honoured_over_http(server: ScriptedServer) -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    reset = {"X-Ratelimit-Route-Remaining": "0", "X-Ratelimit-Reset": str(int((time.time() + 0.2) * 1000))}
    server.queue(Answer(429, {"code": "rate_limited", "message": "slow down"}, {"Retry-After": "1", **reset}))
    hook = LaunchDarklyUsageHook(read_timeout=5)
    try:
        hook.get_mau_total_usage(**W)
    finally:
        hook.close()
    first, second = server.requests
    assert second.at - first.at >= 1.0  # not at the earlier reset: Retry-After says one second


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator whose route budget is 8 requests per half-second window, the connection pointing at it."""
    from airflow_provider_ldusage.testing.emulator.server import run_emulator

    config = EmulatorConfig(seed=1, now=datetime(2026, 11, 2, 6, tzinfo=UTC), route_budget=8, rate_window=0.5)
    with run_emulator(config) as emulator:
        set_connection(monkeypatch, host=emulator.url, password=emulator.token)
        yield emulator


def _point_at(monkeypatch: pytest.MonkeyPatch, redis: RedisServer) -> None:
    conn = {"conn_type": "redis", "host": "127.0.0.1", "port": redis.port}
    monkeypatch.setenv(f"AIRFLOW_CONN_{REDIS_CONN_ID.upper()}", json.dumps(conn))


def _run_threads(hooks: list[Any], calls: int, during: Any = None) -> list[str]:
    """Each hook in its own thread, ``calls`` calls each, all started together; the errors raised."""
    failed: list[str] = []
    barrier = threading.Barrier(len(hooks))

    def work(hook: Any) -> None:
        barrier.wait()
        for _ in range(calls):
            try:
                hook.get_mau_total_usage(**W)
            except Exception as exc:
                failed.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(hook,)) for hook in hooks]
    for thread in threads:
        thread.start()
    if during is not None:
        during()
    for thread in threads:
        thread.join(120)
    for hook in hooks:
        hook.close()
    return failed


def _statuses(emulator: Emulator) -> list[int]:
    return [r.status for r in emulator.requests]


@pytest.mark.parametrize("shared", [False, True], ids=["each-paces-alone", "shared-in-redis"])
def test_a_stampede_of_threads_on_one_route_budget_fails_no_call(
    emu: Emulator, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, shared: bool
) -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    _point_at(monkeypatch, redis_server)
    conn_id = REDIS_CONN_ID if shared else None
    hooks = [LaunchDarklyUsageHook(shared_budget_redis_conn_id=conn_id) for _ in range(12)]
    failed = _run_threads(hooks, calls=4)
    statuses = _statuses(emu)
    assert failed == []
    assert statuses.count(200) == 48
    if shared:  # one budget for all: at most a boundary crossing or two meets a 429
        assert statuses.count(429) <= 2, statuses


@pytest.mark.parametrize("shared", [False, True], ids=["each-paces-alone", "shared-in-redis"])
def test_a_stampede_of_processes_on_one_route_budget_fails_no_call(
    emu: Emulator, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, shared: bool
) -> None:
    _point_at(monkeypatch, redis_server)
    argv = [sys.executable, str(WORKER), "6"] + ([REDIS_CONN_ID] if shared else [])
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    workers = [subprocess.Popen(argv, **pipes) for _ in range(4)]  # type: ignore[call-overload]
    for worker in workers:  # every one imported and configured: then all start at once
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, _ = worker.communicate(timeout=180)
        assert worker.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [r["failed"] for r in results] == [[]] * 4
    assert sum(r["ok"] for r in results) == 24
    statuses = _statuses(emu)
    assert statuses.count(200) == 24
    if shared:
        assert statuses.count(429) <= 2, statuses


def test_the_budget_in_redis_is_keyed_by_a_hash_of_the_token_never_the_token(
    emu: Emulator, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    from airflow_provider_ldusage.hooks._shared_budget import budget_key_prefix
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    _point_at(monkeypatch, redis_server)
    hook = LaunchDarklyUsageHook(shared_budget_redis_conn_id=REDIS_CONN_ID)
    hook.get_mau_total_usage(**W)
    hook.close()
    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    prefix = budget_key_prefix(emu.url, emu.token)
    keys = [k.decode() for k in client.keys(prefix + "*")]
    assert prefix + "route:getMAUTotalUsage" in keys
    dump = repr(keys) + repr([client.dump(k) for k in keys])
    assert emu.token not in dump and emu.token not in prefix and TOKEN not in dump
    assert client.hget(prefix + "route:getMAUTotalUsage", "limit") == b"8"


def test_when_redis_goes_away_mid_run_calls_pace_locally_and_one_warning_says_so(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, log_capture: Any
) -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    redis = RedisServer().start()
    try:
        _point_at(monkeypatch, redis)
        hooks = [LaunchDarklyUsageHook(shared_budget_redis_conn_id=REDIS_CONN_ID) for _ in range(6)]

        def kill_after_a_third() -> None:
            deadline = time.monotonic() + 60
            while len(emu.requests) < 12 and time.monotonic() < deadline:
                time.sleep(0.01)
            redis.kill()

        failed = _run_threads(hooks, calls=6, during=kill_after_a_third)
    finally:
        redis.stop()
    assert failed == []
    assert _statuses(emu).count(200) == 36
    warnings = [
        r.getMessage()
        for r in log_capture.records
        if r.name.endswith("_shared_budget") and r.levelname == "WARNING"
    ]
    # One warning per hook that met the outage (each stands for a worker of its own), never one per call.
    noticed = [hook for hook in hooks if hook._shared is not None and not hook._shared.shared]
    assert len(noticed) >= len(hooks) - 1  # a hook may have finished before Redis went away
    assert len(warnings) == len(noticed), warnings
    assert all("'ldusage_shared_budget'" in w and "paces its calls alone" in w for w in warnings)


def test_a_shared_budget_on_a_connection_that_does_not_exist_fails_the_call_before_any_request(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_ldusage.exceptions import LaunchDarklyUsageConfigError
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    monkeypatch.delenv("AIRFLOW_CONN_LDUSAGE_NO_SUCH_REDIS", raising=False)
    hook = LaunchDarklyUsageHook(shared_budget_redis_conn_id="ldusage_no_such_redis")
    before = len(emu.requests)
    with pytest.raises(
        LaunchDarklyUsageConfigError, match="shared_budget_redis_conn_id='ldusage_no_such_redis'"
    ):
        hook.get_mau_total_usage(**W)
    hook.close()
    assert len(emu.requests) == before  # refused, not quietly paced alone
