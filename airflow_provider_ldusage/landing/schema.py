"""The row layouts, version 2: the columns every landed object and every loaded table has.

Two layouts, each the same for every endpoint of its kind and independent of the request (filters,
``group_by``, granularity never add or remove a column):

*series* (every endpoint whose response is a time series) — one row per time bucket and series:

======================  ===========  =====================================================================
column                  type         meaning
======================  ===========  =====================================================================
``schema_version``      int          the layout's version, ``2``
``endpoint``            string       LaunchDarkly's operationId (``getMAUTotalUsage``)
``filter_set``          string       the dataset key: a hash of the connection (id and base URL, never the
                                     token) and the filters (:func:`.arguments_hash`); rows of one filter
                                     set replace each other on load
``request``             json         what was asked besides the window: filters, group_by, aggregation,
                                     granularity, time unit
``window_start``        timestamp    the run's window start (UTC)
``window_end``          timestamp    the run's window end (UTC, exclusive)
``time``                timestamp    the bucket start (UTC)
``series_key``          string       a stable key of the series: the same dimensions give the same key in
                                     every request, window and run
``dimensions``          json         the series' dimensions as one object (``{"sdkName": "go"}``; ``{}``
                                     for an ungrouped total)
``value``               number       the bucket's value as LaunchDarkly sent it: an integer, or a float for
                                     service connections (:func:`value_type`)
``unit``                string       what ``value`` counts (``contexts``, ``events``, ``connections``…)
``aggregation``         string       the aggregation LaunchDarkly applied (``month_to_date``…), or null
``granularity``         string       the bucket size (``daily``, ``hourly``, ``auto``…), or null
``fetched_at``          timestamp    LaunchDarkly's clock (its ``Date`` header) when the response was read
``data_through``        timestamp    the end of the latest hour LaunchDarkly's pipeline has counted, where
                                     the response says (data and warehouse export), else null
``delayed``             bool         the response said the pipeline is late, else false/null
``provisional``         bool         the figures may still change: fetched before ``final_after`` (or
                                     while LaunchDarkly's pipeline was behind or late); null when not
                                     recorded (objects of layouts 0 and 1)
``final_after``         timestamp    when the window's figures count as final: its end plus the task's
                                     ``settle_period`` (default 3 days); null when not recorded
======================  ===========  =====================================================================

*list* (SDK names, SDK versions, SDK version details, the project ranking) — one row per item:
``schema_version``, ``endpoint``, ``filter_set``, ``request``, ``window_start``, ``window_end``,
``as_of`` (the run's logical date, for lists without a window), ``position`` (the item's place in
LaunchDarkly's order, from 0), ``item`` (the item's fields as one JSON object), ``fetched_at``,
``provisional`` and ``final_after`` (as for series; null for lists without a window).

How each type is written: JSON Lines — timestamps as ISO-8601 text with ``Z``, json columns as nested
objects; CSV — the same text, json columns as JSON text, null as an empty cell; Parquet — ``timestamp[ms,
UTC]``, ``int64``, ``float64`` (``value``, on every endpoint, so all endpoints read as one table; exact for
integers below 2**53), ``bool``, and json columns as JSON text (``string``). The key is
:func:`series_key`.

A change to a layout is a new version with a migration here: :func:`upgrade_row` turns rows of every
earlier layout into the current one (version 0 is the per-dimension layout of 0.2.0; version 1 is 0.3.0's,
without ``provisional`` and ``final_after``, which upgrade as null: not recorded). New columns go at the
end, so a SQL table of the previous layout takes them with ``ALTER TABLE … ADD COLUMN``
(:func:`columns_of` gives every version's columns).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_ldusage.catalogue import Endpoint

SCHEMA_VERSION = 2

ColumnType = Literal["int", "number", "string", "timestamp", "bool", "json"]


@dataclass(frozen=True)
class Column:
    """One column of a layout.

    :param name: the column name.
    :param type: its logical type (how each format and SQL dialect stores it: module description).
    :param nullable: whether it may be null.
    """

    name: str
    type: ColumnType
    nullable: bool = True


# What every row of either layout starts with.
_HEAD: tuple[Column, ...] = (
    Column("schema_version", "int", False),
    Column("endpoint", "string", False),
    Column("filter_set", "string", False),
    Column("request", "json"),
    Column("window_start", "timestamp"),
    Column("window_end", "timestamp"),
)
# Added in version 2, at the end of both layouts (a table of version 1 takes them with ADD COLUMN).
_FINALITY: tuple[Column, ...] = (Column("provisional", "bool"), Column("final_after", "timestamp"))
SERIES_COLUMNS: tuple[Column, ...] = (
    *_HEAD,
    Column("time", "timestamp", False),
    Column("series_key", "string", False),
    Column("dimensions", "json", False),
    Column("value", "number", False),
    Column("unit", "string"),
    Column("aggregation", "string"),
    Column("granularity", "string"),
    Column("fetched_at", "timestamp"),
    Column("data_through", "timestamp"),
    Column("delayed", "bool"),
    *_FINALITY,
)
LIST_COLUMNS: tuple[Column, ...] = (
    *_HEAD,
    Column("as_of", "timestamp"),
    Column("position", "int", False),
    Column("item", "json", False),
    Column("fetched_at", "timestamp"),
    *_FINALITY,
)
SERIES_NAMES: tuple[str, ...] = tuple(c.name for c in SERIES_COLUMNS)
LIST_NAMES: tuple[str, ...] = tuple(c.name for c in LIST_COLUMNS)

Layout = Literal["series", "list"]


def layout_of(endpoint: Endpoint) -> Layout:
    """``series`` for time-series endpoints, ``list`` for the others."""
    return "series" if endpoint.is_series else "list"


def columns_of(layout: Layout, version: int = SCHEMA_VERSION) -> tuple[Column, ...]:
    """The columns of ``layout`` in ``version`` (1 or the current one), in order.

    :raises ValueError: for a version without a fixed set of columns (0's depend on the request).
    """
    columns = SERIES_COLUMNS if layout == "series" else LIST_COLUMNS
    if version == SCHEMA_VERSION:
        return columns
    if version == 1:
        return columns[: -len(_FINALITY)]
    raise ValueError(f"schema_version {version!r} has no fixed columns (layouts 1 to {SCHEMA_VERSION} do)")


def value_type(endpoint: Endpoint) -> Literal["int", "float"]:
    """The type LaunchDarkly documents for the endpoint's values (floats only for service connections)."""
    return "float" if endpoint.response_kind == "SeriesListRepFloat" else "int"


_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def series_key(dimensions: Mapping[str, Any], repeat: int = 0) -> str:
    """The stable key of a series: the first 16 hex digits of the SHA-256 of its canonical dimensions.

    :param dimensions: the series' metadata object.
    :param repeat: for the rare response that describes two series with identical metadata, the second
        one's number (1, 2…); appended as ``~1``.
    """
    digest = hashlib.sha256(_canonical(dict(dimensions)).encode()).hexdigest()[:16]
    return f"{digest}~{repeat}" if repeat else digest


# Version 0 (0.2.0): fixed columns, then each metadata field as its own column (``metadata_<name>`` when it
# clashed with a fixed one), then value and, on export endpoints, data_through/delayed.
_V0_LIST_HEAD = frozenset(("endpoint", "window_start", "window_end", "request"))
_V0_FIXED = frozenset(
    (
        "endpoint",
        "window_start",
        "window_end",
        "request",
        "time",
        "series",
        "value",
        "data_through",
        "delayed",
    )
)


def upgrade_row(
    row: Mapping[str, Any],
    *,
    filter_set: str,
    fetched_at: str | None = None,
    as_of: str | None = None,
    position: int = 0,
) -> dict[str, Any]:
    """One row of any earlier layout as a current row (a current row is returned as is).

    Version 1 rows gain ``provisional`` and ``final_after`` as null (not recorded). Version 0 rows carry
    neither their filter set (it was their folder's name, ``<operationId>/<hash>``) nor when they were
    fetched, so the caller gives them; list rows also their as-of instant and position.

    :param row: the row as read (JSON Lines: as decoded; CSV: cells typed by the reader, the dimension
        columns as text, empty cells as ``None``).
    :param filter_set: the dataset key (the object's folder name for version 0).
    :param fetched_at: when the row was fetched, if known.
    :param as_of: for list rows without a window, the instant the list describes.
    :param position: for list rows, the row's place in the object.
    :raises ValueError: for a version this release does not know.
    """
    version = row.get("schema_version", 0)
    if version == SCHEMA_VERSION:
        return dict(row)
    if version == 1:
        return {**row, "schema_version": SCHEMA_VERSION, "provisional": None, "final_after": None}
    if version != 0:
        raise ValueError(
            f"schema_version {version!r}: this release reads layouts 0 to {SCHEMA_VERSION}; upgrade "
            "airflow-provider-ldusage to read newer objects"
        )
    from airflow_provider_ldusage.catalogue import endpoint

    ep = endpoint(str(row["endpoint"]))
    request = row.get("request")
    if isinstance(request, str):
        request = json.loads(request) if request else None
    head = {
        "schema_version": 1,
        "endpoint": ep.operation_id,
        "filter_set": filter_set,
        "request": request,
        "window_start": row.get("window_start") or None,
        "window_end": row.get("window_end") or None,
    }
    if not ep.is_series:  # version 0 lists: the head columns, then the item's fields as columns
        item = {key: value for key, value in row.items() if key not in _V0_LIST_HEAD}
        listed = {**head, "as_of": as_of, "position": position, "item": item, "fetched_at": fetched_at}
        return upgrade_row(listed, filter_set=filter_set)
    dimensions = {
        (key[len("metadata_") :] if key.startswith("metadata_") else key): value
        for key, value in row.items()
        if key not in _V0_FIXED and value is not None and value != ""
    }
    delayed = row.get("delayed")
    upgraded = {
        **head,
        "time": row["time"],
        "series_key": series_key(dimensions),
        "dimensions": dimensions,
        "value": row["value"],
        "unit": ep.unit,
        "aggregation": (request or {}).get("aggregation"),
        "granularity": (request or {}).get("granularity"),
        "fetched_at": fetched_at,
        "data_through": row.get("data_through") or None,
        "delayed": delayed if isinstance(delayed, bool) else None,
    }
    return upgrade_row(upgraded, filter_set=filter_set)
