"""Virtual clock (Python API and admin route), the Date header, late data and settling."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from emulator_helpers import UTC, call, get_json, window

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.testing.emulator import EmulatorConfig, run_emulator

MAU = BY_OPERATION["getMAUTotalUsage"]
FEB_START, FEB_END = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)


def _february(emu: Any) -> dict[str, Any]:
    params = [*window(MAU, FEB_START, FEB_END), ("aggregationType", "incremental"), ("groupBy", "sdkType")]
    return get_json(emu, "getMAUTotalUsage", params)


def test_date_header_is_the_virtual_clock() -> None:
    config = EmulatorConfig(now=datetime(2026, 3, 31, 23, 59, 30, tzinfo=UTC))
    with run_emulator(config) as emu:
        assert parsedate_to_datetime(call(emu, MAU.path).headers["Date"]) == config.now
        emu.clock.advance(timedelta(minutes=1))
        assert call(emu, MAU.path).headers["Date"] == "Wed, 01 Apr 2026 00:00:30 GMT"
        admin = requests.post(f"{emu.url}/_emulator/clock", json={"now": "2026-05-01T12:00:00Z"}, timeout=5)
        assert admin.json()["now"] == "2026-05-01T12:00:00+00:00"
        assert call(emu, MAU.path).headers["Date"] == "Fri, 01 May 2026 12:00:00 GMT"
        requests.post(f"{emu.url}/_emulator/clock", json={"advance_seconds": 3600}, timeout=5)
        assert emu.clock.now() == datetime(2026, 5, 1, 13, tzinfo=UTC)
        assert requests.get(f"{emu.url}/_emulator/clock", timeout=5).headers["Date"].endswith("13:00:00 GMT")
        requests.post(f"{emu.url}/_emulator/reset", timeout=5)
        assert emu.clock.now() == config.now


def test_running_clock_advances_with_real_time() -> None:
    with run_emulator(EmulatorConfig(now=datetime(2026, 3, 1, tzinfo=UTC), clock_speed=3600)) as emu:
        first = emu.clock.now()
        import time

        time.sleep(0.2)
        assert emu.clock.now() - first >= timedelta(minutes=10)


def test_days_appear_after_the_lag_and_settle_then_freeze() -> None:
    lag, settle = timedelta(hours=6), timedelta(days=2)
    march_first = datetime(2026, 3, 1, tzinfo=UTC)  # Feb 28 ends here
    with run_emulator(
        EmulatorConfig(now=march_first + lag - timedelta(minutes=1), lag=lag, settle=settle)
    ) as emu:
        before = _february(emu)
        assert len(before["series"]) == 27, "Feb 28 must be absent before the lag has passed"
        emu.clock.set(march_first + lag)
        observed = [_february(emu)]
        for _ in range(4):
            emu.clock.advance(settle / 4)
            observed.append(_february(emu))
        assert all(len(body["series"]) == 28 for body in observed)
        last_day = [[body["series"][-1][k] for k in ("0", "1")] for body in observed]
        assert all(a[i] <= b[i] for a, b in itertools.pairwise(last_day) for i in (0, 1))
        assert last_day[0][0] < last_day[-1][0], "figures must grow while settling"
        # 60% of the final figure per cell, rounded down per cell, at first sight
        assert last_day[0][0] >= last_day[-1][0] * 0.55
        for step in (timedelta(hours=1), timedelta(days=30), timedelta(days=300)):
            emu.clock.advance(step)
            assert _february(emu) == observed[-1], "settled figures never change"


def test_current_and_future_buckets_are_absent() -> None:
    now = datetime(2026, 3, 10, 15, tzinfo=UTC)
    with run_emulator(EmulatorConfig(now=now, lag=timedelta(0), settle=timedelta(0))) as emu:
        params = window(MAU, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC))
        times = [p["time"] for p in get_json(emu, "getMAUTotalUsage", params)["series"]]
        assert datetime.fromtimestamp(times[-1] / 1000, UTC) == datetime(2026, 3, 9, tzinfo=UTC)


def test_default_window_is_the_current_month_in_virtual_time() -> None:
    with run_emulator(EmulatorConfig(now=datetime(2026, 3, 10, tzinfo=UTC))) as emu:
        series = get_json(emu, "getMAUTotalUsage")["series"]
        assert series[0]["time"] == int(datetime(2026, 3, 1, tzinfo=UTC).timestamp() * 1000)
        emu.clock.set(datetime(2026, 4, 3, tzinfo=UTC))
        series = get_json(emu, "getMAUTotalUsage")["series"]
        assert series[0]["time"] == int(datetime(2026, 4, 1, tzinfo=UTC).timestamp() * 1000)
