"""Metrics added with the official client 25.0.1, built on the same cells-and-facts machinery as
:mod:`.facts`, so their aggregations, granularities, filters and groupings agree with each other.

Also rebuilds two older metrics with the dimensions 25.0.1 added:

* ``data_export``: one cell per environment, event kind and Streaming destination. Hidden destinations carry
  ``destinationId`` ``hidden`` and ``destinationName`` ``Unknown destination`` (so they pool into one
  series); usage without a destination has ``destinationKind`` ``unknown``, an empty ``destinationId`` and
  ``destinationName`` ``Unattributed``. Cells with ``legacy`` ``true`` are pre-materialization rows with no
  project id: they are served only when the emulator is told to (see :class:`.freshness.DataExportSwitches`).
* ``evaluations``: a flag's variations beyond the first :data:`MAX_VARIATION_SERIES` are pooled into one
  series with ``variation`` ``other`` and ``value`` ``Other Variations``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow_provider_ldusage.catalogue import AUTO_LENGTH
from airflow_provider_ldusage.testing.emulator.account import DATA_EXPORT_EVENT_KINDS, Account
from airflow_provider_ldusage.testing.emulator.facts import Cell, Metric, _cells, _salt

UTC = timezone.utc
MAX_VARIATION_SERIES = 10
OTHER_VARIATIONS = {"variation": "other", "value": "Other Variations"}
HIDDEN_DESTINATION = {"destinationId": "hidden", "destinationName": "Unknown destination"}
UNATTRIBUTED = {"destinationKind": "unknown", "destinationId": "", "destinationName": "Unattributed"}


def _env_dims(account: Account) -> list[dict[str, str]]:
    ids = {p.key: p.id for p in account.projects}
    return [
        {
            "projectKey": env.project_key,
            "projectId": ids[env.project_key],
            "environmentKey": env.key,
            "environmentId": env.id,
        }
        for env in account.environments
    ]


def extended_metrics(account: Account, seed: int) -> list[Metric]:
    """The metrics of the 25.0.1 operations, plus the rebuilt ``data_export`` and ``evaluations``."""
    data_export: list[dict[str, str]] = []
    warehouse: list[dict[str, str]] = []
    ai_runs: list[dict[str, str]] = []
    for base in _env_dims(account):
        env_key, project_key = base["environmentKey"], base["projectKey"]
        mine = [
            d for d in account.destinations if d.project_key == project_key and d.environment_key == env_key
        ]
        for destination in mine:
            if destination.warehouse:
                warehouse.append(
                    {
                        **base,
                        "destinationKind": destination.kind,
                        "destinationId": destination.id,
                        "destinationName": destination.name,
                        "destinationViewable": "true",
                    }
                )
                continue
            shown = (
                {"destinationId": destination.id, "destinationName": destination.name}
                if destination.viewable
                else HIDDEN_DESTINATION
            )
            viewable = "true" if destination.viewable else "false"
            for kind in DATA_EXPORT_EVENT_KINDS:
                data_export.append(
                    {
                        **base,
                        "eventKind": kind,
                        "destinationKind": destination.kind,
                        **shown,
                        "destinationViewable": viewable,
                        "legacy": "false",
                    }
                )
        data_export.append(
            {**base, "eventKind": "custom", **UNATTRIBUTED, "destinationViewable": "false", "legacy": "false"}
        )
        for sdk in account.sdks_by_environment[base["environmentId"]]:
            ai_runs.append({**base, "sdkName": sdk.name, "sdkVersion": sdk.versions[-1], "sdkType": sdk.type})
    # Pre-materialization rows: usage of the first project's environments recorded without a project id.
    first = account.projects[0].key
    data_export += [
        {
            **base,
            "projectId": "",
            "eventKind": "feature",
            **UNATTRIBUTED,
            "destinationViewable": "false",
            "legacy": "true",
        }
        for base in _env_dims(account)
        if base["projectKey"] == first
    ]
    projects = [{"projectKey": p.key, "projectId": p.id} for p in account.projects]
    metrics = [
        Metric("data_export", _cells(seed, "data_export", 1200, data_export)),
        Metric("warehouse_export", _cells(seed, "warehouse_export", 3000, warehouse)),
        Metric("ai_runs", _cells(seed, "ai_runs", 250, ai_runs)),
        Metric("observability_metrics", _cells(seed, "observability_metrics", 48000, projects)),
        Metric("vega_ai", _cells(seed, "vega_ai", 40, projects)),
        Metric("evaluations", _evaluation_cells(account, seed)),
    ]
    return [Metric(m.name, m.cells, m.decimals, _salt(m.name)) for m in metrics]


def _evaluation_cells(account: Account, seed: int) -> tuple[Cell, ...]:
    """Every evaluation cell of a drawn account; none for a sized one (see :func:`flag_evaluation_cells`)."""
    if account.generated_flags is not None:
        return ()
    rows: list[dict[str, str]] = []
    for base in _env_dims(account):
        for flag in account.flags:
            if flag.project_key == base["projectKey"]:
                rows += [
                    {**base, "featureFlagKey": flag.key, "variation": str(i), "value": value}
                    for i, value in enumerate(flag.variations)
                ]
    return _pooled(_cells(seed, "evaluations", 6000, rows))


def _pooled(cells: tuple[Cell, ...]) -> tuple[Cell, ...]:
    # Salts and sizes come from the real variation, so pooling never changes a figure, only its label.
    return tuple(
        Cell({**cell.dims, **OTHER_VARIATIONS}, cell.salt, cell.scale)
        if int(cell.dims["variation"]) >= MAX_VARIATION_SERIES
        else cell
        for cell in cells
    )


def flag_evaluation_cells(
    account: Account, seed: int, project_key: str, environment_key: str, flag_key: str
) -> tuple[Cell, ...]:
    """The evaluation cells of one flag in one environment of a sized account, computed when asked for:
    one per variation, each cell's size drawn from its own dimensions (so a flag's figures do not depend
    on how many other flags the account has). Empty when the flag or environment does not exist."""
    project = account.project(project_key)
    env = account.environment(project_key, environment_key)
    flag = account.flag(project_key, flag_key)
    if project is None or env is None or flag is None:
        return ()
    base = {
        "projectKey": project.key,
        "projectId": project.id,
        "environmentKey": env.key,
        "environmentId": env.id,
        "featureFlagKey": flag.key,
    }
    rows = [{**base, "variation": str(i), "value": value} for i, value in enumerate(flag.variations)]
    return _pooled(_cells(seed, "evaluations", 6000, rows))


# --- series rules of the 25.0.1 families ------------------------------------------------------------------

_MINUTELY_UNDER = timedelta(hours=2)
_HOURLY_UNDER = timedelta(days=2)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


def length_granularity(start: datetime, end: datetime, now: datetime) -> tuple[str, datetime]:
    """Family D' (evaluations): the bucket follows the range's length; minutely data is kept for the
    family's retention, so an older short range is served hourly from the start of its hour."""
    length = end - start
    if length >= _HOURLY_UNDER:
        return "daily", start
    if length >= _MINUTELY_UNDER:
        return "hourly", start
    retention = AUTO_LENGTH.minutely_retention_days
    if retention is not None and start < now - timedelta(days=retention):
        return "hourly", start.replace(minute=0, second=0, microsecond=0)
    return "minutely", start
