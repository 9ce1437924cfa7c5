"""Configuration objects of the emulator: plain dataclasses, importable without the web stack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

FaultKind = Literal["429", "500", "502_html", "503", "slow", "drop", "truncate"]
FAULT_KINDS: tuple[str, ...] = ("429", "500", "502_html", "503", "slow", "drop", "truncate")


@dataclass(frozen=True)
class EmulatorConfig:
    """How an emulator instance behaves.

    :param tokens: accepted ``Authorization`` values (the raw token, no ``Bearer``); the first is
        :attr:`Emulator.token`.
    :param forbidden_tokens: tokens that authenticate but whose role may not read account usage: every
        usage request with one is answered 403 (``{"code": "forbidden", ...}``), as LaunchDarkly answers a
        token without usage access.
    :param seed: seeds the synthetic account, its usage figures and the fault randomness.
    :param now: initial virtual time (aware or naive UTC); ``None`` means the real UTC time at start.
    :param clock_speed: virtual seconds that pass per real second (0 = frozen, 1 = real time).
    :param lag: a bucket's data first appears this long after the bucket ends (virtual time).
    :param settle: after appearing, a bucket's figures grow for this long, then are final.
    :param rate_window: length in real seconds of a rate-limit window; windows are aligned to multiples.
    :param route_budget: requests per route (operation) per window, or ``None`` for no route limit.
    :param global_budget: requests per window across all routes, or ``None`` for no global limit.
    :param token_budget: requests per access token per window, or ``None`` for no per-token limit
        (reported in ``X-Ratelimit-Auth-Token-*`` headers, with its own reset header).
    :param pipeline_lag: how far the data-export pipelines (data-export events, warehouse export) write
        behind the virtual clock: their ``dataThrough`` is ``floor_to_hour(now - pipeline_lag)`` and their
        usage is visible, final, up to it. ``delayed`` is true when this exceeds three hours.
    :param data_export_legacy_rows: serve pre-materialization data-export usage recorded without a project
        id, so ``groupBy=projectId`` (and the project ranking) answer 409 where it falls in the request.
        Off by default, so normal runs succeed. Switchable at run time: ``POST /_emulator/data-export``.
    :param lenient_units: accept ``from``/``to`` in either seconds or milliseconds (values below 10**11
        are read as seconds) instead of only the endpoint's documented unit. Not LaunchDarkly behaviour.
    :param host: interface the server binds to.
    :param port: TCP port; 0 picks a free one.
    """

    tokens: tuple[str, ...] = ("ld-emulator-token",)
    forbidden_tokens: tuple[str, ...] = ()
    seed: int = 1
    now: datetime | None = None
    clock_speed: float = 0.0
    lag: timedelta = timedelta(hours=6)
    settle: timedelta = timedelta(days=2)
    rate_window: float = 10.0
    route_budget: int | None = None
    global_budget: int | None = None
    token_budget: int | None = None
    pipeline_lag: timedelta = timedelta(hours=1)
    data_export_legacy_rows: bool = False
    lenient_units: bool = False
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        if not self.tokens or not all(self.tokens):
            raise ValueError("EmulatorConfig.tokens needs at least one non-empty token")
        if self.rate_window <= 0:
            raise ValueError("EmulatorConfig.rate_window must be positive")
        if self.lag < timedelta(0) or self.settle < timedelta(0):
            raise ValueError("EmulatorConfig.lag and settle must not be negative")
        if self.pipeline_lag < timedelta(0):
            raise ValueError("EmulatorConfig.pipeline_lag must not be negative")
        if self.clock_speed < 0:
            raise ValueError("EmulatorConfig.clock_speed must not be negative")


@dataclass(frozen=True)
class FaultSpec:
    """A fault to inject into API responses (after the auth and beta checks, before normal handling).

    :param kind: ``"429"``, ``"500"``, ``"502_html"``, ``"503"``, ``"slow"`` (answer normally after
        ``delay`` seconds), ``"drop"`` (close the connection without a response) or ``"truncate"``
        (a 200 whose JSON body is cut short).
    :param operation_id: only requests to this operation (``getMAUTotalUsage``); ``None`` = any route.
    :param count: how many times the fault fires; ``None`` = unlimited.
    :param probability: chance (0..1) that a matching request gets the fault, drawn from an RNG seeded by
        the emulator's seed, so a request sequence gives the same faults every run; ``None`` = always.
    :param delay: real seconds to wait for ``"slow"``.
    :param retry_after: ``Retry-After`` seconds sent with ``"429"`` and ``"503"``.
    """

    kind: FaultKind
    operation_id: str | None = None
    count: int | None = 1
    probability: float | None = None
    delay: float = 2.0
    retry_after: int = 1

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if self.count is not None and self.count < 0:
            raise ValueError("FaultSpec.count must not be negative")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError("FaultSpec.probability must be between 0 and 1")
        if self.operation_id is not None:
            from airflow_provider_ldusage.catalogue import BY_OPERATION

            if self.operation_id not in BY_OPERATION:
                raise ValueError(f"unknown operation_id {self.operation_id!r}")
