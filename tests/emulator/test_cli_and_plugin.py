"""The ``ldusage-emulator`` console script and the ``launchdarkly_emulator`` pytest fixture."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
import requests
from emulator_helpers import UTC

from airflow_provider_ldusage.testing.cli import parse_fault
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig


def test_cli_serves_curl_and_exits_cleanly_on_sigterm() -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    command = [
        sys.executable, "-m", "airflow_provider_ldusage.testing.cli",
        "--token", "cli-token", "--seed", "3", "--now", "2026-03-10T00:00:00+00:00",
        "--route-budget", "5", "--fault", "503:getMAUTotalUsage:1",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("ldusage-emulator listening on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1]
        headers = ["-H", "Authorization: cli-token", "-H", "LD-API-Version: beta"]
        first = subprocess.run(
            [curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", *headers, f"{url}/api/v2/usage/total-mau"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        assert first.stdout == "503", "the --fault option arms a fault"
        second = subprocess.run(
            [curl, "-s", "-i", *headers, f"{url}/api/v2/usage/total-mau"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        head, body = second.stdout.split("\n\n", 1)  # text mode turned CRLF into LF
        status, *lines = head.splitlines()
        fields = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
        assert status.startswith("HTTP/1.1 200")
        assert fields["date"] == "Tue, 10 Mar 2026 00:00:00 GMT"
        assert fields["x-ratelimit-route-remaining"] == "3"
        assert set(json.loads(body)) == {"_links", "metadata", "series"}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, process.stderr.read() if process.stderr else ""


def test_cli_fault_syntax() -> None:
    spec = parse_fault("drop:getStreamUsage:3")
    assert (spec.kind, spec.operation_id, spec.count) == ("drop", "getStreamUsage", 3)
    assert parse_fault("500").operation_id is None
    assert parse_fault("slow::inf").count is None
    with pytest.raises(Exception, match="KIND"):
        parse_fault("explode")


def test_plugin_fixture_runs_an_emulator_and_sets_the_connection(launchdarkly_emulator: Emulator) -> None:
    conn = json.loads(os.environ["AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT"])
    assert conn == {
        "conn_type": "launchdarkly",
        "host": launchdarkly_emulator.url,
        "password": "ld-emulator-token",
    }
    response = requests.get(
        f"{conn['host']}/api/v2/usage/mau/sdks",
        headers={"Authorization": conn["password"], "LD-API-Version": "beta"},
        timeout=5,
    )
    assert response.status_code == 200
    assert launchdarkly_emulator.requests[-1].operation_id == "getMauSdksByType"


@pytest.fixture
def launchdarkly_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(seed=9, now=datetime(2026, 1, 5, tzinfo=UTC), lag=timedelta(hours=1))


def test_plugin_config_is_overridable(launchdarkly_emulator: Emulator) -> None:
    assert launchdarkly_emulator.config.seed == 9
    assert launchdarkly_emulator.clock.now() == datetime(2026, 1, 5, tzinfo=UTC)


def test_plugin_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, airflow_provider_ldusage.testing.pytest_plugin as p; "
        "heavy = [m for m in ('fastapi', 'uvicorn', 'starlette', 'airflow_provider_ldusage.testing.emulator')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
