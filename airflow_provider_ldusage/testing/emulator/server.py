"""Running the emulator: uvicorn on loopback in a background thread, and the Python API around it."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import uvicorn

from airflow_provider_ldusage.testing.emulator.app import EmulatorApp
from airflow_provider_ldusage.testing.emulator.clock import VirtualClock
from airflow_provider_ldusage.testing.emulator.config import EmulatorConfig, FaultSpec
from airflow_provider_ldusage.testing.emulator.data import SyntheticData
from airflow_provider_ldusage.testing.emulator.freshness import DataExportSwitches
from airflow_provider_ldusage.testing.emulator.recording import RecordedRequest
from airflow_provider_ldusage.testing.emulator.state import EmulatorState

log = logging.getLogger(__name__)


class Emulator:
    """A LaunchDarkly usage-API emulator; use :func:`run_emulator` or ``with Emulator(cfg) as emu``.

    :param config: behaviour of the emulator; defaults to :class:`EmulatorConfig` ().
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.state = EmulatorState(self.config)
        self.app = EmulatorApp(self.state)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Emulator:
        """Bind ``config.host``/``config.port`` and serve in a daemon thread; return once accepting."""
        if self._thread is not None:
            raise RuntimeError("emulator already started")
        sock = socket.socket(
            socket.AF_INET6 if ":" in self.config.host else socket.AF_INET, socket.SOCK_STREAM
        )
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.config.host, self.config.port))
        self._port = sock.getsockname()[1]
        uv_config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            date_header=False,  # the app sends the virtual clock's Date
            server_header=False,
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(uv_config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"ldusage-emulator:{self._port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not start")
            time.sleep(0.01)
        log.info("ldusage emulator listening on %s", self.url)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = None
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- the Python API --------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("emulator not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (use as the connection's host)."""
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}"

    @property
    def token(self) -> str:
        """The first accepted token."""
        return self.config.tokens[0]

    @property
    def clock(self) -> VirtualClock:
        """The virtual clock: ``now()``, ``set(dt)``, ``advance(td)``, ``set_speed(x)``."""
        return self.state.clock

    @property
    def data(self) -> SyntheticData:
        """The synthetic account and its figures (``data.series(SeriesQuery(...), now)``)."""
        return self.state.data

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request received so far (admin routes excluded), oldest first."""
        return self.state.log.items()

    @property
    def data_export(self) -> DataExportSwitches:
        """The data-export pipelines (``dataThrough``/``delayed``) and the unattributed-usage (409) switch:
        ``update({"legacy_rows": True})``, ``update({"lag_seconds": 5 * 3600})``,
        ``update({"data_through": "2026-03-01T00:00:00Z", "source": "data_export"})``."""
        return self.state.data_export

    def clear_requests(self) -> None:
        self.state.log.clear()

    def add_fault(self, fault: FaultSpec) -> None:
        self.state.faults.add(fault)

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def reset(self) -> None:
        """Initial clock, no faults, fresh rate-limit budgets, empty request log."""
        self.state.reset()


@contextmanager
def run_emulator(config: EmulatorConfig | None = None) -> Iterator[Emulator]:
    """Start an emulator on a free loopback port in the background; stop it on exit.

    :param config: behaviour of the emulator; defaults to :class:`EmulatorConfig` ().
    """
    emulator = Emulator(config).start()
    try:
        yield emulator
    finally:
        emulator.stop()
