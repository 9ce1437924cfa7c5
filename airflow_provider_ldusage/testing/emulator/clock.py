"""The emulator's virtual clock: what "now" is for data, defaults and the ``Date`` header."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone


def as_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class VirtualClock:
    """A thread-safe clock that starts at ``start`` and runs at ``speed`` virtual seconds per real second.

    :param start: initial virtual time; ``None`` = the real UTC time now.
    :param speed: virtual seconds per real second; 0 freezes the clock.
    """

    def __init__(self, start: datetime | None = None, speed: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._speed = speed
        self._anchor_virtual = as_utc(start) if start is not None else datetime.now(timezone.utc)
        self._anchor_real = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        """The current virtual time, an aware UTC datetime."""
        with self._lock:
            elapsed = (time.monotonic() - self._anchor_real) * self._speed
            return self._anchor_virtual + timedelta(seconds=elapsed)

    def set(self, value: datetime) -> None:
        """Jump to ``value`` (the clock keeps running from there at the same speed)."""
        with self._lock:
            self._anchor_virtual = as_utc(value)
            self._anchor_real = time.monotonic()

    def advance(self, delta: timedelta) -> None:
        """Move the clock by ``delta`` (may be negative, for tests that rewind)."""
        self.set(self.now() + delta)

    def set_speed(self, speed: float) -> None:
        """Change the speed without moving the current virtual time."""
        if speed < 0:
            raise ValueError("clock speed must not be negative")
        current = self.now()
        with self._lock:
            self._speed = speed
            self._anchor_virtual = current
            self._anchor_real = time.monotonic()
