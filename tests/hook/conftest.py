"""A scripted HTTP server on loopback that records every request, and hooks wired to it.

The server is plain stdlib (``http.server``): each test queues the answers it wants (status, headers, body,
an optional delay, or a dropped connection) and afterwards reads what the hook really put on the wire —
path, query pairs as parsed by ``urllib.parse.parse_qsl`` and the raw header list, duplicates included.
Hooks get a recording ``sleep`` and a fake ``clock``, so rate-limit waits are observed, never slept.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

TOKEN = "api-TOKEN-SENTINEL-1234567890-abcdef"
SERIES_BODY: dict[str, Any] = {
    "_links": {"self": {"href": "/api/v2/usage/x", "type": "application/json"}},
    "metadata": [{"projectId": "p1"}],
    "series": [{"time": 1767225600000, "0": 3}, {"time": 1767312000000, "0": 5}],
}
SDK_LIST_BODY: dict[str, Any] = {"_links": {}, "sdks": ["Android", "go-server-sdk"]}
SDK_VERSION_BODY: dict[str, Any] = {
    "_links": {},
    "sdkVersions": [{"sdk": "go-server-sdk", "version": "7.1.0"}, {"sdk": "Unknown", "version": "Unknown"}],
}


@dataclass
class Answer:
    """One scripted answer: ``body`` may be bytes, text or a JSON-able object; ``drop`` closes the
    connection without a response; ``delay`` waits before answering (read-timeout tests);
    ``content_length`` overrides the header (a larger value plus a closed socket = a body cut short);
    ``chunks`` (an iterable of bytes, replacing ``body``) is written piece by piece with ``pause`` seconds
    before each, without a ``Content-Length`` unless one is given (the end is the closed connection), and
    ``sent`` counts the body bytes the client took before it hung up."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    content_type: str = "application/json"
    content_length: int | None = None
    chunks: Any = None
    pause: float = 0.0
    sent: int = 0


@dataclass
class Recorded:
    """What one request carried on the wire."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    at: float

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def query_multiset(self) -> Counter[tuple[str, str]]:
        return Counter(self.query)


class ScriptedServer:
    """The server's state, shared between the test and the handler threads."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.events: list[tuple[str, object]] = []  # ("request", path) / ("sleep", seconds), in order
        self.script: deque[Answer] = deque()
        self.default: Callable[[Recorded], Answer] = default_answer
        self.url = ""
        self._lock = threading.Lock()

    def queue(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def next_answer(self, recorded: Recorded) -> Answer:
        with self._lock:
            self.requests.append(recorded)
            self.events.append(("request", recorded.path))
            if self.script:
                return self.script.popleft()
        return self.default(recorded)

    def reset(self) -> None:
        self.requests.clear()
        self.events.clear()
        self.script.clear()
        self.default = default_answer


def default_answer(recorded: Recorded) -> Answer:
    """A valid 200 for whichever endpoint was asked."""
    if recorded.path.endswith("/mau/sdks"):
        return Answer(body=SDK_LIST_BODY)
    if recorded.path.endswith("/sdkversions"):
        return Answer(body=SDK_VERSION_BODY)
    return Answer(body=SERIES_BODY)


def _handler(state: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            recorded = Recorded(
                "GET",
                parts.path,
                parse_qsl(parts.query, keep_blank_values=True),
                list(self.headers.items()),
                time.monotonic(),
            )
            answer = state.next_answer(recorded)
            if answer.delay:
                time.sleep(answer.delay)
            if answer.drop:
                self.close_connection = True
                return
            if answer.chunks is not None:
                self._stream(answer)
                return
            body = answer.body
            if body is None:
                body = b""
            elif isinstance(body, str):
                body = body.encode()
            elif not isinstance(body, bytes):
                body = json.dumps(body).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                length = len(body) if answer.content_length is None else answer.content_length
                self.send_header("Content-Length", str(length))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
                if length != len(body):
                    self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                self.close_connection = True

        def _stream(self, answer: Answer) -> None:
            self.close_connection = True
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                if answer.content_length is not None:
                    self.send_header("Content-Length", str(answer.content_length))
                self.send_header("Connection", "close")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.flush()
                for chunk in answer.chunks:
                    if answer.pause:
                        time.sleep(answer.pause)
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    answer.sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                pass

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    return Handler


@pytest.fixture(scope="session")
def _server_session() -> Iterator[ScriptedServer]:
    state = ScriptedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, name="scripted-ld-server", daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def server(_server_session: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    """The scripted server, emptied, with ``launchdarkly_default`` pointing at it."""
    _server_session.reset()
    set_connection(monkeypatch, host=_server_session.url)
    yield _server_session
    _server_session.reset()


def set_connection(monkeypatch: pytest.MonkeyPatch, **fields: Any) -> None:
    """Point ``launchdarkly_default`` at ``fields`` (password defaults to the sentinel token)."""
    conn: dict[str, Any] = {"conn_type": "launchdarkly", "password": TOKEN, **fields}
    monkeypatch.setenv("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT", json.dumps(conn))


class FakeClock:
    """Epoch seconds that only move when the hook sleeps (starts at the real time)."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


class SleepRecorder:
    """Stands in for ``time.sleep``: records each wait, advances the fake clock, logs it as an event."""

    def __init__(self, clock: FakeClock, server: ScriptedServer) -> None:
        self.calls: list[float] = []
        self._clock = clock
        self._server = server

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self._server.events.append(("sleep", seconds))
        self._clock.now += seconds

    @property
    def total(self) -> float:
        return sum(self.calls)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps(clock: FakeClock, server: ScriptedServer) -> SleepRecorder:
    return SleepRecorder(clock, server)


@pytest.fixture
def make_hook(
    server: ScriptedServer, clock: FakeClock, sleeps: SleepRecorder
) -> Iterator[Callable[..., Any]]:
    """Build a ``LaunchDarklyUsageHook`` on the scripted server with recorded sleeps and the fake clock."""
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    made: list[LaunchDarklyUsageHook] = []

    def make(**kwargs: Any) -> LaunchDarklyUsageHook:
        kwargs.setdefault("read_timeout", 5)
        kwargs.setdefault("connect_timeout", 2)
        hook = LaunchDarklyUsageHook(sleep=sleeps, clock=clock, rng=random.Random(7), **kwargs)
        made.append(hook)
        return hook

    yield make
    for hook in made:
        hook.close()


@pytest.fixture
def hook(make_hook: Callable[..., Any]) -> Any:
    return make_hook()


# --- token-leak guard: every test in this folder runs under it -------------------------------------------

_WATCHED_LOGGERS = ("", "urllib3", "requests", "httpx", "httpcore", "airflow", "airflow.task")


_PROVIDER_LOG_PREFIXES = ("airflow.task.hooks.airflow_provider_ldusage", "airflow_provider_ldusage")


def _structlog_levels() -> Any:
    """Airflow's per-logger level table for structlog (private API; ``None`` if it moves)."""
    try:
        from airflow._shared.logging.structlog import PER_LOGGER_LEVELS
    except ImportError:  # pragma: no cover - a future Airflow
        return None
    return PER_LOGGER_LEVELS


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        out = []
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        for record in self.records:
            out.append(formatter.format(record))
            out.append(repr(record.args))
            out.append(repr(getattr(record, "msg", "")))
        return out


@pytest.fixture
def log_capture() -> Iterator[_Collector]:
    """Every log record at DEBUG from the root, urllib3, httpx and Airflow loggers during the test."""
    collector = _Collector()
    saved: list[tuple[logging.Logger, int, bool]] = []
    for name in _WATCHED_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(collector)
        if name:
            logger.propagate = False  # each record reaches the collector exactly once
    # The hook's own log lines go through Airflow's structlog, which prints them (to stdout, checked by the
    # guard below) and filters by per-logger levels: open the provider's loggers up to DEBUG as well.
    levels = _structlog_levels()
    if levels is not None:
        for prefix in _PROVIDER_LOG_PREFIXES:
            levels[prefix] = logging.DEBUG
    yield collector
    if levels is not None:
        for prefix in _PROVIDER_LOG_PREFIXES:
            levels.pop(prefix, None)
    for logger, level, propagate in saved:
        logger.removeHandler(collector)
        logger.setLevel(level)
        logger.propagate = propagate


class Console:
    """What reached stdout/stderr (Airflow's structlog prints the hook's log lines there)."""

    def __init__(self, capfd: pytest.CaptureFixture[str]) -> None:
        self._capfd = capfd
        self.seen = ""

    def read(self) -> str:
        out, err = self._capfd.readouterr()
        self.seen += out + err
        return self.seen


@pytest.fixture
def console(capfd: pytest.CaptureFixture[str]) -> Console:
    return Console(capfd)


@pytest.fixture(autouse=True)
def no_token_in_logs(log_capture: _Collector, console: Console) -> Iterator[None]:
    """Fails the test if the token shows up in any log record or in stdout/stderr, hook log lines included."""
    yield
    text = console.read()
    leaks = [t for t in log_capture.texts() if TOKEN in t]
    assert not leaks, f"the access token reached the logs: {leaks[:3]}"
    assert TOKEN not in text, "the access token was printed to stdout/stderr"


def assert_no_token(exc: BaseException) -> None:
    """The exception's text, repr, arguments, notes and chained causes never carry the token."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        notes = repr(getattr(current, "__notes__", []))
        for text in (str(current), repr(current), repr(current.args), repr(vars(current)), notes):
            assert TOKEN not in text, f"token leaked through {type(current).__name__}: {text[:200]}"
        current = current.__cause__ or current.__context__
