"""Fixtures for the budget operator: an emulator in mid-June 2026 and the DAG-file runner."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from airflow_provider_ldusage.testing.emulator import EmulatorConfig
from tests.operators.conftest import DagRunner

# June 2026 is under way: days 1-14 are visible (lag 6 h), the 13th and 14th still settling.
EMULATOR_NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def launchdarkly_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(seed=1, now=EMULATOR_NOW)


@pytest.fixture
def run_dag(airflow_db: Path, tmp_dags_folder: Path) -> DagRunner:
    return DagRunner(tmp_dags_folder)
