"""Run a load in another process and kill it outright (SIGKILL) once it says it is writing rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def kill_when_marked(script: str, folder: Path, arguments: list[str]) -> str:
    """Run ``script`` with ``<marker file> *arguments``; when the script writes the marker (it is inserting),
    SIGKILL it, so no cleanup code of ours runs, only the database's own transaction handling. Returns the
    marker's text.
    """
    marker = folder / "marker"
    path = folder / "killed_load.py"
    path.write_text(textwrap.dedent(script))
    process = subprocess.Popen(
        [sys.executable, str(path), str(marker), *arguments],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            assert process.poll() is None, process.stdout.read().decode()[-3000:] if process.stdout else ""
            assert time.monotonic() < deadline, "the load never started writing rows"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    return marker.read_text()
