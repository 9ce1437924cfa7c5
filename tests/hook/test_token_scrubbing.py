"""The access token never travels into an error: a server echoing the request's headers back — in a 200
text body, an error body's ``message``/``code``/``id``, a response header, a ``Location`` — leaves no
raw, URL-encoded, base64 or ``Bearer`` form of it in any exception text, log record or printed line.

Every test in this folder also runs under ``no_token_in_logs`` (conftest), which fails on the token in any
log record or on stdout/stderr.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from airflow_provider_ldusage.core.scrub import REDACTED, scrub
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageAPIError,
    LaunchDarklyUsageBadRequestError,
    LaunchDarklyUsageError,
    LaunchDarklyUsageInvalidBodyError,
    LaunchDarklyUsageRedirectError,
    LaunchDarklyUsageResponseError,
    LaunchDarklyUsageServerError,
)
from airflow_provider_ldusage.hooks.usage_async import LaunchDarklyUsageAsyncHook

from .conftest import TOKEN, Answer, FakeClock, Recorded, ScriptedServer, SleepRecorder, assert_no_token

WINDOW = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-15T00:00:00Z"}


def _dump(recorded: Recorded) -> str:
    """The request's headers as an echoing proxy would show them."""
    return "\r\n".join(f"{name}: {value}" for name, value in recorded.headers)


def _forms(token: str) -> list[str]:
    """Every form of the token a test looks for in an error."""
    raw = token.encode()
    forms = [token, quote(token, safe=""), quote_plus(token), f"Bearer {token}"]
    # base64 of the token alone and of a header line holding it (any byte alignment)
    for blob in (raw, b"Authorization: " + raw, b"Bearer " + raw, b"x" + raw + b"\r\n"):
        forms.append(base64.b64encode(blob).decode())
        forms.append(base64.urlsafe_b64encode(blob).decode())
    return forms


def _assert_clean(exc: BaseException) -> None:
    assert_no_token(exc)
    current: BaseException | None = exc
    while current is not None:
        for text in (str(current), repr(current), repr(vars(current))):
            # the base64 forms are checked by their 12-character core: any longer run of the token's
            # base64 would contain one of the aligned cores the scrubber removes
            for form in _forms(TOKEN):
                assert form not in text, f"{form[:12]}… reached {type(current).__name__}: {text[:200]}"
        current = current.__cause__ or current.__context__


# --- the scrubbing rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "x", "xy", "Authorization: ", "Bearer "])
def test_scrub_removes_the_base64_form_at_every_alignment(prefix: str) -> None:
    blob = base64.b64encode(f"{prefix}{TOKEN}\r\nHost: h".encode()).decode()
    text = scrub(f"echo {blob} end", TOKEN)
    assert REDACTED in text
    decoded = base64.b64decode(text.split()[1].replace(REDACTED, "AAAA") + "==")  # what is left of it
    assert TOKEN.encode() not in decoded and TOKEN[3:-3].encode() not in decoded


def test_scrub_removes_raw_bearer_and_url_encoded_forms() -> None:
    text = " | ".join([TOKEN, f"Bearer {TOKEN}", quote(TOKEN, safe=""), quote_plus(TOKEN)])
    assert TOKEN not in scrub(text, TOKEN)
    assert scrub(text, TOKEN).count(REDACTED) == 4
    odd = "tok/en+with=odd&chars%"
    encoded = quote(odd, safe="")
    for form in (encoded, encoded.lower(), quote_plus(odd, safe="")):
        assert scrub(f"?a={form}", odd) == f"?a={REDACTED}"


def test_scrub_leaves_text_without_the_token_alone() -> None:
    assert scrub("Invalid from parameter", TOKEN) == "Invalid from parameter"
    assert scrub("anything", None) == "anything" and scrub("anything", "") == "anything"


# --- a proxy echoing the request's headers ----------------------------------------------------------------


def _echo(status: int, make_body: Callable[[str], Any], **fields: Any) -> Callable[[Recorded], Answer]:
    def answer(recorded: Recorded) -> Answer:
        return Answer(status, make_body(_dump(recorded)), **fields)

    return answer


def test_a_200_text_body_echoing_the_headers(make_hook: Callable[..., Any], server: ScriptedServer) -> None:
    server.default = _echo(200, lambda dump: f"proxy saw:\r\n{dump}", content_type="text/plain")
    with pytest.raises(LaunchDarklyUsageInvalidBodyError) as caught:
        make_hook(max_retries=1).get_mau_total_usage(**WINDOW)
    _assert_clean(caught.value)
    assert "proxy saw" in str(caught.value) and REDACTED in str(caught.value)


@pytest.mark.parametrize("field", ["message", "code", "id"])
def test_an_error_body_field_echoing_the_headers(
    make_hook: Callable[..., Any], server: ScriptedServer, field: str
) -> None:
    def body(dump: str) -> dict[str, str]:
        fields = {"code": "invalid_request", "message": "bad from", "id": "req-1"}
        fields[field] = f"echo {dump}"
        return fields

    server.default = _echo(400, body)
    with pytest.raises(LaunchDarklyUsageBadRequestError) as caught:
        make_hook().get_mau_total_usage(**WINDOW)
    error = caught.value
    _assert_clean(error)
    assert error.status == 400 and REDACTED in str(getattr(error, "request_id" if field == "id" else field))
    assert len(server.requests) == 1


def test_an_error_body_holding_the_token_base64_and_url_encoded(
    make_hook: Callable[..., Any], server: ScriptedServer
) -> None:
    def body(dump: str) -> dict[str, str]:
        return {
            "code": quote(TOKEN, safe=""),
            "message": base64.b64encode(dump.encode()).decode(),
            "id": base64.urlsafe_b64encode(f"Bearer {TOKEN}".encode()).decode(),
        }

    server.default = _echo(403, body)
    with pytest.raises(LaunchDarklyUsageAPIError) as caught:
        make_hook().get_mau_total_usage(**WINDOW)
    _assert_clean(caught.value)


def test_a_header_echoing_the_token_into_a_non_json_error(
    make_hook: Callable[..., Any], server: ScriptedServer
) -> None:
    # The error's hint quotes the Content-Type; an echoing proxy may put anything there.
    server.default = _echo(
        502,
        lambda dump: f"<html><body><h1>Bad gateway</h1><pre>{dump}</pre></body></html>",
        content_type=f"text/html; echo={TOKEN}",
    )
    with pytest.raises(LaunchDarklyUsageServerError) as caught:
        make_hook(max_retries=1).get_mau_total_usage(**WINDOW)
    _assert_clean(caught.value)
    assert "Bad gateway" in str(caught.value) and "text/html" in str(caught.value)


def test_a_redirect_whose_location_carries_the_token(
    make_hook: Callable[..., Any], server: ScriptedServer
) -> None:
    server.queue(Answer(302, headers={"Location": f"https://elsewhere.example/login?token={TOKEN}"}))
    with pytest.raises(LaunchDarklyUsageRedirectError) as caught:
        make_hook().get_mau_total_usage(**WINDOW)
    _assert_clean(caught.value)
    assert "https://elsewhere.example/login?token=***" in str(caught.value)


def test_a_series_value_holding_the_token(make_hook: Callable[..., Any], server: ScriptedServer) -> None:
    body = {"_links": {}, "metadata": [{}], "series": [{"time": 1767225600000, "0": f"Bearer {TOKEN}"}]}
    for lazy in (False, True):
        server.queue(Answer(body=body))
        hook = make_hook()
        with pytest.raises(LaunchDarklyUsageResponseError) as caught:
            if lazy:
                list(hook.call_lazy("get_mau_total_usage", **WINDOW)["series"])
            else:
                hook.get_mau_total_usage(**WINDOW)
        _assert_clean(caught.value)
        assert "is not a number" in str(caught.value)


def test_a_ranking_cursor_holding_the_token(make_hook: Callable[..., Any], server: ScriptedServer) -> None:
    # The shape check quotes the value it refuses.
    body = {"items": [], "page": {"limit": TOKEN, "count": 0, "totalCount": 0}, "scope": {}, "_links": {}}
    server.queue(Answer(body=body))
    with pytest.raises(LaunchDarklyUsageResponseError) as caught:
        make_hook().call("getDataExportProjectRanking", **WINDOW)
    _assert_clean(caught.value)


def test_the_connection_test_message_is_scrubbed(
    make_hook: Callable[..., Any], server: ScriptedServer
) -> None:
    server.default = _echo(401, lambda dump: {"code": "unauthorized", "message": dump})
    ok, message = make_hook().test_connection()
    assert not ok and "401" in message and TOKEN not in message


def test_the_async_hook_scrubs_the_same(
    server: ScriptedServer, clock: FakeClock, sleeps: SleepRecorder
) -> None:
    async def sleep(seconds: float) -> None:
        sleeps(seconds)

    def hook() -> LaunchDarklyUsageAsyncHook:
        return LaunchDarklyUsageAsyncHook(
            sleep=sleep, clock=clock, rng=random.Random(1), read_timeout=5, max_retries=1
        )

    server.default = _echo(200, lambda dump: dump, content_type="text/plain")
    with pytest.raises(LaunchDarklyUsageInvalidBodyError) as caught:
        asyncio.run(hook().call("get_mau_total_usage", **WINDOW))
    _assert_clean(caught.value)
    server.default = _echo(400, lambda dump: {"code": TOKEN, "message": dump, "id": f"Bearer {TOKEN}"})
    with pytest.raises(LaunchDarklyUsageBadRequestError) as bad:
        asyncio.run(hook().call("get_mau_total_usage", **WINDOW))
    _assert_clean(bad.value)


def test_the_trigger_error_event_carries_no_token(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from airflow_provider_ldusage.sensors.finality import FinalityRule
    from airflow_provider_ldusage.triggers.month_end import LaunchDarklyMonthEndTrigger

    server.default = _echo(400, lambda dump: {"code": "invalid_request", "message": dump})
    trigger = LaunchDarklyMonthEndTrigger(
        month="2026-02",
        operation="getMAUTotalUsage",
        filters=None,
        rule=FinalityRule(settle_period=timedelta(0)).to_json(),
        poll_interval=0.1,
        end_time=0.0,
        hook_params={"read_timeout": 5},
    )

    async def first() -> dict[str, Any]:
        event = await trigger.run().__anext__()
        payload: dict[str, Any] = event.payload
        return payload

    event = asyncio.run(first())
    assert event["status"] == "error" and event["error_type"] == "LaunchDarklyUsageBadRequestError"
    assert "HTTP 400" in event["message"] and "code=invalid_request" in event["message"]
    assert TOKEN not in json.dumps(event)


def test_every_error_text_a_hook_raises_is_a_provider_error(
    make_hook: Callable[..., Any], server: ScriptedServer
) -> None:
    # The echo in every place at once: whatever is raised is a LaunchDarklyUsageError and clean.
    server.default = _echo(
        500,
        lambda dump: {"code": dump, "message": dump, "id": dump},
        headers={"Retry-After": "0", "X-Echo": TOKEN},
        content_type=f"application/problem+json; t={TOKEN}",
    )
    with pytest.raises(LaunchDarklyUsageError) as caught:
        make_hook(max_retries=2).get_mau_total_usage(**WINDOW)
    _assert_clean(caught.value)
