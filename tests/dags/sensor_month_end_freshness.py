"""Month-end sensor DAGs judging a data-export source, whose responses report ``dataThrough`` and
``delayed`` (tests/sensors/test_month_end_freshness.py), run with ``dag.test()`` against the emulator."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow_provider_ldusage.compat import DAG
from airflow_provider_ldusage.sensors.month_end import LaunchDarklyMonthEndSensor

TASK = "wait_for_february_exports"
RULE = {
    "settle_period": timedelta(hours=1),
    "min_observation_interval": timedelta(minutes=10),
    "operation": "getDataExportEventsUsage",
    "month": "2026-02",
}


def _dag(dag_id: str, **sensor_kwargs: object) -> DAG:
    with DAG(
        dag_id, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False
    ) as dag:
        LaunchDarklyMonthEndSensor(task_id=TASK, **{**RULE, **sensor_kwargs})  # type: ignore[arg-type]
    return dag


poke = _dag("sensor_freshness_poke", mode="poke", poke_interval=0.2, timeout=60)
reschedule = _dag("sensor_freshness_reschedule", mode="reschedule", poke_interval=0.2, timeout=60)
deferrable = _dag("sensor_freshness_deferrable", deferrable=True, poll_interval=0.2, timeout=60)
# Cannot succeed in time: the last verdict says why.
reschedule_timeout = _dag(
    "sensor_freshness_reschedule_timeout", mode="reschedule", poke_interval=0.1, timeout=1.5
)
deferrable_timeout = _dag(
    "sensor_freshness_deferrable_timeout", deferrable=True, poll_interval=0.2, timeout=1.5, soft_fail=True
)
