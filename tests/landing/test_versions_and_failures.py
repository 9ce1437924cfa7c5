"""Version-0 objects (0.2.0's per-dimension layout) read back as version-1 rows; unknown versions are
refused; parquet without pyarrow is refused at construction naming the extra; a failure mid-write leaves
nothing behind."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.reading import read_landed
from airflow_provider_ldusage.landing.rows import UsageRows
from airflow_provider_ldusage.landing.schema import SCHEMA_VERSION, SERIES_NAMES, series_key
from airflow_provider_ldusage.landing.storage import OUTPUT_FORMATS, storage_path, write_rows
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator

UTC = timezone.utc
V0_COLUMNS = [
    "endpoint",
    "window_start",
    "window_end",
    "request",
    "time",
    "series",
    "sdkType",
    "sdkName",
    "value",
]
REQUEST = {
    "filters": {"group_by": ["sdkName", "sdkType"]},
    "aggregation": "month_to_date",
    "granularity": "daily",
}


def _v0_rows() -> list[dict[str, Any]]:
    rows = []
    for day, (when, values) in enumerate(
        (("2026-05-01T00:00:00Z", (5, 7)), ("2026-05-02T00:00:00Z", (6, 9)))
    ):
        for i, (kind, name) in enumerate((("client", "JavaScript"), ("server", None))):
            rows.append(
                {
                    "endpoint": "getMAUTotalUsage",
                    "window_start": "2026-05-01T00:00:00Z",
                    "window_end": "2026-05-03T00:00:00Z",
                    "request": REQUEST,
                    "time": when,
                    "series": i,
                    "sdkType": kind,
                    "sdkName": name,  # a dimension a series lacks: null in 0.2.0's rows
                    "value": values[i] + day,
                }
            )
    return rows


def _write_v0(tmp_path: Path, fmt: str) -> Path:
    folder = tmp_path / "getMAUTotalUsage" / "0123abcdef"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"20260501T000000Z_20260503T000000Z.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in _v0_rows()))
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, V0_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in _v0_rows():
            writer.writerow({**row, "request": json.dumps(row["request"]), "sdkName": row["sdkName"] or ""})
        path.write_text(buffer.getvalue())
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_version_0_objects_read_back_as_current_rows(tmp_path: Path, fmt: str) -> None:
    landed = read_landed(_write_v0(tmp_path, fmt))
    assert (landed.endpoint, landed.filter_set, landed.format) == ("getMAUTotalUsage", "0123abcdef", fmt)
    rows = list(landed.rows())
    assert len(rows) == 4
    for row, old in zip(rows, _v0_rows(), strict=True):
        assert list(row) == list(SERIES_NAMES)  # the version-1 layout, in order
        dimensions = {"sdkType": old["sdkType"], **({"sdkName": old["sdkName"]} if old["sdkName"] else {})}
        assert row["schema_version"] == SCHEMA_VERSION and row["endpoint"] == "getMAUTotalUsage"
        assert row["filter_set"] == "0123abcdef"  # the folder name
        assert row["dimensions"] == dimensions and row["series_key"] == series_key(dimensions)
        assert row["value"] == old["value"] and type(row["value"]) is int
        assert (row["time"], row["window_start"], row["window_end"]) == (
            old["time"],
            "2026-05-01T00:00:00Z",
            "2026-05-03T00:00:00Z",
        )
        assert row["request"] == REQUEST and row["unit"] == "contexts"
        assert (row["aggregation"], row["granularity"]) == ("month_to_date", "daily")
        assert row["fetched_at"] is None and row["data_through"] is None and row["delayed"] is None
    # the same series has the same key in both days, and a different one from the other series
    assert len({r["series_key"] for r in rows}) == 2


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_unknown_schema_version_is_refused_clearly(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "getMAUTotalUsage" / "0123abcdef"
    folder.mkdir(parents=True)
    path = folder / f"20260501T000000Z_20260502T000000Z.{fmt}"
    row = {"schema_version": 7, "endpoint": "getMAUTotalUsage", "time": "2026-05-01T00:00:00Z", "value": 1}
    if fmt == "jsonl":
        path.write_text(json.dumps(row) + "\n")
    else:
        path.write_text(",".join(row) + "\n" + ",".join(str(v) for v in row.values()) + "\n")
    with pytest.raises(ValueError, match="schema_version") as raised:
        list(read_landed(path).rows())
    assert "7" in str(raised.value) and "upgrade" in str(raised.value)


def test_parquet_without_pyarrow_fails_at_construction_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "pyarrow" or name.startswith("pyarrow.") else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(LaunchDarklyUsageValidationError, match="output_format") as raised:
        LaunchDarklyMauTotalUsageOperator(task_id="t", output_path=str(tmp_path), output_format="parquet")
    assert "airflow-provider-ldusage[parquet]" in str(raised.value)
    for fmt in ("jsonl", "csv", "jsonl.gz", "csv.gz"):  # the other formats need nothing
        LaunchDarklyMauTotalUsageOperator(
            task_id=f"t_{fmt[:3]}", output_path=str(tmp_path), output_format=fmt
        )


# --- atomicity ---------------------------------------------------------------------------------------------

START = datetime(2026, 5, 1, tzinfo=UTC)
SLICES = 6000  # 12,000 rows: several write batches of every format before the failure


def _response() -> dict[str, Any]:
    base = int(START.timestamp() * 1000)
    return {
        "metadata": [{"sdkType": "client"}, {"sdkType": "server"}],
        "series": [{"time": base + i * 60_000, "0": i, "1": 2 * i} for i in range(SLICES)],
    }


class FailingRows(UsageRows):
    """Rows that raise halfway through being written, whichever writer reads them."""

    def iter_records(self) -> Iterator[list[Any]]:
        for n, record in enumerate(super().iter_records()):
            if n == SLICES:
                raise RuntimeError("disk gone halfway")
            yield record

    def write_jsonl(self, write: Callable[[bytes], Any], *args: Any, **kwargs: Any) -> int:
        def failing(data: bytes) -> Any:
            write(data[: len(data) // 2])  # half of the first batch reaches the file, then the failure
            raise RuntimeError("disk gone halfway")

        return super().write_jsonl(failing, *args, **kwargs)


def _rows(cls: type[UsageRows]) -> UsageRows:
    rows = cls(BY_OPERATION["getMAUTotalUsage"], START, START + timedelta(days=5), {"granularity": "daily"})
    rows.add(_response(), window_start=START, window_end=START + timedelta(days=5))
    return rows


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_a_failure_mid_write_leaves_no_object_and_no_temporary(tmp_path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    target = (
        storage_path(tmp_path)
        / "getMAUTotalUsage"
        / "0123abcdef"
        / f"20260501T000000Z_20260506T000000Z.{fmt}"
    )
    with pytest.raises(RuntimeError, match="halfway"):
        write_rows(_rows(FailingRows), target, fmt)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no object, no temporary, no record

    # an object an earlier write landed stays intact when a later write of it fails
    size = write_rows(_rows(UsageRows), target, fmt)
    final = Path(target.path)
    before = final.read_bytes()
    assert len(before) == size > 0
    with pytest.raises(RuntimeError, match="halfway"):
        write_rows(_rows(FailingRows), target, fmt)
    assert final.read_bytes() == before
    (record,) = final.parent.glob(f".{final.name}.*.integrity.json")  # the earlier object's, kept
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == sorted([final, record])
    assert len(list(read_landed(final).rows())) == 2 * SLICES
