"""Each example DAG run in real Airflow (``dag.test()``) against the emulator; the landed files are checked
row by row, and the report's numbers, against the emulator's own figures."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.testing.emulator import EmulatorConfig

from .conftest import EMULATOR_NOW, expected, objects, read_jsonl, states, tidy, utc, warehouse, xcom

pytestmark = pytest.mark.e2e

UTC = timezone.utc
DAY = (datetime(2026, 9, 30, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
DAILY_PLAIN = {
    "getContextsClientsideUsage",
    "getContextsServersideUsage",
    "getContextsTotalUsage",
    "getMAUClientsideUsage",
    "getMAUTotalUsage",
    "getDataExportEventsUsage",
    "getExperimentationEventsUsage",
    "getExperimentationKeysUsage",
    "getServiceConnectionsUsage",
    "getObservabilityErrorsUsage",
    "getObservabilityLogsUsage",
    "getObservabilitySessionsUsage",
    "getObservabilityTracesUsage",
    "getObservabilityMetricsUsage",
    "getAiRunsUsage",
    "getVegaAIUsage",
    "getWarehouseExportUsage",
}
# Responses of these report freshness: every landed row carries it.
FRESHNESS = {"getDataExportEventsUsage", "getWarehouseExportUsage"}
FLAGS = ("new-checkout", "dark-mode", "search-v2")


def check_daily_ingest(emulator: Any, root: Path, dag_run: Any) -> None:
    """Every object of the day, and nothing else, with exactly the emulator's rows (no loss, no dups)."""
    assert dag_run.state == "success", states(dag_run)
    manifest = json.loads((root / "usage" / "_manifests" / "2026-09-30.json").read_text())
    summaries = manifest["objects"]
    by_path = {Path(s["path"].removeprefix("file://")): s for s in summaries}
    refreshed = {Path(s["path"].removeprefix("file://")): s for s in manifest["refreshed"]}
    landed = [
        p
        for p in objects(root / "usage")
        if p.parent.name != "_manifests" and "_batches" not in p.parts and not p.name.startswith(".")
    ]
    assert sorted({**by_path, **refreshed}) == landed  # the manifest lists exactly what landed
    # lookback=3: the same objects for each of the three days before, re-landed under their own names
    assert Counter(s["window_start"][:10] for s in manifest["refreshed"]) == {
        day: len(summaries) for day in ("2026-09-27", "2026-09-28", "2026-09-29")
    }
    # the emulator's clock is days past 30 September: by the stated rule every figure is final
    assert {(s["provisional"], s["fetched_at"] >= s["final_after"]) for s in summaries} == {(False, True)}
    assert manifest["provisional"] == 0
    assert not [p for p in objects(root) if p.name.endswith(".tmp")]
    wanted: list[tuple[str, dict[str, str], tuple[str, ...]]] = [
        (op, {}, ("projectId", "sdkType") if op == "getMAUTotalUsage" else ()) for op in DAILY_PLAIN
    ]
    wanted += [("getEventsUsage", {"type": t}, ()) for t in ("received", "published")]
    wanted += [
        (op, {"source": s}, ())
        for op in ("getStreamUsage", "getStreamUsageBySdkVersion")
        for s in ("client", "server")
    ]
    wanted += [
        (
            "getEvaluationsUsage",
            {"projectKey": "default", "environmentKey": "production", "featureFlagKey": f},
            (),
        )
        for f in FLAGS
    ]
    assert Counter(s["endpoint"] for s in summaries) == Counter(op for op, _, _ in wanted)
    found: Counter[tuple[str, Any]] = Counter()
    for operation, path, group_by in wanted:
        reference = expected(emulator, operation, *DAY, path=path, group_by=group_by)
        assert sum(reference.values()) > 0, operation
        candidates = [p for p, s in by_path.items() if s["endpoint"] == operation]
        matches = [p for p in candidates if tidy(read_jsonl(p)) == reference]
        assert len(matches) == 1, f"{operation} {path}: no landed object has exactly the emulator's rows"
        found[(operation, matches[0])] += 1
        rows = read_jsonl(matches[0])
        assert by_path[matches[0]]["rows"] == len(rows)
        if operation in FRESHNESS:
            through = emulator.data_export.watermark(
                "data_export" if operation == "getDataExportEventsUsage" else "warehouse_export",
                emulator.clock.now(),
            )
            assert {(r["data_through"], r["delayed"]) for r in rows} == {
                (through.strftime("%Y-%m-%dT%H:%M:%SZ"), False)
            }
        else:  # the same columns, left null where LaunchDarkly reports no freshness
            assert {(r["data_through"], r["delayed"]) for r in rows} == {(None, None)}
        assert {(r["window_start"], r["window_end"]) for r in rows} == {
            ("2026-09-30T00:00:00Z", "2026-10-01T00:00:00Z")
        }
    assert len(found) == len(wanted)  # every variant matched a different object


def test_daily_ingest(launchdarkly_emulator: Any, example_dags: Any, storage_root: Path) -> None:
    dag = example_dags.dags["ldusage_daily_ingest"]
    dag_run = dag.test(logical_date=datetime(2026, 10, 1, 6, tzinfo=UTC))
    check_daily_ingest(launchdarkly_emulator, storage_root, dag_run)
    assert xcom(dag_run, "manifest")["objects"] == 26
    assert xcom(dag_run, "manifest")["refreshed"] == 3 * 26  # lookback=3
    # One request per object (the day's and the three re-read days'): nothing fetched twice.
    assert len(launchdarkly_emulator.requests) == 4 * 26
    assert all(r.status == 200 for r in launchdarkly_emulator.requests)

    # Assets name datasets, not files: 104 objects landed, one Asset per dataset (26), and the next
    # day's run (104 more landings, most of them replacing objects) adds none.
    def assets() -> set[str]:
        from airflow.utils.session import create_session

        from tests.airflow_compat import asset_model

        AssetModel = asset_model()

        with create_session() as session:
            uris = [a.uri for a in session.query(AssetModel).all()]
        return {u for u in uris if u.startswith(storage_root.as_uri())}

    first = assets()
    assert len(first) == 26

    # The warehouse: every landed object loaded once (the day's and the re-read days'), row for row.
    manifest = json.loads((storage_root / "usage" / "_manifests" / "2026-09-30.json").read_text())
    landed_rows = manifest["rows"] + sum(s["rows"] for s in manifest["refreshed"])
    assert warehouse_counts(storage_root) == (landed_rows, landed_rows)
    assert xcom(dag_run, "load_to_warehouse")["rows_inserted"] == landed_rows

    second_run = dag.test(logical_date=datetime(2026, 10, 2, 6, tzinfo=UTC))
    assert second_run.state == "success", states(second_run)
    assert assets() == first
    # The next day's run re-lands 28-30 September (lookback) and lands 1 October: the re-read days replace
    # their rows, so the table grows by exactly the new day and holds no duplicate.
    october = json.loads((storage_root / "usage" / "_manifests" / "2026-10-01.json").read_text())
    assert warehouse_counts(storage_root) == (landed_rows + october["rows"],) * 2


def warehouse_counts(storage_root: Path) -> tuple[int, int]:
    """Rows in the example warehouse's series table, and distinct (endpoint, filter set, bucket, series)."""
    with warehouse(storage_root) as db:
        total, distinct = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT endpoint || '|' || filter_set || '|' || time || '|' "
            "|| series_key) FROM launchdarkly_usage"
        ).fetchone()
    return int(total), int(distinct)


def test_daily_ingest_without_evaluation_flags_skips_only_that_task(
    launchdarkly_emulator: Any, example_dags: Any, storage_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_VAR_LDUSAGE_EVALUATION_FLAGS")  # a deployment that set no flags
    dag = example_dags.dags["ldusage_daily_ingest"]
    dag_run = dag.test(logical_date=datetime(2026, 10, 1, 6, tzinfo=UTC))
    assert str(dag_run.state) == "success"
    found = states(dag_run)
    assert {s for (task, _), s in found.items() if task == "evaluations"} == {"skipped"}
    assert found[("manifest", -1)] == "success"
    assert xcom(dag_run, "manifest")["objects"] == 23  # the 26 of a full run less three flags
    assert not any(r.operation_id == "getEvaluationsUsage" for r in launchdarkly_emulator.requests)


class TestFaultsAndRateLimits:
    @pytest.fixture
    def launchdarkly_emulator_config(self) -> EmulatorConfig:
        # Two requests per route per second: the three evaluation calls and retried routes hit the limit.
        return EmulatorConfig(seed=1, now=EMULATOR_NOW, route_budget=2, rate_window=1.0)

    def test_daily_ingest_survives_429s_503_and_a_slow_answer(
        self, launchdarkly_emulator: Any, example_dags: Any, storage_root: Path
    ) -> None:
        from airflow_provider_ldusage.testing.emulator import FaultSpec

        emu = launchdarkly_emulator
        emu.add_fault(FaultSpec(kind="429", operation_id="getMAUTotalUsage", count=3, retry_after=1))
        emu.add_fault(FaultSpec(kind="503", operation_id="getContextsTotalUsage", count=1, retry_after=1))
        emu.add_fault(FaultSpec(kind="slow", operation_id="getEventsUsage", count=1, delay=1.5))
        dag = example_dags.dags["ldusage_daily_ingest"]
        dag_run = dag.test(logical_date=datetime(2026, 10, 1, 6, tzinfo=UTC))

        check_daily_ingest(emu, storage_root, dag_run)
        statuses = Counter((r.operation_id, r.status) for r in emu.requests)
        assert statuses[("getMAUTotalUsage", 429)] >= 3
        assert statuses[("getContextsTotalUsage", 503)] == 1
        # Every object (the day's 26 and, with lookback=3, the same for three earlier days) was eventually
        # fetched exactly once with a 200.
        ok = Counter(r.operation_id for r in emu.requests if r.status == 200)
        assert sum(ok.values()) == 4 * 26
        assert ok["getEvaluationsUsage"] == 4 * 3 and ok["getMAUTotalUsage"] == 4
        # No task needed an Airflow retry: the hook absorbed every fault.
        assert {ti.try_number for ti in dag_run.get_task_instances()} == {1}


def test_monthly_close(launchdarkly_emulator: Any, example_dags: Any, storage_root: Path) -> None:
    emu = launchdarkly_emulator
    emu.clock.set_speed(12 * 3600)  # 0.5 s pokes, 6 h apart by the emulator's clock
    dag = example_dags.dags["ldusage_monthly_close"]
    dag_run = dag.test(logical_date=datetime(2026, 10, 1, tzinfo=UTC))
    assert dag_run.state == "success", states(dag_run)
    emu.clock.set_speed(0)

    final = xcom(dag_run, "wait_for_month_end")
    assert final["month"] == "2026-09" and final["final"] is True and final["observations"] >= 2

    september = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
    august = (datetime(2026, 8, 1, tzinfo=UTC), september[0])
    report = json.loads((storage_root / "reports" / "ldusage_2026-09.json").read_text())
    assert report["month"] == "2026-09" and report["previous_month"] == "2026-08"
    assert report["sensor_total_mau"] == report["totals"]["mau"]["month"]

    for category in report["categories"]:
        operation = category["endpoint"]
        totals = {}
        for (start, end), key, source in (
            (september, "month", category["sources"][0]),
            (august, "previous", category["sources"][1]),
        ):
            reference = expected(emu, operation, start, end, aggregation="month_to_date", granularity="daily")
            rows = read_jsonl(Path(source.removeprefix("file://")))
            assert tidy(rows) == reference, f"{operation} {start:%Y-%m}"
            # The report's per-day figures are the daily increments of the month-to-date series.
            daily = {
                day: sum(v for (t, _, v), n in reference.items() for _ in range(n) if t[:10] == day)
                for day in sorted({t[:10] for t, _, _ in reference})
            }
            assert category[key]["days"] == list(daily)
            increments = [round(b - a, 2) for a, b in zip([0, *daily.values()], daily.values(), strict=False)]
            assert category[key]["per_day"] == pytest.approx(increments)
            assert category[key]["total"] == pytest.approx(list(daily.values())[-1])
            assert len(daily) == (end - start).days
            totals[key] = list(daily.values())[-1]
        figure = report["totals"][category["key"]]
        assert figure["month"] == pytest.approx(totals["month"])
        assert figure["previous"] == pytest.approx(totals["previous"])
        assert figure["change"] == pytest.approx(round(100 * (totals["month"] / totals["previous"] - 1), 1))

    # The new series of client 25.0.1 are reported too.
    assert {"ai_runs", "observability_metrics", "vega_ai", "warehouse_export"} <= set(report["totals"])
    # The Streaming ranking of September: every page landed, the top ten in the report.
    ranking_requests = [r for r in emu.requests if r.operation_id == "getDataExportProjectRanking"]
    assert [r.status for r in ranking_requests] == [200, 200]  # one page per month at limit=100
    ranking = requests.get(
        f"{emu.url}/api/v2/usage/data-export-events/projects/ranking",
        params={
            "from": str(int(september[0].timestamp() * 1000)),
            "to": str(int(september[1].timestamp() * 1000)),
        },
        headers={"Authorization": emu.token, "LD-API-Version": "beta"},
        timeout=10,
    ).json()
    assert "nextCursor" not in ranking["page"]
    top = [{k: p[k] for k in ("projectKey", "projectName", "rank", "usage")} for p in ranking["items"][:10]]
    assert [{k: p[k] for k in top[0]} for p in report["top_projects"]] == top

    html = (storage_root / "reports" / "ldusage_2026-09.html").read_text()
    svg = (storage_root / "reports" / "ldusage_2026-09.svg").read_text()
    markdown = (storage_root / "reports" / "ldusage_2026-09.md").read_text()
    assert f"| 1 | {top[0]['projectName']} (`{top[0]['projectKey']}`) | {top[0]['usage']:,} |" in markdown
    chart = ET.fromstring(svg)  # well-formed, one bar per September day per category
    bars = [e for e in chart.iter("{http://www.w3.org/2000/svg}rect") if e.find("{*}title") is not None]
    assert len(bars) == 30 * len(report["categories"])
    assert svg in html and "<table>" in html
    mau = report["totals"]["mau"]
    assert f"| MAU | {mau['month']:,} | {mau['previous']:,} |" in markdown
    assert "](ldusage_2026-09.svg)" in markdown
    assert not [p for p in objects(storage_root) if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("conf", "span", "requests_per_limited_endpoint"),
    [
        ({}, (datetime(2025, 10, 5, tzinfo=UTC), datetime(2026, 10, 5, tzinfo=UTC)), 1),
        (
            {"start": "2025-04-01", "end": "2026-10-01"},
            (datetime(2025, 4, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)),
            2,
        ),
    ],
    ids=["last-365-days", "18-months-split"],
)
def test_backfill(
    launchdarkly_emulator: Any,
    example_dags: Any,
    storage_root: Path,
    conf: dict[str, str],
    span: tuple[datetime, datetime],
    requests_per_limited_endpoint: int,
) -> None:
    emu = launchdarkly_emulator
    dag = example_dags.dags["ldusage_backfill"]
    dag_run = dag.test(logical_date=datetime(2026, 10, 5, 9, 30, tzinfo=UTC), run_conf=conf)
    assert dag_run.state == "success", states(dag_run)

    landed = objects(storage_root / "backfill")
    assert len(landed) == 13
    per_operation = Counter(r.operation_id for r in emu.requests)
    for path in landed:
        operation = path.parent.parent.name  # <operationId>/<dataset hash>/<window>.jsonl
        rows = read_jsonl(path)
        reference = expected(emu, operation, *span, aggregation="incremental")
        assert tidy(rows) == reference, operation  # the split pieces merged: no day lost or doubled
        assert len(rows) == (span[1] - span[0]).days * len({r["series_key"] for r in rows})
        limited = not operation.startswith("getObservability")
        assert per_operation[operation] == (requests_per_limited_endpoint if limited else 1), operation
    for record in emu.requests:  # every request stayed within its endpoint's limit, if it has one
        ep = endpoint(record.operation_id)
        query = dict(record.query)
        seconds = (int(query["to"]) - int(query["from"])) / (1000 if ep.time_unit == "ms" else 1)
        assert ep.max_span_days is None or seconds <= ep.max_span_days * 86400, record.operation_id


def test_weekly_sdk_inventory(launchdarkly_emulator: Any, example_dags: Any, storage_root: Path) -> None:
    emu = launchdarkly_emulator
    dag = example_dags.dags["ldusage_weekly_sdk_inventory"]
    dag_run = dag.test(logical_date=datetime(2026, 10, 5, 7, tzinfo=UTC))
    assert dag_run.state == "success", states(dag_run)

    week = (datetime(2026, 9, 28, tzinfo=UTC), datetime(2026, 10, 5, tzinfo=UTC))
    inventory = json.loads((storage_root / "inventory" / "sdk_inventory_2026-10-05.json").read_text())
    assert inventory["date"] == "2026-10-05"
    now = emu.clock.now()
    for sdk_type in ("client", "server"):
        active = emu.data.sdk_names("getMauSdksByType", *week, sdk_type, now)
        versions = emu.data.sdk_versions(sdk_type)
        assert active and versions
        for name in active:
            assert inventory["sdks"][name]["active"] is True
            assert inventory["sdks"][name]["type"] == sdk_type
        for pair in versions:
            assert pair["version"] in inventory["sdks"][pair["sdk"]]["versions"]
        assert {n for n, e in inventory["sdks"].items() if e["type"] == sdk_type} == {
            *active,
            *(p["sdk"] for p in versions),
        }
    # End of life: every SDK or Relay Proxy version LaunchDarkly marks EolPast/EolNear, straight from the
    # emulator's /sdk-versions/details, and nothing else.
    details = requests.get(
        f"{emu.url}/api/v2/usage/sdk-versions/details",
        headers={"Authorization": emu.token, "LD-API-Version": "beta"},
        timeout=10,
    ).json()
    for status in ("EolPast", "EolNear"):
        wanted = {(d["name"], d["version"]) for d in details if d.get("eolStatus") == status}
        wanted |= {("Relay Proxy", d["relayVersion"]) for d in details if d.get("relayEolStatus") == status}
        listed = inventory["end_of_life"][status]
        assert {(e["name"], e["version"]) for e in listed} == wanted
        assert all(e["where"] and e["latest_version"] for e in listed)
    assert inventory["end_of_life"]["EolPast"] or inventory["end_of_life"]["EolNear"], "nothing to report"
    summary = xcom(dag_run, "inventory")
    assert (summary["eol_past"], summary["eol_near"]) == (
        len(inventory["end_of_life"]["EolPast"]),
        len(inventory["end_of_life"]["EolNear"]),
    )
    landed_lists = [p for p in objects(storage_root / "inventory") if p.suffix == ".jsonl"]
    assert len(landed_lists) == 5
    details_rows = [p for p in landed_lists if p.parent.parent.name == "getSdkVersionsDetails"]
    assert len(details_rows) == 1 and len(read_jsonl(details_rows[0])) == len(details)
    for path in landed_lists:
        if path in details_rows:
            continue
        rows = read_jsonl(path)
        keys = [tuple(v for k, v in r["item"].items() if k in ("sdk", "version")) for r in rows]
        assert len(keys) == len(set(keys)) > 0  # no duplicates
        if path.parent.parent.name == "getMauSdksByType":
            assert {(r["window_start"], r["window_end"]) for r in rows} == {
                ("2026-09-28T00:00:00Z", "2026-10-05T00:00:00Z")
            }
    assert {utc(xcom(dag_run, "active_sdks", i)["window_start"]) for i in (0, 1)} == {week[0]}
