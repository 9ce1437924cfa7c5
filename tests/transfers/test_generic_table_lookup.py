"""A database of the generic dialect finds an unqualified table where the load's own statements would
write it: a same-named table in another schema is not it (PostgreSQL on loopback, driven as generic)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_ldusage.transfers._sql import Loader
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
    loader = Loader(connection.cursor(), "generic", "%s")
    assert loader.existing_columns("lookup_usage") == []  # only elsewhere has one
    assert loader.existing_columns("elsewhere.lookup_usage") == ["endpoint", "other_column"]


def test_the_table_of_the_current_schema_is_found_in_column_order(connection: Any) -> None:
    connection.cursor().execute("CREATE TABLE public.lookup_usage (b_col TEXT, a_col BIGINT, Endpoint TEXT)")
    connection.commit()
    loader = Loader(connection.cursor(), "generic", "%s")
    assert loader.existing_columns("lookup_usage") == ["b_col", "a_col", "endpoint"]
    assert loader.existing_columns("missing_anywhere") == []
