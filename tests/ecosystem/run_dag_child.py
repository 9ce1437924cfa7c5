"""Run one DAG file with ``dag.test()`` in a fresh interpreter (connections from the environment).

Used by test_lineage.py, so that each run gets the OpenLineage set-up it asks for from the start (the
OpenLineage provider reads its configuration once per process), and so that "the provider is absent" is
real: with ``--without-openlineage``, before Airflow loads anything, every ``openlineage`` and
``airflow.providers.openlineage`` import fails with ``ModuleNotFoundError`` and the distributions
``apache-airflow-providers-openlineage`` and ``openlineage-*`` are left out of the installed-package
metadata (where Airflow discovers providers and plugins), as if they were not installed.

Usage: ``python -m tests.ecosystem.run_dag_child DAG_FILE LOGICAL_DATE [--without-openlineage]``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

BLOCKED = ("openlineage", "airflow.providers.openlineage")
BLOCKED_DISTRIBUTIONS = ("apache-airflow-providers-openlineage", "openlineage-")


class _Absent(MetaPathFinder):
    """Makes the OpenLineage packages unimportable."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if any(fullname == name or fullname.startswith(name + ".") for name in BLOCKED):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def _uninstall() -> None:
    """Hide the OpenLineage modules and distributions from this interpreter."""
    import importlib.metadata

    import importlib_metadata

    sys.meta_path.insert(0, _Absent())
    for module in (importlib.metadata, importlib_metadata):
        everything = module.distributions

        def distributions(_all: Any = everything, **kwargs: Any) -> Iterator[Any]:
            for dist in _all(**kwargs):
                name = (dist.metadata["Name"] or "").lower().replace("_", "-")
                if not name.startswith(BLOCKED_DISTRIBUTIONS):
                    yield dist

        module.distributions = distributions  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    if "--without-openlineage" in argv:
        _uninstall()
    import hashlib
    import importlib.util
    import json
    import os
    from datetime import datetime
    from pathlib import Path

    from tests.dag_runs import state_of, xcom

    dag_file, logical = Path(argv[0]), datetime.fromisoformat(argv[1])
    spec = importlib.util.spec_from_file_location(dag_file.stem, dag_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag_run = module.dag.test(logical_date=logical)
    tasks = sorted(module.dag.task_dict)
    out = Path(os.environ["LDUSAGE_LINEAGE_OUT"])
    result = {
        "states": {task: state_of(dag_run, task) for task in tasks},
        "xcom": {task: xcom(dag_run, task) for task in tasks},
        "files": {
            str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*"))
            if p.is_file()
        },
        "openlineage_loaded": sorted(m for m in sys.modules if m.startswith(BLOCKED)),
    }
    print("RESULT " + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
