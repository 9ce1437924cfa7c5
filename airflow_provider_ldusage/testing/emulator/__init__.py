"""A local emulator of LaunchDarkly's account-usage (beta) API, for the demo, the tests and users' DAG tests.

Quick start::

    from airflow_provider_ldusage.testing.emulator import EmulatorConfig, run_emulator

    with run_emulator(EmulatorConfig(seed=7)) as emu:
        requests.get(f"{emu.url}/api/v2/usage/total-mau",
                     headers={"Authorization": emu.token, "LD-API-Version": "beta"})
"""

from __future__ import annotations

from airflow_provider_ldusage.testing.emulator.clock import VirtualClock
from airflow_provider_ldusage.testing.emulator.config import FAULT_KINDS, EmulatorConfig, FaultSpec, Runaway
from airflow_provider_ldusage.testing.emulator.data import SeriesQuery, SyntheticData
from airflow_provider_ldusage.testing.emulator.recording import RecordedRequest
from airflow_provider_ldusage.testing.emulator.server import Emulator, run_emulator

__all__ = [
    "FAULT_KINDS",
    "Emulator",
    "EmulatorConfig",
    "FaultSpec",
    "RecordedRequest",
    "Runaway",
    "SeriesQuery",
    "SyntheticData",
    "VirtualClock",
    "run_emulator",
]
