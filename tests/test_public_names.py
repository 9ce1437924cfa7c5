"""Every name users import, at the path the design promises them (../shared/DESIGN.md, "Public names").

The list is written out here, not read from the package: a module that moves must keep these paths working.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import pytest

from airflow_provider_ldusage.catalogue import ENDPOINTS

PUBLIC = [
    ("airflow_provider_ldusage.hooks.usage", "LaunchDarklyUsageHook"),
    ("airflow_provider_ldusage.exceptions", "LaunchDarklyUsageError"),
    ("airflow_provider_ldusage.exceptions", "LaunchDarklyUsageValidationError"),
    ("airflow_provider_ldusage.sensors.month_end", "LaunchDarklyMonthEndSensor"),
    ("airflow_provider_ldusage.triggers.month_end", "LaunchDarklyMonthEndTrigger"),
    ("airflow_provider_ldusage.testing.emulator", None),
    ("airflow_provider_ldusage.budgets", "forecast_month_end"),
    ("airflow_provider_ldusage.operators.budget", "LaunchDarklyUsageBudgetOperator"),
    ("airflow_provider_ldusage.transfers.usage_to_sql", "LaunchDarklyUsageToSqlOperator"),
    ("airflow_provider_ldusage.operators.evaluations", "LaunchDarklyEvaluationsUsageBatchOperator"),
    ("airflow_provider_ldusage.operators.usage", "LaunchDarklyEvaluationsUsageOperator"),
    ("airflow_provider_ldusage.provider_info", "get_provider_info"),
]
# The design names these operators one by one; each follows the rule LaunchDarkly + CamelCase + Operator.
OPERATORS = [
    "ContextsClientsideUsage", "ContextsServersideUsage", "ContextsTotalUsage", "MauClientsideUsage",
    "MauTotalUsage", "DataExportEventsUsage", "ExperimentationEventsUsage", "ExperimentationKeysUsage",
    "ServiceConnectionsUsage", "ObservabilityErrorsUsage", "ObservabilityLogsUsage",
    "ObservabilitySessionsUsage", "ObservabilityTracesUsage", "EvaluationsUsage", "EventsUsage",
    "StreamUsage", "StreamUsageBySdkVersion", "MauUsage", "MauUsageByCategory", "MauSdksByType",
    "StreamUsageSdkversion", "AiRunsUsage", "ObservabilityMetricsUsage", "VegaAiUsage",
    "WarehouseExportUsage", "DataExportProjectRanking", "SdkVersionsDetails", "SdkAllVersions",
]  # fmt: skip


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m}:{n}" for m, n in PUBLIC])
def test_each_public_name_imports_from_its_promised_path(module: str, name: str | None) -> None:
    imported = importlib.import_module(module)
    if name is not None:
        assert getattr(imported, name).__name__ == name


def test_every_operation_has_its_operator_and_hook_method() -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook
    from airflow_provider_ldusage.operators import usage

    assert sorted(f"LaunchDarkly{o}Operator" for o in OPERATORS) == sorted(e.operator_name for e in ENDPOINTS)
    for entry in ENDPOINTS:
        assert getattr(usage, entry.operator_name).__name__ == entry.operator_name
        assert callable(getattr(LaunchDarklyUsageHook, entry.method_name))


def test_the_entry_points_name_the_provider_info_and_the_pytest_plugin() -> None:
    (provider,) = [
        e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("airflow_pro")
    ]
    assert provider.value == "airflow_provider_ldusage.provider_info:get_provider_info"
    plugins = {e.value for e in entry_points(group="pytest11")}
    assert "airflow_provider_ldusage.testing.pytest_plugin" in plugins
