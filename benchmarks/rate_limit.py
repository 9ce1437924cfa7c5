"""Benchmark 4 — rate-limit utilisation: how close the hook gets to the fastest schedule a budget allows.

The emulator gives each route a budget of ``B`` requests per window of ``W`` real seconds; windows are
aligned to multiples of ``W`` (epoch time) and every response carries ``X-Ratelimit-Route-Remaining`` and
``X-Ratelimit-Reset``. The hook makes ``M`` sequential calls on one route, starting just after a window
boundary. Once the remaining count reaches 0 it should wait for the reset instead of spending a request on
a 429.

Theoretical minimum (the baseline, measured in the same run): with ``k = ceil(M / B) - 1`` windows that
must be waited out and ``r = M - k * B`` calls left for the last window,

    T_min = k * W - phi + r * t_call

where ``phi`` is how far into its window the first call started and ``t_call`` is the median time of one
call against an emulator without a budget. No client can be faster: the first ``B`` calls fit in the
current window, each further batch of ``B`` needs the next window, and the last batch still takes its own
time. Reported: the hook's wall time, ``T_min``, their ratio, and the 429 responses the emulator recorded.
"""

from __future__ import annotations

import math
import os
import time

from _common import BenchResult, Figure, airflow_env, fmt_ms, fmt_ratio, median, set_connection, verdict

BUDGET = 5
CALLS = 40
WINDOW = 1.0
TARGET_RATIO = 1.10
START_OFFSET = 0.02  # seconds after a window boundary at which the first call is made
CONN_ID = "ldbench_emulator"
FREE_CONN_ID = "ldbench_emulator_free"


def _month() -> dict[str, object]:
    from datetime import datetime, timezone

    return {
        "start": datetime(2025, 1, 1, tzinfo=timezone.utc),
        "end": datetime(2025, 2, 1, tzinfo=timezone.utc),
    }


def _call_time(url: str, token: str) -> float:
    """Median time of one hook call against an emulator without a budget."""
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    set_connection(FREE_CONN_ID, url, token)
    hook = LaunchDarklyUsageHook(FREE_CONN_ID)
    window = _month()
    times = []
    for _ in range(5):
        hook.get_mau_total_usage(**window)  # type: ignore[arg-type]
    for _ in range(30):
        t0 = time.perf_counter()
        hook.get_mau_total_usage(**window)  # type: ignore[arg-type]
        times.append(time.perf_counter() - t0)
    hook.close()
    return median(times)


def run() -> BenchResult:
    os.environ.update(airflow_env())
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook
    from airflow_provider_ldusage.testing.emulator import EmulatorConfig, run_emulator

    with run_emulator(EmulatorConfig(seed=1)) as free:
        t_call = _call_time(free.url, free.token)

    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    config = EmulatorConfig(seed=1, rate_window=WINDOW, route_budget=BUDGET)
    with run_emulator(config) as emu:
        set_connection(CONN_ID, emu.url, emu.token)
        hook = LaunchDarklyUsageHook(CONN_ID, sleep=sleep)
        window = _month()
        hook.build("get_mau_total_usage", **window)  # settings and imports loaded before the clock starts
        _ = hook.settings
        hook.get_conn()
        # Start just after a window boundary, so phi is small and known.
        now = time.time()
        boundary = (math.floor(now / WINDOW) + 1) * WINDOW
        time.sleep(boundary + START_OFFSET - now)
        started_epoch = time.time()
        t0 = time.perf_counter()
        for _ in range(CALLS):
            hook.get_mau_total_usage(**window)  # type: ignore[arg-type]
        wall = time.perf_counter() - t0
        hook.close()
        recorded = emu.requests
    phi = started_epoch - math.floor(started_epoch / WINDOW) * WINDOW
    k = math.ceil(CALLS / BUDGET) - 1
    r = CALLS - k * BUDGET
    t_min = k * WINDOW - phi + r * t_call
    ratio = wall / t_min
    too_many = sum(1 for req in recorded if req.status == 429)
    figures = [
        Figure(
            f"4. {CALLS} calls, budget {BUDGET}/{WINDOW:g} s: wall time",
            f"{wall:.2f} s",
            f"{t_min:.2f} s (minimum)",
            fmt_ratio(ratio),
            "≤ 1.10x minimum",
            verdict(ratio <= TARGET_RATIO),
        ),
        Figure(
            "4. 429 responses received",
            str(too_many),
            "0",
            "—",
            "0",
            verdict(too_many == 0),
        ),
    ]
    notes = [
        f"M={CALLS} calls of get_mau_total_usage (one month) on one route, route budget B={BUDGET} per "
        f"W={WINDOW:g} s window; k={k} windows waited out, r={r} calls in the last window; "
        f"phi={phi * 1000:.0f} ms, t_call={fmt_ms(t_call)} (median, emulator without a budget).",
        f"The emulator recorded {len(recorded)} requests ({too_many} answered 429). The hook slept "
        f"{len(waits)} times, {sum(waits):.2f} s in all"
        + (f" (each {min(waits) * 1000:.0f}-{max(waits) * 1000:.0f} ms)" if waits else "")
        + f"; wall time minus the minimum: {fmt_ms(wall - t_min)} (t_call is a median, so a few ms "
        "either way is measurement noise).",
    ]
    return BenchResult("Rate-limit utilisation", figures, notes)


if __name__ == "__main__":
    import pprint

    pprint.pprint(run())
