"""The month-end sensor outside a DAG run: validation, poke-mode verdicts, deferral and execute_complete."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest
from month_end_helpers import UTC, expected_figures, february_from_emulator, point_connection

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError
from airflow_provider_ldusage.sensors.month_end import LaunchDarklyMonthEndSensor
from airflow_provider_ldusage.testing.emulator import EmulatorConfig, run_emulator

SETTLED = datetime(2026, 3, 10, tzinfo=UTC)


def _sensor(**kwargs: Any) -> LaunchDarklyMonthEndSensor:
    defaults: dict[str, Any] = {
        "task_id": "month_end",
        "month": "2026-02",
        "settle_period": timedelta(hours=1),
        "min_observation_interval": timedelta(minutes=10),
        "mode": "poke",
        "poke_interval": 0.2,
        "timeout": 10,
    }
    return LaunchDarklyMonthEndSensor(**{**defaults, **kwargs})


def test_module_import_stays_light() -> None:
    code = (
        "import sys, airflow.sdk; import airflow_provider_ldusage.sensors.month_end; "
        "bad = [m for m in ('requests', 'airflow_provider_ldusage.hooks.usage', "
        "'airflow_provider_ldusage.hooks.usage_async', 'airflow_provider_ldusage.triggers.month_end') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"operation": "getNothing"}, "operation"),
        ({"operation": "getMauSdksByType"}, "operation"),  # a list endpoint
        ({"operation": "getStreamUsageSdkversion"}, "operation"),  # no window
        ({"stable_observations": 0}, "stable_observations"),
        ({"settle_period": timedelta(hours=-1)}, "settle_period"),
    ],
)
def test_init_validation(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match=name):
        _sensor(**kwargs)


def test_defaults() -> None:
    sensor = LaunchDarklyMonthEndSensor(task_id="s")
    assert (sensor.operation, sensor.mode, sensor.poke_interval, sensor.month) == (
        "getMAUTotalUsage",
        "reschedule",
        3600,
        None,
    )
    assert sensor.rule.settle_period == timedelta(days=3)
    assert (sensor.rule.stable_observations, sensor.rule.min_observation_interval) == (2, timedelta(hours=6))
    assert _sensor(operation="get_mau_clientside_usage").operation == "getMAUClientsideUsage"
    assert _sensor(poll_interval=timedelta(minutes=5)).poke_interval == 300


def test_default_month_comes_from_the_logical_date_or_run_after() -> None:
    sensor = _sensor(month=None)
    assert sensor.resolve_month({"logical_date": datetime(2026, 3, 1, tzinfo=UTC)}).label == "2026-02"  # type: ignore[typeddict-item]

    class Run:
        run_after = datetime(2026, 1, 3, tzinfo=UTC)

    assert sensor.resolve_month({"logical_date": None, "dag_run": Run()}).label == "2025-12"  # type: ignore[typeddict-item]


def test_bad_filters_fail_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_emulator(EmulatorConfig(now=SETTLED)) as emu:
        point_connection(monkeypatch, emu)
        for filters in ({"project_kee": "web"}, {"environment_key": "prod"}, {"end": "2026-03-01"}):
            with pytest.raises(LaunchDarklyUsageValidationError):
                _sensor(filters=filters).poke({})  # type: ignore[arg-type]
        assert emu.requests == []


# --- poke mode against the emulator -------------------------------------------------------------------


def test_poke_before_month_end_plus_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_emulator(EmulatorConfig(now=datetime(2026, 3, 2, tzinfo=UTC))) as emu:
        point_connection(monkeypatch, emu)
        sensor = _sensor(settle_period=timedelta(days=3))
        assert sensor.poke({}).is_done is False  # type: ignore[arg-type]
        assert sensor._last_verdict is not None
        assert sensor._last_verdict.reason == "before month end + settle (until 2026-03-04T00:00:00Z)"


def test_poke_with_a_missing_day(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_emulator(EmulatorConfig(now=datetime(2026, 3, 1, 3, tzinfo=UTC), lag=timedelta(hours=6))) as emu:
        point_connection(monkeypatch, emu)
        sensor = _sensor()
        assert sensor.poke({}).is_done is False  # type: ignore[arg-type]
        assert sensor._last_verdict is not None
        assert sensor._last_verdict.reason == "missing days: 2026-02-28"


def test_poke_while_figures_still_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    config = EmulatorConfig(
        now=datetime(2026, 3, 1, 12, tzinfo=UTC), lag=timedelta(hours=1), settle=timedelta(days=2)
    )
    with run_emulator(config) as emu:
        point_connection(monkeypatch, emu)
        sensor = _sensor()
        assert sensor.poke({}).is_done is False  # type: ignore[arg-type]
        emu.clock.advance(timedelta(hours=6))
        assert sensor.poke({}).is_done is False  # type: ignore[arg-type]
        assert sensor._last_verdict is not None
        assert sensor._last_verdict.code == "changing"
        assert sensor._last_verdict.reason.startswith("figures still changing")


def test_poke_mode_execute_done_with_the_emulators_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_emulator(EmulatorConfig(now=SETTLED, clock_speed=3600)) as emu:
        point_connection(monkeypatch, emu)
        result = _sensor(filters={"group_by": "sdkType"}).execute({})  # type: ignore[arg-type]
        series, total = expected_figures(february_from_emulator(emu, groupBy="sdkType"))
    assert [s["metadata"] for s in result["series"]] == [{"sdkType": "client"}, {"sdkType": "server"}]
    assert (result["series"], result["total"], result["days"], result["observations"]) == (
        series,
        total,
        28,
        2,
    )
    assert result["filters"] == {"group_by": "sdkType"}


def test_poke_mode_timeout_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_ldusage.compat import AirflowSensorTimeout, AirflowSkipException

    with run_emulator(EmulatorConfig(now=datetime(2026, 3, 1, 3, tzinfo=UTC), lag=timedelta(hours=6))) as emu:
        point_connection(monkeypatch, emu)
        with pytest.raises(AirflowSensorTimeout, match="not final yet: missing days: 2026-02-28"):
            _sensor(timeout=0.3).execute({})  # type: ignore[arg-type]
        sensor = _sensor(timeout=0.3, soft_fail=True)
        with pytest.raises(AirflowSkipException, match="missing days: 2026-02-28"):
            sensor.execute({})  # type: ignore[arg-type]
        assert sensor.soft_fail is True


def test_api_errors_fail_the_poke(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_ldusage.exceptions import LaunchDarklyUsageAuthError

    with run_emulator(EmulatorConfig(now=SETTLED)) as emu:
        point_connection(monkeypatch, emu, token="wrong-token")
        with pytest.raises(LaunchDarklyUsageAuthError):
            _sensor().execute({})  # type: ignore[arg-type]


# --- deferrable -----------------------------------------------------------------------------------------


def test_deferrable_pokes_once_then_defers_with_its_state(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk.exceptions import TaskDeferred

    from airflow_provider_ldusage.triggers.month_end import LaunchDarklyMonthEndTrigger

    with run_emulator(EmulatorConfig(now=SETTLED)) as emu:
        point_connection(monkeypatch, emu)
        with pytest.raises(TaskDeferred) as deferred:
            _sensor(deferrable=True, timeout=600).execute({})  # type: ignore[arg-type]
        assert len(emu.requests) == 1
    trigger = deferred.value.trigger
    assert isinstance(trigger, LaunchDarklyMonthEndTrigger)
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout is not None and deferred.value.timeout >= timedelta(seconds=600)
    assert trigger.month == "2026-02" and trigger.poll_interval == 0.2
    assert trigger.state is not None and len(trigger.state["observations"]) == 1


def test_deferrable_returns_at_once_when_already_final(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_emulator(EmulatorConfig(now=SETTLED)) as emu:
        point_connection(monkeypatch, emu)
        result = _sensor(deferrable=True, stable_observations=1).execute({})  # type: ignore[arg-type]
    assert result["final"] is True and result["observations"] == 1


GOOD_RESULT = {
    "month": "2026-02",
    "operation": "getMAUTotalUsage",
    "filters": {},
    "final": True,
    "judged_final_at": "2026-03-10T00:00:00Z",
    "observations": 2,
    "days": 28,
    "series": [{"index": 0, "metadata": {}, "value": 5}],
    "total": 5,
}


def test_execute_complete_returns_a_good_result() -> None:
    assert _sensor().execute_complete({}, {"status": "success", "result": GOOD_RESULT}) == GOOD_RESULT  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "event",
    [
        None,
        "success",
        {},
        {"status": "done"},
        {"status": "success"},
        {"status": "success", "result": {**GOOD_RESULT, "final": False}},
        {"status": "success", "result": {k: v for k, v in GOOD_RESULT.items() if k != "series"}},
    ],
)
def test_execute_complete_rejects_malformed_events(event: Any) -> None:
    from airflow_provider_ldusage.compat import AirflowException

    with pytest.raises(AirflowException, match="month-end trigger"):
        _sensor().execute_complete({}, event)  # type: ignore[arg-type]


def test_execute_complete_timeout_and_error_events() -> None:
    from airflow_provider_ldusage.compat import AirflowSensorTimeout, AirflowSkipException

    timeout = {
        "status": "timeout",
        "reason": "missing days: 2026-02-28",
        "message": "not final: missing days",
    }
    with pytest.raises(AirflowSensorTimeout, match="not final: missing days"):
        _sensor().execute_complete({}, timeout)  # type: ignore[arg-type]
    with pytest.raises(AirflowSkipException, match="not final: missing days"):
        _sensor(soft_fail=True).execute_complete({}, timeout)  # type: ignore[arg-type]
    error = {"status": "error", "error_type": "LaunchDarklyUsageAuthError", "message": "HTTP 401"}
    with pytest.raises(LaunchDarklyUsageError, match="LaunchDarklyUsageAuthError: HTTP 401"):
        _sensor().execute_complete({}, error)  # type: ignore[arg-type]


def test_reschedule_without_task_state_store_fails_fast() -> None:
    """On an Airflow without the task state store, reschedule mode could never see N observations."""
    from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
    from airflow_provider_ldusage.sensors.finality import MonthWindow
    from airflow_provider_ldusage.sensors.month_end import LaunchDarklyMonthEndSensor

    sensor = LaunchDarklyMonthEndSensor(task_id="no_store", month="2026-02", mode="reschedule")
    with pytest.raises(LaunchDarklyUsageValidationError, match="mode='poke' or deferrable=True"):
        sensor._load_state({}, MonthWindow.parse("2026-02"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({"soft_fail": True}, "^Sensor has timed out. not final: missing days$", id="soft_fail"),
        pytest.param(
            {"never_fail": True},
            "^Skipping due to never_fail is set to True. Sensor has timed out. not final: missing days$",
            id="never_fail",
        ),
    ],
)
def test_resumed_timeout_skip_keeps_the_reason(kwargs: dict[str, Any], expected: str) -> None:
    """The task runner resumes through ``resume_execution``, whose base version swaps any exception under
    soft_fail/never_fail for a generic skip; the timeout's reason must survive it."""
    from airflow_provider_ldusage.compat import AirflowSensorTimeout, AirflowSkipException

    timeout = {
        "status": "timeout",
        "reason": "missing days: 2026-02-28",
        "message": "not final: missing days",
    }
    with pytest.raises(AirflowSkipException, match=expected):
        _sensor(**kwargs).resume_execution("execute_complete", {"event": timeout}, {})  # type: ignore[arg-type]
    with pytest.raises(AirflowSensorTimeout, match="not final: missing days"):
        _sensor().resume_execution("execute_complete", {"event": timeout}, {})  # type: ignore[arg-type]
