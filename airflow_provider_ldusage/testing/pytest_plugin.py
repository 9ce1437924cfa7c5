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


MARKER = "launchdarkly_emulator"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**fields): EmulatorConfig fields for the launchdarkly_emulator fixture of a test, e.g. "
        "projects=1, environments=3, flags=2000",
    )


@pytest.fixture
def launchdarkly_emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    """The emulator's configuration: ``EmulatorConfig()`` with the fields of the test's
    ``@pytest.mark.launchdarkly_emulator(...)`` marker (``flags=2000``, ``seed=7``...), if any; override
    this fixture to build it yourself."""
    from airflow_provider_ldusage.testing.emulator.config import EmulatorConfig

    marker = request.node.get_closest_marker(MARKER)
    return EmulatorConfig(**(marker.kwargs if marker else {}))


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
