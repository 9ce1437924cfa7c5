"""Invalid arguments are refused before any request, naming the parameter.

Each case goes through ``hook.call`` and, where the names are the typed method's own, through the typed
method too. The loopback server is running and must receive nothing.
"""

from __future__ import annotations

import inspect
import math
from datetime import date, datetime, timezone
from typing import Any, NamedTuple

import pytest

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError

from .conftest import ScriptedServer

UTC = timezone.utc
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 15, tzinfo=UTC)
W = {"start": START, "end": END}


class Case(NamedTuple):
    id: str
    operation: str
    kwargs: dict[str, Any]
    parameter: str
    says: str = ""  # a further phrase the message must contain


CASES = [
    # enumerated values: unknown, and right but for case
    Case("group_by-unknown", "get_mau_total_usage", {**W, "group_by": "country"}, "group_by", "one of"),
    Case("group_by-case", "get_mau_total_usage", {**W, "group_by": "projectid"}, "group_by", "'projectId'"),
    Case(
        "group_by-not-on-this-endpoint",
        "get_experimentation_events_usage",
        {**W, "group_by": "projectId"},
        "group_by",
    ),
    Case(
        "group_by-one-bad-of-many",
        "get_contexts_total_usage",
        {**W, "group_by": ["sdkType", "sdk"]},
        "group_by",
    ),
    Case(
        "aggregation-unknown", "get_mau_total_usage", {**W, "aggregation_type": "monthly"}, "aggregation_type"
    ),
    Case(
        "aggregation-case",
        "get_contexts_clientside_usage",
        {**W, "aggregation_type": "Month_To_Date"},
        "aggregation_type",
        "case-sensitive",
    ),
    Case(
        "aggregation-rolling-on-family-b",
        "get_data_export_events_usage",
        {**W, "aggregation_type": "rolling_30d"},
        "aggregation_type",
    ),
    Case(
        "aggregation-legacy-spelling-on-new",
        "get_mau_total_usage",
        {**W, "aggregation_type": "daily_incremental"},
        "aggregation_type",
    ),
    Case("granularity-unknown", "get_mau_total_usage", {**W, "granularity": "weekly"}, "granularity"),
    Case("granularity-case", "get_mau_total_usage", {**W, "granularity": "Daily"}, "granularity"),
    Case("anonymous-unknown", "get_contexts_clientside_usage", {**W, "anonymous": "yes"}, "anonymous"),
    Case(
        "legacy-aggregation-new-spelling",
        "get_mau_usage",
        {**W, "aggregation_type": "incremental"},
        "aggregation_type",
    ),
    Case("legacy-sdktype-unknown", "get_mau_usage", {**W, "sdktype": "mobile"}, "sdktype"),
    Case("legacy-groupby-new-spelling", "get_mau_usage", {**W, "groupby": "projectId"}, "groupby"),
    Case("sdks-sdktype-unknown", "get_mau_sdks_by_type", {**W, "sdktype": "both"}, "sdktype"),
    # granularity not allowed with the aggregation, per family
    Case(
        "A-incremental-monthly",
        "get_contexts_clientside_usage",
        {**W, "aggregation_type": "incremental", "granularity": "monthly"},
        "granularity",
        "incremental",
    ),
    Case(
        "A-rolling-monthly",
        "get_mau_clientside_usage",
        {**W, "aggregation_type": "rolling_30d", "granularity": "monthly"},
        "granularity",
    ),
    Case("A-hourly", "get_contexts_serverside_usage", {**W, "granularity": "hourly"}, "granularity"),
    Case(
        "A-hourly-with-month-to-date",
        "get_mau_total_usage",
        {**W, "aggregation_type": "month_to_date", "granularity": "hourly"},
        "granularity",
    ),
    Case(
        "B-incremental-monthly",
        "get_experimentation_keys_usage",
        {**W, "aggregation_type": "incremental", "granularity": "monthly"},
        "granularity",
    ),
    Case(
        "B-incremental-monthly-float",
        "get_service_connections_usage",
        {**W, "aggregation_type": "incremental", "granularity": "monthly"},
        "granularity",
    ),
    Case(
        "C-incremental-monthly",
        "get_observability_traces_usage",
        {**W, "aggregation_type": "incremental", "granularity": "monthly"},
        "granularity",
    ),
    Case("legacy-has-no-granularity", "get_mau_usage", {**W, "granularity": "daily"}, "granularity"),
    # environment needs exactly one project
    Case(
        "environment-without-project",
        "get_mau_total_usage",
        {**W, "environment_key": "prod"},
        "project_key",
        "exactly one",
    ),
    Case(
        "environment-with-two-projects",
        "get_data_export_events_usage",
        {**W, "environment_key": "prod", "project_key": ["a", "b"]},
        "project_key",
        "exactly one",
    ),
    Case("legacy-environment-without-project", "get_mau_usage", {**W, "environment": "prod"}, "project"),
    Case(
        "legacy-environment-with-two-projects",
        "get_mau_usage",
        {**W, "environment": ["prod"], "project": ["a", "b"]},
        "project",
    ),
    # the window
    Case("start-equals-end", "get_mau_total_usage", {"start": START, "end": START}, "end", "after start"),
    Case("start-after-end", "get_mau_total_usage", {"start": END, "end": START}, "end"),
    Case(
        "equal-once-in-seconds",
        "get_contexts_serverside_usage",
        {"start": START, "end": "2026-01-01T00:00:00.500Z"},
        "end",
    ),
    Case(
        "span-over-365-A",
        "get_contexts_total_usage",
        {"start": "2025-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
        "start",
        "365 days",
    ),
    Case(
        "span-over-365-B",
        "get_service_connections_usage",
        {"start": "2024-06-01T00:00:00Z", "end": "2025-06-02T00:00:00Z"},
        "start",
        "365 days",
    ),
    Case(
        "span-over-365-open-end",
        "get_mau_total_usage",
        {"start": "2024-01-01T00:00:00Z"},
        "start",
        "365 days",
    ),
    Case("naive-start", "get_mau_total_usage", {"start": datetime(2026, 1, 1), "end": END}, "start", "naive"),
    Case("naive-end", "get_mau_total_usage", {"start": START, "end": datetime(2026, 1, 15)}, "end", "naive"),
    Case(
        "offsetless-iso",
        "get_mau_total_usage",
        {"start": "2026-01-01T00:00:00", "end": END},
        "start",
        "no UTC offset",
    ),
    Case("date-only-string", "get_stream_usage", {"source": "client", "start": "2026-01-01"}, "start"),
    Case("date-object", "get_mau_total_usage", {"start": date(2026, 1, 1)}, "start"),
    Case("bool-start", "get_mau_total_usage", {"start": True}, "start"),
    Case("garbage-start", "get_mau_total_usage", {"start": "yesterday"}, "start"),
    Case("empty-string-start", "get_mau_total_usage", {"start": ""}, "start"),
    Case("list-start", "get_mau_total_usage", {"start": [START]}, "start"),
    Case("bytes-start", "get_mau_total_usage", {"start": b"1767225600"}, "start"),
    Case("negative-epoch", "get_mau_total_usage", {"start": -5}, "start"),
    Case("epoch-too-old", "get_mau_total_usage", {"start": 1}, "start"),
    Case("epoch-too-far", "get_mau_total_usage", {"start": 10**15}, "start"),
    Case("epoch-nan", "get_mau_total_usage", {"start": math.nan}, "start"),
    # filters
    Case("empty-list-filter", "get_mau_total_usage", {**W, "project_key": []}, "project_key"),
    Case("non-string-filter-item", "get_mau_total_usage", {**W, "project_key": ["a", 3]}, "project_key"),
    Case("number-filter", "get_contexts_total_usage", {**W, "sdk_name": 5}, "sdk_name"),
    Case("empty-string-filter-item", "get_contexts_total_usage", {**W, "sdk_name": [""]}, "sdk_name"),
    Case(
        "non-repeatable-list",
        "get_mau_total_usage",
        {**W, "aggregation_type": ["month_to_date", "incremental"]},
        "aggregation_type",
        "single value",
    ),
    Case("tz-list", "get_stream_usage", {"source": "server", "tz": ["UTC", "Europe/Berlin"]}, "tz"),
    Case("legacy-anonymous-list", "get_mau_usage", {**W, "anonymous": ["true", "false"]}, "anonymous"),
    Case("sdks-sdktype-list", "get_mau_sdks_by_type", {**W, "sdktype": ["client", "server"]}, "sdktype"),
    # unknown keywords (through hook.call)
    Case(
        "wire-name-as-keyword", "get_mau_total_usage", {**W, "projectKey": "p"}, "projectKey", "project_key"
    ),
    Case("client-var-from", "get_mau_total_usage", {"var_from": "1767225600000"}, "var_from"),
    Case(
        "granularity-on-auto-family",
        "get_stream_usage",
        {"source": "client", "granularity": "daily"},
        "granularity",
    ),
    Case(
        "time-unit-without-window",
        "get_stream_usage_sdkversion",
        {"source": "client", "time_unit": "ms"},
        "time_unit",
    ),
    # path parameters
    Case("source-case", "get_stream_usage", {"source": "Client"}, "source", "'client'"),
    Case("source-unknown", "get_stream_usage_by_sdk_version", {"source": "mobile"}, "source"),
    Case("type-unknown", "get_events_usage", {"type": "sent"}, "type", "received"),
    Case(
        "path-empty",
        "get_evaluations_usage",
        {"project_key": "", "environment_key": "prod", "feature_flag_key": "f"},
        "project_key",
    ),
    Case(
        "path-blank",
        "get_evaluations_usage",
        {"project_key": "p", "environment_key": "  ", "feature_flag_key": "f"},
        "environment_key",
    ),
    Case(
        "path-missing",
        "getEvaluationsUsage",
        {"project_key": "p", "environment_key": "prod"},
        "feature_flag_key",
    ),
    Case("path-none", "get_stream_usage_sdkversion", {"source": None}, "source"),
    Case("path-not-a-string", "get_events_usage", {"type": 1}, "type"),
    # the unit override
    Case("time-unit-unknown", "get_mau_total_usage", {**W, "time_unit": "sec"}, "time_unit"),
    Case("time-unit-case", "get_mau_total_usage", {**W, "time_unit": "MS"}, "time_unit"),
    # the operation itself
    Case("operation-case", "getMauTotalUsage", {}, "operation"),
    Case("operation-unknown", "get_usage", {}, "operation"),
]


def test_there_are_at_least_forty_distinct_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def _typed_method(hook: Any, case: Case) -> Any:
    """The typed method, when the case's names are all its own (so it can be called the same way)."""
    method = getattr(hook, case.operation, None)
    if method is None:
        return None
    accepted = set(inspect.signature(method).parameters)
    return method if set(case.kwargs) <= accepted else None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_arguments_raise_before_any_request(server: ScriptedServer, hook: Any, case: Case) -> None:
    callers = [lambda **kw: hook.call(case.operation, **kw)]
    typed = _typed_method(hook, case)
    if typed is not None:
        callers.append(typed)

    for caller in callers:
        with pytest.raises(LaunchDarklyUsageValidationError) as caught:
            caller(**case.kwargs)
        exc = caught.value
        assert isinstance(exc, ValueError) and isinstance(exc, LaunchDarklyUsageError)
        assert exc.parameter == case.parameter
        assert f"Invalid {case.parameter}=" in str(exc)
        assert case.says in str(exc)

    assert server.requests == [], "a request was sent for invalid arguments"


def test_the_server_received_nothing_across_all_cases(server: ScriptedServer, hook: Any) -> None:
    for case in CASES:
        with pytest.raises(LaunchDarklyUsageValidationError):
            hook.call(case.operation, **case.kwargs)
    assert server.requests == []
    hook.get_stream_usage_sdkversion("client")  # and the same hook still works afterwards
    assert len(server.requests) == 1


def test_a_naive_datetime_is_never_guessed_even_at_midnight_utc(hook: Any) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="timezone"):
        hook.build("getMAUTotalUsage", start=datetime(2026, 1, 1, 0, 0), end=END)


def test_exactly_365_days_is_allowed(server: ScriptedServer, hook: Any) -> None:
    hook.get_contexts_total_usage(start="2025-01-01T00:00:00Z", end="2026-01-01T00:00:00Z")
    hook.get_stream_usage("client", start="2020-01-01T00:00:00Z", end="2026-01-01T00:00:00Z")  # no limit
    assert len(server.requests) == 2
