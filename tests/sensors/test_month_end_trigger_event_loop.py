"""The month-end trigger never blocks the triggerer's event loop: run under asyncio's debug mode against
the emulator, no callback (connection lookup, client setup, decoding, logging) takes longer than 0.1 s."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from month_end_helpers import UTC, point_connection

from airflow_provider_ldusage.sensors.finality import FinalityRule
from airflow_provider_ldusage.testing.emulator import EmulatorConfig, run_emulator
from airflow_provider_ldusage.triggers.month_end import LaunchDarklyMonthEndTrigger

SLOW = 0.1


class _SlowCallbacks(logging.Handler):
    """asyncio's debug mode logs "Executing <callback> took N seconds" for every slow callback."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "Executing" in message and "took" in message:
            self.seen.append(message)


@pytest.fixture
def slow_callbacks() -> Iterator[_SlowCallbacks]:
    handler = _SlowCallbacks()
    logger = logging.getLogger("asyncio")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _as_in_the_triggerer() -> None:
    """Load what a triggerer process has loaded before any trigger runs (its own machinery, which Airflow's
    connection lookup uses); what the provider imports on first use is still measured."""
    import contextlib
    import importlib

    for name in ("airflow.jobs.triggerer_job_runner", "airflow.sdk.execution_time.supervisor"):
        with contextlib.suppress(ImportError):  # another Airflow line lays it out differently
            importlib.import_module(name)


def _observe(trigger: LaunchDarklyMonthEndTrigger) -> dict[str, Any]:
    _as_in_the_triggerer()

    async def first_event() -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        loop.slow_callback_duration = SLOW
        event = await trigger.run().__anext__()
        payload: dict[str, Any] = event.payload
        return payload

    return asyncio.run(asyncio.wait_for(first_event(), timeout=60), debug=True)


def test_the_trigger_runs_to_its_event_without_a_slow_callback(
    monkeypatch: pytest.MonkeyPatch, slow_callbacks: _SlowCallbacks
) -> None:
    rule = FinalityRule(
        settle_period=timedelta(hours=1),
        stable_observations=2,
        min_observation_interval=timedelta(seconds=600),
    )
    with run_emulator(EmulatorConfig(now=datetime(2026, 3, 10, tzinfo=UTC), clock_speed=3600)) as emu:
        point_connection(monkeypatch, emu)
        # A year of daily buckets per series for an account with many series: decoding it is real work.
        trigger = LaunchDarklyMonthEndTrigger(
            month="2026-02",
            operation="getMAUTotalUsage",
            filters={"group_by": ["sdkType", "projectId", "environmentId"]},
            rule=rule.to_json(),
            poll_interval=0.2,
            end_time=time.time() + 40,
        )
        event = _observe(trigger)
        assert len(emu.requests) >= 2
    assert event["status"] == "success", event
    assert slow_callbacks.seen == [], "\n".join(slow_callbacks.seen)
