"""Month-to-date series from population models the forecaster was not built on, for backtests and tests.

Each *family* simulates one kind of account month from its users, not from the forecaster's own curve:
segments of daily, weekly and occasional users with a daily chance of being active (weekday rhythm
included), users joining over the month, launches and decays, holiday dips, spikes, and the still-settling
last days LaunchDarkly reports lower than they will end. A family draws both kinds of series from the same
population:

* **distinct**: how many users have been seen at least once since the 1st (monthly active users);
* **additive**: the events those active users send, added up since the 1st.

Families are split: the *calibration* families set the forecaster's interval constants
(:data:`airflow_provider_ldusage.budgets.calibration.INTERVAL_QUANTILES`), the *held-out* families judge
them (``benchmarks/budget_backtest.py``). Everything is seeded: one (family, seed, month) always gives the
same series.
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

__all__ = [
    "CALIBRATION_FAMILIES",
    "FAMILIES",
    "HELD_OUT_FAMILIES",
    "MonthSample",
    "cut",
    "months",
    "sample",
]

Kind = Literal["distinct", "additive"]


@dataclass(frozen=True)
class MonthSample:
    """One simulated month: the settled month-to-date series of both kinds, and how to cut it.

    :param family: the family's name.
    :param year: the year.
    :param month: the month (1-12).
    :param distinct: day -> users seen so far this month (settled).
    :param additive: day -> events so far this month (settled).
    :param settling: shares at which the last observed days are reported when the series is cut (the last
        day first); empty for settled data.
    """

    family: str
    year: int
    month: int
    distinct: Mapping[date, float]
    additive: Mapping[date, float]
    settling: tuple[float, ...] = field(default=())

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def series(self, kind: Kind) -> Mapping[date, float]:
        return self.distinct if kind == "distinct" else self.additive

    def final(self, kind: Kind) -> float:
        values = self.series(kind)
        return values[max(values)]


def cut(month: MonthSample, kind: Kind, day: int) -> dict[date, float]:
    """The series as seen at the end of ``day``: days after it dropped, the last days still settling."""
    values = month.series(kind)
    days = sorted(d for d in values if d.day <= day)
    out = {d: values[d] for d in days}
    # A still-settling day reports only part of its own increment.
    for back, share in enumerate(month.settling):
        index = len(days) - 1 - back
        if index < 1:
            break
        today, before = days[index], days[index - 1]
        increment = values[today] - values[before]
        lost = increment * (1.0 - share)
        for later in days[index:]:
            out[later] -= lost
    return out


@dataclass
class _Segment:
    """Users with a daily chance of being active; ``joined[d]`` users join on day ``d`` (0-based)."""

    users: float
    chance: float
    events: float  # events a day per active user
    weekend: float  # weekend chance as a share of the weekday one
    joined: list[float] = field(default_factory=list)
    fade: float = 1.0  # the daily chance multiplies by this each day (a decaying feature)


def _simulate(
    rng: random.Random,
    year: int,
    month: int,
    segments: list[_Segment],
    activity: Callable[[int], float] = lambda d: 1.0,
    event_spikes: Mapping[int, float] | None = None,
    noise: float = 0.04,
) -> tuple[dict[date, float], dict[date, float]]:
    """Expected first appearances and events per day, with multiplicative day noise; running sums."""
    days = calendar.monthrange(year, month)[1]
    seen_sum = 0.0
    events_sum = 0.0
    distinct: dict[date, float] = {}
    additive: dict[date, float] = {}
    # Per segment: users not yet seen this month (of those present), and users present.
    unseen = [s.users for s in segments]
    present = [s.users for s in segments]
    for d in range(days):
        weekend = date(year, month, d + 1).weekday() >= 5
        level = activity(d)
        new_today = 0.0
        events_today = 0.0
        for i, s in enumerate(segments):
            if d < len(s.joined):
                unseen[i] += s.joined[d]
                present[i] += s.joined[d]
            p = s.chance * (s.fade**d) * level * (s.weekend if weekend else 1.0)
            p = min(max(p, 0.0), 1.0)
            first = unseen[i] * p
            unseen[i] -= first
            new_today += first
            events_today += present[i] * p * s.events
        new_today *= math.exp(rng.gauss(0.0, noise))
        events_today *= math.exp(rng.gauss(0.0, noise * 1.5))
        if event_spikes and d in event_spikes:
            events_today *= event_spikes[d]
        seen_sum += new_today
        events_sum += events_today
        when = date(year, month, d + 1)
        distinct[when] = round(seen_sum)
        additive[when] = round(events_sum)
    return distinct, additive


def _mixture(rng: random.Random, scale: float) -> list[_Segment]:
    """Daily, weekly and occasional users in random proportions."""
    daily = _Segment(
        scale * rng.uniform(0.1, 0.4), rng.uniform(0.6, 0.95), rng.uniform(20, 60), rng.uniform(0.5, 0.95)
    )
    weekly = _Segment(
        scale * rng.uniform(0.2, 0.5), rng.uniform(0.1, 0.3), rng.uniform(5, 20), rng.uniform(0.3, 1.0)
    )
    occasional = _Segment(
        scale * rng.uniform(0.2, 0.7), rng.uniform(0.01, 0.05), rng.uniform(2, 10), rng.uniform(0.4, 1.2)
    )
    return [daily, weekly, occasional]


def _days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _family_mixture(rng: random.Random, year: int, month: int) -> MonthSample:
    segments = _mixture(rng, rng.uniform(2e4, 5e5))
    distinct, additive = _simulate(rng, year, month, segments)
    return MonthSample("mixture", year, month, distinct, additive)


def _family_growth(rng: random.Random, year: int, month: int) -> MonthSample:
    """New users join at a steady or rising rate (sign-ups, a marketing push)."""
    scale = rng.uniform(2e4, 5e5)
    segments = _mixture(rng, scale)
    days = _days(year, month)
    rate = scale * rng.uniform(0.002, 0.02)
    rise = rng.uniform(0.0, 0.08)
    for s in segments:
        share = rng.uniform(0.2, 0.5)
        s.joined = [share * rate * (1 + rise) ** d for d in range(days)]
    distinct, additive = _simulate(rng, year, month, segments)
    return MonthSample("growth", year, month, distinct, additive)


def _family_spikes(rng: random.Random, year: int, month: int) -> MonthSample:
    """One-day bursts: a campaign brings a cohort of new users, a batch job sends extra events."""
    scale = rng.uniform(2e4, 5e5)
    segments = _mixture(rng, scale)
    days = _days(year, month)
    burst_day = rng.randrange(1, days - 1)
    cohort = _Segment(0.0, rng.uniform(0.5, 0.9), rng.uniform(2, 10), 1.0, fade=rng.uniform(0.6, 0.9))
    cohort.joined = [0.0] * days
    cohort.joined[burst_day] = scale * rng.uniform(0.02, 0.12)
    segments.append(cohort)
    spikes = {rng.randrange(days): rng.uniform(1.5, 4.0) for _ in range(rng.randint(1, 3))}
    distinct, additive = _simulate(rng, year, month, segments, event_spikes=spikes)
    return MonthSample("spikes", year, month, distinct, additive)


def _family_launch_decay(rng: random.Random, year: int, month: int) -> MonthSample:
    """A launch brings a wave of users from a random day; an old feature's users fade away."""
    scale = rng.uniform(2e4, 5e5)
    segments = _mixture(rng, scale)
    days = _days(year, month)
    launch = rng.randrange(2, days - 5)
    width = rng.randint(2, 6)
    size = scale * rng.uniform(0.05, 0.4)
    wave = _Segment(0.0, rng.uniform(0.3, 0.8), rng.uniform(5, 30), rng.uniform(0.5, 1.0))
    wave.joined = [size / width if launch <= d < launch + width else 0.0 for d in range(days)]
    fading = _Segment(scale * rng.uniform(0.1, 0.4), rng.uniform(0.2, 0.6), rng.uniform(10, 40), 0.8)
    fading.fade = rng.uniform(0.85, 0.97)
    segments += [wave, fading]
    distinct, additive = _simulate(rng, year, month, segments)
    return MonthSample("launch_decay", year, month, distinct, additive)


def _family_holidays(rng: random.Random, year: int, month: int) -> MonthSample:
    """Holiday dips: a run of quiet days (activity 30-70 %) somewhere in the month, strong weekend dips."""
    scale = rng.uniform(2e4, 5e5)
    segments = _mixture(rng, scale)
    for s in segments:
        s.weekend = rng.uniform(0.2, 0.6)
    days = _days(year, month)
    start = rng.randrange(0, days - 3)
    length = rng.randint(1, 5)
    depth = rng.uniform(0.3, 0.7)

    def activity(d: int) -> float:
        return depth if start <= d < start + length else 1.0

    distinct, additive = _simulate(rng, year, month, segments, activity=activity)
    return MonthSample("holidays", year, month, distinct, additive)


def _family_settling(rng: random.Random, year: int, month: int) -> MonthSample:
    """A mixture with a trend, cut while the last one to three days are still settling."""
    scale = rng.uniform(2e4, 5e5)
    segments = _mixture(rng, scale)
    days = _days(year, month)
    trend = rng.uniform(-0.01, 0.015)
    for s in segments:
        s.joined = [s.users * 0.01 * max(0.0, 1 + trend * d) for d in range(days)]
    distinct, additive = _simulate(rng, year, month, segments, activity=lambda d: 1 + trend * d)
    count = rng.randint(1, 3)
    shares = tuple(sorted((rng.uniform(0.6, 0.95) for _ in range(count)), reverse=False))
    return MonthSample("settling", year, month, distinct, additive, settling=shares)


#: Family name -> generator ``(rng, year, month) -> MonthSample``.
FAMILIES: Mapping[str, Callable[[random.Random, int, int], MonthSample]] = {
    "mixture": _family_mixture,
    "growth": _family_growth,
    "spikes": _family_spikes,
    "launch_decay": _family_launch_decay,
    "holidays": _family_holidays,
    "settling": _family_settling,
}
#: The families whose forecasts set the interval constants.
CALIBRATION_FAMILIES: tuple[str, ...] = ("mixture", "growth", "spikes")
#: The families that judge them (never used to set a constant).
HELD_OUT_FAMILIES: tuple[str, ...] = ("launch_decay", "holidays", "settling")


def months(first: tuple[int, int], count: int) -> list[tuple[int, int]]:
    """``count`` consecutive (year, month) pairs from ``first``."""
    year, month = first
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def sample(family: str, seed: int, year: int, month: int) -> MonthSample:
    """One month of ``family``, the same for the same (family, seed, month)."""
    rng = random.Random(f"backtest-families:{family}:{seed}:{year}-{month}")
    return FAMILIES[family](rng, year, month)
