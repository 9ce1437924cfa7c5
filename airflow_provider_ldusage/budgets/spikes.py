"""Spike detection: a day whose increment is far above what the days before it predict. Pure, no I/O.

The days before the one looked at are fitted with the forecaster's own model (a weekday and a weekend rate
for additive metrics; the decaying wave of first appearances plus a steady trickle, with its weekend factor,
for distinct counts), which predicts the day's increment with its weekday rhythm. The day is a spike when
its increment exceeds that prediction by more than :data:`SPIKE_SIGMAS` times the fit's relative noise and
at least :data:`SPIKE_MIN_EXCESS` of it. Only rises count: LaunchDarkly's latest days are still settling,
so a low last day is normal.

The thresholds were set on the month-shape families and the emulator's months
(``benchmarks/budget_heldout.py`` measures the false-positive rate on normal days).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from airflow_provider_ldusage.budgets.forecast import (
    ValueKind,
    _check,
    _fit,
    _is_weekend,
    _relative_noise,
    _segments,
)

__all__ = ["SPIKE_MIN_DAYS", "SPIKE_MIN_EXCESS", "SPIKE_SIGMAS", "Spike", "detect_spike"]

#: Days observed before the day looked at that a prediction needs.
SPIKE_MIN_DAYS = 5
#: How many times the fit's relative noise an increment must exceed its prediction by.
SPIKE_SIGMAS = 5.0
#: The smallest excess that counts, as a share of the predicted increment.
SPIKE_MIN_EXCESS = 1.0


@dataclass(frozen=True)
class Spike:
    """A day whose increment is far above its expected range.

    :param day: the day.
    :param increment: what it added.
    :param expected: what the days before predicted it would add.
    :param high: the upper end of the expected range.
    :param excess: ``increment - expected``.
    """

    day: date
    increment: float
    expected: float
    high: float
    excess: float

    def as_dict(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "increment": self.increment,
            "expected": self.expected,
            "high": self.high,
            "excess": self.excess,
        }


def expected_increment(
    month_to_date: Mapping[date, float], *, month: str, kind: ValueKind, day: date | None = None
) -> tuple[float, float, float] | None:
    """(increment of ``day``, its prediction from the days before, the upper end of the expected range).

    :param day: the day looked at; default the last day of the series.
    :return: ``None`` when ``day`` is not in the series or fewer than :data:`SPIKE_MIN_DAYS` days precede it.
    """
    year, number, days, points = _check(month_to_date, month, kind)
    wanted = points[-1][0] if day is None else day.day
    before = [(d, v) for d, v in points if d < wanted]
    today = [v for d, v in points if d == wanted]
    if not today or len(before) < SPIKE_MIN_DAYS:
        return None
    weekend = [_is_weekend(year, number, d) for d in range(1, days + 1)]
    segments = _segments(before)
    model, _ = _fit(segments, kind, weekend)
    previous_day = before[-1][0]
    increment = max(0.0, today[0] - max(v for _, v in before))
    expected = model.over(previous_day + 1, wanted)
    noise = _relative_noise(model, segments, 3 if kind == "distinct" else 2)
    high = expected * (1.0 + max(SPIKE_SIGMAS * noise, SPIKE_MIN_EXCESS))
    return increment, expected, high


def detect_spike(
    month_to_date: Mapping[date, float], *, month: str, kind: ValueKind, day: date | None = None
) -> Spike | None:
    """The spike on ``day`` (default: the series' last day), or ``None`` when its increment is in range.

    :param month_to_date: UTC day -> month-to-date value, as for
        :func:`~airflow_provider_ldusage.budgets.forecast_month_end`.
    :param month: ``YYYY-MM``.
    :param kind: ``distinct`` or ``additive``.
    :raises LaunchDarklyUsageValidationError: as :func:`~airflow_provider_ldusage.budgets.forecast_month_end`.
    """
    found = expected_increment(month_to_date, month=month, kind=kind, day=day)
    if found is None:
        return None
    increment, expected, high = found
    if increment <= high:
        return None
    year, number = int(month[:4]), int(month[5:7])
    when = day or date(year, number, max(d.day for d in month_to_date))
    return Spike(when, increment, expected, high, increment - expected)
