"""The connection type in a running Airflow: ``airflow api-server`` on loopback, called as the UI calls it.

One API server (a subprocess, SQLite metadata DB, simple auth manager) serves the whole module. The calls
are the ones the Airflow 3 UI makes: ``GET /ui/connections/hook_meta`` to build the connection form,
``POST /api/v2/connections`` to save it, ``POST /api/v2/connections/test`` for the *Test* button.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_ldusage.defaults import CONN_TYPE, CONNECTION_EXTRAS, TEXT_EXTRAS
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig
from tests.ecosystem.servers import airflow_api_server, header_stripping_proxy

TIMEOUT = 60


class ApiClient:
    """Calls the API server with a bearer token, as the UI does with its session token."""

    def __init__(self, url: str) -> None:
        self.url = url
        # With simple_auth_manager_all_admins the UI logs in without credentials; so do we.
        answer = requests.get(f"{url}/auth/token", timeout=TIMEOUT)
        answer.raise_for_status()
        self.headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, headers=self.headers, timeout=TIMEOUT)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(self.url + path, json=body, headers=self.headers, timeout=TIMEOUT)

    def delete(self, path: str) -> requests.Response:
        return requests.delete(self.url + path, headers=self.headers, timeout=TIMEOUT)

    def test(self, body: dict[str, Any]) -> dict[str, Any]:
        """The *Test* button: the form's content, answered with ``{"status", "message"}``."""
        answer = self.post("/api/v2/connections/test", body)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    from airflow_provider_ldusage.testing.emulator.server import run_emulator

    config = EmulatorConfig(
        seed=1, now=datetime(2026, 6, 15, tzinfo=timezone.utc), forbidden_tokens=("api-reader-no-usage",)
    )
    with run_emulator(config) as emu:
        yield emu


@pytest.fixture(scope="module")
def api(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiClient]:
    """``airflow api-server`` on the test session's Airflow home and SQLite DB, stopped after the module."""
    env = {
        **os.environ,
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",  # Disabled by default: the Test button needs it
        "AIRFLOW__API_AUTH__JWT_SECRET": "ldusage-api-server-test",
    }
    env.pop("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT", None)
    log = tmp_path_factory.mktemp("api-server") / "api-server.log"
    with airflow_api_server(log, env) as url:
        yield ApiClient(url)


def form(conn_id: str, host: str, token: str) -> dict[str, Any]:
    """What the connection form sends: its fields, the extras as a JSON string."""
    return {
        "connection_id": conn_id,
        "conn_type": CONN_TYPE,
        "host": host,
        "password": token,
        "extra": json.dumps({"connect_timeout": 5, "read_timeout": 10, "max_retries": 0}),
    }


def test_the_ui_finds_the_launchdarkly_connection_type_with_its_form(api: ApiClient) -> None:
    answer = api.get("/ui/connections/hook_meta")
    assert answer.status_code == 200, answer.text
    (meta,) = [m for m in answer.json() if m["connection_type"] == "launchdarkly"]
    assert meta["hook_name"] == "LaunchDarkly"
    assert meta["hook_class_name"] == "airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook"
    standard = meta["standard_fields"]
    assert (standard["host"]["title"], standard["host"]["hidden"]) == ("Base URL", False)
    assert "https://app.launchdarkly.com" in standard["host"]["placeholder"]
    assert (standard["password"]["title"], standard["password"]["hidden"]) == ("API access token", False)
    assert standard["password"]["placeholder"].startswith("api-")
    assert all(standard[name]["hidden"] for name in ("login", "port", "url_schema"))
    extra = meta["extra_fields"]
    assert list(extra) == [*CONNECTION_EXTRAS, *TEXT_EXTRAS]
    for name, text_field in TEXT_EXTRAS.items():
        assert extra[name]["schema"]["title"] == text_field.label
        assert "null" in extra[name]["schema"]["type"]
    for name, field in CONNECTION_EXTRAS.items():
        assert extra[name]["schema"]["title"] == field.label
        assert "null" in extra[name]["schema"]["type"]  # optional: no red asterisk on the form
        assert extra[name]["description"] == field.description
        assert extra[name]["value"] == field.default
        assert (extra[name]["schema"]["minimum"], extra[name]["schema"]["maximum"]) == (
            field.minimum,
            field.maximum,
        )
    # The type is offered as testable: the providers API lists us, the hook has test_connection.
    providers = api.get("/api/v2/providers?limit=1000").json()["providers"]
    assert "airflow-provider-ldusage" in {p["package_name"] for p in providers}


def test_create_then_test_a_connection_against_the_emulator(api: ApiClient, emulator: Emulator) -> None:
    body = form("ldusage_ui_created", emulator.url, emulator.token)
    created = api.post("/api/v2/connections", body)
    try:
        assert created.status_code == 201, created.text
        saved = api.get("/api/v2/connections/ldusage_ui_created").json()
        assert (saved["conn_type"], saved["host"], saved["password"]) == (CONN_TYPE, emulator.url, "***")
        assert json.loads(saved["extra"])["read_timeout"] == 10
        # The edit form shows the token masked and sends the mask back; Airflow fills in the saved token.
        result = api.test({**body, "password": "***"})
        assert result["status"] is True, result
        assert result["message"].startswith(f"Connected to {emulator.url}: usage API answered")
        assert emulator.token not in json.dumps(result)
        # One real request, with the beta header; the emulator accepts no token but the saved one.
        request = emulator.requests[-1]
        assert (request.operation_id, request.headers["LD-API-Version"]) == (
            "getStreamUsageSdkversion",
            "beta",
        )
    finally:
        api.delete("/api/v2/connections/ldusage_ui_created")


def test_a_wrong_token_fails_and_says_the_token_is_invalid(api: ApiClient, emulator: Emulator) -> None:
    result = api.test(form("ldusage_ui_wrong", emulator.url, "api-wrong-token-0000"))
    assert result["status"] is False
    message = result["message"]
    assert "HTTP 401" in message and "Invalid access token" in message
    assert "The access token is invalid, expired or lacks access; check the connection's password" in message
    assert "api-wrong-token-0000" not in message


def test_the_test_button_names_the_connection_by_its_base_url(api: ApiClient, emulator: Emulator) -> None:
    # Airflow tests a copy of the form under a random connection id; the message names what the user typed.
    result = api.test(form("ldusage_ui_no_token", emulator.url, ""))
    assert result["status"] is False
    assert result["message"] == (
        f"This connection ({emulator.url}) has no API access token: put it in the password field"
    )


def test_a_token_without_usage_access_fails_and_says_its_role_is_missing(
    api: ApiClient, emulator: Emulator
) -> None:
    result = api.test(form("ldusage_ui_no_role", emulator.url, "api-reader-no-usage"))
    assert result["status"] is False
    message = result["message"]
    assert "HTTP 403" in message and "forbidden" in message
    assert "The token's role may not read account usage" in message
    assert "beta" not in message.lower()  # not mistaken for the missing-header 403
    assert "api-reader-no-usage" not in message


def test_a_request_without_the_beta_header_fails_and_says_so(api: ApiClient, emulator: Emulator) -> None:
    # A proxy between Airflow and LaunchDarkly strips LD-API-Version: LaunchDarkly answers the beta 403.
    with header_stripping_proxy(emulator.url, "LD-API-Version") as proxy:
        result = api.test(form("ldusage_ui_proxy", proxy, emulator.token))
    assert result["status"] is False
    message = result["message"]
    assert "HTTP 403" in message and "This API is in beta" in message
    assert "lack of the `LD-API-Version: beta` header" in message
    assert "a proxy between Airflow and LaunchDarkly may be stripping or duplicating it" in message
    assert emulator.token not in message
