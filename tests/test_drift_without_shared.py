"""``make drift`` on a user's checkout: no ``../shared`` beside it, so it compares with the installed official
client, or says what to give it when that is missing too."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Runs the tool as `python tools/drift.py` does, with the official client made unimportable.
WITHOUT_CLIENT = (
    "import runpy, sys; sys.modules['launchdarkly_api'] = None; sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package and the tool in a folder with no ``shared`` beside it."""
    where = tmp_path_factory.mktemp("user") / "airflow-provider-ldusage"
    shutil.copytree(ROOT / "tools", where / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        ROOT / "airflow_provider_ldusage",
        where / "airflow_provider_ldusage",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    assert not (where.parent / "shared").exists()
    return where


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=cwd, check=False)


def test_without_shared_it_compares_with_the_installed_client_and_says_so(checkout: Path) -> None:
    pytest.importorskip("launchdarkly_api", reason="the test extra installs launchdarkly-api")
    result = _run([sys.executable, "tools/drift.py"], checkout)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"drift: no source given and no {checkout.parent / 'shared' / 'launchdarkly'}; "
        "comparing with the installed official client"
    )
    assert lines[1] == "drift: catalogue (28 operations) vs installed launchdarkly-api 25.0.1 (28 operations)"
    assert lines[-1].endswith("0 not accepted, 0 stale accepted entries")


def test_without_shared_or_client_it_says_what_to_give_it(checkout: Path) -> None:
    result = _run([sys.executable, "-c", WITHOUT_CLIENT, "tools/drift.py"], checkout)
    assert result.returncode == 2 and result.stdout == ""
    message = result.stderr
    assert message.startswith(
        f"drift: no source to compare with: {checkout.parent / 'shared' / 'launchdarkly'} is absent"
    )
    assert "the official client launchdarkly-api is not installed in this Python" in message
    for way in (
        "make drift OPENAPI=path/to/openapi.json",
        "make drift CLIENT=path/to/client.json",
        "pip install launchdarkly-api==25.0.1",
    ):
        assert way in message
    assert "Traceback" not in message


def test_installed_without_the_package_says_so(checkout: Path) -> None:
    result = _run([sys.executable, "-c", WITHOUT_CLIENT, "tools/drift.py", "--installed"], checkout)
    assert result.returncode == 2
    assert "drift: the official client is not installed" in result.stderr
    assert "pip install launchdarkly-api==25.0.1" in result.stderr


def test_a_document_named_on_the_command_line_is_used(checkout: Path, tmp_path: Path) -> None:
    # The smallest description of the client: one operation, as the extracted JSON records it.
    document = tmp_path / "client.json"
    document.write_text(
        '{"operations": [{"pythonMethod": "get_brand_new_usage", "path": "/api/v2/usage/new", '
        '"method": "get", "parameters": [], "responses": {"200": "NewRep"}}]}'
    )
    result = _run([sys.executable, "tools/drift.py", "--client", str(document)], checkout)
    assert result.returncode == 1  # 28 operations missing from it, one only in it: all unreviewed
    assert result.stdout.startswith(f"drift: catalogue (28 operations) vs {document} (1 operations)")
    assert "+ operation: only in the source (/api/v2/usage/new)" in result.stdout
    assert "no source given" not in result.stdout
