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


# --- numbers: one rule for connection extras, hook arguments and hook_params ------------------------------

#: Hook arguments that are seconds (a number, a numeric string or a ``timedelta``).
SECONDS_ARGUMENTS = (
    "connect_timeout",
    "read_timeout",
    "max_retry_wait",
    "backoff_base",
    "backoff_max",
    "max_reset_wait",
    "call_deadline",
)
#: Hook arguments that are whole numbers.
INTEGER_ARGUMENTS = ("max_retries", "max_body_bytes")
#: Hook arguments where zero is refused too (a timeout, deadline or size cap of zero allows nothing).
POSITIVE_ARGUMENTS = ("connect_timeout", "read_timeout", "call_deadline", "max_body_bytes")
#: Hook arguments that are Python objects (tests inject them); they cannot travel to a triggerer.
OBJECT_ARGUMENTS = ("sleep", "clock", "rng")
#: Hook arguments that are connection ids (text; ``""`` turns the feature off).
TEXT_ARGUMENTS = ("shared_budget_redis_conn_id",)
HOOK_ARGUMENTS = (*SECONDS_ARGUMENTS, *INTEGER_ARGUMENTS, *OBJECT_ARGUMENTS, *TEXT_ARGUMENTS)


def parse_number(raw: object, *, integer: bool = False, positive: bool = False) -> float:
    """``raw`` (number, numeric string, or ``timedelta`` for seconds) as a finite, non-negative number.

    NaN and infinity are refused like negative numbers: a timeout or wait must be finite.

    :param raw: the value as given.
    :param integer: whole numbers only (``1.5`` and ``"1.5"`` are refused, not truncated).
    :param positive: zero is refused too (timeouts).
    :raises ValueError: saying what is wrong (``"is not a number"``, ``"must not be negative"``…), in words
        that never repeat the value.
    """
    from datetime import timedelta
    from math import isfinite

    not_a = "is not a whole number" if integer else "is not a number"
    # bool is an int subclass: True would silently mean 1.
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, timedelta)):
        raise ValueError(not_a)
    if isinstance(raw, timedelta):
        if integer:
            raise ValueError(not_a)
        value = raw.total_seconds()
    else:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(not_a) from None
    if not isfinite(value):
        raise ValueError("must be finite (NaN and infinity are refused: every request needs a finite bound)")
    if value < 0:
        raise ValueError("must not be negative")
    if positive and value == 0:
        raise ValueError("must be positive")
    if integer:
        if not value.is_integer():
            raise ValueError(not_a)
        return float(int(value))
    return value


def validate_hook_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check ``hook_params`` when the DAG is parsed: known names, finite non-negative numbers.

    Names are those of :class:`~airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook`'s keyword
    arguments (:data:`HOOK_ARGUMENTS`); an unknown name gets a did-you-mean. Seconds accept a number, a
    numeric string or a ``timedelta``; ``max_retries`` a whole number; ``sleep``/``clock`` callables and
    ``rng`` a ``random.Random``. ``None`` values are kept (they mean "use the connection's extra").
    Imports nothing heavy: operators call it in ``__init__``.

    :param params: the operator's ``hook_params`` (``None`` is an empty mapping).
    :returns: a plain ``dict`` copy of ``params``, values unchanged.
    :raises LaunchDarklyUsageValidationError: naming ``hook_params[<key>]``, the value and what is allowed.
    """
    import difflib
    import random

    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise LaunchDarklyUsageValidationError(
            "hook_params", params, "a dict of hook arguments such as {'read_timeout': 120}"
        )
    checked: dict[str, Any] = {}
    for key, value in params.items():
        name = f"hook_params[{key!r}]"
        if key == "launchdarkly_conn_id":
            raise LaunchDarklyUsageValidationError(
                name, value, "not in hook_params: give launchdarkly_conn_id= to the operator itself"
            )
        if key not in HOOK_ARGUMENTS:
            close = difflib.get_close_matches(str(key), HOOK_ARGUMENTS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise LaunchDarklyUsageValidationError(
                name, value, f"{hint}a hook argument: one of {', '.join(HOOK_ARGUMENTS)}"
            )
        if value is not None:
            if key in TEXT_ARGUMENTS:
                if not isinstance(value, str):
                    raise LaunchDarklyUsageValidationError(name, value, "a connection id (a string)")
            elif key in OBJECT_ARGUMENTS:
                ok = isinstance(value, random.Random) if key == "rng" else callable(value)
                if not ok:
                    wanted = "a random.Random" if key == "rng" else "a callable"
                    raise LaunchDarklyUsageValidationError(name, value, wanted)
            else:
                integer = key in INTEGER_ARGUMENTS
                try:
                    parse_number(value, integer=integer, positive=key in POSITIVE_ARGUMENTS)
                except ValueError as exc:
                    if integer:
                        wanted = "a whole number > 0" if key in POSITIVE_ARGUMENTS else "a whole number >= 0"
                    elif key in POSITIVE_ARGUMENTS:
                        wanted = "a finite number of seconds > 0 (or a timedelta)"
                    else:
                        wanted = "a finite number of seconds >= 0 (or a timedelta)"
                    raise LaunchDarklyUsageValidationError(name, value, f"{wanted}; this one {exc}") from None
        checked[key] = value
    return checked
