"""The flag list, ``GET /api/v2/flags/{projectKey}``, as the official client 25.0.1 reads it.

Not a usage route and not a beta one: LaunchDarkly serves it under the dated API versions; from
``20240415`` (what the official client sends) it is paged, 20 flags by default, ``limit``/``offset`` with
``_links`` ``self``/``first``/``prev``/``next``/``last`` (each absent where its page does not exist) and
``totalCount``. Each item is a ``FeatureFlag`` with the model's required fields; ``environments`` only
when the request names an environment (``env`` or ``filter=filterEnv:<key>``), as that version returns it.

The emulator's own choices (LaunchDarkly documents none of them): a ``limit`` above 100 is served as 100,
a version header other than ``20240415`` or ``beta`` is a 400, an unknown ``filter`` field is a 400, and
the flags are listed in key-number order. Every flag is live and none archived, so ``state:archived``
lists none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote, urlencode

from airflow_provider_ldusage.catalogue import FEATURE_FLAG_LIST
from airflow_provider_ldusage.testing.emulator.account import Account, Environment, Flag
from airflow_provider_ldusage.testing.emulator.errors import ApiError, invalid, not_found

PATTERN = re.compile(r"^/api/v2/flags/(?P<projectKey>[^/]+)$")
#: The ``LD-API-Version`` values the route answers; absent means the token's version (20240415 here).
VERSIONS = (FEATURE_FLAG_LIST.api_version, "beta")
_FILTER_FIELDS = ("query", "tags", "state", "filterEnv", "type")
_CREATED = 1_735_689_600_000  # 2025-01-01T00:00:00Z, ms: the first flag's creation date


def check_version(versions: Sequence[str]) -> None:
    """Refuse anything but one known ``LD-API-Version`` (or none)."""
    if not versions:
        return
    if len(versions) != 1 or versions[0] not in VERSIONS:
        raise ApiError(
            400,
            "invalid_request",
            f"Unsupported LD-API-Version {', '.join(versions)!r}: use {FEATURE_FLAG_LIST.api_version}",
        )


def _integer(query: dict[str, list[str]], name: str, default: int, minimum: int) -> int:
    values = query.get(name)
    if not values:
        return default
    try:
        value = int(values[-1])
    except ValueError:
        raise invalid(f"{name} must be an integer") from None
    if value < minimum:
        raise invalid(f"{name} must be at least {minimum}")
    return value


def _filters(text: str) -> dict[str, str]:
    if not text:
        return {}
    out: dict[str, str] = {}
    for part in text.split(","):
        name, sep, value = part.partition(":")
        if not sep or name.strip() not in _FILTER_FIELDS:
            raise invalid(
                f"unsupported filter {part!r}: use field:value with one of {', '.join(_FILTER_FIELDS)}"
            )
        out[name.strip()] = value.strip()
    return out


def _tags(flag: Flag) -> list[str]:
    return ["boolean"] if flag.variations == ("true", "false") else ["multivariate"]


def _matches(flag: Flag, filters: dict[str, str]) -> bool:
    if "query" in filters and filters["query"].lower() not in flag.key.lower():
        return False
    if "tags" in filters and not set(filters["tags"].split("+")) <= set(_tags(flag)):
        return False
    if filters.get("state", "live") != "live":
        return False
    return filters.get("type", "temporary") == "temporary"


def answer(account: Account, project_key: str, query_pairs: list[tuple[str, str]]) -> dict[str, object]:
    """The ``FeatureFlags`` page for a request (after auth, version and rate-limit checks)."""
    project = account.project(project_key)
    if project is None:
        raise not_found()
    query: dict[str, list[str]] = {}
    for name, value in query_pairs:
        query.setdefault(name, []).append(value)
    limit = min(_integer(query, "limit", FEATURE_FLAG_LIST.default_limit, 1), FEATURE_FLAG_LIST.max_limit)
    offset = _integer(query, "offset", 0, 0)
    filters = _filters((query.get("filter") or [""])[-1])
    env_key = (query.get("env") or [""])[-1] or filters.get("filterEnv")
    env = account.environment(project_key, env_key) if env_key else None
    if env_key and env is None:
        raise invalid(f"unknown environment {env_key!r} in project {project_key!r}")
    flags = account.flags_of(project_key)
    if filters.keys() - {"filterEnv"}:
        flags = [f for f in flags if _matches(f, filters)]
    total = len(flags)
    page = flags[offset : offset + limit]
    base = FEATURE_FLAG_LIST.path.replace("{projectKey}", quote(project_key, safe=""))
    kept = [(k, v) for k, v in query_pairs if k not in ("limit", "offset")]

    def href(at: int) -> dict[str, str]:
        return {
            "href": f"{base}?{urlencode([*kept, ('limit', limit), ('offset', at)])}",
            "type": "application/json",
        }

    links = {"self": href(offset)}
    last = max(0, (total - 1) // limit * limit)
    if offset > 0:
        links["first"] = href(0)
        links["prev"] = href(max(0, offset - limit))
    if offset + limit < total:
        links["next"] = href(offset + limit)
        links["last"] = href(last)
    items = [_item(flag, env, offset + i) for i, flag in enumerate(page)]
    return {"items": items, "_links": links, "totalCount": total}


def _item(flag: Flag, env: Environment | None, index: int) -> dict[str, object]:
    path = f"{FEATURE_FLAG_LIST.path.replace('{projectKey}', flag.project_key)}/{flag.key}"
    created = _CREATED + index * 3_600_000
    item: dict[str, object] = {
        "name": flag.key.replace("-", " ").capitalize(),
        "kind": "boolean" if flag.variations == ("true", "false") else "multivariate",
        "key": flag.key,
        "_version": 1,
        "creationDate": created,
        "variations": [
            {"_id": f"{flag.key}-{i}", "value": value == "true" if len(flag.variations) == 2 else value}
            for i, value in enumerate(flag.variations)
        ],
        "temporary": True,
        "tags": _tags(flag),
        "_links": {
            "parent": {
                "href": FEATURE_FLAG_LIST.path.replace("{projectKey}", flag.project_key),
                "type": "application/json",
            },
            "self": {"href": path, "type": "application/json"},
        },
        "experiments": {"baselineIdx": 0, "items": []},
        "customProperties": {},
        "archived": False,
        "deprecated": False,
        "clientSideAvailability": {"usingMobileKey": False, "usingEnvironmentId": False},
        "defaults": {"onVariation": 0, "offVariation": len(flag.variations) - 1},
    }
    if env is not None:
        key = env.key
        item["environments"] = {
            key: {
                "on": True,
                "archived": False,
                "salt": f"{flag.key}-{key}",
                "sel": f"{index:032x}",
                "lastModified": created,
                "version": 1,
                "_site": {"href": f"/{flag.project_key}/{key}/features/{flag.key}", "type": "text/html"},
                "_environmentName": key.replace("-", " ").capitalize(),
                "trackEvents": False,
                "trackEventsFallthrough": False,
            }
        }
    return item
