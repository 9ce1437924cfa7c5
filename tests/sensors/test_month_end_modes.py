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

from airflow_provider_ldusage.compat import AIRFLOW_2, HAS_TASK_STATE_STORE
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


needs_state_store = pytest.mark.skipif(not HAS_TASK_STATE_STORE, reason="needs Airflow 3.3+")


@needs_state_store
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


# The three ways a month is not final yet, each through real task executions in every mode. The emulator's
# clock is frozen where time must not help and fast where the figures must keep moving; its settle period is
# long enough (20 virtual days, about 80 real seconds at this speed) that the first dag.test() of a session,
# which spends seconds starting Airflow's in-process API before the first poke, still sees February settling.
NOT_DONE = [
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
            settle=timedelta(days=20),
            clock_speed=6 * 3600,
        ),
        "changing",
        "figures still changing",
        id="still-settling",
    ),
]


@needs_state_store
@pytest.mark.parametrize(("config", "code", "reason"), NOT_DONE)
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
        if HAS_TASK_STATE_STORE:  # Airflow 3.3+ also keeps the verdict in the task state store
            assert stored is not None and stored["last_verdict"]["code"] == "final"


def _check_deferrable_not_done(
    emu: Any, value: Any, reschedules: int, stored: dict[str, Any] | None, code: str, reason: str
) -> None:
    """The sensor deferred, the trigger observed and gave up, and its last verdict is the sensor's."""
    assert value is None, "no final figures were pushed"
    assert reschedules == 0, "deferred, not rescheduled"
    assert len(emu.requests) >= 2, "the sensor's own poke, then at least one observation by the trigger"
    if not HAS_TASK_STATE_STORE:  # Airflow < 3.3 keeps no verdict in a task state store
        return
    assert stored is not None
    assert stored["last_verdict"]["code"] == code
    assert reason in stored["last_verdict"]["reason"]


def _timeout_text(reason: str) -> list[str]:
    """What a deferrable timeout's message must say: that it timed out, what and when, and why."""
    return [
        "Sensor has timed out.",
        "getMAUTotalUsage for 2026-02 is not final at the deadline",  # the trigger's own deadline fired
        reason,
    ]


@pytest.mark.parametrize(("config", "code", "reason"), NOT_DONE)
def test_deferrable_mode_not_done_fails_saying_why(
    airflow_db: Path,
    dags: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    config: EmulatorConfig,
    code: str,
    reason: str,
) -> None:
    """Without soft_fail the run fails with AirflowSensorTimeout, and the exception a user's
    ``on_failure_callback`` receives states what was still missing or still moving."""
    from airflow_provider_ldusage.compat import AirflowSensorTimeout

    with run_emulator(config) as emu:
        point_connection(monkeypatch, emu)
        with caplog.at_level("INFO"):
            dr = dags.deferrable_timeout_fail.test(logical_date=datetime(2026, 4, 2, tzinfo=UTC))
        state, value, reschedules, stored = run_state(dr, TASK)
        assert "running trigger in line" in caplog.text
        _check_deferrable_not_done(emu, value, reschedules, stored, code, reason)
    assert state == "failed"
    assert dr.state == "failed"
    error = dags.FAILURES.get(dr.run_id)
    if error is None and not HAS_TASK_STATE_STORE:
        # Airflow < 3.3's dag.test() calls on_failure_callback without the exception (checked on 3.1.8);
        # what the user sees is then the task log's "Task failed with exception" traceback.
        # (3.0 renders the traceback with rich, wrapping long lines at 80 columns: compare words.)
        out, err = capfd.readouterr()
        logged = " ".join((out + err).split())
        assert "AirflowSensorTimeout: Sensor has timed out." in logged
        for text in _timeout_text(reason):
            assert " ".join(text.split()) in logged
        return
    assert isinstance(error, AirflowSensorTimeout), f"on_failure_callback saw {error!r}"
    for text in _timeout_text(reason):
        assert text in str(error)


@pytest.mark.parametrize(("config", "code", "reason"), NOT_DONE)
def test_deferrable_mode_not_done_soft_fail_skips_saying_why(
    airflow_db: Path,
    dags: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    config: EmulatorConfig,
    code: str,
    reason: str,
) -> None:
    """With soft_fail the run's task is skipped, and the skip reason in the task log states what was still
    missing or still moving (not Airflow's generic "Skipping due to soft_fail is set to True.")."""
    with run_emulator(config) as emu:
        point_connection(monkeypatch, emu)
        if AIRFLOW_2:  # 2.11's task runner logs the skip exception's text through the stdlib logger
            with caplog.at_level("INFO"):
                dr = dags.deferrable_timeout.test(logical_date=datetime(2026, 4, 2, tzinfo=UTC))
            logs = [{"event": "Skipping task.", "reason": r.getMessage()} for r in caplog.records]
            logs = [entry for entry in logs if entry["reason"].startswith("Sensor has timed out.")]
        else:
            import structlog.testing

            with structlog.testing.capture_logs() as logs:
                dr = dags.deferrable_timeout.test(logical_date=datetime(2026, 4, 2, tzinfo=UTC))
        state, value, reschedules, stored = run_state(dr, TASK)
        _check_deferrable_not_done(emu, value, reschedules, stored, code, reason)
    assert state == "skipped"
    skips = [entry.get("reason", "") for entry in logs if entry.get("event") == "Skipping task."]
    assert len(skips) == 1, f"one skip logged by the task runner, got {skips!r}"
    for text in _timeout_text(reason):
        assert text in skips[0]
