"""Fixtures for the landing tests: one emulator per module (one DAG run lands many objects), the catalogue's
series and list endpoints with the arguments that make them answer, and an independent reader of objects."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_ldusage.catalogue import ENDPOINTS, Endpoint
from airflow_provider_ldusage.landing.storage import OUTPUT_FORMATS
from airflow_provider_ldusage.testing.emulator import EmulatorConfig
from airflow_provider_ldusage.testing.emulator.server import Emulator, run_emulator
from tests.dag_runs import EMULATOR_NOW

UTC = timezone.utc
#: The window every series task lands: two whole UTC days, two weeks before the emulator's clock.
START, END = "2026-06-01T00:00:00Z", "2026-06-03T00:00:00Z"
#: The run's logical date (the as-of instant of list endpoints without a window).
LOGICAL = datetime(2026, 6, 10, tzinfo=UTC)
#: A flag that exists in the seed-1 emulator account (tests/examples/conftest.py).
FLAG = {"project_key": "default", "environment_key": "production", "feature_flag_key": "new-checkout"}


@pytest.fixture(scope="package")
def emulator() -> Iterator[Emulator]:
    """One emulator for the package; ``AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT`` points at it."""
    with run_emulator(EmulatorConfig(seed=1, now=EMULATOR_NOW)) as emu, pytest.MonkeyPatch.context() as mp:
        conn = {"conn_type": "launchdarkly", "host": emu.url, "password": emu.token}
        mp.setenv("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT", json.dumps(conn))
        yield emu


def path_variants(ep: Endpoint) -> list[dict[str, str]]:
    """Every allowed combination of the endpoint's path parameters (a flag that exists for evaluations)."""
    if ep.operation_id == "getEvaluationsUsage":
        return [dict(FLAG)]
    variants: list[dict[str, str]] = [{}]
    for param in ep.path_params:
        assert param.allowed, f"{ep.operation_id}: no allowed values for {param.name}"
        variants = [{**v, param.name: value} for v in variants for value in param.allowed]
    return variants


def group_by_param(ep: Endpoint) -> tuple[str, str] | None:
    """``(argument name, a value)`` of the endpoint's group-by parameter, or None when it has none."""
    for param in ep.query_params:
        if param.name in ("group_by", "groupby"):
            ruled = {rule.value for rule in ep.rules if rule.param == param.name}
            assert param.allowed
            return param.name, next(v for v in param.allowed if v not in ruled)
    return None


def series_variants() -> list[tuple[str, Endpoint, dict[str, Any]]]:
    """``(label, endpoint, operator kwargs)`` for every series endpoint, path-parameter value, with and
    without group_by."""
    out = []
    for ep in ENDPOINTS:
        if not ep.is_series:
            continue
        for path in path_variants(ep):
            suffix = "".join(f"_{v}" for k, v in path.items() if ep.operation_id != "getEvaluationsUsage")
            base = f"{ep.operation_id}{suffix}"
            out.append((base, ep, {**path, "start": START, "end": END}))
            grouping = group_by_param(ep)
            if grouping is not None:
                name, value = grouping
                out.append((f"{base}_grouped", ep, {**path, "start": START, "end": END, name: value}))
    return out


def list_variants() -> list[tuple[str, Endpoint, dict[str, Any]]]:
    """``(label, endpoint, operator kwargs)`` for every list endpoint (one path-parameter value)."""
    out = []
    for ep in ENDPOINTS:
        if ep.is_series:
            continue
        kwargs: dict[str, Any] = dict(path_variants(ep)[0])
        if ep.has_window:
            kwargs.update(start=START, end=END)
        out.append((ep.operation_id, ep, kwargs))
    return out


def dag_source(tasks: list[tuple[str, str, dict[str, Any]]], *, schedule: str = "None") -> str:
    """A DAG file with one task per ``(task_id, operator class name, kwargs)``."""
    names = sorted({op for _, op, _ in tasks})
    return f"""
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators import usage
TASKS = {tasks!r}
with DAG(DAG_ID, schedule={schedule}, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    for task_id, op, kwargs in TASKS:
        getattr(usage, op)(task_id=task_id, **kwargs)
ASSERT_NAMES = {names!r}
"""


def read_object(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """An object's columns and rows, read directly (pyarrow, gzip + json, csv), not through
    landing/reading.py.

    JSON Lines rows are as decoded; CSV rows are text cells; Parquet rows as pyarrow gives them.
    """
    name = path.name
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return table.column_names, table.to_pylist()
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    text = raw.decode("utf-8")
    if ".jsonl" in name:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        return (list(rows[0]) if rows else []), rows
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def fetch(emulator: Emulator, ep: Endpoint, path: dict[str, str], query: list[tuple[str, str]]) -> Any:
    """One request with plain ``requests``: the independent figure to compare landed rows with."""
    url = ep.path
    for param in ep.path_params:
        url = url.replace("{" + param.wire + "}", path[param.name])
    response = requests.get(
        emulator.url + url,
        params=query,
        headers={"Authorization": emulator.token, "LD-API-Version": "beta"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="package")
def module_runner(airflow_db: Path) -> Any:
    """A DAG runner usable from module-scoped fixtures (one DAG, many tasks, one ``dag.test``)."""
    import os

    from tests.dag_runs import DagRunner

    # The scratch bundle tests/conftest.py configured (importing that module again would re-run its set-up).
    bundles = json.loads(os.environ["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
    folder = next(b["kwargs"]["path"] for b in bundles if b["name"] == "tmp_dags")
    return DagRunner(Path(folder))


def task_id(label: str, fmt: str) -> str:
    return f"{label}__{fmt.replace('.', '_')}"


@pytest.fixture(scope="package")
def landed(
    emulator: Emulator, module_runner: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Every series and list variant landed in every format by one DAG run: task id -> summary
    (shared by the schema and round-trip tests)."""
    out = tmp_path_factory.mktemp("schema")
    tasks = [
        (task_id(label, fmt), ep.operator_name, {**kwargs, "output_path": str(out), "output_format": fmt})
        for label, ep, kwargs in (*series_variants(), *list_variants())
        for fmt in OUTPUT_FORMATS
    ]
    from tests.dag_runs import xcom

    dag_run = module_runner(dag_source(tasks), logical_date=LOGICAL)
    failed = [t.task_id for t in dag_run.get_task_instances() if str(t.state) != "success"]
    assert dag_run.state == "success" and not failed, failed
    return {tid: xcom(dag_run, tid) for tid, _, _ in tasks}
