"""Landing: content checked row by row against the emulator, atomic and idempotent writes, XCom limits."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.landing.rows import UsageRows
from airflow_provider_ldusage.landing.schema import SCHEMA_VERSION
from airflow_provider_ldusage.landing.storage import STALE_TEMPORARY_SECONDS, storage_path, write_rows
from tests.dag_runs import DagRunner, ms, state_of, xcom

UTC = timezone.utc
LOGICAL = datetime(2026, 3, 2, tzinfo=UTC)
START, END = "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"


def expected_rows(body: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    out = []
    for item in body["series"]:
        when = datetime.fromtimestamp(item["time"] / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for key, value in item.items():
            if key != "time":
                out.append((when, body["metadata"][int(key)], value))
    return out


def land_dag(
    out: Path, fmt: str, op: str = "LaunchDarklyDataExportEventsUsageOperator", extra: str = ""
) -> str:
    return f"""
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import {op}
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    {op}(task_id="usage", window="previous_month", output_path="{out}", output_format="{fmt}"{extra})
"""


def _objects(root: Path) -> list[Path]:
    """The landed objects under ``root``: every file but the hidden integrity records beside them."""
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".integrity.json"))


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_landed_rows_match_emulator(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path, fmt: str
) -> None:
    extra = ', group_by=["environmentId", "eventKind"], aggregation_type="incremental"'
    dr = run_dag(land_dag(tmp_path, fmt, extra=extra), logical_date=LOGICAL)
    assert state_of(dr) == "success"
    summary = xcom(dr, "usage")
    files = _objects(tmp_path)
    assert (
        len(files) == 1
        and files[0].suffix == f".{fmt}"
        and files[0].parent.parent.name == "getDataExportEventsUsage"
    )
    assert summary["path"] == files[0].as_uri() and summary["bytes"] == files[0].stat().st_size
    # the object's folder is its dataset: one operation and filter set, announced as one Asset
    assert summary["dataset"] == files[0].parent.as_uri()
    assert summary["request"] == {
        "operation": "getDataExportEventsUsage",
        "filters": {"group_by": ["environmentId", "eventKind"]},
        "group_by": ["environmentId", "eventKind"],
        "aggregation": "incremental",
        "granularity": "daily",
        "time_unit": "ms",
        "window": {"start": START, "end": END, "source": "preset:previous_month"},
    }
    assert (summary["window_start"], summary["window_end"], summary["format"]) == (START, END, fmt)

    # groupBy is repeatable: fetch with both values as the operator did
    body = requests.get(
        launchdarkly_emulator.url + "/api/v2/usage/data-export-events",
        params=[
            ("from", ms(START)),
            ("to", ms(END)),
            ("groupBy", "environmentId"),
            ("groupBy", "eventKind"),
            ("aggregationType", "incremental"),
        ],
        headers={"Authorization": launchdarkly_emulator.token, "LD-API-Version": "beta"},
        timeout=10,
    ).json()
    expected = expected_rows(body)
    text = files[0].read_text()
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
    else:
        reader = csv.DictReader(io.StringIO(text))
        # the current layout: the same columns for every endpoint and filter set (landing/schema.py)
        assert reader.fieldnames == [
            "schema_version",
            "endpoint",
            "filter_set",
            "request",  # what defines the rows besides the window
            "window_start",
            "window_end",
            "time",
            "series_key",
            "dimensions",
            "value",
            "unit",
            "aggregation",
            "granularity",
            "fetched_at",
            "data_through",  # data-export responses report freshness
            "delayed",
            "provisional",  # the summary's finality, on every row
            "final_after",
        ]
        rows = [
            {
                **r,
                "schema_version": int(r["schema_version"]),
                "value": int(r["value"]),
                "delayed": r["delayed"] == "true",
                "provisional": {"true": True, "false": False}.get(r["provisional"]),
                "final_after": r["final_after"] or None,
                "request": json.loads(r["request"]),
                "dimensions": json.loads(r["dimensions"]),
            }
            for r in reader
        ]
    assert summary["rows"] == len(rows) == len(expected) > 0
    folder = files[0].parent.name  # the dataset's folder: its filter set
    for row, (when, meta, value) in zip(rows, expected, strict=True):
        assert (row["schema_version"], row["endpoint"], row["filter_set"]) == (
            SCHEMA_VERSION,
            "getDataExportEventsUsage",
            folder,
        )
        assert row["request"] == {
            k: v for k, v in summary["request"].items() if k not in ("operation", "window")
        }
        assert (row["window_start"], row["window_end"], row["time"]) == (START, END, when)
        assert row["dimensions"] == meta and row["value"] == value and type(row["value"]) is int
        assert (row["unit"], row["aggregation"], row["granularity"]) == ("events", "incremental", "daily")
        assert row["fetched_at"] == summary["fetched_at"]
        assert (row["data_through"], row["delayed"]) == (body["dataThrough"], body["delayed"])
        assert (row["provisional"], row["final_after"]) == (summary["provisional"], summary["final_after"])
    # one stable key per series (its dimensions), as many as LaunchDarkly described
    keys = {r["series_key"]: json.dumps(r["dimensions"], sort_keys=True) for r in rows}
    assert len(keys) == len(set(keys.values())) == len(body["metadata"])


def test_grouped_rows_sum_to_ungrouped_total(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    source = """
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyDataExportEventsUsageOperator as Op
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    Op(task_id="grouped", window="previous_month", group_by="environmentId", aggregation_type="incremental")
    Op(task_id="total", window="previous_month", aggregation_type="incremental")
"""
    dr = run_dag(source, logical_date=LOGICAL)
    grouped, total = xcom(dr, "grouped"), xcom(dr, "total")
    assert grouped and all("environmentId" in r["dimensions"] for r in grouped)
    assert all(r["dimensions"] == {} for r in total)  # the ungrouped total: no dimensions
    sums: dict[str, int] = {}
    for r in grouped:
        sums[r["time"]] = sums.get(r["time"], 0) + r["value"]
    assert sums == {r["time"]: r["value"] for r in total}


def test_float_values_stay_float(run_dag: DagRunner, launchdarkly_emulator: Any) -> None:
    source = """
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyServiceConnectionsUsageOperator as Op
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    Op(task_id="usage", window="last_3_days", group_by="sdkName")
"""
    rows = xcom(run_dag(source, logical_date=LOGICAL), "usage")
    assert rows and any(isinstance(r["value"], float) and not r["value"].is_integer() for r in rows)


def test_same_window_twice_leaves_one_identical_object(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    first = run_dag(land_dag(tmp_path, "jsonl"), logical_date=LOGICAL)
    files = _objects(tmp_path)
    content = files[0].read_bytes()
    second = run_dag(land_dag(tmp_path, "jsonl"), logical_date=LOGICAL)
    assert state_of(first) == state_of(second) == "success"
    assert _objects(tmp_path) == files and files[0].read_bytes() == content
    # a different filter set lands beside it instead of overwriting it
    run_dag(land_dag(tmp_path, "jsonl", extra=', group_by="eventKind"'), logical_date=LOGICAL)
    assert len(_objects(tmp_path)) == 2


def test_too_many_rows_for_xcom_points_at_output_path(run_dag: DagRunner, launchdarkly_emulator: Any) -> None:
    source = """
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator as Op
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    Op(task_id="usage", window="previous_month", max_xcom_rows=5)
"""
    assert state_of(run_dag(source, logical_date=LOGICAL)) == "failed"


def _rows() -> UsageRows:
    rows = UsageRows(
        BY_OPERATION["getMAUTotalUsage"], datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    )
    rows.add(
        {
            "_links": {},
            "metadata": [{"sdkName": f"s{i}"} for i in range(50)],
            "series": [
                {"time": 1767225600000 + h * 3600000, **{str(i): i for i in range(50)}} for h in range(24)
            ],
        }
    )
    return rows


def test_failure_mid_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = storage_path(tmp_path) / "x" / "obj.jsonl"
    write_rows(_rows(), target, "jsonl")
    before = Path(target.path).read_bytes()
    calls = 0

    def failing(self: UsageRows, write: Any, batch: int = 4096) -> int:
        nonlocal calls
        write(b'{"partial":')
        calls += 1
        raise RuntimeError("disk gone")

    monkeypatch.setattr(UsageRows, "write_jsonl", failing)
    with pytest.raises(RuntimeError):
        write_rows(_rows(), target, "jsonl")
    assert calls == 1
    names = sorted(p.name for p in (tmp_path / "x").iterdir())  # no temporary left; the old object's record
    assert (
        names[1:] == ["obj.jsonl"]
        and names[0].startswith(".obj.jsonl.")
        and names[0].endswith(".integrity.json")
    )
    assert Path(target.path).read_bytes() == before  # the old object is untouched


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_writer_leaves_no_final_object(tmp_path: Path, sig: int) -> None:
    # The child installs Airflow's behaviour (SIGTERM -> exception) and blocks mid-write until killed.
    code = textwrap.dedent(f"""
        import signal, sys, time
        from datetime import datetime, timezone
        from airflow_provider_ldusage.catalogue import BY_OPERATION
        from airflow_provider_ldusage.landing.storage import storage_path, write_rows
        from airflow_provider_ldusage.landing.rows import UsageRows
        def stop(*_): raise SystemExit(143)
        signal.signal(signal.SIGTERM, stop)
        original = UsageRows.write_jsonl
        def slow(self, write, batch=4096):
            write(b'{{"partial":')
            print("writing", flush=True)
            time.sleep(60)
        UsageRows.write_jsonl = slow
        rows = UsageRows(BY_OPERATION["getMAUTotalUsage"], None, None)
        write_rows(rows, storage_path({str(tmp_path)!r}) / "obj.jsonl", "jsonl")
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "writing"
    assert len(list(tmp_path.iterdir())) == 1  # the temporary sibling exists while writing
    child.send_signal(sig)
    child.wait(timeout=30)
    assert not (tmp_path / "obj.jsonl").exists()
    leftovers = list(tmp_path.iterdir())
    if sig == signal.SIGTERM:
        assert leftovers == []
    else:  # SIGKILL cannot be caught: the temporary stays hidden, and a write removes it once it is stale
        (leftover,) = leftovers
        assert leftover.name.startswith(".obj.jsonl.")
        write_rows(_rows(), storage_path(tmp_path) / "obj.jsonl", "jsonl")
        # A young temporary may be another task's write in progress: kept.
        assert [p.name for p in _objects(tmp_path)] == [leftover.name, "obj.jsonl"]
        stale = time.time() - STALE_TEMPORARY_SECONDS - 60
        os.utime(leftover, (stale, stale))
        write_rows(_rows(), storage_path(tmp_path) / "obj.jsonl", "jsonl")
        assert [p.name for p in _objects(tmp_path)] == ["obj.jsonl"]
