"""Issue 3: the catalogue holds to LaunchDarkly's OpenAPI document, path by path, in both directions.

Reads ``../shared/launchdarkly/usage-openapi.json`` through the ``openapi`` fixture, which skips with a
message when a clone has no ``../shared``.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import BY_PATH, ENDPOINTS, Endpoint

SPEC_PATHS_EXPECTED = 21


def _operation(openapi: dict[str, Any], path: str) -> dict[str, Any]:
    item: dict[str, Any] = openapi["paths"][path]
    assert list(item) == ["get"], f"{path}: only GET is expected, the spec has {list(item)}"
    operation: dict[str, Any] = item["get"]
    return operation


def _params(operation: dict[str, Any], where: str) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == where]


def test_the_catalogue_and_the_spec_have_the_same_21_paths(openapi: dict[str, Any]) -> None:
    spec_paths = set(openapi["paths"])
    catalogue_paths = {e.path for e in ENDPOINTS}
    assert len(spec_paths) == SPEC_PATHS_EXPECTED
    assert len(ENDPOINTS) == SPEC_PATHS_EXPECTED == len(catalogue_paths)
    assert sorted(spec_paths - catalogue_paths) == [], "in the spec, missing from the catalogue"
    assert sorted(catalogue_paths - spec_paths) == [], "in the catalogue, not in the spec"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.operation_id)
def test_each_endpoint_matches_its_spec_operation(openapi: dict[str, Any], endpoint: Endpoint) -> None:
    assert endpoint.path in openapi["paths"], f"{endpoint.path} is not in LaunchDarkly's spec"
    operation = _operation(openapi, endpoint.path)

    assert operation["operationId"] == endpoint.operation_id
    assert [p.wire for p in endpoint.path_params] == _params(operation, "path")
    assert all("{" + p.wire + "}" in endpoint.path for p in endpoint.path_params)

    wire = (["from", "to"] if endpoint.has_window else []) + [q.wire for q in endpoint.query_params]
    spec_query = _params(operation, "query")
    assert sorted(wire) == sorted(spec_query), "query-parameter wire names differ (case matters)"
    assert len(wire) == len(set(wire))
    assert {p["in"] for p in operation.get("parameters", [])} <= {"path", "query"}

    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"] == f"#/components/schemas/{endpoint.response_kind}"
    assert endpoint.response_kind in openapi["components"]["schemas"]

    assert bool(operation.get("deprecated", False)) is endpoint.deprecated
    assert sorted(int(code) for code in operation["responses"]) == sorted(endpoint.status_codes)


def test_every_spec_operation_is_found_from_the_spec_side(openapi: dict[str, Any]) -> None:
    """The other direction: walk the spec and find each operation's catalogue entry by path and id."""
    for path, item in openapi["paths"].items():
        endpoint = BY_PATH.get(path)
        assert endpoint is not None, f"{path} has no catalogue entry"
        assert endpoint.operation_id == item["get"]["operationId"]
        spec_query = set(_params(item["get"], "query"))
        ours = {q.wire for q in endpoint.query_params} | ({"from", "to"} if endpoint.has_window else set())
        assert spec_query == ours, path


def test_the_spec_is_silent_where_the_catalogue_adds_rules(openapi: dict[str, Any]) -> None:
    """Allowed values and repeatability come from the spec's prose; its types are all plain strings. If a
    future spec declares an enum or array, this fails so the catalogue is re-checked against it."""
    for path, item in openapi["paths"].items():
        for param in item["get"].get("parameters", []):
            schema = param.get("schema", {})
            assert schema.get("type") == "string", (path, param["name"])
            assert "enum" not in schema, (path, param["name"])
