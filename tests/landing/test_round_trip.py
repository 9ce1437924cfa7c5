"""Round trip per format: what the operators landed (the package's one DAG run) read back directly —
pyarrow, gzip + json, csv — equals, row by row, an independent fetch from the emulator with ``requests``
(metadata[i] describes series key "i"; time is epoch ms); ``read_landed(path).rows()`` equals the JSON Lines
rows in every format."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import Endpoint
from airflow_provider_ldusage.landing.reading import read_landed
from airflow_provider_ldusage.landing.schema import SCHEMA_VERSION, SERIES_NAMES, series_key, value_type
from airflow_provider_ldusage.landing.storage import OUTPUT_FORMATS
from tests.landing.conftest import fetch, read_object, series_variants, task_id

pytest.importorskip("pyarrow")

VARIANTS = series_variants()


def _ms(text: str) -> str:
    return str(int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000))


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def independent_rows(emulator: Any, ep: Endpoint, kwargs: dict[str, Any], summary: dict[str, Any]) -> Any:
    """The emulator's answer for the window the summary reports, decoded here: (time, key, dims, value)."""
    request = summary["request"]
    start, end = summary["window_start"], summary["window_end"]
    stamp = _ms if request["time_unit"] == "ms" else (lambda t: str(int(_ms(t)) // 1000))
    query = [("from", stamp(start)), ("to", stamp(end))]
    wire = {p.name: p.wire for p in ep.query_params}
    for name in ("group_by", "groupby"):
        if name in kwargs:
            query.append((wire[name], kwargs[name]))
    if request.get("aggregation") and "aggregation_type" in wire:
        query.append((wire["aggregation_type"], request["aggregation"]))
    if request.get("granularity") and "granularity" in wire:
        query.append((wire["granularity"], request["granularity"]))
    path = {p.name: kwargs[p.name] for p in ep.path_params}
    body = fetch(emulator, ep, path, query)
    repeats: dict[str, int] = {}
    keys = {}
    for i, meta in enumerate(body.get("metadata") or []):
        canonical = json.dumps(meta, sort_keys=True)
        repeat = repeats[canonical] = repeats.get(canonical, -1) + 1
        keys[str(i)] = (series_key(meta, repeat), meta)
    rows = []
    for item in body["series"]:
        for key, value in item.items():
            if key != "time":
                skey, meta = keys[key]
                rows.append((_iso_ms(item["time"]), skey, meta, value))
    return body, rows


def _as_tuple(fmt: str, row: dict[str, Any]) -> tuple[str, str, dict[str, Any], Any]:
    """(time, series_key, dimensions, value) of a row as read directly in ``fmt``."""
    if fmt == "parquet":
        when = row["time"].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return when, row["series_key"], json.loads(row["dimensions"]), row["value"]
    if fmt.startswith("csv"):
        text = row["value"]
        value = int(text) if text.lstrip("-").isdigit() else float(text)
        return row["time"], row["series_key"], json.loads(row["dimensions"]), value
    return row["time"], row["series_key"], row["dimensions"], row["value"]


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_landed_rows_equal_an_independent_fetch(emulator: Any, landed: dict[str, Any], fmt: str) -> None:
    compared = 0
    for label, ep, kwargs in VARIANTS:
        summary = landed[task_id(label, fmt)]
        body, expected = independent_rows(emulator, ep, kwargs, summary)
        path = Path(summary["path"].removeprefix("file://"))
        columns, rows = read_object(path)
        assert summary["rows"] == len(rows) == len(expected), (label, fmt)
        if not rows:
            continue
        assert columns == list(SERIES_NAMES), (label, fmt)
        got = [_as_tuple(fmt, r) for r in rows]
        if fmt.endswith(".gz"):  # written by series (stable within the block): each series' rows in order
            expected = sorted(expected, key=lambda r: r[1])
        assert got == expected, (label, fmt)
        for (*_, value), (*_, sent) in zip(got, expected, strict=True):
            if fmt == "parquet":  # float64 on every endpoint, exact for these integers
                assert isinstance(value, float) and value == sent
            else:
                assert type(value) is type(sent) and not isinstance(value, bool), (label, fmt, value)
                assert type(value) is (int if value_type(ep) == "int" else type(value))
        # the row's other columns: what the summary and the response say
        for row in rows:
            text = {k: ("" if v is None else v) for k, v in row.items()}
            assert text["endpoint"] == ep.operation_id and text["unit"] == ep.unit
            assert (
                str(text["schema_version"]) == str(SCHEMA_VERSION) and text["filter_set"] == path.parent.name
            )
            if fmt.startswith("jsonl"):  # the summary's finality, in every row
                assert (row["provisional"], row["final_after"]) == (
                    summary["provisional"],
                    summary["final_after"],
                )
            if fmt != "parquet":
                assert (text["window_start"], text["window_end"]) == (
                    summary["window_start"],
                    summary["window_end"],
                )
                assert text["fetched_at"] == summary["fetched_at"]
                assert text["aggregation"] == (summary["request"].get("aggregation") or "")
                assert text["granularity"] == (summary["request"].get("granularity") or "")
            if ep.has_freshness and fmt.startswith("jsonl"):
                assert (row["data_through"], row["delayed"]) == (body.get("dataThrough"), body.get("delayed"))
        compared += len(rows)
    assert compared > 150  # every series endpoint with data took part


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_read_landed_equals_the_json_lines_rows(landed: dict[str, Any], fmt: str) -> None:
    for label, _, _ in VARIANTS:
        jsonl = Path(landed[task_id(label, "jsonl")]["path"].removeprefix("file://"))
        reference = [json.loads(line) for line in jsonl.read_text().splitlines()]
        assert list(read_landed(jsonl).rows()) == reference, label
        rows = list(read_landed(landed[task_id(label, fmt)]["path"]).rows())
        if fmt.endswith(".gz"):
            reference = sorted(reference, key=lambda r: r["series_key"])
        assert rows == reference, (label, fmt)
        for row in rows:
            assert type(row["value"]) in (int, float) and not isinstance(row["value"], bool)
