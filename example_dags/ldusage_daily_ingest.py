"""Daily ingest: every current LaunchDarkly usage series for the UTC day that closed, as tidy rows.

Runs at 06:00 UTC and lands one JSON Lines object per endpoint, filter set and day under
``<storage root>/usage/<operationId>/<dataset>/``. LaunchDarkly is still counting yesterday at 06:00 (its
figures then are provisional), so every run also re-reads the three days before (``lookback=3``) and
re-lands them under their own names: a day's object holds final figures from its fourth run on, and every
summary says whether its figures are ``provisional``. A re-run replaces objects instead of duplicating them;
the monthly close (``ldusage_monthly_close``) records each month's final figures.

Configuration (no code change, nothing read at parse time):

* Airflow Variable ``ldusage_storage_root``: a folder or storage URI (``s3://bucket/launchdarkly``);
  default ``/tmp/ldusage``.
* Airflow Variable ``ldusage_conn_id``: the ``launchdarkly`` connection; default ``launchdarkly_default``.
* Airflow Variable ``ldusage_warehouse_conn_id``: the SQL connection the rows are loaded into; default
  ``ldusage_warehouse``.
* Airflow Variable ``ldusage_evaluation_flags`` (JSON list of ``{"project_key", "environment_key",
  "feature_flag_key"}``, or ``"all"`` for every flag of the project from LaunchDarkly's flag list), or the
  same as the run's ``evaluation_flags`` param: the flags whose evaluations are ingested, by one fan-out
  task per environment (:class:`LaunchDarklyEvaluationsUsageBatchOperator`). Default: none. With
  ``"all"``, the Variable ``ldusage_evaluation_environments`` (JSON list, default ``["production"]``)
  names the environments; ``ldusage_evaluation_project`` the project (default ``default``).

The two deprecated legacy MAU endpoints (``getMauUsage``, ``getMauUsageByCategory``) are left out on
purpose: their replacements, total and client-side MAU, are ingested. So are the list endpoints (SDK
inventories, the project ranking): the weekly SDK inventory and the monthly close read those.

Every object the run landed (the earlier days' re-landed ones too) is then loaded into the SQL table
``launchdarkly_usage`` of the connection ``ldusage_warehouse`` (any ``common.sql`` connection: SQLite,
PostgreSQL…), in one transaction that replaces exactly those days and filter sets: re-runs and the
``lookback`` refreshes update rows instead of adding them.

The data-export and warehouse-export objects carry LaunchDarkly's freshness on every row (``data_through``:
the end of the latest hour its pipeline has written; ``delayed``): a day whose rows say ``data_through``
before the day's end was landed before LaunchDarkly had counted all of it, and a cleared re-run refreshes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_ldusage.compat import DAG, Param, task
from airflow_provider_ldusage.operators.evaluations import LaunchDarklyEvaluationsUsageBatchOperator
from airflow_provider_ldusage.operators.usage import (
    LaunchDarklyAiRunsUsageOperator,
    LaunchDarklyContextsClientsideUsageOperator,
    LaunchDarklyContextsServersideUsageOperator,
    LaunchDarklyContextsTotalUsageOperator,
    LaunchDarklyDataExportEventsUsageOperator,
    LaunchDarklyEventsUsageOperator,
    LaunchDarklyExperimentationEventsUsageOperator,
    LaunchDarklyExperimentationKeysUsageOperator,
    LaunchDarklyMauClientsideUsageOperator,
    LaunchDarklyMauTotalUsageOperator,
    LaunchDarklyObservabilityErrorsUsageOperator,
    LaunchDarklyObservabilityLogsUsageOperator,
    LaunchDarklyObservabilityMetricsUsageOperator,
    LaunchDarklyObservabilitySessionsUsageOperator,
    LaunchDarklyObservabilityTracesUsageOperator,
    LaunchDarklyServiceConnectionsUsageOperator,
    LaunchDarklyStreamUsageBySdkVersionOperator,
    LaunchDarklyStreamUsageOperator,
    LaunchDarklyVegaAiUsageOperator,
    LaunchDarklyWarehouseExportUsageOperator,
)
from airflow_provider_ldusage.transfers.usage_to_sql import LaunchDarklyUsageToSqlOperator

# [START howto_ldusage_configuration]
# Templates, rendered when a task runs: Variable.get at parse time would hit the metadata DB on every parse.
CONN_ID = "{{ var.value.get('ldusage_conn_id', 'launchdarkly_default') }}"
STORAGE_ROOT = "{{ var.value.get('ldusage_storage_root', '/tmp/ldusage') }}"
LANDING = STORAGE_ROOT + "/usage"
WAREHOUSE_CONN_ID = "{{ var.value.get('ldusage_warehouse_conn_id', 'ldusage_warehouse') }}"
# [END howto_ldusage_configuration]

# Endpoints without path parameters: one task each (mapping cannot vary the operator class).
PLAIN_SERIES = (
    ("contexts_clientside", LaunchDarklyContextsClientsideUsageOperator),
    ("contexts_serverside", LaunchDarklyContextsServersideUsageOperator),
    ("contexts_total", LaunchDarklyContextsTotalUsageOperator),
    ("mau_clientside", LaunchDarklyMauClientsideUsageOperator),
    ("data_export_events", LaunchDarklyDataExportEventsUsageOperator),
    ("warehouse_export", LaunchDarklyWarehouseExportUsageOperator),
    ("experimentation_events", LaunchDarklyExperimentationEventsUsageOperator),
    ("experimentation_keys", LaunchDarklyExperimentationKeysUsageOperator),
    ("service_connections", LaunchDarklyServiceConnectionsUsageOperator),
    ("observability_errors", LaunchDarklyObservabilityErrorsUsageOperator),
    ("observability_logs", LaunchDarklyObservabilityLogsUsageOperator),
    ("observability_sessions", LaunchDarklyObservabilitySessionsUsageOperator),
    ("observability_traces", LaunchDarklyObservabilityTracesUsageOperator),
    ("observability_metrics", LaunchDarklyObservabilityMetricsUsageOperator),
    ("ai_runs", LaunchDarklyAiRunsUsageOperator),
    ("vega_ai", LaunchDarklyVegaAiUsageOperator),
)

with DAG(
    dag_id="ldusage_daily_ingest",
    description="Every LaunchDarkly usage series for the UTC day that closed, landed as tidy rows",
    schedule="0 6 * * *",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    # A handful of parallel requests stays well inside LaunchDarkly's rate limits; the hook waits out
    # 429s and reset windows on its own.
    max_active_tasks=4,
    # lookback: re-read the 3 days before yesterday too, until LaunchDarkly has settled them (every usage
    # operator takes it; the manifest task ignores it).
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5), "lookback": 3},
    params={
        "evaluation_flags": Param(
            None,
            type=["null", "array", "string"],
            items={
                "type": "object",
                "required": ["project_key", "environment_key", "feature_flag_key"],
                "properties": {
                    "project_key": {"type": "string"},
                    "environment_key": {"type": "string"},
                    "feature_flag_key": {"type": "string"},
                },
            },
            description="Flags whose evaluations to ingest (project, environment and flag key each), or "
            '"all"; empty: the ldusage_evaluation_flags Variable',
        ),
    },
    tags=["launchdarkly", "usage"],
) as dag:
    # [START howto_operator_mau_total_usage]
    mau_total = LaunchDarklyMauTotalUsageOperator(
        task_id="mau_total",
        launchdarkly_conn_id=CONN_ID,
        window="previous_day",  # the whole UTC day before the run, whatever time the schedule fires
        group_by=["projectId", "sdkType"],
        output_path=LANDING,  # one atomic JSON Lines object per endpoint, filter set and day
    )
    # [END howto_operator_mau_total_usage]

    plain = [
        operator(task_id=task_id, launchdarkly_conn_id=CONN_ID, window="previous_day", output_path=LANDING)
        for task_id, operator in PLAIN_SERIES
    ]

    # [START howto_operator_mapped_path_parameters]
    # One mapped task instance per path-parameter value: each lands its own object.
    events = LaunchDarklyEventsUsageOperator.partial(
        task_id="events", launchdarkly_conn_id=CONN_ID, window="previous_day", output_path=LANDING
    ).expand(type=["received", "published"])
    streams = LaunchDarklyStreamUsageOperator.partial(
        task_id="streams", launchdarkly_conn_id=CONN_ID, window="previous_day", output_path=LANDING
    ).expand(source=["client", "server"])
    streams_by_sdk_version = LaunchDarklyStreamUsageBySdkVersionOperator.partial(
        task_id="streams_by_sdk_version",
        launchdarkly_conn_id=CONN_ID,
        window="previous_day",
        output_path=LANDING,
    ).expand(source=["client", "server"])
    # [END howto_operator_mapped_path_parameters]

    # [START howto_operator_evaluations_fan_out]
    @task
    def evaluation_flags(params: dict[str, Any]) -> Any:
        """The flags to read: the run's ``evaluation_flags`` param, else the Variable (read at run time):
        a list of ``{project_key, environment_key, feature_flag_key}``, or ``"all"``."""
        from airflow_provider_ldusage.compat import Variable

        flags = params.get("evaluation_flags")
        if flags is None:
            flags = Variable.get("ldusage_evaluation_flags", [], deserialize_json=True)
        return flags if flags == "all" else [dict(flag) for flag in flags]

    @task
    def evaluation_environments(flags: Any) -> list[str]:
        """One fan-out task per environment: those the flags name (with ``"all"``, the Variable
        ``ldusage_evaluation_environments``, default production). None configured: the task is skipped."""
        from airflow_provider_ldusage.compat import Variable

        if flags == "all":
            return list(
                Variable.get("ldusage_evaluation_environments", ["production"], deserialize_json=True)
            )
        project = Variable.get("ldusage_evaluation_project", "default")
        return list(dict.fromkeys(f["environment_key"] for f in flags if f["project_key"] == project))

    flags = evaluation_flags()
    # One task per environment; each fetches every flag's evaluations with one paced hook, four requests
    # in flight, landing one object per flag and day as the single-flag operator would.
    evaluations = LaunchDarklyEvaluationsUsageBatchOperator.partial(
        task_id="evaluations",
        launchdarkly_conn_id=CONN_ID,
        project_key="{{ var.value.get('ldusage_evaluation_project', 'default') }}",
        feature_flag_keys=flags,  # the flags of every environment: each task keeps its own
        window="previous_day",
        output_path=LANDING,
        max_concurrency=4,
    ).expand(environment_keys=evaluation_environments(flags))
    # [END howto_operator_evaluations_fan_out]

    # none_failed: with no flags configured the evaluations task maps to nothing and is skipped.
    @task(trigger_rule="none_failed")
    def manifest(summaries: list[Any], storage_root: str, ds: str | None = None) -> dict[str, Any]:
        """Write ``_manifests/<day>.json`` listing every object the run landed, for downstream loaders:
        the day's own (``objects``) and the earlier days' it re-landed (``refreshed``, from ``lookback``)."""
        import json

        from airflow_provider_ldusage.compat import ObjectStoragePath
        from airflow_provider_ldusage.landing.batches import read_manifest

        flat: list[dict[str, Any]] = []
        for item in summaries:  # a mapped task's output is a sequence of summaries, read by index
            if item is None:  # a skipped (zero-length) mapping
                continue
            for summary in [item] if isinstance(item, dict) else [item[i] for i in range(len(item))]:
                if summary.get("batch"):  # a fan-out: its objects are in its manifest, not in XCom
                    batch = read_manifest(ObjectStoragePath(summary["manifest"])) or {"objects": []}
                    day = [o for o in batch["objects"] if o["window_start"] == summary["window_start"]]
                    earlier = [o for o in batch["objects"] if o["window_start"] != summary["window_start"]]
                    flat.extend({**o, "lookback": earlier if i == 0 else []} for i, o in enumerate(day))
                else:
                    flat.append(summary)
        refreshed = sorted(
            (earlier for s in flat for earlier in s.pop("lookback", [])),
            key=lambda s: (s["window_start"], s["endpoint"], s["path"]),
        )
        flat.sort(key=lambda s: (s["endpoint"], s["path"]))
        day = flat[0]["window_start"][:10] if flat else ds
        root = storage_root if "://" in storage_root else f"file://{_absolute(storage_root)}"
        target = ObjectStoragePath(f"{root}/usage/_manifests/{day}.json")
        body = {
            "day": day,
            "objects": flat,
            "rows": sum(s["rows"] for s in flat),
            "provisional": sum(1 for s in flat if s.get("provisional")),
            "refreshed": refreshed,
        }
        _write_atomically(target, json.dumps(body, indent=2).encode())
        return {
            "manifest": str(target),
            "objects": len(flat),
            "rows": body["rows"],
            "refreshed": len(refreshed),
        }

    outputs = [mau_total.output, *(t.output for t in plain)]
    outputs += [events.output, streams.output, streams_by_sdk_version.output, evaluations.output]
    manifest(outputs, storage_root=STORAGE_ROOT)

    # [START howto_transfer_usage_to_sql]
    # Every landed object of the run, lookback windows included, into one table in one transaction.
    LaunchDarklyUsageToSqlOperator(
        task_id="load_to_warehouse",
        sql_conn_id=WAREHOUSE_CONN_ID,
        source=outputs,  # the usage tasks' summaries (mapped ones as lists)
        table="launchdarkly_usage",
        trigger_rule="none_failed",  # with no flags configured the evaluations task is skipped
    )
    # [END howto_transfer_usage_to_sql]


def _absolute(path: str) -> str:
    import os

    return os.path.abspath(os.path.expanduser(path))


def _write_atomically(target: Any, data: bytes) -> None:
    """Write to a hidden sibling, then move it into place: readers never see a partial object."""
    import uuid

    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        temporary.write_bytes(data)
        temporary.move(target)
    except BaseException:
        if temporary.exists():
            temporary.unlink()
        raise
