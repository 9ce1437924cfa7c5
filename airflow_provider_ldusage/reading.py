"""Reading landed objects back: any format, either layout, any schema version, as version-1 rows.

:func:`read_landed` takes an object the usage operators landed (a path, a ``file://`` or ``s3://`` URI, or an
``ObjectStoragePath``) and gives what its name says (operation, filter set, window or as-of instant, format)
and its rows, streamed (JSON Lines and CSV line by line, gzip decompressed on the fly, Parquet batch by
batch), typed like :meth:`~airflow_provider_ldusage.rows.UsageRows.iter_dicts` gives them: timestamps as
ISO-8601 text with ``Z``, json columns decoded, ``value`` an ``int`` (or a ``float`` for service
connections), ``delayed`` a ``bool`` or ``None``. Objects of an earlier layout (version 0, 0.2.0's
per-dimension columns) are upgraded row by row (:func:`~airflow_provider_ldusage.schema.upgrade_row`).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from airflow_provider_ldusage.catalogue import BY_OPERATION, Endpoint
from airflow_provider_ldusage.landing import OUTPUT_FORMATS, storage_path
from airflow_provider_ldusage.schema import (
    SCHEMA_VERSION,
    Layout,
    columns_of,
    layout_of,
    upgrade_row,
    value_type,
)

_STAMP = r"\d{8}T\d{6}Z"
# <hash>/<start>_<end>.<fmt> or <hash>/asof_<instant>.<fmt> (plain layout: the hash is the folder);
# <hash>_<start>_<end>.<fmt> or <hash>_asof_<instant>.<fmt> (Hive layout: the hash leads the name).
_NAME = re.compile(
    rf"^(?:(?P<hash>[0-9a-f]{{10}})_)?(?:(?P<start>{_STAMP})_(?P<end>{_STAMP})|asof_(?P<asof>{_STAMP}))"
    rf"\.(?P<format>{'|'.join(re.escape(f) for f in sorted(OUTPUT_FORMATS, key=len, reverse=True))})$"
)


def _iso(stamp: str | None) -> str | None:
    """``20260901T000000Z`` -> ``2026-09-01T00:00:00Z``."""
    if stamp is None:
        return None
    return f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}Z"


@dataclass(frozen=True)
class LandedObject:
    """One landed object: what its name says, and a way to read its rows.

    :param uri: where it is.
    :param endpoint: LaunchDarkly's operation id (from the name).
    :param filter_set: the dataset key (from the name).
    :param window_start: the window's start (ISO-8601 with Z), or ``None`` for as-of objects.
    :param window_end: the window's end.
    :param as_of: the as-of instant of objects without a window.
    :param format: ``jsonl``, ``csv``, ``jsonl.gz``, ``csv.gz`` or ``parquet``.
    """

    uri: str
    endpoint: str
    filter_set: str
    window_start: str | None
    window_end: str | None
    as_of: str | None
    format: str
    _path: Any = None

    @property
    def layout(self) -> Layout:
        """``series`` or ``list`` (:mod:`~airflow_provider_ldusage.schema`)."""
        return layout_of(self._endpoint)

    @property
    def _endpoint(self) -> Endpoint:
        return BY_OPERATION[self.endpoint]

    def rows(self) -> Iterator[dict[str, Any]]:
        """The object's rows as version-1 rows, in the object's order (module description)."""
        if self.format == "parquet":
            yield from self._parquet_rows()
            return
        with self._path.open("rb") as raw:
            handle = gzip.GzipFile(fileobj=raw) if self.format.endswith(".gz") else raw
            if self.format.startswith("jsonl"):
                for position, line in enumerate(handle):
                    if line.strip():
                        yield self._current(json.loads(line), position)
            else:
                text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
                for position, cells in enumerate(csv.DictReader(text)):
                    yield self._current(self._typed(cells), position)

    def _parquet_rows(self) -> Iterator[dict[str, Any]]:
        from airflow_provider_ldusage.parquet import read_parquet

        integral = value_type(self._endpoint) == "int"
        with self._path.open("rb") as handle:
            for position, (_layout, version, row) in enumerate(read_parquet(handle)):
                value = row.get("value")
                if integral and isinstance(value, float) and value.is_integer():
                    row["value"] = int(value)  # Parquet holds every value as float64
                row.setdefault("schema_version", version)
                yield self._current(row, position)

    def _current(self, row: dict[str, Any], position: int) -> dict[str, Any]:
        version = row.get("schema_version", 0)
        if version == SCHEMA_VERSION:
            return row
        return upgrade_row(row, filter_set=self.filter_set, as_of=self.as_of, position=position)

    def _typed(self, cells: dict[str, str]) -> dict[str, Any]:
        """CSV text cells typed back (empty -> None); unknown columns (version 0 dimensions) stay text."""
        kinds = {c.name: c.type for c in columns_of(self.layout)}
        if "schema_version" not in cells:  # version 0: its own few typed columns
            kinds = {"value": "number", "delayed": "bool", "request": "json", "series": "int"}
        row: dict[str, Any] = {}
        for name, text in cells.items():
            kind = kinds.get(name)
            if text == "" and kind not in (None, "string"):
                row[name] = None
            elif kind == "int":
                row[name] = int(text)
            elif kind == "number":
                row[name] = _number(text)
            elif kind == "bool":
                row[name] = text == "true"
            elif kind == "json":
                row[name] = json.loads(text)
            elif text == "" and kind == "string":
                row[name] = None
            else:
                row[name] = text
        return row


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def read_landed(location: object) -> LandedObject:
    """The landed object at ``location``, described from its name (plain or Hive layout).

    :param location: a local path, a URI (``file://``, ``s3://``…) or an ``ObjectStoragePath``.
    :raises ValueError: when the name is not one the operators give (the message shows the forms).
    """
    path = storage_path(location)
    from airflow_provider_ldusage.landing import uri_of

    match = _NAME.match(path.name)
    parent, grandparent = path.parent, path.parent.parent
    operation: str | None = None
    filter_set: str | None = None
    if match is not None and match.group("hash"):  # Hive: operation=<op>/<month|day>=…/<hash>_…
        filter_set = match.group("hash")
        operation = _partition_value(grandparent.name, "operation")
    elif match is not None:  # plain: <op>/<hash>/<window>
        filter_set, operation = parent.name, grandparent.name
    if match is None or operation not in BY_OPERATION or not filter_set:
        raise ValueError(
            f"{uri_of(path)} is not a landed usage object: expected "
            "<operationId>/<hash>/<start>_<end>.<format>, <operationId>/<hash>/asof_<instant>.<format> "
            "or operation=<operationId>/<month|day>=<value>/"
            f"<hash>_<start>_<end>.<format>, with format one of {', '.join(OUTPUT_FORMATS)}"
        )
    return LandedObject(
        uri=uri_of(path),
        endpoint=str(operation),
        filter_set=filter_set,
        window_start=_iso(match.group("start")),
        window_end=_iso(match.group("end")),
        as_of=_iso(match.group("asof")),
        format=match.group("format"),
        _path=path,
    )


def _partition_value(folder: str, key: str) -> str | None:
    name, _, value = folder.partition("=")
    return value if name == key and value else None
