"""Who drives a crossing or a spike: the budget operator against an emulator with a runaway SDK.

The emulator injects a client-side SDK sending a fresh context key per page view (5,000 new contexts a day)
in one environment from October 9th; the run of October 10th reads days 1-9 (the 9th still settling).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.operators.budget import _fmt
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig, SeriesQuery
from tests.dag_runs import DagRunner, state_of, xcom

UTC = timezone.utc
NOW = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)
OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
RUNAWAY = {
    "project": "default",
    "environment": "production",
    "sdk": "JavaScript",
    "from_day": "2026-10-09",
    "extra_per_day": 5000,
}


@pytest.fixture
def launchdarkly_emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    return EmulatorConfig(seed=1, now=NOW, runaway=getattr(request, "param", None))


def normal_month_end(operation: str) -> float:
    """October's settled month-end figure of the account without the runaway."""
    from airflow_provider_ldusage.testing.emulator.state import EmulatorState

    data = EmulatorState(EmulatorConfig(seed=1)).data
    query = SeriesQuery(operation, *OCTOBER, aggregation="month_to_date", granularity="daily")
    last = data.series(query, datetime(2030, 1, 1, tzinfo=UTC))["series"][-1]  # type: ignore[index]
    return float(sum(v for k, v in last.items() if k != "time"))


def labels_of(emulator: Emulator) -> dict[str, dict[str, str]]:
    account = emulator.data.account
    return {
        "projectId": {p.id: p.key for p in account.projects},
        "environmentId": {e.id: f"{e.project_key}/{e.key}" for e in account.environments},
    }


def budget_dag(
    limits: dict[str, float], out: Path, labels: dict[str, dict[str, str]], extra: str = ""
) -> str:
    return f"""
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.budget import LaunchDarklyUsageBudgetOperator
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyUsageBudgetOperator(
        task_id="budget", limits={limits!r}, output_path="{out}", detect_spikes=True,
        labels={json.dumps(labels)!r}{extra},
    )
"""


@pytest.mark.parametrize("launchdarkly_emulator_config", [RUNAWAY], indirect=True)
def test_the_alert_of_the_next_day_names_the_runaway_sdk_first_with_its_share(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    # A limit the month would have ended at 90 % of without the runaway: the forecast crosses 80 %.
    limits = {"client_mau": round(normal_month_end("getMAUClientsideUsage") / 0.9)}
    dr = run_dag(budget_dag(limits, tmp_path, labels_of(launchdarkly_emulator)), logical_date=NOW)
    assert state_of(dr, "budget") == "failed"  # on_breach="fail": the failure is the alert
    verdict = xcom(dr, "budget")
    mau = verdict["metrics"]["client_mau"]
    runaway_first = "project `default`, environment `default/production`, SDK `JavaScript`"

    # The crossing: October 1-9 against September 1-9, the runaway's group first.
    assert mau["threshold_crossed"] is not None and mau["last_day"] == "2026-10-09"
    top = mau["drivers"]["contributors"][0]
    assert top["label"].startswith(runaway_first)
    project = launchdarkly_emulator.data.account.project("default")
    assert project is not None and top["group"]["projectId"] == project.id
    assert top["group"]["sdkName"] == "JavaScript"
    # One day of 5,000 extra contexts, the 9th read while settling (65 % of it): well ahead of the rest,
    # whose month-over-month changes are noise.
    second = mau["drivers"]["contributors"][1]
    assert top["growth"] > 2500 and top["share"] > 2 * second["share"]
    assert top["share"] == pytest.approx(top["growth"] / mau["drivers"]["increase"])
    assert (
        f"driven by +{_fmt(top['growth'])} ({top['share']:.0%} of the increase) from {runaway_first}"
        in (mau["message"])
    )
    assert "2026-10-01..2026-10-09 against 2026-09-01..2026-09-09" in mau["message"]

    # The spike of the 9th, flagged on the 10th, with the same breakdown.
    spike = mau["spike"]
    assert spike["day"] == "2026-10-09" and spike["increment"] > spike["high"]
    spike_top = spike["drivers"]["contributors"][0]
    assert spike_top["label"].startswith(runaway_first) and spike_top["share"] > 0.8
    assert spike_top["growth"] == pytest.approx(spike["excess"], rel=0.2)
    assert f"from {runaway_first}" in spike["message"]
    assert verdict["spikes"] == [spike["message"]]
    assert mau["message"] in verdict["breaches"]

    # The landed verdict carries both.
    (path,) = [p for p in tmp_path.rglob("*.jsonl")]
    (line,) = [json.loads(x) for x in path.read_text().splitlines()]
    assert line["drivers"] == mau["drivers"] and line["spike"] == spike


@pytest.mark.parametrize("launchdarkly_emulator_config", [RUNAWAY], indirect=True)
def test_the_asset_event_carries_the_drivers_as_flat_values(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    from tests.budgets.test_budget_operator import asset_events

    limits = {"client_mau": round(normal_month_end("getMAUClientsideUsage") / 0.9)}
    body = budget_dag(limits, tmp_path, labels_of(launchdarkly_emulator), extra=', on_breach="record"')
    dr = run_dag(body, logical_date=NOW)
    assert state_of(dr, "budget") == "success"
    (path,) = [p for p in tmp_path.rglob("*.jsonl")]
    (extra,) = asset_events(path.parent.as_uri())
    assert all(not isinstance(v, (dict, list)) for v in extra.values())
    drivers = json.loads(extra["drivers"])["client_mau"]
    assert drivers[0]["label"].startswith(
        "project `default`, environment `default/production`, SDK `JavaScript`"
    )
    spikes = json.loads(extra["spikes"])
    assert spikes["client_mau"]["day"] == "2026-10-09"
    assert spikes["client_mau"]["drivers"][0]["label"] == drivers[0]["label"]


def test_a_normal_month_raises_no_spike_and_asks_for_no_breakdown(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    limits = {"client_mau": 1e9, "total_contexts": 1e9, "service_connection_minutes": 1e12}
    dr = run_dag(budget_dag(limits, tmp_path, {}), logical_date=NOW)
    assert state_of(dr, "budget") == "success"
    verdict = xcom(dr, "budget")
    assert verdict["spikes"] == [] and verdict["breaches"] == []
    assert all(m["spike"] is None and m["drivers"] is None for m in verdict["metrics"].values())
    # One ungrouped request per metric: no crossing, no spike, no breakdown.
    requests = [r for r in launchdarkly_emulator.requests if r.operation_id]
    assert len(requests) == 3 and not any("groupBy" in dict(r.query) for r in requests)


def test_no_day_of_the_emulators_normal_months_is_a_spike() -> None:
    """Every metric, every day from the 6th of two settled months: no false alarm (the benchmark measures
    the rate over many more months)."""
    from airflow_provider_ldusage.budgets import BUDGET_METRICS, budget_endpoint
    from airflow_provider_ldusage.budgets.spikes import detect_spike
    from airflow_provider_ldusage.testing.emulator.state import EmulatorState

    data = EmulatorState(EmulatorConfig(seed=1)).data
    flagged = []
    checked = 0
    for month in (3, 6):
        start = datetime(2025, month, 1, tzinfo=UTC)
        end = datetime(2025 + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        for metric in BUDGET_METRICS:
            endpoint, kind = budget_endpoint(metric)
            query = SeriesQuery(
                endpoint.operation_id, start, end, aggregation="month_to_date", granularity="daily"
            )
            series = {
                datetime.fromtimestamp(p["time"] / 1000, UTC).date(): float(
                    sum(v for k, v in p.items() if k != "time")
                )
                for p in data.series(query, datetime(2030, 1, 1, tzinfo=UTC))["series"]  # type: ignore[attr-defined]
            }
            label = f"2025-{month:02d}"
            for day in sorted(series)[5:]:
                seen = {d: v for d, v in series.items() if d <= day}
                checked += 1
                if detect_spike(seen, month=label, kind=kind) is not None:
                    flagged.append((metric, day))
    assert checked > 800 and flagged == []


def test_the_spike_attribution_splits_the_excess_by_each_groups_recent_share() -> None:
    from airflow_provider_ldusage.budgets.spikes import Spike
    from airflow_provider_ldusage.operators.budget import spike_drivers

    a, b = {"sdkName": "a"}, {"sdkName": "b"}
    # Both groups add 100 a day for a week; on the 9th, b adds 1,100.
    current = {date(2026, 10, d): [(a, 100.0 * d), (b, 100.0 * d)] for d in range(1, 9)}
    current[date(2026, 10, 9)] = [(a, 900.0), (b, 1900.0)]
    spike = Spike(date(2026, 10, 9), 1200.0, 200.0, 320.0, 1000.0)
    drivers = spike_drivers(current, spike, 3)
    assert drivers is not None
    (top,) = drivers.contributors
    assert top.group == b and top.baseline == pytest.approx(100.0) and top.growth == pytest.approx(1000.0)


def test_the_groupby_dimensions_come_from_the_catalogue() -> None:
    from airflow_provider_ldusage.catalogue import BY_OPERATION
    from airflow_provider_ldusage.operators.budget import group_dimensions

    mau = BY_OPERATION["getMAUClientsideUsage"]
    allowed = mau.query_param("group_by")
    assert allowed is not None and group_dimensions(mau) == allowed.allowed
    # groupBy=projectId on data-export events needs explicit project keys: left out.
    export = group_dimensions(BY_OPERATION["getDataExportEventsUsage"])
    assert "projectId" not in export and "environmentId" in export
    assert group_dimensions(BY_OPERATION["getObservabilityLogsUsage"]) == ()


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"labels": "not json"}, "labels"),
        ({"labels": ["projectId"]}, "labels"),
        ({"labels": {"projectId": "web"}}, "labels['projectId']"),
        ({"top_contributors": 0}, "top_contributors"),
        ({"top_contributors": True}, "top_contributors"),
    ],
)
def test_bad_breakdown_options_are_refused_when_the_dag_is_built(
    kwargs: dict[str, Any], parameter: str
) -> None:
    from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
    from airflow_provider_ldusage.operators.budget import LaunchDarklyUsageBudgetOperator

    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        LaunchDarklyUsageBudgetOperator(task_id="budget", limits={"client_mau": 5}, **kwargs)
    assert caught.value.parameter == parameter
