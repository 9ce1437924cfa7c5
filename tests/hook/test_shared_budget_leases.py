"""The shared budget's leases, against a real ``redis-server``: a caller may reserve a few requests at once,
never more than Redis holds, only what no other caller would have sent, and never past a window's close.

Times are passed in (``now``), as the hook's clock does, so each case sits at a chosen point of a window:
the first answer of each test says 50 requests per window, a window that ends one second after ``NOW``.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_ldusage.core.ratelimit import PROBE_WAIT, RateLimitBudget, lower_headers
from airflow_provider_ldusage.hooks._shared_budget import SharedRateBudget, budget_key_prefix
from tests.redis_server import RedisServer

NOW = 1_800_000_000.0
ROUTE = "getMAUTotalUsage"
LIMIT = 50
_tokens = itertools.count()


def _headers(remaining: int, reset_at: float = NOW + 1.0) -> dict[str, str]:
    return lower_headers(
        {
            "X-Ratelimit-Route-Limit": str(LIMIT),
            "X-Ratelimit-Route-Remaining": str(remaining),
            "X-Ratelimit-Reset": str(int(reset_at * 1000)),
        }
    )


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[Any]:
    import redis

    connection = redis.Redis(host="127.0.0.1", port=redis_server.port, socket_timeout=5)
    yield connection
    connection.close()


@pytest.fixture
def prefix() -> str:
    """Keys of a token no other test uses."""
    return budget_key_prefix("http://127.0.0.1:1", f"api-lease-test-{next(_tokens)}-{random.random()}")


def _caller(client: Any, prefix: str) -> SharedRateBudget:
    """One caller (a hook of its own, as each worker process has) on the budget under ``prefix``."""
    return SharedRateBudget(lambda: client, prefix, RateLimitBudget(), "test redis")


def _left(client: Any, prefix: str) -> int:
    return int(client.hget(prefix + f"route:{ROUTE}", "remaining"))


def _meet(*callers: SharedRateBudget) -> None:
    """Each caller sends a request on a route of its own first: Redis knows them as callers of the token."""
    for index, caller in enumerate(callers):
        assert caller.wait_before(f"elsewhere{index}", NOW) is None


def _script_calls(client: Any) -> int:
    stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval"))


def test_a_lone_caller_leases_part_of_what_is_left_and_redis_never_counts_below_zero(
    client: Any, prefix: str
) -> None:
    caller = _caller(client, prefix)
    caller.observe(ROUTE, _headers(remaining=40), NOW)
    before = _script_calls(client)
    sent = 0
    while caller.wait_before(ROUTE, NOW + 0.01) is None:
        sent += 1
        assert _left(client, prefix) >= 0
        assert sent <= 40, "more requests let go than LaunchDarkly said were left"
    assert sent == 40
    assert _left(client, prefix) == 0
    # Each round trip took a fifth of the limit at most (10 more than the request asking): 40 in five.
    assert _script_calls(client) - before <= 6


def test_among_several_callers_a_young_window_and_a_quick_pace_lease_nothing(
    client: Any, prefix: str
) -> None:
    first, second, late = (_caller(client, prefix) for _ in range(3))
    first.observe(ROUTE, _headers(remaining=LIMIT), NOW)
    _meet(first, second)
    assert first.wait_before(ROUTE, NOW + 0.05) is None
    assert second.wait_before(ROUTE, NOW + 0.05) is None
    assert _left(client, prefix) == LIMIT - 2  # a twentieth of the window shows no pace: one each
    # Halfway through, a response says 30 are spent: at that pace the rest will be used before the close.
    late.observe(ROUTE, _headers(remaining=20), NOW + 0.5)
    assert second.wait_before(ROUTE, NOW + 0.5) is None
    assert _left(client, prefix) == 19


def test_among_several_callers_what_a_slow_pace_leaves_unused_is_leased(client: Any, prefix: str) -> None:
    first, second = _caller(client, prefix), _caller(client, prefix)
    first.observe(ROUTE, _headers(remaining=LIMIT), NOW)
    _meet(first, second)
    assert first.wait_before(ROUTE, NOW + 0.05) is None
    assert second.wait_before(ROUTE, NOW + 0.05) is None
    # Halfway, 2 of 50 spent: about 2 more by the close, so 45 would go unused; a lease holds 10 of them.
    assert second.wait_before(ROUTE, NOW + 0.5) is None
    assert _left(client, prefix) == LIMIT - 2 - 11
    before = _script_calls(client)
    for _ in range(10):
        assert second.wait_before(ROUTE, NOW + 0.6) is None
    assert _script_calls(client) == before  # sent on the lease, Redis not asked
    assert _left(client, prefix) == LIMIT - 13
    assert first.wait_before(ROUTE, NOW + 0.6) is None  # the other caller still finds what is left
    assert second.wait_before(ROUTE, NOW + 0.6) is None
    assert _script_calls(client) == before + 2


def test_a_lease_lapses_before_the_window_closes(client: Any, prefix: str) -> None:
    caller = _caller(client, prefix)
    caller.observe(ROUTE, _headers(remaining=40), NOW)
    assert caller.wait_before(ROUTE, NOW + 0.01) is None
    assert _left(client, prefix) == 40 - 11  # this request and a lease of 10
    # Inside the guard before the reset a request could be counted in the next window: the lease is void.
    wait = caller.wait_before(ROUTE, NOW + 0.97)
    assert wait is not None and wait[0] == pytest.approx(0.03, abs=0.002)
    assert "shared in Redis" in wait[1]


def test_a_response_saying_the_budget_is_spent_voids_the_lease(client: Any, prefix: str) -> None:
    caller = _caller(client, prefix)
    caller.observe(ROUTE, _headers(remaining=40), NOW)
    assert caller.wait_before(ROUTE, NOW + 0.01) is None  # holds a lease of 10
    caller.observe(ROUTE, _headers(remaining=0), NOW + 0.02)  # another client spent it
    wait = caller.wait_before(ROUTE, NOW + 0.03)
    assert wait is not None and wait[0] == pytest.approx(0.97, abs=0.002)


def test_callers_in_threads_never_take_more_than_redis_held_and_every_reservation_is_accounted(
    client: Any, prefix: str
) -> None:
    callers = [_caller(client, prefix) for _ in range(8)]
    callers[0].observe(ROUTE, _headers(remaining=LIMIT), NOW)
    sent = [0] * len(callers)
    barrier = threading.Barrier(len(callers))

    def work(index: int) -> None:
        barrier.wait()
        # A slow pace through the window (a request every 20 ms of the caller's clock), so leases are taken.
        for step in range(43):  # up to 0.89 s: inside the window, before its guard
            if callers[index].wait_before(ROUTE, NOW + 0.05 + 0.02 * step) is not None:
                return  # the budget is spent: the caller would wait for the reset
            sent[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(callers))]
    before = _script_calls(client)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    held = sum(lease[0] for caller in callers for lease in caller._leases.values())
    assert sum(sent) <= LIMIT
    assert _left(client, prefix) >= 0
    assert sum(sent) + held == LIMIT - _left(client, prefix)  # reserved = sent + still leased
    assert _script_calls(client) - before < sum(sent) + len(callers)  # some were sent on a lease


def test_a_wait_for_a_routes_first_answer_is_spread_over_milliseconds_not_a_window() -> None:
    caller = SharedRateBudget(lambda: None, "unused:", RateLimitBudget(), "test redis")
    rng = random.Random(5)
    assert all(0 <= caller.spread(rng) <= PROBE_WAIT for _ in range(200))
    # Once a window is known, a wait is for its reset: spread over a part of the window.
    caller.local.observe(ROUTE, _headers(remaining=3, reset_at=NOW + 10.0), NOW)
    assert min(caller.spread(rng) for _ in range(200)) > PROBE_WAIT
