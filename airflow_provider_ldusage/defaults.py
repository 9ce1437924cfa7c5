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
            description="Retries after the first attempt on 5xx and connection faults. A 429 is waited "
            "out instead, bounded by time (max total retry wait, call deadline). 400/401/403/404/409 are "
            "never retried.",
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
        "call_deadline": ExtraField(
            label="Call deadline (s)",
            description="Upper bound on the seconds one call may take in all: every attempt, every wait "
            "between retries and every read of a slowly sent body.",
            default=600.0,
            minimum=1,
            maximum=86400,
        ),
        "max_body_bytes": ExtraField(
            label="Max response size (bytes)",
            description="The largest response body read; a larger one stops the call with an error "
            "instead of filling memory.",
            default=64 * 1024 * 1024,
            minimum=1024,
            maximum=4 * 1024 * 1024 * 1024,
            integer=True,
        ),
    }
)


@dataclass(frozen=True)
class TextExtraField:
    """A connection extra holding text (a connection id), shown in the connection form.

    :param label: the form's label.
    :param description: the form's help text.
    """

    label: str
    description: str


# Text extras: empty (or absent) means the feature is off.
TEXT_EXTRAS = MappingProxyType(
    {
        "shared_budget_redis_conn_id": TextExtraField(
            label="Shared rate budget: Redis connection id",
            description="An Airflow connection of type redis (the Celery broker's Redis will do): every "
            "worker using this token then paces its calls by one budget kept there. Empty: each process "
            "paces alone. Needs apache-airflow-providers-redis.",
        ),
    }
)

# Backoff when no header says how long to wait: the first step, doubling up to the largest step.
BACKOFF_BASE = 1.0
BACKOFF_MAX = 60.0
# The longest wait a rate-limit reset header may impose; LaunchDarkly's windows are 10 s, so a later reset
# means a skewed clock or a bad header. Retry-After is never shortened (only bounded by max_retry_wait).
MAX_RESET_WAIT = 60.0
# LaunchDarkly's rate-limit window (10 s), assumed until the reset headers show the length of the windows.
RATE_WINDOW = 10.0
# Shorter windows are taken as a misreading (only the emulator scales its windows down this far).
MIN_WINDOW = 0.05
# Waits for a window to reset end at a random point within this fraction of a window after the reset, so
# the processes waiting for it do not all send at its first instant.
RESET_JITTER = 0.05

# How long after a period's end LaunchDarkly's figures count as final (it publishes no rule; peers settle in
# 3-16 days): the month-end sensor's settle floor and the operators' provisional/final marking.
SETTLE_PERIOD = timedelta(days=3)
