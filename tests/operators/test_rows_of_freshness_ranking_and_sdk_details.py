"""Rows of the new response kinds — freshness columns of data-export series, the project
ranking over pages, the SDK version details list — in every output form (dicts, JSON Lines, CSV)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Any

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.landing.rows import UsageRows

UTC = timezone.utc
JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)
DAY = 86_400_000
T0 = 1767225600000  # 2026-01-01


def _export(start_ms: int, through: str | None, delayed: bool | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "_links": {},
        "metadata": [{"destinationKind": "bigquery"}],
        "series": [{"time": start_ms, "0": 3}, {"time": start_ms + DAY, "0": 4}],
    }
    if through is not None:
        body["dataThrough"] = through
    if delayed is not None:
        body["delayed"] = delayed
    return body


def _outputs(rows: UsageRows) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]]]:
    chunks: list[bytes] = []
    rows.write_jsonl(chunks.append)
    jsonl = [json.loads(line) for line in b"".join(chunks).decode().splitlines()]
    chunks = []
    rows.write_csv(chunks.append)
    reader = csv.DictReader(io.StringIO(b"".join(chunks).decode()))
    assert tuple(reader.fieldnames or ()) == rows.columns
    return list(rows.iter_dicts()), jsonl, list(reader)


def test_freshness_columns_come_from_each_piece() -> None:
    rows = UsageRows(endpoint("getWarehouseExportUsage"), JAN, MAR)
    rows.add(_export(T0, "2026-03-02T05:00:00Z", False), window_start=JAN, window_end=FEB)
    feb_ms = T0 + 31 * DAY
    rows.add(_export(feb_ms, "2026-02-27T10:00:00Z", True), window_start=FEB, window_end=MAR)
    dicts, jsonl, records = _outputs(rows)
    assert rows.columns[-4:-2] == ("data_through", "delayed")  # before provisional, final_after
    assert dicts == jsonl
    assert [(d["data_through"], d["delayed"]) for d in dicts] == [
        ("2026-03-02T05:00:00Z", False),
        ("2026-03-02T05:00:00Z", False),
        ("2026-02-27T10:00:00Z", True),
        ("2026-02-27T10:00:00Z", True),
    ]
    assert [(r["data_through"], r["delayed"]) for r in records][2] == ("2026-02-27T10:00:00Z", "true")
    # The fetch is as fresh as its stalest piece, and delayed if any piece was.
    assert rows.freshness == {"data_through": "2026-02-27T10:00:00Z", "delayed": True, "pieces": 2}


def test_absent_freshness_is_null_and_the_summary_says_so() -> None:
    rows = UsageRows(endpoint("getDataExportEventsUsage"), JAN, FEB)
    rows.add(_export(T0, None, None))
    dicts, jsonl, records = _outputs(rows)
    assert dicts == jsonl and all(d["data_through"] is None and d["delayed"] is None for d in dicts)
    assert all(r["data_through"] == "" for r in records)
    assert rows.freshness == {"data_through": None, "delayed": False, "pieces": 1}


def test_earliest_data_through_compares_instants_not_text() -> None:
    rows = UsageRows(endpoint("getDataExportEventsUsage"), JAN, FEB)
    rows.add(_export(T0, "2026-02-01T00:00:00Z", False))
    rows.add(_export(T0 + 5 * DAY, "2026-01-31T23:00:00+00:00", False))
    assert rows.freshness is not None and rows.freshness["data_through"] == "2026-01-31T23:00:00+00:00"


def test_series_without_freshness_have_the_same_columns_left_null() -> None:
    rows = UsageRows(endpoint("getAiRunsUsage"), JAN, FEB)
    rows.add({"_links": {}, "metadata": [{}], "series": [{"time": T0, "0": 1}]})
    assert rows.columns == UsageRows(endpoint("getWarehouseExportUsage"), JAN, FEB).columns
    assert rows.freshness is None
    first = next(rows.iter_dicts())
    assert (first["data_through"], first["delayed"]) == (None, None)


def test_a_dimension_named_like_a_column_stays_inside_dimensions() -> None:
    rows = UsageRows(endpoint("getWarehouseExportUsage"), JAN, FEB)
    rows.add({**_export(T0, "2026-02-02T00:00:00Z", False), "metadata": [{"delayed": "x"}]})
    first = next(rows.iter_dicts())
    assert first["dimensions"] == {"delayed": "x"} and first["delayed"] is False


def test_ranking_pages_become_one_row_per_project() -> None:
    def item(rank: int, key: str, usage: int) -> dict[str, Any]:
        return {
            "projectKey": key,
            "projectName": key.title(),
            "rank": rank,
            "usage": usage,
            "components": {"streaming": usage},
        }

    rows = UsageRows(endpoint("getDataExportProjectRanking"), JAN, FEB)
    rows.add({"items": [item(1, "a", 9), item(2, "b", 5)], "page": {}, "scope": {}})
    rows.add({"items": [item(3, "c", 1)], "page": {}, "scope": {}})
    dicts, jsonl, records = _outputs(rows)
    assert len(rows) == 3 and dicts == jsonl
    assert rows.columns == (
        "schema_version",
        "endpoint",
        "filter_set",
        "request",
        "window_start",
        "window_end",
        "as_of",
        "position",
        "item",
        "fetched_at",
        "provisional",
        "final_after",
    )
    # each item as LaunchDarkly sent it, in its order over the pages
    assert [(d["position"], d["item"]) for d in dicts] == [
        (0, item(1, "a", 9)),
        (1, item(2, "b", 5)),
        (2, item(3, "c", 1)),
    ]
    assert records[0]["window_start"] == "2026-01-01T00:00:00Z" and records[2]["position"] == "2"
    assert json.loads(records[2]["item"]) == item(3, "c", 1)


def test_sdk_details_rows_keep_every_field_in_the_item() -> None:
    rows = UsageRows(endpoint("getSdkVersionsDetails"), None, None)
    details = [
        {"name": "go-server-sdk", "version": "6.1.0", "eolStatus": "EolPast"},
        {"name": "node-server-sdk", "version": "9.2.0", "eolStatus": "EolAllClear", "relayVersion": None},
        {"name": "go-server-sdk", "version": "6.1.0", "eolStatus": "EolPast"},  # a repeat: kept once
    ]
    rows.add(details)
    dicts, jsonl, records = _outputs(rows)
    assert len(rows) == 2 and dicts == jsonl
    assert [d["item"] for d in dicts] == details[:2]
    assert json.loads(records[1]["item"])["relayVersion"] is None
    assert [d["item"]["eolStatus"] for d in dicts] == ["EolPast", "EolAllClear"]
