"""The monthly report's SVG charts keep every label readable: each text lies inside the drawing and inside its
own small multiple, and no two texts overlap.

Extents are computed from the SVG's own coordinates (``x``, ``y``, ``text-anchor``) and font size, with
character widths at the wide end of common sans-serif fonts (DejaVu Sans, Arial), bold 10 % wider: a label
that fits here fits in a browser. The report's figures are the largest and longest a month can show.
"""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "ldusage_monthly_close.py"
SVG = "{http://www.w3.org/2000/svg}"
CELL_WIDTH = 330  # one small multiple (the charts draw three columns)
LEGEND_BOTTOM = 40  # the legend row above the small multiples

_NARROW, _WIDE = set("iljtfrI.,:;'!|() ·"), set("mwMW%@")


def char_width(char: str) -> float:
    """A character's advance in em, at or above what DejaVu Sans and Arial use."""
    if char in _NARROW:
        return 0.40
    if char in _WIDE:
        return 1.00
    if char.isupper():
        return 0.78
    return 0.64  # digits, lower case, + - and the rest


@dataclass(frozen=True)
class Box:
    text: str
    left: float
    right: float
    top: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


def text_boxes(svg: str) -> tuple[tuple[float, float, float, float], list[Box]]:
    """The viewBox and the box every ``<text>`` occupies (``<title>`` tooltips are not drawn)."""
    root = ET.fromstring(svg)
    view = tuple(float(v) for v in root.attrib["viewBox"].split())
    size = float(root.attrib["font-size"])
    boxes = []
    for element in root.iter(f"{SVG}text"):
        text = "".join(element.itertext())
        font = float(element.get("font-size", size))
        bold = 1.1 if element.get("font-weight") in ("600", "700", "bold") else 1.0
        width = sum(char_width(c) for c in text) * font * bold
        x, y = float(element.attrib["x"]), float(element.attrib["y"])
        anchor = element.get("text-anchor", "start")
        left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
        boxes.append(Box(text, left, left + width, y - 0.8 * font, y + 0.25 * font))
    return (view[0], view[1], view[2], view[3]), boxes


def assert_readable(svg: str) -> None:
    (vx, vy, vw, vh), boxes = text_boxes(svg)
    assert boxes
    for box in boxes:
        assert vx <= box.left and box.right <= vx + vw, f"{box.text!r} leaves the drawing: {box}"
        assert vy <= box.top and box.bottom <= vy + vh, f"{box.text!r} leaves the drawing: {box}"
        if box.top >= LEGEND_BOTTOM:  # a small multiple's text stays in its own column
            column = int(box.left // CELL_WIDTH)
            assert box.right <= (column + 1) * CELL_WIDTH, f"{box.text!r} runs into the next chart: {box}"
    for index, box in enumerate(boxes):
        for other in boxes[index + 1 :]:
            assert not box.overlaps(other), f"{box.text!r} overlaps {other.text!r}"


@pytest.fixture(scope="module")
def report_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ldusage_monthly_close_charts", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def month_data(module: Any, top: float) -> dict[str, Any]:
    """A report's data for every category, each month growing to ``top`` (so the y axis reads its maximum)."""
    days = [f"2026-09-{day:02d}" for day in range(1, 31)]
    categories, totals, burn_down = [], {}, {}
    for key, label, _ in module.CATEGORIES:
        per_day = [top * (0.55 + 0.45 * (day % 7) / 6) for day in range(30)]
        per_day[12] = top  # the month's busiest day: the y-axis maximum
        month_to_date = [sum(per_day[: day + 1]) for day in range(30)]
        categories.append(
            {
                "key": key,
                "label": label,
                "month": {"days": days, "per_day": per_day, "month_to_date": month_to_date},
                "previous": {"days": days, "per_day": [v * 0.97 for v in per_day]},
            }
        )
        totals[key] = {"label": label, "month": month_to_date[-1], "previous": 1.0, "change": -12345.6}
        burn_down[key] = {
            "label": label,
            "limit": month_to_date[-1] * 1.12,
            "month_to_date": month_to_date,
            "forecasts": [
                {"day": d, "expected": month_to_date[-1], "low": month_to_date[-1] * 0.9, "high": top * 40}
                for d in range(3, 30)
            ],
        }
    return {
        "month": "2026-09",
        "previous_month": "2026-08",
        "categories": categories,
        "totals": totals,
        "burn_down": burn_down,
    }


@pytest.mark.parametrize("top", [7.0, 4_471.0, 127_344.0, 999_949.0, 462_508_000.0])
def test_the_usage_chart_keeps_every_label_inside_and_apart(report_module: Any, top: float) -> None:
    svg = report_module._svg_chart(month_data(report_module, top))
    assert_readable(svg)
    _, boxes = text_boxes(svg)
    assert report_module._number(top) in {b.text for b in boxes}  # the y-axis maximum, whole


@pytest.mark.parametrize("top", [7.0, 4_471.0, 127_344.0, 999_949.0, 462_508_000.0])
def test_the_burn_down_chart_keeps_every_label_inside_and_apart(report_module: Any, top: float) -> None:
    data = month_data(report_module, top)
    svg = report_module._svg_burn_down(data)
    assert_readable(svg)
    _, boxes = text_boxes(svg)
    texts = {b.text for b in boxes}
    mau = data["burn_down"]["mau"]
    assert f"{report_module._number(mau['month_to_date'][-1])} so far · 89% of the limit" in " ".join(texts)


def test_the_check_finds_a_clipped_axis_label_and_an_overlap() -> None:
    clipped = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 330 150" font-size="11">'
        '<text x="25" y="32" text-anchor="end">127.4k</text></svg>'
    )
    with pytest.raises(AssertionError, match=r"'127\.4k' leaves the drawing"):
        assert_readable(clipped)
    overlapping = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 330 200" font-size="11">'
        '<text x="30" y="54" font-weight="600">Service connection minutes</text>'
        '<text x="300" y="54" text-anchor="end">10.4k · 60% of limit</text></svg>'
    )
    with pytest.raises(AssertionError, match="overlaps"):
        assert_readable(overlapping)
