"""``tools/drift.py`` (``make drift``) finds no unreviewed difference between the catalogue and the
two documents in ``../shared/launchdarkly``, and does report and fail on an injected one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared" / "launchdarkly").resolve()
OPENAPI = SHARED / "usage-openapi.json"
CLIENT = SHARED / "usage-client-v25.json"
TOOL = ROOT / "tools" / "drift.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )


@pytest.fixture(autouse=True)
def _shared() -> None:
    if not (OPENAPI.is_file() and CLIENT.is_file()):
        pytest.skip(f"LaunchDarkly's documents are not available under {SHARED} (../shared absent)")


@pytest.mark.parametrize(("flag", "document"), [("--openapi", OPENAPI), ("--client", CLIENT)])
def test_the_shared_documents_show_no_unreviewed_drift(flag: str, document: Path) -> None:
    result = _run(flag, str(document))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 not accepted, 0 stale" in result.stdout


def test_an_altered_wire_name_is_reported_and_fails(tmp_path: Path) -> None:
    client = json.loads(CLIENT.read_text())
    operation = next(op for op in client["operations"] if op["pythonMethod"] == "get_mau_total_usage")
    parameter = next(p for p in operation["parameters"] if p["wire"] == "sdkType")
    parameter["wire"] = "sdktype"
    altered = tmp_path / "client.json"
    altered.write_text(json.dumps(client))
    result = _run("--client", str(altered))
    assert result.returncode == 1, result.stdout
    assert "get_mau_total_usage:" in result.stdout
    assert "+ param:sdktype: only in the source" in result.stdout
    assert "- param:sdkType: only in the catalogue" in result.stdout
    assert "[NOT ACCEPTED]" in result.stdout


def test_changed_units_statuses_and_allowed_values_are_reported(tmp_path: Path) -> None:
    client = json.loads(CLIENT.read_text())
    operation = next(op for op in client["operations"] if op["pythonMethod"] == "get_vega_ai_usage")
    for parameter in operation["parameters"]:
        if parameter["wire"] == "from":
            parameter["description"] = parameter["description"].replace("Unix seconds", "Unix milliseconds")
        if parameter["wire"] == "aggregationType":
            parameter["description"] = parameter["description"].replace(", `rolling_30d`", "")
    operation["responses"]["409"] = "DataExportProjectIdentityIncompleteErrorRep"
    operation["path"] = "/api/v2/usage/vega"
    altered = tmp_path / "client.json"
    altered.write_text(json.dumps(client))
    result = _run("--client", str(altered))
    assert result.returncode == 1
    for line in (
        "~ path: catalogue /api/v2/usage/vega-ai, source /api/v2/usage/vega",
        "~ param:from.unit: catalogue s, source ms",
        '~ param:aggregationType.allowed: catalogue ["incremental", "month_to_date", "rolling_30d"], '
        'source ["incremental", "month_to_date"]',
        "+ response:409: only in the source (DataExportProjectIdentityIncompleteErrorRep)",
    ):
        assert line in result.stdout, result.stdout


def test_a_missing_operation_is_reported_both_ways(tmp_path: Path) -> None:
    client = json.loads(CLIENT.read_text())
    client["operations"] = [op for op in client["operations"] if op["pythonMethod"] != "get_sdk_all_versions"]
    client["operations"].append({**client["operations"][0], "pythonMethod": "get_brand_new_usage"})
    altered = tmp_path / "client.json"
    altered.write_text(json.dumps(client))
    result = _run("--client", str(altered))
    assert result.returncode == 1
    assert "- operation: only in the catalogue (/api/v2/usage/sdk-versions/all)" in result.stdout
    assert "+ operation: only in the source" in result.stdout


def test_a_stale_accepted_entry_fails(tmp_path: Path) -> None:
    reviewed = json.loads((ROOT / "tools" / "drift_accepted.json").read_text())
    reviewed["accepted"].append(
        {"source": "client", "operation": "get_mau_total_usage", "field": "path", "reason": "no longer true"}
    )
    accepted = tmp_path / "accepted.json"
    accepted.write_text(json.dumps(reviewed))
    result = _run("--client", str(CLIENT), "--accepted", str(accepted))
    assert result.returncode == 1
    assert "stale accepted entry (no such difference any more): get_mau_total_usage path" in result.stdout


def test_an_entry_without_a_reason_is_refused(tmp_path: Path) -> None:
    accepted = tmp_path / "accepted.json"
    entry = {"source": "client", "operation": "x", "field": "path", "reason": " "}
    accepted.write_text(json.dumps({"accepted": [entry]}))
    result = _run("--client", str(CLIENT), "--accepted", str(accepted))
    assert result.returncode == 2
    assert "incomplete entry" in result.stderr
