"""A value repeated in a repeatable filter (``group_by=['sdkType', 'sdkType']``) is sent once: one
request, one identity, one landed object name, whichever way a template rendered it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from airflow_provider_ldusage.landing.storage import arguments_hash, object_name

from .conftest import ScriptedServer

WINDOW = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-15T00:00:00Z"}


def test_a_repeated_group_by_is_sent_once(make_hook: Callable[..., Any], server: ScriptedServer) -> None:
    hook = make_hook()
    once = hook.build("get_mau_total_usage", group_by=["sdkType"], **WINDOW)
    twice = hook.build("get_mau_total_usage", group_by=["sdkType", "sdkType"], **WINDOW)
    assert twice.params == once.params
    hook.get_mau_total_usage(group_by=["sdkType", "projectId", "sdkType"], project_key=["a", "a"], **WINDOW)
    (recorded,) = server.requests
    assert [v for k, v in recorded.query if k == "groupBy"] == ["sdkType", "projectId"]  # order kept
    assert [v for k, v in recorded.query if k == "projectKey"] == ["a"]


def test_the_landed_name_is_the_same_for_repeated_values() -> None:
    start, end = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 2, tzinfo=timezone.utc)
    names = {
        object_name("getMAUTotalUsage", start, end, {"group_by": value}, "jsonl", conn_id="c")
        for value in (["sdkType"], ["sdkType", "sdkType"], "sdkType")
    }
    assert len(names) == 1
    assert arguments_hash({"group_by": ["a", "a"]}) == arguments_hash({"group_by": ["a"]})
