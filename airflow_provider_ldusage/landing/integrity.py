"""The integrity record written with every landed object: its identity, row count, size and SHA-256.

Plain JSON Lines and CSV have no end marker (a file cut at a line boundary is still valid), and a trailer
row would break every CSV and JSON Lines reader, so the record lives beside the object, in its folder::

    .<object name>.<sha256[:16]>.integrity.json

a small JSON document (:func:`record`): ``rows``, ``bytes``, ``sha256`` (of the object's bytes as stored:
``sha256sum`` of the file gives it), the ``endpoint``, ``filter_set``, ``window_start``/``window_end`` or
``as_of`` of its rows, the ``format``, ``layout`` and ``schema_version``.

Why it is named by the content it describes: the object and its record are two files, and no store
moves two files at once. The writer writes the record first (under the new content's hash), then moves
the object into place, then deletes the records of earlier contents. A crash between any two steps
leaves the object beside a record of exactly its bytes (the earlier one is only deleted once the new
object is in place); a record whose content never arrived describes nothing present and is removed by
the next write. Two tasks writing one object at once (overlapping runs) leave it beside its own record
too: a write deletes only records listed before it began, never one of the bytes in place (:func:`settle`).
The one case a crash leaves unverifiable is the first write over an object landed before
records existed (the object is the old one, the only record the new one's): the load refuses it as
not matching, and re-running the task that lands it repairs it.

The name starts with a dot, so Hive, Spark, Trino, Athena and pyarrow skip it like the temporaries, and it
does not end in a data format's extension, so ``*.jsonl``-style globs never pick it up.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from airflow_provider_ldusage.landing.listing import delete_quietly

if TYPE_CHECKING:
    from airflow_provider_ldusage.compat import ObjectStoragePath

#: The record document's own version (its keys), independent of the rows' ``schema_version``.
RECORD_VERSION = 1
SUFFIX = ".integrity.json"
#: Hex digits of the SHA-256 in the record's name (the whole digest is inside).
NAME_DIGITS = 16


class Digest:
    """A binary sink that passes bytes on and keeps their SHA-256 and count.

    :param handle: an open binary file (or anything with ``write``) the bytes go to.
    """

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.handle.write(view)
        self.sha256.update(view)
        self.size += view.nbytes
        return view.nbytes

    def flush(self) -> None:
        if hasattr(self.handle, "flush"):
            self.handle.flush()


def record_name(object_name: str, sha256: str) -> str:
    """``.<object name>.<sha256[:16]>.integrity.json``."""
    return f".{object_name}.{sha256[:NAME_DIGITS]}{SUFFIX}"


def record(rows: Any, object_name: str, output_format: str, digest: Digest) -> dict[str, Any]:
    """The record of an object just written from ``rows`` (a ``UsageRows``) through ``digest``.

    Rows of another shape (the budget verdicts) record what they have: their count when they know it.
    """
    from airflow_provider_ldusage.landing.schema import SCHEMA_VERSION

    endpoint = getattr(rows, "endpoint", None)
    return {
        "record_version": RECORD_VERSION,
        "object": object_name,
        "format": output_format,
        "rows": len(rows) if hasattr(rows, "__len__") else None,
        "bytes": digest.size,
        "sha256": digest.sha256.hexdigest(),
        "schema_version": SCHEMA_VERSION if endpoint is not None else None,
        "layout": getattr(rows, "layout", None),
        "endpoint": getattr(endpoint, "operation_id", None),
        "filter_set": getattr(rows, "filter_set", None),
        "window_start": getattr(rows, "window_start", None),
        "window_end": getattr(rows, "window_end", None),
        "as_of": getattr(rows, "as_of", None),
    }


def write_record(parent: ObjectStoragePath, document: dict[str, Any]) -> tuple[ObjectStoragePath, bool]:
    """Write ``document`` as its object's record in ``parent``, atomically (a temporary, then a move).

    :returns: the record's path, and whether a record of that name (the same content) was there before.
    """
    target = parent / record_name(document["object"], document["sha256"])
    existed = target.exists()
    temporary = parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        with temporary.open("wb") as handle:
            handle.write(json.dumps(document, sort_keys=True, indent=1).encode() + b"\n")
        temporary.move(target)
    except BaseException:
        delete_quietly(temporary)
        raise
    return target, existed


def record_pattern(object_name: str) -> re.Pattern[str]:
    """The exact names of ``object_name``'s records: ``X.jsonl``'s never match ``X.jsonl.gz``'s."""
    return re.compile(rf"\.{re.escape(object_name)}\.[0-9a-f]{{{NAME_DIGITS}}}{re.escape(SUFFIX)}")


def record_names(path: ObjectStoragePath) -> list[str]:
    """The names of the records of the object at ``path``, sorted (none where the store cannot list)."""
    from airflow_provider_ldusage.landing.listing import matching_names

    try:
        found = matching_names(path.parent, f".{path.name}.", record_pattern(path.name))
    except (OSError, NotImplementedError):  # a backend without listing: no record can be found
        return []
    return sorted(name for name, _ in found)


def records_of(path: ObjectStoragePath) -> list[tuple[str, dict[str, Any]]]:
    """Every record of the object at ``path``: ``(record name, document)``, newest content unknown.

    Normally one; two only after a crash between writing a new record and removing the old one, or
    while two tasks write the same object. A record that is not a JSON object of this release's keys is
    returned as ``{}`` (the reader refuses to trust it rather than skip it).
    """
    found = []
    for name in record_names(path):
        document = _read(path.parent / name)
        if document is None:  # removed since it was listed
            continue
        found.append((name, document))
    return found


def settle(
    path: ObjectStoragePath, written: ObjectStoragePath, document: dict[str, Any], listed: list[str]
) -> None:
    """After the object at ``path`` was moved into place: delete the records in ``listed`` (the names
    there before this write began) except ``written``, and keep the object's own record present.

    Only names listed before the write are deleted, so a record another task wrote meanwhile for the
    same object survives; one that describes the object's current bytes is kept too (another task's
    object moved in after this one). If another task removed ``written`` while this object was in place,
    it is written again. Quietly: a record left over is removed by the next write.
    """
    current: list[Any] = []  # the object's (size, sha256), looked up once and only when needed
    for name in listed:
        if name == written.name:
            continue
        candidate = path.parent / name
        other = _read(candidate)
        if other and _describes(path, other, current):
            continue
        delete_quietly(candidate)
    try:
        if not written.exists():
            write_record(path.parent, document)
    except OSError:
        pass


def _describes(path: ObjectStoragePath, document: dict[str, Any], current: list[Any]) -> bool:
    """Whether ``document`` is the record of the bytes now at ``path`` (size first, then SHA-256)."""
    try:
        if not current:
            current.append(path.stat().st_size)
        if document.get("bytes") != current[0]:
            return False
        if len(current) == 1:
            sha = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    sha.update(block)
            current.append(sha.hexdigest())
    except OSError:
        return True  # cannot tell: keeping a record is safe, deleting the right one is not
    return bool(document.get("sha256") == current[1])


def _read(path: ObjectStoragePath) -> dict[str, Any] | None:
    """A record's document (``{}`` if it is not one of this release), or ``None`` if it is gone."""
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or not isinstance(document.get("sha256"), str):
        return {}
    return document
