"""The forecaster's interval constants, and how they are derived (split-conformal calibration).

A forecast comes with its own error estimate, ``spread`` (residual noise, model spread and hindcast error
combined). How many spreads below and above the central forecast the outcome falls is measured, per kind
and per day of the month the forecast is made on, on months the forecaster was *not* built on: the
calibration families of ``airflow_provider_ldusage.testing.backtest_families`` (population mixtures
of daily, weekly and occasional users; growth; spikes). For each (kind, day) the scores
``(actual - expected) / spread`` of those months give the split-conformal quantiles at 10 % and 90 %
(the ``ceil((n + 1) q)``-th smallest of ``n`` scores), so the interval ``expected + [low, high] x spread``
is a central 80 % (``INTERVAL_LEVEL``) interval on such data. The
forecaster keeps its central forecast inside the interval: where the calibration months fell mostly on one
side of it (both quantiles below zero, as for distinct counts forecast on days 7-14, which the population
mixtures end lower than the decaying-wave model expects), that end of the interval is the forecast itself.
Between the calibration days the quantiles are interpolated linearly; before the first and after the last
they are the nearest day's. ``benchmarks/budget_heldout.py`` re-derives :data:`INTERVAL_QUANTILES` from
the same months (the figures must match) and judges them on the held-out families, which set nothing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType

__all__ = [
    "CALIBRATION_DAYS",
    "CALIBRATION_MONTHS",
    "INTERVAL_QUANTILES",
    "conformal_quantiles",
    "interval_quantiles",
]

#: The days of the month the calibration forecasts are made on (after that day's data).
CALIBRATION_DAYS: tuple[int, ...] = (3, 4, 5, 6, 7, 8, 10, 12, 14, 17, 20, 24, 27)
#: Months per calibration family (seed 1, from January 2021) the constants come from.
CALIBRATION_MONTHS = 40

#: kind -> ((day, low, high), ...): the 10 % and 90 % split-conformal quantiles of
#: ``(actual - expected) / spread`` for forecasts made after ``day``; derived by
#: ``benchmarks/budget_heldout.py`` (``derive_quantiles``) on the calibration families, 40 months each.
INTERVAL_QUANTILES: Mapping[str, tuple[tuple[int, float, float], ...]] = MappingProxyType(
    {
        "distinct": (
            (3, -0.882, 1.694),
            (4, -7.407, 0.615),
            (5, -2.952, 0.456),
            (6, -2.196, 0.345),
            (7, -2.186, -0.138),
            (8, -2.143, -0.223),
            (10, -2.241, -0.357),
            (12, -1.821, -0.248),
            (14, -1.406, -0.016),
            (17, -1.478, 0.077),
            (20, -1.023, 0.669),
            (24, -1.048, 0.987),
            (27, -0.8, 0.774),
        ),
        "additive": (
            (3, -0.253, 0.615),
            (4, -1.187, 6.056),
            (5, -0.93, 6.805),
            (6, -0.476, 4.474),
            (7, -0.27, 4.744),
            (8, -0.43, 5.396),
            (10, -0.354, 4.801),
            (12, -0.488, 4.637),
            (14, -0.434, 4.016),
            (17, -0.376, 3.131),
            (20, -0.369, 2.764),
            (24, -0.22, 1.919),
            (27, -0.291, 1.767),
        ),
    }
)


def conformal_quantiles(scores: Sequence[float], level: float = 0.8) -> tuple[float, float]:
    """The split-conformal (lower, upper) quantiles of a central ``level`` interval of ``scores``.

    :raises ValueError: no scores, or a level outside (0, 1).
    """
    if not scores:
        raise ValueError("conformal_quantiles needs at least one score")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), not {level!r}")
    ordered = sorted(scores)
    n = len(ordered)
    tail = (1 - level) / 2

    def rank(q: float) -> int:
        return min(n - 1, max(0, math.ceil((n + 1) * q) - 1))

    return ordered[rank(tail)], ordered[rank(1 - tail)]


def interval_quantiles(
    kind: str, day: int, table: Sequence[tuple[int, float, float]] | None = None
) -> tuple[float, float]:
    """The calibrated (low, high) multiples of ``spread`` for a forecast of ``kind`` made after ``day``.

    :param table: ``(day, low, high)`` rows in day order; default :data:`INTERVAL_QUANTILES` of ``kind``.
    """
    table = INTERVAL_QUANTILES[kind] if table is None else table
    if not table:
        raise ValueError("a quantile table needs at least one (day, low, high) row")
    if day <= table[0][0]:
        return table[0][1], table[0][2]
    for (d0, lo0, hi0), (d1, lo1, hi1) in itertools.pairwise(table):
        if day <= d1:
            t = (day - d0) / (d1 - d0)
            return lo0 + t * (lo1 - lo0), hi0 + t * (hi1 - hi0)
    return table[-1][1], table[-1][2]
