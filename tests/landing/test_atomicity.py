"""Atomic landing in every format: a row source that fails half way through the write leaves no final
object and no temporary, and an object landed earlier under the same name stays byte for byte.

The source fails on its second pass (the first is ``UsageRows.add`` counting rows, the second the write),
after more rows than any writer buffers (a Parquet row group, a gzip by-series block), so the temporary
sibling already holds bytes when the failure comes: the test records that, proving the failure is
mid-write and not before the first byte.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, overload

import pytest

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.landing.rows import UsageRows
from airflow_provider_ldusage.landing.storage import OUTPUT_FORMATS, land

UTC = timezone.utc
START = datetime(2026, 4, 1, tzinfo=UTC)
SERIES = 200
HOURS = 600  # 120,000 rows: more than a Parquet batch or a gzip block (65,536) before the failure
FAIL_AT = 500  # the slice whose read fails on the write pass (100,000 rows in)
END = START + timedelta(hours=HOURS)


class SourceFailed(RuntimeError):
    """What the failing source raises (a truncated body, a lost connection…)."""


class FailingSlices(Sequence[dict[str, Any]]):
    """Hourly slices of ``SERIES`` series; every pass after the first fails at slice ``FAIL_AT``.

    :param folder: where the object is being written; the temporary's size is recorded at the failure.
    """

    def __init__(self, folder: Path | None) -> None:
        base = int(START.timestamp() * 1000)
        self.slices = [
            {"time": base + h * 3_600_000, **{str(i): i * 10 + h % 7 for i in range(SERIES)}}
            for h in range(HOURS)
        ]
        self.folder = folder
        self.passes = 0
        self.temporary_bytes: int | None = None

    def __len__(self) -> int:
        return len(self.slices)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self.slices[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.passes += 1
        for position, item in enumerate(self.slices):
            if self.passes > 1 and position == FAIL_AT:
                if self.folder is not None:
                    temporaries = [p for p in self.folder.rglob(".*.tmp") if p.is_file()]
                    self.temporary_bytes = sum(p.stat().st_size for p in temporaries)
                raise SourceFailed(f"slice {position} could not be read")
            yield item


def _rows(folder: Path | None) -> tuple[UsageRows, FailingSlices]:
    source = FailingSlices(folder)
    rows = UsageRows(
        BY_OPERATION["getMAUTotalUsage"],
        START,
        END,
        {"filters": {"group_by": "sdkName"}, "group_by": "sdkName", "granularity": "hourly"},
        filter_set="0123456789",
    )
    rows.add(
        {"_links": {}, "metadata": [{"sdkName": f"sdk-{i}"} for i in range(SERIES)], "series": source},
        fetched_at=END + timedelta(hours=6),
    )
    assert len(rows) == SERIES * HOURS and source.passes == 1
    return rows, source


def _land(rows: UsageRows, root: Path, fmt: str) -> Any:
    return land(
        rows,
        str(root),
        "getMAUTotalUsage",
        {"group_by": "sdkName"},
        fmt,  # type: ignore[arg-type]
        window_start=START,
        window_end=END,
    )


def _files(root: Path) -> list[Path]:
    """Every file but the records (``_records``)."""
    return sorted(
        p.relative_to(root) for p in root.rglob("*") if p.is_file() and not p.name.endswith(".integrity.json")
    )


def _records(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(root.rglob("*.integrity.json"))]


def _described(root: Path, final: Path) -> dict[str, Any]:
    """The one record in ``root``, after checking that it describes ``final``'s bytes exactly."""
    (record,) = _records(root)
    data = (root / final).read_bytes()
    assert (record["bytes"], record["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert record["object"] == final.name
    return record


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_a_failure_mid_write_leaves_no_object_and_no_temporary(tmp_path: Path, fmt: str) -> None:
    rows, source = _rows(tmp_path)
    with pytest.raises(SourceFailed):
        _land(rows, tmp_path, fmt)
    assert source.temporary_bytes, f"{fmt}: the failure came before any byte was written"
    assert _files(tmp_path) == [] and _records(tmp_path) == []  # no object, no temporary, no record


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_a_failed_rerun_keeps_the_landed_object(tmp_path: Path, fmt: str) -> None:
    good = UsageRows(BY_OPERATION["getMAUTotalUsage"], START, END, filter_set="0123456789")
    good.add(
        {
            "_links": {},
            "metadata": [{"sdkName": "go"}],
            "series": [{"time": int(START.timestamp() * 1000), "0": 5}],
        }
    )
    landed = _land(good, tmp_path, fmt)
    (final,) = _files(tmp_path)
    assert landed.uri.endswith(str(final)) and final.name.endswith(f".{fmt}")
    before = (tmp_path / final).read_bytes()
    assert _described(tmp_path, final)["rows"] == 1

    rows, source = _rows(tmp_path)
    with pytest.raises(SourceFailed):
        _land(rows, tmp_path, fmt)
    assert source.temporary_bytes, f"{fmt}: the failure came before any byte was written"
    assert _files(tmp_path) == [final]  # the temporary is gone
    assert (tmp_path / final).read_bytes() == before  # the earlier object, untouched
    assert _described(tmp_path, final)["rows"] == 1  # and its record

    # and the next complete write replaces it, leaving one object
    again = UsageRows(BY_OPERATION["getMAUTotalUsage"], START, END, filter_set="0123456789")
    base = int(START.timestamp() * 1000)
    again.add(
        {
            "_links": {},
            "metadata": [{"sdkName": "go"}],
            "series": [{"time": base, "0": 6}, {"time": base + 3_600_000, "0": 7}],
        }
    )
    _land(again, tmp_path, fmt)
    assert _files(tmp_path) == [final] and (tmp_path / final).read_bytes() != before
    assert _described(tmp_path, final)["rows"] == 2  # the earlier content's record is gone
