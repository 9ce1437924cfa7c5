"""Nothing lands outside its folder: an ``output_path`` rendered from ``dag_run.conf`` that climbs out of the
folder the DAG author wrote before the template part fails before any request."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.storage import check_inside_template, check_object_name
from tests.dag_runs import DagRunner, state_of, xcom

UTC = timezone.utc
TEMPLATE = "/data/landing/{{ dag_run.conf['team'] }}/usage"


@pytest.mark.parametrize(
    "rendered",
    [
        "/data/landing/../../etc/usage",
        "/data/landing/a/../../x",
        "/data/landing/..",
        "/data/landing/..\\..\\x",
        "/elsewhere/usage",
    ],
)
def test_a_rendered_path_climbing_out_is_refused(rendered: str) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        check_inside_template(rendered, TEMPLATE)
    assert caught.value.parameter == "output_path" and "'/data/landing/'" in str(caught.value)


@pytest.mark.parametrize(
    ("rendered", "template"),
    [
        ("/data/landing/team-a/usage", TEMPLATE),
        ("/data/landing/a/../b/usage", TEMPLATE),  # normalised, it stays inside
        ("s3://bucket/prefix/2026-03-02", "s3://bucket/prefix/{{ ds }}"),
        ("/data/../other", "/data/../other"),  # no template part: the author's own path
        ("/anything", "{{ var.value.root }}"),
    ],
)
def test_a_rendered_path_inside_its_folder_is_accepted(rendered: str, template: str) -> None:
    check_inside_template(rendered, template)


def test_a_template_without_a_literal_folder_still_refuses_climbing() -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match=r"'\.\.' segments"):
        check_inside_template("../../etc", "{{ dag_run.conf['out'] }}")
    with pytest.raises(LaunchDarklyUsageValidationError):
        check_inside_template("s3://other-bucket/x", "s3://bucket/{{ ds }}")


@pytest.mark.parametrize("name", ["a/../b.jsonl", "../x.jsonl", "a//b.jsonl", "./a.jsonl"])
def test_object_names_never_hold_dot_segments(name: str) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError):
        check_object_name(name)


_DAG = """
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator
with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyMauTotalUsageOperator(
        task_id="usage",
        aggregation_type="incremental",
        output_path="{base}/{{{{ dag_run.conf['team'] }}}}",
    )
"""


def test_dag_run_conf_cannot_land_outside_the_base(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    base = tmp_path / "landing"
    dr = run_dag(
        _DAG.format(base=base),
        logical_date=datetime(2026, 3, 2, tzinfo=UTC),
        run_conf={"team": "../../escaped"},
    )
    assert state_of(dr) == "failed"
    assert launchdarkly_emulator.requests == [], "refused before any request"
    assert not (tmp_path.parent / "escaped").exists() and not base.exists()


def test_dag_run_conf_inside_the_base_lands_there(
    run_dag: DagRunner, launchdarkly_emulator: Any, tmp_path: Path
) -> None:
    base = tmp_path / "landing"
    dr = run_dag(
        _DAG.format(base=base), logical_date=datetime(2026, 3, 2, tzinfo=UTC), run_conf={"team": "team-a"}
    )
    assert state_of(dr) == "success"
    assert xcom(dr, "usage")["path"].startswith(f"file://{base}/team-a/")
