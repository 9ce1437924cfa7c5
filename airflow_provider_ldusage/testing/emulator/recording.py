"""The request log: what clients asked, with which headers (tokens redacted)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any


class Headers(dict[str, str]):
    """A dict of header values with case-insensitive lookup (keys are stored lower-case)."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class RecordedRequest:
    """One request the emulator received.

    :param method: HTTP method.
    :param path: URL path.
    :param query: (name, value) pairs in arrival order.
    :param headers: lower-case names; repeated headers joined with ``", "``; ``Authorization`` is ``***``.
    :param status: status code sent (0 when the connection was dropped).
    :param operation_id: the matched operation, or ``None``.
    :param time: virtual time of arrival, ISO 8601.
    """

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Headers
    status: int = 0
    operation_id: str | None = None
    time: str = ""
    fault: str | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["query"] = [list(pair) for pair in self.query]
        data["headers"] = dict(self.headers)
        return data


def redacted_headers(raw: list[tuple[bytes, bytes]]) -> Headers:
    headers = Headers()
    for name_b, value_b in raw:
        name = name_b.decode("latin-1").lower()
        value = "***" if name == "authorization" else value_b.decode("latin-1")
        headers[name] = f"{dict.__getitem__(headers, name)}, {value}" if name in headers else value
    return headers


class RequestLog:
    """Thread-safe list of :class:`RecordedRequest`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def add(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def items(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
