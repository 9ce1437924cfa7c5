"""When to retry a request and how long to wait first: one pure rule for the sync hook and the trigger.

Retried: 429, every 5xx, connection faults, timeouts and truncated bodies. Never retried: 400, 401, 403,
404 and every other 4xx, which no amount of waiting fixes. Waits honour ``Retry-After`` (seconds) first,
then the spent budget's reset (``X-Ratelimit-Reset``, or ``X-Ratelimit-Auth-Token-Reset`` for the token
budget, epoch ms), else exponential backoff with full jitter. ``Retry-After`` is honoured in full; a reset
far ahead is clamped (a skewed clock or a bad header); the number of retries and their total wait are both
bounded.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, fields

from airflow_provider_ldusage.core.ratelimit import retry_after_seconds, spent_reset_seconds
from airflow_provider_ldusage.defaults import BACKOFF_BASE, BACKOFF_MAX, CONNECTION_EXTRAS, MAX_RESET_WAIT
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageConfigError

# The hook argument each policy field comes from, for error messages.
_ARGUMENT_OF = {"max_total_wait": "max_retry_wait"}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one call.

    :param max_retries: retries after the first attempt.
    :param max_total_wait: seconds all waits of one call may add up to; a retry that would pass it is not
        made and the last error is raised instead.
    :param backoff_base: first backoff step in seconds (doubles each retry).
    :param backoff_max: the largest single backoff step.
    :param max_reset_wait: the largest wait an ``X-Ratelimit-Reset`` header may impose; later resets are
        clamped (LaunchDarkly's windows are 10 s, so a minute means a skewed clock or a bad header).
        ``Retry-After`` is never shortened: it is only bounded by ``max_total_wait``.
    """

    max_retries: int = int(CONNECTION_EXTRAS["max_retries"].default)
    max_total_wait: float = CONNECTION_EXTRAS["max_retry_wait"].default
    backoff_base: float = BACKOFF_BASE
    backoff_max: float = BACKOFF_MAX
    max_reset_wait: float = MAX_RESET_WAIT

    def __post_init__(self) -> None:
        # NaN compares false with everything, so an unchecked NaN would disable every bound below.
        for item in fields(self):
            value = getattr(self, item.name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                raise LaunchDarklyUsageConfigError(
                    f"Hook argument {_ARGUMENT_OF.get(item.name, item.name)}={value!r} must be a finite "
                    "number >= 0 (NaN and infinity are refused: every wait needs a finite bound)"
                )


@dataclass(frozen=True)
class Outcome:
    """What one attempt produced: an HTTP status with headers (lower-cased), or a transport fault."""

    status: int | None
    headers: Mapping[str, str]
    fault: str | None = None


@dataclass(frozen=True)
class Decision:
    """Retry after ``wait`` seconds (``retry`` true), or give up; ``reason`` explains either for the log."""

    retry: bool
    wait: float
    reason: str
    #: Given up because the next wait would pass ``max_retry_wait`` (the error then says so).
    out_of_time: bool = False


def is_retryable(outcome: Outcome) -> bool:
    if outcome.fault is not None:
        return True
    status = outcome.status or 0
    return status == 429 or status >= 500


def decide(
    policy: RetryPolicy,
    outcome: Outcome,
    attempt: int,
    waited: float,
    now: float,
    rng: random.Random,
) -> Decision:
    """Decide about retry number ``attempt + 1`` after ``waited`` seconds already spent waiting."""
    what = outcome.fault or f"HTTP {outcome.status}"
    if not is_retryable(outcome):
        return Decision(False, 0.0, f"{what} is not retryable")
    if attempt >= policy.max_retries:
        return Decision(False, 0.0, f"{what} after {attempt} retries (max_retries={policy.max_retries})")
    wait, why = _wait_for(policy, outcome, attempt, now, rng)
    if waited + wait > policy.max_total_wait:
        after = retry_after_seconds(outcome.headers, now)
        spent = f" ({waited:.1f} s already waited)" if waited else ""
        if after is not None:
            return Decision(
                False,
                0.0,
                f"not retried: LaunchDarkly's Retry-After of {after:g} s is past "
                f"max_retry_wait={policy.max_total_wait:g} s{spent}; raise max_retry_wait (connection extra "
                "or hook argument) to wait it out, or run the task later",
                out_of_time=True,
            )
        return Decision(
            False,
            0.0,
            f"{what}; waiting {wait:.1f} s more would pass max_retry_wait={policy.max_total_wait:g} s{spent}",
            out_of_time=True,
        )
    return Decision(True, wait, f"{what}, {why}")


def _wait_for(
    policy: RetryPolicy, outcome: Outcome, attempt: int, now: float, rng: random.Random
) -> tuple[float, str]:
    headers = outcome.headers
    after = retry_after_seconds(headers, now)
    if after is not None:
        # LaunchDarkly: wait *at least* that long. Never shortened (a relative delay has no clock skew to
        # guard against); jitter only adds; a wait past max_retry_wait gives up instead (see decide()).
        return after + rng.uniform(0, min(1.0, 0.1 * after + 0.05)), f"Retry-After {after:g} s"
    # The reset of whichever budget is spent: the token budget has its own reset header.
    reset = spent_reset_seconds(headers, now)
    if reset is not None and reset > 0:
        wait = min(reset, policy.max_reset_wait)
        clamp = " (clamped)" if reset > policy.max_reset_wait else ""
        return wait + rng.uniform(0, 0.05), f"rate-limit window resets in {reset:.2f} s{clamp}"
    step = min(policy.backoff_max, policy.backoff_base * (2**attempt))
    # Full jitter, floored at a tenth of the step so a retry is never immediate.
    return rng.uniform(step / 10, step), f"exponential backoff (step {step:g} s)"
