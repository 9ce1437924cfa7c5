"""Running DAG files with ``dag.test()`` and reading what their tasks did: shared by every test folder."""

from __future__ import annotations

import importlib.util
import itertools
import textwrap
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

#: The default emulator clock of the DAG tests: June 2026 under way (days 1-14 visible, the 13th and 14th
#: still settling), after every window the operator tests read. Folders needing another month override
#: ``launchdarkly_emulator_config``.
EMULATOR_NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)
_counter = itertools.count()


class DagRunner:
    """Write a DAG file into a bundle folder, import it, ``dag.test()`` it, and read its XComs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, body: str, *, logical_date: datetime | None = None, **test_kwargs: Any) -> Any:
        dag_id = f"ldusage_test_{next(_counter)}_{id(self) % 10_000}"
        source = textwrap.dedent(body).replace("DAG_ID", repr(dag_id))
        path = self.folder / f"{dag_id}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(dag_id, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        dag = module.dag
        if logical_date is not None:
            test_kwargs["logical_date"] = logical_date
        return dag.test(**test_kwargs)


def xcom(dag_run: Any, task_id: str) -> Any:
    """The return value a task pushed in ``dag_run``."""
    from airflow.utils.session import create_session

    from tests.airflow_compat import xcom_model, xcom_value

    XComModel = xcom_model()
    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id, task_id=task_id, key="return_value")
            .one()
        )
        value = row.value
    return xcom_value(value)


def window_params(emulator: Any, operation_id: str | None = None) -> list[tuple[str | None, str | None]]:
    """The ``from``/``to`` of every recorded request (of one operation)."""
    out = []
    for record in emulator.requests:
        if operation_id and record.operation_id != operation_id:
            continue
        query = dict(record.query)
        out.append((query.get("from"), query.get("to")))
    return out


def ms(text: str) -> str:
    return str(int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000))


def state_of(dag_run: Any, task_id: str = "usage") -> str:
    return str(dag_run.get_task_instance(task_id).state)


Runner = Callable[..., Any]
