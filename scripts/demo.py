"""``make demo``: run the daily and monthly example DAGs in real Airflow against the bundled emulator.

No LaunchDarkly account needed. Everything lives under ``.demo/`` in the project (git-ignored): the Airflow
home with its SQLite metadata DB, the landed files and the report, and one log file with everything Airflow
printed. Steps:

1. start the emulator on a free loopback port, in a thread of this process, its clock at 2026-10-06 so
   September 2026 is complete and settled;
2. point ``launchdarkly_default`` at it (``AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT`` for the subprocesses) and the
   ``ldusage_storage_root`` Variable at ``.demo/output``;
3. ``airflow db migrate``;
4. ``airflow dags test ldusage_daily_ingest`` for 2026-10-01 06:00 UTC (ingests 2026-09-30), then
   ``airflow dags test ldusage_monthly_close`` for 2026-10-01 (closes 2026-09), with the emulator's clock
   running eight hours per second so the month-end sensor's observations, six hours apart by LaunchDarkly's
   clock, take a second;
5. print where the output landed and what was fetched; exit 1 if a step failed.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / ".demo"
AIRFLOW_HOME = DEMO / "airflow"
OUTPUT = DEMO / "output"
LOG = DEMO / "demo.log"
AIRFLOW = Path(sys.executable).parent / "airflow"

MONTH = "2026-09"
PREVIOUS_MONTH = "2026-08"
# Flags that exist in the emulator's synthetic account (the DAG reads them from a Variable).
EMULATOR_EVALUATION_FLAGS = [
    {"project_key": "default", "environment_key": "production", "feature_flag_key": key}
    for key in ("new-checkout", "dark-mode", "search-v2")
]
DAILY_RUN = ("ldusage_daily_ingest", "2026-10-01T06:00:00+00:00", "2026-09-30")
MONTHLY_RUN = ("ldusage_monthly_close", "2026-10-01T00:00:00+00:00", MONTH)
EMULATOR_NOW = datetime(2026, 10, 6, tzinfo=timezone.utc)  # September final: lag 6 h + settle 2 days
FAST_CLOCK = 8 * 3600.0  # virtual seconds per real second while the month-end sensor watches
STEP_TIMEOUT = 300


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def airflow_env(emulator_url: str, token: str) -> dict[str, str]:
    """The environment of every ``airflow`` subprocess: nothing from ~/airflow, everything under .demo."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_"))
    }
    conn = {"conn_type": "launchdarkly", "host": emulator_url, "password": token}
    env.update(
        {
            "AIRFLOW_HOME": str(AIRFLOW_HOME),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
            "AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT": json.dumps(conn),
            "AIRFLOW_VAR_LDUSAGE_STORAGE_ROOT": str(OUTPUT),
            "AIRFLOW_VAR_LDUSAGE_EVALUATION_FLAGS": json.dumps(EMULATOR_EVALUATION_FLAGS),
            "LDUSAGE_EXAMPLE_POKE_SECONDS": "1",  # see ldusage_monthly_close.py
            "NO_COLOR": "1",
        }
    )
    return env


def run_step(title: str, command: list[str], env: Mapping[str, str]) -> tuple[bool, float]:
    """Run one command with its output appended to the log file; return (exit code 0, seconds)."""
    started = time.monotonic()
    with LOG.open("a") as log:
        log.write(f"\n===== {title}: {' '.join(command)}\n")
        log.flush()
        try:
            code = subprocess.run(
                command,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=STEP_TIMEOUT,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            log.write(f"\n===== {title}: timed out after {STEP_TIMEOUT} s\n")
            code = -1
    return code == 0, time.monotonic() - started


def last_run_state(dag_id: str) -> str:
    """The state of the DAG's latest run, read from the demo's metadata DB (``airflow dags test`` exits 0
    even when a task failed)."""
    with sqlite3.connect(AIRFLOW_HOME / "airflow.db") as db:
        row = db.execute(
            "SELECT state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()
    return row[0] if row else "missing"


def landed(folder: Path) -> dict[str, tuple[int, int]]:
    """operationId -> (objects, rows) of the JSON Lines objects under ``folder``."""
    counts: dict[str, tuple[int, int]] = {}
    if not folder.is_dir():
        return counts
    for path in sorted(folder.glob("*/*.jsonl")):
        rows = sum(1 for line in path.read_text().splitlines() if line.strip())
        objects, total = counts.get(path.parent.name, (0, 0))
        counts[path.parent.name] = (objects + 1, total + rows)
    return counts


def print_table(title: str, counts: Mapping[str, tuple[int, int]]) -> None:
    print(f"\n{title}")
    print(f"  {'endpoint':<34}{'objects':>8}{'rows':>8}")
    for name, (objects, rows) in counts.items():
        print(f"  {name:<34}{objects:>8}{rows:>8,}")
    print(f"  {'total':<34}{sum(o for o, _ in counts.values()):>8}{sum(r for _, r in counts.values()):>8,}")


def main() -> int:
    started = time.monotonic()
    DEMO.mkdir(exist_ok=True)
    AIRFLOW_HOME.mkdir(exist_ok=True)
    shutil.rmtree(OUTPUT, ignore_errors=True)  # the tables below show this run's files only
    LOG.write_text("")

    from airflow_provider_ldusage.testing.emulator import EmulatorConfig, run_emulator

    ok = True
    with run_emulator(EmulatorConfig(seed=1, now=EMULATOR_NOW)) as emulator:
        env = airflow_env(emulator.url, emulator.token)
        print(
            f"LaunchDarkly usage demo: emulator at {emulator.url}, "
            f"its clock at {EMULATOR_NOW:%Y-%m-%d %H:%M} UTC"
        )
        print(f"  Airflow home (SQLite metadata DB): {relative(AIRFLOW_HOME)}")

        done, seconds = run_step("db migrate", [str(AIRFLOW), "db", "migrate"], env)
        print(f"  {'ok' if done else 'FAILED':<6} airflow db migrate{'':<37}{seconds:6.1f} s")
        ok &= done
        for dag_id, logical_date, covers in (DAILY_RUN, MONTHLY_RUN) if ok else ():
            if dag_id == MONTHLY_RUN[0]:
                emulator.clock.set_speed(FAST_CLOCK)
            done, seconds = run_step(dag_id, [str(AIRFLOW), "dags", "test", dag_id, logical_date], env)
            state = last_run_state(dag_id) if done else "failed"
            done = done and state == "success"
            label = f"airflow dags test {dag_id} ({covers})"
            print(f"  {'ok' if done else 'FAILED':<6} {label:<54}{seconds:6.1f} s  {state}")
            ok &= done
            if not ok:
                break
        requests = len(emulator.requests)

    if not ok:
        print(f"\nA step failed; everything Airflow printed is in {relative(LOG)}")
        with LOG.open() as log:
            tail = log.readlines()[-15:]
        print("".join(f"  | {line}" for line in tail), end="")
        return 1

    print_table(f"Daily ingest of {DAILY_RUN[2]} -> {relative(OUTPUT / 'usage')}", landed(OUTPUT / "usage"))
    print_table(
        f"Monthly close of {MONTH} (and {PREVIOUS_MONTH} to compare) -> {relative(OUTPUT / 'monthly')}",
        landed(OUTPUT / "monthly"),
    )
    report = json.loads((OUTPUT / "reports" / f"ldusage_{MONTH}.json").read_text())
    print(f"\nReport: {relative(OUTPUT / 'reports' / f'ldusage_{MONTH}.html')} (also .md, .svg, .json)")
    print(f"  final as of {report['judged_final_at']} by the emulator's clock")
    for total in report["totals"].values():
        change = "n/a" if total["change"] is None else f"{total['change']:+.1f}%"
        print(f"  {total['label']:<30}{total['month']:>14,}  {change:>7} vs {PREVIOUS_MONTH}")
    print(f"\n{requests} API requests served by the emulator; Airflow's logs: {relative(LOG)}")
    print(f"Done in {time.monotonic() - started:.0f} s. Open the report in a browser to see the chart.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
