"""Fixtures for the ecosystem tests: an S3-compatible server on loopback with an ``aws`` connection to it,
(the emulator and the DAG-file runner are the shared ones of ``tests/conftest.py``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.ecosystem.servers import moto_s3_server

S3_CONN_ID = "ldusage_s3"
BUCKET = "usage-landing"


@dataclass(frozen=True)
class S3:
    """The running S3 server: its URL, a boto3 client for checking, the bucket and the connection id."""

    url: str
    client: Any
    bucket: str = BUCKET
    conn_id: str = S3_CONN_ID

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key under ``prefix`` but the integrity records beside landed objects."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        keys = (item["Key"] for page in pages for item in page.get("Contents", []))
        return sorted(key for key in keys if not key.endswith(".integrity.json"))

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def uploads(self) -> list[str]:
        """Keys of multipart uploads started and neither completed nor aborted."""
        found = self.client.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        return sorted(u["Key"] for u in found)


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    """moto's S3 server on loopback, a bucket, and ``AIRFLOW_CONN_LDUSAGE_S3`` pointing at it.

    One server for the whole session: Airflow caches the store of a connection id, so a second server
    under the same id would be read through the first one's cached client.

    The connection is what a user creates for MinIO or any S3-compatible store: an ``aws`` connection
    with ``endpoint_url`` in its extra.
    """
    import boto3

    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with moto_s3_server(log) as url:
        keys = {"aws_access_key_id": "AKIDLDUSAGETEST", "aws_secret_access_key": "ldusage-test-secret"}
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", **keys)
        client.create_bucket(Bucket=BUCKET)
        name = f"AIRFLOW_CONN_{S3_CONN_ID.upper()}"
        before = os.environ.get(name)
        os.environ[name] = json.dumps(
            {
                "conn_type": "aws",
                "login": keys["aws_access_key_id"],
                "password": keys["aws_secret_access_key"],
                "extra": {"endpoint_url": url, "region_name": "us-east-1"},
            }
        )
        try:
            yield S3(url=url, client=client)
        finally:
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before
