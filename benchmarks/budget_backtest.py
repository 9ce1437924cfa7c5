"""Backtest of the month-end forecaster against naive linear pace on emulated months.

For every budget metric and each of 24 closed months of the emulator's synthetic account (seed 7), the
month-to-date daily series is cut after day 5, 10, 15 and 20; both the forecaster and naive pace
(month-to-date x days in month / days elapsed) predict the month's last value from the cut, and both are
scored against the actual last value on the same months. Figures: mean absolute percentage error (MAPE)
per kind and cut day, ours vs naive, and the share of months whose actual value fell inside the stated
80 % interval.

Targets: distinct counts at most half the naive error from day 10 on; additive metrics no worse than naive;
coverage within 10 points of 80 %.
"""

from __future__ import annotations

import calendar
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import FAIL, PASS, BenchResult, Figure  # noqa: E402

SEED = 7
FIRST_MONTH = (2024, 11)
MONTHS = 24
CUT_DAYS = (5, 10, 15, 20)


def _months() -> list[tuple[int, int]]:
    year, month = FIRST_MONTH
    out = []
    for _ in range(MONTHS):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_series(data: object, operation_id: str, year: int, month: int) -> dict[date, float]:
    """The account-wide month-to-date daily series of one closed month, fully settled."""
    from airflow_provider_ldusage.testing.emulator.data import SeriesQuery, SyntheticData

    assert isinstance(data, SyntheticData)
    start = datetime(year, month, 1, tzinfo=timezone.utc)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)
    query = SeriesQuery(operation_id, start, end, aggregation="month_to_date", granularity="daily")
    body = data.series(query, datetime(2100, 1, 1, tzinfo=timezone.utc))
    out: dict[date, float] = {}
    for point in body["series"]:  # type: ignore[attr-defined]
        when = datetime.fromtimestamp(point["time"] / 1000, timezone.utc).date()
        out[when] = float(sum(v for k, v in point.items() if k != "time"))
    return out


def backtest() -> dict[str, object]:
    """Errors per (kind, cut day), per metric, and interval coverage."""
    from datetime import timedelta

    from airflow_provider_ldusage.budgets import (
        BUDGET_METRICS,
        budget_endpoint,
        forecast_month_end,
        naive_pace,
    )
    from airflow_provider_ldusage.testing.emulator.data import SyntheticData

    data = SyntheticData(SEED, timedelta(0), timedelta(0))
    ours: dict[tuple[str, int], list[float]] = {}
    naive: dict[tuple[str, int], list[float]] = {}
    inside: dict[tuple[str, int], list[bool]] = {}
    per_metric: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for metric in BUDGET_METRICS:
        endpoint, kind = budget_endpoint(metric)
        for year, month in _months():
            series = month_series(data, endpoint.operation_id, year, month)
            label = f"{year:04d}-{month:02d}"
            days = calendar.monthrange(year, month)[1]
            actual = series[date(year, month, days)]
            if actual <= 0:
                continue
            for cut in CUT_DAYS:
                seen = {d: v for d, v in series.items() if d.day <= cut}
                forecast = forecast_month_end(seen, month=label, kind=kind)
                assert forecast.expected is not None and forecast.high is not None
                err = abs(forecast.expected - actual) / actual
                nerr = abs(naive_pace(seen, month=label) - actual) / actual
                ours.setdefault((kind, cut), []).append(err)
                naive.setdefault((kind, cut), []).append(nerr)
                inside.setdefault((kind, cut), []).append(forecast.low <= actual <= forecast.high)
                per_metric.setdefault((metric, cut), []).append((err, nerr))
    return {"ours": ours, "naive": naive, "inside": inside, "per_metric": per_metric}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def run() -> BenchResult:
    started = time.perf_counter()
    result = backtest()
    ours: dict[tuple[str, int], list[float]] = result["ours"]  # type: ignore[assignment]
    naive: dict[tuple[str, int], list[float]] = result["naive"]  # type: ignore[assignment]
    inside: dict[tuple[str, int], list[bool]] = result["inside"]  # type: ignore[assignment]
    per_metric: dict[tuple[str, int], list[tuple[float, float]]] = result["per_metric"]  # type: ignore[assignment]
    figures: list[Figure] = []
    for kind in ("distinct", "additive"):
        for cut in CUT_DAYS:
            mine, theirs = _mean(ours[kind, cut]) * 100, _mean(naive[kind, cut]) * 100
            ratio = mine / theirs if theirs else float("inf")
            if kind == "distinct":
                target = "≤ 0.5x naive" if cut >= 10 else "— (no target)"
                ok = ratio <= 0.5 if cut >= 10 else True
            else:
                target = "≤ 1.0x naive"
                ok = ratio <= 1.0
            figures.append(
                Figure(
                    f"5. {kind} MAPE, forecast on day {cut} ({len(ours[kind, cut])} months)",
                    f"{mine:.2f} %",
                    f"{theirs:.2f} % (naive pace)",
                    f"{ratio:.2f}x",
                    target,
                    PASS if ok else FAIL,
                )
            )
    every = [hit for hits in inside.values() for hit in hits]
    coverage = 100 * sum(every) / len(every)
    figures.append(
        Figure(
            f"5. 80 % interval coverage ({len(every)} forecasts)",
            f"{coverage:.1f} %",
            "80 % (stated)",
            f"{coverage - 80:+.1f} pt",
            "within ±10 pt",
            PASS if abs(coverage - 80) <= 10 else FAIL,
        )
    )
    cover_lines = []
    for kind in ("distinct", "additive"):
        for cut in CUT_DAYS:
            hits = inside[kind, cut]
            cover_lines.append(f"{kind} day {cut}: {100 * sum(hits) / len(hits):.0f} %")
    metric_lines = []
    for (metric, cut), pairs in sorted(per_metric.items()):
        mine = _mean([p[0] for p in pairs]) * 100
        theirs = _mean([p[1] for p in pairs]) * 100
        metric_lines.append(f"| {metric} | {cut} | {mine:.2f} % | {theirs:.2f} % |")
    notes = [
        f"Seed {SEED}, {MONTHS} closed months from {FIRST_MONTH[0]}-{FIRST_MONTH[1]:02d}, "
        f"{len({m for m, _ in per_metric})} budget metrics, cut after day {', '.join(map(str, CUT_DAYS))}; "
        "fully settled emulator data read in-process (no HTTP). "
        f"Run time {time.perf_counter() - started:.1f} s.",
        "Coverage by kind and day: " + "; ".join(cover_lines) + ".",
        "Per metric (MAPE, ours vs naive pace):\n\n| metric | day | ours | naive |\n|---|---|---|---|\n"
        + "\n".join(metric_lines),
        "Caveat: the emulator's distinct counts follow a decaying-wave-plus-trickle shape close to the "
        "forecaster's model; the backtest shows the method works when the data has that shape, which is "
        "what the research on MAU curves describes, not that it is calibrated on LaunchDarkly's own data.",
    ]
    return BenchResult("Budget forecast backtest", figures, notes)


if __name__ == "__main__":
    outcome = run()
    for figure in outcome.figures:
        print(figure)
    for note in outcome.notes:
        print(note)
