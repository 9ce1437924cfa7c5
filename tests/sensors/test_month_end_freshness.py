"""The month-end rule reads the freshness of data-export responses. In every mode (poke,
reschedule, deferrable) the sensor stays not-done while the emulator reports its pipeline ``delayed`` or a
``dataThrough`` before the month's end, and finishes once the pipeline catches up."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from month_end_helpers import UTC, point_connection, run_state

from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig, run_emulator

DAG_FILE = Path(__file__).resolve().parents[1] / "dags" / "sensor_month_end_freshness.py"
SETTLED = datetime(2026, 3, 10, tzinfo=UTC)  # long after February's end + the rule's 1 h settle period
MONTH_END = "2026-03-01T00:00:00Z"
# Two ways the pipeline is behind: late (lag over three hours), or written only up to Feb 27.
BEHIND = [
    pytest.param({"lag_seconds": 5 * 3600}, "delayed", "pipeline as delayed", id="delayed"),
    pytest.param(
        {"data_through": "2026-02-27T00:00:00Z"},
        "not_through",
        "only through 2026-02-27T00:00:00Z, before the month's end",
        id="data-through-before-month-end",
    ),
]
CAUGHT_UP = {"lag_seconds": 3600, "data_through": None}


@pytest.fixture(scope="module")
def dags() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sensor_month_end_freshness_dags", DAG_FILE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def behind_then_caught_up(emu: Emulator, behind: dict[str, Any], after: int) -> Iterator[list[int]]:
    """The pipeline is behind until ``after`` requests were answered, then catches up (in the background,
    while the sensor runs). Yields a list that receives the request count at the switch."""
    emu.data_export.update(behind)
    switched: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            # Switch only once the first ``after`` requests were answered: the emulator records a request
            # before it answers, and a switch in between would answer that request as caught up.
            seen = emu.requests[:after]
            if len(seen) >= after and all(r.status for r in seen):
                emu.data_export.update(CAUGHT_UP)
                switched.append(len(emu.requests))
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield switched
    finally:
        stop.set()
        thread.join(5)


def _config() -> EmulatorConfig:
    return EmulatorConfig(now=SETTLED, clock_speed=3600)


def _check_final(value: dict[str, Any], requests_before_switch: int, emu: Emulator) -> None:
    assert value["month"] == "2026-02" and value["operation"] == "getDataExportEventsUsage"
    assert value["final"] is True and value["days"] == 28
    assert value["delayed"] is False
    assert value["data_through"] >= MONTH_END
    # Stable figures need two counted observations: the ones made while the pipeline was behind did not
    # count, so at least two more came after the switch.
    assert len(emu.requests) >= requests_before_switch + 2
    assert all(r.status == 200 for r in emu.requests)


@pytest.mark.parametrize(("behind", "code", "reason"), BEHIND)
@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_not_final_while_behind_then_final_once_caught_up(
    airflow_db: Path,
    dags: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    behind: dict[str, Any],
    code: str,
    reason: str,
) -> None:
    with run_emulator(_config()) as emu:
        point_connection(monkeypatch, emu)
        # Three observations while behind: with the figures already stable, the rule would otherwise
        # have called the month final at the second.
        with behind_then_caught_up(emu, behind, after=3) as switched:
            dr = getattr(dags, mode).test(logical_date=datetime(2026, 4, 2, tzinfo=UTC))
        state, value, _, stored = run_state(dr, dags.TASK)
        assert switched == [3], "the sensor must still have been waiting when the pipeline caught up"
        assert state == "success"
        _check_final(value, 3, emu)
        if stored is not None:
            assert stored["last_verdict"]["code"] == "final"


@pytest.mark.parametrize(("behind", "code", "reason"), BEHIND)
@pytest.mark.parametrize("dag_name", ["reschedule_timeout", "deferrable_timeout"])
def test_a_pipeline_that_stays_behind_is_never_final(
    airflow_db: Path,
    dags: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    dag_name: str,
    behind: dict[str, Any],
    code: str,
    reason: str,
) -> None:
    with run_emulator(_config()) as emu:
        point_connection(monkeypatch, emu)
        emu.data_export.update(behind)
        dr = getattr(dags, dag_name).test(logical_date=datetime(2026, 4, 2, tzinfo=UTC))
        state, value, _, stored = run_state(dr, dags.TASK)
        assert len(emu.requests) >= 2
    assert state in ("failed", "skipped")
    assert value is None
    assert stored is not None
    assert stored["last_verdict"]["code"] == code
    assert reason in stored["last_verdict"]["reason"]


def test_the_emulator_switches_do_what_the_tests_assume() -> None:
    """Guards the scenario itself: behind means delayed or an early dataThrough; caught up means neither."""
    with run_emulator(EmulatorConfig(now=SETTLED)) as emu:
        now = emu.clock.now()
        emu.data_export.update({"lag_seconds": 5 * 3600})
        assert emu.data_export.fields("data_export", now)["delayed"] is True
        emu.data_export.update({"data_through": "2026-02-27T00:00:00Z", "lag_seconds": 3600})
        assert emu.data_export.fields("data_export", now) == {
            "dataThrough": "2026-02-27T00:00:00Z",
            "delayed": True,
        }
        emu.data_export.update(CAUGHT_UP)
        fields = emu.data_export.fields("data_export", now)
        assert fields["delayed"] is False and str(fields["dataThrough"]) >= MONTH_END
    assert timedelta(hours=1) < timedelta(hours=3)


# --- the rule itself, without HTTP ------------------------------------------------------------------------


def _february_body(**freshness: object) -> dict[str, Any]:
    from airflow_provider_ldusage.windows.calendar import MonthWindow

    feb = MonthWindow(2026, 2)
    series = [
        {"time": int(datetime.combine(d, datetime.min.time(), UTC).timestamp() * 1000), "0": 5}
        for d in feb.days
    ]
    return {"_links": {}, "metadata": [{}], "series": series, **freshness}


@pytest.mark.parametrize(
    ("freshness", "code"),
    [
        ({"dataThrough": "2026-02-28T23:00:00Z", "delayed": False}, "not_through"),
        ({"dataThrough": "2026-02-28T23:00:00Z", "delayed": True}, "not_through"),
        ({"dataThrough": "2026-03-09T20:00:00Z", "delayed": True}, "delayed"),
        ({"dataThrough": "2026-03-01T00:00:00Z", "delayed": False}, "accumulating"),  # the hour ends at 00:00
        ({}, "accumulating"),  # endpoints without freshness: the rule as before
    ],
)
def test_assess_reads_freshness_where_present(freshness: dict[str, Any], code: str) -> None:
    from airflow_provider_ldusage.sensors.finality import FinalityRule, FinalityState, assess
    from airflow_provider_ldusage.windows.calendar import MonthWindow

    verdict, state, result = assess(
        rule=FinalityRule(settle_period=timedelta(hours=1)),
        window=MonthWindow(2026, 2),
        state=FinalityState(),
        body=_february_body(**freshness),
        at=SETTLED,
        operation="getDataExportEventsUsage",
        filters=None,
        cumulative=False,
    )
    assert verdict.code == code and not verdict.done and result is None
    assert len(state.observations) == (1 if code == "accumulating" else 0)


def test_a_final_result_records_the_freshness_it_rested_on() -> None:
    from airflow_provider_ldusage.sensors.finality import FinalityRule, FinalityState, assess
    from airflow_provider_ldusage.windows.calendar import MonthWindow

    rule = FinalityRule(settle_period=timedelta(hours=1), stable_observations=1)
    fresh = _february_body(dataThrough="2026-03-09T23:00:00Z", delayed=False)
    verdict, _, result = assess(
        rule=rule,
        window=MonthWindow(2026, 2),
        state=FinalityState(),
        body=fresh,
        at=SETTLED,
        operation="getDataExportEventsUsage",
        filters=None,
        cumulative=False,
    )
    assert verdict.done and result is not None
    assert (result["data_through"], result["delayed"], result["total"]) == (
        "2026-03-09T23:00:00Z",
        False,
        140,
    )
    _, _, plain = assess(
        rule=rule,
        window=MonthWindow(2026, 2),
        state=FinalityState(),
        body=_february_body(),
        at=SETTLED,
        operation="getMAUTotalUsage",
        filters=None,
        cumulative=False,
    )
    assert plain is not None and "data_through" not in plain
