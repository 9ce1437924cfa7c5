"""Benchmark 2 — per-request overhead of the hook over a bare ``requests.Session``.

A loopback server in its own process answers every GET with the same small, valid SeriesListRep. The
same run makes 2,000 sequential ``hook.get_mau_total_usage(start=..., end=...)`` calls and 2,000 calls with
a bare ``requests.Session`` carrying the same headers and query pairs, each decoding the body with
``json.loads``. The two sides alternate call by call (A B B A ...) so drift of the machine cancels out;
the ratio is that of the median call times.

Reported: microseconds per call on each side and their ratio; in the details, client CPU time per call,
and where the hook's extra CPU goes (bare, bare + Date parse + header lowering, ``hook.send`` of a
pre-built request, the full hook method: interleaved). When the ratio misses the target the hook is also
profiled with cProfile, restricted to the provider's functions.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from _common import (
    PYTHON,
    BenchResult,
    Figure,
    airflow_env,
    fmt_ratio,
    fmt_us,
    median,
    set_connection,
    verdict,
)

CALLS = 2000
WARMUP = 100
SPLIT_ROUNDS = 600
TARGET_RATIO = 1.15
CONN_ID = "ldbench_loopback"
TOKEN = "api-bench-token-0000"
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
END = datetime(2025, 2, 1, tzinfo=timezone.utc)
SERVER = Path(__file__).with_name("loopback_server.py")


@contextmanager
def loopback_server() -> Iterator[str]:
    """Start ``loopback_server.py`` in a subprocess; yield its base URL; kill it afterwards."""
    proc = subprocess.Popen([PYTHON, str(SERVER)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def _profile(fn: Callable[[], object], n: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    # Only the provider's own functions: requests/urllib3 are common to both sides.
    stats.sort_stats("cumulative").print_stats("airflow_provider_ldusage", 15)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    # Keep the header line and the table, drop pstats' preamble.
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(lines[start:])


def split(variants: dict[str, Callable[[], object]], rounds: int = SPLIT_ROUNDS) -> dict[str, float]:
    """Mean client CPU seconds per call of each variant, run interleaved (order reversed every round).

    Timing each step of the hook alone in a tight loop flatters it (its code and data stay in the CPU
    caches); interleaving with real requests, as in use, does not.
    """
    cpu: dict[str, float] = dict.fromkeys(variants, 0.0)
    items = list(variants.items())
    for i in range(rounds):
        for name, fn in items if i % 2 == 0 else reversed(items):
            c0 = time.thread_time()
            fn()
            cpu[name] += time.thread_time() - c0
    return {name: seconds / rounds for name, seconds in cpu.items()}


def run() -> BenchResult:
    os.environ.update(airflow_env())
    import requests

    from airflow_provider_ldusage.core.request import request_headers
    from airflow_provider_ldusage.hooks.usage import USER_AGENT, LaunchDarklyUsageHook

    with loopback_server() as url:
        set_connection(CONN_ID, url, TOKEN)
        hook = LaunchDarklyUsageHook(CONN_ID)
        request = hook.build("get_mau_total_usage", start=START, end=END)
        params = request.params
        full_url = url + request.path
        timeout = (hook.settings.connect_timeout, hook.settings.read_timeout)

        session = requests.Session()
        session.headers.clear()
        session.headers.update(request_headers(TOKEN, USER_AGENT))

        def ours() -> object:
            return hook.get_mau_total_usage(start=START, end=END)

        def bare() -> object:
            response = session.get(full_url, params=params, timeout=timeout)
            response.raise_for_status()
            return json.loads(response.content)

        assert ours() == bare(), "the two sides must get the same answer"
        for _ in range(WARMUP):
            ours()
            bare()
        ours_times: list[float] = []
        bare_times: list[float] = []
        cpu = {"ours": 0.0, "bare": 0.0}
        clock, cpu_clock = time.perf_counter, time.thread_time
        for i in range(CALLS):
            # Strictly interleaved, the order flipping every call, so both sides see the same machine.
            first, second = (ours, bare) if i % 2 == 0 else (bare, ours)
            c0, t0 = cpu_clock(), clock()
            first()
            t1, c1 = clock(), cpu_clock()
            second()
            t2, c2 = clock(), cpu_clock()
            a, b = (ours_times, bare_times) if i % 2 == 0 else (bare_times, ours_times)
            a.append(t1 - t0)
            b.append(t2 - t1)
            cpu["ours" if i % 2 == 0 else "bare"] += c1 - c0
            cpu["bare" if i % 2 == 0 else "ours"] += c2 - c1
        # Medians of the per-call times: a call that another process on the machine preempted does not
        # move them, where it would move a total.
        ours_call, bare_call = median(ours_times), median(bare_times)
        ratio = ours_call / bare_call
        totals_ratio = sum(ours_times) / sum(bare_times)
        profile = _profile(ours, 500) if ratio > TARGET_RATIO else ""
        from airflow_provider_ldusage.core.ratelimit import lower_headers
        from airflow_provider_ldusage.core.response import server_time

        def bare_with_headers() -> object:
            response = session.get(full_url, params=params, timeout=timeout)
            response.raise_for_status()
            server_time(response.headers)
            lower_headers(response.headers)
            return json.loads(response.content)

        steps = split(
            {
                "bare": bare,
                "bare + Date parse + header lowering": bare_with_headers,
                "hook.send(pre-built request)": lambda: hook.send(request),
                "hook.get_mau_total_usage": ours,
            }
        )
        hook.close()
        session.close()

    figures = [
        Figure(
            "2. per-request time, hook vs bare Session",
            f"{fmt_us(ours_call)}/call",
            f"{fmt_us(bare_call)}/call",
            fmt_ratio(ratio),
            "ratio ≤ 1.15",
            verdict(ratio <= TARGET_RATIO),
        )
    ]
    notes = [
        f"{CALLS} calls per side, strictly interleaved (order flipped every call) after {WARMUP} warm-up "
        f"calls each, against a keep-alive loopback server in its own process answering a "
        f"{len(_body())}-byte SeriesListRep. Ratio of the median call times (ratio of the totals, which "
        f"preemption by other processes can skew: {fmt_ratio(totals_ratio)}).",
        f"Hook overhead: {fmt_us(ours_call - bare_call)} per call (validation, request building, rate-limit "
        "bookkeeping, Date parsing, shape check). Client CPU time (thread time, which preemption by other "
        f"processes does not inflate): hook {fmt_us(cpu['ours'] / CALLS)}, "
        f"bare {fmt_us(cpu['bare'] / CALLS)} per call, ratio {fmt_ratio(cpu['ours'] / cpu['bare'])}.",
    ]
    base_cpu = steps["bare"]
    notes.append(
        f"Where the hook's extra CPU goes ({SPLIT_ROUNDS} interleaved rounds, mean client CPU per call, "
        "relative to bare): "
        + ", ".join(
            f"{name} {fmt_us(seconds - base_cpu)}" for name, seconds in steps.items() if name != "bare"
        )
        + ". So: sending a pre-built request (Date parse, header lowering, retry/budget conversation, shape "
        f"check) costs {fmt_us(steps['hook.send(pre-built request)'] - base_cpu)}, of which Date parse + "
        f"header lowering {fmt_us(steps['bare + Date parse + header lowering'] - base_cpu)}; validating and "
        "building the request (call -> build_request) the other "
        f"{fmt_us(steps['hook.get_mau_total_usage'] - steps['hook.send(pre-built request)'])}."
    )
    if profile:
        notes.append(
            "cProfile of 500 hook calls, the provider's functions by cumulative time:\n```\n"
            + profile
            + "\n```"
        )
    return BenchResult("Per-request overhead", figures, notes)


def _body() -> bytes:
    from loopback_server import BODY

    return BODY


if __name__ == "__main__":
    import pprint

    pprint.pprint(run())
