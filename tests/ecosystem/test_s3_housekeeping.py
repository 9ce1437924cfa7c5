"""Housekeeping on ``s3://`` (moto's S3 server on loopback): one prefix listing per write finds exactly the
object's own records and temporaries, so re-landing ``X.jsonl`` keeps ``X.jsonl.gz``'s record and a young
temporary of another task's write in progress, and a second object's write lists none of the first's."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.landing import integrity
from airflow_provider_ldusage.landing.reading import read_landed
from airflow_provider_ldusage.landing.rows import UsageRows
from airflow_provider_ldusage.landing.storage import storage_path, write_rows
from tests.ecosystem.conftest import S3

UTC = timezone.utc
START = datetime(2026, 5, 1, tzinfo=UTC)
STEM = "20260501T000000Z_20260504T000000Z"


def _rows(days: int) -> UsageRows:
    rows = UsageRows(BY_OPERATION["getMAUTotalUsage"], START, START + timedelta(days=3), {})
    base = int(START.timestamp() * 1000)
    rows.add(
        {
            "_links": {},
            "metadata": [],
            "series": [{"time": base + d * 86_400_000, "0": d} for d in range(days)],
        }
    )
    return rows


def _folder(s3: S3, name: str) -> Any:
    return storage_path(f"s3://{s3.conn_id}@{s3.bucket}/{name}") / "getMAUTotalUsage" / "0123abcdef"


def test_relanding_keeps_the_other_formats_record_and_a_young_temporary(s3: S3) -> None:
    folder = _folder(s3, "housekeeping")
    write_rows(_rows(2), folder / f"{STEM}.jsonl.gz", "jsonl.gz")
    write_rows(_rows(1), folder / f"{STEM}.jsonl", "jsonl")
    prefix = f"housekeeping/getMAUTotalUsage/0123abcdef/.{STEM}.jsonl."
    in_flight = f"{prefix}{uuid.uuid4().hex}.tmp"  # another task's write of X.jsonl, in progress
    s3.client.put_object(Bucket=s3.bucket, Key=in_flight, Body=b"partial")

    write_rows(_rows(3), folder / f"{STEM}.jsonl", "jsonl")

    listed = sorted(
        item["Key"].rsplit("/", 1)[1]
        for item in s3.client.list_objects_v2(Bucket=s3.bucket, Prefix=prefix.rsplit("/", 1)[0])["Contents"]
    )
    records = [k for k in listed if k.endswith(".integrity.json")]
    assert len([k for k in records if k.startswith(f".{STEM}.jsonl.gz.")]) == 1, listed
    assert len(records) == 2, listed  # one each: the earlier jsonl record is gone
    assert in_flight.rsplit("/", 1)[1] in listed
    for fmt, count in (("jsonl.gz", 2), ("jsonl", 3)):
        landed = read_landed(folder / f"{STEM}.{fmt}")
        assert landed.integrity is not None and landed.integrity["rows"] == count
        assert len(list(landed.rows())) == count


def test_a_records_listing_names_only_that_objects_records(s3: S3) -> None:
    folder = _folder(s3, "listing")
    for n in range(5):
        write_rows(_rows(1), folder / f"{STEM}_{n}.csv", "csv")
    target = folder / f"{STEM}_3.csv"
    (name,) = integrity.record_names(target)
    assert re.fullmatch(rf"\.{STEM}_3\.csv\.[0-9a-f]{{16}}\.integrity\.json", name)
    assert [n for n, _ in integrity.records_of(target)] == [name]
