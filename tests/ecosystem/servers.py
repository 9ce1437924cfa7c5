"""Real servers on loopback for the ecosystem tests: started as subprocesses, always stopped.

Each helper picks a free port, starts the server, waits until it answers, and on exit terminates it (and
kills it if it does not stop in time), so a failing test never leaves a server behind.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import requests


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    ready: Callable[[], bool], *, timeout: float, what: str, process: subprocess.Popen[bytes]
) -> None:
    """Poll ``ready`` until it is true; fail early when ``process`` exits, and after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before it was ready")
        with contextlib.suppress(requests.RequestException):
            if ready():
                return
        time.sleep(0.2)
    raise TimeoutError(f"{what} was not ready after {timeout:.0f} s")


@contextlib.contextmanager
def server_process(
    argv: list[str],
    *,
    ready: Callable[[], bool],
    what: str,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` as a server in its own process group; stop the group on exit, whatever happened.

    :param argv: the command.
    :param ready: returns True once the server answers.
    :param what: a name for error messages.
    :param log: where its stdout and stderr go (read it when a test fails).
    :param env: its environment (default: this process's).
    :param timeout: seconds to wait for ``ready``.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env if env is not None else os.environ),
            start_new_session=True,
        )
        try:
            try:
                wait_until(ready, timeout=timeout, what=what, process=process)
            except Exception as exc:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{exc}; its log ends with:\n{tail}") from exc
            yield process
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, 15)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        process.wait(timeout=15)


@contextlib.contextmanager
def moto_s3_server(log: Path) -> Iterator[str]:
    """moto's server mode (``python -m moto.server``) on a free loopback port; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]

    def ready() -> bool:
        return requests.get(f"{url}/moto-api/", timeout=2).status_code == 200

    with server_process(argv, ready=ready, what="moto S3 server", log=log, timeout=60):
        yield url


@contextlib.contextmanager
def header_stripping_proxy(upstream: str, strip: str) -> Iterator[str]:
    """A reverse proxy on loopback that forwards GETs to ``upstream`` without the header ``strip``.

    What a misconfigured corporate proxy does to LaunchDarkly's ``LD-API-Version`` header; the answer is
    the upstream's own. Yields the proxy's URL.
    """
    import http.client
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in (strip.lower(), "host")}
            connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
            try:
                connection.request("GET", self.path, headers=headers)
                answer = connection.getresponse()
                body = answer.read()
            finally:
                connection.close()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in (
                    "transfer-encoding",
                    "connection",
                    "content-length",
                    "date",
                    "server",
                ):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def airflow_api_server(log: Path, env: Mapping[str, str]) -> Iterator[str]:
    """``airflow api-server`` on a free loopback port, one worker; yields its base URL.

    :param env: the server's environment: AIRFLOW_HOME, the metadata DB and the settings of the test.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    airflow = str(Path(sys.executable).with_name("airflow"))
    argv = [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]

    def ready() -> bool:
        return requests.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200

    with server_process(argv, ready=ready, what="airflow api-server", log=log, env=env, timeout=120):
        yield url
