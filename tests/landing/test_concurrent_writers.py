"""Two writers of one object (overlapping runs) and two formats of one name side by side: each object
stays beside a record of its own bytes, a write in progress keeps its temporary, and a lost temporary is
a typed error."""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError
from airflow_provider_ldusage.landing.reading import read_landed
from airflow_provider_ldusage.landing.rows import UsageRows
from airflow_provider_ldusage.landing.storage import storage_path, write_rows

UTC = timezone.utc
START = datetime(2026, 5, 1, tzinfo=UTC)
END = START + timedelta(days=3)
STEM = "20260501T000000Z_20260504T000000Z"


def _rows(days: int) -> UsageRows:
    """Rows of ``days`` daily buckets: writes of different ``days`` differ in bytes and row count."""
    rows = UsageRows(BY_OPERATION["getMAUTotalUsage"], START, END, {"granularity": "daily"})
    base = int(START.timestamp() * 1000)
    series = [{"time": base + d * 86_400_000, "0": 10 + d} for d in range(days)]
    rows.add({"_links": {}, "metadata": [{"sdkName": "go"}], "series": series})
    return rows


def _target(root: Path, fmt: str) -> Any:
    return storage_path(root) / "getMAUTotalUsage" / "0123abcdef" / f"{STEM}.{fmt}"


def _records(final: Path) -> list[Path]:
    """The object's records: exactly ``.<name>.<16 hex>.integrity.json`` (a glob would also match the
    records of ``<name>.gz``)."""
    pattern = re.compile(rf"\.{re.escape(final.name)}\.[0-9a-f]{{16}}\.integrity\.json")
    return sorted(p for p in final.parent.iterdir() if pattern.fullmatch(p.name))


def _own_record(final: Path) -> Path:
    return (
        final.parent / f".{final.name}.{hashlib.sha256(final.read_bytes()).hexdigest()[:16]}.integrity.json"
    )


@pytest.fixture
def around_data_move(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Run a callback just before (or after) the next move of an object's temporary into place: another
    task's write interleaved with this one's. Records' own temporaries (``..<record>.tmp``) move as usual."""
    cls = type(storage_path("/tmp"))
    original = cls.move
    hooks: list[tuple[str, Callable[[Any], None]]] = []

    def move(self: Any, *args: Any, **kwargs: Any) -> Any:
        data = self.name.endswith(".tmp") and not self.name.startswith("..")
        hook = hooks.pop(0) if data and hooks else None
        if hook and hook[0] == "before":
            hook[1](self)
        result = original(self, *args, **kwargs)
        if hook and hook[0] == "after":
            hook[1](self)
        return result

    monkeypatch.setattr(cls, "move", move)

    def register(when: str, callback: Callable[[Any], None]) -> None:
        hooks.append((when, callback))

    yield register


def test_a_young_temporary_survives_a_write_and_an_old_one_is_removed(tmp_path: Path) -> None:
    target = _target(tmp_path, "jsonl")
    folder = tmp_path / "getMAUTotalUsage" / "0123abcdef"
    folder.mkdir(parents=True)
    in_flight = folder / f".{STEM}.jsonl.{uuid.uuid4().hex}.tmp"  # another task's write in progress
    crashed = folder / f".{STEM}.jsonl.{uuid.uuid4().hex}.tmp"  # a write killed two hours ago
    other_format = folder / f".{STEM}.jsonl.gz.{uuid.uuid4().hex}.tmp"  # the jsonl.gz object's
    for path in (in_flight, crashed, other_format):
        path.write_bytes(b"partial")
    hours_ago = time.time() - 2 * 3600
    os.utime(crashed, (hours_ago, hours_ago))
    os.utime(other_format, (hours_ago, hours_ago))

    write_rows(_rows(2), target, "jsonl")

    assert in_flight.exists() and in_flight.read_bytes() == b"partial"
    assert not crashed.exists()
    assert other_format.exists()  # X.jsonl's write never touches X.jsonl.gz's temporaries


def test_a_write_landing_between_record_and_move_leaves_the_final_object_its_record(
    tmp_path: Path, around_data_move: Callable[..., None]
) -> None:
    target = _target(tmp_path, "jsonl")
    final = Path(target.path)
    write_rows(_rows(1), target, "jsonl")  # an earlier landing
    # A writes its record; B lands completely; then A's object moves into place over B's.
    around_data_move("before", lambda _: write_rows(_rows(3), target, "jsonl"))
    write_rows(_rows(2), target, "jsonl")

    assert _own_record(final).exists()
    landed = read_landed(final)
    assert landed.integrity is not None and landed.integrity["rows"] == 2  # A's object, A's record
    assert len(list(landed.rows())) == 2


def test_a_write_landing_after_the_move_keeps_its_record(
    tmp_path: Path, around_data_move: Callable[..., None]
) -> None:
    target = _target(tmp_path, "jsonl")
    final = Path(target.path)
    write_rows(_rows(1), target, "jsonl")
    # A moves its object into place; B lands completely; then A removes the records of earlier contents.
    around_data_move("after", lambda _: write_rows(_rows(3), target, "jsonl"))
    write_rows(_rows(2), target, "jsonl")

    assert _own_record(final).exists()
    landed = read_landed(final)
    assert landed.integrity is not None and landed.integrity["rows"] == 3  # B's object, B's record
    assert len(list(landed.rows())) == 3


def test_a_temporary_removed_before_the_move_is_a_typed_error_and_keeps_the_object(
    tmp_path: Path, around_data_move: Callable[..., None]
) -> None:
    target = _target(tmp_path, "jsonl")
    final = Path(target.path)
    write_rows(_rows(1), target, "jsonl")
    before, records = final.read_bytes(), _records(final)
    around_data_move("before", lambda temporary: os.unlink(temporary.path))

    with pytest.raises(LaunchDarklyUsageError, match=r"temporary .* was removed before it was moved"):
        write_rows(_rows(2), target, "jsonl")

    assert final.read_bytes() == before and _records(final) == records
    assert len(list(read_landed(final).rows())) == 1


@pytest.mark.parametrize("plain", ["jsonl", "csv"])
def test_relanding_a_format_keeps_the_compressed_same_name_objects_record(tmp_path: Path, plain: str) -> None:
    compressed = _target(tmp_path, f"{plain}.gz")
    write_rows(_rows(2), compressed, f"{plain}.gz")
    write_rows(_rows(1), _target(tmp_path, plain), plain)
    write_rows(_rows(3), _target(tmp_path, plain), plain)  # re-landing the plain one

    for fmt, rows in ((f"{plain}.gz", 2), (plain, 3)):
        final = Path(_target(tmp_path, fmt).path)
        assert len(_records(final)) == 1, fmt
        landed = read_landed(final)
        assert landed.integrity is not None and landed.integrity["rows"] == rows, fmt
        assert len(list(landed.rows())) == rows
    # and re-landing the compressed one leaves the plain one's record
    write_rows(_rows(1), compressed, f"{plain}.gz")
    assert read_landed(Path(_target(tmp_path, plain).path)).integrity is not None
