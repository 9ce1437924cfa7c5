"""The base of the 21 usage operators: window resolution, splitting, rows, landing, XCom and Asset events.

Imported at DAG-parse time, so it imports only ``airflow.sdk``, the catalogue and small pure modules; the
hook (and with it ``requests``) is imported inside :meth:`LaunchDarklyUsageBaseOperator.execute`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from airflow_provider_ldusage.catalogue import Endpoint, endpoint
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing import OUTPUT_FORMATS, OutputFormat

if TYPE_CHECKING:
    from airflow.sdk import Context, ObjectStoragePath

    from airflow_provider_ldusage.rows import UsageRows
    from airflow_provider_ldusage.windows import Window

DEFAULT_MAX_XCOM_ROWS = 10_000
COMMON_TEMPLATE_FIELDS = ("launchdarkly_conn_id", "start", "end", "window", "time_unit", "output_path")


class LaunchDarklyUsageBaseOperator(BaseOperator):
    """Fetch one LaunchDarkly account-usage operation over a window and return or land tidy rows.

    Subclasses (one per operation, in :mod:`airflow_provider_ldusage.operators.usage`) set
    :attr:`operation_id` and assign their filters as attributes named like the hook's arguments.

    The window (see :mod:`airflow_provider_ldusage.windows`): explicit ``start``/``end`` win; else the
    ``window`` preset; else the run's data interval; else, on zero-length intervals, the schedule period that
    just closed; manual runs without an interval fail with an error naming the fix. Windows longer than the
    endpoint's limit (365 days) are fetched in consecutive requests, cut on month starts, and merged
    without duplicating a bucket.

    :param launchdarkly_conn_id: the ``launchdarkly`` connection (templated).
    :param start: window start, inclusive: aware datetime, ISO-8601 string with offset, or epoch s/ms
        (templated; e.g. ``"{{ data_interval_start | ts }}"``). Give ``start`` and ``end`` together.
    :param end: window end, exclusive (templated).
    :param window: a preset relative to the run's logical date (templated): ``previous_day``,
        ``previous_hour``, ``previous_month``, ``month_to_date`` or ``last_N_days`` (``last_7_days``…).
        Days and months are picked on the DAG's calendar (``dag.timezone``) and read as UTC days and months.
    :param time_unit: override the epoch unit of ``from``/``to`` (``"ms"`` or ``"s"``; templated) for the day
        LaunchDarkly corrects an endpoint's documented unit; default: the catalogue's unit. Only for
        endpoints that take a window; giving it to another is an error.
    :param output_path: a folder or storage URI (``s3://bucket/prefix``, ``file:///data``, ``/data``;
        templated). When set, rows are written there as one object per endpoint, window and filter set
        (see :mod:`airflow_provider_ldusage.landing`) and XCom gets a summary; when not, XCom gets the rows.
    :param output_format: ``jsonl`` (default) or ``csv`` (with a header row).
    :param max_xcom_rows: the most rows returned through XCom without ``output_path``; more is an error
        that keeps large results out of the metadata database.
    :param asset_alias: name of the ``AssetAlias`` through which each landed object is announced as an
        ``Asset`` event (default ``launchdarkly_usage__<dag_id>__<task_id>``); only used with ``output_path``.
        Schedule downstream DAGs with ``schedule=AssetAlias("<name>")``.
    :param hook_params: extra keyword arguments for
        :class:`~airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook` (timeouts, retries).
    """

    operation_id: ClassVar[str] = ""
    template_fields: Sequence[str] = COMMON_TEMPLATE_FIELDS
    template_ext: Sequence[str] = ()
    ui_color = "#405BFF"

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
        super().__init__(**kwargs)
        if output_format not in OUTPUT_FORMATS:
            raise LaunchDarklyUsageValidationError("output_format", output_format, "'jsonl' or 'csv'")
        if isinstance(max_xcom_rows, bool) or not isinstance(max_xcom_rows, int) or max_xcom_rows < 0:
            raise LaunchDarklyUsageValidationError("max_xcom_rows", max_xcom_rows, "a non-negative integer")
        # Templated attributes are stored unchanged; they are parsed in execute() (Airflow's rule).
        self.launchdarkly_conn_id = launchdarkly_conn_id
        self.start = start
        self.end = end
        self.window = window
        self.time_unit = time_unit
        if self.operation_id:
            self._check_time_unit(time_unit)
        self.output_path = output_path
        self.output_format: OutputFormat = output_format
        self.max_xcom_rows = max_xcom_rows
        self.hook_params = hook_params or {}
        self.asset_alias: str | None = None
        if output_path is not None:
            dag_id = self.dag.dag_id if self.has_dag() else None
            self.asset_alias = asset_alias or "__".join(
                part for part in ("launchdarkly_usage", dag_id, self.task_id) if part
            )
            from airflow.sdk import AssetAlias

            self.add_outlets([AssetAlias(name=self.asset_alias)])

    @property
    def endpoint(self) -> Endpoint:
        """The catalogue entry of this operator's operation."""
        return endpoint(self.operation_id)

    def _check_time_unit(self, time_unit: object) -> str | None:
        """``time_unit`` for the hook (a blank render is None); refused for endpoints without a window.

        Its value (``ms``/``s``) is validated by the hook, before any request.
        """
        if time_unit is None or (isinstance(time_unit, str) and time_unit.strip() in ("", "None")):
            return None
        if not self.endpoint.has_window:
            raise LaunchDarklyUsageValidationError(
                "time_unit",
                time_unit,
                f"None: {self.endpoint.operation_id} takes no window, so there is no from/to unit to set",
            )
        return time_unit.strip() if isinstance(time_unit, str) else time_unit  # type: ignore[return-value]

    def filter_arguments(self) -> dict[str, Any]:
        """The hook arguments other than the window: path parameters and filters, as rendered."""
        ep = self.endpoint
        names = [p.name for p in ep.path_params] + [p.name for p in ep.query_params]
        return {name: getattr(self, name) for name in names}

    # --- execution ------------------------------------------------------------------------------------

    def resolve_window(self, context: Context) -> Window:
        """The window this run covers (logged by :meth:`execute`)."""
        from airflow_provider_ldusage.windows import resolve_window

        dag_run = context.get("dag_run")
        dag = context.get("dag")
        return resolve_window(
            start=self.start,
            end=self.end,
            preset=self.window,
            logical_date=context.get("logical_date"),
            run_after=getattr(dag_run, "run_after", None),
            data_interval_start=context.get("data_interval_start"),
            data_interval_end=context.get("data_interval_end"),
            timetable=getattr(dag, "timetable", None),
            timezone=getattr(dag, "timezone", None),
        )

    def execute(self, context: Context) -> Any:
        from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook
        from airflow_provider_ldusage.rows import UsageRows
        from airflow_provider_ldusage.windows import split_window

        ep = self.endpoint
        arguments = self.filter_arguments()
        window: Window | None = None
        if ep.has_window:
            window = self.resolve_window(context)
            if window.source != "explicit" and (self.start or self.end):
                self.log.warning("start/end rendered empty; using %s", window.source)
            pieces = split_window(window, ep.max_span_days)
            self.log.info("%s window %s in %d request(s)", ep.operation_id, window.describe(), len(pieces))
        elif self.start or self.end or self.window:
            self.log.warning("%s takes no window; start/end/window are ignored", ep.operation_id)

        time_unit = self._check_time_unit(self.time_unit)
        unit = {"time_unit": time_unit} if time_unit is not None else {}
        hook = LaunchDarklyUsageHook(self.launchdarkly_conn_id, **self.hook_params)
        rows = UsageRows(ep, window.start if window else None, window.end if window else None)
        try:
            if window is None:
                rows.add(hook.call_lazy(ep.operation_id, **arguments))
            else:
                hook.build(ep.operation_id, start=pieces[0].start, end=pieces[0].end, **unit, **arguments)
                for piece in pieces:
                    # Lazy: slices stay bytes until written, so a year of hourly data fits a small worker.
                    response = hook.call_lazy(
                        ep.operation_id, start=piece.start, end=piece.end, **unit, **arguments
                    )
                    # The piece's window decides which piece a bucket both return belongs to.
                    rows.add(response, window_start=piece.start, window_end=piece.end)
            base_url = hook.settings.base_url
        finally:
            hook.close()
        self.log.info("%s: %d row(s)", ep.operation_id, len(rows))

        if self.output_path is None:
            return self._rows_for_xcom(rows)
        return self._land(context, rows, window, arguments, base_url)

    def _rows_for_xcom(self, rows: UsageRows) -> list[dict[str, Any]]:
        if len(rows) > self.max_xcom_rows:
            raise LaunchDarklyUsageValidationError(
                "output_path",
                None,
                f"a storage location: {len(rows)} rows exceed max_xcom_rows={self.max_xcom_rows}, and XCom "
                "lives in the metadata database; set output_path= (e.g. 's3://bucket/launchdarkly') to land "
                "them as a file and get a summary in XCom",
            )
        return list(rows.iter_dicts())

    def _land(
        self,
        context: Context,
        rows: UsageRows,
        window: Window | None,
        arguments: dict[str, Any],
        base_url: str | None = None,
    ) -> dict[str, Any]:
        from airflow_provider_ldusage.core.timeconv import iso, to_utc
        from airflow_provider_ldusage.landing import object_name, storage_path, write_rows

        as_of: datetime | None = None
        if window is None:
            dag_run = context.get("dag_run")
            moment = context.get("logical_date") or getattr(dag_run, "run_after", None)
            as_of = to_utc(moment, "logical_date") if moment is not None else None
        name = object_name(
            self.operation_id,
            window.start if window else None,
            window.end if window else None,
            arguments,
            self.output_format,
            as_of,
            conn_id=self.launchdarkly_conn_id,
            base_url=base_url,
        )
        target = storage_path(self.output_path) / name
        size = write_rows(rows, target, self.output_format)
        uri = asset_uri(target)
        summary: dict[str, Any] = {
            "endpoint": self.operation_id,
            "window_start": iso(window.start) if window else None,
            "window_end": iso(window.end) if window else None,
            "rows": len(rows),
            "path": uri,
            "format": self.output_format,
            "bytes": size,
        }
        self.log.info("Landed %d row(s), %d bytes at %s", len(rows), size, uri)
        if self.asset_alias:
            from airflow.sdk import Asset, AssetAlias

            context["outlet_events"][AssetAlias(name=self.asset_alias)].add(Asset(uri=uri), extra=summary)
        return summary


def asset_uri(path: ObjectStoragePath) -> str:
    """The object's URI without a connection id (``s3://bucket/key``, ``file:///abs/path``)."""
    if path.protocol in ("file", "local", ""):
        return "file://" + path.path
    return f"{path.protocol}://{path.bucket}/{path.key}"
