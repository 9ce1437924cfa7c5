"""The catalogue holds to LaunchDarkly's OpenAPI document, path by path, in both directions.

Reads ``../shared/launchdarkly/usage-openapi.json`` through the ``openapi`` fixture, which skips with a
message when a clone has no ``../shared``. The document (2026-03-25) has 21 paths; the catalogue follows the
newer official client 25.0.1 (test_contract_client.py) and so has 28. Every place where the catalogue departs
from this document on purpose is an entry of the reviewed list ``tools/drift_accepted.json`` (source
``openapi``): such a check then asserts that the difference is still there, never that anything goes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import BY_PATH, ENDPOINTS, Endpoint

SPEC_PATHS_EXPECTED = 21
ACCEPTED_PATH = Path(__file__).resolve().parents[2] / "tools" / "drift_accepted.json"
ACCEPTED = {
    (entry["operation"], entry["field"])
    for entry in json.loads(ACCEPTED_PATH.read_text())["accepted"]
    if entry["source"] == "openapi"
}


def _operation(openapi: dict[str, Any], path: str) -> dict[str, Any]:
    item: dict[str, Any] = openapi["paths"][path]
    assert list(item) == ["get"], f"{path}: only GET is expected, the spec has {list(item)}"
    operation: dict[str, Any] = item["get"]
    return operation


def _params(operation: dict[str, Any], where: str) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == where]


def _accepted(endpoint: Endpoint, field: str) -> bool:
    return (endpoint.method_name, field) in ACCEPTED


def test_the_spec_has_21_paths_and_the_catalogue_has_each(openapi: dict[str, Any]) -> None:
    spec_paths = set(openapi["paths"])
    catalogue_paths = {e.path for e in ENDPOINTS}
    assert len(spec_paths) == SPEC_PATHS_EXPECTED
    assert len(ENDPOINTS) == len(catalogue_paths)
    assert sorted(spec_paths - catalogue_paths) == [], "in the spec, missing from the catalogue"
    for endpoint in ENDPOINTS:
        if endpoint.path in spec_paths:
            assert not _accepted(endpoint, "operation"), f"{endpoint.method_name}: stale accepted entry"
        else:
            assert _accepted(endpoint, "operation"), f"{endpoint.path}: not in the spec, and not reviewed"
            assert endpoint.source == "client-25.0.1", endpoint.method_name


@pytest.mark.parametrize(
    "endpoint", [e for e in ENDPOINTS if not _accepted(e, "operation")], ids=lambda e: e.operation_id
)
def test_each_endpoint_matches_its_spec_operation(openapi: dict[str, Any], endpoint: Endpoint) -> None:
    assert endpoint.path in openapi["paths"], f"{endpoint.path} is not in LaunchDarkly's spec"
    operation = _operation(openapi, endpoint.path)

    assert operation["operationId"] == endpoint.operation_id
    assert endpoint.operation_id_documented
    assert [p.wire for p in endpoint.path_params] == _params(operation, "path")
    assert all("{" + p.wire + "}" in endpoint.path for p in endpoint.path_params)

    wire = (["from", "to"] if endpoint.has_window else []) + [q.wire for q in endpoint.query_params]
    assert len(wire) == len(set(wire))
    spec_query = _params(operation, "query")
    for name in sorted(set(wire) ^ set(spec_query)):
        assert _accepted(endpoint, f"param:{name}"), (
            f"{name}: query-parameter wire names differ (case matters)"
        )
    assert {p["in"] for p in operation.get("parameters", [])} <= {"path", "query"}

    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    spec_kind = schema["$ref"].rsplit("/", 1)[-1]
    assert spec_kind in openapi["components"]["schemas"]
    if _accepted(endpoint, "response:200"):
        assert spec_kind != endpoint.response_kind, "accepted difference is gone; delete its entry"
    else:
        assert spec_kind == endpoint.response_kind

    assert bool(operation.get("deprecated", False)) is endpoint.deprecated
    spec_codes = {int(code) for code in operation["responses"]}
    for code in sorted(spec_codes ^ set(endpoint.status_codes)):
        assert _accepted(endpoint, f"response:{code}"), f"status {code}: catalogue and spec differ"
    for code in spec_codes & set(endpoint.status_codes):
        if code == 200:
            continue
        spec_model = operation["responses"][str(code)]["content"]["application/json"]["schema"]["$ref"]
        assert spec_model.rsplit("/", 1)[-1] == endpoint.response_models[code], code


def test_every_spec_operation_is_found_from_the_spec_side(openapi: dict[str, Any]) -> None:
    """The other direction: walk the spec and find each operation's catalogue entry by path and id."""
    for path, item in openapi["paths"].items():
        endpoint = BY_PATH.get(path)
        assert endpoint is not None, f"{path} has no catalogue entry"
        assert endpoint.operation_id == item["get"]["operationId"]
        spec_query = set(_params(item["get"], "query"))
        ours = {q.wire for q in endpoint.query_params} | ({"from", "to"} if endpoint.has_window else set())
        for name in spec_query ^ ours:
            assert _accepted(endpoint, f"param:{name}"), (path, name)


def test_every_accepted_openapi_entry_names_a_catalogue_operation() -> None:
    methods = {e.method_name for e in ENDPOINTS}
    assert ACCEPTED and all(operation in methods for operation, _ in ACCEPTED)


def test_the_spec_is_silent_where_the_catalogue_adds_rules(openapi: dict[str, Any]) -> None:
    """Allowed values and repeatability come from the spec's prose; its types are all plain strings. If a
    future spec declares an enum or array, this fails so the catalogue is re-checked against it."""
    for path, item in openapi["paths"].items():
        for param in item["get"].get("parameters", []):
            schema = param.get("schema", {})
            assert schema.get("type") == "string", (path, param["name"])
            assert "enum" not in schema, (path, param["name"])
