"""LaunchDarklyUsageBudgetOperator end to end in dag.test() against the emulator.

Limits are set from the emulator's own settled month-end figures (its facts, not the forecaster): one
metric at half its limit, one ending near 90 % of it (crosses 80 %), one ending near 118 % (crosses 100 %).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.testing.emulator import Emulator, SeriesQuery
from tests.dag_runs import DagRunner, state_of, xcom

UTC = timezone.utc
LOGICAL = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
JUNE = (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))
METRICS = {
    "service_connection_minutes": "getServiceConnectionsUsage",  # under: limit twice the month
    "client_mau": "getMAUClientsideUsage",  # month ends at 90 % of the limit
    "observability_logs": "getObservabilityLogsUsage",  # month ends at 118 % of the limit
}
SHARE_OF_LIMIT = {"service_connection_minutes": 0.5, "client_mau": 0.9, "observability_logs": 1 / 0.85}


def month_end(emulator: Emulator, operation: str) -> float:
    """The June total once everything has settled, from the emulator's facts."""
    query = SeriesQuery(operation, *JUNE, aggregation="month_to_date", granularity="daily")
    body = emulator.data.series(query, datetime(2030, 1, 1, tzinfo=UTC))
    last = body["series"][-1]
    assert datetime.fromtimestamp(last["time"] / 1000, UTC).date() == date(2026, 6, 30)
    return float(sum(v for k, v in last.items() if k != "time"))


def limits_for(emulator: Emulator) -> dict[str, float]:
    return {name: round(month_end(emulator, op) / SHARE_OF_LIMIT[name]) for name, op in METRICS.items()}


def budget_dag(limits: Any, out: Path | None, extra: str = "") -> str:
    output = f', output_path="{out}"' if out else ""
    return f"""
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.budget import LaunchDarklyUsageBudgetOperator
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyUsageBudgetOperator(task_id="budget", limits={limits!r}, month="2026-06"{output}{extra})
"""


def asset_events(uri: str) -> list[dict[str, Any]]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        events = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.uri == uri)
            .all()
        )
        return [dict(e.extra) for e in events]


def landed(out: Path) -> tuple[Path, list[dict[str, Any]]]:
    files = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert len(files) == 1, files
    assert files[0].parent.parent.name == "usageBudget" and files[0].name.startswith("asof_2026")
    assert not [p for p in out.rglob(".*.tmp")]
    return files[0], [json.loads(line) for line in files[0].read_text().splitlines()]


def check_verdict(verdict: dict[str, Any], limits: dict[str, float], emulator: Emulator) -> None:
    metrics = verdict["metrics"]
    assert verdict["month"] == "2026-06" and verdict["as_of"] == "2026-06-15T12:00:00Z"
    assert set(metrics) == set(METRICS)
    assert {name: m["status"] for name, m in metrics.items()} == {
        "service_connection_minutes": "ok",
        "client_mau": "warning",
        "observability_logs": "over",
    }
    assert metrics["client_mau"]["threshold_crossed"] == 0.8
    assert metrics["observability_logs"]["threshold_crossed"] == 1.0
    assert metrics["service_connection_minutes"]["threshold_crossed"] is None
    for name, m in metrics.items():
        truth = month_end(emulator, METRICS[name])
        assert m["limit"] == limits[name]
        assert m["last_day"] == "2026-06-14" and m["days_observed"] == 14
        assert m["low"] <= m["expected"] <= m["high"] and m["actual"] <= m["low"]
        assert m["expected"] == pytest.approx(truth, rel=0.06), name
        assert m["share_of_limit"] == pytest.approx(m["expected"] / m["limit"])
        assert m["kind"] == ("distinct" if name == "client_mau" else "additive")
    # The limit is not reached yet, but it is expected to be, later this month.
    over = metrics["observability_logs"]
    assert over["actual"] < over["limit"]
    assert "2026-06-15" <= over["crossing_day"] <= "2026-06-30"
    assert metrics["client_mau"]["crossing_day"] is None
    assert metrics["client_mau"]["threshold_days"]["0.8"] is not None
    assert [b.split()[0] for b in verdict["breaches"]] == ["client_mau", "observability_logs"]


def test_the_default_fails_the_task_and_still_records_the_verdict(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    limits = limits_for(launchdarkly_emulator)
    dr = run_dag(budget_dag(limits, tmp_path), logical_date=LOGICAL)
    assert state_of(dr, "budget") == "failed"
    verdict = xcom(dr, "budget")
    check_verdict(verdict, limits, launchdarkly_emulator)
    assert verdict["status"] == "over" and verdict["on_breach"] == "fail"
    path, lines = landed(tmp_path)
    assert verdict["path"] == path.as_uri()
    assert {line["metric"]: line for line in lines} == {
        name: {"month": "2026-06", "as_of": verdict["as_of"], **m} for name, m in verdict["metrics"].items()
    }
    # One request per metric, all month-to-date daily over June up to the run's time; a crossing adds the
    # breakdown by the metric's groupBy dimensions, June and May (observability logs offer none).
    requests = [r for r in launchdarkly_emulator.requests if r.operation_id]
    plain = [r for r in requests if "groupBy" not in dict(r.query)]
    grouped = [r for r in requests if "groupBy" in dict(r.query)]
    assert sorted(r.operation_id for r in plain) == sorted(METRICS.values())
    assert [r.operation_id for r in grouped] == ["getMAUClientsideUsage"] * 2
    for record in requests:
        query = dict(record.query)
        assert (query["aggregationType"], query["granularity"]) == ("month_to_date", "daily")
    assert verdict["metrics"]["client_mau"]["drivers"]["period"] == (
        "2026-06-01..2026-06-14 against 2026-05-01..2026-05-14"
    )
    assert verdict["metrics"]["observability_logs"]["drivers"] is None
    # Airflow records no Asset events of a failed task.
    assert asset_events(path.parent.as_uri()) == []


def test_record_only_succeeds_and_announces_the_verdict(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = limits_for(launchdarkly_emulator)
    # Templated: the limits come from a Variable.
    monkeypatch.setenv("AIRFLOW_VAR_LDUSAGE_BUDGET_LIMITS", json.dumps(limits))
    body = budget_dag("{{ var.json.ldusage_budget_limits }}", tmp_path, extra=', on_breach="record"')
    dr = run_dag(body, logical_date=LOGICAL)
    assert state_of(dr, "budget") == "success"
    verdict = xcom(dr, "budget")
    check_verdict(verdict, limits, launchdarkly_emulator)
    path, lines = landed(tmp_path)
    assert len(lines) == 3
    events = asset_events(path.parent.as_uri())
    assert len(events) == 1
    extra = events[0]
    assert extra["status"] == "over" and extra["path"] == path.as_uri() and extra["month"] == "2026-06"
    assert {n: m["status"] for n, m in json.loads(extra["metrics"]).items()} == {
        n: m["status"] for n, m in verdict["metrics"].items()
    }


def test_without_output_path_the_event_goes_to_a_named_asset(
    run_dag: DagRunner, launchdarkly_emulator: Emulator
) -> None:
    limits = {"service_connection_minutes": 1e12}
    dr = run_dag(budget_dag(limits, None), logical_date=LOGICAL)
    assert state_of(dr, "budget") == "success"
    verdict = xcom(dr, "budget")
    assert verdict["status"] == "ok" and verdict["path"] is None and verdict["breaches"] == []
    alias = f"launchdarkly_budget__{dr.dag_id}__budget"
    assert len(asset_events(f"{alias}__2026-06")) == 1


@pytest.mark.parametrize(
    ("limits", "parameter"),
    [
        ({"client_maus": 5}, "metric"),
        ({"client_mau": 0}, "limits['client_mau']"),
        ({"client_mau": -5}, "limits['client_mau']"),
        ({"client_mau": "lots"}, "limits['client_mau']"),
        ({}, "limits"),
    ],
)
def test_bad_limits_are_refused_when_the_dag_is_built(limits: dict[str, Any], parameter: str) -> None:
    from airflow_provider_ldusage.operators.budget import LaunchDarklyUsageBudgetOperator

    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        LaunchDarklyUsageBudgetOperator(task_id="budget", limits=limits)
    assert caught.value.parameter == parameter


@pytest.mark.parametrize(
    "extra",
    [
        ', month="2026-07"',  # no data yet: June 15 is the run's time
        ', month="{{ params.month }}", params={"month": "June"}',  # rendered, then refused
    ],
)
def test_a_month_without_data_or_malformed_fails_before_any_request(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, extra: str
) -> None:
    body = budget_dag({"client_mau": 500_000}, None).replace(', month="2026-06"', extra)
    dr = run_dag(body, logical_date=LOGICAL)
    assert state_of(dr, "budget") == "failed"
    assert [r for r in launchdarkly_emulator.requests if r.operation_id] == []


def test_templated_bad_limit_fails_before_any_request(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_LDUSAGE_BUDGET_LIMITS", json.dumps({"client_mau": -1}))
    dr = run_dag(budget_dag("{{ var.json.ldusage_budget_limits }}", None), logical_date=LOGICAL)
    assert state_of(dr, "budget") == "failed"
    assert [r for r in launchdarkly_emulator.requests if r.operation_id] == []
