"""Bad input is refused before any request, by name, and never echoes the access token.

Every test runs under the folder's token-leak guard (log records and stdout/stderr) and talks HTTP to the
scripted loopback server, whose ``requests`` list shows what reached the wire.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageConfigError,
    LaunchDarklyUsageRateLimitError,
    LaunchDarklyUsageValidationError,
)
from airflow_provider_ldusage.hooks.params import HOOK_ARGUMENTS, validate_hook_params

from .conftest import TOKEN, Answer, ScriptedServer, assert_no_token, set_connection

WINDOW = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-03T00:00:00Z"}


# --- a token a header cannot carry ---------------------------------------------------------------------

BAD_TOKENS = [
    pytest.param(TOKEN + "\r\nX-Injected: 1", "a line break (CR/LF)", id="crlf-injection"),
    pytest.param(TOKEN[:12] + "\n" + TOKEN[12:], "a line break (CR/LF)", id="lf-inside"),
    pytest.param(TOKEN + "€", "a non-ASCII character", id="euro"),
    pytest.param(TOKEN[:8] + "\x00" + TOKEN[8:], "a control character", id="nul"),
    pytest.param(TOKEN[:8] + " " + TOKEN[8:], "a space", id="space-inside"),
]


def _parts(token: str) -> list[str]:
    """Every piece of ``token`` between the bad characters that is long enough to identify it."""
    pieces, current = [], ""
    for char in token:
        if "!" <= char <= "~":
            current += char
        else:
            pieces.append(current)
            current = ""
    pieces.append(current)
    return [p for p in pieces if len(p) >= 6]


@pytest.mark.parametrize(("password", "kind"), BAD_TOKENS)
def test_an_unsendable_token_is_a_config_error_that_echoes_none_of_it(
    server: ScriptedServer, make_hook: Any, monkeypatch: pytest.MonkeyPatch, password: str, kind: str
) -> None:
    set_connection(monkeypatch, host=server.url, password=password)
    hook = make_hook()
    with pytest.raises(LaunchDarklyUsageConfigError, match="cannot carry") as caught:
        hook.get_mau_total_usage(**WINDOW)
    message = str(caught.value)
    assert kind in message and "'launchdarkly_default'" in message
    assert_no_token(caught.value)
    for piece in _parts(password):
        assert piece not in message and piece not in repr(caught.value.args)
    assert "X-Injected" not in message
    assert server.requests == []


@pytest.mark.parametrize(("password", "kind"), BAD_TOKENS)
def test_the_connection_test_reports_an_unsendable_token_without_it(
    server: ScriptedServer, make_hook: Any, monkeypatch: pytest.MonkeyPatch, password: str, kind: str
) -> None:
    set_connection(monkeypatch, host=server.url, password=password)
    ok, message = make_hook().test_connection()
    assert not ok and kind in message
    assert all(piece not in message for piece in _parts(password))
    assert server.requests == []


def test_a_token_with_only_surrounding_whitespace_is_still_accepted(
    server: ScriptedServer, make_hook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(monkeypatch, host=server.url, password=f"  {TOKEN}\r\n")
    make_hook().get_mau_total_usage(**WINDOW)
    assert server.requests[0].header_values("Authorization") == [TOKEN]


# --- path parameters -----------------------------------------------------------------------------------

DOT_CASES = [
    pytest.param(("..", "..", "streams"), "project_key", id="evaluations/../../streams"),
    pytest.param(("p", ".", "f"), "environment_key", id="dot"),
    pytest.param(("p", "e", ".."), "feature_flag_key", id="dotdot-flag"),
    pytest.param(("p", " .. ", "f"), "environment_key", id="dotdot-with-spaces"),
    pytest.param(("", "e", "f"), "project_key", id="empty"),
    pytest.param(("p", "   ", "f"), "environment_key", id="blank"),
]


@pytest.mark.parametrize(("keys", "parameter"), DOT_CASES)
def test_dot_segments_and_empty_path_values_are_refused_before_any_request(
    server: ScriptedServer, hook: Any, keys: tuple[str, str, str], parameter: str
) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        hook.get_evaluations_usage(*keys, **WINDOW)
    assert caught.value.parameter == parameter
    assert str(caught.value).startswith(f"Invalid {parameter}=")
    text = str(caught.value)
    assert ("not '.' or '..'" in text) or ("non-empty string" in text)
    assert_no_token(caught.value)
    assert server.requests == []


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("a/b", "a%2Fb"),
        ("a?b=1", "a%3Fb%3D1"),
        ("a#b", "a%23b"),
        ("100%", "100%25"),
        ("%2e%2e", "%252e%252e"),
    ],
)
def test_reserved_characters_stay_inside_their_one_segment(
    server: ScriptedServer, hook: Any, value: str, segment: str
) -> None:
    hook.get_evaluations_usage("proj", value, "flag", **WINDOW)
    (request,) = server.requests
    assert request.path == f"/api/v2/usage/evaluations/proj/{segment}/flag"
    assert {k for k, _ in request.query} == {"from", "to"}  # nothing leaked into the query


# --- NaN and infinite timeouts and waits ------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"read_timeout": "inf"},
        {"connect_timeout": "nan"},
        {"max_retry_wait": "Infinity"},
        {"max_retries": "inf"},
        {"read_timeout": float("nan")},  # json.dumps writes NaN, and Airflow's extra_dejson reads it back
        {"max_retry_wait": float("inf")},
    ],
    ids=lambda e: f"{next(iter(e))}={next(iter(e.values()))}",
)
def test_non_finite_extras_are_refused_like_negative_ones(
    server: ScriptedServer, make_hook: Any, monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any]
) -> None:
    set_connection(monkeypatch, host=server.url, extra=json.dumps(extra))
    name = next(iter(extra))
    hook = make_hook(read_timeout=None, connect_timeout=None)
    with pytest.raises(LaunchDarklyUsageConfigError) as caught:
        hook.get_mau_total_usage(**WINDOW)
    text = str(caught.value)
    assert f"Connection 'launchdarkly_default': extra {name}=" in text
    assert ("must be finite" in text) or ("is not a whole number" in text)
    assert "Hook argument" not in text
    assert_no_token(caught.value)
    assert server.requests == []


@pytest.mark.parametrize(
    "argument",
    [
        {"read_timeout": float("nan")},
        {"connect_timeout": float("inf")},
        {"max_retry_wait": float("inf")},
        {"read_timeout": "inf"},
    ],
    ids=lambda a: f"{next(iter(a))}={next(iter(a.values()))}",
)
def test_non_finite_hook_arguments_are_refused_by_their_own_name(
    server: ScriptedServer, make_hook: Any, argument: dict[str, Any]
) -> None:
    name = next(iter(argument))
    with pytest.raises(LaunchDarklyUsageConfigError) as caught:
        make_hook(**argument).get_mau_total_usage(**WINDOW)
    text = str(caught.value)
    assert text.startswith(f"Hook argument {name}=") and "must be finite" in text
    assert "extra" not in text  # the value did not come from the connection
    assert server.requests == []


@pytest.mark.parametrize(
    "argument",
    [{"backoff_base": float("nan")}, {"backoff_max": float("inf")}, {"max_reset_wait": float("nan")}],
    ids=lambda a: next(iter(a)),
)
def test_non_finite_backoff_arguments_are_refused_before_any_request(
    server: ScriptedServer, make_hook: Any, argument: dict[str, Any]
) -> None:
    name = next(iter(argument))
    with pytest.raises(LaunchDarklyUsageConfigError, match=rf"^Hook argument {name}=.*finite"):
        make_hook(**argument).get_mau_total_usage(**WINDOW)
    assert server.requests == []


def test_every_request_keeps_a_finite_timeout(server: ScriptedServer, make_hook: Any) -> None:
    hook = make_hook(read_timeout=None, connect_timeout=timedelta(seconds=3))
    settings = hook.settings
    assert math.isfinite(settings.read_timeout) and settings.read_timeout > 0
    assert settings.connect_timeout == 3.0
    hook.get_mau_total_usage(**WINDOW)
    assert len(server.requests) == 1


# --- Retry-After past max_retry_wait -------------------------------------------------------------------


def test_a_retry_after_past_max_retry_wait_says_so_in_the_error(
    server: ScriptedServer, make_hook: Any, sleeps: Any
) -> None:
    server.default = lambda _request: Answer(
        429, {"code": "rate_limited", "message": "slow down"}, {"Retry-After": "900"}
    )
    with pytest.raises(LaunchDarklyUsageRateLimitError) as caught:
        make_hook(max_retry_wait=30).get_mau_total_usage(**WINDOW)
    text = str(caught.value)
    assert "Retry-After of 900 s is past max_retry_wait=30 s" in text
    assert "raise max_retry_wait" in text
    assert caught.value.retry_after == 900
    assert_no_token(caught.value)
    assert len(server.requests) == 1 and sleeps.calls == []


# --- hook_params, checked when the DAG is parsed -------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "key", "expected"),
    [
        ({"read_timout": 30}, "read_timout", "did you mean 'read_timeout'?"),
        ({"retries": 3}, "retries", "did you mean 'max_retries'?"),
        ({"proxy": "http://x"}, "proxy", "a hook argument: one of connect_timeout"),
        ({"read_timeout": float("nan")}, "read_timeout", "must be finite"),
        ({"read_timeout": "inf"}, "read_timeout", "must be finite"),
        ({"max_retry_wait": float("-inf")}, "max_retry_wait", "must be finite"),
        ({"connect_timeout": -1}, "connect_timeout", "must not be negative"),
        ({"read_timeout": 0}, "read_timeout", "must be positive"),
        ({"max_retries": 2.5}, "max_retries", "is not a whole number"),
        ({"max_retries": True}, "max_retries", "is not a whole number"),
        ({"backoff_base": "soon"}, "backoff_base", "is not a number"),
        ({"sleep": 5}, "sleep", "a callable"),
        ({"rng": 7}, "rng", "a random.Random"),
        ({"launchdarkly_conn_id": "other"}, "launchdarkly_conn_id", "to the operator itself"),
    ],
)
def test_hook_params_are_refused_by_their_hook_params_name(
    params: dict[str, Any], key: str, expected: str
) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        validate_hook_params(params)
    assert caught.value.parameter == f"hook_params[{key!r}]"
    assert expected in str(caught.value)
    assert "extra" not in str(caught.value)  # hook_params are not the connection's extras


def test_good_hook_params_pass_unchanged() -> None:
    params = {
        "read_timeout": 120,
        "connect_timeout": "5",
        "max_retries": 8,
        "max_retry_wait": timedelta(minutes=10),
        "backoff_base": 0.5,
        "max_reset_wait": None,
        "sleep": print,
    }
    assert validate_hook_params(params) == params
    assert validate_hook_params(None) == {}
    assert set(HOOK_ARGUMENTS) >= {"connect_timeout", "read_timeout", "max_retries", "max_retry_wait"}
    with pytest.raises(LaunchDarklyUsageValidationError, match="a dict of hook arguments"):
        validate_hook_params(["read_timeout"])  # type: ignore[arg-type]


def test_every_hook_params_name_is_a_keyword_of_both_hooks() -> None:
    import inspect

    from airflow_provider_ldusage.hooks._base import LaunchDarklyHookBase
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook
    from airflow_provider_ldusage.hooks.usage_async import LaunchDarklyUsageAsyncHook

    base = set(inspect.signature(LaunchDarklyHookBase.__init__).parameters)
    for hook in (LaunchDarklyUsageHook, LaunchDarklyUsageAsyncHook):
        accepted = base | set(inspect.signature(hook.__init__).parameters)
        assert set(HOOK_ARGUMENTS) <= accepted, hook


def test_the_hook_params_check_imports_no_hook_and_no_requests() -> None:
    code = (
        "import sys, airflow_provider_ldusage.hooks.params as h\n"
        "h.validate_hook_params({'read_timeout': 5})\n"
        "print([m for m in sys.modules if m == 'requests' or m.startswith('airflow_provider_ldusage.hooks.')"
        " and m != 'airflow_provider_ldusage.hooks.params'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
