"""Load what the usage operators landed into SQL tables, through any ``common.sql`` connection.

Imported at DAG-parse time, so it imports only ``airflow.sdk`` and small modules; the SQL side
(:mod:`airflow_provider_ldusage.transfers._sql`, which needs ``apache-airflow-providers-common-sql``) and the
readers are imported in :meth:`LaunchDarklyUsageToSqlOperator.execute`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_ldusage.compat import BaseOperator
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError

if TYPE_CHECKING:
    from airflow_provider_ldusage.compat import Context

DEFAULT_TABLE = "launchdarkly_usage"
DEFAULT_LIST_TABLE = "launchdarkly_usage_lists"


class LaunchDarklyUsageToSqlOperator(BaseOperator):
    """Load landed usage objects into a series table and a list table, replacing what they cover.

    Every object is read in any format the usage operators write (JSON Lines, CSV, gzip, Parquet; plain or
    Hive layout; 0.2.0 objects upgraded) as version-1 rows (:mod:`airflow_provider_ldusage.landing.schema`).
    In ONE transaction the operator creates the tables when missing (DDL per dialect: docs, *Loading
    into SQL*), deletes the rows each object replaces — same endpoint and filter set, bucket times inside
    its window (list objects: the same window or as-of instant) — and inserts its rows; any failure rolls
    everything back, so the tables are exactly as they were. Re-runs, ``lookback`` refreshes and backfills
    over overlapping windows therefore never duplicate a row. Concurrent loads into one table queue (SQLite:
    ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-level advisory lock per table). PostgreSQL gets ``COPY``;
    other databases batched ``executemany``. Every argument, every object's name and every object's size
    against its integrity record (:mod:`airflow_provider_ldusage.landing.integrity`) is checked before the
    database is touched; each object's row count and SHA-256 are checked as its last row is read, inside
    the transaction, so a truncated or changed object fails the load and changes nothing. What an object
    replaces is what its rows are (endpoint, filter set, window), not what its file name says.

    :param sql_conn_id: any connection whose hook is a ``common.sql`` ``DbApiHook`` (sqlite, postgres, …;
        templated).
    :param source: what to load (templated): a usage operator's XCom summary, a list of them (a mapped
        task's output, several tasks' outputs; nested lists are flattened; a summary's ``lookback``
        windows are loaded too, before it; a fan-out's summary brings every object its manifest lists),
        or object paths/URIs. ``None`` items (skipped mapped tasks)
        are ignored; a summary or list rendered as text by a template (JSON or Python's ``repr``) is read
        back.
    :param table: the series table (templated; optionally schema-qualified).
    :param list_table: the table for list endpoints' rows (SDKs, SDK versions, ranking; templated).
    :param create_table: create missing tables (default); with ``False`` a missing table is an error.
    :param fast_path: use PostgreSQL's ``COPY`` where available (default); ``False`` forces
        ``executemany`` (for comparison, or a proxy that refuses ``COPY``).
    :param batch_size: rows per ``executemany`` call.
    :param allow_unverified: load objects that have no integrity record (landed by 0.3.0 or earlier, or
        copied without their ``.<name>.<sha256>.integrity.json``), each with a warning; default ``False``
        refuses them before the database is touched, since nothing would show that they are complete.
    :param storage_conn_id: the object storage connection the objects are read through (templated), for
        locations that name none — the summaries' paths never do (``s3://bucket/key``); default: the
        storage's own default (``aws_default`` for ``s3://``). A location's own (``s3://conn@bucket/key``)
        wins.
    """

    template_fields: Sequence[str] = ("sql_conn_id", "source", "table", "list_table", "storage_conn_id")
    ui_color = "#405BFF"

    def __init__(
        self,
        *,
        sql_conn_id: str,
        source: Any,
        table: str = DEFAULT_TABLE,
        list_table: str = DEFAULT_LIST_TABLE,
        create_table: bool = True,
        fast_path: bool = True,
        batch_size: int = 5000,
        allow_unverified: bool = False,
        storage_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(sql_conn_id, str) or not sql_conn_id.strip():
            raise LaunchDarklyUsageValidationError("sql_conn_id", sql_conn_id, "a connection id")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise LaunchDarklyUsageValidationError("batch_size", batch_size, "an integer >= 1")
        flags = (
            ("create_table", create_table),
            ("fast_path", fast_path),
            ("allow_unverified", allow_unverified),
        )
        for name, flag in flags:
            if not isinstance(flag, bool):
                raise LaunchDarklyUsageValidationError(name, flag, "True or False")
        if storage_conn_id is not None and (
            not isinstance(storage_conn_id, str) or not storage_conn_id.strip()
        ):
            raise LaunchDarklyUsageValidationError(
                "storage_conn_id", storage_conn_id, "a connection id or None"
            )
        self.storage_conn_id = storage_conn_id
        self.sql_conn_id = sql_conn_id
        self.source = source
        self.table = table
        self.list_table = list_table
        self.create_table = create_table
        self.fast_path = fast_path
        self.batch_size = batch_size
        self.allow_unverified = allow_unverified
        if "{{" not in str(table) and "{{" not in str(list_table):
            self._check_tables()  # at DAG parse when the names are plain

    def _check_tables(self) -> None:
        from airflow_provider_ldusage.transfers._sql import check_table_name

        check_table_name("table", self.table)
        check_table_name("list_table", self.list_table)
        if self.table == self.list_table:
            raise LaunchDarklyUsageValidationError(
                "list_table", self.list_table, f"a table other than table={self.table!r} (the layouts differ)"
            )

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_ldusage.transfers._sql import (
            Loader,
            db_api_hook,
            default_schema,
            dialect_of,
            hook_quoting,
        )

        self._check_tables()
        objects = landed_objects(
            self.source, self.storage_conn_id or None
        )  # every name checked before the database is touched
        unverified = self._check_integrity(objects)  # every size too, and the unverified refused
        if not objects:
            self.log.info("Nothing to load: source holds no landed object")
            return {
                "table": self.table,
                "list_table": self.list_table,
                "dialect": None,
                "method": None,
                "objects": 0,
                "rows_inserted": 0,
                "rows_deleted": 0,
                "created": [],
                "migrated": [],
                "unverified": [],
                "loaded": [],
            }
        hook = db_api_hook(self.sql_conn_id)
        dialect = dialect_of(hook)
        conn = hook.get_conn()
        results = []
        try:
            cursor = _begin(conn, dialect)
            loader = Loader(
                cursor,
                dialect,
                hook.placeholder,
                self.fast_path,
                self.batch_size,
                hook_quoting(hook, dialect),
                default_schema=default_schema(hook) if dialect == "generic" else None,
            )
            for layout, table in (("series", self.table), ("list", self.list_table)):  # always this order
                if any(o.layout == layout for o in objects):
                    loader.lock(table)
                    loader.ensure_table(table, layout, self.create_table)  # type: ignore[arg-type]
            for obj in objects:
                table = self.table if obj.layout == "series" else self.list_table
                results.append(loader.replace(table, obj))
                self.log.info(
                    "%s: %d row(s) in, %d replaced, from %s",
                    table,
                    results[-1].inserted,
                    results[-1].deleted,
                    obj.uri,
                )
            _commit(conn, cursor, dialect)
        except BaseException:
            # Anything (a bad row, a lost connection, SIGTERM): the tables stay exactly as they were.
            _rollback(conn, dialect)
            raise
        finally:
            conn.close()
        inserted = sum(r.inserted for r in results)
        deleted = sum(r.deleted for r in results)
        self.log.info(
            "Loaded %d object(s): %d row(s) inserted, %d replaced (%s, %s)",
            len(results),
            inserted,
            deleted,
            dialect,
            loader.method,
        )
        return {
            "table": self.table,
            "list_table": self.list_table,
            "dialect": dialect,
            "method": loader.method,
            "objects": len(results),
            "rows_inserted": inserted,
            "rows_deleted": deleted,
            "created": loader.created,
            "migrated": loader.migrated,
            "unverified": unverified,
            "loaded": [
                {
                    "path": r.uri,
                    "table": r.table,
                    "filter_set": r.filter_set,
                    "rows": r.inserted,
                    "replaced": r.deleted,
                    "verified": r.verified,
                }
                for r in results
            ],
        }

    def _check_integrity(self, objects: list[Any]) -> list[str]:
        """Before the database: each object's size against its integrity record; objects without a record
        refused, or with ``allow_unverified`` warned about. Returns the unverified objects' URIs."""
        unverified = [obj.uri for obj in objects if obj.check() is None]
        if unverified and not self.allow_unverified:
            more = f" (and {len(unverified) - 1} more)" if len(unverified) > 1 else ""
            raise LaunchDarklyUsageValidationError(
                "source",
                unverified[0] + more,
                "objects with their integrity record (.<name>.<sha256>.integrity.json beside them, written "
                "since 0.4.0), so a truncated object cannot replace a window with fewer rows; this one has "
                "none (landed by 0.3.0 or earlier, or copied without it): re-land it, or load it unverified "
                "with allow_unverified=True",
            )
        for uri in unverified:
            self.log.warning("%s has no integrity record: loaded unverified (allow_unverified=True)", uri)
        return unverified


def landed_objects(source: Any, storage_conn_id: str | None = None) -> list[Any]:
    """The :class:`~airflow_provider_ldusage.landing.reading.LandedObject` of every location in ``source``.

    :param storage_conn_id: the storage connection for locations that name none.

    :raises LaunchDarklyUsageValidationError: naming ``source`` for a location that is not a landed usage
        object, or a series object without a window.
    """
    from airflow_provider_ldusage.landing.reading import read_landed
    from airflow_provider_ldusage.landing.storage import storage_path

    objects = []
    for location in object_locations(source, storage_conn_id):
        try:
            obj = read_landed(storage_path(location, storage_conn_id))
        except ValueError as error:
            raise LaunchDarklyUsageValidationError("source", location, str(error)) from error
        if obj.layout == "series" and (obj.window_start is None or obj.window_end is None):
            raise LaunchDarklyUsageValidationError(
                "source",
                location,
                "a series object named by its window (<start>_<end>), not an as-of instant",
            )
        objects.append(obj)
    return objects


def object_locations(source: Any, storage_conn_id: str | None = None) -> list[str]:
    """The object paths/URIs in ``source`` (module docstring), earlier windows first, each once.

    :param storage_conn_id: the storage connection a fan-out's manifest is read through, when its
        location names none.

    :raises LaunchDarklyUsageValidationError: for anything that is neither a summary nor a location.
    """
    found: list[str] = []

    def visit(item: Any) -> None:
        if item is None:
            return
        if isinstance(item, str):
            text = item.strip()
            if text[:1] in ("{", "["):
                # a summary or a list rendered as text (a Jinja template without native rendering)
                visit(_literal(text))
            elif text:
                found.append(text)
            return
        if isinstance(item, dict):
            if item.get("batch") and isinstance(item.get("manifest"), str):
                # A fan-out's summary: its objects are listed in its manifest, not in XCom.
                from airflow_provider_ldusage.landing.batches import manifest_objects

                try:
                    found.extend(manifest_objects(item["manifest"], storage_conn_id))
                except ValueError as error:
                    raise LaunchDarklyUsageValidationError("source", item["manifest"], str(error)) from error
                return
            for earlier in item.get("lookback") or ():
                visit(earlier)
            path = item.get("path")
            if not isinstance(path, str):
                raise LaunchDarklyUsageValidationError(
                    "source",
                    {k: item[k] for k in list(item)[:4]},
                    "usage operators' summaries (with 'path': they ran with output_path=) or object paths",
                )
            found.append(path)
            return
        if hasattr(item, "__fspath__"):
            found.append(str(item))
            return
        if hasattr(item, "__len__") and hasattr(item, "__getitem__"):
            # lists, tuples, and Airflow's lazy sequence of a mapped task's outputs (read by index)
            for index in range(len(item)):
                visit(item[index])
            return
        raise LaunchDarklyUsageValidationError(
            "source", type(item).__name__, "a summary dict, a path or URI, or a list of them"
        )

    visit(source)
    return list(dict.fromkeys(found))


def _begin(conn: Any, dialect: str) -> Any:
    if dialect == "sqlite":
        # Python's sqlite3 would commit DDL implicitly; take control so CREATE TABLE is rolled back too.
        conn.isolation_level = None
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")  # one writer at a time: concurrent loads queue, never interleave
        return cursor
    if getattr(conn, "autocommit", False) is True:
        conn.autocommit = False
    return conn.cursor()


def _commit(conn: Any, cursor: Any, dialect: str) -> None:
    if dialect == "sqlite":
        cursor.execute("COMMIT")
    else:
        conn.commit()


def _rollback(conn: Any, dialect: str) -> None:
    try:
        if dialect == "sqlite":
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        else:
            conn.rollback()
    except Exception:  # the connection may be gone: the database rolls back an unfinished transaction
        pass


def _literal(text: str) -> Any:
    """A summary or list that a template rendered as text: JSON, or Python's ``repr`` of it."""
    import ast
    import json

    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError) as error:
        raise LaunchDarklyUsageValidationError(
            "source", text[:200], "a summary, a list of summaries or paths (as objects, JSON or Python text)"
        ) from error
