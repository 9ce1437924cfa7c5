"""The compatibility run: the version-sensitive part of the suite on every supported Airflow line.

For the oldest and the newest patch release of each supported minor line, a fresh virtual environment with
that Airflow, the dependency pins its constraints imply (:data:`PINS`) and this package, then ``pytest`` on
:data:`COMPAT_TESTS` (a selection of the ordinary suite, not a copy of it), plus the example DAGs'
end-to-end tests (:data:`EXAMPLE_TESTS`) on the oldest patch of each line and the parse-time import cost
(benchmark 1) on the oldest and the newest release. Two releases run at a time. ``make compat`` runs it;
``.ci/run`` runs it after ``make test``.

    python scripts/compat_run.py                 # every version in AIRFLOW_VERSIONS
    python scripts/compat_run.py 3.1.8 3.3.2     # just these
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Oldest and newest patch release of each supported minor line; pyproject.toml's bound
#: (apache-airflow>=2.11.0,!=3.0.0,!=3.0.1,!=3.1.0,<3.4) accepts exactly these lines
#: (tests/test_supported_versions.py). 3.0.0, 3.0.1 and 3.1.0 are excluded: their ``dag.test()`` cannot run
#: a task, so nothing here could show them working (docs/compatibility.rst).
AIRFLOW_VERSIONS: tuple[str, ...] = (
    "2.11.0",
    "2.11.2",
    "3.0.2",
    "3.0.6",
    "3.1.1",
    "3.1.8",
    "3.2.0",
    "3.2.2",
    "3.3.0",
    "3.3.2",
)


@dataclass(frozen=True)
class Pin:
    """A dependency pin some Airflow releases need beside them.

    Each exists because the release was published with an open upper bound that a later release of the
    dependency broke; Airflow's own constraints files (which a deployment installs with, but which are not
    reachable from CI) pin an older one.

    :param requirement: what is installed beside the release (``name<version``).
    :param releases: the Airflow releases that need it, as ``(oldest, newest)`` inclusive patch releases.
    :param breaks: what fails without it.
    :param cause: the upstream change behind it, and what Airflow's constraints pin instead.
    """

    requirement: str
    releases: tuple[str, str]
    breaks: str
    cause: str

    @property
    def name(self) -> str:
        return re.split(r"[<>=!~ ]", self.requirement, maxsplit=1)[0]

    def applies_to(self, version: str) -> bool:
        oldest, newest = self.releases
        return _key(oldest) <= _key(version) <= _key(newest)


#: Every pin of the run, in one place. tests/test_compat_pins.py, part of the run, fails on a pin that no
#: longer matters (nothing else installed excludes the versions it excludes, and the index has one).
PINS: tuple[Pin, ...] = (
    Pin(
        "universal-pathlib<0.3",
        ("2.11.0", "2.11.1"),  # 2.11.2 itself requires universal-pathlib<0.3.0
        "ObjectStoragePath('file:///…') raises 'detected protocol file which is incompatible with "
        "ObjectStoragePath' (airflow.io.path)",
        "universal-pathlib 0.3 dispatches on the protocol and refuses subclasses that were not registered "
        "for it; Airflow 2.11.0 declares universal-pathlib>=0.2.2 with no upper bound (its constraints pin "
        "0.2.6); 2.11.2 requires universal-pathlib<0.3.0 itself",
    ),
    Pin(
        "universal-pathlib<0.3",
        ("3.0.2", "3.0.6"),
        "ObjectStoragePath('file:///…') raises 'detected protocol file which is incompatible with "
        "ObjectStoragePath' (airflow.sdk.io.path)",
        "the same universal-pathlib 0.3 change; Airflow 3.0 declares it with no upper bound (its "
        "constraints pin 0.2.6); 3.1 adapted ObjectStoragePath",
    ),
    Pin(
        "fastapi<0.132",
        ("3.0.2", "3.0.6"),
        "every task of dag.test() fails: the execution API answers 422 to the task SDK's "
        "PATCH /execution/task-instances/{id}/run",
        "FastAPI 0.132 enforces strict_content_type, and 3.0's task SDK sends bodies without a JSON "
        "content type; Airflow 3.0 declares fastapi with no upper bound (its constraints pin 0.115.x)",
    ),
    Pin(
        "structlog<25.5",
        ("3.1.1", "3.1.1"),
        "Airflow's logging set-up fails on import (AttributeError: structlog.dev has no Styles)",
        "structlog 25.5 removed structlog.dev.Styles, which 3.1.1's logging imports; later 3.1 patches "
        "stopped using it (constraints-3.1.1 pin structlog 25.4.0)",
    ),
    Pin(
        "fastapi<0.156.1",
        ("3.2.0", "3.2.2"),
        "the execution API cannot be built: PydanticUserError \"Model 'TITerminalStatePayload' needs a "
        'discriminator field"',
        "FastAPI 0.156.1 builds response models from discriminated unions that 3.2's execution API "
        "declares without one; Airflow 3.2 declares fastapi with no upper bound (constraints-3.2.1 pin "
        "fastapi 0.136.0)",
    ),
    Pin(
        "svcs<26.2",
        ("3.2.0", "3.2.2"),
        "every task of dag.test() fails: 'State' object has no attribute 'svcs_registry'",
        "svcs 26.2.0 removes app.state.svcs_registry when a lifespan exits, and dag.test()'s in-process "
        "execution API leaves its lifespan early; Airflow 3.2 declares svcs with no upper bound "
        "(constraints-3.2.1 pin svcs 25.1.0)",
    ),
)

#: The version-sensitive part of the suite, run on every release: provider discovery and the connection
#: form, every operator and the sensor imported, the example DAGs through DagBag, one dag.test() per
#: operator family against the emulator, the sensor in poke, reschedule and deferrable modes, and the SQL
#: load through each release's common.sql hooks, on SQLite and a real PostgreSQL; and that the release's
#: pins still matter.
COMPAT_TESTS: tuple[str, ...] = (
    "tests/test_compat.py",
    "tests/test_compat_pins.py",
    "tests/hook/test_hook_provider.py",
    "tests/ecosystem/test_provider_info.py::test_every_named_class_and_module_imports",
    "tests/ecosystem/test_provider_info.py::test_the_dict_matches_airflows_runtime_schema",
    "tests/examples/test_dagbag.py::test_example_dags_import_without_errors_or_warnings",
    "tests/sensors/test_month_end_modes.py",
    "tests/transfers/test_usage_to_sql.py::test_first_load_creates_the_tables_and_holds_every_landed_row",
    "tests/transfers/test_usage_to_sql.py::test_overlapping_backfills_never_duplicate",
    "tests/transfers/test_usage_to_sql.py::test_an_error_mid_load_leaves_the_tables_as_they_were",
)

#: The example DAGs end to end (the daily ingest with its SQL load, the monthly close behind the
#: month-end sensor, the budget watch), on the oldest patch release of each line.
EXAMPLE_TESTS: tuple[str, ...] = (
    "tests/examples/test_end_to_end.py::test_daily_ingest",
    "tests/examples/test_end_to_end.py::test_monthly_close",
    "tests/examples/test_budget_watch.py::test_budget_watch_warns_on_the_metric_heading_past_80_percent",
)

#: How many releases are installed and tested at once (the machine has two cores).
JOBS = 2
#: The environment variable naming uv for the tests the run starts.
UV_VARIABLE = "LDUSAGE_COMPAT_UV"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def pins_for(version: str) -> tuple[Pin, ...]:
    """The pins Airflow ``version`` is installed with."""
    return tuple(pin for pin in PINS if pin.applies_to(version))


def selection_for(version: str, versions: tuple[str, ...] = AIRFLOW_VERSIONS) -> tuple[str, ...]:
    """The tests run on ``version``: :data:`COMPAT_TESTS`, and the examples on a line's oldest patch."""
    line = version.rsplit(".", 1)[0]
    oldest = min((v for v in versions if v.rsplit(".", 1)[0] == line), key=_key, default=version)
    return COMPAT_TESTS + (EXAMPLE_TESTS if version == oldest else ())


def benchmarked(versions: tuple[str, ...] = AIRFLOW_VERSIONS) -> tuple[str, str]:
    """The releases the parse-time import cost is measured on: the oldest and the newest."""
    return min(versions, key=_key), max(versions, key=_key)


def _run(cmd: list[str], log: Path, *, capture: bool = False) -> tuple[int, str]:
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        done = subprocess.run(
            cmd, stdout=subprocess.PIPE if capture else out, stderr=subprocess.STDOUT, cwd=ROOT, text=True
        )
        if capture:
            out.write(done.stdout)
        return done.returncode, done.stdout or ""


def _uv() -> list[str]:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if Path(found).exists():
        return [found]
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "uv"])
    return [str(Path(sys.executable).parent / "uv")]


@dataclass
class Outcome:
    version: str
    passed: bool = False
    install_s: float = 0.0
    tests_s: float = 0.0
    summary: str = ""
    bench: str = ""
    problem: str = ""


def run_one(version: str, workdir: Path, uv: list[str], versions: tuple[str, ...]) -> Outcome:
    """Build the venv, check the pins still matter, install, run the selection (and the benchmark)."""
    outcome = Outcome(version)
    venv = workdir / f"airflow-{version}"
    log = workdir / f"airflow-{version}.log"
    log.unlink(missing_ok=True)
    shutil.rmtree(venv, ignore_errors=True)
    start = time.monotonic()
    python = str(venv / "bin" / "python")
    rc, _ = _run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], log)
    install = [*uv, "pip", "install", "--python", python, f"apache-airflow=={version}"]
    project = ["-e", f"{ROOT}[test]"]
    pins = [pin.requirement for pin in pins_for(version)]
    if not rc:
        rc, _ = _run([*install, "--quiet", *pins, *project], log)
    outcome.install_s = time.monotonic() - start
    if rc:
        outcome.problem = "install failed"
        return outcome
    start = time.monotonic()
    check = f"import airflow; assert airflow.__version__ == {version!r}, airflow.__version__"
    rc, _ = _run([python, "-c", check], log)
    tests = selection_for(version, versions)
    if not rc:
        rc, text = _run(
            [python, "-m", "pytest", "-q", "-p", "no:randomly", "--durations=10", *tests], log, capture=True
        )
        lines = [line for line in text.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
        outcome.summary = lines[-1].strip("= ") if lines else ""
    outcome.tests_s = time.monotonic() - start
    outcome.passed = rc == 0
    if version in benchmarked(versions):
        outcome.bench = _bench(python, log)
    return outcome


def _bench(python: str, log: Path) -> str:
    """Benchmark 1 (parse-time import cost) in the release's venv: its figures, as one line."""
    code = (
        "import json, sys; sys.path.insert(0, 'benchmarks'); import import_cost; r = import_cost.run(); "
        "print(json.dumps([[f.name, f.value, f.baseline, f.status] for f in r.figures]))"
    )
    rc, text = _run([python, "-c", code], log, capture=True)
    if rc:
        return "import cost: benchmark failed (see the log)"
    figures = json.loads(text.strip().splitlines()[-1])
    return "; ".join(f"{name}: {value} vs {baseline} [{status}]" for name, value, baseline, status in figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("versions", nargs="*", default=list(AIRFLOW_VERSIONS))
    parser.add_argument("--workdir", type=Path, default=None, help="where the venvs and logs go")
    parser.add_argument("--keep", action="store_true", help="keep the venvs afterwards")
    parser.add_argument("--jobs", type=int, default=JOBS, help="releases at a time")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ldusage-compat-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.pop("AIRFLOW_HOME", None)
    uv = _uv()
    os.environ[UV_VARIABLE] = uv[0]  # for tests/test_compat_pins.py: asks the index about a pin's versions
    total = time.monotonic()
    printing = threading.Lock()

    def one(version: str) -> Outcome:
        outcome = run_one(version, workdir, uv, AIRFLOW_VERSIONS)
        if not args.keep:
            shutil.rmtree(workdir / f"airflow-{version}", ignore_errors=True)
        with printing:
            print(
                f"airflow {version}: {'PASS' if outcome.passed else 'FAIL'}"
                f"  install {outcome.install_s:.0f}s  tests {outcome.tests_s:.0f}s"
                f"  {outcome.summary or outcome.problem}  log {workdir / f'airflow-{version}.log'}",
                flush=True,
            )
            if outcome.bench:
                print(f"  import cost on {version}: {outcome.bench}", flush=True)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(one, args.versions))
    print(f"compatibility run: {time.monotonic() - total:.0f}s in all", flush=True)
    failed = [r.version for r in results if not r.passed]
    if failed:
        print(f"FAILED on Airflow {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
