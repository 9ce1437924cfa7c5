"""Runs the code the docs show from docs/snippets/hook_snippets.py against the emulator."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from airflow_provider_ldusage.testing.emulator import EmulatorConfig

SNIPPETS = Path(__file__).resolve().parents[2] / "docs" / "snippets" / "hook_snippets.py"
UTC = timezone.utc


@pytest.fixture
def launchdarkly_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(now=datetime(2026, 3, 20, tzinfo=UTC))


@pytest.fixture(scope="module")
def snippets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hook_snippets", SNIPPETS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hook_in_task(snippets: ModuleType, launchdarkly_emulator: Any) -> None:
    result = snippets.mau_by_sdk_type.function(logical_date=datetime(2026, 3, 10, 6, tzinfo=UTC))
    assert set(result) == {"client", "server"}
    assert all(isinstance(v, int) and v > 0 for v in result.values())
    (request,) = launchdarkly_emulator.requests
    assert dict(request.query)["from"] == str(int(datetime(2026, 3, 3, tzinfo=UTC).timestamp() * 1000))


def test_hook_errors(snippets: ModuleType, launchdarkly_emulator: Any) -> None:
    flag = launchdarkly_emulator.data.account.flags[0]
    production = next(
        e for e in launchdarkly_emulator.data.account.environments if e.project_key == flag.project_key
    )
    total = snippets.flag_evaluations.function(flag.project_key, production.key, flag.key)
    assert isinstance(total, int) and total > 0
    assert snippets.flag_evaluations.function(flag.project_key, production.key, "no-such-flag") is None
    before = len(launchdarkly_emulator.requests)
    assert "granularity" in snippets.rejected_before_sending()
    assert len(launchdarkly_emulator.requests) == before
