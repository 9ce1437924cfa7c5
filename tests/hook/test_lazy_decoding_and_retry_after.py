"""``call_lazy`` (series decoded slice by slice) and the transport details around it, over real HTTP."""

from __future__ import annotations

import json
import tracemalloc
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageInvalidBodyError,
    LaunchDarklyUsageRateLimitError,
    LaunchDarklyUsageResponseError,
)

from .conftest import SERIES_BODY, Answer, ScriptedServer, assert_no_token, set_connection

WINDOW = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-15T00:00:00Z"}


def test_call_lazy_yields_the_same_slices_as_call(server: ScriptedServer, hook: Any) -> None:
    eager = hook.call("getMAUTotalUsage", **WINDOW)
    lazy = hook.call_lazy("getMAUTotalUsage", **WINDOW)
    assert lazy["metadata"] == eager["metadata"] == SERIES_BODY["metadata"]
    assert list(lazy["series"]) == eager["series"] == SERIES_BODY["series"]
    assert len(lazy["series"]) == 2 and lazy["series"][-1] == SERIES_BODY["series"][-1]
    assert lazy["series"][0:1] == SERIES_BODY["series"][0:1]


def test_call_lazy_on_a_list_endpoint_is_a_plain_parse(server: ScriptedServer, hook: Any) -> None:
    server.queue(Answer(200, {"_links": {}, "sdks": ["Go"]}))
    assert hook.call_lazy("getMauSdksByType", **WINDOW) == {"_links": {}, "sdks": ["Go"]}


def test_call_lazy_checks_each_slice_as_it_is_read(server: ScriptedServer, hook: Any) -> None:
    server.queue(Answer(200, {"_links": {}, "metadata": [{}], "series": [{"time": 1, "0": 2}, {"0": 3}]}))
    series = hook.call_lazy("getMAUTotalUsage", **WINDOW)["series"]
    assert series[0] == {"time": 1, "0": 2}
    with pytest.raises(LaunchDarklyUsageResponseError, match=r"series\[1\] has no 'time'"):
        list(series)


def test_call_lazy_rejects_a_wrong_envelope_at_once_without_retrying(
    server: ScriptedServer, hook: Any
) -> None:
    server.queue(Answer(200, {"metadata": [], "series": []}))
    with pytest.raises(LaunchDarklyUsageResponseError, match="_links") as caught:
        hook.call_lazy("getMAUTotalUsage", **WINDOW)
    assert not isinstance(caught.value, LaunchDarklyUsageInvalidBodyError)
    assert len(server.requests) == 1


def test_call_lazy_retries_a_truncated_body(server: ScriptedServer, make_hook: Any) -> None:
    server.default = lambda _request: Answer(200, b'{"_links": {}, "metadata": [], "series": [{"ti')
    with pytest.raises(LaunchDarklyUsageInvalidBodyError, match="not valid JSON") as caught:
        make_hook(max_retries=2).call_lazy("getMAUTotalUsage", **WINDOW)
    assert len(server.requests) == 3
    assert_no_token(caught.value)


@pytest.mark.parametrize("body", ["null", "42", '"ok"', "[]"])
def test_valid_json_of_the_wrong_kind_is_not_retried_as_if_truncated(
    server: ScriptedServer, make_hook: Any, body: str
) -> None:
    server.default = lambda _request: Answer(200, body.encode())
    with pytest.raises(LaunchDarklyUsageResponseError) as caught:
        make_hook(max_retries=3).get_mau_total_usage(**WINDOW)
    assert not isinstance(caught.value, LaunchDarklyUsageInvalidBodyError)
    assert len(server.requests) == 1


def test_lazy_series_keep_memory_near_the_response_size(server: ScriptedServer, hook: Any) -> None:
    body = {
        "_links": {},
        "metadata": [{"projectId": f"p{i}"} for i in range(300)],
        "series": [
            {"time": 1767225600000 + d * 86_400_000, **{str(i): 1000 + i * d for i in range(300)}}
            for d in range(120)
        ],
    }
    raw = json.dumps(body).encode()
    server.queue(Answer(200, raw))
    response = hook.call_lazy("getMAUTotalUsage", **WINDOW)
    tracemalloc.start()
    total = sum(sum(v for k, v in point.items() if k != "time") for point in response["series"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total == sum(sum(1000 + i * d for i in range(300)) for d in range(120))
    # One decoded slice at a time: far below the fully parsed body (several times the response size).
    assert peak < len(raw) / 4


def test_an_http_date_retry_after_is_reported_in_seconds_from_now(
    server: ScriptedServer, make_hook: Any
) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    server.default = lambda _request: Answer(
        429, {"code": "rate_limited", "message": "slow"}, {"Retry-After": when}
    )
    hook = make_hook(max_retry_wait=0)  # no retry: a 429 is retried within max_retry_wait
    with pytest.raises(LaunchDarklyUsageRateLimitError) as caught:
        hook.get_mau_total_usage(**WINDOW)
    assert caught.value.retry_after is not None and 0 <= caught.value.retry_after <= 31


def test_a_bearer_prefixed_password_still_masks_the_token_that_is_sent(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk._shared.secrets_masker import redact

    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    # A token no other test registers: the masker is process-wide.
    token = "api-BEARER-ONLY-SENTINEL-99887766"
    set_connection(monkeypatch, host=server.url, password=f"Bearer {token}")
    assert LaunchDarklyUsageHook().settings.token == token
    assert token not in str(redact(f"sent {token}"))


def test_a_long_retry_after_is_honoured_in_full(server: ScriptedServer, make_hook: Any, sleeps: Any) -> None:
    limited = {"code": "rate_limited", "message": "slow down"}
    server.queue(Answer(429, limited, {"Retry-After": "120"}))
    make_hook(max_retry_wait=300).get_mau_total_usage(**WINDOW)
    assert len(server.requests) == 2
    assert sleeps.calls and sleeps.calls[0] >= 120  # LaunchDarkly asks for at least that long


def test_a_retry_after_beyond_max_retry_wait_gives_up_instead_of_retrying_early(
    server: ScriptedServer, make_hook: Any, sleeps: Any
) -> None:
    limited = {"code": "rate_limited", "message": "slow down"}
    server.default = lambda _request: Answer(429, limited, {"Retry-After": "900"})
    with pytest.raises(LaunchDarklyUsageRateLimitError) as caught:
        make_hook(max_retry_wait=300).get_mau_total_usage(**WINDOW)
    assert len(server.requests) == 1 and sleeps.calls == []
    assert caught.value.retry_after == 900


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"max_retries": 1.5}, "is not a whole number"),
        ({"max_retries": True}, "is not a whole number"),
        ({"max_retries": "2.5"}, "is not a whole number"),
        ({"max_retries": -1}, "must not be negative"),
        ({"read_timeout": 0}, "must be positive"),
        ({"connect_timeout": "soon"}, "is not a number"),
    ],
)
def test_bad_connection_extras_are_refused_by_name(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any], problem: str
) -> None:
    from airflow_provider_ldusage.exceptions import LaunchDarklyUsageConfigError
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    set_connection(monkeypatch, host=server.url, password="api-some-token-123", extra=json.dumps(extra))
    with pytest.raises(LaunchDarklyUsageConfigError, match=problem) as caught:
        _ = LaunchDarklyUsageHook().settings
    assert next(iter(extra)) in str(caught.value)


def test_whole_number_strings_are_accepted_for_max_retries(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    set_connection(monkeypatch, host=server.url, password="api-some-token-123", extra='{"max_retries": "2"}')
    assert LaunchDarklyUsageHook().settings.max_retries == 2
