"""The package's imports run one way: no cycle, type-checking imports and lazy imports included.

``make import-graph`` (``tools/import_graph.py``) prints the same graph.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tools.import_graph import PACKAGE, find_cycle, import_graph, render

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_walk_sees_lazy_and_type_checking_imports_and_would_report_a_cycle() -> None:
    graph = {
        k.removeprefix("airflow_provider_ldusage."): {v.removeprefix("airflow_provider_ldusage.") for v in vs}
        for k, vs in import_graph().items()
    }
    # The sensor imports the trigger inside a method; the walk sees it.
    assert "triggers.month_end" in graph["sensors.month_end"]
    # The trigger shares the finality rule with the sensor but never imports the sensor itself.
    assert "sensors.finality" in graph["triggers.month_end"]
    assert "sensors.month_end" not in graph["triggers.month_end"]
    # A type-only import is an edge too: the operator base names the hook under TYPE_CHECKING.
    assert "hooks.usage" in graph["operators._base"]
    full = import_graph()
    full["airflow_provider_ldusage.catalogue"].add("airflow_provider_ldusage.operators._base")
    assert find_cycle(full) is not None


def test_the_command_prints_the_graph_and_says_it_has_no_cycle() -> None:
    out = subprocess.run(
        [sys.executable, "tools/import_graph.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith(render(import_graph()) + "\n")
    assert out.rstrip().endswith("no cycle")
    assert "operators._base -> " in out


def test_the_package_root_holds_only_metadata_and_shared_basics() -> None:
    root = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert root == ["__init__", "catalogue", "compat", "defaults", "exceptions", "provider_info"]


# Layers, lowest first: a module imports only its own layer and those below (docs/architecture.rst).
LAYERS = (
    ("catalogue", "exceptions", "defaults", "compat", "provider_info"),
    ("core",),
    ("hooks", "windows", "landing", "budgets"),
    ("operators", "sensors", "triggers", "transfers"),
    ("testing",),
)


def _layer(module: str) -> int:
    top = module.removeprefix("airflow_provider_ldusage.").split(".")[0]
    return next(i for i, names in enumerate(LAYERS) if top in names)


def test_imports_run_from_the_higher_layers_to_the_lower() -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        if module != "airflow_provider_ldusage"
        for target in targets
        if _layer(target) > _layer(module)
    )
    assert upward == []


def test_the_architecture_page_names_every_folder_and_root_module() -> None:
    page = (ROOT / "docs" / "architecture.rst").read_text()
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    roots = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert [f for f in folders if f"``{f}/``" not in page] == []
    assert [r for r in roots if f"``{r}``" not in page] == []
    assert {top for names in LAYERS for top in names} == {*folders, *roots}
