"""The version-sensitive basics, on whichever supported Airflow (2.11 to 3.3) is installed (run by
scripts/compat_run.py in a fresh venv per Airflow release, and by the ordinary suite on the newest)."""

from __future__ import annotations

import importlib

import airflow
import pytest

from airflow_provider_ldusage import compat
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError

PUBLIC_MODULES = (
    "airflow_provider_ldusage.hooks.usage",
    "airflow_provider_ldusage.hooks.usage_async",
    "airflow_provider_ldusage.operators.usage",
    "airflow_provider_ldusage.operators.budget",
    "airflow_provider_ldusage.sensors.month_end",
    "airflow_provider_ldusage.triggers.month_end",
    "airflow_provider_ldusage.landing.storage",
    "airflow_provider_ldusage.windows",
)


def test_the_running_airflow_is_a_supported_one() -> None:
    assert (2, 11) <= compat.AIRFLOW_VERSION < (3, 4), airflow.__version__
    assert compat.HAS_TASK_STATE_STORE is (compat.AIRFLOW_VERSION >= (3, 3))
    assert compat.AIRFLOW_2 is (compat.AIRFLOW_VERSION < (3, 0))


@pytest.mark.parametrize("name", sorted(compat.LAZY_NAMES))
def test_every_lazy_name_resolves_on_this_airflow(name: str) -> None:
    assert getattr(compat, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Dataset'"):
        compat.Dataset  # noqa: B018


def test_assets_are_datasets_on_airflow_2() -> None:
    """Airflow 2.11 has Datasets where 3.x has Assets; the operators' outlets and events use either."""
    expected = "Dataset" if compat.AIRFLOW_2 else "Asset"
    assert compat.Asset.__name__ == expected
    assert compat.AssetAlias.__name__ == expected + "Alias"
    assert compat.Asset(uri="s3://bucket/usage").uri == "s3://bucket/usage"


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_module_imports(module: str) -> None:
    importlib.import_module(module)


def test_every_operator_and_the_sensor_can_be_built() -> None:
    from airflow_provider_ldusage.compat import BaseOperator
    from airflow_provider_ldusage.operators import budget, usage
    from airflow_provider_ldusage.sensors.month_end import LaunchDarklyMonthEndSensor

    operators = [
        cls
        for mod in (usage, budget)
        for cls in vars(mod).values()
        if isinstance(cls, type) and issubclass(cls, BaseOperator) and cls.__module__ == mod.__name__
    ]
    assert operators
    sensor = LaunchDarklyMonthEndSensor(task_id="month_end", month="2026-02")
    assert sensor.mode == "reschedule"


def test_the_package_exceptions_are_airflows() -> None:
    from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError

    assert issubclass(LaunchDarklyUsageError, compat.AirflowException)


def test_reschedule_mode_without_a_task_state_store_fails_before_any_request_saying_why() -> None:
    """Airflow < 3.3 gives no ``task_state_store``: reschedule mode with stable_observations > 1 must not
    wait for a verdict that can never come, it fails on its first poke and names the fix."""
    from airflow_provider_ldusage.sensors.finality import MonthWindow
    from airflow_provider_ldusage.sensors.month_end import LaunchDarklyMonthEndSensor

    sensor = LaunchDarklyMonthEndSensor(
        task_id="m", month="2026-02", mode="reschedule", stable_observations=3
    )
    window = MonthWindow.parse("2026-02")
    with pytest.raises(LaunchDarklyUsageValidationError, match="task state store") as raised:
        sensor._load_state({}, window)  # type: ignore[arg-type]
    assert "deferrable=True" in str(raised.value)
