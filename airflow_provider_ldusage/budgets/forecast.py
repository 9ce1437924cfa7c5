"""Month-end forecasts of usage against contract limits: pure functions, no I/O, no Airflow.

LaunchDarkly's month-to-date series come in two kinds, and a forecast must know which:

* **additive** (events, connection-minutes, sessions, logs, traces, errors, runs): the month-to-date value is
  a running sum, so the month ends at what has been reached plus the usage of the days still to come. The
  forecaster estimates a weekday rate and a weekend rate from the daily increments (recent days weigh
  more) and adds them up over the calendar of the remaining days.
* **distinct** (monthly active users, contexts, experimentation keys): the month-to-date value counts
  *distinct* contexts, so each day adds only those not yet seen this month, and the curve flattens as the
  month goes on. Extrapolating the pace linearly overshoots badly. The forecaster fits the daily additions
  with a decaying wave of first appearances plus a steady trickle of new ones,
  ``(a * r ** (day - 1) + b) * weekday_factor``, choosing ``r`` and the weekend factor by weighted least
  squares, and adds the fitted curve up over the remaining days.

Uncertainty comes from the series itself: the fit's residual noise over the remaining days, plus the error
the same method made when it was run on the data it had a few days ago and compared with what then
happened (a hindcast). The interval is the central :data:`INTERVAL_LEVEL` interval of a normal
approximation and its lower end is never below what has already been reached. With fewer than
:data:`MIN_DAYS` observed days there is no forecast: ``method`` is ``"insufficient_data"`` and ``expected``
and ``high`` are ``None``.
"""

from __future__ import annotations

import calendar
import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from types import MappingProxyType
from typing import Literal

from airflow_provider_ldusage.budgets.calibration import interval_quantiles
from airflow_provider_ldusage.catalogue import BY_OPERATION, Endpoint
from airflow_provider_ldusage.core.timeconv import json_fields
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError

ValueKind = Literal["distinct", "additive"]
#: The stated coverage of ``[low, high]``.
INTERVAL_LEVEL = 0.8
#: Fewer observed days than this give no forecast.
MIN_DAYS = 3
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_DECAYS = tuple(round(0.30 + 0.04 * i, 2) for i in range(18))  # 0.30 .. 0.98
_WEEKEND_FACTORS = (1.0, 0.85, 0.7, 0.55, 0.4)
_HALF_LIFE_DAYS = 10.0  # additive rates: recent days weigh more
_ROBUST_MIN_DAYS = 6  # additive rates: from this many days on, outlying days are down-weighted
# Tukey's bisquare with the textbook tuning constant (95 % efficiency under normal noise) on relative
# misses scaled by their median absolute deviation; a few reweighting rounds settle the weights.
_BISQUARE_C = 4.685
_ROBUST_ROUNDS = 4
# The hindcast looks 1-4 days ahead, a forecast 10-25 days: on distinct counts the relative error over the
# rest of the month runs about 1.5 times the short-range one (calibrated on benchmarks/budget_backtest.py).
_HINDCAST_WEIGHT: dict[str, float] = {"distinct": 1.5, "additive": 1.0}

#: Budget metric name -> the operation whose month-to-date daily series it is (all account-wide totals).
#: Whether a metric is a distinct count comes from the catalogue (``Endpoint.value_kind``).
BUDGET_METRICS: Mapping[str, str] = MappingProxyType(
    {
        "client_mau": "getMAUClientsideUsage",
        "total_mau": "getMAUTotalUsage",
        "client_contexts": "getContextsClientsideUsage",
        "server_contexts": "getContextsServersideUsage",
        "total_contexts": "getContextsTotalUsage",
        "service_connection_minutes": "getServiceConnectionsUsage",
        "data_export_events": "getDataExportEventsUsage",
        "warehouse_export_events": "getWarehouseExportUsage",
        "experimentation_events": "getExperimentationEventsUsage",
        "experimentation_keys": "getExperimentationKeysUsage",
        "observability_errors": "getObservabilityErrorsUsage",
        "observability_logs": "getObservabilityLogsUsage",
        "observability_sessions": "getObservabilitySessionsUsage",
        "observability_traces": "getObservabilityTracesUsage",
        "observability_metrics": "getObservabilityMetricsUsage",
        "ai_runs": "getAiRunsUsage",
        "vega_ai": "getVegaAIUsage",
    }
)


def budget_endpoint(metric: str) -> tuple[Endpoint, ValueKind]:
    """The catalogue entry of a budget metric and its value kind.

    :param metric: a key of :data:`BUDGET_METRICS`.
    :raises LaunchDarklyUsageValidationError: an unknown metric name.
    """
    operation = BUDGET_METRICS.get(metric) if isinstance(metric, str) else None
    if operation is None:
        raise LaunchDarklyUsageValidationError(
            "metric", metric, "one of " + ", ".join(sorted(BUDGET_METRICS))
        )
    endpoint = BY_OPERATION[operation]
    if endpoint.value_kind is None:  # pragma: no cover - the catalogue types every metric above
        raise LaunchDarklyUsageValidationError("metric", metric, "a metric with a month-to-date series")
    return endpoint, endpoint.value_kind


@dataclass(frozen=True)
class MonthEndForecast:
    """Where a month-to-date series is expected to end the month.

    :param month: ``YYYY-MM``.
    :param kind: ``distinct`` or ``additive``.
    :param expected: the central forecast of the month's last month-to-date value (``None``: no forecast).
    :param low: lower end of the :attr:`level` interval; never below :attr:`reached`.
    :param high: upper end of the interval (``None``: no forecast).
    :param level: the interval's stated coverage (0.8).
    :param method: ``distinct-decay``, ``additive-weekly``, ``complete`` (the month's last day is in) or
        ``insufficient_data``.
    :param days_observed: how many days of the month carried a value.
    :param days_in_month: the month's length.
    :param last_day: the last observed day ("today").
    :param reached: the month-to-date value on :attr:`last_day`.
    :param path: expected month-to-date at the end of each day after :attr:`last_day` to the month's end.
    :param note: a sentence on what the forecast rests on, for people.
    :param spread: the forecast's own estimate of its error (residual noise, model spread and hindcast
        combined), before calibration; ``low`` and ``high`` are ``expected`` plus calibrated multiples of it.
    """

    month: str
    kind: ValueKind
    expected: float | None
    low: float
    high: float | None
    level: float
    method: str
    days_observed: int
    days_in_month: int
    last_day: date
    reached: float
    path: tuple[float, ...] = ()
    note: str = ""
    spread: float | None = None

    @property
    def sufficient(self) -> bool:
        """Whether there is a forecast (enough days were observed)."""
        return self.expected is not None

    def crossing_day(self, limit: float) -> date | None:
        """The first day whose expected month-to-date reaches ``limit``; ``None`` if it is not expected to.

        A limit already reached gives :attr:`last_day` (the latest day known to be over it).
        """
        if self.reached >= limit:
            return self.last_day
        for offset, value in enumerate(self.path, start=1):
            if value >= limit:
                return self.last_day + timedelta(days=offset)
        return None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready fields (dates as ISO strings, the path left out)."""
        return json_fields(self, leave_out=("path",))


@dataclass(frozen=True)
class _Segment:
    """Usage added over days ``first``..``last`` (1-based, inclusive): one day, or a gap and the day after."""

    first: int
    last: int
    amount: float


def parse_month(month: str) -> tuple[int, int]:
    """``YYYY-MM`` -> (year, month); anything else raises the validation error."""
    match = _MONTH.match(month) if isinstance(month, str) else None
    if match is None:
        raise LaunchDarklyUsageValidationError("month", month, "a month as 'YYYY-MM', e.g. '2026-11'")
    return int(match.group(1)), int(match.group(2))


def _check(
    month_to_date: Mapping[date, float], month: str, kind: str
) -> tuple[int, int, int, list[tuple[int, float]]]:
    year, number = parse_month(month)
    if kind not in ("distinct", "additive"):
        raise LaunchDarklyUsageValidationError("kind", kind, "'distinct' or 'additive'")
    if not month_to_date:
        raise LaunchDarklyUsageValidationError(
            "month_to_date", dict(month_to_date), f"at least one day of {month} with a value"
        )
    days = calendar.monthrange(year, number)[1]
    points: list[tuple[int, float]] = []
    for day, value in month_to_date.items():
        if not isinstance(day, date) or (day.year, day.month) != (year, number):
            raise LaunchDarklyUsageValidationError("month_to_date", day, f"dates of {month} only")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise LaunchDarklyUsageValidationError(f"month_to_date[{day}]", value, "a finite number")
        if value < 0:
            raise LaunchDarklyUsageValidationError(f"month_to_date[{day}]", value, "a value >= 0")
        points.append((day.day, float(value)))
    points.sort()
    return year, number, days, points


def _segments(points: Sequence[tuple[int, float]]) -> list[_Segment]:
    """Daily additions; a gap's usage is one segment ending at the next observed day."""
    out: list[_Segment] = []
    previous_day, previous_value = 0, 0.0
    for day, value in points:
        # A month-to-date value never falls; a lower one (late corrections) adds nothing.
        out.append(_Segment(previous_day + 1, day, max(0.0, value - previous_value)))
        previous_day, previous_value = day, max(value, previous_value)
    return out


def _is_weekend(year: int, month: int, day: int) -> bool:
    return date(year, month, day).weekday() >= 5


class _Model:
    """A fitted daily-addition curve: ``(a * r ** (day - 1) + b) * (w if weekend else 1)``."""

    def __init__(self, a: float, b: float, r: float, w: float, weekend: Sequence[bool]) -> None:
        self.a, self.b, self.r, self.w = a, b, r, w
        self._weekend = weekend

    def day(self, day: int) -> float:
        rhythm = self.w if self._weekend[day - 1] else 1.0
        return (self.a * self.r ** (day - 1) + self.b) * rhythm

    def over(self, first: int, last: int) -> float:
        return sum(self.day(d) for d in range(first, last + 1))


def _solve(
    columns: Sequence[Sequence[float]], target: Sequence[float], weights: Sequence[float]
) -> tuple[list[float], float]:
    """Non-negative weighted least squares for one or two columns; (coefficients, weighted SSE)."""
    best: tuple[list[float], float] | None = None
    k = len(columns)
    subsets: list[tuple[int, ...]] = [tuple(range(k))] + ([(0,), (1,)] if k == 2 else [])
    for subset in subsets:
        cols = [columns[i] for i in subset]
        if len(cols) == 1:
            (x,) = cols
            sxx = sum(w * v * v for w, v in zip(weights, x, strict=True))
            if sxx <= 0:
                continue
            coef = [max(0.0, sum(w * v * y for w, v, y in zip(weights, x, target, strict=True)) / sxx)]
        else:
            x1, x2 = cols
            s11 = sum(w * v * v for w, v in zip(weights, x1, strict=True))
            s22 = sum(w * v * v for w, v in zip(weights, x2, strict=True))
            s12 = sum(w * u * v for w, u, v in zip(weights, x1, x2, strict=True))
            t1 = sum(w * v * y for w, v, y in zip(weights, x1, target, strict=True))
            t2 = sum(w * v * y for w, v, y in zip(weights, x2, target, strict=True))
            det = s11 * s22 - s12 * s12
            if det <= 1e-12 * max(s11 * s22, 1e-300):
                continue
            coef = [(t1 * s22 - t2 * s12) / det, (t2 * s11 - t1 * s12) / det]
            if min(coef) < 0:
                continue
        full = [0.0] * k
        for i, c in zip(subset, coef, strict=True):
            full[i] = c
        fitted = [sum(full[i] * columns[i][j] for i in range(k)) for j in range(len(target))]
        sse = sum(w * (y - f) ** 2 for w, y, f in zip(weights, target, fitted, strict=True))
        if best is None or sse < best[1]:
            best = (full, sse)
    return best if best is not None else ([0.0] * k, math.inf)


def _fit(
    segments: Sequence[_Segment], kind: ValueKind, weekend: Sequence[bool], last_day: int = 0
) -> tuple[_Model, float]:
    """The best model and the spread of the remaining usage over the models the data cannot rule out.

    :param last_day: the month's last day, for the spread (0: no spread wanted).
    """
    last = segments[-1].last
    weekend_days = sum(1 for d in range(1, last + 1) if weekend[d - 1])
    factors = _WEEKEND_FACTORS if weekend_days >= 2 and weekend_days < last else (1.0,)
    target = [s.amount for s in segments]
    if kind == "additive":
        # Weekday and weekend rates, recent days weighing more; one free level per day type.
        recency = [0.5 ** ((last - s.last) / _HALF_LIFE_DAYS) / (s.last - s.first + 1) for s in segments]
        rhythm = len(factors) > 1
        model = _additive(segments, target, recency, weekend, rhythm)
        if len(segments) >= _ROBUST_MIN_DAYS:
            # A one-day burst (a batch job, a test run) or a quiet run of days is not the month's pace: the
            # rates are re-estimated with Tukey's bisquare weights, which drop days far off the fit entirely
            # (a mean, even a damped one, still follows them) and leave ordinary noise its full weight. The
            # rounds start from the median daily rates: a least-squares start that two weekend bursts have
            # pulled up would make every ordinary weekend day look like the outlier.
            model = _median_rates(segments, weekend, rhythm) or model
            for _ in range(_ROBUST_ROUNDS):
                fitted = [model.over(s.first, s.last) for s in segments]
                misses = [(s.amount - f) / max(f, 1e-9) for s, f in zip(segments, fitted, strict=True)]
                scale = 1.4826 * sorted(abs(m) for m in misses)[len(misses) // 2]
                if scale <= 0:
                    break
                robust = [
                    w * max(0.0, 1.0 - (m / (_BISQUARE_C * scale)) ** 2) ** 2
                    for w, m in zip(recency, misses, strict=True)
                ]
                kept = {weekend[s.last - 1] for s, w in zip(segments, robust, strict=True) if w > 0}
                if rhythm and len(kept) < 2:
                    break  # every day of one type off the fit: its rate cannot be re-estimated
                model = _additive(segments, target, robust, weekend, rhythm)
        return model, 0.0
    # Distinct: a decaying wave of first appearances plus a steady trickle. Weights ~ 1/amount make the
    # small late additions count as much as the big first days (relative, Poisson-like errors).
    floor = max(1e-9, sum(target) / len(target) * 0.05)
    weights = [1.0 / max(y, floor) for y in target]
    want = bool(last_day) and last < last_day

    def evaluate(r: float, w: float) -> tuple[float, _Model, float]:
        probe = _Model(1.0, 0.0, r, w, weekend)
        wave = [probe.over(s.first, s.last) for s in segments]
        steady = [sum(w if weekend[d - 1] else 1.0 for d in range(s.first, s.last + 1)) for s in segments]
        (a, b), sse = _solve([wave, steady], target, weights)
        # Variance factor of the remaining usage from the uncertainty of (a, b) given (r, w):
        # g' (X'WX)^-1 g, to be scaled by the noise variance.
        factor = 0.0
        if want:
            g1 = probe.over(last + 1, last_day)
            g2 = sum(w if weekend[d - 1] else 1.0 for d in range(last + 1, last_day + 1))
            s11 = sum(q * x * x for q, x in zip(weights, wave, strict=True))
            s22 = sum(q * x * x for q, x in zip(weights, steady, strict=True))
            s12 = sum(q * x * y for q, x, y in zip(weights, wave, steady, strict=True))
            det = s11 * s22 - s12 * s12
            if det > 0:
                factor = (g1 * g1 * s22 - 2 * g1 * g2 * s12 + g2 * g2 * s11) / det
        return sse, _Model(a, b, r, w, weekend), factor

    fits = [evaluate(r, w) for r in _DECAYS for w in factors]
    # Refine the decay between the grid's neighbours (golden-section search).
    coarse = min(fits, key=lambda fit: fit[0])[1]
    low, high = max(0.05, coarse.r - 0.04), min(0.995, coarse.r + 0.04)
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(25):
        left, right = high - ratio * (high - low), low + ratio * (high - low)
        if evaluate(left, coarse.w)[0] <= evaluate(right, coarse.w)[0]:
            high = right
        else:
            low = left
    fits.append(evaluate((low + high) / 2, coarse.w))
    best_sse, best, _ = min(fits, key=lambda fit: fit[0])
    if not want:
        return best, 0.0
    # Models whose misfit the noise could explain, weighted as a likelihood: their disagreement about
    # the rest of the month, plus each one's own coefficient uncertainty, is the parameter uncertainty.
    sigma2 = max(best_sse / max(1, len(segments) - 3), 1e-12)
    total = mean = square = within = 0.0
    for sse, model, factor in fits:
        weight = math.exp(-(sse - best_sse) / (2 * sigma2))
        remaining = model.over(last + 1, last_day)
        total += weight
        mean += weight * remaining
        square += weight * remaining * remaining
        within += weight * sigma2 * factor
    mean /= total
    return best, math.sqrt(max(0.0, square / total - mean * mean) + within / total)


def _additive(
    segments: Sequence[_Segment],
    target: Sequence[float],
    weights: Sequence[float],
    weekend: Sequence[bool],
    rhythm: bool,
) -> _Model:
    """A weekday and a weekend rate by weighted least squares (one rate when ``rhythm`` is false)."""
    if rhythm:
        weekdays = [float(sum(1 for d in range(s.first, s.last + 1) if not weekend[d - 1])) for s in segments]
        weekends = [float(s.last - s.first + 1) - wd for s, wd in zip(segments, weekdays, strict=True)]
        (rate, weekend_rate), _ = _solve([weekdays, weekends], target, weights)
        if rate > 0:
            return _Model(0.0, rate, 1.0, weekend_rate / rate, weekend)
    lengths = [float(s.last - s.first + 1) for s in segments]
    (rate,), _ = _solve([lengths], target, weights)
    return _Model(0.0, rate, 1.0, 1.0, weekend)


def _median_rates(segments: Sequence[_Segment], weekend: Sequence[bool], rhythm: bool) -> _Model | None:
    """The median daily rate of weekdays and of weekend days (one median when ``rhythm`` is false)."""
    days: dict[bool, list[float]] = {False: [], True: []}
    for s in segments:
        types = {weekend[d - 1] for d in range(s.first, s.last + 1)}
        if len(types) == 1:  # a gap spanning both day types says nothing about either rate alone
            days[types.pop() if rhythm else False].append(s.amount / (s.last - s.first + 1))
    if not days[False] or (rhythm and not days[True]):
        return None
    rate = statistics.median(days[False])
    if rate <= 0:
        return None
    factor = statistics.median(days[True]) / rate if rhythm else 1.0
    return _Model(0.0, rate, 1.0, factor, weekend)


def _relative_noise(model: _Model, segments: Sequence[_Segment], parameters: int) -> float:
    """Root-mean-square relative residual of the fit (degrees of freedom corrected)."""
    squares = []
    for s in segments:
        fitted = model.over(s.first, s.last)
        if fitted > 0:
            squares.append(((s.amount - fitted) / fitted) ** 2 / (s.last - s.first + 1))
    dof = max(1, len(squares) - parameters)
    return math.sqrt(sum(squares) / dof) if squares else 0.0


def _hindcast_error(segments: Sequence[_Segment], kind: ValueKind, weekend: Sequence[bool]) -> float | None:
    """RMS relative error of the usage added since earlier origins, as forecast from those origins."""
    errors = []
    last = segments[-1].last
    for back in (1, 2, 3, 4):
        cut = len(segments) - back
        if cut < MIN_DAYS or segments[cut - 1].last < MIN_DAYS:
            break
        model, _ = _fit(segments[:cut], kind, weekend)
        predicted = model.over(segments[cut - 1].last + 1, last)
        actual = sum(s.amount for s in segments[cut:])
        if predicted > 0:
            errors.append((actual - predicted) / predicted)
    if not errors:
        return None
    return math.sqrt(sum(e * e for e in errors) / len(errors))


def forecast_month_end(
    month_to_date: Mapping[date, float],
    *,
    month: str,
    kind: ValueKind,
    quantiles: Sequence[tuple[int, float, float]] | None = None,
) -> MonthEndForecast:
    """Forecast the month's last month-to-date value from the days seen so far.

    :param month_to_date: UTC day -> month-to-date value at the end of that day (LaunchDarkly's
        ``aggregation_type="month_to_date"``, ``granularity="daily"``), days of ``month`` only; the last day
        is "today"; days may be missing.
    :param month: ``YYYY-MM``.
    :param kind: ``distinct`` (MAU, contexts, experimentation keys) or ``additive`` (events, minutes,
        sessions, logs, traces, errors, runs); the catalogue's ``Endpoint.value_kind``.
    :param quantiles: the interval's ``(day, low, high)`` multiples of the spread, e.g. from
        :func:`~airflow_provider_ldusage.budgets.history.calibrate_from_history` on your own closed
        months; default the shipped :data:`~airflow_provider_ldusage.budgets.calibration.INTERVAL_QUANTILES`.
    :return: the forecast with a central :data:`INTERVAL_LEVEL` interval; ``method="insufficient_data"``
        (``expected`` and ``high`` ``None``) when fewer than :data:`MIN_DAYS` days were observed.
    :raises LaunchDarklyUsageValidationError: a malformed month, an unknown kind, no data, a day outside the
        month, a negative or non-numeric value.
    """
    year, number, days, points = _check(month_to_date, month, kind)
    last_day, reached = points[-1][0], max(value for _, value in points)
    base = MonthEndForecast(
        month=month,
        kind=kind,
        expected=None,
        low=reached,
        high=None,
        level=INTERVAL_LEVEL,
        method="insufficient_data",
        days_observed=len(points),
        days_in_month=days,
        last_day=date(year, number, last_day),
        reached=reached,
        note=f"{len(points)} day(s) observed; at least {MIN_DAYS} are needed for a forecast",
    )
    if last_day == days:
        return replace(base, expected=reached, high=reached, method="complete", note="the month is complete")
    if len(points) < MIN_DAYS:
        return base
    weekend = [_is_weekend(year, number, d) for d in range(1, days + 1)]
    segments = _segments(points)
    model, parameter_spread = _fit(segments, kind, weekend, days)
    path: list[float] = []
    running = reached
    variance_noise = 0.0
    noise = _relative_noise(model, segments, 3 if kind == "distinct" else 2)
    for d in range(last_day + 1, days + 1):
        added = model.day(d)
        running += added
        path.append(running)
        variance_noise += (noise * added) ** 2
    remaining = running - reached
    hindcast = _hindcast_error(segments, kind, weekend)
    # Without a hindcast (too few days), the model error is taken as large as a 1/sqrt(days) guess.
    model_error = hindcast if hindcast is not None else 1.0 / math.sqrt(len(points))
    model_error *= _HINDCAST_WEIGHT[kind]
    spread = math.sqrt(variance_noise + (model_error * remaining) ** 2 + parameter_spread**2)
    expected = running
    # The interval's ends in units of that spread: split-conformal quantiles measured on data the
    # forecaster was not built on (see .calibration).
    below, above = interval_quantiles(kind, last_day, quantiles)
    low = max(reached, expected + min(below, 0.0) * spread)
    high = expected + max(above, 0.0) * spread
    method = "distinct-decay" if kind == "distinct" else "additive-weekly"
    if kind == "distinct":
        note = (
            f"first appearances decay by {model.r:.2f} a day with a steady {model.b:.4g} a day; "
            f"weekend factor {model.w:.2f}"
        )
    else:
        note = f"{model.b:.4g} a weekday, {model.b * model.w:.4g} a weekend day"
    return replace(
        base,
        expected=expected,
        low=low,
        high=high,
        method=method,
        path=tuple(path),
        note=note,
        spread=spread,
    )


def naive_pace(month_to_date: Mapping[date, float], *, month: str) -> float:
    """The linear pace most tools use: last month-to-date value x days in month / days elapsed.

    :param month_to_date: as for :func:`forecast_month_end`.
    :param month: ``YYYY-MM``.
    """
    _, _, days, points = _check(month_to_date, month, "additive")
    last_day, value = points[-1]
    return value * days / last_day
