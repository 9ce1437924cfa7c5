"""Landing rows in object storage: one object per endpoint, window and filter set, written atomically.

Object naming (under the operator's ``output_path``, a local folder or any ``ObjectStoragePath`` URI), in
the plain layout (the default)::

    <output_path>/<operationId>/<hash>/<start>_<end>.<format>

and in the Hive layout (``partition_by="month"`` or ``"day"``)::

    <output_path>/operation=<operationId>/month=2026-09/<hash>_<start>_<end>.<format>
    <output_path>/operation=<operationId>/day=2026-09-30/<hash>_<start>_<end>.<format>

``<format>`` is the extension: ``jsonl``, ``csv``, ``jsonl.gz``, ``csv.gz`` or ``parquet``.

``<output_path>/<operationId>/<hash>`` is one *dataset*: one operation, one filter set, one connection, one
storage root. Every object in it holds the same kind of rows, so a reader can take the folder as one table,
and the operators announce it as one Airflow ``Asset`` (its URI: :func:`uri_of` the folder), the object
in the event's extra. In the Hive layout the dataset is the operation's folder,
``<output_path>/operation=<operationId>``: one table per operation, every filter set in it (the rows'
``filter_set`` column tells them apart, the name's ``<hash>`` keeps their objects apart).

``<start>``/``<end>`` are the window's UTC instants as ``YYYYMMDDTHHMMSSZ``; endpoints without a window
use ``asof_<instant>`` (the run's logical date). ``<hash>`` is the first 10 hex digits of the SHA-256 of
the canonical JSON of what decides the data besides the window:

- the connection: its id and its base URL (never the token), so two tasks reading two LaunchDarkly
  accounts or instances (US and EU connections) into one ``output_path`` never overwrite each other;
- the non-window arguments (path parameters and filters, ``None`` left out), normalised first so that
  equivalent spellings name the same object: a boolean is ``"true"``/``"false"``, a single value is a
  one-item list, and a list is de-duplicated and sorted (``["web", "mobile"]`` = ``["mobile", "web",
  "web"]``; ``True`` = ``"true"``).

Two tasks with different filters or accounts therefore never overwrite each other, and a re-run with the
same arguments on the same connection replaces its object, in either layout.

Hive partitions: the keys are ``operation`` and ``month``/``day``, never names of the files' columns
(Spark refuses a partition column that is also a data column, and the files have ``endpoint`` and
``time``). An object belongs to exactly one partition: a window must lie inside one UTC month (``month``)
or day (``day``), else :func:`check_partition` refuses it before any request (a month in a ``day=``
folder would make a partition filter miss or double rows); objects without a window go to the partition
of their as-of instant.

Writes go to a hidden temporary sibling (``.<name>.<random>.tmp``) that is moved into place only when
complete; any failure deletes it, so readers never see a partial final object. Beside each object lies
its integrity record (``.<name>.<sha256[:16]>.integrity.json``: rows, bytes, SHA-256 and the rows'
identity; :mod:`~airflow_provider_ldusage.landing.integrity`), which the reader and the SQL load check it
against. A process killed outright
(SIGKILL) may leave a temporary sibling; a later write of the same object removes it once it is an hour
old (a younger one may be another task's write in progress). Query engines skip
it too: Hive, Spark, Trino, Athena and pyarrow ignore files whose names start with ``.`` or ``_``.

The gzip formats are one gzip member streamed through ``zlib`` (:data:`GZIP_LEVEL`), their rows ordered by
series within blocks of :data:`BY_SERIES_BLOCK` rows; Parquet is written by
:mod:`airflow_provider_ldusage.landing.parquet`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.listing import delete_quietly

if TYPE_CHECKING:
    from airflow_provider_ldusage.compat import ObjectStoragePath
    from airflow_provider_ldusage.landing.rows import UsageRows

OutputFormat = Literal["jsonl", "csv", "jsonl.gz", "csv.gz", "parquet"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("jsonl", "csv", "jsonl.gz", "csv.gz", "parquet")
#: The formats as the validation messages list them.
FORMATS_ALLOWED = ", ".join(repr(f) for f in OUTPUT_FORMATS)
#: gzip level of jsonl.gz and csv.gz. Measured on the landed-size benchmark's response (1,000 series, a
#: year of days; blocks of 8,192 rows): level 8 lands jsonl.gz at 0.77x the response in 1.5 s, level 9 at
#: the same size in 2.2 s, level 6 (zlib's default) at 0.96x (level 1: 1.29x) — the longer match search
#: of level 8 is what finds a series' previous row among rows that all share their first ~250 bytes.
GZIP_LEVEL = 8
#: The gzip formats order rows by series within blocks of this many rows (UsageRows.iter_records_by_series):
#: a series' rows side by side repeat its key and dimensions within deflate's 32 KB window. The block is
#: held in memory as text: 8,192 rows keep a jsonl.gz write near 24 MB at peak (65,536: 170 MB), for
#: 0.77x instead of 0.72x of the response (benchmarks/landed_size.py).
BY_SERIES_BLOCK = 8_192
#: A write removes the temporaries of its object older than this (a crashed write's); a younger one may be
#: another task's write of the same object in progress (overlapping runs), which must not lose it.
STALE_TEMPORARY_SECONDS = 3600


def normalised(value: Any) -> Any:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return {str(k): normalised(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = {("true" if v else "false") if isinstance(v, bool) else str(v) for v in value}
        return sorted(items)
    return [str(value)]


def arguments_hash(
    arguments: Mapping[str, Any], *, conn_id: str | None = None, base_url: str | None = None
) -> str:
    """A short stable hash of the connection and the non-window arguments (see the module description).

    :param arguments: the hook arguments; ``start``, ``end`` and ``None`` values are left out.
    :param conn_id: the ``launchdarkly`` connection id.
    :param base_url: that connection's base URL (``https://app.eu.launchdarkly.com``).
    """
    canonical: dict[str, Any] = {
        name: normalised(value)
        for name, value in arguments.items()
        if value is not None and name not in ("start", "end")
    }
    if conn_id is not None or base_url is not None:
        # Keys no filter can have (filters are snake_case identifiers).
        canonical["<connection>"] = {"id": conn_id, "base_url": (base_url or "").rstrip("/")}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


PartitionBy = Literal["month", "day"]
PARTITIONS: tuple[PartitionBy, ...] = ("month", "day")


def check_partition(partition_by: object, start: datetime | None, end: datetime | None) -> None:
    """Refuse a Hive partitioning the window does not fit, before any request.

    ``month`` needs a window inside one UTC month, ``day`` one inside one UTC day (an object belongs to
    exactly one partition, or a query filtering on the partition would miss or double rows). Objects without
    a window are partitioned by their as-of instant, which always fits.

    :raises LaunchDarklyUsageValidationError: naming ``partition_by``, the value and what would fit.
    """
    if partition_by is None:
        return
    if partition_by not in PARTITIONS:
        raise LaunchDarklyUsageValidationError(
            "partition_by", partition_by, "'month', 'day', or partition_by=None for the plain layout"
        )
    if start is None or end is None:
        return
    last = end - timedelta(microseconds=1)
    fits = (
        start.date() == last.date()
        if partition_by == "day"
        else start.strftime("%Y%m") == last.strftime("%Y%m")
    )
    if not fits:
        window = f"{start:%Y-%m-%dT%H:%M:%SZ}..{end:%Y-%m-%dT%H:%M:%SZ}"
        month = (start.year, start.month) == (last.year, last.month)
        # Written as code (partition_by=None), never a bare None that reads as a missing value.
        wider = (
            "partition_by='month' or partition_by=None"
            if partition_by == "day" and month
            else "partition_by=None (the plain layout)"
        )
        raise LaunchDarklyUsageValidationError(
            "partition_by",
            partition_by,
            f"use {wider} for the window {window}: a {partition_by} partition holds windows inside one UTC "
            f"{partition_by}; or schedule windows that fit",
        )


def partition_folder(partition_by: PartitionBy, moment: datetime) -> str:
    """``month=2026-09`` or ``day=2026-09-30``: the Hive partition of the instant (UTC)."""
    return f"month={moment:%Y-%m}" if partition_by == "month" else f"day={moment:%Y-%m-%d}"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def object_name(
    operation_id: str,
    start: datetime | None,
    end: datetime | None,
    arguments: Mapping[str, Any],
    output_format: OutputFormat,
    as_of: datetime | None = None,
    *,
    conn_id: str | None = None,
    base_url: str | None = None,
    partition_by: PartitionBy | None = None,
) -> str:
    """The object's path relative to ``output_path`` (see the module docstring).

    :param conn_id: the connection id, part of the hash.
    :param base_url: the connection's base URL, part of the hash.
    :param partition_by: ``month`` or ``day`` for the Hive layout; ``None`` for the plain one.
    """
    if start is not None and end is not None:
        stem = f"{_stamp(start)}_{_stamp(end)}"
    elif as_of is not None:
        stem = f"asof_{_stamp(as_of)}"
    else:
        raise LaunchDarklyUsageValidationError(
            "window", None, "a window or an as-of instant to name the object"
        )
    digest = arguments_hash(arguments, conn_id=conn_id, base_url=base_url)
    if partition_by is None:
        return f"{operation_id}/{digest}/{stem}.{output_format}"
    check_partition(partition_by, start, end)
    moment = start if start is not None else as_of
    assert moment is not None  # one of them named the stem
    folder = partition_folder(partition_by, moment)
    return f"operation={operation_id}/{folder}/{digest}_{stem}.{output_format}"


def dataset_name(
    operation_id: str,
    arguments: Mapping[str, Any],
    *,
    conn_id: str | None = None,
    base_url: str | None = None,
    partition_by: PartitionBy | None = None,
) -> str:
    """The dataset's folder relative to ``output_path`` (module docstring): ``<operationId>/<hash>``, or
    in the Hive layout the operation's table, ``operation=<operationId>``."""
    if partition_by is not None:
        return f"operation={operation_id}"
    return f"{operation_id}/{arguments_hash(arguments, conn_id=conn_id, base_url=base_url)}"


def uri_of(path: ObjectStoragePath) -> str:
    """A location's URI without a connection id (``s3://bucket/key``, ``file:///abs/path``)."""
    if path.protocol in ("file", "local", ""):
        return "file://" + path.path
    return f"{path.protocol}://{path.bucket}/{path.key}"


@dataclass(frozen=True)
class Landed:
    """Where :func:`land` put the rows.

    :param uri: the object's URI.
    :param dataset_uri: the URI of its dataset folder, the Asset the operators announce.
    :param size: bytes written.
    """

    uri: str
    dataset_uri: str
    size: int


def land(
    rows: UsageRows,
    output_path: object,
    operation_id: str,
    arguments: Mapping[str, Any],
    output_format: OutputFormat,
    *,
    window_start: datetime | None,
    window_end: datetime | None,
    as_of: datetime | None = None,
    conn_id: str | None = None,
    base_url: str | None = None,
    partition_by: PartitionBy | None = None,
) -> Landed:
    """Write ``rows`` as the object :func:`object_name` names under ``output_path``, atomically."""
    name = object_name(
        operation_id,
        window_start,
        window_end,
        arguments,
        output_format,
        as_of,
        conn_id=conn_id,
        base_url=base_url,
        partition_by=partition_by,
    )
    check_object_name(name)
    root = storage_path(output_path)
    target = root / name
    size = write_rows(rows, target, output_format)
    dataset = root / dataset_name(
        operation_id, arguments, conn_id=conn_id, base_url=base_url, partition_by=partition_by
    )
    return Landed(uri_of(target), uri_of(dataset), size)


def storage_path(output_path: object, conn_id: str | None = None) -> ObjectStoragePath:
    """``output_path`` as an ``ObjectStoragePath``; plain paths become absolute ``file://`` paths.

    :param conn_id: the storage connection for a remote URI that names none (``s3://bucket/key``, as the
        operators' summaries write it); a URI's own (``s3://conn@bucket/key``) wins.
    """
    from airflow_provider_ldusage.compat import ObjectStoragePath

    if isinstance(output_path, ObjectStoragePath):
        return output_path
    text = str(output_path).strip() if output_path is not None else ""
    if not text or text == "None":
        raise LaunchDarklyUsageValidationError(
            "output_path", output_path, "a local folder or a storage URI such as s3://bucket/prefix"
        )
    if "://" not in text:
        from pathlib import Path

        # Not Path.as_uri(): it percent-encodes, and ObjectStoragePath would keep "%3D" for the "=" of
        # a Hive folder (or "%20" for a space) as part of the file name.
        text = "file://" + Path(text).expanduser().absolute().as_posix()
    elif conn_id and not text.startswith("file://") and "@" not in text.split("://", 1)[1].split("/", 1)[0]:
        return ObjectStoragePath(text, conn_id=conn_id)
    return ObjectStoragePath(text)


def check_inside_template(output_path: object, template: object) -> None:
    """Refuse a rendered ``output_path`` that leaves the folder its template wrote before the template part.

    The rule: the folder is the template's literal text before its first ``{{`` or ``{%``, up to and
    including the last ``/`` (``/data/landing/`` for ``/data/landing/{{ dag_run.conf['team'] }}``; empty
    for a template that starts with an expression). The rendered value must start with that folder, and
    the rest, normalised (``a/../b`` is ``b``), must not climb out of it with ``..``. Values that are not
    templates (no ``{{``/``{%``) are the DAG author's own and are not checked. Runs before any request.

    :param output_path: the rendered value.
    :param template: the value as the DAG author wrote it.
    :raises LaunchDarklyUsageValidationError: naming ``output_path``, the value and the folder.
    """
    import posixpath

    if not isinstance(template, str) or not isinstance(output_path, str):
        return
    cuts = [i for i in (template.find("{{"), template.find("{%")) if i >= 0]
    if not cuts:
        return
    literal = template[: min(cuts)].lstrip()
    folder = literal[: literal.rfind("/") + 1]
    text = output_path.strip()
    inside = text.startswith(folder)
    if inside:
        rest = posixpath.normpath(text[len(folder) :].replace("\\", "/").lstrip("/") or ".")
        inside = rest != ".." and not rest.startswith("../")
    if not inside:
        where = f"inside {folder!r}" if folder else "without '..' segments that climb out of it"
        raise LaunchDarklyUsageValidationError(
            "output_path",
            output_path,
            f"a path {where}, the folder written before the template part of {template!r}; a rendered "
            "value (dag_run.conf, params, Variables) may not lead outside it",
        )


def check_object_name(name: str) -> None:
    """Refuse an object name with an empty, ``.`` or ``..`` segment: names never leave ``output_path``."""
    if any(segment in ("", ".", "..") for segment in name.replace("\\", "/").split("/")):
        raise LaunchDarklyUsageValidationError(
            "object name", name, "path segments without '.', '..' or empty parts, inside output_path"
        )


_LOCAL_PROTOCOLS = ("file", "local", "")


def check_writable(output_path: object) -> None:
    """Fail before the first request when ``output_path`` cannot take objects, not after the download.

    The rule: a local folder (a plain path or ``file://``) is created if missing (:func:`land` would
    create it anyway) and proved writable by creating and deleting one empty hidden probe file in it, so
    a read-only folder, a file where a folder should be, or a missing permission fails here. Other
    protocols (``s3://``, ``gs://``, ``abfs://``…) are only parsed (a bucket must be named): probing an
    object store costs a request, needs delete permission and can fire bucket notifications or leave
    versioned objects, so a missing write permission there still shows on the first write.

    :param output_path: the operator's ``output_path`` (a local folder, a URI or an ``ObjectStoragePath``).
    :raises LaunchDarklyUsageValidationError: naming ``output_path`` and what is wrong.
    """
    path = storage_path(output_path)
    if path.protocol not in _LOCAL_PROTOCOLS:
        if not getattr(path, "bucket", None):
            raise LaunchDarklyUsageValidationError(
                "output_path", output_path, f"a {path.protocol}:// URI that names a bucket or container"
            )
        return
    import os
    from pathlib import Path

    folder = Path(path.path)
    blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise LaunchDarklyUsageValidationError(
            "output_path", output_path, f"a folder, but {blocker} is a file; point output_path at a folder"
        )
    probe = folder / f".ldusage-write-probe-{uuid.uuid4().hex}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # O_EXCL: never touch an existing file; the probe is empty and removed at once.
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        probe.unlink()
    except OSError as exc:
        raise LaunchDarklyUsageValidationError(
            "output_path",
            output_path,
            f"a folder this task can write; creating a file in {folder} failed: "
            f"{exc.strerror or exc.__class__.__name__}",
        ) from None


def check_output_format(output_format: object) -> None:
    """Refuse an unknown format, and ``parquet`` without pyarrow, before any request.

    :raises LaunchDarklyUsageValidationError: naming ``output_format``, the value and what is allowed.
    """
    if output_format not in OUTPUT_FORMATS:
        raise LaunchDarklyUsageValidationError("output_format", output_format, f"one of {FORMATS_ALLOWED}")
    if output_format == "parquet":
        from airflow_provider_ldusage.landing.parquet import check_available

        check_available()


def write_rows(rows: UsageRows, target: ObjectStoragePath, output_format: OutputFormat) -> int:
    """Write ``rows`` to ``target`` atomically, replacing any existing object, with its integrity
    record (row count, size, SHA-256: :mod:`~airflow_provider_ldusage.landing.integrity`); return the
    bytes written.

    Order: the object to a temporary (hashed as it is written), the record under that content's hash,
    the object moved into place, the records of earlier contents removed. A crash between any two steps
    leaves the final object beside a record of its own bytes.
    """
    from airflow_provider_ldusage.landing import integrity

    check_output_format(output_format)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(parent, target.name)
    # The records there before this write: only these may be removed once the object is in place, so a
    # record another task writes meanwhile for the same object (an overlapping run) survives.
    listed = integrity.record_names(target)
    temporary = parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    written: tuple[ObjectStoragePath, bool] | None = None
    try:
        with temporary.open("wb") as handle:
            digest = integrity.Digest(handle)
            size = _write(rows, digest, output_format)
        document = integrity.record(rows, target.name, output_format, digest)
        written = integrity.write_record(parent, document)
        try:
            temporary.move(target)  # a rename on local disks; copy-then-delete on object stores
        except FileNotFoundError:
            raise LaunchDarklyUsageError(
                f"Landing {uri_of(target)} failed: its temporary {temporary.name} was removed before it "
                "was moved into place (by something other than this task, which only removes temporaries "
                f"older than {STALE_TEMPORARY_SECONDS} s); the object is unchanged: re-run the task"
            ) from None
    except BaseException:
        # BaseException: Airflow stops a task with SIGTERM turned into an exception; clean up then too.
        delete_quietly(temporary)
        if written is not None and not written[1]:  # a record of content that never arrived
            delete_quietly(written[0])
        raise
    integrity.settle(target, written[0], document, listed)
    return size


def _write(rows: UsageRows, handle: Any, output_format: OutputFormat) -> int:
    """Write ``rows`` in ``output_format`` to an open binary handle; return the bytes written."""
    if output_format == "parquet":
        from airflow_provider_ldusage.landing.parquet import write_parquet

        return write_parquet(rows, handle)
    if not output_format.endswith(".gz"):
        return rows.write_jsonl(handle.write) if output_format == "jsonl" else rows.write_csv(handle.write)
    import zlib

    # A gzip stream (wbits 31: gzip header and trailer), compressed batch by batch as the rows are written.
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    written = 0

    def write(data: bytes) -> None:
        nonlocal written
        chunk = compressor.compress(data)
        if chunk:
            handle.write(chunk)
            written += len(chunk)

    # By series within blocks: a series' rows side by side compress far better (iter_records_by_series).
    if output_format == "jsonl.gz":
        rows.write_jsonl(write, by_series=BY_SERIES_BLOCK)
    else:
        rows.write_csv(write, records=rows.iter_records_by_series(BY_SERIES_BLOCK))
    tail = compressor.flush()
    handle.write(tail)
    return written + len(tail)


def _remove_stale_temporaries(parent: ObjectStoragePath, name: str) -> None:
    """Delete the temporaries of ``name`` left by crashed writes: those older than
    :data:`STALE_TEMPORARY_SECONDS` only (a younger one may be another task's write in progress), and
    none where the store reports no modification time."""
    from airflow_provider_ldusage.landing.listing import matching_names

    pattern = re.compile(rf"\.{re.escape(name)}\.[0-9a-f]{{32}}\.tmp")  # X.jsonl's, never X.jsonl.gz's
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    try:
        for stale, modified in matching_names(parent, f".{name}.", pattern):
            if modified is not None and modified < cutoff:
                delete_quietly(parent / stale)
    except (OSError, NotImplementedError):  # a backend without listing: leftovers stay, finals are safe
        pass


def event_extra(summary: Mapping[str, Any]) -> dict[str, Any]:
    """An Asset event's ``extra`` from a summary: flat, nested values as JSON text.

    Airflow 3.1.1 hashes the extra's values when it records events of an ``AssetAlias`` (a nested dict
    fails the task); flat values work on every supported Airflow and read the same in the UI. The
    ``lookback`` list is left out: each re-landed window announces its own event.
    """
    return {
        key: json.dumps(value, sort_keys=True) if isinstance(value, (dict, list, tuple)) else value
        for key, value in summary.items()
        if key != "lookback"
    }
