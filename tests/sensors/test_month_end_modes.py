"""The month-end sensor in real Airflow runs (``dag.test()``) against the emulator, in all three modes."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from month_end_helpers import UTC, expected_figures, february_from_emulator, point_connection, run_state

from airflow_provider_ldusage.testing.emulator import EmulatorConfig, run_emulator

DAG_FILE = Path(__file__).resolve().parents[1] / "dags" / "sensor_month_end.py"
TASK = "wait_for_february"
SETTLED = datetime(2026, 3, 10, tzinfo=UTC)  # Feb 28 appeared Mar 1 06:00 and froze two days later


@pytest.fixture(scope="module")
def dags() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sensor_month_end_dags", DAG_FILE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _check_final(value: dict[str, Any], emu: Any, observations: int) -> None:
    series, total = expected_figures(february_from_emulator(emu))
    assert value["month"] == "2026-02"
    assert value["operation"] == "getMAUTotalUsage"
    assert value["final"] is True
    assert value["days"] == 28
    assert value["observations"] == observations
    assert value["series"] == series
    assert value["total"] == total
    # judged by the emulator's virtual clock, not the worker's
    assert datetime.fromisoformat(value["judged_final_at"].replace("Z", "+00:00")) >= SETTLED


def test_poke_mode_done_with_the_right_figures(
    airflow_db: Path, dags: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_emulator(EmulatorConfig(now=SETTLED, clock_speed=3600)) as emu:
        point_connection(monkeypatch, emu)
        # no month given: the month closed before the logical date (March 5) is February
        dr = dags.poke.test(logical_date=datetime(2026, 3, 5, tzinfo=UTC))
        state, value, reschedules, _ = run_state(dr, TASK)
        assert state == "success"
        assert reschedules == 0
        assert len(emu.requests) == 2
        _check_final(value, emu, observations=2)


def test_reschedule_mode_needs_n_unchanged_observations_across_executions(
    airflow_db: Path, dags: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each reschedule poke is a fresh task execution (XCom cleared, operator copied anew); only the task
    state store carries the observations, and "done" comes at the third unchanged one, not before."""
    with run_emulator(EmulatorConfig(now=SETTLED, clock_speed=3600)) as emu:
        point_connection(monkeypatch, emu)
        dr = dags.reschedule.test(logical_date=datetime(2026, 4, 2, tzinfo=UTC))
        state, value, reschedules, stored = run_state(dr, TASK)
        assert state == "success"
        assert reschedules == 2, "two executions ended not done (rescheduled) before the third succeeded"
        assert len(emu.requests) == 3
        _check_final(value, emu, observations=3)
        assert stored is not None
        assert [o["fingerprint"] for o in stored["state"]["observations"]] == [value["fingerprint"]] * 3
        assert stored["last_verdict"]["code"] == "final"
        assert dags.reschedule.task_dict[TASK]._state is None, "nothing was carried in the DAG's object"


@pytest.mark.parametrize(
    ("config", "code", "reason"),
    [
        pytest.param(
            EmulatorConfig(now=datetime(2026, 3, 1, 0, 30, tzinfo=UTC)),
            "before_settle",
            "before month end + settle (until 2026-03-01T01:00:00Z)",
            id="before-month-end-plus-settle",
        ),
        pytest.param(
            EmulatorConfig(now=datetime(2026, 3, 1, 3, tzinfo=UTC), lag=timedelta(hours=6)),
            "missing_days",
            "missing days: 2026-02-28",
            id="missing-day",
        ),
        pytest.param(
            EmulatorConfig(
                now=datetime(2026, 3, 1, 12, tzinfo=UTC),
                lag=timedelta(hours=1),
                settle=timedelta(days=2),
                clock_speed=6 * 3600,
            ),
            "changing",
            "figures still changing",
            id="still-settling",
        ),
    ],
)
def test_reschedule_mode_not_done_reports_why(
    airflow_db: Path,
    dags: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    config: EmulatorConfig,
    code: str,
    reason: str,
) -> None:
    with run_emulator(config) as emu:
        point_connection(monkeypatch, emu)
        dr = dags.reschedule_timeout.test(logical_date=datetime(2026, 4, 2, tzinfo=UTC))
        state, value, reschedules, stored = run_state(dr, TASK)
    assert state == "failed"
    assert value is None
    assert reschedules >= 1
    assert stored is not None
    assert stored["last_verdict"]["code"] == code
    assert reason in stored["last_verdict"]["reason"]


def test_deferrable_mode_done_through_the_trigger(
    airflow_db: Path, dags: ModuleType, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with run_emulator(EmulatorConfig(now=SETTLED, clock_speed=3600)) as emu:
        point_connection(monkeypatch, emu)
        with caplog.at_level("INFO"):
            dr = dags.deferrable.test(logical_date=datetime(2026, 4, 2, tzinfo=UTC))
        state, value, _, stored = run_state(dr, TASK)
        assert state == "success"
        assert "running trigger in line" in caplog.text
        # the first observation came from the sensor's synchronous poke, the second from the trigger
        assert len(emu.requests) == 2
        _check_final(value, emu, observations=2)
        assert stored is not None and stored["last_verdict"]["code"] == "final"


def test_deferrable_timeout_with_soft_fail_skips(
    airflow_db: Path, dags: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_emulator(EmulatorConfig(now=datetime(2026, 3, 1, 3, tzinfo=UTC), lag=timedelta(hours=6))) as emu:
        point_connection(monkeypatch, emu)
        dr = dags.deferrable_timeout.test(logical_date=datetime(2026, 4, 2, tzinfo=UTC))
        state, value, _, _ = run_state(dr, TASK)
        assert state == "skipped"
        assert value is None
        assert len(emu.requests) >= 2, "the sensor's poke, then at least one by the trigger"
