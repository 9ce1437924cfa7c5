"""Reading a response body within the call's limits, for both transports (requests and httpx).

A body is read in the pieces the network delivers, never whole: reading stops as soon as it passes
``max_body_bytes`` (a declared ``Content-Length`` past the cap stops it before the first byte) or the
call's deadline, so neither a huge body nor a server that sends a byte a second can hold a worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from airflow_provider_ldusage.core.exchange import STOPPED_AT_DEADLINE, STOPPED_AT_SIZE, Send

#: The most bytes asked of the socket at once.
CHUNK_BYTES = 64 * 1024


class BodyReader:
    """Collects one attempt's body under the limits of its
    :class:`~airflow_provider_ldusage.core.exchange.Send`.

    :param send: the step that started the attempt (time left, byte cap).
    :param clock: monotonic seconds (the deadline is measured in real time, whatever clock drives waits).
    """

    def __init__(self, send: Send, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._limit = send.max_body_bytes
        self._until = None if send.time_left is None else clock() + send.time_left
        self._chunks: list[bytes] = []
        self._size = 0

    def time_left(self) -> float | None:
        """Seconds until the deadline (``None``: none)."""
        return None if self._until is None else self._until - self._clock()

    def timeout(self, read_timeout: float) -> float:
        """``read_timeout`` shortened to the time left, so no single read outlasts the deadline."""
        left = self.time_left()
        return read_timeout if left is None else max(0.001, min(read_timeout, left))

    def expired(self) -> bool:
        left = self.time_left()
        return left is not None and left <= 0

    def check_declared(self, content_length: str | None) -> str | None:
        """:data:`STOPPED_AT_SIZE` when the declared length is past the cap (nothing need be read)."""
        if self._limit is None or not content_length or not content_length.strip().isdigit():
            return None
        return STOPPED_AT_SIZE if int(content_length) > self._limit else None

    def add(self, chunk: bytes) -> str | None:
        """Keep ``chunk``; the limit that stops reading now, if one does."""
        self._chunks.append(chunk)
        self._size += len(chunk)
        if self._limit is not None and self._size > self._limit:
            self._chunks.clear()
            return STOPPED_AT_SIZE
        if self.expired():
            self._chunks.clear()
            return STOPPED_AT_DEADLINE
        return None

    def body(self) -> bytes:
        """Everything read."""
        return b"".join(self._chunks)
