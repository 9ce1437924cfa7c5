"""The sync hook on the wire — headers, rate-limit waits, retries, errors, timeouts, config.

Every test talks real HTTP to the scripted loopback server (see conftest). Waits are recorded by the
injected ``sleep`` and measured against the injected clock; nothing sleeps for real except the read-timeout
test, which must wait for the socket.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_ldusage import __version__
from airflow_provider_ldusage.compat import AirflowException
from airflow_provider_ldusage.defaults import MAX_RESET_WAIT, RATE_WINDOW, RESET_JITTER
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageAPIError,
    LaunchDarklyUsageAuthError,
    LaunchDarklyUsageBadRequestError,
    LaunchDarklyUsageConfigError,
    LaunchDarklyUsageError,
    LaunchDarklyUsageForbiddenError,
    LaunchDarklyUsageNotFoundError,
    LaunchDarklyUsageRateLimitError,
    LaunchDarklyUsageResponseError,
    LaunchDarklyUsageServerError,
    LaunchDarklyUsageTransportError,
)

from .conftest import (
    SDK_VERSION_BODY,
    SERIES_BODY,
    TOKEN,
    Answer,
    Console,
    FakeClock,
    ScriptedServer,
    SleepRecorder,
    assert_no_token,
    set_connection,
)

MakeHook = Callable[..., Any]
RATE_LIMITED = {"code": "rate_limited", "message": "You've exceeded the API rate limit. Try again later."}
WINDOW = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-15T00:00:00Z"}


def _reset_header(clock: FakeClock, seconds_from_now: float) -> dict[str, str]:
    return {"X-Ratelimit-Reset": str(int((clock.now + seconds_from_now) * 1000))}


# --- headers ------------------------------------------------------------------------------------------------


def test_every_request_carries_exactly_the_documented_headers(server: ScriptedServer, hook: Any) -> None:
    hook.get_mau_total_usage(**WINDOW)
    hook.get_stream_usage_sdkversion("client")

    assert len(server.requests) == 2
    for request in server.requests:
        assert request.header_values("Authorization") == [TOKEN]  # the raw token: no "Bearer "
        assert request.header_values("LD-API-Version") == ["beta"]
        assert request.header_values("Accept") == ["application/json"]
        assert request.header_values("User-Agent") == [f"airflow-provider-ldusage/{__version__}"]
        names = [name.lower() for name, _ in request.headers]
        assert len(names) == len(set(names)), f"a header was sent twice: {request.headers}"


def test_a_pasted_bearer_prefix_is_dropped(
    server: ScriptedServer, make_hook: MakeHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(monkeypatch, host=server.url, password=f"Bearer {TOKEN}")
    make_hook().get_stream_usage_sdkversion("server")
    assert server.requests[0].header_values("Authorization") == [TOKEN]


# --- rate limits --------------------------------------------------------------------------------------------


def test_429_with_retry_after_waits_at_least_that_long_then_succeeds(
    server: ScriptedServer, hook: Any, sleeps: SleepRecorder, console: Console
) -> None:
    server.queue(Answer(429, RATE_LIMITED, {"Retry-After": "3"}))

    assert hook.get_mau_total_usage(**WINDOW) == SERIES_BODY

    assert len(server.requests) == 2
    assert len(sleeps.calls) == 1
    assert 3.0 <= sleeps.calls[0] <= 4.0
    assert [kind for kind, _ in server.events] == ["request", "sleep", "request"]
    log = console.read()
    assert "Retry 1 of" in log and "Retry-After 3 s" in log  # each wait is logged with its reason


def test_429_with_only_a_reset_header_waits_until_the_reset(
    server: ScriptedServer, hook: Any, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    reset_at = clock.now + 7.5
    server.queue(Answer(429, RATE_LIMITED, {"X-RateLimit-Reset": str(int(reset_at * 1000))}))

    hook.get_data_export_events_usage(**WINDOW)

    assert len(server.requests) == 2
    assert len(sleeps.calls) == 1
    # the retry goes out at the reset (plus a little jitter), not before it and not much later
    assert reset_at <= clock.now <= reset_at + 0.5


@pytest.mark.parametrize("scope", ["Route", "Global"])
def test_remaining_zero_on_a_200_makes_the_next_call_wait_before_sending(
    server: ScriptedServer, hook: Any, sleeps: SleepRecorder, clock: FakeClock, scope: str
) -> None:
    reset = _reset_header(clock, 4)
    server.queue(Answer(200, SERIES_BODY, {f"X-Ratelimit-{scope}-Remaining": "0", **reset}))

    hook.get_mau_total_usage(**WINDOW)
    assert sleeps.calls == []  # the first call spent the last request of the window: no 429 yet
    hook.get_mau_total_usage(**WINDOW)

    assert len(server.requests) == 2  # no request was spent on a 429
    assert [kind for kind, _ in server.events] == ["request", "sleep", "request"]
    assert 3.9 <= sleeps.calls[0] <= 4.1


def test_a_spent_route_budget_does_not_hold_back_other_routes_but_a_spent_global_one_does(
    server: ScriptedServer, hook: Any, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    server.queue(Answer(200, SERIES_BODY, {"X-Ratelimit-Route-Remaining": "0", **_reset_header(clock, 4)}))
    hook.get_mau_total_usage(**WINDOW)
    hook.get_stream_usage_sdkversion("server")
    assert sleeps.calls == []

    server.queue(
        Answer(200, SDK_VERSION_BODY, {"X-Ratelimit-Global-Remaining": "0", **_reset_header(clock, 2)})
    )
    hook.get_stream_usage_sdkversion("server")
    hook.get_contexts_total_usage(**WINDOW)
    assert len(sleeps.calls) == 1 and 1.9 <= sleeps.calls[0] <= 2.1


def test_remaining_above_zero_does_not_wait(server: ScriptedServer, hook: Any, sleeps: SleepRecorder) -> None:
    headers = {"X-Ratelimit-Route-Remaining": "3", "X-Ratelimit-Global-Remaining": "10"}
    server.queue(
        Answer(200, SERIES_BODY, {**headers, "X-Ratelimit-Reset": str(int(time.time() * 1000 + 9000))})
    )
    hook.get_mau_total_usage(**WINDOW)
    hook.get_mau_total_usage(**WINDOW)
    assert sleeps.calls == []


def test_a_reset_far_in_the_future_is_clamped(
    server: ScriptedServer, make_hook: MakeHook, sleeps: SleepRecorder, clock: FakeClock, console: Console
) -> None:
    server.queue(Answer(429, RATE_LIMITED, _reset_header(clock, 86_400)))
    make_hook(max_reset_wait=20).get_mau_total_usage(**WINDOW)
    assert len(sleeps.calls) == 1
    # the clamp, then the spread after a reset (a small part of LaunchDarkly's 10-second window)
    assert 20.0 <= sleeps.calls[0] <= 20.0 + RESET_JITTER * RATE_WINDOW
    assert "clamped" in console.read()


def test_a_budget_reset_far_in_the_future_is_clamped_too(
    server: ScriptedServer, hook: Any, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    server.queue(
        Answer(200, SERIES_BODY, {"X-Ratelimit-Global-Remaining": "0", **_reset_header(clock, 86_400)})
    )
    hook.get_mau_total_usage(**WINDOW)
    hook.get_mau_total_usage(**WINDOW)
    assert len(sleeps.calls) == 1 and sleeps.calls[0] <= MAX_RESET_WAIT + RESET_JITTER * RATE_WINDOW


def test_a_reset_in_the_past_does_not_wait_long(
    server: ScriptedServer, hook: Any, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    server.queue(Answer(429, RATE_LIMITED, _reset_header(clock, -3600)))
    hook.get_mau_total_usage(**WINDOW)
    assert len(server.requests) == 2
    assert len(sleeps.calls) == 1 and 0 < sleeps.calls[0] <= 1.0  # one backoff step, not an hour


# --- retries ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    [
        Answer(503, {"code": "service_unavailable", "message": "Requested service unavailable"}),
        Answer(500, "internal error", content_type="text/plain"),
        Answer(drop=True),
    ],
    ids=["503", "500-text", "connection-dropped"],
)
def test_server_errors_and_dropped_connections_are_retried(
    server: ScriptedServer, hook: Any, sleeps: SleepRecorder, first: Answer
) -> None:
    server.queue(first)
    assert hook.get_contexts_clientside_usage(**WINDOW) == SERIES_BODY
    assert len(server.requests) == 2
    assert len(sleeps.calls) == 1 and sleeps.calls[0] > 0  # a backoff, never an immediate retry


def test_retries_stop_at_the_configured_bound(
    server: ScriptedServer, make_hook: MakeHook, sleeps: SleepRecorder
) -> None:
    server.default = lambda _request: Answer(503, {"code": "service_unavailable", "message": "down"})

    with pytest.raises(LaunchDarklyUsageServerError) as caught:
        make_hook(max_retries=2).get_mau_total_usage(**WINDOW)

    assert len(server.requests) == 3  # the first attempt and exactly two retries
    assert len(sleeps.calls) == 2
    assert caught.value.status == 503 and caught.value.code == "service_unavailable"
    assert "after 2 retries" in str(caught.value)
    assert_no_token(caught.value)


def test_429s_are_retried_past_max_retries_until_max_retry_wait(
    server: ScriptedServer, make_hook: MakeHook, sleeps: SleepRecorder
) -> None:
    # Workers sharing a budget can lose several windows in a row: a count would fail calls that only had
    # to wait, so only the time spent waiting bounds 429 retries.
    answers = iter([Answer(429, RATE_LIMITED, {"Retry-After": "1"})] * 8)
    server.default = lambda _request: next(answers, Answer(200, SERIES_BODY))

    assert make_hook(max_retries=2).get_mau_total_usage(**WINDOW) == SERIES_BODY
    assert len(server.requests) == 9 and len(sleeps.calls) == 8
    assert all(wait >= 1.0 for wait in sleeps.calls)  # never earlier than Retry-After
    first = sleeps.total

    server.reset()
    server.default = lambda _request: Answer(429, RATE_LIMITED, {"Retry-After": "1"})
    with pytest.raises(LaunchDarklyUsageRateLimitError) as caught:
        make_hook(max_retries=2, max_retry_wait=10).get_mau_total_usage(**WINDOW)
    assert sleeps.total - first <= 10  # the second call waited at most max_retry_wait
    assert 6 <= len(server.requests) <= 11  # as many 1-second retries as fit in ten seconds
    assert "would pass max_retry_wait=10 s" in str(caught.value)
    assert_no_token(caught.value)


def test_retries_stop_at_the_total_wait_bound(
    server: ScriptedServer, make_hook: MakeHook, sleeps: SleepRecorder
) -> None:
    server.default = lambda _request: Answer(
        503, {"code": "service_unavailable", "message": "down"}, {"Retry-After": "3"}
    )

    with pytest.raises(LaunchDarklyUsageServerError) as caught:
        make_hook(max_retries=10, max_retry_wait=5).get_mau_total_usage(**WINDOW)

    assert len(server.requests) == 2  # a second 3-second wait would pass the 5-second bound
    assert sleeps.total <= 5
    assert caught.value.status == 503
    assert_no_token(caught.value)


def test_connection_extras_set_the_bounds_and_hook_arguments_override_them(
    server: ScriptedServer, make_hook: MakeHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.default = lambda _request: Answer(503, {"code": "service_unavailable", "message": "down"})
    set_connection(monkeypatch, host=server.url, extra={"max_retries": 1})
    with pytest.raises(LaunchDarklyUsageServerError):
        make_hook().get_mau_total_usage(**WINDOW)
    assert len(server.requests) == 2

    server.requests.clear()
    with pytest.raises(LaunchDarklyUsageServerError):
        make_hook(max_retries=0).get_mau_total_usage(**WINDOW)
    assert len(server.requests) == 1


def test_a_read_timeout_raises_instead_of_hanging(server: ScriptedServer, make_hook: MakeHook) -> None:
    server.default = lambda _request: Answer(200, SERIES_BODY, delay=3.0)
    hook = make_hook(read_timeout=0.5, max_retries=1)

    started = time.monotonic()
    with pytest.raises(LaunchDarklyUsageTransportError) as caught:
        hook.get_mau_total_usage(**WINDOW)
    elapsed = time.monotonic() - started

    assert elapsed < 2.5  # two 0.5 s timeouts, not two 3 s answers
    assert len(server.requests) == 2  # a timeout is retried within the bound
    assert "timed out" in str(caught.value).lower()
    assert "/api/v2/usage/total-mau" in str(caught.value)
    assert_no_token(caught.value)


# --- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "message", "cls", "advice"),
    [
        (400, "invalid_request", "from must be before to", LaunchDarklyUsageBadRequestError, "rejected"),
        (401, "unauthorized", "Invalid access token", LaunchDarklyUsageAuthError, "token is invalid"),
        (
            403,
            "forbidden",
            "Access to the requested resource was denied.",
            LaunchDarklyUsageForbiddenError,
            "role",
        ),
        (404, "not_found", "Invalid resource identifier", LaunchDarklyUsageNotFoundError, "path values"),
    ],
)
def test_client_errors_raise_at_once_with_status_code_and_message(
    server: ScriptedServer,
    hook: Any,
    sleeps: SleepRecorder,
    status: int,
    code: str,
    message: str,
    cls: type[LaunchDarklyUsageAPIError],
    advice: str,
) -> None:
    server.queue(Answer(status, {"code": code, "message": message, "id": "req-42"}))

    with pytest.raises(cls) as caught:
        hook.get_evaluations_usage("proj", "prod", "my-flag", **WINDOW)

    exc = caught.value
    assert len(server.requests) == 1 and sleeps.calls == []  # never retried
    assert isinstance(exc, LaunchDarklyUsageError) and isinstance(exc, AirflowException)
    assert (exc.status, exc.code, exc.message, exc.request_id) == (status, code, message, "req-42")
    text = str(exc)
    for part in (
        f"HTTP {status}",
        code,
        message,
        "req-42",
        "GET /api/v2/usage/evaluations/proj/prod/my-flag",
    ):
        assert part in text
    assert advice in text
    assert_no_token(exc)


def test_the_beta_403_without_code_says_so_plainly(server: ScriptedServer, hook: Any) -> None:
    server.queue(
        Answer(
            403,
            {
                "message": "This API is in beta. To use it, your request must include the header "
                "`LD-API-Version: beta`."
            },
        )
    )

    with pytest.raises(LaunchDarklyUsageForbiddenError) as caught:
        hook.get_mau_total_usage(**WINDOW)

    exc = caught.value
    assert len(server.requests) == 1
    assert exc.status == 403 and exc.code is None
    assert "This API is in beta" in str(exc)
    assert "for lack of the `LD-API-Version: beta` header" in str(exc)
    assert "code=" not in str(exc)
    assert_no_token(exc)


def test_an_html_502_page_raises_a_clear_error(server: ScriptedServer, make_hook: MakeHook) -> None:
    page = (
        "<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>"
        "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
    )
    server.default = lambda _request: Answer(502, page, content_type="text/html; charset=utf-8")

    with pytest.raises(LaunchDarklyUsageServerError) as caught:
        make_hook(max_retries=1).get_mau_total_usage(**WINDOW)

    text = str(caught.value)
    assert len(server.requests) == 2
    assert caught.value.status == 502 and caught.value.code is None
    assert "502 Bad Gateway" in text and "nginx" in text
    assert "<html>" not in text and "color:red" not in text  # the words, not the markup
    assert "text/html, not JSON" in text
    assert_no_token(caught.value)


def test_a_truncated_json_body_raises_a_clear_error(server: ScriptedServer, make_hook: MakeHook) -> None:
    server.default = lambda _request: Answer(200, '{"_links": {}, "metadata": [], "series": [{"time": 17672')

    with pytest.raises(LaunchDarklyUsageResponseError) as caught:
        make_hook(max_retries=1).get_mau_total_usage(**WINDOW)

    assert len(server.requests) == 2  # a cut body is worth one more try of the same GET
    text = str(caught.value)
    assert "not valid JSON" in text and "/api/v2/usage/total-mau" in text
    assert_no_token(caught.value)


def test_a_truncated_body_followed_by_a_good_one_succeeds(server: ScriptedServer, hook: Any) -> None:
    server.queue(Answer(200, '{"_links": {}, "metad'))
    assert hook.get_mau_total_usage(**WINDOW) == SERIES_BODY
    assert len(server.requests) == 2


def test_a_body_shorter_than_its_content_length_is_a_transport_fault(
    server: ScriptedServer, make_hook: MakeHook
) -> None:
    server.default = lambda _request: Answer(200, b'{"_links": {}, "metadata": []', content_length=200)
    with pytest.raises(LaunchDarklyUsageTransportError) as caught:
        make_hook(max_retries=1).get_mau_total_usage(**WINDOW)
    assert len(server.requests) == 2
    assert "/api/v2/usage/total-mau" in str(caught.value) and "after 1 retries" in str(caught.value)
    assert_no_token(caught.value)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"metadata": [], "series": []}, "'_links'"),
        ({"_links": {}, "metadata": []}, "'series'"),
        ({"_links": {}, "metadata": [{}], "series": [{"time": 1, "0": "12"}]}, "is not a number"),
        ([], "expected a JSON object"),
    ],
)
def test_a_200_of_the_wrong_shape_raises_naming_what_is_wrong(
    server: ScriptedServer, hook: Any, body: object, problem: str
) -> None:
    server.queue(Answer(200, body))
    with pytest.raises(LaunchDarklyUsageResponseError) as caught:
        hook.get_mau_total_usage(**WINDOW)
    assert problem in str(caught.value) and "SeriesListRep" in str(caught.value)
    assert_no_token(caught.value)
    assert len(server.requests) == 1  # a complete but wrong body is not retried


def test_the_token_is_scrubbed_from_what_the_server_echoes(server: ScriptedServer, hook: Any) -> None:
    def echo(request: Any) -> Answer:
        sent = request.header_values("Authorization")[0]
        return Answer(400, {"code": "invalid_request", "message": f"token {sent} may not do this"})

    server.default = echo
    with pytest.raises(LaunchDarklyUsageBadRequestError) as caught:
        hook.get_mau_total_usage(**WINDOW)
    assert "token *** may not do this" in str(caught.value)
    assert_no_token(caught.value)


# --- configuration ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("http://app.launchdarkly.com", "plain http"),
        ("http://192.168.1.20:8080", "plain http"),
        ("https://someone:pw-XYZ-987@app.launchdarkly.com", "must not carry credentials"),
        ("ftp://app.launchdarkly.com", "not an http(s) URL"),
    ],
)
def test_unsafe_hosts_are_refused_before_any_request(
    server: ScriptedServer, make_hook: MakeHook, monkeypatch: pytest.MonkeyPatch, host: str, expected: str
) -> None:
    set_connection(monkeypatch, host=host)
    with pytest.raises(LaunchDarklyUsageConfigError) as caught:
        make_hook().get_mau_total_usage(**WINDOW)
    assert expected in str(caught.value)
    assert "pw-XYZ-987" not in str(caught.value)
    assert server.requests == []
    assert_no_token(caught.value)


def test_localhost_over_plain_http_is_allowed(
    server: ScriptedServer, make_hook: MakeHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(monkeypatch, host=server.url.replace("127.0.0.1", "localhost"))
    make_hook().get_stream_usage_sdkversion("server")
    assert len(server.requests) == 1


@pytest.mark.parametrize("password", ["", "   "])
def test_a_missing_token_is_a_clear_configuration_error(
    server: ScriptedServer, make_hook: MakeHook, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    set_connection(monkeypatch, host=server.url, password=password)
    with pytest.raises(LaunchDarklyUsageConfigError, match=r"no API access token.*password") as caught:
        make_hook().get_mau_total_usage(**WINDOW)
    assert server.requests == []
    assert_no_token(caught.value)


# --- test_connection ----------------------------------------------------------------------------------------


def test_test_connection_succeeds_against_the_server(server: ScriptedServer, hook: Any) -> None:
    ok, message = hook.test_connection()
    assert ok is True
    assert server.url in message and "2 SDK versions" in message
    assert len(server.requests) == 1
    assert server.requests[0].header_values("LD-API-Version") == ["beta"]


def test_test_connection_reports_a_401_without_raising(server: ScriptedServer, hook: Any) -> None:
    server.default = lambda _request: Answer(401, {"code": "unauthorized", "message": "Invalid access token"})
    ok, message = hook.test_connection()
    assert ok is False
    assert "401" in message and "Invalid access token" in message
    assert len(server.requests) == 1
    assert TOKEN not in message


def test_test_connection_reports_a_configuration_error_without_raising(
    server: ScriptedServer, make_hook: MakeHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(monkeypatch, host=server.url, password="")
    ok, message = make_hook().test_connection()
    assert ok is False and "no API access token" in message
    assert server.requests == []


@pytest.mark.parametrize(
    ("host", "password", "expected"),
    [
        (
            "http://127.0.0.1:9/",
            "",
            "This connection (http://127.0.0.1:9/) has no API access token: put it in the password field",
        ),
        (
            "",
            "",
            "This connection (https://app.launchdarkly.com, the default) has no API access token: put it in "
            "the password field",
        ),
        (
            "https://someone:api-secret-in-host@app.launchdarkly.com/?t=api-secret-in-query",
            TOKEN,
            "This connection (https://app.launchdarkly.com/): the host URL must not carry credentials; put "
            "the token in the password",
        ),
    ],
    ids=["no-token", "no-token-default-host", "credentials-in-host"],
)
def test_test_connection_names_the_connection_by_its_base_url_not_its_id(
    make_hook: MakeHook, monkeypatch: pytest.MonkeyPatch, host: str, password: str, expected: str
) -> None:
    # Airflow's Test button runs the hook under a random connection id: the message must not show it.
    conn = {"conn_type": "launchdarkly", "host": host, "password": password}
    monkeypatch.setenv("AIRFLOW_CONN_QX7RW2PA", json.dumps(conn))
    ok, message = make_hook(launchdarkly_conn_id="qx7rw2pa").test_connection()
    assert ok is False
    assert message.startswith(expected), message
    assert "qx7rw2pa" not in message and "api-secret-in" not in message


def test_test_connection_does_not_change_the_hooks_retry_bound(
    server: ScriptedServer, make_hook: MakeHook
) -> None:
    hook = make_hook(max_retries=2)
    hook.test_connection()
    server.requests.clear()
    server.default = lambda _request: Answer(503, {"code": "service_unavailable", "message": "down"})
    with pytest.raises(LaunchDarklyUsageServerError):
        hook.get_mau_total_usage(**WINDOW)
    assert len(server.requests) == 3


# --- the leak guard itself ----------------------------------------------------------------------------------


def test_the_leak_guard_sees_every_channel_the_hook_logs_to(
    server: ScriptedServer, hook: Any, log_capture: Any, console: Console
) -> None:
    """The autouse guard checks stdlib records and stdout/stderr; prove both channels are really captured
    (with a canary, so this test itself leaks nothing)."""
    import logging

    hook.log.debug("canary-hook-debug")
    hook.log.warning("canary-hook-warning")
    logging.getLogger("urllib3.connectionpool").debug("canary-urllib3")
    hook.get_stream_usage_sdkversion("server")

    captured = "\n".join(log_capture.texts()) + console.read()
    assert "canary-hook-debug" in captured and "canary-hook-warning" in captured
    assert "canary-urllib3" in captured
    assert "GET /api/v2/usage/streams/server/sdkversions" in captured  # urllib3's own request line
