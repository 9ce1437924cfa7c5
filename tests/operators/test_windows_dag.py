"""Windows in real ``dag.test()`` runs against the emulator: the exact ``from``/``to`` the emulator saw."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from tests.dag_runs import DagRunner, ms, state_of, window_params, xcom

UTC = timezone.utc
HEADER = """
from datetime import datetime, timedelta, timezone
from airflow.sdk import DAG
from tests.airflow_compat import CronDataIntervalTimetable
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator, {op}
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
with DAG(DAG_ID, schedule={schedule}, start_date=START, catchup=False{dag_extra}) as dag:
    {op}(task_id="usage"{task_extra})
"""


def dag_source(
    schedule: str, op: str = "LaunchDarklyMauTotalUsageOperator", task_extra: str = "", dag_extra: str = ""
) -> str:
    return HEADER.format(schedule=schedule, op=op, task_extra=task_extra, dag_extra=dag_extra)


MAU = "LaunchDarklyMauTotalUsageOperator"  # daily buckets at UTC midnight
# Sub-day periods are read from endpoints whose buckets fit them (a period that holds no whole
# bucket of the endpoint is refused, see test_alignment.py): hourly buckets, or server-chosen ones.
HOURLY = ("LaunchDarklyExperimentationEventsUsageOperator", ', granularity="hourly"')
AUTO = ("LaunchDarklyEventsUsageOperator", ', type="received"')


@pytest.mark.parametrize(
    ("schedule", "logical", "start", "end", "op"),
    [
        (
            '"@daily"',
            datetime(2026, 3, 2, tzinfo=UTC),
            "2026-03-01T00:00:00Z",
            "2026-03-02T00:00:00Z",
            (MAU, ""),
        ),
        (
            '"@hourly"',
            datetime(2026, 3, 2, 7, tzinfo=UTC),
            "2026-03-02T06:00:00Z",
            "2026-03-02T07:00:00Z",
            HOURLY,
        ),
        (
            '"@monthly"',
            datetime(2026, 3, 1, tzinfo=UTC),
            "2026-02-01T00:00:00Z",
            "2026-03-01T00:00:00Z",
            (MAU, ""),
        ),
        (
            '"30 6 * * 1-5"',
            datetime(2026, 3, 2, 6, 30, tzinfo=UTC),
            "2026-02-27T06:30:00Z",
            "2026-03-02T06:30:00Z",
            AUTO,
        ),
        (
            "timedelta(hours=12)",
            datetime(2026, 3, 2, 12, tzinfo=UTC),
            "2026-03-02T00:00:00Z",
            "2026-03-02T12:00:00Z",
            HOURLY,
        ),
        (
            'CronDataIntervalTimetable("@daily", timezone="UTC")',
            datetime(2026, 3, 2, tzinfo=UTC),  # a triggered run covers the interval that closed before it
            "2026-03-01T00:00:00Z",
            "2026-03-02T00:00:00Z",
            (MAU, ""),
        ),
    ],
    ids=["daily", "hourly", "monthly", "cron", "timedelta", "CronDataIntervalTimetable"],
)
def test_default_window_follows_schedule(
    run_dag: DagRunner,
    launchdarkly_emulator: Any,
    schedule: str,
    logical: datetime,
    start: str,
    end: str,
    op: tuple[str, str],
) -> None:
    dr = run_dag(dag_source(schedule, op=op[0], task_extra=op[1]), logical_date=logical)
    assert state_of(dr) == "success"
    assert window_params(launchdarkly_emulator) == [(ms(start), ms(end))]
    rows = xcom(dr, "usage")
    assert rows and all((r["window_start"], r["window_end"]) == (start, end) for r in rows)


def test_a_sub_day_schedule_on_daily_buckets_is_refused_not_landed_empty(
    run_dag: DagRunner, launchdarkly_emulator: Any
) -> None:
    dr = run_dag(dag_source('"@hourly"'), logical_date=datetime(2026, 3, 2, 7, tzinfo=UTC))
    assert state_of(dr) == "failed"
    assert launchdarkly_emulator.requests == []


def test_manual_run_without_interval_fails_before_any_request(
    run_dag: DagRunner, launchdarkly_emulator: Any
) -> None:
    dr = run_dag(dag_source("None"))
    assert state_of(dr) == "failed"
    assert launchdarkly_emulator.requests == []


def test_explicit_templated_window_and_macros(run_dag: DagRunner, launchdarkly_emulator: Any) -> None:
    extra = ', start="{{ (logical_date - macros.timedelta(days=3)) | ts }}", end="{{ logical_date | ts }}"'
    dr = run_dag(dag_source('"@daily"', task_extra=extra), logical_date=datetime(2026, 3, 5, tzinfo=UTC))
    assert state_of(dr) == "success"
    assert window_params(launchdarkly_emulator) == [(ms("2026-03-02T00:00:00Z"), ms("2026-03-05T00:00:00Z"))]


def test_data_interval_templates_on_a_non_empty_interval(
    run_dag: DagRunner, launchdarkly_emulator: Any
) -> None:
    extra = ', start="{{ data_interval_start }}", end="{{ data_interval_end.int_timestamp }}"'
    source = dag_source('CronDataIntervalTimetable("@daily", timezone="UTC")', task_extra=extra)
    dr = run_dag(source, logical_date=datetime(2026, 3, 2, tzinfo=UTC))
    assert state_of(dr) == "success"
    assert dr.data_interval_start < dr.data_interval_end
    assert window_params(launchdarkly_emulator) == [(ms("2026-03-01T00:00:00Z"), ms("2026-03-02T00:00:00Z"))]


def test_native_rendering_and_seconds_endpoint(run_dag: DagRunner, launchdarkly_emulator: Any) -> None:
    # Native rendering yields pendulum DateTimes; serverside-contexts takes epoch seconds on the wire.
    extra = ', start="{{ logical_date - macros.timedelta(days=2) }}", end="{{ logical_date }}"'
    source = dag_source(
        '"@daily"',
        op="LaunchDarklyContextsServersideUsageOperator",
        task_extra=extra,
        dag_extra=", render_template_as_native_obj=True",
    ).replace("LaunchDarklyMauTotalUsageOperator, ", "")
    dr = run_dag(source, logical_date=datetime(2026, 3, 5, tzinfo=UTC))
    assert state_of(dr) == "success"
    start, end = int(ms("2026-03-03T00:00:00Z")) // 1000, int(ms("2026-03-05T00:00:00Z")) // 1000
    assert window_params(launchdarkly_emulator) == [(str(start), str(end))]


def test_preset_window(run_dag: DagRunner, launchdarkly_emulator: Any) -> None:
    dr = run_dag(
        dag_source('"@daily"', task_extra=', window="previous_month"'),
        logical_date=datetime(2026, 3, 10, tzinfo=UTC),
    )
    assert state_of(dr) == "success"
    assert window_params(launchdarkly_emulator) == [(ms("2026-02-01T00:00:00Z"), ms("2026-03-01T00:00:00Z"))]


def test_500_day_window_split_and_merged(run_dag: DagRunner, launchdarkly_emulator: Any) -> None:
    extra = ', start="2024-10-01T00:00:00Z", end="2026-02-13T00:00:00Z", aggregation_type="incremental", max_xcom_rows=1000'  # noqa: E501
    dr = run_dag(dag_source('"@daily"', task_extra=extra), logical_date=datetime(2026, 3, 2, tzinfo=UTC))
    assert state_of(dr) == "success"
    assert window_params(launchdarkly_emulator) == [
        (ms("2024-10-01T00:00:00Z"), ms("2025-10-01T00:00:00Z")),
        (ms("2025-10-01T00:00:00Z"), ms("2026-02-13T00:00:00Z")),
    ]
    rows = xcom(dr, "usage")
    times = [r["time"] for r in rows]
    assert len(times) == len(set(times)) == 500  # one daily bucket per day, none duplicated
    assert times[0] == "2024-10-01T00:00:00Z" and times[-1] == "2026-02-12T00:00:00Z"
    assert {(r["window_start"], r["window_end"]) for r in rows} == {
        ("2024-10-01T00:00:00Z", "2026-02-13T00:00:00Z")
    }
