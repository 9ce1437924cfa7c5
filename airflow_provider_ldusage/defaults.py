"""Every default of the connection and of retrying, written once.

The connection form (``provider_info``), the hooks' settings, the retry policy and the rate-limit budget
all read these; nothing else restates a number. Pure constants: imported at DAG-parse time for free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

DEFAULT_CONN_ID = "launchdarkly_default"
CONN_TYPE = "launchdarkly"


@dataclass(frozen=True)
class ExtraField:
    """A connection extra shown in the connection form, with its default and bounds.

    :param label: the form's label.
    :param description: the form's help text.
    :param default: used when neither the extra nor a hook argument sets it.
    :param minimum: the smallest accepted value.
    :param maximum: the largest accepted value.
    :param integer: whole numbers only.
    """

    label: str
    description: str
    default: float
    minimum: float
    maximum: float
    integer: bool = False


CONNECTION_EXTRAS = MappingProxyType(
    {
        "connect_timeout": ExtraField(
            label="Connect timeout (s)",
            description="Seconds to wait for a TCP/TLS connection to open.",
            default=10.0,
            minimum=0.1,
            maximum=300,
        ),
        "read_timeout": ExtraField(
            label="Read timeout (s)",
            description="Seconds to wait for the response after the request is sent.",
            default=60.0,
            minimum=0.1,
            maximum=600,
        ),
        "max_retries": ExtraField(
            label="Max retries",
            description="Retries after the first attempt on 429, 5xx and connection faults. "
            "400/401/403/404/409 are never retried.",
            default=5,
            minimum=0,
            maximum=20,
            integer=True,
        ),
        "max_retry_wait": ExtraField(
            label="Max total retry wait (s)",
            description="Upper bound on the seconds one call may spend waiting between its retries "
            "(each wait for a spent rate-limit budget is capped separately).",
            default=300.0,
            minimum=0,
            maximum=3600,
        ),
    }
)

# Backoff when no header says how long to wait: the first step, doubling up to the largest step.
BACKOFF_BASE = 1.0
BACKOFF_MAX = 60.0
# The longest wait a rate-limit reset header may impose; LaunchDarkly's windows are 10 s, so a later reset
# means a skewed clock or a bad header. Retry-After is never shortened (only bounded by max_retry_wait).
MAX_RESET_WAIT = 60.0

# How long after a period's end LaunchDarkly's figures count as final (it publishes no rule; peers settle in
# 3-16 days): the month-end sensor's settle floor and the operators' provisional/final marking.
SETTLE_PERIOD = timedelta(days=3)
