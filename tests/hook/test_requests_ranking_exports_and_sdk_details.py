"""The exact requests of the seven operations added by the official client 25.0.1, and the
changed ones (data-export destination kinds, the dropped service-connections ``sdkType``).

Expected paths and query pairs — in send order, repeated filters once per value, ``from``/``to`` in the
documented unit (ms or s) — are written out by hand from usage-api-v25-delta.md, not derived from the
catalogue. ``CASES`` and ``BODIES`` complete the all-operations table of ``test_hook_requests.py``, whose
test sends each and checks the request exactly.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

import pytest

from .conftest import Answer, ScriptedServer

UTC = timezone.utc
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 15, tzinfo=UTC)
MS = [("from", "1767225600000"), ("to", "1768435200000")]
SECONDS = [("from", "1767225600"), ("to", "1768435200")]
WIN = {"start": START, "end": END}
P = "/api/v2/usage"

DATA_EXPORT_BODY: dict[str, Any] = {
    "_links": {"self": {"href": f"{P}/warehouse-export", "type": "application/json"}},
    "metadata": [{"destinationKind": "bigquery"}],
    "series": [{"time": 1767225600000, "0": 12}, {"time": 1767312000000, "0": 30}],
    "dataThrough": "2026-01-14T21:00:00Z",
    "delayed": False,
}
RANKING_BODY: dict[str, Any] = {
    "items": [
        {
            "projectKey": "checkout",
            "projectName": "Checkout",
            "rank": 1,
            "usage": 900,
            "components": {"streaming": 900},
        }
    ],
    "page": {"limit": 25, "count": 1, "totalCount": 1},
    "scope": {"source": "streaming", "dimension": "project", "from": 1767225600000, "to": 1768435200000},
}
SDK_DETAILS_BODY: list[dict[str, Any]] = [
    {
        "name": "go-server-sdk",
        "version": "6.1.0",
        "type": "server",
        "projectKey": "checkout",
        "environmentKey": "production",
        "ldLatestVersion": "7.4.0",
        "eolStatus": "EolPast",
        "latestReleaseUrl": "https://github.com/launchdarkly/go-server-sdk/releases/tag/v7.4.0",
        "connectionType": "direct",
    },
    {"name": "node-server-sdk", "version": "9.2.0", "type": "server", "eolStatus": "EolAllClear"},
]

# method name -> (positional args, keyword args, expected path, expected query pairs in send order)
CASES: dict[str, tuple[tuple[str, ...], dict[str, Any], str, list[tuple[str, str]]]] = {
    "get_ai_runs_usage": (
        (),
        {
            **WIN,
            "project_key": "checkout",
            "environment_key": ["production", "staging"],
            "sdk_name": ["go-server-sdk", "node-server-sdk"],
            "sdk_version": "7.1.0",
            "sdk_type": ["server", "ai"],
            "group_by": ["sdkName", "sdkVersion"],
            "aggregation_type": "month_to_date",
            "granularity": "monthly",
        },
        f"{P}/ai-runs",
        [
            *MS,
            ("projectKey", "checkout"),
            ("environmentKey", "production"),
            ("environmentKey", "staging"),
            ("sdkName", "go-server-sdk"),
            ("sdkName", "node-server-sdk"),
            ("sdkVersion", "7.1.0"),
            ("sdkType", "server"),
            ("sdkType", "ai"),
            ("groupBy", "sdkName"),
            ("groupBy", "sdkVersion"),
            ("aggregationType", "month_to_date"),
            ("granularity", "monthly"),
        ],
    ),
    "get_observability_metrics_usage": (
        (),
        {
            **WIN,
            "project_key": ["checkout", "search"],
            "aggregation_type": "average",
            "granularity": "hourly",
        },
        f"{P}/observability/metrics",
        [
            *SECONDS,
            ("projectKey", "checkout"),
            ("projectKey", "search"),
            ("granularity", "hourly"),
            ("aggregationType", "average"),
        ],
    ),
    "get_vega_ai_usage": (
        (),
        {**WIN, "project_key": "checkout", "aggregation_type": "rolling_30d", "granularity": "daily"},
        f"{P}/vega-ai",
        [*SECONDS, ("projectKey", "checkout"), ("granularity", "daily"), ("aggregationType", "rolling_30d")],
    ),
    "get_warehouse_export_usage": (
        (),
        {
            **WIN,
            "project_key": "checkout",
            "environment_key": "production",
            "destination_kind": ["snowflake-v2", "s3"],
            "group_by": ["destinationKind", "destinationId"],
            "aggregation_type": "incremental",
            "granularity": "hourly",
        },
        f"{P}/warehouse-export",
        [
            *MS,
            ("projectKey", "checkout"),
            ("environmentKey", "production"),
            ("destinationKind", "snowflake-v2"),
            ("destinationKind", "s3"),
            ("groupBy", "destinationKind"),
            ("groupBy", "destinationId"),
            ("aggregationType", "incremental"),
            ("granularity", "hourly"),
        ],
    ),
    "get_data_export_project_ranking": (
        (),
        {
            **WIN,
            "source": "streaming",
            "dimension": "project",
            "project_key": ["checkout", "search"],
            "search": "check",
            "limit": 25,
        },
        f"{P}/data-export-events/projects/ranking",
        [
            *MS,
            ("source", "streaming"),
            ("dimension", "project"),
            ("projectKey", "checkout"),
            ("projectKey", "search"),
            ("search", "check"),
            ("limit", "25"),
        ],
    ),
    "get_sdk_versions_details": ((), {}, f"{P}/sdk-versions/details", []),
    "get_sdk_all_versions": (
        (),
        {
            "environment_id": "env-1",
            "project_id": "proj-1",
            "sdk_name": "go-server-sdk",
            "sdk_type": "server",
            "sdk_app_id": "billing",
            "connection_type": "proxy",
        },
        f"{P}/sdk-versions/all",
        [
            ("environmentId", "env-1"),
            ("projectId", "proj-1"),
            ("sdkName", "go-server-sdk"),
            ("sdkType", "server"),
            ("sdkAppId", "billing"),
            ("connectionType", "proxy"),
        ],
    ),
}
BODIES: dict[str, Any] = {
    "get_ai_runs_usage": None,  # the server's default series body
    "get_observability_metrics_usage": None,
    "get_vega_ai_usage": None,
    "get_warehouse_export_usage": DATA_EXPORT_BODY,
    "get_data_export_project_ranking": RANKING_BODY,
    "get_sdk_versions_details": SDK_DETAILS_BODY,
    "get_sdk_all_versions": SDK_DETAILS_BODY,
}


def test_the_ranking_limit_accepts_decimal_text(server: ScriptedServer, hook: Any) -> None:
    server.queue(Answer(body=RANKING_BODY))
    hook.get_data_export_project_ranking(**WIN, limit="100")
    assert server.requests[0].query == [*MS, ("limit", "100")]


def test_sdk_details_come_back_as_a_list(server: ScriptedServer, hook: Any) -> None:
    server.queue(Answer(body=SDK_DETAILS_BODY))
    details = hook.get_sdk_versions_details()
    assert isinstance(details, list)
    assert [d["eolStatus"] for d in details] == ["EolPast", "EolAllClear"]


def test_data_export_destination_kinds_are_repeated(server: ScriptedServer, hook: Any) -> None:
    server.queue(Answer(body=DATA_EXPORT_BODY))
    hook.get_data_export_events_usage(
        **WIN,
        project_key=["checkout", "search"],
        destination_kind=["kinesis", "snowflake"],
        group_by=["projectId", "destinationId"],
    )
    assert server.requests[0].query == [
        *MS,
        ("projectKey", "checkout"),
        ("projectKey", "search"),
        ("destinationKind", "kinesis"),
        ("destinationKind", "snowflake"),
        ("groupBy", "projectId"),
        ("groupBy", "destinationId"),
    ]


def test_freshness_survives_the_lazy_decoder(server: ScriptedServer, hook: Any) -> None:
    server.queue(Answer(body=DATA_EXPORT_BODY))
    body = hook.call_lazy("get_warehouse_export_usage", **WIN)
    assert body["dataThrough"] == "2026-01-14T21:00:00Z"
    assert body["delayed"] is False
    assert list(body["series"]) == DATA_EXPORT_BODY["series"]


def test_lazy_decoder_leaves_absent_freshness_out(server: ScriptedServer, hook: Any) -> None:
    body = {k: v for k, v in DATA_EXPORT_BODY.items() if k not in ("dataThrough", "delayed")}
    server.queue(Answer(body=body))
    lazy = hook.call_lazy("get_warehouse_export_usage", **WIN)
    assert "dataThrough" not in lazy and "delayed" not in lazy


def test_service_connections_server_sdk_type_is_dropped_with_a_warning(
    server: ScriptedServer, hook: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="airflow_provider_ldusage.core.request"):
        hook.get_service_connections_usage(**WIN, sdk_type="server", sdk_name="go-server-sdk")
    assert server.requests[0].query == [*MS, ("sdkName", "go-server-sdk")]
    assert any("sdk_type" in r.getMessage() and "deprecated" in r.getMessage() for r in caplog.records)
