"""Merging split windows (owner piece wins a shared bucket; repeated metadata), object names, time_unit."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.rows import UsageRows
from airflow_provider_ldusage.landing.schema import series_key
from airflow_provider_ldusage.landing.storage import object_name
from airflow_provider_ldusage.operators.usage import (
    LaunchDarklyContextsServersideUsageOperator,
    LaunchDarklyMauTotalUsageOperator,
    LaunchDarklyStreamUsageSdkversionOperator,
)

UTC = timezone.utc
DAY = 86_400_000
T = 1767225600000  # 2026-01-01T00:00Z, the cut between the two pieces
CUT = datetime(2026, 1, 1, tzinfo=UTC)
FIRST = datetime(2025, 1, 1, tzinfo=UTC)
LAST = datetime(2026, 2, 1, tzinfo=UTC)


def _lines(rows: UsageRows) -> list[tuple[str, str, Any]]:
    buf = io.BytesIO()
    rows.write_jsonl(buf.write)
    return [
        (r["time"][:10], r["dimensions"]["sdk"], r["value"])
        for r in map(json.loads, buf.getvalue().splitlines())
    ]


def test_shared_bucket_is_kept_from_the_piece_whose_window_holds_it() -> None:
    rows = UsageRows(endpoint("getMAUTotalUsage"), FIRST, LAST)
    # Piece 1 asked for [FIRST, CUT) but also returned the bucket at CUT (partial, from outside its window).
    piece1 = {
        "metadata": [{"sdk": "go"}, {"sdk": "js"}],
        "series": [{"time": T - DAY, "0": 1, "1": 2}, {"time": T, "0": 10, "1": 20}],
    }
    # Piece 2, [CUT, LAST): series in another order, one more series, and the whole bucket at CUT.
    piece2 = {
        "metadata": [{"sdk": "js"}, {"sdk": "go"}, {"sdk": "py"}],
        "series": [{"time": T, "0": 21, "1": 11, "2": 31}, {"time": T + DAY, "0": 4, "1": 3, "2": 5}],
    }
    rows.add(piece1, window_start=FIRST, window_end=CUT)
    rows.add(piece2, window_start=CUT, window_end=LAST)
    got = _lines(rows)
    at_cut = sorted((sdk, v) for day, sdk, v in got if day == "2026-01-01")
    assert at_cut == [("go", 11), ("js", 21), ("py", 31)], "only piece 2's values for its own bucket"
    assert len(rows) == len(got) == len(list(rows.iter_dicts())) == 8
    csv_buf = io.BytesIO()
    rows.write_csv(csv_buf.write)
    assert len(csv_buf.getvalue().splitlines()) == 1 + 8
    # a series keeps its key whichever position it has in each response
    go = {r["series_key"] for r in rows.iter_dicts() if r["dimensions"] == {"sdk": "go"}}
    assert go == {series_key({"sdk": "go"})}


def test_owner_piece_first_also_wins() -> None:
    # The owner can come first too (the later piece re-reads a bucket before its own window).
    rows = UsageRows(endpoint("getMAUTotalUsage"), FIRST, LAST)
    rows.add(
        {"metadata": [{"sdk": "go"}], "series": [{"time": T - DAY, "0": 1}]},
        window_start=FIRST,
        window_end=CUT,
    )
    rows.add(
        {"metadata": [{"sdk": "go"}], "series": [{"time": T - DAY, "0": 99}, {"time": T, "0": 2}]},
        window_start=CUT,
        window_end=LAST,
    )
    assert _lines(rows) == [("2025-12-31", "go", 1), ("2026-01-01", "go", 2)]
    assert len(rows) == 2


def test_identical_metadata_within_one_response_stays_two_series() -> None:
    rows = UsageRows(endpoint("getMAUTotalUsage"), None, None)
    rows.add({"metadata": [{}, {}], "series": [{"time": T, "0": 5, "1": 7}]})
    rows.add({"metadata": [{}, {}], "series": [{"time": T + DAY, "0": 6, "1": 8}]})
    got = [(r["series_key"], r["value"]) for r in rows.iter_dicts()]
    first, second = series_key({}), series_key({}, 1)
    assert first != second
    assert got == [(first, 5), (second, 7), (first, 6), (second, 8)]


# --- object names -----------------------------------------------------------------------------------------

S, E = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)


def test_object_name_depends_on_the_connection_not_only_the_filters() -> None:
    args = {"project_key": None}
    us = object_name(
        "getMAUTotalUsage", S, E, args, "jsonl", conn_id="ld_us", base_url="https://app.launchdarkly.com"
    )
    eu = object_name(
        "getMAUTotalUsage", S, E, args, "jsonl", conn_id="ld_eu", base_url="https://app.eu.launchdarkly.com"
    )
    same_id_other_host = object_name(
        "getMAUTotalUsage", S, E, args, "jsonl", conn_id="ld_us", base_url="https://app.eu.launchdarkly.com"
    )
    assert len({us, eu, same_id_other_host}) == 3
    operation, dataset, stem = us.split("/")
    assert (operation, stem) == ("getMAUTotalUsage", "20260201T000000Z_20260301T000000Z.jsonl")
    assert len(dataset) == 10 and int(dataset, 16) >= 0  # the filter set's and connection's hash


def test_equivalent_filters_name_the_same_object() -> None:
    a = LaunchDarklyMauTotalUsageOperator(task_id="a", project_key=["web", "mobile"], anonymous=True)
    b = LaunchDarklyMauTotalUsageOperator(task_id="b", project_key=["mobile", "web", "web"], anonymous="true")
    c = LaunchDarklyMauTotalUsageOperator(task_id="c", project_key="web", anonymous="true")
    d = LaunchDarklyMauTotalUsageOperator(task_id="d", project_key=["web"], anonymous="true")
    names = [
        object_name(o.operation_id, S, E, o.filter_arguments(), "jsonl", conn_id="x") for o in (a, b, c, d)
    ]
    assert names[0] == names[1]
    assert names[2] == names[3] != names[0]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_operator_lands_per_connection(
    launchdarkly_emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, host: str
) -> None:
    emu = launchdarkly_emulator
    other = {"conn_type": "launchdarkly", "host": emu.url.replace("127.0.0.1", host), "password": emu.token}
    monkeypatch.setenv("AIRFLOW_CONN_LD_EU", json.dumps(other))
    landed = []
    for task_id, conn_id in (("us", "launchdarkly_default"), ("eu", "ld_eu")):
        op = LaunchDarklyMauTotalUsageOperator(
            task_id=task_id,
            launchdarkly_conn_id=conn_id,
            start="2026-02-01T00:00:00Z",
            end="2026-03-01T00:00:00Z",
            output_path=str(tmp_path),
        )
        landed.append(op.execute({"outlet_events": defaultdict(mock.MagicMock)})["path"])  # type: ignore[arg-type]
    assert landed[0] != landed[1], "two connections into one output_path never overwrite each other"
    assert len([p for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith(".")]) == 2


# --- time_unit --------------------------------------------------------------------------------------------


def test_time_unit_override_reaches_the_request(launchdarkly_emulator: Any) -> None:
    emu = launchdarkly_emulator
    op = LaunchDarklyContextsServersideUsageOperator(
        task_id="t", time_unit="ms", start="2026-02-01T00:00:00Z", end="2026-02-02T00:00:00Z"
    )
    assert "time_unit" in op.template_fields
    # The emulator, like LaunchDarkly, reads seconds here and finds milliseconds out of range: the 400
    # proves the override was sent.
    with pytest.raises(LaunchDarklyUsageError, match="out of range"):
        op.execute({})  # type: ignore[arg-type]
    query = dict(emu.requests[-1].query)
    assert query["from"] == "1769904000000", "milliseconds instead of the documented seconds"


def test_time_unit_is_refused_for_endpoints_without_a_window() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="time_unit"):
        LaunchDarklyStreamUsageSdkversionOperator(task_id="t", source="client", time_unit="ms")
    LaunchDarklyStreamUsageSdkversionOperator(task_id="ok", source="client", time_unit=None)
    with pytest.raises(LaunchDarklyUsageValidationError, match="time_unit"):
        LaunchDarklyMauTotalUsageOperator(
            task_id="bad", time_unit="sec", start="2026-02-01T00:00:00Z", end="2026-02-02T00:00:00Z"
        ).execute({})  # type: ignore[arg-type]
