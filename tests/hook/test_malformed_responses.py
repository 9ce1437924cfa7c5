"""Every failure is a typed error: out-of-range numbers, ``NaN``/``Infinity``, bucket times past year 9999,
bodies past ``max_body_bytes`` and redirects each raise a ``LaunchDarklyUsageError`` subclass naming what
was wrong — never a raw requests/httpx/msgspec/OverflowError/ValueError — in the sync and async hooks.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import random
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageBodyTooLargeError,
    LaunchDarklyUsageError,
    LaunchDarklyUsageInvalidBodyError,
    LaunchDarklyUsageRedirectError,
    LaunchDarklyUsageResponseError,
)
from airflow_provider_ldusage.hooks.usage_async import LaunchDarklyUsageAsyncHook

from .conftest import SERIES_BODY, Answer, FakeClock, ScriptedServer, SleepRecorder, _handler

WINDOW = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-15T00:00:00Z"}
ENVELOPE = '{"_links": {}, "metadata": [{"projectId": "p1"}], "series": [%s]}'


def _run_sync(make_hook: Callable[..., Any], lazy: bool, **kwargs: Any) -> Any:
    hook = make_hook(**kwargs)
    if lazy:
        return list(hook.call_lazy("get_mau_total_usage", **WINDOW)["series"])
    return hook.get_mau_total_usage(**WINDOW)


def _run_async(sleeps: SleepRecorder, clock: FakeClock, **kwargs: Any) -> Any:
    async def sleep(seconds: float) -> None:
        sleeps(seconds)

    kwargs.setdefault("read_timeout", 5)
    hook = LaunchDarklyUsageAsyncHook(sleep=sleep, clock=clock, rng=random.Random(3), **kwargs)
    return asyncio.run(hook.call("get_mau_total_usage", **WINDOW))


BAD_SLICES = {
    "float out of range": ('{"time": 1767225600000, "0": 1e999}', "1e999"),
    "NaN literal": ('{"time": 1767225600000, "0": NaN}', "NaN"),
    "Infinity literal": ('{"time": 1767225600000, "0": -Infinity}', "Infinity"),
    "time past 9999": ('{"time": 253402300800000, "0": 3}', "253402300800000"),
    "time out of range": ('{"time": 1e300, "0": 3}', "1e+300"),
}


@pytest.mark.parametrize("case", sorted(BAD_SLICES))
@pytest.mark.parametrize("lazy", [False, True], ids=["plain", "lazy"])
def test_a_number_no_usage_figure_can_be(
    make_hook: Callable[..., Any], server: ScriptedServer, case: str, lazy: bool
) -> None:
    raw, named = BAD_SLICES[case]
    server.default = lambda recorded: Answer(body=ENVELOPE % raw)
    with pytest.raises(LaunchDarklyUsageError) as caught:
        _run_sync(make_hook, lazy)
    error = caught.value
    # A body that parses (or that a strict parser refuses for its literal) is wrong data, not a cut.
    assert isinstance(error, LaunchDarklyUsageResponseError)
    assert not isinstance(error.__context__, (ValueError, OverflowError)) or error.__suppress_context__
    text = str(error)
    assert not isinstance(error, LaunchDarklyUsageInvalidBodyError), "wrong data, not a body cut short"
    assert len(server.requests) == 1, "wrong data is not retried"
    if case.startswith("time"):
        assert "'time'" in text and "years 1 to 9999" in text, text
    elif lazy and case == "float out of range":
        assert "series[0]: Number out of range" in text, text
    else:
        assert named in text, text


@pytest.mark.parametrize("case", sorted(BAD_SLICES))
def test_the_async_hook_refuses_the_same_numbers(
    server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock, case: str
) -> None:
    raw, _ = BAD_SLICES[case]
    server.default = lambda recorded: Answer(body=ENVELOPE % raw)
    with pytest.raises(LaunchDarklyUsageResponseError):
        _run_async(sleeps, clock, max_retries=0)


def test_a_nan_in_the_plain_path_is_not_returned(
    make_hook: Callable[..., Any], server: ScriptedServer
) -> None:
    server.queue(Answer(body=ENVELOPE % '{"time": 1767225600000, "0": NaN}'))
    with pytest.raises(LaunchDarklyUsageResponseError, match="the literal NaN"):
        make_hook().get_mau_total_usage(**WINDOW)
    assert len(server.requests) == 1, "wrong data is not retried"


# --- size ------------------------------------------------------------------------------------------------


def _huge(total: int, piece: int = 1 << 16) -> Iterator[bytes]:
    """A valid-looking series body of about ``total`` bytes, produced as it is sent."""
    head = b'{"_links": {}, "metadata": [], "series": ['
    slice_ = b'{"time": 1767225600000, "0": 1},'
    yield head
    sent = len(head)
    block = slice_ * (piece // len(slice_))
    while sent < total:
        yield block
        sent += len(block)
    yield b'{"time": 1767225600000, "0": 1}]}'


def test_a_200_mb_body_is_not_read_whole(make_hook: Callable[..., Any], server: ScriptedServer) -> None:
    total = 200 * 1024 * 1024
    answer = Answer(chunks=_huge(total))  # no Content-Length: only reading tells the size
    server.queue(answer)
    with pytest.raises(LaunchDarklyUsageBodyTooLargeError) as caught:
        make_hook(max_body_bytes=4 * 1024 * 1024).get_mau_total_usage(**WINDOW)
    assert "max_body_bytes=4194304" in str(caught.value)
    assert answer.sent < 64 * 1024 * 1024, "the client stopped reading soon after the cap"
    assert len(server.requests) == 1, "a body too large is not retried"


def test_a_declared_length_past_the_cap_is_refused_before_reading(
    make_hook: Callable[..., Any], server: ScriptedServer
) -> None:
    answer = Answer(chunks=_huge(8 * 1024 * 1024), content_length=8 * 1024 * 1024 + 100)
    server.queue(answer)
    with pytest.raises(LaunchDarklyUsageBodyTooLargeError, match="Content-Length 8388708"):
        make_hook(max_body_bytes=1024 * 1024).get_mau_total_usage(**WINDOW)


def test_the_async_hook_caps_the_body_too(
    server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    answer = Answer(chunks=_huge(100 * 1024 * 1024))
    server.queue(answer)
    with pytest.raises(LaunchDarklyUsageBodyTooLargeError):
        _run_async(sleeps, clock, max_body_bytes=2 * 1024 * 1024)
    assert answer.sent < 64 * 1024 * 1024


def test_a_body_within_the_cap_arrives(make_hook: Callable[..., Any], server: ScriptedServer) -> None:
    body = json.dumps(SERIES_BODY).encode()
    server.queue(Answer(body=body))
    assert make_hook(max_body_bytes=len(body)).get_mau_total_usage(**WINDOW) == SERIES_BODY


# --- redirects -------------------------------------------------------------------------------------------


@pytest.fixture
def other_server() -> Iterator[ScriptedServer]:
    """A second scripted server: where a redirect points. It must never be asked anything."""
    state = ScriptedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_is_not_followed(
    make_hook: Callable[..., Any], server: ScriptedServer, other_server: ScriptedServer, status: int
) -> None:
    target = f"{other_server.url}/api/v2/usage/total-mau"
    server.queue(Answer(status, headers={"Location": target}))
    with pytest.raises(LaunchDarklyUsageRedirectError) as caught:
        make_hook().get_mau_total_usage(**WINDOW)
    assert caught.value.status == status and target in str(caught.value)
    assert other_server.requests == [] and len(server.requests) == 1


def test_a_redirect_loop_and_a_scheme_change_are_refused(
    make_hook: Callable[..., Any], server: ScriptedServer
) -> None:
    counter = itertools.count()
    server.default = lambda recorded: Answer(302, headers={"Location": f"/loop/{next(counter)}"})
    with pytest.raises(LaunchDarklyUsageRedirectError):
        make_hook().get_mau_total_usage(**WINDOW)
    assert len(server.requests) == 1
    server.reset()
    server.queue(Answer(301, headers={"Location": "ftp://127.0.0.1/usage"}))
    with pytest.raises(LaunchDarklyUsageRedirectError, match="ftp://"):
        make_hook().get_mau_total_usage(**WINDOW)


def test_the_async_hook_does_not_follow_redirects(
    server: ScriptedServer, other_server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    server.queue(Answer(307, headers={"Location": f"{other_server.url}/api/v2/usage/total-mau"}))
    with pytest.raises(LaunchDarklyUsageRedirectError):
        _run_async(sleeps, clock)
    assert other_server.requests == []


def test_a_compressed_body_is_capped_by_its_decoded_size(
    make_hook: Callable[..., Any], server: ScriptedServer, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    plain = json.dumps(SERIES_BODY).encode()
    server.queue(Answer(body=gzip.compress(plain), headers={"Content-Encoding": "gzip"}))
    assert make_hook().get_mau_total_usage(**WINDOW) == SERIES_BODY
    # 50 MB of spaces compress to ~50 KB: the cap counts what memory would hold, not the wire bytes.
    bomb = gzip.compress(b" " * (50 * 1024 * 1024))
    server.queue(Answer(body=bomb, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(LaunchDarklyUsageBodyTooLargeError):
        make_hook(max_body_bytes=1 << 20).get_mau_total_usage(**WINDOW)
    server.queue(Answer(body=bomb, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(LaunchDarklyUsageBodyTooLargeError):
        _run_async(sleeps, clock, max_body_bytes=1 << 20)
