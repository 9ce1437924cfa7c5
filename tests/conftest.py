"""Test-wide set-up: an isolated Airflow home, DAG bundles for dag.test(), and the metadata DB on demand.

The environment is set here, before anything imports Airflow, so no test ever touches ~/airflow.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.dag_runs import EMULATOR_NOW

if TYPE_CHECKING:
    from airflow_provider_ldusage.testing.emulator import EmulatorConfig
    from tests.dag_runs import DagRunner
    from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
OPENAPI = SHARED / "launchdarkly" / "usage-openapi.json"

_HOME = Path(tempfile.mkdtemp(prefix="ldusage-airflow-home-"))
TMP_DAGS = _HOME / "dags"
TMP_DAGS.mkdir()


def _bundle(name: str, path: Path) -> dict[str, object]:
    return {
        "name": name,
        "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
        "kwargs": {"path": str(path), "refresh_interval": 0},
    }


os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
        # dag.test() only runs DAGs whose file lies in a configured bundle: the examples, the fixed test
        # DAGs, and a scratch folder where tests write DAG files of their own.
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(
            [
                _bundle("ldusage_examples", ROOT / "example_dags"),
                _bundle("test_dags", ROOT / "tests" / "dags"),
                _bundle("tmp_dags", TMP_DAGS),
            ]
        ),
    }
)
os.environ.pop("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT", None)


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """A fresh SQLite metadata DB under the test Airflow home (created once per session)."""
    from airflow.utils import db

    from tests.airflow_compat import dag_test_as_on_airflow_3

    db.resetdb()
    dag_test_as_on_airflow_3()
    yield _HOME / "airflow.db"


@pytest.fixture
def tmp_dags_folder() -> Path:
    """A folder inside a configured DAG bundle: DAG files written here can run with ``dag.test()``."""
    return TMP_DAGS


@pytest.fixture(scope="session")
def openapi() -> dict[str, object]:
    """LaunchDarkly's OpenAPI document from ../shared; skipped where a clone has no ../shared."""
    if not OPENAPI.is_file():
        pytest.skip(f"{OPENAPI} is absent (a clone without ../shared); the contract test needs it")
    return json.loads(OPENAPI.read_text())


@pytest.fixture
def launchdarkly_emulator_config() -> EmulatorConfig:
    """The pytest plugin's ``launchdarkly_emulator`` fixture starts the emulator with this configuration."""
    # Imported here, not at the top: the environment above must be set before anything imports Airflow.
    from airflow_provider_ldusage.testing.emulator import EmulatorConfig

    return EmulatorConfig(seed=1, now=EMULATOR_NOW)


@pytest.fixture
def run_dag(airflow_db: Path, tmp_dags_folder: Path) -> DagRunner:
    """Write a DAG file into a bundle folder and ``dag.test()`` it (see :class:`tests.dag_runs.DagRunner`)."""
    from tests.dag_runs import DagRunner

    return DagRunner(tmp_dags_folder)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real ``redis-server`` on a free loopback port, for the session (see :mod:`tests.redis_server`)."""
    from tests.redis_server import RedisServer

    server = RedisServer().start()
    yield server
    server.stop()


#: Test files that share a package-scoped fixture costing a whole DAG run (the ``landed`` fixture of
#: ``tests/landing``: every endpoint landed in every format): ``make test``'s parallel run (pytest-xdist)
#: gives them to one worker together, so the fixture is built once; every other file goes to one worker,
#: all its tests together.
SHARED_FIXTURE_FILES = {
    ("tests/landing", "landed"): ("tests/landing/test_schema.py", "tests/landing/test_round_trip.py")
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a test that uses a shared costly fixture from a file the parallel run does not group."""
    root = Path(__file__).resolve().parents[1]
    for item in items:
        where = item.path.relative_to(root).as_posix()
        for (package, name), files in SHARED_FIXTURE_FILES.items():
            used = name in getattr(item, "fixturenames", ())
            if used and where.startswith(f"{package}/") and where not in files:
                raise pytest.UsageError(f"{item.nodeid} uses {name!r}: add {where} to SHARED_FIXTURE_FILES")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Files as units of work (``--dist loadfile``), the files of :data:`SHARED_FIXTURE_FILES` as one."""
    from xdist.scheduler import LoadFileScheduling

    together = {
        f: f"{package}:{name}" for (package, name), files in SHARED_FIXTURE_FILES.items() for f in files
    }

    class SharedFixtureScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return together.get(scope, scope)

    return SharedFixtureScheduling(config, log)
