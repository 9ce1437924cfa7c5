"""The package's import graph, and any cycle in it: ``make import-graph``.

Every import counts: module-level, inside a function (a lazy import still couples two modules) and under
``if TYPE_CHECKING:`` (a type-only import is still a dependency a reader must follow). An edge runs from the
importing module to the deepest package module the import names.

    python tools/import_graph.py            # one line per module: its package imports; exit 1 on a cycle
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "airflow_provider_ldusage"
ROOT_NAME = "airflow_provider_ldusage"


def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of ``package`` mapped to the package modules it imports."""
    modules = {_module_name(p, package): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from pkg import submodule`` depends on the submodule (every import runs the parents'
                # ``__init__`` first, which no edge records); ``from module import name`` on the module.
                subs = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t for t in subs if t in modules] or [node.module]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target != ROOT_NAME:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, …, a]``, or ``None`` when the graph has none."""
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


def render(graph: dict[str, set[str]]) -> str:
    """The graph as text: one line per module, its imports after the arrow (package prefix dropped)."""
    prefix = ROOT_NAME + "."

    def short(name: str) -> str:
        return name.removeprefix(prefix)

    return "\n".join(
        f"{short(name)} -> {', '.join(short(t) for t in sorted(graph[name])) or '(none)'}"
        for name in sorted(graph)
    )


def main() -> int:
    graph = import_graph()
    print(render(graph))
    cycle = find_cycle(graph)
    if cycle:
        print("\ncycle: " + " -> ".join(cycle))
        return 1
    edges = sum(len(v) for v in graph.values())
    print(f"\n{len(graph)} modules, {edges} imports, no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
