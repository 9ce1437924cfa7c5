"""The tables a load writes: a database of the generic dialect finds an unqualified table where the
load's own statements would write it, never a same-named table of another schema (PostgreSQL on loopback,
driven as generic); the list table, like the series table, has a unique index on what identifies a row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_ldusage.transfers._sql import DIALECTS, Loader, ddl
from tests.transfers.pg_server import PostgresServer


@pytest.fixture
def connection(postgres: PostgresServer) -> Iterator[Any]:
    conn: Any = postgres.connect()
    cursor = conn.cursor()
    cursor.execute("DROP SCHEMA IF EXISTS elsewhere CASCADE")
    cursor.execute("DROP TABLE IF EXISTS public.lookup_usage")
    cursor.execute("CREATE SCHEMA elsewhere")
    cursor.execute("CREATE TABLE elsewhere.lookup_usage (endpoint TEXT, other_column TEXT)")
    conn.commit()
    try:
        yield conn
    finally:
        conn.rollback()
        conn.cursor().execute("DROP SCHEMA IF EXISTS elsewhere CASCADE")
        conn.cursor().execute("DROP TABLE IF EXISTS public.lookup_usage")
        conn.commit()
        conn.close()


def test_a_same_named_table_in_another_schema_is_not_the_table(connection: Any) -> None:
    # The schema the hook's SQLAlchemy dialect names as the default (what usage_to_sql passes).
    loader = Loader(connection.cursor(), "generic", "%s", default_schema="public")
    assert loader.existing_columns("lookup_usage") == []  # only elsewhere has one
    assert loader.existing_columns("elsewhere.lookup_usage") == ["endpoint", "other_column"]


def test_without_a_default_schema_the_database_resolves_the_name(connection: Any) -> None:
    loader = Loader(connection.cursor(), "generic", "%s")
    assert loader.existing_columns("missing_anywhere") == []
    assert loader.existing_columns("lookup_usage") == []  # only elsewhere has one
    connection.rollback()  # PostgreSQL ends a transaction at the failed look-up of the missing table


@pytest.mark.parametrize("schema", ["public", None])
def test_the_table_of_the_current_schema_is_found_in_column_order(
    connection: Any, schema: str | None
) -> None:
    connection.cursor().execute("CREATE TABLE public.lookup_usage (b_col TEXT, a_col BIGINT, Endpoint TEXT)")
    connection.commit()
    loader = Loader(connection.cursor(), "generic", "%s", default_schema=schema)
    assert loader.existing_columns("lookup_usage") == ["b_col", "a_col", "endpoint"]
    assert loader.existing_columns("missing_anywhere") == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_list_table_has_a_unique_index_on_a_rows_snapshot_and_place(dialect: str) -> None:
    _, index = ddl(dialect, "list", "launchdarkly_usage_lists", lambda word: word)  # type: ignore[arg-type]
    assert index == (
        "CREATE UNIQUE INDEX launchdarkly_usage_lists_key ON launchdarkly_usage_lists "
        "(endpoint, filter_set, window_start, window_end, as_of, position)"
    )
