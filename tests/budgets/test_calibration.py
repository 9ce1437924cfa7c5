"""The forecaster's calibrated intervals: the constants' shape, and coverage on month shapes held out."""

from __future__ import annotations

import pytest

from airflow_provider_ldusage.budgets import forecast_month_end
from airflow_provider_ldusage.budgets.calibration import (
    CALIBRATION_DAYS,
    INTERVAL_QUANTILES,
    conformal_quantiles,
    interval_quantiles,
)
from airflow_provider_ldusage.testing import backtest_families as families


def test_the_shipped_constants_cover_every_calibration_day_of_both_kinds() -> None:
    for kind in ("distinct", "additive"):
        table = INTERVAL_QUANTILES[kind]
        assert [day for day, _, _ in table] == list(CALIBRATION_DAYS)
        assert all(low < high for _, low, high in table)


def test_quantiles_between_calibration_days_are_interpolated_and_held_at_the_ends() -> None:
    table = INTERVAL_QUANTILES["distinct"]
    (_, lo0, hi0), (d1, lo1, hi1) = table[0], table[1]
    assert interval_quantiles("distinct", 1) == (lo0, hi0)
    assert interval_quantiles("distinct", d1) == pytest.approx((lo1, hi1))
    assert interval_quantiles("distinct", 31) == table[-1][1:]
    (a, la, ha), (b, lb, hb) = table[6], table[7]  # days 10 and 12
    assert interval_quantiles("distinct", (a + b) // 2) == pytest.approx(((la + lb) / 2, (ha + hb) / 2))


def test_conformal_quantiles_take_the_finite_sample_rank() -> None:
    scores = [float(i) for i in range(1, 20)]  # n = 19: ranks ceil(20 * 0.1) = 2 and ceil(20 * 0.9) = 18
    assert conformal_quantiles(scores) == (2.0, 18.0)
    assert conformal_quantiles([5.0]) == (5.0, 5.0)
    with pytest.raises(ValueError, match="at least one"):
        conformal_quantiles([])
    with pytest.raises(ValueError, match="level"):
        conformal_quantiles(scores, level=1.0)


def test_the_calibration_and_judging_families_do_not_overlap() -> None:
    assert set(families.CALIBRATION_FAMILIES).isdisjoint(families.HELD_OUT_FAMILIES)
    assert set(families.CALIBRATION_FAMILIES) | set(families.HELD_OUT_FAMILIES) == set(families.FAMILIES)
    # Seeded: one (family, seed, month) is always the same month.
    assert families.sample("holidays", 3, 2024, 2) == families.sample("holidays", 3, 2024, 2)


def test_held_out_families_are_covered_near_the_stated_80_percent() -> None:
    """A fast version of the benchmark's judgement: other months (seed 3) of the held-out families."""
    inside = []
    for family in families.HELD_OUT_FAMILIES:
        for year, month in families.months((2024, 1), 8):
            sample = families.sample(family, 3, year, month)
            for kind in ("distinct", "additive"):
                actual = sample.final(kind)
                for day in (7, 14):
                    f = forecast_month_end(families.cut(sample, kind, day), month=sample.label, kind=kind)
                    assert f.high is not None and f.low <= f.expected <= f.high  # type: ignore[operator]
                    inside.append(f.low <= actual <= f.high)
    coverage = sum(inside) / len(inside)
    assert len(inside) == 96
    assert 0.65 <= coverage <= 0.92, coverage


def test_a_still_settling_cut_reports_the_last_days_lower() -> None:
    sample = families.sample("settling", 1, 2024, 5)
    assert sample.settling
    settled, seen = sample.additive, families.cut(sample, "additive", 12)
    days = sorted(seen)
    assert seen[days[0]] == settled[days[0]]
    assert seen[days[-1]] < settled[days[-1]]
    assert all(b >= a for a, b in zip([seen[d] for d in days], [seen[d] for d in days[1:]], strict=False))


def test_your_own_closed_months_give_quantiles_the_forecaster_takes() -> None:
    from airflow_provider_ldusage.budgets.history import calibrate_from_history

    history = {}
    for year, month in families.months((2022, 1), 6):
        sample = families.sample("mixture", 5, year, month)
        history[sample.label] = dict(sample.distinct)
    table = calibrate_from_history(history, kind="distinct", days=(7, 14))
    assert [day for day, _, _ in table] == [7, 14] and all(low <= high for _, low, high in table)
    # A table of one row holds for every day.
    sample = families.sample("mixture", 5, 2022, 7)
    seen = families.cut(sample, "distinct", 10)
    own = forecast_month_end(seen, month=sample.label, kind="distinct", quantiles=((3, -1.0, 2.0),))
    assert own.expected is not None and own.spread is not None and own.high is not None
    assert own.high == pytest.approx(own.expected + 2 * own.spread)
    assert own.low == pytest.approx(max(own.reached, own.expected - own.spread))
    with pytest.raises(ValueError, match="at least one closed month"):
        calibrate_from_history({}, kind="distinct")
