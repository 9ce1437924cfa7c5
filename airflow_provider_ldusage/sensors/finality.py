"""The month-end finality rule: observations of a closed month's usage in, a verdict out. No I/O.

LaunchDarkly publishes no finality rule for usage data (no "estimated" flag, no documented lag), so the rule
is explicit and configurable (DESIGN.md, decision 9). Only the data-export sources
(``Endpoint.has_freshness``) report how far their pipeline has written (``dataThrough``) and whether it is
late (``delayed``); where a response carries them the rule uses them as well. A month is judged final
when, by LaunchDarkly's own clock:

1. the month has ended and a settle period has passed since (``settle_period``), and, where the response
   says, the pipeline is not ``delayed`` and its ``dataThrough`` has reached the month's end;
2. every UTC day of the month is present as a daily bucket (``require_all_days``);
3. the month's whole daily series has been identical across ``stable_observations`` consecutive
   observations, each at least ``min_observation_interval`` after the previous counted one. The whole series
   is compared (as a fingerprint), not only the last value, because late events can revise earlier days.

**Which month.** The month judged is always a UTC month
(:class:`~airflow_provider_ldusage.windows.calendar.MonthWindow`: ``[1st 00:00Z, next 1st 00:00Z)``), because
LaunchDarkly's daily buckets are UTC days; a ``tz`` filter is therefore refused. Which month a run means
is decided on the DAG's calendar: the sensor's default is the month closed before the run's logical date
*in the DAG's timezone*, read as the UTC month with that label, the same month as the operators'
``window="previous_month"`` (see :mod:`airflow_provider_ldusage.windows`). A ``@monthly`` DAG in
Asia/Tokyo running for 2026-03-01T00:00+09:00 (2026-02-28T15:00Z) judges ``"2026-02"``.

The sensor (poke and reschedule modes) and the trigger (deferrable mode) both call :func:`assess`
(summarize → :func:`judge` → the final result); the state it returns is JSON-serializable, so it can travel
in a trigger's kwargs or Airflow's task state store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from airflow_provider_ldusage.catalogue import Endpoint
from airflow_provider_ldusage.core.timeconv import UTC, iso, json_fields, to_utc
from airflow_provider_ldusage.defaults import SETTLE_PERIOD
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.windows.calendar import MonthWindow

STATE_VERSION = 1

#: Arguments the sensor sets itself; a ``filters`` mapping may not contain them. ``tz`` would shift
#: LaunchDarkly's day boundaries off UTC midnight, while the month is always judged on UTC days.
RESERVED_ARGUMENTS = ("start", "end", "aggregation_type", "granularity", "tz")

VerdictCode = Literal[
    "before_settle",
    "delayed",
    "not_through",
    "missing_days",
    "changing",
    "accumulating",
    "too_soon",
    "final",
]


# --- the query ------------------------------------------------------------------------------------------


def month_arguments(
    endpoint: Endpoint, window: MonthWindow, filters: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The hook arguments that read ``window`` as a daily series: the user's filters plus the window.

    ``aggregation_type=month_to_date`` is asked for where the endpoint has it (the last daily point is then
    the month's figure), and ``granularity=daily`` where the endpoint has a granularity parameter.

    :raises LaunchDarklyUsageValidationError: when ``filters`` is not a mapping or sets a reserved argument.
    """
    if filters is None:
        filters = {}
    if not isinstance(filters, Mapping):
        raise LaunchDarklyUsageValidationError("filters", filters, "a dict of filter arguments, or None")
    reserved = sorted(set(filters) & set(RESERVED_ARGUMENTS))
    if reserved:
        raise LaunchDarklyUsageValidationError(
            "filters",
            dict(filters),
            f"no {', '.join(reserved)}: the sensor sets the window, aggregation and granularity itself, "
            "and judges the month on UTC days (LaunchDarkly's daily buckets), so tz cannot be set",
        )
    arguments: dict[str, Any] = {**filters, "start": window.start, "end": window.end}
    aggregation = endpoint.query_param("aggregation_type")
    if aggregation is not None and aggregation.allowed and "month_to_date" in aggregation.allowed:
        arguments["aggregation_type"] = "month_to_date"
    granularity = endpoint.query_param("granularity")
    if granularity is not None and granularity.allowed and "daily" in granularity.allowed:
        arguments["granularity"] = "daily"
    return arguments


def is_cumulative(endpoint: Endpoint, arguments: Mapping[str, Any]) -> bool:
    """Whether the series' points accumulate (the last point is the month's figure) or add up."""
    aggregation = arguments.get("aggregation_type") or endpoint.family.default_aggregation
    return aggregation in ("month_to_date", "rolling_30d")


# --- observations ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesFigure:
    """The month's figure for one series: ``value`` is the last point (cumulative) or the daily sum."""

    index: int
    metadata: dict[str, Any]
    value: float | int

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "metadata": self.metadata, "value": self.value}


@dataclass(frozen=True)
class MonthSummary:
    """What one response says about the month.

    :param fingerprint: SHA-256 of the canonical JSON of the metadata and every daily point in the month.
    :param days_present: how many UTC days of the month have a bucket.
    :param missing_days: the days without one, ISO dates.
    :param series: the month's figure per series.
    :param total: the sum of the series' figures.
    :param data_through: the response's ``dataThrough`` (aware UTC), where the endpoint reports it.
    :param delayed: the response's ``delayed``, where the endpoint reports it.
    """

    fingerprint: str
    days_present: int
    missing_days: tuple[str, ...]
    series: tuple[SeriesFigure, ...]
    total: float | int
    data_through: datetime | None = None
    delayed: bool | None = None


def summarize(body: Mapping[str, Any], window: MonthWindow, *, cumulative: bool) -> MonthSummary:
    """Reduce a series response (``metadata`` + ``series``) to the facts the rule needs.

    Points outside the month are ignored. ``time`` values are epoch milliseconds, as LaunchDarkly sends
    them for every endpoint.
    """
    metadata = list(body.get("metadata") or [])
    start_ms = int(window.start.timestamp() * 1000)
    end_ms = int(window.end.timestamp() * 1000)
    points = sorted(
        (p for p in body.get("series") or [] if start_ms <= p.get("time", -1) < end_ms),
        key=lambda p: p["time"],
    )
    canonical = json.dumps(
        {"metadata": metadata, "series": points}, sort_keys=True, separators=(",", ":"), default=str
    )
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    present = {datetime.fromtimestamp(p["time"] / 1000, UTC).date() for p in points}
    missing = tuple(day.isoformat() for day in window.days if day not in present)
    indices = set(range(len(metadata)))
    for point in points:
        indices.update(int(k) for k in point if k != "time" and k.isdigit())
    figures = []
    for index in sorted(indices):
        key = str(index)
        values = [p[key] for p in points if key in p]
        if cumulative:
            value: float | int = values[-1] if values else 0
        else:
            value = sum(values)
        meta = metadata[index] if index < len(metadata) and isinstance(metadata[index], dict) else {}
        figures.append(SeriesFigure(index, dict(meta), value))
    total = sum(f.value for f in figures)
    through = body.get("dataThrough")
    delayed = body.get("delayed")
    return MonthSummary(
        fingerprint,
        len(present & set(window.days)),
        missing,
        tuple(figures),
        total,
        data_through=to_utc(through, "dataThrough") if isinstance(through, str) else None,
        delayed=delayed if isinstance(delayed, bool) else None,
    )


@dataclass(frozen=True)
class Observation:
    """One look at the month, in the compact form kept in the state.

    :param at: LaunchDarkly's clock at the observation (its ``Date`` header), aware UTC.
    :param fingerprint: :attr:`MonthSummary.fingerprint`.
    :param days_present: :attr:`MonthSummary.days_present`.
    :param total: :attr:`MonthSummary.total`.
    """

    at: datetime
    fingerprint: str
    days_present: int
    total: float | int
    missing_days: tuple[str, ...] = field(default=(), compare=False)
    # Freshness, where the endpoint reports it; judged at once, never kept in the state.
    data_through: datetime | None = field(default=None, compare=False)
    delayed: bool | None = field(default=None, compare=False)

    @classmethod
    def of(cls, at: datetime, summary: MonthSummary) -> Observation:
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return cls(
            at.astimezone(UTC),
            summary.fingerprint,
            summary.days_present,
            summary.total,
            summary.missing_days,
            summary.data_through,
            summary.delayed,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "fingerprint": self.fingerprint,
            "days": self.days_present,
            "total": self.total,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Observation:
        total = data["total"]
        if type(total) not in (int, float) or not isinstance(data["fingerprint"], str):
            raise ValueError(f"malformed observation {data!r}")
        return cls(to_utc(str(data["at"]), "at"), data["fingerprint"], int(data["days"]), total)


# --- the rule -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinalityRule:
    """The knobs of the rule.

    :param settle_period: no verdict of "final" before the month's end plus this.
    :param require_all_days: every UTC day of the month must be present as a bucket.
    :param stable_observations: how many consecutive counted observations must be identical (N ≥ 1).
    :param min_observation_interval: the least time, by LaunchDarkly's clock, between counted observations.
    """

    settle_period: timedelta = SETTLE_PERIOD
    require_all_days: bool = True
    stable_observations: int = 2
    min_observation_interval: timedelta = timedelta(hours=6)

    def __post_init__(self) -> None:
        if not isinstance(self.settle_period, timedelta) or self.settle_period < timedelta(0):
            raise LaunchDarklyUsageValidationError("settle_period", self.settle_period, "a timedelta >= 0")
        if (
            not isinstance(self.stable_observations, int)
            or isinstance(self.stable_observations, bool)
            or self.stable_observations < 1
        ):
            raise LaunchDarklyUsageValidationError(
                "stable_observations", self.stable_observations, "an integer >= 1"
            )
        if not isinstance(
            self.min_observation_interval, timedelta
        ) or self.min_observation_interval < timedelta(0):
            raise LaunchDarklyUsageValidationError(
                "min_observation_interval", self.min_observation_interval, "a timedelta >= 0"
            )

    def to_json(self) -> dict[str, Any]:
        """The rule as one JSON value (how it travels to the triggerer)."""
        return {
            "settle_period": self.settle_period.total_seconds(),
            "require_all_days": self.require_all_days,
            "stable_observations": self.stable_observations,
            "min_observation_interval": self.min_observation_interval.total_seconds(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FinalityRule:
        """Read :meth:`to_json`'s value back; a missing or wrong field is a validation error."""
        try:
            return cls(
                settle_period=timedelta(seconds=float(data["settle_period"])),
                require_all_days=bool(data["require_all_days"]),
                stable_observations=data["stable_observations"],
                min_observation_interval=timedelta(seconds=float(data["min_observation_interval"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LaunchDarklyUsageValidationError(
                "rule", data, f"a FinalityRule.to_json() value ({exc})"
            ) from None


@dataclass(frozen=True)
class FinalityState:
    """The current run of identical counted observations, oldest first (at most N are kept)."""

    observations: tuple[Observation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "observations": [o.to_json() for o in self.observations]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> FinalityState:
        """Rebuild a state; ``None`` is the empty state.

        :raises ValueError: for anything that is not a state this module wrote.
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping) or data.get("version") != STATE_VERSION:
            raise ValueError(f"not a finality state of version {STATE_VERSION}: {data!r}")
        raw = data.get("observations")
        if not isinstance(raw, list):
            raise ValueError(f"finality state without an observations list: {data!r}")
        try:
            return cls(tuple(Observation.from_json(o) for o in raw))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed finality state: {exc}") from None


@dataclass(frozen=True)
class Verdict:
    """The rule's answer to one observation.

    :param done: whether the month is final.
    :param code: a machine-readable reason.
    :param reason: the reason in words (also what a timeout reports).
    :param unchanged: identical counted observations so far.
    :param until: when the blocking condition lifts at the earliest, if known.
    :param missing_days: the days still absent, ISO dates.
    """

    done: bool
    code: VerdictCode
    reason: str
    unchanged: int = 0
    until: datetime | None = None
    missing_days: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return json_fields(self)


def _days_text(days: Sequence[str]) -> str:
    if len(days) <= 6:
        return ", ".join(days)
    return f"{', '.join(days[:3])}, … {days[-1]} ({len(days)} days)"


def judge(
    rule: FinalityRule, window: MonthWindow, state: FinalityState, observation: Observation
) -> tuple[Verdict, FinalityState]:
    """Judge one new observation of ``window`` given the earlier ones.

    Observations before the time floor, from a ``delayed`` pipeline, with a ``dataThrough`` before the
    month's end or with days missing do not count and end the current run: only complete observations
    after the settle period are compared. An observation that differs from the run
    starts a new run. One identical to the run but sooner than ``min_observation_interval`` after its last
    counted member is ignored (it neither counts nor resets).
    """
    n = rule.stable_observations
    floor = window.end + rule.settle_period
    if observation.at < floor:
        return (
            Verdict(False, "before_settle", f"before month end + settle (until {iso(floor)})", until=floor),
            FinalityState(),
        )
    if observation.data_through is not None and observation.data_through < window.end:
        late = "; its pipeline is delayed" if observation.delayed else ""
        return (
            Verdict(
                False,
                "not_through",
                f"LaunchDarkly has counted usage only through {iso(observation.data_through)}, before the "
                f"month's end ({iso(window.end)}){late}",
            ),
            FinalityState(),
        )
    if observation.delayed:
        through = f" (data through {iso(observation.data_through)})" if observation.data_through else ""
        return (
            Verdict(False, "delayed", f"LaunchDarkly reports its usage pipeline as delayed{through}"),
            FinalityState(),
        )
    if rule.require_all_days and observation.missing_days:
        return (
            Verdict(
                False,
                "missing_days",
                f"missing days: {_days_text(observation.missing_days)}",
                missing_days=observation.missing_days,
            ),
            FinalityState(),
        )
    run = state.observations
    if run and run[-1].fingerprint == observation.fingerprint:
        last = run[-1]
        next_at = last.at + rule.min_observation_interval
        if observation.at < next_at:
            return (
                Verdict(
                    False,
                    "too_soon",
                    f"{len(run)} of {n} unchanged observations (the next one counts from {iso(next_at)})",
                    unchanged=len(run),
                    until=next_at,
                ),
                state,
            )
        new_run = (*run, observation)[-n:]
        changed_note = ""
    else:
        new_run = (observation,)
        changed_note = (
            f"figures still changing (the daily series differ from the observation at {iso(run[-1].at)}); "
            if run
            else ""
        )
    new_state = FinalityState(new_run)
    k = len(new_run)
    if k >= n:
        return (
            Verdict(True, "final", f"final: {k} of {n} unchanged observations", unchanged=k),
            new_state,
        )
    return (
        Verdict(
            False,
            "changing" if changed_note else "accumulating",
            f"{changed_note}{k} of {n} unchanged observations",
            unchanged=k,
            until=observation.at + rule.min_observation_interval,
        ),
        new_state,
    )


def final_result(
    *,
    window: MonthWindow,
    operation: str,
    filters: Mapping[str, Any] | None,
    state: FinalityState,
    summary: MonthSummary,
    cumulative: bool,
) -> dict[str, Any]:
    """The XCom value of a month judged final (JSON-safe).

    :param state: the state returned with the "final" verdict; its last observation is the judgement.
    :param summary: the summary of that last observation.
    """
    if not state.observations:
        raise ValueError("a final result needs at least one observation")
    first, last = state.observations[0], state.observations[-1]
    return {
        "month": window.label,
        "operation": operation,
        "filters": _json_safe(dict(filters or {})),
        "final": True,
        "judged_final_at": iso(last.at),
        "unchanged_since": iso(first.at),
        "observations": len(state.observations),
        "days": summary.days_present,
        "aggregation": "month_to_date" if cumulative else "sum of daily values",
        "series": [figure.to_json() for figure in summary.series],
        "total": summary.total,
        "fingerprint": summary.fingerprint,
        # Where LaunchDarkly reports freshness: what the final verdict rested on.
        **(
            {"data_through": iso(summary.data_through), "delayed": bool(summary.delayed)}
            if summary.data_through is not None
            else {}
        ),
    }


def assess(
    *,
    rule: FinalityRule,
    window: MonthWindow,
    state: FinalityState,
    body: Mapping[str, Any],
    at: datetime,
    operation: str,
    filters: Mapping[str, Any] | None,
    cumulative: bool,
) -> tuple[Verdict, FinalityState, dict[str, Any] | None]:
    """One observation from end to end: summarize ``body``, judge it, and build the result when final.

    :param body: the series response read at ``at`` (LaunchDarkly's clock).
    :returns: the verdict, the new state, and :func:`final_result` when the verdict is "final" (else None).
    """
    summary = summarize(body, window, cumulative=cumulative)
    verdict, state = judge(rule, window, state, Observation.of(at, summary))
    if not verdict.done:
        return verdict, state, None
    result = final_result(
        window=window,
        operation=operation,
        filters=filters,
        state=state,
        summary=summary,
        cumulative=cumulative,
    )
    return verdict, state, result


def _json_safe(value: Any) -> Any:
    """Filters as JSON: tuples become lists, anything exotic its string form."""
    return json.loads(json.dumps(value, default=str))


__all__ = [
    "RESERVED_ARGUMENTS",
    "FinalityRule",
    "FinalityState",
    "MonthSummary",
    "MonthWindow",
    "Observation",
    "SeriesFigure",
    "Verdict",
    "assess",
    "final_result",
    "is_cumulative",
    "judge",
    "month_arguments",
    "summarize",
]
