"""The 28 operators: naming rule, template fields, arguments equal to the catalogue, cheap import."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from airflow_provider_ldusage.catalogue import ENDPOINTS, Endpoint
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.operators import usage
from airflow_provider_ldusage.operators._base import (
    COMMON_TEMPLATE_FIELDS,
    LaunchDarklyUsageBaseOperator,
    UsageOperatorArgs,
)

ROOT = Path(__file__).resolve().parents[2]
# Names the modules import for type checkers only (under TYPE_CHECKING); resolved here to read the hints.
_TYPING_ONLY = {
    "Unpack": typing.Unpack,
    "Required": typing.Required,
    "UsageOperatorArgs": UsageOperatorArgs,
    "DAG": object,
    "TaskGroup": object,
    "ObjectStoragePath": object,
    "Context": object,
}


def _camel(method_name: str) -> str:
    return "".join(p.capitalize() for p in method_name.removeprefix("get_").split("_"))


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e.operation_id)
def test_operator_named_by_rule_with_catalogue_arguments(ep: Endpoint) -> None:
    cls = getattr(usage, f"LaunchDarkly{_camel(ep.method_name)}Operator")
    assert cls.__name__ == ep.operator_name
    assert issubclass(cls, LaunchDarklyUsageBaseOperator)
    assert cls.operation_id == ep.operation_id
    filters = [p.name for p in ep.path_params] + [p.name for p in ep.filter_params]
    assert tuple(cls.template_fields) == (*COMMON_TEMPLATE_FIELDS, *filters)
    params = inspect.signature(cls.__init__).parameters
    if filters:  # thin: its own filters, in catalogue order, then the common arguments as **kwargs
        assert [n for n in params if n != "self"] == [*filters, "kwargs"]
        hints = typing.get_type_hints(cls.__init__, vars(usage) | _TYPING_ONLY)
        assert hints["kwargs"] == typing.Unpack[UsageOperatorArgs]
        for p in ep.path_params:
            assert params[p.name].default is inspect.Parameter.empty
        for p in ep.filter_params:
            assert params[p.name].default is None
            for value in p.allowed or ():  # IDEs see the documented values, templates still fit (str)
                assert repr(value) in str(hints[p.name]) and "str" in str(hints[p.name])
    else:
        assert "__init__" not in vars(cls)
    assert cls.__doc__ and all(f":param {n}:" in cls.__doc__ for n in filters)


def test_common_arguments_are_declared_once_and_cover_airflows() -> None:
    """``UsageOperatorArgs`` holds our common arguments and every ``BaseOperator`` argument of the installed
    Airflow, so ``Unpack`` hides nothing from IDEs and mypy."""
    from airflow.sdk import BaseOperator

    declared = set(typing.get_type_hints(UsageOperatorArgs, localns=_TYPING_ONLY))
    ours = set(inspect.signature(LaunchDarklyUsageBaseOperator.__init__).parameters) - {"self", "kwargs"}
    airflows = set(inspect.signature(BaseOperator.__init__).parameters) - {"self", "kwargs"}
    assert ours <= declared and airflows <= declared, sorted((ours | airflows) - declared)
    # Only task_id is required (read from the annotations: under postponed evaluation, TypedDict cannot).
    required = {
        k
        for k, v in UsageOperatorArgs.__annotations__.items()
        if getattr(v, "__forward_arg__", str(v)).startswith("Required[")
    }
    assert required == {"task_id"}


def test_all_exports_and_count() -> None:
    names = [n for n in usage.__all__ if n != "LaunchDarklyUsageBaseOperator"]
    assert sorted(names) == sorted(e.operator_name for e in ENDPOINTS) and len(names) == 28


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
        usage.LaunchDarklyMauTotalUsageOperator(task_id="t", output_format="xlsx")  # type: ignore[arg-type]
    with pytest.raises(LaunchDarklyUsageValidationError, match="max_xcom_rows"):
        usage.LaunchDarklyMauTotalUsageOperator(task_id="t", max_xcom_rows=-1)


def test_operator_import_is_lean() -> None:
    code = (
        "import sys, airflow.sdk\n"
        "import airflow_provider_ldusage.operators.usage\n"
        "heavy = [m for m in ('requests', 'fastapi', 'uvicorn', 'airflow_provider_ldusage.hooks.usage',"
        " 'airflow_provider_ldusage.testing.emulator', 'pyarrow') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
