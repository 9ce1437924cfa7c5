"""The flag list (``GET /api/v2/flags/{projectKey}``) through the hook: every page against a sized emulator
account, the dated version header instead of ``beta``, errors, and a ``next`` link that never advances."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageConflictError,
    LaunchDarklyUsageError,
    LaunchDarklyUsageNotFoundError,
    LaunchDarklyUsageResponseError,
    LaunchDarklyUsageValidationError,
)
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig

from .conftest import TOKEN, Answer, ScriptedServer, set_connection

UTC = timezone.utc


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    from airflow_provider_ldusage.testing.emulator.server import run_emulator

    config = EmulatorConfig(
        seed=5, now=datetime(2026, 3, 10, tzinfo=UTC), projects=2, environments=2, flags=250
    )
    with run_emulator(config) as emulator:
        yield emulator


@pytest.fixture
def hook(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    set_connection(monkeypatch, host=emu.url, password=emu.token)
    emu.clear_requests()
    hook = LaunchDarklyUsageHook(read_timeout=10, sleep=lambda _s: None)
    yield hook
    hook.close()


def listed(emu: Emulator) -> list[Any]:
    return [r for r in emu.requests if r.operation_id == "getFeatureFlags"]


def test_every_page_is_followed_in_order(emu: Emulator, hook: Any) -> None:
    keys = hook.get_feature_flag_keys("mobile-app")
    assert keys == [f.key for f in emu.data.account.flags_of("mobile-app")]
    assert len(keys) == 250 == len(set(keys))
    requests = listed(emu)
    assert [(dict(r.query)["limit"], dict(r.query)["offset"]) for r in requests] == [
        ("100", "0"),
        ("100", "100"),
        ("100", "200"),
    ]
    assert all(r.path == "/api/v2/flags/mobile-app" and r.status == 200 for r in requests)
    # Not a beta route: exactly the official client's dated version, never beta.
    assert {r.headers.get("ld-api-version") for r in requests} == {"20240415"}


def test_a_small_page_size_and_a_filter_are_kept_on_every_page(emu: Emulator, hook: Any) -> None:
    keys = hook.get_feature_flag_keys("default", filter="query:dark-mode", limit=7)
    expected = [f.key for f in emu.data.account.flags_of("default") if "dark-mode" in f.key]
    assert keys == expected and len(expected) > 7
    requests = listed(emu)
    assert len(requests) == -(-len(expected) // 7)
    assert all(
        dict(r.query)["filter"] == "query:dark-mode" and dict(r.query)["limit"] == "7" for r in requests
    )


def test_flags_carry_the_environment_asked_for(emu: Emulator, hook: Any) -> None:
    flags = list(itertools.islice(hook.iter_feature_flags("default", env="staging", limit=5), 5))
    assert len(flags) == 5
    assert all(set(flag["environments"]) == {"staging"} for flag in flags)
    assert all({"key", "name", "kind", "variations", "_links"} <= set(flag) for flag in flags)


def test_more_pages_than_max_pages_is_an_error_not_a_short_list(hook: Any) -> None:
    with pytest.raises(LaunchDarklyUsageError, match="max_pages=2"):
        hook.get_feature_flag_keys("default", max_pages=2)


def test_an_unknown_project_is_a_404_error(hook: Any) -> None:
    with pytest.raises(LaunchDarklyUsageNotFoundError) as caught:
        hook.get_feature_flag_keys("no-such-project")
    assert caught.value.status == 404 and caught.value.code == "not_found"


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"project_key": ""}, "project_key"),
        ({"project_key": "default", "limit": 0}, "limit"),
        ({"project_key": "default", "limit": 101}, "limit"),
        ({"project_key": "default", "max_pages": 0}, "max_pages"),
        ({"project_key": "default", "filter": "  "}, "filter"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    emu: Emulator, hook: Any, arguments: dict[str, Any], parameter: str
) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match=parameter):
        hook.get_feature_flag_keys(**arguments)
    assert listed(emu) == []


def test_a_next_link_that_does_not_advance_is_refused(server: ScriptedServer) -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    page = {
        "items": [{"key": "a"}],
        "_links": {"next": {"href": "/api/v2/flags/p?limit=100&offset=0", "type": "application/json"}},
        "totalCount": 2,
    }
    server.queue(Answer(body=page))
    hook = LaunchDarklyUsageHook(sleep=lambda _s: None)
    with pytest.raises(LaunchDarklyUsageResponseError, match="does not move past offset 0"):
        hook.get_feature_flag_keys("p")
    assert len(server.requests) == 1
    assert server.requests[0].header_values("LD-API-Version") == ["20240415"]


@pytest.mark.parametrize("project_key", ["..", ".", " .. ", "   "])
def test_a_dot_segment_project_key_is_refused_before_any_request(
    emu: Emulator, hook: Any, project_key: str
) -> None:
    # "/api/v2/flags/.." would be resolved to another API path, the token sent along.
    with pytest.raises(LaunchDarklyUsageValidationError, match="project_key"):
        hook.get_feature_flag_keys(project_key)
    assert emu.requests == []


def test_a_409_on_the_flag_list_is_a_conflict_error(server: ScriptedServer) -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    server.queue(Answer(status=409, body={"code": "conflict", "message": "the flag list is busy"}))
    hook = LaunchDarklyUsageHook(sleep=lambda _s: None)
    with pytest.raises(LaunchDarklyUsageConflictError) as caught:
        hook.get_feature_flag_keys("p")
    assert caught.value.status == 409 and caught.value.code == "conflict"
    assert "the flag list is busy" in str(caught.value)
    assert len(server.requests) == 1  # a 409 is not retried


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        (f"/api/v2/flags/p?limit=100&offset=next&echo={TOKEN}", "has no numeric offset"),
        (f"/api/v2/flags/p?limit=100&offset=0&echo={TOKEN}", "offset 0 does not move past offset 0"),
    ],
)
def test_a_bad_next_link_is_reported_without_quoting_it(
    server: ScriptedServer, href: str, expected: str
) -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    server.queue(Answer(body={"items": [{"key": "a"}], "_links": {"next": {"href": href}}, "totalCount": 2}))
    hook = LaunchDarklyUsageHook(sleep=lambda _s: None)
    with pytest.raises(LaunchDarklyUsageResponseError, match=expected) as caught:
        hook.get_feature_flag_keys("p")
    assert TOKEN not in str(caught.value) and "echo" not in str(caught.value)
