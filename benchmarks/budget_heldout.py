"""Backtest of the month-end forecaster on month shapes it was not built or calibrated on.

The data that sets a constant is not the data that judges it. ``testing.backtest_families`` simulates
month-to-date series from population models (segments of daily, weekly and occasional users, launches and
decays, growth, weekend and holiday dips, spikes, still-settling last days), both kinds from each month:

1. **Calibration** (families ``mixture``, ``growth``, ``spikes``; 40 months each from 2021-01, seed 1):
   forecasts after each of ``CALIBRATION_DAYS`` give the scores ``(actual - expected) / spread`` whose
   split-conformal 10 %/90 % quantiles are the interval constants. They are re-derived here and compared
   with the ones the package ships (``budgets.calibration.INTERVAL_QUANTILES``).
2. **Judgement** (families ``launch_decay``, ``holidays``, ``settling``; 30 months each from 2023-01, seed
   2): forecasts after day 5, 10, 15 and 20, the forecaster and naive pace scored on the same months:
   MAPE of the month's last value and the share of outcomes inside the 80 % interval, per family, day and
   kind.
3. **Spike false positives**: the spike check run on every day from the 6th of months without injected
   bursts (families ``mixture``, ``growth``, ``holidays``, ``settling``; 10 months each) and of the
   emulator's settled months (all 17 metrics, 3 months): the share of days flagged.

``python benchmarks/budget_heldout.py --derive`` prints the constants as the package should hold them.
Targets: distinct MAPE at day 10 <= 0.25x naive pace; additive <= 0.8x naive; held-out 80 % coverage
within 72-88 %.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import FAIL, PASS, BenchResult, Figure  # noqa: E402

KINDS = ("distinct", "additive")
JUDGE_SEED, JUDGE_FIRST, JUDGE_MONTHS = 2, (2023, 1), 30
JUDGE_DAYS = (5, 10, 15, 20)
CAL_SEED, CAL_FIRST = 1, (2021, 1)
SPIKE_FAMILIES = ("mixture", "growth", "holidays", "settling")
SPIKE_MONTHS = 10
EMULATOR_SPIKE_MONTHS = ((2025, 2), (2025, 7), (2025, 12))


def calibration_scores(months: int) -> dict[tuple[str, int], list[float]]:
    """(kind, day) -> scores ``(actual - expected) / spread`` on the calibration families."""
    from airflow_provider_ldusage.budgets import forecast_month_end
    from airflow_provider_ldusage.budgets.calibration import CALIBRATION_DAYS
    from airflow_provider_ldusage.testing import backtest_families as bf

    out: dict[tuple[str, int], list[float]] = {}
    for family in bf.CALIBRATION_FAMILIES:
        for year, month in bf.months(CAL_FIRST, months):
            sample = bf.sample(family, CAL_SEED, year, month)
            for kind in KINDS:
                actual = sample.final(kind)
                for day in CALIBRATION_DAYS:
                    f = forecast_month_end(bf.cut(sample, kind, day), month=sample.label, kind=kind)
                    assert f.expected is not None and f.spread is not None
                    out.setdefault((kind, day), []).append((actual - f.expected) / max(f.spread, 1e-9))
    return out


def derive_quantiles(months: int) -> dict[str, tuple[tuple[int, float, float], ...]]:
    """The interval constants from the calibration families, rounded as the package holds them."""
    from airflow_provider_ldusage.budgets.calibration import CALIBRATION_DAYS, conformal_quantiles

    scores = calibration_scores(months)
    table = {}
    for kind in KINDS:
        rows = []
        for day in CALIBRATION_DAYS:
            low, high = conformal_quantiles(scores[kind, day])
            rows.append((day, round(low, 3), round(high, 3)))
        table[kind] = tuple(rows)
    return table


def judge(families: Iterable[str], months: int, days: Iterable[int], seed: int = JUDGE_SEED) -> dict:
    """(family, kind, day) -> lists of our error, naive error, inside the interval."""
    from airflow_provider_ldusage.budgets import forecast_month_end, naive_pace
    from airflow_provider_ldusage.testing import backtest_families as bf

    cells: dict[tuple[str, str, int], dict[str, list[float]]] = {}
    for family in families:
        for year, month in bf.months(JUDGE_FIRST, months):
            sample = bf.sample(family, seed, year, month)
            for kind in KINDS:
                actual = sample.final(kind)
                for day in days:
                    seen = bf.cut(sample, kind, day)
                    f = forecast_month_end(seen, month=sample.label, kind=kind)
                    assert f.expected is not None and f.high is not None
                    cell = cells.setdefault((family, kind, day), {"ours": [], "naive": [], "inside": []})
                    cell["ours"].append(abs(f.expected - actual) / actual)
                    cell["naive"].append(abs(naive_pace(seen, month=sample.label) - actual) / actual)
                    cell["inside"].append(float(f.low <= actual <= f.high))
    return cells


def spike_false_positives() -> tuple[dict[str, tuple[int, int]], int, int]:
    """Family -> (days flagged, days checked), and the same over the emulator's months."""
    from datetime import datetime, timezone

    from airflow_provider_ldusage.budgets import BUDGET_METRICS, budget_endpoint
    from airflow_provider_ldusage.budgets.spikes import detect_spike
    from airflow_provider_ldusage.testing import backtest_families as bf
    from airflow_provider_ldusage.testing.emulator import EmulatorConfig, SeriesQuery
    from airflow_provider_ldusage.testing.emulator.state import EmulatorState

    out: dict[str, tuple[int, int]] = {}
    for family in SPIKE_FAMILIES:
        flagged = checked = 0
        for year, month in bf.months(JUDGE_FIRST, SPIKE_MONTHS):
            sample = bf.sample(family, JUDGE_SEED, year, month)
            for kind in KINDS:
                days = sorted(sample.series(kind))
                for day in days[5:]:
                    seen = bf.cut(sample, kind, day.day)
                    checked += 1
                    flagged += detect_spike(seen, month=sample.label, kind=kind) is not None
        out[family] = (flagged, checked)
    utc = timezone.utc
    data = EmulatorState(EmulatorConfig(seed=7)).data
    e_flagged = e_checked = 0
    for year, month in EMULATOR_SPIKE_MONTHS:
        start = datetime(year, month, 1, tzinfo=utc)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=utc)
        for metric in BUDGET_METRICS:
            endpoint, kind = budget_endpoint(metric)
            query = SeriesQuery(
                endpoint.operation_id, start, end, aggregation="month_to_date", granularity="daily"
            )
            body = data.series(query, datetime(2100, 1, 1, tzinfo=utc))
            series = {
                datetime.fromtimestamp(p["time"] / 1000, utc).date(): float(
                    sum(v for k, v in p.items() if k != "time")
                )
                for p in body["series"]  # type: ignore[attr-defined]
            }
            if not any(series.values()):
                continue
            label = f"{year:04d}-{month:02d}"
            for day in sorted(series)[5:]:
                seen: dict[date, float] = {d: v for d, v in series.items() if d <= day}
                e_checked += 1
                e_flagged += detect_spike(seen, month=label, kind=kind) is not None
    return out, e_flagged, e_checked


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def run() -> BenchResult:
    from airflow_provider_ldusage.budgets.calibration import CALIBRATION_MONTHS, INTERVAL_QUANTILES
    from airflow_provider_ldusage.testing import backtest_families as bf

    started = time.perf_counter()
    derived = derive_quantiles(CALIBRATION_MONTHS)
    shipped = {kind: tuple(INTERVAL_QUANTILES[kind]) for kind in KINDS}
    cells = judge(bf.HELD_OUT_FAMILIES, JUDGE_MONTHS, JUDGE_DAYS)
    spikes, e_flagged, e_checked = spike_false_positives()

    figures: list[Figure] = []
    mismatches = sum(
        1 for kind in KINDS for a, b in zip(derived[kind], shipped[kind], strict=False) if a != b
    ) + sum(abs(len(derived[k]) - len(shipped[k])) for k in KINDS)
    figures.append(
        Figure(
            "5b. interval constants re-derived on the calibration families",
            f"{mismatches} differ",
            f"{sum(len(v) for v in shipped.values())} shipped (day x kind)",
            "—",
            "0 differ",
            PASS if mismatches == 0 else FAIL,
        )
    )
    for kind, target in (("distinct", 0.25), ("additive", 0.8)):
        ours = [e for (f, k, d), c in cells.items() if k == kind and d == 10 for e in c["ours"]]
        naive = [e for (f, k, d), c in cells.items() if k == kind and d == 10 for e in c["naive"]]
        ratio = _mean(ours) / _mean(naive)
        figures.append(
            Figure(
                f"5b. held-out {kind} MAPE, forecast on day 10 ({len(ours)} months)",
                f"{100 * _mean(ours):.2f} %",
                f"{100 * _mean(naive):.2f} % (naive pace)",
                f"{ratio:.2f}x",
                f"≤ {target}x naive",
                PASS if ratio <= target else FAIL,
            )
        )
    inside = [x for c in cells.values() for x in c["inside"]]
    coverage = 100 * _mean(inside)
    figures.append(
        Figure(
            f"5b. held-out 80 % interval coverage ({len(inside)} forecasts)",
            f"{coverage:.1f} %",
            "80 % (stated)",
            f"{coverage - 80:+.1f} pt",
            "72-88 %",
            PASS if 72 <= coverage <= 88 else FAIL,
        )
    )
    flagged = sum(f for f, _ in spikes.values()) + e_flagged
    checked = sum(c for _, c in spikes.values()) + e_checked
    figures.append(
        Figure(
            f"5b. spike false positives ({checked} normal days)",
            f"{100 * flagged / checked:.2f} %",
            "0 % (no spike injected)",
            "—",
            "≤ 1 % of days",
            PASS if flagged <= 0.01 * checked else FAIL,
        )
    )
    rows = []
    for (family, kind, day), c in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        ours, naive = 100 * _mean(c["ours"]), 100 * _mean(c["naive"])
        rows.append(
            f"| {family} | {kind} | {day} | {ours:.1f} % | {naive:.1f} % | {ours / naive:.2f}x | "
            f"{100 * _mean(c['inside']):.0f} % |"
        )
    constants = "; ".join(
        f"{kind}: " + ", ".join(f"day {d} [{lo:+.2f}, {hi:+.2f}]" for d, lo, hi in derived[kind])
        for kind in KINDS
    )
    notes = [
        f"Calibration: families {', '.join(bf.CALIBRATION_FAMILIES)}, {CALIBRATION_MONTHS} months each from "
        f"{CAL_FIRST[0]}-{CAL_FIRST[1]:02d} (seed {CAL_SEED}). Judgement: held-out families "
        f"{', '.join(bf.HELD_OUT_FAMILIES)}, {JUDGE_MONTHS} months each from {JUDGE_FIRST[0]}-"
        f"{JUDGE_FIRST[1]:02d} (seed {JUDGE_SEED}), cut after day {', '.join(map(str, JUDGE_DAYS))}. "
        f"Run time {time.perf_counter() - started:.1f} s.",
        "Interval constants (multiples of the forecast's spread, 10 % and 90 % split-conformal quantiles): "
        + constants
        + ".",
        "Held-out cells (MAPE ours, naive pace, ratio, 80 % coverage):\n\n"
        "| family | kind | day | ours | naive | ratio | coverage |\n|---|---|---|---|---|---|---|\n"
        + "\n".join(rows),
        "Spike false positives per family (days flagged / checked, from the 6th): "
        + "; ".join(f"{family} {f}/{c}" for family, (f, c) in spikes.items())
        + f"; the emulator's months (17 metrics, {len(EMULATOR_SPIKE_MONTHS)} months, seed 7) "
        + f"{e_flagged}/{e_checked}.",
    ]
    return BenchResult("Budget forecast on held-out month shapes", figures, notes)


if __name__ == "__main__":
    if "--derive" in sys.argv:
        from airflow_provider_ldusage.budgets.calibration import CALIBRATION_MONTHS

        for kind, rows in derive_quantiles(CALIBRATION_MONTHS).items():
            print(f'        "{kind}": (')
            for row in rows:
                print(f"            {row},")
            print("        ),")
        sys.exit(0)
    outcome = run()
    for figure in outcome.figures:
        print(figure)
    for note in outcome.notes:
        print(note)
