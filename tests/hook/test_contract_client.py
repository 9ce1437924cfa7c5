"""The catalogue holds to LaunchDarkly's official Python client 25.0.1 (the extracted
``../shared/launchdarkly/usage-client-v25.json``), operation by operation, in both directions.

Checked directly here: path, method, every parameter's wire name, Python name, location, required flag and
repeatability, the unit of ``from``/``to``, the allowed values the descriptions list, the response model of
every status. A difference is allowed only where ``tools/drift_accepted.json`` records it for the client,
and then it must still be there (an entry the client has caught up with fails).
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import BY_METHOD, ENDPOINTS, Endpoint
from tests.project_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
CLIENT_PATH = (ROOT / ".." / "shared" / "launchdarkly" / "usage-client-v25.json").resolve()
CLIENT_OPERATIONS = 28


def _drift() -> Any:
    return load_script("tools/drift.py")


DRIFT = _drift()
ACCEPTED = {(a.operation, a.field) for a in DRIFT.load_accepted() if a.source == "client"}


@pytest.fixture(scope="module")
def client() -> dict[str, Any]:
    if not CLIENT_PATH.is_file():
        pytest.skip(f"the extracted official client is not available at {CLIENT_PATH} (../shared absent)")
    document: dict[str, Any] = json.loads(CLIENT_PATH.read_text())
    return document


def _operation(client: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    found = [op for op in client["operations"] if op["pythonMethod"] == endpoint.method_name]
    assert len(found) == 1, f"{endpoint.method_name}: {len(found)} client operations"
    operation: dict[str, Any] = found[0]
    return operation


def _same(operation: str, field: str, ours: object, theirs: object) -> None:
    """Equal, unless the reviewed list accepts this difference; then it must still differ."""
    if (operation, field) in ACCEPTED:
        assert ours != theirs, f"{operation} {field}: accepted difference is gone; delete its entry"
    else:
        assert ours == theirs, f"{operation} {field}: catalogue {ours!r}, client {theirs!r}"


def test_the_catalogue_and_the_client_have_the_same_28_operations(client: dict[str, Any]) -> None:
    theirs = [op["pythonMethod"] for op in client["operations"]]
    ours = [e.method_name for e in ENDPOINTS]
    assert len(theirs) == len(set(theirs)) == CLIENT_OPERATIONS
    assert len(ours) == len(set(ours)) == CLIENT_OPERATIONS
    assert sorted(set(theirs) - set(ours)) == [], "in the client, missing from the catalogue"
    assert sorted(set(ours) - set(theirs)) == [], "in the catalogue, not in the client"
    assert {op["path"] for op in client["operations"]} == {e.path for e in ENDPOINTS}


def test_every_client_operation_is_found_from_the_client_side(client: dict[str, Any]) -> None:
    for operation in client["operations"]:
        endpoint = BY_METHOD.get(operation["pythonMethod"])
        assert endpoint is not None, operation["pythonMethod"]
        assert endpoint.path == operation["path"]
        theirs = {p["wire"] for p in operation["parameters"]}
        ours = {p.wire for p in endpoint.path_params} | {q.wire for q in endpoint.query_params}
        ours |= {"from", "to"} if endpoint.has_window else set()
        assert theirs == ours, operation["pythonMethod"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.method_name)
def test_each_operation_matches_the_client(client: dict[str, Any], endpoint: Endpoint) -> None:
    operation = _operation(client, endpoint)
    name = endpoint.method_name
    assert operation["method"] == "GET"
    _same(name, "path", endpoint.path, operation["path"])
    params = {p["wire"]: p for p in operation["parameters"]}
    assert len(params) == len(operation["parameters"]), "a wire name appears twice"

    path_wires = [p["wire"] for p in operation["parameters"] if p["in"] == "path"]
    assert [p.wire for p in endpoint.path_params] == path_wires
    for path_param in endpoint.path_params:
        theirs = params[path_param.wire]
        assert "{" + path_param.wire + "}" in endpoint.path
        _same(name, f"param:{path_param.wire}.python", path_param.name, theirs["python"])
        assert theirs["required"] is True and theirs["repeatable"] is False
        allowed = DRIFT.allowed_values(theirs["description"])
        _same(name, f"param:{path_param.wire}.allowed", _set(path_param.allowed), _set(allowed))

    if endpoint.has_window:
        for wire, python in (("from", "var_from"), ("to", "to")):
            theirs = params[wire]
            assert (theirs["in"], theirs["python"], theirs["repeatable"]) == ("query", python, False)
            _same(name, f"param:{wire}.required", endpoint.window_required, theirs["required"])
            unit = endpoint.time_unit if endpoint.unit_documented else None
            _same(name, f"param:{wire}.unit", unit, DRIFT.time_unit(theirs["description"]))
    else:
        assert "from" not in params and "to" not in params

    for query in endpoint.query_params:
        theirs = params.get(query.wire)
        assert theirs is not None, f"{name}: {query.wire} is not a client parameter (case matters)"
        assert theirs["in"] == "query" and theirs["required"] is False
        _same(name, f"param:{query.wire}.python", query.name, theirs["python"])
        _same(name, f"param:{query.wire}.repeatable", query.repeatable, theirs["repeatable"])
        allowed = DRIFT.allowed_values(theirs["description"])
        _same(name, f"param:{query.wire}.allowed", _set(query.allowed), _set(allowed))

    responses = {int(code): model for code, model in operation["responses"].items()}
    assert sorted(responses) == sorted(endpoint.status_codes)
    for code, model in endpoint.response_models.items():
        ours = "List[SdkVersionDetailsRep]" if model == "SdkVersionDetailsList" else model
        _same(name, f"response:{code}", ours, responses[code])
        assert _models(responses[code]) <= set(client["models"]), f"{responses[code]} has no schema"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.method_name)
def test_the_200_model_has_the_fields_the_catalogue_relies_on(
    client: dict[str, Any], endpoint: Endpoint
) -> None:
    schema = client["models"][next(iter(_models(_operation(client, endpoint)["responses"]["200"])))]
    properties = set(schema.get("properties", {}))
    if endpoint.is_series:
        assert {"_links", "metadata", "series"} <= properties
    if endpoint.has_freshness:
        assert {"dataThrough", "delayed"} <= properties
    if endpoint.paging is not None:
        assert endpoint.paging.items in properties
        page = schema["$defs"][
            schema["properties"][endpoint.paging.next_cursor[0]]["$ref"].rsplit("/", 1)[-1]
        ]
        assert endpoint.paging.next_cursor[1] in page["properties"]
        assert {endpoint.paging.cursor, endpoint.paging.limit} <= {q.wire for q in endpoint.query_params}


def test_every_accepted_client_difference_names_a_real_operation() -> None:
    for operation, _field in ACCEPTED:
        assert operation in BY_METHOD, operation


def _set(values: typing.Iterable[str] | None) -> frozenset[str] | None:
    return frozenset(values) if values is not None else None


def _models(type_expression: str) -> set[str]:
    inner = type_expression.removeprefix("List[").removesuffix("]")
    return {inner}
