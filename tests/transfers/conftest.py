"""Fixtures for the SQL-load tests: a real PostgreSQL server (once per session), a SQLite file, and a set
of objects the usage operators landed from the emulator (once per session)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.transfers.pg_server import PostgresServer, postgres_server

UTC = timezone.utc
EMULATOR_NOW = datetime(2026, 10, 6, tzinfo=UTC)  # September 2026 settled
SEPTEMBER = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
CONN_ID = "ldusage_warehouse_test"
_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL 16 server on 127.0.0.1, started for the session and stopped (data removed) after it.

    Its data lives in a folder of its own under the system's temp directory, not under pytest's
    ``pytest-of-<user>``: as root the server runs as another user, who needs to traverse every parent
    folder, and each new pytest session (another run on the same machine) makes ``pytest-of-<user>``
    private again, which would cut a running server off from its own files.
    """
    folder = Path(tempfile.mkdtemp(prefix="ldusage-test-pg-"))
    try:
        with postgres_server(folder) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Database:
    """One empty database and the Airflow connection (``CONN_ID``) that reaches it."""

    kind: str
    connect: Any

    def query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = self.connect()
        try:
            cursor = conn.cursor()
            cursor.execute(sql.replace("?", "%s") if self.kind == "postgresql" else sql, parameters)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            conn.close()

    def execute(self, sql: str) -> None:
        conn = self.connect()
        try:
            conn.cursor().execute(sql)
            conn.commit()
        finally:
            conn.close()

    def tables(self) -> set[str]:
        if self.kind == "sqlite":
            return {r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        return {r[0] for r in self.query(sql)}

    def contents(self, table: str = "launchdarkly_usage") -> list[tuple[Any, ...]]:
        """Every row, as comparable text, sorted: what 'the table is unchanged' compares."""
        if table not in self.tables():
            return []
        return sorted(tuple(str(v) for v in row) for row in self.query(f"SELECT * FROM {table}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    """An empty database of each kind, reachable as the Airflow connection ``CONN_ID``."""
    if request.param == "sqlite":
        import sqlite3

        path = tmp_path / "warehouse.db"
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({"conn_type": "sqlite", "host": str(path)})
        )
        yield Database("sqlite", lambda: sqlite3.connect(path))
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    import psycopg2

    name = f"load_{next(_databases)}_{os.getpid()}"
    admin = server.connect()
    admin.autocommit = True  # type: ignore[attr-defined]
    admin.cursor().execute(f"CREATE DATABASE {name}")  # type: ignore[attr-defined]
    conn = {
        "conn_type": "postgres",
        "host": server.host,
        "port": server.port,
        "login": server.user,
        "schema": name,
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
    try:
        yield Database(
            "postgresql",
            lambda: psycopg2.connect(host=server.host, port=server.port, user=server.user, dbname=name),
        )
    finally:
        admin.cursor().execute(f"DROP DATABASE {name} WITH (FORCE)")  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


@dataclass
class Landed:
    """Objects the usage operators landed from the emulator, by task, and the emulator's URL and token."""

    summaries: dict[str, Any]
    url: str
    token: str
    root: Path

    def paths(self, task_id: str) -> list[str]:
        found = self.summaries[task_id]
        return [s["path"] for s in (found if isinstance(found, list) else [found])]


LANDING_DAG = """
from datetime import datetime, timezone
from airflow_provider_ldusage.compat import DAG
from airflow_provider_ldusage.operators.usage import (
    LaunchDarklyContextsTotalUsageOperator,
    LaunchDarklyDataExportProjectRankingOperator,
    LaunchDarklyMauTotalUsageOperator,
)
OUT = {out!r}
SEPTEMBER = {{"start": "2026-09-01T00:00:00Z", "end": "2026-10-01T00:00:00Z"}}
with DAG(DAG_ID, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyMauTotalUsageOperator(task_id="month", group_by="sdkType", output_path=OUT, **SEPTEMBER)
    LaunchDarklyMauTotalUsageOperator.partial(
        task_id="days", group_by="sdkType", output_path=OUT
    ).expand_kwargs({days!r})
    LaunchDarklyMauTotalUsageOperator(task_id="total", output_path=OUT, **SEPTEMBER)
    LaunchDarklyMauTotalUsageOperator(
        task_id="month_parquet", group_by="sdkType", output_path=OUT + "/parquet", output_format="parquet",
        **SEPTEMBER,
    )
    LaunchDarklyDataExportProjectRankingOperator(task_id="ranking", output_path=OUT, **SEPTEMBER)
    # A big object: a year of daily contexts by project, environment and SDK (the kill test loads it).
    LaunchDarklyContextsTotalUsageOperator(
        task_id="year", group_by=["projectId", "environmentId", "sdkName"], aggregation_type="incremental",
        start="2025-10-01T00:00:00Z", end="2026-10-01T00:00:00Z", output_path=OUT,
    )
"""


@pytest.fixture(scope="session")
def landed(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Landed]:
    """Lands, in one DAG run against the emulator: September (by SDK type), its last eleven days one by one,
    the ungrouped September total, September as Parquet, the project ranking, and a year of contexts."""
    from airflow.utils.session import create_session

    from airflow_provider_ldusage.testing.emulator import EmulatorConfig
    from airflow_provider_ldusage.testing.emulator.server import run_emulator
    from tests.airflow_compat import xcom_model, xcom_value
    from tests.dag_runs import DagRunner

    XComModel = xcom_model()

    # The scratch DAG folder tests/conftest.py configured (importing tests.conftest would run it again).
    bundles = json.loads(os.environ["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
    dags_folder = Path(next(b["kwargs"]["path"] for b in bundles if b["name"] == "tmp_dags"))

    out = tmp_path_factory.mktemp("lake")
    days = [
        {
            "start": (SEPTEMBER[1] - timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": (SEPTEMBER[1] - timedelta(days=n - 1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for n in range(11, 0, -1)
    ]
    with run_emulator(EmulatorConfig(seed=1, now=EMULATOR_NOW)) as emulator:
        conn = {"conn_type": "launchdarkly", "host": emulator.url, "password": emulator.token}
        previous = os.environ.get("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT")
        os.environ["AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT"] = json.dumps(conn)
        try:  # only for the landing run: the session's other tests see the environment as it was
            dag_run = DagRunner(dags_folder)(LANDING_DAG.format(out=str(out), days=days))
        finally:
            if previous is None:
                os.environ.pop("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT", None)
            else:
                os.environ["AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT"] = previous
        assert dag_run.state == "success"
        summaries: dict[str, Any] = {}
        with create_session() as session:
            for row in session.query(XComModel).filter_by(
                dag_id=dag_run.dag_id, run_id=dag_run.run_id, key="return_value"
            ):
                value = xcom_value(row.value)
                if row.map_index >= 0:
                    summaries.setdefault(row.task_id, []).append((row.map_index, value))
                else:
                    summaries[row.task_id] = value
        summaries["days"] = [v for _, v in sorted(summaries["days"])]
        yield Landed(summaries, emulator.url, emulator.token, out)
