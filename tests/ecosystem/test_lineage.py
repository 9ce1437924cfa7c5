"""OpenLineage: the facets of a real ``dag.test()`` run, field by field; the same DAG without the provider.

Both runs happen in fresh interpreters (``run_dag_child``) against the emulator. With the OpenLineage
provider installed, its listener sends the events through a ``file`` transport; without it (its imports made
impossible) the DAG must land the same bytes and return the same XCom.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.operators._lineage import input_name, storage_dataset
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig
from airflow_provider_ldusage.testing.emulator.server import run_emulator
from tests.dag_runs import EMULATOR_NOW

ROOT = Path(__file__).resolve().parents[2]
LOGICAL = datetime(2026, 3, 2, tzinfo=timezone.utc)
DAG_ID = "ldusage_lineage"
DAG = f"""
import os
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import (
    LaunchDarklyDataExportEventsUsageOperator,
    LaunchDarklyMauTotalUsageOperator,
)
with DAG({DAG_ID!r}, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyDataExportEventsUsageOperator(
        # Read when the file is parsed; a default keeps other tests' DAG-folder scans free of errors.
        task_id="landed", window="previous_month",
        output_path=os.environ.get("LDUSAGE_LINEAGE_OUT", "/tmp/ldusage-lineage-unset"),
        group_by=["eventKind", "environmentId"], aggregation_type="incremental",
    )
    LaunchDarklyMauTotalUsageOperator(task_id="to_xcom", window="previous_day")
"""


def run(dag_file: Path, out: Path, lineage_file: Path, emulator: Emulator, *, absent: bool) -> dict[str, Any]:
    conn = {"conn_type": "launchdarkly", "host": emulator.url, "password": emulator.token}
    env = {
        **os.environ,
        "AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT": json.dumps(conn),
        "LDUSAGE_LINEAGE_OUT": str(out),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(lineage_file), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "ldusage-tests",
        "AIRFLOW__OPENLINEAGE__EXECUTE_IN_THREAD": "True",  # no fork of the task process
    }
    argv = [sys.executable, "-m", "tests.ecosystem.run_dag_child", str(dag_file), LOGICAL.isoformat()]
    done = subprocess.run(
        argv + (["--without-openlineage"] if absent else []),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return {**result, "emulator_url": emulator.url, "token": emulator.token}


@pytest.fixture(scope="module")
def runs(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same DAG run twice: with the OpenLineage provider, then with it absent."""
    # The scratch folder of the tmp_dags bundle (tests/conftest.py): dag.test() runs DAGs from bundles only.
    dag_file = Path(os.environ["AIRFLOW_HOME"]) / "dags" / f"{DAG_ID}.py"
    dag_file.write_text(DAG)
    base = tmp_path_factory.mktemp("lineage")
    # One emulator for both runs: the same base URL, so the same dataset names and object names.
    try:
        with run_emulator(EmulatorConfig(seed=1, now=EMULATOR_NOW)) as emulator:
            with_ol = run(dag_file, base / "with", base / "with.jsonl", emulator, absent=False)
            without = run(dag_file, base / "without", base / "without.jsonl", emulator, absent=True)
    finally:
        dag_file.unlink(missing_ok=True)  # the DAG folder is shared by the whole test session
    events = [json.loads(line) for line in (base / "with.jsonl").read_text().splitlines()]
    return {
        "with": with_ol,
        "without": without,
        "events": events,
        "raw": (base / "with.jsonl").read_text(),
        "out": base / "with",
        "without_lineage_file": base / "without.jsonl",
    }


def complete(events: list[dict[str, Any]], task_id: str) -> dict[str, Any]:
    (event,) = [
        e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] == f"{DAG_ID}.{task_id}"
    ]
    return event


def test_landing_task_reports_endpoint_input_and_landed_output(runs: dict[str, Any]) -> None:
    result = runs["with"]
    assert result["states"] == {"landed": "success", "to_xcom": "success"}
    assert result["openlineage_loaded"]  # the provider really was there
    summary = result["xcom"]["landed"]
    event = complete(runs["events"], "landed")
    assert event["job"]["namespace"] == "ldusage-tests"

    (source,) = event["inputs"]
    assert source["namespace"] == result["emulator_url"]
    assert (
        source["name"]
        == "getDataExportEventsUsage?aggregation_type=incremental&group_by=environmentId,eventKind"
    )
    datasource = source["facets"]["dataSource"]
    assert datasource["name"] == result["emulator_url"]
    assert datasource["uri"] == result["emulator_url"] + BY_OPERATION["getDataExportEventsUsage"].path
    assert BY_OPERATION["getDataExportEventsUsage"].path == "/api/v2/usage/data-export-events"

    (target,) = event["outputs"]
    # The output is the dataset folder the operator announces as its Asset, in OpenLineage's file naming.
    assert summary["dataset"] == "file://" + target["name"] and target["namespace"] == "file"
    assert target["name"].startswith(str(runs["out"] / "getDataExportEventsUsage") + "/")
    fields = target["facets"]["schema"]["fields"]
    landed = Path(summary["path"].removeprefix("file://"))
    first_row = json.loads(landed.read_text().splitlines()[0])
    assert [f["name"] for f in fields] == list(first_row)  # the rows' columns, in their order
    types = {f["name"]: f["type"] for f in fields}
    # the current series layout (landing/schema.py), whatever the group_by
    assert types == {
        "schema_version": "integer",
        "endpoint": "string",
        "filter_set": "string",
        "request": "struct",
        "window_start": "timestamp",
        "window_end": "timestamp",
        "time": "timestamp",
        "series_key": "string",
        "dimensions": "struct",
        "value": "number",
        "unit": "string",
        "aggregation": "string",
        "granularity": "string",
        "fetched_at": "timestamp",
        "data_through": "timestamp",
        "delayed": "boolean",
        "provisional": "boolean",
        "final_after": "timestamp",
    }
    stats = target["outputFacets"]["outputStatistics"]
    assert (stats["rowCount"], stats["size"], stats["fileCount"]) == (summary["rows"], summary["bytes"], 1)


def test_xcom_task_reports_its_input_and_no_output(runs: dict[str, Any]) -> None:
    event = complete(runs["events"], "to_xcom")
    (source,) = event["inputs"]
    assert (source["namespace"], source["name"]) == (runs["with"]["emulator_url"], "getMAUTotalUsage")
    assert (
        source["facets"]["dataSource"]["uri"]
        == runs["with"]["emulator_url"] + BY_OPERATION["getMAUTotalUsage"].path
    )
    assert event["outputs"] == []


def test_the_token_never_reaches_lineage(runs: dict[str, Any]) -> None:
    assert runs["with"]["token"] not in runs["raw"]
    assert "Authorization" not in runs["raw"]


def test_without_the_openlineage_provider_the_dag_is_unchanged(runs: dict[str, Any]) -> None:
    with_ol, without = runs["with"], runs["without"]
    assert without["openlineage_loaded"] == []
    assert not runs["without_lineage_file"].exists()  # no listener, no event
    assert without["states"] == with_ol["states"]
    assert without["files"] == with_ol["files"]  # the same objects, byte for byte

    def portable(summary: dict[str, Any], root: str) -> str:
        return json.dumps(summary, sort_keys=True).replace(root, "<out>")

    root_with = str(runs["out"])
    root_without = str(runs["out"].with_name("without"))
    for task in ("landed", "to_xcom"):
        assert portable(with_ol["xcom"][task], root_with) == portable(without["xcom"][task], root_without)


def test_dataset_naming_for_object_storage_and_filters() -> None:
    assert storage_dataset("s3://usage-landing/ld/getMAUTotalUsage/0123456789") == (
        "s3://usage-landing",
        "ld/getMAUTotalUsage/0123456789",
    )
    assert storage_dataset("file:///data/ld/getMAUTotalUsage/0123456789") == (
        "file",
        "/data/ld/getMAUTotalUsage/0123456789",
    )
    # equivalent spellings of a filter set name one dataset; None is left out
    one = input_name(
        "getEvaluationsUsage", {"project_key": "p", "sdk_name": ["web", "ios", "web"], "x": None}
    )
    two = input_name("getEvaluationsUsage", {"sdk_name": ("ios", "web"), "project_key": ["p"]})
    assert one == two == "getEvaluationsUsage?project_key=p&sdk_name=ios,web"
