"""One worker process of the stampede tests: its own hook, ``calls`` requests, a JSON line of results.

Run as ``python budget_worker.py CALLS [REDIS_CONN_ID]``: once imported and configured it prints
``ready`` and waits for a line on stdin (so every worker starts together), then calls
``get_mau_total_usage`` ``CALLS`` times and prints ``{"ok": n, "failed": [error texts]}``. The connection
comes from the environment it inherits.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone


def main() -> None:
    calls = int(sys.argv[1])
    redis_conn_id = sys.argv[2] if len(sys.argv) > 2 else None
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    hook = LaunchDarklyUsageHook(shared_budget_redis_conn_id=redis_conn_id)
    window = {
        "start": datetime(2026, 1, 1, tzinfo=timezone.utc),
        "end": datetime(2026, 1, 8, tzinfo=timezone.utc),
    }
    hook.build("get_mau_total_usage", **window)  # imports and settings before the start
    _ = hook.settings
    print("ready", flush=True)
    sys.stdin.readline()
    ok, failed = 0, []
    for _ in range(calls):
        try:
            hook.get_mau_total_usage(**window)  # type: ignore[arg-type]
            ok += 1
        except Exception as exc:  # reported, not raised: the test counts them
            failed.append(f"{type(exc).__name__}: {exc}")
    hook.close()
    print(json.dumps({"ok": ok, "failed": failed}), flush=True)


if __name__ == "__main__":
    main()
