"""Objects of different filter sets in one output folder are told apart by their rows and their
summaries, each filter set is its own dataset (folder and Asset), and nothing sums across them by accident."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tests.dag_runs import DagRunner, xcom

UTC = timezone.utc
LOGICAL = datetime(2026, 3, 2, tzinfo=UTC)


def test_two_filter_sets_in_one_folder_are_told_apart(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    out = tmp_path / "usage"
    dr = run_dag(
        f"""
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator as Mau
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    Mau(task_id="all", window="previous_day", output_path="{out}")
    Mau(task_id="default", window="previous_day", project_key="default", output_path="{out}")
    Mau(task_id="by_sdk", window="previous_day", group_by="sdkType", output_path="{out}")
""",
        logical_date=LOGICAL,
    )
    summaries = {task: xcom(dr, task) for task in ("all", "default", "by_sdk")}
    # three datasets: three folders, three Asset URIs, one object each
    assert len({s["dataset"] for s in summaries.values()}) == 3
    for s in summaries.values():
        assert s["path"].startswith(s["dataset"] + "/")
    assert summaries["default"]["request"]["filters"] == {"project_key": "default"}
    assert summaries["all"]["request"]["filters"] == {}
    assert summaries["by_sdk"]["request"]["group_by"] == "sdkType"

    # Globbing the whole folder mixes filter sets; the rows' request column separates them again.
    rows = [
        json.loads(line) for path in sorted(out.rglob("*.jsonl")) for line in path.read_text().splitlines()
    ]
    by_request: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_request.setdefault(json.dumps(row["request"], sort_keys=True), []).append(row)
    assert len(by_request) == 3
    total = {k: sum(r["value"] for r in v) for k, v in by_request.items()}
    unfiltered = json.dumps(
        {k: v for k, v in summaries["all"]["request"].items() if k not in ("operation", "window")},
        sort_keys=True,
    )
    grouped = json.dumps(
        {k: v for k, v in summaries["by_sdk"]["request"].items() if k not in ("operation", "window")},
        sort_keys=True,
    )
    # the sdkType groups add up to the unfiltered total; the project filter is a part of it
    assert total[grouped] == total[unfiltered] > 0
    assert sum(total.values()) > total[unfiltered]  # what a naive glob-and-sum would report
