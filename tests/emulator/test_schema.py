"""Every route's 200 response validates against LaunchDarkly's official schema, over many parameter sets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import jsonschema
import pytest
from emulator_helpers import NOW, UTC, call, concrete_path, window

from airflow_provider_ldusage.catalogue import ENDPOINTS, Endpoint
from airflow_provider_ldusage.testing.emulator import Emulator


def _combinations(endpoint: Endpoint) -> list[list[tuple[str, str]]]:
    """A spread of valid queries: defaults, every aggregation/granularity pair, each groupBy, filters."""
    combos: list[list[tuple[str, str]]] = [[]]
    if endpoint.has_window:
        combos.append(window(endpoint, datetime(2025, 11, 14, tzinfo=UTC), datetime(2026, 2, 3, tzinfo=UTC)))
    has_aggregation = endpoint.query_param("aggregation_type") is not None
    for aggregation, granularities in endpoint.family.granularity_by_aggregation.items():
        if not has_aggregation:
            break
        for granularity in granularities:
            params = [("aggregationType", aggregation)]
            if endpoint.query_param("granularity"):
                params.append(("granularity", granularity))
            span = timedelta(days=3) if granularity == "hourly" else timedelta(days=70)
            combos.append(window(endpoint, NOW - span, NOW) + params)
    for param in endpoint.query_params:
        if param.wire in ("groupBy", "groupby") and param.allowed:
            combos += [[(param.wire, value)] for value in param.allowed]
            combos.append([(param.wire, value) for value in param.allowed[:3]])
    wires = {p.wire for p in endpoint.query_params}
    if "projectKey" in wires:
        combos.append([("projectKey", "default")])
        if "environmentKey" in wires:
            combos.append([("projectKey", "default"), ("environmentKey", "production")])
    if "sdktype" in wires:
        combos.append([("sdktype", "client")])
    if "tz" in wires:
        combos.append([("tz", "America/New_York")])
    if endpoint.family.name == "auto":
        for age in (timedelta(minutes=90), timedelta(hours=30), timedelta(days=20)):
            combos.append(window(endpoint, NOW - age, NOW))
    return combos


def _validator(openapi: dict[str, Any], endpoint: Endpoint) -> jsonschema.protocols.Validator:
    operation = next(
        op for path, item in openapi["paths"].items() if path == endpoint.path for op in [item["get"]]
    )
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return jsonschema.Draft7Validator({**schema, "components": openapi["components"]})


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.operation_id)
def test_responses_match_official_schema(emu: Emulator, openapi: dict[str, Any], endpoint: Endpoint) -> None:
    validator = _validator(openapi, endpoint)
    path = concrete_path(emu, endpoint)
    for params in _combinations(endpoint):
        response = call(emu, path, params)
        assert response.status_code == 200, (params, response.text)
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        validator.validate(body)
        assert body["_links"]["self"]["href"].startswith(path)
        if endpoint.is_series:
            for point in body["series"]:
                assert set(point) == {"time", *map(str, range(len(body["metadata"])))}, params
            if endpoint.response_kind == "SeriesListRep":
                assert all(type(v) is int for p in body["series"] for v in p.values())


def test_schema_validation_detects_a_wrong_body(openapi: dict[str, Any]) -> None:
    """Guard: the validator used above really rejects floats in an integer series."""
    endpoint = next(e for e in ENDPOINTS if e.operation_id == "getMAUTotalUsage")
    with pytest.raises(jsonschema.ValidationError):
        _validator(openapi, endpoint).validate(
            {"_links": {}, "metadata": [{}], "series": [{"time": 1, "0": 1.5}]}
        )
