"""Every version-dependent Airflow import goes through ``airflow_provider_ldusage.compat``.

Airflow moved most of what a provider imports between 2.11 and 3.3 (``airflow.models`` → ``airflow.sdk``,
Datasets → Assets, ``airflow.io`` → ``airflow.sdk``, ...). The package, the example DAGs and the DAG files
the compatibility run executes import those names from the compat module, which picks the right home per
release; any other module importing Airflow directly would break some supported line unnoticed.
Providers (``airflow.providers.*``) are separate distributions with their own version checks, so they
may be imported where they are needed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPAT = ROOT / "airflow_provider_ldusage" / "compat.py"
#: Where version-dependent imports are refused: the package, the example DAGs, the tests' DAG files.
CHECKED = (ROOT / "airflow_provider_ldusage", ROOT / "example_dags", ROOT / "tests" / "dags")
ALLOWED_PREFIXES = ("airflow.providers.",)


def airflow_imports(source: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every import of Airflow core in ``source`` (type-checking-only ones too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            if (name == "airflow" or name.startswith("airflow.")) and not name.startswith(ALLOWED_PREFIXES):
                found.append((node.lineno, name))
    return sorted(found)


def _files() -> list[Path]:
    return sorted(p for folder in CHECKED for p in folder.rglob("*.py") if p != COMPAT)


def test_no_module_but_compat_imports_a_version_specific_airflow_path() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}:{line}": module
        for path in _files()
        for line, module in airflow_imports(path.read_text())
    }
    assert offenders == {}, "import these through airflow_provider_ldusage.compat"


def test_the_check_sees_every_kind_of_airflow_import() -> None:
    source = """
import airflow
import airflow.sdk as sdk
from airflow.sdk import BaseOperator
from airflow.datasets import Dataset
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from airflow.sdk import Context
def later():
    from airflow.io.path import ObjectStoragePath
    from airflow.triggers.base import BaseTrigger
from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow_provider_ldusage.compat import BaseOperator
from . import airflow
"""
    assert [m for _, m in airflow_imports(source)] == [
        "airflow",
        "airflow.sdk",
        "airflow.sdk",
        "airflow.datasets",
        "airflow.sdk",
        "airflow.io.path",
        "airflow.triggers.base",
    ]


@pytest.mark.parametrize("folder", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_checked_folders_hold_python_files(folder: Path) -> None:
    assert any(folder.rglob("*.py")), folder
