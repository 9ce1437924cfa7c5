"""Every Airflow import that differs between the supported release lines (3.0 to 3.3), in one place.

The rest of the package imports these names from here, never from a version-specific Airflow module, so
adding or dropping a release line changes this file only. Each fallback says which Airflow it is for.
Only cheap, parse-time-safe modules are imported (``airflow.sdk``, ``airflow.exceptions``,
``airflow.configuration`` are loaded by Airflow itself before any DAG file is parsed).
"""

from __future__ import annotations

import airflow

#: The running Airflow as ``(major, minor)``, for features that exist only on newer lines.
AIRFLOW_VERSION: tuple[int, int] = tuple(int(p) for p in airflow.__version__.split(".")[:2])  # type: ignore[assignment]

#: The task state store (``context["task_state_store"]``) that reschedule mode keeps observations in.
HAS_TASK_STATE_STORE: bool = AIRFLOW_VERSION >= (3, 3)

#: Connection forms built from provider metadata without importing the hook (seen on 3.3, not 3.2.0); older
#: Airflow imports the hook class for its widgets instead, and shows the same form.
HAS_DECLARATIVE_CONNECTION_FORMS: bool = AIRFLOW_VERSION >= (3, 3)

try:  # Airflow >= 3.2: the task SDK owns the exceptions a task raises.
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
        AirflowTaskTimeout,
    )
except ImportError:  # Airflow 3.0 and 3.1: still in airflow.exceptions.
    from airflow.exceptions import (  # type: ignore[no-redef]
        AirflowException,
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
        AirflowTaskTimeout,
    )

try:  # Airflow >= 3.2
    from airflow.sdk import conf
except ImportError:  # Airflow 3.0 and 3.1
    from airflow.configuration import conf  # type: ignore[assignment]

try:  # Airflow >= 3.1
    from airflow.sdk import BaseHook
except ImportError:  # Airflow 3.0
    from airflow.hooks.base import BaseHook  # type: ignore[no-redef,attr-defined]


__all__ = [
    "AIRFLOW_VERSION",
    "HAS_DECLARATIVE_CONNECTION_FORMS",
    "HAS_TASK_STATE_STORE",
    "AirflowException",
    "AirflowFailException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
    "BaseHook",
    "conf",
]
