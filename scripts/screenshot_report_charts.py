"""Screenshots of the monthly report's two charts as a browser draws them, for the docs.

``python scripts/screenshot_report_charts.py [REPORT.json]`` (default: the report ``make demo`` writes,
``.demo/output/reports/ldusage_2026-09.json``) draws both charts from the report's data with the example
DAG's own chart code (``example_dags/ldusage_monthly_close.py``), opens each SVG in headless Chromium at
its own size and writes ``docs/_static/report_usage_per_day.png`` and ``docs/_static/report_burn_down.png``.
Chromium is installed with apt-get when missing (see ``scripts/screenshot_connection_form.py``). Nothing
here runs in ``make test`` (``tests/examples/test_report_charts.py`` checks the labels' extents); the
images are committed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.screenshot_connection_form import chromium  # noqa: E402

DEFAULT_REPORT = ROOT / ".demo" / "output" / "reports" / "ldusage_2026-09.json"
STATIC = ROOT / "docs" / "_static"
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def report_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "ldusage_monthly_close_report", ROOT / "example_dags" / "ldusage_monthly_close.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shoot(browser: str, svg: str, output: Path) -> None:
    """``svg`` (its own width and height) as a PNG of exactly that size."""
    found = re.search(r'width="(\d+)" height="(\d+)"', svg)
    assert found, "the chart has no width and height"
    width, height = found.groups()
    with tempfile.TemporaryDirectory(prefix="ldusage-report-shot-") as work:
        page = Path(work) / "chart.svg"
        page.write_text(svg)
        subprocess.run(
            [
                browser,
                *BROWSER_FLAGS,
                f"--user-data-dir={Path(work) / 'profile'}",
                f"--window-size={width},{height}",
                f"--screenshot={output}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {output} ({width}x{height})", flush=True)


def main(argv: list[str]) -> int:
    report = Path(argv[0]) if argv else DEFAULT_REPORT
    if not report.is_file():
        raise SystemExit(f"{report} is missing: run `make demo` first, or name a report JSON")
    data = json.loads(report.read_text())
    module = report_module()
    browser = chromium()
    STATIC.mkdir(parents=True, exist_ok=True)
    shoot(browser, module._svg_chart(data), STATIC / "report_usage_per_day.png")
    shoot(browser, module._svg_burn_down(data), STATIC / "report_burn_down.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
