"""Print the typed hook methods generated from the catalogue (maintainers' tool).

The catalogue is the single source of truth; typed methods exist so IDEs and mypy see every argument.
``tests/test_signatures.py`` fails when the methods drift from the catalogue; rerun this script and paste
its output between the markers in ``hooks/usage.py`` after changing the catalogue.

    python tools/generate_signatures.py hook
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
        doc += ["", f".. deprecated:: LaunchDarkly deprecated this endpoint; use {ep.replacement}."]
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
        wrapped.extend(textwrap.wrap(line, 100, subsequent_indent="    ") or [""])
    docstring = "\n".join(("        " + w) if w else "" for w in wrapped)
    call_args = ", ".join(f"{n}={n}" for n in ep.argument_names)
    if ep.has_window:
        call_args += ", time_unit=time_unit"
    return (
        f"    def {ep.method_name}(\n{sig},\n    ) -> dict[str, Any]:\n"
        f'        """{docstring.lstrip()}\n        """\n'
        f'        return self.call("{ep.operation_id}", {call_args})\n'
    )


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "hook"
    if what == "hook":
        print("\n".join(hook_method(ep) for ep in ENDPOINTS))
