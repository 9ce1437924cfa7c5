"""Usage budgets: the pure month-end forecaster (:mod:`.forecast`).

The public names are importable from here:
``from airflow_provider_ldusage.budgets import forecast_month_end``.
"""

from __future__ import annotations

from airflow_provider_ldusage.budgets.forecast import (
    BUDGET_METRICS,
    INTERVAL_LEVEL,
    MIN_DAYS,
    MonthEndForecast,
    ValueKind,
    budget_endpoint,
    forecast_month_end,
    naive_pace,
)

__all__ = [
    "BUDGET_METRICS",
    "INTERVAL_LEVEL",
    "MIN_DAYS",
    "MonthEndForecast",
    "ValueKind",
    "budget_endpoint",
    "forecast_month_end",
    "naive_pace",
]
