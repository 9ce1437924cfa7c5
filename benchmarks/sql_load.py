"""Benchmark 7 — SQL load: rows per second into a real PostgreSQL, the COPY fast path vs plain executemany.

A PostgreSQL 16 server (the ``pgserver`` wheel's binaries, started by ``tests/transfers/pg_server.py`` on
127.0.0.1 with ``fsync=off``, data in a temporary folder, stopped and removed at the end) gets the series
table of ``transfers._sql.ddl("postgresql", "series", …)`` (the 18-column layout and its unique key index).
The rows are the first 50 daily slices of benchmark 3's response (1,000 series: 50,000 rows), built by
``rows.UsageRows`` and typed for PostgreSQL by ``transfers._sql.records`` once, untimed.

Ours: ``Loader(cursor, "postgresql", "%s", fast_path=True)._copy`` — ``COPY … FROM STDIN`` fed by the
project's CSV stream (the CSV formatting is timed, it is part of the fast path). Baseline, in the same run:
``cursor.executemany("INSERT … VALUES (%s, …)", all_tuples)`` in one call, as a user would write it
(psycopg2 sends one statement per row). Repeats alternate the sides; before each the table is truncated
and committed, untimed; the insert alone is timed, then committed (untimed) and the row count checked.
Best of the repeats. **Target: COPY ≥ 5x the rows per second of executemany.**
"""

from __future__ import annotations

import gc
import importlib.util
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, BenchResult, Figure, airflow_env, fmt_ms, fmt_ratio, median, verdict
from landed_size import build_rows
from rows_throughput import SERIES, response_bytes

ROWS = 50 * SERIES  # the first 50 daily slices of the one-year response
REPEATS = 3
TARGET_SPEEDUP = 5.0
TABLE = "usage_series"


def _pg_server() -> Any:
    """``tests/transfers/pg_server.py``, loaded from its file (the tests package is not installed)."""
    path = ROOT / "tests" / "transfers" / "pg_server.py"
    spec = importlib.util.spec_from_file_location("_bench_pg_server", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def run() -> BenchResult:
    os.environ.update(airflow_env())
    from airflow_provider_ldusage.landing import schema
    from airflow_provider_ldusage.transfers._sql import Loader, ddl, records

    rows = build_rows(response_bytes())
    columns = schema.SERIES_COLUMNS
    tuples = list(records(itertools.islice(rows.iter_dicts(), ROWS), columns, "postgresql"))
    if len(tuples) != ROWS:
        raise RuntimeError(f"expected {ROWS} rows, got {len(tuples)}")
    names = ", ".join(c.name for c in columns)
    insert = f"INSERT INTO {TABLE} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"

    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="ldusage-bench-pg-") as folder,
        _pg_server().postgres_server(Path(folder)) as server,
    ):
        server_start = time.perf_counter() - started
        connection: Any = server.connect()
        try:
            cursor = connection.cursor()
            for statement in ddl("postgresql", "series", TABLE):
                cursor.execute(statement)
            connection.commit()

            def copy() -> None:
                copied = Loader(cursor, "postgresql", "%s", fast_path=True)._copy(TABLE, names, iter(tuples))
                if copied != ROWS:
                    raise RuntimeError(f"COPY took {copied} rows, expected {ROWS}")

            def executemany() -> None:
                cursor.executemany(insert, tuples)

            def timed(fn: Callable[[], None]) -> tuple[float, float]:
                cursor.execute(f"TRUNCATE {TABLE}")
                connection.commit()
                gc.collect()
                c0, t0 = time.process_time(), time.perf_counter()
                fn()
                t1, c1 = time.perf_counter(), time.process_time()
                connection.commit()
                cursor.execute(f"SELECT count(*) FROM {TABLE}")
                count = cursor.fetchone()[0]
                if count != ROWS:
                    raise RuntimeError(f"{count} rows in the table, expected {ROWS}")
                return t1 - t0, c1 - c0

            timed(copy)  # warm-up: the table's first pages, the server's caches, our code paths
            ours: list[float] = []
            base: list[float] = []
            ours_cpu: list[float] = []
            base_cpu: list[float] = []
            for i in range(REPEATS):
                order = ("ours", "base") if i % 2 == 0 else ("base", "ours")
                for side in order:
                    if side == "ours":
                        wall, cpu = timed(copy)
                        ours.append(wall)
                        ours_cpu.append(cpu)
                    else:
                        wall, cpu = timed(executemany)
                        base.append(wall)
                        base_cpu.append(cpu)
            cursor.execute("SELECT version()")
            version = str(cursor.fetchone()[0]).split(" on ")[0]
        finally:
            connection.close()

    ours_s, base_s = min(ours), min(base)
    rate, base_rate = ROWS / ours_s, ROWS / base_s
    speedup = rate / base_rate
    figures = [
        Figure(
            f"7. PostgreSQL load, COPY fast path ({ROWS // 1000}k rows)",
            f"{rate / 1e3:.0f} k rows/s",
            f"{base_rate / 1e3:.1f} k rows/s (executemany)",
            fmt_ratio(speedup),
            "≥ 5x executemany",
            verdict(speedup >= TARGET_SPEEDUP),
        )
    ]
    notes = [
        f"{version} on 127.0.0.1 (pgserver wheel, fsync=off; started in {server_start:.1f} s), psycopg2; "
        f"table from ddl('postgresql', 'series') with its unique key index; {ROWS:,} rows of the 18-column "
        "series layout (first 50 daily slices of benchmark 3's response), typed by records() once, untimed.",
        f"{REPEATS} alternating repeats after one COPY warm-up, table truncated and committed before each, "
        f"insert alone timed, best of each: COPY {fmt_ms(ours_s)} (median {fmt_ms(median(ours))}), "
        f"executemany {fmt_ms(base_s)} (median {fmt_ms(median(base))}); COPY is {speedup:.1f}x the rows per "
        "second of executemany.",
        f"Client CPU time (this process, best of each): COPY {fmt_ms(min(ours_cpu))} (formatting the CSV "
        f"stream), executemany {fmt_ms(min(base_cpu))}; the rest of each wall time is the server and the "
        "round trips (one per row for executemany).",
    ]
    return BenchResult("SQL load into PostgreSQL", figures, notes)


if __name__ == "__main__":
    import pprint

    pprint.pprint(run())
