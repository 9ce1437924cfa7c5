"""When to retry a request and how long to wait first: one pure rule for the sync hook and the trigger.

Retried: connection faults, timeouts, truncated bodies, and the statuses whose rule in
:mod:`~airflow_provider_ldusage.core.statuses` says waiting can help (429, every 5xx). Never retried: 400,
401, 403, 404 and every other 4xx, which no amount of waiting fixes. Waits honour ``Retry-After``
(seconds) first, then the spent budget's reset (``X-Ratelimit-Reset``, or ``X-Ratelimit-Auth-Token-Reset``
for the token budget, epoch ms; a later reset lengthens a ``Retry-After``, never shortens it), else
exponential backoff with full jitter. ``Retry-After`` is honoured in full; a reset far ahead is clamped (a
skewed clock or a bad header). 429s are retried for as long as the waits fit in ``max_retry_wait``; 5xx
and transport faults at most ``max_retries`` times, within the same total wait.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, fields

from airflow_provider_ldusage.core.ratelimit import retry_after_seconds, spent_reset_seconds
from airflow_provider_ldusage.core.statuses import rule_for
from airflow_provider_ldusage.defaults import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    CONNECTION_EXTRAS,
    MAX_RESET_WAIT,
    RATE_WINDOW,
    RESET_JITTER,
)
from airflow_provider_ldusage.exceptions import LaunchDarklyUsageConfigError

# The hook argument each policy field comes from, for error messages.
_ARGUMENT_OF = {"max_total_wait": "max_retry_wait"}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one call.

    :param max_retries: retries after 5xx answers and transport faults (429s are not counted: they are
        bounded by ``max_total_wait`` alone).
    :param max_total_wait: seconds the waits between the attempts of one call may add up to; a retry that
        would pass it is not made and the last error is raised instead. (Waits for a spent budget before
        sending are bounded by the call's deadline.)
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
    """Transport faults always are; a status is when its :mod:`~airflow_provider_ldusage.core.statuses` rule
    says so."""
    if outcome.fault is not None:
        return True
    return rule_for(outcome.status or 0).retryable


def decide(
    policy: RetryPolicy,
    outcome: Outcome,
    attempt: int,
    waited: float,
    now: float,
    rng: random.Random,
    *,
    fault_retries: int | None = None,
    window: float = RATE_WINDOW,
) -> Decision:
    """Decide about retry number ``attempt + 1`` after ``waited`` seconds already spent waiting.

    A 429 is retried for as long as the waits fit in ``max_retry_wait`` (and the caller's deadline): many
    workers sharing one budget can meet several in a row, and a count would fail calls that only had to
    wait. 5xx and transport faults are retried at most ``max_retries`` times, counted by
    ``fault_retries`` (default: ``attempt``).

    :param window: the rate-limit window length in seconds, as the budget learnt it: jitter is a small
        fraction of it.
    """
    what = outcome.fault or f"HTTP {outcome.status}"
    if not is_retryable(outcome):
        return Decision(False, 0.0, f"{what} is not retryable")
    rate_limited = outcome.fault is None and outcome.status == 429
    faults = attempt if fault_retries is None else fault_retries
    if not rate_limited and faults >= policy.max_retries:
        return Decision(False, 0.0, f"{what} after {faults} retries (max_retries={policy.max_retries})")
    wait, why = _wait_for(policy, outcome, attempt, now, rng, window)
    if waited + wait > policy.max_total_wait:
        after = retry_after_seconds(outcome.headers, now)
        spent = f" ({waited:.1f} s already waited)" if waited else ""
        if after is not None and after > policy.max_total_wait:
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
    policy: RetryPolicy, outcome: Outcome, attempt: int, now: float, rng: random.Random, window: float
) -> tuple[float, str]:
    headers = outcome.headers
    # Retries land at a random point shortly after the time asked for, spread over a small part of a
    # window, so the workers that met the same 429 do not all come back at one instant.
    spread = rng.uniform(0.1, 1.0) * RESET_JITTER * window
    after = retry_after_seconds(headers, now)
    # The reset of whichever budget is spent (epoch ms: finer than Retry-After's whole seconds); the token
    # budget has its own reset header.
    reset = spent_reset_seconds(headers, now)
    clamp = ""
    if reset is not None and reset > policy.max_reset_wait:
        reset, clamp = policy.max_reset_wait, " (clamped)"
    if after is not None:
        # LaunchDarkly: wait *at least* that long. Never shortened (a relative delay has no clock skew to
        # guard against); a later reset only lengthens it; a wait past max_retry_wait gives up instead.
        if reset is not None and reset > after:
            return reset + spread, f"Retry-After {after:g} s, rate-limit window resets in {reset:.2f} s"
        return after + spread, f"Retry-After {after:g} s"
    if reset is not None and reset > 0:
        return reset + spread, f"rate-limit window resets in {reset:.2f} s{clamp}"
    step = min(policy.backoff_max, policy.backoff_base * (2**attempt))
    # Full jitter, floored at a tenth of the step so a retry is never immediate.
    return rng.uniform(step / 10, step), f"exponential backoff (step {step:g} s)"
