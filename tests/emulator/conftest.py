"""Fixtures for the emulator tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from emulator_helpers import CLIENT_PATH, NOW, SPEC_PATH

from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig, run_emulator


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    if not SPEC_PATH.is_file():
        pytest.skip(f"LaunchDarkly's OpenAPI document is not available at {SPEC_PATH} (../shared absent)")
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return spec


@pytest.fixture(scope="session")
def client_spec() -> dict[str, Any]:
    """The extracted official client 25.0.1 (operations and response-model JSON schemas)."""
    if not CLIENT_PATH.is_file():
        pytest.skip(f"the extracted official client is not available at {CLIENT_PATH} (../shared absent)")
    spec: dict[str, Any] = json.loads(CLIENT_PATH.read_text())
    return spec


@pytest.fixture(scope="session")
def emu() -> Iterator[Emulator]:
    """One frozen-clock emulator for read-only tests (do not add faults or move its clock)."""
    with run_emulator(EmulatorConfig(now=NOW, seed=1)) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def emus() -> Iterator[dict[int, Emulator]]:
    """Emulators with different seeds (5: a sized account), for properties that must hold for any account."""
    started = {seed: Emulator(EmulatorConfig(now=NOW, seed=seed)).start() for seed in (2, 3, 4)}
    sized = EmulatorConfig(now=NOW, seed=5, projects=6, environments=4, flags=400)
    started[5] = Emulator(sized).start()
    yield started
    for emulator in started.values():
        emulator.stop()
