"""``LaunchDarklyUsageBudgetOperator``: forecast each metric's month against its contract limit.

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

from airflow_provider_ldusage.budgets.forecast import budget_endpoint, parse_month
from airflow_provider_ldusage.compat import BaseOperator
from airflow_provider_ldusage.defaults import DEFAULT_CONN_ID
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError
from airflow_provider_ldusage.hooks.params import validate_hook_params

if TYPE_CHECKING:
    from airflow_provider_ldusage.budgets.attribution import Attribution
    from airflow_provider_ldusage.budgets.forecast import MonthEndForecast
    from airflow_provider_ldusage.budgets.spikes import Spike
    from airflow_provider_ldusage.catalogue import Endpoint
    from airflow_provider_ldusage.compat import Context
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

__all__ = ["BUDGET_OPERATION", "LaunchDarklyUsageBudgetError", "LaunchDarklyUsageBudgetOperator"]

#: The name landed verdicts are filed under (``<output_path>/<BUDGET_OPERATION>/<hash>/asof_….jsonl``).
BUDGET_OPERATION = "usageBudget"
OnBreach = Literal["fail", "record"]
Labels = dict[str, dict[str, str]]
Grouped = dict[date, list[tuple[dict[str, str], float]]]
_UTC = timezone.utc
# Alerts name a group after the first only when it explains at least this share of the increase.
_MIN_SHARE = 0.05


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


def check_labels(labels: object) -> Labels:
    """Dimension -> value -> what an alert shows for it (``{"projectId": {"65f0…": "web"}}``); a JSON
    object string is accepted.

    :raises LaunchDarklyUsageValidationError: not a mapping of names to mappings of text.
    """
    if labels is None or labels == "":
        return {}
    if isinstance(labels, str):
        labels = _parse_text("labels", labels, "a mapping (or JSON object) of dimension -> value -> label")
    allowed = "a mapping of dimension -> value -> label, e.g. {'projectId': {'65f0c1e2…': 'web'}}"
    if not isinstance(labels, Mapping):
        raise LaunchDarklyUsageValidationError("labels", labels, allowed)
    out: Labels = {}
    for dimension, values in labels.items():
        if not isinstance(dimension, str) or not isinstance(values, Mapping):
            raise LaunchDarklyUsageValidationError(f"labels[{dimension!r}]", values, allowed)
        out[dimension] = {str(k): str(v) for k, v in values.items()}
    return out


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

    When a forecast crosses a threshold, the operator also asks LaunchDarkly for the metric split by every
    dimension the endpoint can group by (the catalogue's ``groupBy`` values: project, environment, SDK,
    application...), compares each group's month so far with the same days of the previous month and
    names the groups that drive the growth, with the share of the increase each explains
    (:func:`~airflow_provider_ldusage.budgets.attribution.rank_growth`), in the alert, the verdict, the
    landed lines and the Asset event. With ``detect_spikes``, the last day of every metric is also checked
    against the range the days before it predict
    (:func:`~airflow_provider_ldusage.budgets.spikes.detect_spike`); a spike is an alert with the same
    breakdown, whether or not a limit is near.

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
    :param detect_spikes: also check each metric's last day for a spike (an alert like a crossing).
    :param attribution: break a crossing (or a spike) down by the metric's ``groupBy`` dimensions (one or
        two more requests for that metric); default true.
    :param top_contributors: how many groups an alert names.
    :param labels: dimension -> value -> what alerts show instead (LaunchDarkly groups by project and
        environment *ids*: ``{"projectId": {"65f0…": "web"}, "environmentId": {...}}``); templated, a JSON
        object string is accepted.
    :param hook_params: extra keyword arguments for the hook (timeouts, retries).
    """

    template_fields: Sequence[str] = (
        "limits",
        "month",
        "thresholds",
        "on_breach",
        "launchdarkly_conn_id",
        "output_path",
        "labels",
    )
    template_fields_renderers = {"limits": "json", "labels": "json"}
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
        detect_spikes: bool = False,
        attribution: bool = True,
        top_contributors: int = 3,
        labels: Mapping[str, Mapping[str, str]] | str | None = None,
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
        if not _templated(labels):
            check_labels(labels)
        if (
            isinstance(top_contributors, bool)
            or not isinstance(top_contributors, int)
            or top_contributors < 1
        ):
            raise LaunchDarklyUsageValidationError("top_contributors", top_contributors, "an integer >= 1")
        self.detect_spikes = bool(detect_spikes)
        self.attribution = bool(attribution)
        self.top_contributors = top_contributors
        self.labels = labels
        self.limits = limits
        self.month = month
        self.thresholds = thresholds
        self.on_breach = on_breach
        self.launchdarkly_conn_id = launchdarkly_conn_id
        self.output_path = output_path
        self.output_path_template = output_path  # as written: see landing.storage.check_inside_template
        self.hook_params = validate_hook_params(hook_params)
        dag_id = self.dag.dag_id if self.has_dag() else None
        self.asset_alias = asset_alias or "__".join(
            part for part in ("launchdarkly_budget", dag_id, self.task_id) if part
        )
        from airflow_provider_ldusage.compat import AssetAlias

        self.add_outlets([AssetAlias(name=self.asset_alias)])

    # --- execution -------------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

        limits = check_limits(self.limits)
        thresholds = check_thresholds(self.thresholds)
        on_breach = _check_on_breach(self.on_breach)
        labels = check_labels(self.labels)
        if self.output_path:
            from airflow_provider_ldusage.landing.storage import check_inside_template

            check_inside_template(self.output_path, self.output_path_template)
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
                name: self._verdict(hook, name, limit, month, start, end, thresholds, labels)
                for name, limit in limits.items()
            }
            base_url = hook.settings.base_url
        finally:
            hook.close()
        breaches = [v["message"] for v in verdicts.values() if v["threshold_crossed"] is not None]
        spikes = [v["spike"]["message"] for v in verdicts.values() if v["spike"] is not None]
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
            "spikes": spikes,
            "path": None,
        }
        self.log.info("%s", format_table(verdict))
        for line in breaches + spikes:
            self.log.warning("%s", line)
        if self.output_path:
            verdict["path"], dataset = self._land(verdict, limits, thresholds, moment, base_url)
        else:
            dataset = None
        if (breaches or spikes) and on_breach == "fail":
            # A failed task returns nothing: push the verdict so downstream tasks and people can read it.
            context["ti"].xcom_push(key="return_value", value=verdict)
            raise LaunchDarklyUsageBudgetError(breaches + spikes, verdict)
        from airflow_provider_ldusage.compat import report_asset_event

        name = None if dataset else f"{self.asset_alias}__{month}"
        report_asset_event(context, self.asset_alias, _event_extra(verdict), uri=dataset, name=name)
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
        labels: Labels,
    ) -> dict[str, Any]:
        from airflow_provider_ldusage.budgets import forecast_month_end
        from airflow_provider_ldusage.budgets.spikes import detect_spike

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
        spike = detect_spike(series, month=month, kind=kind) if self.detect_spikes else None
        verdict = verdict_for(name, endpoint.operation_id, limit, thresholds, forecast, spike=spike)
        dimensions = group_dimensions(endpoint)
        if not self.attribution or not dimensions:
            return verdict
        crossed = verdict["threshold_crossed"] is not None
        if not crossed and spike is None:
            return verdict
        current = fetch_groups(hook, endpoint, start, end, dimensions)
        if crossed:
            previous = fetch_groups(hook, endpoint, *previous_period(start, end), dimensions)
            drivers = growth_drivers(current, previous, forecast.last_day, self.top_contributors)
            if drivers is not None:
                verdict["drivers"] = drivers.as_dict(labels)
                verdict["message"] += "; driven by " + drivers.describe(labels, _fmt)
        if spike is not None:
            drivers = spike_drivers(current, spike, self.top_contributors)
            if drivers is not None:
                verdict["spike"]["drivers"] = drivers.as_dict(labels)
                verdict["spike"]["message"] += "; " + drivers.describe(labels, _fmt)
        return verdict

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


def group_dimensions(endpoint: Endpoint) -> tuple[str, ...]:
    """The ``groupBy`` values an endpoint offers (the catalogue's), less those that need other parameters
    (``groupBy=projectId`` on data-export events needs explicit project keys)."""
    param = endpoint.query_param("group_by")
    if param is None or not param.allowed:
        return ()
    needy = {rule.value for rule in endpoint.rules if rule.param == "group_by"}
    return tuple(value for value in param.allowed if value not in needy)


def fetch_groups(
    hook: LaunchDarklyUsageHook, endpoint: Endpoint, start: datetime, end: datetime, dimensions: Sequence[str]
) -> Grouped:
    """One request: the month-to-date daily series of ``start``..``end`` split by ``dimensions``."""
    body = getattr(hook, endpoint.method_name)(
        start=start, end=end, aggregation_type="month_to_date", granularity="daily", group_by=list(dimensions)
    )
    return month_to_date_groups(body, start)


def month_drivers(
    hook: LaunchDarklyUsageHook,
    metric: str,
    month: str,
    *,
    top: int = 3,
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any] | None:
    """Who drove a month's growth against the previous month (two requests), for reports: the
    :meth:`~airflow_provider_ldusage.budgets.attribution.Attribution.as_dict` of the ranking, or ``None``
    where the metric offers no ``groupBy`` or there is no data.

    :param hook: the hook to ask with.
    :param metric: a budget metric name.
    :param month: ``YYYY-MM``.
    :param top: how many groups to keep.
    :param labels: dimension -> value -> label, as for the operator's ``labels``.
    """
    endpoint, _ = budget_endpoint(metric)
    dimensions = group_dimensions(endpoint)
    if not dimensions:
        return None
    year, number = parse_month(month)
    start = datetime(year, number, 1, tzinfo=_UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=_UTC)
    current = fetch_groups(hook, endpoint, start, end, dimensions)
    if not current:
        return None
    previous = fetch_groups(hook, endpoint, *previous_period(start, end), dimensions)
    drivers = growth_drivers(current, previous, max(current), top)
    return drivers.as_dict(check_labels(labels)) if drivers is not None else None


def previous_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The same days of the previous month: its 1st up to as many days as ``start``..``end`` spans (at
    most the whole month)."""
    first = datetime(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1, tzinfo=_UTC)
    return first, min(start, first + (end - start))


def month_to_date_groups(body: Mapping[str, Any], start: datetime) -> Grouped:
    """Per UTC day of ``start``'s month: (group, month-to-date value) of every series of a grouped
    response (the group is the series' metadata, values as text)."""
    metadata = body.get("metadata", [])
    out: Grouped = {}
    for point in body.get("series", []):
        when = datetime.fromtimestamp(point["time"] / 1000, _UTC)
        if (when.year, when.month) != (start.year, start.month):
            continue
        out[when.date()] = [
            ({str(k): str(v) for k, v in metadata[int(i)].items()}, float(v))
            for i, v in point.items()
            if i != "time" and v is not None and int(i) < len(metadata)
        ]
    return out


def growth_drivers(current: Grouped, previous: Grouped, last_day: date, top: int) -> Attribution | None:
    """Groups ranked by growth of the month so far against the same days of the previous month."""
    from airflow_provider_ldusage.budgets.attribution import rank_growth

    if last_day not in current or not previous:
        return None
    day = max((d for d in previous if d.day <= last_day.day), default=None)
    if day is None:
        return None
    period = (
        f"{last_day.replace(day=1).isoformat()}..{last_day.isoformat()} against "
        f"{day.replace(day=1).isoformat()}..{day.isoformat()}"
    )
    return rank_growth(current[last_day], previous[day], top=top, min_share=_MIN_SHARE, period=period)


def spike_drivers(current: Grouped, spike: Spike, top: int) -> Attribution | None:
    """Groups ranked by how far the spike day's increment exceeds what each group's share of the week
    before would have added (the shares of the prediction the spike is measured against)."""
    from airflow_provider_ldusage.budgets.attribution import rank_growth

    days = sorted(d for d in current if d < spike.day)
    if spike.day not in current or not days:
        return None

    def values(day: date | None) -> dict[tuple[tuple[str, str], ...], float]:
        if day is None:
            return {}
        return {tuple(sorted(g.items())): v for g, v in current[day]}

    today, yesterday = values(spike.day), values(days[-1])
    week_ago = values(days[-8]) if len(days) >= 8 else {}
    week = {k: yesterday.get(k, 0.0) - week_ago.get(k, 0.0) for k in set(yesterday) | set(week_ago)}
    total = sum(v for v in week.values() if v > 0)
    added = [(dict(k), today.get(k, 0.0) - yesterday.get(k, 0.0)) for k in set(today) | set(yesterday)]
    baseline = [
        (dict(k), spike.expected * max(0.0, v) / total if total > 0 else 0.0) for k, v in week.items()
    ]
    period = f"{spike.day.isoformat()} against its prediction"
    return rank_growth(added, baseline, top=top, min_share=_MIN_SHARE, period=period)


def verdict_for(
    name: str,
    operation_id: str,
    limit: float,
    thresholds: tuple[float, ...],
    forecast: MonthEndForecast,
    spike: Spike | None = None,
) -> dict[str, Any]:
    """One metric's verdict (JSON-ready) from its forecast (and the spike of its last day, if any)."""
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
        "drivers": None,
        "spike": None if spike is None else {**spike.as_dict(), "message": _spike_message(name, spike)},
    }


def _spike_message(name: str, spike: Spike) -> str:
    return (
        f"{name} spike on {spike.day.isoformat()}: +{_fmt(spike.increment)} in the day against "
        f"{_fmt(spike.expected)} expected (at most {_fmt(spike.high)})"
    )


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
            # Who drives each crossing and spike: label, growth and share of the increase.
            "drivers": {
                name: _top(m["drivers"]) for name, m in verdict["metrics"].items() if m["drivers"] is not None
            },
            "spikes": {
                name: {"day": m["spike"]["day"], "excess": m["spike"]["excess"], **_spike_top(m["spike"])}
                for name, m in verdict["metrics"].items()
                if m["spike"] is not None
            },
        }
    )


def _top(drivers: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{k: c[k] for k in ("label", "growth", "share")} for c in drivers["contributors"]]


def _spike_top(spike: Mapping[str, Any]) -> dict[str, Any]:
    return {"drivers": _top(spike["drivers"])} if spike.get("drivers") else {}


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
