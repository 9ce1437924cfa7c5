"""The evaluations fan-out in ``dag.test()`` against a sized emulator account: one object per flag and
environment, the single-flag operator's names and rows, flag discovery, partial failure and re-runs."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig
from tests.dag_runs import EMULATOR_NOW, DagRunner, state_of, xcom

UTC = timezone.utc
LOGICAL = datetime(2026, 6, 10, 6, tzinfo=UTC)
RUN_AFTER = datetime(2026, 6, 10, 6, 5, tzinfo=UTC)  # fixed, so two dag.test() calls are one DAG run
FLAGS = 120
_versions = itertools.count()  # per project: two pages of the flag list at its largest page size


@pytest.fixture
def launchdarkly_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(seed=1, now=EMULATOR_NOW, projects=2, environments=3, flags=FLAGS)


def batch_dag(out: Path, flags: str, extra: str = "", envs: str = '["production", "staging"]') -> str:
    return f"""
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.evaluations import LaunchDarklyEvaluationsUsageBatchOperator
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyEvaluationsUsageBatchOperator(
        task_id="usage", project_key="default", environment_keys={envs},
        feature_flag_keys={flags}, window="previous_day", output_path="{out}"{extra},
    )
"""


def single_dag(out: Path, env: str, flag: str) -> str:
    return f"""
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyEvaluationsUsageOperator
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyEvaluationsUsageOperator(
        task_id="usage", project_key="default", environment_key="{env}", feature_flag_key="{flag}",
        window="previous_day", output_path="{out}",
    )
"""


def objects(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*.jsonl")
        if "_batches" not in p.parts and not p.name.startswith(".")
    }


def evaluation_requests(emu: Emulator) -> list[str]:
    return [r.path for r in emu.requests if r.operation_id == "getEvaluationsUsage"]


def test_one_object_per_flag_and_environment_as_the_single_flag_operator_lands_it(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    keys = [f.key for f in launchdarkly_emulator.data.account.flags_of("default")][:40]
    dr = run_dag(batch_dag(tmp_path / "batch", repr(keys), ", max_concurrency=6"), logical_date=LOGICAL)
    assert state_of(dr) == "success"
    summary = xcom(dr, "usage")
    landed = objects(tmp_path / "batch")
    assert len(landed) == summary["objects"] == summary["fetched"] == 80
    assert summary["failed"] == [] and summary["skipped"] == 0 and summary["flags"] == 40
    assert (
        summary["window_start"] == "2026-06-09T00:00:00Z" and summary["window_end"] == "2026-06-10T00:00:00Z"
    )
    assert len(json.dumps(summary)) < 2_000  # XCom stays small whatever the number of flags
    assert sorted(evaluation_requests(launchdarkly_emulator)) == sorted(
        f"/api/v2/usage/evaluations/default/{env}/{key}" for env in ("production", "staging") for key in keys
    )
    manifest = json.loads(Path(summary["manifest"].removeprefix("file://")).read_text())
    assert sorted(o["path"] for o in manifest["objects"]) == sorted(
        f"file://{tmp_path / 'batch' / name}" for name in landed
    )
    assert sum(o["rows"] for o in manifest["objects"]) == summary["rows"] > 0
    # The single-flag operator lands the same object, byte for byte, under the same name.
    for env, flag in (("staging", keys[7]), ("production", keys[31])):
        single = run_dag(single_dag(tmp_path / "single", env, flag), logical_date=LOGICAL)
        assert state_of(single) == "success"
    alone = objects(tmp_path / "single")
    assert len(alone) == 2
    for name, body in alone.items():
        assert landed[name] == body


def test_all_lists_the_project_flags_page_by_page(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    dr = run_dag(batch_dag(tmp_path, '"all"', ", max_concurrency=8", envs='"test"'), logical_date=LOGICAL)
    assert state_of(dr) == "success"
    summary = xcom(dr, "usage")
    assert summary["flags"] == FLAGS and summary["objects"] == FLAGS
    listed = [r for r in launchdarkly_emulator.requests if r.operation_id == "getFeatureFlags"]
    assert [dict(r.query)["offset"] for r in listed] == ["0", "100"]
    assert all(r.path == "/api/v2/flags/default" and r.status == 200 for r in listed)
    assert all(r.headers.get("ld-api-version") == "20240415" for r in listed)
    assert sorted(p.rsplit("/", 1)[1] for p in evaluation_requests(launchdarkly_emulator)) == sorted(
        f.key for f in launchdarkly_emulator.data.account.flags_of("default")
    )


def same_dag_runner(folder: Path, name: str) -> Any:
    """Runs successive versions of one DAG (one dag_id): the same logical date and ``run_after`` make
    each ``dag.test()`` the same DAG run again, as a retry or a cleared task is."""

    def run(body: str) -> Any:
        path = folder / f"{name}.py"
        path.write_text(textwrap.dedent(body).replace("DAG_ID", repr(name)))
        spec = importlib.util.spec_from_file_location(f"{name}_{next(_versions)}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.dag.test(logical_date=LOGICAL, run_after=RUN_AFTER)

    return run


def test_one_unknown_flag_fails_the_task_naming_it_and_a_rerun_fetches_only_it(
    run_dag: DagRunner, tmp_dags_folder: Path, launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    keys = [f.key for f in launchdarkly_emulator.data.account.flags_of("default")][:10]
    source = batch_dag(tmp_path, repr([*keys[:5], "retired-flag", *keys[5:]]), ", lookback=1")
    rerun = same_dag_runner(tmp_dags_folder, f"ldusage_batch_rerun_{tmp_path.name}")
    first = rerun(source)
    assert state_of(first) == "failed"
    assert len(objects(tmp_path)) == 10 * 2 * 2  # every other flag landed, in both windows
    manifest = next((tmp_path / "_batches").rglob("*.json"))
    failed = json.loads(manifest.read_text())["failed"]
    assert sorted((f["target"]["environment_key"], f["window_start"]) for f in failed) == [
        ("production", "2026-06-08T00:00:00Z"),
        ("production", "2026-06-09T00:00:00Z"),
        ("staging", "2026-06-08T00:00:00Z"),
        ("staging", "2026-06-09T00:00:00Z"),
    ]
    assert {f["target"]["feature_flag_key"] for f in failed} == {"retired-flag"}
    assert all("404" in f["error"] and "LaunchDarklyUsageNotFoundError" in f["error"] for f in failed)

    launchdarkly_emulator.clear_requests()
    second = rerun(source)  # the same DAG run again
    assert second.run_id == first.run_id
    assert state_of(second) == "failed"
    assert {p.rsplit("/", 1)[1] for p in evaluation_requests(launchdarkly_emulator)} == {"retired-flag"}
    assert len(evaluation_requests(launchdarkly_emulator)) == 4

    launchdarkly_emulator.clear_requests()
    fixed = batch_dag(tmp_path, repr(keys), ", lookback=1")
    third = rerun(fixed)
    assert state_of(third) == "success"
    assert evaluation_requests(launchdarkly_emulator) == []  # all 40 landed earlier by this DAG run
    summary = xcom(third, "usage")
    assert summary["objects"] == summary["skipped"] == 40 and summary["fetched"] == 0


def test_the_failure_message_names_each_failed_flag(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    keys = [f.key for f in launchdarkly_emulator.data.account.flags_of("default")][:3]
    dr = run_dag(batch_dag(tmp_path, repr([*keys, "gone-1", "gone-2"])), logical_date=LOGICAL)
    assert state_of(dr) == "failed"
    captured = capfd.readouterr()
    text = captured.out + captured.err
    assert "getEvaluationsUsage failed for 2 flag(s) (4 of 10 request(s)); 6 object(s) landed" in text
    for env in ("production", "staging"):
        for flag in ("gone-1", "gone-2"):
            assert f"{env}/{flag} [2026-06-09T00:00:00Z]: LaunchDarklyUsageNotFoundError" in text


def test_rerun_replace_fetches_everything_again(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    keys = [f.key for f in launchdarkly_emulator.data.account.flags_of("default")][:5]
    source = batch_dag(tmp_path, repr(keys), ', rerun="replace"')
    assert state_of(run_dag(source, logical_date=LOGICAL)) == "success"
    before = objects(tmp_path)
    launchdarkly_emulator.clear_requests()
    again = run_dag(source, logical_date=LOGICAL)
    assert state_of(again) == "success"
    assert len(evaluation_requests(launchdarkly_emulator)) == 10
    assert objects(tmp_path) == before  # replaced under the same names, never duplicated


def test_mappings_of_other_environments_and_projects_are_left_to_their_tasks(
    run_dag: DagRunner, launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    keys = [f.key for f in launchdarkly_emulator.data.account.flags_of("default")][:3]
    targets = [
        {"project_key": "default", "environment_key": "production", "feature_flag_key": keys[0]},
        {"project_key": "default", "environment_key": "test", "feature_flag_key": keys[1]},
        {"project_key": "mobile-app", "environment_key": "staging", "feature_flag_key": keys[1]},
        {"feature_flag_key": keys[2]},
    ]
    dr = run_dag(batch_dag(tmp_path, repr(targets)), logical_date=LOGICAL)
    assert state_of(dr) == "success"
    assert sorted(evaluation_requests(launchdarkly_emulator)) == sorted(
        [
            f"/api/v2/usage/evaluations/default/production/{keys[0]}",
            f"/api/v2/usage/evaluations/default/production/{keys[2]}",
            f"/api/v2/usage/evaluations/default/staging/{keys[2]}",
        ]
    )


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"max_concurrency": 65}, "max_concurrency"),
        ({"rerun": "sometimes"}, "rerun"),
        ({"output_path": None}, "output_path"),
    ],
)
def test_bad_arguments_fail_at_parse_naming_the_parameter(arguments: dict[str, Any], parameter: str) -> None:
    from airflow_provider_ldusage.operators.evaluations import LaunchDarklyEvaluationsUsageBatchOperator

    kwargs: dict[str, Any] = {
        "task_id": "t",
        "project_key": "default",
        "environment_keys": "production",
        "output_path": "/tmp/x",
        **arguments,
    }
    with pytest.raises(LaunchDarklyUsageValidationError, match=parameter):
        LaunchDarklyEvaluationsUsageBatchOperator(**kwargs)


def run_directly(operator: Any, run_id: str = "manual__retry") -> Any:
    """``execute`` as a task try of one DAG run calls it (the same ``run_id`` is the same DAG run)."""
    from collections import defaultdict
    from types import SimpleNamespace

    class Events(list[Any]):
        def add(self, asset: Any, extra: Any = None) -> None:
            self.append((asset, extra))

    outlet_events: defaultdict[Any, Events] = defaultdict(Events)
    return operator.execute(
        {"ti": SimpleNamespace(run_id=run_id, map_index=-1), "outlet_events": outlet_events}
    )


def direct_batch(tmp_path: Path, keys: Any, cls: Any = None, **extra: Any) -> Any:
    from airflow_provider_ldusage.operators.evaluations import LaunchDarklyEvaluationsUsageBatchOperator

    return (cls or LaunchDarklyEvaluationsUsageBatchOperator)(
        task_id="usage",
        project_key="default",
        environment_keys=["production", "staging"],
        feature_flag_keys=keys,
        start="2026-06-09T00:00:00Z",
        end="2026-06-10T00:00:00Z",
        output_path=str(tmp_path),
        **extra,
    )


def test_a_killed_fan_out_records_what_landed_and_the_retry_fetches_only_the_rest(
    launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    import os
    import signal

    from airflow_provider_ldusage.operators.evaluations import LaunchDarklyEvaluationsUsageBatchOperator

    class Killed(Exception):
        """What Airflow's timeout or SIGTERM handler raises in the task's main thread."""

    class KilledAfterFive(LaunchDarklyEvaluationsUsageBatchOperator):
        calls = itertools.count(1)

        def read_window(self, *args: Any, **kwargs: Any) -> Any:
            summary = super().read_window(*args, **kwargs)
            if next(self.calls) == 5:
                os.kill(os.getpid(), signal.SIGUSR1)
            return summary

    def kill(_signum: int, _frame: Any) -> None:
        raise Killed()

    keys = [f.key for f in launchdarkly_emulator.data.account.flags_of("default")][:20]
    previous = signal.signal(signal.SIGUSR1, kill)
    try:
        with pytest.raises(Killed):
            run_directly(direct_batch(tmp_path, keys, KilledAfterFive, max_concurrency=2))
    finally:
        signal.signal(signal.SIGUSR1, previous)
    fetched_first = len(evaluation_requests(launchdarkly_emulator))
    landed = objects(tmp_path)
    manifest = json.loads(next((tmp_path / "_batches").rglob("*.json")).read_text())
    assert 5 <= len(manifest["objects"]) == len(landed) == fetched_first < 40  # every landed object listed

    launchdarkly_emulator.clear_requests()
    summary = run_directly(direct_batch(tmp_path, keys))
    assert len(evaluation_requests(launchdarkly_emulator)) == 40 - fetched_first
    assert summary["skipped"] == fetched_first and summary["objects"] == 40 == len(objects(tmp_path))


def test_every_request_is_checked_before_the_first_is_sent(
    launchdarkly_emulator: Emulator, tmp_path: Path
) -> None:
    keys = [f.key for f in launchdarkly_emulator.data.account.flags_of("default")][:3]
    with pytest.raises(LaunchDarklyUsageValidationError, match="feature_flag_key"):
        run_directly(direct_batch(tmp_path, [*keys, ".."]))
    assert launchdarkly_emulator.requests == []


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [({"project_key": ".."}, "project_key"), ({"environment_keys": ["production", "."]}, "environment_keys")],
)
def test_dot_segment_keys_fail_before_the_flag_list_is_read(
    launchdarkly_emulator: Emulator, tmp_path: Path, arguments: dict[str, Any], parameter: str
) -> None:
    operator = direct_batch(tmp_path, "all")
    for name, value in arguments.items():
        setattr(operator, name, value)
    with pytest.raises(LaunchDarklyUsageValidationError, match=parameter):
        run_directly(operator)
    assert launchdarkly_emulator.requests == []


def test_requests_left_out_after_a_401_are_all_counted_as_not_attempted(
    launchdarkly_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_ldusage.exceptions import LaunchDarklyUsageError

    conn = {"conn_type": "launchdarkly", "host": launchdarkly_emulator.url, "password": "api-wrong-token"}
    monkeypatch.setenv("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT", json.dumps(conn))
    keys = [f.key for f in launchdarkly_emulator.data.account.flags_of("default")][:10]
    with pytest.raises(LaunchDarklyUsageError) as caught:
        run_directly(direct_batch(tmp_path, keys, max_concurrency=1))
    text = str(caught.value)
    found = re.search(r"\((\d+) of 20 request\(s\)\); 0 object\(s\) landed; (\d+) not attempted", text)
    assert found, text
    assert int(found[1]) + int(found[2]) == 20
    assert len(evaluation_requests(launchdarkly_emulator)) == int(found[1])
