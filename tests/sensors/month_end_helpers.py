"""Helpers for the month-end sensor tests: the emulator's own figures over HTTP, and run inspection."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
import requests

from airflow_provider_ldusage.testing.emulator import Emulator

UTC = timezone.utc
FEB_START = datetime(2026, 2, 1, tzinfo=UTC)
MARCH_FIRST = datetime(2026, 3, 1, tzinfo=UTC)


def point_connection(monkeypatch: pytest.MonkeyPatch, emu: Emulator, token: str | None = None) -> None:
    """Point ``launchdarkly_default`` at the emulator."""
    conn = {"conn_type": "launchdarkly", "host": emu.url, "password": token or emu.token}
    monkeypatch.setenv("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT", json.dumps(conn))


def february_from_emulator(emu: Emulator, **params: str) -> dict[str, Any]:
    """February 2026 of total MAU as the emulator serves it right now: month_to_date, daily, over HTTP."""
    query = {
        "from": str(int(FEB_START.timestamp() * 1000)),
        "to": str(int(MARCH_FIRST.timestamp() * 1000)),
        "aggregationType": "month_to_date",
        "granularity": "daily",
        **params,
    }
    response = requests.get(
        f"{emu.url}/api/v2/usage/total-mau",
        params=query,
        headers={"Authorization": emu.token, "LD-API-Version": "beta"},
        timeout=10,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def expected_figures(body: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Per series: its metadata and its last month_to_date value; and their sum."""
    last = body["series"][-1]
    series = [
        {"index": i, "metadata": meta, "value": last[str(i)]} for i, meta in enumerate(body["metadata"])
    ]
    return series, sum(s["value"] for s in series)


def run_state(dr: Any, task_id: str) -> tuple[str, Any, int, dict[str, Any] | None]:
    """After ``dag.test()``: the task's state, its XCom return value, its reschedule count and its stored
    month-end state (Airflow's task state store)."""
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from airflow_provider_ldusage.compat import HAS_TASK_STATE_STORE
    from airflow_provider_ldusage.sensors.month_end import STATE_KEY
    from tests.airflow_compat import reschedule_count, xcom_model, xcom_value

    XComModel = xcom_model()

    with create_session() as session:
        ti = next(t for t in dr.get_task_instances(session=session) if t.task_id == task_id)
        raw = session.scalar(
            select(XComModel.value).where(
                XComModel.dag_id == ti.dag_id,
                XComModel.run_id == ti.run_id,
                XComModel.task_id == task_id,
                XComModel.key == "return_value",
            )
        )
        reschedules = reschedule_count(session, ti)
        stored = None
        if HAS_TASK_STATE_STORE:  # Airflow 3.3+
            from airflow._shared.state import TaskScope
            from airflow.state import get_state_backend

            scope = TaskScope(dag_id=ti.dag_id, run_id=ti.run_id, task_id=task_id, map_index=ti.map_index)
            stored = get_state_backend().get(scope, STATE_KEY, session=session)
        state = ti.state
    return str(state), xcom_value(raw), reschedules, json.loads(stored) if stored else None
