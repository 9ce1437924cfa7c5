"""Parquet output and input for the row layouts (``output_format="parquet"``), through pyarrow.

pyarrow is an optional extra (``pip install 'airflow-provider-ldusage[parquet]'``) and is imported only by
the functions that write or read Parquet, never when this module is imported; :func:`check_available`
tells whether it is installed without importing it, so operators refuse ``parquet`` before any request.

Column types (the logical types of :mod:`airflow_provider_ldusage.schema`): ``timestamp`` →
``timestamp[ms, tz=UTC]``, ``int`` → ``int64``, ``number`` → ``float64`` (the same type on every endpoint,
so every endpoint's objects read as one table; exact for integers below 2**53), ``bool`` → ``bool``,
``string`` and ``json`` → ``string`` (json as JSON text). Rows are written in record batches, so memory
stays bounded by the batch, not the object; strings are dictionary-encoded and pages compressed with zstd.
The file's metadata carries ``ldusage.schema_version`` and ``ldusage.layout``.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.schema import SCHEMA_VERSION, Column, Layout, columns_of

if TYPE_CHECKING:
    from airflow_provider_ldusage.rows import UsageRows

BATCH_ROWS = 65_536
COMPRESSION = "zstd"
EXTRA = "pip install 'airflow-provider-ldusage[parquet]'"


def check_available() -> None:
    """Raise a validation error naming the extra when pyarrow is not installed (without importing it)."""
    if importlib.util.find_spec("pyarrow") is None:
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
            # ISO-8601 text (with Z or an offset) -> UTC instants, parsed by Arrow in one pass
            arrays.append(pc.cast(pa.array(values, pa.string()), kind))
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


def read_parquet(handle: Any) -> Iterator[tuple[Layout, int, dict[str, Any]]]:
    """Each row of a Parquet object as ``(layout, version, row)``; row values as the JSON Lines reader
    gives them (timestamps ISO-8601 text with Z, json columns decoded), batch by batch."""
    check_available()
    import pyarrow.parquet as pq

    source = pq.ParquetFile(handle)
    metadata = {k.decode(): v.decode() for k, v in (source.schema_arrow.metadata or {}).items()}
    layout: Layout = "series" if metadata.get("ldusage.layout", "series") == "series" else "list"
    version = int(metadata.get("ldusage.schema_version", SCHEMA_VERSION))
    columns = {c.name: c.type for c in columns_of(layout)}
    for batch in source.iter_batches(batch_size=BATCH_ROWS):
        for row in batch.to_pylist():
            for name, value in row.items():
                kind = columns.get(name)
                if value is None:
                    continue
                if kind == "timestamp":
                    row[name] = value.strftime("%Y-%m-%dT%H:%M:%S") + _fraction(value) + "Z"
                elif kind == "json":
                    row[name] = json.loads(value)
            yield layout, version, row


def _fraction(moment: Any) -> str:
    return f".{moment.microsecond // 1000:03d}" if moment.microsecond else ""
