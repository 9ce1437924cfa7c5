"""Hook snippets shown on the docs' hook page; tests/docs/test_docs_snippets.py runs them on the emulator."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import task

# [START hook_in_task]
from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook


@task
def mau_by_sdk_type(logical_date: datetime | None = None) -> dict[str, int]:
    """Month-to-date MAU per SDK type on the last day of the 7 days before the run."""
    end = logical_date.replace(hour=0, minute=0, second=0, microsecond=0)
    hook = LaunchDarklyUsageHook()  # connection id "launchdarkly_default"
    body = hook.get_mau_total_usage(start=end - timedelta(days=7), end=end, group_by="sdkType")
    last = body["series"][-1] if body["series"] else {}
    # Series key "i" is described by metadata[i]; a key missing from a time slice means no value.
    return {meta["sdkType"]: last.get(str(i), 0) for i, meta in enumerate(body["metadata"])}


# [END hook_in_task]


# [START hook_errors]
@task
def flag_evaluations(project_key: str, environment_key: str, flag_key: str) -> int | None:
    """Total evaluations of one flag over LaunchDarkly's default window, or None if the flag is unknown."""
    from airflow_provider_ldusage.exceptions import LaunchDarklyUsageNotFoundError

    hook = LaunchDarklyUsageHook()
    try:
        body = hook.get_evaluations_usage(project_key, environment_key, flag_key)
    except LaunchDarklyUsageNotFoundError:
        return None  # HTTP 404: no such project, environment or flag; never retried
    return sum(v for point in body["series"] for k, v in point.items() if k != "time")


def rejected_before_sending() -> str:
    """Invalid arguments raise before any request is sent."""
    from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError

    hook = LaunchDarklyUsageHook()
    try:
        hook.get_mau_total_usage(aggregation_type="incremental", granularity="monthly")
    except LaunchDarklyUsageValidationError as exc:
        return str(exc)
    raise AssertionError("expected a validation error")


# [END hook_errors]
