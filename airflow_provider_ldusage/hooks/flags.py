"""LaunchDarkly's flag list, ``GET /api/v2/flags/{projectKey}``: requests and pages, without I/O.

Not a usage operation (its facts: ``FEATURE_FLAG_LIST`` in :mod:`airflow_provider_ldusage.catalogue`): it
is the one other route the provider calls, so the evaluations fan-out can discover a project's flags. It is
not a beta route: the official client 25.0.1 sends ``LD-API-Version: 20240415``, the version from which the
list is paged (``limit``/``offset``, ``_links.next``, ``totalCount``), and so does the hook.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from airflow_provider_ldusage.catalogue import FEATURE_FLAG_LIST
from airflow_provider_ldusage.core.request import path_segment
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageInvalidBodyError,
    LaunchDarklyUsageResponseError,
    LaunchDarklyUsageValidationError,
)

#: The version header of the flag list, replacing the usage API's ``beta`` for these requests only.
VERSION_HEADER = {"LD-API-Version": FEATURE_FLAG_LIST.api_version}


@dataclass(frozen=True)
class FlagListRequest:
    """One page request of the flag list; has what the request core's error mapping reads of a request.

    :param path: the path, project key percent-encoded.
    :param params: query pairs in send order.
    """

    path: str
    params: tuple[tuple[str, str], ...]
    endpoint: None = None  # no usage catalogue entry: no usage-specific hints apply

    @property
    def method(self) -> str:
        return "GET"

    @property
    def route(self) -> str:
        """The rate-limit route key: its own route, budgeted apart from the usage routes."""
        return FEATURE_FLAG_LIST.operation_id

    def describe(self) -> str:
        return f"GET {self.path}"


def _text(name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise LaunchDarklyUsageValidationError(name, value, "a non-empty string, or None")
    return value.strip()


def first_page(
    project_key: str,
    *,
    env: str | None = None,
    filter: str | None = None,
    summary: bool | None = None,
    limit: int | None = None,
) -> FlagListRequest:
    """The first page's request, every argument checked before anything is sent.

    :param project_key: the project whose flags to list.
    :param env: restrict the environment-specific fields to this environment (``env``).
    :param filter: LaunchDarkly's ``filter`` (``state:live``, ``tags:beta+test``...), sent as given.
    :param summary: ``summary`` (``true``/``false``); ``None`` leaves it out (LaunchDarkly's default).
    :param limit: flags per page, 1 to the route's ``max_limit`` (100; default: the maximum, the fewest
        requests).
    :raises LaunchDarklyUsageValidationError: naming the parameter, the value and what is allowed.
    """
    # The usage paths' rule: one percent-encoded segment, never empty, "." or ".." (which clients resolve,
    # sending the token to another API path).
    segment = path_segment(
        "project_key",
        project_key.strip() if isinstance(project_key, str) else project_key,
        FEATURE_FLAG_LIST.method_name,
    )
    size = FEATURE_FLAG_LIST.max_limit if limit is None else limit
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= FEATURE_FLAG_LIST.max_limit:
        raise LaunchDarklyUsageValidationError(
            "limit", limit, f"an integer from 1 to {FEATURE_FLAG_LIST.max_limit}, or None"
        )
    if summary is not None and not isinstance(summary, bool):
        raise LaunchDarklyUsageValidationError("summary", summary, "True, False or None")
    params: list[tuple[str, str]] = []
    for name, value in (("env", _text("env", env)), ("filter", _text("filter", filter))):
        if value is not None:
            params.append((name, value))
    if summary is not None:
        params.append(("summary", "true" if summary else "false"))
    params += [("limit", str(size)), ("offset", "0")]
    path = FEATURE_FLAG_LIST.path.replace("{projectKey}", segment)
    return FlagListRequest(path, tuple(params))


def decode_page(request: FlagListRequest, body: bytes) -> dict[str, Any]:
    """A 2xx body as a ``FeatureFlags`` page: an object with an ``items`` list of objects with a ``key``."""
    try:
        page = json.loads(body)
    except ValueError:
        raise LaunchDarklyUsageInvalidBodyError(
            request.method, request.path, "the body is not JSON"
        ) from None
    items = page.get(FEATURE_FLAG_LIST.items) if isinstance(page, dict) else None
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and isinstance(item.get("key"), str) for item in items
    ):
        raise LaunchDarklyUsageResponseError(
            request.method, request.path, "expected a FeatureFlags object: an items list of flags with a key"
        )
    return page


def next_page(request: FlagListRequest, page: Mapping[str, Any]) -> FlagListRequest | None:
    """The request for the page after ``page``, or ``None`` after the last.

    LaunchDarkly's ``_links.next.href`` decides (it is absent on the last page); its ``limit`` and
    ``offset`` are taken, every other parameter stays as first sent, so the next page never changes the
    query. A ``next`` link that does not move the offset forward is an error, not an endless loop.
    """
    links = page.get("_links")
    following = links.get("next") if isinstance(links, Mapping) else None
    href = following.get("href") if isinstance(following, Mapping) else None
    if not isinstance(href, str) or not href:
        return None
    linked = dict(parse_qsl(urlsplit(href).query))
    current = dict(request.params)
    # The link is the server's text (it may echo anything): errors quote only the numbers read from it.
    try:
        offset = int(linked["offset"])
        limit = int(linked.get("limit", current["limit"]))
    except (KeyError, ValueError):
        raise LaunchDarklyUsageResponseError(
            request.method, request.path, "the next link has no numeric offset"
        ) from None
    if offset <= int(current["offset"]):
        raise LaunchDarklyUsageResponseError(
            request.method,
            request.path,
            f"the next link's offset {offset} does not move past offset {current['offset']}",
        )
    params = [(k, v) for k, v in request.params if k not in ("limit", "offset")]
    params += [("limit", str(limit)), ("offset", str(offset))]
    return FlagListRequest(request.path, tuple(params))
