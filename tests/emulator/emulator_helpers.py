"""Helpers for the emulator tests: real HTTP over loopback, no mocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests

from airflow_provider_ldusage.catalogue import BY_OPERATION, Endpoint
from airflow_provider_ldusage.testing.emulator import Emulator

UTC = timezone.utc
NOW = datetime(2026, 3, 10, tzinfo=UTC)
REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = (REPO_ROOT / ".." / "shared" / "launchdarkly" / "usage-openapi.json").resolve()
CLIENT_PATH = (REPO_ROOT / ".." / "shared" / "launchdarkly" / "usage-client-v25.json").resolve()
Params = Sequence[tuple[str, str]]


def stamp(endpoint: Endpoint, when: datetime) -> str:
    """``when`` in the endpoint's documented unit."""
    seconds = int(when.timestamp())
    return str(seconds if endpoint.time_unit == "s" else seconds * 1000)


def window(endpoint: Endpoint, start: datetime, end: datetime) -> list[tuple[str, str]]:
    return [("from", stamp(endpoint, start)), ("to", stamp(endpoint, end))]


def concrete_path(emu: Emulator, endpoint: Endpoint, **values: str) -> str:
    """The endpoint's path with valid path values (overridable)."""
    flag = emu.data.account.flags[0]
    env = next(e for e in emu.data.account.environments if e.project_key == flag.project_key)
    defaults = {
        "source": "server",
        "type": "received",
        "projectKey": flag.project_key,
        "environmentKey": env.key,
        "featureFlagKey": flag.key,
    }
    path = endpoint.path
    for param in endpoint.path_params:
        path = path.replace("{" + param.wire + "}", values.get(param.wire, defaults[param.wire]))
    return path


def call(
    emu: Emulator,
    path: str,
    params: Params = (),
    *,
    token: str | None = None,
    beta: str | None = "beta",
    timeout: float = 10.0,
) -> requests.Response:
    headers = {"Authorization": token or emu.token}
    if beta is not None:
        headers["LD-API-Version"] = beta
    return requests.get(emu.url + path, params=list(params), headers=headers, timeout=timeout)


def get_json(emu: Emulator, operation_id: str, params: Params = (), **path_values: str) -> dict[str, Any]:
    endpoint = BY_OPERATION[operation_id]
    response = call(emu, concrete_path(emu, endpoint, **path_values), params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def keys_of(body: dict[str, Any]) -> list[str]:
    return [str(i) for i in range(len(body["metadata"]))]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end
