"""Through a real DAG run: a proxy echoing the request's headers into LaunchDarkly's error body fails the
task with an error that names status, ``code`` and ``message`` but not the token — in the failure
callback's exception text and its whole cause chain (what notifiers format), in every log record of the run
(the autouse ``no_token_in_logs`` fixture of ``tests/hook/conftest.py`` reads them) and in the output
folder."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.dag_runs import DagRunner, state_of

from .conftest import TOKEN, Answer, Recorded, ScriptedServer

_DAG = """
import json
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_provider_ldusage.operators.usage import LaunchDarklyMauTotalUsageOperator

def notify(context):
    exc = context["exception"]
    chain, seen = [], exc
    while seen is not None:
        chain.append({{"str": str(seen), "repr": repr(seen), "args": repr(seen.args)}})
        seen = seen.__cause__ or seen.__context__
    with open({report!r}, "w") as handle:
        json.dump(chain, handle)

with DAG(DAG_ID, schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)) as dag:
    LaunchDarklyMauTotalUsageOperator(
        task_id="usage",
        output_path={out!r},
        on_failure_callback=notify,
        hook_params={{"max_retries": 0, "read_timeout": 5}},
    )
"""


def _echo_error(recorded: Recorded) -> Answer:
    dump = "; ".join(f"{name}: {value}" for name, value in recorded.headers)
    return Answer(400, {"code": "invalid_request", "message": f"bad request, saw {dump}", "id": TOKEN})


@pytest.mark.parametrize("body", ["json", "text"])
def test_a_failed_task_carries_status_code_and_message_but_no_token(
    run_dag: DagRunner, server: ScriptedServer, tmp_path: Path, body: str
) -> None:
    if body == "json":
        server.default = _echo_error
    else:
        server.default = lambda recorded: Answer(
            502, f"upstream saw {recorded.headers}", content_type="text/plain"
        )
    report = tmp_path / "failure.json"
    dr = run_dag(
        _DAG.format(report=str(report), out=str(tmp_path / "out")),
        logical_date=datetime(2026, 3, 2, tzinfo=timezone.utc),
    )
    assert state_of(dr) == "failed"
    chain = json.loads(report.read_text())
    text = json.dumps(chain)
    assert TOKEN not in text
    first = chain[0]["str"]
    if body == "json":
        assert "HTTP 400" in first and "code=invalid_request" in first and "bad request, saw" in first
    else:
        assert "HTTP 502" in first and "upstream saw" in first and "text/plain, not JSON" in first
    assert not (tmp_path / "out").exists() or TOKEN not in "".join(
        p.read_text(errors="replace") for p in (tmp_path / "out").rglob("*") if p.is_file()
    )
