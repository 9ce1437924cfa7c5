"""The catalogue's own rules, as one table of valid and invalid entries.

Each row derives an entry from a real one by changing some facts, and says whether the catalogue accepts it
or which rule refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import (
    ENDPOINTS,
    FAMILY_DEFAULTS,
    CatalogueError,
    Endpoint,
    PathParam,
    QueryParam,
    ValueNeeds,
    endpoint,
    entry_problems,
)


@dataclass(frozen=True)
class Row:
    id: str
    base: str
    changes: dict[str, Any]
    refused_for: str | None  # a fragment of the refusal, or None when the entry is valid


def _params(base: str, *extra: QueryParam) -> tuple[QueryParam, ...]:
    return (*endpoint(base).query_params, *extra)


ROWS = [
    Row("a real series entry", "get_mau_total_usage", {}, None),
    Row("a real list entry", "get_sdk_all_versions", {}, None),
    Row("a real paged entry", "get_data_export_project_ranking", {}, None),
    Row("another unit", "get_events_usage", {"unit": "requests"}, None),
    Row("fewer documented statuses", "get_mau_total_usage", {"status_codes": (200, 400)}, None),
    Row("path outside the usage API", "get_mau_total_usage", {"path": "/api/v2/flags/x"}, "is not under"),
    Row(
        "a placeholder without a path parameter",
        "get_mau_total_usage",
        {"path": "/api/v2/usage/total-mau/{source}"},
        "path placeholders",
    ),
    Row(
        "a path parameter without a placeholder",
        "get_stream_usage",
        {"path": "/api/v2/usage/streams"},
        "path_params",
    ),
    Row(
        "a method name in camelCase", "get_mau_total_usage", {"method_name": "getMauTotalUsage"}, "snake_case"
    ),
    Row(
        "a wire name twice",
        "get_mau_total_usage",
        {
            "query_params": _params(
                "get_mau_total_usage", QueryParam(wire="projectKey", name="project", doc=".")
            )
        },
        "wire name(s) ['projectKey']",
    ),
    Row(
        "a Python name twice",
        "get_mau_total_usage",
        {"query_params": _params("get_mau_total_usage", QueryParam(wire="pk", name="project_key", doc="."))},
        "Python name(s) ['project_key']",
    ),
    Row(
        "a path and a query parameter of one Python name",
        "get_stream_usage",
        {"query_params": (QueryParam(wire="src", name="source", doc="."),)},
        "Python name(s) ['source']",
    ),
    Row("a series without a unit", "get_mau_total_usage", {"unit": None}, "needs unit="),
    Row("month-to-date values of no kind", "get_mau_total_usage", {"value_kind": None}, "needs value_kind="),
    Row("a list with a unit", "get_sdk_all_versions", {"unit": "sdks"}, "neither unit nor value_kind"),
    Row("no 200", "get_mau_total_usage", {"status_codes": (400, 401)}, "must include 200"),
    Row("a status without an error model", "get_mau_total_usage", {"status_codes": (200, 418)}, "[418]"),
    Row(
        "a default start where from is required",
        "get_mau_total_usage",
        {"window_required": True},
        "default_start",
    ),
    Row(
        "an aggregation the family lacks",
        "get_mau_total_usage",
        {
            "query_params": tuple(
                replace(p, allowed=(*(p.allowed or ()), "average")) if p.name == "aggregation_type" else p
                for p in endpoint("get_mau_total_usage").query_params
            )
        },
        "aggregation_type allows",
    ),
    Row(
        "a rule on a parameter the entry lacks",
        "get_mau_total_usage",
        {"rules": (ValueNeeds(param="group_by", value="projectId", needs="destination_id"),)},
        "names 'destination_id'",
    ),
    Row(
        "paging by a cursor the entry lacks",
        "get_data_export_project_ranking",
        {
            "query_params": tuple(
                p for p in endpoint("get_data_export_project_ranking").query_params if not p.paging
            )
        },
        "paging names",
    ),
    Row(
        "an allowed value list on a path parameter",
        "get_stream_usage",
        {"path_params": (PathParam(wire="source", name="source", doc=".", allowed=("client",)),)},
        None,
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_catalogue_rules(row: Row) -> None:
    base = endpoint(row.base)
    if row.refused_for is None:
        entry = replace(base, **row.changes)
        assert entry_problems(entry) == []
    else:
        with pytest.raises(CatalogueError) as caught:
            replace(base, **row.changes)
        assert row.refused_for in str(caught.value)
        assert base.operation_id in str(caught.value)


def test_every_entry_keeps_the_rules() -> None:
    assert {e.operation_id: entry_problems(e) for e in ENDPOINTS} == {e.operation_id: [] for e in ENDPOINTS}


def test_family_defaults_name_only_endpoint_facts() -> None:
    # A misspelt default would otherwise be passed to Endpoint() and fail only for some families.
    facts = {f.name for f in fields(Endpoint) if f.init}
    for family, defaults in FAMILY_DEFAULTS.items():
        assert set(defaults) <= facts, family
