"""The manifest of a fan-out task: every object one DAG run's task landed, and what failed.

One JSON object per task instance and DAG run, beside the landed objects::

    <output_path>/_batches/<dag_id>/<task_id>[.<map_index>]/<run_id>.json

(``_batches`` starts with ``_``: Hive, Spark, Trino, Athena and pyarrow skip it when they read the landed
objects as a table.) It is written atomically (as the objects are) after the fan-out, also when some
targets failed, and rewritten by each try of the same DAG run. It serves three readers:

- a re-run of the same DAG run (a retry, or a cleared task): objects it lists are not fetched again;
- :class:`~airflow_provider_ldusage.transfers.usage_to_sql.LaunchDarklyUsageToSqlOperator`, given the
  task's summary, loads every object it lists (thousands of paths stay out of XCom);
- people: ``failed`` names each target that failed and why.

Layout: ``{"layout": "ldusage-batch/1", "dag_id", "task_id", "map_index", "run_id", "endpoint",
"updated_at", "objects": [compact summaries], "failed": [{"target", "window_start", "window_end",
"error"}]}``; a compact summary has the keys of :data:`OBJECT_KEYS` (``path`` among them).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_ldusage.compat import ObjectStoragePath

LAYOUT = "ldusage-batch/1"
#: What the manifest keeps of each landed object's summary (what loaders and Asset events need).
OBJECT_KEYS = (
    "endpoint",
    "path",
    "dataset",
    "filter_set",
    "format",
    "rows",
    "empty",
    "bytes",
    "window_start",
    "window_end",
    "provisional",
    "final_after",
    "fetched_at",
    "target",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def manifest_path(
    output_path: object, dag_id: str, task_id: str, run_id: str, map_index: int | None = None
) -> ObjectStoragePath:
    """Where the manifest of one task instance's DAG run lives (see the module description).

    Characters other than letters, digits, ``.``, ``_`` and ``-`` in the run id (``manual__2026-09-30T06:
    00:00+00:00``) become ``_``, so the name is safe on every object store.
    """
    from airflow_provider_ldusage.landing.storage import storage_path

    task = task_id if map_index is None or map_index < 0 else f"{task_id}.{map_index}"
    safe = [_UNSAFE.sub("_", part) for part in (dag_id or "no_dag", task, run_id or "no_run")]
    return storage_path(output_path) / "_batches" / safe[0] / safe[1] / f"{safe[2]}.json"


def compact(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's entry for one landed object's summary."""
    return {key: summary.get(key) for key in OBJECT_KEYS}


def read_manifest(path: ObjectStoragePath) -> dict[str, Any] | None:
    """The manifest at ``path``, or ``None`` when there is none (or it is not one of ours)."""
    try:
        if not path.exists():
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("layout") != LAYOUT
        or not isinstance(data.get("objects"), list)
    ):
        return None
    return data


def write_manifest(
    path: ObjectStoragePath,
    header: Mapping[str, Any],
    objects: Iterable[Mapping[str, Any]],
    failed: Iterable[Mapping[str, Any]],
) -> None:
    """Write the manifest atomically: a hidden temporary sibling moved into place when complete."""
    body = {"layout": LAYOUT, **header, "objects": list(objects), "failed": list(failed)}
    data = json.dumps(body, separators=(",", ":"), sort_keys=False).encode()
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    temporary = parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
        temporary.move(path)
    except BaseException:
        try:
            if temporary.exists():
                temporary.unlink()
        except OSError:
            pass
        raise


def manifest_objects(location: str, conn_id: str | None = None) -> list[str]:
    """The object paths a manifest lists (for loaders).

    :param conn_id: the storage connection when ``location`` names none.
    :raises ValueError: when ``location`` holds no fan-out manifest.
    """
    from airflow_provider_ldusage.landing.storage import storage_path

    data = read_manifest(storage_path(location, conn_id))
    if data is None:
        raise ValueError(f"no fan-out manifest ({LAYOUT}) at {location}")
    return [entry["path"] for entry in data["objects"] if isinstance(entry, dict) and entry.get("path")]
