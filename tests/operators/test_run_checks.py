"""through real DAG runs against the emulator: a New York ``@daily`` DAG lands whole UTC days,
an unwritable output fails before any request, ``hook_params`` fail at parse time, and ``window=`` with
explicit ``start``/``end`` warns (the alignment of a New York day is information, not a warning)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator
from tests.dag_runs import DagRunner, ms, state_of, window_params, xcom

UTC = timezone.utc


def test_a_new_york_daily_dag_lands_whole_utc_days(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    source = f"""
import pendulum
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator
with DAG(DAG_ID, schedule="@daily", start_date=pendulum.datetime(2026, 1, 1, tz="America/New_York")) as dag:
    LaunchDarklyMauTotalUsageOperator(
        task_id="usage", aggregation_type="incremental", output_path="{tmp_path}"
    )
"""
    # Midnight in New York (EST) on 2 March is 05:00Z: Airflow's period is [1 Mar 05:00Z, 2 Mar 05:00Z),
    # which holds one unfinished UTC day; the operator reads the whole UTC day 1 March instead.
    dr = run_dag(source, logical_date=datetime(2026, 3, 2, 5, tzinfo=UTC))
    assert state_of(dr) == "success"
    summary = xcom(dr, "usage")
    assert (summary["window_start"], summary["window_end"]) == (
        "2026-03-01T00:00:00Z",
        "2026-03-02T00:00:00Z",
    )
    assert window_params(launchdarkly_emulator, "getMAUTotalUsage") == [
        (ms("2026-03-01T00:00:00Z"), ms("2026-03-02T00:00:00Z"))
    ]
    rows = [
        json.loads(line) for line in Path(summary["path"].removeprefix("file://")).read_text().splitlines()
    ]
    assert summary["rows"] == len(rows) > 0 and {r["time"] for r in rows} == {"2026-03-01T00:00:00Z"}
    # The alignment is the documented result of a non-UTC schedule: logged at INFO, never as a warning.
    out, err = capfd.readouterr()  # dag.test() prints the task's log
    (line,) = [line for line in (out + err).splitlines() if "aligned to the daily UTC buckets" in line]
    assert "[info" in line and "warning" not in line.lower()


def test_an_unwritable_output_fails_before_any_request(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "landing"
    blocker.write_text("a file where the folder should be")
    dr = run_dag(
        f"""
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyMauTotalUsageOperator(task_id="usage", window="last_365_days", output_path="{blocker}/usage")
""",
        logical_date=datetime(2026, 3, 2, tzinfo=UTC),
    )
    assert state_of(dr) == "failed"
    assert launchdarkly_emulator.requests == []
    assert blocker.read_text() == "a file where the folder should be"


def test_hook_params_fail_when_the_dag_is_parsed() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        LaunchDarklyMauTotalUsageOperator(task_id="t", hook_params={"read_timout": 30})
    assert caught.value.parameter.startswith("hook_params")
    assert "read_timeout" in str(caught.value)  # did you mean
    with pytest.raises(LaunchDarklyUsageValidationError, match="hook_params"):
        LaunchDarklyMauTotalUsageOperator(task_id="t", hook_params={"read_timeout": float("nan")})


def test_window_with_explicit_start_and_end_warns(
    run_dag: DagRunner, launchdarkly_emulator: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    dr = run_dag(
        """
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator
with DAG(DAG_ID, schedule=None, start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyMauTotalUsageOperator(
        task_id="usage",
        window="previous_month",
        start="2026-03-01T00:00:00Z",
        end="2026-03-02T00:00:00Z",
    )
"""
    )
    assert state_of(dr) == "success"
    assert window_params(launchdarkly_emulator, "getMAUTotalUsage") == [
        (ms("2026-03-01T00:00:00Z"), ms("2026-03-02T00:00:00Z"))
    ]
    out, err = capfd.readouterr()  # dag.test() prints the task's log
    assert "window='previous_month' is ignored because start and end are" in out + err
