"""One rate budget for every process using an access token, kept in Redis.

LaunchDarkly reports each budget in its responses (requests ``Remaining`` until an epoch-ms ``Reset``);
the state kept here is what the server last said, so every worker waits for the same reset and reserves
from the same count. Each budget (access token, route, account) is one Redis hash under a key made from a
hash of the base URL and the token (never the token itself), updated by two Lua scripts run atomically by
the server: ``observe`` merges a response's headers, ``acquire`` reserves one request of every budget a
request spends, or says how long until the latest spent one resets. It may reserve a few more for this
process's next requests (a lease, sent without asking Redis, good until the guard before the reset): up to
a fifth of the limit when no other process used the token in the last 10 s, else only what the pace so far
in the window would leave unused before it closes — so a lease that lapses unused takes from the others
nothing they would have sent (or, from a newcomer, at most a fifth of one window) — and never more than is
left: the count in Redis never goes below zero. The rules are those of
:class:`~airflow_provider_ldusage.core.ratelimit.RateLimitBudget`, which also keeps a local copy of every
answer: when Redis cannot be reached the hook goes on pacing this process alone, logs one warning, and
tries Redis again after :data:`RECONNECT_AFTER` seconds.

Rate-limit libraries with Redis storage (``limits``, ``pyrate-limiter``) count hits against a rate the
client states, in windows that start at the client's first hit; neither can take "LaunchDarkly says 3 left
until 12:00:10.000", which is the only trustworthy source here, so two short scripts keep that instead.
The redis client comes with Airflow's ``redis`` provider (``pip install airflow-provider-ldusage[redis]``)
and is imported only when a shared budget is configured.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from airflow_provider_ldusage.core.ratelimit import (
    PROBE_TTL,
    PROBE_WAIT,
    RateLimitBudget,
    observations,
    scopes_for,
)
from airflow_provider_ldusage.defaults import MIN_WINDOW, RATE_WINDOW, RESET_JITTER
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageConfigError

log = logging.getLogger(__name__)

#: Seconds after a Redis failure before the shared budget is tried again (meanwhile: local pacing).
RECONNECT_AFTER = 30.0
#: Seconds a Redis command may take before the call paces locally instead (loopback or a LAN: ms).
REDIS_TIMEOUT = 1.0
#: Keys outlive their last update by this long, then vanish (a budget unused for an hour is unknown).
KEY_TTL_MS = 3_600_000
#: The largest part of a budget's limit one lease may hold (what is lost if its process stops at once).
LEASE_SHARE = 0.2
#: The part of a window that must have passed before its pace so far is trusted to size a lease.
LEASE_AFTER = 0.1

# Fields: reset (epoch ms), remaining, limit (-1 unknown), prov (1: rolled over by a client, not yet
# confirmed by a response), sreset (the last reset a response reported), win (window length learnt, ms).
# KEYS: the budgets reported, then the route's "seen" key. ARGV: now (ms), (remaining, reset, limit) per
# budget, the keys' time to live (ms).
_OBSERVE = """
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[#ARGV])
redis.call('SET', KEYS[#KEYS], 1, 'PX', ttl)
for i = 1, #KEYS - 1 do
  local key = KEYS[i]
  local base = 1 + (i - 1) * 3
  local remaining = tonumber(ARGV[base + 1])
  local reset = tonumber(ARGV[base + 2])
  local limit = tonumber(ARGV[base + 3])
  local cur = redis.call('HMGET', key, 'reset', 'remaining', 'prov', 'sreset', 'win', 'lower')
  local creset = tonumber(cur[1])
  local lower = tonumber(cur[6])
  if reset - now > (lower or 0) then redis.call('HSET', key, 'lower', reset - now) end
  local write = true
  if creset == nil then
    redis.call('HSET', key, 'reset', reset, 'remaining', remaining, 'prov', 0)
  elseif cur[3] == '1' or reset == creset then
    local r = math.min(tonumber(cur[2]), remaining)
    redis.call('HSET', key, 'reset', reset, 'remaining', r, 'prov', 0)
  elseif reset > creset then
    redis.call('HSET', key, 'reset', reset, 'remaining', remaining, 'prov', 0)
  else
    write = false
  end
  if write then
    local sreset = tonumber(cur[4])
    if sreset == nil or reset > sreset then
      if sreset ~= nil then
        local gap = reset - sreset
        local win = tonumber(cur[5])
        if win == nil or gap < win then redis.call('HSET', key, 'win', gap) end
      end
      redis.call('HSET', key, 'sreset', reset)
    end
    if limit >= 0 then redis.call('HSET', key, 'limit', limit) end
    redis.call('PEXPIRE', key, ttl)
  end
end
return 0
"""

# Returns {-1, reserved, lease end} when the request may go: ``reserved`` requests (this one and a lease for
# the next ones, at least 1) reserved in every known budget, usable until the lease end (epoch ms: the
# earliest of their resets less the guard; 0 when no budget is known and nothing was reserved). Else
# {wait_ms, index of the budget key whose reset is latest, or 0 while another request learns a new route's
# budget, the window length (ms), for the spread after the reset}.
# KEYS: the three budgets, the route's "seen" key, its "probe" key, the token's callers (a sorted set:
# caller -> its last acquire, ms). ARGV: now (ms), the window to assume when none is learnt (ms), the
# shortest and longest window believed (ms), the guard before a reset (a fraction of the window, and at
# least this process's own guard in ms: twice its round trip), how long a probe holds (ms), the wait
# meanwhile (ms), the largest part of a limit one lease may hold, the part of a window that must have
# passed before its pace sizes a lease, this caller's id.
# A lease is what no other caller would have sent: when this caller is the only one of the last window, a
# part of what is left; otherwise what the pace so far would leave unused before the window closes
# (requests reserved so far, limit - remaining, over the time since the window opened, projected to its
# close). A budget of unknown limit leases nothing, nor, among several callers, a window too young to show
# a pace.
_ACQUIRE = """
local now = tonumber(ARGV[1])
local fallback = tonumber(ARGV[2])
local shortest, longest = tonumber(ARGV[3]), tonumber(ARGV[4])
local fraction = tonumber(ARGV[5])
local least_guard = tonumber(ARGV[6])
local lease_share, lease_after = tonumber(ARGV[9]), tonumber(ARGV[10])
redis.call('ZADD', KEYS[6], now, ARGV[11])
local others = redis.call('ZCOUNT', KEYS[6], now - longest, '+inf') > 1
if redis.call('EXISTS', KEYS[4]) == 0 then
  if not redis.call('SET', KEYS[5], 1, 'NX', 'PX', tonumber(ARGV[7])) then
    return {tonumber(ARGV[8]), 0, fallback}
  end
end
local present = {}
local spent_at, spent_key, spent_win = -1, 0, fallback
local extra, lease_end = -1, 0
for i = 1, 3 do
  local key = KEYS[i]
  local cur = redis.call('HMGET', key, 'reset', 'remaining', 'limit', 'win', 'lower')
  local reset = tonumber(cur[1])
  if reset ~= nil then
    local remaining = tonumber(cur[2])
    local limit = tonumber(cur[3])
    local keep = true
    local win = tonumber(cur[4]) or tonumber(cur[5]) or fallback
    win = math.min(math.max(win, shortest), longest)
    if now >= reset then
      if limit == nil or limit < 0 then
        redis.call('DEL', key)
        keep = false
      else
        reset = reset + (math.floor((now - reset) / win) + 1) * win
        remaining = limit
        redis.call('HSET', key, 'reset', reset, 'remaining', remaining, 'prov', 1)
      end
    end
    if keep then
      table.insert(present, key)
      local guard = math.min(math.max(win * fraction, least_guard), win / 2)
      if (remaining <= 0 or now >= reset - guard) and reset > spent_at then
        spent_at, spent_key, spent_win = reset, i, win
      end
      local usable_until = reset - guard
      if lease_end == 0 or usable_until < lease_end then lease_end = usable_until end
      local spare = 0
      local elapsed = now - (reset - win)
      if limit ~= nil and limit > 0 then
        local most = math.min(remaining - 1, math.floor(limit * lease_share))
        if not others then
          spare = most
        elseif elapsed >= win * lease_after then
          local pace = math.max(limit - remaining, 0) / elapsed
          spare = math.min(math.floor(remaining - 1 - pace * (usable_until - now)), most)
        end
      end
      if extra < 0 or spare < extra then extra = spare end
    end
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - longest)
redis.call('PEXPIRE', KEYS[6], 2 * longest)
if spent_key > 0 then
  return {spent_at - now, spent_key, spent_win}
end
local reserved = 1 + math.max(extra, 0)
for _, key in ipairs(present) do
  redis.call('HINCRBY', key, 'remaining', -reserved)
end
return {-1, reserved, lease_end}
"""


def budget_key_prefix(base_url: str, token: str) -> str:
    """The Redis key prefix of one token's budgets: a hash of base URL and token, never the token.

    The hash sits in braces (a Redis Cluster hash tag) so every key of one token lives in one slot and a
    script may touch them together.
    """
    digest = hashlib.sha256(f"{base_url}\0{token}".encode()).hexdigest()[:32]
    return f"ldusage:ratelimit:{{{digest}}}:"


def redis_client(redis_conn_id: str) -> Any:
    """A redis client for Airflow connection ``redis_conn_id`` (type ``redis``), with short timeouts.

    :raises LaunchDarklyUsageConfigError: when Airflow's ``redis`` provider is not installed.
    """
    try:
        from airflow.providers.redis.hooks.redis import RedisHook
    except ImportError:
        raise LaunchDarklyUsageConfigError(
            f"shared_budget_redis_conn_id={redis_conn_id!r} needs Airflow's redis provider: "
            "pip install 'airflow-provider-ldusage[redis]' (apache-airflow-providers-redis)"
        ) from None
    try:
        # Builds the client from the connection; nothing is sent yet, so what fails here is configuration.
        client = RedisHook(redis_conn_id=redis_conn_id).get_conn()
    except Exception as exc:
        raise LaunchDarklyUsageConfigError(
            f"shared_budget_redis_conn_id={redis_conn_id!r}: no usable redis connection of that id "
            f"({type(exc).__name__}: {exc}); create it, or remove the extra to pace each process alone"
        ) from None
    pool = getattr(client, "connection_pool", None)
    if pool is not None:
        # RedisHook sets no timeouts: a Redis that hangs would hang every call with it.
        pool.connection_kwargs.setdefault("socket_timeout", REDIS_TIMEOUT)
        pool.connection_kwargs.setdefault("socket_connect_timeout", REDIS_TIMEOUT)
    return client


class SharedRateBudget:
    """A rate budget shared through Redis by every process using one token, with local pacing as fallback.

    Used like :class:`~airflow_provider_ldusage.core.ratelimit.RateLimitBudget` (``observe``,
    ``wait_before``, ``spread``, ``window``), which it wraps and keeps up to date.

    :param connect: returns the redis client (called once, on first use, and again after a failure).
    :param key_prefix: from :func:`budget_key_prefix`.
    :param local: the process's own budget: kept current, and used while Redis is unreachable.
    :param description: names the store in the warning (the Redis connection id).
    :param clock: monotonic seconds, for the reconnect delay.
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        key_prefix: str,
        local: RateLimitBudget,
        description: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connect = connect
        self._prefix = key_prefix
        self.local = local
        self._description = description
        self._clock = clock
        self._lock = threading.Lock()
        self._scripts: tuple[Any, Any] | None = None
        self._down_since: float | None = None
        self._window: float | None = None
        self._told: dict[str, int] = {}  # budget -> the last reset written to Redis; routes announced
        # route -> (requests reserved in Redis for this process and not sent yet, usable until epoch ms)
        self._leases: dict[str, tuple[int, int]] = {}
        self._id = secrets.token_hex(8)

    @property
    def window(self) -> float:
        """The window length as the shared state knows it (this process may not have seen two yet)."""
        return self._window if self.shared and self._window else self.local.window

    @property
    def shared(self) -> bool:
        """Whether calls are paced through Redis now (false while falling back to local pacing)."""
        return self._down_since is None

    def spread(self, rng: random.Random) -> float:
        if not self._window and not self.local.known:
            # Nothing known of any window: the wait is for another request's first answer, not a reset.
            return rng.uniform(0, PROBE_WAIT)
        return rng.uniform(0.1, 1.0) * RESET_JITTER * self.window

    def observe(
        self, route: str, headers: Mapping[str, str], now: float, *, latency: float | None = None
    ) -> None:
        """Record a response's budgets locally and in Redis."""
        self.local.observe(route, headers, now, latency=latency)
        found = observations(route, headers, now, self.local.max_wait)
        if any(item.remaining <= 0 for item in found):
            # LaunchDarkly counts a budget spent (another client, a window misjudged): what this process
            # holds was reserved from a count that was wrong, so it asks Redis again.
            with self._lock:
                self._leases.clear()
        # Within a window the reservations keep the shared count: only news is written (a first answer on
        # a route, a window's first answer, a spent budget), one round trip fewer per request.
        news = route not in self._told or any(
            item.remaining <= 0 or self._told.get(item.scope) != item.reset_ms for item in found
        )
        if not news:
            return
        scripts = self._scripts_or_none()
        if scripts is None:
            return
        args: list[Any] = [int(now * 1000)]
        for item in found:
            args += [item.remaining, item.reset_ms, -1 if item.limit is None else item.limit]
        args.append(KEY_TTL_MS)
        keys = [self._prefix + item.scope for item in found] + [self._prefix + f"seen:{route}"]
        if self._run(scripts[0], keys, args) is not None:
            self._told[route] = 0
            self._told.update((item.scope, item.reset_ms) for item in found)

    def wait_before(self, route: str, now: float) -> tuple[float, str] | None:
        """Seconds to wait before sending on ``route`` (and why), or ``None`` with one request reserved."""
        now_ms = int(now * 1000)
        with self._lock:
            lease = self._leases.pop(route, None)
            if lease is not None and lease[0] > 0 and now_ms < lease[1]:
                if lease[0] > 1:
                    self._leases[route] = (lease[0] - 1, lease[1])
                return None  # reserved in Redis already, by the call that took the lease
        scripts = self._scripts_or_none()
        if scripts is None:
            return self.local.wait_before(route, now)
        scopes = scopes_for(route)
        keys = [self._prefix + s for s in scopes] + [self._prefix + f"{k}:{route}" for k in ("seen", "probe")]
        keys.append(self._prefix + "callers")
        args = [
            int(now * 1000),
            int(self.local.window * 1000),
            int(MIN_WINDOW * 1000),
            int(RATE_WINDOW * 1000),
            RESET_JITTER,
            int(2 * self.local.latency * 1000),  # the fraction applies to the window Redis knows
            int(PROBE_TTL * 1000),
            int(PROBE_WAIT * 1000),
            LEASE_SHARE,
            LEASE_AFTER,
            f"{os.getpid()}:{self._id}",  # a hook copied into a forked process is another caller
        ]
        answer = self._run(scripts[1], keys, args)
        if answer is None:  # Redis failed just now
            return self.local.wait_before(route, now)
        if int(answer[0]) < 0:
            leased, lease_end = int(answer[1]) - 1, int(answer[2])
            if leased > 0:
                with self._lock:
                    held = self._leases.get(route)
                    if held is not None and now_ms < held[1]:  # another thread's lease: both are held
                        leased, lease_end = leased + held[0], min(lease_end, held[1])
                    self._leases[route] = (leased, lease_end)
            return None
        if int(answer[1]) == 0:
            return int(answer[0]) / 1000.0, "waiting for the first answer on this route to learn its budget"
        self._window = int(answer[2]) / 1000.0
        scope = scopes[int(answer[1]) - 1].split(":", 1)[0]
        return int(answer[0]) / 1000.0, (
            f"the {scope} rate-limit budget shared in Redis ({self._description}) is spent until the "
            "window resets"
        )

    def _scripts_or_none(self) -> tuple[Any, Any] | None:
        with self._lock:
            if self._down_since is not None:
                if self._clock() - self._down_since < RECONNECT_AFTER:
                    return None
                self._scripts = None  # try again with a fresh client
            if self._scripts is None:
                try:
                    client = self._connect()
                    self._scripts = (client.register_script(_OBSERVE), client.register_script(_ACQUIRE))
                except LaunchDarklyUsageConfigError:
                    # A shared budget asked for but impossible (no provider, no such connection) must not
                    # quietly turn into local pacing: the user would think the workers share it.
                    raise
                except Exception as exc:  # an unreachable server: local pacing until it is back
                    self._failed(exc)
                    return None
            return self._scripts

    def _run(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            answer = script(keys=keys, args=args)
        except Exception as exc:  # redis' ConnectionError, TimeoutError, ResponseError...
            with self._lock:
                self._failed(exc)
            return None
        if self._down_since is not None:
            with self._lock:
                if self._down_since is not None:
                    self._down_since = None
                    log.warning("The shared rate budget in Redis (%s) is back in use", self._description)
        return answer

    def _failed(self, exc: BaseException) -> None:
        if self._down_since is None:
            log.warning(
                "The shared rate budget in Redis (%s) is unavailable (%s: %s); this process paces its "
                "calls alone from now on and tries Redis again every %g s",
                self._description,
                type(exc).__name__,
                str(exc)[:200],
                RECONNECT_AFTER,
            )
        self._down_since = self._clock()
        self._scripts = None
        # Local pacing does not count leased requests, and Redis may come back empty: start afresh then.
        self._leases.clear()
        self._told.clear()
