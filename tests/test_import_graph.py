"""Issue 16: the package's imports run one way. Every import counts, module-level or inside a function
(a lazy import still couples two modules), except those only a type checker reads (``TYPE_CHECKING``)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "airflow_provider_ldusage"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        skip = _type_checking_only(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from pkg import submodule`` depends on the submodule (every import runs the parents'
                # ``__init__`` first, which no edge records); ``from module import name`` on the module.
                subs = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t for t in subs if t in modules] or [node.module]
            for target in targets:
                # The deepest package module the import names (a from-import may name a class).
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target != "airflow_provider_ldusage":
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> list[str] | None:
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt in on_stack:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in done:
                found = visit(nxt)
                if found:
                    return found
        on_stack.discard(stack.pop())
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            found = visit(start)
            if found:
                return found
    return None


def test_the_package_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_walk_sees_lazy_imports_and_would_report_a_cycle() -> None:
    graph = import_graph()
    # The sensor imports the trigger inside a method; the walk sees it.
    assert (
        "airflow_provider_ldusage.triggers.month_end" in graph["airflow_provider_ldusage.sensors.month_end"]
    )
    assert not any(
        m.startswith("airflow_provider_ldusage.sensors")
        for m in graph["airflow_provider_ldusage.triggers.month_end"]
    )
    graph["airflow_provider_ldusage.catalogue"].add("airflow_provider_ldusage.operators._base")
    assert find_cycle(graph) is not None
