"""Shared pieces of the benchmarks: the result types, an isolated Airflow home, and small statistics."""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / ".bench"  # git-ignored; `make clean` removes it
PYTHON = sys.executable

PASS, FAIL, ERROR = "pass", "fail", "error"


@dataclass
class Figure:
    """One row of the results table. Values are already formatted for display."""

    name: str
    value: str
    baseline: str
    ratio: str
    target: str
    status: str


@dataclass
class BenchResult:
    """What one benchmark produced: its table rows and free-text notes (method, details, profiles)."""

    title: str
    figures: list[Figure]
    notes: list[str] = field(default_factory=list)


def verdict(ok: bool) -> str:
    return PASS if ok else FAIL


def airflow_env() -> dict[str, str]:
    """Environment for this process and its children: an Airflow home under ``.bench``, no examples.

    Nothing touches ``~/airflow``; connections come from ``AIRFLOW_CONN_*`` variables set by each benchmark.
    """
    home = SCRATCH / "airflow-home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",  # keep the hook's wait notices out of the table
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }


def set_connection(conn_id: str, host: str, token: str) -> None:
    """Point the Airflow connection ``conn_id`` at ``host`` through an environment variable."""
    conn = {"conn_type": "launchdarkly", "host": host, "password": token}
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(conn)


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def fmt_us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.3f}x"
