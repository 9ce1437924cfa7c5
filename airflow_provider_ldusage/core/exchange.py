"""One call's conversation with LaunchDarkly, without I/O (the "sans-I/O" pattern).

:func:`exchange` is a generator that yields what to do next — :class:`Wait` or :data:`SEND` — and is sent
back a :class:`Reply` after each send. The sync hook (requests) and the async hook (httpx) are thin
drivers around it, so budget waits, retry decisions, error mapping and shape checks exist once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_ldusage.core.ratelimit import RateLimitBudget, lower_headers
from airflow_provider_ldusage.core.request import UsageRequest
from airflow_provider_ldusage.core.response import api_error, decode_checked
from airflow_provider_ldusage.core.retry import Outcome, RetryPolicy, decide
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageAPIError,
    LaunchDarklyUsageError,
    LaunchDarklyUsageInvalidBodyError,
    LaunchDarklyUsageTransportError,
)


@dataclass(frozen=True)
class Wait:
    """Sleep ``seconds`` before going on; ``retry`` is the retry number it precedes (0: a budget wait)."""

    seconds: float
    reason: str
    retry: int


@dataclass(frozen=True)
class Send:
    """Send the request now and send back its :class:`Reply`."""


SEND = Send()


@dataclass(frozen=True)
class Reply:
    """What the transport got: status, headers and body, or ``fault`` when no HTTP answer came."""

    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    fault: str | None = None


Step = Wait | Send


def exchange(
    request: UsageRequest,
    policy: RetryPolicy,
    budget: RateLimitBudget,
    clock: Callable[[], float],
    rng: random.Random,
    secret: str,
    decode: Callable[[UsageRequest, bytes], dict[str, Any]] = decode_checked,
) -> Generator[Step, Reply | None, dict[str, Any]]:
    """Drive one call to completion; returns the checked body or raises a ``LaunchDarklyUsageError``.

    ``decode`` turns a 2xx body into the result: ``decode_checked`` (parse all) or ``decode_lazily``
    (series slices parsed as they are read), both from :mod:`airflow_provider_ldusage.core.response`.
    """
    attempt = 0
    waited = 0.0
    last_error: LaunchDarklyUsageError | None = None
    while True:
        pending = budget.wait_before(request.route, clock())
        if pending is not None:
            yield Wait(pending[0], pending[1], 0)
        reply = yield SEND
        assert reply is not None, "the driver must send a Reply after SEND"
        if reply.fault is not None or reply.status is None:
            outcome = Outcome(None, {}, fault=(reply.fault or "no response").replace(secret, "***"))
        else:
            headers = lower_headers(reply.headers)
            budget.observe(request.route, headers, clock())
            if 200 <= reply.status < 300:
                try:
                    return decode(request, reply.body)
                except LaunchDarklyUsageInvalidBodyError as exc:
                    # A body cut short is a transport fault: the same GET may well succeed again. (A body
                    # that parses but has the wrong shape is raised at once: no retry changes it.)
                    outcome = Outcome(reply.status, headers, fault="truncated or invalid JSON body")
                    last_error = exc
            else:
                outcome = Outcome(reply.status, headers)
                last_error = api_error(
                    request, reply.status, headers, reply.body, retries=attempt, secret=secret, now=clock()
                )
        decision = decide(policy, outcome, attempt, waited, clock(), rng)
        if not decision.retry:
            if last_error is None or outcome.status is None:
                raise LaunchDarklyUsageTransportError(request.method, request.path, decision.reason)
            if decision.out_of_time and isinstance(last_error, LaunchDarklyUsageAPIError):
                last_error = _with_reason(last_error, decision.reason)
            raise last_error
        attempt += 1
        yield Wait(decision.wait, decision.reason, attempt)
        waited += decision.wait


def _with_reason(error: LaunchDarklyUsageAPIError, reason: str) -> LaunchDarklyUsageAPIError:
    """``error`` with why retrying stopped added to its hint (a Retry-After past max_retry_wait…)."""
    hint = f"{error.hint}: {reason}" if error.hint else reason
    return type(error)(
        error.status,
        error.method,
        error.path,
        code=error.code,
        message=error.message,
        request_id=error.request_id,
        hint=hint,
        retry_after=error.retry_after,
    )
