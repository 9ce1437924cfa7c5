"""``/data-export-events/projects/ranking``: projects ranked by successful Streaming transfers.

Model: a project's ``usage`` (and ``components.streaming``) is the sum of the data-export events cells of
its current environments over the whole hours inside ``[from, to)`` that the pipeline has written
(``dataThrough``), i.e. exactly what ``/data-export-events`` reports hourly for ``projectKey=<key>`` over
the same hours. Projects without usage are not ranked. Order: usage descending, then project key; ``rank``
is one-based over all matching projects. The default page size is :data:`DEFAULT_LIMIT`.

Cursors are opaque: base64url of the next offset and a digest of the account seed and the ranking inputs
(source, dimension, from, to, the unique project keys, search). A cursor presented with other inputs, or
not made by this emulator, is a 400.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from airflow_provider_ldusage.catalogue import Endpoint
from airflow_provider_ldusage.testing.emulator.data import SeriesQuery, SyntheticData, epoch_ms
from airflow_provider_ldusage.testing.emulator.errors import ApiError, invalid
from airflow_provider_ldusage.testing.emulator.models import LEGACY_FILTER

UTC = timezone.utc
DEFAULT_LIMIT = 20
_HOUR = timedelta(hours=1)


def _digest(seed: int, inputs: Mapping[str, object]) -> str:
    text = json.dumps({"seed": seed, **inputs}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(seed: int, inputs: Mapping[str, object], offset: int) -> str:
    raw = json.dumps({"o": offset, "d": _digest(seed, inputs)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(seed: int, inputs: Mapping[str, object], cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset, digest = payload["o"], payload["d"]
    except (ValueError, KeyError, TypeError) as exc:
        raise invalid("invalid cursor") from exc
    if not isinstance(offset, int) or offset < 0 or digest != _digest(seed, inputs):
        raise invalid("the cursor does not belong to this ranking (its inputs differ)")
    return offset


def _floor_hour(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(value: datetime) -> datetime:
    floor = _floor_hour(value)
    return floor if floor == value else floor + _HOUR


def rank(
    data: SyntheticData,
    endpoint: Endpoint,
    params: Mapping[str, list[str]],
    start: datetime,
    end: datetime,
    now: datetime,
    watermark: datetime,
    legacy_rows: bool,
) -> dict[str, object]:
    """The ranking response body; raises :class:`ApiError` (400, 409)."""
    keys = sorted(set(params.get("projectKey", [])))
    search = params.get("search", [""])[0]
    limit = int(params["limit"][0]) if "limit" in params else DEFAULT_LIMIT
    source = params.get("source", ["streaming"])[0]
    dimension = params.get("dimension", ["project"])[0]
    inputs = {
        "source": source,
        "dimension": dimension,
        "from": epoch_ms(start),
        "to": epoch_ms(end),
        "projectKey": keys,
        "search": search.lower(),
    }
    offset = decode_cursor(data.seed, inputs, params["cursor"][0]) if "cursor" in params else 0
    candidates = [
        p for p in data.account.projects if (not keys or p.key in keys) and search.lower() in p.key.lower()
    ]
    filters: dict[str, list[str]] = {"projectKey": [p.key for p in candidates]}
    if legacy_rows:
        filters[LEGACY_FILTER] = []  # empty: keep the rows the model hides by default
    metric, cells = data.cells(SeriesQuery(endpoint.operation_id, start, end, filters=filters))
    if not candidates:  # an empty filter would select every cell
        cells = []
    first, last = _ceil_hour(start), min(_floor_hour(end), watermark)
    usage: dict[str, int] = {}
    unattributed = 0
    for cell in cells:
        total = data.facts.final_between(metric, cell, first, last) if first < last else 0
        if cell.get("legacy") == "true":
            unattributed += total
        usage[cell.get("projectKey")] = usage.get(cell.get("projectKey"), 0) + total
    if unattributed:
        raise ApiError(
            409,
            "project_identity_incomplete",
            "Some Streaming usage in this range cannot be attributed to a project; rank without it is not "
            "possible. Narrow the range or omit the affected projects.",
        )
    ranked = sorted(
        ((p, usage.get(p.key, 0)) for p in candidates if usage.get(p.key, 0) > 0),
        key=lambda item: (-item[1], item[0].key),
    )
    page = ranked[offset : offset + limit]
    page_rep: dict[str, object] = {"limit": limit, "count": len(page), "totalCount": len(ranked)}
    if offset + limit < len(ranked):
        page_rep["nextCursor"] = encode_cursor(data.seed, inputs, offset + limit)
    return {
        "items": [
            {
                "projectKey": project.key,
                "projectName": project.name,
                "rank": offset + i + 1,
                "usage": value,
                "components": {"streaming": value},
            }
            for i, (project, value) in enumerate(page)
        ],
        "page": page_rep,
        "scope": {"source": source, "dimension": dimension, "from": epoch_ms(start), "to": epoch_ms(end)},
    }
