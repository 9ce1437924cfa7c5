"""``LaunchDarklyMonthEndSensor``: wait until a closed month's usage figures are final, then hand them on.

This module is imported at DAG-parse time, so it imports neither the hooks (requests) nor the trigger
(httpx); both are imported inside the methods that use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.compat import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)
from airflow_provider_ldusage.defaults import DEFAULT_CONN_ID, SETTLE_PERIOD
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError, LaunchDarklyUsageValidationError
from airflow_provider_ldusage.hooks.params import check_json_safe, validate_hook_params
from airflow_provider_ldusage.sensors.finality import (
    FinalityRule,
    FinalityState,
    MonthWindow,
    Verdict,
    assess,
    is_cumulative,
    month_arguments,
)

if TYPE_CHECKING:
    from airflow_provider_ldusage.compat import Context

#: The task-state-store key under which the sensor keeps its observations between executions.
STATE_KEY = "ldusage_month_end"
_EVENT_STATUSES = ("success", "timeout", "error")
_RESULT_KEYS = ("month", "operation", "final", "judged_final_at", "observations", "days", "series", "total")
# Airflow's own deferral timeout is only a backstop: the trigger's deadline fires first, with a reason.
_DEFER_GRACE = timedelta(minutes=5)


class LaunchDarklyMonthEndSensor(BaseSensorOperator):
    """Wait until a closed month's usage is final by an explicit rule, then push its figures to XCom.

    LaunchDarkly publishes no finality rule for usage data, so this sensor applies one
    (:mod:`airflow_provider_ldusage.sensors.finality`): the month is final once the settle period after its
    end has passed, every UTC day of the month has a bucket, and the month's whole daily series has been
    identical across ``stable_observations`` observations at least ``min_observation_interval`` apart.

    "Now" for the rule is LaunchDarkly's clock (the ``Date`` header of its answer), and the worker's clock
    only when that header is absent: a worker whose clock runs ahead can then not declare a month final
    early, and a test server with a virtual clock (the bundled emulator) drives the rule end to end.

    The observations survive whichever mode runs the sensor: in ``poke`` mode they live in memory; in
    ``reschedule`` mode each poke is a fresh task execution, so they are kept in Airflow's task state store
    (``context["task_state_store"]``, Airflow 3.3+: metadata-DB rows scoped to this task instance, kept
    across reschedules and retries, on any executor); in deferrable mode the trigger holds them.

    :param month: the month to judge (templated): ``"YYYY-MM"``, or a date, aware datetime or ISO string
        inside it. Default: the month that closed before the run's logical date (``run_after`` when the run
        has no logical date) on the DAG's calendar — the month ``window="previous_month"`` reads. The month
        is always judged on UTC days (LaunchDarkly's buckets); an instant is placed on the DAG's calendar
        first, so a ``@monthly`` DAG in Asia/Tokyo running for March 1st judges ``"2026-02"``.
    :param operation: the series endpoint to judge by, as operation id or hook method name (default total
        MAU, ``getMAUTotalUsage``).
    :param filters: that operation's filter (and path) arguments, e.g. ``{"project_key": "web"}``
        (templated); the window, aggregation, granularity and ``tz`` are set by the sensor.
    :param settle_period: not final before the month's end plus this (default 3 days).
    :param require_all_days: every UTC day of the month must be present as a daily bucket.
    :param stable_observations: identical consecutive observations needed (default 2).
    :param min_observation_interval: the least time between counted observations (default 6 hours).
    :param launchdarkly_conn_id: the ``launchdarkly`` connection.
    :param deferrable: hand the waiting to the triggerer after a first synchronous check.
    :param poll_interval: time between observations in every mode (seconds or timedelta); sets
        ``poke_interval``. Default 1 hour.
    :param hook_params: extra keyword arguments for the hooks (``read_timeout``, ``max_retries``, ...).
    :param kwargs: :class:`~airflow.sdk.BaseSensorOperator` arguments (``timeout``, ``soft_fail``, ``mode``
        — default ``"reschedule"``, as the sensor usually waits for days).
    """

    template_fields: Sequence[str] = ("month", "filters", "launchdarkly_conn_id")
    ui_color = "#405BFF"

    def __init__(
        self,
        *,
        month: str | date | datetime | None = None,
        operation: str = "getMAUTotalUsage",
        filters: Mapping[str, Any] | None = None,
        settle_period: timedelta = SETTLE_PERIOD,
        require_all_days: bool = True,
        stable_observations: int = 2,
        min_observation_interval: timedelta = timedelta(hours=6),
        launchdarkly_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: timedelta | float | None = None,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("mode", "reschedule")
        if poll_interval is not None:
            kwargs["poke_interval"] = poll_interval
        kwargs.setdefault("poke_interval", 3600)
        super().__init__(**kwargs)
        found = endpoint(operation)
        if not found.is_series or not found.has_window:
            raise LaunchDarklyUsageValidationError(
                "operation", operation, "a series endpoint that takes a time window (not a list endpoint)"
            )
        self.operation = found.operation_id
        self.month = month
        self.filters = dict(filters) if filters is not None else None
        self.rule = FinalityRule(
            settle_period, require_all_days, stable_observations, min_observation_interval
        )
        self.launchdarkly_conn_id = launchdarkly_conn_id
        self.deferrable = deferrable
        self.hook_params = validate_hook_params(hook_params)
        if deferrable:
            check_json_safe(self.hook_params)
        # Poke mode keeps the run of observations here; reschedule mode reloads it from the task state store.
        self._state: FinalityState | None = None
        self._last_verdict: Verdict | None = None

    # --- the parts every mode shares -------------------------------------------------------------------

    def resolve_month(self, context: Context) -> MonthWindow:
        """The month to judge: the rendered ``month``, else the month closed before the run's date.

        Instants are placed on the DAG's calendar (``dag.timezone``, UTC when unknown) and the UTC month with
        that label is judged (see :mod:`airflow_provider_ldusage.sensors.finality`).
        """
        timezone_ = getattr(context.get("dag"), "timezone", None)
        if self.month not in (None, ""):
            return MonthWindow.parse(self.month, timezone_)
        anchor = context.get("logical_date")
        if anchor is None:
            dag_run = context.get("dag_run")
            anchor = getattr(dag_run, "run_after", None)
        if anchor is None:
            raise LaunchDarklyUsageValidationError(
                "month", None, "a month: this run has neither a logical date nor run_after to derive it from"
            )
        return MonthWindow.closed_before(anchor, timezone_)

    def _arguments(self, window: MonthWindow) -> dict[str, Any]:
        from airflow_provider_ldusage.core.request import build_request

        arguments = month_arguments(endpoint(self.operation), window, self.filters)
        build_request(endpoint(self.operation), arguments)  # validates every argument before any request
        return arguments

    def _subject(self, window: MonthWindow) -> dict[str, Any]:
        """What the stored observations are about; stored state about anything else is discarded."""
        return {"month": window.label, "operation": self.operation, "filters": self.filters or {}}

    def _load_state(self, context: Context, window: MonthWindow) -> FinalityState:
        if self._state is not None:
            return self._state
        store = context.get("task_state_store")
        if store is None:
            if self.reschedule and not self.deferrable and self.rule.stable_observations > 1:
                # Waiting days for a verdict that can never come would be a quiet misuse: fail now.
                raise LaunchDarklyUsageValidationError(
                    "mode",
                    self.mode,
                    "mode='poke' or deferrable=True on this Airflow: it has no task state store "
                    "(Airflow < 3.3), so reschedule pokes forget earlier observations and "
                    f"stable_observations={self.rule.stable_observations} could never be met",
                )
            return FinalityState()
        stored = store.get(STATE_KEY)
        if not isinstance(stored, dict) or stored.get("subject") != _json(self._subject(window)):
            return FinalityState()
        saved = stored.get("state")
        try:
            return FinalityState.from_json(saved if isinstance(saved, dict) else None)
        except ValueError as exc:
            self.log.warning("Ignoring unreadable stored month-end state: %s", exc)
            return FinalityState()

    def _save_state(
        self, context: Context, window: MonthWindow, state: FinalityState, verdict: Verdict
    ) -> None:
        self._state = state
        self._last_verdict = verdict
        store = context.get("task_state_store")
        if store is not None:
            # Kept after success on purpose (Airflow's default): it shows what the judgement rested on.
            store.set(
                STATE_KEY,
                {
                    "subject": _json(self._subject(window)),
                    "state": state.to_json(),
                    "last_verdict": verdict.to_json(),
                },
            )

    def observe(self, context: Context) -> tuple[Verdict, dict[str, Any] | None, FinalityState]:
        """Take one observation and judge it; returns the verdict, the result when final, and the state."""
        from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

        window = self.resolve_month(context)
        arguments = self._arguments(window)
        state = self._load_state(context, window)
        hook = LaunchDarklyUsageHook(self.launchdarkly_conn_id, **self.hook_params)
        try:
            body = hook.call(self.operation, **arguments)
        finally:
            hook.close()
        at = hook.last_server_time
        if at is None:
            self.log.warning("LaunchDarkly sent no Date header; judging by the worker's clock")
            at = datetime.now(timezone.utc)
        verdict, state, result = assess(
            rule=self.rule,
            window=window,
            state=state,
            body=body,
            at=at,
            operation=self.operation,
            filters=self.filters,
            cumulative=is_cumulative(endpoint(self.operation), arguments),
        )
        self._save_state(context, window, state, verdict)
        self.log.info(
            "%s %s as of %s (LaunchDarkly's clock): %s",
            self.operation,
            window.label,
            at.isoformat(),
            verdict.reason,
        )
        return verdict, result, state

    # --- poke and reschedule ---------------------------------------------------------------------------

    def poke(self, context: Context) -> PokeReturnValue:
        verdict, result, _ = self.observe(context)
        return PokeReturnValue(is_done=verdict.done, xcom_value=result)

    def execute(self, context: Context) -> Any:
        if self.deferrable:
            return self._execute_deferrable(context)
        # Why soft_fail is held here rather than left to the base class: BaseSensorOperator.execute builds
        # its timeout exception inside its own loop with a fixed message and offers no public way to add
        # context (checked against the task SDK of Airflow 3.1.1-3.3.2, airflow/sdk/bases/sensor.py). To say
        # what was still missing or moving in the skip too, the loop runs with soft_fail off and the skip is
        # raised here, exactly as the base class would, plus the reason.
        soft_fail, self.soft_fail = self.soft_fail, False
        try:
            return super().execute(context)
        except AirflowSensorTimeout as exc:
            message = self._timeout_message(str(exc))
            if soft_fail:
                raise AirflowSkipException(message) from exc
            raise AirflowSensorTimeout(message) from exc
        except (AirflowTaskTimeout, AirflowFailException) as exc:
            if soft_fail:
                raise AirflowSkipException("Skipping due to soft_fail is set to True.") from exc
            raise
        finally:
            self.soft_fail = soft_fail

    def _timeout_message(self, base: str) -> str:
        reason = self._last_verdict.reason if self._last_verdict else "no observation was made"
        month = self.month if self.month not in (None, "") else "the closed month"
        return f"{base} {self.operation} for {month} is not final yet: {reason}"

    # --- deferrable ------------------------------------------------------------------------------------

    def _execute_deferrable(self, context: Context) -> Any:
        verdict, result, state = self.observe(context)
        if verdict.done:
            return result
        from airflow_provider_ldusage.triggers.month_end import LaunchDarklyMonthEndTrigger

        window = self.resolve_month(context)
        deadline = datetime.now(timezone.utc).timestamp() + self.timeout
        self.defer(
            trigger=LaunchDarklyMonthEndTrigger(
                month=window.label,
                operation=self.operation,
                filters=self.filters,
                rule=self.rule.to_json(),
                poll_interval=self.poke_interval,
                end_time=deadline,
                launchdarkly_conn_id=self.launchdarkly_conn_id,
                state=state.to_json(),
                hook_params=self.hook_params,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout) + _DEFER_GRACE,
        )

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """Resume after the trigger, keeping the reason when ``soft_fail``/``never_fail`` turn it into a skip.

        Overridden because there is no public alternative (checked against the task SDK of Airflow 3.1.1 to
        3.3.2): the replacement happens inside ``BaseSensorOperator.resume_execution`` itself.

        :class:`~airflow.sdk.BaseSensorOperator` replaces any exception raised on resumption under
        ``soft_fail`` (or ``never_fail``) by a skip with a generic message ("Skipping due to soft_fail is set
        to True."), which would drop what was still missing or still moving. The skip that
        :meth:`execute_complete` raises for a timeout event already says so and is kept as it is; any other
        replaced exception's message is appended to the generic one.
        """
        try:
            return super().resume_execution(next_method, next_kwargs, context)
        except AirflowSkipException as exc:
            cause = exc.__cause__
            if isinstance(cause, AirflowSkipException):
                raise cause from None
            if cause is not None and str(cause):
                raise AirflowSkipException(f"{exc} {cause}") from cause
            raise

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the trigger: return the final figures, or raise on a timeout or error event.

        :raises AirflowException: when the event is missing or malformed (never treated as success).
        """
        if not isinstance(event, dict):
            raise AirflowException(f"The month-end trigger sent no usable event (got {event!r})")
        status = event.get("status")
        if status not in _EVENT_STATUSES:
            raise AirflowException(
                f"The month-end trigger sent an event with unknown status {status!r}; expected one of "
                f"{', '.join(_EVENT_STATUSES)}"
            )
        self._record_trigger_outcome(context, event)
        if status == "timeout":
            message = f"Sensor has timed out. {event.get('message') or event.get('reason') or ''}".strip()
            if self.soft_fail:
                raise AirflowSkipException(message)
            raise AirflowSensorTimeout(message)
        if status == "error":
            raise LaunchDarklyUsageError(
                f"The month-end trigger failed with {event.get('error_type', 'an error')}: "
                f"{event.get('message', '(no message)')}"
            )
        result = event.get("result")
        if (
            not isinstance(result, dict)
            or any(key not in result for key in _RESULT_KEYS)
            or result.get("final") is not True
            or not isinstance(result.get("series"), list)
        ):
            raise AirflowException(
                f"The month-end trigger sent a success event with a malformed result: {result!r}"
            )
        self.log.info("%s %s is final: total %s", result["operation"], result["month"], result["total"])
        return result

    def _record_trigger_outcome(self, context: Context, event: dict[str, Any]) -> None:
        """Keep the trigger's last verdict and observations in the task state store, as poke mode does."""
        store = context.get("task_state_store")
        state, verdict = event.get("state"), event.get("verdict")
        if store is None or not isinstance(state, dict) or not isinstance(verdict, dict):
            return
        try:
            FinalityState.from_json(state)
            window = self.resolve_month(context)
        except (ValueError, LaunchDarklyUsageValidationError):
            return
        store.set(
            STATE_KEY,
            {"subject": _json(self._subject(window)), "state": state, "last_verdict": _json(verdict)},
        )


def _json(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


__all__ = ["STATE_KEY", "LaunchDarklyMonthEndSensor"]
