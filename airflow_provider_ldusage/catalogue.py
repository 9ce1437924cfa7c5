"""The catalogue: every fact about LaunchDarkly's 21 account-usage operations, written once.

The hook, the operators, argument validation, the emulator, the docs' tables and the contract test against
LaunchDarkly's OpenAPI document all read this module. It imports nothing heavy: operator modules import it
at DAG-parse time.

Sources: LaunchDarkly's OpenAPI document (2026-03-25) for paths and wire names, and the parameter prose of
the same document for repeatability, allowed values, units and limits (see docs/endpoints).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

TimeUnit = Literal["ms", "s"]
ResponseKind = Literal["SeriesListRep", "SeriesListRepFloat", "SdkListRep", "SdkVersionListRep"]
FamilyName = Literal["contexts", "mau2", "metered", "observability", "auto", "legacy_mau", "list"]

API_PREFIX = "/api/v2/usage"
DEFAULT_BASE_URL = "https://app.launchdarkly.com"
KNOWN_BASE_URLS = MappingProxyType(
    {
        "commercial": "https://app.launchdarkly.com",
        "federal": "https://app.launchdarkly.us",
        "eu": "https://app.eu.launchdarkly.com",
    }
)
BETA_HEADER = ("LD-API-Version", "beta")


@dataclass(frozen=True)
class PathParam:
    """A path parameter: ``wire`` is its name in the path template, ``name`` the Python argument."""

    wire: str
    name: str
    doc: str
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class QueryParam:
    """A query parameter other than ``from``/``to``.

    :param wire: exact, case-sensitive name on the wire (``groupBy`` here, ``groupby`` on legacy MAU).
    :param name: the Python argument name (the official client's snake_case name).
    :param doc: one line for docstrings and docs.
    :param repeatable: sent as one ``name=value`` pair per value when true.
    :param allowed: the values LaunchDarkly documents, or ``None`` when it names none.
    :param needs_single: the Python name of a parameter that must then carry exactly one value
        (``environmentKey`` needs exactly one ``projectKey``).
    """

    wire: str
    name: str
    doc: str
    repeatable: bool = True
    allowed: tuple[str, ...] | None = None
    needs_single: str | None = None


@dataclass(frozen=True)
class Family:
    """Rules shared by a group of endpoints.

    :param granularity_by_aggregation: for each ``aggregationType`` value, the ``granularity`` values it
        allows; empty when the family has no such parameters.
    :param default_aggregation: what LaunchDarkly uses when ``aggregationType`` is absent.
    :param default_granularity: what LaunchDarkly uses when ``granularity`` is absent.
    :param max_span_days: the longest ``from``..``to`` span LaunchDarkly accepts, or ``None``.
    :param bucket: how the server picks time buckets, in words.
    """

    name: FamilyName
    title: str
    granularity_by_aggregation: Mapping[str, tuple[str, ...]]
    default_aggregation: str | None
    default_granularity: str | None
    max_span_days: int | None
    bucket: str

    @property
    def aggregation_values(self) -> tuple[str, ...]:
        return tuple(self.granularity_by_aggregation)

    @property
    def granularity_values(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for values in self.granularity_by_aggregation.values():
            seen.update(dict.fromkeys(values))
        return tuple(seen)


@dataclass(frozen=True)
class Endpoint:
    """One account-usage operation.

    :param operation_id: LaunchDarkly's operationId (``getMAUTotalUsage``).
    :param method_name: the official Python client's method name, also our hook method's name.
    :param path: path template under the API host.
    :param family: the aggregation/granularity family.
    :param counts: what the series count, in one line.
    :param time_unit: unit of ``from``/``to`` on the wire; ``None`` when the endpoint takes no window.
    :param unit_documented: whether LaunchDarkly documents the unit (else ms is assumed).
    :param default_window: what LaunchDarkly uses when ``from`` is absent.
    :param response_kind: the 200 schema name.
    :param replacement: for deprecated endpoints, what to use instead.
    :param status_codes: the codes LaunchDarkly's spec documents for this operation.
    """

    operation_id: str
    method_name: str
    path: str
    family: Family
    counts: str
    time_unit: TimeUnit | None
    unit_documented: bool
    default_window: str | None
    response_kind: ResponseKind
    status_codes: tuple[int, ...]
    path_params: tuple[PathParam, ...] = ()
    query_params: tuple[QueryParam, ...] = ()
    replacement: str | None = None
    _params_by_name: Mapping[str, QueryParam] = field(init=False, repr=False, compare=False)
    _argument_names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    accepted_names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Derived once: request building consults these on every call.
        object.__setattr__(self, "_params_by_name", {p.name: p for p in self.query_params})
        names = [p.name for p in self.path_params]
        if self.has_window:
            names += ["start", "end"]
        names += [p.name for p in self.query_params]
        object.__setattr__(self, "_argument_names", tuple(names))
        accepted = set(names) | ({"time_unit"} if self.has_window else set())
        object.__setattr__(self, "accepted_names", frozenset(accepted))

    @property
    def deprecated(self) -> bool:
        return self.replacement is not None

    @property
    def has_window(self) -> bool:
        return self.time_unit is not None

    @property
    def max_span_days(self) -> int | None:
        return self.family.max_span_days

    @property
    def is_series(self) -> bool:
        return self.response_kind in ("SeriesListRep", "SeriesListRepFloat")

    @property
    def operator_name(self) -> str:
        """``LaunchDarkly`` + the method name without ``get_`` in CamelCase + ``Operator``."""
        stem = self.method_name.removeprefix("get_")
        return "LaunchDarkly" + "".join(part.capitalize() for part in stem.split("_")) + "Operator"

    @property
    def argument_names(self) -> tuple[str, ...]:
        """Every Python argument of the hook method, in order (path parameters, window, filters)."""
        return self._argument_names

    def query_param(self, name: str) -> QueryParam | None:
        return self._params_by_name.get(name)


# --- families -------------------------------------------------------------------------------------------

_DAILY_ONLY = ("daily",)
CONTEXTS = Family(
    "contexts",
    "Contexts (family A)",
    MappingProxyType(
        {"month_to_date": ("daily", "monthly"), "incremental": _DAILY_ONLY, "rolling_30d": _DAILY_ONLY}
    ),
    "month_to_date",
    "daily",
    365,
    "daily or monthly buckets at UTC midnight; contextKind is always an implicit grouping dimension",
)
MAU2 = Family(
    "mau2",
    "MAU v2 (family A)",
    CONTEXTS.granularity_by_aggregation,
    "month_to_date",
    "daily",
    365,
    "daily or monthly buckets at UTC midnight; primary context kind only",
)
METERED = Family(
    "metered",
    "Metered usage (family B)",
    MappingProxyType({"month_to_date": ("daily", "hourly", "monthly"), "incremental": ("daily", "hourly")}),
    "month_to_date",
    "daily",
    365,
    "hourly, daily or monthly buckets at UTC boundaries",
)
OBSERVABILITY = Family(
    "observability",
    "Observability (family C)",
    CONTEXTS.granularity_by_aggregation,
    "month_to_date",
    "daily",
    None,
    "daily or monthly buckets at UTC midnight",
)
AUTO = Family(
    "auto",
    "Auto-granularity (family D)",
    MappingProxyType({}),
    None,
    None,
    None,
    "server-chosen: minutely if the range lies within the past 2 hours, hourly within the past 2 days, "
    "else daily (cut at midnight in tz where supported)",
)
LEGACY_MAU = Family(
    "legacy_mau",
    "Legacy MAU (family E, deprecated)",
    MappingProxyType(
        {"rolling_30d": _DAILY_ONLY, "month_to_date": _DAILY_ONLY, "daily_incremental": _DAILY_ONLY}
    ),
    "rolling_30d",
    "daily",
    None,
    "always daily",
)
LISTS = Family("list", "Lists (family F)", MappingProxyType({}), None, None, None, "not a time series")

# --- shared parameter definitions (one fact each) --------------------------------------------------------

PROJECT_KEY = QueryParam("projectKey", "project_key", "Project key(s) to keep.")
ENVIRONMENT_KEY = QueryParam(
    "environmentKey",
    "environment_key",
    "Environment key(s) to keep; requires exactly one project_key.",
    needs_single="project_key",
)
CONTEXT_KIND = QueryParam("contextKind", "context_kind", "Context kind(s) to keep.")
SDK_NAME = QueryParam("sdkName", "sdk_name", "SDK name(s) to keep.")
SDK_TYPE = QueryParam("sdkType", "sdk_type", "SDK type(s) to keep (values not enumerated by LaunchDarkly).")
ANONYMOUS = QueryParam(
    "anonymous",
    "anonymous",
    "Keep anonymous (``true``) or non-anonymous (``false``) contexts.",
    True,
    ("true", "false"),
)
EVENT_KIND = QueryParam("eventKind", "event_kind", "Event kind(s) to keep (values not enumerated).")
TZ = QueryParam("tz", "tz", "Time zone that cuts days for daily data (IANA name).", repeatable=False)


def _group_by(*values: str) -> QueryParam:
    return QueryParam("groupBy", "group_by", "Dimension(s) to split the series by.", True, values)


def _aggregation(family: Family) -> QueryParam:
    return QueryParam(
        "aggregationType",
        "aggregation_type",
        "How values accumulate over time.",
        False,
        family.aggregation_values,
    )


def _granularity(family: Family) -> QueryParam:
    return QueryParam(
        "granularity",
        "granularity",
        "Bucket size; allowed values depend on aggregation_type.",
        False,
        family.granularity_values,
    )


def _family_a(family: Family, *filters: QueryParam, group_by: tuple[str, ...]) -> tuple[QueryParam, ...]:
    return (*filters, _group_by(*group_by), _aggregation(family), _granularity(family))


# Filters the client-side and server-side contexts endpoints share (total-contexts adds sdkType).
_CONTEXT_FILTERS = (PROJECT_KEY, ENVIRONMENT_KEY, CONTEXT_KIND, SDK_NAME, ANONYMOUS)
_CONTEXT_GROUPS = ("projectId", "environmentId", "sdkName", "sdkAppId", "anonymousV2")
_CONTEXT_GROUPS_TYPED = ("projectId", "environmentId", "sdkName", "sdkType", "sdkAppId", "anonymousV2")
_A_CODES = (200, 400, 401, 403, 429, 503)
_C_CODES = (200, 400, 401, 403, 404, 429)
_MONTH_START = "start of the current month"


def _observability(op: str, method: str, slug: str, counts: str) -> Endpoint:
    return Endpoint(
        op,
        method,
        f"{API_PREFIX}/observability/{slug}",
        OBSERVABILITY,
        counts,
        "s",
        True,
        _MONTH_START,
        "SeriesListRep",
        _C_CODES,
        query_params=(PROJECT_KEY, _granularity(OBSERVABILITY), _aggregation(OBSERVABILITY)),
    )


_SOURCE = PathParam(
    "source", "source", "Which SDKs' streams: ``client`` or ``server``.", ("client", "server")
)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "getContextsClientsideUsage",
        "get_contexts_clientside_usage",
        f"{API_PREFIX}/clientside-contexts",
        CONTEXTS,
        "context-key usages of every context kind, client-side SDKs",
        "ms",
        True,
        _MONTH_START,
        "SeriesListRep",
        _A_CODES,
        query_params=_family_a(CONTEXTS, *_CONTEXT_FILTERS, group_by=_CONTEXT_GROUPS),
    ),
    Endpoint(
        "getContextsServersideUsage",
        "get_contexts_serverside_usage",
        f"{API_PREFIX}/serverside-contexts",
        CONTEXTS,
        "context-key usages of every context kind, server-side SDKs",
        "s",
        True,
        _MONTH_START,
        "SeriesListRep",
        _A_CODES,
        query_params=_family_a(CONTEXTS, *_CONTEXT_FILTERS, group_by=_CONTEXT_GROUPS),
    ),
    Endpoint(
        "getContextsTotalUsage",
        "get_contexts_total_usage",
        f"{API_PREFIX}/total-contexts",
        CONTEXTS,
        "context-key usages of every context kind, all SDKs",
        "ms",
        True,
        _MONTH_START,
        "SeriesListRep",
        _A_CODES,
        query_params=_family_a(
            CONTEXTS,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            CONTEXT_KIND,
            SDK_NAME,
            SDK_TYPE,
            ANONYMOUS,
            group_by=_CONTEXT_GROUPS_TYPED,
        ),
    ),
    Endpoint(
        "getMAUClientsideUsage",
        "get_mau_clientside_usage",
        f"{API_PREFIX}/clientside-mau",
        MAU2,
        "monthly active context keys of the primary context kind, client-side SDKs",
        "ms",
        True,
        _MONTH_START,
        "SeriesListRep",
        _A_CODES,
        query_params=_family_a(
            MAU2, PROJECT_KEY, ENVIRONMENT_KEY, SDK_NAME, ANONYMOUS, group_by=_CONTEXT_GROUPS
        ),
    ),
    Endpoint(
        "getMAUTotalUsage",
        "get_mau_total_usage",
        f"{API_PREFIX}/total-mau",
        MAU2,
        "monthly active context keys of the primary context kind, all SDKs",
        "ms",
        True,
        _MONTH_START,
        "SeriesListRep",
        _A_CODES,
        query_params=_family_a(
            MAU2, PROJECT_KEY, ENVIRONMENT_KEY, SDK_NAME, SDK_TYPE, ANONYMOUS, group_by=_CONTEXT_GROUPS_TYPED
        ),
    ),
    Endpoint(
        "getDataExportEventsUsage",
        "get_data_export_events_usage",
        f"{API_PREFIX}/data-export-events",
        METERED,
        "Data Export events",
        "ms",
        True,
        _MONTH_START,
        "SeriesListRep",
        _A_CODES,
        query_params=_family_a(
            METERED, PROJECT_KEY, ENVIRONMENT_KEY, EVENT_KIND, group_by=("environmentId", "eventKind")
        ),
    ),
    Endpoint(
        "getExperimentationEventsUsage",
        "get_experimentation_events_usage",
        f"{API_PREFIX}/experimentation-events",
        METERED,
        "Experimentation events",
        "ms",
        True,
        _MONTH_START,
        "SeriesListRep",
        _A_CODES,
        query_params=_family_a(
            METERED,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            QueryParam("eventKey", "event_key", "Event key(s) to keep."),
            EVENT_KIND,
            group_by=("environmentId", "eventKey", "eventKind"),
        ),
    ),
    Endpoint(
        "getExperimentationKeysUsage",
        "get_experimentation_keys_usage",
        f"{API_PREFIX}/experimentation-keys",
        METERED,
        "Experimentation keys",
        "ms",
        True,
        _MONTH_START,
        "SeriesListRep",
        _A_CODES,
        query_params=_family_a(
            METERED,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            QueryParam("experimentId", "experiment_id", "Experiment id(s) to keep."),
            group_by=("projectId", "environmentId", "experimentId"),
        ),
    ),
    Endpoint(
        "getServiceConnectionsUsage",
        "get_service_connections_usage",
        f"{API_PREFIX}/service-connections",
        METERED,
        "service connections (fractional: metered in connection-minutes)",
        "ms",
        True,
        _MONTH_START,
        "SeriesListRepFloat",
        _A_CODES,
        query_params=_family_a(
            METERED,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            QueryParam("connectionType", "connection_type", "Connection type(s) to keep (not enumerated)."),
            QueryParam("relayVersion", "relay_version", "Relay Proxy version(s) to keep."),
            SDK_NAME,
            QueryParam("sdkVersion", "sdk_version", "SDK version(s) to keep."),
            SDK_TYPE,
            QueryParam("sdkAppId", "sdk_app_id", "SDK application id(s) to keep."),
            group_by=(
                "projectId",
                "environmentId",
                "connectionType",
                "relayVersion",
                "sdkName",
                "sdkVersion",
                "sdkType",
                "sdkAppId",
            ),
        ),
    ),
    _observability(
        "getObservabilityErrorsUsage", "get_observability_errors_usage", "errors", "observability errors"
    ),
    _observability("getObservabilityLogsUsage", "get_observability_logs_usage", "logs", "observability logs"),
    _observability(
        "getObservabilitySessionsUsage",
        "get_observability_sessions_usage",
        "sessions",
        "observability sessions",
    ),
    _observability(
        "getObservabilityTracesUsage", "get_observability_traces_usage", "traces", "observability traces"
    ),
    Endpoint(
        "getEvaluationsUsage",
        "get_evaluations_usage",
        f"{API_PREFIX}/evaluations/{{projectKey}}/{{environmentKey}}/{{featureFlagKey}}",
        AUTO,
        "flag evaluations of one flag, one series per variation",
        "ms",
        False,
        "30 days ago",
        "SeriesListRep",
        _C_CODES,
        path_params=(
            PathParam("projectKey", "project_key", "The project key."),
            PathParam("environmentKey", "environment_key", "The environment key."),
            PathParam("featureFlagKey", "feature_flag_key", "The feature flag key."),
        ),
        query_params=(TZ,),
    ),
    Endpoint(
        "getEventsUsage",
        "get_events_usage",
        f"{API_PREFIX}/events/{{type}}",
        AUTO,
        "events received by LaunchDarkly or published onward",
        "ms",
        False,
        "24 hours ago",
        "SeriesListRep",
        _C_CODES,
        path_params=(
            PathParam("type", "type", "``received`` or ``published`` events.", ("received", "published")),
        ),
    ),
    Endpoint(
        "getStreamUsage",
        "get_stream_usage",
        f"{API_PREFIX}/streams/{{source}}",
        AUTO,
        "streaming connections",
        "ms",
        False,
        "30 days ago",
        "SeriesListRep",
        _C_CODES,
        path_params=(_SOURCE,),
        query_params=(TZ,),
    ),
    Endpoint(
        "getStreamUsageBySdkVersion",
        "get_stream_usage_by_sdk_version",
        f"{API_PREFIX}/streams/{{source}}/bysdkversion",
        AUTO,
        "streaming connections, one series per SDK name and version",
        "ms",
        False,
        "24 hours ago",
        "SeriesListRep",
        _C_CODES,
        path_params=(_SOURCE,),
        query_params=(
            TZ,
            QueryParam("sdk", "sdk", "Keep only series of this SDK name.", repeatable=False),
            QueryParam("version", "version", "Keep only series of this SDK version.", repeatable=False),
        ),
    ),
    Endpoint(
        "getMauUsage",
        "get_mau_usage",
        f"{API_PREFIX}/mau",
        LEGACY_MAU,
        "legacy user-based MAU, daily",
        "ms",
        False,
        "30 days ago",
        "SeriesListRep",
        (200, 400, 401, 403, 429),
        query_params=(
            QueryParam("project", "project", "Project key(s) to keep."),
            QueryParam(
                "environment",
                "environment",
                "Environment key(s) to keep; requires exactly one project.",
                needs_single="project",
            ),
            QueryParam("sdktype", "sdktype", "SDK type(s) to keep.", True, ("client", "server")),
            QueryParam("sdk", "sdk", "SDK name(s) to keep."),
            QueryParam("anonymous", "anonymous", "Keep anonymous or non-anonymous users.", repeatable=False),
            QueryParam(
                "groupby",
                "groupby",
                "Dimension(s) to split the series by.",
                True,
                ("project", "environment", "sdktype", "sdk", "anonymous", "contextKind", "sdkAppId"),
            ),
            _aggregation(LEGACY_MAU),
            QueryParam("contextKind", "context_kind", "Context kind(s) to count; default: user only."),
        ),
        replacement="get_mau_total_usage / LaunchDarklyMauTotalUsageOperator (total-mau)",
    ),
    Endpoint(
        "getMauUsageByCategory",
        "get_mau_usage_by_category",
        f"{API_PREFIX}/mau/bycategory",
        LEGACY_MAU,
        "legacy MAU split into browser, mobile and backend",
        "ms",
        False,
        "30 days ago",
        "SeriesListRep",
        (200, 400, 401, 403, 404, 429),
        replacement="get_mau_clientside_usage and get_mau_total_usage grouped by sdkType",
    ),
    Endpoint(
        "getMauSdksByType",
        "get_mau_sdks_by_type",
        f"{API_PREFIX}/mau/sdks",
        LISTS,
        "names of the SDKs that produced MAU in the window",
        "ms",
        True,
        "7 days ago",
        "SdkListRep",
        (200, 400, 401, 403, 429),
        query_params=(
            QueryParam(
                "sdktype", "sdktype", "``client`` or ``server`` SDKs only.", False, ("client", "server")
            ),
        ),
    ),
    Endpoint(
        "getStreamUsageSdkversion",
        "get_stream_usage_sdkversion",
        f"{API_PREFIX}/streams/{{source}}/sdkversions",
        LISTS,
        "SDK name and version pairs seen streaming in the past 60 days",
        None,
        False,
        None,
        "SdkVersionListRep",
        (200, 401, 403, 429),
        path_params=(_SOURCE,),
    ),
)

BY_OPERATION: Mapping[str, Endpoint] = MappingProxyType({e.operation_id: e for e in ENDPOINTS})
BY_METHOD: Mapping[str, Endpoint] = MappingProxyType({e.method_name: e for e in ENDPOINTS})
BY_PATH: Mapping[str, Endpoint] = MappingProxyType({e.path: e for e in ENDPOINTS})


def endpoint(key: str) -> Endpoint:
    """Look an endpoint up by operation id (``getMAUTotalUsage``) or hook method name."""
    found = BY_OPERATION.get(key) or BY_METHOD.get(key)
    if found is None:
        from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError

        raise LaunchDarklyUsageValidationError(
            "operation", key, f"one of {', '.join(sorted(BY_OPERATION))} (or their hook method names)"
        )
    return found
