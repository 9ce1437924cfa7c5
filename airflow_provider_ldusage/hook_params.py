"""What may travel as ``hook_params``: checks shared by the sensor (at DAG parse) and its trigger."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError


def check_json_safe(hook_params: Mapping[str, Any]) -> None:
    """Refuse ``hook_params`` that cannot travel to the triggerer (only JSON survives the trip).

    :raises LaunchDarklyUsageValidationError: naming the first offending key.
    """
    for key, value in hook_params.items():
        try:
            safe = json.loads(json.dumps(value)) == value
        except (TypeError, ValueError):
            safe = False
        if not safe:
            raise LaunchDarklyUsageValidationError(
                f"hook_params[{key!r}]",
                value,
                "a JSON value (str, number, bool, None, list or dict of them): with deferrable=True the "
                "hook arguments travel to the triggerer as JSON; give e.g. read_timeout as a number of "
                "seconds, or use mode='poke'/'reschedule'",
            )
