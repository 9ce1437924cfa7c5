"""The rules client 25.0.1 brings, each refused before any request, naming parameter, value and
what is allowed — and the hook methods, ``hook.call`` and the paging iterator all honour them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError

from .conftest import Answer, ScriptedServer

UTC = timezone.utc
W = {"start": datetime(2026, 1, 1, tzinfo=UTC), "end": datetime(2026, 1, 15, tzinfo=UTC)}
PROJECTS_101 = [f"project-{i}" for i in range(101)]


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    kwargs: dict[str, Any]
    parameter: str
    says: tuple[str, ...]  # phrases the message must contain


CASES = [
    Case(
        "warehouse-destination-with-destination-kind",
        "get_warehouse_export_usage",
        {**W, "destination": "bigquery", "destination_kind": "bigquery"},
        "destination_kind",
        ("destination='bigquery'", "one or the other"),
    ),
    Case(
        "warehouse-legacy-destination-has-no-s3",
        "get_warehouse_export_usage",
        {**W, "destination": "s3"},
        "destination",
        ("'snowflake-v2'",),
    ),
    Case(
        "group-by-project-without-project",
        "get_data_export_events_usage",
        {**W, "group_by": "projectId"},
        "project_key",
        ("between 1 and 100", "group_by='projectId'"),
    ),
    Case(
        "group-by-project-with-101-projects",
        "get_data_export_events_usage",
        {**W, "group_by": ["environmentId", "projectId"], "project_key": PROJECTS_101},
        "project_key",
        ("between 1 and 100", "got 101"),
    ),
    Case(
        "ranking-101-projects",
        "get_data_export_project_ranking",
        {**W, "project_key": PROJECTS_101},
        "project_key",
        ("at most 100 distinct", "got 101"),
    ),
    Case(
        "average-on-a-family-without-it",
        "get_vega_ai_usage",
        {**W, "aggregation_type": "average"},
        "aggregation_type",
        ("'month_to_date'", "'incremental'", "'rolling_30d'"),
    ),
    Case(
        "granularity-the-aggregation-does-not-allow",
        "get_vega_ai_usage",
        {**W, "aggregation_type": "incremental", "granularity": "monthly"},
        "granularity",
        ("aggregation_type='incremental'", "'daily'"),
    ),
    Case(
        "ai-runs-monthly-only-with-month-to-date",
        "get_ai_runs_usage",
        {**W, "aggregation_type": "incremental", "granularity": "monthly"},
        "granularity",
        ("'daily', 'hourly'",),
    ),
    Case(
        "metrics-granularity-unknown",
        "get_observability_metrics_usage",
        {**W, "aggregation_type": "average", "granularity": "minutely"},
        "granularity",
        ("'hourly'",),
    ),
    Case("ranking-limit-zero", "get_data_export_project_ranking", {**W, "limit": 0}, "limit", ("1 to 100",)),
    Case("ranking-limit-101", "get_data_export_project_ranking", {**W, "limit": 101}, "limit", ("1 to 100",)),
    Case(
        "ranking-limit-float", "get_data_export_project_ranking", {**W, "limit": 2.5}, "limit", ("integer",)
    ),
    Case(
        "ranking-limit-bool", "get_data_export_project_ranking", {**W, "limit": True}, "limit", ("integer",)
    ),
    Case(
        "ranking-limit-text", "get_data_export_project_ranking", {**W, "limit": "ten"}, "limit", ("integer",)
    ),
    Case(
        "ranking-needs-end",
        "get_data_export_project_ranking",
        {"start": W["start"]},
        "end",
        ("requires both start and end",),
    ),
    Case(
        "ranking-needs-start",
        "get_data_export_project_ranking",
        {"end": W["end"]},
        "start",
        ("requires both start and end",),
    ),
    Case(
        "ranking-source-only-streaming",
        "get_data_export_project_ranking",
        {**W, "source": "warehouse"},
        "source",
        ("'streaming'",),
    ),
    Case(
        "service-connections-client-sdk-type",
        "get_service_connections_usage",
        {**W, "sdk_type": "client"},
        "sdk_type",
        ("only 'server'", "deprecated"),
    ),
    Case(
        "service-connections-no-sdk-type-grouping",
        "get_service_connections_usage",
        {**W, "group_by": "sdkType"},
        "group_by",
        ("'projectId'",),
    ),
    Case(
        "data-export-destination-kind-of-warehouse",
        "get_data_export_events_usage",
        {**W, "destination_kind": "snowflake-v2"},
        "destination_kind",
        ("'snowflake'", "'kinesis'"),
    ),
    Case(
        "sdk-all-versions-single-values",
        "get_sdk_all_versions",
        {"sdk_name": ["go-server-sdk", "node-server-sdk"]},
        "sdk_name",
        ("a single value",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("via", ["method", "call"])
def test_each_new_rule_is_refused_before_any_request(
    server: ScriptedServer, hook: Any, case: Case, via: str
) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        if via == "method":
            getattr(hook, case.method)(**case.kwargs)
        else:
            hook.call(case.method, **case.kwargs)
    exc = caught.value
    assert isinstance(exc, LaunchDarklyUsageError)
    assert exc.parameter == case.parameter
    for phrase in case.says:
        assert phrase in str(exc), f"{phrase!r} missing from {exc}"
    assert server.requests == []


def test_the_value_is_named_in_the_error(server: ScriptedServer, hook: Any) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        hook.get_data_export_project_ranking(**W, limit=500)
    assert (caught.value.parameter, caught.value.value) == ("limit", 500)
    assert "Invalid limit=500" in str(caught.value)
    assert server.requests == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"group_by": "projectId", "project_key": [f"project-{i}" for i in range(100)]},
        {"group_by": "projectId", "project_key": "checkout"},
        {"group_by": "environmentId"},  # the rule only binds groupBy=projectId
    ],
    ids=["100-projects", "one-project", "other-grouping"],
)
def test_what_the_rules_allow_is_sent(server: ScriptedServer, hook: Any, kwargs: dict[str, Any]) -> None:
    hook.get_data_export_events_usage(**W, **kwargs)
    assert len(server.requests) == 1


@pytest.mark.parametrize("granularity", ["hourly", "daily", "monthly"])
def test_average_takes_every_granularity_of_observability_metrics(
    server: ScriptedServer, hook: Any, granularity: str
) -> None:
    hook.get_observability_metrics_usage(**W, aggregation_type="average", granularity=granularity)
    assert ("aggregationType", "average") in server.requests[0].query


@pytest.mark.parametrize("limit", [1, 100])
def test_ranking_limit_bounds_are_inclusive(server: ScriptedServer, hook: Any, limit: int) -> None:
    from .test_requests_ranking_exports_and_sdk_details import RANKING_BODY

    server.queue(Answer(body=RANKING_BODY))
    hook.get_data_export_project_ranking(**W, limit=limit)
    assert ("limit", str(limit)) in server.requests[0].query


def test_paging_refuses_bad_arguments_before_any_request(server: ScriptedServer, hook: Any) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        list(hook.iter_pages("get_data_export_project_ranking", **W, limit=0))
    assert caught.value.parameter == "limit"
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        hook.get_all_items("get_data_export_project_ranking", max_pages=0, **W)
    assert caught.value.parameter == "max_pages"
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        hook.get_all_items("get_mau_total_usage", **W)
    assert caught.value.parameter == "operation"
    assert "get_data_export_project_ranking" in caught.value.allowed
    assert server.requests == []


def test_sdk_details_take_no_arguments(server: ScriptedServer, hook: Any) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        hook.call("getSdkVersionsDetails", project_key="checkout")
    assert caught.value.parameter == "project_key"
    assert "not an argument" in str(caught.value)
    assert server.requests == []
