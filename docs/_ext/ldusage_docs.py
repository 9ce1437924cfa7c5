"""Sphinx directives that write the docs' endpoint, operator and connection tables from the package itself.

Every fact about an endpoint lives in :mod:`airflow_provider_ldusage.catalogue`; every connection field in
:mod:`airflow_provider_ldusage.provider_info`. These directives render them, so no fact is typed twice:

``.. ldusage-endpoint-summary::``  one table row per operation.
``.. ldusage-family-table::``      aggregation/granularity rules per family.
``.. ldusage-endpoints::``         one section per operation (path, ids, unit, span, parameters...).
``.. ldusage-operators::``         one section per operator, with the example-DAG snippets that use it.
``.. ldusage-connection-fields::`` the connection form: standard fields and extras.
``.. ldusage-benchmarks::``        ``benchmarks/results.md`` rendered, or a note that it has not been run.

Example-DAG snippets are found, not listed: every ``# [START name]`` / ``# [END name]`` region of
``example_dags/*.py`` is indexed with the operator classes it mentions (:func:`example_snippets`).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = ROOT / "example_dags"
BENCH_RESULTS = ROOT / "benchmarks" / "results.md"
OPERATORS_MODULE = "airflow_provider_ldusage.operators.usage"
HOOK = "airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook"

_MARKER = re.compile(r"#\s*\[(START|END)\s+([\w.-]+)\]")


# --- shared helpers ---------------------------------------------------------------------------------------


def list_table(header: Sequence[str], rows: Iterable[Sequence[str]], widths: str = "auto") -> list[str]:
    """An rst ``list-table``; cells are rst text (empty cells become an em dash)."""
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [list(header), *[list(r) for r in rows]]:
        for i, cell in enumerate(row):
            out.append(f"   {'* -' if i == 0 else '  -'} {cell or '—'}")
    out.append("")
    return out


def literal_list(values: Iterable[str] | None) -> str:
    return ", ".join(f"``{v}``" for v in values) if values else ""


def operators_module() -> Any | None:
    """The operators module, or ``None`` while it does not exist (import errors are not hidden)."""
    if importlib.util.find_spec(OPERATORS_MODULE) is None:
        return None
    return importlib.import_module(OPERATORS_MODULE)


def operator_ref(name: str) -> str:
    module = operators_module()
    if module is not None and hasattr(module, name):
        return f":class:`~{OPERATORS_MODULE}.{name}`"
    return f"``{name}``"


def unit_text(endpoint: Any, hook: bool = True) -> str:
    if endpoint.time_unit is None:
        return "no time window"
    unit = "epoch milliseconds" if endpoint.time_unit == "ms" else "epoch **seconds**"
    if endpoint.unit_documented:
        return f"{unit} (documented by LaunchDarkly)"
    override = "; the hook method takes ``time_unit`` to override it" if hook else ""
    return f"{unit} (assumed: LaunchDarkly states no unit{override})"


def span_text(endpoint: Any) -> str:
    if endpoint.time_unit is None:
        return "—"
    if endpoint.max_span_days is None:
        return "none stated by LaunchDarkly"
    return f"{endpoint.max_span_days} days"


def aggregation_text(family: Any) -> str:
    if not family.granularity_by_aggregation:
        return ""
    parts = [f"``{agg}``: {literal_list(grans)}" for agg, grans in family.granularity_by_aggregation.items()]
    return "; ".join(parts)


@dataclass(frozen=True)
class Snippet:
    """A ``# [START name]`` … ``# [END name]`` region of an example DAG."""

    path: Path
    name: str
    text: str

    @property
    def relpath(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    def mentions(self, identifier: str) -> bool:
        return re.search(rf"\b{re.escape(identifier)}\b", self.text) is not None


def example_snippets(folder: Path = EXAMPLE_DAGS) -> list[Snippet]:
    """Every START/END region of ``folder/*.py`` (sorted by file, then position)."""
    found: list[Snippet] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        open_at: dict[str, int] = {}
        for number, line in enumerate(lines):
            match = _MARKER.search(line)
            if not match:
                continue
            kind, name = match.groups()
            if kind == "START":
                open_at[name] = number
            elif name in open_at:
                body = "\n".join(lines[open_at.pop(name) + 1 : number])
                found.append(Snippet(path, name, body))
    return found


def example_files(folder: Path = EXAMPLE_DAGS) -> list[Snippet]:
    """Each example DAG file as a whole (name ``*``), for "which examples use this class"."""
    if not folder.is_dir():
        return []
    return [Snippet(p, "*", p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.py"))]


def literalinclude(snippet: Snippet, docname: str, caption: str | None = None) -> list[str]:
    """A ``literalinclude`` of ``snippet`` relative to the including document."""
    depth = docname.count("/")
    rel = "../" * (depth + 1) + snippet.relpath
    out = [
        f".. literalinclude:: {rel}",
        "   :language: python",
        "   :dedent:",
        f"   :start-after: [START {snippet.name}]",
        f"   :end-before: [END {snippet.name}]",
    ]
    if caption:
        out.append(f"   :caption: {caption}")
    return [*out, ""]


class _Generated(SphinxDirective):
    """Base: subclasses return rst lines; they are parsed as if written in the page."""

    has_content = False

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        node = nodes.section()
        node.document = self.state.document
        source = f"<generated by {self.name}>"
        content = StringList()
        for line in self.lines():
            content.append(line, source)
        nested_parse_with_titles(self.state, content, node)
        return node.children


# --- endpoints --------------------------------------------------------------------------------------------


def endpoint_label(endpoint: Any) -> str:
    return f"endpoint-{endpoint.operation_id.lower()}"


class EndpointSummary(_Generated):
    def lines(self) -> list[str]:
        from airflow_provider_ldusage.catalogue import ENDPOINTS

        rows = []
        for e in ENDPOINTS:
            rows.append(
                [
                    f":ref:`{e.operation_id} <{endpoint_label(e)}>`"
                    + (" (deprecated)" if e.deprecated else ""),
                    f"``{e.path.removeprefix('/api/v2/usage')}``",
                    e.family.title,
                    {"ms": "ms", "s": "**s**", None: "—"}[e.time_unit]
                    + ("" if e.unit_documented or e.time_unit is None else " (assumed)"),
                    span_text(e),
                    operator_ref(e.operator_name),
                ]
            )
        return list_table(
            ["Operation", "Path under ``/api/v2/usage``", "Family", "Unit", "Max span", "Operator"], rows
        )


class FamilyTable(_Generated):
    def lines(self) -> list[str]:
        from airflow_provider_ldusage.catalogue import ENDPOINTS

        families: dict[str, Any] = {}
        members: dict[str, list[str]] = {}
        for e in ENDPOINTS:
            families.setdefault(e.family.name, e.family)
            members.setdefault(e.family.name, []).append(f"``{e.operation_id}``")
        rows = []
        for name, family in families.items():
            rows.append(
                [
                    family.title,
                    ", ".join(members[name]),
                    aggregation_text(family),
                    f"``{family.default_aggregation}``" if family.default_aggregation else "",
                    f"``{family.default_granularity}``" if family.default_granularity else "",
                    f"{family.max_span_days} days" if family.max_span_days else "",
                    family.bucket,
                ]
            )
        return list_table(
            [
                "Family",
                "Operations",
                "Granularities allowed per ``aggregationType``",
                "Default aggregation",
                "Default granularity",
                "Max span",
                "Buckets",
            ],
            rows,
        )


class Endpoints(_Generated):
    def lines(self) -> list[str]:
        from airflow_provider_ldusage.catalogue import ENDPOINTS

        out: list[str] = []
        for e in ENDPOINTS:
            title = f"``{e.operation_id}``"
            out += [f".. _{endpoint_label(e)}:", "", title, "~" * len(title), ""]
            if e.deprecated:
                out += [
                    ".. warning::",
                    "",
                    f"   LaunchDarkly has deprecated this endpoint; use {e.replacement}. The hook method "
                    "emits a ``DeprecationWarning``.",
                    "",
                ]
            default = f"{e.default_window} .. now" if e.default_window else "—"
            fields = [
                ("Request", f"``GET {e.path}``"),
                ("Operation id", f"``{e.operation_id}``"),
                ("Hook method", f":meth:`~{HOOK}.{e.method_name}`"),
                ("Operator", operator_ref(e.operator_name)),
                ("Family", e.family.title),
                ("Counts", e.counts),
                ("Timestamp unit", unit_text(e)),
                ("Max span", span_text(e)),
                ("LaunchDarkly's default window", default),
                ("Buckets", e.family.bucket),
                ("Response", f"``{e.response_kind}``"),
                ("Documented status codes", ", ".join(str(c) for c in e.status_codes)),
                ("Deprecated", f"yes — use {e.replacement}" if e.deprecated else "no"),
            ]
            for key, value in fields:
                out.append(f":{key}: {value}")
            out.append("")
            rows: list[list[str]] = []
            for p in e.path_params:
                rows.append(
                    [f"``{{{p.wire}}}``", f"``{p.name}``", "path", "no", literal_list(p.allowed), p.doc]
                )
            if e.has_window:
                rows.append(["``from``", "``start``", "query", "no", "", "Window start (inclusive)."])
                rows.append(["``to``", "``end``", "query", "no", "", "Window end (exclusive)."])
            for q in e.query_params:
                doc = q.doc
                if q.wire == "granularity" and e.family.granularity_by_aggregation:
                    doc += " " + aggregation_text(e.family) + "."
                rows.append(
                    [
                        f"``{q.wire}``",
                        f"``{q.name}``",
                        "query",
                        "yes" if q.repeatable else "no",
                        literal_list(q.allowed),
                        doc,
                    ]
                )
            if rows:
                out += list_table(
                    ["Wire name", "Python name", "In", "Repeatable", "Allowed values", "Meaning"],
                    rows,
                    "15 15 8 8 24 30",
                )
            else:
                out += ["No parameters.", ""]
        return out


# --- operators --------------------------------------------------------------------------------------------


class Operators(_Generated):
    def lines(self) -> list[str]:
        from airflow_provider_ldusage.catalogue import ENDPOINTS

        snippets = example_snippets()
        module = operators_module()
        out: list[str] = []
        for e in ENDPOINTS:
            name = e.operator_name
            out += [f".. _howto/operator:{name}:", "", name, "~" * len(name), ""]
            if e.deprecated:
                out += [
                    ".. warning::",
                    "",
                    f"   LaunchDarkly has deprecated ``{e.path}``; use {e.replacement}.",
                    "",
                ]
            out += [
                f"Calls ``GET {e.path}`` (:ref:`{e.operation_id} <{endpoint_label(e)}>`) through "
                f":meth:`~{HOOK}.{e.method_name}`. Counts: {e.counts}.",
                "",
            ]
            cls = getattr(module, name, None) if module is not None else None
            span = span_text(e)
            if e.max_span_days is not None:
                span += " per request; longer windows are split and merged"
            fields = [
                ("Timestamp unit", unit_text(e, hook=False)),
                ("Max span", span),
                ("Buckets", e.family.bucket),
            ]
            if cls is not None:
                fields.append(("Templated fields", literal_list(getattr(cls, "template_fields", ()))))
            for key, value in fields:
                out.append(f":{key}: {value}")
            out.append("")
            rows = [
                [f"``{p.name}``", f"path ``{{{p.wire}}}``", "no", literal_list(p.allowed), p.doc]
                for p in e.path_params
            ]
            rows += [
                [
                    f"``{q.name}``",
                    f"``{q.wire}``",
                    "yes" if q.repeatable else "no",
                    literal_list(q.allowed),
                    q.doc,
                ]
                for q in e.query_params
            ]
            if rows:
                out += list_table(
                    ["Argument", "Sent as", "Repeatable", "Allowed values", "Meaning"],
                    rows,
                    "18 18 10 24 30",
                )
            else:
                out += ["No filters: only the common arguments.", ""]
            used = [s for s in snippets if s.mentions(name)]
            for snippet in used:
                out += literalinclude(snippet, self.env.docname, f"{snippet.relpath} — ``{snippet.name}``")
            if not used:
                files = sorted({s.relpath for s in example_files() if s.mentions(name)})
                if files:
                    out += [
                        "Used by the example DAGs "
                        + ", ".join(f"``{f}``" for f in files)
                        + ", among several operators run alike (see :ref:`operators-examples`).",
                        "",
                    ]
            if cls is not None:
                out += [f"Reference: :class:`~{OPERATORS_MODULE}.{name}`.", ""]
        return out


# --- connection -------------------------------------------------------------------------------------------


class ConnectionFields(_Generated):
    def lines(self) -> list[str]:
        from airflow_provider_ldusage.catalogue import KNOWN_BASE_URLS
        from airflow_provider_ldusage.hooks import _connection as conn
        from airflow_provider_ldusage.provider_info import get_provider_info

        (ctype,) = get_provider_info()["connection-types"]
        behaviour = ctype["ui-field-behaviour"]
        relabel = behaviour.get("relabeling", {})
        hosts = ", ".join(f"{name} ``{url}``" for name, url in KNOWN_BASE_URLS.items())
        rows = [
            [
                "``host``",
                relabel.get("host", "Host"),
                f"``{conn.DEFAULT_BASE_URL}``",
                f"Base URL of the LaunchDarkly instance: {hosts} (see below).",
            ],
            [
                "``password``",
                relabel.get("password", "Password"),
                "required",
                "The API access token, sent raw in ``Authorization`` (a pasted ``Bearer`` prefix is "
                "dropped with a warning).",
            ],
        ]
        defaults = {
            "connect_timeout": conn.DEFAULT_CONNECT_TIMEOUT,
            "read_timeout": conn.DEFAULT_READ_TIMEOUT,
            "max_retries": conn.DEFAULT_MAX_RETRIES,
            "max_retry_wait": conn.DEFAULT_MAX_RETRY_WAIT,
        }
        for name, spec in ctype["conn-fields"].items():
            schema = spec["schema"]
            numeric = "minimum" in schema
            bounds = f" Form bounds: {schema.get('minimum')}..{schema.get('maximum')}." if numeric else ""
            default = f"``{defaults.get(name, schema.get('default'))}``" if numeric else "empty (off)"
            rows.append([f"extra ``{name}``", spec["label"], default, spec["description"] + bounds])
        hidden = literal_list(behaviour.get("hidden-fields"))
        return [
            *list_table(["Field", "Label in the UI", "Default", "Meaning"], rows, "15 20 15 50"),
            f"Hidden in the connection form (unused): {hidden}.",
            "",
        ]


# --- benchmarks -------------------------------------------------------------------------------------------


def _inline(text: str) -> str:
    """Markdown inline code to rst literals; everything else escaped, so no cell can start rst markup."""
    out = []
    for part in re.split(r"(`[^`]+`)", text):
        if len(part) > 2 and part.startswith("`") and part.endswith("`") and part[1:-1].strip():
            out.append(f"\\ ``{part[1:-1].strip()}``\\ ")  # escaped spaces: valid next to any text
        else:
            out.append(re.sub(r"([\\`*_|<>\[\]:])", r"\\\1", part))
    return "".join(out).strip()


def _cells(line: str) -> list[str]:
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def markdown_to_rst(text: str) -> list[str]:
    """Render a Markdown results file without any risk to a ``-W`` build.

    Headings become rubrics and pipe tables list-tables (cells escaped); every other run of lines is shown
    verbatim in a literal block, which rst never interprets.
    """
    out: list[str] = []
    verbatim: list[str] = []

    def flush() -> None:
        while verbatim and not verbatim[-1].strip():
            verbatim.pop()
        if verbatim:
            out.extend(["::", "", *[f"   {v}" if v.strip() else "" for v in verbatim], ""])
        verbatim.clear()

    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if re.match(r"#{1,6}\s", line):
            flush()
            out += [f".. rubric:: {_inline(line.lstrip('#').strip())}", ""]
            i += 1
        elif line.lstrip().startswith("|") and not (verbatim and verbatim[-1].lstrip().startswith("```")):
            flush()
            table: list[list[str]] = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                cells = _cells(lines[i])
                if not all(re.fullmatch(r":?-+:?", c) for c in cells if c):
                    table.append([_inline(c) for c in cells])
                i += 1
            width = max(len(r) for r in table)
            table = [r + [""] * (width - len(r)) for r in table]
            out += list_table(table[0], table[1:])
        elif line.lstrip().startswith("```"):
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith("```"):
                verbatim.append(lines[i].rstrip())
                i += 1
            i += 1
        else:
            if line.strip() or verbatim:
                verbatim.append(line)
            i += 1
    flush()
    return out


class Benchmarks(_Generated):
    def lines(self) -> list[str]:
        # Also while absent: Sphinx then rereads this page on every build, so a new results file shows up.
        self.env.note_dependency(str(BENCH_RESULTS))
        if not BENCH_RESULTS.is_file():
            return [
                ".. note::",
                "",
                "   ``benchmarks/results.md`` does not exist in this checkout: the benchmarks have not been",
                "   run here. Run ``make bench`` and rebuild the docs to see the table.",
                "",
            ]
        return [
            "The latest results, from ``benchmarks/results.md``:",
            "",
            *markdown_to_rst(BENCH_RESULTS.read_text(encoding="utf-8")),
        ]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("ldusage-endpoint-summary", EndpointSummary)
    app.add_directive("ldusage-family-table", FamilyTable)
    app.add_directive("ldusage-endpoints", Endpoints)
    app.add_directive("ldusage-operators", Operators)
    app.add_directive("ldusage-connection-fields", ConnectionFields)
    app.add_directive("ldusage-benchmarks", Benchmarks)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
