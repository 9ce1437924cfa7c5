"""The generated files are what ``make generate`` writes today, and what they declare matches the
catalogue. Compared as syntax trees (docstrings cleaned the way Python reads them), never as formatter output,
so a formatter upgrade cannot fail this and a stale file always does. Nothing here skips.
"""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest

from airflow_provider_ldusage.catalogue import ENDPOINTS, Endpoint
from airflow_provider_ldusage.hooks import _generated
from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook
from tests.project_scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
P = inspect.Parameter


def _generator() -> typing.Any:
    return load_script("tools/generate.py")


class _CleanDocstrings(ast.NodeTransformer):
    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and body:
            first = body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                first.value.value = inspect.cleandoc(first.value.value)
        return node


def _tree(source: str) -> str:
    return ast.dump(_CleanDocstrings().visit(ast.parse(source)), include_attributes=False)


GENERATED = _generator().generated()


@pytest.mark.parametrize("path", sorted(GENERATED), ids=lambda p: p.name)
def test_generated_file_is_current(path: Path) -> None:
    assert _tree(path.read_text()) == _tree(GENERATED[path]), (
        f"{path.relative_to(ROOT)} is stale: run `make generate`"
    )


def test_a_stale_file_would_be_noticed() -> None:
    """The comparison is not vacuous: one changed default in the generated source is a different tree."""
    path = ROOT / "airflow_provider_ldusage" / "hooks" / "_generated.py"
    source = path.read_text()
    assert _tree(source) != _tree(source.replace("time_unit: TimeUnit | None = None", "time_unit=None", 1))


def _method(endpoint: Endpoint) -> typing.Any:
    return getattr(LaunchDarklyUsageHook, endpoint.method_name)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.method_name)
def test_hook_parameters_follow_the_catalogue_in_order(endpoint: Endpoint) -> None:
    params = list(inspect.signature(_method(endpoint)).parameters.values())[1:]
    expected = list(endpoint.argument_names) + (["time_unit"] if endpoint.has_window else [])
    assert [p.name for p in params] == expected
    path_names = {p.name for p in endpoint.path_params}
    for param in params:
        if param.name in path_names:
            assert param.kind is P.POSITIONAL_OR_KEYWORD and param.default is P.empty, param.name
        else:
            assert param.kind is P.KEYWORD_ONLY and param.default is None, param.name


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.method_name)
def test_hook_type_hints_resolve_and_name_the_allowed_values(endpoint: Endpoint) -> None:
    """What an IDE and mypy see: every annotation resolves, and enumerated values appear as Literals."""
    hints = typing.get_type_hints(_method(endpoint), vars(_generated))
    record = dict[str, typing.Any]
    assert hints["return"] == (list[record] if endpoint.response_kind == "SdkVersionDetailsList" else record)
    for param in (*endpoint.path_params, *endpoint.query_params):
        hint = str(hints[param.name])
        for value in param.allowed or ():
            assert repr(value) in hint, f"{param.name}: {value!r} not in {hint}"


def test_one_typed_method_per_operation_and_no_stray_ones() -> None:
    names = {e.method_name for e in ENDPOINTS}
    assert len(names) == len(ENDPOINTS) == 28
    generated = {n for n in vars(_generated.GeneratedUsageMethods) if n.startswith("get_")}
    assert generated == names
    hand_written = {n for n in vars(LaunchDarklyUsageHook) if n.startswith("get_")}
    assert hand_written & names == set(), "a hand-written method shadows a generated one"
