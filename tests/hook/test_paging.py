"""Cursor paging of the project ranking (``iter_pages``/``get_all_items``), and the 409 that
LaunchDarkly answers when usage cannot be attributed to a project — first against scripted answers (exact
cursors on the wire), then against the emulator's ranking and its unattributed-usage switch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageAPIError,
    LaunchDarklyUsageConflictError,
    LaunchDarklyUsageError,
    LaunchDarklyUsageResponseError,
)
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig

from .conftest import TOKEN, Answer, ScriptedServer, SleepRecorder, assert_no_token

UTC = timezone.utc
W = {"start": datetime(2026, 1, 1, tzinfo=UTC), "end": datetime(2026, 1, 15, tzinfo=UTC)}
MS = [("from", "1767225600000"), ("to", "1768435200000")]
RANKING = "/api/v2/usage/data-export-events/projects/ranking"
SCOPE = {"source": "streaming", "dimension": "project", "from": 1767225600000, "to": 1768435200000}


def _item(rank: int, key: str, usage: int) -> dict[str, Any]:
    return {
        "projectKey": key,
        "projectName": key.title(),
        "rank": rank,
        "usage": usage,
        "components": {"streaming": usage},
    }


def _page(items: list[dict[str, Any]], total: int, cursor: str | None) -> dict[str, Any]:
    page: dict[str, Any] = {"limit": 2, "count": len(items), "totalCount": total}
    if cursor is not None:
        page["nextCursor"] = cursor
    return {"items": items, "page": page, "scope": SCOPE}


THREE_PAGES = [
    _page([_item(1, "checkout", 90), _item(2, "search", 70)], 5, "cursor-after-2"),
    _page([_item(3, "mobile", 50), _item(4, "growth", 30)], 5, "cursor-after-4"),
    _page([_item(5, "default", 10)], 5, None),
]


def test_three_pages_are_followed_to_the_end(server: ScriptedServer, hook: Any) -> None:
    server.queue(*(Answer(body=p) for p in THREE_PAGES))
    pages = list(hook.iter_pages("get_data_export_project_ranking", **W, project_key=["a", "b"], limit=2))
    assert pages == THREE_PAGES
    assert [r.path for r in server.requests] == [RANKING] * 3
    first = [*MS, ("projectKey", "a"), ("projectKey", "b"), ("limit", "2")]
    assert [r.query for r in server.requests] == [
        first,
        [*MS, ("projectKey", "a"), ("projectKey", "b"), ("cursor", "cursor-after-2"), ("limit", "2")],
        [*MS, ("projectKey", "a"), ("projectKey", "b"), ("cursor", "cursor-after-4"), ("limit", "2")],
    ]


def test_get_all_items_concatenates_the_pages(server: ScriptedServer, hook: Any) -> None:
    server.queue(*(Answer(body=p) for p in THREE_PAGES))
    items = hook.get_all_items("getDataExportProjectRanking", **W, limit=2)
    assert [i["rank"] for i in items] == [1, 2, 3, 4, 5]
    assert [i["projectKey"] for i in items] == ["checkout", "search", "mobile", "growth", "default"]
    assert len(server.requests) == 3


def test_paging_starts_from_a_given_cursor(server: ScriptedServer, hook: Any) -> None:
    server.queue(*(Answer(body=p) for p in THREE_PAGES[1:]))
    items = hook.get_all_items("get_data_export_project_ranking", **W, cursor="cursor-after-2")
    assert [i["rank"] for i in items] == [3, 4, 5]
    assert [dict(r.query).get("cursor") for r in server.requests] == ["cursor-after-2", "cursor-after-4"]


def test_more_pages_than_max_pages_is_an_error_not_a_truncation(server: ScriptedServer, hook: Any) -> None:
    server.queue(*(Answer(body=p) for p in THREE_PAGES))
    with pytest.raises(LaunchDarklyUsageError) as caught:
        hook.get_all_items("get_data_export_project_ranking", max_pages=2, **W)
    assert "max_pages=2" in str(caught.value)
    assert len(server.requests) == 2  # the third page was never asked for


def test_max_pages_equal_to_the_page_count_is_enough(server: ScriptedServer, hook: Any) -> None:
    server.queue(*(Answer(body=p) for p in THREE_PAGES))
    assert len(hook.get_all_items("get_data_export_project_ranking", max_pages=3, **W)) == 5


def test_a_cursor_loop_is_caught(server: ScriptedServer, hook: Any) -> None:
    looping = _page([_item(1, "checkout", 90)], 5, "same")
    server.queue(Answer(body=looping), Answer(body=looping))
    with pytest.raises(LaunchDarklyUsageResponseError, match="repeats an earlier next cursor"):
        hook.get_all_items("get_data_export_project_ranking", **W)
    assert len(server.requests) == 2


def test_a_malformed_ranking_page_is_refused(server: ScriptedServer, hook: Any) -> None:
    bad = _page([{**_item(1, "checkout", 90), "usage": "90"}], 1, None)
    server.queue(Answer(body=bad))
    with pytest.raises(LaunchDarklyUsageResponseError, match="usage"):
        hook.get_all_items("get_data_export_project_ranking", **W)


# --- 409 ---------------------------------------------------------------------------------------------------

CONFLICT = {
    "code": "project_identity_incomplete",
    "message": "Some usage in this range cannot be attributed to a project.",
}


@pytest.mark.parametrize(
    ("method", "kwargs", "advice"),
    [
        (
            "get_data_export_events_usage",
            {"group_by": "projectId", "project_key": "checkout"},
            "environmentId",
        ),
        ("get_data_export_project_ranking", {}, "Narrow start/end"),
    ],
)
def test_409_is_a_conflict_error_with_code_message_and_advice_never_retried(
    server: ScriptedServer,
    hook: Any,
    sleeps: SleepRecorder,
    method: str,
    kwargs: dict[str, Any],
    advice: str,
) -> None:
    server.queue(Answer(status=409, body=CONFLICT))
    with pytest.raises(LaunchDarklyUsageConflictError) as caught:
        getattr(hook, method)(**W, **kwargs)
    exc = caught.value
    assert isinstance(exc, LaunchDarklyUsageAPIError) and isinstance(exc, LaunchDarklyUsageError)
    assert (exc.status, exc.code, exc.message) == (409, CONFLICT["code"], CONFLICT["message"])
    assert exc.hint is not None and advice in exc.hint
    assert advice in str(exc) and CONFLICT["code"] in str(exc)
    assert len(server.requests) == 1 and sleeps.calls == []
    assert_no_token(exc)


def test_409_survives_pickling(server: ScriptedServer, hook: Any) -> None:
    import pickle

    server.queue(Answer(status=409, body=CONFLICT))
    with pytest.raises(LaunchDarklyUsageConflictError) as caught:
        hook.get_data_export_project_ranking(**W)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is LaunchDarklyUsageConflictError and str(copy) == str(caught.value)
    assert TOKEN not in str(copy)


# --- against the emulator ----------------------------------------------------------------------------

OCTOBER = {"start": datetime(2026, 10, 1, tzinfo=UTC), "end": datetime(2026, 11, 1, tzinfo=UTC)}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    from airflow_provider_ldusage.testing.emulator.server import run_emulator

    with run_emulator(EmulatorConfig(seed=1, now=datetime(2026, 11, 2, 6, tzinfo=UTC))) as emulator:
        yield emulator


@pytest.fixture
def emu_hook(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    from .conftest import set_connection

    set_connection(monkeypatch, host=emu.url, password=emu.token)
    hook = LaunchDarklyUsageHook(read_timeout=10, sleep=lambda _s: None)
    yield hook
    hook.close()


def test_emulator_ranking_pages_one_project_at_a_time(emu: Emulator, emu_hook: Any) -> None:
    whole = emu_hook.get_data_export_project_ranking(**OCTOBER, limit=100)
    assert "nextCursor" not in whole["page"]
    total = whole["page"]["totalCount"]
    assert total >= 3, "the emulator's account should rank at least three projects"
    emu.clear_requests()

    items = emu_hook.get_all_items("get_data_export_project_ranking", **OCTOBER, limit=1)

    assert items == whole["items"]
    assert [i["rank"] for i in items] == list(range(1, total + 1))
    ranking = [r for r in emu.requests if r.operation_id == "getDataExportProjectRanking"]
    assert [r.status for r in ranking] == [200] * total
    cursors = [dict(r.query).get("cursor") for r in ranking]
    assert cursors[0] is None and all(cursors[1:]) and len(set(cursors[1:])) == total - 1


def test_emulator_ranking_stops_at_max_pages(emu: Emulator, emu_hook: Any) -> None:
    with pytest.raises(LaunchDarklyUsageError, match="max_pages=2"):
        emu_hook.get_all_items("get_data_export_project_ranking", **OCTOBER, limit=1, max_pages=2)
    assert len(emu.requests) == 2


def test_emulator_unattributed_usage_is_a_409(emu: Emulator, emu_hook: Any) -> None:
    projects = [p.key for p in emu.data.account.projects]
    grouped = {**OCTOBER, "group_by": "projectId", "project_key": projects}
    assert emu_hook.get_data_export_events_usage(**grouped)["series"]  # attributed: fine
    emu.data_export.update({"legacy_rows": True})
    emu.clear_requests()

    with pytest.raises(LaunchDarklyUsageConflictError) as caught:
        emu_hook.get_data_export_events_usage(**grouped)
    assert caught.value.code == "project_identity_incomplete"
    assert caught.value.message and "attributed" in caught.value.message
    with pytest.raises(LaunchDarklyUsageConflictError):
        emu_hook.get_all_items("get_data_export_project_ranking", **OCTOBER)
    assert [r.status for r in emu.requests] == [409, 409]  # one request each: never retried
