"""The sensor's month on the DAG's calendar, the reserved ``tz`` filter, hook_params for the triggerer,
and the one observe-judge-result function shared by the sensor and the trigger."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pendulum
import pytest
from airflow.sdk import DAG

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.sensors.finality import (
    FinalityRule,
    FinalityState,
    MonthWindow,
    month_arguments,
)
from airflow_provider_ldusage.sensors.month_end import LaunchDarklyMonthEndSensor

UTC = timezone.utc


def _tokyo_context() -> dict[str, Any]:
    with DAG(
        "tokyo_close", schedule="@monthly", start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Tokyo")
    ) as dag:
        pass
    return {"dag": dag, "logical_date": pendulum.datetime(2026, 3, 1, tz="Asia/Tokyo")}


def test_default_month_follows_the_dags_calendar() -> None:
    sensor = LaunchDarklyMonthEndSensor(task_id="close")
    context = _tokyo_context()
    # 2026-03-01T00:00+09:00 is 2026-02-28T15:00Z: the DAG's calendar just closed February.
    assert sensor.resolve_month(context).label == "2026-02"  # type: ignore[arg-type]
    # ... which is what the operators' previous_month reads for the same run.
    from airflow_provider_ldusage.windows.periods import resolve_window

    w = resolve_window(
        preset="previous_month", logical_date=context["logical_date"], timezone=context["dag"].timezone
    )
    window = sensor.resolve_month(context)  # type: ignore[arg-type]
    assert (
        (w.start, w.end)
        == (window.start, window.end)
        == (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    )


def test_default_month_without_a_dag_is_utc() -> None:
    sensor = LaunchDarklyMonthEndSensor(task_id="close")
    assert sensor.resolve_month({"logical_date": datetime(2026, 3, 1, tzinfo=UTC)}).label == "2026-02"  # type: ignore[arg-type]


def test_explicit_instant_month_is_placed_on_the_dags_calendar() -> None:
    sensor = LaunchDarklyMonthEndSensor(task_id="close", month="2026-02-28T16:00:00Z")
    assert sensor.resolve_month(_tokyo_context()).label == "2026-03"  # type: ignore[arg-type]
    assert (
        LaunchDarklyMonthEndSensor(task_id="m", month="2026-02").resolve_month(_tokyo_context()).label
        == "2026-02"
    )  # type: ignore[arg-type]


def test_tz_filter_is_reserved() -> None:
    filters = {"project_key": "p", "environment_key": "e", "feature_flag_key": "f", "tz": "Asia/Tokyo"}
    with pytest.raises(LaunchDarklyUsageValidationError, match=r"no tz.*UTC days"):
        month_arguments(endpoint("getEvaluationsUsage"), MonthWindow(2026, 3), filters)


def test_naive_month_datetime_is_refused() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="naive"):
        MonthWindow.parse(datetime(2026, 3, 1))


def test_non_json_hook_params_fail_at_init_when_deferrable() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match=r"hook_params\['read_timeout'\]"):
        LaunchDarklyMonthEndSensor(
            task_id="close", deferrable=True, hook_params={"read_timeout": timedelta(seconds=5)}
        )
    # Not deferrable: the sync hook takes any Python value.
    LaunchDarklyMonthEndSensor(task_id="ok", hook_params={"read_timeout": timedelta(seconds=5)})
    LaunchDarklyMonthEndSensor(task_id="ok2", deferrable=True, hook_params={"read_timeout": 5.0})


def test_trigger_refuses_rather_than_drops_non_json_hook_params() -> None:
    from airflow_provider_ldusage.triggers.month_end import LaunchDarklyMonthEndTrigger

    with pytest.raises(LaunchDarklyUsageValidationError, match="hook_params"):
        LaunchDarklyMonthEndTrigger(
            month="2026-02",
            operation="getMAUTotalUsage",
            filters=None,
            rule=FinalityRule(settle_period=timedelta(0), stable_observations=1).to_json(),
            poll_interval=1,
            end_time=0,
            hook_params={"sleep": print},
        )


def test_assess_is_the_one_observe_judge_result_path() -> None:
    from airflow_provider_ldusage.sensors import finality

    window = MonthWindow(2026, 2)
    start = int(window.start.timestamp() * 1000)
    body = {"metadata": [{}], "series": [{"time": start + i * 86_400_000, "0": i + 1} for i in range(28)]}
    rule = FinalityRule(settle_period=timedelta(0), stable_observations=1)
    verdict, state, result = finality.assess(
        rule=rule,
        window=window,
        state=FinalityState(),
        body=body,
        at=datetime(2026, 3, 5, tzinfo=UTC),
        operation="getMAUTotalUsage",
        filters=None,
        cumulative=True,
    )
    assert verdict.done and result is not None and result["total"] == 28 and len(state.observations) == 1
    early, _, nothing = finality.assess(
        rule=FinalityRule(),
        window=window,
        state=FinalityState(),
        body=body,
        at=datetime(2026, 3, 2, tzinfo=UTC),
        operation="getMAUTotalUsage",
        filters=None,
        cumulative=True,
    )
    assert early.code == "before_settle" and nothing is None
    # The sensor and the trigger use it rather than their own copies.
    import inspect

    from airflow_provider_ldusage.sensors import month_end as sensor_module
    from airflow_provider_ldusage.triggers import month_end as trigger_module

    for module in (sensor_module, trigger_module):
        source = inspect.getsource(module)
        # Called directly (the sensor) or handed to a worker thread (the trigger: to_thread(assess, ...)).
        assert re.search(r"\bassess[(,]", source)
        assert "summarize(" not in source and "final_result(" not in source
