"""Emulator accounts of a chosen size: the flag list pages through exactly the account's flags, every listed
flag has evaluations in every environment of its project (an unlisted one is a 404), and the figures of a
flag agree across granularities and variations whatever the account's size."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from emulator_helpers import NOW, call, window

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig, run_emulator
from airflow_provider_ldusage.testing.emulator.account import Account

EVALUATIONS = BY_OPERATION["getEvaluationsUsage"]
VERSION = "20240415"


@pytest.fixture(scope="module")
def sized() -> Iterator[Emulator]:
    config = EmulatorConfig(
        now=NOW, seed=3, projects=7, environments=4, flags=230, lag=timedelta(0), settle=timedelta(0)
    )
    with run_emulator(config) as emulator:
        yield emulator


def flag_page(
    emu: Emulator, project: str, params: list[tuple[str, str]] = (), **kw: object
) -> requests.Response:
    return call(emu, f"/api/v2/flags/{project}", params, beta=kw.pop("version", VERSION), **kw)  # type: ignore[arg-type]


def all_listed(emu: Emulator, project: str, limit: int) -> tuple[list[str], list[dict[str, object]]]:
    """Follow ``_links.next`` from the first page; the keys and every page's body."""
    href = f"/api/v2/flags/{project}?limit={limit}"
    keys: list[str] = []
    pages = []
    while href:
        response = requests.get(
            emu.url + href, headers={"Authorization": emu.token, "LD-API-Version": VERSION}, timeout=10
        )
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        keys += [item["key"] for item in page["items"]]
        href = page["_links"].get("next", {}).get("href")
    return keys, pages


def test_the_account_has_the_sizes_asked_for(sized: Emulator) -> None:
    account = sized.data.account
    assert len(account.projects) == 7 and len({p.key for p in account.projects}) == 7
    assert len(account.environments) == 7 * 4
    assert len(account.flags) == 7 * 230
    described = requests.get(f"{sized.url}/_emulator/account", timeout=10).json()
    assert described["flagCount"] == len(described["flags"]) == 7 * 230
    assert {e["projectKey"] for e in described["environments"]} == {p.key for p in account.projects}


def test_the_flag_list_pages_through_exactly_the_project_flags(sized: Emulator) -> None:
    for project in ("default", sized.data.account.projects[-1].key):
        keys, pages = all_listed(sized, project, 50)
        assert keys == [f.key for f in sized.data.account.flags_of(project)]
        assert len(keys) == len(set(keys)) == 230
        assert [len(p["items"]) for p in pages] == [50, 50, 50, 50, 30]
        assert {p["totalCount"] for p in pages} == {230}
        assert "prev" not in pages[0]["_links"] and "first" not in pages[0]["_links"]
        assert "next" not in pages[-1]["_links"] and "last" not in pages[-1]["_links"]
        assert pages[0]["_links"]["last"]["href"].endswith("limit=50&offset=200")


def test_the_flag_list_defaults_caps_and_filters(sized: Emulator) -> None:
    assert len(flag_page(sized, "default").json()["items"]) == 20  # LaunchDarkly's default page size
    assert len(flag_page(sized, "default", [("limit", "500")]).json()["items"]) == 100
    page = flag_page(sized, "default", [("filter", "query:smart-cache"), ("limit", "100")]).json()
    assert page["totalCount"] == len(page["items"]) > 0
    assert all("smart-cache" in item["key"] for item in page["items"])
    assert flag_page(sized, "default", [("filter", "state:archived")]).json()["totalCount"] == 0
    with_env = flag_page(sized, "default", [("env", "env-4"), ("limit", "3")]).json()["items"]
    assert all(set(item["environments"]) == {"env-4"} for item in with_env)
    assert all("environments" not in item for item in flag_page(sized, "default").json()["items"])


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ([("limit", "0")], 400),
        ([("offset", "-1")], 400),
        ([("filter", "colour:red")], 400),
        ([("env", "nope")], 400),
    ],
)
def test_the_flag_list_refuses_bad_parameters(
    sized: Emulator, params: list[tuple[str, str]], status: int
) -> None:
    response = flag_page(sized, "default", params)
    assert response.status_code == status
    assert response.json()["code"] == "invalid_request"


def test_the_flag_list_is_not_a_beta_route(sized: Emulator) -> None:
    assert flag_page(sized, "default", version=None).status_code == 200  # the token's own version
    assert flag_page(sized, "default", version=VERSION).status_code == 200
    assert flag_page(sized, "default", version="20191212").status_code == 400
    assert flag_page(sized, "default", token="wrong").status_code == 401
    assert flag_page(sized, "no-such-project").status_code == 404
    # The usage routes still want beta.
    assert (
        call(
            sized,
            f"/api/v2/usage/evaluations/default/production/{sized.data.account.flags[0].key}",
            beta=VERSION,
        ).status_code
        == 403
    )


def test_the_flag_list_has_its_own_route_budget() -> None:
    config = EmulatorConfig(now=NOW, flags=10, route_budget=2, rate_window=60)
    with run_emulator(config) as emu:
        statuses = [flag_page(emu, "default").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        usage = call(emu, "/api/v2/usage/total-mau")
        assert usage.status_code == 200
        assert flag_page(emu, "default").headers["x-ratelimit-route-remaining"] == "0"


def test_every_listed_flag_has_evaluations_in_every_environment_and_no_other_does(sized: Emulator) -> None:
    account = sized.data.account
    params = window(EVALUATIONS, NOW - timedelta(days=3), NOW - timedelta(days=1))
    for project in account.projects[:3]:
        keys, _ = all_listed(sized, project.key, 100)
        envs = [e.key for e in account.environments if e.project_key == project.key]
        for key in keys[::37]:
            for env in envs:
                body = call(sized, f"/api/v2/usage/evaluations/{project.key}/{env}/{key}", params).json()
                assert body["metadata"] and len(body["series"]) == 2
        assert (
            call(sized, f"/api/v2/usage/evaluations/{project.key}/{envs[0]}/{keys[0]}x", params).status_code
            == 404
        )
        assert (
            call(sized, f"/api/v2/usage/evaluations/{project.key}/nope/{keys[0]}", params).status_code == 404
        )
    beyond = f"new-checkout-{230 + 12}"  # the key flag 242 would have
    assert call(sized, f"/api/v2/usage/evaluations/default/production/{beyond}", params).status_code == 404


def test_hours_add_up_to_days_and_pooled_variations_to_the_flag(sized: Emulator) -> None:
    account = sized.data.account
    many = next(f for f in account.flags_of("default") if len(f.variations) > 10)
    day = NOW - timedelta(days=5)
    for flag in (account.flags_of("default")[0], many):
        path = f"/api/v2/usage/evaluations/default/staging/{flag.key}"
        daily = call(sized, path, window(EVALUATIONS, day, day + timedelta(days=2))).json()
        hourly = call(sized, path, window(EVALUATIONS, day, day + timedelta(hours=24))).json()
        assert daily["metadata"] == hourly["metadata"]
        assert len(hourly["series"]) == 24 and len(daily["series"]) == 2
        for key in range(len(daily["metadata"])):
            assert sum(p[str(key)] for p in hourly["series"]) == daily["series"][0][str(key)]
    pooled = call(
        sized,
        f"/api/v2/usage/evaluations/default/staging/{many.key}",
        window(EVALUATIONS, day, day + timedelta(days=2)),
    ).json()
    assert len(pooled["metadata"]) == 11 and pooled["metadata"][-1] == {
        "variation": "other",
        "value": "Other Variations",
    }


def test_a_flag_has_the_same_figures_whatever_the_account_size() -> None:
    params = window(EVALUATIONS, NOW - timedelta(days=4), NOW - timedelta(days=1))
    path = "/api/v2/usage/evaluations/default/production/dark-mode-2"
    bodies = []
    for flags in (5, 5_000):
        with run_emulator(EmulatorConfig(now=NOW, seed=3, projects=1, environments=1, flags=flags)) as emu:
            bodies.append(call(emu, path, params).json())
    assert bodies[0]["series"] == bodies[1]["series"] and bodies[0]["series"]


def test_a_sized_account_computes_flags_and_their_cells_only_when_asked() -> None:
    from airflow_provider_ldusage.testing.emulator.data import SyntheticData

    data = SyntheticData(
        1, timedelta(hours=6), timedelta(days=2), projects=2, environments=3, flags=1_000_000
    )
    assert len(data.account.flags) == 2_000_000
    assert data.facts.metrics["evaluations"].cells == ()  # nothing built for two million flags
    assert data.account.flag("default", "dark-mode-2") == data.account.flags[1]
    assert data.account.flag("default", "dark-mode-3") is None  # flag 3's key is search-v2-3
    assert data.account.flag("default", "dark-mode-02") is None


def test_without_sizes_the_account_is_the_one_the_seed_draws() -> None:
    assert Account(4).describe() == Account(4).describe()
    drawn = Account(4)
    sized = Account(4, flags=3)
    assert [p.key for p in drawn.projects] == [p.key for p in sized.projects]
    assert "price-tier" in {f.key for f in drawn.flags}


@pytest.mark.parametrize("field", ["projects", "environments", "flags"])
@pytest.mark.parametrize("value", [0, -1, True, 10**9])
def test_sizes_out_of_range_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"EmulatorConfig.{field} must be an integer from 1"):
        EmulatorConfig(**{field: value})  # type: ignore[arg-type]


def test_cli_sizes_the_account() -> None:
    command = [
        sys.executable, "-m", "airflow_provider_ldusage.testing.cli",
        "--projects", "2", "--environments", "3", "--flags", "1500",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        account = requests.get(f"{url}/_emulator/account", timeout=10).json()
        assert account["flagCount"] == 3000 and len(account["environments"]) == 6
        page = requests.get(
            f"{url}/api/v2/flags/default", headers={"Authorization": "ld-emulator-token"}, timeout=10
        )
        assert page.json()["totalCount"] == 1500
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_refuses_a_bad_size() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_ldusage.testing.cli", "--flags", "0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "EmulatorConfig.flags must be an integer from 1" in result.stderr


def test_the_pytest_marker_sizes_the_fixture_account(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "test_user.py").write_text(
        "import pytest, requests\n"
        "@pytest.mark.launchdarkly_emulator(projects=1, environments=2, flags=321)\n"
        "def test_sized(launchdarkly_emulator):\n"
        "    account = requests.get(launchdarkly_emulator.url + '/_emulator/account', timeout=10).json()\n"
        "    assert account['flagCount'] == 321 and len(account['environments']) == 2\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / "test_user.py")],
        capture_output=True, text=True, timeout=300, cwd=folder,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    json.dumps(result.returncode)
