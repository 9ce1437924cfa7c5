"""``LaunchDarklyUsageBudgetOperator``: forecast each metric's month against its contract limit (issue 14).

Imported at DAG-parse time: it imports only ``airflow.sdk`` and small pure modules; the hook (``requests``)
and the landing code are imported inside :meth:`LaunchDarklyUsageBudgetOperator.execute`.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal

from airflow.sdk import BaseOperator

from airflow_provider_ldusage.budgets.forecast import budget_endpoint, parse_month
from airflow_provider_ldusage.defaults import DEFAULT_CONN_ID
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError
from airflow_provider_ldusage.hooks.params import validate_hook_params

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_ldusage.budgets.forecast import MonthEndForecast
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

__all__ = ["BUDGET_OPERATION", "LaunchDarklyUsageBudgetError", "LaunchDarklyUsageBudgetOperator"]

#: The name landed verdicts are filed under (``<output_path>/<BUDGET_OPERATION>/<hash>/asof_….jsonl``).
BUDGET_OPERATION = "usageBudget"
OnBreach = Literal["fail", "record"]
_UTC = timezone.utc


class LaunchDarklyUsageBudgetError(LaunchDarklyUsageError):
    """A metric's month-end forecast crosses one of its thresholds (the task fails so notifiers fire).

    :param breaches: one line per metric that crossed a threshold.
    :param verdict: the full verdict, as returned in XCom.
    """

    def __init__(self, breaches: Sequence[str], verdict: Mapping[str, Any]) -> None:
        self.breaches = list(breaches)
        self.verdict = dict(verdict)
        super().__init__("LaunchDarkly usage budget: " + "; ".join(self.breaches))

    def __reduce__(self) -> tuple[type, tuple[list[str], dict[str, Any]]]:
        return (type(self), (self.breaches, self.verdict))


def check_limits(limits: object) -> dict[str, float]:
    """Budget metric name -> positive limit; a JSON object string is accepted (a Variable's value).

    :raises LaunchDarklyUsageValidationError: not a mapping, an unknown metric, a limit that is not a
        positive finite number.
    """
    if isinstance(limits, str):
        limits = _parse_text("limits", limits, "a mapping (or JSON object) of metric name -> limit")
    if not isinstance(limits, Mapping) or not limits:
        raise LaunchDarklyUsageValidationError(
            "limits", limits, "a non-empty mapping of metric name -> limit, e.g. {'client_mau': 500000}"
        )
    out: dict[str, float] = {}
    for name, limit in limits.items():
        budget_endpoint(name)  # unknown names raise here
        if (
            isinstance(limit, bool)
            or not isinstance(limit, (int, float))
            or not math.isfinite(limit)
            or limit <= 0
        ):
            raise LaunchDarklyUsageValidationError(f"limits[{name!r}]", limit, "a positive number")
        out[name] = float(limit)
    return out


def _parse_text(parameter: str, text: str, allowed: str) -> object:
    """A rendered template: JSON, or the Python literal Jinja makes of a dict or list."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise LaunchDarklyUsageValidationError(parameter, text, allowed) from None


def check_thresholds(thresholds: object) -> tuple[float, ...]:
    """Shares of the limit, ascending, each in (0, 10]."""
    if isinstance(thresholds, str):
        thresholds = _parse_text("thresholds", thresholds, "a list of shares such as [0.8, 1.0]")
    if not isinstance(thresholds, (list, tuple)) or not thresholds:
        raise LaunchDarklyUsageValidationError(
            "thresholds", thresholds, "a non-empty list such as [0.8, 1.0]"
        )
    out = []
    for value in thresholds:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 10:
            raise LaunchDarklyUsageValidationError(
                "thresholds", thresholds, "shares of the limit in (0, 10], such as [0.8, 1.0]"
            )
        out.append(float(value))
    return tuple(sorted(set(out)))


class LaunchDarklyUsageBudgetOperator(BaseOperator):
    """Forecast where each metric's month ends against its contract limit, and fail or record the verdict.

    For every metric in ``limits`` the operator fetches the month's month-to-date daily series through
    :class:`~airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook` (one request per metric, summed
    over all series into the account total), forecasts the month's end with
    :func:`~airflow_provider_ldusage.budgets.forecast_month_end` (distinct or additive, as the catalogue
    says), and builds a verdict per metric: the value reached so far, the forecast with its 80 % interval,
    the limit, the share of the limit, the day the limit is expected to be crossed and the highest
    threshold the forecast crosses.

    When a forecast crosses a threshold, ``on_breach="fail"`` (the default) fails the task with
    :class:`LaunchDarklyUsageBudgetError`, so Airflow's notifiers (``on_failure_callback``, email, Slack,
    any ``BaseNotifier``) tell people; the verdict is still pushed to XCom (``return_value``) and landed.
    ``on_breach="record"`` only records it. The verdict is announced as an Asset event when the task
    succeeds (Airflow records no events of failed tasks).

    :param limits: metric name -> limit (``{"client_mau": 500_000, "service_connection_minutes":
        2_000_000}``); templated, so a Variable or a param can hold it (a JSON object string is accepted).
        Names: :data:`~airflow_provider_ldusage.budgets.BUDGET_METRICS`.
    :param month: ``YYYY-MM`` (templated); default: the UTC month of the day before the run's logical date,
        so a daily run just after midnight watches the month its last complete day belongs to.
    :param thresholds: shares of the limit that count as crossings; default 80 % and 100 %.
    :param on_breach: ``fail`` (default) or ``record`` (templated).
    :param launchdarkly_conn_id: the ``launchdarkly`` connection (templated).
    :param output_path: when set, the verdict is landed atomically as JSON Lines (one line per metric) at
        ``<output_path>/usageBudget/<hash>/asof_<logical date>.jsonl`` (templated).
    :param asset_alias: name of the ``AssetAlias`` the verdict's Asset event goes through; default
        ``launchdarkly_budget__<dag_id>__<task_id>``.
    :param hook_params: extra keyword arguments for the hook (timeouts, retries).
    """

    template_fields: Sequence[str] = (
        "limits",
        "month",
        "thresholds",
        "on_breach",
        "launchdarkly_conn_id",
        "output_path",
    )
    template_fields_renderers = {"limits": "json"}
    ui_color = "#F5A623"

    def __init__(
        self,
        *,
        limits: Mapping[str, float] | str,
        month: str | None = None,
        thresholds: Sequence[float] | str = (0.8, 1.0),
        on_breach: OnBreach | str = "fail",
        launchdarkly_conn_id: str = DEFAULT_CONN_ID,
        output_path: str | None = None,
        asset_alias: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not _templated(on_breach):
            _check_on_breach(on_breach)
        # Check what is already concrete now; templated values are checked after rendering.
        if not _templated(limits):
            check_limits(limits)
        if not _templated(thresholds):
            check_thresholds(thresholds)
        if month is not None and not _templated(month):
            parse_month(month)
        self.limits = limits
        self.month = month
        self.thresholds = thresholds
        self.on_breach = on_breach
        self.launchdarkly_conn_id = launchdarkly_conn_id
        self.output_path = output_path
        self.hook_params = validate_hook_params(hook_params)
        dag_id = self.dag.dag_id if self.has_dag() else None
        self.asset_alias = asset_alias or "__".join(
            part for part in ("launchdarkly_budget", dag_id, self.task_id) if part
        )
        from airflow.sdk import AssetAlias

        self.add_outlets([AssetAlias(name=self.asset_alias)])

    # --- execution -------------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

        limits = check_limits(self.limits)
        thresholds = check_thresholds(self.thresholds)
        on_breach = _check_on_breach(self.on_breach)
        moment = self._moment(context)
        month = str(self.month).strip() if self.month not in (None, "") else _month_before(moment)
        year, number = parse_month(month)
        start = datetime(year, number, 1, tzinfo=_UTC)
        month_end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=_UTC)
        if start >= moment:
            raise LaunchDarklyUsageValidationError(
                "month", month, f"a month that has begun by the run's time {moment.isoformat()}"
            )
        end = min(month_end, moment)
        hook = LaunchDarklyUsageHook(self.launchdarkly_conn_id, **self.hook_params)
        try:
            verdicts = {
                name: self._verdict(hook, name, limit, month, start, end, thresholds)
                for name, limit in limits.items()
            }
            base_url = hook.settings.base_url
        finally:
            hook.close()
        breaches = [v["message"] for v in verdicts.values() if v["threshold_crossed"] is not None]
        statuses = [v["status"] for v in verdicts.values()]
        overall = next((s for s in ("over", "warning") if s in statuses), "ok")
        verdict: dict[str, Any] = {
            "month": month,
            "as_of": end.isoformat().replace("+00:00", "Z"),
            "status": overall,
            "thresholds": list(thresholds),
            "on_breach": on_breach,
            "metrics": verdicts,
            "breaches": breaches,
            "path": None,
        }
        self.log.info("%s", format_table(verdict))
        if self.output_path:
            verdict["path"], dataset = self._land(verdict, limits, thresholds, moment, base_url)
        else:
            dataset = None
        if breaches and on_breach == "fail":
            # A failed task returns nothing: push the verdict so downstream tasks and people can read it.
            context["ti"].xcom_push(key="return_value", value=verdict)
            raise LaunchDarklyUsageBudgetError(breaches, verdict)
        from airflow.sdk import Asset, AssetAlias

        asset = Asset(uri=dataset) if dataset else Asset(name=f"{self.asset_alias}__{month}")
        context["outlet_events"][AssetAlias(name=self.asset_alias)].add(asset, extra=_event_extra(verdict))
        return verdict

    def _moment(self, context: Context) -> datetime:
        from airflow_provider_ldusage.core.timeconv import to_utc

        dag_run = context.get("dag_run")
        moment = context.get("logical_date") or getattr(dag_run, "run_after", None)
        if moment is None:
            return datetime.now(_UTC)
        return to_utc(moment, "logical_date")

    def _verdict(
        self,
        hook: LaunchDarklyUsageHook,
        name: str,
        limit: float,
        month: str,
        start: datetime,
        end: datetime,
        thresholds: tuple[float, ...],
    ) -> dict[str, Any]:
        from airflow_provider_ldusage.budgets import forecast_month_end

        endpoint, kind = budget_endpoint(name)
        body = getattr(hook, endpoint.method_name)(
            start=start, end=end, aggregation_type="month_to_date", granularity="daily"
        )
        series = month_to_date_totals(body, start)
        if not series:
            raise LaunchDarklyUsageError(
                f"{endpoint.method_name} returned no month-to-date data for {month} up to "
                f"{end.isoformat()}: nothing to forecast {name} from"
            )
        forecast = forecast_month_end(series, month=month, kind=kind)
        return verdict_for(name, endpoint.operation_id, limit, thresholds, forecast)

    def _land(
        self,
        verdict: Mapping[str, Any],
        limits: Mapping[str, float],
        thresholds: tuple[float, ...],
        moment: datetime,
        base_url: str,
    ) -> tuple[str, str]:
        from typing import cast

        from airflow_provider_ldusage.landing.storage import object_name, storage_path, uri_of, write_rows

        arguments = {
            "limits": {k: repr(v) for k, v in limits.items()},
            "thresholds": list(map(repr, thresholds)),
        }
        name = object_name(
            BUDGET_OPERATION,
            None,
            None,
            arguments,
            "jsonl",
            as_of=moment,
            conn_id=self.launchdarkly_conn_id,
            base_url=base_url,
        )
        target = storage_path(self.output_path) / name
        lines = [
            {"month": verdict["month"], "as_of": verdict["as_of"], **metric}
            for metric in verdict["metrics"].values()
        ]
        size = write_rows(cast("Any", _JsonLines(lines)), target, "jsonl")
        self.log.info(
            "Landed the budget verdict (%d metric(s), %d bytes) at %s", len(lines), size, uri_of(target)
        )
        return uri_of(target), uri_of(target.parent)


class _JsonLines:
    """Verdict lines in the shape :func:`~airflow_provider_ldusage.landing.storage.write_rows` writes."""

    def __init__(self, lines: Sequence[Mapping[str, Any]]) -> None:
        self._lines = lines

    def write_jsonl(self, write: Any) -> int:
        size = 0
        for line in self._lines:
            data = (json.dumps(line, sort_keys=True, default=str) + "\n").encode()
            write(data)
            size += len(data)
        return size

    def write_csv(self, write: Any) -> int:  # pragma: no cover - verdicts are landed as JSON Lines only
        raise LaunchDarklyUsageValidationError("output_format", "csv", "'jsonl' for budget verdicts")


def month_to_date_totals(body: Mapping[str, Any], start: datetime) -> dict[date, float]:
    """Account total per UTC day of ``start``'s month from a month-to-date daily series response."""
    out: dict[date, float] = {}
    for point in body.get("series", []):
        when = datetime.fromtimestamp(point["time"] / 1000, _UTC)
        if (when.year, when.month) != (start.year, start.month):
            continue
        out[when.date()] = float(sum(v for k, v in point.items() if k != "time" and v is not None))
    return out


def verdict_for(
    name: str, operation_id: str, limit: float, thresholds: tuple[float, ...], forecast: MonthEndForecast
) -> dict[str, Any]:
    """One metric's verdict (JSON-ready) from its forecast."""
    expected = forecast.expected
    crossed = None
    if expected is not None:
        crossed = max((t for t in thresholds if expected >= t * limit), default=None)
    elif forecast.reached > 0:
        crossed = max((t for t in thresholds if forecast.reached >= t * limit), default=None)
    crossing = forecast.crossing_day(limit)
    threshold_days = {}
    for t in thresholds:
        day = forecast.crossing_day(t * limit)
        threshold_days[f"{t:g}"] = day.isoformat() if day else None
    if crossed is None:
        status = "insufficient_data" if expected is None else "ok"
    else:
        status = "over" if crossed >= 1.0 else "warning"
    shown = expected if expected is not None else forecast.reached
    message = (
        f"{name} forecast {_fmt(shown)} "
        + (f"({_fmt(forecast.low)}-{_fmt(forecast.high)}) " if forecast.high is not None else "")
        + f"vs limit {_fmt(limit)} ({shown / limit:.0%})"
        + (f", crossing {crossed:.0%} of it" if crossed is not None else "")
        + (f"; limit expected to be reached on {crossing.isoformat()}" if crossing else "")
    )
    return {
        "metric": name,
        "operation": operation_id,
        "kind": forecast.kind,
        "limit": limit,
        "actual": forecast.reached,
        "last_day": forecast.last_day.isoformat(),
        "days_observed": forecast.days_observed,
        "expected": expected,
        "low": forecast.low,
        "high": forecast.high,
        "level": forecast.level,
        "method": forecast.method,
        "share_of_limit": expected / limit if expected is not None else None,
        "share_of_limit_so_far": forecast.reached / limit,
        "crossing_day": crossing.isoformat() if crossing else None,
        "threshold_days": threshold_days,
        "threshold_crossed": crossed,
        "status": status,
        "message": message,
        "note": forecast.note,
    }


def format_table(verdict: Mapping[str, Any]) -> str:
    """The verdict as a plain-text table, for logs and the demo."""
    header = ("metric", "so far", "forecast", "80% interval", "limit", "share", "limit day", "status")
    rows = [header]
    for v in verdict["metrics"].values():
        interval = f"{_fmt(v['low'])}-{_fmt(v['high'])}" if v["high"] is not None else "—"
        rows.append(
            (
                v["metric"],
                _fmt(v["actual"]),
                _fmt(v["expected"]) if v["expected"] is not None else "—",
                interval,
                _fmt(v["limit"]),
                f"{v['share_of_limit']:.0%}" if v["share_of_limit"] is not None else "—",
                v["crossing_day"] or "—",
                v["status"],
            )
        )
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    lines = [f"Usage budget for {verdict['month']} as of {verdict['as_of']}:"]
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.2f}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.1f}k"
    return f"{value:,.0f}"


def _event_extra(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """The Asset event's extra: the verdict without the per-metric prose (``metrics`` as JSON text)."""
    from airflow_provider_ldusage.landing.storage import event_extra

    return event_extra(
        {
            "month": verdict["month"],
            "as_of": verdict["as_of"],
            "status": verdict["status"],
            "path": verdict["path"],
            "metrics": {
                name: {
                    k: m[k] for k in ("actual", "expected", "low", "high", "limit", "crossing_day", "status")
                }
                for name, m in verdict["metrics"].items()
            },
        }
    )


def _check_on_breach(value: object) -> OnBreach:
    text = str(value).strip() if isinstance(value, str) else value
    if text == "fail":
        return "fail"
    if text == "record":
        return "record"
    raise LaunchDarklyUsageValidationError("on_breach", value, "'fail' or 'record'")


def _templated(value: object) -> bool:
    return isinstance(value, str) and "{{" in value


def _month_before(moment: datetime) -> str:
    day = (moment - timedelta(days=1)).astimezone(_UTC)
    return f"{day.year:04d}-{day.month:02d}"
