"""Airflow names the tests use whose home differs between the supported release lines (3.0 to 3.3).

Test modules import them from here, so the suite itself has no version-only imports.
"""

from __future__ import annotations

try:  # Airflow >= 3.3: the timetables a DAG author uses live in the task SDK.
    from airflow.sdk import CronDataIntervalTimetable, CronTriggerTimetable, DeltaTriggerTimetable
except ImportError:  # Airflow 3.0 to 3.2
    from airflow.timetables.interval import CronDataIntervalTimetable  # type: ignore[no-redef]
    from airflow.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable  # type: ignore[no-redef]


def dagbag_class() -> type:
    """Airflow's ``DagBag``; imported on call, since it loads the whole scheduler side of Airflow."""
    try:  # Airflow >= 3.3
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 3.0 to 3.2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
    return DagBag


__all__ = ["CronDataIntervalTimetable", "CronTriggerTimetable", "DeltaTriggerTimetable", "dagbag_class"]
