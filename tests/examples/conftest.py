"""Fixtures for the example-DAG tests: the example DagBag, an emulator whose clock makes September 2026
final, a storage root per test, and helpers that compare landed rows with the emulator's own figures."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.testing.emulator import EmulatorConfig, SeriesQuery

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"
EMULATOR_NOW = datetime(2026, 10, 6, tzinfo=timezone.utc)  # September 2026 settled (lag 6 h + 2 days)

# The monthly close reads its poke interval at parse time; set before the DagBag below parses it.
os.environ["LDUSAGE_EXAMPLE_POKE_SECONDS"] = "0.5"


@pytest.fixture(scope="session")
def example_dags(airflow_db: Path) -> Any:
    """The example folder parsed once, as the DAG processor would."""
    from tests.airflow_compat import dagbag_class

    DagBag = dagbag_class()

    bag = DagBag(dag_folder=str(EXAMPLES))
    assert not bag.import_errors, bag.import_errors
    return bag


@pytest.fixture
def launchdarkly_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(seed=1, now=EMULATOR_NOW)


@pytest.fixture
def storage_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh storage root, given to the DAGs through the ``ldusage_storage_root`` Variable."""
    root = tmp_path / "lake"
    monkeypatch.setenv("AIRFLOW_VAR_LDUSAGE_STORAGE_ROOT", str(root))
    # Flags that exist in the emulator's account, as a deployment would set them.
    flags = [
        {"project_key": "default", "environment_key": "production", "feature_flag_key": key}
        for key in ("new-checkout", "dark-mode", "search-v2")
    ]
    monkeypatch.setenv("AIRFLOW_VAR_LDUSAGE_EVALUATION_FLAGS", json.dumps(flags))
    # The warehouse the DAGs load into: a SQLite file beside the lake (the PostgreSQL loads are tested in
    # tests/transfers against a real server).
    warehouse_db = {"conn_type": "sqlite", "host": str(tmp_path / "warehouse.db")}
    monkeypatch.setenv("AIRFLOW_CONN_LDUSAGE_WAREHOUSE", json.dumps(warehouse_db))
    return root


def warehouse(storage_root: Path) -> Any:
    """A connection to the example DAGs' SQLite warehouse (the file the ``storage_root`` fixture names)."""
    import sqlite3

    return sqlite3.connect(storage_root.parent / "warehouse.db")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


Row = tuple[str, tuple[tuple[str, Any], ...], Any]


def tidy(rows: Iterable[Mapping[str, Any]]) -> Counter[Row]:
    """Landed rows as a multiset of (time, dimensions, value): the series key is checked on its own."""
    return Counter((row["time"], tuple(sorted(row["dimensions"].items())), row["value"]) for row in rows)


def expected(
    emulator: Any,
    operation_id: str,
    start: datetime,
    end: datetime,
    *,
    path: Mapping[str, str] | None = None,
    group_by: Sequence[str] = (),
    aggregation: str | None = None,
    granularity: str | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> Counter[Row]:
    """The same multiset computed by the emulator's data layer, not through the provider."""
    body = emulator.data.series(
        SeriesQuery(
            operation_id,
            start,
            end,
            aggregation=aggregation,
            granularity=granularity,
            filters=filters or {},
            group_by=tuple(group_by),
            path=dict(path or {}),
        ),
        emulator.clock.now(),
    )
    out: Counter[Row] = Counter()
    for point in body["series"]:
        for key, value in point.items():
            if key != "time":
                meta = tuple(sorted(body["metadata"][int(key)].items()))
                out[(iso_ms(point["time"]), meta, value)] += 1
    return out


def objects(folder: Path) -> list[Path]:
    """The final objects under ``folder`` (temporaries and integrity records are hidden dot-files)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def xcom(dag_run: Any, task_id: str, map_index: int = -1) -> Any:
    from airflow.utils.session import create_session

    from tests.airflow_compat import xcom_model, xcom_value

    XComModel = xcom_model()
    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(
                dag_id=dag_run.dag_id,
                run_id=dag_run.run_id,
                task_id=task_id,
                map_index=map_index,
                key="return_value",
            )
            .one()
        )
        value = row.value
    return xcom_value(value)


def states(dag_run: Any) -> dict[tuple[str, int], str]:
    return {(ti.task_id, ti.map_index): str(ti.state) for ti in dag_run.get_task_instances()}
