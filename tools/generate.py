"""Write the code generated from the catalogue (maintainers' tool): ``make generate``.

Two whole files are generated; nothing generated is pasted into hand-written code:

* ``airflow_provider_ldusage/hooks/_generated.py``: ``GeneratedUsageMethods``, one typed method per
  operation, which the hand-written ``LaunchDarklyUsageHook`` inherits;
* ``airflow_provider_ldusage/operators/usage.py``: one thin operator class per operation, declaring only
  its own filters (the common arguments live once, in ``operators/_base.py``).

``tests/test_generated.py`` compares the files with what this module generates, as syntax trees (never as
formatter output), so a catalogue change without ``make generate`` fails the suite.

    python tools/generate.py            # rewrite both files (make generate also runs ruff format on them)
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from airflow_provider_ldusage.catalogue import ENDPOINTS, Endpoint, PathParam, QueryParam  # noqa: E402

HOOK_FILE = ROOT / "airflow_provider_ldusage" / "hooks" / "_generated.py"
OPERATORS_FILE = ROOT / "airflow_provider_ldusage" / "operators" / "usage.py"
GENERATED_FILES = (HOOK_FILE, OPERATORS_FILE)


def _literal(values: tuple[str, ...]) -> str:
    return "Literal[" + ", ".join(f'"{v}"' for v in values) + "]"


def _wrap(lines: list[str], width: int, indent: str) -> str:
    wrapped: list[str] = []
    for line in lines:
        hanging = "    " if line.startswith(":param") else "   " if line.startswith("..") else ""
        wrapped.extend(textwrap.wrap(line, width, subsequent_indent=hanging, break_on_hyphens=False) or [""])
    return "\n".join((indent + w) if w else "" for w in wrapped).lstrip()


def hook_type(param: QueryParam | PathParam) -> str:
    if isinstance(param, PathParam):
        return _literal(param.allowed) if param.allowed else "str"
    if isinstance(param, QueryParam) and param.integer:
        return "int | None"
    base = _literal(param.allowed) if param.allowed else "str"
    if param.allowed == ("true", "false"):
        base = f"bool | {base}"
    if param.repeatable:
        return f"{base} | Sequence[{base.replace('bool | ', '')}] | None"
    return f"{base} | None"


def operator_type(param: QueryParam | PathParam) -> str:
    """What a DAG author may pass: the documented values (for IDEs) or any string (a Jinja template)."""
    if isinstance(param, PathParam):
        return f"{_literal(param.allowed)} | str" if param.allowed else "str"
    if param.integer:
        return "int | str | None"
    base = f"{_literal(param.allowed)} | str" if param.allowed else "str"
    if param.allowed == ("true", "false"):
        base = f"bool | {base}"
    return (
        f"{base} | Sequence[{base.replace('bool | ', '')}] | None" if param.repeatable else f"{base} | None"
    )


def param_doc(ep: Endpoint, param: QueryParam | PathParam) -> str:
    if isinstance(param, PathParam):
        text = f"{param.doc} Path parameter ``{param.wire}``."
        return text + (
            " One of " + ", ".join(f"``{v}``" for v in param.allowed) + "." if param.allowed else ""
        )
    text = f"{param.doc} Sent as ``{param.wire}``"
    text += ", once per value." if param.repeatable else "."
    if param.allowed:
        text += " One of " + ", ".join(f"``{v}``" for v in param.allowed) + "."
    if param.integer:
        text += f" An integer from {param.minimum} to {param.maximum}."
    if param.max_unique:
        text += f" At most {param.max_unique} distinct values."
    if param.excludes:
        text += f" Not together with ``{param.excludes}``."
    for rule in ep.rules:
        if rule.param == param.name:
            text += f" ``{rule.value}`` needs ``{rule.needs}``"
            text += f" (1 to {rule.max_unique} values)." if rule.max_unique else "."
    if param.name == "aggregation_type" and ep.family.default_aggregation:
        text += f" LaunchDarkly's default: ``{ep.family.default_aggregation}``."
    if param.name == "granularity" and ep.family.default_granularity:
        rules = "; ".join(f"{a}: {', '.join(g)}" for a, g in ep.family.granularity_by_aggregation.items())
        text += f" Allowed per aggregation — {rules}. Default ``{ep.family.default_granularity}``."
    return text


def return_type(ep: Endpoint) -> str:
    return "list[dict[str, Any]]" if ep.response_kind == "SdkVersionDetailsList" else "dict[str, Any]"


def hook_method(ep: Endpoint) -> str:
    args = ["self"]
    args += [f"{p.name}: {hook_type(p)}" for p in ep.path_params]
    if ep.has_window or ep.query_params:
        args.append("*")
    if ep.has_window:
        args += ["start: TimeInput | None = None", "end: TimeInput | None = None"]
    args += [f"{p.name}: {hook_type(p)} = None" for p in ep.query_params]
    if ep.has_window:
        args.append("time_unit: TimeUnit | None = None")
    doc = [f"{ep.counts[0].upper() + ep.counts[1:]}: ``GET {ep.path}`` (``{ep.operation_id}``)."]
    if ep.deprecated:
        doc += ["", f".. warning:: LaunchDarkly deprecated this endpoint; use {ep.replacement}."]
    if ep.paging:
        doc += [
            "",
            f"Returns one page; :meth:`iter_pages` and :meth:`get_all_items` follow ``{ep.paging.cursor}`` "
            "to the end.",
        ]
    doc.append("")
    doc += [f":param {p.name}: {param_doc(ep, p)}" for p in ep.path_params]
    if ep.has_window:
        span = f" At most {ep.max_span_days} days before ``end``." if ep.max_span_days else ""
        unit = "" if ep.unit_documented else " (unit undocumented; ms assumed)"
        default = f" Default: {ep.default_window}." if ep.default_start else " Required."
        doc.append(
            f":param start: window start (inclusive), sent as epoch {ep.time_unit}{unit}.{default}{span}"
        )
        doc.append(
            ":param end: window end (exclusive)." + (" Default: now." if ep.default_start else " Required.")
        )
    doc += [f":param {p.name}: {param_doc(ep, p)}" for p in ep.query_params]
    if ep.has_window:
        doc.append(":param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).")
    doc.append(f":return: the parsed ``{ep.response_kind}``.")
    call_args = ", ".join([f'"{ep.operation_id}"', *(f"{n}={n}" for n in ep.argument_names)])
    if ep.has_window:
        call_args += ", time_unit=time_unit"
    signature = ",\n".join("        " + a for a in args)
    body = f"        result: {return_type(ep)} = self.call({call_args})\n        return result\n"
    return (
        f"    def {ep.method_name}(\n{signature},\n    ) -> {return_type(ep)}:\n"
        f'        """{_wrap(doc, 100, "        ")}\n        """\n{body}'
    )


_HOOK_HEADER = '''"""The typed hook methods, one per LaunchDarkly usage operation.

Generated by ``make generate``: do not edit. ``LaunchDarklyUsageHook`` inherits them; each validates
through the catalogue and calls :meth:`~airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook.call`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from airflow_provider_ldusage.catalogue import TimeUnit
from airflow_provider_ldusage.core.timeconv import TimeInput

__all__ = ["GeneratedUsageMethods"]


class GeneratedUsageMethods:
    """One typed method per operation, named as LaunchDarkly's official Python client names it."""

    def call(self, operation: str, **arguments: Any) -> Any:
        raise NotImplementedError  # LaunchDarklyUsageHook.call

'''


def hook_module() -> str:
    return _HOOK_HEADER + "\n".join(hook_method(ep) for ep in ENDPOINTS)


_OPERATOR_HEADER = '''"""One operator per LaunchDarkly usage operation (generated by ``make generate``).

Each operator declares only its operation's filters, under the hook's argument names; the common arguments
(``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``output_path``…) and Airflow's own are declared
once, in :class:`~airflow_provider_ldusage.operators._base.UsageOperatorArgs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from airflow_provider_ldusage.operators._base import COMMON_TEMPLATE_FIELDS, LaunchDarklyUsageBaseOperator

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from airflow_provider_ldusage.operators._base import UsageOperatorArgs

__all__ = [
{names}
]
'''


def operator_class(ep: Endpoint) -> str:
    params: list[QueryParam | PathParam] = [*ep.path_params, *ep.filter_params]
    args = ["self", *(f"{p.name}: {operator_type(p)}" for p in ep.path_params)]
    if ep.filter_params:
        args += ["*", *(f"{p.name}: {operator_type(p)} = None" for p in ep.filter_params)]
    args.append("**kwargs: Unpack[UsageOperatorArgs]")
    doc = [f"Fetch {ep.counts}: ``GET {ep.path}`` (``{ep.operation_id}``), as tidy rows."]
    doc += ["", f"Hook method: ``LaunchDarklyUsageHook.{ep.method_name}``."]
    if ep.max_span_days:
        doc[-1] += f" Windows over {ep.max_span_days} days are split and merged."
    if ep.paging:
        doc[-1] += " Every page is fetched and each item landed once."
    if not ep.has_window:
        doc[-1] += (
            " This operation takes no window: ``start``/``end``/``window`` are ignored and ``time_unit`` is"
            " refused."
        )
    if ep.deprecated:
        doc += ["", f".. warning:: LaunchDarkly deprecated this endpoint; use {ep.replacement}."]
    doc.append("")
    doc += [f":param {p.name}: {param_doc(ep, p)} Templated." for p in params]
    doc += [
        "",
        "Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``, "
        "``output_path``…): see "
        ":class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.",
    ]
    head = (
        f"class {ep.operator_name}(LaunchDarklyUsageBaseOperator):\n"
        f'    """{_wrap(doc, 102, "    ")}\n    """\n\n'
        f'    operation_id = "{ep.operation_id}"\n'
    )
    if not params:  # nothing of its own: the base class's arguments and template fields are all it has
        return head
    fields = "".join(f', "{p.name}"' for p in params)
    signature = ",\n".join("        " + a for a in args)
    assigns = "".join(f"        self.{p.name} = {p.name}\n" for p in params)
    return (
        f"{head}    template_fields: Sequence[str] = (*COMMON_TEMPLATE_FIELDS{fields})\n\n"
        f"    def __init__(\n{signature},\n    ) -> None:\n        super().__init__(**kwargs)\n{assigns}"
    )


def operators_module() -> str:
    names = "\n".join(
        f'    "{n}",'
        for n in sorted([*(e.operator_name for e in ENDPOINTS), "LaunchDarklyUsageBaseOperator"])
    )
    return _OPERATOR_HEADER.replace("{names}", names) + "\n\n" + "\n\n".join(map(operator_class, ENDPOINTS))


def generated() -> dict[Path, str]:
    """Every generated file and the source this module writes into it (before formatting)."""
    return {HOOK_FILE: hook_module(), OPERATORS_FILE: operators_module()}


if __name__ == "__main__":
    for path, source in generated().items():
        path.write_text(source)
        print(f"wrote {path.relative_to(ROOT)}")
