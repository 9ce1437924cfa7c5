"""Interval constants from your own closed months: the shipped calibration's method on your account."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from airflow_provider_ldusage.budgets.calibration import CALIBRATION_DAYS, conformal_quantiles
from airflow_provider_ldusage.budgets.forecast import ValueKind, forecast_month_end

__all__ = ["calibrate_from_history"]


def calibrate_from_history(
    months: Mapping[str, Mapping[date, float]],
    *,
    kind: ValueKind,
    days: Sequence[int] = CALIBRATION_DAYS,
    level: float = 0.8,
) -> tuple[tuple[int, float, float], ...]:
    """Interval quantiles from your own closed months: each is cut after each of ``days``, forecast, and
    scored against how it really ended; the split-conformal quantiles per day, for ``quantiles=`` of
    :func:`~airflow_provider_ldusage.budgets.forecast_month_end`.

    :param months: ``YYYY-MM`` -> that month's complete month-to-date daily series (one metric).
    :param kind: ``distinct`` or ``additive``.
    :param days: the days to calibrate on (those a month is too short for are skipped).
    :param level: the interval's coverage.
    :raises ValueError: no month, or a day no month could be scored on.
    """
    if not months:
        raise ValueError("calibrate_from_history needs at least one closed month")
    rows = []
    for day in days:
        scores = []
        for label, series in months.items():
            last = max(series)
            if day >= last.day:
                continue
            f = forecast_month_end({d: v for d, v in series.items() if d.day <= day}, month=label, kind=kind)
            if f.expected is not None and f.spread:
                scores.append((series[last] - f.expected) / f.spread)
        if not scores:
            raise ValueError(f"no month could be scored for a forecast on day {day}")
        low, high = conformal_quantiles(scores, level)
        rows.append((day, low, high))
    return tuple(rows)
