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
5. move the emulator's clock to 2026-10-20 12:00 and ``airflow dags test ldusage_budget_watch`` for
   2026-10-20 06:30 UTC, with limits (the ``ldusage_budget_limits`` Variable) set from the emulator's own
   October figures: client-side MAU's just above where the month would end, the others well above; the
   forecast table is printed, and the MAU forecast crossing 80 % of its limit fails the task, which is the
   alert a user would get. The emulator injects a runaway SDK (``JavaScript`` in ``default/production``
   sends a fresh context key per page view from October 19th): the alert names it as what drives the
   growth, and the 19th is flagged as a spike with the same breakdown;
6. print where the output landed and what was fetched, and query the SQL warehouse the DAGs loaded
   (``.demo/warehouse.db``, SQLite, through the ``ldusage_warehouse`` connection) for September's MAU; exit
   1 if a step failed.
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
WAREHOUSE = DEMO / "warehouse.db"
# What the README shows: September's MAU, the last month-to-date point, per filter set the DAGs loaded
# (the daily ingest's per project and SDK type, the monthly close's ungrouped total).
MAU_QUERY = """\
SELECT filter_set,
       json_extract(request, '$.group_by') AS group_by,
       SUM(value) AS mau
FROM launchdarkly_usage
WHERE endpoint = 'getMAUTotalUsage'
  AND aggregation = 'month_to_date'
  AND time = '2026-09-30T00:00:00Z'
GROUP BY filter_set, group_by
ORDER BY group_by"""
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
BUDGET_RUN = ("ldusage_budget_watch", "2026-10-20T06:30:00+00:00", "2026-10")
BUDGET_CLOCK = datetime(2026, 10, 20, 12, 0, tzinfo=timezone.utc)  # days 1-19 of October visible
# A client-side SDK sending a fresh context key per page view, from the last day the budget run reads.
RUNAWAY = {
    "project": "default",
    "environment": "production",
    "sdk": "JavaScript",
    "from_day": "2026-10-19",
    "extra_per_day": 5000,
}
RUNAWAY_LABEL = "project `default`, environment `production`, SDK `JavaScript`"
# Budget metric -> (operation, limit as a multiple of the month's eventual figure).
BUDGET_LIMITS = {
    "client_mau": ("getMAUClientsideUsage", 1.12),  # ends near 89 % of the limit: crosses 80 %
    "total_contexts": ("getContextsTotalUsage", 1.5),
    "service_connection_minutes": ("getServiceConnectionsUsage", 1.6),
    "observability_logs": ("getObservabilityLogsUsage", 2.0),
}


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
            "AIRFLOW_CONN_LDUSAGE_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(WAREHOUSE)}),
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
    for path in sorted(folder.glob("*/*/*.jsonl")):  # <operationId>/<dataset>/<window>.jsonl
        rows = sum(1 for line in path.read_text().splitlines() if line.strip())
        operation = path.parent.parent.name
        objects, total = counts.get(operation, (0, 0))
        counts[operation] = (objects + 1, total + rows)
    return counts


def print_table(title: str, counts: Mapping[str, tuple[int, int]]) -> None:
    print(f"\n{title}")
    print(f"  {'endpoint':<34}{'objects':>8}{'rows':>8}")
    for name, (objects, rows) in counts.items():
        print(f"  {name:<34}{objects:>8}{rows:>8,}")
    print(f"  {'total':<34}{sum(o for o, _ in counts.values()):>8}{sum(r for _, r in counts.values()):>8,}")


def budget_limits() -> dict[str, int]:
    """Limits from the emulator's own settled October figures without the runaway (what the month would
    reach)."""
    from datetime import timedelta

    from airflow_provider_ldusage.testing.emulator import SeriesQuery, SyntheticData

    data = SyntheticData(1, timedelta(0), timedelta(0))
    start, end = datetime(2026, 10, 1, tzinfo=timezone.utc), datetime(2026, 11, 1, tzinfo=timezone.utc)
    limits = {}
    for name, (operation, multiple) in BUDGET_LIMITS.items():
        query = SeriesQuery(operation, start, end, aggregation="month_to_date", granularity="daily")
        body = data.series(query, datetime(2030, 1, 1, tzinfo=timezone.utc))
        last = body["series"][-1]  # type: ignore[index]
        final = sum(v for k, v in last.items() if k != "time")
        limits[name] = round(final * multiple, -3)
    return limits


def print_budget(folder: Path, state: str) -> bool:
    """The landed verdict as a table, and the alert; whether exactly the expected metric crossed 80 %."""
    from airflow_provider_ldusage.operators.budget import format_table

    files = sorted(folder.glob("usageBudget/*/asof_*.jsonl"))
    if not files:
        print("  no budget verdict was landed")
        return False
    lines = [json.loads(line) for line in files[-1].read_text().splitlines() if line.strip()]
    verdict = {
        "month": lines[0]["month"],
        "as_of": lines[0]["as_of"],
        "metrics": {v["metric"]: v for v in lines},
    }
    print(f"\nBudget watch -> {relative(files[-1])}")
    print("\n".join("  " + line for line in format_table(verdict).splitlines()))
    crossed = [v for v in lines if v["threshold_crossed"] is not None]
    if crossed:
        print(f"\n  ALERT (the task {state}; an on_failure_callback notifier would send this):")
        for v in crossed:
            print(f"    {v['message']}")
    spikes = [v for v in lines if v["spike"] is not None]
    for v in spikes:
        print(f"    {v['spike']['message']}")
    named = crossed and (crossed[0].get("drivers") or {}).get("contributors")
    return (
        [v["metric"] for v in crossed] == ["client_mau"]
        and bool(named)
        and named[0]["label"].startswith(RUNAWAY_LABEL)
        and "client_mau" in [v["metric"] for v in spikes]
        and all(v["spike"]["drivers"]["contributors"][0]["label"].startswith(RUNAWAY_LABEL) for v in spikes)
    )


def print_warehouse() -> None:
    """What the DAGs loaded into the SQL warehouse, and the README's query on it."""
    with sqlite3.connect(WAREHOUSE) as db:
        (series,) = db.execute("SELECT COUNT(*) FROM launchdarkly_usage").fetchone()
        (items,) = db.execute("SELECT COUNT(*) FROM launchdarkly_usage_lists").fetchone()
        result = db.execute(MAU_QUERY).fetchall()
    print(f"\nWarehouse {relative(WAREHOUSE)}: {series:,} rows in launchdarkly_usage, {items:,} in _lists")
    print("".join(f"  {line}\n" for line in MAU_QUERY.splitlines()), end="")
    for filter_set, group_by, mau in result:
        print(f"  -> {filter_set}  group_by={group_by or 'none':<26}  MAU {mau:,}")


def main() -> int:
    started = time.monotonic()
    DEMO.mkdir(exist_ok=True)
    AIRFLOW_HOME.mkdir(exist_ok=True)
    shutil.rmtree(OUTPUT, ignore_errors=True)  # the tables below show this run's files only
    WAREHOUSE.unlink(missing_ok=True)  # and the query this run's loads
    LOG.write_text("")

    from airflow_provider_ldusage.testing.emulator import EmulatorConfig, run_emulator

    ok = True
    with run_emulator(EmulatorConfig(seed=1, now=EMULATOR_NOW, runaway=RUNAWAY)) as emulator:
        env = airflow_env(emulator.url, emulator.token)
        # The contract's limits, for the budget watch and the monthly report's burn-down chart.
        env["AIRFLOW_VAR_LDUSAGE_BUDGET_LIMITS"] = json.dumps(budget_limits())
        # LaunchDarkly groups by project and environment ids: the alerts show their keys instead.
        account = emulator.data.account
        env["AIRFLOW_VAR_LDUSAGE_DIMENSION_LABELS"] = json.dumps(
            {
                "projectId": {p.id: p.key for p in account.projects},
                "environmentId": {e.id: e.key for e in account.environments},
            }
        )
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
        budget_state = "not run"
        if ok:
            emulator.clock.set_speed(0)
            emulator.clock.set(BUDGET_CLOCK)
            dag_id, logical_date, covers = BUDGET_RUN
            # The run fails on purpose: a forecast crosses 80 % of a limit, and that failure is the alert
            # (``airflow dags test`` then exits non-zero); the verdict it landed is checked below.
            _, seconds = run_step(dag_id, [str(AIRFLOW), "dags", "test", dag_id, logical_date], env)
            budget_state = last_run_state(dag_id)
            done = budget_state == "failed"
            label = f"airflow dags test {dag_id} ({covers})"
            print(f"  {'ok' if done else 'FAILED':<6} {label:<54}{seconds:6.1f} s  {budget_state} (alert)")
            ok &= done
        requests = len(emulator.requests)

    if not ok:
        print(f"\nA step failed; everything Airflow printed is in {relative(LOG)}")
        with LOG.open() as log:
            tail = log.readlines()[-15:]
        print("".join(f"  | {line}" for line in tail), end="")
        return 1

    print_table(
        f"Daily ingest of {DAILY_RUN[2]} and 3 days re-read (lookback) -> {relative(OUTPUT / 'usage')}",
        landed(OUTPUT / "usage"),
    )
    print_table(
        f"Monthly close of {MONTH} (and {PREVIOUS_MONTH} to compare) -> {relative(OUTPUT / 'monthly')}",
        landed(OUTPUT / "monthly"),
    )
    report = json.loads((OUTPUT / "reports" / f"ldusage_{MONTH}.json").read_text())
    html = relative(OUTPUT / "reports" / f"ldusage_{MONTH}.html")
    print(f"\nReport: {html} (also .md, .svg, .json, and _budget.svg: the burn-down against the limits)")
    print(f"  final as of {report['judged_final_at']} by the emulator's clock")
    for total in report["totals"].values():
        change = "n/a" if total["change"] is None else f"{total['change']:+.1f}%"
        print(f"  {total['label']:<30}{total['month']:>14,}  {change:>7} vs {PREVIOUS_MONTH}")
    print_warehouse()
    if not print_budget(OUTPUT / "budgets", budget_state):
        print("  the budget watch did not give the expected crossing and spike naming the runaway SDK")
        return 1
    print(f"\n{requests} API requests served by the emulator; Airflow's logs: {relative(LOG)}")
    print(f"Done in {time.monotonic() - started:.0f} s. Open the report in a browser to see the chart.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
