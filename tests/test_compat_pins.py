"""The dependency pins the compatibility run installs beside older Airflow releases (``PINS`` in
scripts/compat_run.py): each says what breaks without it and why, is documented, and still matters.

"Still matters" is checked where the pin is installed (inside ``make compat``): nothing else installed
excludes the versions the pin excludes (Airflow has not capped the dependency itself), and the package index
has such a version, so without the pin the resolver would be free to install it.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import airflow
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.project_scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


def _compat_run() -> Any:
    return load_script("scripts/compat_run.py")


def _first_excluded(requirement: str) -> Version:
    """The lowest version a ``name<X`` pin excludes."""
    (spec,) = Requirement(requirement).specifier
    assert spec.operator == "<", f"{requirement}: pins are upper bounds"
    return Version(spec.version)


def test_every_pin_says_what_breaks_and_why_for_releases_the_run_tests() -> None:
    run = _compat_run()
    for pin in run.PINS:
        _first_excluded(pin.requirement)
        assert pin.breaks.strip() and pin.cause.strip(), pin.requirement
        assert "constraints" in pin.cause, f"{pin.requirement}: name what Airflow's constraints pin"
        oldest, newest = pin.releases
        assert run._key(oldest) <= run._key(newest), pin
        assert [v for v in run.AIRFLOW_VERSIONS if pin.applies_to(v)], f"{pin}: applies to no tested release"


def test_every_pin_is_documented() -> None:
    page = (ROOT / "docs" / "compatibility.rst").read_text()
    for pin in _compat_run().PINS:
        assert f"``{pin.requirement}``" in page, pin.requirement


def test_the_pins_of_the_running_airflow_still_matter() -> None:
    run = _compat_run()
    pins = run.pins_for(airflow.__version__)
    if not pins:
        pytest.skip(f"Airflow {airflow.__version__} is installed without pins")
    uv = os.environ.get(run.UV_VARIABLE)
    if not uv:
        pytest.skip(f"runs inside make compat ({run.UV_VARIABLE} names uv there)")
    for pin in pins:
        name = canonicalize_name(pin.name)
        excluded = _first_excluded(pin.requirement)
        installed = importlib.metadata.version(pin.name)
        assert Requirement(pin.requirement).specifier.contains(installed), (pin.requirement, installed)
        caps = []
        for dist in importlib.metadata.distributions():
            for text in dist.requires or ():
                requirement = Requirement(text)
                if canonicalize_name(requirement.name) != name:
                    continue
                if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                    continue
                if not requirement.specifier.contains(excluded, prereleases=True):
                    caps.append(f"{dist.metadata['Name']}: {text}")
        assert caps == [], f"{pin.requirement} is no longer needed: already excluded by {caps}"
        found = subprocess.run(
            [
                uv,
                "pip",
                "install",
                "--dry-run",
                "--no-deps",
                "--python",
                sys.executable,
                f"{pin.name}>={excluded}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert found.returncode == 0, (
            f"{pin.requirement}: the index has no {pin.name}>={excluded}: {found.stderr}"
        )
