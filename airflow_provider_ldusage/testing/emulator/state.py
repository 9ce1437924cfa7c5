"""Everything one running emulator holds: config, clock, data, budgets, faults and the request log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from airflow_provider_ldusage.testing.emulator.clock import VirtualClock
from airflow_provider_ldusage.testing.emulator.config import EmulatorConfig
from airflow_provider_ldusage.testing.emulator.data import SyntheticData
from airflow_provider_ldusage.testing.emulator.faults import FaultInjector
from airflow_provider_ldusage.testing.emulator.freshness import SOURCES, DataExportSwitches
from airflow_provider_ldusage.testing.emulator.ratelimit import RateLimiter
from airflow_provider_ldusage.testing.emulator.recording import RequestLog


class EmulatorState:
    """Mutable state shared by the HTTP app and the Python API.

    :param config: the emulator's configuration.
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.initial_now = config.now or datetime.now(timezone.utc)
        self.clock = VirtualClock(self.initial_now, config.clock_speed)
        self.data = SyntheticData(
            config.seed,
            config.lag,
            config.settle,
            projects=config.projects,
            environments=config.environments,
            flags=config.flags,
        )
        if config.runaway is not None:
            runaway = config.runaway
            self.data.facts.add_runaway(
                runaway.project, runaway.environment, runaway.sdk, runaway.from_day, runaway.extra_per_day
            )
        self.limiter = RateLimiter(
            config.rate_window, config.route_budget, config.global_budget, config.token_budget
        )
        self.data_export = DataExportSwitches(config.pipeline_lag, config.data_export_legacy_rows)
        for source in SOURCES:
            self.data.watermarks[source] = self._watermark(source)
        self.faults = FaultInjector(config.seed)
        self.log = RequestLog()

    def reset(self) -> None:
        """Back to the start: initial clock, no faults, fresh budgets, empty log, configured pipelines."""
        self.clock = VirtualClock(self.initial_now, self.config.clock_speed)
        self.faults.clear()
        self.limiter.reset()
        self.log.clear()
        self.data_export.reset()

    def _watermark(self, source: str) -> Callable[[datetime], datetime]:
        return lambda now: self.data_export.watermark(source, now)
