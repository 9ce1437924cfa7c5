"""One operator per LaunchDarkly usage operation (generated: do not edit).

Regenerate with
``python tools/generate_signatures.py operators > airflow_provider_ldusage/operators/usage.py``.
Every operator takes its operation's filters under the hook's argument names plus the common arguments of
:class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_ldusage.landing import OutputFormat
from airflow_provider_ldusage.operators._base import (
    COMMON_TEMPLATE_FIELDS,
    DEFAULT_MAX_XCOM_ROWS,
    LaunchDarklyUsageBaseOperator,
)

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

__all__ = [
    "LaunchDarklyContextsClientsideUsageOperator",
    "LaunchDarklyContextsServersideUsageOperator",
    "LaunchDarklyContextsTotalUsageOperator",
    "LaunchDarklyDataExportEventsUsageOperator",
    "LaunchDarklyEvaluationsUsageOperator",
    "LaunchDarklyEventsUsageOperator",
    "LaunchDarklyExperimentationEventsUsageOperator",
    "LaunchDarklyExperimentationKeysUsageOperator",
    "LaunchDarklyMauClientsideUsageOperator",
    "LaunchDarklyMauSdksByTypeOperator",
    "LaunchDarklyMauTotalUsageOperator",
    "LaunchDarklyMauUsageByCategoryOperator",
    "LaunchDarklyMauUsageOperator",
    "LaunchDarklyObservabilityErrorsUsageOperator",
    "LaunchDarklyObservabilityLogsUsageOperator",
    "LaunchDarklyObservabilitySessionsUsageOperator",
    "LaunchDarklyObservabilityTracesUsageOperator",
    "LaunchDarklyServiceConnectionsUsageOperator",
    "LaunchDarklyStreamUsageBySdkVersionOperator",
    "LaunchDarklyStreamUsageOperator",
    "LaunchDarklyStreamUsageSdkversionOperator",
    "LaunchDarklyUsageBaseOperator",
]


class LaunchDarklyContextsClientsideUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch context-key usages of every context kind, client-side SDKs: ``GET
    /api/v2/usage/clientside-contexts`` (``getContextsClientsideUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_contexts_clientside_usage``. Windows over 365 days are split
    and merged.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
        ``environmentKey``, once per value. Templated.
    :param context_kind: Context kind(s) to keep. Sent as ``contextKind``, once per value. Templated.
    :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value. Templated.
    :param anonymous: Keep anonymous (``true``) or non-anonymous (``false``) contexts. Sent as
        ``anonymous``, once per value. One of ``true``, ``false``. Templated.
    :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
        ``projectId``, ``environmentId``, ``sdkName``, ``sdkAppId``, ``anonymousV2``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
        incremental: daily; rolling_30d: daily. Default ``daily``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getContextsClientsideUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_key",
        "context_kind",
        "sdk_name",
        "anonymous",
        "group_by",
        "aggregation_type",
        "granularity",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        context_kind: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        anonymous: bool | str | Sequence[str] | None = None,
        group_by: str | Sequence[str] | None = None,
        aggregation_type: str | None = None,
        granularity: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.environment_key = environment_key
        self.context_kind = context_kind
        self.sdk_name = sdk_name
        self.anonymous = anonymous
        self.group_by = group_by
        self.aggregation_type = aggregation_type
        self.granularity = granularity


class LaunchDarklyContextsServersideUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch context-key usages of every context kind, server-side SDKs: ``GET
    /api/v2/usage/serverside-contexts`` (``getContextsServersideUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_contexts_serverside_usage``. Windows over 365 days are split
    and merged.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
        ``environmentKey``, once per value. Templated.
    :param context_kind: Context kind(s) to keep. Sent as ``contextKind``, once per value. Templated.
    :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value. Templated.
    :param anonymous: Keep anonymous (``true``) or non-anonymous (``false``) contexts. Sent as
        ``anonymous``, once per value. One of ``true``, ``false``. Templated.
    :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
        ``projectId``, ``environmentId``, ``sdkName``, ``sdkAppId``, ``anonymousV2``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
        incremental: daily; rolling_30d: daily. Default ``daily``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getContextsServersideUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_key",
        "context_kind",
        "sdk_name",
        "anonymous",
        "group_by",
        "aggregation_type",
        "granularity",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        context_kind: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        anonymous: bool | str | Sequence[str] | None = None,
        group_by: str | Sequence[str] | None = None,
        aggregation_type: str | None = None,
        granularity: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.environment_key = environment_key
        self.context_kind = context_kind
        self.sdk_name = sdk_name
        self.anonymous = anonymous
        self.group_by = group_by
        self.aggregation_type = aggregation_type
        self.granularity = granularity


class LaunchDarklyContextsTotalUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch context-key usages of every context kind, all SDKs: ``GET /api/v2/usage/total-contexts``
    (``getContextsTotalUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_contexts_total_usage``. Windows over 365 days are split and
    merged.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
        ``environmentKey``, once per value. Templated.
    :param context_kind: Context kind(s) to keep. Sent as ``contextKind``, once per value. Templated.
    :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value. Templated.
    :param sdk_type: SDK type(s) to keep (values not enumerated by LaunchDarkly). Sent as ``sdkType``,
        once per value. Templated.
    :param anonymous: Keep anonymous (``true``) or non-anonymous (``false``) contexts. Sent as
        ``anonymous``, once per value. One of ``true``, ``false``. Templated.
    :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
        ``projectId``, ``environmentId``, ``sdkName``, ``sdkType``, ``sdkAppId``, ``anonymousV2``.
        Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
        incremental: daily; rolling_30d: daily. Default ``daily``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getContextsTotalUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_key",
        "context_kind",
        "sdk_name",
        "sdk_type",
        "anonymous",
        "group_by",
        "aggregation_type",
        "granularity",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        context_kind: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        sdk_type: str | Sequence[str] | None = None,
        anonymous: bool | str | Sequence[str] | None = None,
        group_by: str | Sequence[str] | None = None,
        aggregation_type: str | None = None,
        granularity: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.environment_key = environment_key
        self.context_kind = context_kind
        self.sdk_name = sdk_name
        self.sdk_type = sdk_type
        self.anonymous = anonymous
        self.group_by = group_by
        self.aggregation_type = aggregation_type
        self.granularity = granularity


class LaunchDarklyMauClientsideUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch monthly active context keys of the primary context kind, client-side SDKs: ``GET
    /api/v2/usage/clientside-mau`` (``getMAUClientsideUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_mau_clientside_usage``. Windows over 365 days are split and
    merged.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
        ``environmentKey``, once per value. Templated.
    :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value. Templated.
    :param anonymous: Keep anonymous (``true``) or non-anonymous (``false``) contexts. Sent as
        ``anonymous``, once per value. One of ``true``, ``false``. Templated.
    :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
        ``projectId``, ``environmentId``, ``sdkName``, ``sdkAppId``, ``anonymousV2``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
        incremental: daily; rolling_30d: daily. Default ``daily``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getMAUClientsideUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_key",
        "sdk_name",
        "anonymous",
        "group_by",
        "aggregation_type",
        "granularity",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        anonymous: bool | str | Sequence[str] | None = None,
        group_by: str | Sequence[str] | None = None,
        aggregation_type: str | None = None,
        granularity: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.environment_key = environment_key
        self.sdk_name = sdk_name
        self.anonymous = anonymous
        self.group_by = group_by
        self.aggregation_type = aggregation_type
        self.granularity = granularity


class LaunchDarklyMauTotalUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch monthly active context keys of the primary context kind, all SDKs: ``GET
    /api/v2/usage/total-mau`` (``getMAUTotalUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_mau_total_usage``. Windows over 365 days are split and
    merged.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
        ``environmentKey``, once per value. Templated.
    :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value. Templated.
    :param sdk_type: SDK type(s) to keep (values not enumerated by LaunchDarkly). Sent as ``sdkType``,
        once per value. Templated.
    :param anonymous: Keep anonymous (``true``) or non-anonymous (``false``) contexts. Sent as
        ``anonymous``, once per value. One of ``true``, ``false``. Templated.
    :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
        ``projectId``, ``environmentId``, ``sdkName``, ``sdkType``, ``sdkAppId``, ``anonymousV2``.
        Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
        incremental: daily; rolling_30d: daily. Default ``daily``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getMAUTotalUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_key",
        "sdk_name",
        "sdk_type",
        "anonymous",
        "group_by",
        "aggregation_type",
        "granularity",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        sdk_type: str | Sequence[str] | None = None,
        anonymous: bool | str | Sequence[str] | None = None,
        group_by: str | Sequence[str] | None = None,
        aggregation_type: str | None = None,
        granularity: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.environment_key = environment_key
        self.sdk_name = sdk_name
        self.sdk_type = sdk_type
        self.anonymous = anonymous
        self.group_by = group_by
        self.aggregation_type = aggregation_type
        self.granularity = granularity


class LaunchDarklyDataExportEventsUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch Data Export events: ``GET /api/v2/usage/data-export-events`` (``getDataExportEventsUsage``), as
    tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_data_export_events_usage``. Windows over 365 days are split
    and merged.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
        ``environmentKey``, once per value. Templated.
    :param event_kind: Event kind(s) to keep (values not enumerated). Sent as ``eventKind``, once per
        value. Templated.
    :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
        ``environmentId``, ``eventKind``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``. LaunchDarkly's default: ``month_to_date``. Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``hourly``, ``monthly``. Allowed per aggregation — month_to_date: daily, hourly,
        monthly; incremental: daily, hourly. Default ``daily``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getDataExportEventsUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_key",
        "event_kind",
        "group_by",
        "aggregation_type",
        "granularity",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        event_kind: str | Sequence[str] | None = None,
        group_by: str | Sequence[str] | None = None,
        aggregation_type: str | None = None,
        granularity: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.environment_key = environment_key
        self.event_kind = event_kind
        self.group_by = group_by
        self.aggregation_type = aggregation_type
        self.granularity = granularity


class LaunchDarklyExperimentationEventsUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch Experimentation events: ``GET /api/v2/usage/experimentation-events``
    (``getExperimentationEventsUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_experimentation_events_usage``. Windows over 365 days are
    split and merged.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
        ``environmentKey``, once per value. Templated.
    :param event_key: Event key(s) to keep. Sent as ``eventKey``, once per value. Templated.
    :param event_kind: Event kind(s) to keep (values not enumerated). Sent as ``eventKind``, once per
        value. Templated.
    :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
        ``environmentId``, ``eventKey``, ``eventKind``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``. LaunchDarkly's default: ``month_to_date``. Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``hourly``, ``monthly``. Allowed per aggregation — month_to_date: daily, hourly,
        monthly; incremental: daily, hourly. Default ``daily``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getExperimentationEventsUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_key",
        "event_key",
        "event_kind",
        "group_by",
        "aggregation_type",
        "granularity",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        event_key: str | Sequence[str] | None = None,
        event_kind: str | Sequence[str] | None = None,
        group_by: str | Sequence[str] | None = None,
        aggregation_type: str | None = None,
        granularity: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.environment_key = environment_key
        self.event_key = event_key
        self.event_kind = event_kind
        self.group_by = group_by
        self.aggregation_type = aggregation_type
        self.granularity = granularity


class LaunchDarklyExperimentationKeysUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch Experimentation keys: ``GET /api/v2/usage/experimentation-keys``
    (``getExperimentationKeysUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_experimentation_keys_usage``. Windows over 365 days are split
    and merged.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
        ``environmentKey``, once per value. Templated.
    :param experiment_id: Experiment id(s) to keep. Sent as ``experimentId``, once per value. Templated.
    :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
        ``projectId``, ``environmentId``, ``experimentId``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``. LaunchDarkly's default: ``month_to_date``. Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``hourly``, ``monthly``. Allowed per aggregation — month_to_date: daily, hourly,
        monthly; incremental: daily, hourly. Default ``daily``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getExperimentationKeysUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_key",
        "experiment_id",
        "group_by",
        "aggregation_type",
        "granularity",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        experiment_id: str | Sequence[str] | None = None,
        group_by: str | Sequence[str] | None = None,
        aggregation_type: str | None = None,
        granularity: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.environment_key = environment_key
        self.experiment_id = experiment_id
        self.group_by = group_by
        self.aggregation_type = aggregation_type
        self.granularity = granularity


class LaunchDarklyServiceConnectionsUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch service connections (fractional: metered in connection-minutes): ``GET
    /api/v2/usage/service-connections`` (``getServiceConnectionsUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_service_connections_usage``. Windows over 365 days are split
    and merged.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
        ``environmentKey``, once per value. Templated.
    :param connection_type: Connection type(s) to keep (not enumerated). Sent as ``connectionType``, once
        per value. Templated.
    :param relay_version: Relay Proxy version(s) to keep. Sent as ``relayVersion``, once per value.
        Templated.
    :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value. Templated.
    :param sdk_version: SDK version(s) to keep. Sent as ``sdkVersion``, once per value. Templated.
    :param sdk_type: SDK type(s) to keep (values not enumerated by LaunchDarkly). Sent as ``sdkType``,
        once per value. Templated.
    :param sdk_app_id: SDK application id(s) to keep. Sent as ``sdkAppId``, once per value. Templated.
    :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
        ``projectId``, ``environmentId``, ``connectionType``, ``relayVersion``, ``sdkName``,
        ``sdkVersion``, ``sdkType``, ``sdkAppId``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``. LaunchDarkly's default: ``month_to_date``. Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``hourly``, ``monthly``. Allowed per aggregation — month_to_date: daily, hourly,
        monthly; incremental: daily, hourly. Default ``daily``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getServiceConnectionsUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_key",
        "connection_type",
        "relay_version",
        "sdk_name",
        "sdk_version",
        "sdk_type",
        "sdk_app_id",
        "group_by",
        "aggregation_type",
        "granularity",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        connection_type: str | Sequence[str] | None = None,
        relay_version: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        sdk_version: str | Sequence[str] | None = None,
        sdk_type: str | Sequence[str] | None = None,
        sdk_app_id: str | Sequence[str] | None = None,
        group_by: str | Sequence[str] | None = None,
        aggregation_type: str | None = None,
        granularity: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.environment_key = environment_key
        self.connection_type = connection_type
        self.relay_version = relay_version
        self.sdk_name = sdk_name
        self.sdk_version = sdk_version
        self.sdk_type = sdk_type
        self.sdk_app_id = sdk_app_id
        self.group_by = group_by
        self.aggregation_type = aggregation_type
        self.granularity = granularity


class LaunchDarklyObservabilityErrorsUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch observability errors: ``GET /api/v2/usage/observability/errors``
    (``getObservabilityErrorsUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_observability_errors_usage``.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
        incremental: daily; rolling_30d: daily. Default ``daily``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getObservabilityErrorsUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "granularity",
        "aggregation_type",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        granularity: str | None = None,
        aggregation_type: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.granularity = granularity
        self.aggregation_type = aggregation_type


class LaunchDarklyObservabilityLogsUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch observability logs: ``GET /api/v2/usage/observability/logs`` (``getObservabilityLogsUsage``), as
    tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_observability_logs_usage``.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
        incremental: daily; rolling_30d: daily. Default ``daily``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getObservabilityLogsUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "granularity",
        "aggregation_type",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        granularity: str | None = None,
        aggregation_type: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.granularity = granularity
        self.aggregation_type = aggregation_type


class LaunchDarklyObservabilitySessionsUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch observability sessions: ``GET /api/v2/usage/observability/sessions``
    (``getObservabilitySessionsUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_observability_sessions_usage``.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
        incremental: daily; rolling_30d: daily. Default ``daily``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getObservabilitySessionsUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "granularity",
        "aggregation_type",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        granularity: str | None = None,
        aggregation_type: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.granularity = granularity
        self.aggregation_type = aggregation_type


class LaunchDarklyObservabilityTracesUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch observability traces: ``GET /api/v2/usage/observability/traces``
    (``getObservabilityTracesUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_observability_traces_usage``.

    :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value. Templated.
    :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
        One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
        incremental: daily; rolling_30d: daily. Default ``daily``. Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getObservabilityTracesUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "granularity",
        "aggregation_type",
    )

    def __init__(
        self,
        *,
        project_key: str | Sequence[str] | None = None,
        granularity: str | None = None,
        aggregation_type: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.granularity = granularity
        self.aggregation_type = aggregation_type


class LaunchDarklyEvaluationsUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch flag evaluations of one flag, one series per variation: ``GET
    /api/v2/usage/evaluations/{projectKey}/{environmentKey}/{featureFlagKey}`` (``getEvaluationsUsage``),
    as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_evaluations_usage``.

    :param project_key: The project key. Path parameter ``projectKey``. Templated.
    :param environment_key: The environment key. Path parameter ``environmentKey``. Templated.
    :param feature_flag_key: The feature flag key. Path parameter ``featureFlagKey``. Templated.
    :param tz: Time zone that cuts days for daily data (IANA name). Sent as ``tz``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getEvaluationsUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_key",
        "feature_flag_key",
        "tz",
    )

    def __init__(
        self,
        *,
        project_key: str,
        environment_key: str,
        feature_flag_key: str,
        tz: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project_key = project_key
        self.environment_key = environment_key
        self.feature_flag_key = feature_flag_key
        self.tz = tz


class LaunchDarklyEventsUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch events received by LaunchDarkly or published onward: ``GET /api/v2/usage/events/{type}``
    (``getEventsUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_events_usage``.

    :param type: ``received`` or ``published`` events. Path parameter ``type``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getEventsUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "type",
    )

    def __init__(
        self,
        *,
        type: str,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.type = type


class LaunchDarklyStreamUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch streaming connections: ``GET /api/v2/usage/streams/{source}`` (``getStreamUsage``), as tidy
    rows.

    Hook method: ``LaunchDarklyUsageHook.get_stream_usage``.

    :param source: Which SDKs' streams: ``client`` or ``server``. Path parameter ``source``. Templated.
    :param tz: Time zone that cuts days for daily data (IANA name). Sent as ``tz``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getStreamUsage"
    template_fields: Sequence[str] = (*COMMON_TEMPLATE_FIELDS, "source", "tz")

    def __init__(
        self,
        *,
        source: str,
        tz: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.source = source
        self.tz = tz


class LaunchDarklyStreamUsageBySdkVersionOperator(LaunchDarklyUsageBaseOperator):
    """Fetch streaming connections, one series per SDK name and version: ``GET
    /api/v2/usage/streams/{source}/bysdkversion`` (``getStreamUsageBySdkVersion``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_stream_usage_by_sdk_version``.

    :param source: Which SDKs' streams: ``client`` or ``server``. Path parameter ``source``. Templated.
    :param tz: Time zone that cuts days for daily data (IANA name). Sent as ``tz``. Templated.
    :param sdk: Keep only series of this SDK name. Sent as ``sdk``. Templated.
    :param version: Keep only series of this SDK version. Sent as ``version``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getStreamUsageBySdkVersion"
    template_fields: Sequence[str] = (*COMMON_TEMPLATE_FIELDS, "source", "tz", "sdk", "version")

    def __init__(
        self,
        *,
        source: str,
        tz: str | None = None,
        sdk: str | None = None,
        version: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.source = source
        self.tz = tz
        self.sdk = sdk
        self.version = version


class LaunchDarklyMauUsageOperator(LaunchDarklyUsageBaseOperator):
    """Fetch legacy user-based MAU, daily: ``GET /api/v2/usage/mau`` (``getMauUsage``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_mau_usage``.

    .. warning:: LaunchDarkly deprecated this endpoint; use get_mau_total_usage /
       LaunchDarklyMauTotalUsageOperator (total-mau).

    :param project: Project key(s) to keep. Sent as ``project``, once per value. Templated.
    :param environment: Environment key(s) to keep; requires exactly one project. Sent as ``environment``,
        once per value. Templated.
    :param sdktype: SDK type(s) to keep. Sent as ``sdktype``, once per value. One of ``client``,
        ``server``. Templated.
    :param sdk: SDK name(s) to keep. Sent as ``sdk``, once per value. Templated.
    :param anonymous: Keep anonymous or non-anonymous users. Sent as ``anonymous``. Templated.
    :param groupby: Dimension(s) to split the series by. Sent as ``groupby``, once per value. One of
        ``project``, ``environment``, ``sdktype``, ``sdk``, ``anonymous``, ``contextKind``, ``sdkAppId``.
        Templated.
    :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
        ``rolling_30d``, ``month_to_date``, ``daily_incremental``. LaunchDarkly's default:
        ``rolling_30d``. Templated.
    :param context_kind: Context kind(s) to count; default: user only. Sent as ``contextKind``, once per
        value. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getMauUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project",
        "environment",
        "sdktype",
        "sdk",
        "anonymous",
        "groupby",
        "aggregation_type",
        "context_kind",
    )

    def __init__(
        self,
        *,
        project: str | Sequence[str] | None = None,
        environment: str | Sequence[str] | None = None,
        sdktype: str | Sequence[str] | None = None,
        sdk: str | Sequence[str] | None = None,
        anonymous: str | None = None,
        groupby: str | Sequence[str] | None = None,
        aggregation_type: str | None = None,
        context_kind: str | Sequence[str] | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.project = project
        self.environment = environment
        self.sdktype = sdktype
        self.sdk = sdk
        self.anonymous = anonymous
        self.groupby = groupby
        self.aggregation_type = aggregation_type
        self.context_kind = context_kind


class LaunchDarklyMauUsageByCategoryOperator(LaunchDarklyUsageBaseOperator):
    """Fetch legacy MAU split into browser, mobile and backend: ``GET /api/v2/usage/mau/bycategory``
    (``getMauUsageByCategory``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_mau_usage_by_category``.

    .. warning:: LaunchDarkly deprecated this endpoint; use get_mau_clientside_usage and
       get_mau_total_usage grouped by sdkType.


    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getMauUsageByCategory"
    template_fields: Sequence[str] = COMMON_TEMPLATE_FIELDS

    def __init__(
        self,
        *,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )


class LaunchDarklyMauSdksByTypeOperator(LaunchDarklyUsageBaseOperator):
    """Fetch names of the SDKs that produced MAU in the window: ``GET /api/v2/usage/mau/sdks``
    (``getMauSdksByType``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_mau_sdks_by_type``.

    :param sdktype: ``client`` or ``server`` SDKs only. Sent as ``sdktype``. One of ``client``,
        ``server``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getMauSdksByType"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "sdktype",
    )

    def __init__(
        self,
        *,
        sdktype: str | None = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.sdktype = sdktype


class LaunchDarklyStreamUsageSdkversionOperator(LaunchDarklyUsageBaseOperator):
    """Fetch SDK name and version pairs seen streaming in the past 60 days: ``GET
    /api/v2/usage/streams/{source}/sdkversions`` (``getStreamUsageSdkversion``), as tidy rows.

    Hook method: ``LaunchDarklyUsageHook.get_stream_usage_sdkversion``. This operation takes no window:
    ``start``/``end``/``window`` are ignored and ``time_unit`` is refused.

    :param source: Which SDKs' streams: ``client`` or ``server``. Path parameter ``source``. Templated.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``time_unit``,
    ``output_path``, ``output_format``, ``max_xcom_rows``, ``asset_alias``, ``hook_params``): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getStreamUsageSdkversion"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "source",
    )

    def __init__(
        self,
        *,
        source: str,
        launchdarkly_conn_id: str = "launchdarkly_default",
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            launchdarkly_conn_id=launchdarkly_conn_id,
            start=start,
            end=end,
            window=window,
            time_unit=time_unit,
            output_path=output_path,
            output_format=output_format,
            max_xcom_rows=max_xcom_rows,
            asset_alias=asset_alias,
            hook_params=hook_params,
            **kwargs,
        )
        self.source = source
