"""Month-end sensor DAGs for the sensor tests (tests/sensors), run with ``dag.test()`` against the emulator.

Small numbers throughout: the emulator's virtual clock runs fast (an hour of LaunchDarkly time per real
second or so), so "10 minutes between counted observations" passes between two pokes 0.2 s apart.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_ldusage.compat import DAG
from airflow_provider_ldusage.sensors.month_end import LaunchDarklyMonthEndSensor

RULE = {
    "settle_period": timedelta(hours=1),
    "min_observation_interval": timedelta(minutes=10),
}


#: What each failed run's sensor raised, as its ``on_failure_callback`` (a user's alerting hook) saw it:
#: run_id → ``context["exception"]``. The callback runs in-process under ``dag.test()``.
FAILURES: dict[str, BaseException | None] = {}


def _keep_failure(context: Any) -> None:
    FAILURES[context["run_id"]] = context.get("exception")


def _dag(dag_id: str, **sensor_kwargs: object) -> DAG:
    with DAG(
        dag_id, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False
    ) as dag:
        LaunchDarklyMonthEndSensor(task_id="wait_for_february", **{**RULE, **sensor_kwargs})  # type: ignore[arg-type]
    return dag


# Poke mode, month derived from the run's logical date (the month that closed before it).
poke = _dag("sensor_month_end_poke", mode="poke", poke_interval=0.2, timeout=30)
# Reschedule mode: every poke is a separate task execution; three unchanged observations needed.
reschedule = _dag(
    "sensor_month_end_reschedule",
    month="2026-02",
    mode="reschedule",
    poke_interval=0.1,
    stable_observations=3,
    timeout=60,
)
# Reschedule mode that cannot succeed in time: shows each "not yet" reason through real task executions.
reschedule_timeout = _dag(
    "sensor_month_end_reschedule_timeout",
    month="2026-02",
    mode="reschedule",
    poke_interval=0.1,
    timeout=1.5,
)
# Deferrable: a first synchronous poke, then the trigger (dag.test runs it inline), then execute_complete.
deferrable = _dag(
    "sensor_month_end_deferrable", month="{{ '2026-02' }}", deferrable=True, poll_interval=0.2, timeout=30
)
# Deferrable that cannot succeed in time, with soft_fail: the trigger's timeout event becomes a skip whose
# message says why (Airflow logs it as the task's "Skipping task." reason).
deferrable_timeout = _dag(
    "sensor_month_end_deferrable_timeout",
    month="2026-02",
    deferrable=True,
    poll_interval=0.2,
    timeout=1.5,
    soft_fail=True,
)
# The same without soft_fail: the task fails with AirflowSensorTimeout, whose message says why.
deferrable_timeout_fail = _dag(
    "sensor_month_end_deferrable_timeout_fail",
    month="2026-02",
    deferrable=True,
    poll_interval=0.2,
    timeout=1.5,
    on_failure_callback=_keep_failure,
)
