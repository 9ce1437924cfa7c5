"""Benchmark 6 — landed size per format: bytes landed per byte of response, write time, write memory.

The response is benchmark 3's one-year, 1,000-series SeriesListRep (``rows_throughput.response_bytes``,
about 4 MB of compact JSON, 365,000 points). It becomes rows as an operator makes them —
``core.response.decode_lazily``, then ``rows.UsageRows`` with the ``filter_set`` and ``request`` an operator
gives it and the response's ``fetched_at`` — and ``landing.write_rows`` lands those rows once in every
format of ``landing.OUTPUT_FORMATS`` to a local folder through ``ObjectStoragePath``.

Figures: landed object bytes / response JSON bytes per format (the response is the baseline). Targets:
parquet, jsonl.gz and csv.gz at most 1.0 (a compressed landing should not be larger than what LaunchDarkly
sent); jsonl and csv are reported without a target (the tidy layout repeats each series' key and dimensions
on every row, so uncompressed text is many times the response). Also, without targets, in the same run:
the write time of each format relative to jsonl (repeats alternate the order of the formats, best of the
repeats, each write a first landing: the previous object is deleted, untimed), and the peak memory of each
write (``tracemalloc``: Python allocations above those before the write, in a separate untimed pass; for
Parquet also the most Arrow's memory pool held, measured in a fresh process because the pool's high-water
mark never goes down). Notes: reading each object back with ``reading.read_landed``.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from _common import SCRATCH, BenchResult, Figure, airflow_env, fmt_ms, fmt_ratio, median, verdict
from rows_throughput import END, GROUP_BY, OPERATION, POINTS, START, _peak, response_bytes

REPEATS = 3
TARGET_COMPRESSED = 1.0
TARGETED = ("jsonl.gz", "csv.gz", "parquet")
OUT_DIR = SCRATCH / "landed"
FETCHED_AT = datetime(2026, 1, 1, 0, 5, 17, tzinfo=timezone.utc)


def build_rows(body: bytes) -> Any:
    """The rows of ``body``, as an operator builds them (lazily decoded, with filter set and request)."""
    from airflow_provider_ldusage.catalogue import endpoint
    from airflow_provider_ldusage.core.request import build_request
    from airflow_provider_ldusage.core.response import decode_lazily
    from airflow_provider_ldusage.landing.rows import UsageRows
    from airflow_provider_ldusage.landing.storage import arguments_hash

    arguments: dict[str, Any] = {"start": START, "end": END, "group_by": GROUP_BY}
    request = build_request(endpoint(OPERATION), arguments, now=END)
    rows = UsageRows(
        request.endpoint,
        request.start,
        request.end,
        {
            "filters": {},
            "group_by": GROUP_BY,
            "aggregation": "month_to_date",
            "granularity": "daily",
            "time_unit": "ms",
        },
        filter_set=arguments_hash({"group_by": GROUP_BY}),
    )
    rows.add(decode_lazily(request, body), fetched_at=FETCHED_AT)
    return rows


class _Discard:
    """A binary sink that keeps nothing (the memory pass measures the writer, not a file system)."""

    def write(self, data: Any) -> int:
        return len(memoryview(data))


def arrow_peak() -> int:
    """In this (fresh) process: the most bytes Arrow's memory pool held while writing the rows as Parquet."""
    import pyarrow as pa

    from airflow_provider_ldusage.landing.storage import _write

    rows = build_rows(response_bytes())
    pool = pa.default_memory_pool()
    before = pool.max_memory()
    _write(rows, _Discard(), "parquet")
    return int(pool.max_memory() - before)


def _arrow_peak_in_child() -> int | None:
    script = str(Path(__file__).resolve())  # run as a script: its folder (benchmarks/) is on sys.path
    done = subprocess.run(
        [sys.executable, script, "--arrow-peak"], capture_output=True, text=True, check=False
    )
    lines = done.stdout.strip().splitlines()
    return int(lines[-1]) if done.returncode == 0 and lines else None


def run() -> BenchResult:
    os.environ.update(airflow_env())
    from airflow_provider_ldusage.landing.reading import read_landed
    from airflow_provider_ldusage.landing.storage import OUTPUT_FORMATS, _write, storage_path, write_rows

    shutil.rmtree(OUT_DIR, ignore_errors=True)
    body = response_bytes()
    size = len(body)
    rows = build_rows(body)
    if len(rows) != POINTS:
        raise RuntimeError(f"expected {POINTS} rows, got {len(rows)}")
    folder = storage_path(OUT_DIR) / OPERATION / "0123456789"
    targets = {fmt: folder / f"20250101T000000Z_20260101T000000Z.{fmt}" for fmt in OUTPUT_FORMATS}

    def land(fmt: str) -> tuple[float, float, int]:
        target = targets[fmt]
        if target.exists():
            target.unlink()
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        written = write_rows(rows, target, fmt)  # type: ignore[arg-type]
        t1, c1 = time.perf_counter(), time.process_time()
        return t1 - t0, c1 - c0, written

    for fmt in OUTPUT_FORMATS:  # warm-up: imports (pyarrow), the folder, the file system
        land(fmt)
    wall: dict[str, list[float]] = {fmt: [] for fmt in OUTPUT_FORMATS}
    cpu: dict[str, list[float]] = {fmt: [] for fmt in OUTPUT_FORMATS}
    for i in range(REPEATS):
        order = OUTPUT_FORMATS if i % 2 == 0 else tuple(reversed(OUTPUT_FORMATS))
        for fmt in order:
            seconds, cpu_seconds, _ = land(fmt)
            wall[fmt].append(seconds)
            cpu[fmt].append(cpu_seconds)
    landed = {fmt: targets[fmt].stat().st_size for fmt in OUTPUT_FORMATS}
    best = {fmt: min(values) for fmt, values in wall.items()}
    best_cpu = {fmt: min(values) for fmt, values in cpu.items()}
    # Memory of the write alone (into a sink that keeps nothing), untimed.
    peaks = {fmt: _peak(lambda fmt=fmt: _write(rows, _Discard(), fmt)) for fmt in OUTPUT_FORMATS}  # type: ignore[misc]
    arrow = _arrow_peak_in_child()
    # Reading back, as a loader does.
    reads: dict[str, tuple[float, int]] = {}
    for fmt in OUTPUT_FORMATS:
        obj = read_landed(targets[fmt])
        gc.collect()
        t0 = time.perf_counter()
        count = sum(1 for _ in obj.rows())
        reads[fmt] = (time.perf_counter() - t0, count)

    figures: list[Figure] = []
    for fmt in OUTPUT_FORMATS:
        ratio = landed[fmt] / size
        targeted = fmt in TARGETED
        figures.append(
            Figure(
                f"6. landed bytes / response bytes, {fmt}",
                f"{landed[fmt] / 1e6:.1f} MB",
                f"{size / 1e6:.1f} MB (response JSON)",
                fmt_ratio(ratio),
                "≤ 1.0x response" if targeted else "— (no target)",
                verdict(ratio <= TARGET_COMPRESSED) if targeted else "pass",
            )
        )
    for fmt in OUTPUT_FORMATS:
        if fmt == "jsonl":
            continue
        figures.append(
            Figure(
                f"6. write time, {fmt} vs jsonl",
                fmt_ms(best[fmt]),
                f"{fmt_ms(best['jsonl'])} (jsonl)",
                fmt_ratio(best[fmt] / best["jsonl"]),
                "— (no target)",
                "pass",
            )
        )
    for fmt in OUTPUT_FORMATS:
        extra = f" + {arrow / 1e6:.1f} MB Arrow" if fmt == "parquet" and arrow is not None else ""
        figures.append(
            Figure(
                f"6. write peak memory, {fmt}",
                f"{peaks[fmt] / 1e6:.1f} MB{extra}",
                f"{size / 1e6:.1f} MB (response JSON)",
                fmt_ratio(peaks[fmt] / size),
                "— (no target)",
                "pass",
            )
        )
    per_format = "; ".join(
        f"{fmt}: best {fmt_ms(best[fmt])}, median {fmt_ms(median(wall[fmt]))}, CPU {fmt_ms(best_cpu[fmt])} "
        f"({best_cpu[fmt] / best_cpu['jsonl']:.2f}x jsonl)"
        for fmt in OUTPUT_FORMATS
    )
    from airflow_provider_ldusage.landing.parquet import BATCH_ROWS, COMPRESSION
    from airflow_provider_ldusage.landing.storage import BY_SERIES_BLOCK, GZIP_LEVEL

    notes = [
        f"Response: {size / 1e6:.2f} MB, {POINTS:,} points (benchmark 3's); rows from decode_lazily + "
        "UsageRows with a filter set, a request and fetched_at (the 18-column series layout); one object per "
        "format, written with landing.write_rows to a local folder.",
        "Landed bytes: "
        + ", ".join(f"{fmt} {landed[fmt]:,} ({landed[fmt] / size:.2f}x)" for fmt in OUTPUT_FORMATS)
        + f"; per row: {', '.join(f'{fmt} {landed[fmt] / POINTS:.1f} B' for fmt in OUTPUT_FORMATS)}.",
        f"Settings: gzip level {GZIP_LEVEL}, rows ordered by series within blocks of {BY_SERIES_BLOCK:,}; "
        f"Parquet {COMPRESSION}, dictionary encoding, batches (row groups) of {BATCH_ROWS:,} rows. The gzip "
        "ratio depends on how many rows of a series share a block: with more series than rows in a block "
        "the ordering gains nothing.",
        f"Write time, {REPEATS} repeats in alternating format order after one warm-up each, every write a "
        f"first landing (each write includes decoding the lazily kept slices): {per_format}.",
        "Peak memory of each write into a sink that keeps nothing (tracemalloc, Python allocations above "
        "those before the write; the rows object and the response are not counted): "
        + ", ".join(f"{fmt} {peaks[fmt] / 1e6:.1f} MB" for fmt in OUTPUT_FORMATS)
        + (
            f"; Parquet's Arrow buffers at most {arrow / 1e6:.1f} MB (a fresh process, Arrow's pool)."
            if arrow is not None
            else "; Arrow's pool could not be measured."
        ),
        "Reading back with reading.read_landed (every row as a dict, typed): "
        + ", ".join(
            f"{fmt} {count / seconds / 1e3:.0f} k rows/s ({seconds:.2f} s)"
            for fmt, (seconds, count) in reads.items()
        )
        + ".",
    ]
    shutil.rmtree(OUT_DIR, ignore_errors=True)
    return BenchResult("Landed size per format", figures, notes)


if __name__ == "__main__":
    if sys.argv[1:] == ["--arrow-peak"]:
        os.environ.update(airflow_env())
        print(arrow_peak())
    else:
        import pprint

        pprint.pprint(run())
