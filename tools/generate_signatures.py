"""Print the typed hook methods / operator classes generated from the catalogue (maintainers' tool).

The catalogue is the single source of truth; typed methods exist so IDEs and mypy see every argument.
``tests/test_signatures.py`` fails when the methods drift from the catalogue; rerun this script and paste
its output between the markers in ``hooks/usage.py`` after changing the catalogue.
``tests/operators/test_operator_classes.py`` fails when ``operators/usage.py`` drifts; regenerate it with

    python tools/generate_signatures.py hook
    python tools/generate_signatures.py operators > airflow_provider_ldusage/operators/usage.py
"""

from __future__ import annotations

import sys
import textwrap

from airflow_provider_ldusage.catalogue import ENDPOINTS, Endpoint, PathParam, QueryParam


def _literal(values: tuple[str, ...]) -> str:
    return "Literal[" + ", ".join(repr(v) for v in values).replace("'", '"') + "]"


def hook_type(param: QueryParam | PathParam) -> str:
    if isinstance(param, PathParam):
        return _literal(param.allowed) if param.allowed else "str"
    base = _literal(param.allowed) if param.allowed else "str"
    if param.allowed == ("true", "false"):
        base = f"bool | {base}"
    if param.repeatable:
        return f"{base} | Sequence[{base.replace('bool | ', '')}] | None"
    return f"{base} | None"


def param_doc(ep: Endpoint, param: QueryParam | PathParam) -> str:
    if isinstance(param, PathParam):
        return f"{param.doc} Path parameter ``{param.wire}``."
    text = f"{param.doc} Sent as ``{param.wire}``"
    text += ", once per value." if param.repeatable else "."
    if param.allowed:
        text += " One of " + ", ".join(f"``{v}``" for v in param.allowed) + "."
    if param.name == "aggregation_type" and ep.family.default_aggregation:
        text += f" LaunchDarkly's default: ``{ep.family.default_aggregation}``."
    if param.name == "granularity" and ep.family.default_granularity:
        rules = "; ".join(f"{a}: {', '.join(g)}" for a, g in ep.family.granularity_by_aggregation.items())
        text += f" Allowed per aggregation — {rules}. Default ``{ep.family.default_granularity}``."
    return text


def hook_method(ep: Endpoint) -> str:
    args = ["self"]
    for p in ep.path_params:
        args.append(f"{p.name}: {hook_type(p)}")
    if ep.has_window or ep.query_params:
        args.append("*")
    if ep.has_window:
        args += ["start: TimeInput | None = None", "end: TimeInput | None = None"]
    args += [f"{p.name}: {hook_type(p)} = None" for p in ep.query_params]
    if ep.has_window:
        args.append("time_unit: TimeUnit | None = None")
    sig = ",\n".join("        " + a for a in args)
    doc = [f"{ep.counts[0].upper() + ep.counts[1:]}: ``GET {ep.path}`` (``{ep.operation_id}``)."]
    if ep.deprecated:
        doc += ["", f".. warning:: LaunchDarkly deprecated this endpoint; use {ep.replacement}."]
    doc.append("")
    for p in ep.path_params:
        doc.append(f":param {p.name}: {param_doc(ep, p)}")
    if ep.has_window:
        span = f" At most {ep.max_span_days} days before ``end``." if ep.max_span_days else ""
        doc.append(
            f":param start: window start (inclusive), sent as epoch {ep.time_unit}"
            f"{'' if ep.unit_documented else ' (unit undocumented; ms assumed)'}. "
            f"Default: {ep.default_window}.{span}"
        )
        doc.append(":param end: window end (exclusive). Default: now.")
    for p in ep.query_params:
        doc.append(f":param {p.name}: {param_doc(ep, p)}")
    if ep.has_window:
        doc.append(":param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).")
    doc.append(f":return: the parsed ``{ep.response_kind}``.")
    wrapped = []
    for line in doc:
        indent = "    " if line.startswith(":param") else "   " if line.startswith("..") else ""
        wrapped.extend(textwrap.wrap(line, 100, subsequent_indent=indent, break_on_hyphens=False) or [""])
    docstring = "\n".join(("        " + w) if w else "" for w in wrapped)
    call_args = ", ".join(f"{n}={n}" for n in ep.argument_names)
    if ep.has_window:
        call_args += ", time_unit=time_unit"
    return (
        f"    def {ep.method_name}(\n{sig},\n    ) -> dict[str, Any]:\n"
        f'        """{docstring.lstrip()}\n        """\n'
        f'        return self.call("{ep.operation_id}", {call_args})\n'
    )


def operator_type(param: QueryParam | PathParam) -> str:
    """Plain types: operator arguments are templated, so values arrive as strings (or lists of them)."""
    if isinstance(param, PathParam):
        return "str"
    base = "bool | str" if param.allowed == ("true", "false") else "str"
    return f"{base} | Sequence[str] | None" if param.repeatable else f"{base} | None"


_OPERATOR_HEADER = '''"""One operator per LaunchDarkly usage operation (generated: do not edit).

Regenerate with
``python tools/generate_signatures.py operators > airflow_provider_ldusage/operators/usage.py``.
Every operator takes its operation's filters under the hook's argument names plus the common arguments of
:class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_ldusage.landing import OutputFormat
from airflow_provider_ldusage.operators._base import (
    COMMON_TEMPLATE_FIELDS,
    DEFAULT_MAX_XCOM_ROWS,
    LaunchDarklyUsageBaseOperator,
)

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

__all__ = [
{names}
]
'''

_COMMON_ARGS = (
    'launchdarkly_conn_id: str = "launchdarkly_default"',
    "start: Any = None",
    "end: Any = None",
    "window: str | None = None",
    "time_unit: str | None = None",
    "output_path: str | ObjectStoragePath | None = None",
    'output_format: OutputFormat = "jsonl"',
    "max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS",
    "asset_alias: str | None = None",
    "hook_params: dict[str, Any] | None = None",
    "**kwargs: Any",
)
_COMMON_NAMES = tuple(a.split(":")[0] for a in _COMMON_ARGS[:-1])


def operator_class(ep: Endpoint) -> str:
    params: list[QueryParam | PathParam] = [*ep.path_params, *ep.query_params]
    args = [f"{p.name}: {operator_type(p)}" for p in ep.path_params]
    args += [f"{p.name}: {operator_type(p)} = None" for p in ep.query_params]
    args += list(_COMMON_ARGS)
    sig = ",\n".join("        " + a for a in ["self", "*", *args])
    doc = [f"Fetch {ep.counts}: ``GET {ep.path}`` (``{ep.operation_id}``), as tidy rows."]
    doc += ["", f"Hook method: ``LaunchDarklyUsageHook.{ep.method_name}``."]
    if ep.max_span_days:
        doc[-1] += f" Windows over {ep.max_span_days} days are split and merged."
    if not ep.has_window:
        doc[-1] += (
            " This operation takes no window: ``start``/``end``/``window`` are ignored and ``time_unit`` is"
            " refused."
        )
    if ep.deprecated:
        doc += ["", f".. warning:: LaunchDarkly deprecated this endpoint; use {ep.replacement}."]
    doc.append("")
    for p in params:
        doc.append(f":param {p.name}: {param_doc(ep, p)} Templated.")
    doc.append(
        "Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``, "
        "``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see "
        ":class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`."
    )
    doc.insert(-1, "")
    wrapped = []
    for line in doc:
        indent = "    " if line.startswith(":param") else "   " if line.startswith("..") else ""
        wrapped.extend(textwrap.wrap(line, 102, subsequent_indent=indent, break_on_hyphens=False) or [""])
    docstring = "\n".join(("    " + w) if w else "" for w in wrapped)
    fields = ", ".join(f'"{p.name}"' for p in params)
    trailing = "," if len(params) == 1 else ""
    assigns = "".join(f"        self.{p.name} = {p.name}\n" for p in params)
    common = ", ".join(f"{n}={n}" for n in _COMMON_NAMES) + ", **kwargs"
    return (
        f"class {ep.operator_name}(LaunchDarklyUsageBaseOperator):\n"
        f'    """{docstring.lstrip()}\n    """\n\n'
        f'    operation_id = "{ep.operation_id}"\n'
        f"    template_fields: Sequence[str] = (*COMMON_TEMPLATE_FIELDS, {fields}{trailing})\n\n"
        if params
        else f"class {ep.operator_name}(LaunchDarklyUsageBaseOperator):\n"
        f'    """{docstring.lstrip()}\n    """\n\n'
        f'    operation_id = "{ep.operation_id}"\n'
        "    template_fields: Sequence[str] = COMMON_TEMPLATE_FIELDS\n\n"
    ) + (f"    def __init__(\n{sig},\n    ) -> None:\n        super().__init__({common})\n{assigns}")


def operators_module() -> str:
    """The complete ``operators/usage.py``, formatted with ruff (as the repository is)."""
    import subprocess

    names = "\n".join(
        f'    "{n}",'
        for n in sorted([*(e.operator_name for e in ENDPOINTS), "LaunchDarklyUsageBaseOperator"])
    )
    body = "\n\n".join(operator_class(ep) for ep in ENDPOINTS)
    source = _OPERATOR_HEADER.replace("{names}", names) + "\n\n" + body
    formatted = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--stdin-filename",
            "airflow_provider_ldusage/operators/usage.py",
            "-",
        ],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return formatted.stdout


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "hook"
    if what == "hook":
        print("\n".join(hook_method(ep) for ep in ENDPOINTS))
    elif what == "operators":
        sys.stdout.write(operators_module())
