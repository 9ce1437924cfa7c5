"""Loading landed usage into SQL, on a SQLite file and on a real PostgreSQL server: first load, re-runs,
overlapping backfills, loads killed mid-way, the month's MAU by query, and bad input refused early."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.reading import read_landed
from airflow_provider_ldusage.transfers._sql import ddl
from airflow_provider_ldusage.transfers.usage_to_sql import LaunchDarklyUsageToSqlOperator
from tests.transfers.conftest import CONN_ID, SEPTEMBER, Database, Landed
from tests.transfers.killing import kill_when_marked

ROOT = Path(__file__).resolve().parents[2]
KEY_COLUMNS = "endpoint, filter_set, time, series_key, value"


def load(source: Any, **kwargs: Any) -> dict[str, Any]:
    operator = LaunchDarklyUsageToSqlOperator(task_id="load", sql_conn_id=CONN_ID, source=source, **kwargs)
    return operator.execute({})  # type: ignore[arg-type]


def facts(database: Database) -> list[tuple[str, ...]]:
    """What a bucket says (endpoint, filter set, time, series, value), sorted, as text."""
    rows = database.query(f"SELECT {KEY_COLUMNS} FROM launchdarkly_usage")
    return sorted((e, f, _instant(t), k, _num(v)) for e, f, t, k, v in rows)


def _instant(value: Any) -> str:
    return value if isinstance(value, str) else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def expected_facts(landed: Landed, *task_ids: str) -> list[tuple[str, ...]]:
    """The same, read from the landed objects (later objects replace earlier ones, bucket by bucket)."""
    found: dict[tuple[str, ...], str] = {}
    for task_id in task_ids:
        for path in landed.paths(task_id):
            for row in read_landed(path).rows():
                found[(row["endpoint"], row["filter_set"], row["time"], row["series_key"])] = _num(
                    row["value"]
                )
    return sorted((*key, value) for key, value in found.items())


def test_first_load_creates_the_tables_and_holds_every_landed_row(landed: Landed, database: Database) -> None:
    result = load(landed.summaries["month"])
    month_rows = landed.summaries["month"]["rows"]
    assert (result["objects"], result["rows_inserted"], result["rows_deleted"]) == (1, month_rows, 0)
    assert result["method"] == ("copy" if database.kind == "postgresql" else "executemany")
    assert result["created"] == ["launchdarkly_usage"] and "launchdarkly_usage" in database.tables()
    assert facts(database) == expected_facts(landed, "month") and len(facts(database)) == month_rows
    # the columns are the version-1 layout, typed per dialect (timestamps are timestamps in PostgreSQL)
    (row,) = database.query("SELECT time, dimensions, delayed FROM launchdarkly_usage ORDER BY time LIMIT 1")
    if database.kind == "postgresql":
        assert row[0].tzinfo is not None and isinstance(row[1], dict)
    else:
        assert row[0] == "2026-09-01T00:00:00Z" and json.loads(row[1]).keys() == {"sdkType"}


def test_rerun_of_the_same_window_changes_nothing(landed: Landed, database: Database) -> None:
    load(landed.summaries["month"])
    before = database.contents()
    again = load(landed.summaries["month"])
    assert again["rows_deleted"] == again["rows_inserted"] == landed.summaries["month"]["rows"]
    assert database.contents() == before


@pytest.mark.parametrize("order", ["days_then_month", "month_then_days"])
def test_overlapping_backfills_never_duplicate(landed: Landed, database: Database, order: str) -> None:
    tasks = ("days", "month") if order == "days_then_month" else ("month", "days")
    for task_id in tasks:
        load(landed.summaries[task_id])
    assert facts(database) == expected_facts(landed, *tasks)
    # the same buckets as September loaded alone: no day twice, none lost (September is final, so the daily
    # objects' figures are the month's)
    assert facts(database) == expected_facts(landed, "month")
    (dupes,) = database.query(
        "SELECT COUNT(*) FROM (SELECT endpoint, filter_set, time, series_key FROM launchdarkly_usage "
        "GROUP BY endpoint, filter_set, time, series_key HAVING COUNT(*) > 1) AS d"
    )
    assert dupes == (0,)


def test_summaries_of_several_tasks_and_lookback_windows_load_in_one_go(
    landed: Landed, database: Database
) -> None:
    # A summary with lookback windows (as lookback=N gives): the earlier windows load too, before it.
    days = landed.summaries["days"]
    with_lookback = {**days[-1], "lookback": days[:-1]}
    result = load([with_lookback, None, [landed.summaries["ranking"]]])
    assert result["objects"] == len(days) + 1
    assert facts(database) == expected_facts(landed, "days")
    ranking = database.query("SELECT position, item FROM launchdarkly_usage_lists ORDER BY position")
    items = [i if isinstance(i, dict) else json.loads(i) for _, i in ranking]
    assert [p for p, _ in ranking] == list(range(landed.summaries["ranking"]["rows"]))
    assert [i["rank"] for i in items] == sorted(i["rank"] for i in items)


def test_parquet_objects_load_like_json_lines(landed: Landed, database: Database) -> None:
    load(landed.summaries["month_parquet"])
    parquet = facts(database)
    load(landed.summaries["month"])
    # the same filter set and window: the JSON Lines object replaced the Parquet one bucket for bucket
    assert parquet == facts(database) == expected_facts(landed, "month")


def test_the_months_mau_by_query_is_the_emulators_figure(landed: Landed, database: Database) -> None:
    load([landed.summaries["total"], landed.summaries["month"]])
    total = landed.summaries["total"]
    # September's MAU: the month-to-date figure of its last day, summed over the ungrouped filter set
    (row,) = database.query(
        "SELECT SUM(value) FROM launchdarkly_usage WHERE endpoint = ? AND filter_set = ? AND time = ?",
        ("getMAUTotalUsage", total["filter_set"], "2026-09-30T00:00:00Z"),
    )
    body = requests.get(
        landed.url + "/api/v2/usage/total-mau",
        params={"from": _ms(SEPTEMBER[0]), "to": _ms(SEPTEMBER[1])},
        headers={"Authorization": landed.token, "LD-API-Version": "beta"},
        timeout=10,
    ).json()
    figure = body["series"][-1]["0"]
    assert int(row[0]) == figure > 0
    # and the grouped filter set sums to the same figure (the emulator's SDK types partition the contexts)
    (grouped,) = database.query(
        "SELECT SUM(value) FROM launchdarkly_usage WHERE filter_set = ? AND time = ?",
        (landed.summaries["month"]["filter_set"], "2026-09-30T00:00:00Z"),
    )
    assert int(grouped[0]) == figure


def _ms(moment: Any) -> str:
    return str(int(moment.timestamp() * 1000))


def test_an_error_mid_load_leaves_the_tables_as_they_were(
    landed: Landed, database: Database, tmp_path: Path
) -> None:
    # An object that breaks half way (its last line cut), after a good object was already inserted.
    good = Path(landed.paths("days")[0].removeprefix("file://"))
    broken = tmp_path / good.parent.parent.name / good.parent.name / good.name.replace("20260920", "20260919")
    broken.parent.mkdir(parents=True)
    lines = good.read_text().splitlines()
    broken.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2] + "\n")
    source = [landed.summaries["month"], broken.as_uri()]
    # the tables did not exist: they still do not
    with pytest.raises(ValueError):
        load(source)
    assert database.tables() == set()
    # they existed, with rows: the same rows
    load(landed.summaries["days"])
    before = database.contents()
    with pytest.raises(ValueError):
        load(source)
    assert database.contents() == before


KILLED_LOAD = """
import pathlib, sys, time
from airflow_provider_ldusage.transfers import _sql
from airflow_provider_ldusage.transfers.usage_to_sql import LaunchDarklyUsageToSqlOperator

real = _sql.insert_batches
marker = pathlib.Path(sys.argv[1])

def slow(cursor, sql, tuples, batch_size):
    class Watched:
        batches = 0
        def executemany(self, q, batch):
            cursor.executemany(q, batch)
            Watched.batches += 1
            if Watched.batches == 3:  # rows are going in: say so, then wait to be killed
                marker.write_text("inserting")
                time.sleep(120)
    return real(Watched(), sql, tuples, batch_size)

_sql.insert_batches = slow
op = LaunchDarklyUsageToSqlOperator(
    task_id="load", sql_conn_id=sys.argv[2], source=sys.argv[3:], fast_path=False, batch_size=200
)
op.execute({})
"""


def test_a_load_killed_mid_way_leaves_the_tables_as_they_were(
    landed: Landed, database: Database, tmp_path: Path
) -> None:
    load(landed.summaries["month"])
    before = database.contents()
    year = landed.summaries["year"]
    assert year["rows"] > 2000  # enough rows for several batches
    kill_when_marked(KILLED_LOAD, tmp_path, [CONN_ID, *landed.paths("days"), year["path"]])
    assert database.contents() == before
    assert "launchdarkly_usage" in database.tables() and len(before) == landed.summaries["month"]["rows"]


def test_a_table_of_another_layout_is_refused_untouched(landed: Landed, database: Database) -> None:
    database.execute("CREATE TABLE launchdarkly_usage (endpoint TEXT, day TEXT, mau INTEGER)")
    database.execute("INSERT INTO launchdarkly_usage VALUES ('getMAUTotalUsage', '2026-09-01', 5)")
    with pytest.raises(
        LaunchDarklyUsageError, match=r"launchdarkly_usage has the columns \['endpoint', 'day'"
    ):
        load(landed.summaries["month"])
    assert database.query("SELECT * FROM launchdarkly_usage") == [("getMAUTotalUsage", "2026-09-01", 5)]


def test_without_create_table_a_missing_table_is_an_error(landed: Landed, database: Database) -> None:
    with pytest.raises(LaunchDarklyUsageError, match="create_table=False"):
        load(landed.summaries["month"], create_table=False)
    assert database.tables() == set()


def test_the_documented_ddl_is_what_the_loader_creates(landed: Landed, database: Database) -> None:
    load([landed.summaries["month"], landed.summaries["ranking"]])
    dialect = "postgresql" if database.kind == "postgresql" else "sqlite"
    if database.kind == "sqlite":
        created = dict(database.query("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index')"))
        for layout, table in (("series", "launchdarkly_usage"), ("list", "launchdarkly_usage_lists")):
            table_sql, index_sql = ddl(dialect, layout, table)  # type: ignore[arg-type]
            assert created[table] == table_sql and created[f"{table}_key"] == index_sql
    else:
        types = dict(
            database.query(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'launchdarkly_usage'"
            )
        )
        assert (types["time"], types["value"], types["dimensions"], types["delayed"]) == (
            "timestamp with time zone",
            "numeric",
            "jsonb",
            "boolean",
        )


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"table": "usage; DROP TABLE x"}, "table"),
        ({"list_table": "launchdarkly_usage"}, "list_table"),
        ({"batch_size": 0}, "batch_size"),
        ({"sql_conn_id": ""}, "sql_conn_id"),
    ],
)
def test_bad_arguments_are_refused_at_parse(kwargs: dict[str, Any], parameter: str) -> None:
    arguments = {"task_id": "load", "sql_conn_id": CONN_ID, "source": [], **kwargs}
    with pytest.raises(LaunchDarklyUsageValidationError, match=parameter):
        LaunchDarklyUsageToSqlOperator(**arguments)


def test_a_bad_source_is_refused_before_the_database(tmp_path: Path) -> None:
    # The connection does not exist: the error is about the source, so nothing reached a database.
    operator = LaunchDarklyUsageToSqlOperator(
        task_id="load", sql_conn_id="no_such_conn", source=[{"rows": 3}]
    )
    with pytest.raises(LaunchDarklyUsageValidationError, match="source"):
        operator.execute({})  # type: ignore[arg-type]
    operator.source = [str(tmp_path / "notes.txt")]
    with pytest.raises(ValueError, match="not a landed usage object"):
        operator.execute({})  # type: ignore[arg-type]


def test_the_docs_show_the_ddl_the_loader_runs() -> None:
    from airflow_provider_ldusage.transfers._sql import DIALECTS

    page = (ROOT / "docs" / "sql_load.rst").read_text()
    for dialect in DIALECTS:
        for layout, table in (("series", "launchdarkly_usage"), ("list", "launchdarkly_usage_lists")):
            for statement in ddl(dialect, layout, table):  # type: ignore[arg-type]
                block = "\n".join("   " + line for line in (statement + ";").splitlines())
                assert block in page, f"{dialect} {layout}: {statement.splitlines()[0]}"


def test_rows_outside_an_objects_window_replace_only_their_own_bucket_and_series(
    landed: Landed, database: Database, tmp_path: Path
) -> None:
    load(landed.summaries["month"])
    before = facts(database)
    # Another series at a bucket the next object holds outside its window: not the object's, so it stays.
    database.execute(
        "INSERT INTO launchdarkly_usage SELECT schema_version, endpoint, filter_set, request, window_start, "
        "window_end, time, 'other-series', dimensions, value, unit, aggregation, granularity, fetched_at, "
        "data_through, delayed, provisional, final_after FROM launchdarkly_usage "
        "WHERE time = '2026-09-15T00:00:00Z' LIMIT 1"
    )
    # September's rows in an object of September's first day (as LaunchDarkly answering with buckets the
    # window only touches would land): 29 of its 30 days lie outside the window its rows say.
    month = Path(landed.paths("month")[0].removeprefix("file://"))
    narrow = (
        tmp_path / month.parent.parent.name / month.parent.name / "20260901T000000Z_20260902T000000Z.jsonl"
    )
    narrow.parent.mkdir(parents=True)
    first_day = {"window_start": "2026-09-01T00:00:00Z", "window_end": "2026-09-02T00:00:00Z"}
    narrow.write_text("".join(json.dumps({**row, **first_day}) + "\n" for row in read_landed(month).rows()))
    result = load(narrow.as_uri(), allow_unverified=True)  # written by hand: no integrity record
    assert result["rows_inserted"] == landed.summaries["month"]["rows"]
    # every bucket of the object replaced (the unique index would refuse a duplicate), the stranger kept
    after = facts(database)
    assert [f for f in after if f[3] != "other-series"] == before
    assert [f[2:4] for f in after if f[3] == "other-series"] == [("2026-09-15T00:00:00Z", "other-series")]
