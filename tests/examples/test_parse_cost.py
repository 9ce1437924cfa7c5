"""Parsing the examples imports nothing that only running them needs (HTTP clients, the web stack, the
emulator, the hook). Measured in fresh interpreters, against a baseline that only imports airflow.sdk."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import EXAMPLES

HEAVY = (
    "requests",
    "httpx",
    "fastapi",
    "uvicorn",
    "starlette",
    "airflow_provider_ldusage.testing.emulator",
    "airflow_provider_ldusage.hooks.usage",
    "airflow_provider_ldusage.hooks.usage_async",
    "airflow_provider_ldusage.triggers.month_end",
)

BASELINE = "import airflow.sdk"
PARSE = f"""
import importlib.util, pathlib
import airflow.sdk
for path in sorted(pathlib.Path({str(EXAMPLES)!r}).glob("*.py")):
    spec = importlib.util.spec_from_file_location("example_" + path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert hasattr(module, "dag"), path
"""
DUMP = "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"


def modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + DUMP], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)}


def test_parsing_the_examples_imports_nothing_heavy_beyond_airflow_sdk() -> None:
    baseline = modules_after(BASELINE)
    parsed = modules_after(PARSE)
    assert "airflow_provider_ldusage.operators.usage" in parsed  # the parse really happened
    assert heavy(parsed - baseline) == set()
    # airflow.sdk itself loads httpx, so the baseline cannot show an httpx import by the examples; the
    # provider's own I/O modules, which would bring it (and requests), must not be loaded at all.
    # The hook_params check (hooks.params, pure) runs at parse time by design; the hooks package's
    # __init__ is empty.
    io_modules = (
        "airflow_provider_ldusage.hooks.",
        "airflow_provider_ldusage.triggers",
        "airflow_provider_ldusage.testing",
    )
    parse_time_checks = {"airflow_provider_ldusage.hooks.params"}
    assert {m for m in parsed if m.startswith(io_modules)} - parse_time_checks == set()
