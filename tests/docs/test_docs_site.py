"""The Sphinx site: it builds with warnings as errors, shows every public class, and its snippets are tested.

The site is built once per session into a temporary folder (the same command as ``make docs``).
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from airflow_provider_ldusage.catalogue import ENDPOINTS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"
EXAMPLE_DAGS = ROOT / "example_dags"

_INCLUDE = re.compile(r"^\s*\.\. literalinclude::\s*(\S+)\s*$")
_OPTION = re.compile(r"^\s+:(start-after|end-before):\s*(.+?)\s*$")


def _extension() -> ModuleType:
    """The docs' Sphinx extension (docs/_ext is not a package), loaded once."""
    name = "ldusage_docs"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, DOCS / "_ext" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is created
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the docs exactly as ``make docs`` does (-W -n --keep-going), into a temporary folder."""
    pytest.importorskip("sphinx", reason="Sphinx comes with the dev extra: pip install -e '.[dev]'")
    out = tmp_path_factory.mktemp("docs")
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-n",
        "-q",
        "-b",
        "html",
        "-d",
        str(out / "doctrees"),
        str(DOCS),
        str(out / "html"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, f"sphinx-build failed:\n{done.stdout}\n{done.stderr}"
    return out / "html"


def _html(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


# --- the built site -------------------------------------------------------------------------------------


def test_every_operator_has_a_guide_section_and_an_api_entry(site: Path) -> None:
    guide = _html(site, "operators.html")
    api_ids = _ids(_html(site, "api/operators.html"))
    names = [e.operator_name for e in ENDPOINTS]
    assert len(set(names)) == 28
    for name in names:
        assert f">{name}<" in guide, f"{name} has no section on the operators page"
        assert f"airflow_provider_ldusage.operators.usage.{name}" in api_ids, f"{name} is not autodocumented"


def test_hook_sensor_trigger_and_emulator_are_documented(site: Path) -> None:
    expected = {
        "api/hooks.html": [
            "airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook",
            "airflow_provider_ldusage.hooks.usage_async.LaunchDarklyUsageAsyncHook",
        ]
        + [f"airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook.{e.method_name}" for e in ENDPOINTS],
        "api/sensors.html": [
            "airflow_provider_ldusage.sensors.month_end.LaunchDarklyMonthEndSensor",
            "airflow_provider_ldusage.triggers.month_end.LaunchDarklyMonthEndTrigger",
        ],
        "api/emulator.html": [
            "airflow_provider_ldusage.testing.emulator.Emulator",
            "airflow_provider_ldusage.testing.emulator.EmulatorConfig",
            "airflow_provider_ldusage.testing.emulator.run_emulator",
            "airflow_provider_ldusage.testing.pytest_plugin.launchdarkly_emulator",
        ],
        "api/exceptions.html": ["airflow_provider_ldusage.exceptions.LaunchDarklyUsageError"],
    }
    for page, targets in expected.items():
        ids = _ids(_html(site, page))
        missing = [t for t in targets if t not in ids]
        assert not missing, f"{page} lacks {missing}"
    emulator = _html(site, "emulator.html")
    for text in ("ldusage-emulator", "launchdarkly_emulator", "/_emulator/clock", "--fault"):
        assert text in emulator


def test_every_endpoint_has_a_generated_section(site: Path) -> None:
    page = _html(site, "endpoints.html")
    ids = _ids(page)
    for e in ENDPOINTS:
        assert f"endpoint-{e.operation_id.lower()}" in ids
        assert e.path in page
        for param in e.query_params:
            assert f'<span class="pre">{param.wire}</span>' in page


def test_connection_page_names_every_field_and_host(site: Path) -> None:
    from airflow_provider_ldusage.catalogue import KNOWN_BASE_URLS
    from airflow_provider_ldusage.provider_info import get_provider_info

    page = _html(site, "connection.html")
    (ctype,) = get_provider_info()["connection-types"]
    for name in ctype["conn-fields"]:
        assert name in page
    for url in KNOWN_BASE_URLS.values():
        assert url in page
    assert "AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT" in page


def test_generated_snippets_are_rendered(site: Path) -> None:
    page = _html(site, "operators.html")
    for snippet in _extension().example_snippets():
        if not any(snippet.mentions(e.operator_name) for e in ENDPOINTS):
            continue
        first = next(line.strip() for line in snippet.text.splitlines() if line.strip())
        words = re.findall(r"[A-Za-z_]\w+", first)
        assert all(word in page for word in words), f"snippet {snippet.name} not shown on the operators page"


# --- literalinclude targets -----------------------------------------------------------------------------


def _written_includes() -> list[tuple[Path, Path, dict[str, str]]]:
    """(rst file, target, options) for every literalinclude written in docs/**/*.rst."""
    found = []
    for rst in sorted(DOCS.rglob("*.rst")):
        if "_build" in rst.parts:
            continue
        lines = rst.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            match = _INCLUDE.match(line)
            if not match:
                continue
            raw = match.group(1)
            target = DOCS / raw.lstrip("/") if raw.startswith("/") else rst.parent / raw
            options: dict[str, str] = {}
            for option_line in lines[index + 1 :]:
                if not option_line.strip() or not option_line.startswith(" "):
                    break
                opt = _OPTION.match(option_line)
                if opt:
                    options[opt.group(1)] = opt.group(2)
            found.append((rst, target.resolve(), options))
    return found


def _generated_includes() -> list[tuple[Path, Path, dict[str, str]]]:
    """The literalincludes the operators directive writes: one per example-DAG snippet naming an operator."""
    ext = _extension()
    operators = [e.operator_name for e in ENDPOINTS]
    return [
        (
            DOCS / "operators.rst",
            snippet.path.resolve(),
            {"start-after": f"[START {snippet.name}]", "end-before": f"[END {snippet.name}]"},
        )
        for snippet in ext.example_snippets()
        if any(snippet.mentions(name) for name in operators)
    ]


def test_docs_have_tested_snippets() -> None:
    assert _written_includes(), "the docs should show code from tested files"


@pytest.mark.parametrize("kind", ["written", "generated"])
def test_every_literalinclude_target_and_marker_exists(kind: str) -> None:
    includes = _written_includes() if kind == "written" else _generated_includes()
    if kind == "generated" and not includes:
        pytest.skip("no example DAG snippet names an operator yet (example_dags/ is empty)")
    for rst, target, options in includes:
        where = f"{rst.relative_to(ROOT)} -> {target}"
        assert target.is_file(), f"{where}: missing file"
        assert ROOT in target.parents, f"{where}: outside the repository"
        text = target.read_text(encoding="utf-8")
        start, end = options.get("start-after"), options.get("end-before")
        assert start and end, f"{where}: include a marked region (:start-after: / :end-before:)"
        assert start.startswith("[START ") and end.startswith("[END "), f"{where}: use START/END markers"
        assert text.count(start) == 1, f"{where}: {start!r} must occur exactly once"
        assert text.count(end) == 1, f"{where}: {end!r} must occur exactly once"
        assert text.index(start) < text.index(end), f"{where}: {end!r} precedes {start!r}"


def test_example_dag_markers_are_balanced() -> None:
    if not EXAMPLE_DAGS.is_dir() or not list(EXAMPLE_DAGS.glob("*.py")):
        pytest.skip("example_dags/ has no DAG files yet")
    for path in EXAMPLE_DAGS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        starts = re.findall(r"#\s*\[START\s+([\w.-]+)\]", text)
        ends = re.findall(r"#\s*\[END\s+([\w.-]+)\]", text)
        assert sorted(starts) == sorted(ends), f"{path.name}: START/END markers do not pair up"
        assert len(starts) == len(set(starts)), f"{path.name}: a marker name is used twice"


# --- every included file is exercised by a test ---------------------------------------------------------


def _dag_ids(text: str) -> set[str]:
    ids = set(re.findall(r"\bdag_id\s*=\s*[\"']([\w.-]+)[\"']", text))
    ids |= set(re.findall(r"\bDAG\(\s*[\"']([\w.-]+)[\"']", text))
    ids |= set(re.findall(r"@dag\b[^\n]*\n(?:\s*@[^\n]*\n)*\s*def\s+(\w+)", text))
    return ids


def _test_sources(exclude: Path) -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in TESTS.rglob("*.py")
        if path.resolve() != exclude.resolve()
    }


def test_every_included_example_dag_is_covered_by_an_end_to_end_test() -> None:
    """An example the docs show runs in tests/examples/test_end_to_end.py (by dag_id), not merely parses."""
    included = {target for _, target, _ in _written_includes() + _generated_includes()}
    examples = sorted(t for t in included if EXAMPLE_DAGS.resolve() in t.parents)
    assert examples, "the docs should show the example DAGs"
    end_to_end = (ROOT / "tests" / "examples" / "test_end_to_end.py").read_text(encoding="utf-8")
    for example in examples:
        dag_ids = _dag_ids(example.read_text(encoding="utf-8"))
        assert dag_ids, example
        missing = [d for d in dag_ids if f'"{d}"' not in end_to_end]
        assert not missing, (
            f"{example.relative_to(ROOT)} is shown in the docs but never run end to end: {missing}"
        )


def test_every_included_docs_snippet_is_covered_by_a_test() -> None:
    snippets = sorted(
        {target for _, target, _ in _written_includes() if (DOCS / "snippets").resolve() in target.parents}
    )
    sources = _test_sources(Path(__file__))
    for snippet in snippets:
        covering = [p for p, text in sources.items() if snippet.name in text]
        assert covering, f"{snippet.relative_to(ROOT)} is shown in the docs but no test runs it"


# --- the extension's helpers ----------------------------------------------------------------------------


def test_markdown_results_become_rst_tables() -> None:
    ext = _extension()
    lines = ext.markdown_to_rst(
        "# Results\n\nRun on `py3.11`.\n\n| name | ms |\n|---|---:|\n| import | 12.5 |\n"
        "| call_* \\| x | 3 |\n"
        "\n## Details\n\n- cProfile `top:\n```\n  ncalls  tottime\n```\n"
    )
    text = "\n".join(lines)
    assert ".. rubric:: Results" in text and ".. rubric:: Details" in text
    assert ".. list-table::" in text
    assert "call\\_\\* \\| x" in text  # a table cell: escaped, the escaped pipe kept in the cell
    assert "   Run on `py3.11`." in text  # prose: verbatim in a literal block
    assert "     ncalls  tottime" in text


def test_generated_docstrings_keep_paths_whole() -> None:
    """The hook's and operators' generated summaries name each path unbroken, on unindented lines."""
    from airflow_provider_ldusage.catalogue import ENDPOINTS
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook
    from airflow_provider_ldusage.operators import usage

    for ep in ENDPOINTS:
        for obj in (getattr(LaunchDarklyUsageHook, ep.method_name), getattr(usage, ep.operator_name)):
            summary = inspect.cleandoc(obj.__doc__ or "").split("\n\n", 1)[0]
            assert f"``GET {ep.path}``" in " ".join(summary.split()), obj
            assert not any(line[:1].isspace() for line in summary.splitlines()), obj


def test_rendered_results_parse_without_any_warning() -> None:
    docutils_core = pytest.importorskip("docutils.core")
    sample = (
        "# Benchmark results\n\nWritten by `make bench` (`benchmarks/run.py`); "
        "see `benchmarks/README.md`.\n\n"
        "| figure | ours | baseline | ratio | target | result |\n|---|---|---|---|---|---|\n"
        "| import `operators.usage` | 41.2 ms | 39.0 ms | 1.06x | ≤ 1.5x | pass |\n"
        "| rows/s *jsonl* | 1_200_000 | n/a | — | ≥ 10^5 | pass \\| ok |\n\n"
        "## Machine\n\n- python: 3.11.7 [GCC]\n- Load average before / after: 0.10 (1 min) / 0.2\n\n"
        "## Details\n\n### Per-request overhead\n\n- note with `code` and a stray ` backtick: *x* _y_\n"
        "cProfile top 5:\n```\n   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n```\n"
    )
    rst = "\n".join(_extension().markdown_to_rst(sample))
    doctree = docutils_core.publish_doctree(
        rst, settings_overrides={"report_level": 2, "halt_level": 2, "warning_stream": False}
    )
    assert "ncalls" in doctree.astext()
