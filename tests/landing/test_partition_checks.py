"""The Hive layout's checks before any request, for ``lookback`` windows too, and where list endpoints land.

The operators run ``execute`` here with the context Airflow gives (the DAG and the run's dates) and a stand-in
for Airflow's outlet-event accessor; the emulator records every request that reaches it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import DAG

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.reading import read_landed
from airflow_provider_ldusage.landing.rows import UsageRows
from airflow_provider_ldusage.landing.schema import SERIES_NAMES
from airflow_provider_ldusage.landing.storage import land
from airflow_provider_ldusage.operators.usage import (
    LaunchDarklyDataExportProjectRankingOperator,
    LaunchDarklyMauTotalUsageOperator,
    LaunchDarklySdkAllVersionsOperator,
)

UTC = timezone.utc
TUESDAY = datetime(2026, 5, 12, 6, tzinfo=UTC)  # a run of a weekday schedule


class _Events(dict):  # type: ignore[type-arg]
    """Airflow's outlet-event accessor as ``_land`` uses it: ``events[alias].add(asset, extra=…)``."""

    def __missing__(self, key: Any) -> Any:
        recorder = self[key] = _Recorder()
        return recorder


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[Any, Any]] = []

    def add(self, asset: Any, extra: Any = None) -> None:
        self.events.append((asset, extra))


def _context(dag: DAG, moment: datetime) -> dict[str, Any]:
    return {
        "dag": dag,
        "logical_date": moment,
        "data_interval_start": moment,
        "data_interval_end": moment,
        "outlet_events": _Events(),
        "ti": None,
    }


def test_a_lookback_window_that_fits_no_partition_is_refused_before_any_request(
    launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    # A weekday schedule: Tuesday's run reads Monday; lookback=2 re-reads Friday's day and then Monday's
    # run's three days [Fri, Mon) — which no day= partition holds. Checked before Friday's request too.
    with DAG("weekdays", schedule="0 6 * * 1-5", start_date=datetime(2026, 1, 1, tzinfo=UTC)) as dag:
        op = LaunchDarklyMauTotalUsageOperator(
            task_id="mau", output_path=str(tmp_path), partition_by="day", lookback=2
        )
    with pytest.raises(LaunchDarklyUsageValidationError) as raised:
        op.execute(_context(dag, TUESDAY))  # type: ignore[arg-type]
    message = str(raised.value)
    assert "partition_by='day'" in message and "2026-05-08T00:00:00Z..2026-05-11T00:00:00Z" in message
    assert "use partition_by='month' or partition_by=None for the window" in message  # what would fit
    assert launchdarkly_emulator.requests == [] and not any(tmp_path.rglob("*.jsonl"))

    # the same run partitioned by month fits: three objects, each in its month's folder
    with DAG("weekdays_month", schedule="0 6 * * 1-5", start_date=datetime(2026, 1, 1, tzinfo=UTC)) as dag:
        op = LaunchDarklyMauTotalUsageOperator(
            task_id="mau", output_path=str(tmp_path), partition_by="month", lookback=2
        )
    summary = op.execute(_context(dag, TUESDAY))  # type: ignore[arg-type]
    assert len(launchdarkly_emulator.requests) == 3
    windows = [(s["window_start"], s["window_end"]) for s in [*summary["lookback"], summary]]
    assert windows == [
        ("2026-05-07T00:00:00Z", "2026-05-08T00:00:00Z"),
        ("2026-05-08T00:00:00Z", "2026-05-11T00:00:00Z"),
        ("2026-05-11T00:00:00Z", "2026-05-12T00:00:00Z"),
    ]
    assert {p.parent.name for p in tmp_path.rglob("*.jsonl")} == {"month=2026-05"}


def test_a_window_across_months_names_partition_by_none_as_the_fix() -> None:
    from airflow_provider_ldusage.landing.storage import check_partition

    with pytest.raises(LaunchDarklyUsageValidationError) as raised:
        check_partition("month", datetime(2026, 4, 28, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC))
    assert str(raised.value) == (
        "Invalid partition_by='month': use partition_by=None (the plain layout) for the window "
        "2026-04-28T00:00:00Z..2026-05-02T00:00:00Z: a month partition holds windows inside one UTC month; "
        "or schedule windows that fit"
    )
    with pytest.raises(LaunchDarklyUsageValidationError) as raised:
        check_partition("week", None, None)
    assert (
        str(raised.value)
        == "Invalid partition_by='week': 'month', 'day', or partition_by=None for the plain layout"
    )


def test_list_endpoints_land_in_the_partition_of_their_as_of_date_or_window(
    launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    with DAG("lists", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)) as dag:
        versions = LaunchDarklySdkAllVersionsOperator(
            task_id="versions", output_path=str(tmp_path), output_format="csv.gz", partition_by="day"
        )
        ranking = LaunchDarklyDataExportProjectRankingOperator(
            task_id="ranking",
            output_path=str(tmp_path),
            output_format="parquet",
            partition_by="month",
            start="2026-05-01T00:00:00Z",
            end="2026-06-01T00:00:00Z",
        )
    as_of = datetime(2026, 6, 10, 7, 30, tzinfo=UTC)
    listed = versions.execute(_context(dag, as_of))  # type: ignore[arg-type]
    ranked = ranking.execute(_context(dag, as_of))  # type: ignore[arg-type]
    root = tmp_path.as_uri()
    assert listed["path"].startswith(f"{root}/operation=getSdkAllVersions/day=2026-06-10/")
    assert listed["path"].endswith("_asof_20260610T073000Z.csv.gz")
    assert listed["dataset"] == f"{root}/operation=getSdkAllVersions"  # the Asset: the operation's table
    assert ranked["path"].startswith(f"{root}/operation=getDataExportProjectRanking/month=2026-05/")
    assert ranked["path"].endswith("_20260501T000000Z_20260601T000000Z.parquet")
    for summary in (listed, ranked):
        obj = read_landed(summary["path"])
        rows = list(obj.rows())
        assert obj.layout == "list" and len(rows) == summary["rows"] > 0
        assert obj.filter_set == summary["filter_set"] == rows[0]["filter_set"]
    assert read_landed(listed["path"]).as_of == "2026-06-10T07:30:00Z"


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "jsonl.gz"])
def test_text_format_hive_trees_read_as_one_table(tmp_path: Path, fmt: str) -> None:
    # The Parquet tree is read in test_hive_layout.py; pyarrow reads the text formats' trees (gzip
    # decompressed by extension) as one table with the same partition columns.
    ds = pytest.importorskip("pyarrow.dataset")
    total = 0
    for operation, metadata in (
        ("getMAUTotalUsage", [{"sdkType": "client"}, {"sdkType": "server"}]),
        ("getObservabilityErrorsUsage", [{"service": "checkout"}, {"service": "search"}]),
    ):
        for day in (1, 2, 3):
            start, end = datetime(2026, 5, day, tzinfo=UTC), datetime(2026, 5, day + 1, tzinfo=UTC)
            rows = UsageRows(
                BY_OPERATION[operation], start, end, {"granularity": "daily"}, filter_set="f" * 10
            )
            point = {"time": int(start.timestamp() * 1000), "0": 10 * day, "1": 10 * day + 1}
            rows.add({"metadata": metadata, "series": [point]}, fetched_at=end)
            total += sum(r["value"] for r in rows.iter_dicts())
            land(
                rows,
                str(tmp_path),
                operation,
                {},
                fmt,  # type: ignore[arg-type]
                window_start=start,
                window_end=end,
                partition_by="day",
            )
    dataset = ds.dataset(tmp_path, format="csv" if fmt.startswith("csv") else "json", partitioning="hive")
    table = dataset.to_table()
    assert table.num_rows == 2 * 3 * 2
    assert table.column_names == [*SERIES_NAMES, "operation", "day"]
    assert sum(table.column("value").to_pylist()) == total
    assert {str(d) for d in table.column("day").to_pylist()} == {"2026-05-01", "2026-05-02", "2026-05-03"}
    assert set(table.column("operation").to_pylist()) == {"getMAUTotalUsage", "getObservabilityErrorsUsage"}
