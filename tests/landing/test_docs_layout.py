"""The documented layouts are the code's: the column table the docs render (``schema``'s description, shown
on the rows-and-landing page) lists ``SERIES_COLUMNS`` and ``LIST_COLUMNS`` in order with their types, and
the page's table of types per format says what the Parquet writer writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from airflow_provider_ldusage.landing import schema
from airflow_provider_ldusage.landing.schema import LIST_COLUMNS, LIST_NAMES, SERIES_COLUMNS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "rows_and_landing.rst"
_LITERAL = re.compile(r"``([^`]+)``")


def test_the_documented_series_table_is_series_columns() -> None:
    text = schema.__doc__ or ""
    rows = re.findall(r"^``(\w+)``\s+(int|number|string|json|timestamp|bool)\s", text, flags=re.MULTILINE)
    assert rows == [(c.name, c.type) for c in SERIES_COLUMNS]


def test_the_documented_list_layout_is_list_columns() -> None:
    text = schema.__doc__ or ""
    paragraph = text[text.index("*list*") : text.index("How each type is written")]
    names = [name for name in _LITERAL.findall(paragraph) if name in LIST_NAMES or name.isidentifier()]
    assert [n for n in names if n in LIST_NAMES] == list(LIST_NAMES)
    assert set(names) <= set(LIST_NAMES)  # nothing documented that the layout lacks


def _type_table() -> dict[str, list[str]]:
    """The page's "logical type" list-table: logical type -> its cells (JSON Lines, CSV, Parquet)."""
    text = PAGE.read_text()
    start = text.index("   * - logical type")
    table = text[start : text.index("\n\n", start)]
    rows: dict[str, list[str]] = {}
    current: list[str] = []
    for line in table.splitlines():
        if line.startswith("   * - "):
            current = [line.removeprefix("   * - ")]
            rows[current[0]] = current
        elif line.startswith("     - "):
            current.append(line.removeprefix("     - "))
    return {(_LITERAL.findall(k) or [k])[0]: v[1:] for k, v in rows.items() if k != "logical type"}


def test_the_documented_types_per_format_are_the_writers() -> None:
    pa = pytest.importorskip("pyarrow")
    from airflow_provider_ldusage.landing.parquet import arrow_schema

    table = _type_table()
    used = {c.type for c in (*SERIES_COLUMNS, *LIST_COLUMNS)}
    assert set(table) == used | {"null"}
    for layout in ("series", "list"):
        arrow = arrow_schema(layout)
        for column in schema.columns_of(layout):
            documented = _LITERAL.findall(table[column.type][2])[0]
            written = arrow.field(column.name).type
            try:  # an alias (float64, int64, bool, string) or the type's own text (timestamp[ms, tz=UTC])
                assert pa.type_for_alias(documented) == written, column
            except ValueError:
                assert documented == str(written), column
