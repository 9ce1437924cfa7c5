"""A load never loses rows silently, never loads an object under another identity, and takes any table
name: objects truncated at a line boundary (JSON Lines, CSV, gzip, Parquet), changed in place or with a
forged record are refused with the tables compared whole before and after; an object copied under another
name loads as what its rows are; reserved words as table names work and temporary schemas are refused
before any database work; a table of the previous layout gains the provisional columns. On a SQLite file
and on the real PostgreSQL server (``conftest.py``)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageError,
    LaunchDarklyUsageIntegrityError,
    LaunchDarklyUsageValidationError,
)
from airflow_provider_ldusage.landing.reading import read_landed
from airflow_provider_ldusage.landing.rows import UsageRows
from airflow_provider_ldusage.landing.schema import columns_of
from airflow_provider_ldusage.landing.storage import OUTPUT_FORMATS, arguments_hash, land
from airflow_provider_ldusage.transfers._sql import COLUMN_TYPES, ddl, quoting
from airflow_provider_ldusage.transfers.usage_to_sql import LaunchDarklyUsageToSqlOperator
from tests.transfers.conftest import CONN_ID, Database, Landed
from tests.transfers.test_usage_to_sql import load

UTC = timezone.utc
START, END = datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 8, 3, tzinfo=UTC)
OPERATION = "getMAUTotalUsage"
ARGUMENTS = {"group_by": "sdkType"}
CONNECTION = {"conn_id": "launchdarkly_default", "base_url": "http://127.0.0.1:1"}


def _land(root: Path, fmt: str, value: int = 100) -> Path:
    """An object the landing code writes (with its integrity record): two days of hourly buckets for two
    series, 96 rows, provisional until three days after the window."""
    rows = UsageRows(
        BY_OPERATION[OPERATION],
        START,
        END,
        {"group_by": "sdkType", "aggregation": "month_to_date", "granularity": "hourly"},
        filter_set=arguments_hash(ARGUMENTS, **CONNECTION),
    )
    base = int(START.timestamp() * 1000)
    series = [
        {"time": base + hour * 3_600_000, "0": value + hour, "1": value + 2 * hour} for hour in range(48)
    ]
    rows.add(
        {"_links": {}, "metadata": [{"sdkType": "client"}, {"sdkType": "server"}], "series": series},
        window_start=START,
        window_end=END,
        fetched_at=END + timedelta(hours=6),
    )
    rows.mark_finality(True, END + timedelta(days=3))
    landed = land(rows, root, OPERATION, ARGUMENTS, fmt, window_start=START, window_end=END, **CONNECTION)  # type: ignore[arg-type]
    return Path(landed.uri.removeprefix("file://"))


def _contents(database: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return database.contents("launchdarkly_usage"), database.contents("launchdarkly_usage_lists")


def _cut_at_a_line(path: Path) -> None:
    """Truncate a text object at the line boundary nearest its middle: every line left is whole."""
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"\n", 0, len(data) // 2) + 1])


# --- truncated, changed, forged ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_a_truncated_object_is_refused_and_the_tables_stay_whole(
    database: Database, tmp_path: Path, fmt: str
) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    good = _land(tmp_path / "good", fmt)
    load(good.as_uri())  # the window loaded once, whole
    before = _contents(database)
    assert len(before[0]) == 96
    cut = _land(tmp_path / "cut", fmt, value=500)  # a newer landing of the window, then damaged
    if fmt in ("jsonl", "csv"):
        _cut_at_a_line(cut)  # still valid JSON Lines / CSV: only the record shows rows are missing
        assert len(cut.read_bytes().splitlines()) < 96
    else:
        cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    with pytest.raises(LaunchDarklyUsageIntegrityError, match=r"bytes, but its integrity record"):
        load(cut.as_uri())
    assert _contents(database) == before


def test_a_truncated_object_is_refused_before_any_database_is_touched(tmp_path: Path) -> None:
    cut = _land(tmp_path, "jsonl")
    _cut_at_a_line(cut)
    # the connection does not exist: the size check came first
    operator = LaunchDarklyUsageToSqlOperator(task_id="load", sql_conn_id="no_such_conn", source=cut.as_uri())
    with pytest.raises(LaunchDarklyUsageIntegrityError, match=cut.name):
        operator.execute({})  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_an_object_changed_in_place_is_refused_after_its_rows_went_in(
    database: Database, tmp_path: Path, fmt: str
) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    good = _land(tmp_path / "good", fmt)
    load(good.as_uri())
    before = _contents(database)
    changed = _land(tmp_path / "changed", fmt, value=500)
    data = bytearray(changed.read_bytes())
    at = len(data) // 2 if fmt == "parquet" else data.rindex(b"5", 0, len(data) - 50)
    data[at] = ord("9") if data[at] != ord("9") else ord("8")  # one byte, the same size
    changed.write_bytes(bytes(data))
    with pytest.raises(LaunchDarklyUsageIntegrityError, match="SHA-256"):  # Parquet: before its first row
        load(changed.as_uri())
    assert _contents(database) == before


def test_a_record_whose_row_count_is_not_the_objects_is_refused(database: Database, tmp_path: Path) -> None:
    good = _land(tmp_path / "good", "jsonl")
    load(good.as_uri())
    before = _contents(database)
    forged = _land(tmp_path / "forged", "jsonl", value=500)
    (record_path,) = forged.parent.glob(f".{forged.name}.*.integrity.json")
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({**record, "rows": record["rows"] + 1}))
    with pytest.raises(LaunchDarklyUsageIntegrityError, match="96 row"):
        load(forged.as_uri())
    assert _contents(database) == before


def test_a_whole_object_loads_verified(database: Database, tmp_path: Path) -> None:
    result = load(_land(tmp_path, "csv").as_uri())
    assert result["rows_inserted"] == 96 and result["unverified"] == []
    assert [entry["verified"] for entry in result["loaded"]] == [True]


# --- objects without a record ------------------------------------------------------------------------------


def test_an_object_without_its_record_is_refused_unless_allowed(database: Database, tmp_path: Path) -> None:
    path = _land(tmp_path, "jsonl")
    for record in path.parent.glob("*.integrity.json"):
        record.unlink()  # as 0.3.0 landed it, or copied without its record
    with pytest.raises(LaunchDarklyUsageValidationError, match="allow_unverified=True") as raised:
        load(path.as_uri())
    assert raised.value.parameter == "source" and database.tables() == set()  # nothing created
    result = load(path.as_uri(), allow_unverified=True)
    assert result["unverified"] == [path.as_uri()] and result["rows_inserted"] == 96
    assert [entry["verified"] for entry in result["loaded"]] == [False]


# --- an object under another name -------------------------------------------------------------------------


@pytest.mark.parametrize("with_record", [True, False], ids=["with_its_record", "alone"])
def test_an_object_copied_under_another_name_loads_as_what_its_rows_are(
    database: Database, tmp_path: Path, with_record: bool
) -> None:
    original = _land(tmp_path, "jsonl")
    filter_set = original.parent.name
    # the same bytes under another filter set's folder (plain layout: the folder is the filter-set hash)
    copy = original.parent.parent / "feedc0ffee" / original.name
    copy.parent.mkdir()
    shutil.copy(original, copy)
    if with_record:  # a tool that copies the hidden files too, renaming them with the object
        (record,) = original.parent.glob(f".{original.name}.*.integrity.json")
        shutil.copy(record, copy.parent / record.name)
    extra = {} if with_record else {"allow_unverified": True}
    first = load([original.as_uri(), copy.as_uri()], **extra)
    assert [entry["filter_set"] for entry in first["loaded"]] == [filter_set, filter_set]
    assert first["rows_inserted"] == 2 * 96 and first["rows_deleted"] == 96  # the copy replaced the original
    loaded = database.query("SELECT DISTINCT filter_set FROM launchdarkly_usage")
    assert loaded == [(filter_set,)]
    before = _contents(database)
    assert len(before[0]) == 96  # no bucket twice
    again = load([copy.as_uri(), original.as_uri()], **extra)  # re-run: no unique-index failure
    assert again["rows_deleted"] == again["rows_inserted"] == 2 * 96
    assert _contents(database) == before


def test_an_object_whose_rows_disagree_is_refused(database: Database, tmp_path: Path) -> None:
    good = _land(tmp_path / "good", "jsonl")
    load(good.as_uri())
    before = _contents(database)
    mixed = _land(tmp_path / "mixed", "jsonl", value=500)
    lines = mixed.read_bytes().splitlines(keepends=True)
    row = json.loads(lines[-1])
    lines[-1] = (json.dumps({**row, "filter_set": "0000000000"}) + "\n").encode()
    mixed.write_bytes(b"".join(lines))
    for record in mixed.parent.glob("*.integrity.json"):
        record.unlink()
    with pytest.raises(LaunchDarklyUsageIntegrityError, match=r"row 95 is of getMAUTotalUsage/0000000000"):
        load(mixed.as_uri(), allow_unverified=True)
    assert _contents(database) == before


# --- table names ------------------------------------------------------------------------------------------


def test_reserved_words_as_table_names_load_and_reload(
    landed: Landed, database: Database, tmp_path: Path
) -> None:
    names = {"table": "order", "list_table": "user"}  # reserved in SQL, SQLite and PostgreSQL
    source = [_land(tmp_path, "jsonl").as_uri(), landed.summaries["ranking"]]
    first = load(source, **names)
    again = load(source, **names)
    assert first["created"] == ["order", "user"] and again["created"] == []
    assert again["rows_deleted"] == again["rows_inserted"] == first["rows_inserted"]
    (count,) = database.query('SELECT COUNT(*) FROM "order"')
    assert count == (96,)
    (ranked,) = database.query('SELECT COUNT(*) FROM "user"')
    assert ranked == (landed.summaries["ranking"]["rows"],)


def test_generic_databases_quote_the_words_their_dialect_reserves() -> None:
    # MySQL reserves "delayed": the hook's escape_word_format (backticks) quotes it, other names stay bare
    quote = quoting("generic", "`{}`", {"DELAYED", "ORDER"})
    table, index = ddl("generic", "series", "order", quote)
    assert table.startswith("CREATE TABLE `order` (") and "    `delayed` SMALLINT" in table
    assert "    endpoint VARCHAR(255) NOT NULL" in table
    assert index == "CREATE UNIQUE INDEX order_key ON `order` (endpoint, filter_set, time, series_key)"


@pytest.mark.parametrize(
    "name", ["temp.launchdarkly_usage", "TEMP.usage", "pg_temp.usage", "pg_temp_3.usage"]
)
@pytest.mark.parametrize("parameter", ["table", "list_table"])
def test_a_temporary_schema_is_refused_at_parse(name: str, parameter: str) -> None:
    with pytest.raises(
        LaunchDarklyUsageValidationError, match="temporary table ends with the load"
    ) as raised:
        LaunchDarklyUsageToSqlOperator(task_id="load", sql_conn_id=CONN_ID, source=[], **{parameter: name})
    assert (raised.value.parameter, raised.value.value) == (parameter, name)


def test_a_temporary_schema_rendered_by_a_template_is_refused_before_the_database(tmp_path: Path) -> None:
    operator = LaunchDarklyUsageToSqlOperator(
        task_id="load", sql_conn_id="no_such_conn", source=_land(tmp_path, "jsonl").as_uri(), table="{{ t }}"
    )
    operator.table = "temp.usage"  # as rendered
    with pytest.raises(LaunchDarklyUsageValidationError, match="'temp'") as raised:
        operator.execute({})  # type: ignore[arg-type]
    assert raised.value.parameter == "table"


# --- the previous layout's table --------------------------------------------------------------------------


def _previous_layout_table(database: Database) -> None:
    """``launchdarkly_usage`` as 0.3.0 created it (the version-1 columns, unquoted) with one row."""
    types = COLUMN_TYPES[database.kind]  # type: ignore[index]
    columns = columns_of("series", 1)
    lines = ", ".join(f"{c.name} {types[c.type]}{'' if c.nullable else ' NOT NULL'}" for c in columns)
    database.execute(f"CREATE TABLE launchdarkly_usage ({lines})")
    database.execute(
        "INSERT INTO launchdarkly_usage (schema_version, endpoint, filter_set, time, series_key, dimensions, "
        "value) VALUES (1, 'getMAUTotalUsage', 'aaaaaaaaaa', '2026-07-01T00:00:00Z', 'k', '{}', 7)"
    )


def test_a_table_of_the_previous_layout_gains_the_provisional_columns(
    database: Database, tmp_path: Path
) -> None:
    _previous_layout_table(database)
    result = load(_land(tmp_path, "jsonl").as_uri())
    assert result["migrated"] == ["launchdarkly_usage"] and result["created"] == []
    old = database.query(
        "SELECT provisional, final_after FROM launchdarkly_usage WHERE filter_set = ?", ("aaaaaaaaaa",)
    )
    assert old == [(None, None)]  # not recorded in the earlier layout
    new = database.query(
        "SELECT DISTINCT provisional, final_after FROM launchdarkly_usage WHERE filter_set <> ?",
        ("aaaaaaaaaa",),
    )
    assert [(bool(p), str(f).replace(" ", "T").replace("+00:00", "Z")) for p, f in new] == [
        (True, "2026-08-06T00:00:00Z")
    ]
    assert load(_land(tmp_path, "jsonl").as_uri())["migrated"] == []  # once


def test_without_create_table_the_previous_layout_is_refused_with_the_statements(
    database: Database, tmp_path: Path
) -> None:
    _previous_layout_table(database)
    before = _contents(database)
    with pytest.raises(
        LaunchDarklyUsageError, match=r'ALTER TABLE "launchdarkly_usage" ADD COLUMN "provisional"'
    ):
        load(_land(tmp_path, "jsonl").as_uri(), create_table=False)
    assert _contents(database) == before


# --- what is provisional ----------------------------------------------------------------------------------


def test_loaded_rows_say_what_the_summary_says_is_provisional(landed: Landed, database: Database) -> None:
    for summary in [landed.summaries["month"], *landed.summaries["days"][-2:]]:
        load(summary)
        found = database.query(
            "SELECT DISTINCT provisional, final_after FROM launchdarkly_usage WHERE filter_set = ? "
            "AND time >= ? AND time < ?",
            (summary["filter_set"], summary["window_start"], summary["window_end"]),
        )
        ((provisional, final_after),) = found
        assert bool(provisional) is summary["provisional"]
        assert str(final_after).replace(" ", "T").replace("+00:00", "Z") == summary["final_after"]
    # and the landed rows say it too, as the reader gives them
    day = landed.summaries["days"][-1]
    assert {(r["provisional"], r["final_after"]) for r in read_landed(day["path"]).rows()} == {
        (day["provisional"], day["final_after"])
    }
