"""Reading landed objects back: any format, either layout, any schema version, as version-1 rows.

:func:`read_landed` takes an object the usage operators landed (a path, a ``file://`` or ``s3://`` URI, or an
``ObjectStoragePath``) and gives what its name says (operation, filter set, window or as-of instant, format;
plain and Hive layouts) and its rows, streamed: JSON Lines and CSV chunk by chunk (gzip decompressed on the
fly), Parquet batch by batch, so memory holds a chunk or a batch, never the object. Rows are dicts with the
keys of the layout, in its order (:mod:`~airflow_provider_ldusage.landing.schema`), typed like
:meth:`~airflow_provider_ldusage.landing.rows.UsageRows.iter_dicts` gives them:

- timestamps as ISO-8601 text with ``Z`` (:func:`~airflow_provider_ldusage.core.timeconv.iso`), or ``None``;
- json columns (``request``, ``dimensions``, ``item``) decoded (dict, list or ``None``). Rows of one object
  may share a decoded object (as :meth:`~airflow_provider_ldusage.landing.rows.UsageRows.iter_dicts` rows do):
  copy before changing it;
- ``value`` as LaunchDarkly sent it: an ``int`` or a ``float``. CSV cells are typed back: integral text
  is an ``int``, other text a ``float``. Parquet stores ``float64`` on every endpoint; integral values of
  endpoints documented as integers come back as ``int``;
- ``delayed`` a ``bool`` or ``None``; ``schema_version`` and ``position`` ``int``.

Objects of an earlier layout are upgraded row by row
(:func:`~airflow_provider_ldusage.landing.schema.upgrade_row`):
version 0 is 0.2.0's per-dimension JSON Lines and CSV, whose ``filter_set`` is their folder's name and
whose ``fetched_at`` is unknown (``None``). Version-0 CSV cells other than 0.2.0's fixed columns (the
dimensions, and the fields of list items) stay text: CSV does not say their type. A version this release
does not know is refused with a :class:`ValueError` that names the object and the version.

Objects with an integrity record (:mod:`~airflow_provider_ldusage.landing.integrity`; every object
landed since 0.4.0) are verified as they are read: :meth:`LandedObject.check` compares the object's size
with the record's before any row is read, and :meth:`LandedObject.rows` raises
:class:`~airflow_provider_ldusage.exceptions.LaunchDarklyUsageIntegrityError` after the last row when the
bytes' SHA-256 or the number of rows is not the record's (Parquet: the digest is checked before the
first row). A truncated gzip stream raises it too. Objects without a record (landed by 0.3.0 and
earlier, or copied without it) are read unverified: :attr:`LandedObject.integrity` is ``None``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

from airflow_provider_ldusage.catalogue import BY_OPERATION, Endpoint
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageIntegrityError
from airflow_provider_ldusage.landing import integrity
from airflow_provider_ldusage.landing.schema import (
    SCHEMA_VERSION,
    Layout,
    columns_of,
    layout_of,
    upgrade_row,
    value_type,
)
from airflow_provider_ldusage.landing.storage import OUTPUT_FORMATS, storage_path, uri_of

#: Bytes read (before decompression) per step of the JSON Lines reader.
CHUNK_BYTES = 1 << 20
#: Decoded JSON cells kept for re-use (a series' dimensions, the request) before the cache is emptied.
_JSON_CACHE = 4096

_STAMP = r"\d{8}T\d{6}Z"
# <hash>/<start>_<end>.<fmt> or <hash>/asof_<instant>.<fmt> (plain layout: the hash is the folder);
# <hash>_<start>_<end>.<fmt> or <hash>_asof_<instant>.<fmt> (Hive layout: the hash leads the name).
_NAME = re.compile(
    rf"^(?:(?P<hash>[0-9a-f]{{10}})_)?(?:(?P<start>{_STAMP})_(?P<end>{_STAMP})|asof_(?P<asof>{_STAMP}))"
    rf"\.(?P<format>{'|'.join(re.escape(f) for f in sorted(OUTPUT_FORMATS, key=len, reverse=True))})$"
)
_PARTITION = re.compile(r"^(?:month=\d{4}-\d\d|day=\d{4}-\d\d-\d\d)$")
_FORMS = (
    "<operationId>/<hash>/<start>_<end>.<format> or <operationId>/<hash>/asof_<instant>.<format> (plain), "
    "operation=<operationId>/<month=YYYY-MM|day=YYYY-MM-DD>/<hash>_<start>_<end>.<format> or "
    "…/<hash>_asof_<instant>.<format> (Hive)"
)
# Version 0 (0.2.0) wrote these columns with types of their own; every other column (the dimensions, the
# fields of list items) is text in its CSV.
_V0_CSV_TYPES = {"value": "number", "delayed": "bool", "request": "json", "series": "int"}


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
    _path: Any = field(default=None, repr=False, compare=False)
    _found: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def layout(self) -> Layout:
        """``series`` or ``list`` (:mod:`~airflow_provider_ldusage.landing.schema`)."""
        return layout_of(self._endpoint)

    @property
    def _endpoint(self) -> Endpoint:
        return BY_OPERATION[self.endpoint]

    # --- the integrity record ---------------------------------------------------------------------------

    @property
    def integrity(self) -> dict[str, Any] | None:
        """The integrity record this object is verified against, or ``None`` for an object without one.

        :raises LaunchDarklyUsageIntegrityError: when records exist but none is of the object's size.
        """
        return self.check()

    def check(self) -> dict[str, Any] | None:
        """Compare the object's size with its integrity records' before reading a row; return the one it
        matches (``None`` for an object without a record). One listing and one size lookup, once.

        :raises LaunchDarklyUsageIntegrityError: when records exist but none holds the object's size
            (it was truncated, or changed, since it was landed).
        """
        if "record" not in self._found:
            found = integrity.records_of(self._path)
            chosen: dict[str, Any] | None = None
            if found:
                size = _size(self._path)
                same = [doc for _, doc in found if doc.get("bytes") == size]
                if not same:
                    names = ", ".join(name for name, _ in found)
                    recorded = sorted({str(doc.get("bytes")) for _, doc in found})
                    raise LaunchDarklyUsageIntegrityError(
                        f"{self.uri}: {size} bytes, but its integrity record ({names}) says "
                        f"{' or '.join(recorded)} bytes: the object was truncated or changed after it was "
                        "landed; re-run the task that landed it"
                    )
                chosen = same[0]
                self._found["candidates"] = same
            self._found["record"] = chosen
        result: dict[str, Any] | None = self._found["record"]
        return result

    def _verify(self, digest: str | None, count: int | None) -> None:
        """Raise when the bytes read (``digest``) or the rows read (``count``) are not the record's."""
        candidates: list[dict[str, Any]] = self._found.get("candidates") or []
        if not candidates:
            return
        if digest is None:  # the digest was checked before the rows were read
            matching = [self._found["verified"]]
        else:
            matching = [doc for doc in candidates if doc.get("sha256") == digest]
        if not matching:
            raise LaunchDarklyUsageIntegrityError(
                f"{self.uri}: its SHA-256 is {digest}, its integrity record says "
                f"{candidates[0].get('sha256')}: the object was changed after it was landed; re-run the "
                "task that landed it"
            )
        self._found["verified"] = matching[0]
        expected = matching[0].get("rows")
        if count is not None and isinstance(expected, int) and count != expected:
            raise LaunchDarklyUsageIntegrityError(
                f"{self.uri}: {count} row(s) read, its integrity record says {expected}: re-run the task "
                "that landed it"
            )

    # --- rows -------------------------------------------------------------------------------------------

    def rows(self) -> Iterator[dict[str, Any]]:
        """The object's rows as current-layout rows, in the object's order (module description), verified
        against the object's integrity record when it has one (module description)."""
        verify = self.check() is not None
        if self.format == "parquet":
            yield from self._parquet_rows(verify)
            return
        count = 0
        with self._path.open("rb") as opened:
            hashing = _Hashing(opened)
            raw: Any = io.BufferedReader(hashing, CHUNK_BYTES) if verify else opened
            handle: Any = gzip.GzipFile(fileobj=raw, mode="rb") if self.format.endswith(".gz") else raw
            try:
                if self.format.startswith("jsonl"):
                    rows = self._jsonl_rows(handle)
                else:
                    rows = self._csv_rows(io.TextIOWrapper(handle, encoding="utf-8", newline=""))
                for row in rows:
                    count += 1
                    yield row
            except (EOFError, zlib.error, gzip.BadGzipFile) as error:
                raise LaunchDarklyUsageIntegrityError(
                    f"{self.uri}: not a complete gzip stream ({error}): the object was truncated or changed "
                    "after it was landed; re-run the task that landed it"
                ) from None
            if verify:
                hashing.drain()
                self._verify(hashing.hexdigest(), count)

    # --- JSON Lines -------------------------------------------------------------------------------------

    def _jsonl_rows(self, handle: Any) -> Iterator[dict[str, Any]]:
        import msgspec

        decode_lines = msgspec.json.Decoder().decode_lines
        position = 0
        rest = b""
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            rest = chunk[cut:]
            for row in self._decoded(decode_lines, chunk[:cut], position):
                yield self._current(row, position)
                position += 1
        if rest.strip():  # a last line without its newline
            for row in self._decoded(decode_lines, rest, position):
                yield self._current(row, position)
                position += 1

    def _decoded(self, decode_lines: Callable[[bytes], list[Any]], data: bytes, position: int) -> list[Any]:
        import msgspec

        try:
            rows = decode_lines(data)
        except msgspec.DecodeError as exc:
            raise ValueError(f"{self.uri}: not JSON Lines after row {position}: {exc}") from None
        for row in rows:
            if not isinstance(row, dict):
                raise ValueError(f"{self.uri}: a line after row {position} is not a JSON object")
        return rows

    # --- CSV --------------------------------------------------------------------------------------------

    def _csv_rows(self, text: Any) -> Iterator[dict[str, Any]]:
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            return
        lines: Iterator[list[str]] = reader
        if "schema_version" in header:
            kinds: dict[str, str] = {c.name: c.type for c in columns_of(self.layout)}
            if header == [c.name for c in columns_of(self.layout, 1)]:  # version 1: upgraded row by row
                kinds = {c.name: c.type for c in columns_of(self.layout, 1)}
            elif header != list(kinds):
                first = next(reader, None)  # a newer layout says so in its first row
                stated = first[header.index("schema_version")] if first else None
                if stated and stated != str(SCHEMA_VERSION):
                    self._refuse(_number(stated))
                raise ValueError(
                    f"{self.uri}: the CSV header {header} is not the {self.layout} layout's "
                    f"columns {list(kinds)}"
                )
        else:
            kinds = _V0_CSV_TYPES
        cells = _Cells()
        typed = [(name, cells.converter(kinds.get(name))) for name in header]
        width = len(typed)
        for position, line in enumerate(lines):
            if len(line) != width:
                raise ValueError(f"{self.uri}: CSV row {position} has {len(line)} cells, the header {width}")
            yield self._current(
                {name: convert(cell) for (name, convert), cell in zip(typed, line, strict=True)}, position
            )

    # --- Parquet ----------------------------------------------------------------------------------------

    def _parquet_rows(self, verify: bool) -> Iterator[dict[str, Any]]:
        from airflow_provider_ldusage.landing.parquet import ParquetSource

        if verify:  # Parquet is read out of order: its digest first, in one sequential pass
            with self._path.open("rb") as opened:
                hashing = _Hashing(opened)
                hashing.drain()
            self._verify(hashing.hexdigest(), None)
        count = 0
        with self._path.open("rb") as handle:
            source = ParquetSource(handle)
            stated = source.metadata.get("ldusage.schema_version")
            if stated is not None and stated not in ("1", str(SCHEMA_VERSION)):
                self._refuse(stated)
            version = int(stated) if stated is not None else SCHEMA_VERSION
            columns = columns_of(self.layout, version)
            names = [c.name for c in columns]
            if sorted(source.names) != sorted(names):
                raise ValueError(
                    f"{self.uri}: the Parquet columns {source.names} are not the {self.layout} layout's "
                    f"columns {names}"
                )
            integral = value_type(self._endpoint) == "int"
            for values in source.batches(columns, integral=integral):
                unknown = set(values[0]) - {version}  # schema_version, row by row
                if unknown:
                    self._refuse(min(unknown))
                for row in zip(*values, strict=True):
                    count += 1
                    found = dict(zip(names, row, strict=True))
                    yield (
                        found if version == SCHEMA_VERSION else upgrade_row(found, filter_set=self.filter_set)
                    )
        if verify:
            self._verify(None, count)

    # --- versions ---------------------------------------------------------------------------------------

    def _current(self, row: dict[str, Any], position: int) -> dict[str, Any]:
        version = row.get("schema_version", 0)
        if version == SCHEMA_VERSION:
            return row
        if version not in (0, 1):
            self._refuse(version)
        return upgrade_row(row, filter_set=self.filter_set, as_of=self.as_of, position=position)

    def _refuse(self, version: object) -> NoReturn:
        raise ValueError(
            f"{self.uri}: schema_version {version!r}: this release of airflow-provider-ldusage reads "
            f"layouts 0 to {SCHEMA_VERSION}; upgrade it to read newer objects"
        )


class _Hashing(io.RawIOBase):
    """A readable raw stream over an open binary file that keeps the SHA-256 of every byte read."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self._sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._handle.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self._sha256.update(data)
        return count

    def drain(self) -> None:
        """Read (and hash) what the reader left unread: the digest is of the whole object."""
        while data := self._handle.read(CHUNK_BYTES):
            self._sha256.update(data)

    def hexdigest(self) -> str:
        return self._sha256.hexdigest()


def _size(path: Any) -> int | None:
    """The object's size in bytes, from one ``stat`` (a HEAD request on object stores)."""
    try:
        return int(path.stat().st_size)
    except (AttributeError, OSError, TypeError, ValueError):
        return None


class _Cells:
    """Converters of CSV text cells by logical type (empty cell -> ``None``); JSON cells decoded once."""

    def __init__(self) -> None:
        self.json: dict[str, Any] = {}

    def converter(self, kind: str | None) -> Callable[[str], Any]:
        if kind is None:  # a version-0 dimension or item field: text, as written
            return _text
        return {
            "int": _int,
            "number": _number,
            "bool": _bool,
            "json": self._json,
            "string": _optional,
            "timestamp": _optional,
        }[kind]

    def _json(self, text: str) -> Any:
        if not text:
            return None
        found = self.json.get(text)
        if found is None:
            if len(self.json) >= _JSON_CACHE:
                self.json.clear()
            found = self.json[text] = json.loads(text)
        return found


def _text(text: str) -> str:
    return text


def _optional(text: str) -> str | None:
    return text or None


def _int(text: str) -> int | None:
    return int(text) if text else None


def _number(text: str) -> int | float | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def _bool(text: str) -> bool | None:
    if not text:
        return None
    return text == "true"


def read_landed(location: object) -> LandedObject:
    """The landed object at ``location``, described from its name (plain or Hive layout).

    :param location: a local path, a URI (``file://``, ``s3://``…) or an ``ObjectStoragePath``.
    :raises ValueError: when the name is not one the operators give (the message shows the forms).
    """
    path = storage_path(location)
    match = _NAME.match(path.name)
    parent, grandparent = path.parent, path.parent.parent
    operation: str | None = None
    filter_set: str | None = None
    if match is not None and match.group("hash"):  # Hive: operation=<op>/<month|day>=…/<hash>_…
        if _PARTITION.match(parent.name):
            filter_set = match.group("hash")
            operation = _partition_value(grandparent.name, "operation")
    elif match is not None:  # plain: <op>/<hash>/<window>
        filter_set, operation = parent.name, grandparent.name
    if match is None or operation not in BY_OPERATION or not filter_set:
        raise ValueError(
            f"{uri_of(path)} is not a landed usage object: expected {_FORMS}, with format one of "
            f"{', '.join(OUTPUT_FORMATS)} and a LaunchDarkly operationId"
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
