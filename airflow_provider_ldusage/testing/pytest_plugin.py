"""pytest plugin (entry point ``pytest11``): the ``launchdarkly_emulator`` fixture for users' DAG tests.

pytest loads this module for every test run, so it imports nothing heavy; the emulator (FastAPI, uvicorn)
is imported inside the fixtures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig


@pytest.fixture
def launchdarkly_emulator_config() -> EmulatorConfig:
    """The emulator's configuration; override this fixture to change seed, clock, budgets..."""
    from airflow_provider_ldusage.testing.emulator.config import EmulatorConfig

    return EmulatorConfig()


@pytest.fixture
def launchdarkly_emulator(
    launchdarkly_emulator_config: EmulatorConfig, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Emulator]:
    """A running emulator; ``AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT`` points at it for the test's duration."""
    from airflow_provider_ldusage.testing.emulator.server import run_emulator

    with run_emulator(launchdarkly_emulator_config) as emulator:
        conn = {"conn_type": "launchdarkly", "host": emulator.url, "password": emulator.token}
        monkeypatch.setenv("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT", json.dumps(conn))
        yield emulator
