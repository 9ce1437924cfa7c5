"""``ldusage-emulator``: run the LaunchDarkly usage-API emulator from a shell until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import FrameType
from typing import NoReturn

from airflow_provider_ldusage.testing.emulator.config import (
    FAULT_KINDS,
    EmulatorConfig,
    FaultSpec,
    Runaway,
)


def parse_fault(text: str) -> FaultSpec:
    """``KIND[:OPERATION][:COUNT]``; an empty OPERATION or ``*`` means any route, COUNT ``inf`` unlimited."""
    parts = text.split(":")
    if len(parts) > 3 or parts[0] not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            f"expected KIND[:OPERATION][:COUNT] with KIND in {', '.join(FAULT_KINDS)}"
        )
    operation = parts[1] if len(parts) > 1 and parts[1] not in ("", "*") else None
    count: int | None = 1
    if len(parts) > 2:
        count = None if parts[2] in ("inf", "") else int(parts[2])
    try:
        return FaultSpec(kind=parts[0], operation_id=operation, count=count)  # type: ignore[arg-type]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _port(text: str) -> int:
    """A TCP port number, 0 to 65535 (0: a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


class _OneLineParser(argparse.ArgumentParser):
    """Reports a bad option in one line on stderr (no usage block, no traceback) and exits with 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _runaway(text: str) -> Runaway:
    """``--runaway``: a JSON object with the fields of :class:`Runaway`."""
    try:
        return Runaway.from_mapping(json.loads(text))
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: …)`` after every option with a real default; unset ones say theirs in words."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or action.default == []:
            return action.help
        return super()._get_help_string(action)


_CLOCK_HELP = """\
The virtual clock: it starts at --now and runs at --clock-speed virtual seconds per real second. The
default, 0, freezes it: every request sees the same instant until you move it (POST /_emulator/clock with
{"now": "2026-10-06T00:00:00Z"}, {"advance_seconds": 3600} or {"speed": 1}). To follow real time, give
--clock-speed 1 and leave out --now (it starts at the real time); --clock-speed 3600 runs an hour a second.
The rate-limit windows always run on real time."""


def _fail(message: str) -> int:
    print(f"ldusage-emulator: error: {message}", file=sys.stderr, flush=True)
    return 2


def _parser() -> argparse.ArgumentParser:
    p = _OneLineParser(
        prog="ldusage-emulator",
        description="Local LaunchDarkly account-usage API on loopback, until SIGINT/SIGTERM.",
        epilog=_CLOCK_HELP,
        formatter_class=_DefaultsFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind")
    p.add_argument("--port", type=_port, default=0, help="TCP port; 0 = a free one, printed on start")
    p.add_argument(
        "--token",
        action="append",
        help=f"accepted Authorization value, repeatable (default: {EmulatorConfig().tokens[0]})",
    )
    p.add_argument("--seed", type=int, default=1, help="seeds the synthetic account and its figures")
    p.add_argument(
        "--now",
        type=datetime.fromisoformat,
        help="initial virtual time, ISO 8601, no offset = UTC (default: the real time at start)",
    )
    p.add_argument(
        "--clock-speed",
        type=float,
        default=0.0,
        help="virtual seconds per real second: 0 freezes the clock, 1 follows real time (see below)",
    )
    p.add_argument(
        "--lag-hours", type=float, default=6.0, help="a bucket's data appears this long after it ends"
    )
    p.add_argument(
        "--settle-hours",
        type=float,
        default=48.0,
        help="after appearing, a bucket's figures grow for this long, then are final",
    )
    p.add_argument("--rate-window", type=float, default=10.0, help="real seconds per rate-limit window")
    p.add_argument(
        "--route-budget", type=int, default=None, help="requests per operation per window (default: no limit)"
    )
    p.add_argument(
        "--global-budget", type=int, default=None, help="requests per window in all (default: no limit)"
    )
    p.add_argument(
        "--token-budget",
        type=int,
        default=None,
        help="requests per access token per window (default: no limit)",
    )
    p.add_argument("--pipeline-lag-hours", type=float, default=1.0, help="data-export dataThrough lag")
    p.add_argument(
        "--data-export-legacy-rows",
        action="store_true",
        help="unattributed usage: groupBy=projectId gets 409",
    )
    p.add_argument(
        "--lenient-units",
        action="store_true",
        help="accept from/to in seconds or milliseconds on every endpoint (not LaunchDarkly behaviour)",
    )
    p.add_argument(
        "--runaway",
        type=_runaway,
        default=None,
        help="inject a runaway SDK: JSON such as "
        '\'{"project": "default", "environment": "production", "sdk": "JavaScript", '
        '"from_day": "2026-10-09", "extra_per_day": 5000}\'',
    )
    for name, what in (
        ("projects", "projects"),
        ("environments", "environments per project"),
        ("flags", "flags per project; computed on demand, so thousands start as fast as ten"),
    ):
        p.add_argument(
            f"--{name}",
            type=int,
            default=None,
            help=f"account size: {what} (default: drawn from --seed, a small account)",
        )
    p.add_argument("--fault", type=parse_fault, action="append", default=[], help="KIND[:OPERATION][:COUNT]")
    p.add_argument("--log-level", default="WARNING", help="Python logging level")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; a bad option or a busy port is one line on stderr, exit 2."""
    args = _parser().parse_args(argv)
    level = logging.getLevelName(args.log_level.upper())
    if not isinstance(level, int):
        return _fail(f"argument --log-level: unknown level {args.log_level!r} (DEBUG, INFO, WARNING, ERROR)")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from airflow_provider_ldusage.testing.emulator.server import Emulator

    try:
        config = EmulatorConfig(
            tokens=tuple(args.token) if args.token else EmulatorConfig().tokens,
            seed=args.seed,
            now=args.now,
            clock_speed=args.clock_speed,
            lag=timedelta(hours=args.lag_hours),
            settle=timedelta(hours=args.settle_hours),
            rate_window=args.rate_window,
            route_budget=args.route_budget,
            global_budget=args.global_budget,
            token_budget=args.token_budget,
            pipeline_lag=timedelta(hours=args.pipeline_lag_hours),
            data_export_legacy_rows=args.data_export_legacy_rows,
            lenient_units=args.lenient_units,
            runaway=args.runaway,
            projects=args.projects,
            environments=args.environments,
            flags=args.flags,
            host=args.host,
            port=args.port,
        )
    except (ValueError, TypeError, OverflowError) as exc:  # the config's own checks (negative lag…)
        return _fail(str(exc))
    try:
        emulator = Emulator(config).start()
    except OSError as exc:
        where = f"{args.host}:{args.port}"
        if exc.errno == errno.EADDRINUSE:
            return _fail(
                f"cannot listen on {where}: the port is in use (pick another --port, or 0 for a free one)"
            )
        return _fail(f"cannot listen on {where}: {exc.strerror or exc}")
    except ValueError as exc:  # a runaway naming an SDK the account does not have there
        return _fail(str(exc))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    for fault in args.fault:
        emulator.add_fault(fault)
    print(f"ldusage-emulator listening on {emulator.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
