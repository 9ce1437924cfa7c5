"""Benchmark — many worker processes on one route budget, each pacing alone or sharing the budget in Redis.

The emulator gives its route a budget of ``B`` requests per window of ``W`` real seconds (windows aligned
to multiples of ``W``, epoch time). ``P`` worker processes (1, 8, 32), each with hooks of its own as Airflow
workers have, make ``M`` requests between them on that route: once with every process pacing alone (the
default), once with the budget shared through a real ``redis-server`` on loopback
(``shared_budget_redis_conn_id``). Reported per row: calls that failed (target 0 everywhere), 429s as a
share of the requests sent (target <= 2 % with the shared budget; reported without), the wall time over
the rate-limit minimum (target <= 1.10x), and for the shared rows the Redis round trips per request (the
scripts Redis ran: a lease lets a process send several requests on one).

Rate-limit minimum (the baseline, measured in the same run with the same processes): with
``k = ceil(M / B) - 1`` windows to wait out, the last ``r = M - k * B`` requests cannot start before the
``k``-th window after the start opens, and then take as long as the same processes need for ``r`` requests
against an emulator without a budget (``t_last``, measured just before)::

    T_min = max(k * W - phi + t_last, t_last * M / r)

where ``phi`` is how far into its window the start fell; the second term is for processes too few (or a
machine too busy) to send ``B`` requests per window even without a limit: then their own pace bounds.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass

from _common import ROOT, BenchResult, Figure, airflow_env, fmt_ratio, verdict

BUDGET = 50
WINDOW = 1.0  # LaunchDarkly's windows are 10 s; scaled down tenfold so a row takes seconds, not minutes
REQUESTS = 600
WORKERS = (1, 8, 32)
START_OFFSET = 0.02  # seconds after a window boundary at which the workers are told to go
TARGET_RATIO = 1.10
TARGET_429_SHARE = 0.02
FREE_CONN, BUDGET_CONN, REDIS_CONN = "ldbench_free", "ldbench_budget", "ldbench_redis"
MARK = "@@ "  # marks the workers' protocol lines on their stdout


@dataclass
class Row:
    workers: int
    shared: bool
    wall: float
    t_min: float
    sent: int
    too_many: int
    failed: int
    examples: list[str]
    redis_calls: int  # scripts Redis ran during the row (0 without the shared budget)

    @property
    def share_429(self) -> float:
        return self.too_many / self.sent if self.sent else 0.0


def _shares(total: int, workers: int) -> list[int]:
    return [total // workers + (i < total % workers) for i in range(workers)]


class _Workers:
    """``count`` worker processes, forked by one launcher (this file with ``--workers``) that has imported
    the hook once, and driven by lines on its stdin (32 interpreters importing Airflow would take minutes
    on a busy machine before the first request)."""

    def __init__(self, count: int, env: dict[str, str]) -> None:
        self.count = count
        argv = [sys.executable, __file__, "--workers", str(count)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        if _read(self.proc) != "ready":  # every worker has its hooks and has read its connections
            raise RuntimeError("the workers did not start")

    def run(self, phase: str, total: int, start_at: float) -> list[dict[str, object]]:
        """Each worker makes its share of ``total`` calls in ``phase`` from the epoch time ``start_at``."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{phase} {total} {start_at!r}\n")
        self.proc.stdin.flush()
        results: list[dict[str, object]] = json.loads(_read(self.proc))
        return results

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("exit\n")
            self.proc.stdin.flush()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def _read(proc: subprocess.Popen[str]) -> str:
    """The worker's next protocol line (marked: a log line that reaches stdout is skipped)."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(MARK):
            return line[len(MARK) :].strip()
    raise RuntimeError(f"a worker ended (exit status {proc.wait()})")


def _next_start() -> float:
    """An epoch time just after a window boundary, at least half a second away."""
    now = time.time() + 0.5
    return (math.floor(now / WINDOW) + 1) * WINDOW + START_OFFSET


def _script_calls(client: object) -> int:
    stats = client.info("commandstats")  # type: ignore[attr-defined]
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval"))


def _row(workers: _Workers, emu: object, shared: bool, redis_url: str) -> Row:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushall()  # every row starts with nothing known of the budget
    emu.clear_requests()  # type: ignore[attr-defined]
    free_start = _next_start()
    free = workers.run("free", REQUESTS - (math.ceil(REQUESTS / BUDGET) - 1) * BUDGET, free_start)
    t_last = max(float(r["ended"]) for r in free) - free_start  # type: ignore[arg-type]
    start = _next_start()
    scripts_before = _script_calls(client)
    results = workers.run("shared" if shared else "alone", REQUESTS, start)
    redis_calls = _script_calls(client) - scripts_before
    client.close()
    wall = max(float(r["ended"]) for r in results) - start  # type: ignore[arg-type]
    phi = start - math.floor(start / WINDOW) * WINDOW
    k = math.ceil(REQUESTS / BUDGET) - 1
    last = REQUESTS - k * BUDGET
    statuses = [r.status for r in emu.requests]  # type: ignore[attr-defined]
    failures = [str(text) for r in results for text in r["failed"]]  # type: ignore[attr-defined]
    return Row(
        workers=workers.count,
        shared=shared,
        wall=wall,
        # Where the processes cannot even keep up with the budget, their own pace is the bound.
        t_min=max(k * WINDOW - phi + t_last, t_last * REQUESTS / last),
        sent=len(statuses),
        too_many=statuses.count(429),
        failed=len(failures),
        examples=failures[:2],
        redis_calls=redis_calls,
    )


def run() -> BenchResult:
    os.environ.update(airflow_env())
    sys.path.insert(0, str(ROOT))
    from airflow_provider_ldusage.testing.emulator import EmulatorConfig, run_emulator
    from tests.redis_server import RedisServer

    redis_server = RedisServer().start()
    rows: list[Row] = []
    try:
        with (
            run_emulator(EmulatorConfig(seed=1)) as free,
            run_emulator(EmulatorConfig(seed=1, rate_window=WINDOW, route_budget=BUDGET)) as emu,
        ):
            env = {
                **os.environ,
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",  # 32 workers' retry notices would flood stdout
                f"AIRFLOW_CONN_{FREE_CONN.upper()}": json.dumps(
                    {"conn_type": "launchdarkly", "host": free.url, "password": free.token}
                ),
                f"AIRFLOW_CONN_{BUDGET_CONN.upper()}": json.dumps(
                    {"conn_type": "launchdarkly", "host": emu.url, "password": emu.token}
                ),
                f"AIRFLOW_CONN_{REDIS_CONN.upper()}": json.dumps(
                    {"conn_type": "redis", "host": "127.0.0.1", "port": redis_server.port}
                ),
            }
            for count in WORKERS:
                workers = _Workers(count, env)
                try:
                    for shared in (False, True):
                        rows.append(_row(workers, emu, shared, redis_server.url))
                        print(f"shared budget benchmark: {rows[-1]}", file=sys.stderr, flush=True)
                finally:
                    workers.close()
    finally:
        redis_server.stop()
    return _result(rows)


def _result(rows: list[Row]) -> BenchResult:
    figures = []
    for row in rows:
        how = "shared budget in Redis" if row.shared else "each pacing alone"
        name = f"4b. {row.workers} worker process{'es' if row.workers > 1 else ''}, {how}"
        ratio = row.wall / row.t_min
        figures.append(
            Figure(
                f"{name}: wall time",
                f"{row.wall:.2f} s",
                f"{row.t_min:.2f} s (minimum)",
                fmt_ratio(ratio),
                "≤ 1.10x minimum",
                verdict(ratio <= TARGET_RATIO),
            )
        )
        ok_429 = row.share_429 <= TARGET_429_SHARE or not row.shared
        figures.append(
            Figure(
                f"{name}: failed calls, 429s",
                f"{row.failed} failed, {row.too_many} 429s ({row.share_429:.1%} of {row.sent})",
                "—",
                "—",
                "0 failed" + (", ≤ 2 % 429s" if row.shared else " (429s reported)"),
                verdict(row.failed == 0 and ok_429),
            )
        )
    table = [
        "| worker processes | budget | wall / rate-limit minimum | requests sent | 429s | failed calls "
        "| Redis round trips per request |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        table.append(
            f"| {row.workers} | {'shared (Redis)' if row.shared else 'each alone'} | "
            f"{row.wall / row.t_min:.2f}x ({row.wall:.2f} s / {row.t_min:.2f} s) | {row.sent} | "
            f"{row.too_many} ({row.share_429:.1%}) | {row.failed} | "
            f"{f'{row.redis_calls / row.sent:.2f}' if row.shared and row.sent else '—'} |"
        )
    notes = [
        f"M={REQUESTS} one-day get_mau_total_usage calls on one route, route budget B={BUDGET} per "
        f"W={WINDOW:g} s window (LaunchDarkly's 10-second windows scaled down tenfold), split evenly over "
        "the worker processes, each with hooks of its own; the shared rows use a real redis-server on "
        "loopback. Redis round trips: the Lua scripts Redis ran during the row (reservations, leases and "
        "news written back) per request sent.",
        "\n".join(table),
    ]
    for row in rows:
        notes += [
            f"{row.workers} workers ({'shared' if row.shared else 'alone'}) failed: {e}" for e in row.examples
        ]
    return BenchResult("Many workers on one rate budget", figures, notes)


def _launch(count: int) -> None:
    """The launcher: imports the hook, forks ``count`` workers, relays ``PHASE TOTAL START_AT`` lines."""
    import multiprocessing

    import airflow_provider_ldusage.hooks.usage  # noqa: F401 - imported once, before the forks

    context = multiprocessing.get_context("fork")
    pipes = []
    for _ in range(count):
        ours, theirs = context.Pipe()
        context.Process(target=_worker, args=(theirs,), daemon=True).start()
        pipes.append(ours)
    for pipe in pipes:
        pipe.recv()  # "ready"
    print(MARK + "ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "exit":
            break
        phase, total, start_at = line.split()
        for pipe, share in zip(pipes, _shares(int(total), count), strict=True):
            pipe.send((phase, share, float(start_at)))
        print(MARK + json.dumps([pipe.recv() for pipe in pipes]), flush=True)
    for pipe in pipes:
        pipe.send(None)


def _worker(pipe: object) -> None:
    """One worker process: hooks of its own; runs the calls it is sent, answers with when it ended."""
    from datetime import datetime, timezone

    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    hooks = {
        "free": LaunchDarklyUsageHook(FREE_CONN),
        "alone": LaunchDarklyUsageHook(BUDGET_CONN),
        "shared": LaunchDarklyUsageHook(BUDGET_CONN, shared_budget_redis_conn_id=REDIS_CONN),
    }
    utc = timezone.utc
    window = {"start": datetime(2025, 1, 1, tzinfo=utc), "end": datetime(2025, 1, 2, tzinfo=utc)}  # one day
    for hook in hooks.values():
        hook.build("get_mau_total_usage", **window)
        _ = hook.settings
        hook.get_conn()
    for _ in range(3):  # code paths and the connection warm before the unlimited baseline is timed
        hooks["free"].get_mau_total_usage(**window)  # type: ignore[arg-type]
    # The redis client (imported with Airflow's redis provider on first use: seconds on a busy machine) is
    # set up before the clock starts, as the hook connection is: the rows compare pacing, not imports.
    shared = hooks["shared"]
    shared._shared_budget(shared.settings)._scripts_or_none()  # type: ignore[union-attr]
    pipe.send("ready")  # type: ignore[attr-defined]
    while (order := pipe.recv()) is not None:  # type: ignore[attr-defined]
        phase, calls, start_at = order
        hook = hooks[phase]
        time.sleep(max(0.0, start_at - time.time()))
        failed = []
        for _ in range(calls):
            try:
                hook.get_mau_total_usage(**window)  # type: ignore[arg-type]
            except Exception as exc:  # counted, not raised: the row reports failed calls
                failed.append(f"{type(exc).__name__}: {exc}"[:300])
        pipe.send({"ended": time.time(), "failed": failed})  # type: ignore[attr-defined]
    for hook in hooks.values():
        hook.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--workers"]:
        _launch(int(sys.argv[2]))
    else:
        import pprint

        pprint.pprint(run())
