"""The month-end trigger against the emulator: serialization, pending, success, errors, rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from month_end_helpers import UTC, expected_figures, february_from_emulator, point_connection

from airflow_provider_ldusage.sensors.finality import FinalityRule
from airflow_provider_ldusage.testing.emulator import EmulatorConfig, FaultSpec, run_emulator
from airflow_provider_ldusage.triggers.month_end import LaunchDarklyMonthEndTrigger

SETTLED = datetime(2026, 3, 10, tzinfo=UTC)
CLASS_PATH = "airflow_provider_ldusage.triggers.month_end.LaunchDarklyMonthEndTrigger"


def _trigger(settle_period: float = 3600.0, **kwargs: Any) -> LaunchDarklyMonthEndTrigger:
    rule = FinalityRule(
        settle_period=timedelta(seconds=settle_period),
        stable_observations=2,
        min_observation_interval=timedelta(seconds=600),
    )
    defaults: dict[str, Any] = {
        "month": "2026-02",
        "operation": "getMAUTotalUsage",
        "filters": {"group_by": ["sdkType"]},
        "rule": rule.to_json(),
        "poll_interval": 0.2,
        "end_time": time.time() + 30,
    }
    return LaunchDarklyMonthEndTrigger(**{**defaults, **kwargs})


class RecordingSleep:
    """Records every wait the trigger asks for (its polls and its hook's rate-limit waits), then waits it."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)


def _first_event(trigger: LaunchDarklyMonthEndTrigger) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        events: AsyncIterator[Any] = trigger.run()
        event = await events.__anext__()
        payload: dict[str, Any] = event.payload
        return payload

    return asyncio.run(asyncio.wait_for(run(), timeout=30))


def test_serialize_round_trip() -> None:
    state = {
        "version": 1,
        "observations": [{"at": "2026-03-10T00:00:00Z", "fingerprint": "ab", "days": 28, "total": 3}],
    }
    trigger = _trigger(state=state, hook_params={"read_timeout": 5.0})
    path, kwargs = trigger.serialize()
    assert path == CLASS_PATH
    assert kwargs["hook_params"] == {"read_timeout": 5.0}
    rebuilt_kwargs = json.loads(json.dumps(kwargs))
    assert rebuilt_kwargs == kwargs
    rebuilt = LaunchDarklyMonthEndTrigger(**rebuilt_kwargs)
    assert rebuilt == trigger and rebuilt.serialize() == (path, kwargs)
    # the same through Airflow's serde, as the triggerer's storage does it
    from airflow.sdk.serde import deserialize, serialize

    assert LaunchDarklyMonthEndTrigger(**deserialize(serialize(kwargs))) == trigger


def test_poll_stays_pending_while_the_month_is_not_final(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_emulator(EmulatorConfig(now=datetime(2026, 3, 1, 3, tzinfo=UTC), lag=timedelta(hours=6))) as emu:
        point_connection(monkeypatch, emu)
        trigger = _trigger()

        async def scenario() -> bool:
            task = asyncio.create_task(trigger.run().__anext__())
            # Wait for two polls (not a fixed time: a loaded CI machine may be slow to make them).
            deadline = asyncio.get_running_loop().time() + 20
            while len(emu.requests) < 2 and not task.done() and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
            pending = not task.done()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return pending

        assert asyncio.run(scenario())
        assert len(emu.requests) >= 2, "it kept polling"


def test_success_with_the_emulators_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_emulator(EmulatorConfig(now=SETTLED, clock_speed=3600)) as emu:
        point_connection(monkeypatch, emu)
        event = _first_event(_trigger())
        assert len(emu.requests) == 2
        series, total = expected_figures(february_from_emulator(emu, groupBy="sdkType"))
    assert event["status"] == "success"
    result = event["result"]
    assert (result["month"], result["final"], result["observations"], result["days"]) == (
        "2026-02",
        True,
        2,
        28,
    )
    assert (result["series"], result["total"]) == (series, total)
    assert json.loads(json.dumps(event)) == event


def test_timeout_event_says_what_is_still_moving(monkeypatch: pytest.MonkeyPatch) -> None:
    config = EmulatorConfig(
        now=datetime(2026, 3, 1, 12, tzinfo=UTC),
        lag=timedelta(hours=1),
        # Every February day still settling, six emulator hours a second: each poll (≥ 72 emulator minutes
        # apart) sees the month-to-date figures grow by dozens, so no two observations can match by chance.
        settle=timedelta(days=30),
        clock_speed=6 * 3600,
    )
    with run_emulator(config) as emu:
        point_connection(monkeypatch, emu)
        # 2 s of wall clock: a few observations even on a loaded machine, none of them final.
        event = _first_event(_trigger(end_time=time.time() + 2.0))
    assert event["status"] == "timeout"
    assert event["reason"].startswith("figures still changing")
    assert "is not final at the deadline" in event["message"]


def test_timeout_before_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_emulator(EmulatorConfig(now=datetime(2026, 3, 2, tzinfo=UTC))) as emu:
        point_connection(monkeypatch, emu)
        event = _first_event(_trigger(settle_period=3 * 86400.0, end_time=time.time() - 1))
        assert len(emu.requests) == 1, "one observation even past the deadline, so the event has a reason"
    assert (event["status"], event["reason"]) == (
        "timeout",
        "before month end + settle (until 2026-03-04T00:00:00Z)",
    )


def test_error_event_for_a_bad_token(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_emulator(EmulatorConfig(now=SETTLED)) as emu:
        point_connection(monkeypatch, emu, token="not-the-token")
        event = _first_event(_trigger())
    assert event["status"] == "error"
    assert event["error_type"] == "LaunchDarklyUsageAuthError"
    assert "401" in event["message"] and "not-the-token" not in event["message"]


def test_error_event_for_a_missing_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT", raising=False)
    event = _first_event(_trigger(launchdarkly_conn_id="no_such_connection"))
    assert event["status"] == "error" and event["error_type"] and event["message"]


def test_rate_limit_waits_are_honoured_inside_the_trigger(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_emulator(EmulatorConfig(now=SETTLED, clock_speed=3600)) as emu:
        point_connection(monkeypatch, emu)
        emu.add_fault(FaultSpec(kind="429", operation_id="getMAUTotalUsage", count=1, retry_after=1))
        trigger = _trigger()
        sleep = RecordingSleep()
        trigger._sleep = sleep
        started = time.monotonic()
        event = _first_event(trigger)
        elapsed = time.monotonic() - started
        statuses = [r.status for r in emu.requests]
    assert event["status"] == "success"
    assert statuses == [429, 200, 200]
    assert sleep.waits[0] >= 1.0, f"the Retry-After of 1 s was waited out first: {sleep.waits}"
    assert sleep.waits[1:] == [0.2], "then one poll interval between the two observations"
    assert elapsed >= 1.2, "really waited: 1 s Retry-After + 0.2 s poll interval"
