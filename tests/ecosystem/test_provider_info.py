"""Provider metadata: what ``airflow providers get/hooks/triggers`` and the docs read from provider info.

Every class and module named there imports and is what it claims to be; every public hook, operator,
sensor and trigger of the package is named there; the how-to guides exist; and Airflow's own CLI, in a
fresh interpreter, describes the provider from it.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import airflow_provider_ldusage
from airflow_provider_ldusage import __version__
from airflow_provider_ldusage.provider_info import get_provider_info

ROOT = Path(__file__).resolve().parents[2]
INFO = get_provider_info()
# category in provider info -> (sub-package, the Airflow base class its public classes derive from)
CATEGORIES = {
    # the base classes through the compat module: their home differs between Airflow releases
    "hooks": ("hooks", "airflow_provider_ldusage.compat.BaseHook"),
    "operators": ("operators", "airflow_provider_ldusage.compat.BaseOperator"),
    "sensors": ("sensors", "airflow_provider_ldusage.compat.BaseSensorOperator"),
    "triggers": ("triggers", "airflow_provider_ldusage.compat.BaseTrigger"),
}


def _object(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _listed(category: str) -> list[str]:
    return [m for entry in INFO.get(category, []) for m in entry["python-modules"]]


def _public_classes(module_name: str, base: type) -> set[str]:
    """Public classes of ``base`` defined in a module of the package (not imported from elsewhere)."""
    module = importlib.import_module(module_name)
    return {
        f"{obj.__module__}.{name}"
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, base)
        and obj.__module__ == module_name
        and not name.startswith("_")
        and obj.__module__.startswith("airflow_provider_ldusage.")
    }


def test_top_level_fields() -> None:
    assert INFO["package-name"] == "airflow-provider-ldusage"
    assert INFO["versions"] == [__version__]
    assert INFO["state"] == "ready"
    assert INFO["name"] and INFO["description"]
    (integration,) = INFO["integrations"]
    assert integration["integration-name"] == "LaunchDarkly"
    assert integration["external-doc-url"].startswith("https://launchdarkly.com/docs/")
    assert integration["tags"] == ["service"]
    for category in CATEGORIES:
        assert [e["integration-name"] for e in INFO[category]] == ["LaunchDarkly"], category
    # No extra links (LaunchDarkly documents no stable URL of a usage view), notifications or transfers.
    assert not {"extra-links", "notifications", "transfers"} & set(INFO)


def test_the_dict_matches_airflows_runtime_schema() -> None:
    import jsonschema
    from airflow import providers_manager

    schema = json.loads((Path(providers_manager.__file__).with_name("provider_info.schema.json")).read_text())
    jsonschema.validate(INFO, schema)


def test_how_to_guides_exist_and_are_in_the_docs_toctree() -> None:
    (integration,) = INFO["integrations"]
    guides = integration["how-to-guide"]
    assert guides and all(g.startswith("/docs/") for g in guides)
    index = (ROOT / "docs" / "index.rst").read_text()
    for guide in guides:
        assert (ROOT / guide.lstrip("/")).is_file(), guide
        assert f"\n   {Path(guide).stem}\n" in index, f"{guide} is not in docs/index.rst's toctree"


def test_every_named_class_and_module_imports() -> None:
    from airflow_provider_ldusage.compat import BaseHook

    (conn,) = INFO["connection-types"]
    hook = _object(conn["hook-class-name"])
    assert issubclass(hook, BaseHook) and hook.conn_type == conn["connection-type"] == "launchdarkly"
    assert callable(hook.test_connection)  # what makes the UI's Test button work
    for category, (_, base_path) in CATEGORIES.items():
        base = _object(base_path)
        for module_name in _listed(category):
            module = importlib.import_module(module_name)
            classes = [o for o in vars(module).values() if inspect.isclass(o) and issubclass(o, base)]
            assert any(c.__module__ == module_name for c in classes), f"{module_name} defines no {category}"
    for key in ("extra-links", "notifications"):
        for path in INFO.get(key, []):
            _object(path)


def test_every_public_class_of_the_package_is_listed() -> None:
    for category, (package, base_path) in CATEGORIES.items():
        base = _object(base_path)
        listed = set(_listed(category))
        sub = importlib.import_module(f"airflow_provider_ldusage.{package}")
        modules = [f"{sub.__name__}.{m.name}" for m in pkgutil.iter_modules(sub.__path__)]
        # Every public module defining a hook/operator/sensor/trigger class is listed (helper modules
        # beside them, such as hooks.params or hooks.flags, define none and are not).
        public = [m for m in modules if not m.rpartition(".")[2].startswith("_") and _public_classes(m, base)]
        assert sorted(public) == sorted(listed), category
        # Classes in private modules count too: they must be reachable from a listed module.
        reachable = {
            f"{obj.__module__}.{obj.__name__}"
            for name in listed
            for obj in vars(importlib.import_module(name)).values()
            if inspect.isclass(obj)
        }
        for module_name in modules:
            for cls in _public_classes(module_name, base):
                if category == "operators" and issubclass(
                    _object(cls), _object("airflow_provider_ldusage.compat.BaseSensorOperator")
                ):
                    continue  # a sensor is an operator; it is listed under sensors
                assert cls in reachable, f"{cls} is in no module listed under {category!r}"
    # The generated operators, all of them reachable from the listed module.
    from airflow_provider_ldusage.compat import BaseOperator
    from airflow_provider_ldusage.operators import usage

    assert usage.__all__ and all(issubclass(getattr(usage, name), BaseOperator) for name in usage.__all__)


@pytest.mark.parametrize(
    ("command", "check"),
    [
        (["get", "airflow-provider-ldusage", "--full"], "get"),
        (["hooks"], "hooks"),
        (["triggers"], "triggers"),
    ],
)
def test_airflow_providers_cli_describes_it(command: list[str], check: str) -> None:
    airflow = str(Path(sys.executable).with_name("airflow"))
    done = subprocess.run(
        [airflow, "providers", *command, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout[done.stdout.index("[") :])
    ours = [r for r in rows if r.get("package-name", r.get("package_name")) == "airflow-provider-ldusage"]
    if check == "get":
        (info,) = ours
        assert info["versions"] == [__version__]
        assert info["integrations"] == INFO["integrations"]
        assert info["hooks"] == INFO["hooks"] and info["triggers"] == INFO["triggers"]
        assert info["operators"] == INFO["operators"] and info["sensors"] == INFO["sensors"]
        assert info["documentation-url"].endswith("/docs")
    elif check == "hooks":
        assert [(r["connection_type"], r["class"], r["hook_name"]) for r in ours] == [
            ("launchdarkly", "airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook", "LaunchDarkly")
        ]
    else:
        assert [r["class"] for r in ours] == ["airflow_provider_ldusage.triggers.month_end"]


def test_the_package_version_is_the_distributions() -> None:
    from importlib.metadata import version

    assert version("airflow-provider-ldusage") == airflow_provider_ldusage.__version__
