"""The compatibility run: the version-sensitive part of the suite on every supported Airflow line.

For the oldest and the newest patch release of each supported minor line, a fresh virtual environment with
that Airflow and this package, then ``pytest`` on :data:`COMPAT_TESTS` (a selection of the ordinary suite,
not a copy of it). ``make compat`` runs it; ``.ci/run`` runs it after ``make test``.

    python scripts/compat_run.py                 # every version in AIRFLOW_VERSIONS
    python scripts/compat_run.py 3.1.8 3.3.2     # just these
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Oldest and newest patch release of each supported minor line (pyproject.toml:
#: apache-airflow>=3.1.1,!=3.2.*,<3.4). Airflow 3.0, 3.1.0 and 3.2 are not supported: docs/compatibility.rst.
AIRFLOW_VERSIONS: tuple[str, ...] = ("3.1.1", "3.1.8", "3.3.0", "3.3.2")

#: Extra pins a release needs because it was published with an open upper bound that a later release of a
#: dependency broke (Airflow's own constraints files pin these; they are not reachable from CI).
EXTRA_PINS: dict[str, tuple[str, ...]] = {
    "3.1.1": ("structlog<25.5",),  # its logging imports structlog.dev.Styles, removed in structlog 25.5
}

#: The version-sensitive part of the suite: provider discovery and the connection form, every operator and
#: the sensor imported, the example DAGs through DagBag, one dag.test() per operator family against the
#: emulator, the sensor in poke, reschedule and deferrable modes, and the SQL load.
COMPAT_TESTS: tuple[str, ...] = (
    "tests/test_compat.py",
    "tests/hook/test_hook_provider.py",
    "tests/ecosystem/test_provider_info.py::test_every_named_class_and_module_imports",
    "tests/ecosystem/test_provider_info.py::test_the_dict_matches_airflows_runtime_schema",
    "tests/examples/test_dagbag.py::test_example_dags_import_without_errors_or_warnings",
    "tests/examples/test_end_to_end.py::test_daily_ingest",
    "tests/examples/test_budget_watch.py::test_budget_watch_warns_on_the_metric_heading_past_80_percent",
    "tests/sensors/test_month_end_modes.py",
    # the SQL load through each release's common.sql hooks, on SQLite and a real PostgreSQL
    "tests/transfers/test_usage_to_sql.py::test_first_load_creates_the_tables_and_holds_every_landed_row",
    "tests/transfers/test_usage_to_sql.py::test_overlapping_backfills_never_duplicate",
    "tests/transfers/test_usage_to_sql.py::test_an_error_mid_load_leaves_the_tables_as_they_were",
)


def _run(cmd: list[str], log: Path) -> int:
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        return subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def _uv() -> list[str]:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if Path(found).exists():
        return [found]
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "uv"])
    return [str(Path(sys.executable).parent / "uv")]


def run_one(version: str, workdir: Path, uv: list[str]) -> tuple[bool, float, float]:
    """Build the venv and run the selection; returns (passed, install seconds, test seconds)."""
    venv = workdir / f"airflow-{version}"
    log = workdir / f"airflow-{version}.log"
    log.unlink(missing_ok=True)
    shutil.rmtree(venv, ignore_errors=True)
    start = time.monotonic()
    python = str(venv / "bin" / "python")
    rc = _run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], log)
    rc = rc or _run(
        [*uv, "pip", "install", "--quiet", "--python", python, f"apache-airflow=={version}",
         *EXTRA_PINS.get(version, ()), "-e", f"{ROOT}[test]"],
        log,
    )  # fmt: skip
    installed = time.monotonic() - start
    if rc:
        return False, installed, 0.0
    start = time.monotonic()
    check = f"import airflow; assert airflow.__version__ == {version!r}, airflow.__version__"
    env_cmd = [python, "-c", check]
    rc = _run(env_cmd, log) or _run([python, "-m", "pytest", "-q", "-p", "no:randomly", *COMPAT_TESTS], log)
    return rc == 0, installed, time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("versions", nargs="*", default=list(AIRFLOW_VERSIONS))
    parser.add_argument("--workdir", type=Path, default=None, help="where the venvs and logs go")
    parser.add_argument("--keep", action="store_true", help="keep the venvs afterwards")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ldusage-compat-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.pop("AIRFLOW_HOME", None)
    uv = _uv()
    results: list[tuple[str, bool, float, float]] = []
    total = time.monotonic()
    for version in args.versions:
        passed, installed, tested = run_one(version, workdir, uv)
        results.append((version, passed, installed, tested))
        print(
            f"airflow {version}: {'PASS' if passed else 'FAIL'}"
            f"  install {installed:.0f}s  tests {tested:.0f}s"
            f"  log {workdir / f'airflow-{version}.log'}",
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(workdir / f"airflow-{version}", ignore_errors=True)
    print(f"compatibility run: {time.monotonic() - total:.0f}s in all", flush=True)
    failed = [version for version, passed, _, _ in results if not passed]
    if failed:
        print(f"FAILED on Airflow {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
