"""The SQL side of loading landed usage: DDL per dialect, and replace-then-insert in one transaction.

Imported only when a load runs (it needs ``apache-airflow-providers-common-sql``: the ``sql`` extra).

Dialects: ``sqlite`` and ``postgresql`` are tested against real databases (a SQLite file and a PostgreSQL
server); every other ``DbApiHook`` gets the ``generic`` DDL (portable types, timestamps as ISO-8601 text) and
plain batched inserts. The column types come from the layouts in
:mod:`airflow_provider_ldusage.landing.schema` (:data:`COLUMN_TYPES`), so the DDL is written once for every
column.

Names: table and column names are plain identifiers (checked), quoted in every statement so a reserved word
(``order``, ``user``; MySQL's ``delayed``) is a name like any other: SQLite and PostgreSQL get ``"name"``
in lower case (what an unquoted name means there, so a table made by hand without quotes is the same
table), other databases their hook's ``escape_word_format`` for the words their SQLAlchemy dialect
reserves. Temporary schemas (``temp``, ``pg_temp``) are refused: their tables end with the load's
connection.

The replacement rule: a series object replaces the rows of its endpoint and filter set whose bucket time
lies in its window, and a row of the object outside its window (rare: LaunchDarkly answering with a bucket
the window only touches) replaces just its own bucket of its own series; a list object replaces the rows
of its endpoint, filter set and window (or as-of instant). An object with no rows still replaces its
window: LaunchDarkly said there is nothing there. The endpoint, filter set and window are the ones its
rows say (its manifest's, which the writer took from the rows; for an object without one, its first
row's), never only its file name: an object copied under another name replaces what its rows are, and a
row of another identity in the same object refuses the load.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageConfigError,
    LaunchDarklyUsageError,
    LaunchDarklyUsageIntegrityError,
    LaunchDarklyUsageValidationError,
)
from airflow_provider_ldusage.landing.schema import SCHEMA_VERSION, Column, Layout, columns_of

log = logging.getLogger(__name__)

Dialect = Literal["sqlite", "postgresql", "generic"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql", "generic")

#: Logical type (landing/schema.py) -> SQL type, per dialect.
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
#: The columns that identify a list row (its snapshot, then its place in it); unique per table too. A
#: snapshot has either a window or an ``as_of``, the other is null: databases that compare nulls as equal
#: in a unique index (SQL Server, Oracle, Db2) refuse a duplicated row from two concurrent loads, the
#: others (PostgreSQL, SQLite: serialised by their lock instead; MySQL) let nulls differ.
LIST_KEY = ("endpoint", "filter_set", "window_start", "window_end", "as_of", "position")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")
#: Schemas whose tables live only as long as the connection that made them (SQLite, PostgreSQL).
_TEMPORARY = re.compile(r"^(temp|pg_temp(_\d+)?)$", re.IGNORECASE)
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
    schema = name.rpartition(".")[0]
    if _TEMPORARY.match(schema):
        raise LaunchDarklyUsageValidationError(
            parameter,
            name,
            f"a table in a permanent schema, not {schema!r}: a temporary table ends with the load's "
            "connection, so the rows would be gone as soon as the load committed; name the table alone "
            "(launchdarkly_usage) or in a permanent schema (analytics.launchdarkly_usage)",
        )
    return name


#: Quotes one identifier for a dialect.
Quote = Callable[[str], str]


def quoting(dialect: Dialect, escape_format: str | None = None, reserved: Iterable[str] = ()) -> Quote:
    """The quoting of identifiers in ``dialect``.

    SQLite and PostgreSQL: every identifier in double quotes, lower-cased — what the unquoted name means
    in both (PostgreSQL folds unquoted names to lower case; SQLite ignores their case), so quoting changes
    nothing but lets a reserved word be a name. Other databases: ``escape_format`` (the hook's
    ``escape_word_format``, such as MySQL's backticks) for the ``reserved`` words, other names unquoted.
    """
    if dialect in ("sqlite", "postgresql"):
        return lambda word: '"' + word.lower() + '"'
    words = {w.upper() for w in reserved}
    if not escape_format or "{}" not in escape_format:
        return lambda word: word
    return lambda word: escape_format.format(word) if word.upper() in words else word


def quoted(name: str, quote: Quote) -> str:
    """A possibly schema-qualified table name, each part quoted."""
    return ".".join(quote(part) for part in name.split("."))


def ddl(dialect: Dialect, layout: Layout, table: str, quote: Quote | None = None) -> list[str]:
    """The statements that create ``table`` for ``layout`` in ``dialect``: the table and its index.

    :param quote: how identifiers are quoted (default: the dialect's :func:`quoting`).
    """
    q = quote or quoting(dialect)
    types = COLUMN_TYPES[dialect]
    lines = ",\n".join(
        f"    {q(c.name)} {types[c.type]}{'' if c.nullable else ' NOT NULL'}" for c in columns_of(layout)
    )
    schema, _, bare = table.rpartition(".")
    # SQLite names the index's schema on the index (CREATE INDEX main.x ON t); the others on the table.
    index_name = q(f"{bare}_key")
    name, target = (
        (f"{q(schema)}.{index_name}", q(bare))
        if schema and dialect == "sqlite"
        else (index_name, quoted(table, q))
    )
    key = SERIES_KEY if layout == "series" else LIST_KEY
    index = f"CREATE UNIQUE INDEX {name} ON {target} ({', '.join(q(c) for c in key)})"
    return [f"CREATE TABLE {quoted(table, q)} (\n{lines}\n)", index]


def migration(dialect: Dialect, layout: Layout, table: str, quote: Quote | None = None) -> list[str]:
    """The statements that bring ``table`` of the version-1 ``layout`` to the current one: an
    ``ALTER TABLE … ADD COLUMN`` per column added since (nullable; existing rows get null)."""
    q = quote or quoting(dialect)
    types = COLUMN_TYPES[dialect]
    added = columns_of(layout)[len(columns_of(layout, 1)) :]
    return [f"ALTER TABLE {quoted(table, q)} ADD COLUMN {q(c.name)} {types[c.type]}" for c in added]


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
    from airflow_provider_ldusage.compat import BaseHook

    hook = BaseHook.get_connection(conn_id).get_hook()
    if not isinstance(hook, DbApiHook):
        raise LaunchDarklyUsageValidationError(
            "sql_conn_id",
            conn_id,
            f"a connection whose hook is a common.sql DbApiHook (its hook is a {type(hook).__name__})",
        )
    return hook


def hook_quoting(hook: Any, dialect: Dialect) -> Quote:
    """The quoting of identifiers for ``hook``'s database (:func:`quoting`): for ``generic``, the hook's
    ``escape_word_format`` (common.sql; a connection extra can set it) for the words the hook's SQLAlchemy
    dialect reserves (none known without SQLAlchemy's dialect: names stay unquoted)."""
    if dialect != "generic":
        return quoting(dialect)
    try:
        escape_format = str(getattr(hook, "escape_word_format", "") or "")
        reserved = set(getattr(hook, "reserved_words", ()) or ())
    except Exception:  # a hook that cannot build its SQLAlchemy dialect
        escape_format, reserved = "", set()
    return quoting(dialect, escape_format, reserved)


def default_schema(hook: Any) -> str | None:
    """The schema ``hook``'s database resolves unqualified table names to, as its SQLAlchemy dialect
    knows it (``None`` when the hook cannot build one)."""
    try:
        name = hook.inspector.default_schema_name
    except Exception:  # no SQLAlchemy URL for this hook, no driver, or the database is unreachable
        return None
    return str(name) if name else None


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
    filter_set: str = ""
    verified: bool = False


@dataclass(frozen=True)
class Identity:
    """What an object's rows are: the endpoint, filter set and window (or as-of instant) a load replaces."""

    endpoint: str
    filter_set: str
    window_start: str | None
    window_end: str | None
    as_of: str | None


def identity_of(obj: Any, first: dict[str, Any] | None) -> Identity:
    """The identity of ``obj``'s rows: its integrity record's (the writer took it from the rows), else its
    first row's, else (an object without a record and without rows) its name's."""
    record = obj.integrity
    if record and record.get("endpoint") and record.get("filter_set"):
        source: Any = record
    elif first is not None:
        source = first
    else:
        return Identity(obj.endpoint, obj.filter_set, obj.window_start, obj.window_end, obj.as_of)
    return Identity(
        str(source["endpoint"]),
        str(source["filter_set"]),
        source.get("window_start"),
        source.get("window_end"),
        source.get("as_of") if obj.layout == "list" else None,
    )


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
    quote: Quote | None = None
    created: list[str] = field(default_factory=list)
    migrated: list[str] = field(default_factory=list)
    method: str = "executemany"
    #: The schema unqualified names resolve to (generic dialects: :func:`default_schema`), if known.
    default_schema: str | None = None

    def __post_init__(self) -> None:
        if self.quote is None:
            self.quote = quoting(self.dialect)

    def _q(self, word: str) -> str:
        assert self.quote is not None
        return self.quote(word)

    def _table(self, table: str) -> str:
        assert self.quote is not None
        return quoted(table, self.quote)

    # --- tables -----------------------------------------------------------------------------------------

    def existing_columns(self, table: str) -> list[str]:
        """The columns of ``table`` in order, lower-cased; empty when it does not exist. An unqualified
        name is looked up in the schema the load's statements write it to (generic dialects: the
        :attr:`default_schema`, else as the database resolves it in a ``SELECT``), never in other schemas.

        Unquoted names are case-insensitive in SQL (PostgreSQL folds them to lower case, some databases to
        upper case), so the table is looked up, and its columns compared, without regard to case.
        """
        schema, _, bare = table.rpartition(".")
        if self.dialect == "sqlite":  # the table-valued pragma takes the names as parameters
            self.cursor.execute(
                "SELECT name FROM pragma_table_info(?, ?) ORDER BY cid",
                (bare.lower(), schema.lower() or "main"),
            )
            return [str(_first(row, 0)).lower() for row in self.cursor.fetchall()]
        if self.dialect != "postgresql" and not schema:
            if not self.default_schema:
                return self._visible_columns(table, bare)
            schema = self.default_schema
        mark = self.placeholder
        if self.dialect == "postgresql":  # unquoted identifiers fold to lower case
            name = f"table_name = {mark}"
            where = f"table_schema = {mark}" if schema else "table_schema = current_schema()"
        else:
            name, where = f"LOWER(table_name) = {mark}", f"LOWER(table_schema) = {mark}"
        parameters: tuple[str, ...] = (bare.lower(), schema.lower()) if schema else (bare.lower(),)
        self.cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE {name} AND {where} ORDER BY ordinal_position",
            parameters,
        )
        return [str(_first(row, 0)).lower() for row in self.cursor.fetchall()]

    def _visible_columns(self, table: str, bare: str) -> list[str]:
        """The columns of the unqualified ``table`` this load's statements would write, as the database
        resolves the name for them (its current schema, search path, database): information_schema alone
        would also list same-named tables of other schemas and databases."""
        try:
            self.cursor.execute(
                f"SELECT 1 FROM information_schema.tables WHERE LOWER(table_name) = {self.placeholder}",
                (bare.lower(),),
            )
            anywhere = bool(self.cursor.fetchall())
        except Exception:  # a database without information_schema: ask the table itself
            anywhere = True
        if not anywhere:  # no probe of a missing table: some databases abort the transaction on its error
            return []
        try:
            self.cursor.execute(f"SELECT * FROM {self._table(table)} WHERE 1 = 0")
        except Exception:  # the driver's own "no such table": only other schemas have one of that name
            return []
        described = self.cursor.description or ()
        self.cursor.fetchall()
        return [str(_first(column, 0)).lower() for column in described]

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
        """Create ``table`` when missing (if allowed); bring a table of the version-1 layout to the current
        one (``ALTER TABLE … ADD COLUMN``, in the load's transaction; with ``create=False`` refuse, showing
        the statements); refuse a table whose columns are another layout's."""
        expected = [c.name for c in columns_of(layout)]
        found = self.existing_columns(table)
        if found == expected:
            return
        if found == [c.name for c in columns_of(layout, 1)]:
            statements = migration(self.dialect, layout, table, self.quote)
            if not create:
                raise LaunchDarklyUsageError(
                    f"Table {table} has the {layout} layout of version 1, without the columns added in "
                    f"version {SCHEMA_VERSION}; with create_table=False the loader does not change it. Run "
                    f"{'; '.join(statements)} (existing rows get null: not recorded), or set "
                    "create_table=True to let the load add them. Nothing was loaded."
                )
            for statement in statements:
                self.cursor.execute(statement)
            self.migrated.append(table)
            return
        if found:
            raise LaunchDarklyUsageError(
                f"Table {table} has the columns {found}, not the {layout} layout version {SCHEMA_VERSION} "
                f"{expected}: it was created by another release or by hand. Nothing was loaded. Migrate it "
                "or load into another table (docs: Loading into SQL, 'Schema versions')."
            )
        if not create:
            raise LaunchDarklyUsageError(
                f"Table {table} does not exist and create_table=False; create it with the DDL in the docs "
                "(Loading into SQL) or set create_table=True"
            )
        for statement in ddl(self.dialect, layout, table, self.quote):
            self.cursor.execute(statement)
        self.created.append(table)

    # --- replacing --------------------------------------------------------------------------------------

    def replace(self, table: str, obj: Any) -> LoadResult:
        """Delete what ``obj`` (a :class:`~airflow_provider_ldusage.landing.reading.LandedObject`) replaces,
        then insert its rows.

        What it replaces is what its rows are (:func:`identity_of`); every row must say the same, and the
        object must match its integrity record (rows, bytes, SHA-256), checked as the last row is read:
        else the error rolls the whole load back.
        """
        rows = obj.rows()
        first = next(rows, None)
        identity = identity_of(obj, first)
        if (identity.endpoint, identity.filter_set) != (obj.endpoint, obj.filter_set):
            log.warning(
                "%s is named %s/%s but its rows are %s/%s: loaded as what its rows are",
                obj.uri,
                obj.endpoint,
                obj.filter_set,
                identity.endpoint,
                identity.filter_set,
            )
        stream = _same_identity(rows if first is None else _chain(first, rows), identity, obj)
        verified = obj.integrity is not None
        deleted = self._delete(table, obj.layout, identity, obj.uri)
        if obj.layout != "series":
            inserted = self._insert(table, obj.layout, stream)
            return LoadResult(obj.uri, table, inserted, deleted, identity.filter_set, verified)
        assert identity.window_start is not None and identity.window_end is not None  # _delete checked
        # One streaming pass: rows inside the window go straight in (the window was just cleared); the rare
        # rows outside it are kept aside and replace exactly their own bucket and series afterwards.
        outside: list[dict[str, Any]] = []
        inserted = self._insert(
            table, "series", _inside(stream, identity.window_start, identity.window_end, outside)
        )
        if outside:
            mark, q = self.placeholder, self._q
            keys = [(identity.endpoint, identity.filter_set, r["time"], r["series_key"]) for r in outside]
            for key in keys:
                self.cursor.execute(
                    f"DELETE FROM {self._table(table)} WHERE {q('endpoint')} = {mark} AND "
                    f"{q('filter_set')} = {mark} AND {q('time')} = {mark} AND {q('series_key')} = {mark}",
                    key,
                )
                deleted += max(self.cursor.rowcount or 0, 0)
            inserted += self._insert(table, "series", outside)
        return LoadResult(obj.uri, table, inserted, deleted, identity.filter_set, verified)

    def _delete(self, table: str, layout: Layout, identity: Identity, uri: str) -> int:
        mark, q = self.placeholder, self._q
        where = (
            f"DELETE FROM {self._table(table)} WHERE {q('endpoint')} = {mark} AND {q('filter_set')} = {mark}"
        )
        head = (identity.endpoint, identity.filter_set)
        if layout == "series":
            if identity.window_start is None or identity.window_end is None:  # the operator refuses these
                raise LaunchDarklyUsageError(f"{uri}: a series object without a window cannot be loaded")
            sql = f"{where} AND {q('time')} >= {mark} AND {q('time')} < {mark}"
            self.cursor.execute(sql, (*head, identity.window_start, identity.window_end))
        elif identity.window_start is not None:
            sql = f"{where} AND {q('window_start')} = {mark} AND {q('window_end')} = {mark}"
            self.cursor.execute(sql, (*head, identity.window_start, identity.window_end))
        else:
            sql = f"{where} AND {q('window_start')} IS NULL AND {q('as_of')} = {mark}"
            self.cursor.execute(sql, (*head, identity.as_of))
        count = self.cursor.rowcount
        return count if isinstance(count, int) and count >= 0 else 0

    def _insert(self, table: str, layout: Layout, rows: Iterable[dict[str, Any]]) -> int:
        columns = columns_of(layout)
        names = ", ".join(self._q(c.name) for c in columns)
        tuples = records(rows, columns, self.dialect)
        if self.fast_path and self.dialect == "postgresql":
            copied = self._copy(table, names, tuples)
            if copied is not None:
                return copied
        marks = ", ".join([self.placeholder] * len(columns))
        sql = f"INSERT INTO {self._table(table)} ({names}) VALUES ({marks})"
        return insert_batches(self.cursor, sql, tuples, self.batch_size)

    def _copy(self, table: str, names: str, tuples: Iterator[tuple]) -> int | None:
        """``COPY`` the tuples in (psycopg2 ``copy_expert`` or psycopg 3 ``copy``); the row count, or None
        when the driver has neither."""
        statement = f"COPY {self._table(table)} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
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


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def _same_identity(rows: Iterable[dict[str, Any]], identity: Identity, obj: Any) -> Iterator[dict[str, Any]]:
    """The rows, each checked to be of ``identity`` (an object is one endpoint, filter set and window)."""
    endpoint, filter_set = identity.endpoint, identity.filter_set
    start, end = identity.window_start, identity.window_end
    for position, row in enumerate(rows):
        if (
            row["endpoint"] != endpoint
            or row["filter_set"] != filter_set
            or row["window_start"] != start
            or row["window_end"] != end
        ):
            raise LaunchDarklyUsageIntegrityError(
                f"{obj.uri}: row {position} is of {row['endpoint']}/{row['filter_set']} "
                f"{row['window_start']}..{row['window_end']}, the object's rows are of {endpoint}/"
                f"{filter_set} {start}..{end}: one object holds one endpoint, filter set and window. "
                "Nothing was loaded."
            )
        yield row


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
