"""The 21 operators: naming rule, template fields, arguments equal to the catalogue, cheap import."""

from __future__ import annotations

import importlib
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_ldusage.catalogue import ENDPOINTS, Endpoint
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.operators import usage
from airflow_provider_ldusage.operators._base import COMMON_TEMPLATE_FIELDS, LaunchDarklyUsageBaseOperator

ROOT = Path(__file__).resolve().parents[2]


def _camel(method_name: str) -> str:
    return "".join(p.capitalize() for p in method_name.removeprefix("get_").split("_"))


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e.operation_id)
def test_operator_named_by_rule_with_catalogue_arguments(ep: Endpoint) -> None:
    cls = getattr(usage, f"LaunchDarkly{_camel(ep.method_name)}Operator")
    assert cls.__name__ == ep.operator_name
    assert issubclass(cls, LaunchDarklyUsageBaseOperator)
    assert cls.operation_id == ep.operation_id
    filters = [p.name for p in ep.path_params] + [p.name for p in ep.query_params]
    assert tuple(cls.template_fields) == (*COMMON_TEMPLATE_FIELDS, *filters)
    params = inspect.signature(cls.__init__).parameters
    own = [n for n, p in params.items() if n not in ("self", "kwargs")]
    assert own[: len(filters)] == filters  # exactly the catalogue's filters, in order, then common ones
    for name in COMMON_TEMPLATE_FIELDS:
        assert name in params
    for p in ep.path_params:
        assert params[p.name].default is inspect.Parameter.empty
    for p in ep.query_params:
        assert params[p.name].default is None
    assert cls.__doc__ and all(f":param {n}:" in cls.__doc__ for n in filters)


def test_all_exports_and_count() -> None:
    names = [n for n in usage.__all__ if n != "LaunchDarklyUsageBaseOperator"]
    assert sorted(names) == sorted(e.operator_name for e in ENDPOINTS) and len(names) == 21


def test_templated_attributes_stored_unchanged() -> None:
    op = usage.LaunchDarklyMauTotalUsageOperator(
        task_id="t",
        start="{{ data_interval_start }}",
        end=1767225600000,
        group_by=["sdkName", "{{ params.g }}"],
        window="last_{{ params.n }}_days",
    )
    assert op.start == "{{ data_interval_start }}" and op.end == 1767225600000
    assert op.group_by == ["sdkName", "{{ params.g }}"] and op.window == "last_{{ params.n }}_days"
    assert op.outlets == []  # no output_path, no asset alias


def test_bad_static_arguments_fail_at_parse() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="output_format"):
        usage.LaunchDarklyMauTotalUsageOperator(task_id="t", output_format="parquet")  # type: ignore[arg-type]
    with pytest.raises(LaunchDarklyUsageValidationError, match="max_xcom_rows"):
        usage.LaunchDarklyMauTotalUsageOperator(task_id="t", max_xcom_rows=-1)


def test_generated_module_is_current() -> None:
    if importlib.util.find_spec("ruff") is None and shutil.which("ruff") is None:
        pytest.skip("ruff is not installed")
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        generator = importlib.import_module("generate_signatures")
    finally:
        sys.path.pop(0)
    current = (ROOT / "airflow_provider_ldusage" / "operators" / "usage.py").read_text()
    assert generator.operators_module() == current, "rerun tools/generate_signatures.py operators"


def test_operator_import_is_lean() -> None:
    code = (
        "import sys, airflow.sdk\n"
        "import airflow_provider_ldusage.operators.usage\n"
        "heavy = [m for m in ('requests', 'fastapi', 'uvicorn', 'airflow_provider_ldusage.hooks.usage',"
        " 'airflow_provider_ldusage.testing.emulator') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
