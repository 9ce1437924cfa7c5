"""Every Airflow name whose home differs between the supported lines (2.11 and 3.0 to 3.3), in one place.

The rest of the package, and the example DAGs, import these names from here, never from a version-specific
Airflow module (``tests/test_compat_imports.py`` fails on any other module that does), so adding or
dropping a release line changes this file only. Each branch says which Airflow it is for.

Two kinds of names:

* the ones a DAG file needs as soon as it imports an operator (the base classes, the exceptions, ``conf``)
  are imported when this module is: on Airflow 3 they come from ``airflow.sdk``/``airflow.exceptions``,
  which Airflow has loaded before it parses any DAG file; on 2.11 from the ``airflow.models`` modules a 2.11
  DAG file loads anyway;
* everything else (Assets, ``ObjectStoragePath``, the trigger base, DAG-authoring names, ...) is looked up
  on first use through :data:`LAZY_NAMES`, so importing this module at parse time never loads fsspec or the
  triggerer's modules.

The choice of this module over ``apache-airflow-providers-common-compat``'s ``sdk`` shims (which do the
same lookups) is explained in ``docs/compatibility.rst``: its shims exist from common-compat 1.8.0, newer
than what Airflow 2.11's constraints pin, so requiring it would refuse the constrained 2.11 installs this
module exists for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import airflow

#: The running Airflow as ``(major, minor)``, for features that exist only on newer lines.
AIRFLOW_VERSION: tuple[int, int] = tuple(int(p) for p in airflow.__version__.split(".")[:2])  # type: ignore[assignment]

#: Airflow 2.x (2.11): Datasets instead of Assets, no task SDK, ``dag.test()`` without an execution API.
AIRFLOW_2: bool = AIRFLOW_VERSION < (3, 0)

#: The task state store (``context["task_state_store"]``) that reschedule mode keeps observations in.
HAS_TASK_STATE_STORE: bool = AIRFLOW_VERSION >= (3, 3)

#: Connection forms built from provider metadata without importing the hook (seen on 3.3, not 3.2.0); older
#: Airflow imports the hook class for its widgets instead, and shows the same form.
HAS_DECLARATIVE_CONNECTION_FORMS: bool = AIRFLOW_VERSION >= (3, 3)

# mypy reads the newest branch of each (``TYPE_CHECKING or``); the older ones run on older Airflow only.
if TYPE_CHECKING or AIRFLOW_VERSION >= (3, 2):  # the task SDK owns the exceptions a task raises
    from airflow.sdk import conf
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
        AirflowTaskTimeout,
    )
else:  # Airflow 2.11 to 3.1
    from airflow.configuration import conf
    from airflow.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
        AirflowTaskTimeout,
    )

if TYPE_CHECKING or AIRFLOW_VERSION >= (3, 1):
    from airflow.sdk import BaseHook
else:  # Airflow 2.11 and 3.0
    from airflow.hooks.base import BaseHook

if TYPE_CHECKING or not AIRFLOW_2:  # Airflow 3.x
    from airflow.sdk import BaseOperator, BaseSensorOperator, PokeReturnValue
else:  # Airflow 2.11
    from airflow.models.baseoperator import BaseOperator
    from airflow.sensors.base import BaseSensorOperator, PokeReturnValue

if TYPE_CHECKING:
    from airflow.sdk import (
        DAG,
        Asset,
        AssetAlias,
        Connection,
        Context,
        ObjectStoragePath,
        Param,
        TaskGroup,
        Variable,
        task,
    )
    from airflow.sdk.exceptions import TaskDeferred
    from airflow.sdk.log import mask_secret
    from airflow.triggers.base import BaseTrigger, TriggerEvent

#: Names looked up on first use: ``name -> ((oldest Airflow, module, attribute), ...)``, newest first; the
#: first entry whose Airflow is not newer than the running one is used.
LAZY_NAMES: dict[str, tuple[tuple[tuple[int, int], str, str], ...]] = {
    "Asset": (((3, 0), "airflow.sdk", "Asset"), ((2, 11), "airflow.datasets", "Dataset")),
    "AssetAlias": (((3, 0), "airflow.sdk", "AssetAlias"), ((2, 11), "airflow.datasets", "DatasetAlias")),
    "ObjectStoragePath": (
        ((3, 0), "airflow.sdk", "ObjectStoragePath"),
        ((2, 11), "airflow.io.path", "ObjectStoragePath"),
    ),
    "BaseTrigger": (((2, 11), "airflow.triggers.base", "BaseTrigger"),),
    "TriggerEvent": (((2, 11), "airflow.triggers.base", "TriggerEvent"),),
    "TaskDeferred": (
        ((3, 2), "airflow.sdk.exceptions", "TaskDeferred"),
        ((2, 11), "airflow.exceptions", "TaskDeferred"),
    ),
    "mask_secret": (
        ((3, 1), "airflow.sdk.log", "mask_secret"),
        ((3, 0), "airflow.sdk.execution_time.secrets_masker", "mask_secret"),
        ((2, 11), "airflow.utils.log.secrets_masker", "mask_secret"),
    ),
    "Connection": (
        ((3, 0), "airflow.sdk", "Connection"),
        ((2, 11), "airflow.models.connection", "Connection"),
    ),
    # DAG authoring (the example DAGs and users' DAG files)
    "DAG": (((3, 0), "airflow.sdk", "DAG"), ((2, 11), "airflow.models.dag", "DAG")),
    "Param": (((3, 0), "airflow.sdk", "Param"), ((2, 11), "airflow.models.param", "Param")),
    "task": (((3, 0), "airflow.sdk", "task"), ((2, 11), "airflow.decorators", "task")),
    "Variable": (((3, 0), "airflow.sdk", "Variable"), ((2, 11), "airflow.models.variable", "Variable")),
    "TaskGroup": (((3, 0), "airflow.sdk", "TaskGroup"), ((2, 11), "airflow.utils.task_group", "TaskGroup")),
    "Context": (((3, 0), "airflow.sdk", "Context"), ((2, 11), "airflow.utils.context", "Context")),
}


def __getattr__(name: str) -> Any:
    """The :data:`LAZY_NAMES` entry for the running Airflow, imported on first use and kept."""
    for since, module, attribute in LAZY_NAMES.get(name, ()):
        if since <= AIRFLOW_VERSION:
            value = getattr(importlib.import_module(module), attribute)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def report_asset_event(
    context: Context, alias: str, extra: dict[str, Any], *, uri: str | None = None, name: str | None = None
) -> None:
    """Report one Asset event (a Dataset event on 2.11) for ``uri`` (or ``name``) through the alias ``alias``.

    The alias must be among the task's outlets. Airflow 2.11 registers the aliases of mapped tasks' outlets
    nowhere (its DAG processor reads only the outlets of unmapped tasks, and a mapped usage operator adds its
    alias when it is unmapped), and then fails the task on an unknown alias; so on 2.11 the alias row is
    created first, as 2.11 itself creates a Dataset it does not know yet. Datasets have no name, only a URI.
    """
    make = __getattr__("Asset")
    if AIRFLOW_2:
        _register_dataset_alias(alias)
        asset = make(uri=uri or name)
    else:
        asset = make(uri=uri) if uri else make(name=name)
    context["outlet_events"][__getattr__("AssetAlias")(name=alias)].add(asset, extra=extra)


def _register_dataset_alias(name: str) -> None:
    """Airflow 2.11: the ``DatasetAliasModel`` row of alias ``name``, created when missing."""
    from airflow.models.dataset import DatasetAliasModel
    from airflow.utils.session import create_session

    def known() -> bool:
        with create_session() as session:
            return session.query(DatasetAliasModel.id).filter_by(name=name).first() is not None

    if known():
        return
    try:
        with create_session() as session:
            session.add(DatasetAliasModel(name=name))
    except Exception:
        if not known():  # not another mapped instance creating it at the same moment
            raise


async def aget_connection(conn_id: str) -> Connection:
    """Connection ``conn_id``, fetched without blocking the event loop (for triggers).

    ``BaseHook.aget_connection`` from Airflow 3.1; before, the sync lookup in asgiref's worker thread, from
    where Airflow 3.0's triggerer still routes it to its supervisor (as common-compat's
    ``get_async_connection`` does).
    """
    if hasattr(BaseHook, "aget_connection"):  # Airflow >= 3.1
        return await BaseHook.aget_connection(conn_id)
    from asgiref.sync import sync_to_async  # Airflow 2.11 and 3.0

    return await sync_to_async(BaseHook.get_connection)(conn_id)


async def aextra_dejson(conn: Connection) -> dict[str, Any]:
    """The connection's extra as a dict: ``aextra_dejson`` (async secret masking) where Airflow has it."""
    if hasattr(conn, "aextra_dejson"):  # Airflow >= 3.3.2
        return await conn.aextra_dejson()
    return conn.extra_dejson


__all__ = [
    "AIRFLOW_2",
    "AIRFLOW_VERSION",
    "DAG",
    "HAS_DECLARATIVE_CONNECTION_FORMS",
    "HAS_TASK_STATE_STORE",
    "LAZY_NAMES",
    "AirflowException",
    "AirflowFailException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
    "Asset",
    "AssetAlias",
    "BaseHook",
    "BaseOperator",
    "BaseSensorOperator",
    "BaseTrigger",
    "Connection",
    "Context",
    "ObjectStoragePath",
    "Param",
    "PokeReturnValue",
    "TaskDeferred",
    "TaskGroup",
    "TriggerEvent",
    "Variable",
    "aextra_dejson",
    "aget_connection",
    "conf",
    "mask_secret",
    "report_asset_event",
    "task",
]
