"""Weekly SDK inventory: which LaunchDarkly SDKs had users last week, which versions are streaming, and
which are past or near their end of life.

Reads three list endpoints:

* ``getMauSdksByType`` (``LaunchDarklyMauSdksByTypeOperator``): SDK names with MAU in the 7 days before
  the run, for ``client`` and ``server`` SDKs (one mapped task instance per type);
* ``getStreamUsageSdkversion`` (``LaunchDarklyStreamUsageSdkversionOperator``): the SDK name/version pairs
  connected to LaunchDarkly's streaming service (no time window: as LaunchDarkly sees it now; one mapped
  task instance per source);
* ``getSdkVersionsDetails`` (``LaunchDarklySdkVersionsDetailsOperator``): the highest version of each SDK
  seen in the last 24 hours per project, environment and application, with LaunchDarkly's end-of-life
  status (``eolStatus``: ``EolPast``, ``EolNear``, ``MajorVersionAvailable``, ``EolAllClear``,
  ``EolUnknown``) and the latest version; the same for Relay Proxies (``relayEolStatus``).

All land under ``<storage root>/inventory/<operationId>/``; a last task joins them into
``<storage root>/inventory/sdk_inventory_<YYYY-MM-DD>.json``: one entry per SDK (type, active last week,
versions streaming, end-of-life status of the versions seen) and an ``end_of_life`` section listing every
SDK or Relay Proxy version past (``EolPast``) or near (``EolNear``) its end of life, with where it runs and
what to upgrade to — the list to work through before LaunchDarkly stops supporting those versions. Its
counts are the task's return value, and a warning in the task log names them. Configuration: Airflow
Variables ``ldusage_storage_root`` and ``ldusage_conn_id``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_ldusage.compat import DAG, task
from airflow_provider_ldusage.operators.usage import (
    LaunchDarklyMauSdksByTypeOperator,
    LaunchDarklySdkVersionsDetailsOperator,
    LaunchDarklyStreamUsageSdkversionOperator,
)

CONN_ID = "{{ var.value.get('ldusage_conn_id', 'launchdarkly_default') }}"
STORAGE_ROOT = "{{ var.value.get('ldusage_storage_root', '/tmp/ldusage') }}"
SDK_TYPES = ["client", "server"]
# LaunchDarkly's end-of-life statuses worth acting on, most urgent first.
END_OF_LIFE = ("EolPast", "EolNear")

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

    # [START howto_operator_sdk_versions_details]
    sdk_details = LaunchDarklySdkVersionsDetailsOperator(
        task_id="sdk_details",
        launchdarkly_conn_id=CONN_ID,
        output_path=STORAGE_ROOT + "/inventory",  # one row per SDK, project, environment and app
    )
    # [END howto_operator_sdk_versions_details]

    @task
    def inventory(
        active: Any, streaming: Any, details: dict[str, Any], storage_root: str, ds: str | None = None
    ) -> dict[str, Any]:
        """Join the lists per SDK, list what is past or near end of life, and write it all atomically."""
        import json
        import logging
        import os
        import uuid

        from airflow_provider_ldusage.compat import ObjectStoragePath

        def rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
            # List rows (landing/schema.py, layout "list"): each item as LaunchDarkly sent it, under "item".
            text = ObjectStoragePath(summary["path"]).read_text()
            return [json.loads(line)["item"] for line in text.splitlines() if line.strip()]

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
        detail_rows = rows(details)
        for row in detail_rows:
            entry = sdks.get(str(row.get("name")))  # names not in the lists appear under end_of_life only
            if entry is not None and row.get("eolStatus"):
                entry.setdefault("end_of_life", {})[str(row.get("version"))] = row["eolStatus"]
        end_of_life = _end_of_life(detail_rows)
        body = {"date": ds, "sdks": dict(sorted(sdks.items())), "end_of_life": end_of_life}

        root = storage_root if "://" in storage_root else f"file://{os.path.abspath(storage_root)}"
        target = ObjectStoragePath(f"{root}/inventory/sdk_inventory_{ds}.json")
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
        temporary.write_bytes(json.dumps(body, indent=2).encode())
        temporary.move(target)  # readers see the old inventory or the new one, never half of one
        counts = {status: len(end_of_life[status]) for status in END_OF_LIFE}
        if any(counts.values()):
            logging.getLogger(__name__).warning(
                "SDK versions past end of life: %d, near end of life: %d (see %s)",
                counts["EolPast"],
                counts["EolNear"],
                target,
            )
        return {
            "path": str(target),
            "sdks": len(sdks),
            "active": sum(e["active"] for e in sdks.values()),
            "eol_past": counts["EolPast"],
            "eol_near": counts["EolNear"],
        }

    inventory(active_sdks.output, streaming_versions.output, sdk_details.output, storage_root=STORAGE_ROOT)


def _end_of_life(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """SDK and Relay Proxy versions past or near end of life, one entry per version with where it runs.

    :param rows: the landed rows of ``getSdkVersionsDetails`` (one per SDK, project, environment, app).
    """
    found: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        candidates = [
            (
                "sdk",
                row.get("name"),
                row.get("version"),
                row.get("eolStatus"),
                row.get("ldLatestVersion"),
                row.get("latestReleaseUrl"),
            ),
            (
                "relay",
                "Relay Proxy",
                row.get("relayVersion"),
                row.get("relayEolStatus"),
                row.get("relayLatestVersion"),
                row.get("relayLatestReleaseUrl"),
            ),
        ]
        for kind, name, version, status, latest, url in candidates:
            if status not in END_OF_LIFE or not name:
                continue
            entry = found.setdefault(
                (status, kind, str(name), str(version)),
                {
                    "kind": kind,
                    "name": name,
                    "type": row.get("type") if kind == "sdk" else None,
                    "version": version,
                    "latest_version": latest,
                    "latest_release_url": url,
                    "where": [],
                },
            )
            place = {k: row.get(k) for k in ("projectKey", "environmentKey", "applicationId")}
            if place not in entry["where"]:
                entry["where"].append(place)
    return {
        status: sorted(
            (e for (s, *_), e in found.items() if s == status),
            key=lambda e: (e["kind"], str(e["name"]), str(e["version"])),
        )
        for status in END_OF_LIFE
    }
