"""The SQL side of loading landed usage: DDL per dialect, and replace-then-insert in one transaction.

Imported only when a load runs (it needs ``apache-airflow-providers-common-sql``: the ``sql`` extra).

Dialects: ``sqlite`` and ``postgresql`` are tested against real databases (a SQLite file and a PostgreSQL
server); every other ``DbApiHook`` gets the ``generic`` DDL (portable types, timestamps as ISO-8601 text) and
plain batched inserts. The column types come from the layouts in
:mod:`airflow_provider_ldusage.landing.schema` (:data:`COLUMN_TYPES`), so the DDL is written once for every
column.

The replacement rule: a series object replaces the rows of its endpoint and filter set whose bucket time
lies in its window, and a row of the object outside its window (rare: LaunchDarkly answering with a bucket
the window only touches) replaces just its own bucket of its own series; a list object replaces the rows
of its endpoint, filter set and window (or as-of instant). An object with no rows still replaces its
window: LaunchDarkly said there is nothing there.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageConfigError,
    LaunchDarklyUsageError,
    LaunchDarklyUsageValidationError,
)
from airflow_provider_ldusage.landing.schema import Column, Layout, columns_of

Dialect = Literal["sqlite", "postgresql", "generic"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql", "generic")

#: Logical type (schema.py) -> SQL type, per dialect.
COLUMN_TYPES: dict[Dialect, dict[str, str]] = {
    # SQLite: ISO-8601 text sorts and compares as time; NUMERIC keeps integers integers and floats floats.
    "sqlite": {
        "int": "INTEGER",
        "number": "NUMERIC",
        "string": "TEXT",
        "json": "TEXT",
        "bool": "INTEGER",
        "timestamp": "TEXT",
    },
    "postgresql": {
        "int": "BIGINT",
        "number": "NUMERIC",
        "string": "TEXT",
        "json": "JSONB",
        "bool": "BOOLEAN",
        "timestamp": "TIMESTAMPTZ",
    },
    # Anything else: types every SQL database has; timestamps as ISO-8601 text (with Z) sort correctly.
    "generic": {
        "int": "BIGINT",
        "number": "DOUBLE PRECISION",
        "string": "VARCHAR(255)",
        "json": "VARCHAR(4000)",
        "bool": "SMALLINT",
        "timestamp": "VARCHAR(32)",
    },
}
#: The columns that identify a series row; unique per table, so no load can ever duplicate a bucket.
SERIES_KEY = ("endpoint", "filter_set", "time", "series_key")
LIST_KEY = ("endpoint", "filter_set", "window_start", "as_of")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def check_table_name(parameter: str, name: object) -> str:
    """``name`` if it is a plain SQL identifier, optionally schema-qualified (never quoted or interpolated
    unchecked).

    :raises LaunchDarklyUsageValidationError: naming ``parameter``.
    """
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise LaunchDarklyUsageValidationError(
            parameter,
            name,
            "a table name: letters, digits and _, optionally schema-qualified (analytics.usage)",
        )
    return name


def ddl(dialect: Dialect, layout: Layout, table: str) -> list[str]:
    """The statements that create ``table`` for ``layout`` in ``dialect``: the table and its index."""
    types = COLUMN_TYPES[dialect]
    lines = ",\n".join(
        f"    {c.name} {types[c.type]}{'' if c.nullable else ' NOT NULL'}" for c in columns_of(layout)
    )
    schema, _, bare = table.rpartition(".")
    # SQLite names the index's schema on the index (CREATE INDEX main.x ON t); the others on the table.
    name, target = (
        (f"{schema}.{bare}_key", bare) if schema and dialect == "sqlite" else (f"{bare}_key", table)
    )
    if layout == "series":
        index = f"CREATE UNIQUE INDEX {name} ON {target} ({', '.join(SERIES_KEY)})"
    else:
        index = f"CREATE INDEX {name} ON {target} ({', '.join(LIST_KEY)})"
    return [f"CREATE TABLE {table} (\n{lines}\n)", index]


def db_api_hook(conn_id: str) -> Any:
    """The ``common.sql`` ``DbApiHook`` of connection ``conn_id``.

    :raises LaunchDarklyUsageConfigError: when ``apache-airflow-providers-common-sql`` is missing (the
        message names the extra).
    :raises LaunchDarklyUsageValidationError: naming ``sql_conn_id`` when the connection's hook is not a
        ``DbApiHook`` (an HTTP or cloud-storage connection, say).
    """
    try:
        from airflow.providers.common.sql.hooks.sql import DbApiHook
    except ImportError as error:
        raise LaunchDarklyUsageConfigError(
            "Loading into SQL needs apache-airflow-providers-common-sql: "
            "pip install 'airflow-provider-ldusage[sql]' (and the database's provider)"
        ) from error
    from airflow.sdk import BaseHook

    hook = BaseHook.get_connection(conn_id).get_hook()
    if not isinstance(hook, DbApiHook):
        raise LaunchDarklyUsageValidationError(
            "sql_conn_id",
            conn_id,
            f"a connection whose hook is a common.sql DbApiHook (its hook is a {type(hook).__name__})",
        )
    return hook


def dialect_of(hook: Any) -> Dialect:
    """The dialect of a ``DbApiHook``: from its ``dialect_name`` (common.sql 1.20+) or connection type."""
    name = ""
    try:
        name = str(getattr(hook, "dialect_name", "") or "")
    except Exception:  # some hooks compute it from a SQLAlchemy URL they cannot build
        name = ""
    name = name or str(getattr(hook, "conn_type", "") or "")
    name = name.lower()
    if name.startswith("sqlite"):
        return "sqlite"
    if name.startswith("postgres"):
        return "postgresql"
    return "generic"


def _cell(value: Any, kind: str, dialect: Dialect) -> Any:
    """A row value as the dialect's driver takes it (executemany)."""
    if value is None:
        return None
    if kind == "json":
        return _JSON(value)
    if kind == "bool" and dialect != "postgresql":
        return 1 if value else 0
    return value


def records(rows: Iterable[dict[str, Any]], columns: Sequence[Column], dialect: Dialect) -> Iterator[tuple]:
    """Rows (version 1, as read) as tuples in column order, typed for the dialect."""
    pairs = [(c.name, c.type) for c in columns]
    for row in rows:
        yield tuple(_cell(row.get(name), kind, dialect) for name, kind in pairs)


class CsvStream(io.RawIOBase):
    """Tuples as CSV text for ``COPY … FROM STDIN``, produced as the driver reads (no whole file in memory).

    ``None`` is written as ``\\N`` (the ``NULL`` marker of the COPY statement), booleans as ``t``/``f``.
    """

    def __init__(self, rows: Iterator[tuple]) -> None:
        self._rows = rows
        self._buffer = b""
        self.count = 0
        self.error: BaseException | None = None  # what reading the rows raised, if anything
        self._sink = io.StringIO()
        self._writer = csv.writer(self._sink, lineterminator="\n")

    def readable(self) -> bool:
        return True

    def _fill(self, size: int) -> None:
        while len(self._buffer) < size:
            batch = []
            for row in self._rows:
                batch.append([_copy_cell(v) for v in row])
                if len(batch) >= 1000:
                    break
            if not batch:
                return
            self.count += len(batch)
            self._writer.writerows(batch)
            self._buffer += self._sink.getvalue().encode()
            self._sink.seek(0)
            self._sink.truncate()

    def read(self, size: int = -1) -> bytes:
        try:
            self._fill(size if size and size > 0 else 1 << 62)
        except BaseException as error:  # psycopg2 turns it into "COPY failed": keep it for the loader
            self.error = error
            raise
        if size is None or size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def readline(self, size: int | None = -1) -> bytes:  # psycopg2 may ask for lines
        try:
            self._fill(1 << 16)
        except BaseException as error:
            self.error = error
            raise
        end = self._buffer.find(b"\n") + 1 or len(self._buffer)
        data, self._buffer = self._buffer[:end], self._buffer[end:]
        return data


def _copy_cell(value: Any) -> Any:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    return value


@dataclass
class LoadResult:
    """What one object's load did.

    :param uri: the object.
    :param inserted: rows inserted.
    :param deleted: rows its replacement removed.
    """

    uri: str
    table: str
    inserted: int
    deleted: int


@dataclass
class Loader:
    """Replace-then-insert of landed objects into one or two tables, inside one open transaction.

    :param cursor: a DB-API cursor of the connection the caller commits or rolls back.
    :param dialect: the database's dialect.
    :param placeholder: the driver's parameter marker (``?`` or ``%s``).
    :param fast_path: use ``COPY`` on PostgreSQL.
    :param batch_size: rows per ``executemany`` call.
    """

    cursor: Any
    dialect: Dialect
    placeholder: str
    fast_path: bool = True
    batch_size: int = 5000
    created: list[str] = field(default_factory=list)
    method: str = "executemany"

    # --- tables -----------------------------------------------------------------------------------------

    def existing_columns(self, table: str) -> list[str]:
        """The columns of ``table`` in order, lower-cased; empty when it does not exist.

        Unquoted names are case-insensitive in SQL (PostgreSQL folds them to lower case, some databases to
        upper case), so the table is looked up, and its columns compared, without regard to case.
        """
        schema, _, bare = table.rpartition(".")
        if self.dialect == "sqlite":
            self.cursor.execute(f"PRAGMA {schema + '.' if schema else ''}table_info({bare})")
            return [str(_first(row, 1)).lower() for row in self.cursor.fetchall()]
        mark = self.placeholder
        if self.dialect == "postgresql":  # unquoted identifiers fold to lower case
            name = f"table_name = {mark}"
            where = f"table_schema = {mark}" if schema else "table_schema = current_schema()"
            parameters: tuple[str, ...] = (bare.lower(), schema.lower()) if schema else (bare.lower(),)
        else:
            name = f"LOWER(table_name) = {mark}"
            where = f"LOWER(table_schema) = {mark}" if schema else "1 = 1"
            parameters = (bare.lower(), schema.lower()) if schema else (bare.lower(),)
        self.cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE {name} AND {where} ORDER BY ordinal_position",
            parameters,
        )
        return [str(_first(row, 0)).lower() for row in self.cursor.fetchall()]

    def lock(self, table: str) -> None:
        """Serialise loads into ``table`` until this transaction ends (PostgreSQL: a transaction-level
        advisory lock, so concurrent loads — mapped tasks, overlapping runs — queue instead of racing to
        create the table or to insert a bucket twice; SQLite: ``BEGIN IMMEDIATE`` already does)."""
        if self.dialect == "postgresql":
            self.cursor.execute(
                f"SELECT pg_advisory_xact_lock(hashtext({self.placeholder}))",
                (f"airflow_provider_ldusage:{table.lower()}",),
            )
            self.cursor.fetchall()

    def ensure_table(self, table: str, layout: Layout, create: bool) -> None:
        """Create ``table`` when missing (if allowed); refuse a table whose columns are another layout's."""
        expected = [c.name for c in columns_of(layout)]
        found = self.existing_columns(table)
        if found == expected:
            return
        if found:
            raise LaunchDarklyUsageError(
                f"Table {table} has the columns {found}, not the {layout} layout version 1 {expected}: it "
                "was created by another release or by hand. Nothing was loaded. Migrate it or load into "
                "another table (docs: Loading into SQL, 'Schema versions')."
            )
        if not create:
            raise LaunchDarklyUsageError(
                f"Table {table} does not exist and create_table=False; create it with the DDL in the docs "
                "(Loading into SQL) or set create_table=True"
            )
        for statement in ddl(self.dialect, layout, table):
            self.cursor.execute(statement)
        self.created.append(table)

    # --- replacing --------------------------------------------------------------------------------------

    def replace(self, table: str, obj: Any) -> LoadResult:
        """Delete what ``obj`` (a :class:`~airflow_provider_ldusage.landing.reading.LandedObject`) replaces,
        then insert its rows."""
        deleted = self._delete(table, obj)
        if obj.layout != "series":
            return LoadResult(obj.uri, table, self._insert(table, obj.layout, obj.rows()), deleted)
        # One streaming pass: rows inside the window go straight in (the window was just cleared); the rare
        # rows outside it are kept aside and replace exactly their own bucket and series afterwards.
        outside: list[dict[str, Any]] = []
        inserted = self._insert(
            table, "series", _inside(obj.rows(), obj.window_start, obj.window_end, outside)
        )
        if outside:
            mark = self.placeholder
            keys = [(obj.endpoint, obj.filter_set, r["time"], r["series_key"]) for r in outside]
            for key in keys:
                self.cursor.execute(
                    f"DELETE FROM {table} WHERE endpoint = {mark} AND filter_set = {mark} "
                    f"AND time = {mark} AND series_key = {mark}",
                    key,
                )
                deleted += max(self.cursor.rowcount or 0, 0)
            inserted += self._insert(table, "series", outside)
        return LoadResult(obj.uri, table, inserted, deleted)

    def _delete(self, table: str, obj: Any) -> int:
        mark = self.placeholder
        if obj.layout == "series":
            if obj.window_start is None or obj.window_end is None:  # the operator refuses these earlier
                raise LaunchDarklyUsageError(f"{obj.uri}: a series object without a window cannot be loaded")
            sql = (
                f"DELETE FROM {table} WHERE endpoint = {mark} AND filter_set = {mark} "
                f"AND time >= {mark} AND time < {mark}"
            )
            self.cursor.execute(sql, (obj.endpoint, obj.filter_set, obj.window_start, obj.window_end))
        elif obj.window_start is not None:
            sql = (
                f"DELETE FROM {table} WHERE endpoint = {mark} AND filter_set = {mark} "
                f"AND window_start = {mark} AND window_end = {mark}"
            )
            self.cursor.execute(sql, (obj.endpoint, obj.filter_set, obj.window_start, obj.window_end))
        else:
            sql = (
                f"DELETE FROM {table} WHERE endpoint = {mark} AND filter_set = {mark} "
                f"AND window_start IS NULL AND as_of = {mark}"
            )
            self.cursor.execute(sql, (obj.endpoint, obj.filter_set, obj.as_of))
        count = self.cursor.rowcount
        return count if isinstance(count, int) and count >= 0 else 0

    def _insert(self, table: str, layout: Layout, rows: Iterable[dict[str, Any]]) -> int:
        columns = columns_of(layout)
        names = ", ".join(c.name for c in columns)
        tuples = records(rows, columns, self.dialect)
        if self.fast_path and self.dialect == "postgresql":
            copied = self._copy(table, names, tuples)
            if copied is not None:
                return copied
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join([self.placeholder] * len(columns))})"
        return insert_batches(self.cursor, sql, tuples, self.batch_size)

    def _copy(self, table: str, names: str, tuples: Iterator[tuple]) -> int | None:
        """``COPY`` the tuples in (psycopg2 ``copy_expert`` or psycopg 3 ``copy``); the row count, or None
        when the driver has neither."""
        statement = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        stream = CsvStream(tuples)
        if hasattr(self.cursor, "copy_expert"):  # psycopg2
            try:
                self.cursor.copy_expert(statement, stream, size=1 << 16)
            except Exception as error:
                # psycopg2 reports an exception raised while reading the rows as "COPY failed: error in
                # .read() call"; raise the rows' own error (a broken object, say) instead.
                if stream.error is not None and stream.error is not error:
                    raise stream.error from error
                raise
        elif hasattr(self.cursor, "copy"):  # psycopg 3
            with self.cursor.copy(statement) as copy:
                while chunk := stream.read(1 << 16):
                    copy.write(chunk)
        else:
            return None
        self.method = "copy"
        return stream.count


def insert_batches(cursor: Any, sql: str, tuples: Iterable[tuple], batch_size: int) -> int:
    """``executemany`` in batches of ``batch_size``; returns the rows inserted."""
    count = 0
    batch: list[tuple] = []
    for record in tuples:
        batch.append(record)
        if len(batch) >= batch_size:
            cursor.executemany(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)
        count += len(batch)
    return count


def _first(row: Any, index: int) -> Any:
    """Cell ``index`` of a fetched row, also from cursors that return mappings (``RealDictCursor``)."""
    if isinstance(row, dict):
        return list(row.values())[index]
    return row[index]


def _inside(
    rows: Iterable[dict[str, Any]], start: str, end: str, outside: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The rows whose bucket lies in ``[start, end)``; the others are appended to ``outside``."""
    low, high = _instant(start), _instant(end)
    for row in rows:
        text = row["time"]
        # The reader writes every instant as YYYY-MM-DDTHH:MM:SSZ: such text compares as time.
        if len(text) == len(start) == len(end) == 20:
            inside = start <= text < end
        else:
            inside = low <= _instant(text) < high
        if inside:
            yield row
        else:
            outside.append(row)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
