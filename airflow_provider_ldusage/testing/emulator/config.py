"""Configuration objects of the emulator: plain dataclasses, importable without the web stack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

FaultKind = Literal["429", "500", "502_html", "503", "slow", "drop", "truncate"]
FAULT_KINDS: tuple[str, ...] = ("429", "500", "502_html", "503", "slow", "drop", "truncate")


#: The largest sizes an emulated account may have (projects, environments per project, flags per project).
SIZE_LIMITS = {"projects": 1_000, "environments": 100, "flags": 1_000_000}


@dataclass(frozen=True)
class Runaway:
    """A misconfigured SDK that sends a fresh context key on every page view, from one day on.

    From ``from_day`` (a UTC date) on, the SDK ``sdk`` (an SDK name the account uses there, such as
    ``JavaScript``) in environment ``environment`` of project ``project`` brings ``extra_per_day`` contexts
    never seen before every day, on top of its normal usage: user contexts, anonymous where the SDK is
    client-side. Every endpoint that counts them (MAU and contexts, client-side and total, grouped or not,
    hourly and daily) shows the same extra contexts; the monthly populations grow with them.

    :param project: project key.
    :param environment: environment key.
    :param sdk: SDK name.
    :param from_day: the first day with extra contexts (a date, or its ``YYYY-MM-DD`` text).
    :param extra_per_day: extra new contexts a day (a positive integer).
    """

    project: str
    environment: str
    sdk: str
    from_day: date
    extra_per_day: int

    def __post_init__(self) -> None:
        if isinstance(self.from_day, str):
            object.__setattr__(self, "from_day", date.fromisoformat(self.from_day))
        if isinstance(self.from_day, datetime) or not isinstance(self.from_day, date):
            raise ValueError(f"Runaway.from_day must be a date (YYYY-MM-DD), not {self.from_day!r}")
        if isinstance(self.extra_per_day, bool) or not isinstance(self.extra_per_day, int):
            raise ValueError(f"Runaway.extra_per_day must be an integer, not {self.extra_per_day!r}")
        if self.extra_per_day <= 0:
            raise ValueError(f"Runaway.extra_per_day must be positive, not {self.extra_per_day!r}")

    @classmethod
    def from_mapping(cls, value: object) -> Runaway:
        """From ``{"project": ..., "environment": ..., "sdk": ..., "from_day": "2026-10-09",
        "extra_per_day": 5000}`` (JSON, the CLI's ``--runaway``)."""
        wanted = {"project", "environment", "sdk", "from_day", "extra_per_day"}
        if not isinstance(value, Mapping) or set(value) != wanted:
            raise ValueError(f"a runaway needs exactly the keys {', '.join(sorted(wanted))}; got {value!r}")
        return cls(**value)


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
    :param projects: number of projects of the synthetic account; ``None``: drawn from the seed (2-3).
    :param environments: environments per project; ``None``: drawn from the seed (2-3 per project).
    :param flags: flags per project; ``None``: drawn from the seed (3 per project, plus ``price-tier``).
        A sized account's flags, and their evaluations, are computed when asked for, so thousands cost
        nothing at start; its other figures follow its projects and environments as a drawn account's do.
    :param runaway: a runaway SDK to inject (:class:`Runaway`, or its mapping), or ``None``.
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
    projects: int | None = None
    environments: int | None = None
    flags: int | None = None
    runaway: Runaway | None = None
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        if self.runaway is not None and not isinstance(self.runaway, Runaway):
            object.__setattr__(self, "runaway", Runaway.from_mapping(self.runaway))
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
        for name, most in SIZE_LIMITS.items():
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most
            ):
                raise ValueError(f"EmulatorConfig.{name} must be an integer from 1 to {most:,}, or None")


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
