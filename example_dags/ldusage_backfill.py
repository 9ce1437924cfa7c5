"""Backfill: a year of LaunchDarkly usage history, within the 365-day limit and the rate limits.

Triggered by hand (``schedule=None``). By default it covers the 365 days before the run; give ``start``
and ``end`` (ISO dates) to choose the span. LaunchDarkly refuses a ``from``..``to`` span over 365 days on
most usage endpoints: the operators cut longer windows on UTC midnights into requests that fit, and merge
the answers without duplicating a day, so one task still lands one object per endpoint.

Rate limits: at most two requests run at once (``max_active_tasks=2``), and the hook waits out 429s and
exhausted ``X-Ratelimit-*`` windows instead of failing. To share one budget with the other DAGs, create a
pool (``airflow pools set launchdarkly_api 2 "LaunchDarkly usage API"``) and pass ``pool="launchdarkly_api"``.

Daily figures (incremental aggregation) are landed under ``<storage root>/backfill/<operationId>/``.
Configuration: Airflow Variables ``ldusage_storage_root`` and ``ldusage_conn_id``, as in the other examples.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_ldusage.compat import DAG, Param, task
from airflow_provider_ldusage.operators.usage import (
    LaunchDarklyContextsClientsideUsageOperator,
    LaunchDarklyContextsServersideUsageOperator,
    LaunchDarklyContextsTotalUsageOperator,
    LaunchDarklyDataExportEventsUsageOperator,
    LaunchDarklyExperimentationEventsUsageOperator,
    LaunchDarklyExperimentationKeysUsageOperator,
    LaunchDarklyMauClientsideUsageOperator,
    LaunchDarklyMauTotalUsageOperator,
    LaunchDarklyObservabilityErrorsUsageOperator,
    LaunchDarklyObservabilityLogsUsageOperator,
    LaunchDarklyObservabilitySessionsUsageOperator,
    LaunchDarklyObservabilityTracesUsageOperator,
    LaunchDarklyServiceConnectionsUsageOperator,
)

CONN_ID = "{{ var.value.get('ldusage_conn_id', 'launchdarkly_default') }}"
STORAGE_ROOT = "{{ var.value.get('ldusage_storage_root', '/tmp/ldusage') }}"

BACKFILLED = (
    ("contexts_clientside", LaunchDarklyContextsClientsideUsageOperator),
    ("contexts_serverside", LaunchDarklyContextsServersideUsageOperator),
    ("contexts_total", LaunchDarklyContextsTotalUsageOperator),
    ("mau_clientside", LaunchDarklyMauClientsideUsageOperator),
    ("mau_total", LaunchDarklyMauTotalUsageOperator),
    ("data_export_events", LaunchDarklyDataExportEventsUsageOperator),
    ("experimentation_events", LaunchDarklyExperimentationEventsUsageOperator),
    ("experimentation_keys", LaunchDarklyExperimentationKeysUsageOperator),
    ("service_connections", LaunchDarklyServiceConnectionsUsageOperator),
    ("observability_errors", LaunchDarklyObservabilityErrorsUsageOperator),
    ("observability_logs", LaunchDarklyObservabilityLogsUsageOperator),
    ("observability_sessions", LaunchDarklyObservabilitySessionsUsageOperator),
    ("observability_traces", LaunchDarklyObservabilityTracesUsageOperator),
)

with DAG(
    dag_id="ldusage_backfill",
    description="A year of LaunchDarkly usage history, split at the 365-day limit, paced for rate limits",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=2,  # two requests in flight at most: LaunchDarkly's limits are per account
    default_args={"retries": 3, "retry_delay": timedelta(minutes=2), "retry_exponential_backoff": True},
    params={
        "start": Param("", type="string", description="First day (YYYY-MM-DD); empty = end - 365 days"),
        "end": Param("", type="string", description="Day after the last (YYYY-MM-DD); empty = the run's day"),
    },
    tags=["launchdarkly", "usage", "backfill"],
) as dag:

    @task(multiple_outputs=True)
    def backfill_window(params: dict[str, Any], dag_run: Any = None) -> dict[str, str]:
        """The span to fetch: the params if given, else the 365 days before the run (UTC midnights)."""
        reference = dag_run.logical_date or dag_run.run_after
        end = _day(params["end"]) if params["end"] else reference.astimezone(timezone.utc)
        end = end.replace(hour=0, minute=0, second=0, microsecond=0)
        start = _day(params["start"]) if params["start"] else end - timedelta(days=365)
        if start >= end:
            raise ValueError(f"start ({start:%Y-%m-%d}) must be before end ({end:%Y-%m-%d})")
        return {"start": start.isoformat(), "end": end.isoformat()}

    window = backfill_window()

    # [START howto_operator_backfill_year]
    for task_id, operator in BACKFILLED:
        operator(
            task_id=task_id,
            launchdarkly_conn_id=CONN_ID,
            start=window["start"],  # spans over 365 days are split by the operator and merged
            end=window["end"],
            aggregation_type="incremental",  # each day's own figure, comparable across months
            output_path=STORAGE_ROOT + "/backfill",
            hook_params={"max_retries": 8},  # a long run meets more 429s: let the hook wait longer
        )
    # [END howto_operator_backfill_year]


def _day(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
