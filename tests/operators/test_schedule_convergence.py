"""On a real schedule, provisional figures converge to final ones, and Assets stay bounded.

A daily DAG at 06:00 UTC reads the previous day while LaunchDarkly (the emulator, its virtual clock set to
each run's time) is still counting it: at 06:05 the day shows about 60 % of its final figure. With
``lookback=3`` every run re-reads and re-lands the three days before, so after a week of runs each day's
object holds the final figure — checked against an independent fetch once the emulator's data has settled.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests

from tests.dag_runs import ms, state_of, xcom

UTC = timezone.utc
FIRST_RUN = datetime(2026, 5, 2, 6, 0, tzinfo=UTC)
RUNS = 10  # days 1..10 May read; days 1..7 (a week) have been re-read after they settled
WEEK = [datetime(2026, 5, day, tzinfo=UTC) for day in range(1, 8)]

DAG_SOURCE = """
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator
with DAG({dag_id!r}, schedule="0 6 * * *", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyMauTotalUsageOperator(
        task_id="usage",
        window="previous_day",
        lookback=3,
        aggregation_type="incremental",
        group_by="sdkType",
        output_path={out!r},
    )
"""


def _load(folder: Path, dag_id: str, out: Path) -> Any:
    path = folder / f"{dag_id}.py"
    path.write_text(DAG_SOURCE.format(dag_id=dag_id, out=str(out)))
    spec = importlib.util.spec_from_file_location(dag_id, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def _final_figures(emulator: Any, day: datetime) -> dict[str, int]:
    body = requests.get(
        emulator.url + "/api/v2/usage/total-mau",
        params=[
            ("from", ms(day.strftime("%Y-%m-%dT%H:%M:%SZ"))),
            ("to", ms((day + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))),
            ("aggregationType", "incremental"),
            ("groupBy", "sdkType"),
        ],
        headers={"Authorization": emulator.token, "LD-API-Version": "beta"},
        timeout=10,
    ).json()
    (point,) = body["series"]
    return {body["metadata"][int(k)]["sdkType"]: v for k, v in point.items() if k != "time"}


def _landed(out: Path, day: datetime) -> dict[str, int]:
    stem = f"{day:%Y%m%dT%H%M%SZ}_{day + timedelta(days=1):%Y%m%dT%H%M%SZ}.jsonl"
    (path,) = out.rglob(stem)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return {row["dimensions"]["sdkType"]: row["value"] for row in rows}


def test_a_week_of_daily_runs_converges_to_the_final_figures(
    airflow_db: Path, tmp_dags_folder: Path, launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    out = tmp_path / "landing"
    dag = _load(tmp_dags_folder, "ldusage_convergence", out)
    first_reads: dict[datetime, dict[str, int]] = {}
    summaries = []
    for n in range(RUNS):
        run_at = FIRST_RUN + timedelta(days=n)
        launchdarkly_emulator.clock.set(run_at + timedelta(minutes=5))  # the scheduler starts it at 06:05
        dag_run = dag.test(logical_date=run_at)
        assert state_of(dag_run) == "success"
        summary = xcom(dag_run, "usage")
        summaries.append(summary)
        day = run_at.replace(hour=0) - timedelta(days=1)
        first_reads[day] = _landed(out, day)
        assert summary["provisional"] is True  # read 6 hours after the day ended: still counting
        assert [s["window_start"][:10] for s in summary["lookback"]] == [
            f"{day - timedelta(days=k):%Y-%m-%d}" for k in (3, 2, 1)
        ]

    launchdarkly_emulator.clock.set(FIRST_RUN + timedelta(days=60))  # long settled
    for day in WEEK:
        final = _final_figures(launchdarkly_emulator, day)
        assert _landed(out, day) == final, day
        # the first read was provisional and lower: the lookback is what made it right
        assert sum(first_reads[day].values()) < sum(final.values())
    # each day of the week was last landed by a run that the rule already calls final
    last = {s["window_start"]: s for summary in summaries for s in [*summary["lookback"], summary]}
    for day in WEEK:
        assert last[f"{day:%Y-%m-%dT%H:%M:%SZ}"]["provisional"] is False, day
    # the three newest days are still provisional, and say so
    newest = [datetime(2026, 5, d, tzinfo=UTC) for d in (8, 9, 10)]
    assert all(last[f"{d:%Y-%m-%dT%H:%M:%SZ}"]["provisional"] for d in newest)

    # One dataset, one Asset, however many runs and re-landings announced it.
    from airflow.models.asset import AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        uris = {a.uri for a in session.query(AssetModel).all() if a.uri.startswith(out.as_uri())}
    assert uris == {summaries[-1]["dataset"]}
