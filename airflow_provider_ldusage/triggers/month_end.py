"""``LaunchDarklyMonthEndTrigger``: the month-end sensor's observation loop, in the triggerer.

It judges with the same pure rule as the sensor (:mod:`airflow_provider_ldusage.sensors.finality`) and calls
LaunchDarkly through :class:`~airflow_provider_ldusage.hooks.usage_async.LaunchDarklyUsageAsyncHook`, which
shares the request/response core with the sync hook. Every call is a GET, so a trigger that runs twice
(the triggerer may restart it elsewhere) has no side effect; it then starts again from the observations
it was created with, which can only make the judgement later, never earlier.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.compat import BaseTrigger, TriggerEvent
from airflow_provider_ldusage.defaults import DEFAULT_CONN_ID
from airflow_provider_ldusage.hooks.params import check_json_safe
from airflow_provider_ldusage.sensors.finality import (
    FinalityRule,
    FinalityState,
    MonthWindow,
    Verdict,
    assess,
    is_cumulative,
    month_arguments,
)


class LaunchDarklyMonthEndTrigger(BaseTrigger):
    """Observe a closed month until the finality rule says "final" or the deadline passes.

    Yields exactly one event: ``{"status": "success", "result": {...}}``,
    ``{"status": "timeout", "reason": ..., "message": ...}`` or
    ``{"status": "error", "error_type": <exception class name>, "message": ...}``. Success and timeout
    events also carry the last ``verdict`` and the finality ``state``, which the sensor records.

    :param month: the month, ``"YYYY-MM"``.
    :param operation: the series endpoint's operation id.
    :param filters: its filter arguments.
    :param rule: the finality rule as one JSON value, ``FinalityRule.to_json()`` (settle period, every day
        present, stable observations and their spacing).
    :param poll_interval: seconds between observations.
    :param end_time: the absolute deadline, epoch seconds (absolute because the trigger may move hosts).
    :param launchdarkly_conn_id: the ``launchdarkly`` connection.
    :param state: the finality state so far (``FinalityState.to_json()``), e.g. from the sensor's first poke;
        when given, the first observation waits one ``poll_interval``.
    :param hook_params: JSON-safe keyword arguments for the async hook (``read_timeout``, ``max_retries``...);
        anything else raises :class:`~airflow_provider_ldusage.exceptions.LaunchDarklyUsageValidationError`.
    """

    def __init__(
        self,
        *,
        month: str,
        operation: str,
        filters: Mapping[str, Any] | None,
        rule: Mapping[str, Any],
        poll_interval: float,
        end_time: float,
        launchdarkly_conn_id: str = DEFAULT_CONN_ID,
        state: Mapping[str, Any] | None = None,
        hook_params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.month = MonthWindow.parse(month).label
        self.operation = endpoint(operation).operation_id
        self.filters = dict(filters) if filters is not None else None
        self.rule = FinalityRule.from_json(rule)
        self.poll_interval = float(poll_interval)
        self.end_time = float(end_time)
        self.launchdarkly_conn_id = launchdarkly_conn_id
        self.state = dict(state) if state is not None else None
        # Only what survives JSON travels to the triggerer (serde rejects arbitrary objects): refuse the rest
        # loudly rather than drop it (the sensor checks the same at DAG-parse time).
        self.hook_params = dict(hook_params or {})
        check_json_safe(self.hook_params)
        # Not serialized: tests swap in a recorder; the hook's rate-limit waits go through it too.
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "month": self.month,
                "operation": self.operation,
                "filters": self.filters,
                "rule": self.rule.to_json(),
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "launchdarkly_conn_id": self.launchdarkly_conn_id,
                "state": self.state,
                "hook_params": self.hook_params,
            },
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LaunchDarklyMonthEndTrigger):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash(json.dumps(self.serialize(), sort_keys=True, default=str))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            event = await self._observe_until_done()
        except Exception as exc:
            # One typed event instead of a crashed trigger: execute_complete turns it into a task error.
            self.log.exception("Month-end trigger failed")
            event = {"status": "error", "error_type": type(exc).__name__, "message": str(exc)}
        yield TriggerEvent(event)

    async def _observe_until_done(self) -> dict[str, Any]:
        # Nothing slow on the triggerer's event loop: the first import of the hook (httpx and the
        # catalogue) and each judgement of a body run in a worker thread.
        hooks = await asyncio.to_thread(importlib.import_module, "airflow_provider_ldusage.hooks.usage_async")
        async_hook = hooks.LaunchDarklyUsageAsyncHook

        window = MonthWindow.parse(self.month)
        found = endpoint(self.operation)
        arguments = month_arguments(found, window, self.filters)
        cumulative = is_cumulative(found, arguments)
        rule = self.rule
        state = FinalityState.from_json(self.state)
        hook = async_hook(self.launchdarkly_conn_id, sleep=self._sleep, **self.hook_params)
        hook.build(self.operation, **arguments)  # a bad argument fails before any request
        verdict: Verdict | None = None
        # Handed over by the sensor right after its own poke: the next observation is one interval away.
        wait_first = self.state is not None
        while True:
            remaining = self.end_time - time.time()
            if verdict is not None and remaining <= 0:
                return self._timeout(window, verdict, state)
            if verdict is not None or wait_first:
                await self._sleep(max(0.0, min(self.poll_interval, remaining)))
            body = await hook.call(self.operation, **arguments)
            at = hook.last_server_time or datetime.now(timezone.utc)
            judged, state, result = await asyncio.to_thread(
                assess,
                rule=rule,
                window=window,
                state=state,
                body=body,
                at=at,
                operation=self.operation,
                filters=self.filters,
                cumulative=cumulative,
            )
            verdict = judged
            self.log.info("%s %s as of %s: %s", self.operation, window.label, at.isoformat(), judged.reason)
            if result is not None:
                return {
                    "status": "success",
                    "result": result,
                    "verdict": judged.to_json(),
                    "state": state.to_json(),
                }

    def _timeout(self, window: MonthWindow, verdict: Verdict, state: FinalityState) -> dict[str, Any]:
        deadline = datetime.fromtimestamp(self.end_time, timezone.utc).isoformat()
        return {
            "status": "timeout",
            "reason": verdict.reason,
            "message": (
                f"{self.operation} for {window.label} is not final at the deadline {deadline}: "
                f"{verdict.reason}"
            ),
            "verdict": verdict.to_json(),
            "state": state.to_json(),
        }


__all__ = ["LaunchDarklyMonthEndTrigger"]
