"""Data-export pipelines: the ``dataThrough`` watermark and ``delayed`` flag of ``DataExportSeriesListRep``,
and the switch that makes ``groupBy=projectId`` meet unattributed usage (409).

The emulator's model (LaunchDarkly's definitions, made concrete):

* A pipeline writes whole hours. Its watermark ``dataThrough`` is the end of the latest hour written:
  ``floor_to_hour(now - lag)`` on the virtual clock, unless pinned by the admin API. Buckets of that source
  are visible, with their final figures, once they end at or before the watermark; nothing after it is
  counted (no settling for these sources).
* The emulator's pipelines never leave gaps, so ``delayed`` is simply ``now - dataThrough > 3 hours``.
* ``omit`` models an unavailable watermark: both fields are absent (visibility still follows the
  watermark the pipeline would have).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
DELAY_THRESHOLD = timedelta(hours=3)
# Metric names of the sources that report freshness.
SOURCES = ("data_export", "warehouse_export")


def floor_hour(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class Pipeline:
    """One source's usage pipeline.

    :param lag: how far behind the virtual clock the pipeline writes.
    :param pinned: a fixed watermark set by the admin API (``None``: follow the clock).
    :param omit: leave ``dataThrough`` and ``delayed`` out of responses.
    """

    lag: timedelta
    pinned: datetime | None = None
    omit: bool = False

    def data_through(self, now: datetime) -> datetime:
        if self.pinned is not None:
            return min(floor_hour(self.pinned), floor_hour(now))
        return floor_hour(now - self.lag)

    def delayed(self, now: datetime) -> bool:
        return now - self.data_through(now) > DELAY_THRESHOLD

    def fields(self, now: datetime) -> dict[str, object]:
        """The response fields (empty when the watermark is omitted)."""
        if self.omit:
            return {}
        through = self.data_through(now)
        return {"dataThrough": through.strftime("%Y-%m-%dT%H:%M:%SZ"), "delayed": self.delayed(now)}


class DataExportSwitches:
    """The emulator's data-export pipelines and its unattributed-usage switch.

    :param lag: the initial pipeline lag of every source.
    :param legacy_rows: serve pre-materialization usage without a project id (makes ``groupBy=projectId``
        and the project ranking answer 409 where it falls in the request).
    """

    def __init__(self, lag: timedelta, legacy_rows: bool) -> None:
        self._lock = threading.Lock()
        self.initial_lag = lag
        self.initial_legacy = legacy_rows
        self.pipelines: dict[str, Pipeline] = {}
        self.legacy_rows = legacy_rows
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.pipelines = {source: Pipeline(self.initial_lag) for source in SOURCES}
            self.legacy_rows = self.initial_legacy

    def watermark(self, source: str, now: datetime) -> datetime:
        with self._lock:
            return self.pipelines[source].data_through(now)

    def fields(self, source: str, now: datetime) -> dict[str, object]:
        with self._lock:
            return self.pipelines[source].fields(now)

    def describe(self, now: datetime) -> dict[str, object]:
        with self._lock:
            return {
                "legacy_rows": self.legacy_rows,
                "pipelines": {
                    source: {
                        "lag_seconds": p.lag.total_seconds(),
                        "pinned": p.pinned.isoformat() if p.pinned else None,
                        "omit": p.omit,
                        "dataThrough": p.data_through(now).isoformat(),
                        "delayed": p.delayed(now),
                    }
                    for source, p in self.pipelines.items()
                },
            }

    def update(self, body: dict[str, object]) -> None:
        """Apply an admin request: ``legacy_rows``, and for ``source`` (default: every source)
        ``lag_seconds``, ``data_through`` (ISO 8601, or ``null`` to follow the clock again) and ``omit``."""
        allowed = {"legacy_rows", "source", "lag_seconds", "data_through", "omit"}
        unknown = set(body) - allowed
        if unknown:
            raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
        source = body.get("source")
        if source is not None and source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}")
        lag = None
        if "lag_seconds" in body:
            lag = timedelta(seconds=float(str(body["lag_seconds"])))
            if lag < timedelta(0):
                raise ValueError("lag_seconds must not be negative")
        pinned: datetime | None = None
        if body.get("data_through") is not None:
            pinned = datetime.fromisoformat(str(body["data_through"]).replace("Z", "+00:00"))
            if pinned.tzinfo is None:
                pinned = pinned.replace(tzinfo=UTC)
        with self._lock:
            if "legacy_rows" in body:
                self.legacy_rows = bool(body["legacy_rows"])
            for name in [str(source)] if source is not None else list(SOURCES):
                pipeline = self.pipelines[name]
                if lag is not None:
                    pipeline.lag = lag
                if "data_through" in body:
                    pipeline.pinned = pinned
                if "omit" in body:
                    pipeline.omit = bool(body["omit"])
