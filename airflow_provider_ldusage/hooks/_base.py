"""What the sync and async hooks share: connection attributes, settings, retry policy, clock and budget."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_ldusage import __version__
from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.compat import BaseHook
from airflow_provider_ldusage.core.ratelimit import Budget, RateLimitBudget
from airflow_provider_ldusage.core.request import UsageRequest, build_request
from airflow_provider_ldusage.core.response import server_time
from airflow_provider_ldusage.core.retry import RetryPolicy
from airflow_provider_ldusage.defaults import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    CONN_TYPE,
    DEFAULT_CONN_ID,
    MAX_RESET_WAIT,
)
from airflow_provider_ldusage.hooks._connection import (
    ConnectionSettings,
    mask_token,
    settings_from_connection,
)

if TYPE_CHECKING:
    from airflow_provider_ldusage.hooks._shared_budget import SharedRateBudget

USER_AGENT = f"airflow-provider-ldusage/{__version__}"


class LaunchDarklyHookBase(BaseHook):
    """The configuration both hooks take (the sync and the async hook add only ``sleep``).

    :param launchdarkly_conn_id: the Airflow connection id (type ``launchdarkly``).
    :param connect_timeout: seconds to open a connection; overrides the connection extra.
    :param read_timeout: seconds to wait for a response; overrides the connection extra.
    :param max_retries: retries after 5xx answers and connection faults; overrides the connection extra.
        429s are not counted: they are retried for as long as ``max_retry_wait`` and ``call_deadline`` allow.
    :param max_retry_wait: total seconds of waiting between the attempts of one call (after 429s, 5xx and
        faults); overrides the extra. Waits for a spent budget before sending count only against
        ``call_deadline``.
    :param call_deadline: total seconds one call may take, every attempt, wait and read included; past it
        the call raises :class:`~airflow_provider_ldusage.exceptions.LaunchDarklyUsageDeadlineError`.
        Overrides the connection extra.
    :param max_body_bytes: the largest response body read; a larger one raises
        :class:`~airflow_provider_ldusage.exceptions.LaunchDarklyUsageBodyTooLargeError` without being
        read whole. Overrides the connection extra.
    :param backoff_base: first exponential-backoff step in seconds when no header says how long to wait.
    :param backoff_max: the largest single backoff step in seconds.
    :param max_reset_wait: the longest wait an ``X-Ratelimit-Reset`` header may impose (a later reset is
        clamped); ``Retry-After`` is honoured in full, within ``max_retry_wait``.
    :param shared_budget_redis_conn_id: an Airflow ``redis`` connection keeping one rate budget for every
        process using this token (sync hook only; the async hook paces alone); overrides the connection
        extra, ``""`` turns it off.
    :param clock: epoch seconds now (tests pass a fake clock).
    :param rng: randomness for jitter.
    """

    conn_name_attr = "launchdarkly_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The connection form's labels, placeholders and hidden fields, for Airflow 3.1.

        Airflow >= 3.3 reads them from the provider metadata (``ui-field-behaviour``) without importing the
        hook; 3.1 asks the hook (when wtforms is installed). Both come from
        :mod:`airflow_provider_ldusage.provider_info`.
        """
        from airflow_provider_ldusage.provider_info import get_provider_info

        (conn,) = [c for c in get_provider_info()["connection-types"] if c["connection-type"] == CONN_TYPE]
        behaviour = conn["ui-field-behaviour"]
        return {
            "hidden_fields": list(behaviour["hidden-fields"]),
            "relabeling": dict(behaviour["relabeling"]),
            "placeholders": dict(behaviour["placeholders"]),
        }

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The connection form's extra fields, every one optional, for Airflow before 3.3.

        Airflow >= 3.3 reads them from the provider metadata (``conn-fields``) and never calls this; older
        releases build the form from the hook's wtforms fields (Airflow's API server stands in for wtforms
        when FAB is absent). Whole-number extras are integer fields, the others text fields holding a number
        (the form offers no decimal field); empty means the default, as in ``conn-fields``.
        """
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import IntegerField, StringField
        from wtforms.validators import Optional

        from airflow_provider_ldusage.provider_info import get_provider_info

        (conn,) = [c for c in get_provider_info()["connection-types"] if c["connection-type"] == CONN_TYPE]
        widgets: dict[str, Any] = {}
        for name, spec in conn["conn-fields"].items():
            schema = spec["schema"]
            integer = "integer" in schema["type"]
            default = schema.get("default")
            widgets[name] = (IntegerField if integer else StringField)(
                lazy_gettext(spec["label"]),
                widget=BS3TextFieldWidget(),
                description=spec.get("description", ""),
                validators=[Optional()],
                default=default if integer or default is None else f"{default:g}",
            )
        return widgets

    def __init__(
        self,
        launchdarkly_conn_id: str = default_conn_name,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_retries: int | None = None,
        max_retry_wait: float | None = None,
        call_deadline: float | None = None,
        max_body_bytes: int | None = None,
        backoff_base: float = BACKOFF_BASE,
        backoff_max: float = BACKOFF_MAX,
        max_reset_wait: float = MAX_RESET_WAIT,
        shared_budget_redis_conn_id: str | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self.launchdarkly_conn_id = launchdarkly_conn_id
        self._overrides = {
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "max_retries": max_retries,
            "max_retry_wait": max_retry_wait,
            "call_deadline": call_deadline,
            "max_body_bytes": max_body_bytes,
            "shared_budget_redis_conn_id": shared_budget_redis_conn_id,
        }
        self._backoff = (backoff_base, backoff_max, max_reset_wait)
        self._clock = clock
        self._rng = rng or random.Random()
        self._budget = RateLimitBudget(max_wait=max_reset_wait)
        self._shared: SharedRateBudget | None = None
        self._last_date: str | None = None

    def _shared_budget(self, settings: ConnectionSettings) -> Budget:
        """The rate budget calls spend: shared through Redis when configured, else this hook's own."""
        conn_id = settings.shared_budget_redis_conn_id
        if conn_id is None:
            return self._budget
        if self._shared is None:
            # Imported here: DAG parsing never pays for the redis client.
            from airflow_provider_ldusage.hooks._shared_budget import (
                SharedRateBudget,
                budget_key_prefix,
                redis_client,
            )

            self._shared = SharedRateBudget(
                lambda: redis_client(conn_id),
                budget_key_prefix(settings.base_url, settings.token),
                self._budget,
                f"connection {conn_id!r}",
            )
        return self._shared

    def _settings_from(
        self, host: str | None, password: str | None, extra: Mapping[str, Any]
    ) -> ConnectionSettings:
        if password:
            mask_token(password)
        settings = settings_from_connection(self.launchdarkly_conn_id, host, password, extra, self._overrides)
        mask_token(settings.token)  # the token sent may differ (a "Bearer " prefix dropped)
        return settings

    def _policy(self, settings: ConnectionSettings) -> RetryPolicy:
        base, cap, reset_cap = self._backoff
        return RetryPolicy(settings.max_retries, settings.max_retry_wait, base, cap, reset_cap)

    @property
    def last_server_time(self) -> datetime | None:
        """LaunchDarkly's clock (its ``Date`` header) as of the last response; ``None`` before any."""
        # Parsed on demand: only the month-end sensor reads it, and every call would pay otherwise.
        return server_time({"date": self._last_date}) if self._last_date else None

    def build(self, operation: str, **arguments: Any) -> UsageRequest:
        """Validate ``arguments`` for ``operation`` (operation id or method name) without sending anything."""
        now = datetime.fromtimestamp(self._clock(), tz=timezone.utc)
        return build_request(endpoint(operation), arguments, now=now)
