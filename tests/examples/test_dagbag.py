"""Every example DAG imports with no errors and no warnings, and carries its docs markers."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from .conftest import EXAMPLES

EXPECTED = {
    "ldusage_daily_ingest": "0 6 * * *",
    "ldusage_monthly_close": "@monthly",
    "ldusage_backfill": None,
    "ldusage_weekly_sdk_inventory": "0 7 * * 1",
    "ldusage_budget_watch": "30 6 * * *",
}


def test_example_dags_import_without_errors_or_warnings() -> None:
    from tests.airflow_compat import dagbag_class, schedule_of

    DagBag = dagbag_class()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bag = DagBag(dag_folder=str(EXAMPLES))
    assert bag.import_errors == {}
    assert bag.captured_warnings == {}
    assert [str(w.message) for w in caught] == []
    assert {dag_id: schedule_of(bag.dags[dag_id]) for dag_id in bag.dags} == EXPECTED
    for dag in bag.dags.values():
        assert dag.fileloc.startswith(str(EXAMPLES))
        assert dag.doc_md or dag.description, dag.dag_id
        assert "launchdarkly" in dag.tags
        assert dag.catchup is False


def test_each_example_has_balanced_docs_markers() -> None:
    marker = re.compile(r"#\s*\[(START|END)\s+([\w.-]+)\]")
    names: list[str] = []
    for path in sorted(Path(EXAMPLES).glob("*.py")):
        opened: list[str] = []
        for line in path.read_text().splitlines():
            match = marker.search(line)
            if match and match.group(1) == "START":
                opened.append(match.group(2))
                names.append(match.group(2))
            elif match:
                assert opened and opened.pop() == match.group(2), f"{path.name}: unbalanced {match.group(2)}"
        assert not opened, f"{path.name}: unclosed {opened}"
        assert any(marker.search(line) for line in path.read_text().splitlines()), path.name
    assert len(names) == len(set(names)), "marker names must be unique across the examples"
    assert {"howto_operator_mau_total_usage", "howto_sensor_month_end"} <= set(names)
