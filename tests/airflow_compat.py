"""Airflow names the tests use whose home differs between the supported release lines (2.11, 3.0 to 3.3).

Test modules import them from here, so the suite itself has no version-only imports.
"""

from __future__ import annotations

from typing import Any

try:  # Airflow >= 3.3: the timetables a DAG author uses live in the task SDK.
    from airflow.sdk import CronDataIntervalTimetable, CronTriggerTimetable, DeltaTriggerTimetable
except ImportError:  # Airflow 2.11 to 3.2
    from airflow.timetables.interval import CronDataIntervalTimetable  # type: ignore[no-redef]
    from airflow.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable  # type: ignore[no-redef]


def dagbag_class() -> type:
    """Airflow's ``DagBag``; imported on call, since it loads the whole scheduler side of Airflow."""
    try:  # Airflow >= 3.3
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2.11 to 3.2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
    return DagBag


def dag_test_as_on_airflow_3() -> None:
    """On Airflow 2.11, ``DAG.test()`` as the tests call it on Airflow 3.

    2.11 names the run's date ``execution_date`` (the tests pass ``logical_date``), and its ``dag.test()``
    does not write the DAG to the metadata DB first, as the DAG processor does before any real run, so the
    Dataset aliases of the operators' outlets would not exist when a task reports an event through them.
    The wrapper renames the argument and writes the DAG (``sync_to_db``); the run itself is 2.11's own.
    """
    import functools

    import airflow

    if int(airflow.__version__.split(".")[0]) >= 3:
        return
    from airflow.models.dag import DAG

    original = DAG.test
    if getattr(original, "_renames_logical_date", False):
        return

    @functools.wraps(original)
    def test(self: Any, *args: Any, logical_date: Any = None, **kwargs: Any) -> Any:
        if logical_date is not None:
            kwargs["execution_date"] = logical_date
        self.sync_to_db()
        return original(self, *args, **kwargs)

    test._renames_logical_date = True  # type: ignore[attr-defined]
    DAG.test = test  # type: ignore[method-assign]


def xcom_model() -> Any:
    """The XCom table's model: ``XComModel`` from Airflow 3, ``XCom`` on 2.11."""
    try:
        from airflow.models.xcom import XComModel
    except ImportError:  # Airflow 2.11
        from airflow.models.xcom import XCom as XComModel  # type: ignore[assignment]
    return XComModel


def xcom_value(value: Any) -> Any:
    """A stored XCom value as Python: JSON text on Airflow 3, JSON bytes on 2.11."""
    import json

    return json.loads(value) if isinstance(value, (str, bytes)) else value


def reschedule_count(session: Any, ti: Any) -> int:
    """How many times task instance ``ti`` was rescheduled (2.11 keys reschedules by task and run)."""
    from airflow.models.taskreschedule import TaskReschedule
    from sqlalchemy import func, select

    query = select(func.count()).select_from(TaskReschedule)
    if hasattr(TaskReschedule, "ti_id"):  # Airflow 3
        query = query.where(TaskReschedule.ti_id == ti.id)
    else:  # Airflow 2.11
        query = query.where(
            TaskReschedule.dag_id == ti.dag_id,
            TaskReschedule.run_id == ti.run_id,
            TaskReschedule.task_id == ti.task_id,
            TaskReschedule.map_index == ti.map_index,
        )
    return int(session.scalar(query) or 0)


def asset_model() -> Any:
    """The table of Assets (``AssetModel``; ``DatasetModel`` on 2.11)."""
    try:
        from airflow.models.asset import AssetModel
    except ImportError:  # Airflow 2.11
        from airflow.models.dataset import DatasetModel as AssetModel  # type: ignore[assignment]
    return AssetModel


def schedule_of(dag: Any) -> Any:
    """What the DAG was given as ``schedule`` (2.11 keeps a cron or a preset in ``schedule_interval``)."""
    return dag.schedule if hasattr(dag, "schedule") else dag.schedule_interval


__all__ = [
    "CronDataIntervalTimetable",
    "CronTriggerTimetable",
    "DeltaTriggerTimetable",
    "asset_model",
    "dag_test_as_on_airflow_3",
    "dagbag_class",
    "reschedule_count",
    "schedule_of",
    "xcom_model",
    "xcom_value",
]
