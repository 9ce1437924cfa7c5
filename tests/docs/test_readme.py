"""The README's Python snippets work as written: the DAG builds, the fixture example is valid Python."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_dag_snippet_builds_the_dag_it_describes() -> None:
    from airflow.sdk import DAG

    dag_block = next(b for b in BLOCKS if "@dag(" in b)
    namespace: dict[str, object] = {"__name__": "readme_snippet"}
    exec(compile(dag_block, str(README), "exec"), namespace)
    dag = namespace["monthly_mau"]()  # type: ignore[operator]
    assert isinstance(dag, DAG)
    assert set(dag.task_ids) == {"wait_until_final", "mau_by_sdk_type", "projects_for"}
    mau = dag.get_task("mau_by_sdk_type")
    assert (mau.window, mau.group_by, mau.output_path) == (
        "previous_month",
        "sdkType",
        "s3://my-bucket/launchdarkly",
    )
    assert dag.get_task("wait_until_final").downstream_task_ids == {"mau_by_sdk_type", "projects_for"}


def test_every_readme_python_snippet_compiles() -> None:
    assert len(BLOCKS) >= 2
    for block in BLOCKS:
        compile(block, str(README), "exec")
