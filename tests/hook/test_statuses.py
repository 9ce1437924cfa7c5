"""What each HTTP status means: one table, read alike by the error mapping and the retry rule."""

from __future__ import annotations

import random

import pytest

from airflow_provider_ldusage.catalogue import endpoint
from airflow_provider_ldusage.core.request import build_request
from airflow_provider_ldusage.core.response import api_error
from airflow_provider_ldusage.core.retry import Outcome, RetryPolicy, decide, is_retryable
from airflow_provider_ldusage.core.statuses import STATUS_RULES, rule_for
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

REQUEST = build_request(endpoint("get_mau_total_usage"), {})

# status, exception, retried — written out by hand from the API reference, not read from the table.
EXPECTED = [
    (400, LaunchDarklyUsageBadRequestError, False),
    (401, LaunchDarklyUsageAuthError, False),
    (403, LaunchDarklyUsageForbiddenError, False),
    (404, LaunchDarklyUsageNotFoundError, False),
    (409, LaunchDarklyUsageConflictError, False),
    (429, LaunchDarklyUsageRateLimitError, True),
    (500, LaunchDarklyUsageServerError, True),
    (502, LaunchDarklyUsageServerError, True),
    (503, LaunchDarklyUsageServerError, True),
    (504, LaunchDarklyUsageServerError, True),
    (599, LaunchDarklyUsageServerError, True),
    (405, LaunchDarklyUsageAPIError, False),
    (418, LaunchDarklyUsageAPIError, False),
    (308, LaunchDarklyUsageAPIError, False),
]


@pytest.mark.parametrize(("status", "exception", "retried"), EXPECTED)
def test_each_status_raises_its_error_and_is_retried_only_when_waiting_helps(
    status: int, exception: type[Exception], retried: bool
) -> None:
    error = api_error(REQUEST, status, {}, b'{"code":"x","message":"m"}')
    assert type(error) is exception
    assert error.status == status
    assert is_retryable(Outcome(status, {})) is retried


def test_the_error_mapping_and_the_retry_rule_read_the_same_row() -> None:
    for status in range(300, 600):
        rule = rule_for(status)
        assert type(api_error(REQUEST, status, {}, b"{}")) is rule.exception, status
        decision = decide(RetryPolicy(max_retries=3), Outcome(status, {}), 0, 0.0, 0.0, random.Random(1))
        assert decision.retry is rule.retryable, status


def test_every_documented_4xx_has_a_hint() -> None:
    for status in STATUS_RULES:
        error = api_error(REQUEST, status, {}, b'{"message":"no"}')
        assert error.hint, status


def test_retry_after_is_reported_only_where_it_means_come_back_later() -> None:
    headers = {"retry-after": "7"}
    assert api_error(REQUEST, 429, headers, b"{}").retry_after == 7
    assert api_error(REQUEST, 503, headers, b"{}").retry_after == 7
    assert api_error(REQUEST, 500, headers, b"{}").retry_after is None
    assert api_error(REQUEST, 400, headers, b"{}").retry_after is None
