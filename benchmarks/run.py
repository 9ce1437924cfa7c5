"""Run the ten benchmarks, print one table, and write it with the machine to ``benchmarks/results.md``.

Usage: ``make bench`` (or ``.venv/bin/python benchmarks/run.py [KEY ...]``, KEY one of ``import``,
``request``, ``rows``, ``ratelimit``, ``workers``, ``budget``, ``heldout``, ``landed``, ``sql``, ``fanout``).

Exit status: 0 when every benchmark ran, whether or not it met its target (the table says pass/fail);
1 when a benchmark crashed (its rows say ``error`` and the traceback is printed and written).
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import ERROR, BenchResult, Figure, airflow_env  # noqa: E402

RESULTS = HERE / "results.md"
# (key, title, module): each module has ``run() -> BenchResult``.
BENCHMARKS = (
    ("import", "Parse-time import cost", "import_cost"),
    ("request", "Per-request overhead", "request_overhead"),
    ("rows", "Rows throughput and memory", "rows_throughput"),
    ("ratelimit", "Rate-limit utilisation", "rate_limit"),
    ("workers", "Many workers on one rate budget", "shared_budget"),
    ("budget", "Budget forecast backtest", "budget_backtest"),
    ("heldout", "Budget forecast on held-out month shapes", "budget_heldout"),
    ("landed", "Landed size per format", "landed_size"),
    ("sql", "SQL load into PostgreSQL", "sql_load"),
    ("fanout", "Evaluations fan-out", "fan_out"),
)
HEADERS = ("figure", "ours", "baseline", "ratio", "target", "result")


def _run_one(title: str, module_name: str) -> tuple[BenchResult, bool]:
    """Run one benchmark; a crash becomes an ``error`` row and its traceback a note."""
    try:
        run: Callable[[], BenchResult] = importlib.import_module(module_name).run
        return run(), True
    except Exception:
        text = traceback.format_exc()
        print(text, file=sys.stderr)
        figure = Figure(title, "error", "—", "—", "—", ERROR)
        return BenchResult(title, [figure], ["Crashed:\n```\n" + text.rstrip() + "\n```"]), False


def _rows(results: list[BenchResult]) -> list[tuple[str, ...]]:
    return [(f.name, f.value, f.baseline, f.ratio, f.target, f.status) for r in results for f in r.figures]


def text_table(results: list[BenchResult]) -> str:
    rows = [HEADERS, *_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def markdown_table(results: list[BenchResult]) -> str:
    def line(row: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"

    return "\n".join([line(HEADERS), "|" + "---|" * len(HEADERS), *(line(row) for row in _rows(results))])


def machine() -> dict[str, str]:
    """The machine the numbers came from, for the docs."""
    cpu = platform.processor() or platform.machine()
    try:
        for entry in Path("/proc/cpuinfo").read_text().splitlines():
            if entry.startswith("model name"):
                cpu = entry.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        airflow_version = version("apache-airflow")
    except Exception:
        airflow_version = "unknown"
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Airflow": airflow_version,
        "Date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def _cpu_seconds() -> tuple[float, float] | None:
    """(busy CPU seconds of the whole machine, CPU seconds of this process and its waited children)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    machine_busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    own = os.times()
    return machine_busy, own.user + own.system + own.children_user + own.children_system


def contention(
    before: tuple[float, float] | None, after: tuple[float, float] | None, wall: float
) -> float | None:
    """Cores that other processes (and the hypervisor's steal) kept busy on average while we ran."""
    if before is None or after is None or wall <= 0:
        return None
    return max(0.0, ((after[0] - before[0]) - (after[1] - before[1])) / wall)


def busy_warning(others: float | None) -> str | None:
    """A warning when other work kept the machine busy: wall-time figures are then inflated."""
    if others is None or others < 0.3:
        return None
    return (
        f"Note: other processes kept {others:.1f} of {os.cpu_count()} cores busy on average while this ran; "
        "wall-time figures carry that contention. The details give CPU-time figures, which it does not "
        "inflate."
    )


def write_markdown(
    results: list[BenchResult],
    info: dict[str, str],
    seconds: float,
    loads: list[str],
    others: float | None,
    warning: str | None,
) -> None:
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run.py`); see `benchmarks/README.md` for what each figure "
        "measures and how to read it. Each figure is compared with a baseline measured in the same run.",
        "",
        markdown_table(results),
        "",
        *([warning, ""] if warning else []),
        "## Machine",
        "",
        *(f"- {name}: {value}" for name, value in info.items()),
        f"- Load average before / after: {loads[0]} / {loads[-1]}",
        f"- Other processes kept {others:.1f} cores busy on average during the run"
        if others is not None
        else "- Other processes' CPU use: unknown",
        f"- Total run time: {seconds:.0f} s",
        "",
        "## Details",
    ]
    for result in results:
        parts += ["", f"### {result.title}", ""]
        parts += [
            f"- {note}" if not note.startswith("cProfile") and "```" not in note else note
            for note in result.notes
        ]
    RESULTS.write_text("\n".join(parts) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    os.environ.update(airflow_env())
    wanted = set(argv) or {key for key, _, _ in BENCHMARKS}
    unknown = wanted - {key for key, _, _ in BENCHMARKS}
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    loads = [_load()]
    results: list[BenchResult] = []
    ok = True
    cpu_before = _cpu_seconds()
    for key, title, module_name in BENCHMARKS:
        if key not in wanted:
            continue
        print(f"[bench] {title} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        result, ran = _run_one(title, module_name)
        print(f"[bench] {title}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        results.append(result)
        ok = ok and ran
    loads.append(_load())
    seconds = time.perf_counter() - started
    others = contention(cpu_before, _cpu_seconds(), seconds)
    warning = busy_warning(others)
    info = machine()

    print()
    print(text_table(results))
    print()
    print(
        f"{info['CPU']}, {info['Cores']} cores, Python {info['Python']}, Airflow {info['Airflow']}; "
        f"load average {loads[0]} → {loads[-1]}; {seconds:.0f} s"
        + (f"; other processes busy: {others:.1f} cores on average" if others is not None else "")
    )
    if warning:
        print(warning)
    for result in results:
        print(f"\n{result.title}:")
        for note in result.notes:
            print("  " + note.replace("\n", "\n  "))
    if wanted == {key for key, _, _ in BENCHMARKS}:
        write_markdown(results, info, seconds, loads, others, warning)
        print(f"\nwritten: {RESULTS.relative_to(HERE.parent)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
