"""Drift check: compare the catalogue with LaunchDarkly's published description of the usage API.

Sources (any of them; each is compared in turn)::

    python tools/drift.py --openapi ../shared/launchdarkly/usage-openapi.json
    python tools/drift.py --client ../shared/launchdarkly/usage-client-v25.json
    python tools/drift.py --installed          # the installed ``launchdarkly-api`` package
    python tools/drift.py                      # the first available of: the two documents in
                                               # ../shared/launchdarkly, the installed client

Without a source it says which one it picked, and exits 2 naming the ways to give one when neither is there
(a user's checkout has no ``../shared``: the installed client, from the ``test`` extra, is the source there).

For each operation it prints what was added (``+``: only in the source), removed (``-``: only in the
catalogue) or changed (``~``): paths, HTTP methods, operation ids (OpenAPI only), parameters with their wire
names, Python names (client only), locations, required flags, repeatability (client only), allowed values
and the units of ``from``/``to`` (both read from LaunchDarkly's descriptions), and the response schema of
every status. A difference recorded in the reviewed list ``tools/drift_accepted.json`` (operation, field,
reason) is shown as accepted; any other difference, or an accepted entry that no longer matches a
difference, exits 1. A missing source or package exits 2.

The window's Python names are the hook's own (``start``/``end``; the client says ``var_from``/``to``), so
only their wire names, units and required flags are compared.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import re
import sys
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ACCEPTED_PATH = ROOT / "tools" / "drift_accepted.json"
# LaunchDarkly's documents as maintainers keep them beside the checkout (absent from a user's checkout).
SHARED_DOCUMENTS = ROOT.parent / "shared" / "launchdarkly"
SHARED_OPENAPI = SHARED_DOCUMENTS / "usage-openapi.json"
SHARED_CLIENT = SHARED_DOCUMENTS / "usage-client-v25.json"
sys.path.insert(0, str(ROOT))

from airflow_provider_ldusage.catalogue import ENDPOINTS, Endpoint  # noqa: E402

Facts = dict[str, Any]
# Response kinds the catalogue names differently from the client's type expression.
_KIND_NAMES = {"SdkVersionDetailsList": "List[SdkVersionDetailsRep]"}
_CLIENT_API_MODULE = "launchdarkly_api.api.account_usage_beta_api"


# --- reading LaunchDarkly's descriptions -------------------------------------------------------------------


def allowed_values(description: str) -> tuple[str, ...] | None:
    """The values a parameter description lists, or ``None`` when it lists none.

    Recognised: ``Valid values: `a`, `b`.`` (or unquoted), ``Valid values depend on ...: **x** supports
    `a` and `b`; ...`` (the union), ``Must be either `a` or `b`.`` and ``Only `a` is supported.``
    """
    text = description.replace("<br/>", "\n")
    # The list is the leading run of quoted values; prose may follow it on the same line.
    found = re.search(r"Valid values:\s*((?:`[^`]+`(?:,?\s*(?:and\s+)?)?)+)", text)
    if found:
        return tuple(re.findall(r"`([^`]+)`", found.group(1)))
    found = re.search(r"Valid values:\s*([^\n.`]*)", text)
    if found:
        return tuple(v.strip() for v in found.group(1).split(",") if v.strip())
    found = re.search(r"Valid values depend on `\w+`:\s*([^\n]*)", text)
    if found:
        return tuple(dict.fromkeys(re.findall(r"`([^`]+)`", found.group(1))))
    found = re.search(r"Must be either `([^`]+)` or `([^`]+)`", text)
    if found:
        return found.groups()
    found = re.search(r"Only `([^`]+)` is supported", text)
    if found:
        return (found.group(1),)
    return None


def time_unit(description: str) -> str | None:
    if "Unix milliseconds" in description:
        return "ms"
    if "Unix seconds" in description:
        return "s"
    return None


def _param(
    *, python: str | None, where: str, required: bool, repeatable: bool | None, description: str, wire: str
) -> Facts:
    facts: Facts = {
        "in": where,
        "required": required,
        "allowed": _sorted(allowed_values(description)),
    }
    if python is not None:
        facts["python"] = python
    if repeatable is not None:
        facts["repeatable"] = repeatable
    if wire in ("from", "to") and where == "query":
        facts["unit"] = time_unit(description)
    return facts


def _sorted(values: tuple[str, ...] | None) -> list[str] | None:
    return sorted(values) if values is not None else None


# --- the catalogue ---------------------------------------------------------------------------------------


def catalogue_facts(*, python_names: bool, repeatability: bool, operation_ids: bool) -> dict[str, Facts]:
    """The catalogue in the comparison's terms, keyed by hook method name."""
    out: dict[str, Facts] = {}
    for endpoint in ENDPOINTS:
        out[endpoint.method_name] = _endpoint_facts(endpoint, python_names, repeatability, operation_ids)
    return out


def _endpoint_facts(
    endpoint: Endpoint, python_names: bool, repeatability: bool, operation_ids: bool
) -> Facts:
    params: dict[str, Facts] = {}
    for path_param in endpoint.path_params:
        params[path_param.wire] = {
            "in": "path",
            "required": True,
            "allowed": _sorted(path_param.allowed),
            **({"python": path_param.name} if python_names else {}),
            **({"repeatable": False} if repeatability else {}),
        }
    if endpoint.has_window:
        unit = endpoint.time_unit if endpoint.unit_documented else None
        for wire in ("from", "to"):
            params[wire] = {
                "in": "query",
                "required": endpoint.window_required,
                "allowed": None,
                "unit": unit,
                **({"repeatable": False} if repeatability else {}),
            }
    for query in endpoint.query_params:
        params[query.wire] = {
            "in": "query",
            "required": False,
            "allowed": _sorted(query.allowed),
            **({"python": query.name} if python_names else {}),
            **({"repeatable": query.repeatable} if repeatability else {}),
        }
    facts: Facts = {
        "path": endpoint.path,
        "method": "GET",
        "params": params,
        "responses": {
            str(code): _KIND_NAMES.get(model, model) for code, model in endpoint.response_models.items()
        },
    }
    if operation_ids:
        facts["operation_id"] = endpoint.operation_id
    return facts


# --- the sources -----------------------------------------------------------------------------------------


def client_json_facts(document: Mapping[str, Any]) -> dict[str, Facts]:
    """The extracted client (``usage-client-v25.json``), keyed by Python method name."""
    out: dict[str, Facts] = {}
    for operation in document["operations"]:
        params: dict[str, Facts] = {}
        for p in operation["parameters"]:
            python = None if p["wire"] in ("from", "to") and p["in"] == "query" else p["python"]
            params[p["wire"]] = _param(
                python=python,
                where=p["in"],
                required=bool(p["required"]),
                repeatable=bool(p["repeatable"]),
                description=p.get("description") or "",
                wire=p["wire"],
            )
        out[operation["pythonMethod"]] = {
            "path": operation["path"],
            "method": operation["method"].upper(),
            "params": params,
            "responses": dict(operation["responses"]),
        }
    return out


def openapi_facts(document: Mapping[str, Any]) -> dict[str, Facts]:
    """An OpenAPI document, keyed by the catalogue's method name for the path (else ``?<operationId>``)."""
    by_path = {e.path: e.method_name for e in ENDPOINTS}
    out: dict[str, Facts] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method.startswith("x-") or method == "parameters":
                continue
            params: dict[str, Facts] = {}
            for p in operation.get("parameters", []):
                params[p["name"]] = _param(
                    python=None,
                    where=p["in"],
                    required=bool(p.get("required", False)),
                    repeatable=None,
                    description=p.get("description") or "",
                    wire=p["name"],
                )
            responses = {}
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                ref = schema.get("$ref", "")
                if schema.get("type") == "array":
                    ref = "List[" + schema.get("items", {}).get("$ref", "").rsplit("/", 1)[-1] + "]"
                responses[str(status)] = ref.rsplit("/", 1)[-1] or None
            key = by_path.get(path) or f"?{operation.get('operationId', path)}"
            out[key] = {
                "path": path,
                "method": method.upper(),
                "operation_id": operation.get("operationId"),
                "params": params,
                "responses": responses,
            }
    return out


def installed_facts() -> dict[str, Facts]:
    """The installed official client: each public ``get_*`` method is called with marker values against a
    recording stand-in for its ``ApiClient``, which captures what ``_serialize`` produces (wire names,
    collection formats, path) and the ``_response_types_map``; descriptions come from the signature's
    ``Field`` annotations. Nothing goes over the network."""
    import importlib

    module = importlib.import_module(_CLIENT_API_MODULE)
    api_class = module.AccountUsageBetaApi
    out: dict[str, Facts] = {}
    for name, function in inspect.getmembers(api_class, inspect.isfunction):
        if not name.startswith("get_") or name.endswith(("_with_http_info", "_without_preload_content")):
            continue
        out[name] = _installed_operation(api_class, name, function)
    return out


class _Stop(Exception):
    pass


class _Recorder:
    """Stands in for ``ApiClient``: keeps what the generated method hands it and stops before any I/O."""

    def __init__(self) -> None:
        self.serialized: dict[str, Any] = {}
        self.response_types: dict[str, str | None] = {}

    def param_serialize(self, **kwargs: Any) -> tuple[Any, ...]:
        self.serialized = kwargs
        return ("GET", "http://recorder", {}, None, [])

    def select_header_accept(self, accepts: list[str]) -> str | None:
        return accepts[0] if accepts else None

    def select_header_content_type(self, types: list[str]) -> str | None:
        return types[0] if types else None

    def call_api(self, *args: Any, **kwargs: Any) -> Any:
        class _Response:
            def read(self) -> bytes:
                return b""

        return _Response()

    def response_deserialize(self, response_data: Any = None, response_types_map: Any = None) -> Any:
        self.response_types = dict(response_types_map or {})
        raise _Stop


def _description(annotation: Any) -> str:
    for meta in getattr(annotation, "__metadata__", ()):
        text = getattr(meta, "description", None)
        if text:
            return str(text)
    return ""


def _marker(python: str, annotation: Any, index: int) -> tuple[Any, list[str]]:
    """A value for ``python`` that no other parameter sends, and the strings it puts on the wire."""
    text = repr(annotation)
    if "List[" in text or "list[" in text:
        values = [f"{python}~1", f"{python}~2"]
        return values, values
    if re.search(r"\[int\b|StrictInt", text):
        return index + 1, [str(index + 1)]  # small: some integers are bounded (limit: 1..100)
    return f"{python}~1", [f"{python}~1"]


def _installed_operation(api_class: Any, name: str, function: Any) -> Facts:
    signature = inspect.signature(function)
    hints = typing.get_type_hints(function, include_extras=True)
    recorder = _Recorder()
    api = api_class(api_client=recorder)
    arguments: dict[str, Any] = {}
    wire_values: dict[str, list[str]] = {}
    for index, python in enumerate(signature.parameters):
        if python == "self" or python.startswith("_"):
            continue
        value, on_wire = _marker(python, hints.get(python), index)
        arguments[python] = value
        wire_values[python] = on_wire
    with contextlib.suppress(_Stop):  # raised once the response types are recorded
        getattr(api, name)(**arguments)
    serialized = recorder.serialized
    formats: dict[str, str] = serialized.get("collection_formats") or {}
    params: dict[str, Facts] = {}
    for wire, value in (serialized.get("path_params") or {}).items():
        python = next(p for p, v in wire_values.items() if v == [str(value)])
        params[wire] = _param(
            python=python,
            where="path",
            required=True,
            repeatable=False,
            description=_description(hints.get(python)),
            wire=wire,
        )
    for wire, value in serialized.get("query_params") or []:
        values = value if isinstance(value, list) else [str(value)]
        python = next(p for p, v in wire_values.items() if v == [str(x) for x in values])
        default = signature.parameters[python].default
        description = _description(hints.get(python))
        params[wire] = _param(
            python=None if wire in ("from", "to") else python,
            where="query",
            required=default is inspect.Parameter.empty,
            # The client types most repeatable filters as one string (only the ranking's projectKey is a
            # ``multi`` list); their descriptions say they repeat, as the extracted JSON records.
            repeatable=formats.get(wire) == "multi" or "multiple times" in description,
            description=description,
            wire=wire,
        )
    return {
        "path": serialized.get("resource_path"),
        "method": str(serialized.get("method", "")).upper(),
        "params": params,
        "responses": {k: v for k, v in recorder.response_types.items()},
    }


# --- comparing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One difference: ``kind`` is ``+`` (only in the source), ``-`` (only in the catalogue) or ``~``."""

    operation: str
    field: str
    kind: str
    catalogue: Any
    source: Any

    def describe(self) -> str:
        if self.kind == "+":
            return f"+ {self.field}: only in the source ({_show(self.source)})"
        if self.kind == "-":
            return f"- {self.field}: only in the catalogue ({_show(self.catalogue)})"
        return f"~ {self.field}: catalogue {_show(self.catalogue)}, source {_show(self.source)}"


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else value


def compare(ours: Mapping[str, Facts], theirs: Mapping[str, Facts]) -> list[Difference]:
    """Every difference, operation by operation (both directions)."""
    out: list[Difference] = []
    for operation in sorted(set(ours) | set(theirs)):
        if operation not in theirs:
            out.append(Difference(operation, "operation", "-", ours[operation]["path"], None))
            continue
        if operation not in ours:
            out.append(Difference(operation, "operation", "+", None, theirs[operation]["path"]))
            continue
        out += list(_compare_operation(operation, ours[operation], theirs[operation]))
    return out


def _compare_operation(operation: str, ours: Facts, theirs: Facts) -> Iterator[Difference]:
    for key in ("path", "method", "operation_id"):
        if key in theirs and ours.get(key) != theirs[key]:
            yield Difference(operation, key, "~", ours.get(key), theirs[key])
    mine, other = ours["params"], theirs["params"]
    for wire in sorted(set(mine) | set(other)):
        field = f"param:{wire}"
        if wire not in other:
            yield Difference(operation, field, "-", mine[wire], None)
        elif wire not in mine:
            yield Difference(operation, field, "+", None, other[wire])
        else:
            for attr in sorted(set(mine[wire]) & set(other[wire])):
                if mine[wire][attr] != other[wire][attr]:
                    yield Difference(operation, f"{field}.{attr}", "~", mine[wire][attr], other[wire][attr])
    responses_ours, responses_theirs = ours["responses"], theirs["responses"]
    for status in sorted(set(responses_ours) | set(responses_theirs)):
        field = f"response:{status}"
        if status not in responses_theirs:
            yield Difference(operation, field, "-", responses_ours[status], None)
        elif status not in responses_ours:
            yield Difference(operation, field, "+", None, responses_theirs[status])
        elif responses_ours[status] != responses_theirs[status]:
            yield Difference(operation, field, "~", responses_ours[status], responses_theirs[status])


@dataclass(frozen=True)
class Accepted:
    """A reviewed, deliberate difference."""

    source: str
    operation: str
    field: str
    reason: str


def load_accepted(path: Path = ACCEPTED_PATH) -> list[Accepted]:
    """The reviewed list; every entry needs ``source`` (openapi|client), operation, field and reason."""
    document = json.loads(path.read_text())
    out = []
    for entry in document.get("accepted", []):
        missing = {"source", "operation", "field", "reason"} - set(entry)
        if missing or entry["source"] not in ("openapi", "client") or not str(entry["reason"]).strip():
            raise ValueError(f"{path}: incomplete entry {entry!r} (needs source, operation, field, reason)")
        out.append(Accepted(entry["source"], entry["operation"], entry["field"], entry["reason"]))
    return out


@dataclass(frozen=True)
class Report:
    differences: list[Difference]
    accepted: dict[tuple[str, str], Accepted]
    stale: list[Accepted]

    @property
    def unaccepted(self) -> list[Difference]:
        return [d for d in self.differences if (d.operation, d.field) not in self.accepted]

    @property
    def ok(self) -> bool:
        return not self.unaccepted and not self.stale


def check(
    source: str, ours: Mapping[str, Facts], theirs: Mapping[str, Facts], accepted: list[Accepted]
) -> Report:
    mine = {(a.operation, a.field): a for a in accepted if a.source == source}
    differences = compare(ours, theirs)
    seen = {(d.operation, d.field) for d in differences}
    stale = [a for key, a in mine.items() if key not in seen]
    return Report(differences, {k: v for k, v in mine.items() if k in seen}, stale)


def facts_for(source: str, theirs: Mapping[str, Facts]) -> dict[str, Facts]:
    """The catalogue, seen with the fields ``source`` can tell."""
    if source == "openapi":
        return catalogue_facts(python_names=False, repeatability=False, operation_ids=True)
    return catalogue_facts(python_names=True, repeatability=True, operation_ids=False)


def render(report: Report, label: str, count: int) -> str:
    lines = [f"drift: catalogue ({len(ENDPOINTS)} operations) vs {label} ({count} operations)"]
    by_operation: dict[str, list[Difference]] = {}
    for difference in report.differences:
        by_operation.setdefault(difference.operation, []).append(difference)
    for operation, differences in by_operation.items():
        lines.append(f"{operation}:")
        for difference in differences:
            accepted = report.accepted.get((difference.operation, difference.field))
            suffix = f"   [accepted: {accepted.reason}]" if accepted else "   [NOT ACCEPTED]"
            lines.append(f"  {difference.describe()}{suffix}")
    for entry in report.stale:
        lines.append(f"stale accepted entry (no such difference any more): {entry.operation} {entry.field}")
    unaccepted = len(report.unaccepted)
    lines.append(
        f"{len(report.differences)} difference(s), {len(report.differences) - unaccepted} accepted, "
        f"{unaccepted} not accepted, {len(report.stale)} stale accepted entries"
    )
    return "\n".join(lines)


def _client_installed() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(_CLIENT_API_MODULE) is not None
    except (ImportError, ValueError):  # the parent package itself is missing (or blocked)
        return False


def _no_source_message() -> str:
    return (
        f"drift: no source to compare with: {SHARED_DOCUMENTS} is absent (only maintainers' checkouts have "
        "../shared) and the official client launchdarkly-api is not installed in this Python. Give one:\n"
        "  make drift OPENAPI=path/to/openapi.json   LaunchDarkly's OpenAPI document\n"
        "  make drift CLIENT=path/to/client.json     an extracted client description\n"
        "  pip install launchdarkly-api==25.0.1      then `make drift` compares with the installed client\n"
        "                                            (the test extra, `make test`'s install, brings it)"
    )


def _compare(source: str, label: str, theirs: dict[str, Facts], accepted: list[Accepted]) -> bool:
    report = check(source, facts_for(source, theirs), theirs, accepted)
    print(render(report, label, len(theirs)))
    return report.ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--openapi", type=Path, metavar="FILE", help="an OpenAPI document (JSON)")
    parser.add_argument("--client", type=Path, metavar="FILE", help="the extracted client JSON")
    parser.add_argument("--installed", action="store_true", help="the installed launchdarkly-api package")
    parser.add_argument("--accepted", type=Path, default=ACCEPTED_PATH, help="the reviewed list (JSON)")
    args = parser.parse_args(argv)
    try:
        accepted = load_accepted(args.accepted)
    except (OSError, ValueError) as exc:
        print(f"drift: cannot read the accepted list: {exc}", file=sys.stderr)
        return 2
    if not (args.openapi or args.client or args.installed):
        if SHARED_OPENAPI.is_file() and SHARED_CLIENT.is_file():
            print(f"drift: no source given; comparing with the documents in {SHARED_DOCUMENTS}")
            args.openapi, args.client = SHARED_OPENAPI, SHARED_CLIENT
        elif _client_installed():
            print(
                f"drift: no source given and no {SHARED_DOCUMENTS}; comparing with the installed official "
                "client"
            )
            args.installed = True
        else:
            print(_no_source_message(), file=sys.stderr)
            return 2
    ok = True
    for source, path in (("openapi", args.openapi), ("client", args.client)):
        if path is None:
            continue
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            print(f"drift: cannot read {path}: {exc}", file=sys.stderr)
            return 2
        theirs = openapi_facts(document) if source == "openapi" else client_json_facts(document)
        ok &= _compare(source, str(path), theirs, accepted)
    if args.installed:
        try:
            theirs = installed_facts()
        except ImportError as exc:
            print(
                f"drift: the official client is not installed ({exc}); install it with "
                "`pip install launchdarkly-api==25.0.1` (in the test extra) and run this command again",
                file=sys.stderr,
            )
            return 2
        ok &= _compare("client", f"installed {_installed_version()}", theirs, accepted)
    return 0 if ok else 1


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"launchdarkly-api {version('launchdarkly-api')}"
    except PackageNotFoundError:
        return "launchdarkly-api (version unknown)"


if __name__ == "__main__":
    sys.exit(main())
