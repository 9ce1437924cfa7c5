"""The supported Airflow releases are stated once and agree everywhere: pyproject.toml's bound, the README,
docs/compatibility.rst, the provider metadata, and the releases the compatibility run tests
(scripts/compat_run.py) — every line the bound accepts is run on its oldest and newest patch."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import tomllib

from tests.project_scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


def _compat_run() -> Any:
    return load_script("scripts/compat_run.py")


def _bound() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (airflow,) = [r for r in project["dependencies"] if re.match(r"apache-airflow\s*[<>=!]", r)]
    return str(airflow)


def _line(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _next_line(line: tuple[int, int]) -> tuple[int, int]:
    """The release line after ``line`` (2.11 was the last 2.x line)."""
    return (3, 0) if line == (2, 11) else (line[0], line[1] + 1)


def test_the_bound_accepts_exactly_the_lines_the_compatibility_run_tests() -> None:
    versions = _compat_run().AIRFLOW_VERSIONS
    oldest = min(versions, key=lambda v: tuple(map(int, v.split("."))))
    lines = sorted({_line(v) for v in versions})
    for before, after in itertools.pairwise(lines):
        assert after == _next_line(before), f"no release of the lines between {before} and {after} is run"
    upper = _next_line(lines[-1])
    # Patches of a line below its oldest tested one are excluded by name (3.0.0 and 3.0.1): the bound
    # accepts no release the run does not stand for.
    excluded = [
        f"!={line[0]}.{line[1]}.{patch}"
        for line in lines[1:]
        for patch in range(min(int(v.split(".")[2]) for v in versions if _line(v) == line))
    ]
    assert _bound() == f"apache-airflow>={oldest},{''.join(e + ',' for e in excluded)}<{upper[0]}.{upper[1]}"
    for line in lines:  # oldest and newest patch of each line
        assert len([v for v in versions if _line(v) == line]) == 2, line


def test_the_readme_and_the_compatibility_page_state_the_same_bound() -> None:
    bound = _bound()
    readme = (ROOT / "README.md").read_text()
    page = (ROOT / "docs" / "compatibility.rst").read_text()
    assert f"`{bound}`" in readme
    assert f"``{bound}``" in page
    # Every tested release is named on the page (its table says what each one runs).
    for version in _compat_run().AIRFLOW_VERSIONS:
        assert version in page, version
    # No other Airflow bound lingers in either.
    for text in (readme, page):
        assert set(re.findall(r"apache-airflow[<>=!][^`\s]*", text)) == {bound}


def test_the_provider_metadata_states_no_other_airflow_range() -> None:
    from airflow_provider_ldusage.provider_info import get_provider_info

    info = repr(get_provider_info())
    assert "apache-airflow>" not in info and "Airflow 3" not in info
