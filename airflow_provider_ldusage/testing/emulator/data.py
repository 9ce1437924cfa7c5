"""The synthetic account's usage series, as every endpoint serves them.

Semantics (the emulator's documented choices; LaunchDarkly defines none of them):

* ``incremental`` (legacy ``daily_incremental``): the count within each bucket. For a distinct-count metric
  (MAU, contexts, experimentation keys: :data:`.facts.DISTINCT_METRICS`) that is the contexts (keys) seen
  *for the first time in their calendar month* within the bucket, not every context active in it.
* ``month_to_date``: running sum of the bucket counts since the 1st of the bucket's month (UTC); it resets
  on the 1st, so daily ``incremental`` buckets of a month add up to its last ``month_to_date`` point. For
  an additive metric it grows day by day with the weekly rhythm; for a distinct one it is the number of
  distinct contexts seen so far this month and flattens as the month goes on (see :mod:`.facts`).
* ``monthly``: one point per month touching the window, stamped at the 1st, equal to the last
  ``month_to_date`` daily point of that month inside the window (for a distinct metric: the month's
  population).
* ``rolling_30d``: sum of the 30 daily counts ending with the bucket's day. For a distinct metric that is
  the first-in-month appearances of those 30 days: a context seen in both calendar months the window
  spans counts once in each, so it is an upper bound of a true 30-day distinct count (LaunchDarkly
  documents none of this).
* Every cell is a disjoint population (distinct metrics) or a disjoint share of the usage (additive ones),
  so ``groupBy`` splits and filters narrow every aggregation consistently.

Late and settling data: a bucket ending at ``E`` is absent until ``E + lag``; from then until
``E + lag + settle`` each cell reports ``floor(final * f)`` with ``f`` rising linearly from 0.6 to 1; after
that the figure is final. A bucket that has not ended (including the current day) is therefore absent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.testing.emulator.account import Account
from airflow_provider_ldusage.testing.emulator.extended import (
    extended_metrics,
    flag_evaluation_cells,
    length_granularity,
)
from airflow_provider_ldusage.testing.emulator.facts import Cell, Facts, Metric
from airflow_provider_ldusage.testing.emulator.models import MODELS, OperationModel

UTC = timezone.utc
_DAY = timedelta(days=1)
_STEP = {"minutely": timedelta(minutes=1), "hourly": timedelta(hours=1), "daily": _DAY}
Fraction = tuple[int, int]
#: Evaluation cells of a sized account kept between requests (a flag and environment each).
_FLAG_CELLS_KEPT = 50_000


@dataclass(frozen=True)
class SeriesQuery:
    """A validated request for a series, in the emulator's terms.

    :param operation_id: LaunchDarkly operationId.
    :param start: window start (inclusive), aware UTC.
    :param end: window end (exclusive), aware UTC.
    :param aggregation: ``aggregationType`` value, or ``None`` for the operation's own.
    :param granularity: ``granularity`` value, or ``None`` for daily (auto-granularity picks its own).
    :param filters: wire name -> values (any value matches).
    :param group_by: ``groupBy`` values in request order.
    :param path: path parameter wire name -> value.
    :param tz: IANA zone cutting days on auto-granularity endpoints.
    """

    operation_id: str
    start: datetime
    end: datetime
    aggregation: str | None = None
    granularity: str | None = None
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    group_by: Sequence[str] = ()
    path: Mapping[str, str] = field(default_factory=dict)
    tz: str | None = None


def month_start(value: datetime) -> datetime:
    return datetime(value.year, value.month, 1, tzinfo=UTC)


def next_month(value: datetime) -> datetime:
    return datetime(value.year + value.month // 12, value.month % 12 + 1, 1, tzinfo=UTC)


def epoch_ms(value: datetime) -> int:
    return int((value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1))


def auto_granularity(start: datetime, now: datetime) -> str:
    """Family D: minutely if ``start`` is within the past 2 hours, hourly within 2 days, else daily."""
    age = now - start
    if age <= timedelta(hours=2):
        return "minutely"
    if age <= timedelta(days=2):
        return "hourly"
    return "daily"


def _buckets(first: datetime, end: datetime, step: timedelta) -> list[tuple[datetime, datetime]]:
    """Consecutive ``[start, start + step)`` buckets from ``first`` while they start before ``end``."""
    buckets = []
    cursor = first
    while cursor < end:
        buckets.append((cursor, cursor + step))
        cursor += step
    return buckets


def _ceil(value: datetime, step: timedelta) -> datetime:
    if step == _DAY:
        floor = datetime(value.year, value.month, value.day, tzinfo=UTC)
    else:
        seconds = int(step.total_seconds())
        ts = int(value.timestamp()) // seconds * seconds
        floor = datetime.fromtimestamp(ts, UTC)
    return floor if floor == value else floor + step


class SyntheticData:
    """The synthetic account and its usage figures; ``emu.data``.

    :param seed: the same seed gives the same account and figures.
    :param lag: how long after a bucket ends its data first appears.
    :param settle: how long after appearing the figures keep growing.
    """

    def __init__(
        self,
        seed: int,
        lag: timedelta,
        settle: timedelta,
        *,
        projects: int | None = None,
        environments: int | None = None,
        flags: int | None = None,
    ) -> None:
        self.seed = seed
        self.lag = lag
        self.settle = settle
        self.account = Account(seed, projects=projects, environments=environments, flags=flags)
        self.facts = Facts(self.account, seed)
        # the 25.0.1 metrics, and data_export/evaluations rebuilt with their new dimensions.
        self.facts.metrics.update({m.name: m for m in extended_metrics(self.account, seed)})
        # Metric name -> pipeline watermark at ``now``: such metrics are visible, final, up to the watermark
        # instead of following lag and settle (set by the emulator state for the data-export sources).
        self.watermarks: dict[str, Callable[[datetime], datetime]] = {}
        # Evaluation cells by (project, environment, flag): a request names one flag, so it never scans
        # the account's cells; a sized account's are computed on first use and kept (bounded).
        self._flag_cells: dict[tuple[str, str, str], tuple[Cell, ...]] = {}
        for cell in self.facts.metrics["evaluations"].cells:
            key = (cell.get("projectKey"), cell.get("environmentKey"), cell.get("featureFlagKey"))
            self._flag_cells[key] = (*self._flag_cells.get(key, ()), cell)

    # Convenience views of the account for tests and users.
    @property
    def projects(self) -> tuple[object, ...]:
        return self.account.projects

    @property
    def environments(self) -> tuple[object, ...]:
        return self.account.environments

    @property
    def sdks(self) -> tuple[object, ...]:
        return self.account.sdks

    @property
    def flags(self) -> Sequence[object]:
        return self.account.flags

    @property
    def experiments(self) -> tuple[object, ...]:
        return self.account.experiments

    @property
    def context_kinds(self) -> tuple[str, ...]:
        return self.account.context_kinds

    @property
    def relay_versions(self) -> tuple[str, ...]:
        return self.account.relay_versions

    # --- settling ---------------------------------------------------------------------------------------

    def fraction(self, bucket_end: datetime, now: datetime) -> Fraction | None:
        """Visible share (num, den) at ``now`` of a bucket ending at ``bucket_end``; ``None`` = absent."""
        appear = bucket_end + self.lag
        if now < appear:
            return None
        if self.settle <= timedelta(0) or now >= appear + self.settle:
            return (1, 1)
        settle_us = self.settle // timedelta(microseconds=1)
        elapsed_us = (now - appear) // timedelta(microseconds=1)
        return (6 * settle_us + 4 * elapsed_us, 10 * settle_us)

    # --- selection --------------------------------------------------------------------------------------

    def cells(self, query: SeriesQuery) -> tuple[Metric, list[Cell]]:
        """The metric and the cells an operation's filters and path select."""
        model = MODELS[query.operation_id]
        metric = self.facts.metrics[model.metric]
        wanted: dict[str, set[str]] = {dim: set(values) for dim, values in model.restrict.items()}
        for wire, values in {**model.default_filters, **query.filters}.items():
            dim = model.filters.get(wire)
            if dim is not None and values:
                wanted[dim] = wanted[dim] & set(values) if dim in wanted else set(values)
        for wire, value in query.path.items():
            if wire in model.path:
                wanted[model.path[wire]] = {value}
        pool = self.flag_cells(query.path) if metric.name == "evaluations" else metric.cells
        cells = [c for c in pool if all(c.get(dim) in ok for dim, ok in wanted.items())]
        return metric, cells

    def flag_cells(self, path: Mapping[str, str]) -> tuple[Cell, ...]:
        """The evaluation cells of the flag and environment the path names (none if either is unknown)."""
        key = (path.get("projectKey", ""), path.get("environmentKey", ""), path.get("featureFlagKey", ""))
        if self.account.generated_flags is None:
            return self._flag_cells.get(key, ())
        found = self._flag_cells.get(key)
        if found is None:
            if len(self._flag_cells) >= _FLAG_CELLS_KEPT:
                self._flag_cells.clear()  # deterministic: recomputing gives the same cells
            found = flag_evaluation_cells(self.account, self.seed, *key)
            self._flag_cells[key] = found
        return found

    def path_exists(self, operation_id: str, path: Mapping[str, str]) -> bool:
        """Whether the path values name something in the account (404 otherwise)."""
        model = MODELS[operation_id]
        if not model.path:
            return True
        metric = self.facts.metrics[model.metric]
        if metric.name == "evaluations":
            return bool(self.flag_cells(path))
        return any(all(c.get(model.path[w]) == v for w, v in path.items()) for c in metric.cells)

    # --- series -----------------------------------------------------------------------------------------

    def series(self, query: SeriesQuery, now: datetime) -> dict[str, object]:
        """``{"metadata": [...], "series": [...], "granularity": str}`` for a validated query at ``now``."""
        model = MODELS[query.operation_id]
        metric, cells = self.cells(query)
        groups = self._groups(model, query, cells)
        # No aggregationType sent: LaunchDarkly's documented default for the operation (the catalogue's),
        # else the model's own for operations that take none.
        family = BY_OPERATION[query.operation_id].family
        aggregation = query.aggregation or family.default_aggregation or model.aggregation
        if aggregation == "daily_incremental":
            aggregation = "incremental"
        if BY_OPERATION[query.operation_id].family.auto_rule == "length":
            granularity, widened = length_granularity(query.start, query.end, now)
            query = replace(query, start=widened)
        elif model.metric in ("evaluations", "events", "streams"):
            granularity = auto_granularity(query.start, now)
        else:
            granularity = query.granularity or "daily"
        times, per_cell = self._per_cell(metric, cells, query, now, aggregation, granularity)
        series: list[dict[str, int | float]] = []
        for i, when in enumerate(times):
            point: dict[str, int | float] = {"time": epoch_ms(when)}
            for g, (_, members) in enumerate(groups):
                total = sum(per_cell[c][i] for c in members)
                point[str(g)] = total / metric.divisor if metric.decimals else total
            series.append(point)
        return {"metadata": [meta for meta, _ in groups], "series": series, "granularity": granularity}

    def _groups(
        self, model: OperationModel, query: SeriesQuery, cells: list[Cell]
    ) -> list[tuple[dict[str, str], list[int]]]:
        keys = list(model.implicit)
        for value in query.group_by:
            if value in model.group_by and (value, model.group_by[value]) not in keys:
                keys.append((value, model.group_by[value]))
                keys += [
                    (extra, extra) for extra in model.extras.get(value, ()) if (extra, extra) not in keys
                ]
        grouped: dict[tuple[str, ...], list[int]] = {}
        for index, cell in enumerate(cells):
            grouped.setdefault(tuple(cell.get(dim) for _, dim in keys), []).append(index)
        return [
            ({name: value for (name, _), value in zip(keys, key, strict=True)}, members)
            for key, members in sorted(grouped.items())
        ]

    def _per_cell(
        self,
        metric: Metric,
        cells: list[Cell],
        query: SeriesQuery,
        now: datetime,
        aggregation: str,
        granularity: str,
    ) -> tuple[list[datetime], list[list[int]]]:
        """Bucket start times and, per cell, the visible value of each bucket."""
        start, end = query.start, query.end
        if aggregation == "average":
            return self._average(metric, cells, start, end, now, granularity)
        if granularity == "monthly":
            return self._monthly(metric, cells, start, end, now)
        if granularity == "daily" and query.tz and query.tz != "UTC":
            buckets = _zone_days(start, end, ZoneInfo(query.tz))
            return self._plain(metric, cells, buckets, now)
        step = _STEP[granularity]
        if aggregation == "incremental":
            first = _ceil(start, step)
        elif aggregation == "month_to_date":
            first = month_start(start)
        else:  # rolling_30d: 29 more days to sum over
            first = _ceil(start, step) - 29 * _DAY
        times, values = self._plain(metric, cells, _buckets(first, end, step), now)
        if aggregation == "incremental":
            return times, values
        keep = [i for i, t in enumerate(times) if t >= start]
        if aggregation == "month_to_date":
            for row in values:
                running = 0
                for i, t in enumerate(times):
                    if i and t.day == 1 and t.hour == 0 and t.minute == 0:
                        running = 0
                    running += row[i]
                    row[i] = running
        else:
            for row in values:
                window = [row[i - 29 : i + 1] if i >= 29 else [] for i in range(len(row))]
                row[:] = [sum(w) for w in window]
        return [times[i] for i in keep], [[row[i] for i in keep] for row in values]

    def _average(
        self,
        metric: Metric,
        cells: list[Cell],
        start: datetime,
        end: datetime,
        now: datetime,
        granularity: str,
    ) -> tuple[list[datetime], list[list[int]]]:
        """``aggregationType=average`` (observability metrics): per cell, the mean hourly count within each
        bucket, rounded down (hourly: the hour's count; daily: the day's count // 24; monthly: the month's
        visible days inside the window, summed, // (24 * days)). Series values are sums over cells, so
        groups still add up to the ungrouped series exactly."""
        step = _STEP["hourly"] if granularity == "hourly" else _DAY
        times, rows = self._plain(metric, cells, _buckets(_ceil(start, step), end, step), now)
        if granularity == "hourly":
            return times, rows
        if granularity == "daily":
            return times, [[value // 24 for value in row] for row in rows]
        months: dict[datetime, list[int]] = {}
        for i, when in enumerate(times):
            months.setdefault(datetime(when.year, when.month, 1, tzinfo=UTC), []).append(i)
        return list(months), [
            [sum(row[i] for i in days) // (24 * len(days)) for days in months.values()] for row in rows
        ]

    def _plain(
        self, metric: Metric, cells: list[Cell], buckets: list[tuple[datetime, datetime]], now: datetime
    ) -> tuple[list[datetime], list[list[int]]]:
        """Incremental visible values; buckets not yet visible end the list (later ones are not either)."""
        times: list[datetime] = []
        rows: list[list[int]] = [[] for _ in cells]
        for bucket_start, bucket_end in buckets:
            watermark = self.watermarks.get(metric.name)
            if watermark is not None:
                frac = (1, 1) if bucket_end <= watermark(now) else None
            else:
                frac = self.fraction(bucket_end, now)
            if frac is None:
                break
            num, den = frac
            times.append(bucket_start)
            is_day = bucket_end - bucket_start == _DAY and bucket_start.hour == 0 and bucket_start.minute == 0
            for row, cell in zip(rows, cells, strict=True):
                if is_day:
                    final = self.facts.day_final(metric, cell, bucket_start.date().toordinal())
                else:
                    final = self.facts.final_between(metric, cell, bucket_start, bucket_end)
                row.append(final * num // den)
        return times, rows

    def _monthly(
        self, metric: Metric, cells: list[Cell], start: datetime, end: datetime, now: datetime
    ) -> tuple[list[datetime], list[list[int]]]:
        daily_query_start = start
        times, values = self._per_cell(
            metric,
            cells,
            SeriesQuery("", daily_query_start, end),
            now,
            "month_to_date",
            "daily",
        )
        out_times: list[datetime] = []
        out_rows: list[list[int]] = [[] for _ in cells]
        for i, when in enumerate(times):
            last_of_month = i + 1 == len(times) or times[i + 1].month != when.month
            if last_of_month:
                out_times.append(month_start(when))
                for row, source in zip(out_rows, values, strict=True):
                    row.append(source[i])
        return out_times, out_rows

    # --- lists ------------------------------------------------------------------------------------------

    def sdk_names(
        self, operation_id: str, start: datetime, end: datetime, sdktype: str | None, now: datetime
    ) -> list[str]:
        """Names of SDKs with visible MAU in the window (``mau/sdks``)."""
        filters = {"sdktype": [sdktype]} if sdktype else {}
        query = SeriesQuery(operation_id, start, end, filters=filters)
        metric, cells = self.cells(query)
        _, values = self._per_cell(metric, cells, query, now, "incremental", "daily")
        return sorted({cell.get("sdkName") for cell, row in zip(cells, values, strict=True) if sum(row) > 0})

    def sdk_versions(self, source: str) -> list[dict[str, str]]:
        """SDK name/version pairs streaming from ``source`` (``streams/{source}/sdkversions``)."""
        cells = [c for c in self.facts.metrics["streams"].cells if c.get("source") == source]
        pairs = sorted({(c.get("sdk"), c.get("version")) for c in cells})
        return [{"sdk": sdk, "version": version} for sdk, version in pairs]


def _zone_days(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Days cut at midnight in ``zone``, as UTC intervals whose start lies in [start, end)."""
    local: date = start.astimezone(zone).date()
    out: list[tuple[datetime, datetime]] = []
    while True:
        bucket_start = datetime(local.year, local.month, local.day, tzinfo=zone).astimezone(UTC)
        following = local + _DAY
        bucket_end = datetime(following.year, following.month, following.day, tzinfo=zone).astimezone(UTC)
        if bucket_start >= end:
            return out
        if bucket_start >= start:
            # Whole minutes only: historic zones have second offsets the minute facts cannot split.
            out.append((bucket_start.replace(second=0), bucket_end.replace(second=0)))
        local = following
