"""What the sync and async hooks share: connection attributes, settings, retry policy, clock and budget."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from airflow_provider_ldusage import __version__
from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.compat import BaseHook
from airflow_provider_ldusage.core.ratelimit import RateLimitBudget
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

USER_AGENT = f"airflow-provider-ldusage/{__version__}"


class LaunchDarklyHookBase(BaseHook):
    """The configuration both hooks take (the sync and the async hook add only ``sleep``).

    :param launchdarkly_conn_id: the Airflow connection id (type ``launchdarkly``).
    :param connect_timeout: seconds to open a connection; overrides the connection extra.
    :param read_timeout: seconds to wait for a response; overrides the connection extra.
    :param max_retries: retries after the first attempt; overrides the connection extra.
    :param max_retry_wait: total seconds of waiting between the retries of one call; overrides the extra.
    :param backoff_base: first exponential-backoff step in seconds when no header says how long to wait.
    :param backoff_max: the largest single backoff step in seconds.
    :param max_reset_wait: the longest wait an ``X-Ratelimit-Reset`` header may impose (a later reset is
        clamped); ``Retry-After`` is honoured in full, within ``max_retry_wait``.
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

    def __init__(
        self,
        launchdarkly_conn_id: str = default_conn_name,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_retries: int | None = None,
        max_retry_wait: float | None = None,
        backoff_base: float = BACKOFF_BASE,
        backoff_max: float = BACKOFF_MAX,
        max_reset_wait: float = MAX_RESET_WAIT,
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
        }
        self._backoff = (backoff_base, backoff_max, max_reset_wait)
        self._clock = clock
        self._rng = rng or random.Random()
        self._budget = RateLimitBudget(max_wait=max_reset_wait)
        self._last_date: str | None = None

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
