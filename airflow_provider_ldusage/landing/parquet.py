"""Parquet output and input for the row layouts (``output_format="parquet"``), through pyarrow.

pyarrow is an optional extra (``pip install 'airflow-provider-ldusage[parquet]'``) and is imported only by
the functions that write or read Parquet, never when this module is imported (the only module of the
package that imports it: ``tests/test_dependencies.py``); :func:`check_available` tells whether it is
installed without importing it, so operators refuse ``parquet`` before any request.

Column types (the logical types of :mod:`airflow_provider_ldusage.landing.schema`): ``timestamp`` →
``timestamp[ms, tz=UTC]``, ``int`` → ``int64``, ``number`` → ``float64`` (the same type on every endpoint,
so every endpoint's objects read as one table; exact for integers below 2**53), ``bool`` → ``bool``,
``string`` and ``json`` → ``string`` (json as JSON text). Rows are written in record batches of
:data:`BATCH_ROWS` (one row group each), so memory holds one batch, never the object; columns are
dictionary-encoded (the window, unit, series key and dimensions repeat row after row) and pages compressed
with :data:`COMPRESSION`. The file's key-value metadata carries ``ldusage.schema_version`` and
``ldusage.layout``.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_ldusage.core.timeconv import EPOCH, iso
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.schema import SCHEMA_VERSION, Column, Layout, columns_of

if TYPE_CHECKING:
    from airflow_provider_ldusage.landing.rows import UsageRows

#: Rows per record batch and row group. Measured on the landed-size benchmark's response (365,000 rows):
#: 16,384 rows hold about 5 MB of Python records and 7 MB of Arrow buffers at a time and land at 0.25x
#: the response; 65,536 rows 18 MB + 28 MB for 0.19x (benchmarks/landed_size.py).
BATCH_ROWS = 16_384
#: Page compression: zstd lands 0.25x the response where snappy lands 0.36x, at the same write time
#: (0.9 s for 365,000 rows).
COMPRESSION = "zstd"
#: Rows per batch when reading back.
READ_BATCH_ROWS = 16_384
EXTRA = "pip install 'airflow-provider-ldusage[parquet]'"
#: Decoded cells (timestamps, JSON) kept for re-use while reading, before the cache is emptied.
_CACHE = 4096


def available() -> bool:
    """Whether pyarrow is installed (found without importing it)."""
    return importlib.util.find_spec("pyarrow") is not None


def check_available() -> None:
    """Raise a validation error naming the extra when pyarrow is not installed (without importing it)."""
    if not available():
        raise LaunchDarklyUsageValidationError(
            "output_format",
            "parquet",
            f"'parquet' only with pyarrow installed ({EXTRA}); or 'jsonl.gz' / 'csv.gz', which need nothing",
        )


def arrow_schema(layout: Layout) -> Any:
    """The Arrow schema of ``layout``, with the layout's version in its metadata."""
    import pyarrow as pa

    types = {
        "int": pa.int64(),
        "number": pa.float64(),
        "string": pa.string(),
        "json": pa.string(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("ms", tz="UTC"),
    }
    fields = [pa.field(c.name, types[c.type], nullable=c.nullable) for c in columns_of(layout)]
    metadata = {"ldusage.schema_version": str(SCHEMA_VERSION), "ldusage.layout": layout}
    return pa.schema(fields, metadata=metadata)


def _batch(columns: tuple[Column, ...], records: list[list[Any]], schema: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = []
    for position, column in enumerate(columns):
        values = [record[position] for record in records]
        kind = schema.field(position).type
        if column.type == "timestamp":
            # ISO-8601 text (Z or an offset) -> UTC instants, parsed by Arrow in one pass; through
            # microseconds, so a sub-millisecond part is cut rather than refused.
            parsed = pc.cast(pa.array(values, pa.string()), pa.timestamp("us", tz="UTC"))
            arrays.append(parsed.cast(kind, safe=False))
        else:
            arrays.append(pa.array(values, kind))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_parquet(rows: UsageRows, handle: Any) -> int:
    """Write ``rows`` as one Parquet file to the open binary ``handle``; return the bytes written."""
    check_available()
    import pyarrow.parquet as pq

    schema = arrow_schema(rows.layout)
    columns = columns_of(rows.layout)
    counter = _Counting(handle)
    with pq.ParquetWriter(counter, schema, compression=COMPRESSION, use_dictionary=True) as writer:
        records: list[list[Any]] = []
        wrote = False
        for record in rows.iter_records():
            records.append(record)
            if len(records) >= BATCH_ROWS:
                writer.write_batch(_batch(columns, records, schema))
                records, wrote = [], True
        # An empty object still has the schema: readers see the columns of an empty window.
        if records or not wrote:
            writer.write_batch(_batch(columns, records, schema))
    return counter.size


class _Counting:
    """A file-like wrapper that counts the bytes pyarrow writes."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.size = 0
        self.closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.handle.write(view)
        self.size += view.nbytes
        return view.nbytes

    def flush(self) -> None:
        if hasattr(self.handle, "flush"):
            self.handle.flush()

    def tell(self) -> int:
        return self.size

    def close(self) -> None:  # the caller owns the handle
        self.closed = True

    @property
    def mode(self) -> str:
        return "wb"

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False


class ParquetSource:
    """A Parquet object opened for reading: its key-value metadata, columns and batches.

    :param handle: an open binary, seekable file (``ObjectStoragePath.open("rb")``).
    :raises LaunchDarklyUsageError: when pyarrow is not installed (naming the extra).
    """

    def __init__(self, handle: Any) -> None:
        if not available():
            raise LaunchDarklyUsageError(f"reading Parquet needs pyarrow: {EXTRA}")
        import pyarrow.parquet as pq

        self._file = pq.ParquetFile(handle)
        schema = self._file.schema_arrow
        self.metadata: dict[str, str] = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
        self.names: list[str] = list(schema.names)

    def batches(
        self, columns: Sequence[Column], *, integral: bool, batch_rows: int = READ_BATCH_ROWS
    ) -> Iterator[list[list[Any]]]:
        """The values of ``columns``, batch by batch, as Python lists (one per column), typed like the JSON
        Lines reader gives them: timestamps as ISO-8601 text with ``Z``, json columns decoded, and with
        ``integral`` (endpoints documented as integers) integral ``value`` floats as ``int``."""
        convert = _Columns(columns, integral=integral)
        names = [c.name for c in columns]
        for batch in self._file.iter_batches(batch_size=batch_rows, columns=names):
            yield convert(batch)


def read_parquet(handle: Any, layout: Layout, *, integral: bool) -> Iterator[dict[str, Any]]:
    """Each row of a Parquet object of ``layout`` as a dict in column order (see :class:`ParquetSource`)."""
    columns = columns_of(layout)
    names = [c.name for c in columns]
    for values in ParquetSource(handle).batches(columns, integral=integral):
        for row in zip(*values, strict=True):
            yield dict(zip(names, row, strict=True))


class _Columns:
    """A record batch of a layout as Python column lists, typed like the JSON Lines reader's values."""

    def __init__(self, columns: Sequence[Column], *, integral: bool) -> None:
        self.columns = columns
        self.integral = integral
        self.times: dict[int, str] = {}
        self.json: dict[str, Any] = {}

    def __call__(self, batch: Any) -> list[list[Any]]:
        return [self._column(c.type, batch.column(i)) for i, c in enumerate(self.columns)]

    def _column(self, kind: str, array: Any) -> list[Any]:
        import pyarrow as pa

        if kind == "timestamp" and pa.types.is_timestamp(array.type):
            micros = array.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()
            return [None if v is None else self._time(v) for v in micros]
        if kind == "json":
            return [None if v is None else self._json(v) for v in array.to_pylist()]
        values: list[Any] = array.to_pylist()
        if kind == "number" and self.integral and pa.types.is_floating(array.type):
            return [int(v) if v is not None and v.is_integer() else v for v in values]
        return values

    def _time(self, micros: int) -> str:
        text = self.times.get(micros)
        if text is None:
            if len(self.times) >= _CACHE:
                self.times.clear()
            text = self.times[micros] = iso(EPOCH + timedelta(microseconds=micros))
        return text

    def _json(self, text: str) -> Any:
        found = self.json.get(text)
        if found is None:
            if len(self.json) >= _CACHE:
                self.json.clear()
            found = self.json[text] = json.loads(text)
        return found
