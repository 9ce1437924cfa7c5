"""Tidy rows from usage responses, in the version-1 layouts of :mod:`airflow_provider_ldusage.landing.schema`.

Series endpoints give one row per time bucket and series; list endpoints one row per item. The columns
never depend on the request (:mod:`~airflow_provider_ldusage.landing.schema` lists them with their types).

Series are identified by their dimensions (the response's metadata object): ``series_key`` is the same for
the same dimensions in every request. Two keys of one response with identical metadata stay two series
(the second gets ``~1`` on its key); a key no metadata entry describes is still a series, with ``{}`` as
its dimensions and its own key. A series key missing from a time slice is no row. Merged responses never
duplicate a bucket: when two pieces of a split window both return a bucket time, the piece whose window
contains that time is the one kept, whole (the other piece read it from outside its own window, e.g. a
partial bucket); when neither window decides (no windows given, or neither contains it), a (time, series)
pair seen in an earlier response is skipped. List rows are de-duplicated by their item.

``provisional`` and ``final_after`` are the whole window's, set by :meth:`UsageRows.mark_finality` (the
operators apply their one finality rule before landing); null until then.

``fetched_at`` is LaunchDarkly's clock when the piece was read; ``data_through`` and ``delayed`` come from
responses that report freshness (``Endpoint.has_freshness``: data-export and warehouse-export events),
null elsewhere. :attr:`UsageRows.freshness` sums them up for the whole fetch.

The JSON Lines writer pre-encodes each series' key and dimensions once, so nothing is re-encoded per row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_ldusage.catalogue import Endpoint
from airflow_provider_ldusage.core.timeconv import EPOCH, from_epoch_ms, iso
from airflow_provider_ldusage.landing.schema import (
    LIST_NAMES,
    SCHEMA_VERSION,
    SERIES_NAMES,
    layout_of,
    series_key,
)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


class _Series:
    """One series: its key and dimensions, encoded once."""

    __slots__ = ("dimensions", "dimensions_json", "fragment", "key")

    def __init__(self, key: str, dimensions: dict[str, Any]) -> None:
        self.key = key
        self.dimensions = dimensions
        self.dimensions_json = _dumps(dimensions)
        # '"series_key":"…","dimensions":{…},"value":' — spliced into every JSON line of this series.
        self.fragment = f'"series_key":{_dumps(key)},"dimensions":{self.dimensions_json},"value":'


class _Piece:
    """One response of a (possibly split) window: its slices and how its keys map to series."""

    __slots__ = ("by_key", "data_through", "delayed", "end_ms", "fetched_at", "skips", "slices", "start_ms")

    def __init__(
        self,
        slices: Sequence[dict[str, Any]],
        by_key: dict[str, _Series],
        start_ms: int | None,
        end_ms: int | None,
        data_through: str | None = None,
        delayed: bool | None = None,
        fetched_at: str | None = None,
    ) -> None:
        self.slices = slices
        self.fetched_at = fetched_at
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
    :meth:`iter_records`, :meth:`write_jsonl` and :meth:`write_csv`.

    :param endpoint: the catalogue entry of the operation the responses come from.
    :param window_start: the run's resolved window start (None for endpoints without a window).
    :param window_end: the run's resolved window end.
    :param request: what defines the rows besides the window (the ``request`` column); its
        ``aggregation`` and ``granularity`` fill those columns.
    :param filter_set: the dataset key (:func:`~airflow_provider_ldusage.landing.storage.arguments_hash`).
    :param as_of: for list endpoints without a window, the instant the list describes (the run's date).
    """

    def __init__(
        self,
        endpoint: Endpoint,
        window_start: datetime | None,
        window_end: datetime | None,
        request: Mapping[str, Any] | None = None,
        *,
        filter_set: str = "",
        as_of: datetime | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.layout = layout_of(endpoint)
        self.request = dict(request) if request is not None else None
        self.filter_set = filter_set
        self.window_start = iso(window_start) if window_start else None
        self.window_end = iso(window_end) if window_end else None
        self.as_of = iso(as_of) if as_of else None
        self.unit = endpoint.unit
        self.aggregation = (self.request or {}).get("aggregation")
        self.granularity = (self.request or {}).get("granularity")
        self._series: dict[str, _Series] = {}
        self._pieces: list[_Piece] = []
        # bucket time (ms) -> (piece number, slice position) of every response slice holding it
        self._times: dict[int, list[tuple[int, int]]] = {}
        # List endpoints: canonical JSON of an item -> (item, fetched_at) (a repeated item is kept once).
        self._list_rows: dict[str, tuple[dict[str, Any], str | None]] = {}
        self._count = 0
        self._time_text: dict[int, str] = {}
        self.provisional: bool | None = None
        self.final_after: str | None = None

    def mark_finality(self, provisional: bool | None, final_after: datetime | str | None) -> None:
        """Say, for every row, whether the figures may still change and when they count as final.

        :param provisional: ``True`` while the window has not settled (``None``: unknown).
        :param final_after: the instant the window's figures count as final (aware, or ISO-8601 text).
        """
        self.provisional = provisional
        self.final_after = iso(final_after) if isinstance(final_after, datetime) else final_after

    # --- building -------------------------------------------------------------------------------------

    def add(
        self,
        response: Any,
        *,
        window_start: datetime | None = None,
        window_end: datetime | None = None,
        fetched_at: datetime | None = None,
    ) -> None:
        """Merge one parsed response (a piece of the window) into the result.

        :param response: the parsed body (a dict; a list for ``SdkVersionDetailsList``); its ``series`` may
            be a lazily decoded sequence.
        :param window_start: the start of the window this response was asked for (aware), if known.
        :param window_end: its end. With both, a bucket time that two pieces return is kept from the piece
            whose window contains it.
        :param fetched_at: LaunchDarkly's clock when the response was read (its ``Date`` header).
        """
        fetched = iso(fetched_at) if fetched_at else None
        kind = self.endpoint.response_kind
        if kind == "SdkListRep":
            for sdk in response.get("sdks", ()):
                self._add_list_row({"sdk": sdk}, fetched)
        elif kind == "SdkVersionListRep":
            for item in response.get("sdkVersions", ()):
                self._add_list_row(dict(item) if isinstance(item, dict) else {"item": item}, fetched)
        elif kind == "DataExportProjectRankingRep":
            for item in response.get("items", ()):
                self._add_list_row(dict(item), fetched)
        elif kind == "SdkVersionDetailsList":
            for item in response:
                self._add_list_row(dict(item), fetched)
        else:
            self._add_series(response, _epoch_ms(window_start), _epoch_ms(window_end), fetched)

    def _add_list_row(self, item: dict[str, Any], fetched_at: str | None) -> None:
        identity = _canonical(item)
        if identity not in self._list_rows:
            self._list_rows[identity] = (item, fetched_at)
            self._count += 1

    def _register(self, identity: str, metadata: dict[str, Any], repeat: int = 0) -> _Series:
        registry_key = f"{identity}\0{repeat}" if repeat else identity
        found = self._series.get(registry_key)
        if found is None:
            found = self._series[registry_key] = _Series(series_key(metadata, repeat), dict(metadata))
        return found

    def _series_of(self, metadata: list[Any]) -> dict[str, _Series]:
        by_key: dict[str, _Series] = {}
        seen: dict[str, int] = {}
        for i, meta in enumerate(metadata):
            meta = meta if isinstance(meta, dict) else {}
            identity = _canonical(meta)
            # Identical metadata for two keys of one response: still two series, the repeat numbered.
            repeat = seen.get(identity, -1) + 1
            seen[identity] = repeat
            by_key[str(i)] = self._register(identity, meta, repeat)
        return by_key

    def _add_series(
        self, response: dict[str, Any], start_ms: int | None, end_ms: int | None, fetched_at: str | None
    ) -> None:
        by_key = self._series_of(response.get("metadata") or [])
        # A plain list or the hook's lazily decoded series: slices are read here once (counting, spotting
        # duplicate buckets) and again when written, and never kept decoded in between.
        slices: Sequence[dict[str, Any]] = response.get("series") or []
        piece = _Piece(slices, by_key, start_ms, end_ms, fetched_at=fetched_at)
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
        seen: set[str] = set()
        for other, other_position in contenders:
            if piece.contains(when) and not other.contains(when):
                # This piece owns the time: the other piece's out-of-window slice delivers nothing.
                every = frozenset(k for k in other.slices[other_position] if k != "time")
                self._count -= len(every - other.skips.get(other_position, frozenset()))
                other.skips[other_position] = every
            else:
                seen.update(other.by_key[k].key for k in other.live_keys(other_position))
        dup = frozenset(k for k in keys if piece.by_key[k].key in seen)
        if dup:
            piece.skips[position] = dup
        return len(keys) - len(dup)

    def _adopt_orphans(self, item: dict[str, Any], by_key: dict[str, _Series]) -> None:
        # A key no metadata entry describes is still a series (with no dimensions), never dropped.
        for key in item.keys() - by_key.keys() - {"time"}:
            by_key[key] = self._register_orphan(key)

    def _register_orphan(self, key: str) -> _Series:
        marker = f"\0orphan:{key}"
        found = self._series.get(marker)
        if found is None:
            found = self._series[marker] = _Series(f"{series_key({})}~orphan{key}", {})
        return found

    # --- reading --------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column, in row order (the layout's: :mod:`~airflow_provider_ldusage.landing.schema`)."""
        return SERIES_NAMES if self.layout == "series" else LIST_NAMES

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

    def _points(self) -> Iterator[tuple[str, _Series, Any, _Piece]]:
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

    def _head(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "endpoint": self.endpoint.operation_id,
            "filter_set": self.filter_set,
            "request": self.request,
            "window_start": self.window_start,
            "window_end": self.window_end,
        }

    def iter_dicts(self) -> Iterator[dict[str, Any]]:
        """Each row as a dict in column order (JSON-serialisable: timestamps as ISO-8601 text)."""
        head = self._head()
        if self.layout == "list":
            for position, (item, fetched) in enumerate(self._list_rows.values()):
                yield {
                    **head,
                    "as_of": self.as_of,
                    "position": position,
                    "item": item,
                    "fetched_at": fetched,
                    "provisional": self.provisional,
                    "final_after": self.final_after,
                }
            return
        unit, aggregation, granularity = self.unit, self.aggregation, self.granularity
        for text, series, value, piece in self._points():
            yield {
                **head,
                "time": text,
                "series_key": series.key,
                "dimensions": series.dimensions,
                "value": value,
                "unit": unit,
                "aggregation": aggregation,
                "granularity": granularity,
                "fetched_at": piece.fetched_at,
                "data_through": piece.data_through,
                "delayed": piece.delayed,
                "provisional": self.provisional,
                "final_after": self.final_after,
            }

    def iter_records(self) -> Iterator[list[Any]]:
        """Each row as a list in :attr:`columns` order; json columns as JSON text, null as ``None``.

        The form the CSV and Parquet writers take: timestamps stay ISO-8601 text, values as sent.
        """
        request = None if self.request is None else _dumps(self.request)
        fixed = [
            SCHEMA_VERSION,
            self.endpoint.operation_id,
            self.filter_set,
            request,
            self.window_start,
            self.window_end,
        ]
        finality = [self.provisional, self.final_after]
        if self.layout == "list":
            for position, (item, fetched) in enumerate(self._list_rows.values()):
                yield [*fixed, self.as_of, position, _dumps(item), fetched, *finality]
            return
        unit, aggregation, granularity = self.unit, self.aggregation, self.granularity
        for text, series, value, piece in self._points():
            yield [
                *fixed,
                text,
                series.key,
                series.dimensions_json,
                value,
                unit,
                aggregation,
                granularity,
                piece.fetched_at,
                piece.data_through,
                piece.delayed,
                *finality,
            ]

    def iter_records_by_series(self, block: int = 65_536) -> Iterator[list[Any]]:
        """:meth:`iter_records`, reordered by series within consecutive blocks of ``block`` rows.

        The gzip formats write in this order: a series' rows side by side repeat its key and dimensions
        within compression range, which more than halves the compressed size; each block is sorted stably,
        so a series' rows keep their time order, and memory holds one block.
        """
        if self.layout == "list":
            yield from self.iter_records()
            return
        position = SERIES_NAMES.index("series_key")
        records: list[list[Any]] = []
        for record in self.iter_records():
            records.append(record)
            if len(records) >= block:
                records.sort(key=lambda r: r[position])
                yield from records
                records = []
        records.sort(key=lambda r: r[position])
        yield from records

    def write_jsonl(
        self, write: Callable[[bytes], Any], batch: int = 4096, by_series: int | None = None
    ) -> int:
        """Write the rows as JSON Lines through ``write`` (bytes); return the number of bytes written.

        :param by_series: order the rows by series within blocks of this many rows (the order of
            :meth:`iter_records_by_series`; the gzip formats use it); default: response order.
        """
        if self.layout == "list":
            data = "".join(_dumps(row) + "\n" for row in self.iter_dicts()).encode()
            if data:
                write(data)
            return len(data)
        total = 0
        pending = 0
        buffer: list[str] = []
        groups: dict[str, list[str]] = {}
        for keys, lines in self._jsonl_slices(with_keys=by_series is not None):
            if keys is None:
                buffer += lines
                pending = len(buffer)
            else:
                for key, line in zip(keys, lines, strict=True):
                    groups.setdefault(key, []).append(line)
                pending += len(lines)
            if pending >= (batch if by_series is None else by_series):
                if by_series is not None:
                    buffer = [line for key in sorted(groups) for line in groups[key]]
                    groups = {}
                data = "".join(buffer).encode()
                write(data)
                total += len(data)
                buffer, pending = [], 0
        if groups:
            buffer = [line for key in sorted(groups) for line in groups[key]]
        if buffer:
            data = "".join(buffer).encode()
            write(data)
            total += len(data)
        return total

    def _jsonl_slices(self, with_keys: bool) -> Iterator[tuple[list[str] | None, list[str]]]:
        """Per response slice: its rows' JSON lines (and, ``with_keys``, their series keys), built from
        pre-encoded parts: the series' key and dimensions are encoded once, not per row."""
        head = _dumps(self._head())[:-1]  # '{"schema_version":1,…,"window_end":…' without the brace
        prefix = f'{head},"time":"'
        settings = (
            f',"unit":{_dumps(self.unit)},"aggregation":{_dumps(self.aggregation)},'
            f'"granularity":{_dumps(self.granularity)},"fetched_at":'
        )
        for piece in self._pieces:
            # What follows the value: constant for the piece.
            end = (
                f'{settings}{_dumps(piece.fetched_at)},"data_through":{_dumps(piece.data_through)},'
                f'"delayed":{_dumps(piece.delayed)},"provisional":{_dumps(self.provisional)},'
                f'"final_after":{_dumps(self.final_after)}}}\n'
            )
            fragments = {k: s.fragment for k, s in piece.by_key.items()}
            skips = piece.skips
            for position, item in enumerate(piece.slices):
                line = f'{prefix}{self._time(item["time"])}",'
                skip = skips.get(position, ()) if skips else ()
                try:
                    lines = [
                        f"{line}{fragments[k]}{v}{end}"
                        for k, v in item.items()
                        if k != "time" and k not in skip
                    ]
                except KeyError:  # rare: keys without metadata
                    self._adopt_orphans(item, piece.by_key)
                    fragments = {k: s.fragment for k, s in piece.by_key.items()}
                    lines = [
                        f"{line}{fragments[k]}{v}{end}"
                        for k, v in item.items()
                        if k != "time" and k not in skip
                    ]
                keys = None
                if with_keys:
                    keys = [piece.by_key[k].key for k in item if k != "time" and k not in skip]
                yield keys, lines

    def write_csv(
        self, write: Callable[[bytes], Any], batch: int = 4096, records: Iterable[list[Any]] | None = None
    ) -> int:
        """Write the rows as CSV with a header row through ``write``; return the number of bytes written.

        Null is an empty cell, booleans are ``true``/``false``, json columns are JSON text.

        :param records: the records to write (default: :meth:`iter_records`, in response order).
        """
        sink = _Lines()
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(self.columns)
        total = 0
        pending: list[list[Any]] = []
        for record in self.iter_records() if records is None else records:
            pending.append([_cell(v) for v in record])
            if len(pending) >= batch:
                writer.writerows(pending)
                pending = []
                total += sink.flush_to(write)
        writer.writerows(pending)
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
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value
