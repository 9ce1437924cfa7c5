"""Issue 3: the 21 typed hook methods are what the catalogue says, and the generated code is current.

The catalogue is the single source of truth; ``tools/generate_signatures.py hook`` writes the typed methods
from it. These tests fail when someone edits one without the other.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from airflow_provider_ldusage.catalogue import ENDPOINTS, Endpoint
from airflow_provider_ldusage.hooks import usage as usage_module
from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "tools" / "generate_signatures.py"
P = inspect.Parameter


def _method(endpoint: Endpoint) -> typing.Any:
    return getattr(LaunchDarklyUsageHook, endpoint.method_name)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.method_name)
def test_parameters_follow_the_catalogue_in_order(endpoint: Endpoint) -> None:
    params = list(inspect.signature(_method(endpoint)).parameters.values())
    assert params[0].name == "self"
    params = params[1:]

    expected = list(endpoint.argument_names) + (["time_unit"] if endpoint.has_window else [])
    assert [p.name for p in params] == expected

    path_names = {p.name for p in endpoint.path_params}
    for param in params:
        if param.name in path_names:
            assert param.kind is P.POSITIONAL_OR_KEYWORD, param.name
            assert param.default is P.empty, f"path parameter {param.name} must be required"
        else:
            assert param.kind is P.KEYWORD_ONLY, param.name
            assert param.default is None, f"{param.name} must default to None (= not sent)"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.method_name)
def test_type_hints_resolve_and_name_the_allowed_values(endpoint: Endpoint) -> None:
    """What an IDE and mypy see: every annotation resolves, and enumerated values appear as Literals."""
    hints = typing.get_type_hints(_method(endpoint), vars(usage_module))
    assert hints["return"] == dict[str, typing.Any]
    for param in (*endpoint.path_params, *endpoint.query_params):
        hint = str(hints[param.name])
        for value in param.allowed or ():
            assert repr(value) in hint, f"{param.name}: {value!r} not in {hint}"


def test_there_are_21_typed_methods_and_no_stray_ones() -> None:
    names = {e.method_name for e in ENDPOINTS}
    assert len(names) == 21
    own_gets = {n for n in vars(LaunchDarklyUsageHook) if n.startswith("get_")} - {"get_conn"}
    assert own_gets == names


def _generated_functions() -> dict[str, ast.FunctionDef]:
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "hook"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    module = ast.parse("class Generated:\n" + done.stdout)
    cls = module.body[0]
    assert isinstance(cls, ast.ClassDef)
    return {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}


def _source_functions() -> dict[str, ast.FunctionDef]:
    module = ast.parse(Path(usage_module.__file__).read_text())
    (cls,) = [n for n in module.body if isinstance(n, ast.ClassDef) and n.name == "LaunchDarklyUsageHook"]
    return {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}


def test_the_generated_methods_are_current() -> None:
    """Same code as the generator writes today (compared as syntax trees, so formatting does not matter):
    signature, annotations, docstring and the call into the catalogue."""
    generated = _generated_functions()
    source = _source_functions()
    assert sorted(generated) == sorted(e.method_name for e in ENDPOINTS)
    stale = [
        name
        for name, function in generated.items()
        if ast.dump(function, include_attributes=False) != ast.dump(source[name], include_attributes=False)
    ]
    assert stale == [], f"rerun `python tools/generate_signatures.py hook` and paste: {stale}"
