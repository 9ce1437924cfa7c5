"""Issue 15: one row layout for every endpoint and format, round trips per format checked against the
emulator, the Hive layout read as one table, version-0 objects upgraded, and Parquet without pyarrow."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import requests

from airflow_provider_ldusage.catalogue import ENDPOINTS, Endpoint
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing import OUTPUT_FORMATS, check_partition, land
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator
from airflow_provider_ldusage.parquet import arrow_schema
from airflow_provider_ldusage.reading import read_landed
from airflow_provider_ldusage.rows import UsageRows
from airflow_provider_ldusage.schema import LIST_NAMES, SERIES_COLUMNS, SERIES_NAMES, series_key
from tests.operators.conftest import DagRunner, ms, state_of, xcom

UTC = timezone.utc
START, END = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 4, tzinfo=UTC)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
PATH_VALUES = {
    "type": "received",
    "source": "client",
    "project_key": "default",
    "environment_key": "production",
    "feature_flag_key": "new-checkout",
}


def _variants() -> list[tuple[Endpoint, dict[str, Any]]]:
    """Every series endpoint, without group_by and (where it has one) grouped by two dimensions."""
    out = []
    for ep in ENDPOINTS:
        if not ep.is_series:
            continue
        base = {p.name: PATH_VALUES[p.name] for p in ep.path_params}
        out.append((ep, base))
        group = ep.query_param("group_by")
        if group is not None and group.allowed:
            # two dimensions that need no other filter (projectId needs project keys, by LaunchDarkly's rule)
            free = [v for v in group.allowed if v not in ("projectId", "environmentId", "destinationId")]
            out.append((ep, {**base, "group_by": free[:2]}))
    return out


def mapped_xcoms(dag_run: Any, task_id: str) -> list[Any]:
    """The return values of a mapped task's instances, by map index."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = (
            session.query(XComModel)
            .filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id, task_id=task_id, key="return_value")
            .order_by(XComModel.map_index)
            .all()
        )
        return [json.loads(r.value) if isinstance(r.value, str) else r.value for r in rows]


def _json_type_ok(kind: str, value: Any, nullable: bool) -> bool:
    if value is None:
        return nullable
    return {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "timestamp": isinstance(value, str) and bool(ISO.match(value)),
        "bool": isinstance(value, bool),
        "json": isinstance(value, (dict, list)),
    }[kind]


def _csv_cell_ok(kind: str, text: str, nullable: bool) -> bool:
    if text == "":
        return nullable
    if kind == "int":
        return text.lstrip("-").isdigit()
    if kind == "number":
        return bool(re.match(r"^-?\d+(\.\d+)?(e[+-]?\d+)?$", text))
    if kind == "timestamp":
        return bool(ISO.match(text))
    if kind == "bool":
        return text in ("true", "false")
    if kind == "json":
        return isinstance(json.loads(text), (dict, list))
    return True


def _open_text(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode() if path.name.endswith(".gz") else path.read_text()


def test_every_series_endpoint_lands_the_same_columns_and_types_in_every_format(
    launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    hook = LaunchDarklyUsageHook()
    schema = arrow_schema("series")
    variants = _variants()
    assert len({ep.operation_id for ep, _ in variants}) == sum(ep.is_series for ep in ENDPOINTS) == 23
    rows_seen = 0
    for number, (ep, arguments) in enumerate(variants):
        request = {"filters": arguments, "group_by": arguments.get("group_by")}
        rows = UsageRows(ep, START, END, request, filter_set=f"{number:010x}")
        rows.add(
            hook.call_lazy(ep.operation_id, start=START, end=END, **arguments),
            fetched_at=hook.last_server_time,
        )
        rows_seen += len(rows)
        for fmt in OUTPUT_FORMATS:
            landed = land(rows, tmp_path, ep.operation_id, arguments, fmt, window_start=START, window_end=END)
            path = Path(landed.uri.removeprefix("file://"))
            label = f"{ep.operation_id} {arguments} {fmt}"
            if fmt == "parquet":
                assert pq.read_schema(path) == schema, label  # identical Arrow schema, metadata included
                assert pq.read_metadata(path).num_rows == len(rows), label
                continue
            text = _open_text(path)
            if fmt.startswith("jsonl"):
                records = [json.loads(line) for line in text.splitlines()]
                assert len(records) == len(rows), label
                for record in records:
                    assert list(record) == list(SERIES_NAMES), label
                    bad = [
                        c.name
                        for c in SERIES_COLUMNS
                        if not _json_type_ok(c.type, record[c.name], c.nullable)
                    ]
                    assert bad == [], f"{label}: {bad} in {record}"
            else:
                reader = csv.reader(io.StringIO(text))
                assert next(reader) == list(SERIES_NAMES), label
                cells = list(reader)
                assert len(cells) == len(rows), label
                for line in cells:
                    bad = [
                        c.name
                        for c, t in zip(SERIES_COLUMNS, line, strict=True)
                        if not _csv_cell_ok(c.type, t, c.nullable)
                    ]
                    assert bad == [], f"{label}: {bad} in {line}"
    hook.close()
    assert rows_seen > 400


def test_list_endpoints_share_the_list_layout(launchdarkly_emulator: Any, tmp_path: Path) -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    hook = LaunchDarklyUsageHook()
    as_of = datetime(2026, 6, 1, tzinfo=UTC)
    for ep in (e for e in ENDPOINTS if not e.is_series):
        arguments = {
            p.name: PATH_VALUES.get(p.name, "client" if p.allowed is None else p.allowed[0])
            for p in ep.path_params
        }
        window = {"start": START, "end": END} if ep.has_window else {}
        rows = UsageRows(
            ep,
            window.get("start"),
            window.get("end"),
            {},
            filter_set="0123456789",
            as_of=None if window else as_of,
        )
        if ep.paging is not None:
            for page in hook.iter_pages(ep.operation_id, **window, **arguments):
                rows.add(page)
        else:
            rows.add(hook.call_lazy(ep.operation_id, **window, **arguments))
        assert rows.columns == LIST_NAMES
        landed = land(
            rows,
            tmp_path,
            ep.operation_id,
            arguments,
            "parquet",
            window_start=window.get("start"),
            window_end=window.get("end"),
            as_of=as_of,
        )
        assert pq.read_schema(landed.uri.removeprefix("file://")) == arrow_schema("list"), ep.operation_id
        got = list(read_landed(landed.uri).rows())
        assert got == list(rows.iter_dicts()) and len(got) > 0, ep.operation_id
    hook.close()


ROUND_TRIP_DAG = """
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyServiceConnectionsUsageOperator as Op
with DAG(DAG_ID, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    for fmt in {formats!r}:
        Op(task_id=fmt.replace(".", "_"), start="2026-05-01T00:00:00Z", end="2026-06-01T00:00:00Z",
           group_by=["sdkName", "connectionType"], output_path={out!r}, output_format=fmt)
"""


def test_round_trip_per_format_matches_an_independent_fetch(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    # service connections: float values, so "int or float as documented" is checked too
    dag_run = run_dag(ROUND_TRIP_DAG.format(formats=list(OUTPUT_FORMATS), out=str(tmp_path)))
    assert dag_run.state == "success"
    body = requests.get(
        launchdarkly_emulator.url + "/api/v2/usage/service-connections",
        params=[
            ("from", ms("2026-05-01T00:00:00Z")),
            ("to", ms("2026-06-01T00:00:00Z")),
            ("groupBy", "sdkName"),
            ("groupBy", "connectionType"),
        ],
        headers={"Authorization": launchdarkly_emulator.token, "LD-API-Version": "beta"},
        timeout=10,
    ).json()
    expected = sorted(
        (
            datetime.fromtimestamp(p["time"] / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            json.dumps(body["metadata"][int(k)], sort_keys=True),
            v,
        )
        for p in body["series"]
        for k, v in p.items()
        if k != "time"
    )
    assert any(isinstance(v, float) and not v.is_integer() for *_, v in expected)
    jsonl_rows = None
    for fmt in OUTPUT_FORMATS:
        summary = xcom(dag_run, fmt.replace(".", "_"))
        path = Path(summary["path"].removeprefix("file://"))
        assert path.name.endswith(f".{fmt}") and summary["format"] == fmt and summary["rows"] == len(expected)
        if fmt == "parquet":  # read with pyarrow itself
            table = pq.read_table(path)
            assert str(table.schema.field("time").type) == "timestamp[ms, tz=UTC]"
            got = [
                (
                    r["time"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                    json.dumps(json.loads(r["dimensions"]), sort_keys=True),
                    r["value"],
                )
                for r in table.to_pylist()
            ]
        elif fmt.startswith("jsonl"):
            rows = [json.loads(line) for line in _open_text(path).splitlines()]
            jsonl_rows = rows if fmt == "jsonl" else jsonl_rows
            got = [(r["time"], json.dumps(r["dimensions"], sort_keys=True), r["value"]) for r in rows]
        else:
            got = [
                (r["time"], json.dumps(json.loads(r["dimensions"]), sort_keys=True), float(r["value"]))
                for r in csv.DictReader(io.StringIO(_open_text(path)))
            ]
        assert sorted(got) == expected, fmt
        # and through the reader, every format gives the JSON Lines rows (gzip ones ordered by series)
        if fmt != "jsonl":
            key = json.dumps
            assert sorted(map(key, read_landed(summary["path"]).rows())) == sorted(
                map(key, jsonl_rows or [])
            ), fmt
    assert jsonl_rows is not None and list(read_landed(xcom(dag_run, "jsonl")["path"]).rows()) == jsonl_rows


HIVE_DAG = """
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import (
    LaunchDarklyMauTotalUsageOperator, LaunchDarklyObservabilityErrorsUsageOperator,
)
DAYS = [{{"start": "2026-05-0%dT00:00:00Z" % d, "end": "2026-05-0%dT00:00:00Z" % (d + 1)}} for d in (1, 2)]
with DAG(DAG_ID, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    for task_id, op, extra in (
        ("mau", LaunchDarklyMauTotalUsageOperator, {{"group_by": "sdkType"}}),
        ("mau_total", LaunchDarklyMauTotalUsageOperator, {{}}),
        ("errors", LaunchDarklyObservabilityErrorsUsageOperator, {{}}),
    ):
        op.partial(
            task_id=task_id, output_path={out!r}, output_format="parquet", partition_by="day", **extra
        ).expand_kwargs(DAYS)
"""


def test_hive_tree_reads_as_one_table_and_a_rerun_replaces(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    first = run_dag(HIVE_DAG.format(out=str(tmp_path)))
    assert first.state == "success"
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert len(files) == 6
    assert {p.relative_to(tmp_path).parts[:2] for p in files} == {
        (f"operation={op}", f"day=2026-05-0{d}")
        for op in ("getMAUTotalUsage", "getObservabilityErrorsUsage")
        for d in (1, 2)
    }
    summaries = [s for t in ("mau", "mau_total", "errors") for s in mapped_xcoms(first, t)]
    assert {s["dataset"] for s in summaries} == {
        f"file://{tmp_path}/operation=getMAUTotalUsage",
        f"file://{tmp_path}/operation=getObservabilityErrorsUsage",
    }  # the Asset: one table per operation
    table = ds.dataset(tmp_path, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == sum(s["rows"] for s in summaries) > 0
    assert {"operation", "day", *SERIES_NAMES} == set(table.column_names)
    per_day = table.group_by(["operation", "day"]).aggregate([("value", "count")]).to_pylist()
    assert len(per_day) == 4
    sizes = {p: p.stat().st_size for p in files}
    second = run_dag(HIVE_DAG.format(out=str(tmp_path)))
    assert second.state == "success"
    assert {p: p.stat().st_size for p in sorted(q for q in tmp_path.rglob("*") if q.is_file())} == sizes


@pytest.mark.parametrize(
    ("partition_by", "start", "end", "allowed"),
    [
        ("day", datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC), "'month' or None"),
        ("month", datetime(2026, 5, 20, tzinfo=UTC), datetime(2026, 6, 10, tzinfo=UTC), "None"),
        ("week", None, None, "None, 'month' or 'day'"),
    ],
)
def test_a_window_that_does_not_fit_its_partition_is_refused(
    partition_by: str, start: Any, end: Any, allowed: str
) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="partition_by") as raised:
        check_partition(partition_by, start, end)
    assert partition_by in str(raised.value) and allowed in str(raised.value)


def test_misplaced_partitioning_fails_before_any_request(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="partition_by"):
        LaunchDarklyMauTotalUsageOperator(task_id="t", partition_by="day")  # no output_path
    source = f"""
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator as Op
with DAG(DAG_ID, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    Op(task_id="t", window="previous_month", output_path={str(tmp_path)!r}, partition_by="day")
"""
    dag_run = run_dag(source, logical_date=datetime(2026, 6, 2, tzinfo=UTC))
    assert state_of(dag_run, "t") == "failed"
    assert launchdarkly_emulator.requests == [] and not any(tmp_path.rglob("*.jsonl"))


def test_version_0_objects_read_back_as_version_1(tmp_path: Path) -> None:
    folder = tmp_path / "getMAUTotalUsage" / "0123abcdef"
    folder.mkdir(parents=True)
    request = {
        "filters": {"group_by": "sdkType"},
        "group_by": "sdkType",
        "aggregation": "month_to_date",
        "granularity": "daily",
        "time_unit": "ms",
    }
    old = [
        {
            "endpoint": "getMAUTotalUsage",
            "window_start": "2026-05-01T00:00:00Z",
            "window_end": "2026-05-02T00:00:00Z",
            "request": request,
            "time": "2026-05-01T00:00:00Z",
            "series": i,
            "sdkType": kind,
            "value": v,
        }
        for i, (kind, v) in enumerate((("client", 5), ("server", 7)))
    ]
    (folder / "20260501T000000Z_20260502T000000Z.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in old)
    )
    with (folder / "20260502T000000Z_20260503T000000Z.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(old[0]))
        writer.writeheader()
        writer.writerows({**r, "request": json.dumps(r["request"])} for r in old)
    for name in ("20260501T000000Z_20260502T000000Z.jsonl", "20260502T000000Z_20260503T000000Z.csv"):
        got = list(read_landed(folder / name).rows())
        assert [list(r) for r in got] == [list(SERIES_NAMES)] * 2
        assert [
            (r["schema_version"], r["filter_set"], r["dimensions"], r["series_key"], r["value"]) for r in got
        ] == [
            (1, "0123abcdef", {"sdkType": "client"}, series_key({"sdkType": "client"}), 5),
            (1, "0123abcdef", {"sdkType": "server"}, series_key({"sdkType": "server"}), 7),
        ]
        assert {(r["unit"], r["aggregation"], r["granularity"]) for r in got} == {
            ("contexts", "month_to_date", "daily")
        }
    future = folder / "20260503T000000Z_20260504T000000Z.jsonl"
    future.write_text(json.dumps({**old[0], "schema_version": 9}) + "\n")
    with pytest.raises(ValueError, match="schema_version 9"):
        list(read_landed(future).rows())


def test_parquet_without_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a)
    )
    with pytest.raises(LaunchDarklyUsageValidationError, match=r"airflow-provider-ldusage\[parquet\]"):
        LaunchDarklyMauTotalUsageOperator(task_id="t", output_path="/tmp/x", output_format="parquet")
