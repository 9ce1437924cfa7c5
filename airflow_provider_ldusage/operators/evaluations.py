"""Evaluations usage of many flags in one task: the fan-out over flags and environments.

LaunchDarkly reports evaluations per flag (``getEvaluationsUsage``), so an account of 2,000 flags in three
environments is 6,000 requests a day. One task instance per request (``.expand()`` of
:class:`~airflow_provider_ldusage.operators.usage.LaunchDarklyEvaluationsUsageOperator`) pays Airflow's
per-instance cost 6,000 times and starts 6,000 hooks that know nothing of the spent rate budget; this
operator makes the same requests from one task, with one paced hook and a few threads.

Imported at DAG-parse time: only the base operator's imports; the hook, threads and storage are imported in
``execute``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.batches import compact
from airflow_provider_ldusage.operators._base import COMMON_TEMPLATE_FIELDS, LaunchDarklyUsageBaseOperator

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from airflow_provider_ldusage.compat import Context
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook
    from airflow_provider_ldusage.operators._base import UsageOperatorArgs
    from airflow_provider_ldusage.windows.calendar import Window

__all__ = ["DEFAULT_MAX_CONCURRENCY", "LaunchDarklyEvaluationsUsageBatchOperator"]

#: Requests in flight at once by default: enough to keep one token's budget busy over a real network
#: (LaunchDarkly answers in ~100-300 ms), few enough to leave the budget to the rest of the deployment.
DEFAULT_MAX_CONCURRENCY = 4
MAX_CONCURRENCY = 64
#: Failed targets named in the exception and the XCom summary (all of them are in the manifest).
MAX_FAILURES_SHOWN = 20
Rerun = Literal["missing", "replace"]
# The flag and environment a worker thread is reading now: filter_arguments() answers for it, so the base
# operator's window, row, naming and landing code runs unchanged, once per flag and window.
_CURRENT = threading.local()


@dataclass(frozen=True)
class _Unit:
    """One request's worth of work: a flag in an environment over one window."""

    environment_key: str
    feature_flag_key: str
    window: Window | None

    @property
    def target(self) -> dict[str, str]:
        return {"environment_key": self.environment_key, "feature_flag_key": self.feature_flag_key}

    def key(self) -> tuple[str, str, str | None]:
        return (self.environment_key, self.feature_flag_key, _iso(self.window.start) if self.window else None)


class LaunchDarklyEvaluationsUsageBatchOperator(LaunchDarklyUsageBaseOperator):
    """Fetch flag evaluations (``getEvaluationsUsage``) of many flags in one or more environments of a
    project, in one task, and land one object per flag, environment and window.

    The objects, their names, the rows in them, the Asset events and what the SQL load reads are exactly
    those of :class:`~airflow_provider_ldusage.operators.usage.LaunchDarklyEvaluationsUsageOperator` for
    the same flag, environment, ``tz`` and connection: the two can replace each other's objects.
    Windows (``start``/``end``/``window``/the run's interval, ``lookback``) resolve once, as for every
    usage operator (:class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`).

    All requests go through one hook (one connection pool, one view of the rate-limit budget), at most
    ``max_concurrency`` at a time. Requests are flags x environments x (1 + ``lookback``): 2,000 flags in
    three environments with ``lookback=3`` are 24,000 requests.

    **Partial failure.** A flag that fails (a 404 for a flag deleted since it was listed, retries spent)
    does not stop the others: every object that could be fetched is landed, the manifest records it, and
    then the task fails with an error naming each failed flag, environment and window with LaunchDarkly's
    error. Errors no other flag can escape (401, 403, invalid arguments) stop the fan-out at once. A task
    stopped mid-way (``execution_timeout``, SIGTERM) lets the requests in flight end and writes the
    manifest of what landed before it fails.

    **Re-runs fetch only what is missing** (``rerun="missing"``, the default): a retry or a cleared re-run
    of the same DAG run skips every object its manifest lists as landed and fetches the rest; the skipped
    ones are announced again and stay in the summary, so the SQL load still gets all of them. A new DAG run
    (the next day's, whose ``lookback`` re-reads earlier days) has no manifest yet and fetches everything.
    ``rerun="replace"`` ignores the manifest: every object is fetched and replaced (atomically, under the
    same name, so never duplicated).

    **The manifest** (:mod:`airflow_provider_ldusage.landing.batches`):
    ``<output_path>/_batches/<dag_id>/<task_id>/<run_id>.json`` lists every object landed and every
    failure. XCom gets a small summary: counts, the first failures, the manifest's URI and the objects'
    common prefix, never thousands of paths; pass it to
    :class:`~airflow_provider_ldusage.transfers.usage_to_sql.LaunchDarklyUsageToSqlOperator` as ``source``.

    :param project_key: the project (templated).
    :param environment_keys: one environment key or a list of them (templated; a comma-separated or
        JSON-list string is read as a list).
    :param feature_flag_keys: the flags (templated): a list of keys (literal, or an upstream task's
        ``.output``), or ``"all"`` (the default) to list the project's flags from LaunchDarkly's flag list
        (``GET /api/v2/flags/{projectKey}``, every page) when the task runs. Items may also be mappings
        with ``feature_flag_key`` (and optionally ``project_key``/``environment_key``): those naming another
        project or environment are left to the task that reads it, so one list can feed one task per
        environment.
    :param flag_filter: with ``"all"``, LaunchDarkly's flag-list ``filter`` (``"state:live"``,
        ``"tags:billing"``), templated.
    :param tz: time zone that cuts days for daily data (IANA name), sent as ``tz`` (templated).
    :param max_concurrency: requests in flight at once (1-64, default 4). The rate-limit budget, not this,
        bounds the request rate: more threads only help while the budget is not spent.
    :param rerun: ``"missing"`` (default) or ``"replace"``, see above.

    Common arguments (``launchdarkly_conn_id``, ``start``, ``end``, ``window``, ``output_path`` (required
    here), ``output_format``, ``partition_by``, ``lookback``, ``hook_params``...): see
    :class:`~airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator`.
    """

    operation_id = "getEvaluationsUsage"
    template_fields: Sequence[str] = (
        *COMMON_TEMPLATE_FIELDS,
        "project_key",
        "environment_keys",
        "feature_flag_keys",
        "flag_filter",
        "tz",
    )
    ui_color = "#2F47D9"

    def __init__(
        self,
        *,
        project_key: str,
        environment_keys: str | Sequence[str],
        feature_flag_keys: str | Sequence[str | Mapping[str, str]] = "all",
        flag_filter: str | None = None,
        tz: str | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        rerun: Rerun = "missing",
        **kwargs: Unpack[UsageOperatorArgs],
    ) -> None:
        super().__init__(**kwargs)
        if self.output_path is None:
            raise LaunchDarklyUsageValidationError(
                "output_path",
                None,
                "a folder or storage URI (e.g. 's3://bucket/launchdarkly'): the fan-out lands one object per "
                "flag, environment and window and returns a summary",
            )
        if (
            isinstance(max_concurrency, bool)
            or not isinstance(max_concurrency, int)
            or not 1 <= max_concurrency <= MAX_CONCURRENCY
        ):
            raise LaunchDarklyUsageValidationError(
                "max_concurrency", max_concurrency, f"an integer from 1 to {MAX_CONCURRENCY}"
            )
        if rerun not in ("missing", "replace"):
            raise LaunchDarklyUsageValidationError("rerun", rerun, "'missing' or 'replace'")
        self.project_key = project_key
        self.environment_keys = environment_keys
        self.feature_flag_keys = feature_flag_keys
        self.flag_filter = flag_filter
        self.tz = tz
        self.max_concurrency = max_concurrency
        self.rerun: Rerun = rerun

    # --- one flag at a time, as the base operator sees it ----------------------------------------------

    def filter_arguments(self) -> dict[str, Any]:
        """The hook arguments of the flag the calling thread reads (the project alone outside one)."""
        target: dict[str, str] | None = getattr(_CURRENT, "target", None)
        return {
            "project_key": self.project_key,
            "environment_key": target["environment_key"] if target else None,
            "feature_flag_key": target["feature_flag_key"] if target else None,
            "tz": self.tz,
        }

    def render_template(
        self, content: Any, context: Any, jinja_env: Any = None, seen_oids: set[int] | None = None
    ) -> Any:
        """Lists of plain strings (thousands of flag keys) are kept as they are: Jinja would compile each
        string as a template, milliseconds apiece. Anything with ``{`` in it is rendered as usual."""
        if (
            isinstance(content, (list, tuple))
            and content
            and all(isinstance(item, str) and "{" not in item for item in content)
        ):
            return list(content)
        return super().render_template(content, context, jinja_env, seen_oids)

    def announce(self, context: Context, summary: dict[str, Any]) -> None:
        """Collected, not sent: the fan-out announces each dataset once, when it is done (see
        :meth:`_announce`)."""
        with self._datasets_lock:
            self._datasets.setdefault(summary["dataset"], []).append(summary)

    def progress(self, message: str, *args: object) -> None:
        self.log.debug(message, *args)  # thousands of windows: the fan-out logs its own progress

    def check_not_empty(self, rows: Any, window: Window | None) -> None:
        if self.fail_on_empty:  # a flag without evaluations is common: counted, not warned about, unless
            super().check_not_empty(rows, window)

    # --- execution ---------------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

        project_key = _one_key("project_key", self.project_key)
        self.project_key = project_key
        self.tz = None if self.tz in (None, "", "None") else self.tz
        environments = _keys("environment_keys", self.environment_keys)
        windows = self.windows_to_read(context)
        _check_path_keys(self.operation_id, project_key, environments)  # before the flag list is read
        hook = LaunchDarklyUsageHook(self.launchdarkly_conn_id, **self.hook_params)
        try:
            targets = self._targets(hook, project_key, environments)
            flags = list(dict.fromkeys(flag for _, flag in targets))
            units = [_Unit(env, flag, w) for env, flag in targets for w in windows]
            self.log.info(
                "%s: %d flag(s) in %d environment(s) x %d window(s) = %d request(s) for project %s, "
                "%d at a time",
                self.operation_id,
                len(flags),
                len(environments),
                len(windows),
                len(units),
                project_key,
                self.max_concurrency,
            )
            # Every request's arguments checked before the first is sent (a bad tz, a bad flag key): pure,
            # about 60 us a request, against the 100-300 ms each costs LaunchDarkly.
            shared = self.filter_arguments()
            for unit in units:
                span = {"start": unit.window.start, "end": unit.window.end} if unit.window else {}
                hook.build(self.operation_id, **span, **{**shared, **unit.target})
            return self._fan_out(context, hook, project_key, environments, flags, windows, units)
        finally:
            hook.close()

    def _targets(
        self, hook: LaunchDarklyUsageHook, project_key: str, environments: list[str]
    ) -> list[tuple[str, str]]:
        """The (environment, flag) pairs to read: flags given, or listed from LaunchDarkly with ``"all"``,
        environment by environment."""
        given = self.feature_flag_keys
        if isinstance(given, str) and given.strip().lower() == "all":
            filter_text = None if self.flag_filter in (None, "", "None") else self.flag_filter
            keys = hook.get_feature_flag_keys(project_key, filter=filter_text)
            self.log.info("Flag list of project %s: %d flag(s)", project_key, len(keys))
            return [(env, key) for env in environments for key in keys]
        return _targets(given, project_key, environments)

    def _fan_out(
        self,
        context: Context,
        hook: LaunchDarklyUsageHook,
        project_key: str,
        environments: list[str],
        flags: list[str],
        windows: list[Window | None],
        units: list[_Unit],
    ) -> dict[str, Any]:
        """Skip what this DAG run landed, fetch the rest on the pool, write the manifest, summarise."""
        import time
        from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
        from datetime import datetime, timezone

        from airflow_provider_ldusage.landing.batches import (
            compact,
            manifest_path,
            read_manifest,
            write_manifest,
        )
        from airflow_provider_ldusage.landing.storage import arguments_hash

        ti = context.get("ti") or context.get("task_instance")
        dag_id = getattr(self.dag, "dag_id", None) if self.has_dag() else None
        run_id = str(getattr(ti, "run_id", None) or getattr(context.get("dag_run"), "run_id", "") or "")
        map_index = getattr(ti, "map_index", None)
        manifest = manifest_path(self.output_path, dag_id or "", self.task_id, run_id, map_index)
        base_url = hook.settings.base_url

        def filter_set(unit: _Unit) -> str:
            arguments = {**self.filter_arguments(), **unit.target}
            return arguments_hash(arguments, conn_id=self.launchdarkly_conn_id, base_url=base_url)

        landed: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
        if self.rerun == "missing":
            earlier = read_manifest(manifest)
            for entry in (earlier or {}).get("objects", []):
                target = entry.get("target") or {}
                landed[
                    (target.get("environment_key"), target.get("feature_flag_key"), entry.get("window_start"))
                ] = entry
        todo: list[_Unit] = []
        kept: list[dict[str, Any]] = []
        for unit in units:
            entry = landed.get(unit.key())
            if entry is not None and entry.get("filter_set") == filter_set(unit):
                kept.append(entry)
            else:
                todo.append(unit)
        self._datasets: dict[str, list[Mapping[str, Any]]] = {}
        self._datasets_lock = threading.Lock()
        if kept:
            self.log.info(
                "%d object(s) already landed by this DAG run (manifest %s): not fetched again",
                len(kept),
                manifest,
            )
            for entry in kept:
                if entry.get("dataset"):
                    self._datasets.setdefault(entry["dataset"], []).append(entry)

        hook.get_conn()  # the one session, made here: worker threads would race to each make their own
        _mount_pool(hook, self.max_concurrency)
        fresh: list[dict[str, Any]] = []
        failed: list[tuple[_Unit, BaseException]] = []
        stop = threading.Event()
        started_at = datetime.now(timezone.utc)
        started = time.monotonic()
        last_report = started

        def run(unit: _Unit) -> dict[str, Any]:
            if stop.is_set():
                raise _NotAttempted()
            _CURRENT.target = unit.target
            try:
                summary: dict[str, Any] = self.read_window(context, hook, unit.window)
            finally:
                _CURRENT.target = None
            summary["target"] = unit.target
            return summary

        pending: dict[Future[dict[str, Any]], _Unit] = {}
        dropped: list[_Unit] = []  # queued, then left out after an error every unit would meet
        queue = iter(todo)
        header = {
            "dag_id": dag_id,
            "task_id": self.task_id,
            "map_index": map_index,
            "run_id": run_id,
            "endpoint": self.operation_id,
            "project_key": project_key,
            "environment_keys": environments,
        }

        def collect(future: Future[dict[str, Any]], unit: _Unit) -> None:
            error = future.exception()
            if error is None:
                fresh.append(future.result())
            elif isinstance(error, _NotAttempted):
                dropped.append(unit)
            else:
                failed.append((unit, error))
                if _stops_everything(error):
                    stop.set()

        def record() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            objects = [*kept, *(compact(s) for s in fresh)]
            failures = [_failure(unit, error) for unit, error in failed]
            write_manifest(manifest, header, objects, failures)
            return objects, failures

        pool = ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="ldusage-fanout")

        # A bounded queue: a few units ahead of the threads, not 24,000 futures at once.
        def top_up() -> None:
            while len(pending) < self.max_concurrency * 4 and not stop.is_set():
                unit = next(queue, None)
                if unit is None:
                    return
                pending[pool.submit(run, unit)] = unit

        try:
            top_up()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    collect(future, pending.pop(future))
                top_up()
                now = time.monotonic()
                if now - last_report >= 30:
                    last_report = now
                    self.log.info(
                        "%d of %d request(s) done, %d failed, %.0f s",
                        len(fresh) + len(failed),
                        len(todo),
                        len(failed),
                        now - started,
                    )
        except BaseException:
            # Killed (timeout, SIGTERM) or broken: let the requests in flight end, start no more, and
            # record what landed, so a retry fetches only what is missing.
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            for future, unit in pending.items():
                if future.done() and not future.cancelled():
                    collect(future, unit)
            record()
            raise
        pool.shutdown(wait=True)
        not_attempted = [*dropped, *queue]
        objects, failures = record()
        from airflow_provider_ldusage.landing.storage import storage_path, uri_of

        prefix = storage_path(self.output_path) / (
            f"operation={self.operation_id}" if self.partition_by else self.operation_id
        )
        elapsed = time.monotonic() - started
        self.log.info(
            "Fan-out done in %.1f s: %d object(s) landed (%d fetched, %d already landed), %d failed",
            elapsed,
            len(objects),
            len(fresh),
            len(kept),
            len(failures),
        )
        if failed:
            raise _summary_error(failures, failed, len(units), len(objects), not_attempted, uri_of(manifest))
        self._announce(context)
        this_window = windows[-1]
        return {
            "endpoint": self.operation_id,
            "batch": True,
            "project_key": project_key,
            "environment_keys": environments,
            "flags": len(flags),
            "window_start": _iso(this_window.start) if this_window else None,
            "window_end": _iso(this_window.end) if this_window else None,
            "windows": [{"start": _iso(w.start), "end": _iso(w.end)} for w in windows if w is not None],
            "objects": len(objects),
            "fetched": len(fresh),
            "skipped": len(kept),
            "rows": sum(int(o.get("rows") or 0) for o in objects),
            "empty": sum(1 for o in objects if o.get("empty")),
            "provisional": sum(1 for o in objects if o.get("provisional")),
            "failed": [],
            "manifest": uri_of(manifest),
            "prefix": uri_of(prefix),
            "format": self.output_format,
            "started_at": started_at.isoformat(),
            "seconds": round(elapsed, 3),
        }

    def _announce(self, context: Context) -> None:
        """One Asset event per dataset (a flag in an environment, or with ``partition_by`` the operation's
        table) rather than per object: the extra is this run's window's object's, plus ``objects``, how
        many objects of the dataset this run landed (its ``lookback`` windows). Objects an earlier try of
        this DAG run landed are announced too: a failed try announces nothing."""
        if not self.asset_alias:
            return
        from airflow_provider_ldusage.compat import report_asset_event
        from airflow_provider_ldusage.landing.storage import event_extra

        for dataset, summaries in self._datasets.items():
            latest = max(summaries, key=lambda s: s.get("window_start") or "")
            extra = {**event_extra(compact(latest)), "objects": len(summaries)}
            report_asset_event(context, self.asset_alias, extra, uri=dataset)


class _NotAttempted(Exception):
    """A unit left out after an error that every other unit would meet too."""


def _stops_everything(error: BaseException) -> bool:
    """401, 403 and invalid arguments fail every flag alike: stop instead of spending the budget on them."""
    from airflow_provider_ldusage.exceptions import (
        LaunchDarklyUsageAuthError,
        LaunchDarklyUsageForbiddenError,
    )

    return isinstance(
        error, (LaunchDarklyUsageAuthError, LaunchDarklyUsageForbiddenError, LaunchDarklyUsageValidationError)
    ) or not isinstance(error, Exception)


def _check_path_keys(operation: str, project_key: str, environments: list[str]) -> None:
    """The project and environment keys as path segments of ``operation`` (never ``.`` or ``..``)."""
    from airflow_provider_ldusage.catalogue import endpoint
    from airflow_provider_ldusage.core.request import path_segment

    method_name = endpoint(operation).method_name
    path_segment("project_key", project_key, method_name)
    for key in environments:
        path_segment("environment_keys", key, method_name)


def _failure(unit: _Unit, error: BaseException) -> dict[str, Any]:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return {
        "target": unit.target,
        "window_start": _iso(unit.window.start) if unit.window else None,
        "window_end": _iso(unit.window.end) if unit.window else None,
        "error": f"{type(error).__name__}: {text[:500]}",
    }


def _summary_error(
    failures: list[dict[str, Any]],
    failed: list[tuple[_Unit, BaseException]],
    total: int,
    landed: int,
    not_attempted: list[_Unit],
    manifest: str,
) -> LaunchDarklyUsageError:
    flags = {f["target"]["feature_flag_key"] for f in failures}
    lines = [
        f"{env}/{flag} [{f['window_start'] or '-'}]: {f['error']}"
        for f in failures[:MAX_FAILURES_SHOWN]
        for env, flag in [(f["target"]["environment_key"], f["target"]["feature_flag_key"])]
    ]
    more = len(failures) - MAX_FAILURES_SHOWN
    if more > 0:
        lines.append(f"... and {more} more (all listed in the manifest)")
    skipped = (
        f"; {len(not_attempted)} not attempted after an error every flag would meet" if not_attempted else ""
    )
    message = (
        f"getEvaluationsUsage failed for {len(flags)} flag(s) ({len(failures)} of {total} request(s)); "
        f"{landed} object(s) landed{skipped}. A re-run of this DAG run fetches only what is missing. "
        f"Manifest: {manifest}\n" + "\n".join(lines)
    )
    error = LaunchDarklyUsageError(message)
    error.__cause__ = failed[0][1]
    return error


def _mount_pool(hook: LaunchDarklyUsageHook, size: int) -> None:
    """Let ``size`` threads keep a connection each (requests pools 10 per host by default)."""
    if size <= 10:
        return
    from requests.adapters import HTTPAdapter

    session = hook.get_conn()
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)


def _iso(moment: Any) -> str:
    from airflow_provider_ldusage.core.timeconv import iso

    return iso(moment)


def _as_list(name: str, value: object) -> list[Any]:
    """A templated list: a list, or a string holding one (JSON, Python's repr, or comma-separated)."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text[:1] == "[":
            import ast
            import json

            try:
                parsed = json.loads(text)
            except ValueError:
                try:
                    parsed = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    raise LaunchDarklyUsageValidationError(name, text[:200], "a list of keys") from None
            return _as_list(name, parsed)
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, Mapping):
        return [value]
    if hasattr(value, "__len__") and hasattr(value, "__getitem__"):
        return [value[i] for i in range(len(value))]  # lists, tuples, a mapped task's lazy outputs
    raise LaunchDarklyUsageValidationError(name, type(value).__name__, "a key or a list of keys")


def _one_key(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or value.strip() == "None":
        raise LaunchDarklyUsageValidationError(name, value, "a non-empty key")
    return value.strip()


def _keys(name: str, value: object) -> list[str]:
    keys = [_one_key(name, item) for item in _as_list(name, value)]
    if not keys:
        raise LaunchDarklyUsageValidationError(name, value, "at least one key")
    return list(dict.fromkeys(keys))


def _targets(value: object, project_key: str, environments: list[str]) -> list[tuple[str, str]]:
    """(environment, flag) pairs, environment by environment: a key is read in every environment, a
    mapping with an ``environment_key`` in that one only; mappings of other projects or environments are
    left out (they belong to another task)."""
    pairs: list[tuple[str, str]] = []
    for item in _as_list("feature_flag_keys", value):
        where = environments
        if isinstance(item, Mapping):
            if item.get("project_key", project_key) != project_key:
                continue
            env = item.get("environment_key")
            if env is not None:
                if env not in environments:
                    continue
                where = [env]
            item = item.get("feature_flag_key")
        key = _one_key("feature_flag_keys", item)
        pairs += [(env, key) for env in where]
    order = {env: i for i, env in enumerate(environments)}
    return sorted(dict.fromkeys(pairs), key=lambda pair: order[pair[0]])
