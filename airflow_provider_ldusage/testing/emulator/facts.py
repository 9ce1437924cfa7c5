"""Usage facts: for every metric, a set of cells (one combination of dimension values each) and a
deterministic final daily count per cell, split into hours and minutes without losing a unit.

Every endpoint answers from these cells, which is what makes aggregations, granularities, filters and
``groupBy`` agree with each other.

Two kinds of metric (:data:`DISTINCT_METRICS` names the distinct ones):

* **additive** (events, connection-minutes, logs, …): the daily count is the usage of that day. It follows a
  weekly rhythm (weekend days carry a metric-specific share of a weekday, between 45 % and 85 %), a slow
  seasonal wave per cell and ±20 % day-to-day noise.
* **distinct** (MAU, contexts, experimentation keys): each cell has a *monthly population* (how many
  distinct contexts or keys it sees in the calendar month, varying by month), and the "daily count" is how
  many of them are *seen for the first time that month* on that day. First appearances decay through the
  month: the weight of day ``d`` (0-based) is ``(r ** d + trickle)`` times a weekend factor and ±15 % noise,
  with ``r`` (0.55-0.88) and ``trickle`` (0.01-0.06) drawn per metric, cell category and month, so the
  month-to-date curve flattens, and differently for different categories and months. The days of a month
  add up to exactly the monthly population. Cells are disjoint populations, so cells still add up.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from airflow_provider_ldusage.testing.emulator.account import (
    CONNECTION_TYPES,
    DATA_EXPORT_EVENT_KINDS,
    EXPERIMENT_EVENTS,
    Account,
)

_MASK = (1 << 64) - 1
_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)
_MINUTE = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Hour-of-day weights (UTC): busier in the European and American working day.
_HOUR_WEIGHTS = tuple(100 + round(60 * math.sin((h - 9) * math.pi / 12)) for h in range(24))
_HOUR_CUM = tuple(sum(_HOUR_WEIGHTS[:h]) for h in range(25))

#: Metrics whose month-to-date values are distinct counts (first appearances within the month).
DISTINCT_METRICS = frozenset({"contexts", "experimentation_keys"})


def _mix(x: int) -> int:
    """splitmix64 finaliser: a fast, platform-independent integer hash."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def unit_random(*parts: int) -> float:
    """A deterministic number in [0, 1) from integer parts."""
    h = 0
    for part in parts:
        h = _mix(h ^ (part & _MASK))
    return h / 2**64


def _salt(text: str) -> int:
    h = 0
    for ch in text.encode():
        h = _mix(h ^ ch)
    return h


@dataclass(frozen=True)
class Cell:
    """One combination of dimension values of a metric, with its typical daily size."""

    dims: Mapping[str, str]
    salt: int
    scale: float

    def get(self, dim: str) -> str:
        return self.dims.get(dim, "")


@dataclass(frozen=True)
class Metric:
    """A counted quantity. ``decimals`` > 0 means values are reported as floats with that many decimals."""

    name: str
    cells: tuple[Cell, ...]
    decimals: int = 0
    salt: int = field(default=0)

    @property
    def divisor(self) -> int:
        return 10**self.decimals

    @property
    def distinct(self) -> bool:
        """Whether daily counts are first appearances of a monthly population (see the module docs)."""
        return self.name in DISTINCT_METRICS


class Facts:
    """Final (fully settled) counts of every metric, by cell and time.

    :param account: the synthetic account the cells are built from.
    :param seed: drives the per-day noise.
    """

    def __init__(self, account: Account, seed: int) -> None:
        self.seed = seed
        self.account = account
        self.metrics: dict[str, Metric] = {m.name: m for m in _build_metrics(account, seed)}
        # Cell salt -> (first ordinal, extra first appearances a day): a runaway SDK's extra contexts.
        self.extra: dict[int, tuple[int, int]] = {}

    def add_runaway(self, project: str, environment: str, sdk: str, from_day: date, per_day: int) -> Cell:
        """From ``from_day`` on, ``per_day`` extra contexts first seen every day in one cell of ``contexts``:
        the user contexts of ``sdk`` in that environment, the anonymous ones where the SDK has them.

        :raises ValueError: no such project, environment or SDK there (the message lists what exists).
        """
        cells = [
            c
            for c in self.metrics["contexts"].cells
            if (c.get("projectKey"), c.get("environmentKey"), c.get("sdkName")) == (project, environment, sdk)
            and c.get("contextKind") == "user"
        ]
        if not cells:
            there = sorted(
                {
                    f"{c.get('projectKey')}/{c.get('environmentKey')}/{c.get('sdkName')}"
                    for c in self.metrics["contexts"].cells
                }
            )
            raise ValueError(
                f"no SDK {sdk!r} in environment {environment!r} of project {project!r}; "
                f"the account has: {', '.join(there)}"
            )
        cell = max(cells, key=lambda c: c.get("anonymous") == "true")
        self.extra[cell.salt] = (from_day.toordinal(), per_day)
        return cell

    def day_final(self, metric: Metric, cell: Cell, day: int) -> int:
        """Final count of ``cell`` on the UTC day with proleptic ordinal ``day``.

        For a distinct metric: the contexts (or keys) of the cell first seen in their month on that day.
        """
        if metric.distinct:
            when = date.fromordinal(day)
            extra = self.extra.get(cell.salt) if metric.name == "contexts" else None
            bonus = extra[1] if extra is not None and day >= extra[0] else 0
            counts = _first_seen(
                self.seed,
                metric.salt,
                cell.salt,
                _salt(cell.get("category")),
                cell.scale,
                when.year,
                when.month,
            )
            return counts[when.day - 1] + bonus
        return _day_final(self.seed, metric.salt, cell.salt, cell.scale, day)

    def monthly_population(self, metric: Metric, cell: Cell, year: int, month: int) -> int:
        """Distinct contexts (keys) ``cell`` sees in the month: the sum of its first appearances."""
        first = date(year, month, 1).toordinal()
        days = calendar.monthrange(year, month)[1]
        return sum(self.day_final(metric, cell, day) for day in range(first, first + days))

    def final_between(self, metric: Metric, cell: Cell, start: datetime, end: datetime) -> int:
        """Final count in [start, end) (minute boundaries); days split into hours and minutes exactly."""
        total = 0
        cursor = start
        while cursor < end:
            day = cursor.date().toordinal()
            if cursor.hour == 0 and cursor.minute == 0 and cursor + _DAY <= end:
                total += self.day_final(metric, cell, day)
                cursor += _DAY
                continue
            daily = self.day_final(metric, cell, day)
            hour_value = daily * _HOUR_CUM[cursor.hour + 1] // _HOUR_CUM[24] - (
                daily * _HOUR_CUM[cursor.hour] // _HOUR_CUM[24]
            )
            if cursor.minute == 0 and cursor + _HOUR <= end:
                total += hour_value
                cursor += _HOUR
                continue
            m = cursor.minute
            total += hour_value * (m + 1) // 60 - hour_value * m // 60
            cursor += _MINUTE
        return total


def _weekend_share(seed: int, metric_salt: int) -> float:
    """A weekend day's usage as a share of a weekday's, per metric (0.45-0.85)."""
    return 0.45 + 0.4 * unit_random(seed, metric_salt, 7)


def _season(cell_salt: int, day: int) -> float:
    return 1.0 + 0.15 * math.sin(day / 29.0 + (cell_salt % 628) / 100.0)


@lru_cache(maxsize=500_000)
def _day_final(seed: int, metric_salt: int, cell_salt: int, scale: float, day: int) -> int:
    noise = unit_random(seed, metric_salt, cell_salt, day)
    weekend = (day - 1) % 7 >= 5  # ordinal 1 (0001-01-01) was a Monday
    share = _weekend_share(seed, metric_salt) if weekend else 1.0
    return int(scale * share * _season(cell_salt, day) * (0.8 + 0.4 * noise))


@lru_cache(maxsize=50_000)
def _first_seen(
    seed: int, metric_salt: int, cell_salt: int, shape_salt: int, scale: float, year: int, month: int
) -> tuple[int, ...]:
    """Per day of the month, how many of the cell's monthly population appear for the first time."""
    days = calendar.monthrange(year, month)[1]
    first = date(year, month, 1).toordinal()
    month_index = year * 12 + month
    # The shape is shared by a metric's cells of one category in one month; the size is per cell.
    decay = 0.55 + 0.33 * unit_random(seed, metric_salt, shape_salt, month_index, 1)
    trickle = 0.01 + 0.05 * unit_random(seed, metric_salt, shape_salt, month_index, 2)
    weekend = _weekend_share(seed, metric_salt)
    size = 5.0 + 3.0 * unit_random(seed, metric_salt, cell_salt, month_index, 3)
    population = int(scale * size * _season(cell_salt, first + 14))
    weights = []
    for d in range(days):
        ordinal = first + d
        rhythm = weekend if (ordinal - 1) % 7 >= 5 else 1.0
        noise = 0.85 + 0.3 * unit_random(seed, metric_salt, cell_salt, ordinal)
        weights.append((decay**d + trickle) * rhythm * noise)
    total = sum(weights)
    out: list[int] = []
    running = 0.0
    seen = 0
    for weight in weights:
        running += weight
        reached = population if len(out) == days - 1 else int(population * running / total)
        out.append(reached - seen)
        seen = reached
    return tuple(out)


def _cells(seed: int, metric: str, base: float, rows: list[dict[str, str]]) -> tuple[Cell, ...]:
    out = []
    for i, dims in enumerate(rows):
        salt = _mix(_salt(metric) ^ _salt("|".join(f"{k}={v}" for k, v in sorted(dims.items()))))
        size = base * (0.3 + 1.7 * unit_random(seed, salt, i))
        out.append(Cell(dims, salt, size))
    return tuple(out)


def _build_metrics(account: Account, seed: int) -> list[Metric]:
    ids = {p.key: p.id for p in account.projects}

    def env_dims(env_key: str, env_id: str, project_key: str) -> dict[str, str]:
        return {
            "projectKey": project_key,
            "projectId": ids[project_key],
            "environmentKey": env_key,
            "environmentId": env_id,
        }

    contexts: list[dict[str, str]] = []
    data_export: list[dict[str, str]] = []
    exp_events: list[dict[str, str]] = []
    exp_keys: list[dict[str, str]] = []
    connections: list[dict[str, str]] = []
    evaluations: list[dict[str, str]] = []
    events: list[dict[str, str]] = []
    for env in account.environments:
        base = env_dims(env.key, env.id, env.project_key)
        for sdk in account.sdks_by_environment[env.id]:
            sdk_dims = {
                **base,
                "sdkName": sdk.name,
                "sdkType": sdk.type,
                "sdkAppId": account.sdk_app_id(env.project_key, sdk),
                "category": sdk.category,
            }
            kinds = ["user"] + (["organization"] if sdk.type == "server" else [])
            kinds += ["device"] if sdk.category == "mobile" else []
            for kind in kinds:
                contexts.append({**sdk_dims, "contextKind": kind, "anonymous": "false"})
                if sdk.type == "client" and kind == "user":
                    contexts.append({**sdk_dims, "contextKind": kind, "anonymous": "true"})
            if sdk.type == "server":
                connections.append(
                    {
                        **sdk_dims,
                        "connectionType": "sdk",
                        "relayVersion": "none",
                        "sdkVersion": sdk.versions[-1],
                    }
                )
                if env.key == "production":
                    connections.append(
                        {
                            **sdk_dims,
                            "connectionType": CONNECTION_TYPES[1],
                            "relayVersion": account.relay_versions[len(connections) % 2],
                            "sdkVersion": sdk.versions[0],
                        }
                    )
        data_export += [{**base, "eventKind": kind} for kind in DATA_EXPORT_EVENT_KINDS]
        exp_events += [{**base, "eventKey": key, "eventKind": kind} for key, kind in EXPERIMENT_EVENTS]
        exp_keys += [
            {**base, "experimentId": x.id}
            for x in account.experiments
            if x.project_key == env.project_key and x.environment_key == env.key
        ]
        # A sized account's flags are generated on demand: their cells too (SyntheticData.cells).
        for flag in account.flags if account.generated_flags is None else ():
            if flag.project_key == env.project_key:
                evaluations += [
                    {**base, "featureFlagKey": flag.key, "variation": str(i), "value": value}
                    for i, value in enumerate(flag.variations)
                ]
        events += [{**base, "type": t} for t in ("received", "published")]
    streams = [
        {"source": sdk.type, "sdk": sdk.name, "version": version}
        for sdk in account.sdks
        for version in sdk.versions
    ]
    projects = [{"projectKey": p.key, "projectId": p.id} for p in account.projects]
    metrics = [
        Metric("contexts", _cells(seed, "contexts", 400, contexts)),
        Metric("data_export", _cells(seed, "data_export", 5000, data_export)),
        Metric("experimentation_events", _cells(seed, "experimentation_events", 900, exp_events)),
        Metric("experimentation_keys", _cells(seed, "experimentation_keys", 150, exp_keys)),
        # Service connections are metered in connection-minutes: kept as hundredths, reported as floats.
        Metric("service_connections", _cells(seed, "service_connections", 2500, connections), decimals=2),
        Metric("observability_errors", _cells(seed, "observability_errors", 200, projects)),
        Metric("observability_logs", _cells(seed, "observability_logs", 20000, projects)),
        Metric("observability_sessions", _cells(seed, "observability_sessions", 900, projects)),
        Metric("observability_traces", _cells(seed, "observability_traces", 5000, projects)),
        Metric("evaluations", _cells(seed, "evaluations", 6000, evaluations)),
        Metric("events", _cells(seed, "events", 30000, events)),
        Metric("streams", _cells(seed, "streams", 400, streams)),
    ]
    return [Metric(m.name, m.cells, m.decimals, _salt(m.name)) for m in metrics]
