"""Hive layout: several endpoints over two daily windows, ``partition_by="day"``, Parquet — the tree reads as
ONE table with pyarrow's hive partitioning; a re-run replaces; misuse is refused before any request."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.schema import SERIES_NAMES
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator
from tests.dag_runs import state_of, xcom
from tests.landing.conftest import FLAG, dag_source

ds = pytest.importorskip("pyarrow.dataset")

UTC = timezone.utc
DAYS = (("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"), ("2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z"))
ENDPOINTS = (
    ("mau", "LaunchDarklyMauTotalUsageOperator", {"group_by": "sdkType"}),
    ("connections", "LaunchDarklyServiceConnectionsUsageOperator", {}),  # float values
    ("export", "LaunchDarklyDataExportEventsUsageOperator", {"group_by": "eventKind"}),  # data_through
    ("evaluations", "LaunchDarklyEvaluationsUsageOperator", dict(FLAG)),
    ("errors", "LaunchDarklyObservabilityErrorsUsageOperator", {}),
)
OPERATIONS = {
    "getMAUTotalUsage",
    "getServiceConnectionsUsage",
    "getDataExportEventsUsage",
    "getEvaluationsUsage",
    "getObservabilityErrorsUsage",
}


def _tasks(out: Path) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (
            f"{name}_{n}",
            op,
            {
                **kwargs,
                "start": start,
                "end": end,
                "output_path": str(out),
                "output_format": "parquet",
                "partition_by": "day",
            },
        )
        for name, op, kwargs in ENDPOINTS
        for n, (start, end) in enumerate(DAYS)
    ]


def _files(root: Path, records: bool = False) -> dict[Path, bytes]:
    """The objects (or, with ``records``, the hidden records beside them) under ``root``."""
    return {
        p.relative_to(root): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name.endswith(".integrity.json") == records
    }


def test_hive_tree_reads_as_one_table_and_a_rerun_replaces(
    emulator: Any, module_runner: Any, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    tasks = _tasks(root)
    first = module_runner(dag_source(tasks), logical_date=datetime(2026, 6, 10, tzinfo=UTC))
    assert first.state == "success"
    summaries = {tid: xcom(first, tid) for tid, _, _ in tasks}
    # the Asset of the Hive layout: one table per operation, whatever the filter set or day
    assert {s["dataset"] for s in summaries.values()} == {
        f"file://{root}/operation={op}" for op in OPERATIONS
    }
    landed = _files(root)
    assert len(landed) == len(tasks)  # one object per endpoint and day
    records = _files(root, records=True)  # each beside its object, hidden: the dataset below skips them
    assert sorted(p.parent / p.name[1:].split(".")[0] for p in records) == sorted(
        p.parent / p.name.split(".")[0] for p in landed
    )
    for relative in landed:
        operation, day, name = relative.parts
        assert operation.removeprefix("operation=") in OPERATIONS and day.startswith("day=2026-06-0")
        assert name.endswith(".parquet") and name[10] == "_"  # <hash>_<start>_<end>.parquet
    assert {(p.parts[1]) for p in landed} == {"day=2026-06-01", "day=2026-06-02"}

    table = ds.dataset(root, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == sum(s["rows"] for s in summaries.values()) > 0
    assert table.column_names[: len(SERIES_NAMES)] == list(SERIES_NAMES)
    assert {"operation", "day"} <= set(table.column_names)
    assert set(table.column("operation").to_pylist()) == OPERATIONS
    per_day = {str(d) for d in table.column("day").to_pylist()}
    assert per_day == {"2026-06-01", "2026-06-02"}
    # a partition filter reads exactly the objects of that day
    import pyarrow.compute as pc

    dataset = ds.dataset(root, format="parquet", partitioning="hive")
    day_1 = dataset.to_table(filter=pc.field("day") == dataset.to_table().column("day")[0]).num_rows
    assert day_1 in (
        sum(s["rows"] for t, s in summaries.items() if t.endswith("_0")),
        sum(s["rows"] for t, s in summaries.items() if t.endswith("_1")),
    )

    second = module_runner(dag_source(tasks), logical_date=datetime(2026, 6, 10, tzinfo=UTC))
    assert second.state == "success"
    again = _files(root)
    assert len(again) == len(landed) and again == landed  # same names, same bytes: replaced, not added
    assert _files(root, records=True) == records
    assert not any(p.name.endswith(".tmp") for p in root.rglob("*"))


def test_misuse_is_refused_naming_partition_by_before_any_request(
    emulator: Any, module_runner: Any, tmp_path: Path
) -> None:
    # at construction (DAG parse): an unknown partitioning, and partitioning without output_path
    with pytest.raises(LaunchDarklyUsageValidationError, match="partition_by") as raised:
        LaunchDarklyMauTotalUsageOperator(task_id="week", output_path=str(tmp_path), partition_by="week")
    assert "'week'" in str(raised.value)
    with pytest.raises(LaunchDarklyUsageValidationError, match="partition_by") as raised:
        LaunchDarklyMauTotalUsageOperator(task_id="nopath", partition_by="day")
    assert "'day'" in str(raised.value) and "output_path" in str(raised.value)

    # at run time, before the first request: windows that do not fit one partition
    misuse = {
        "day_for_a_month": {"window": "previous_month", "partition_by": "day"},
        "month_across_months": {
            "start": "2026-05-20T00:00:00Z",
            "end": "2026-06-10T00:00:00Z",
            "partition_by": "month",
        },
    }
    for task, kwargs in misuse.items():
        op = LaunchDarklyMauTotalUsageOperator(task_id=task, output_path=str(tmp_path), **kwargs)
        with pytest.raises(LaunchDarklyUsageValidationError, match="partition_by") as raised:
            op.execute({"logical_date": datetime(2026, 6, 2, tzinfo=UTC)})  # type: ignore[arg-type]
        assert repr(kwargs["partition_by"]) in str(raised.value), raised.value
    emulator.clear_requests()
    tasks = [
        (task, "LaunchDarklyMauTotalUsageOperator", {**kwargs, "output_path": str(tmp_path)})
        for task, kwargs in misuse.items()
    ]
    dag_run = module_runner(dag_source(tasks), logical_date=datetime(2026, 6, 2, tzinfo=UTC))
    assert [state_of(dag_run, t) for t in misuse] == ["failed", "failed"]
    assert emulator.requests == []  # zero requests reached the emulator
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
