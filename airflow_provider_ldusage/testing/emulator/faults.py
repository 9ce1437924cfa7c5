"""Injected faults: which fault, if any, the next request gets. Randomness is seeded for reproducibility."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace

from airflow_provider_ldusage.testing.emulator.config import FaultSpec


@dataclass
class _Armed:
    spec: FaultSpec
    remaining: int | None
    rng: random.Random


class FaultInjector:
    """Holds armed faults in the order added; the first that matches a request fires.

    :param seed: seeds each fault's RNG together with its position, so the same seed and the same
        request sequence give the same faults.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._faults: list[_Armed] = []
        self._added = 0

    def add(self, spec: FaultSpec) -> None:
        with self._lock:
            rng = random.Random(f"ldusage-faults:{self.seed}:{self._added}")
            self._added += 1
            self._faults.append(_Armed(spec, spec.count, rng))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._added = 0

    def pending(self) -> list[FaultSpec]:
        """The armed faults with their remaining counts."""
        with self._lock:
            return [replace(f.spec, count=f.remaining) for f in self._faults]

    def draw(self, operation_id: str | None) -> FaultSpec | None:
        """The fault for a request to ``operation_id``, consuming one use of it, or ``None``."""
        with self._lock:
            for armed in self._faults:
                spec = armed.spec
                if spec.operation_id is not None and spec.operation_id != operation_id:
                    continue
                if armed.remaining is not None and armed.remaining <= 0:
                    continue
                # Draw for every matching request so the sequence depends only on the requests seen.
                if spec.probability is not None and armed.rng.random() >= spec.probability:
                    continue
                if armed.remaining is not None:
                    armed.remaining -= 1
                return spec
            return None
