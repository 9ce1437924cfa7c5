"""One call's conversation with LaunchDarkly, without I/O (the "sans-I/O" pattern).

:func:`exchange` is a generator that yields what to do next — :class:`Wait` or :data:`SEND` — and is sent
back a :class:`Reply` after each send. The sync hook (requests) and the async hook (httpx) are thin
drivers around it, so budget waits, retry decisions, error mapping and shape checks exist once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from airflow_provider_ldusage.core.ratelimit import Budget, lower_headers
from airflow_provider_ldusage.core.request import UsageRequest
from airflow_provider_ldusage.core.response import api_error, body_too_large, decode_checked, redirect_error
from airflow_provider_ldusage.core.retry import Outcome, RetryPolicy, decide
from airflow_provider_ldusage.core.scrub import scrub
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageAPIError,
    LaunchDarklyUsageDeadlineError,
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
    #: A retry after a 429: bounded by ``max_retry_wait`` and the deadline, not by ``max_retries``.
    rate_limited: bool = False


@dataclass(frozen=True)
class Send:
    """Send the request now and send back its :class:`Reply`.

    The transport stops reading, and says so in :attr:`Reply.stopped`, once ``time_left`` seconds have
    passed (``None``: no deadline) or the body grows past ``max_body_bytes`` (``None``: no cap).
    """

    time_left: float | None = None
    max_body_bytes: int | None = None


SEND = Send()

#: :attr:`Reply.stopped` values: the limit at which the transport stopped reading.
STOPPED_AT_DEADLINE = "call_deadline"
STOPPED_AT_SIZE = "max_body_bytes"


@dataclass(frozen=True)
class Reply:
    """What the transport got: status, headers and body, or ``fault`` when no HTTP answer came.

    ``stopped`` names the limit of :class:`Send` at which reading stopped (the body is then incomplete).
    """

    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    fault: str | None = None
    stopped: str | None = None


Step = Wait | Send


def exchange(
    request: UsageRequest,
    policy: RetryPolicy,
    budget: Budget,
    clock: Callable[[], float],
    rng: random.Random,
    secret: str,
    decode: Callable[[UsageRequest, bytes], dict[str, Any]] | None = None,
    *,
    deadline: float | None = None,
    max_body_bytes: int | None = None,
) -> Generator[Step, Reply | None, dict[str, Any]]:
    """Drive one call to completion; returns the checked body or raises a ``LaunchDarklyUsageError``.

    ``decode`` turns a 2xx body into the result: ``decode_checked`` (parse all) or ``decode_lazily``
    (series slices parsed as they are read), both from :mod:`airflow_provider_ldusage.core.response`;
    the default is ``decode_checked`` scrubbing ``secret`` from what its errors quote. ``deadline``
    (seconds from now, by ``clock``) bounds the whole call: no wait and no attempt starts past it, and
    the transport is told the time left and the byte cap ``max_body_bytes``. A redirect is never
    followed.
    """
    if decode is None:
        decode = partial(decode_checked, secret=secret)
    attempt = 0
    fault_retries = 0  # retries after 5xx and transport faults: the ones max_retries counts
    waited = 0.0
    last_error: LaunchDarklyUsageError | None = None
    deadline_at = None if deadline is None else clock() + deadline

    def time_left() -> float | None:
        return None if deadline_at is None else deadline_at - clock()

    def out_of_time(doing: str) -> LaunchDarklyUsageDeadlineError:
        assert deadline is not None
        error = LaunchDarklyUsageDeadlineError(
            request.method, request.path, deadline, scrub(f"{doing} ({attempt} retries made)", secret)
        )
        error.__cause__ = last_error  # the last answer, when there was one (already scrubbed)
        return error

    while True:
        # Until the budget lets this request go: after a reset other processes may have taken the window.
        while (pending := budget.wait_before(request.route, clock())) is not None:
            seconds = pending[0] + budget.spread(rng)
            left = time_left()
            if left is not None and seconds >= left:
                raise out_of_time(f"the rate-limit wait of {seconds:.1f} s ({pending[1]}) would pass it")
            yield Wait(seconds, pending[1], 0)
        left = time_left()
        if left is not None and left <= 0:
            raise out_of_time("no time was left to send the request")
        sent_at = clock()
        reply = yield Send(left, max_body_bytes)
        assert reply is not None, "the driver must send a Reply after SEND"
        if reply.stopped == STOPPED_AT_DEADLINE:
            raise out_of_time("time ran out while waiting for or reading the response")
        if reply.fault is not None or reply.status is None:
            # No answer, but the attempt is over: a route's first request holds back no one any longer.
            budget.observe(request.route, {}, clock())
            outcome = Outcome(None, {}, fault=scrub(reply.fault or "no response", secret))
        else:
            headers = lower_headers(reply.headers)
            answered_at = clock()
            budget.observe(request.route, headers, answered_at, latency=answered_at - sent_at)
            if 300 <= reply.status < 400:
                raise redirect_error(request, reply.status, headers, secret=secret)
            if reply.stopped == STOPPED_AT_SIZE:
                raise body_too_large(request, headers, max_body_bytes)
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
        decision = decide(
            policy, outcome, attempt, waited, clock(), rng, fault_retries=fault_retries, window=budget.window
        )
        if not decision.retry:
            if last_error is None or outcome.status is None:
                raise LaunchDarklyUsageTransportError(request.method, request.path, decision.reason)
            if decision.out_of_time and isinstance(last_error, LaunchDarklyUsageAPIError):
                last_error = _with_reason(last_error, decision.reason)
            raise last_error
        left = time_left()
        if left is not None and decision.wait >= left:
            raise out_of_time(
                f"the next retry wait of {decision.wait:.1f} s would pass it ({decision.reason})"
            )
        attempt += 1
        rate_limited = outcome.status == 429
        fault_retries += not rate_limited
        yield Wait(decision.wait, decision.reason, attempt, rate_limited)
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
