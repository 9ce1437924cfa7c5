"""Month-to-date series behave like real ones.

Distinct counts (MAU, contexts, experimentation keys) flatten within the month; additive metrics follow a
weekly rhythm; the shape differs between categories and months. Everything over HTTP, no mocks.
"""

from __future__ import annotations

import calendar
import itertools
from datetime import date, datetime
from typing import Any

import pytest
from emulator_helpers import UTC, get_json, keys_of, month_bounds, window

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.testing.emulator import Emulator
from airflow_provider_ldusage.testing.emulator.data import SeriesQuery

DISTINCT = [
    "getMAUClientsideUsage",
    "getMAUTotalUsage",
    "getContextsClientsideUsage",
    "getContextsServersideUsage",
    "getContextsTotalUsage",
    "getExperimentationKeysUsage",
]
ADDITIVE = [
    "getServiceConnectionsUsage",
    "getDataExportEventsUsage",
    "getExperimentationEventsUsage",
    "getObservabilityLogsUsage",
    "getObservabilitySessionsUsage",
    "getAiRunsUsage",
]
CLOSED = [(2025, m) for m in range(3, 13)]  # closed and settled at the emulators' NOW (2026-03-10)


def _mtd(emu: Emulator, operation: str, year: int, month: int, *extra: tuple[str, str]) -> dict[str, Any]:
    endpoint = BY_OPERATION[operation]
    start, end = month_bounds(year, month)
    params = [
        *window(endpoint, start, end),
        ("aggregationType", "month_to_date"),
        ("granularity", "daily"),
        *extra,
    ]
    return get_json(emu, operation, params)


def _total(body: dict[str, Any]) -> list[float]:
    keys = keys_of(body)
    return [sum(point[k] for k in keys) for point in body["series"]]


def test_the_catalogue_and_the_emulator_agree_on_which_metrics_are_distinct() -> None:
    from airflow_provider_ldusage.testing.emulator.facts import DISTINCT_METRICS
    from airflow_provider_ldusage.testing.emulator.models import MODELS

    for operation in DISTINCT:
        assert BY_OPERATION[operation].value_kind == "distinct"
        assert MODELS[operation].metric in DISTINCT_METRICS
    for operation in ADDITIVE:
        assert BY_OPERATION[operation].value_kind == "additive"
        assert MODELS[operation].metric not in DISTINCT_METRICS


@pytest.mark.parametrize("operation", DISTINCT)
def test_distinct_counts_flatten_within_the_month(emu: Emulator, operation: str) -> None:
    for year, month in CLOSED:
        values = _total(_mtd(emu, operation, year, month))
        days = calendar.monthrange(year, month)[1]
        assert len(values) == days
        assert values == sorted(values)
        final = values[-1]
        # Most of the month's population has shown up by mid-month ...
        assert values[14] >= 0.6 * final, (year, month, values[14] / final)
        # ... and the daily additions of the last week are a small fraction of the first week's.
        first_week = values[6] / 7
        last_week = (values[-1] - values[-8]) / 7
        assert last_week < 0.25 * first_week, (year, month, last_week / first_week)
        # Still growing: new contexts keep trickling in.
        assert values[-1] > values[-8]


@pytest.mark.parametrize("operation", ADDITIVE)
def test_additive_usage_follows_a_weekly_rhythm(emu: Emulator, operation: str) -> None:
    for year, month in CLOSED[:4]:
        values = _total(_mtd(emu, operation, year, month))
        added = [values[0]] + [b - a for a, b in itertools.pairwise(values)]
        weekend = [v for d, v in enumerate(added, 1) if date(year, month, d).weekday() >= 5]
        weekday = [v for d, v in enumerate(added, 1) if date(year, month, d).weekday() < 5]
        ratio = (sum(weekend) / len(weekend)) / (sum(weekday) / len(weekday))
        assert 0.35 < ratio < 0.92, (operation, year, month, ratio)
        # Roughly linear: the 15th carries about half of the month, unlike a distinct count.
        assert 0.4 < values[14] / values[-1] < 0.6


def test_the_distinct_shape_differs_between_months_and_categories(emu: Emulator) -> None:
    day5 = []
    for year, month in CLOSED:
        values = _total(_mtd(emu, "getMAUClientsideUsage", year, month))
        day5.append(values[4] / values[-1])
    assert max(day5) - min(day5) > 0.1, day5
    # Browser and mobile SDKs (client side) against backend SDKs (server side): different curves.
    body = _mtd(emu, "getMAUTotalUsage", 2025, 6, ("groupBy", "sdkName"))
    categories = {sdk.name: sdk.category for sdk in emu.data.account.sdks}
    shares: dict[str, list[float]] = {}
    for g, meta in enumerate(body["metadata"]):
        series = [p[str(g)] for p in body["series"]]
        if series[-1] > 0:
            shares.setdefault(categories[meta["sdkName"]], []).append(series[4] / series[-1])
    means = {cat: sum(v) / len(v) for cat, v in shares.items()}
    assert len(means) >= 2
    assert max(means.values()) - min(means.values()) > 0.03, means


def test_monthly_is_the_months_population_and_cells_add_up(emu: Emulator) -> None:
    """monthly == last month_to_date == the sum of the cells' monthly populations."""
    data = emu.data
    operation = "getMAUClientsideUsage"
    start, end = month_bounds(2025, 9)
    endpoint = BY_OPERATION[operation]
    monthly = get_json(
        emu,
        operation,
        [*window(endpoint, start, end), ("aggregationType", "month_to_date"), ("granularity", "monthly")],
    )
    daily = _total(_mtd(emu, operation, 2025, 9))
    metric, cells = data.cells(SeriesQuery(operation, start, end))
    population = sum(data.facts.monthly_population(metric, cell, 2025, 9) for cell in cells)
    assert _total(monthly) == [daily[-1]] == [population]
    # The population is a distinct count: far below the sum of a month of daily actives would be.
    assert population > 0
    by_sdk = _mtd(emu, operation, 2025, 9, ("groupBy", "sdkName"))
    assert _total(by_sdk) == daily


def test_distinct_month_to_date_restarts_on_the_first(emu: Emulator) -> None:
    endpoint = BY_OPERATION["getContextsTotalUsage"]
    start, end = datetime(2025, 10, 20, tzinfo=UTC), datetime(2025, 11, 10, tzinfo=UTC)
    params = [*window(endpoint, start, end), ("aggregationType", "month_to_date"), ("granularity", "daily")]
    values = _total(get_json(emu, "getContextsTotalUsage", params))
    october, november = values[:12], values[12:]
    assert october == sorted(october) and november == sorted(november)
    assert november[0] < 0.5 * october[-1]
