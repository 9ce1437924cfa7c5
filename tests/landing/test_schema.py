"""The schema test: every series endpoint (every path-parameter value, with and without group_by) lands the
same columns, in the same order, with the same types, in every format; the list endpoints likewise share the
list layout. One DAG lands every object (one ``dag.test``), the tests read what it landed."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import ENDPOINTS
from airflow_provider_ldusage.landing.schema import (
    LIST_COLUMNS,
    LIST_NAMES,
    SCHEMA_VERSION,
    SERIES_COLUMNS,
    SERIES_NAMES,
)
from airflow_provider_ldusage.landing.storage import OUTPUT_FORMATS
from tests.landing.conftest import list_variants, series_variants, task_id

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")


def _objects(landed: dict[str, Any], variants: list[Any], fmt: str) -> list[tuple[str, Path]]:
    out = []
    for label, _, _ in variants:
        summary = landed[task_id(label, fmt)]
        path = Path(summary["path"].removeprefix("file://"))
        assert path.name.endswith("." + fmt) and path.is_file(), summary
        out.append((label, path))
    return out


def test_every_series_endpoint_and_list_endpoint_is_covered(landed: dict[str, Any]) -> None:
    series = {ep.operation_id for _, ep, _ in series_variants()}
    lists = {ep.operation_id for _, ep, _ in list_variants()}
    assert series == {ep.operation_id for ep in ENDPOINTS if ep.is_series}
    assert lists == {ep.operation_id for ep in ENDPOINTS if not ep.is_series}
    assert any(label.endswith("_grouped") for label, _, _ in series_variants())
    # Most series objects hold rows (an empty object would prove little about its types).
    with_rows = [label for label, _, _ in series_variants() if landed[task_id(label, "jsonl")]["rows"] > 0]
    assert len(with_rows) >= len(series_variants()) - 2, with_rows


def _json_type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


#: The JSON types each logical type may take in a JSON Lines row (landing/schema.py).
ALLOWED_JSON = {
    "int": {"int"},
    "number": {"int", "float"},
    "string": {"str"},
    "timestamp": {"str"},
    "bool": {"bool"},
    "json": {"dict"},
}


def _check_jsonl_rows(label: str, rows: list[dict[str, Any]], columns: Any, value_type: str | None) -> None:
    names = [c.name for c in columns]
    for row in rows:
        assert list(row) == names, label  # the same keys in the same order on every line
        for column in columns:
            value = row[column.name]
            allowed = ALLOWED_JSON[column.type] | ({"null"} if column.nullable else set())
            assert _json_type(value) in allowed, (label, column.name, value)
            if column.type == "timestamp" and value is not None:
                assert ISO.match(value), (label, column.name, value)
        if value_type is not None:  # never a bool (bool is a subclass of int); float only where documented
            assert type(row["value"]) in ({int} if value_type == "int" else {int, float}), (label, row)


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz"])
def test_json_lines_have_one_layout_for_every_series_endpoint(landed: dict[str, Any], fmt: str) -> None:
    from airflow_provider_ldusage.landing.schema import value_type

    by_label = {label: ep for label, ep, _ in series_variants()}
    for label, path in _objects(landed, series_variants(), fmt):
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if fmt.endswith(".gz") else raw).decode()
        rows = [json.loads(line) for line in text.splitlines()]
        assert len(rows) == landed[task_id(label, fmt)]["rows"]
        _check_jsonl_rows(label, rows, SERIES_COLUMNS, value_type(by_label[label]))
        assert {r["schema_version"] for r in rows} <= {SCHEMA_VERSION}
        summary = landed[task_id(label, fmt)]
        assert {(r["provisional"], r["final_after"]) for r in rows} <= {
            (summary["provisional"], summary["final_after"])
        }
        assert {r["endpoint"] for r in rows} <= {by_label[label].operation_id}
        if label.endswith("_grouped"):  # grouping changes the dimensions' content, never the columns
            assert all(r["dimensions"] for r in rows), label


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz"])
def test_json_lines_have_one_layout_for_every_list_endpoint(landed: dict[str, Any], fmt: str) -> None:
    for label, path in _objects(landed, list_variants(), fmt):
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if fmt.endswith(".gz") else raw).decode()
        rows = [json.loads(line) for line in text.splitlines()]
        assert len(rows) == landed[task_id(label, fmt)]["rows"] > 0, label
        _check_jsonl_rows(label, rows, LIST_COLUMNS, None)
        assert [r["position"] for r in rows] == list(range(len(rows)))


@pytest.mark.parametrize("fmt", ["csv", "csv.gz"])
def test_csv_header_is_the_layout_for_every_endpoint(landed: dict[str, Any], fmt: str) -> None:
    for variants, names in ((series_variants(), SERIES_NAMES), (list_variants(), LIST_NAMES)):
        for label, path in _objects(landed, variants, fmt):
            raw = path.read_bytes()
            text = (gzip.decompress(raw) if fmt.endswith(".gz") else raw).decode()
            reader = csv.reader(io.StringIO(text, newline=""))
            header = next(reader)
            assert header == list(names), label
            body = list(reader)
            assert len(body) == landed[task_id(label, fmt)]["rows"], label
            assert all(len(cells) == len(names) for cells in body), label
            if names == SERIES_NAMES:
                for cells in body:
                    row = dict(zip(names, cells, strict=True))
                    float(row["value"])  # a number, never true/false
                    assert row["delayed"] in ("", "true", "false") and ISO.match(row["time"])
                    assert isinstance(json.loads(row["dimensions"]), dict)


def test_parquet_schema_is_identical_for_every_series_endpoint(landed: dict[str, Any]) -> None:
    schemas = [
        (label, pq.read_schema(path)) for label, path in _objects(landed, series_variants(), "parquet")
    ]
    first = schemas[0][1]
    for label, schema in schemas:
        assert schema.equals(first, check_metadata=True), (label, schema, first)
    assert first.names == list(SERIES_NAMES)
    utc_ms = pa.timestamp("ms", tz="UTC")
    assert first.field("value").type == pa.float64()  # one type on every endpoint, int or float values
    assert first.field("schema_version").type == pa.int64()
    for name in ("window_start", "window_end", "time", "fetched_at", "data_through"):
        assert first.field(name).type == utc_ms, name
    assert first.field("delayed").type == pa.bool_()
    for name in ("endpoint", "filter_set", "request", "series_key", "dimensions", "unit"):
        assert first.field(name).type == pa.string(), name
    # and the row groups read back as one table across every endpoint
    tables = [pq.read_table(path) for _, path in _objects(landed, series_variants(), "parquet")]
    combined = pa.concat_tables(tables)
    assert combined.num_rows == sum(
        landed[task_id(label, "parquet")]["rows"] for label, _, _ in series_variants()
    )


def test_parquet_schema_is_identical_for_every_list_endpoint(landed: dict[str, Any]) -> None:
    schemas = [(label, pq.read_schema(path)) for label, path in _objects(landed, list_variants(), "parquet")]
    for label, schema in schemas:
        assert schema.equals(schemas[0][1], check_metadata=True), label
    first = schemas[0][1]
    assert first.names == list(LIST_NAMES)
    assert first.field("position").type == pa.int64() and first.field("as_of").type == pa.timestamp(
        "ms", tz="UTC"
    )


def test_formats_hold_the_same_rows(landed: dict[str, Any]) -> None:
    """The five objects of one variant are the same rows (read here without landing/reading.py)."""
    from tests.landing.conftest import read_object

    for label, _, _ in series_variants():
        keyed = {}
        for fmt in OUTPUT_FORMATS:
            path = Path(landed[task_id(label, fmt)]["path"].removeprefix("file://"))
            columns, rows = read_object(path)
            assert not rows or columns == list(SERIES_NAMES), (label, fmt)
            keyed[fmt] = sorted((str(r["time"])[:10], r["series_key"], float(r["value"])) for r in rows)
        assert all(v == keyed["jsonl"] for v in keyed.values()), label
