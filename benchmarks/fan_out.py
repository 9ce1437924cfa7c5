"""Benchmark 8 — the evaluations fan-out: 2,000 flags x 3 environments in one task, against ``.expand()``.

The emulator runs as its own process (``ldusage-emulator``, so its CPU does not share the task's
interpreter lock) with an account of one project, three environments and 2,000 flags.

(a) **Paced run**: one ``LaunchDarklyEvaluationsUsageBatchOperator`` task in ``dag.test()`` reads the
    previous day's evaluations of every flag in every environment (``feature_flag_keys="all"``: the flag
    list, 20 pages, then 6,000 evaluation requests), four requests in flight, against a route budget of
    ``B`` requests per ``W`` s. The baseline is the fastest schedule that budget allows,
    ``T_min = k * W - phi + r * t_request`` (``benchmarks/rate_limit.py`` derives it), for the evaluation
    requests; the flag list has its own route budget and runs before them.
(b) **Overhead per flag beyond its request**, without a budget: the same task over ``N`` flags with one
    request in flight, minus ``N`` times the median time of that request made with the bare hook
    (``get_evaluations_usage``), per flag: the operator's own cost (rows, landing, manifest).
(c) **``.expand()``** of ``LaunchDarklyEvaluationsUsageOperator`` over ``M`` of the same flags in
    ``dag.test()`` (one task instance per flag), measured the same way: its overhead per flag, and the
    ratio to (b).

(b) and (c) land with ``partition_by="day"`` (one Asset for all objects): in the plain layout every flag is
a dataset of its own, and their ``dag.test()`` wall time would include registering a new Asset per flag.
(a) lands in the plain layout, as the daily ingest example does (a folder per flag and environment); its
figure is the fan-out's own time from the task's summary, which the Asset registration after the task is
not part of. In the ``"day"`` layout all 12,000 files (objects and integrity records) share one folder,
and each landing lists that folder for stale temporaries and records, so the cost per flag grows with the
flags landed before it.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from _common import (
    PYTHON,
    SCRATCH,
    BenchResult,
    Figure,
    airflow_env,
    fmt_ms,
    fmt_ratio,
    median,
    set_connection,
    verdict,
)

FLAGS = 2_000
ENVIRONMENTS = 3
WINDOW = 10.0  # LaunchDarkly's window
#: The route budget per window: half of what the emulator serves one request at a time on this machine
#: (from t_request), so the budget, not the machine, bounds the paced run; within these bounds.
BUDGET_SHARE, BUDGET_MIN, BUDGET_MAX = 0.5, 50, 600
CONCURRENCY = 4
OVERHEAD_FLAGS = 300
EXPAND_FLAGS = 30
TARGET_WALL = 1.10
TARGET_OVERHEAD = 0.020
NOW = "2026-03-10T12:00:00+00:00"
LOGICAL = datetime(2026, 3, 10, 6, tzinfo=timezone.utc)
DAY = (datetime(2026, 3, 9, tzinfo=timezone.utc), datetime(2026, 3, 10, tzinfo=timezone.utc))
CONN_ID = "ldbench_fanout"


class _EmulatorProcess:
    """``ldusage-emulator`` in a child process; stopped on exit."""

    def __init__(self, *extra: str) -> None:
        command = [
            PYTHON, "-m", "airflow_provider_ldusage.testing.cli", "--now", NOW,
            "--projects", "1", "--environments", str(ENVIRONMENTS), "--flags", str(FLAGS), *extra,
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("ldusage-emulator listening on "):
            self.stop()
            error = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"the emulator did not start: {line} {error}")
        self.url = line.rsplit(" ", 1)[1]
        self.token = "ld-emulator-token"

    def requests(self) -> list[dict[str, Any]]:
        import requests

        return list(requests.get(f"{self.url}/_emulator/requests", timeout=60).json())

    def clear(self) -> None:
        import requests

        requests.delete(f"{self.url}/_emulator/requests", timeout=60)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _dag_file(folder: Path, dag_id: str, body: str) -> Any:
    import importlib.util

    path = folder / f"{dag_id}.py"
    path.write_text(textwrap.dedent(body))
    spec = importlib.util.spec_from_file_location(dag_id, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


_HEAD = """
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.evaluations import LaunchDarklyEvaluationsUsageBatchOperator
from airflow_provider_ldusage.operators.usage import LaunchDarklyEvaluationsUsageOperator
"""


def _batch_dag(
    folder: Path,
    dag_id: str,
    out: Path,
    envs: list[str],
    flags: Any,
    concurrency: int,
    partition_by: str | None = "day",
) -> Any:
    return _dag_file(
        folder,
        dag_id,
        _HEAD
        + f"""
with DAG({dag_id!r}, schedule="@daily", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyEvaluationsUsageBatchOperator(
        task_id="fan_out", launchdarkly_conn_id={CONN_ID!r}, project_key="default",
        environment_keys={envs!r}, feature_flag_keys={flags!r}, window="previous_day",
        output_path={str(out)!r}, partition_by={partition_by!r}, max_concurrency={concurrency},
    )
""",
    )


def _expand_dag(folder: Path, dag_id: str, out: Path, flags: list[str]) -> Any:
    return _dag_file(
        folder,
        dag_id,
        _HEAD
        + f"""
with DAG({dag_id!r}, schedule="@daily", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyEvaluationsUsageOperator.partial(
        task_id="one_flag", launchdarkly_conn_id={CONN_ID!r}, project_key="default",
        environment_key="production", window="previous_day", output_path={str(out)!r}, partition_by="day",
    ).expand(feature_flag_key={flags!r})
""",
    )


def _request_time(flags: list[str]) -> float:
    """Median time of one evaluations request through the bare hook (no budget)."""
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    hook = LaunchDarklyUsageHook(CONN_ID)
    times = []
    for flag in flags:
        t0 = time.perf_counter()
        hook.get_evaluations_usage(
            project_key="default",
            environment_key="production",
            feature_flag_key=flag,
            start=DAY[0],
            end=DAY[1],
        )
        times.append(time.perf_counter() - t0)
    hook.close()
    return median(times[5:])


def _summary(dag_id: str, task_id: str) -> dict[str, Any]:
    """The XCom summary the task returned (its latest run)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(dag_id=dag_id, task_id=task_id, key="return_value")
            .order_by(XComModel.timestamp.desc())
            .first()
        )
        assert row is not None, f"{dag_id}.{task_id} returned nothing"
        value = row.value
    return dict(json.loads(value) if isinstance(value, str) else value)


def _timed_test(dag: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    run = dag.test(logical_date=LOGICAL)
    return time.perf_counter() - t0, run


def _wait_for_window_start() -> float:
    now = time.time()
    boundary = (math.floor(now / WINDOW) + 1) * WINDOW
    time.sleep(boundary + 0.02 - now)
    return time.time()


def run() -> BenchResult:
    os.environ.update(airflow_env())
    scratch = Path(tempfile.mkdtemp(prefix="fanout-", dir=SCRATCH))
    dags = scratch / "dags"
    dags.mkdir()
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
    os.environ["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"] = (
        '[{"name": "bench", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle", '
        f'"kwargs": {{"path": "{dags}", "refresh_interval": 0}}}}]'
    )
    from airflow.utils import db

    db.resetdb()
    envs = ["production", "staging", "test"]
    notes: list[str] = []

    # (b) and (c): no budget.
    free = _EmulatorProcess()
    try:
        set_connection(CONN_ID, free.url, free.token)
        from airflow_provider_ldusage.testing.emulator.account import GeneratedFlags

        keys = [f.key for f in GeneratedFlags(1, ("default",), FLAGS)]
        t_request = _request_time(keys[:200])
        # (b) the batch, one request in flight, over OVERHEAD_FLAGS flags of one environment
        warm = _batch_dag(dags, "bench_fan_out_warm", scratch / "warm", ["production"], keys[:20], 1)
        _timed_test(warm)  # imports, DB and DAG-processor warm-up out of the measurement
        batch = _batch_dag(
            dags, "bench_fan_out_overhead", scratch / "b", ["production"], keys[:OVERHEAD_FLAGS], 1
        )
        free.clear()
        wall_b, run_b = _timed_test(batch)
        assert str(run_b.state) == "success", run_b.state
        batch_overhead = (wall_b - OVERHEAD_FLAGS * t_request) / OVERHEAD_FLAGS
        # (c) .expand() over EXPAND_FLAGS of the same flags
        expand = _expand_dag(dags, "bench_expand", scratch / "c", keys[:EXPAND_FLAGS])
        wall_c, run_c = _timed_test(expand)
        assert str(run_c.state) == "success", run_c.state
        expand_overhead = (wall_c - EXPAND_FLAGS * t_request) / EXPAND_FLAGS
    finally:
        free.stop()

    # (a) the paced run over every flag in three environments.
    budget = max(BUDGET_MIN, min(BUDGET_MAX, int(BUDGET_SHARE * WINDOW / t_request)))
    paced = _EmulatorProcess("--route-budget", str(budget), "--rate-window", str(WINDOW))
    try:
        set_connection(CONN_ID, paced.url, paced.token)
        dag = _batch_dag(dags, "bench_fan_out_paced", scratch / "a", envs, "all", CONCURRENCY, None)
        started = _wait_for_window_start()
        wall_a, run_a = _timed_test(dag)
        recorded = paced.requests()
    finally:
        paced.stop()
    assert str(run_a.state) == "success", run_a.state
    evaluations = [r for r in recorded if r["operation_id"] == "getEvaluationsUsage"]
    listed = [r for r in recorded if r["operation_id"] == "getFeatureFlags"]
    ok = sum(1 for r in evaluations if r["status"] == 200)
    too_many = sum(1 for r in evaluations if r["status"] == 429)
    total = FLAGS * ENVIRONMENTS
    summary = _summary("bench_fan_out_paced", "fan_out")
    # The budget paces the fan-out (the threads' part, from its first request to its last landing): its
    # fastest schedule from the instant it started.
    fan_out = float(summary["seconds"])
    started = datetime.fromisoformat(summary["started_at"]).timestamp()
    phi = started - math.floor(started / WINDOW) * WINDOW
    k = math.ceil(total / budget) - 1
    r_last = total - k * budget
    t_min = k * WINDOW - phi + r_last * t_request
    wall_ratio = fan_out / t_min
    figures = [
        Figure(
            f"8. fan-out {FLAGS:,} flags x {ENVIRONMENTS} envs, budget {budget}/{WINDOW:g} s: wall time",
            f"{fan_out:.1f} s",
            f"{t_min:.1f} s (minimum)",
            fmt_ratio(wall_ratio),
            f"≤ {TARGET_WALL:.2f}x minimum",
            verdict(wall_ratio <= TARGET_WALL and ok == total),
        ),
        Figure(
            "8. fan-out overhead per flag beyond its request",
            fmt_ms(batch_overhead),
            f"{fmt_ms(expand_overhead)} (.expand())",
            fmt_ratio(batch_overhead / expand_overhead) if expand_overhead > 0 else "—",
            f"≤ {TARGET_OVERHEAD * 1000:.0f} ms",
            verdict(batch_overhead <= TARGET_OVERHEAD),
        ),
    ]
    notes += [
        f"(a) {total:,} evaluation requests ({ok:,} answered 200, {too_many} answered 429) after "
        f"{len(listed)} flag-list pages; {CONCURRENCY} in flight; plain layout (a folder per flag and "
        f"environment, as the daily ingest example); route budget {budget} per {WINDOW:g} s "
        f"(half of the {WINDOW / t_request:.0f} requests one at a time take per window here). "
        f"Minimum: k={k} windows waited out, r={r_last} requests in the last, phi={phi * 1000:.0f} ms, "
        f"t_request={fmt_ms(t_request)}. The whole task in dag.test() took {wall_a:.1f} s (run set-up and "
        f"the flag list before the fan-out, {summary['objects']:,} objects and the manifest after); its XCom "
        f"summary is {len(json.dumps(summary))} bytes.",
        f"(b) {OVERHEAD_FLAGS} flags, one request in flight, no budget: {wall_b:.2f} s in dag.test() against "
        f"{OVERHEAD_FLAGS} x {fmt_ms(t_request)} of requests (the same request through the bare hook, "
        f"median of 195): {fmt_ms(batch_overhead)} per flag beyond its request, dag.test()'s own run set-up "
        "included.",
        f"(c) .expand() over {EXPAND_FLAGS} of the same flags: {wall_c:.2f} s, {fmt_ms(expand_overhead)} per "
        f"flag beyond its request (one task instance each, in dag.test(); real executors add a process "
        "start per instance).",
    ]
    shutil.rmtree(scratch, ignore_errors=True)  # 6,000 objects and their records
    return BenchResult("Evaluations fan-out", figures, notes)


if __name__ == "__main__":
    import pprint

    os.environ.update(airflow_env())
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    pprint.pprint(run())
