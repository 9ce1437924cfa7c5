"""pyproject.toml declares every distribution the package imports directly; installs nothing.

Each import in ``airflow_provider_ldusage`` (at module level or inside a function) is mapped to the
distribution that provides it and must be a runtime dependency, or an optional extra's dependency when it is
only imported lazily for that extra. The map is fixed here, so an import of anything new fails until it is
declared and listed.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "airflow_provider_ldusage"

#: Top-level module (or airflow sub-package) -> the distribution that provides it.
DISTRIBUTION = {
    "airflow": "apache-airflow",
    "airflow.providers.openlineage": "apache-airflow-providers-openlineage",
    "airflow.providers.common.compat": "apache-airflow-providers-common-compat",
    "openlineage": "openlineage-python",
    "pyarrow": "pyarrow",
    "airflow.providers.common.sql": "apache-airflow-providers-common-sql",
    "airflow.providers.redis": "apache-airflow-providers-redis",
    "requests": "requests",
    "pendulum": "pendulum",
    "msgspec": "msgspec",
    "httpx": "httpx",
    "croniter": "croniter",
    "typing_extensions": "typing-extensions",
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "asgiref": "asgiref",
    # The pytest plugin module is loaded only by pytest itself (entry point pytest11).
    "pytest": "pytest",
    # The connection form's fields for Airflow < 3.3 (hooks/_base.py get_connection_form_widgets).
    "wtforms": "wtforms",
    "flask_appbuilder": "flask-appbuilder",
    "flask_babel": "flask-babel",
}
#: Extra -> the only modules that may import its distributions; nothing imports those modules at module level
#: (tests/test_import_graph.py and the import-cost benchmark watch that). The sql extra (common.sql, and any
#: database driver it brings) belongs to the SQL side of the transfer alone: the operator module stays light.
EXTRA_MODULES = {
    "openlineage": {"airflow_provider_ldusage/operators/_lineage.py"},
    "parquet": {"airflow_provider_ldusage/landing/parquet.py"},
    "sql": {"airflow_provider_ldusage/transfers/_sql.py"},
    "redis": {"airflow_provider_ldusage/hooks/_shared_budget.py"},
}
#: Distributions that need not be runtime dependencies, and why.
_FORM = "imported only when Airflow < 3.3 builds the connection form, which stands in for it without FAB"
NOT_RUNTIME = {
    "pytest": "testing/pytest_plugin.py is loaded only by a running pytest",
    "wtforms": _FORM,
    "flask-appbuilder": _FORM,
    "flask-babel": _FORM,
}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imports() -> dict[str, set[str]]:
    """Imported module -> files, for every absolute import outside the package and the stdlib."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in {"__future__", "airflow_provider_ldusage"}:
                    continue
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def _distribution(module: str) -> str:
    for prefix in sorted(DISTRIBUTION, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return DISTRIBUTION[prefix]
    raise AssertionError(f"no distribution known for {module!r}: declare it in pyproject.toml, map it here")


def _allowed_by_an_extra(dist: str, files: set[str], extras: dict[str, list[str]]) -> bool:
    """Whether ``dist`` belongs to an extra whose modules (:data:`EXTRA_MODULES`) include all ``files``."""
    return any(
        dist in {_name(r) for r in extras.get(extra, ())} and files <= modules
        for extra, modules in EXTRA_MODULES.items()
    )


def test_every_imported_distribution_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    undeclared = {}
    for module, files in sorted(_imports().items()):
        dist = _distribution(module)
        if dist in runtime or dist in NOT_RUNTIME:
            continue
        # An extra's distribution may only be imported by the modules of that extra, loaded lazily.
        if _allowed_by_an_extra(dist, files, extras):
            continue
        undeclared[module] = (dist, sorted(files))
    assert undeclared == {}


def test_an_extra_is_imported_only_by_its_own_modules() -> None:
    """The rule above, shown failing: common.sql imported by the operator module (parsed with every DAG
    file) or by another extra's module is refused; from transfers/_sql.py it is allowed."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    dist = _distribution("airflow.providers.common.sql.hooks.sql")
    assert dist in {_name(r) for r in extras["sql"]}
    assert _allowed_by_an_extra(dist, {"airflow_provider_ldusage/transfers/_sql.py"}, extras)
    assert not _allowed_by_an_extra(dist, {"airflow_provider_ldusage/transfers/usage_to_sql.py"}, extras)
    assert not _allowed_by_an_extra(dist, {"airflow_provider_ldusage/landing/parquet.py"}, extras)
    assert "airflow.providers.common.sql.hooks.sql" in _imports()  # the transfer does import it
