"""``reading.read_landed``: names of both layouts parsed (and wrong ones refused), every format read back
streaming and equal to the rows written, version-0 list and freshness objects upgraded, unknown versions in
Parquet refused, Parquet without pyarrow named, and objects on ``s3://`` read through ObjectStoragePath."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError
from airflow_provider_ldusage.landing.reading import read_landed
from airflow_provider_ldusage.landing.rows import UsageRows
from airflow_provider_ldusage.landing.schema import LIST_NAMES, SCHEMA_VERSION, SERIES_NAMES, columns_of
from airflow_provider_ldusage.landing.storage import OUTPUT_FORMATS, land, object_name, storage_path

UTC = timezone.utc
START, END = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC)
AS_OF = datetime(2026, 5, 3, 6, tzinfo=UTC)


# --- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
@pytest.mark.parametrize("partition_by", [None, "month", "day"])
def test_names_of_both_layouts_say_what_the_object_holds(
    tmp_path: Path, fmt: str, partition_by: str | None
) -> None:
    arguments = {"group_by": "sdkType"}
    name = object_name("getMAUTotalUsage", START, END, arguments, fmt, partition_by=partition_by)  # type: ignore[arg-type]
    listed = object_name("getSdkAllVersions", None, None, {}, fmt, AS_OF, partition_by=partition_by)  # type: ignore[arg-type]
    series, versions = read_landed(tmp_path / name), read_landed(f"file://{tmp_path}/{listed}")
    assert (series.endpoint, series.layout, series.format) == ("getMAUTotalUsage", "series", fmt)
    assert (series.window_start, series.window_end, series.as_of) == (
        "2026-05-01T00:00:00Z",
        "2026-05-02T00:00:00Z",
        None,
    )
    assert (versions.endpoint, versions.layout, versions.format) == ("getSdkAllVersions", "list", fmt)
    assert (versions.window_start, versions.window_end, versions.as_of) == (
        None,
        None,
        "2026-05-03T06:00:00Z",
    )
    # the filter set is the hash either way: the folder (plain) or the name's head (Hive)
    from airflow_provider_ldusage.landing.storage import arguments_hash

    assert series.filter_set == arguments_hash(arguments) and versions.filter_set == arguments_hash({})
    assert series.uri == f"file://{tmp_path}/{name}"
    if partition_by is not None:
        assert name.startswith(f"operation=getMAUTotalUsage/{partition_by}=2026-05")


@pytest.mark.parametrize(
    "relative",
    [
        "getMAUTotalUsage/0123456789/20260501T000000Z_20260502T000000Z.parquet.tmp",  # a temporary
        "getMAUTotalUsage/0123456789/20260501T000000Z_20260502T000000Z.json",  # no such format
        "getNothing/0123456789/20260501T000000Z_20260502T000000Z.jsonl",  # no such operation
        "getMAUTotalUsage/0123456789/2026-05-01_2026-05-02.jsonl",  # not the stamps
        # Hive name outside a partition folder, and a partition folder without operation=
        "operation=getMAUTotalUsage/0123456789_20260501T000000Z_20260502T000000Z.jsonl",
        "getMAUTotalUsage/day=2026-05-01/0123456789_20260501T000000Z_20260502T000000Z.jsonl",
    ],
)
def test_a_name_the_operators_never_give_is_refused_with_the_forms(tmp_path: Path, relative: str) -> None:
    with pytest.raises(ValueError, match="is not a landed usage object") as raised:
        read_landed(tmp_path / relative)
    assert "operation=<operationId>" in str(raised.value) and "jsonl.gz" in str(raised.value)


# --- every format, streamed --------------------------------------------------------------------------------


def _big_rows(days: int = 60) -> UsageRows:
    """``days`` days from March 1 of 1,000 series (60 days: 60,000 rows, ~35 MB of JSON Lines), on a float
    endpoint to keep floats."""
    ep = BY_OPERATION["getServiceConnectionsUsage"]
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=days)
    request = {"filters": {"group_by": ["sdkName", "environmentId"]}, "granularity": "daily"}
    rows = UsageRows(ep, start, end, request, filter_set="abcdef0123")
    base = int(start.timestamp() * 1000)
    rows.add(
        {
            "_links": {},
            "metadata": [{"sdkName": f"sdk{i % 10}", "environmentId": f"{i:024x}"} for i in range(1000)],
            "series": [
                {"time": base + d * 86_400_000, **{str(i): (i * 7 + d) / 4 for i in range(1000)}}
                for d in range(days)
            ],
        },
        fetched_at=end + timedelta(hours=3),
    )
    return rows


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("big")
    rows = _big_rows()
    for fmt in OUTPUT_FORMATS:
        land(
            rows,
            str(root),
            "getServiceConnectionsUsage",
            {"group_by": ["sdkName", "environmentId"]},
            fmt,  # type: ignore[arg-type]
            window_start=datetime(2026, 3, 1, tzinfo=UTC),
            window_end=datetime(2026, 4, 30, tzinfo=UTC),
        )
    return root, list(rows.iter_dicts())


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_every_format_reads_back_the_rows_written_streaming(
    big: tuple[Path, list[dict[str, Any]]], fmt: str
) -> None:
    root, written = big
    (path,) = root.rglob(f"*.{fmt}")
    landed = read_landed(path)
    # streaming: a pass that keeps nothing holds a chunk or a batch at a time, never the object
    tracemalloc.start()
    try:
        count = sum(1 for _ in landed.rows())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    text = sum(len(json.dumps(r)) for r in written)
    assert count == len(written) and peak < 20e6, (
        f"{fmt}: {peak / 1e6:.1f} MB for {text / 1e6:.0f} MB of rows"
    )
    got = [json.dumps(row) for row in landed.rows()]
    # every row, in the schema's key order, typed as written (value floats stay floats)
    expected = [json.dumps(r) for r in written]
    if fmt.endswith(".gz"):  # the gzip formats order rows by series within blocks
        assert sorted(got) == sorted(expected)
    else:
        assert got == expected
    first = json.loads(got[0])
    assert list(first) == list(SERIES_NAMES) and isinstance(first["value"], float)


def test_the_reader_takes_paths_uris_and_storage_paths(big: tuple[Path, list[dict[str, Any]]]) -> None:
    root, written = big
    (path,) = root.rglob("*.csv")
    for location in (path, str(path), path.as_uri(), storage_path(path)):
        landed = read_landed(location)
        assert landed.uri == path.as_uri() and landed.format == "csv"
    assert next(read_landed(path).rows()) == written[0]


# --- version 0 -----------------------------------------------------------------------------------------


def test_version_0_list_objects_are_upgraded(tmp_path: Path) -> None:
    # 0.2.0 wrote the SDK version details without a window, named asof_<instant>, the item's fields as
    # columns; the version-1 row has them as one ``item`` object, with the as-of instant and position.
    folder = tmp_path / "getSdkAllVersions" / "44136fa355"
    folder.mkdir(parents=True)
    items = [
        {"name": "go-server-sdk", "version": "7.0.0", "eolStatus": "supported"},
        {"name": "node-server-sdk", "version": "9.2.1", "eolStatus": "deprecated"},
    ]
    head = {"endpoint": "getSdkAllVersions", "window_start": None, "window_end": None, "request": None}
    (folder / "asof_20260503T060000Z.jsonl").write_text(
        "".join(json.dumps({**head, **item}) + "\n" for item in items)
    )
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([*head, "name", "version", "eolStatus"])
    writer.writerows(["getSdkAllVersions", "", "", "", *item.values()] for item in items)
    (folder / "asof_20260504T060000Z.csv").write_text(text.getvalue())
    for name, as_of in (
        ("asof_20260503T060000Z.jsonl", "2026-05-03T06:00:00Z"),
        ("asof_20260504T060000Z.csv", "2026-05-04T06:00:00Z"),
    ):
        rows = list(read_landed(folder / name).rows())
        assert rows == [
            {
                "schema_version": SCHEMA_VERSION,
                "endpoint": "getSdkAllVersions",
                "filter_set": "44136fa355",
                "request": None,
                "window_start": None,
                "window_end": None,
                "as_of": as_of,
                "position": position,
                "item": item,
                "fetched_at": None,
                "provisional": None,
                "final_after": None,
            }
            for position, item in enumerate(items)
        ]
        assert all(list(r) == list(LIST_NAMES) for r in rows)


def test_version_0_freshness_columns_are_upgraded(tmp_path: Path) -> None:
    # data-export rows of 0.2.0 ended with data_through and delayed; a metadata field named like a fixed
    # column was written as metadata_<name>
    folder = tmp_path / "getDataExportEventsUsage" / "9f8e7d6c5b"
    folder.mkdir(parents=True)
    request = {"filters": {}, "group_by": "eventKind", "aggregation": "incremental", "granularity": "daily"}
    old = [
        {
            "endpoint": "getDataExportEventsUsage",
            "window_start": "2026-05-01T00:00:00Z",
            "window_end": "2026-05-02T00:00:00Z",
            "request": request,
            "time": "2026-05-01T00:00:00Z",
            "series": i,
            "eventKind": kind,
            "metadata_series": "x",
            "value": value,
            "data_through": "2026-05-01T20:00:00Z",
            "delayed": delayed,
        }
        for i, (kind, value, delayed) in enumerate((("custom", 40, True), ("feature", 2, False)))
    ]
    (folder / "20260501T000000Z_20260502T000000Z.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in old)
    )
    text = io.StringIO()
    writer = csv.DictWriter(text, list(old[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(
        {**r, "request": json.dumps(request), "delayed": "true" if r["delayed"] else "false"} for r in old
    )
    (folder / "20260502T000000Z_20260503T000000Z.csv").write_text(text.getvalue())
    for name in ("20260501T000000Z_20260502T000000Z.jsonl", "20260502T000000Z_20260503T000000Z.csv"):
        rows = list(read_landed(folder / name).rows())
        assert [(r["dimensions"], r["value"], r["delayed"], r["data_through"]) for r in rows] == [
            ({"eventKind": "custom", "series": "x"}, 40, True, "2026-05-01T20:00:00Z"),
            ({"eventKind": "feature", "series": "x"}, 2, False, "2026-05-01T20:00:00Z"),
        ]
        assert {(r["unit"], r["aggregation"], r["granularity"]) for r in rows} == {
            ("events", "incremental", "daily")
        }


# --- unknown versions and pyarrow --------------------------------------------------------------------------


def _parquet(tmp_path: Path, *, stated: str, row_version: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from airflow_provider_ldusage.landing.parquet import arrow_schema

    schema = arrow_schema("series")
    if stated == "1":  # version 1 lacked the last two columns
        schema = pa.schema(list(schema)[: len(columns_of("series", 1))], metadata=schema.metadata)
    schema = schema.with_metadata({**schema.metadata, b"ldusage.schema_version": stated.encode()})
    row = {name: None for name in schema.names}
    row.update(
        schema_version=row_version,
        endpoint="getMAUTotalUsage",
        filter_set="0123456789",
        time=START,
        series_key="k",
        dimensions="{}",
        value=1.0,
    )
    path = tmp_path / "getMAUTotalUsage" / "0123456789" / "20260501T000000Z_20260502T000000Z.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([row], schema=schema), path)
    return path


def test_parquet_of_an_unknown_version_is_refused(tmp_path: Path) -> None:
    (old,) = read_landed(_parquet(tmp_path, stated="1", row_version=1)).rows()  # version 1: upgraded
    assert (old["value"], old["schema_version"], old["provisional"], old["final_after"]) == (1, 2, None, None)
    assert [r["value"] for r in read_landed(_parquet(tmp_path, stated="2", row_version=2)).rows()] == [1]
    for stated, row_version in (("3", 3), ("2", 3)):  # the file's metadata, or the row itself, says so
        with pytest.raises(ValueError, match=r"schema_version '?3'?") as raised:
            list(read_landed(_parquet(tmp_path, stated=stated, row_version=row_version)).rows())
        assert "upgrade" in str(raised.value) and "getMAUTotalUsage" in str(raised.value)


def test_reading_parquet_without_pyarrow_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    path = _parquet(tmp_path, stated="1", row_version=1)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a, **k: None if name == "pyarrow" else real(name, *a, **k)
    )
    with pytest.raises(LaunchDarklyUsageError, match=r"pip install 'airflow-provider-ldusage\[parquet\]'"):
        list(read_landed(path).rows())


def test_no_module_imports_pyarrow_until_parquet_is_used() -> None:
    code = (
        "import sys\n"
        "import airflow_provider_ldusage.operators.usage, airflow_provider_ldusage.landing.storage\n"
        "import airflow_provider_ldusage.landing.reading, airflow_provider_ldusage.landing.parquet\n"
        "from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator as Op\n"
        "Op(task_id='t', output_path='/tmp/x', output_format='parquet')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyarrow'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
