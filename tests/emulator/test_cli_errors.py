"""``ldusage-emulator`` reports a busy port or a bad option in one line, without a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from airflow_provider_ldusage.testing.cli import main


def test_a_busy_port_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "airflow_provider_ldusage.testing.cli", "--port", str(port)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"ldusage-emulator: error: cannot listen on 127.0.0.1:{port}: the port is in use "
        "(pick another --port, or 0 for a free one)\n"
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--port", "99999"], "argument --port: 99999 is not a port number (0-65535)"),
        (["--port", "http"], "argument --port: 'http' is not a port number"),
        (["--seed", "x"], "argument --seed: invalid int value: 'x'"),
        (["--now", "yesterday"], "argument --now: invalid fromisoformat value: 'yesterday'"),
        (["--fault", "explode"], "argument --fault: expected KIND[:OPERATION][:COUNT]"),
        (["--log-level", "LOUD"], "argument --log-level: unknown level 'LOUD'"),
        (["--lag-hours", "-3"], "EmulatorConfig.lag and settle must not be negative"),
        (["--rate-window", "0"], "EmulatorConfig.rate_window must be positive"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code  # argparse's own errors
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("ldusage-emulator: error: ") and expected in err
    assert err.count("\n") == 1 and "Traceback" not in err and "usage:" not in err


def test_help_shows_every_default_and_how_the_clock_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "airflow_provider_ldusage.testing.cli", "--help"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "250"},
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == ""
    text = " ".join(done.stdout.split())  # argparse wraps the epilog
    for option, default in [
        ("--host HOST", "(default: 127.0.0.1)"),
        ("--port PORT", "(default: 0)"),
        ("--token TOKEN", "(default: ld-emulator-token)"),
        ("--seed SEED", "(default: 1)"),
        ("--now NOW", "(default: the real time at start)"),
        ("--clock-speed CLOCK_SPEED", "(default: 0.0)"),
        ("--lag-hours LAG_HOURS", "(default: 6.0)"),
        ("--settle-hours SETTLE_HOURS", "(default: 48.0)"),
        ("--rate-window RATE_WINDOW", "(default: 10.0)"),
        ("--route-budget ROUTE_BUDGET", "(default: no limit)"),
        ("--log-level LOG_LEVEL", "(default: WARNING)"),
    ]:
        described = text.split(f" {option} ", 1)[1].split(" --", 1)[0]  # up to the next option
        assert default in described, (option, described)
    assert "(default: None)" not in text and "(default: False)" not in text
    assert "0 freezes the clock, 1 follows real time" in text
    assert "The default, 0, freezes it" in text
    assert "To follow real time, give --clock-speed 1 and leave out --now" in text
