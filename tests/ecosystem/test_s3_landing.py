"""Landing on ``s3://`` through the Amazon provider's ObjectStoragePath, against moto's S3 server on loopback.

No patched client: the operator writes through Airflow's ``ObjectStoragePath`` -> the Amazon provider's
filesystem -> s3fs -> HTTP to a real S3-compatible server in its own process; the checks read the bucket
over HTTP with boto3, as any other reader of the bucket would.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.landing.rows import UsageRows
from airflow_provider_ldusage.landing.storage import storage_path, write_rows
from tests.dag_runs import DagRunner, state_of, xcom
from tests.ecosystem.conftest import S3

UTC = timezone.utc
LOGICAL = datetime(2026, 3, 2, tzinfo=UTC)


def s3_dag(s3: S3, prefix: str) -> str:
    return f"""
from datetime import datetime, timezone
from pathlib import Path
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyDataExportEventsUsageOperator as Op
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    Op(task_id="usage", window="previous_month", output_path="s3://{s3.conn_id}@{s3.bucket}/{prefix}",
       group_by=["environmentId", "eventKind"])
"""


def test_operator_lands_on_s3_with_asset_uri_and_rerun_replaces(
    run_dag: DagRunner, launchdarkly_emulator: Any, s3: S3
) -> None:
    first = run_dag(s3_dag(s3, "dag"), logical_date=LOGICAL)
    assert state_of(first) == "success"
    summary = xcom(first, "usage")
    (key,) = s3.keys("dag/")
    # URIs name bucket and key, never the connection id (a conn id in the URI would split one dataset)
    assert summary["path"] == f"s3://{s3.bucket}/{key}"
    assert key.startswith("dag/getDataExportEventsUsage/") and key.endswith(
        "/20260201T000000Z_20260301T000000Z.jsonl"
    )
    assert summary["dataset"] == f"s3://{s3.bucket}/{key.rsplit('/', 1)[0]}"
    body = s3.read(key)
    lines = [json.loads(line) for line in body.splitlines()]
    assert summary["bytes"] == len(body) and summary["rows"] == len(lines) > 0
    assert {row["endpoint"] for row in lines} == {"getDataExportEventsUsage"}
    assert s3.uploads() == []

    # The dataset is announced as an Airflow Asset with that s3:// URI.
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        assets = [a.uri for a in session.query(AssetModel).all() if a.uri.startswith(f"s3://{s3.bucket}/")]
        events = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.uri == summary["dataset"])
            .all()
        )
        extras = [e.extra for e in events]
    assert assets == [summary["dataset"]]
    assert [extra["path"] for extra in extras] == [summary["path"]]

    # Idempotent: the same run again replaces the object with identical content; nothing else appears.
    second = run_dag(s3_dag(s3, "dag"), logical_date=LOGICAL)
    assert state_of(second) == "success"
    assert s3.keys("dag/") == [key] and s3.read(key) == body
    assert xcom(second, "usage")["path"] == summary["path"]
    assert s3.uploads() == []


def rows(value: int, hours: int = 48) -> UsageRows:
    """MAU-shaped rows: 50 series over ``hours`` hours, every value ``value`` (to tell versions apart)."""
    result = UsageRows(BY_OPERATION["getMAUTotalUsage"], None, None)
    result.add(
        {
            "_links": {},
            "metadata": [{"sdkName": f"sdk-{i}"} for i in range(50)],
            "series": [
                {"time": 1767225600000 + h * 3_600_000, **{str(i): value for i in range(50)}}
                for h in range(hours)
            ],
        }
    )
    return result


def encoded(data: UsageRows) -> bytes:
    buffer = io.BytesIO()
    data.write_jsonl(buffer.write)
    return buffer.getvalue()


def test_replace_is_atomic_for_a_concurrent_reader(s3: S3) -> None:
    target = storage_path(f"s3://{s3.conn_id}@{s3.bucket}/atomic") / "obj.jsonl"
    old, new = rows(1, hours=2000), rows(2, hours=2000)  # ~10 MB each
    write_rows(old, target, "jsonl")
    versions = {encoded(old): "old", encoded(new): "new"}
    seen: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.append(versions.get(s3.read("atomic/obj.jsonl"), "torn"))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not seen and time.monotonic() < deadline:  # the reader has seen the old object first
            time.sleep(0.01)
        write_rows(new, target, "jsonl")
        time.sleep(0.3)  # a few reads after the move
    finally:
        stop.set()
        thread.join(timeout=30)
    # Readers saw the old object, then the new one: never a partial or missing object.
    assert "torn" not in seen and seen[0] == "old" and seen[-1] == "new"
    assert seen == sorted(seen, key=["old", "new"].index)
    assert s3.keys("atomic/") == ["atomic/obj.jsonl"]


def test_killed_upload_leaves_no_visible_object(s3: S3) -> None:
    uri = f"s3://{s3.conn_id}@{s3.bucket}/killed"
    target = storage_path(uri) / "obj.jsonl"
    old = rows(1)
    write_rows(old, target, "jsonl")
    before = s3.read("killed/obj.jsonl")
    # The child lands ~25 MB; with 5 MB parts s3fs uploads it as a multipart upload, killed mid-way.
    code = textwrap.dedent(f"""
        from tests.ecosystem.test_s3_landing import rows
        from airflow_provider_ldusage.landing.storage import storage_path, write_rows
        write_rows(rows(7, hours=5000), storage_path({uri!r}) / "obj.jsonl", "jsonl")
        print("finished", flush=True)
    """)
    env = {**os.environ, "FSSPEC_S3": json.dumps({"default_block_size": 5 * 2**20})}
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],  # the repository root: ``tests`` is importable
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not s3.uploads():
            assert child.poll() is None, "the writer finished before its upload could be killed"
            assert time.monotonic() < deadline, "the writer never started a multipart upload"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    # The upload in flight is invisible: readers see the old object, whole, and nothing else.
    assert s3.keys("killed/") == ["killed/obj.jsonl"]
    assert s3.read("killed/obj.jsonl") == before
    (pending,) = s3.uploads()  # an incomplete multipart upload of the temporary (a lifecycle rule aborts it)
    assert pending.startswith("killed/.obj.jsonl.") and pending.endswith(".tmp")

    # The next write of the same object lands normally.
    new = rows(3)
    write_rows(new, target, "jsonl")
    assert s3.keys("killed/") == ["killed/obj.jsonl"] and s3.read("killed/obj.jsonl") == encoded(new)


def test_objects_on_s3_read_back_through_object_storage(s3: S3) -> None:
    # In this module (not tests/landing): Airflow caches an ObjectStoragePath store per connection id, so a
    # second moto server under the same connection id in one session would be unreachable.
    from airflow_provider_ldusage.landing.reading import read_landed
    from airflow_provider_ldusage.landing.storage import land
    from tests.landing.test_reading import _big_rows

    rows = _big_rows(days=31)  # March: one month partition
    for fmt in ("parquet", "csv.gz", "jsonl"):
        landed = land(
            rows,
            f"s3://{s3.conn_id}@{s3.bucket}/reading",
            "getServiceConnectionsUsage",
            {},
            fmt,  # type: ignore[arg-type]
            window_start=datetime(2026, 3, 1, tzinfo=UTC),
            window_end=datetime(2026, 4, 1, tzinfo=UTC),
            partition_by="month" if fmt == "parquet" else None,
        )
        assert landed.uri.startswith(f"s3://{s3.bucket}/reading/")
        # the summary's URI names no connection: the reader is given one, as a loader would be
        location = landed.uri.replace("s3://", f"s3://{s3.conn_id}@", 1)
        obj = read_landed(location)
        assert obj.uri == landed.uri and obj.format == fmt
        got = list(obj.rows())
        assert len(got) == len(rows) and sorted(map(json.dumps, got)) == sorted(
            map(json.dumps, rows.iter_dicts())
        )


def test_sql_load_reads_s3_objects_through_the_named_storage_connection(
    run_dag: DagRunner, launchdarkly_emulator: Any, s3: S3, tmp_path: Path, monkeypatch: Any
) -> None:
    # The summaries name no connection (s3://bucket/key); the load is given the one the landing wrote with.
    import sqlite3

    warehouse = tmp_path / "warehouse.db"
    monkeypatch.setenv(
        "AIRFLOW_CONN_LDUSAGE_S3_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(warehouse)})
    )
    source = (
        s3_dag(s3, "loaded")
        + f"""
    from airflow_provider_ldusage.transfers.usage_to_sql import LaunchDarklyUsageToSqlOperator
    load = LaunchDarklyUsageToSqlOperator(
        task_id="load", sql_conn_id="ldusage_s3_warehouse", source=dag.get_task("usage").output,
        storage_conn_id="{s3.conn_id}",
    )
"""
    )
    dag_run = run_dag(source, logical_date=LOGICAL)
    assert state_of(dag_run) == "success"
    summary, loaded = xcom(dag_run, "usage"), xcom(dag_run, "load")
    assert summary["path"].startswith(f"s3://{s3.bucket}/loaded/")
    assert [o["path"] for o in loaded["loaded"]] == [summary["path"]]
    with sqlite3.connect(warehouse) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM launchdarkly_usage").fetchone()
    assert count == summary["rows"] == loaded["rows_inserted"] > 0
