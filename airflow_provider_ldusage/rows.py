"""Tidy rows from usage responses: one record per time bucket and series, metadata decoded into columns.

Columns, in order:

``endpoint``
    LaunchDarkly's operation id (``getMAUTotalUsage``): stable, and what LaunchDarkly's docs name.
``window_start``, ``window_end``
    the resolved window of the whole run (UTC ISO-8601 with ``Z``), the same on every row even when the
    window was fetched in several requests; ``null`` for endpoints without a window.
``request``
    what defines the rows besides the window, the same on every row: ``{"filters": …, "group_by": …,
    "aggregation": …, "granularity": …, "time_unit": …}`` as the operator's summary records it (a JSON
    object; JSON text in CSV), so objects of different filter sets are told apart by their rows alone;
    ``null`` when the rows were built without one.
``time``
    the bucket start, UTC ISO-8601 with ``Z`` (series endpoints only).
``series``
    the series index within this result (series endpoints only). Series are identified by their metadata:
    when a split window is merged, a series keeps the index it got in the first response it appears in. Two
    keys of one response with identical metadata stay two series (the repeats are told apart by their key).
metadata fields
    every field of the series' metadata object as its own column, in order of first appearance (``sdkName``,
    ``projectId``…). A field named like one of the fixed columns is renamed ``metadata_<name>``.
``value``
    the bucket's value: ``int``, or ``float`` for service connections (never cast).
``data_through``, ``delayed``
    only for endpoints whose responses report freshness (``Endpoint.has_freshness``: data-export and
    warehouse-export events): the response's ``dataThrough`` (the end of the latest hour LaunchDarkly's
    pipeline has written; later usage is not counted yet) and ``delayed`` (the pipeline is late), on every
    row of that response; ``null`` when LaunchDarkly left them out. :attr:`UsageRows.freshness` sums them
    up for the whole fetch.

List endpoints give one row per SDK (``sdk``) or per SDK and version (``sdk``, ``version``); the project
ranking one row per project (``projectKey``, ``projectName``, ``rank``, ``usage``, ``streaming``, over all
pages); the SDK version details one row per SDK entry, its fields as columns in order of first appearance
(``name``, ``version``, ``eolStatus``…).
A series key missing from a time slice is no row. Merged responses never duplicate a bucket. When two
pieces of a split window both return a bucket time, the piece whose window contains that time is the one
kept, whole (the other piece read it from outside its own window, e.g. a partial bucket); when neither
window decides (no windows given, or neither contains it), a (time, series) pair seen in an earlier
response is skipped.

The JSON Lines writer pre-encodes each series' metadata once, so no metadata is re-encoded per row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_ldusage.catalogue import Endpoint
from airflow_provider_ldusage.core.timeconv import EPOCH, from_epoch_ms, iso

FIXED_COLUMNS = ("endpoint", "window_start", "window_end", "request", "time", "series")
_HEAD_COLUMNS = FIXED_COLUMNS[:4]  # what list rows have too
VALUE_COLUMN = "value"
FRESHNESS_COLUMNS = ("data_through", "delayed")
_RESERVED = frozenset((*FIXED_COLUMNS, VALUE_COLUMN, *FRESHNESS_COLUMNS))
_RANKING_COLUMNS = ("projectKey", "projectName", "rank", "usage", "streaming")
_LIST_COLUMNS: dict[str, tuple[str, ...] | None] = {
    "SdkListRep": ("sdk",),
    "SdkVersionListRep": ("sdk", "version"),
    "DataExportProjectRankingRep": _RANKING_COLUMNS,
    "SdkVersionDetailsList": None,  # columns: the fields, in order of first appearance
}
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

    __slots__ = ("by_key", "data_through", "delayed", "end_ms", "skips", "slices", "start_ms")

    def __init__(
        self,
        slices: Sequence[dict[str, Any]],
        by_key: dict[str, _Series],
        start_ms: int | None,
        end_ms: int | None,
        data_through: str | None = None,
        delayed: bool | None = None,
    ) -> None:
        self.slices = slices
        self.by_key = by_key
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.data_through = data_through
        self.delayed = delayed
        # slice position -> keys of that slice not delivered from it (another slice has them; normally empty).
        self.skips: dict[int, frozenset[str]] = {}

    def contains(self, when: int) -> bool:
        """Whether this piece's window (when known) holds the bucket time ``when`` (epoch ms)."""
        return self.start_ms is not None and self.end_ms is not None and self.start_ms <= when < self.end_ms

    def live_keys(self, position: int) -> set[str]:
        """The series keys slice ``position`` delivers (re-reads the slice: only for rare duplicates)."""
        skip = self.skips.get(position, frozenset())
        return {k for k in self.slices[position] if k != "time" and k not in skip}


def _epoch_ms(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - EPOCH) // timedelta(milliseconds=1)


class UsageRows:
    """The tidy rows of one endpoint over one window, built from one or more responses.

    Responses are referenced, not copied; rows are produced lazily by :meth:`iter_dicts`,
    :meth:`write_jsonl` and :meth:`write_csv`.

    :param endpoint: the catalogue entry of the operation the responses come from.
    :param window_start: the run's resolved window start (None for endpoints without a window).
    :param window_end: the run's resolved window end.
    :param request: what defines the rows besides the window (the ``request`` column).
    """

    def __init__(
        self,
        endpoint: Endpoint,
        window_start: datetime | None,
        window_end: datetime | None,
        request: Mapping[str, Any] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.request = dict(request) if request is not None else None
        self.window_start = iso(window_start) if window_start else None
        self.window_end = iso(window_end) if window_end else None
        self._series: dict[str, _Series] = {}
        self._pieces: list[_Piece] = []
        # bucket time (ms) -> (piece number, slice position) of every response slice holding it
        self._times: dict[int, list[tuple[int, int]]] = {}
        # List endpoints: canonical JSON of a row -> the row (a repeated row is kept once).
        self._list_rows: dict[str, dict[str, Any]] = {}
        self._columns: dict[str, None] = {}
        self._count = 0
        self._time_text: dict[int, str] = {}

    # --- building -------------------------------------------------------------------------------------

    def add(
        self,
        response: Any,
        *,
        window_start: datetime | None = None,
        window_end: datetime | None = None,
    ) -> None:
        """Merge one parsed response (a piece of the window) into the result.

        :param response: the parsed body (a dict; a list for ``SdkVersionDetailsList``); its ``series`` may
            be a lazily decoded sequence.
        :param window_start: the start of the window this response was asked for (aware), if known.
        :param window_end: its end. With both, a bucket time that two pieces return is kept from the piece
            whose window contains it.
        """
        kind = self.endpoint.response_kind
        if kind == "SdkListRep":
            for sdk in response.get("sdks", ()):
                self._add_list_row({"sdk": sdk})
        elif kind == "SdkVersionListRep":
            for item in response.get("sdkVersions", ()):
                self._add_list_row({"sdk": item.get("sdk"), "version": item.get("version")})
        elif kind == "DataExportProjectRankingRep":
            for item in response.get("items", ()):
                row = {name: item.get(name) for name in _RANKING_COLUMNS[:-1]}
                row["streaming"] = (item.get("components") or {}).get("streaming")
                self._add_list_row(row)
        elif kind == "SdkVersionDetailsList":
            for item in response:
                row = {_column(k): v for k, v in item.items()}
                self._columns.update(dict.fromkeys(row))
                self._add_list_row(row)
        else:
            self._add_series(response, _epoch_ms(window_start), _epoch_ms(window_end))

    def _add_list_row(self, row: dict[str, Any]) -> None:
        identity = _canonical(row)
        if identity not in self._list_rows:
            self._list_rows[identity] = row
            self._count += 1

    def _register(self, key: str, metadata: dict[str, Any]) -> _Series:
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = _Series(len(self._series), metadata)
            self._columns.update(dict.fromkeys(found.metadata))
        return found

    def _series_of(self, metadata: list[Any]) -> dict[str, _Series]:
        by_key: dict[str, _Series] = {}
        seen: set[str] = set()
        for i, meta in enumerate(metadata):
            meta = meta if isinstance(meta, dict) else {}
            identity = _canonical(meta)
            if identity in seen:
                # Identical metadata for two keys of one response: still two series, told apart by the key.
                by_key[str(i)] = self._register(f"{identity}\0key:{i}", meta)
            else:
                seen.add(identity)
                by_key[str(i)] = self._register(identity, meta)
        return by_key

    def _add_series(self, response: dict[str, Any], start_ms: int | None, end_ms: int | None) -> None:
        by_key = self._series_of(response.get("metadata") or [])
        # A plain list or the hook's lazily decoded series: slices are read here once (counting, spotting
        # duplicate buckets) and again when written, and never kept decoded in between.
        slices: Sequence[dict[str, Any]] = response.get("series") or []
        piece = _Piece(slices, by_key, start_ms, end_ms)
        if self.endpoint.has_freshness:
            through, delayed = response.get("dataThrough"), response.get("delayed")
            piece.data_through = through if isinstance(through, str) else None
            piece.delayed = delayed if isinstance(delayed, bool) else None
        number = len(self._pieces)
        self._pieces.append(piece)
        times = self._times
        count = 0
        for position, item in enumerate(slices):
            keys = len(item) - 1  # every key but "time" is a series value
            if keys > len(by_key):  # a key no metadata entry describes (cheap test, exact below)
                self._adopt_orphans(item, by_key)
            when = item["time"]
            earlier = times.get(when)
            if earlier is None:
                times[when] = [(number, position)]
                count += keys
            else:
                # Rare (a bucket two responses both hold), so re-reading those slices is cheap enough.
                self._adopt_orphans(item, by_key)
                count += self._merge_duplicate(piece, position, item, earlier)
                earlier.append((number, position))
        self._count += count

    def _merge_duplicate(
        self, piece: _Piece, position: int, item: dict[str, Any], earlier: list[tuple[int, int]]
    ) -> int:
        """Decide which slices holding ``item``'s time deliver what; return this slice's delivered count.

        The piece whose window contains the time wins whole; otherwise the first slice to hold a series
        delivers it.
        """
        when = item["time"]
        keys = frozenset(k for k in item if k != "time")
        contenders = [(self._pieces[n], p) for n, p in earlier]
        if not piece.contains(when) and any(other.contains(when) for other, _ in contenders):
            piece.skips[position] = keys  # read from outside its window: the owner's slice stands
            return 0
        seen: set[int] = set()
        for other, other_position in contenders:
            if piece.contains(when) and not other.contains(when):
                # This piece owns the time: the other piece's out-of-window slice delivers nothing.
                every = frozenset(k for k in other.slices[other_position] if k != "time")
                self._count -= len(every - other.skips.get(other_position, frozenset()))
                other.skips[other_position] = every
            else:
                seen.update(other.by_key[k].index for k in other.live_keys(other_position))
        dup = frozenset(k for k in keys if piece.by_key[k].index in seen)
        if dup:
            piece.skips[position] = dup
        return len(keys) - len(dup)

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
        """Metadata columns in order of first appearance (list endpoints: their item fields)."""
        listed = _LIST_COLUMNS.get(self.endpoint.response_kind)
        return listed if listed is not None else tuple(self._columns)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column, in row order."""
        if self.endpoint.response_kind in _LIST_COLUMNS:
            return (*_HEAD_COLUMNS, *self.metadata_columns)
        return (*FIXED_COLUMNS, *self.metadata_columns, VALUE_COLUMN, *self._freshness_columns)

    @property
    def _freshness_columns(self) -> tuple[str, ...]:
        return FRESHNESS_COLUMNS if self.endpoint.has_freshness else ()

    @property
    def freshness(self) -> dict[str, Any] | None:
        """How fresh the fetched data is, for endpoints that say (``None`` for the others).

        ``{"data_through": ..., "delayed": ..., "pieces": n}``: the earliest ``dataThrough`` over the
        responses (usage after it is not counted yet; ``None`` when no response gave one), whether any
        response said ``delayed``, and how many responses were read.
        """
        if not self.endpoint.has_freshness:
            return None
        stamps = [p.data_through for p in self._pieces if p.data_through is not None]
        earliest = min(stamps, key=_instant) if stamps else None
        return {
            "data_through": earliest,
            "delayed": any(p.delayed for p in self._pieces),
            "pieces": len(self._pieces),
        }

    def _time(self, ms: int) -> str:
        text = self._time_text.get(ms)
        if text is None:
            text = self._time_text[ms] = iso(from_epoch_ms(ms))
        return text

    def _points(self) -> Iterator[tuple[str, _Series, Any]]:
        for text, series, value, _piece in self._points_with_piece():
            yield text, series, value

    def _points_with_piece(self) -> Iterator[tuple[str, _Series, Any, _Piece]]:
        for piece in self._pieces:
            by_key, skips = piece.by_key, piece.skips
            for position, item in enumerate(piece.slices):
                text = self._time(item["time"])
                skip = skips.get(position, ()) if skips else ()
                if not by_key.keys() >= item.keys() - {"time"}:
                    self._adopt_orphans(item, by_key)
                for key, value in item.items():
                    if key != "time" and key not in skip:
                        yield text, by_key[key], value, piece

    def iter_dicts(self) -> Iterator[dict[str, Any]]:
        """Each row as a dict (JSON-serialisable), in response order."""
        head: dict[str, Any] = {
            "endpoint": self.endpoint.operation_id,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "request": self.request,
        }
        if self.endpoint.response_kind in _LIST_COLUMNS:
            names = self.metadata_columns
            for row in self._list_rows.values():
                yield {**head, **{name: row.get(name) for name in names}}
            return
        if self.endpoint.has_freshness:
            for text, series, value, piece in self._points_with_piece():
                yield {
                    **head,
                    "time": text,
                    "series": series.index,
                    **series.metadata,
                    "value": value,
                    "data_through": piece.data_through,
                    "delayed": piece.delayed,
                }
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
            f'"window_end":{_dumps(self.window_end)},"request":{_dumps(self.request)},"time":"'
        )
        buffer: list[str] = []
        for piece in self._pieces:
            # What follows the value: the piece's freshness, or just the closing brace.
            end = "}\n"
            if self.endpoint.has_freshness:
                end = f',"data_through":{_dumps(piece.data_through)},"delayed":{_dumps(piece.delayed)}}}\n'
            fragments = {k: s.fragment for k, s in piece.by_key.items()}
            skips = piece.skips
            for position, item in enumerate(piece.slices):
                head = f'{prefix}{self._time(item["time"])}","series":'
                skip = skips.get(position) if skips else None
                if skip is None:
                    try:
                        buffer += [f"{head}{fragments[k]}{v}{end}" for k, v in item.items() if k != "time"]
                    except KeyError:  # rare: keys without metadata, same count as by_key
                        self._adopt_orphans(item, piece.by_key)
                        fragments = {k: s.fragment for k, s in piece.by_key.items()}
                        buffer += [f"{head}{fragments[k]}{v}{end}" for k, v in item.items() if k != "time"]
                else:
                    buffer += [
                        f"{head}{fragments[k]}{v}{end}"
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
        fixed = [
            self.endpoint.operation_id,
            self.window_start or "",
            self.window_end or "",
            _cell(self.request),
        ]
        names = self.metadata_columns
        if self.endpoint.response_kind in _LIST_COLUMNS:
            for row in self._list_rows.values():
                yield [*fixed, *(_cell(row.get(n)) for n in names)]
            return
        cells: dict[int, list[Any]] = {}
        fresh = self.endpoint.has_freshness
        for text, series, value, piece in self._points_with_piece():
            meta = cells.get(series.index)
            if meta is None:
                meta = cells[series.index] = [_cell(series.metadata.get(n)) for n in names]
            if fresh:
                yield [
                    *fixed,
                    text,
                    series.index,
                    *meta,
                    value,
                    _cell(piece.data_through),
                    _cell(piece.delayed),
                ]
            else:
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


def _instant(text: str) -> datetime:
    """An RFC 3339 timestamp for comparison (the response check has already vouched for the form)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return _dumps(value)
    return value
