"""Tidy rows from usage responses: one record per time bucket and series, metadata decoded into columns.

Columns, in order:

``endpoint``
    LaunchDarkly's operation id (``getMAUTotalUsage``): stable, and what LaunchDarkly's docs name.
``window_start``, ``window_end``
    the resolved window of the whole run (UTC ISO-8601 with ``Z``), the same on every row even when the
    window was fetched in several requests; ``null`` for endpoints without a window.
``time``
    the bucket start, UTC ISO-8601 with ``Z`` (series endpoints only).
``series``
    the series index within this result (series endpoints only). Series are identified by their metadata:
    when a split window is merged, a series keeps the index it got in the first response it appears in.
metadata fields
    every field of the series' metadata object as its own column, in order of first appearance (``sdkName``,
    ``projectId``…). A field named like one of the fixed columns is renamed ``metadata_<name>``.
``value``
    the bucket's value: ``int``, or ``float`` for service connections (never cast).

List endpoints give one row per SDK (``sdk``) or per SDK and version (``sdk``, ``version``).
A series key missing from a time slice is no row. Merged responses never duplicate a bucket: a (time,
series) pair seen in an earlier response is skipped.

The JSON Lines writer pre-encodes each series' metadata once, so no metadata is re-encoded per row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from airflow_provider_ldusage.catalogue import Endpoint
from airflow_provider_ldusage.core.timeconv import from_epoch_ms, iso

FIXED_COLUMNS = ("endpoint", "window_start", "window_end", "time", "series")
VALUE_COLUMN = "value"
_RESERVED = frozenset((*FIXED_COLUMNS, VALUE_COLUMN))
_LIST_COLUMNS = {"SdkListRep": ("sdk",), "SdkVersionListRep": ("sdk", "version")}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def _column(name: str) -> str:
    return f"metadata_{name}" if name in _RESERVED else name


class _Series:
    """One series' metadata, decoded and encoded once."""

    __slots__ = ("fragment", "index", "metadata")

    def __init__(self, index: int, metadata: dict[str, Any]) -> None:
        self.index = index
        self.metadata = {_column(k): v for k, v in metadata.items()}
        # ',"sdkName":"Go"' — spliced into every JSON line of this series.
        body = _dumps(self.metadata)[1:-1]
        self.fragment = f'{index}{"," + body if body else ""},"value":'


class _Piece:
    """One response of a (possibly split) window: its slices and how its keys map to series."""

    __slots__ = ("by_key", "duplicates", "slices")

    def __init__(self, slices: Sequence[dict[str, Any]], by_key: dict[str, _Series]) -> None:
        self.slices = slices
        self.by_key = by_key
        # time (ms) -> keys of this slice already delivered by an earlier piece (normally empty).
        self.duplicates: dict[int, frozenset[str]] = {}


class UsageRows:
    """The tidy rows of one endpoint over one window, built from one or more responses.

    Responses are referenced, not copied; rows are produced lazily by :meth:`iter_dicts`,
    :meth:`write_jsonl` and :meth:`write_csv`.

    :param endpoint: the catalogue entry of the operation the responses come from.
    :param window_start: the run's resolved window start (None for endpoints without a window).
    :param window_end: the run's resolved window end.
    """

    def __init__(
        self, endpoint: Endpoint, window_start: datetime | None, window_end: datetime | None
    ) -> None:
        self.endpoint = endpoint
        self.window_start = iso(window_start) if window_start else None
        self.window_end = iso(window_end) if window_end else None
        self._series: dict[str, _Series] = {}
        self._pieces: list[_Piece] = []
        # bucket time (ms) -> (piece number, slice position) of every response slice holding it
        self._times: dict[int, list[tuple[int, int]]] = {}
        self._list_rows: dict[tuple[str, ...], None] = {}
        self._columns: dict[str, None] = {}
        self._count = 0
        self._time_text: dict[int, str] = {}

    # --- building -------------------------------------------------------------------------------------

    def add(self, response: dict[str, Any]) -> None:
        """Merge one parsed response (a piece of the window) into the result."""
        kind = self.endpoint.response_kind
        if kind == "SdkListRep":
            for sdk in response.get("sdks", ()):
                self._add_list_row((sdk,))
        elif kind == "SdkVersionListRep":
            for item in response.get("sdkVersions", ()):
                self._add_list_row((item.get("sdk"), item.get("version")))
        else:
            self._add_series(response)

    def _add_list_row(self, values: tuple[Any, ...]) -> None:
        if values not in self._list_rows:
            self._list_rows[values] = None
            self._count += 1

    def _register(self, metadata: dict[str, Any]) -> _Series:
        key = _canonical(metadata)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = _Series(len(self._series), metadata)
            self._columns.update(dict.fromkeys(found.metadata))
        return found

    def _add_series(self, response: dict[str, Any]) -> None:
        metadata = response.get("metadata") or []
        by_key = {str(i): self._register(m if isinstance(m, dict) else {}) for i, m in enumerate(metadata)}
        # A plain list or the hook's lazily decoded series: slices are read here once (counting, spotting
        # duplicate buckets) and again when written, and never kept decoded in between.
        slices: Sequence[dict[str, Any]] = response.get("series") or []
        piece = _Piece(slices, by_key)
        number = len(self._pieces)
        count = 0
        for position, item in enumerate(slices):
            keys = len(item) - 1  # every key but "time" is a series value
            if keys > len(by_key):  # a key no metadata entry describes (cheap test, exact below)
                self._adopt_orphans(item, by_key)
            when = item["time"]
            earlier = self._times.get(when)
            if earlier is None:
                self._times[when] = [(number, position)]
            else:
                self._adopt_orphans(item, by_key)
                seen: set[int] = set()
                for other_number, other_position in earlier:
                    other = self._pieces[other_number] if other_number < number else piece
                    # Rare (a bucket two responses both hold), so re-reading that slice is cheap enough.
                    other_item = other.slices[other_position]
                    known = other.by_key
                    seen.update(known[k].index for k in other_item if k != "time" and k in known)
                dup = frozenset(k for k in item if k != "time" and by_key[k].index in seen)
                if dup:
                    piece.duplicates[when] = piece.duplicates.get(when, frozenset()) | dup
                    keys -= len(dup)
                earlier.append((number, position))
            count += keys
        self._pieces.append(piece)
        self._count += count

    def _adopt_orphans(self, item: dict[str, Any], by_key: dict[str, _Series]) -> None:
        # A key no metadata entry describes is still a series (with no metadata columns), never dropped.
        for key in item.keys() - by_key.keys() - {"time"}:
            by_key[key] = self._register_orphan(key)

    def _register_orphan(self, key: str) -> _Series:
        marker = f"\0orphan:{key}"
        found = self._series.get(marker)
        if found is None:
            found = self._series[marker] = _Series(len(self._series), {})
        return found

    # --- reading --------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    @property
    def metadata_columns(self) -> tuple[str, ...]:
        """Metadata columns in order of first appearance (list endpoints: ``sdk`` [, ``version``])."""
        listed = _LIST_COLUMNS.get(self.endpoint.response_kind)
        return listed if listed is not None else tuple(self._columns)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column, in row order."""
        if self.endpoint.response_kind in _LIST_COLUMNS:
            return (*FIXED_COLUMNS[:3], *self.metadata_columns)
        return (*FIXED_COLUMNS, *self.metadata_columns, VALUE_COLUMN)

    def _time(self, ms: int) -> str:
        text = self._time_text.get(ms)
        if text is None:
            text = self._time_text[ms] = iso(from_epoch_ms(ms))
        return text

    def _points(self) -> Iterator[tuple[str, _Series, Any]]:
        for piece in self._pieces:
            by_key, duplicates = piece.by_key, piece.duplicates
            for item in piece.slices:
                when = item["time"]
                text = self._time(when)
                skip = duplicates.get(when, ())
                if not by_key.keys() >= item.keys() - {"time"}:
                    self._adopt_orphans(item, by_key)
                for key, value in item.items():
                    if key != "time" and key not in skip:
                        yield text, by_key[key], value

    def iter_dicts(self) -> Iterator[dict[str, Any]]:
        """Each row as a dict (JSON-serialisable), in response order."""
        head = {"endpoint": self.endpoint.operation_id, "window_start": self.window_start}
        head["window_end"] = self.window_end
        if self.endpoint.response_kind in _LIST_COLUMNS:
            names = self.metadata_columns
            for values in self._list_rows:
                yield {**head, **dict(zip(names, values, strict=False))}
            return
        for text, series, value in self._points():
            yield {**head, "time": text, "series": series.index, **series.metadata, "value": value}

    def write_jsonl(self, write: Callable[[bytes], Any], batch: int = 4096) -> int:
        """Write the rows as JSON Lines through ``write`` (bytes); return the number of bytes written."""
        total = 0
        if self.endpoint.response_kind in _LIST_COLUMNS:
            lines = [_dumps(row) + "\n" for row in self.iter_dicts()]
            data = "".join(lines).encode()
            write(data)
            return len(data)
        prefix = (
            f'{{"endpoint":{_dumps(self.endpoint.operation_id)},"window_start":{_dumps(self.window_start)},'
            f'"window_end":{_dumps(self.window_end)},"time":"'
        )
        buffer: list[str] = []
        for piece in self._pieces:
            fragments = {k: s.fragment for k, s in piece.by_key.items()}
            for item in piece.slices:
                when = item["time"]
                head = f'{prefix}{self._time(when)}","series":'
                skip = piece.duplicates.get(when)
                if skip is None:
                    try:
                        buffer += [f"{head}{fragments[k]}{v}}}\n" for k, v in item.items() if k != "time"]
                    except KeyError:  # rare: keys without metadata, same count as by_key
                        self._adopt_orphans(item, piece.by_key)
                        fragments = {k: s.fragment for k, s in piece.by_key.items()}
                        buffer += [f"{head}{fragments[k]}{v}}}\n" for k, v in item.items() if k != "time"]
                else:
                    buffer += [
                        f"{head}{fragments[k]}{v}}}\n"
                        for k, v in item.items()
                        if k != "time" and k not in skip
                    ]
                if len(buffer) >= batch:
                    data = "".join(buffer).encode()
                    write(data)
                    total += len(data)
                    buffer = []
        if buffer:
            data = "".join(buffer).encode()
            write(data)
            total += len(data)
        return total

    def iter_records(self) -> Iterator[list[Any]]:
        """Each row as a list of CSV cells in :attr:`columns` order (missing metadata: empty cell)."""
        fixed = [self.endpoint.operation_id, self.window_start or "", self.window_end or ""]
        if self.endpoint.response_kind in _LIST_COLUMNS:
            for values in self._list_rows:
                yield [*fixed, *(_cell(v) for v in values)]
            return
        names = self.metadata_columns
        cells: dict[int, list[Any]] = {}
        for text, series, value in self._points():
            meta = cells.get(series.index)
            if meta is None:
                meta = cells[series.index] = [_cell(series.metadata.get(n)) for n in names]
            yield [*fixed, text, series.index, *meta, value]

    def write_csv(self, write: Callable[[bytes], Any], batch: int = 4096) -> int:
        """Write the rows as CSV with a header row through ``write``; return the number of bytes written."""
        sink = _Lines()
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(self.columns)
        total = 0
        records: list[list[Any]] = []
        for record in self.iter_records():
            records.append(record)
            if len(records) >= batch:
                writer.writerows(records)
                records = []
                total += sink.flush_to(write)
        writer.writerows(records)
        return total + sink.flush_to(write)


class _Lines:
    """A minimal text sink for ``csv.writer`` that hands its content on in batches."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush_to(self, write: Callable[[bytes], Any]) -> int:
        data = "".join(self.parts).encode()
        self.parts = []
        if data:
            write(data)
        return len(data)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return _dumps(value)
    return value
