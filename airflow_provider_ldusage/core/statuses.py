"""What each HTTP status from LaunchDarkly means, declared once.

One row per status (every 5xx shares one): the exception it raises, whether waiting and retrying can help,
the hint the error carries, and whether its ``Retry-After`` is worth reporting. The error mapping
(:func:`~airflow_provider_ldusage.core.response.api_error`) and the retry rule
(:func:`~airflow_provider_ldusage.core.retry.decide`) both read :func:`rule_for`, so the two can never
disagree about a status. Modelled on Airbyte's ``HttpResponseFilter``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from airflow_provider_ldusage.core.request import UsageRequest
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageAPIError,
    LaunchDarklyUsageAuthError,
    LaunchDarklyUsageBadRequestError,
    LaunchDarklyUsageConflictError,
    LaunchDarklyUsageForbiddenError,
    LaunchDarklyUsageNotFoundError,
    LaunchDarklyUsageRateLimitError,
    LaunchDarklyUsageServerError,
)


@dataclass(frozen=True)
class HintContext:
    """What a hint may depend on: the request, LaunchDarkly's (scrubbed) ``message``, retries made."""

    request: UsageRequest
    message: str | None
    retries: int


Hint = Callable[[HintContext], "str | None"]


@dataclass(frozen=True)
class StatusRule:
    """What one status means.

    :param exception: the error raised once the call gives up.
    :param retryable: whether waiting can change the answer (429 and 5xx); 4xx never are.
    :param hint: one sentence on what to do, from the :class:`HintContext`.
    :param reports_retry_after: whether the error carries the response's ``Retry-After`` (429, 503).
    """

    exception: type[LaunchDarklyUsageAPIError]
    retryable: bool
    hint: Hint
    reports_retry_after: bool = False


def conflict_hint(request: UsageRequest) -> str:
    """What to change after a 409 (usage LaunchDarkly cannot attribute to a project), in one sentence.

    Grouping by the value a catalogue rule ties to explicit filters (``group_by='projectId'``) is what
    triggers it on series endpoints; on the project ranking it is the window itself.
    """
    endpoint = request.endpoint
    if endpoint is None:  # a request outside the usage catalogue (the flag list): no usage rules apply
        return "LaunchDarkly reported a conflict; check the request's arguments"
    sent = set(request.params)
    for rule in endpoint.rules:
        param = endpoint.query_param(rule.param)
        if param is not None and (param.wire, rule.value) in sent:
            return (
                f"Some usage in the window cannot be attributed to a project. Remove {rule.param}="
                f"{rule.value!r} (group by 'environmentId' instead, or keep only the {rule.needs} filter, "
                "which needs no attribution), or narrow start/end to a period without that usage"
            )
    if endpoint.paging is not None:
        return (
            "Some usage in the window cannot be attributed to a project, so no ranking is given. Narrow "
            "start/end to a period without that usage"
        )
    return "Some usage in the window cannot be attributed; narrow start/end or remove the grouping"


def _forbidden_hint(context: HintContext) -> str:
    if context.message and "beta" in context.message.lower():
        return (
            "LaunchDarkly refused the request for lack of the `LD-API-Version: beta` header. This "
            "provider always sends exactly one; a proxy between Airflow and LaunchDarkly may be "
            "stripping or duplicating it"
        )
    return "The token's role may not read account usage; give it a role with usage read access"


def _fixed(text: str | None) -> Hint:
    return lambda _context: text


#: Every status LaunchDarkly documents for the usage API, with its meaning.
STATUS_RULES: Mapping[int, StatusRule] = {
    400: StatusRule(LaunchDarklyUsageBadRequestError, False, _fixed("LaunchDarkly rejected the parameters")),
    401: StatusRule(
        LaunchDarklyUsageAuthError,
        False,
        _fixed("The access token is invalid, expired or lacks access; check the connection's password"),
    ),
    403: StatusRule(LaunchDarklyUsageForbiddenError, False, _forbidden_hint),
    404: StatusRule(
        LaunchDarklyUsageNotFoundError,
        False,
        _fixed("Check the path values (project, environment, flag keys, source or type)"),
    ),
    409: StatusRule(LaunchDarklyUsageConflictError, False, lambda c: conflict_hint(c.request)),
    429: StatusRule(
        LaunchDarklyUsageRateLimitError,
        True,
        lambda c: f"Still rate limited after {c.retries} retries",
        reports_retry_after=True,
    ),
}

#: Every 5xx: LaunchDarkly or a proxy in between failed; a later attempt may succeed.
SERVER_ERROR = StatusRule(
    LaunchDarklyUsageServerError, True, lambda c: f"Still failing after {c.retries} retries"
)
#: 503 is the 5xx that may say when to come back.
SERVICE_UNAVAILABLE = StatusRule(
    LaunchDarklyUsageServerError,
    True,
    lambda c: f"Still failing after {c.retries} retries",
    reports_retry_after=True,
)
#: Any other status (an undocumented 4xx, an unexpected 1xx/3xx): not retried, reported as it came.
OTHER = StatusRule(LaunchDarklyUsageAPIError, False, _fixed(None))


def rule_for(status: int) -> StatusRule:
    """The :class:`StatusRule` for ``status``."""
    if status == 503:
        return SERVICE_UNAVAILABLE
    if status >= 500:
        return SERVER_ERROR
    return STATUS_RULES.get(status, OTHER)
