"""Weekly SDK inventory: which LaunchDarkly SDKs had users last week, and which versions are streaming.

Reads the two list endpoints, one mapped task instance per SDK type or stream source:

* ``getMauSdksByType`` (``LaunchDarklyMauSdksByTypeOperator``): SDK names with MAU in the 7 days before
  the run, for ``client`` and ``server`` SDKs;
* ``getStreamUsageSdkversion`` (``LaunchDarklyStreamUsageSdkversionOperator``): the SDK name/version pairs
  connected to LaunchDarkly's streaming service (no time window: as LaunchDarkly sees it now).

Both land under ``<storage root>/inventory/<operationId>/``; a last task joins them into
``<storage root>/inventory/sdk_inventory_<YYYY-MM-DD>.json`` (one entry per SDK: type, active last week,
versions streaming), the list to check before retiring an SDK version. Configuration: Airflow Variables
``ldusage_storage_root`` and ``ldusage_conn_id``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_ldusage.operators.usage import (
    LaunchDarklyMauSdksByTypeOperator,
    LaunchDarklyStreamUsageSdkversionOperator,
)

CONN_ID = "{{ var.value.get('ldusage_conn_id', 'launchdarkly_default') }}"
STORAGE_ROOT = "{{ var.value.get('ldusage_storage_root', '/tmp/ldusage') }}"
SDK_TYPES = ["client", "server"]

with DAG(
    dag_id="ldusage_weekly_sdk_inventory",
    description="SDKs with MAU last week and SDK versions streaming, joined into one inventory",
    schedule="0 7 * * 1",  # Mondays 07:00 UTC
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["launchdarkly", "usage", "inventory"],
) as dag:
    # [START howto_operator_sdk_lists]
    active_sdks = LaunchDarklyMauSdksByTypeOperator.partial(
        task_id="active_sdks",
        launchdarkly_conn_id=CONN_ID,
        window="last_7_days",  # the seven whole UTC days before the run
        output_path=STORAGE_ROOT + "/inventory",
    ).expand(sdktype=SDK_TYPES)
    streaming_versions = LaunchDarklyStreamUsageSdkversionOperator.partial(
        task_id="streaming_versions",
        launchdarkly_conn_id=CONN_ID,
        output_path=STORAGE_ROOT + "/inventory",
    ).expand(source=SDK_TYPES)
    # [END howto_operator_sdk_lists]

    @task
    def inventory(active: Any, streaming: Any, storage_root: str, ds: str | None = None) -> dict[str, Any]:
        """Join both lists per SDK and write the inventory atomically next to the landed lists."""
        import json
        import os
        import uuid

        from airflow.sdk import ObjectStoragePath

        def rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
            text = ObjectStoragePath(summary["path"]).read_text()
            return [json.loads(line) for line in text.splitlines() if line.strip()]

        sdks: dict[str, dict[str, Any]] = {}
        # Mapped outputs come in map-index order, so they line up with SDK_TYPES.
        for index, sdk_type in enumerate(SDK_TYPES):
            for row in rows(active[index]):
                entry = sdks.setdefault(row["sdk"], {"type": sdk_type, "active": False, "versions": []})
                entry["active"] = True
        for index, source in enumerate(SDK_TYPES):
            for row in rows(streaming[index]):
                entry = sdks.setdefault(row["sdk"], {"type": source, "active": False, "versions": []})
                entry["versions"] = sorted({*entry["versions"], row["version"]})
        body = {"date": ds, "sdks": dict(sorted(sdks.items()))}

        root = storage_root if "://" in storage_root else f"file://{os.path.abspath(storage_root)}"
        target = ObjectStoragePath(f"{root}/inventory/sdk_inventory_{ds}.json")
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
        temporary.write_bytes(json.dumps(body, indent=2).encode())
        temporary.move(target)  # readers see the old inventory or the new one, never half of one
        return {"path": str(target), "sdks": len(sdks), "active": sum(e["active"] for e in sdks.values())}

    inventory(active_sdks.output, streaming_versions.output, storage_root=STORAGE_ROOT)
