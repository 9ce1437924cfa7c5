"""The SQL load's guarantees where they are easiest to break: an error in the middle of the rows (COPY and
executemany), a COPY killed mid-stream, concurrent loads, an object with no rows, psycopg2 as well as
psycopg 3, schema-qualified and mixed-case table names, a source rendered as text, and arguments refused
before any database work. On a SQLite file and on the real PostgreSQL server (``conftest.py``)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.reading import read_landed
from airflow_provider_ldusage.transfers import _sql
from airflow_provider_ldusage.transfers.usage_to_sql import LaunchDarklyUsageToSqlOperator
from tests.transfers.conftest import CONN_ID, Database, Landed
from tests.transfers.killing import kill_when_marked
from tests.transfers.test_usage_to_sql import expected_facts, facts, load

ROOT = Path(__file__).resolve().parents[2]


class Boom(RuntimeError):
    """The fault injected in the middle of a load."""


@contextmanager
def fail_after(rows: int) -> Iterator[list[int]]:
    """Within the block the loader's row stream raises :class:`Boom` after ``rows`` rows have gone to the
    database; yields the count of rows that went."""
    sent = [0]
    real = _sql.records

    def records(*args: Any, **kwargs: Any) -> Iterator[tuple[Any, ...]]:
        for record in real(*args, **kwargs):
            if sent[0] == rows:
                raise Boom(f"injected after {rows} rows")
            sent[0] += 1
            yield record

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_sql, "records", records)
        yield sent


@pytest.mark.parametrize("fast_path", [True, False], ids=["copy", "executemany"])
def test_an_error_in_the_middle_of_the_rows_leaves_the_tables_as_they_were(
    landed: Landed, database: Database, fast_path: bool
) -> None:
    year = landed.summaries["year"]
    assert year["rows"] > 2000
    # 1. the tables did not exist: after the failure they still do not. 1,500 rows went in before the
    #    fault: 15 executemany batches, or several 64 KiB chunks of COPY data already on the server.
    with fail_after(1500) as sent, pytest.raises(Boom):
        load(year, fast_path=fast_path, batch_size=100)
    assert sent[0] == 1500 and database.tables() == set()
    # 2. they existed with rows (the days, in a first load): the same rows, not one more or less
    load(landed.summaries["days"])
    before = database.contents()
    assert before
    days_rows = sum(day["rows"] for day in landed.summaries["days"])
    with fail_after(days_rows + 1500) as sent, pytest.raises(Boom):  # the days replaced, then the year's
        load([*landed.summaries["days"], year], fast_path=fast_path, batch_size=100)
    assert sent[0] == days_rows + 1500 and database.contents() == before
    # 3. and the next load works: the failure left no lock and no half-open transaction behind
    load(landed.summaries["month"], fast_path=fast_path)
    assert facts(database) == expected_facts(landed, "days", "month")


KILLED_COPY = """
import pathlib, sys, time
from airflow_provider_ldusage.transfers import _sql
from airflow_provider_ldusage.transfers.usage_to_sql import LaunchDarklyUsageToSqlOperator

marker = pathlib.Path(sys.argv[1])
real_read = _sql.CsvStream.read
chunks = [0]

def read(self, size=-1):
    chunks[0] += 1
    if chunks[0] == 4:  # three chunks of CSV are on the server: say so, then wait to be killed
        marker.write_text(str(self.count))
        time.sleep(120)
    return real_read(self, 4096 if size is None or size < 0 else min(size, 4096))

_sql.CsvStream.read = read
op = LaunchDarklyUsageToSqlOperator(task_id="load", sql_conn_id=sys.argv[2], source=sys.argv[3:])
op.execute({})
"""


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # COPY is PostgreSQL's
def test_a_copy_killed_mid_stream_leaves_the_table_as_it_was(
    landed: Landed, database: Database, tmp_path: Path
) -> None:
    load(landed.summaries["month"])
    before = database.contents()
    paths = [landed.summaries["month"]["path"], landed.summaries["year"]["path"]]  # the month's COPY is cut
    sent = kill_when_marked(KILLED_COPY, tmp_path, [CONN_ID, *paths])
    assert int(sent) > 0  # rows were formatted and sent
    assert database.contents() == before


def test_concurrent_loads_of_overlapping_windows_queue_and_never_duplicate(
    landed: Landed, database: Database
) -> None:
    days = landed.summaries["days"]
    # four loads at once into an empty database, each of four days, overlapping by three days, and the month
    sources = [days[i : i + 4] for i in range(0, 8, 2)] + [landed.summaries["month"]]
    errors: list[BaseException] = []
    start = threading.Barrier(len(sources))

    def run(source: Any) -> None:
        try:
            start.wait()
            load(source)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(source,)) for source in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    # September is settled: whatever the order, each bucket is there once, with the month's figure
    assert facts(database) == expected_facts(landed, "month")


def _empty_copy(summary: dict[str, Any], folder: Path) -> str:
    """An object of the same operation, filter set and window, with no rows (what a quiet day lands),
    written by the landing code (so with its integrity record)."""
    from datetime import datetime

    from airflow_provider_ldusage.catalogue import BY_OPERATION
    from airflow_provider_ldusage.landing.rows import UsageRows
    from airflow_provider_ldusage.landing.storage import storage_path, write_rows

    source = Path(summary["path"].removeprefix("file://"))
    target = folder / source.parent.parent.name / source.parent.name / source.name
    start, end = (
        datetime.fromisoformat(summary[k].replace("Z", "+00:00")) for k in ("window_start", "window_end")
    )
    rows = UsageRows(BY_OPERATION[summary["endpoint"]], start, end, filter_set=summary["filter_set"])
    write_rows(rows, storage_path(target), "jsonl")
    return target.as_uri()


def test_an_object_with_no_rows_still_replaces_its_window(
    landed: Landed, database: Database, tmp_path: Path
) -> None:
    load(landed.summaries["month"])
    day = landed.summaries["days"][3]
    empty = _empty_copy(day, tmp_path)
    result = load(empty)
    assert (result["rows_inserted"], result["rows_deleted"]) == (0, day["rows"])
    gone = {(row["time"], row["series_key"]) for row in read_landed(day["path"]).rows()}
    kept = [f for f in expected_facts(landed, "month") if (f[2], f[3]) not in gone]
    assert len(kept) == landed.summaries["month"]["rows"] - day["rows"]
    assert facts(database) == kept


def _set_connection_extra(monkeypatch: pytest.MonkeyPatch, **extra: Any) -> None:
    variable = f"AIRFLOW_CONN_{CONN_ID.upper()}"
    monkeypatch.setenv(variable, json.dumps({**json.loads(os.environ[variable]), "extra": extra}))


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
@pytest.mark.parametrize("cursor", [None, "realdictcursor"])
def test_psycopg2_loads_through_copy_expert_too(
    landed: Landed, database: Database, monkeypatch: pytest.MonkeyPatch, cursor: str | None
) -> None:
    """The postgres provider uses psycopg 3 with SQLAlchemy 2 and psycopg2 otherwise (Airflow 3.1)."""
    from airflow.providers.postgres.hooks import postgres

    monkeypatch.setattr(postgres, "USE_PSYCOPG3", False)
    if cursor:  # a connection whose cursors return dicts
        _set_connection_extra(monkeypatch, cursor=cursor)
    first = load(landed.summaries["month"])
    again = load(landed.summaries["month"])
    assert first["method"] == again["method"] == "copy"
    assert again["rows_deleted"] == again["rows_inserted"] == landed.summaries["month"]["rows"]
    assert facts(database) == expected_facts(landed, "month")
    before = database.contents()
    # psycopg2 reports an error raised while it reads the COPY data as its own; the loader raises the cause
    with fail_after(1500), pytest.raises(Boom):
        load([landed.summaries["month"], landed.summaries["year"]])
    assert database.contents() == before


def test_schema_qualified_and_mixed_case_table_names(landed: Landed, database: Database) -> None:
    schema = "main" if database.kind == "sqlite" else "analytics"
    if database.kind == "postgresql":
        database.execute("CREATE SCHEMA analytics")
    names = {"table": f"{schema}.Usage_Series", "list_table": f"{schema}.Usage_Lists"}
    source = [landed.summaries["month"], landed.summaries["ranking"]]
    first = load(source, **names)
    again = load(source, **names)  # found again (unquoted names are case-insensitive): not re-created
    assert first["created"] == [names["table"], names["list_table"]] and again["created"] == []
    assert again["rows_deleted"] == again["rows_inserted"] == first["rows_inserted"]
    (count,) = database.query(f"SELECT COUNT(*) FROM {schema}.usage_series")
    assert count == (landed.summaries["month"]["rows"],)


def test_a_source_rendered_as_text_by_a_template_loads(landed: Landed, database: Database) -> None:
    # Jinja without render_template_as_native_obj gives the summary's repr; a JSON text is read too
    load(str(landed.summaries["month"]))
    load(json.dumps([landed.summaries["days"][:2]]))
    assert facts(database) == expected_facts(landed, "month")


def test_nothing_to_load_touches_no_database() -> None:
    operator = LaunchDarklyUsageToSqlOperator(task_id="load", sql_conn_id="no_such_conn", source=[None, []])
    result = operator.execute({})  # type: ignore[arg-type]
    assert (result["objects"], result["rows_inserted"], result["method"]) == (0, 0, None)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"create_table": "yes"}, "create_table"),
        ({"fast_path": 1}, "fast_path"),
        ({"table": "analytics.usage.series"}, "table"),
        ({"table": "1usage"}, "table"),
        ({"list_table": "usage--x"}, "list_table"),
        ({"batch_size": True}, "batch_size"),
    ],
)
def test_more_bad_arguments_name_their_parameter(kwargs: dict[str, Any], parameter: str) -> None:
    arguments = {"task_id": "load", "sql_conn_id": CONN_ID, "source": [], **kwargs}
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        LaunchDarklyUsageToSqlOperator(**arguments)
    assert caught.value.parameter == parameter


def test_a_series_object_without_a_window_is_refused_before_the_database(tmp_path: Path) -> None:
    path = tmp_path / "getMAUTotalUsage" / "0123456789" / "asof_20260901T000000Z.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("")
    operator = LaunchDarklyUsageToSqlOperator(task_id="load", sql_conn_id="no_such_conn", source=str(path))
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        operator.execute({})  # type: ignore[arg-type]
    assert caught.value.parameter == "source"


def test_a_connection_that_is_not_sql_is_refused(landed: Landed, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "launchdarkly", "host": landed.url, "password": "api-secret-token"}
    monkeypatch.setenv("AIRFLOW_CONN_NOT_SQL", json.dumps(conn))
    operator = LaunchDarklyUsageToSqlOperator(
        task_id="load", sql_conn_id="not_sql", source=landed.summaries["month"]
    )
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        operator.execute({})  # type: ignore[arg-type]
    assert caught.value.parameter == "sql_conn_id" and "DbApiHook" in str(caught.value)
    assert "api-secret-token" not in str(caught.value)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # SQLite connections have no password
def test_the_result_and_the_log_carry_no_secret(
    landed: Landed, database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # the test server trusts loopback: the password is sent, and ignored
    variable = f"AIRFLOW_CONN_{CONN_ID.upper()}"
    conn = {**json.loads(os.environ[variable]), "password": "db-secret-pw"}
    monkeypatch.setenv(variable, json.dumps(conn))
    with caplog.at_level("DEBUG"):
        result = load(landed.summaries["month"])
    assert result["rows_inserted"] == landed.summaries["month"]["rows"]
    assert "db-secret-pw" not in json.dumps(result) and "db-secret-pw" not in caplog.text
