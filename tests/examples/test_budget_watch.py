"""The budget-watch example DAG and the monthly report's burn-down chart, against the emulator."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.testing.emulator import EmulatorConfig, SeriesQuery

from .conftest import EMULATOR_NOW, read_jsonl

UTC = timezone.utc
SVG = "{http://www.w3.org/2000/svg}"


# A client-side SDK sending a fresh context key per page view in default/production from October 19th.
RUNAWAY = {
    "project": "default",
    "environment": "production",
    "sdk": "JavaScript",
    "from_day": "2026-10-19",
    "extra_per_day": 5000,
}


@pytest.fixture
def launchdarkly_emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    return EmulatorConfig(seed=1, now=EMULATOR_NOW, runaway=getattr(request, "param", None))


def month_end(emu: Any, operation: str, start: datetime, end: datetime) -> float:
    query = SeriesQuery(operation, start, end, aggregation="month_to_date", granularity="daily")
    last = emu.data.series(query, datetime(2030, 1, 1, tzinfo=UTC))["series"][-1]
    return float(sum(v for k, v in last.items() if k != "time"))


def test_budget_watch_warns_on_the_metric_heading_past_80_percent(
    launchdarkly_emulator: Any, example_dags: Any, storage_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = launchdarkly_emulator
    october = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    emu.clock.set(datetime(2026, 10, 20, 12, tzinfo=UTC))
    mau = month_end(emu, "getMAUClientsideUsage", *october)
    minutes = month_end(emu, "getServiceConnectionsUsage", *october)
    limits = {"client_mau": round(mau * 1.12), "service_connection_minutes": round(minutes * 1.6)}
    monkeypatch.setenv("AIRFLOW_VAR_LDUSAGE_BUDGET_LIMITS", json.dumps(limits))
    dag = example_dags.dags["ldusage_budget_watch"]
    dag_run = dag.test(logical_date=datetime(2026, 10, 20, 6, 30, tzinfo=UTC))
    assert dag_run.get_task_instance("budget").state == "failed"  # the alert
    files = sorted((storage_root / "budgets").rglob("asof_*.jsonl"))
    assert len(files) == 1 and files[0].parent.parent.name == "usageBudget"
    verdict = {line["metric"]: line for line in read_jsonl(files[0])}
    assert verdict["client_mau"]["status"] == "warning"
    assert verdict["client_mau"]["threshold_crossed"] == 0.8
    assert verdict["client_mau"]["expected"] == pytest.approx(mau, rel=0.03)
    assert verdict["service_connection_minutes"]["status"] == "ok"
    assert verdict["service_connection_minutes"]["expected"] == pytest.approx(minutes, rel=0.03)
    assert {v["last_day"] for v in verdict.values()} == {"2026-10-19"}
    # The series of each metric; the crossing adds client-side MAU split by its groupBy dimensions,
    # October and September, for the breakdown.
    assert [(r.operation_id, "groupBy" in dict(r.query)) for r in emu.requests if r.operation_id] == [
        ("getMAUClientsideUsage", False),
        ("getMAUClientsideUsage", True),
        ("getMAUClientsideUsage", True),
        ("getServiceConnectionsUsage", False),
    ]
    assert verdict["client_mau"]["drivers"]["contributors"]
    assert "; driven by +" in verdict["client_mau"]["message"]
    assert all(v["spike"] is None for v in verdict.values())  # a normal month: no spike


@pytest.mark.parametrize("launchdarkly_emulator_config", [RUNAWAY], indirect=True)
def test_budget_watch_alert_names_a_runaway_sdk(
    launchdarkly_emulator: Any, example_dags: Any, storage_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = launchdarkly_emulator
    emu.clock.set(datetime(2026, 10, 20, 12, tzinfo=UTC))
    account = emu.data.account
    labels = {
        "projectId": {p.id: p.key for p in account.projects},
        "environmentId": {e.id: e.key for e in account.environments},
    }
    monkeypatch.setenv("AIRFLOW_VAR_LDUSAGE_DIMENSION_LABELS", json.dumps(labels))
    monkeypatch.setenv("AIRFLOW_VAR_LDUSAGE_BUDGET_LIMITS", json.dumps({"client_mau": 10**9}))
    dag_run = example_dags.dags["ldusage_budget_watch"].test(
        logical_date=datetime(2026, 10, 20, 6, 30, tzinfo=UTC)
    )
    # Far from its limit, yet the run fails: the 19th is a spike, and the alert names the SDK.
    assert dag_run.get_task_instance("budget").state == "failed"
    (path,) = sorted((storage_root / "budgets").rglob("asof_*.jsonl"))
    (line,) = read_jsonl(path)
    assert line["status"] == "ok" and line["drivers"] is None
    spike = line["spike"]
    assert spike["day"] == "2026-10-19"
    top = spike["drivers"]["contributors"][0]
    assert top["label"].startswith("project `default`, environment `production`, SDK `JavaScript`")
    assert top["share"] > 0.8
    assert f"from {top['label']}" in spike["message"]


def test_monthly_report_has_a_burn_down_per_metric(
    launchdarkly_emulator: Any, example_dags: Any, storage_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = launchdarkly_emulator
    september = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
    total_mau = month_end(emu, "getMAUTotalUsage", *september)
    limits = {"total_mau": round(total_mau * 1.25), "observability_logs": 10**12}
    monkeypatch.setenv("AIRFLOW_VAR_LDUSAGE_BUDGET_LIMITS", json.dumps(limits))
    emu.clock.set_speed(12 * 3600)
    dag_run = example_dags.dags["ldusage_monthly_close"].test(logical_date=datetime(2026, 10, 1, tzinfo=UTC))
    emu.clock.set_speed(0)
    assert dag_run.state == "success"
    reports = storage_root / "reports"
    data = json.loads((reports / "ldusage_2026-09.json").read_text())
    burn = data["burn_down"]
    assert set(burn) == {c["key"] for c in data["categories"]}
    assert burn["mau"]["limit"] == limits["total_mau"] and burn["mau"]["kind"] == "distinct"
    assert burn["observability_logs"]["limit"] == 10**12 and burn["contexts"]["limit"] is None
    for key, chart in burn.items():
        category = next(c for c in data["categories"] if c["key"] == key)
        assert chart["month_to_date"][-1] == pytest.approx(category["month"]["total"])
        # A forecast from day 3 (the first day with enough data) to day 29.
        assert [f["day"] for f in chart["forecasts"]] == list(range(3, 30))
        for f in chart["forecasts"]:
            assert chart["month_to_date"][f["day"] - 1] <= f["low"] <= f["expected"] <= f["high"]
        late = chart["forecasts"][-1]
        assert late["expected"] == pytest.approx(chart["month_to_date"][-1], rel=0.02), key
    svg = (reports / "ldusage_2026-09_budget.svg").read_text()
    root = ET.fromstring(svg)
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 1 + 27 * len(burn)  # the legend's, then one per forecast
    limit_lines = [e for e in root.iter(f"{SVG}line") if (e.find(f"{SVG}title") is not None)]
    assert len(limit_lines) == 2  # the two metrics with a limit
    assert svg in (reports / "ldusage_2026-09.html").read_text()
    assert "](ldusage_2026-09_budget.svg)" in (reports / "ldusage_2026-09.md").read_text()
    # Who drove the growth, for each metric with a limit: in the JSON, the Markdown and the HTML alike.
    assert burn["contexts"]["drivers"] is None
    contributors = burn["mau"]["drivers"]["contributors"]
    assert contributors, "total MAU grew against August: someone drove it"
    markdown, page = (
        (reports / "ldusage_2026-09.md").read_text(),
        (reports / "ldusage_2026-09.html").read_text(),
    )
    assert "## Who drove the growth" in markdown and "<h2>Who drove the growth</h2>" in page
    for c in contributors:
        line = f"{c['growth']:+,.0f} ({c['share']:.0%} of the increase): {c['label']}"
        assert f"- {line}" in markdown
        assert f"<li>{html.escape(line)}</li>" in page
