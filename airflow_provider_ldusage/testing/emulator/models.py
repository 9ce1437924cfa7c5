"""How each operation maps onto the facts: which metric, which cells, which filters and groupings.

These are the emulator's own modelling choices (LaunchDarkly documents none of them); the parameter names
and allowed values themselves come from the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class OperationModel:
    """The emulator's model of one operation.

    :param metric: name of the metric in :class:`.facts.Facts`.
    :param restrict: cells are kept only when their dimension has one of these values.
    :param filters: query wire name -> dimension it filters.
    :param group_by: ``groupBy`` (``groupby``) value -> dimension it splits by.
    :param implicit: dimensions every response is split by (metadata key -> dimension).
    :param default_filters: filters applied when the wire parameter is absent.
    :param path: path parameter wire name -> dimension it selects.
    :param aggregation: the aggregation of operations that take no ``aggregationType``.
    :param extras: ``groupBy`` value -> further dimensions its series carry in their metadata
        (``destinationId`` brings ``destinationName`` and ``destinationViewable``).
    """

    metric: str
    restrict: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)
    group_by: Mapping[str, str] = field(default_factory=dict)
    implicit: tuple[tuple[str, str], ...] = ()
    default_filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    path: Mapping[str, str] = field(default_factory=dict)
    aggregation: str = "incremental"
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_IDENTITY = (
    "projectKey",
    "environmentKey",
    "contextKind",
    "sdkName",
    "sdkType",
    "anonymous",
    "eventKind",
    "eventKey",
    "experimentId",
    "connectionType",
    "relayVersion",
    "sdkVersion",
    "sdkAppId",
)
_FILTERS = MappingProxyType({w: w for w in _IDENTITY})
_GROUPS = MappingProxyType(
    {
        **{
            g: g
            for g in (
                "projectId",
                "environmentId",
                "sdkName",
                "sdkType",
                "sdkAppId",
                "eventKind",
                "eventKey",
                "experimentId",
                "connectionType",
                "relayVersion",
                "sdkVersion",
            )
        },
        "anonymousV2": "anonymous",
    }
)
_DESTINATION_FILTERS = {"destinationKind": "destinationKind"}
_DESTINATION_GROUPS = {"destinationKind": "destinationKind", "destinationId": "destinationId"}
_DESTINATION_EXTRAS = MappingProxyType(
    {"destinationId": ("destinationName", "destinationViewable", "destinationKind")}
)
# Not a wire name (validation rejects it from callers). Pre-materialization rows are hidden by default
# (also from ``SyntheticData.series`` called directly); the app sends it empty, which keeps every row, when
# the emulator is told to serve them.
LEGACY_FILTER = "_legacy"
_NO_LEGACY = MappingProxyType({LEGACY_FILTER: ("false",)})
_CONTEXT_KIND = (("contextKind", "contextKind"),)
_PRIMARY = {"contextKind": ("user",)}


def _contexts(sdk_types: tuple[str, ...], *, mau: bool) -> OperationModel:
    restrict = {"sdkType": sdk_types, **(_PRIMARY if mau else {})}
    return OperationModel("contexts", restrict, _FILTERS, _GROUPS, () if mau else _CONTEXT_KIND)


_BOTH = ("client", "server")
MODELS: Mapping[str, OperationModel] = MappingProxyType(
    {
        "getContextsClientsideUsage": _contexts(("client",), mau=False),
        "getContextsServersideUsage": _contexts(("server",), mau=False),
        "getContextsTotalUsage": _contexts(_BOTH, mau=False),
        "getMAUClientsideUsage": _contexts(("client",), mau=True),
        "getMAUTotalUsage": _contexts(_BOTH, mau=True),
        "getDataExportEventsUsage": OperationModel(
            "data_export",
            filters=MappingProxyType({**_FILTERS, **_DESTINATION_FILTERS, LEGACY_FILTER: "legacy"}),
            group_by=MappingProxyType({**_GROUPS, **_DESTINATION_GROUPS}),
            extras=_DESTINATION_EXTRAS,
            default_filters=_NO_LEGACY,
        ),
        "getDataExportProjectRanking": OperationModel(
            "data_export",
            filters=MappingProxyType({"projectKey": "projectKey", LEGACY_FILTER: "legacy"}),
            default_filters=_NO_LEGACY,
        ),
        "getWarehouseExportUsage": OperationModel(
            "warehouse_export",
            filters=MappingProxyType({**_FILTERS, **_DESTINATION_FILTERS, "destination": "destinationKind"}),
            group_by=MappingProxyType({**_GROUPS, **_DESTINATION_GROUPS, "destination": "destinationKind"}),
            extras=_DESTINATION_EXTRAS,
        ),
        "getAiRunsUsage": OperationModel("ai_runs", filters=_FILTERS, group_by=_GROUPS),
        "getObservabilityMetricsUsage": OperationModel("observability_metrics", filters=_FILTERS),
        "getVegaAIUsage": OperationModel("vega_ai", filters=_FILTERS),
        # Not series: answered by .sdk_versions from the account (the model is only for path checks).
        "getSdkVersionsDetails": OperationModel("streams"),
        "getSdkAllVersions": OperationModel("streams"),
        "getExperimentationEventsUsage": OperationModel(
            "experimentation_events", filters=_FILTERS, group_by=_GROUPS
        ),
        "getExperimentationKeysUsage": OperationModel(
            "experimentation_keys", filters=_FILTERS, group_by=_GROUPS
        ),
        "getServiceConnectionsUsage": OperationModel(
            "service_connections", filters=_FILTERS, group_by=_GROUPS
        ),
        "getObservabilityErrorsUsage": OperationModel("observability_errors", filters=_FILTERS),
        "getObservabilityLogsUsage": OperationModel("observability_logs", filters=_FILTERS),
        "getObservabilitySessionsUsage": OperationModel("observability_sessions", filters=_FILTERS),
        "getObservabilityTracesUsage": OperationModel("observability_traces", filters=_FILTERS),
        "getEvaluationsUsage": OperationModel(
            "evaluations",
            implicit=(("variation", "variation"), ("value", "value")),
            path=MappingProxyType(
                {
                    "projectKey": "projectKey",
                    "environmentKey": "environmentKey",
                    "featureFlagKey": "featureFlagKey",
                }
            ),
        ),
        "getEventsUsage": OperationModel("events", path=MappingProxyType({"type": "type"})),
        "getStreamUsage": OperationModel("streams", path=MappingProxyType({"source": "source"})),
        "getStreamUsageBySdkVersion": OperationModel(
            "streams",
            filters=MappingProxyType({"sdk": "sdk", "version": "version"}),
            implicit=(("sdk", "sdk"), ("version", "version"), ("source", "source")),
            path=MappingProxyType({"source": "source"}),
        ),
        "getMauUsage": OperationModel(
            "contexts",
            filters=MappingProxyType(
                {
                    "project": "projectKey",
                    "environment": "environmentKey",
                    "sdktype": "sdkType",
                    "sdk": "sdkName",
                    "anonymous": "anonymous",
                    "contextKind": "contextKind",
                }
            ),
            group_by=MappingProxyType(
                {
                    "project": "projectKey",
                    "environment": "environmentKey",
                    "sdktype": "sdkType",
                    "sdk": "sdkName",
                    "anonymous": "anonymous",
                    "contextKind": "contextKind",
                    "sdkAppId": "sdkAppId",
                }
            ),
            # "if absent, only the user context kind is counted"
            default_filters={"contextKind": ("user",)},
        ),
        "getMauUsageByCategory": OperationModel(
            "contexts", _PRIMARY, implicit=(("category", "category"),), aggregation="rolling_30d"
        ),
        "getMauSdksByType": OperationModel(
            "contexts", _PRIMARY, filters=MappingProxyType({"sdktype": "sdkType"})
        ),
        "getStreamUsageSdkversion": OperationModel("streams", path=MappingProxyType({"source": "source"})),
    }
)
