"""Monthly close: wait until last month's usage is final, record its figures, and write a report.

1. ``LaunchDarklyMonthEndSensor`` waits (rescheduled, or deferred before Airflow 3.3, so it holds no worker
   slot) until the month that closed is final by an explicit rule: three days after the month's end, every
   day present, and the figures unchanged across two observations six hours apart, by LaunchDarkly's clock.
2. The final figures of MAU, contexts, service connections, experimentation, observability (sessions,
   errors, logs, traces, metrics), AI runs, Vega AI and warehouse export are fetched for that month and the
   month before (month-to-date, daily), one mapped task instance per month, and landed under
   ``<storage root>/monthly/<operationId>/``; so is the ranking of projects by Streaming (data export)
   transfers in each month, every page of it.
3. Every landed object is loaded into the SQL tables ``launchdarkly_usage`` (series) and
   ``launchdarkly_usage_lists`` (the ranking) of the connection ``ldusage_warehouse``, replacing those months.
4. A report, read from those tables, ``<storage root>/reports/ldusage_<YYYY-MM>.{html,md,svg,json}``: the
   month's figures beside the
   previous month's, and a chart of usage per day per category, month over month (hand-written SVG, no
   plotting library), and a burn-down chart per metric, ``ldusage_<YYYY-MM>_budget.svg``: the month-to-date
   figure day by day against the contract limit (Variable ``ldusage_budget_limits``, as in
   ``ldusage_budget_watch``), with the month-end forecasts that could have been made along the month and
   their 80 % intervals; for each metric with a limit, the groups (project, environment, SDK, application:
   the metric's ``groupBy`` dimensions) that drove its growth against the month before, with the share of
   the increase each explains (in the JSON's ``burn_down`` and the Markdown). The report lists the month's
   top projects by Streaming transfers, and the freshness LaunchDarkly reported for the warehouse-export
   figures (``data_through``, ``delayed``). Every file is written atomically.

Configuration: Airflow Variables ``ldusage_storage_root`` (default ``/tmp/ldusage``),
``ldusage_conn_id`` (default ``launchdarkly_default``) and ``ldusage_warehouse_conn_id`` (any ``common.sql``
connection; default ``ldusage_warehouse``); param ``month`` (``YYYY-MM``) closes a given month
instead of the one before the run.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_ldusage.compat import DAG, HAS_TASK_STATE_STORE, Param, task
from airflow_provider_ldusage.operators.usage import (
    LaunchDarklyAiRunsUsageOperator,
    LaunchDarklyContextsTotalUsageOperator,
    LaunchDarklyDataExportProjectRankingOperator,
    LaunchDarklyExperimentationEventsUsageOperator,
    LaunchDarklyExperimentationKeysUsageOperator,
    LaunchDarklyMauTotalUsageOperator,
    LaunchDarklyObservabilityErrorsUsageOperator,
    LaunchDarklyObservabilityLogsUsageOperator,
    LaunchDarklyObservabilityMetricsUsageOperator,
    LaunchDarklyObservabilitySessionsUsageOperator,
    LaunchDarklyObservabilityTracesUsageOperator,
    LaunchDarklyServiceConnectionsUsageOperator,
    LaunchDarklyVegaAiUsageOperator,
    LaunchDarklyWarehouseExportUsageOperator,
)
from airflow_provider_ldusage.sensors.month_end import LaunchDarklyMonthEndSensor
from airflow_provider_ldusage.transfers.usage_to_sql import LaunchDarklyUsageToSqlOperator

CONN_ID = "{{ var.value.get('ldusage_conn_id', 'launchdarkly_default') }}"
STORAGE_ROOT = "{{ var.value.get('ldusage_storage_root', '/tmp/ldusage') }}"
WAREHOUSE_CONN_ID = "{{ var.value.get('ldusage_warehouse_conn_id', 'ldusage_warehouse') }}"
TABLE, LIST_TABLE = "launchdarkly_usage", "launchdarkly_usage_lists"

# How often the sensor looks. An environment variable (free to read at parse time, unlike Variable.get)
# lets `make demo` and the tests look every second against the emulator, whose clock runs fast.
POKE_SECONDS = float(os.environ.get("LDUSAGE_EXAMPLE_POKE_SECONDS", "3600"))

# task_id, report label, operator: the categories of the report, in display order.
CATEGORIES = (
    ("mau", "MAU", LaunchDarklyMauTotalUsageOperator),
    ("contexts", "Contexts", LaunchDarklyContextsTotalUsageOperator),
    ("service_connections", "Service connection minutes", LaunchDarklyServiceConnectionsUsageOperator),
    ("experimentation_events", "Experimentation events", LaunchDarklyExperimentationEventsUsageOperator),
    ("experimentation_keys", "Experimentation keys", LaunchDarklyExperimentationKeysUsageOperator),
    ("observability_sessions", "Observability sessions", LaunchDarklyObservabilitySessionsUsageOperator),
    ("observability_errors", "Observability errors", LaunchDarklyObservabilityErrorsUsageOperator),
    ("observability_logs", "Observability logs", LaunchDarklyObservabilityLogsUsageOperator),
    ("observability_traces", "Observability traces", LaunchDarklyObservabilityTracesUsageOperator),
    ("observability_metrics", "Observability metrics", LaunchDarklyObservabilityMetricsUsageOperator),
    ("ai_runs", "AI runs", LaunchDarklyAiRunsUsageOperator),
    ("vega_ai", "Vega AI", LaunchDarklyVegaAiUsageOperator),
    ("warehouse_export", "Warehouse export events", LaunchDarklyWarehouseExportUsageOperator),
)
# How many projects of the Streaming ranking the report lists.
TOP_PROJECTS = 10
# Report category -> the budget metric whose limit its burn-down chart draws (budgets.BUDGET_METRICS).
BUDGET_METRIC = {
    "mau": "total_mau",
    "contexts": "total_contexts",
    "service_connections": "service_connection_minutes",
    "experimentation_events": "experimentation_events",
    "experimentation_keys": "experimentation_keys",
    "observability_sessions": "observability_sessions",
    "observability_errors": "observability_errors",
    "observability_logs": "observability_logs",
    "observability_traces": "observability_traces",
    "observability_metrics": "observability_metrics",
    "ai_runs": "ai_runs",
    "vega_ai": "vega_ai",
    "warehouse_export": "warehouse_export_events",
}
LIMITS = "{{ var.json.get('ldusage_budget_limits', {}) | tojson }}"

with DAG(
    dag_id="ldusage_monthly_close",
    description="Wait for last month's LaunchDarkly usage to be final, record it, and report on it",
    schedule="@monthly",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=4,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    params={
        "month": Param(
            "",
            type="string",
            pattern=r"^(\d{4}-\d{2})?$",
            description="YYYY-MM to close; empty = the month that closed before the run",
        ),
    },
    tags=["launchdarkly", "usage", "finance"],
) as dag:
    # [START howto_sensor_month_end]
    month_end = LaunchDarklyMonthEndSensor(
        task_id="wait_for_month_end",
        month="{{ params.month }}",  # empty: the month that closed before the run's logical date
        operation="getMAUTotalUsage",
        launchdarkly_conn_id=CONN_ID,
        settle_period=timedelta(days=3),
        stable_observations=2,
        min_observation_interval=timedelta(hours=6),
        poke_interval=POKE_SECONDS,
        # Both free the worker slot between looks. Reschedule mode keeps the observations in the task state
        # store (Airflow 3.3+); before 3.3 the deferred trigger keeps them (in the triggerer).
        **({"mode": "reschedule"} if HAS_TASK_STATE_STORE else {"deferrable": True}),
        timeout=timedelta(days=14).total_seconds(),
    )
    # [END howto_sensor_month_end]

    @task
    def month_windows(final: dict[str, Any]) -> list[dict[str, str]]:
        """The closed month (judged final by the sensor) and the month before, as explicit bounds."""
        year, month = (int(part) for part in final["month"].split("-"))
        start = datetime(year, month, 1, tzinfo=timezone.utc)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)
        before = datetime(year - (month == 1), (month - 2) % 12 + 1, 1, tzinfo=timezone.utc)
        return [
            {"start": start.isoformat(), "end": end.isoformat()},
            {"start": before.isoformat(), "end": start.isoformat()},
        ]

    windows = month_windows(month_end.output)

    # [START howto_operator_monthly_final_figures]
    # month_to_date, daily: each day's point is the month's running figure; the last is the month's total.
    figures = {
        task_id: operator.partial(
            task_id=task_id,
            launchdarkly_conn_id=CONN_ID,
            aggregation_type="month_to_date",
            granularity="daily",
            output_path=STORAGE_ROOT + "/monthly",
        ).expand_kwargs(windows)
        for task_id, _, operator in CATEGORIES
    }
    # [END howto_operator_monthly_final_figures]

    # [START howto_operator_project_ranking]
    # Every page of the ranking (the hook follows the cursor), one row per project, per month.
    project_ranking = LaunchDarklyDataExportProjectRankingOperator.partial(
        task_id="project_ranking",
        launchdarkly_conn_id=CONN_ID,
        limit=100,  # the largest page: fewest requests
        output_path=STORAGE_ROOT + "/monthly",
    ).expand_kwargs(windows)
    # [END howto_operator_project_ranking]

    # Both months of every category and the rankings, into the tables in one transaction.
    load = LaunchDarklyUsageToSqlOperator(
        task_id="load_to_warehouse",
        sql_conn_id=WAREHOUSE_CONN_ID,
        source=[*(op.output for op in figures.values()), project_ranking.output],
        table=TABLE,
        list_table=LIST_TABLE,
    )

    # [START howto_monthly_report]
    @task
    def report(
        final: dict[str, Any],
        landed: dict[str, Any],
        storage_root: str,
        warehouse_conn_id: str,
        limits: str = "{}",
        ranking: Any = None,
        launchdarkly_conn_id: str = "launchdarkly_default",
        labels: str = "{}",
    ) -> dict[str, Any]:
        """Write the month's report, from the warehouse tables, as HTML (inline SVG chart), Markdown (+ SVG)
        and JSON, atomically."""
        import json

        from airflow_provider_ldusage.compat import BaseHook, ObjectStoragePath

        warehouse = BaseHook.get_connection(warehouse_conn_id).get_hook()  # a common.sql DbApiHook
        categories = []
        for task_id, label, _ in CATEGORIES:
            this_month, previous = landed[task_id][0], landed[task_id][1]  # by map index: month, month before
            categories.append(
                {
                    "key": task_id,
                    "label": label,
                    "endpoint": this_month["endpoint"],
                    "month": _daily_usage(_series_from_table(warehouse, this_month)),
                    "previous": _daily_usage(_series_from_table(warehouse, previous)),
                    "sources": [this_month["path"], previous["path"]],
                }
            )
        data = _report_data(final, categories)
        data["burn_down"] = _burn_down(final["month"], categories, json.loads(limits or "{}"))
        _burn_down_drivers(
            data["burn_down"], final["month"], launchdarkly_conn_id, json.loads(labels or "{}")
        )
        if ranking is not None:  # the closed month's ranking is map index 0
            ranked = _items_from_table(warehouse, ranking[0])
            data["top_projects"] = sorted(ranked, key=lambda r: r["rank"])[:TOP_PROJECTS]
        export = landed["warehouse_export"][0]  # the closed month: how far LaunchDarkly had counted it
        data["warehouse_export_freshness"] = export.get("freshness")
        root = storage_root if "://" in storage_root else f"file://{os.path.abspath(storage_root)}"
        folder = ObjectStoragePath(f"{root}/reports")
        stem = f"ldusage_{final['month']}"
        svg = _svg_chart(data)
        burn_down = _svg_burn_down(data)
        written = {}
        for suffix, body in (
            ("json", json.dumps(data, indent=2)),
            ("svg", svg),
            ("budget.svg", burn_down),
            (
                "md",
                _markdown(data, f"{stem}.svg")
                + _markdown_top_projects(data)
                + f"\n![Burn-down against the limits]({stem}_budget.svg)\n"
                + _markdown_drivers(data),
            ),
            (
                "html",
                _html(data, svg).replace(
                    "</body>",
                    f"<h2>Burn-down against the limits</h2>\n{burn_down}\n{_html_drivers(data)}</body>",
                ),
            ),
        ):
            name = f"{stem}_{suffix}" if suffix == "budget.svg" else f"{stem}.{suffix}"
            _write_atomically(folder / name, body.encode())
            written[suffix] = str(folder / name)
        return {"month": final["month"], "report": written, "totals": data["totals"]}

    written = report(
        month_end.output,
        {key: op.output for key, op in figures.items()},
        storage_root=STORAGE_ROOT,
        warehouse_conn_id=WAREHOUSE_CONN_ID,
        limits=LIMITS,
        ranking=project_ranking.output,
        launchdarkly_conn_id=CONN_ID,
        labels="{{ var.json.get('ldusage_dimension_labels', {}) | tojson }}",
    )
    load >> written
    # [END howto_monthly_report]


# --- the report: plain functions, stdlib only ------------------------------------------------------------


def _series_from_table(warehouse: Any, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows one usage task landed, as loaded: its endpoint, filter set and window."""
    mark = warehouse.placeholder
    records = warehouse.get_records(
        f"SELECT time, value FROM {TABLE} WHERE endpoint = {mark} AND filter_set = {mark} "
        f"AND time >= {mark} AND time < {mark} ORDER BY time",
        parameters=tuple(summary[key] for key in ("endpoint", "filter_set", "window_start", "window_end")),
    )
    # SQLite returns ISO text and ints, PostgreSQL datetimes and Decimals: the day and a number either way.
    return [{"time": str(when).replace(" ", "T")[:10], "value": _numeric(value)} for when, value in records]


def _items_from_table(warehouse: Any, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The list items one task landed (the ranking's projects), in LaunchDarkly's order."""
    import json

    mark = warehouse.placeholder
    records = warehouse.get_records(
        f"SELECT item FROM {LIST_TABLE} WHERE endpoint = {mark} AND filter_set = {mark} "
        f"AND window_start = {mark} ORDER BY position",
        parameters=(summary["endpoint"], summary["filter_set"], summary["window_start"]),
    )
    return [item if isinstance(item, dict) else json.loads(item) for (item,) in records]


def _numeric(value: Any) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else number


def _daily_usage(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Month-to-date rows (every series) -> per-day usage and the month's figure."""
    running: dict[str, float] = {}
    for row in rows:
        running[row["time"][:10]] = running.get(row["time"][:10], 0) + row["value"]
    days = sorted(running)
    per_day, before = [], 0.0
    for day in days:  # month_to_date: a day's usage is its increase over the day before
        per_day.append(_tidy(running[day] - before))
        before = running[day]
    return {
        "days": days,
        "per_day": per_day,
        "month_to_date": [_tidy(running[day]) for day in days],
        "total": _tidy(running[days[-1]]) if days else 0,
    }


def _tidy(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def _report_data(final: dict[str, Any], categories: list[dict[str, Any]]) -> dict[str, Any]:
    totals = {}
    for category in categories:
        now, then = category["month"]["total"], category["previous"]["total"]
        change = round(100.0 * (now - then) / then, 1) if then else None
        totals[category["key"]] = {
            "label": category["label"],
            "month": now,
            "previous": then,
            "change": change,
        }
    year, month = (int(part) for part in final["month"].split("-"))
    previous = f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"
    return {
        "month": final["month"],
        "previous_month": previous,
        "judged_final_at": final.get("judged_final_at"),
        "sensor_total_mau": final.get("total"),
        "totals": totals,
        "categories": categories,
    }


def _number(value: float) -> str:
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:g}"


def _change(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


# The small multiples' layout: the title and its figure on two lines above each plot (a long label and its
# figure side by side would collide), and a left margin wide enough for the y-axis maximum ("999.9M").
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 12, 40, 18


def _svg_chart(data: dict[str, Any]) -> str:
    """Small multiples: per category, this month's daily usage as bars, last month's as a line."""
    from html import escape

    columns, width, height = 3, 330, 160
    rows = -(-len(data["categories"]) // columns)
    total_w, total_h = columns * width, rows * height + 40
    this_colour, last_colour = "#405BFF", "#9AA0A6"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
        f'viewBox="0 0 {total_w} {total_h}" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>LaunchDarkly usage per day, {escape(data['month'])} "
        f"vs {escape(data['previous_month'])}</title>",
        f'<rect x="10" y="12" width="12" height="10" fill="{this_colour}"/>'
        f'<text x="27" y="21">{escape(data["month"])} (bars)</text>',
        f'<line x1="130" y1="17" x2="150" y2="17" stroke="{last_colour}" stroke-width="2"/>'
        f'<text x="155" y="21">{escape(data["previous_month"])} (line), aligned by day of month</text>',
    ]
    for index, category in enumerate(data["categories"]):
        x0 = (index % columns) * width
        y0 = 40 + (index // columns) * height
        now, then = category["month"]["per_day"], category["previous"]["per_day"]
        top = max([*now, *then, 1])
        left = x0 + _LEFT
        plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
        slots = max(len(now), len(then), 1)
        step = plot_w / slots
        total = data["totals"][category["key"]]
        figure = f"{_number(total['month'])} ({_change(total['change'])} vs {escape(data['previous_month'])})"
        base = y0 + _TOP + plot_h
        out.append(
            f'<text x="{x0 + 10}" y="{y0 + 14}" font-weight="600">{escape(category["label"])}</text>'
            f'<text x="{x0 + 10}" y="{y0 + 28}" fill="#444">{figure}</text>'
            f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#ccc"/>'
            f'<text x="{left - 4}" y="{y0 + _TOP + 4}" text-anchor="end" fill="#666">{_number(top)}</text>'
            f'<text x="{left - 4}" y="{base + 4}" text-anchor="end" fill="#666">0</text>'
        )
        for day, value in enumerate(now):
            bar = plot_h * value / top
            out.append(
                f'<rect x="{left + day * step + 0.5:.1f}" y="{base - bar:.1f}" '
                f'width="{max(step - 1, 1):.1f}" height="{bar:.1f}" fill="{this_colour}">'
                f"<title>{escape(category['month']['days'][day])}: {value:g}</title></rect>"
            )
        if then:
            points = " ".join(
                f"{left + (day + 0.5) * step:.1f},{base - plot_h * value / top:.1f}"
                for day, value in enumerate(then)
            )
            out.append(f'<polyline points="{points}" fill="none" stroke="{last_colour}" stroke-width="1.5"/>')
        out.append(
            f'<text x="{left}" y="{base + 13}" fill="#666">1</text>'
            f'<text x="{left + plot_w}" y="{base + 13}" text-anchor="end" fill="#666">{slots}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _burn_down(month: str, categories: list[dict[str, Any]], limits: dict[str, Any]) -> dict[str, Any]:
    """Per category: month-to-date by day, the limit, and the forecast each day of the month would make."""
    from datetime import date

    from airflow_provider_ldusage.budgets import budget_endpoint, forecast_month_end

    out = {}
    for category in categories:
        metric = BUDGET_METRIC[category["key"]]
        _, kind = budget_endpoint(metric)
        days = category["month"]["days"]
        mtd = category["month"]["month_to_date"]
        forecasts = []
        for cut in range(1, len(days)):
            seen = {date.fromisoformat(d): float(v) for d, v in zip(days[:cut], mtd[:cut], strict=True)}
            forecast = forecast_month_end(seen, month=month, kind=kind)
            if forecast.expected is not None:
                forecasts.append(
                    {"day": cut, "expected": forecast.expected, "low": forecast.low, "high": forecast.high}
                )
        limit = limits.get(metric)
        out[category["key"]] = {
            "label": category["label"],
            "metric": metric,
            "kind": kind,
            "limit": limit,
            "month_to_date": mtd,
            "forecasts": forecasts,
        }
    return out


def _burn_down_drivers(
    charts: dict[str, Any], month: str, conn_id: str, labels: dict[str, dict[str, str]]
) -> None:
    """For every metric with a limit: who drove the month's growth against the month before (the
    metric's groupBy dimensions, two requests each), as ``drivers`` of its chart; ``None`` elsewhere."""
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook
    from airflow_provider_ldusage.operators.budget import month_drivers

    wanted = [chart for chart in charts.values() if chart["limit"] is not None]
    for chart in charts.values():
        chart["drivers"] = None
    if not wanted:
        return
    hook = LaunchDarklyUsageHook(conn_id)
    try:
        for chart in wanted:
            chart["drivers"] = month_drivers(hook, chart["metric"], month, labels=labels)
    finally:
        hook.close()


def _drivers(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The burn-down's top contributors: per metric with a limit, its label and one line per contributor."""
    out = []
    for chart in data["burn_down"].values():
        drivers = chart.get("drivers")
        if drivers and drivers["contributors"]:
            lines = [
                f"{c['growth']:+,.0f} ({c['share']:.0%} of the increase): {c['label']}"
                for c in drivers["contributors"]
            ]
            out.append((chart["label"], lines))
    return out


def _markdown_drivers(data: dict[str, Any]) -> str:
    """The burn-down's top contributors, one list per metric with a limit."""
    parts = [
        f"\n**{label}** — what drove the month against the month before:\n\n"
        + "\n".join(f"- {x}" for x in lines)
        for label, lines in _drivers(data)
    ]
    return ("\n## Who drove the growth\n" + "\n".join(parts) + "\n") if parts else ""


def _html_drivers(data: dict[str, Any]) -> str:
    """The same top contributors as an HTML section (empty when no metric has a limit)."""
    from html import escape

    parts = [
        f"<p><strong>{escape(label)}</strong>: what drove the month against the month before</p>\n<ul>\n"
        + "\n".join(f"<li>{escape(x)}</li>" for x in lines)
        + "\n</ul>"
        for label, lines in _drivers(data)
    ]
    return ("<h2>Who drove the growth</h2>\n" + "\n".join(parts) + "\n") if parts else ""


def _svg_burn_down(data: dict[str, Any]) -> str:
    """Small multiples: month-to-date (line) against the limit (dashed), forecasts made along the month."""
    from html import escape

    columns, width, height = 3, 330, 180
    charts = list(data["burn_down"].values())
    rows = -(-len(charts) // columns)
    total_w, total_h = columns * width, rows * height + 40
    line, limit_colour, forecast_colour = "#405BFF", "#D93025", "#F29900"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
        f'viewBox="0 0 {total_w} {total_h}" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>Burn-down against the limits, {escape(data['month'])}</title>",
        f'<line x1="10" y1="17" x2="30" y2="17" stroke="{line}" stroke-width="2"/>'
        '<text x="35" y="21">month to date</text>'
        f'<line x1="130" y1="17" x2="150" y2="17" stroke="{limit_colour}" stroke-dasharray="4 3"/>'
        '<text x="155" y="21">limit</text>'
        f'<circle cx="205" cy="17" r="2.5" fill="{forecast_colour}"/>'
        '<text x="212" y="21">month-end forecast made that day, with its 80 % interval</text>',
    ]
    for index, chart in enumerate(charts):
        x0 = (index % columns) * width
        y0 = 40 + (index // columns) * height
        mtd, forecasts, limit = chart["month_to_date"], chart["forecasts"], chart["limit"]
        top = max([*mtd, *(f["high"] for f in forecasts), float(limit or 0), 1.0]) * 1.05
        left = x0 + _LEFT
        plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
        slots = max(len(mtd), 1)
        base = y0 + _TOP + plot_h

        def x(day: float, left: float = left, slots: int = slots, plot_w: float = plot_w) -> float:
            return left + plot_w * (day - 0.5) / slots

        def y(value: float, base: float = base, top: float = top, plot_h: float = plot_h) -> float:
            return base - plot_h * value / top

        share = f" · {mtd[-1] / limit:.0%} of the limit {_number(limit)}" if limit and mtd else ""
        out.append(
            f'<text x="{x0 + 10}" y="{y0 + 14}" font-weight="600">{escape(chart["label"])}</text>'
            f'<text x="{x0 + 10}" y="{y0 + 28}" fill="#444">'
            f"{_number(mtd[-1] if mtd else 0)} so far{share}</text>"
            f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#ccc"/>'
            f'<text x="{left - 4}" y="{y0 + _TOP + 4}" text-anchor="end" fill="#666">{_number(top)}</text>'
            f'<text x="{left - 4}" y="{base + 4}" text-anchor="end" fill="#666">0</text>'
        )
        if limit:
            out.append(
                f'<line x1="{left}" y1="{y(limit):.1f}" x2="{left + plot_w}" y2="{y(limit):.1f}" '
                f'stroke="{limit_colour}" stroke-dasharray="4 3"><title>limit {limit:g}</title></line>'
            )
        for f in forecasts:
            out.append(
                f'<line x1="{x(f["day"]):.1f}" y1="{y(f["low"]):.1f}" x2="{x(f["day"]):.1f}" '
                f'y2="{y(f["high"]):.1f}" stroke="{forecast_colour}" stroke-opacity="0.5"/>'
                f'<circle cx="{x(f["day"]):.1f}" cy="{y(f["expected"]):.1f}" r="2" fill="{forecast_colour}">'
                f"<title>day {f['day']}: month-end forecast {f['expected']:.0f} "
                f"({f['low']:.0f}-{f['high']:.0f})</title></circle>"
            )
        if mtd:
            points = " ".join(f"{x(day):.1f},{y(value):.1f}" for day, value in enumerate(mtd, start=1))
            out.append(f'<polyline points="{points}" fill="none" stroke="{line}" stroke-width="1.8"/>')
        out.append(
            f'<text x="{left}" y="{base + 13}" fill="#666">1</text>'
            f'<text x="{left + plot_w}" y="{base + 13}" text-anchor="end" fill="#666">{slots}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _table_rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (t["label"], f"{t['month']:,}", f"{t['previous']:,}", _change(t["change"]))
        for t in data["totals"].values()
    ]


def _markdown(data: dict[str, Any], svg_name: str) -> str:
    lines = [
        f"# LaunchDarkly usage, {data['month']}",
        "",
        f"Final as of {data['judged_final_at']} (LaunchDarkly's clock); "
        f"compared with {data['previous_month']}.",
        "",
        f"| Category | {data['month']} | {data['previous_month']} | Change |",
        "|---|---:|---:|---:|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in _table_rows(data)),
        "",
        f"![Usage per day per category, {data['month']} vs {data['previous_month']}]({svg_name})",
        "",
    ]
    return "\n".join(lines)


def _markdown_top_projects(data: dict[str, Any]) -> str:
    top = data.get("top_projects") or []
    if not top:
        return ""
    lines = [
        "",
        f"## Top projects by Streaming transfers, {data['month']}",
        "",
        "| Rank | Project | Transfers |",
        "|---:|---|---:|",
        *(f"| {p['rank']} | {p['projectName']} (`{p['projectKey']}`) | {p['usage']:,} |" for p in top),
        "",
    ]
    return "\n".join(lines)


def _html(data: dict[str, Any], svg: str) -> str:
    from html import escape

    cells = "\n".join(
        f"<tr><td>{escape(a)}</td><td>{b}</td><td>{c}</td><td>{d}</td></tr>"
        for a, b, c, d in _table_rows(data)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LaunchDarkly usage {escape(data["month"])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse}}td,th{{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:right}}
td:first-child,th:first-child{{text-align:left}}</style>
</head><body>
<h1>LaunchDarkly usage, {escape(data["month"])}</h1>
<p>Final as of {escape(str(data["judged_final_at"]))} (LaunchDarkly's clock); compared with
{escape(data["previous_month"])}.</p>
<table><tr><th>Category</th><th>{escape(data["month"])}</th><th>{escape(data["previous_month"])}</th>
<th>Change</th></tr>
{cells}
</table>
<h2>Usage per day</h2>
{svg}
</body></html>
"""


def _write_atomically(target: Any, data: bytes) -> None:
    """Write to a hidden sibling, then move it into place: readers never see a partial object."""
    import uuid

    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        temporary.write_bytes(data)
        temporary.move(target)
    except BaseException:
        if temporary.exists():
            temporary.unlink()
        raise
