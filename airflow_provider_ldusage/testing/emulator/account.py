"""The synthetic LaunchDarkly account: projects, environments, SDKs, flags, experiments, relay versions.

Everything is drawn from a :class:`random.Random` seeded by the emulator's seed, so one seed always gives
the same account. The usage figures built on top of it live in :mod:`.data`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload


@dataclass(frozen=True)
class Project:
    """A LaunchDarkly project: ``key`` is what filters take, ``id`` what ``groupBy=projectId`` returns."""

    key: str
    id: str

    @property
    def name(self) -> str:
        """The project's display name (``mobile-app`` -> ``Mobile App``)."""
        return self.key.replace("-", " ").title()


@dataclass(frozen=True)
class Environment:
    """An environment of ``project_key``."""

    key: str
    id: str
    project_key: str


@dataclass(frozen=True)
class Sdk:
    """An SDK the account uses: ``type`` is ``client`` or ``server``; ``category`` browser/mobile/backend."""

    name: str
    type: str
    category: str
    versions: tuple[str, ...]


@dataclass(frozen=True)
class Flag:
    """A feature flag of ``project_key`` with its variation names."""

    key: str
    project_key: str
    variations: tuple[str, ...]


@dataclass(frozen=True)
class Destination:
    """A Data Export destination of one environment.

    :param id: what ``groupBy=destinationId`` returns (a hidden destination's id is never shown).
    :param name: its display name.
    :param kind: a Streaming kind (``kinesis`` ...) or a Warehouse kind (``snowflake-v2`` ...).
    :param project_key: the project of its environment.
    :param environment_key: its environment.
    :param viewable: false for a destination the caller may not see (pooled as ``Unknown destination``).
    :param warehouse: a Warehouse export destination rather than a Streaming one.
    """

    id: str
    name: str
    kind: str
    project_key: str
    environment_key: str
    viewable: bool
    warehouse: bool


@dataclass(frozen=True)
class Experiment:
    """An experiment running in one environment."""

    id: str
    project_key: str
    environment_key: str


_PROJECT_POOL = ("default", "mobile-app", "platform", "checkout", "growth")
_ENV_POOL = ("production", "staging", "test")
_SDK_POOL = (
    Sdk("JavaScript", "client", "browser", ("3.4.0", "3.5.1")),
    Sdk("React", "client", "browser", ("3.6.0", "3.7.2")),
    Sdk("iOS", "client", "mobile", ("9.8.1", "9.10.0")),
    Sdk("Android", "client", "mobile", ("5.4.0", "5.6.3")),
    Sdk("React Native", "client", "mobile", ("10.2.0", "10.9.1")),
    Sdk("Node.js", "server", "backend", ("9.4.1", "9.7.0")),
    Sdk("Go", "server", "backend", ("7.6.0", "7.8.2")),
    Sdk("Java", "server", "backend", ("7.3.0", "7.5.1")),
    Sdk("Python", "server", "backend", ("9.8.0", "9.10.1")),
    Sdk(".NET", "server", "backend", ("8.5.0", "8.7.0")),
)
_FLAG_POOL = ("new-checkout", "dark-mode", "search-v2", "pricing-page", "onboarding-flow", "beta-banner")
CONTEXT_KINDS = ("user", "organization", "device")
RELAY_VERSIONS = ("8.9.1", "8.10.4")
CONNECTION_TYPES = ("sdk", "relay")
DATA_EXPORT_EVENT_KINDS = ("feature", "custom", "identify", "summary")
STREAMING_KINDS = ("kinesis", "google-pubsub", "mparticle", "segment", "azure-event-hubs", "snowflake")
WAREHOUSE_KINDS = ("snowflake-v2", "databricks", "bigquery", "redshift", "clickhouse", "s3")
# A flag with more variations than the evaluations endpoint shows one by one ("Other Variations").
MANY_VARIATIONS_FLAG = Flag("price-tier", "default", tuple(f"tier-{i}" for i in range(1, 15)))
EXPERIMENT_EVENTS = (
    ("checkout-completed", "custom"),
    ("signup-clicked", "click"),
    ("pricing-viewed", "pageview"),
)


def _hex_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


class Account:
    """The entities of one synthetic account.

    Without sizes, the seed draws a small account (2-3 projects of 2-3 environments, 3 flags each, plus
    one flag with many variations). With sizes, the account has exactly that many; its flags are then
    generated on demand from their index (:class:`GeneratedFlags`), so an account of thousands of flags
    costs nothing until a flag is asked for.

    :param seed: the same seed always yields the same account.
    :param projects: number of projects (``default``, ``mobile-app``, ... then ``project-6``...).
    :param environments: environments per project (``production``, ``staging``, ``test``, then
        ``env-4``...).
    :param flags: flags per project (keys ``<word>-<n>``, ``n`` from 1).
    """

    def __init__(
        self,
        seed: int,
        *,
        projects: int | None = None,
        environments: int | None = None,
        flags: int | None = None,
    ) -> None:
        rng = random.Random(f"ldusage-account:{seed}")
        n_projects = rng.randint(2, 3)
        project_keys = ["default", *rng.sample(_PROJECT_POOL[1:], n_projects - 1)]
        if projects is not None:
            project_keys = _numbered(_PROJECT_POOL, "project", projects)
        self.projects: tuple[Project, ...] = tuple(Project(k, _hex_id(rng)) for k in project_keys)
        envs: list[Environment] = []
        for project in self.projects:
            count = rng.randint(2, 3)
            keys = _ENV_POOL[:count] if environments is None else _numbered(_ENV_POOL, "env", environments)
            envs += [Environment(k, _hex_id(rng), project.key) for k in keys]
        self.environments: tuple[Environment, ...] = tuple(envs)
        clients = [s for s in _SDK_POOL if s.type == "client"]
        servers = [s for s in _SDK_POOL if s.type == "server"]
        # Each environment uses two client-side and two server-side SDKs.
        self.sdks_by_environment: dict[str, tuple[Sdk, ...]] = {
            env.id: (*rng.sample(clients, 2), *rng.sample(servers, 2)) for env in self.environments
        }
        used = {s.name for sdks in self.sdks_by_environment.values() for s in sdks}
        self.sdks: tuple[Sdk, ...] = tuple(s for s in _SDK_POOL if s.name in used)
        self.context_kinds = CONTEXT_KINDS
        self.relay_versions = RELAY_VERSIONS
        self.generated_flags: GeneratedFlags | None = None
        self.flags: Sequence[Flag]
        if flags is not None:
            self.generated_flags = GeneratedFlags(seed, tuple(p.key for p in self.projects), flags)
            self.flags = self.generated_flags
        else:
            drawn: list[Flag] = []
            for project in self.projects:
                for key in rng.sample(_FLAG_POOL, 3):
                    variations = (
                        ("true", "false") if rng.random() < 0.5 else ("control", "treatment-a", "treatment-b")
                    )
                    drawn.append(Flag(key, project.key, variations))
            # Appended without drawing from rng, so the entities above stay what they were for every seed.
            drawn.append(MANY_VARIATIONS_FLAG)
            self.flags = tuple(drawn)
        self.experiments: tuple[Experiment, ...] = tuple(
            Experiment(_hex_id(rng), env.project_key, env.key)
            for env in self.environments
            if env.key == "production"
            for _ in range(2)
        )

        self.destinations: tuple[Destination, ...] = _destinations(seed, self.environments)

    def project(self, key: str) -> Project | None:
        return next((p for p in self.projects if p.key == key), None)

    def environment(self, project_key: str, key: str) -> Environment | None:
        return next((e for e in self.environments if e.project_key == project_key and e.key == key), None)

    def flag(self, project_key: str, key: str) -> Flag | None:
        if self.generated_flags is not None:
            return self.generated_flags.find(project_key, key)
        return next((f for f in self.flags if f.project_key == project_key and f.key == key), None)

    def flags_of(self, project_key: str) -> Sequence[Flag]:
        """The flags of one project, in the order the flag list returns them."""
        if self.generated_flags is not None:
            return self.generated_flags.of_project(project_key)
        return tuple(f for f in self.flags if f.project_key == project_key)

    def sdk_app_id(self, project_key: str, sdk: Sdk) -> str:
        return f"{project_key}-{sdk.name.lower().replace(' ', '-').replace('.', '')}-app"

    def describe(self) -> dict[str, object]:
        """A JSON-able summary, served by ``GET /_emulator/account``."""
        return {
            "projects": [{"key": p.key, "id": p.id} for p in self.projects],
            "environments": [
                {"key": e.key, "id": e.id, "projectKey": e.project_key} for e in self.environments
            ],
            "sdks": [{"name": s.name, "type": s.type, "versions": list(s.versions)} for s in self.sdks],
            "contextKinds": list(self.context_kinds),
            "flagCount": len(self.flags),
            "flags": [
                {"key": f.key, "projectKey": f.project_key, "variations": list(f.variations)}
                for f in self.flags
            ],
            "experiments": [
                {"id": x.id, "projectKey": x.project_key, "environmentKey": x.environment_key}
                for x in self.experiments
            ],
            "relayVersions": list(self.relay_versions),
            "destinations": [
                {
                    "id": d.id,
                    "name": d.name,
                    "kind": d.kind,
                    "projectKey": d.project_key,
                    "environmentKey": d.environment_key,
                    "viewable": d.viewable,
                    "warehouse": d.warehouse,
                }
                for d in self.destinations
            ],
        }


def _numbered(pool: tuple[str, ...], prefix: str, count: int) -> list[str]:
    """``count`` keys: the pool's first, then ``<prefix>-<n>`` numbered on from the pool's size."""
    return [*pool[:count], *(f"{prefix}-{n}" for n in range(len(pool) + 1, count + 1))]


_FLAG_WORDS = (
    "new-checkout",
    "dark-mode",
    "search-v2",
    "pricing-page",
    "onboarding-flow",
    "beta-banner",
    "fast-sync",
    "smart-cache",
    "promo-ribbon",
    "recommendations",
    "live-chat",
    "export-csv",
)
_MANY = tuple(f"tier-{i}" for i in range(1, 13))


class GeneratedFlags(Sequence[Flag]):
    """The flags of a sized account, every one computed from its project and index when asked for.

    Flag ``n`` (from 1) of a project has the key ``<word>-<n>``; its variations follow from a hash of the
    seed, the project and ``n``: half are boolean, most others have three variations, one in twenty has
    twelve (more than the evaluations endpoint shows one by one). Order: project by project.

    :param seed: the emulator's seed.
    :param projects: the project keys.
    :param per_project: flags per project.
    """

    def __init__(self, seed: int, projects: tuple[str, ...], per_project: int) -> None:
        self.seed = seed
        self.projects = projects
        self.per_project = per_project

    def __len__(self) -> int:
        return len(self.projects) * self.per_project

    @overload
    def __getitem__(self, index: int) -> Flag: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Flag]: ...

    def __getitem__(self, index: int | slice) -> Flag | Sequence[Flag]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        project, n = divmod(index, self.per_project)
        return self.make(self.projects[project], n + 1)

    def __iter__(self) -> Iterator[Flag]:
        for project in self.projects:
            for n in range(1, self.per_project + 1):
                yield self.make(project, n)

    def make(self, project_key: str, n: int) -> Flag:
        """Flag number ``n`` (from 1) of ``project_key``."""
        key = f"{_FLAG_WORDS[(n - 1) % len(_FLAG_WORDS)]}-{n}"
        digest = hashlib.blake2b(f"{self.seed}:{project_key}:{n}".encode(), digest_size=8).digest()
        draw = int.from_bytes(digest, "big") / 2**64
        if draw < 0.5:
            variations: tuple[str, ...] = ("true", "false")
        elif draw < 0.95:
            variations = ("control", "treatment-a", "treatment-b")
        else:
            variations = _MANY
        return Flag(key, project_key, variations)

    def find(self, project_key: str, key: str) -> Flag | None:
        """The flag named ``key`` in ``project_key``, or ``None``: read off the key, no search."""
        if project_key not in self.projects:
            return None
        word, _, number = key.rpartition("-")
        if not number.isdigit() or number.startswith("0") or not 1 <= int(number) <= self.per_project:
            return None
        n = int(number)
        return self.make(project_key, n) if word == _FLAG_WORDS[(n - 1) % len(_FLAG_WORDS)] else None

    def of_project(self, project_key: str) -> Sequence[Flag]:
        if project_key not in self.projects:
            return ()
        start = self.projects.index(project_key) * self.per_project
        return _Slice(self, start, self.per_project)


class _Slice(Sequence[Flag]):
    """A window onto a :class:`GeneratedFlags` without materialising it."""

    def __init__(self, flags: GeneratedFlags, start: int, length: int) -> None:
        self._flags, self._start, self._length = flags, start, length

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> Flag: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Flag]: ...

    def __getitem__(self, index: int | slice) -> Flag | Sequence[Flag]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        return self._flags[self._start + index]


def _destinations(seed: int, environments: tuple[Environment, ...]) -> tuple[Destination, ...]:
    """One or two Streaming destinations per environment, Warehouse ones in production; the last Streaming
    destination of the first environment is hidden from the caller."""
    rng = random.Random(f"ldusage-destinations:{seed}")  # own stream: the account above is unchanged
    out: list[Destination] = []
    for index, env in enumerate(environments):
        for n, kind in enumerate(rng.sample(STREAMING_KINDS, rng.randint(1, 2))):
            hidden = index == 0 and n == 0
            name = f"{env.project_key} {env.key} {kind}"
            out.append(Destination(_hex_id(rng), name, kind, env.project_key, env.key, not hidden, False))
        if env.key == "production":
            for kind in rng.sample(WAREHOUSE_KINDS, 2):
                name = f"{env.project_key} warehouse {kind}"
                out.append(Destination(_hex_id(rng), name, kind, env.project_key, env.key, True, True))
    return tuple(out)
