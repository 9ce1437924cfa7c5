"""The base of the 21 usage operators: window resolution, splitting, rows, landing, XCom and Asset events.

Imported at DAG-parse time, so it imports only ``airflow.sdk``, the catalogue and small pure modules; the
hook (and with it ``requests``) is imported inside :meth:`LaunchDarklyUsageBaseOperator.execute`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, MutableMapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from airflow_provider_ldusage.catalogue import Endpoint, endpoint
from airflow_provider_ldusage.compat import BaseOperator
from airflow_provider_ldusage.defaults import DEFAULT_CONN_ID, SETTLE_PERIOD
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError
from airflow_provider_ldusage.hooks.params import validate_hook_params
from airflow_provider_ldusage.landing.storage import (
    OutputFormat,
    PartitionBy,
    check_output_format,
    check_partition,
)

if TYPE_CHECKING:
    from typing_extensions import Required

    from airflow_provider_ldusage.compat import DAG, Context, ObjectStoragePath, TaskGroup
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook
    from airflow_provider_ldusage.landing.rows import UsageRows
    from airflow_provider_ldusage.windows.calendar import Window

DEFAULT_MAX_XCOM_ROWS = 10_000
MAX_LOOKBACK = 366
COMMON_TEMPLATE_FIELDS = ("launchdarkly_conn_id", "start", "end", "window", "time_unit", "output_path")
_Callbacks = Callable[..., Any] | Collection[Callable[..., Any]] | None


class UsageOperatorArgs(TypedDict, total=False):
    """The arguments every usage operator takes besides its own filters: declared once, here.

    The generated operators take ``**kwargs: Unpack[UsageOperatorArgs]``, so IDEs and mypy see every one of
    them; at run time they pass straight to :class:`LaunchDarklyUsageBaseOperator` and ``BaseOperator``.
    The first block is ours (documented on :class:`LaunchDarklyUsageBaseOperator`); the rest are Airflow's
    ``BaseOperator`` arguments (``tests/operators/test_operator_classes.py`` holds the list to Airflow's).
    """

    launchdarkly_conn_id: str
    start: Any
    end: Any
    window: str | None
    time_unit: str | None
    output_path: str | ObjectStoragePath | None
    output_format: OutputFormat
    partition_by: PartitionBy | None
    max_xcom_rows: int
    asset_alias: str | None
    hook_params: dict[str, Any] | None
    fail_on_empty: bool
    lookback: int
    settle_period: timedelta
    max_pages: int | None
    # Airflow's BaseOperator
    task_id: Required[str]
    owner: str
    email: str | Sequence[str] | None
    email_on_retry: bool
    email_on_failure: bool
    retries: int | None
    retry_delay: timedelta | float
    retry_exponential_backoff: float
    max_retry_delay: timedelta | float | None
    retry_policy: Any
    start_date: datetime | None
    end_date: datetime | None
    depends_on_past: bool
    ignore_first_depends_on_past: bool
    wait_for_past_depends_before_skipping: bool
    wait_for_downstream: bool
    dag: DAG | None
    params: MutableMapping[str, Any] | None
    default_args: dict[str, Any] | None
    priority_weight: int
    weight_rule: Any
    queue: str
    pool: str | None
    pool_slots: int
    sla: timedelta | None
    execution_timeout: timedelta | None
    on_execute_callback: _Callbacks
    on_failure_callback: _Callbacks
    on_success_callback: _Callbacks
    on_retry_callback: _Callbacks
    on_skipped_callback: _Callbacks
    pre_execute: Callable[..., Any] | None
    post_execute: Callable[..., Any] | None
    trigger_rule: str
    resources: dict[str, Any] | None
    run_as_user: str | None
    map_index_template: str | None
    max_active_tis_per_dag: int | None
    max_active_tis_per_dagrun: int | None
    executor: str | None
    executor_config: dict[str, Any] | None
    do_xcom_push: bool
    multiple_outputs: bool
    inlets: Any
    outlets: Any
    task_group: TaskGroup | None
    doc: str | None
    doc_md: str | None
    doc_json: str | None
    doc_yaml: str | None
    doc_rst: str | None
    task_display_name: str | None
    logger_name: str | None
    allow_nested_operators: bool
    render_template_as_native_obj: bool | None


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
        (see :mod:`airflow_provider_ldusage.landing.storage`) and XCom gets a summary; when not, XCom gets the
        rows.
    :param output_format: ``jsonl`` (default), ``csv`` (with a header row), ``jsonl.gz`` and ``csv.gz``
        (gzip), or ``parquet`` (typed columns; needs the ``parquet`` extra, checked here, at DAG parse).
        The columns are the same in every format (:mod:`airflow_provider_ldusage.landing.schema`).
    :param partition_by: ``None`` (default) lands at ``<operationId>/<hash>/<start>_<end>.<format>``;
        ``"month"`` or ``"day"`` land in the Hive layout,
        ``operation=<operationId>/month=2026-09/<hash>_<start>_<end>.<format>`` (or ``day=2026-09-30``), which
        Athena, BigQuery, Spark, Trino and DuckDB read as one table per operation (its folder is the Asset).
        Each window (``lookback`` windows too) must lie inside one UTC month (day), checked before any
        request; list endpoints without a window are partitioned by their as-of date (the logical date).
        Needs ``output_path``.
    :param max_xcom_rows: the most rows returned through XCom without ``output_path``; more is an error
        that keeps large results out of the metadata database.
    :param asset_alias: name of the ``AssetAlias`` through which each landing is announced as an event of
        its dataset's ``Asset`` — one Asset per operation, filter set, connection and storage root, the
        object in the event's extra (default ``launchdarkly_usage__<dag_id>__<task_id>``); only used with
        ``output_path``. Schedule downstream DAGs with ``schedule=AssetAlias("<name>")``.
    :param hook_params: extra keyword arguments for
        :class:`~airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook` (timeouts, retries).
    :param lookback: also re-read the N windows before this run's (earlier days for daily runs, months for
        monthly ones: :func:`~airflow_provider_ldusage.windows.periods.preceding_windows`) and re-land each
        under its own name, replacing what the earlier runs landed, so provisional figures converge to final
        ones. Needs ``output_path``. The summary lists their summaries under ``"lookback"``.
    :param settle_period: how long after a window's end its figures count as final (default 3 days, as
        the month-end sensor's); summaries say ``"provisional"`` and ``"final_after"`` by this rule.
    :param max_pages: for the paged ranking operation, the most pages to follow (default: the hook's
        limit, 100); more is an error rather than a silently shorter list.
    :param fail_on_empty: fail when a series window returns no rows at all (default: a warning, and
        ``"empty": true`` in the summary).
    """

    operation_id: ClassVar[str] = ""
    template_fields: Sequence[str] = COMMON_TEMPLATE_FIELDS
    template_ext: Sequence[str] = ()
    ui_color = "#405BFF"

    def __init__(
        self,
        *,
        launchdarkly_conn_id: str = DEFAULT_CONN_ID,
        start: Any = None,
        end: Any = None,
        window: str | None = None,
        time_unit: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        output_format: OutputFormat = "jsonl",
        partition_by: PartitionBy | None = None,
        max_xcom_rows: int = DEFAULT_MAX_XCOM_ROWS,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        fail_on_empty: bool = False,
        lookback: int = 0,
        settle_period: timedelta = SETTLE_PERIOD,
        max_pages: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_output_format(output_format)  # parquet without pyarrow fails here, at DAG parse
        check_partition(partition_by, None, None)
        if partition_by is not None and output_path is None:
            raise LaunchDarklyUsageValidationError(
                "partition_by", partition_by, "None without output_path: partitions are folders it lands in"
            )
        self.partition_by: PartitionBy | None = partition_by
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
        # As written, before rendering: a rendered value may not leave the folder written before the
        # template part (landing.storage.check_inside_template).
        self.output_path_template = output_path
        self.output_format: OutputFormat = output_format
        self.max_xcom_rows = max_xcom_rows
        self.hook_params = validate_hook_params(hook_params)  # at DAG parse: a typo fails there, not later
        self.fail_on_empty = fail_on_empty
        # What OpenLineage reports after execute: one record per landed object (operators/_lineage.py).
        self.lineage_landings: list[dict[str, Any]] = []
        if isinstance(lookback, bool) or not isinstance(lookback, int) or not 0 <= lookback <= MAX_LOOKBACK:
            raise LaunchDarklyUsageValidationError(
                "lookback", lookback, f"an integer from 0 to {MAX_LOOKBACK}"
            )
        if lookback and output_path is None:
            raise LaunchDarklyUsageValidationError(
                "lookback",
                lookback,
                "0 without output_path: re-read windows are re-landed, so set output_path=",
            )
        if not isinstance(settle_period, timedelta) or settle_period < timedelta(0):
            raise LaunchDarklyUsageValidationError("settle_period", settle_period, "a timedelta >= 0")
        self.lookback = lookback
        self.settle_period = settle_period
        if max_pages is not None and (
            isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1
        ):
            raise LaunchDarklyUsageValidationError("max_pages", max_pages, "an integer >= 1, or None")
        if max_pages is not None and self.operation_id and self.endpoint.paging is None:
            raise LaunchDarklyUsageValidationError(
                "max_pages", max_pages, f"None: {self.operation_id} is not paged"
            )
        self.max_pages = max_pages
        self.asset_alias: str | None = None
        if output_path is not None:
            dag_id = self.dag.dag_id if self.has_dag() else None
            self.asset_alias = asset_alias or "__".join(
                part for part in ("launchdarkly_usage", dag_id, self.task_id) if part
            )
            from airflow_provider_ldusage.compat import AssetAlias

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
        names = [p.name for p in ep.path_params] + [p.name for p in ep.filter_params]
        return {name: getattr(self, name) for name in names}

    # --- execution: resolve window -> split -> fetch -> rows -> land -> announce -------------------------

    def execute(self, context: Context) -> Any:
        from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

        windows = self.windows_to_read(context)
        hook = LaunchDarklyUsageHook(self.launchdarkly_conn_id, **self.hook_params)
        try:
            summaries = [self.read_window(context, hook, w) for w in windows]
            if len(windows) == 1:
                return summaries[0]
            summary = summaries[-1]
            summary["lookback"] = summaries[:-1]
            return summary
        finally:
            hook.close()

    def windows_to_read(self, context: Context) -> list[Window | None]:
        """This run's window, aligned, and with ``lookback`` the N before it: earlier ones first, this
        run's last (``[None]`` for an operation without a window).

        Every window is checked against ``partition_by``, and ``output_path`` for being writable, before
        the first request.
        """
        from airflow_provider_ldusage.windows.periods import preceding_windows

        period = self.resolve_period(context)
        window = self.align(period)
        if self.output_path is not None:
            from airflow_provider_ldusage.landing.storage import check_inside_template, check_writable

            check_inside_template(self.output_path, self.output_path_template)
            check_writable(self.output_path)  # before the first request, not after a year of pieces
            if window is not None:
                check_partition(self.partition_by, window.start, window.end)
        if window is None or not self.lookback:
            return [window]
        # Earlier windows first, each under its own name: re-landing replaces what earlier runs landed.
        dag = context.get("dag")
        before = preceding_windows(
            window, self.lookback, period=period, timetable=getattr(dag, "timetable", None)
        )
        aligned = [self.align(w) for w in before]
        for earlier_window in aligned:  # every window must fit a partition before the first request
            if earlier_window is not None:
                check_partition(self.partition_by, earlier_window.start, earlier_window.end)
        return [*aligned, window]

    def read_window(self, context: Context, hook: LaunchDarklyUsageHook, window: Window | None) -> Any:
        """One window: split -> fetch -> rows -> land -> announce. Returns the summary (or the rows)."""
        if window is not None:  # the window must fit a partition: checked before its requests
            check_partition(self.partition_by, window.start, window.end)
        pieces = self.split(window)
        rows = self.fetch(hook, pieces, window, context)
        self.check_not_empty(rows, window)
        if self.output_path is None:
            state = self.provisional_state(window, hook, rows.freshness)
            rows.mark_finality(state["provisional"], state["final_after"])  # the rows say it too
            return self._rows_for_xcom(rows)
        return self._land(context, rows, window, hook)

    def resolve_window(self, context: Context) -> Window | None:
        """The window this run covers, aligned to the endpoint's buckets, or ``None`` for an operation that
        takes none (:func:`~airflow_provider_ldusage.windows.alignment.align_window` states the alignment
        rule)."""
        return self.align(self.resolve_period(context))

    def align(self, window: Window | None) -> Window | None:
        """``window`` fitted to the endpoint's UTC buckets for the requested granularity, or refused."""
        from airflow_provider_ldusage.windows.alignment import align_window

        if window is None:
            return None
        alignment = align_window(window, self.endpoint, getattr(self, "granularity", None))
        if alignment.changed:
            # The documented, expected result of a non-UTC schedule (docs/windows.rst): nothing to act on.
            self.log.info("%s", alignment.note)
        return alignment.window

    def resolve_period(self, context: Context) -> Window | None:
        """The period this run covers, before alignment, or ``None`` for an operation without a window."""
        from airflow_provider_ldusage.windows.alignment import conflicting_window_arguments
        from airflow_provider_ldusage.windows.periods import resolve_window

        ep = self.endpoint
        if not ep.has_window:
            if self.start or self.end or self.window:
                self.log.warning("%s takes no window; start/end/window are ignored", ep.operation_id)
            return None
        dag_run = context.get("dag_run")
        dag = context.get("dag")
        window = resolve_window(
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
        if window.source != "explicit" and (self.start or self.end):
            self.log.warning("start/end rendered empty; using %s", window.source)
        conflict = conflicting_window_arguments(self.start, self.end, self.window)
        if conflict:
            self.log.warning("%s", conflict)
        return window

    def split(self, window: Window | None) -> list[Window | None]:
        """The requests to make: pieces within the endpoint's span limit (one ``None`` without a window)."""
        from airflow_provider_ldusage.windows.periods import split_window

        if window is None:
            return [None]
        pieces: list[Window | None] = list(split_window(window, self.endpoint.max_span_days))
        self.progress("%s window %s in %d request(s)", self.operation_id, window.describe(), len(pieces))
        return pieces

    def progress(self, message: str, *args: object) -> None:
        """A per-window progress line (info); operators that read thousands of windows log it at debug."""
        self.log.info(message, *args)

    def fetch(
        self,
        hook: LaunchDarklyUsageHook,
        pieces: Sequence[Window | None],
        window: Window | None,
        context: Context | None = None,
    ) -> UsageRows:
        """Fetch every piece (every page, for the paged endpoint) of ``window`` into rows."""
        from airflow_provider_ldusage.landing.rows import UsageRows

        ep = self.endpoint
        arguments = self.filter_arguments()
        time_unit = self._check_time_unit(self.time_unit)  # normalised once, for every piece
        if time_unit is not None:
            arguments["time_unit"] = time_unit
        request = {
            k: v for k, v in self.request_definition(window).items() if k not in ("operation", "window")
        }
        first = pieces[0]
        if first is not None:  # every argument is checked before the first request is sent
            hook.build(ep.operation_id, start=first.start, end=first.end, **arguments)
        from airflow_provider_ldusage.landing.storage import arguments_hash

        filter_set = arguments_hash(
            self.filter_arguments(), conn_id=self.launchdarkly_conn_id, base_url=hook.settings.base_url
        )
        rows = UsageRows(
            ep,
            window.start if window else None,
            window.end if window else None,
            request,
            filter_set=filter_set,
            as_of=self._as_of(context) if window is None else None,
        )
        for piece in pieces:
            span: dict[str, Any] = {"start": piece.start, "end": piece.end} if piece is not None else {}
            if ep.paging is not None:
                for page in hook.iter_pages(ep.operation_id, max_pages=self.max_pages, **span, **arguments):
                    rows.add(page, fetched_at=hook.last_server_time)
            elif piece is None:
                rows.add(hook.call_lazy(ep.operation_id, **arguments), fetched_at=hook.last_server_time)
            else:
                # Lazy: slices stay bytes until written, so a year of hourly data fits a small worker.
                # The piece's window decides which piece a bucket both return belongs to.
                response = hook.call_lazy(ep.operation_id, **span, **arguments)
                rows.add(
                    response,
                    window_start=piece.start,
                    window_end=piece.end,
                    fetched_at=hook.last_server_time,
                )
        self.progress("%s: %d row(s)", ep.operation_id, len(rows))
        return rows

    def check_not_empty(self, rows: UsageRows, window: Window | None) -> None:
        """Zero rows for a series window is no quiet success: a warning, or with ``fail_on_empty`` an error.

        The summary records it too (``"empty": true``).
        """
        if len(rows) or window is None or not self.endpoint.is_series:
            return
        message = (
            f"{self.operation_id} returned no data for {window.describe()}: the window may lie before the "
            "account's data or after what LaunchDarkly has counted so far, or the filters match nothing"
        )
        if self.fail_on_empty:
            raise LaunchDarklyUsageError(message + " (fail_on_empty=True)")
        self.log.warning("%s", message)

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

    def request_definition(self, window: Window | None) -> dict[str, Any]:
        """What defines the rows of this task: operation, filters and the effective request settings.

        Recorded in the XCom summary and the Asset event, so objects of different filter sets can be told
        apart and loaded correctly. Aggregation and granularity are the ones LaunchDarkly applies (its
        defaults where none was given; ``auto`` where the server picks the buckets).
        """
        from airflow_provider_ldusage.core.timeconv import iso

        ep = self.endpoint
        arguments = self.filter_arguments()
        filters = {k: v for k, v in arguments.items() if v is not None and k not in _SETTINGS}
        family = ep.family
        auto = "auto" if family.auto_rule else None
        return {
            "operation": ep.operation_id,
            "filters": _jsonable(filters),
            "group_by": _jsonable(arguments.get("group_by") or arguments.get("groupby")),
            "aggregation": arguments.get("aggregation_type") or family.default_aggregation,
            "granularity": arguments.get("granularity") or family.default_granularity or auto,
            "time_unit": (self._check_time_unit(self.time_unit) or ep.time_unit) if ep.has_window else None,
            "window": {"start": iso(window.start), "end": iso(window.end), "source": window.source}
            if window
            else None,
        }

    def provisional_state(
        self, window: Window | None, hook: LaunchDarklyUsageHook, freshness: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """Whether the landed figures may still change, by the stated rule.

        A window's figures are *final* once LaunchDarkly's clock (its ``Date`` header at the fetch) is at
        least ``settle_period`` past the window's end — and, where LaunchDarkly reports freshness (data
        export, warehouse export), its ``dataThrough`` has reached the window's end and the pipeline is not
        ``delayed``. Before that they are *provisional*: LaunchDarkly keeps counting a day for hours after
        it ends. Use ``lookback`` to re-read provisional windows.
        """
        from airflow_provider_ldusage.core.timeconv import iso, to_utc

        if window is None:
            return {"provisional": None, "final_after": None, "fetched_at": None}
        final_after = window.end + self.settle_period
        fetched_at = hook.last_server_time
        behind = False
        if freshness:
            through = freshness.get("data_through")
            behind = bool(freshness.get("delayed")) or (
                through is not None and to_utc(through, "dataThrough") < window.end
            )
        return {
            "provisional": behind or fetched_at is None or fetched_at < final_after,
            "final_after": iso(final_after),
            "fetched_at": iso(fetched_at) if fetched_at else None,
        }

    def _land(
        self, context: Context, rows: UsageRows, window: Window | None, hook: LaunchDarklyUsageHook
    ) -> dict[str, Any]:
        from airflow_provider_ldusage.core.timeconv import iso
        from airflow_provider_ldusage.landing.storage import land

        as_of = self._as_of(context) if window is None else None
        # One finality rule for the summary and the rows (their provisional and final_after columns).
        state = self.provisional_state(window, hook, rows.freshness)
        rows.mark_finality(state["provisional"], state["final_after"])
        landed = land(
            rows,
            self.output_path,
            self.operation_id,
            self.filter_arguments(),
            self.output_format,
            window_start=window.start if window else None,
            window_end=window.end if window else None,
            as_of=as_of,
            conn_id=self.launchdarkly_conn_id,
            base_url=hook.settings.base_url,
            partition_by=self.partition_by,
        )
        summary: dict[str, Any] = {
            "endpoint": self.operation_id,
            "window_start": iso(window.start) if window else None,
            "window_end": iso(window.end) if window else None,
            "rows": len(rows),
            "empty": len(rows) == 0,
            "path": landed.uri,
            "dataset": landed.dataset_uri,
            "filter_set": rows.filter_set,
            "format": self.output_format,
            "bytes": landed.size,
            "request": self.request_definition(window),
            "freshness": rows.freshness,
            **state,
        }
        self.progress("Landed %d row(s), %d bytes at %s", len(rows), landed.size, landed.uri)
        self.announce(context, summary)
        # For get_openlineage_facets_on_complete: every landing of this try (lookback windows too).
        from airflow_provider_ldusage.operators._lineage import landing_record

        self.lineage_landings.append(landing_record(context, summary, rows.columns, hook.settings.base_url))
        return summary

    def announce(self, context: Context, summary: dict[str, Any]) -> None:
        """The Asset event of one landing: one Asset per dataset (operation, filter set, connection,
        root), the object in the event's extra."""
        if not self.asset_alias:
            return
        from airflow_provider_ldusage.compat import report_asset_event
        from airflow_provider_ldusage.landing.storage import event_extra

        report_asset_event(context, self.asset_alias, event_extra(summary), uri=summary["dataset"])

    @staticmethod
    def _as_of(context: Context | None) -> datetime | None:
        """For operations without a window: the instant the list describes (the run's logical date)."""
        from airflow_provider_ldusage.core.timeconv import to_utc

        if context is None:
            return None
        dag_run = context.get("dag_run")
        moment = context.get("logical_date") or getattr(dag_run, "run_after", None)
        return to_utc(moment, "logical_date") if moment is not None else None

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage: the usage endpoint read and the dataset landed (``operators/_lineage.py``).

        Called by ``apache-airflow-providers-openlineage`` after ``execute``; without it, never.
        """
        from airflow_provider_ldusage.operators._lineage import facets_on_complete

        return facets_on_complete(self, task_instance)


_SETTINGS = ("aggregation_type", "granularity")


def _jsonable(value: Any) -> Any:
    """Filter values as JSON: tuples and sets become lists, everything else stays as rendered."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value
