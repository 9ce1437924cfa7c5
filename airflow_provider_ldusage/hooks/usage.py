"""``LaunchDarklyUsageHook``: auth, request building and transport for all 21 account-usage operations."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_ldusage.catalogue import TimeUnit
from airflow_provider_ldusage.core.exchange import Reply, Wait, exchange
from airflow_provider_ldusage.core.request import UsageRequest, request_headers
from airflow_provider_ldusage.core.response import decode_checked, decode_lazily
from airflow_provider_ldusage.core.retry import RetryPolicy
from airflow_provider_ldusage.core.timeconv import TimeInput
from airflow_provider_ldusage.hooks._base import USER_AGENT, LaunchDarklyHookBase
from airflow_provider_ldusage.hooks._connection import ConnectionSettings, describe_fault, log_wait

if TYPE_CHECKING:
    import requests

__all__ = ["USER_AGENT", "LaunchDarklyUsageHook"]


class LaunchDarklyUsageHook(LaunchDarklyHookBase):
    """Talk to LaunchDarkly's account-usage (beta) API with a ``launchdarkly`` connection.

    One method per operation, named as LaunchDarkly's official Python client names it, taking that client's
    argument names except ``start``/``end`` (the client's ``var_from``/``to``), which accept an aware
    datetime, a pendulum DateTime, an ISO-8601 string with offset or an epoch number. Repeatable filters take
    a string or a list of strings. Every method validates its arguments before sending anything, sends
    exactly one ``LD-API-Version: beta`` header and the raw token, retries 429/5xx/connection faults within
    bounds, and returns the parsed representation (a dict) after checking its shape.

    :param launchdarkly_conn_id: the Airflow connection id (type ``launchdarkly``).
    :param sleep: how to wait (tests pass a recorder instead of sleeping).
    :param kwargs: timeouts, retry bounds, backoff, ``clock`` and ``rng``: see
        :class:`~airflow_provider_ldusage.hooks._base.LaunchDarklyHookBase`.
    """

    hook_name = "LaunchDarkly"

    def __init__(
        self,
        launchdarkly_conn_id: str = LaunchDarklyHookBase.default_conn_name,
        *,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(launchdarkly_conn_id, **kwargs)
        self._sleep = sleep
        self._session_obj: requests.Session | None = None

    # --- connection ------------------------------------------------------------------------------------

    @cached_property
    def settings(self) -> ConnectionSettings:
        """The connection's base URL, token and transport settings, validated (fetched once)."""
        conn = self.get_connection(self.launchdarkly_conn_id)
        return self._settings_from(conn.host, conn.password, conn.extra_dejson)

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        """The retry bounds: connection extras, overridden by hook arguments."""
        return self._policy(self.settings)

    def get_conn(self) -> requests.Session:
        """The hook's ``requests.Session`` (one per hook), with the fixed headers set."""
        if self._session_obj is None:
            import requests  # imported here: DAG files that only build operators never pay for it

            session = requests.Session()
            session.headers.clear()  # no requests defaults: exactly our headers, nothing duplicated
            session.headers.update(request_headers(self.settings.token, USER_AGENT))
            self._session_obj = session
        return self._session_obj

    def close(self) -> None:
        """Close the session's pooled connections."""
        if self._session_obj is not None:
            self._session_obj.close()
            self._session_obj = None

    # --- generic entry points ---------------------------------------------------------------------------

    def call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        """Call ``operation`` (operation id such as ``getMAUTotalUsage`` or hook method name).

        Arguments equal to ``None`` are left out. Unknown argument names raise
        :class:`~airflow_provider_ldusage.exceptions.LaunchDarklyUsageValidationError`.
        """
        return self.send(self._build_warned(operation, arguments))

    def call_lazy(self, operation: str, **arguments: Any) -> dict[str, Any]:
        """Like :meth:`call`, but a series response's ``series`` is decoded one time slice at a time.

        The body is checked up to the slice boundaries at once and held as bytes; each slice is parsed
        (and shape-checked) when it is read. A year of hourly data for a thousand series then costs about
        the size of the response instead of several times it. Iterate ``series`` rather than keep slices.
        """
        return self.send(self._build_warned(operation, arguments), lazy=True)

    def _build_warned(self, operation: str, arguments: dict[str, Any]) -> UsageRequest:
        request = self.build(operation, **arguments)
        if request.endpoint.deprecated:
            warnings.warn(
                f"{request.endpoint.method_name} calls {request.endpoint.path}, which LaunchDarkly has "
                f"deprecated; use {request.endpoint.replacement} instead",
                DeprecationWarning,
                stacklevel=4,
            )
        return request

    def send(self, request: UsageRequest, *, lazy: bool = False) -> dict[str, Any]:
        """Send a built request with timeouts, rate-limit waits and bounded retries; return the body.

        :param request: from :meth:`build`.
        :param lazy: decode series slices on access (see :meth:`call_lazy`).
        """
        return self._send(request, self.retry_policy, decode_lazily if lazy else decode_checked)

    def _send(
        self,
        request: UsageRequest,
        policy: RetryPolicy,
        decode: Callable[[UsageRequest, bytes], dict[str, Any]],
    ) -> dict[str, Any]:
        import requests

        session = self.get_conn()
        settings = self.settings
        url = settings.base_url + request.path
        timeout = (settings.connect_timeout, settings.read_timeout)
        conversation = exchange(request, policy, self._budget, self._clock, self._rng, settings.token, decode)
        step = next(conversation)
        try:
            while True:
                if isinstance(step, Wait):
                    log_wait(self.log, step, request, policy.max_retries)
                    self._sleep(step.seconds)
                    step = conversation.send(None)
                    continue
                try:
                    response = session.get(url, params=request.params, timeout=timeout)
                    reply = Reply(response.status_code, response.headers, response.content)
                    self._last_date = response.headers.get("date") or self._last_date
                except (
                    requests.ConnectionError,
                    requests.Timeout,
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError,
                ) as exc:
                    reply = Reply(None, fault=describe_fault(exc))
                step = conversation.send(reply)
        except StopIteration as done:
            result: dict[str, Any] = done.value
            return result

    def test_connection(self) -> tuple[bool, str]:
        """Check the token, the beta header and usage read access with one cheap read-only call.

        Never raises: returns ``(ok, message)``, as the Airflow UI's *Test* button expects. It does not
        retry: the button should answer in seconds, and a retried 429 would only hide the cause.
        """
        try:
            request = self.build("getStreamUsageSdkversion", source="server")
            policy = replace(self.retry_policy, max_retries=0)
            data = self._send(request, policy, decode_checked)
        except Exception as exc:  # the UI wants a message, never a traceback
            return False, str(exc)
        count = len(data.get("sdkVersions", []))
        return (
            True,
            f"Connected to {self.settings.base_url}: usage API answered ({count} SDK versions listed)",
        )

    # --- one method per operation (generated from the catalogue; tests hold them to it) -------------------

    def get_contexts_clientside_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        context_kind: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        anonymous: bool | Literal["true", "false"] | Sequence[Literal["true", "false"]] | None = None,
        group_by: Literal["projectId", "environmentId", "sdkName", "sdkAppId", "anonymousV2"]
        | Sequence[Literal["projectId", "environmentId", "sdkName", "sdkAppId", "anonymousV2"]]
        | None = None,
        aggregation_type: Literal["month_to_date", "incremental", "rolling_30d"] | None = None,
        granularity: Literal["daily", "monthly"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Context-key usages of every context kind, client-side SDKs: ``GET
        /api/v2/usage/clientside-contexts`` (``getContextsClientsideUsage``).

        :param start: window start (inclusive), sent as epoch ms. Default: start of the current month. At
            most 365 days before ``end``.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
            ``environmentKey``, once per value.
        :param context_kind: Context kind(s) to keep. Sent as ``contextKind``, once per value.
        :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value.
        :param anonymous: Keep anonymous (``true``) or non-anonymous (``false``) contexts. Sent as
            ``anonymous``, once per value. One of ``true``, ``false``.
        :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
            ``projectId``, ``environmentId``, ``sdkName``, ``sdkAppId``, ``anonymousV2``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
            incremental: daily; rolling_30d: daily. Default ``daily``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getContextsClientsideUsage",
            start=start,
            end=end,
            project_key=project_key,
            environment_key=environment_key,
            context_kind=context_kind,
            sdk_name=sdk_name,
            anonymous=anonymous,
            group_by=group_by,
            aggregation_type=aggregation_type,
            granularity=granularity,
            time_unit=time_unit,
        )

    def get_contexts_serverside_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        context_kind: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        anonymous: bool | Literal["true", "false"] | Sequence[Literal["true", "false"]] | None = None,
        group_by: Literal["projectId", "environmentId", "sdkName", "sdkAppId", "anonymousV2"]
        | Sequence[Literal["projectId", "environmentId", "sdkName", "sdkAppId", "anonymousV2"]]
        | None = None,
        aggregation_type: Literal["month_to_date", "incremental", "rolling_30d"] | None = None,
        granularity: Literal["daily", "monthly"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Context-key usages of every context kind, server-side SDKs: ``GET
        /api/v2/usage/serverside-contexts`` (``getContextsServersideUsage``).

        :param start: window start (inclusive), sent as epoch s. Default: start of the current month. At
            most 365 days before ``end``.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
            ``environmentKey``, once per value.
        :param context_kind: Context kind(s) to keep. Sent as ``contextKind``, once per value.
        :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value.
        :param anonymous: Keep anonymous (``true``) or non-anonymous (``false``) contexts. Sent as
            ``anonymous``, once per value. One of ``true``, ``false``.
        :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
            ``projectId``, ``environmentId``, ``sdkName``, ``sdkAppId``, ``anonymousV2``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
            incremental: daily; rolling_30d: daily. Default ``daily``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getContextsServersideUsage",
            start=start,
            end=end,
            project_key=project_key,
            environment_key=environment_key,
            context_kind=context_kind,
            sdk_name=sdk_name,
            anonymous=anonymous,
            group_by=group_by,
            aggregation_type=aggregation_type,
            granularity=granularity,
            time_unit=time_unit,
        )

    def get_contexts_total_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        context_kind: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        sdk_type: str | Sequence[str] | None = None,
        anonymous: bool | Literal["true", "false"] | Sequence[Literal["true", "false"]] | None = None,
        group_by: Literal["projectId", "environmentId", "sdkName", "sdkType", "sdkAppId", "anonymousV2"]
        | Sequence[Literal["projectId", "environmentId", "sdkName", "sdkType", "sdkAppId", "anonymousV2"]]
        | None = None,
        aggregation_type: Literal["month_to_date", "incremental", "rolling_30d"] | None = None,
        granularity: Literal["daily", "monthly"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Context-key usages of every context kind, all SDKs: ``GET /api/v2/usage/total-contexts``
        (``getContextsTotalUsage``).

        :param start: window start (inclusive), sent as epoch ms. Default: start of the current month. At
            most 365 days before ``end``.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
            ``environmentKey``, once per value.
        :param context_kind: Context kind(s) to keep. Sent as ``contextKind``, once per value.
        :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value.
        :param sdk_type: SDK type(s) to keep (values not enumerated by LaunchDarkly). Sent as ``sdkType``,
            once per value.
        :param anonymous: Keep anonymous (``true``) or non-anonymous (``false``) contexts. Sent as
            ``anonymous``, once per value. One of ``true``, ``false``.
        :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
            ``projectId``, ``environmentId``, ``sdkName``, ``sdkType``, ``sdkAppId``, ``anonymousV2``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
            incremental: daily; rolling_30d: daily. Default ``daily``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getContextsTotalUsage",
            start=start,
            end=end,
            project_key=project_key,
            environment_key=environment_key,
            context_kind=context_kind,
            sdk_name=sdk_name,
            sdk_type=sdk_type,
            anonymous=anonymous,
            group_by=group_by,
            aggregation_type=aggregation_type,
            granularity=granularity,
            time_unit=time_unit,
        )

    def get_mau_clientside_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        anonymous: bool | Literal["true", "false"] | Sequence[Literal["true", "false"]] | None = None,
        group_by: Literal["projectId", "environmentId", "sdkName", "sdkAppId", "anonymousV2"]
        | Sequence[Literal["projectId", "environmentId", "sdkName", "sdkAppId", "anonymousV2"]]
        | None = None,
        aggregation_type: Literal["month_to_date", "incremental", "rolling_30d"] | None = None,
        granularity: Literal["daily", "monthly"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Monthly active context keys of the primary context kind, client-side SDKs: ``GET
        /api/v2/usage/clientside-mau`` (``getMAUClientsideUsage``).

        :param start: window start (inclusive), sent as epoch ms. Default: start of the current month. At
            most 365 days before ``end``.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
            ``environmentKey``, once per value.
        :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value.
        :param anonymous: Keep anonymous (``true``) or non-anonymous (``false``) contexts. Sent as
            ``anonymous``, once per value. One of ``true``, ``false``.
        :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
            ``projectId``, ``environmentId``, ``sdkName``, ``sdkAppId``, ``anonymousV2``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
            incremental: daily; rolling_30d: daily. Default ``daily``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getMAUClientsideUsage",
            start=start,
            end=end,
            project_key=project_key,
            environment_key=environment_key,
            sdk_name=sdk_name,
            anonymous=anonymous,
            group_by=group_by,
            aggregation_type=aggregation_type,
            granularity=granularity,
            time_unit=time_unit,
        )

    def get_mau_total_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        sdk_type: str | Sequence[str] | None = None,
        anonymous: bool | Literal["true", "false"] | Sequence[Literal["true", "false"]] | None = None,
        group_by: Literal["projectId", "environmentId", "sdkName", "sdkType", "sdkAppId", "anonymousV2"]
        | Sequence[Literal["projectId", "environmentId", "sdkName", "sdkType", "sdkAppId", "anonymousV2"]]
        | None = None,
        aggregation_type: Literal["month_to_date", "incremental", "rolling_30d"] | None = None,
        granularity: Literal["daily", "monthly"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Monthly active context keys of the primary context kind, all SDKs: ``GET /api/v2/usage/total-mau``
        (``getMAUTotalUsage``).

        :param start: window start (inclusive), sent as epoch ms. Default: start of the current month. At
            most 365 days before ``end``.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
            ``environmentKey``, once per value.
        :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value.
        :param sdk_type: SDK type(s) to keep (values not enumerated by LaunchDarkly). Sent as ``sdkType``,
            once per value.
        :param anonymous: Keep anonymous (``true``) or non-anonymous (``false``) contexts. Sent as
            ``anonymous``, once per value. One of ``true``, ``false``.
        :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
            ``projectId``, ``environmentId``, ``sdkName``, ``sdkType``, ``sdkAppId``, ``anonymousV2``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
            incremental: daily; rolling_30d: daily. Default ``daily``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getMAUTotalUsage",
            start=start,
            end=end,
            project_key=project_key,
            environment_key=environment_key,
            sdk_name=sdk_name,
            sdk_type=sdk_type,
            anonymous=anonymous,
            group_by=group_by,
            aggregation_type=aggregation_type,
            granularity=granularity,
            time_unit=time_unit,
        )

    def get_data_export_events_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        event_kind: str | Sequence[str] | None = None,
        group_by: Literal["environmentId", "eventKind"]
        | Sequence[Literal["environmentId", "eventKind"]]
        | None = None,
        aggregation_type: Literal["month_to_date", "incremental"] | None = None,
        granularity: Literal["daily", "hourly", "monthly"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Data Export events: ``GET /api/v2/usage/data-export-events`` (``getDataExportEventsUsage``).

        :param start: window start (inclusive), sent as epoch ms. Default: start of the current month. At
            most 365 days before ``end``.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
            ``environmentKey``, once per value.
        :param event_kind: Event kind(s) to keep (values not enumerated). Sent as ``eventKind``, once per
            value.
        :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
            ``environmentId``, ``eventKind``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``. LaunchDarkly's default: ``month_to_date``.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``hourly``, ``monthly``. Allowed per aggregation — month_to_date: daily,
            hourly, monthly; incremental: daily, hourly. Default ``daily``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getDataExportEventsUsage",
            start=start,
            end=end,
            project_key=project_key,
            environment_key=environment_key,
            event_kind=event_kind,
            group_by=group_by,
            aggregation_type=aggregation_type,
            granularity=granularity,
            time_unit=time_unit,
        )

    def get_experimentation_events_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        event_key: str | Sequence[str] | None = None,
        event_kind: str | Sequence[str] | None = None,
        group_by: Literal["environmentId", "eventKey", "eventKind"]
        | Sequence[Literal["environmentId", "eventKey", "eventKind"]]
        | None = None,
        aggregation_type: Literal["month_to_date", "incremental"] | None = None,
        granularity: Literal["daily", "hourly", "monthly"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Experimentation events: ``GET /api/v2/usage/experimentation-events``
        (``getExperimentationEventsUsage``).

        :param start: window start (inclusive), sent as epoch ms. Default: start of the current month. At
            most 365 days before ``end``.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
            ``environmentKey``, once per value.
        :param event_key: Event key(s) to keep. Sent as ``eventKey``, once per value.
        :param event_kind: Event kind(s) to keep (values not enumerated). Sent as ``eventKind``, once per
            value.
        :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
            ``environmentId``, ``eventKey``, ``eventKind``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``. LaunchDarkly's default: ``month_to_date``.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``hourly``, ``monthly``. Allowed per aggregation — month_to_date: daily,
            hourly, monthly; incremental: daily, hourly. Default ``daily``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getExperimentationEventsUsage",
            start=start,
            end=end,
            project_key=project_key,
            environment_key=environment_key,
            event_key=event_key,
            event_kind=event_kind,
            group_by=group_by,
            aggregation_type=aggregation_type,
            granularity=granularity,
            time_unit=time_unit,
        )

    def get_experimentation_keys_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        experiment_id: str | Sequence[str] | None = None,
        group_by: Literal["projectId", "environmentId", "experimentId"]
        | Sequence[Literal["projectId", "environmentId", "experimentId"]]
        | None = None,
        aggregation_type: Literal["month_to_date", "incremental"] | None = None,
        granularity: Literal["daily", "hourly", "monthly"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Experimentation keys: ``GET /api/v2/usage/experimentation-keys`` (``getExperimentationKeysUsage``).

        :param start: window start (inclusive), sent as epoch ms. Default: start of the current month. At
            most 365 days before ``end``.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
            ``environmentKey``, once per value.
        :param experiment_id: Experiment id(s) to keep. Sent as ``experimentId``, once per value.
        :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
            ``projectId``, ``environmentId``, ``experimentId``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``. LaunchDarkly's default: ``month_to_date``.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``hourly``, ``monthly``. Allowed per aggregation — month_to_date: daily,
            hourly, monthly; incremental: daily, hourly. Default ``daily``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getExperimentationKeysUsage",
            start=start,
            end=end,
            project_key=project_key,
            environment_key=environment_key,
            experiment_id=experiment_id,
            group_by=group_by,
            aggregation_type=aggregation_type,
            granularity=granularity,
            time_unit=time_unit,
        )

    def get_service_connections_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        environment_key: str | Sequence[str] | None = None,
        connection_type: str | Sequence[str] | None = None,
        relay_version: str | Sequence[str] | None = None,
        sdk_name: str | Sequence[str] | None = None,
        sdk_version: str | Sequence[str] | None = None,
        sdk_type: str | Sequence[str] | None = None,
        sdk_app_id: str | Sequence[str] | None = None,
        group_by: Literal[
            "projectId",
            "environmentId",
            "connectionType",
            "relayVersion",
            "sdkName",
            "sdkVersion",
            "sdkType",
            "sdkAppId",
        ]
        | Sequence[
            Literal[
                "projectId",
                "environmentId",
                "connectionType",
                "relayVersion",
                "sdkName",
                "sdkVersion",
                "sdkType",
                "sdkAppId",
            ]
        ]
        | None = None,
        aggregation_type: Literal["month_to_date", "incremental"] | None = None,
        granularity: Literal["daily", "hourly", "monthly"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Service connections (fractional: metered in connection-minutes): ``GET
        /api/v2/usage/service-connections`` (``getServiceConnectionsUsage``).

        :param start: window start (inclusive), sent as epoch ms. Default: start of the current month. At
            most 365 days before ``end``.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param environment_key: Environment key(s) to keep; requires exactly one project_key. Sent as
            ``environmentKey``, once per value.
        :param connection_type: Connection type(s) to keep (not enumerated). Sent as ``connectionType``,
            once per value.
        :param relay_version: Relay Proxy version(s) to keep. Sent as ``relayVersion``, once per value.
        :param sdk_name: SDK name(s) to keep. Sent as ``sdkName``, once per value.
        :param sdk_version: SDK version(s) to keep. Sent as ``sdkVersion``, once per value.
        :param sdk_type: SDK type(s) to keep (values not enumerated by LaunchDarkly). Sent as ``sdkType``,
            once per value.
        :param sdk_app_id: SDK application id(s) to keep. Sent as ``sdkAppId``, once per value.
        :param group_by: Dimension(s) to split the series by. Sent as ``groupBy``, once per value. One of
            ``projectId``, ``environmentId``, ``connectionType``, ``relayVersion``, ``sdkName``,
            ``sdkVersion``, ``sdkType``, ``sdkAppId``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``. LaunchDarkly's default: ``month_to_date``.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``hourly``, ``monthly``. Allowed per aggregation — month_to_date: daily,
            hourly, monthly; incremental: daily, hourly. Default ``daily``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRepFloat``.
        """
        return self.call(
            "getServiceConnectionsUsage",
            start=start,
            end=end,
            project_key=project_key,
            environment_key=environment_key,
            connection_type=connection_type,
            relay_version=relay_version,
            sdk_name=sdk_name,
            sdk_version=sdk_version,
            sdk_type=sdk_type,
            sdk_app_id=sdk_app_id,
            group_by=group_by,
            aggregation_type=aggregation_type,
            granularity=granularity,
            time_unit=time_unit,
        )

    def get_observability_errors_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        granularity: Literal["daily", "monthly"] | None = None,
        aggregation_type: Literal["month_to_date", "incremental", "rolling_30d"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Observability errors: ``GET /api/v2/usage/observability/errors`` (``getObservabilityErrorsUsage``).

        :param start: window start (inclusive), sent as epoch s. Default: start of the current month.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
            incremental: daily; rolling_30d: daily. Default ``daily``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getObservabilityErrorsUsage",
            start=start,
            end=end,
            project_key=project_key,
            granularity=granularity,
            aggregation_type=aggregation_type,
            time_unit=time_unit,
        )

    def get_observability_logs_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        granularity: Literal["daily", "monthly"] | None = None,
        aggregation_type: Literal["month_to_date", "incremental", "rolling_30d"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Observability logs: ``GET /api/v2/usage/observability/logs`` (``getObservabilityLogsUsage``).

        :param start: window start (inclusive), sent as epoch s. Default: start of the current month.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
            incremental: daily; rolling_30d: daily. Default ``daily``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getObservabilityLogsUsage",
            start=start,
            end=end,
            project_key=project_key,
            granularity=granularity,
            aggregation_type=aggregation_type,
            time_unit=time_unit,
        )

    def get_observability_sessions_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        granularity: Literal["daily", "monthly"] | None = None,
        aggregation_type: Literal["month_to_date", "incremental", "rolling_30d"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Observability sessions: ``GET /api/v2/usage/observability/sessions``
        (``getObservabilitySessionsUsage``).

        :param start: window start (inclusive), sent as epoch s. Default: start of the current month.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
            incremental: daily; rolling_30d: daily. Default ``daily``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getObservabilitySessionsUsage",
            start=start,
            end=end,
            project_key=project_key,
            granularity=granularity,
            aggregation_type=aggregation_type,
            time_unit=time_unit,
        )

    def get_observability_traces_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project_key: str | Sequence[str] | None = None,
        granularity: Literal["daily", "monthly"] | None = None,
        aggregation_type: Literal["month_to_date", "incremental", "rolling_30d"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Observability traces: ``GET /api/v2/usage/observability/traces`` (``getObservabilityTracesUsage``).

        :param start: window start (inclusive), sent as epoch s. Default: start of the current month.
        :param end: window end (exclusive). Default: now.
        :param project_key: Project key(s) to keep. Sent as ``projectKey``, once per value.
        :param granularity: Bucket size; allowed values depend on aggregation_type. Sent as ``granularity``.
            One of ``daily``, ``monthly``. Allowed per aggregation — month_to_date: daily, monthly;
            incremental: daily; rolling_30d: daily. Default ``daily``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``month_to_date``, ``incremental``, ``rolling_30d``. LaunchDarkly's default: ``month_to_date``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getObservabilityTracesUsage",
            start=start,
            end=end,
            project_key=project_key,
            granularity=granularity,
            aggregation_type=aggregation_type,
            time_unit=time_unit,
        )

    def get_evaluations_usage(
        self,
        project_key: str,
        environment_key: str,
        feature_flag_key: str,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        tz: str | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Flag evaluations of one flag, one series per variation: ``GET
        /api/v2/usage/evaluations/{projectKey}/{environmentKey}/{featureFlagKey}``
        (``getEvaluationsUsage``).

        :param project_key: The project key. Path parameter ``projectKey``.
        :param environment_key: The environment key. Path parameter ``environmentKey``.
        :param feature_flag_key: The feature flag key. Path parameter ``featureFlagKey``.
        :param start: window start (inclusive), sent as epoch ms (unit undocumented; ms assumed). Default:
            30 days ago.
        :param end: window end (exclusive). Default: now.
        :param tz: Time zone that cuts days for daily data (IANA name). Sent as ``tz``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getEvaluationsUsage",
            project_key=project_key,
            environment_key=environment_key,
            feature_flag_key=feature_flag_key,
            start=start,
            end=end,
            tz=tz,
            time_unit=time_unit,
        )

    def get_events_usage(
        self,
        type: Literal["received", "published"],
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Events received by LaunchDarkly or published onward: ``GET /api/v2/usage/events/{type}``
        (``getEventsUsage``).

        :param type: ``received`` or ``published`` events. Path parameter ``type``.
        :param start: window start (inclusive), sent as epoch ms (unit undocumented; ms assumed). Default:
            24 hours ago.
        :param end: window end (exclusive). Default: now.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call("getEventsUsage", type=type, start=start, end=end, time_unit=time_unit)

    def get_stream_usage(
        self,
        source: Literal["client", "server"],
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        tz: str | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Streaming connections: ``GET /api/v2/usage/streams/{source}`` (``getStreamUsage``).

        :param source: Which SDKs' streams: ``client`` or ``server``. Path parameter ``source``.
        :param start: window start (inclusive), sent as epoch ms (unit undocumented; ms assumed). Default:
            30 days ago.
        :param end: window end (exclusive). Default: now.
        :param tz: Time zone that cuts days for daily data (IANA name). Sent as ``tz``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call("getStreamUsage", source=source, start=start, end=end, tz=tz, time_unit=time_unit)

    def get_stream_usage_by_sdk_version(
        self,
        source: Literal["client", "server"],
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        tz: str | None = None,
        sdk: str | None = None,
        version: str | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Streaming connections, one series per SDK name and version: ``GET
        /api/v2/usage/streams/{source}/bysdkversion`` (``getStreamUsageBySdkVersion``).

        :param source: Which SDKs' streams: ``client`` or ``server``. Path parameter ``source``.
        :param start: window start (inclusive), sent as epoch ms (unit undocumented; ms assumed). Default:
            24 hours ago.
        :param end: window end (exclusive). Default: now.
        :param tz: Time zone that cuts days for daily data (IANA name). Sent as ``tz``.
        :param sdk: Keep only series of this SDK name. Sent as ``sdk``.
        :param version: Keep only series of this SDK version. Sent as ``version``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getStreamUsageBySdkVersion",
            source=source,
            start=start,
            end=end,
            tz=tz,
            sdk=sdk,
            version=version,
            time_unit=time_unit,
        )

    def get_mau_usage(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        project: str | Sequence[str] | None = None,
        environment: str | Sequence[str] | None = None,
        sdktype: Literal["client", "server"] | Sequence[Literal["client", "server"]] | None = None,
        sdk: str | Sequence[str] | None = None,
        anonymous: str | None = None,
        groupby: Literal["project", "environment", "sdktype", "sdk", "anonymous", "contextKind", "sdkAppId"]
        | Sequence[
            Literal["project", "environment", "sdktype", "sdk", "anonymous", "contextKind", "sdkAppId"]
        ]
        | None = None,
        aggregation_type: Literal["rolling_30d", "month_to_date", "daily_incremental"] | None = None,
        context_kind: str | Sequence[str] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Legacy user-based MAU, daily: ``GET /api/v2/usage/mau`` (``getMauUsage``).

        .. warning:: LaunchDarkly deprecated this endpoint; use get_mau_total_usage /
           LaunchDarklyMauTotalUsageOperator (total-mau).

        :param start: window start (inclusive), sent as epoch ms (unit undocumented; ms assumed). Default:
            30 days ago.
        :param end: window end (exclusive). Default: now.
        :param project: Project key(s) to keep. Sent as ``project``, once per value.
        :param environment: Environment key(s) to keep; requires exactly one project. Sent as
            ``environment``, once per value.
        :param sdktype: SDK type(s) to keep. Sent as ``sdktype``, once per value. One of ``client``,
            ``server``.
        :param sdk: SDK name(s) to keep. Sent as ``sdk``, once per value.
        :param anonymous: Keep anonymous or non-anonymous users. Sent as ``anonymous``.
        :param groupby: Dimension(s) to split the series by. Sent as ``groupby``, once per value. One of
            ``project``, ``environment``, ``sdktype``, ``sdk``, ``anonymous``, ``contextKind``,
            ``sdkAppId``.
        :param aggregation_type: How values accumulate over time. Sent as ``aggregationType``. One of
            ``rolling_30d``, ``month_to_date``, ``daily_incremental``. LaunchDarkly's default:
            ``rolling_30d``.
        :param context_kind: Context kind(s) to count; default: user only. Sent as ``contextKind``, once per
            value.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call(
            "getMauUsage",
            start=start,
            end=end,
            project=project,
            environment=environment,
            sdktype=sdktype,
            sdk=sdk,
            anonymous=anonymous,
            groupby=groupby,
            aggregation_type=aggregation_type,
            context_kind=context_kind,
            time_unit=time_unit,
        )

    def get_mau_usage_by_category(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Legacy MAU split into browser, mobile and backend: ``GET /api/v2/usage/mau/bycategory``
        (``getMauUsageByCategory``).

        .. warning:: LaunchDarkly deprecated this endpoint; use get_mau_clientside_usage and
           get_mau_total_usage grouped by sdkType.

        :param start: window start (inclusive), sent as epoch ms (unit undocumented; ms assumed). Default:
            30 days ago.
        :param end: window end (exclusive). Default: now.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SeriesListRep``.
        """
        return self.call("getMauUsageByCategory", start=start, end=end, time_unit=time_unit)

    def get_mau_sdks_by_type(
        self,
        *,
        start: TimeInput | None = None,
        end: TimeInput | None = None,
        sdktype: Literal["client", "server"] | None = None,
        time_unit: TimeUnit | None = None,
    ) -> dict[str, Any]:
        """Names of the SDKs that produced MAU in the window: ``GET /api/v2/usage/mau/sdks``
        (``getMauSdksByType``).

        :param start: window start (inclusive), sent as epoch ms. Default: 7 days ago.
        :param end: window end (exclusive). Default: now.
        :param sdktype: ``client`` or ``server`` SDKs only. Sent as ``sdktype``. One of ``client``,
            ``server``.
        :param time_unit: override the unit of ``from``/``to`` (``ms`` or ``s``).
        :return: the parsed ``SdkListRep``.
        """
        return self.call("getMauSdksByType", start=start, end=end, sdktype=sdktype, time_unit=time_unit)

    def get_stream_usage_sdkversion(
        self,
        source: Literal["client", "server"],
    ) -> dict[str, Any]:
        """SDK name and version pairs seen streaming in the past 60 days: ``GET
        /api/v2/usage/streams/{source}/sdkversions`` (``getStreamUsageSdkversion``).

        :param source: Which SDKs' streams: ``client`` or ``server``. Path parameter ``source``.
        :return: the parsed ``SdkVersionListRep``.
        """
        return self.call("getStreamUsageSdkversion", source=source)

    # --- end of generated methods ---
