"""The exact request every operation puts on the wire, recorded by the loopback server.

Expected paths and query pairs are written out by hand from LaunchDarkly's reference (usage-api.md §3),
not derived from the catalogue, so a wrong wire name in the catalogue fails here too.
"""

from __future__ import annotations

import warnings
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import pendulum
import pytest

from airflow_provider_ldusage import __version__
from airflow_provider_ldusage.catalogue import BY_METHOD, ENDPOINTS, Endpoint

from .conftest import SDK_LIST_BODY, SDK_VERSION_BODY, SERIES_BODY, TOKEN, Answer, ScriptedServer
from .test_requests_ranking_exports_and_sdk_details import BODIES as V25_BODIES
from .test_requests_ranking_exports_and_sdk_details import CASES as V25_CASES
from .test_requests_ranking_exports_and_sdk_details import END, MS, SECONDS, START, WIN, P

# method name -> (positional args, keyword args, expected path, expected query pairs)
CASES: dict[str, tuple[tuple[str, ...], dict[str, Any], str, list[tuple[str, str]]]] = {
    "get_contexts_clientside_usage": (
        (),
        {
            **WIN,
            "project_key": "proj",
            "environment_key": ["prod", "staging"],
            "context_kind": ["user", "org"],
            "sdk_name": "js-client-sdk",
            "anonymous": False,
            "group_by": ["projectId", "anonymousV2"],
            "aggregation_type": "month_to_date",
            "granularity": "monthly",
        },
        f"{P}/clientside-contexts",
        [
            *MS,
            ("projectKey", "proj"),
            ("environmentKey", "prod"),
            ("environmentKey", "staging"),
            ("contextKind", "user"),
            ("contextKind", "org"),
            ("sdkName", "js-client-sdk"),
            ("anonymous", "false"),
            ("groupBy", "projectId"),
            ("groupBy", "anonymousV2"),
            ("aggregationType", "month_to_date"),
            ("granularity", "monthly"),
        ],
    ),
    "get_contexts_serverside_usage": (
        (),
        {
            **WIN,
            "project_key": ["p1", "p2"],
            "context_kind": "user",
            "sdk_name": ["go-server-sdk", "node-server-sdk"],
            "anonymous": ["true", "false"],
            "group_by": "sdkName",
            "aggregation_type": "rolling_30d",
            "granularity": "daily",
        },
        f"{P}/serverside-contexts",
        [
            *SECONDS,
            ("projectKey", "p1"),
            ("projectKey", "p2"),
            ("contextKind", "user"),
            ("sdkName", "go-server-sdk"),
            ("sdkName", "node-server-sdk"),
            ("anonymous", "true"),
            ("anonymous", "false"),
            ("groupBy", "sdkName"),
            ("aggregationType", "rolling_30d"),
            ("granularity", "daily"),
        ],
    ),
    "get_contexts_total_usage": (
        (),
        {
            **WIN,
            "project_key": "p",
            "environment_key": "e",
            "sdk_type": ["client", "server"],
            "group_by": ["sdkType", "sdkAppId"],
            "aggregation_type": "incremental",
        },
        f"{P}/total-contexts",
        [
            *MS,
            ("projectKey", "p"),
            ("environmentKey", "e"),
            ("sdkType", "client"),
            ("sdkType", "server"),
            ("groupBy", "sdkType"),
            ("groupBy", "sdkAppId"),
            ("aggregationType", "incremental"),
        ],
    ),
    "get_mau_clientside_usage": (
        (),
        {
            **WIN,
            "sdk_name": "react",
            "anonymous": True,
            "group_by": ["environmentId"],
            "granularity": "daily",
        },
        f"{P}/clientside-mau",
        [
            *MS,
            ("sdkName", "react"),
            ("anonymous", "true"),
            ("groupBy", "environmentId"),
            ("granularity", "daily"),
        ],
    ),
    "get_mau_total_usage": (
        (),
        {
            **WIN,
            "sdk_type": "server",
            "group_by": ["projectId", "environmentId", "sdkName", "sdkType"],
            "aggregation_type": "month_to_date",
            "granularity": "monthly",
        },
        f"{P}/total-mau",
        [
            *MS,
            ("sdkType", "server"),
            ("groupBy", "projectId"),
            ("groupBy", "environmentId"),
            ("groupBy", "sdkName"),
            ("groupBy", "sdkType"),
            ("aggregationType", "month_to_date"),
            ("granularity", "monthly"),
        ],
    ),
    "get_data_export_events_usage": (
        (),
        {
            **WIN,
            "project_key": "p",
            "environment_key": "e",
            "event_kind": ["custom", "feature"],
            "group_by": ["environmentId", "eventKind"],
            "aggregation_type": "incremental",
            "granularity": "hourly",
        },
        f"{P}/data-export-events",
        [
            *MS,
            ("projectKey", "p"),
            ("environmentKey", "e"),
            ("eventKind", "custom"),
            ("eventKind", "feature"),
            ("groupBy", "environmentId"),
            ("groupBy", "eventKind"),
            ("aggregationType", "incremental"),
            ("granularity", "hourly"),
        ],
    ),
    "get_experimentation_events_usage": (
        (),
        {**WIN, "event_key": ["purchase", "signup"], "event_kind": "custom", "group_by": "eventKey"},
        f"{P}/experimentation-events",
        [
            *MS,
            ("eventKey", "purchase"),
            ("eventKey", "signup"),
            ("eventKind", "custom"),
            ("groupBy", "eventKey"),
        ],
    ),
    "get_experimentation_keys_usage": (
        (),
        {**WIN, "experiment_id": ["exp-1", "exp-2"], "group_by": ["experimentId"], "granularity": "monthly"},
        f"{P}/experimentation-keys",
        [
            *MS,
            ("experimentId", "exp-1"),
            ("experimentId", "exp-2"),
            ("groupBy", "experimentId"),
            ("granularity", "monthly"),
        ],
    ),
    "get_service_connections_usage": (
        (),
        {
            **WIN,
            "project_key": "p",
            "connection_type": ["relay", "sdk"],
            "relay_version": "8.10.0",
            "sdk_name": "go-server-sdk",
            "sdk_version": ["7.1.0", "7.2.0"],
            "sdk_type": "server",
            "sdk_app_id": "billing",
            "group_by": ["connectionType", "relayVersion", "sdkAppId"],
            "aggregation_type": "incremental",
            "granularity": "daily",
        },
        f"{P}/service-connections",
        [
            *MS,
            ("projectKey", "p"),
            ("connectionType", "relay"),
            ("connectionType", "sdk"),
            ("relayVersion", "8.10.0"),
            ("sdkName", "go-server-sdk"),
            ("sdkVersion", "7.1.0"),
            ("sdkVersion", "7.2.0"),
            # sdk_type="server" is deprecated and equals omitting it: not sent
            ("sdkAppId", "billing"),
            ("groupBy", "connectionType"),
            ("groupBy", "relayVersion"),
            ("groupBy", "sdkAppId"),
            ("aggregationType", "incremental"),
            ("granularity", "daily"),
        ],
    ),
    "get_observability_errors_usage": (
        (),
        {**WIN, "project_key": ["p1", "p2"], "granularity": "monthly", "aggregation_type": "month_to_date"},
        f"{P}/observability/errors",
        [
            *SECONDS,
            ("projectKey", "p1"),
            ("projectKey", "p2"),
            ("granularity", "monthly"),
            ("aggregationType", "month_to_date"),
        ],
    ),
    "get_observability_logs_usage": (
        (),
        {**WIN, "project_key": "p", "aggregation_type": "rolling_30d", "granularity": "daily"},
        f"{P}/observability/logs",
        [*SECONDS, ("projectKey", "p"), ("granularity", "daily"), ("aggregationType", "rolling_30d")],
    ),
    "get_observability_sessions_usage": (
        (),
        {**WIN, "aggregation_type": "incremental"},
        f"{P}/observability/sessions",
        [*SECONDS, ("aggregationType", "incremental")],
    ),
    "get_observability_traces_usage": (
        (),
        {**WIN, "project_key": "p"},
        f"{P}/observability/traces",
        [*SECONDS, ("projectKey", "p")],
    ),
    "get_evaluations_usage": (
        ("proj", "prod", "new-checkout"),
        {**WIN, "tz": "Europe/Berlin"},
        f"{P}/evaluations/proj/prod/new-checkout",
        [*MS, ("tz", "Europe/Berlin")],
    ),
    "get_events_usage": (("received",), WIN, f"{P}/events/received", MS),
    "get_stream_usage": (("server",), {**WIN, "tz": "UTC"}, f"{P}/streams/server", [*MS, ("tz", "UTC")]),
    "get_stream_usage_by_sdk_version": (
        ("client",),
        {**WIN, "sdk": "react-client-sdk", "version": "3.0.0"},
        f"{P}/streams/client/bysdkversion",
        [*MS, ("sdk", "react-client-sdk"), ("version", "3.0.0")],
    ),
    "get_mau_usage": (
        (),
        {
            **WIN,
            "project": "p",
            "environment": ["prod", "test"],
            "sdktype": ["client", "server"],
            "sdk": "js",
            "anonymous": "true",
            "groupby": ["project", "sdktype"],
            "aggregation_type": "daily_incremental",
            "context_kind": ["user", "org"],
        },
        f"{P}/mau",
        [
            *MS,
            ("project", "p"),
            ("environment", "prod"),
            ("environment", "test"),
            ("sdktype", "client"),
            ("sdktype", "server"),
            ("sdk", "js"),
            ("anonymous", "true"),
            ("groupby", "project"),
            ("groupby", "sdktype"),
            ("aggregationType", "daily_incremental"),
            ("contextKind", "user"),
            ("contextKind", "org"),
        ],
    ),
    "get_mau_usage_by_category": ((), WIN, f"{P}/mau/bycategory", MS),
    "get_mau_sdks_by_type": ((), {**WIN, "sdktype": "client"}, f"{P}/mau/sdks", [*MS, ("sdktype", "client")]),
    "get_stream_usage_sdkversion": (("server",), {}, f"{P}/streams/server/sdkversions", []),
    # The seven operations of client 25.0.1, written out by hand in
    # test_requests_ranking_exports_and_sdk_details.py.
    **V25_CASES,
}

BODY_BY_KIND = {
    "SeriesListRep": SERIES_BODY,
    "SeriesListRepFloat": SERIES_BODY,
    "DataExportSeriesListRep": SERIES_BODY,  # dataThrough/delayed are optional
    "SdkListRep": SDK_LIST_BODY,
    "SdkVersionListRep": SDK_VERSION_BODY,
}
SECONDS_ENDPOINTS = {
    "getContextsServersideUsage",
    "getObservabilityMetricsUsage",
    "getVegaAIUsage",
    "getObservabilityErrorsUsage",
    "getObservabilityLogsUsage",
    "getObservabilitySessionsUsage",
    "getObservabilityTracesUsage",
}


def _path_args(endpoint: Endpoint) -> dict[str, str]:
    names = [p.name for p in endpoint.path_params]
    return dict(zip(names, CASES[endpoint.method_name][0], strict=True))


def test_every_operation_has_a_case() -> None:
    assert sorted(CASES) == sorted(BY_METHOD)
    assert len(CASES) == 28


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.method_name)
def test_each_operation_sends_its_exact_request(
    server: ScriptedServer, hook: Any, endpoint: Endpoint
) -> None:
    args, kwargs, path, query = CASES[endpoint.method_name]
    method = getattr(hook, endpoint.method_name)
    body = V25_BODIES.get(endpoint.method_name)
    if body is not None:
        server.queue(Answer(body=body))

    if endpoint.deprecated:
        with pytest.warns(DeprecationWarning):
            result = method(*args, **kwargs)
    else:
        result = method(*args, **kwargs)

    assert result == (body if body is not None else BODY_BY_KIND[endpoint.response_kind])
    (request,) = server.requests
    assert request.method == "GET"
    assert request.path == path
    assert request.query == query  # exact order, repeats included
    assert request.header_values("Authorization") == [TOKEN]
    assert request.header_values("LD-API-Version") == ["beta"]
    assert request.header_values("Accept") == ["application/json"]
    assert request.header_values("User-Agent") == [f"airflow-provider-ldusage/{__version__}"]


def test_omitted_arguments_are_not_sent(server: ScriptedServer, hook: Any) -> None:
    hook.get_mau_total_usage()
    hook.get_contexts_clientside_usage(project_key=None, group_by=None)
    assert [r.query for r in server.requests] == [[], []]


def test_path_values_are_percent_encoded(server: ScriptedServer, hook: Any) -> None:
    hook.get_evaluations_usage("my proj", "prod/eu", "flag?x=1")
    assert server.requests[0].path == f"{P}/evaluations/my%20proj/prod%2Feu/flag%3Fx%3D1"
    assert server.requests[0].query == []


# --- time: units and accepted forms -------------------------------------------------------------------------

WINDOWED = [e for e in ENDPOINTS if e.has_window]


def test_the_windowless_operation_is_the_only_one() -> None:
    assert [e.operation_id for e in ENDPOINTS if not e.has_window] == [
        "getStreamUsageSdkversion",
        "getSdkVersionsDetails",
        "getSdkAllVersions",
    ]


@pytest.mark.parametrize("endpoint", WINDOWED, ids=lambda e: e.operation_id)
def test_each_operation_sends_its_documented_unit(
    server: ScriptedServer, hook: Any, endpoint: Endpoint
) -> None:
    body = V25_BODIES.get(endpoint.method_name)
    if body is not None:
        server.queue(Answer(body=body))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        hook.call(endpoint.operation_id, **_path_args(endpoint), start=START, end=END)
    sent = dict(server.requests[0].query)
    expected = dict(SECONDS if endpoint.operation_id in SECONDS_ENDPOINTS else MS)
    assert (sent["from"], sent["to"]) == (expected["from"], expected["to"])


@pytest.mark.parametrize(
    ("method", "time_unit", "expected"),
    [
        ("get_contexts_serverside_usage", "ms", MS),
        ("get_observability_logs_usage", "ms", MS),
        ("get_mau_total_usage", "s", SECONDS),
        ("get_contexts_serverside_usage", None, SECONDS),
        ("get_mau_total_usage", None, MS),
    ],
)
def test_time_unit_overrides_the_documented_unit(
    server: ScriptedServer, hook: Any, method: str, time_unit: str | None, expected: list[tuple[str, str]]
) -> None:
    getattr(hook, method)(start=START, end=END, time_unit=time_unit)
    assert server.requests[0].query_multiset == Counter(expected)


BERLIN = timezone(timedelta(hours=1))
PLUS2 = timezone(timedelta(hours=2))
FORMS: dict[str, tuple[object, object]] = {
    "aware-utc-datetime": (START, END),
    "aware-offset-datetime": (
        datetime(2026, 1, 1, 2, tzinfo=PLUS2),
        datetime(2026, 1, 14, 19, tzinfo=timezone(timedelta(hours=-5))),
    ),
    "pendulum-utc": (pendulum.datetime(2026, 1, 1, tz="UTC"), pendulum.datetime(2026, 1, 15, tz="UTC")),
    "pendulum-berlin": (
        pendulum.datetime(2026, 1, 1, 1, tz="Europe/Berlin"),
        pendulum.datetime(2026, 1, 15, 1, tz="Europe/Berlin"),
    ),
    "iso-z": ("2026-01-01T00:00:00Z", "2026-01-15T00:00:00Z"),
    "iso-offset": ("2026-01-01T02:00:00+02:00", "2026-01-15T02:00:00+02:00"),
    "iso-millis-z": ("2026-01-01T00:00:00.000Z", "2026-01-15T00:00:00.000Z"),
    "epoch-seconds-int": (1767225600, 1768435200),
    "epoch-ms-int": (1767225600000, 1768435200000),
    "epoch-seconds-float": (1767225600.0, 1768435200.0),
    "digit-string-ms": ("1767225600000", "1768435200000"),
    "digit-string-seconds": ("1767225600", "1768435200"),
    "mixed": (START, "1768435200000"),
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    ("method", "expected"),
    [("get_mau_total_usage", MS), ("get_contexts_serverside_usage", SECONDS)],
    ids=["ms-endpoint", "s-endpoint"],
)
def test_every_accepted_start_end_form_means_the_same_instant(
    server: ScriptedServer, hook: Any, form: str, method: str, expected: list[tuple[str, str]]
) -> None:
    start, end = FORMS[form]
    getattr(hook, method)(start=start, end=end)
    assert server.requests[0].query_multiset == Counter(expected)


# --- deprecation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "replacement"),
    [("get_mau_usage", "get_mau_total_usage"), ("get_mau_usage_by_category", "get_mau_clientside_usage")],
)
def test_deprecated_operations_warn_naming_the_replacement(
    server: ScriptedServer, hook: Any, method: str, replacement: str
) -> None:
    with pytest.warns(DeprecationWarning, match=replacement) as record:
        getattr(hook, method)(start=START, end=END)
    (warning,) = [w for w in record if issubclass(w.category, DeprecationWarning)]
    assert warning.filename == __file__, "the warning should point at the caller's line"
    assert "deprecated" in str(warning.message)
    assert len(server.requests) == 1  # a warning, not a refusal


def test_current_operations_do_not_warn(server: ScriptedServer, hook: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        hook.get_mau_total_usage(start=START, end=END)
        hook.get_mau_clientside_usage(start=START, end=END)
    assert len(server.requests) == 2
