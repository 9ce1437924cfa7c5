"""The catalogue: every fact about LaunchDarkly's 28 account-usage operations, written once.

The hook, the operators, argument validation, the emulator, the docs' tables and the contract tests against
LaunchDarkly's OpenAPI document and official client all read this module. It imports nothing heavy:
operator modules import it at DAG-parse time.

Sources: LaunchDarkly's OpenAPI document (2026-03-25) for the first 21 operations, and the official Python
client ``launchdarkly-api`` 25.0.1 for the seven added since and for what changed (``source`` on each
entry). Every entry is written with keyword arguments; every fact is a value, never prose to be parsed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Literal

TimeUnit = Literal["ms", "s"]
ResponseKind = Literal[
    "SeriesListRep",
    "SeriesListRepFloat",
    "DataExportSeriesListRep",
    "SdkListRep",
    "SdkVersionListRep",
    "SdkVersionDetailsList",
    "DataExportProjectRankingRep",
]
FamilyName = Literal[
    "contexts",
    "mau2",
    "metered",
    "observability",
    "observability_metrics",
    "auto",
    "auto_length",
    "legacy_mau",
    "list",
]
ValueKind = Literal["distinct", "additive"]
Source = Literal["openapi-2026-03-25", "client-25.0.1"]
AutoRule = Literal["recency", "length"]

API_PREFIX = "/api/v2/usage"
DEFAULT_BASE_URL = "https://app.launchdarkly.com"
KNOWN_BASE_URLS = MappingProxyType(
    {
        "commercial": "https://app.launchdarkly.com",
        "federal": "https://app.launchdarkly.us",
        "eu": "https://app.eu.launchdarkly.com",
    }
)
BETA_HEADER = ("LD-API-Version", "beta")
SERIES_KINDS: frozenset[str] = frozenset({"SeriesListRep", "SeriesListRepFloat", "DataExportSeriesListRep"})
# The schema of each documented error status, unless an operation types its errors otherwise.
STANDARD_ERROR_MODELS: Mapping[int, str] = MappingProxyType(
    {
        400: "InvalidRequestErrorRep",
        401: "UnauthorizedErrorRep",
        403: "ForbiddenErrorRep",
        404: "NotFoundErrorRep",
        409: "DataExportProjectIdentityIncompleteErrorRep",
        429: "RateLimitedErrorRep",
        503: "StatusServiceUnavailable",
    }
)


@dataclass(frozen=True)
class DefaultStart:
    """What LaunchDarkly uses for ``from`` when absent: the current month's start, or ``ago`` before now.

    :param month_start: the start of the current UTC month.
    :param ago: how long before ``to`` (now) the window starts, when not ``month_start``.
    """

    month_start: bool = False
    ago: timedelta | None = None

    def resolve(self, now: datetime) -> datetime:
        """The default start for a request made at ``now`` (aware)."""
        if self.month_start:
            utc = now.astimezone(timezone.utc)
            return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        assert self.ago is not None
        return now - self.ago

    def describe(self) -> str:
        if self.month_start:
            return "start of the current month"
        assert self.ago is not None
        if self.ago % timedelta(days=1):
            return f"{int(self.ago / timedelta(hours=1))} hours ago"
        return f"{self.ago.days} days ago"


MONTH_START = DefaultStart(month_start=True)


def ago(*, days: int = 0, hours: int = 0) -> DefaultStart:
    return DefaultStart(ago=timedelta(days=days, hours=hours))


@dataclass(frozen=True)
class PathParam:
    """A path parameter: ``wire`` is its name in the path template, ``name`` the Python argument."""

    wire: str
    name: str
    doc: str
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class QueryParam:
    """A query parameter other than ``from``/``to``.

    :param wire: exact, case-sensitive name on the wire (``groupBy`` here, ``groupby`` on legacy MAU).
    :param name: the Python argument name (the official client's snake_case name).
    :param doc: one line for docstrings and docs.
    :param repeatable: sent as one ``name=value`` pair per value when true.
    :param allowed: the values LaunchDarkly documents, or ``None`` when it names none.
    :param needs_single: the Python name of a parameter that must then carry exactly one value
        (``environmentKey`` needs exactly one ``projectKey``).
    :param integer: the value is an integer between ``minimum`` and ``maximum`` (inclusive).
    :param max_unique: the most distinct values LaunchDarkly accepts.
    :param excludes: the Python name of a parameter that must not be given together with this one.
    :param only_value: a deprecated parameter whose every other value returns nothing: the one value
        that returns data (sending it equals omitting it, so it is dropped with a warning).
    :param paging: the parameter is the paging cursor the hook fills in itself.
    """

    wire: str
    name: str
    doc: str
    repeatable: bool = True
    allowed: tuple[str, ...] | None = None
    needs_single: str | None = None
    integer: bool = False
    minimum: int | None = None
    maximum: int | None = None
    max_unique: int | None = None
    excludes: str | None = None
    only_value: str | None = None
    paging: bool = False


@dataclass(frozen=True)
class ValueNeeds:
    """A rule: when ``param`` holds ``value``, ``needs`` must hold between 1 and ``max_unique`` values.

    ``groupBy=projectId`` on data-export events needs explicit ``projectKey`` values, at most 100.
    """

    param: str
    value: str
    needs: str
    max_unique: int | None = None


@dataclass(frozen=True)
class Paging:
    """Cursor paging of a list response.

    :param cursor: Python name of the cursor query parameter.
    :param limit: Python name of the page-size query parameter.
    :param items: key of the list of items in each page.
    :param next_cursor: keys leading to the next page's cursor (absent on the last page).
    """

    cursor: str
    limit: str
    items: str
    next_cursor: tuple[str, ...]


@dataclass(frozen=True)
class Family:
    """Rules shared by a group of endpoints.

    :param granularity_by_aggregation: for each ``aggregationType`` value, the ``granularity`` values it
        allows; empty when the family has no such parameters.
    :param default_aggregation: what LaunchDarkly uses when ``aggregationType`` is absent.
    :param default_granularity: what LaunchDarkly uses when ``granularity`` is absent.
    :param max_span_days: the longest ``from``..``to`` span LaunchDarkly accepts, or ``None``.
    :param bucket: how the server picks time buckets, in words (for the docs).
    :param auto_rule: on auto-granularity families, what picks the bucket: how recent the range's start
        is (``recency``) or how long the range is (``length``).
    :param minutely_retention_days: how long minutely data is kept, where LaunchDarkly says.
    """

    name: FamilyName
    title: str
    granularity_by_aggregation: Mapping[str, tuple[str, ...]]
    default_aggregation: str | None
    default_granularity: str | None
    max_span_days: int | None
    bucket: str
    auto_rule: AutoRule | None = None
    minutely_retention_days: int | None = None

    @property
    def aggregation_values(self) -> tuple[str, ...]:
        return tuple(self.granularity_by_aggregation)

    @property
    def granularity_values(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for values in self.granularity_by_aggregation.values():
            seen.update(dict.fromkeys(values))
        return tuple(seen)


@dataclass(frozen=True)
class Endpoint:
    """One account-usage operation.

    :param operation_id: LaunchDarkly's operationId (``getMAUTotalUsage``).
    :param method_name: the official Python client's method name, also our hook method's name.
    :param path: path template under the API host.
    :param family: the aggregation/granularity family.
    :param counts: what the series count, in one line.
    :param time_unit: unit of ``from``/``to`` on the wire; ``None`` when the endpoint takes no window.
    :param unit_documented: whether LaunchDarkly documents the unit (else ms is assumed).
    :param default_start: what LaunchDarkly uses when ``from`` is absent (``None``: ``from`` is required
        or there is no window).
    :param response_kind: the 200 schema name.
    :param status_codes: the codes LaunchDarkly documents for this operation.
    :param source: the document the facts come from.
    :param value_kind: whether month-to-date values are distinct counts (MAU, contexts, experimentation
        keys: they flatten within a month) or add up day by day; ``None`` where there is no month-to-date.
    :param unit: what a series value counts, one word (``contexts``, ``events``, ``connections``): the
        ``unit`` column of landed rows; ``None`` for list endpoints. Vega AI's is ``usage``: LaunchDarkly
        does not say what it counts.
    :param path_params: path parameters in template order.
    :param query_params: query parameters other than ``from``/``to``.
    :param rules: cross-parameter rules (:class:`ValueNeeds`).
    :param paging: cursor paging, for the one paged endpoint.
    :param window_required: ``from`` and ``to`` must both be sent.
    :param operation_id_documented: false where only the client names the operation and the operationId
        is derived from its method name.
    :param replacement: for deprecated endpoints, what to use instead.
    :param error_models: status -> error schema, where the operation does not use
        :data:`STANDARD_ERROR_MODELS` (the project ranking types its errors ``Error``).
    """

    operation_id: str
    method_name: str
    path: str
    family: Family
    counts: str
    time_unit: TimeUnit | None
    unit_documented: bool
    default_start: DefaultStart | None
    response_kind: ResponseKind
    status_codes: tuple[int, ...]
    source: Source
    value_kind: ValueKind | None = None
    unit: str | None = None
    path_params: tuple[PathParam, ...] = ()
    query_params: tuple[QueryParam, ...] = ()
    rules: tuple[ValueNeeds, ...] = ()
    paging: Paging | None = None
    window_required: bool = False
    operation_id_documented: bool = True
    replacement: str | None = None
    error_models: Mapping[int, str] = field(default_factory=lambda: STANDARD_ERROR_MODELS)
    _params_by_name: Mapping[str, QueryParam] = field(init=False, repr=False, compare=False)
    _argument_names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    accepted_names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Derived once: request building consults these on every call.
        object.__setattr__(self, "_params_by_name", {p.name: p for p in self.query_params})
        names = [p.name for p in self.path_params]
        if self.has_window:
            names += ["start", "end"]
        names += [p.name for p in self.query_params]
        object.__setattr__(self, "_argument_names", tuple(names))
        accepted = set(names) | ({"time_unit"} if self.has_window else set())
        object.__setattr__(self, "accepted_names", frozenset(accepted))
        problems = entry_problems(self)
        if problems:
            raise CatalogueError(f"catalogue entry {self.operation_id!r}: " + "; ".join(problems))

    @property
    def response_models(self) -> dict[int, str]:
        """Status -> schema name of every documented status (200: :attr:`response_kind`)."""
        return {
            code: self.response_kind if code == 200 else self.error_models[code] for code in self.status_codes
        }

    @property
    def deprecated(self) -> bool:
        return self.replacement is not None

    @property
    def has_window(self) -> bool:
        return self.time_unit is not None

    @property
    def max_span_days(self) -> int | None:
        return self.family.max_span_days

    @property
    def is_series(self) -> bool:
        return self.response_kind in SERIES_KINDS

    @property
    def has_freshness(self) -> bool:
        """Whether responses may carry ``dataThrough`` and ``delayed``."""
        return self.response_kind == "DataExportSeriesListRep"

    @property
    def default_window(self) -> str | None:
        """The default start in words, for docs (``None`` when ``from`` has no default)."""
        return self.default_start.describe() if self.default_start else None

    @property
    def operator_name(self) -> str:
        """``LaunchDarkly`` + the method name without ``get_`` in CamelCase + ``Operator``."""
        stem = self.method_name.removeprefix("get_")
        return "LaunchDarkly" + "".join(part.capitalize() for part in stem.split("_")) + "Operator"

    @property
    def argument_names(self) -> tuple[str, ...]:
        """Every Python argument of the hook method, in order (path parameters, window, filters)."""
        return self._argument_names

    @property
    def filter_params(self) -> tuple[QueryParam, ...]:
        """The query parameters a caller sets (the paging cursor is the hook's own)."""
        return tuple(p for p in self.query_params if not p.paging)

    def query_param(self, name: str) -> QueryParam | None:
        return self._params_by_name.get(name)


class CatalogueError(ValueError):
    """A catalogue entry that breaks the catalogue's own rules (a maintainer's mistake, caught at import)."""


_PLACEHOLDER = re.compile(r"{(\w+)}")
_SNAKE = re.compile(r"^get_[a-z0-9]+(?:_[a-z0-9]+)*$")


def entry_problems(entry: Endpoint) -> list[str]:
    """Every rule ``entry`` breaks, in words (empty when it keeps them all).

    The rules: the path lies under :data:`API_PREFIX` and its placeholders are exactly the path parameters,
    in order; the method name is the client's ``get_…`` snake_case; wire and Python names are unique; a
    series endpoint states what a value counts (``unit``) and, where it has month-to-date values, whether
    they are distinct or additive, and a list endpoint states neither; the documented statuses include 200
    and have an error model each; ``from`` has a default only where it may be left out; aggregation and
    granularity values are the family's; every cross-parameter rule names parameters the entry has; paging
    names its cursor and limit parameters.
    """
    problems: list[str] = []
    if not entry.path.startswith(API_PREFIX + "/"):
        problems.append(f"path {entry.path!r} is not under {API_PREFIX}/")
    placeholders = _PLACEHOLDER.findall(entry.path)
    if placeholders != [p.wire for p in entry.path_params]:
        problems.append(
            f"path placeholders {placeholders} differ from path_params {[p.wire for p in entry.path_params]}"
        )
    if not _SNAKE.match(entry.method_name):
        problems.append(f"method_name {entry.method_name!r} is not the client's get_… snake_case name")
    for what, values in (
        ("wire", [p.wire for p in entry.path_params] + [p.wire for p in entry.query_params]),
        ("Python", [p.name for p in entry.path_params] + [p.name for p in entry.query_params]),
    ):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            problems.append(f"{what} name(s) {repeated} appear twice")
    if entry.is_series:
        if not entry.unit:
            problems.append("a series endpoint needs unit= (what a value counts)")
        if "month_to_date" in entry.family.aggregation_values and entry.value_kind is None:
            problems.append("a month-to-date series needs value_kind= ('distinct' or 'additive')")
    elif entry.unit is not None or entry.value_kind is not None:
        problems.append("a list endpoint has neither unit nor value_kind")
    if 200 not in entry.status_codes:
        problems.append("status_codes must include 200")
    missing = [c for c in entry.status_codes if c != 200 and c not in entry.error_models]
    if missing:
        problems.append(f"status(es) {missing} have no error model")
    if entry.default_start is not None and (entry.window_required or not entry.has_window):
        problems.append("default_start is set but from= cannot be left out")
    for name, allowed in (
        ("aggregation_type", entry.family.aggregation_values),
        ("granularity", entry.family.granularity_values),
    ):
        param = entry.query_param(name)
        if param is not None and param.allowed is not None and not set(param.allowed) <= set(allowed):
            problems.append(f"{name} allows {param.allowed}, beyond the family's {allowed}")
    names = {p.name for p in entry.query_params}
    for rule in entry.rules:
        for used in (rule.param, rule.needs):
            if used not in names:
                problems.append(f"rule on {rule.param}={rule.value!r} names {used!r}, which the entry lacks")
    if entry.paging is not None:
        for used in (entry.paging.cursor, entry.paging.limit):
            if used not in names:
                problems.append(f"paging names {used!r}, which the entry lacks")
    return problems


# --- families -------------------------------------------------------------------------------------------

_DAILY_ONLY = ("daily",)
_MTD_DAILY_MONTHLY = MappingProxyType(
    {"month_to_date": ("daily", "monthly"), "incremental": _DAILY_ONLY, "rolling_30d": _DAILY_ONLY}
)
CONTEXTS = Family(
    name="contexts",
    title="Contexts (family A)",
    granularity_by_aggregation=_MTD_DAILY_MONTHLY,
    default_aggregation="month_to_date",
    default_granularity="daily",
    max_span_days=365,
    bucket="daily or monthly buckets at UTC midnight; contextKind is always an implicit grouping dimension",
)
MAU2 = Family(
    name="mau2",
    title="MAU v2 (family A)",
    granularity_by_aggregation=_MTD_DAILY_MONTHLY,
    default_aggregation="month_to_date",
    default_granularity="daily",
    max_span_days=365,
    bucket="daily or monthly buckets at UTC midnight; primary context kind only",
)
METERED = Family(
    name="metered",
    title="Metered usage (family B)",
    granularity_by_aggregation=MappingProxyType(
        {"month_to_date": ("daily", "hourly", "monthly"), "incremental": ("daily", "hourly")}
    ),
    default_aggregation="month_to_date",
    default_granularity="daily",
    max_span_days=365,
    bucket="hourly, daily or monthly buckets at UTC boundaries",
)
OBSERVABILITY = Family(
    name="observability",
    title="Observability and Vega AI (family C)",
    granularity_by_aggregation=_MTD_DAILY_MONTHLY,
    default_aggregation="month_to_date",
    default_granularity="daily",
    max_span_days=None,
    bucket="daily or monthly buckets at UTC midnight",
)
OBSERVABILITY_METRICS = Family(
    name="observability_metrics",
    title="Observability metrics (family C')",
    granularity_by_aggregation=MappingProxyType(
        {"month_to_date": ("hourly", "daily", "monthly"), "average": ("hourly", "daily", "monthly")}
    ),
    default_aggregation="month_to_date",
    default_granularity="daily",
    max_span_days=None,
    bucket="hourly, daily or monthly buckets at UTC boundaries; average is the mean per bucket",
)
AUTO = Family(
    name="auto",
    title="Auto-granularity by recency (family D)",
    granularity_by_aggregation=MappingProxyType({}),
    default_aggregation=None,
    default_granularity=None,
    max_span_days=None,
    bucket="server-chosen: minutely if the range lies within the past 2 hours, hourly within the past "
    "2 days, else daily (cut at midnight in tz where supported)",
    auto_rule="recency",
)
AUTO_LENGTH = Family(
    name="auto_length",
    title="Auto-granularity by length (family D')",
    granularity_by_aggregation=MappingProxyType({}),
    default_aggregation=None,
    default_granularity=None,
    max_span_days=None,
    bucket="server-chosen by the range's length: under 2 hours minutely, under 2 days hourly, else daily "
    "(cut at midnight in tz); minutely data is kept 70 days, an older short range is returned hourly with "
    "its start widened to the hour; many variations may be pooled into an 'Other Variations' series",
    auto_rule="length",
    minutely_retention_days=70,
)
LEGACY_MAU = Family(
    name="legacy_mau",
    title="Legacy MAU (family E, deprecated)",
    granularity_by_aggregation=MappingProxyType(
        {"rolling_30d": _DAILY_ONLY, "month_to_date": _DAILY_ONLY, "daily_incremental": _DAILY_ONLY}
    ),
    default_aggregation="rolling_30d",
    default_granularity="daily",
    max_span_days=None,
    bucket="always daily",
)
LISTS = Family(
    name="list",
    title="Lists (family F)",
    granularity_by_aggregation=MappingProxyType({}),
    default_aggregation=None,
    default_granularity=None,
    max_span_days=None,
    bucket="not a time series",
)

# --- shared parameter definitions (one fact each) --------------------------------------------------------

PROJECT_KEY = QueryParam(wire="projectKey", name="project_key", doc="Project key(s) to keep.")
ENVIRONMENT_KEY = QueryParam(
    wire="environmentKey",
    name="environment_key",
    doc="Environment key(s) to keep; requires exactly one project_key.",
    needs_single="project_key",
)
CONTEXT_KIND = QueryParam(wire="contextKind", name="context_kind", doc="Context kind(s) to keep.")
SDK_NAME = QueryParam(wire="sdkName", name="sdk_name", doc="SDK name(s) to keep.")
SDK_VERSION = QueryParam(wire="sdkVersion", name="sdk_version", doc="SDK version(s) to keep.")
SDK_TYPE = QueryParam(
    wire="sdkType", name="sdk_type", doc="SDK type(s) to keep (values not enumerated by LaunchDarkly)."
)
SDK_APP_ID = QueryParam(wire="sdkAppId", name="sdk_app_id", doc="SDK application id(s) to keep.")
ANONYMOUS = QueryParam(
    wire="anonymous",
    name="anonymous",
    doc="Keep anonymous (``true``) or non-anonymous (``false``) contexts.",
    allowed=("true", "false"),
)
EVENT_KIND = QueryParam(
    wire="eventKind", name="event_kind", doc="Event kind(s) to keep (values not enumerated)."
)
TZ = QueryParam(
    wire="tz", name="tz", doc="Time zone that cuts days for daily data (IANA name).", repeatable=False
)
WAREHOUSE_KINDS = ("snowflake-v2", "databricks", "bigquery", "redshift", "clickhouse")
STREAMING_DESTINATION_KINDS = (
    "kinesis",
    "google-pubsub",
    "mparticle",
    "segment",
    "azure-event-hubs",
    "snowflake",
    "unknown",
)
MAX_PROJECTS = 100


def _group_by(*values: str) -> QueryParam:
    return QueryParam(
        wire="groupBy", name="group_by", doc="Dimension(s) to split the series by.", allowed=values
    )


def _aggregation(family: Family) -> QueryParam:
    return QueryParam(
        wire="aggregationType",
        name="aggregation_type",
        doc="How values accumulate over time.",
        repeatable=False,
        allowed=family.aggregation_values,
    )


def _granularity(family: Family) -> QueryParam:
    return QueryParam(
        wire="granularity",
        name="granularity",
        doc="Bucket size; allowed values depend on aggregation_type.",
        repeatable=False,
        allowed=family.granularity_values,
    )


def _family_a(family: Family, *filters: QueryParam, group_by: QueryParam) -> tuple[QueryParam, ...]:
    return (*filters, group_by, _aggregation(family), _granularity(family))


# Filters the client-side and server-side contexts endpoints share (total-contexts adds sdkType).
_CONTEXT_FILTERS = (PROJECT_KEY, ENVIRONMENT_KEY, CONTEXT_KIND, SDK_NAME, ANONYMOUS)
_CONTEXT_GROUPS = _group_by("projectId", "environmentId", "sdkName", "sdkAppId", "anonymousV2")
_CONTEXT_GROUPS_TYPED = _group_by(
    "projectId", "environmentId", "sdkName", "sdkType", "sdkAppId", "anonymousV2"
)
_A_CODES = (200, 400, 401, 403, 429, 503)
_C_CODES = (200, 400, 401, 403, 404, 429)
_SPEC: Source = "openapi-2026-03-25"
_CLIENT: Source = "client-25.0.1"


def _observability(*, operation_id: str, method_name: str, slug: str, counts: str, unit: str) -> Endpoint:
    return Endpoint(
        operation_id=operation_id,
        method_name=method_name,
        path=f"{API_PREFIX}/observability/{slug}",
        family=OBSERVABILITY,
        counts=counts,
        unit=unit,
        time_unit="s",
        unit_documented=True,
        default_start=MONTH_START,
        response_kind="SeriesListRep",
        status_codes=_C_CODES,
        source=_SPEC,
        value_kind="additive",
        query_params=(PROJECT_KEY, _granularity(OBSERVABILITY), _aggregation(OBSERVABILITY)),
    )


_SOURCE = PathParam(
    wire="source",
    name="source",
    doc="Which SDKs' streams: ``client`` or ``server``.",
    allowed=("client", "server"),
)


_DISTINCT_CONTEXTS: Mapping[str, object] = MappingProxyType(
    {
        "time_unit": "ms",
        "unit_documented": True,
        "default_start": MONTH_START,
        "response_kind": "SeriesListRep",
        "status_codes": _A_CODES,
        "source": _SPEC,
        "value_kind": "distinct",
        "unit": "contexts",
    }
)
#: What the entries of each family have in common (dlt's ``resource_defaults``): an entry in
#: :data:`ENDPOINTS` states only the facts in which it differs from its family.
FAMILY_DEFAULTS: Mapping[str, Mapping[str, object]] = MappingProxyType(
    {
        CONTEXTS.name: _DISTINCT_CONTEXTS,
        MAU2.name: _DISTINCT_CONTEXTS,
        METERED.name: MappingProxyType(
            {
                "time_unit": "ms",
                "unit_documented": True,
                "default_start": MONTH_START,
                "status_codes": _A_CODES,
                "source": _CLIENT,
                "value_kind": "additive",
            }
        ),
        LISTS.name: MappingProxyType(
            {
                "time_unit": None,
                "unit_documented": False,
                "default_start": None,
                "source": _CLIENT,
            }
        ),
        AUTO.name: MappingProxyType(
            {
                "time_unit": "ms",
                "unit_documented": False,
                "default_start": ago(hours=24),
                "response_kind": "SeriesListRep",
                "status_codes": _C_CODES,
                "source": _SPEC,
                "value_kind": "additive",
                "unit": "connections",
            }
        ),
        LEGACY_MAU.name: MappingProxyType(
            {
                "time_unit": "ms",
                "unit_documented": False,
                "default_start": ago(days=30),
                "response_kind": "SeriesListRep",
                "source": _SPEC,
                "value_kind": "distinct",
                "unit": "users",
            }
        ),
    }
)


def _entry(**facts: object) -> Endpoint:
    """An :class:`Endpoint` from its family's :data:`FAMILY_DEFAULTS` and the facts that differ."""
    family = facts["family"]
    defaults = FAMILY_DEFAULTS.get(family.name, {}) if isinstance(family, Family) else {}
    return Endpoint(**{**defaults, **facts})  # type: ignore[arg-type]


ENDPOINTS: tuple[Endpoint, ...] = (
    _entry(
        operation_id="getContextsClientsideUsage",
        method_name="get_contexts_clientside_usage",
        path=f"{API_PREFIX}/clientside-contexts",
        family=CONTEXTS,
        counts="context-key usages of every context kind, client-side SDKs",
        query_params=_family_a(CONTEXTS, *_CONTEXT_FILTERS, group_by=_CONTEXT_GROUPS),
    ),
    _entry(
        operation_id="getContextsServersideUsage",
        method_name="get_contexts_serverside_usage",
        path=f"{API_PREFIX}/serverside-contexts",
        family=CONTEXTS,
        counts="context-key usages of every context kind, server-side SDKs",
        time_unit="s",
        query_params=_family_a(CONTEXTS, *_CONTEXT_FILTERS, group_by=_CONTEXT_GROUPS),
    ),
    _entry(
        operation_id="getContextsTotalUsage",
        method_name="get_contexts_total_usage",
        path=f"{API_PREFIX}/total-contexts",
        family=CONTEXTS,
        counts="context-key usages of every context kind, all SDKs",
        query_params=_family_a(
            CONTEXTS,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            CONTEXT_KIND,
            SDK_NAME,
            SDK_TYPE,
            ANONYMOUS,
            group_by=_CONTEXT_GROUPS_TYPED,
        ),
    ),
    _entry(
        operation_id="getMAUClientsideUsage",
        method_name="get_mau_clientside_usage",
        path=f"{API_PREFIX}/clientside-mau",
        family=MAU2,
        counts="monthly active context keys of the primary context kind, client-side SDKs",
        query_params=_family_a(
            MAU2, PROJECT_KEY, ENVIRONMENT_KEY, SDK_NAME, ANONYMOUS, group_by=_CONTEXT_GROUPS
        ),
    ),
    _entry(
        operation_id="getMAUTotalUsage",
        method_name="get_mau_total_usage",
        path=f"{API_PREFIX}/total-mau",
        family=MAU2,
        counts="monthly active context keys of the primary context kind, all SDKs",
        query_params=_family_a(
            MAU2, PROJECT_KEY, ENVIRONMENT_KEY, SDK_NAME, SDK_TYPE, ANONYMOUS, group_by=_CONTEXT_GROUPS_TYPED
        ),
    ),
    _entry(
        operation_id="getDataExportEventsUsage",
        method_name="get_data_export_events_usage",
        path=f"{API_PREFIX}/data-export-events",
        family=METERED,
        counts="Data Export (Streaming) events",
        unit="events",
        response_kind="DataExportSeriesListRep",
        status_codes=(200, 400, 401, 403, 409, 429, 503),
        query_params=_family_a(
            METERED,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            EVENT_KIND,
            QueryParam(
                wire="destinationKind",
                name="destination_kind",
                doc="Streaming destination kind(s) to keep (``snowflake`` is legacy Streaming Snowflake, "
                "not Warehouse ``snowflake-v2``).",
                allowed=STREAMING_DESTINATION_KINDS,
            ),
            group_by=_group_by("projectId", "environmentId", "eventKind", "destinationKind", "destinationId"),
        ),
        rules=(
            ValueNeeds(param="group_by", value="projectId", needs="project_key", max_unique=MAX_PROJECTS),
        ),
    ),
    _entry(
        operation_id="getDataExportProjectRanking",
        method_name="get_data_export_project_ranking",
        path=f"{API_PREFIX}/data-export-events/projects/ranking",
        family=LISTS,
        counts="projects ranked by successful Streaming transfers",
        time_unit="ms",
        unit_documented=True,
        response_kind="DataExportProjectRankingRep",
        status_codes=(200, 400, 401, 403, 409, 429, 500),
        operation_id_documented=False,
        window_required=True,
        query_params=(
            QueryParam(
                wire="source",
                name="source",
                doc="The source scope.",
                repeatable=False,
                allowed=("streaming",),
            ),
            QueryParam(
                wire="dimension",
                name="dimension",
                doc="The ranking dimension.",
                repeatable=False,
                allowed=("project",),
            ),
            QueryParam(
                wire="projectKey",
                name="project_key",
                doc="Project key(s) to rank; all projects with usage when omitted.",
                max_unique=MAX_PROJECTS,
            ),
            QueryParam(
                wire="search",
                name="search",
                doc="Case-insensitive substring of project keys to keep.",
                repeatable=False,
            ),
            QueryParam(
                wire="cursor",
                name="cursor",
                doc="Opaque cursor of the next page (the hook follows it for you).",
                repeatable=False,
                paging=True,
            ),
            QueryParam(
                wire="limit",
                name="limit",
                doc="Projects per page.",
                repeatable=False,
                integer=True,
                minimum=1,
                maximum=100,
            ),
        ),
        paging=Paging(cursor="cursor", limit="limit", items="items", next_cursor=("page", "nextCursor")),
        error_models=MappingProxyType(
            {
                **dict.fromkeys((400, 401, 403, 429, 500), "Error"),
                409: "DataExportProjectIdentityIncompleteError",
            }
        ),
    ),
    _entry(
        operation_id="getExperimentationEventsUsage",
        method_name="get_experimentation_events_usage",
        path=f"{API_PREFIX}/experimentation-events",
        family=METERED,
        counts="Experimentation events",
        unit="events",
        response_kind="SeriesListRep",
        source=_SPEC,
        query_params=_family_a(
            METERED,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            QueryParam(wire="eventKey", name="event_key", doc="Event key(s) to keep."),
            EVENT_KIND,
            group_by=_group_by("environmentId", "eventKey", "eventKind"),
        ),
    ),
    _entry(
        operation_id="getExperimentationKeysUsage",
        method_name="get_experimentation_keys_usage",
        path=f"{API_PREFIX}/experimentation-keys",
        family=METERED,
        counts="Experimentation keys",
        unit="keys",
        response_kind="SeriesListRep",
        source=_SPEC,
        value_kind="distinct",
        query_params=_family_a(
            METERED,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            QueryParam(wire="experimentId", name="experiment_id", doc="Experiment id(s) to keep."),
            group_by=_group_by("projectId", "environmentId", "experimentId"),
        ),
    ),
    _entry(
        operation_id="getServiceConnectionsUsage",
        method_name="get_service_connections_usage",
        path=f"{API_PREFIX}/service-connections",
        family=METERED,
        counts="service connections (fractional: metered in connection-minutes)",
        unit="connections",
        response_kind="SeriesListRepFloat",
        query_params=_family_a(
            METERED,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            QueryParam(
                wire="connectionType",
                name="connection_type",
                doc="Connection type(s) to keep (not enumerated).",
            ),
            QueryParam(wire="relayVersion", name="relay_version", doc="Relay Proxy version(s) to keep."),
            SDK_NAME,
            SDK_VERSION,
            QueryParam(
                wire="sdkType",
                name="sdk_type",
                doc="Deprecated: only server-side connections are reported, so ``server`` equals omitting it "
                "and any other value returns an empty series (use get_stream_usage for client-side).",
                repeatable=False,
                allowed=("server",),
                only_value="server",
            ),
            SDK_APP_ID,
            group_by=_group_by(
                "projectId",
                "environmentId",
                "connectionType",
                "relayVersion",
                "sdkName",
                "sdkVersion",
                "sdkAppId",
            ),
        ),
    ),
    _observability(
        operation_id="getObservabilityErrorsUsage",
        method_name="get_observability_errors_usage",
        slug="errors",
        counts="observability errors",
        unit="errors",
    ),
    _observability(
        operation_id="getObservabilityLogsUsage",
        method_name="get_observability_logs_usage",
        slug="logs",
        counts="observability logs",
        unit="logs",
    ),
    _entry(
        operation_id="getObservabilityMetricsUsage",
        method_name="get_observability_metrics_usage",
        path=f"{API_PREFIX}/observability/metrics",
        family=OBSERVABILITY_METRICS,
        counts="observability metrics",
        unit="metrics",
        time_unit="s",
        unit_documented=True,
        default_start=MONTH_START,
        response_kind="SeriesListRep",
        status_codes=_C_CODES,
        source=_CLIENT,
        value_kind="additive",
        query_params=(
            PROJECT_KEY,
            _granularity(OBSERVABILITY_METRICS),
            _aggregation(OBSERVABILITY_METRICS),
        ),
    ),
    _observability(
        operation_id="getObservabilitySessionsUsage",
        method_name="get_observability_sessions_usage",
        slug="sessions",
        counts="observability sessions",
        unit="sessions",
    ),
    _observability(
        operation_id="getObservabilityTracesUsage",
        method_name="get_observability_traces_usage",
        slug="traces",
        counts="observability traces",
        unit="traces",
    ),
    _entry(
        operation_id="getAiRunsUsage",
        method_name="get_ai_runs_usage",
        path=f"{API_PREFIX}/ai-runs",
        family=METERED,
        counts="AI runs",
        unit="runs",
        response_kind="SeriesListRep",
        operation_id_documented=False,
        query_params=_family_a(
            METERED,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            SDK_NAME,
            SDK_VERSION,
            SDK_TYPE,
            group_by=_group_by("projectId", "environmentId", "sdkName", "sdkVersion", "sdkType"),
        ),
    ),
    _entry(
        operation_id="getVegaAIUsage",
        method_name="get_vega_ai_usage",
        path=f"{API_PREFIX}/vega-ai",
        family=OBSERVABILITY,
        counts="Vega AI usage",
        unit="usage",
        time_unit="s",
        unit_documented=True,
        default_start=MONTH_START,
        response_kind="SeriesListRep",
        status_codes=_C_CODES,
        source=_CLIENT,
        value_kind="additive",
        query_params=(PROJECT_KEY, _granularity(OBSERVABILITY), _aggregation(OBSERVABILITY)),
    ),
    _entry(
        operation_id="getWarehouseExportUsage",
        method_name="get_warehouse_export_usage",
        path=f"{API_PREFIX}/warehouse-export",
        family=METERED,
        counts="Warehouse export events",
        unit="events",
        response_kind="DataExportSeriesListRep",
        operation_id_documented=False,
        query_params=_family_a(
            METERED,
            PROJECT_KEY,
            ENVIRONMENT_KEY,
            QueryParam(
                wire="destinationKind",
                name="destination_kind",
                doc="Warehouse destination kind(s) to keep; not with destination.",
                allowed=(*WAREHOUSE_KINDS, "s3"),
                excludes="destination",
            ),
            QueryParam(
                wire="destination",
                name="destination",
                doc="Legacy alias of destination_kind (without ``s3``); not with destination_kind.",
                allowed=WAREHOUSE_KINDS,
                excludes="destination_kind",
            ),
            group_by=_group_by(
                "projectId", "environmentId", "destination", "destinationKind", "destinationId"
            ),
        ),
    ),
    _entry(
        operation_id="getEvaluationsUsage",
        method_name="get_evaluations_usage",
        path=f"{API_PREFIX}/evaluations/{{projectKey}}/{{environmentKey}}/{{featureFlagKey}}",
        family=AUTO_LENGTH,
        counts="flag evaluations of one flag, one series per variation",
        unit="evaluations",
        time_unit="ms",
        unit_documented=False,
        default_start=ago(days=30),
        response_kind="SeriesListRep",
        status_codes=_C_CODES,
        source=_CLIENT,
        value_kind="additive",
        path_params=(
            PathParam(wire="projectKey", name="project_key", doc="The project key."),
            PathParam(wire="environmentKey", name="environment_key", doc="The environment key."),
            PathParam(wire="featureFlagKey", name="feature_flag_key", doc="The feature flag key."),
        ),
        query_params=(TZ,),
    ),
    _entry(
        operation_id="getEventsUsage",
        method_name="get_events_usage",
        path=f"{API_PREFIX}/events/{{type}}",
        family=AUTO,
        counts="events received by LaunchDarkly or published onward",
        unit="events",
        path_params=(
            PathParam(
                wire="type",
                name="type",
                doc="``received`` or ``published`` events.",
                allowed=("received", "published"),
            ),
        ),
    ),
    _entry(
        operation_id="getStreamUsage",
        method_name="get_stream_usage",
        path=f"{API_PREFIX}/streams/{{source}}",
        family=AUTO,
        counts="streaming connections",
        default_start=ago(days=30),
        path_params=(_SOURCE,),
        query_params=(TZ,),
    ),
    _entry(
        operation_id="getStreamUsageBySdkVersion",
        method_name="get_stream_usage_by_sdk_version",
        path=f"{API_PREFIX}/streams/{{source}}/bysdkversion",
        family=AUTO,
        counts="streaming connections, one series per SDK name and version",
        path_params=(_SOURCE,),
        query_params=(
            TZ,
            QueryParam(wire="sdk", name="sdk", doc="Keep only series of this SDK name.", repeatable=False),
            QueryParam(
                wire="version", name="version", doc="Keep only series of this SDK version.", repeatable=False
            ),
        ),
    ),
    _entry(
        operation_id="getMauUsage",
        method_name="get_mau_usage",
        path=f"{API_PREFIX}/mau",
        family=LEGACY_MAU,
        counts="legacy user-based MAU, daily",
        status_codes=(200, 400, 401, 403, 429),
        query_params=(
            QueryParam(wire="project", name="project", doc="Project key(s) to keep."),
            QueryParam(
                wire="environment",
                name="environment",
                doc="Environment key(s) to keep; requires exactly one project.",
                needs_single="project",
            ),
            QueryParam(
                wire="sdktype", name="sdktype", doc="SDK type(s) to keep.", allowed=("client", "server")
            ),
            QueryParam(wire="sdk", name="sdk", doc="SDK name(s) to keep."),
            QueryParam(
                wire="anonymous",
                name="anonymous",
                doc="Keep anonymous or non-anonymous users.",
                repeatable=False,
            ),
            QueryParam(
                wire="groupby",
                name="groupby",
                doc="Dimension(s) to split the series by.",
                allowed=("project", "environment", "sdktype", "sdk", "anonymous", "contextKind", "sdkAppId"),
            ),
            _aggregation(LEGACY_MAU),
            QueryParam(
                wire="contextKind", name="context_kind", doc="Context kind(s) to count; default: user only."
            ),
        ),
        replacement="get_mau_total_usage / LaunchDarklyMauTotalUsageOperator (total-mau)",
    ),
    _entry(
        operation_id="getMauUsageByCategory",
        method_name="get_mau_usage_by_category",
        path=f"{API_PREFIX}/mau/bycategory",
        family=LEGACY_MAU,
        counts="legacy MAU split into browser, mobile and backend",
        status_codes=(200, 400, 401, 403, 404, 429),
        replacement="get_mau_clientside_usage and get_mau_total_usage grouped by sdkType",
    ),
    _entry(
        operation_id="getMauSdksByType",
        method_name="get_mau_sdks_by_type",
        path=f"{API_PREFIX}/mau/sdks",
        family=LISTS,
        counts="names of the SDKs that produced MAU in the window",
        time_unit="ms",
        unit_documented=True,
        default_start=ago(days=7),
        response_kind="SdkListRep",
        status_codes=(200, 400, 401, 403, 429),
        source=_SPEC,
        query_params=(
            QueryParam(
                wire="sdktype",
                name="sdktype",
                doc="``client`` or ``server`` SDKs only.",
                repeatable=False,
                allowed=("client", "server"),
            ),
        ),
    ),
    _entry(
        operation_id="getStreamUsageSdkversion",
        method_name="get_stream_usage_sdkversion",
        path=f"{API_PREFIX}/streams/{{source}}/sdkversions",
        family=LISTS,
        counts="SDK name and version pairs seen streaming in the past 60 days",
        response_kind="SdkVersionListRep",
        status_codes=(200, 401, 403, 429),
        source=_SPEC,
        path_params=(_SOURCE,),
    ),
    _entry(
        operation_id="getSdkVersionsDetails",
        method_name="get_sdk_versions_details",
        path=f"{API_PREFIX}/sdk-versions/details",
        family=LISTS,
        counts="the highest version of each SDK seen in the last 24 hours, with end-of-life status",
        response_kind="SdkVersionDetailsList",
        status_codes=_A_CODES,
    ),
    _entry(
        operation_id="getSdkAllVersions",
        method_name="get_sdk_all_versions",
        path=f"{API_PREFIX}/sdk-versions/all",
        family=LISTS,
        counts="every SDK version seen in the last 24 hours, with end-of-life status",
        response_kind="SdkVersionDetailsList",
        status_codes=_A_CODES,
        operation_id_documented=False,
        query_params=(
            QueryParam(
                wire="environmentId", name="environment_id", doc="Keep one environment id.", repeatable=False
            ),
            QueryParam(wire="projectId", name="project_id", doc="Keep one project id.", repeatable=False),
            QueryParam(wire="sdkName", name="sdk_name", doc="Keep one SDK name.", repeatable=False),
            QueryParam(
                wire="sdkType",
                name="sdk_type",
                doc="Keep one SDK type (e.g. ``server``, ``browser``, ``mobile``).",
                repeatable=False,
            ),
            QueryParam(
                wire="sdkAppId", name="sdk_app_id", doc="Keep one SDK application id.", repeatable=False
            ),
            QueryParam(
                wire="connectionType",
                name="connection_type",
                doc="Keep one connection type (e.g. ``direct``, ``proxy``).",
                repeatable=False,
            ),
        ),
    ),
)

BY_OPERATION: Mapping[str, Endpoint] = MappingProxyType({e.operation_id: e for e in ENDPOINTS})
BY_METHOD: Mapping[str, Endpoint] = MappingProxyType({e.method_name: e for e in ENDPOINTS})
BY_PATH: Mapping[str, Endpoint] = MappingProxyType({e.path: e for e in ENDPOINTS})


def endpoint(key: str) -> Endpoint:
    """Look an endpoint up by operation id (``getMAUTotalUsage``) or hook method name."""
    found = BY_OPERATION.get(key) or BY_METHOD.get(key)
    if found is None:
        from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError

        raise LaunchDarklyUsageValidationError(
            "operation", key, f"one of {', '.join(sorted(BY_OPERATION))} (or their hook method names)"
        )
    return found


# --- outside the usage API ------------------------------------------------------------------------------
# Not one of the usage operations (not in ENDPOINTS, no operator, no generated method): the one other route
# the provider calls, to list a project's flags for the evaluations fan-out.


@dataclass(frozen=True)
class ListRoute:
    """A paged LaunchDarkly collection route outside the usage API (``limit``/``offset`` paging).

    :param operation_id: LaunchDarkly's operationId.
    :param method_name: the official client's method name.
    :param path: the path template (``{projectKey}`` percent-encoded when filled in).
    :param api_version: the ``LD-API-Version`` the official client sends: a dated, non-beta version.
    :param default_limit: page size when ``limit`` is absent.
    :param max_limit: the largest ``limit`` asked for (a page of this size per request).
    :param items: the response member holding the page's items; ``total`` the total count's member.
    :param source: where the facts come from.
    """

    operation_id: str
    method_name: str
    path: str
    api_version: str
    default_limit: int
    max_limit: int
    items: str = "items"
    total: str = "totalCount"
    source: str = "client-25.0.1"


#: ``GET /api/v2/flags/{projectKey}`` (``FeatureFlagsApi.get_feature_flags`` in the official client 25.0.1,
#: which sends ``LD-API-Version: 20240415``: from that version the list is paged, 20 flags by default,
#: following ``_links.next``). Query parameters sent: ``limit``, ``offset``, ``env``, ``summary``
#: (``true``/``false``), ``filter`` (``field:value`` pairs, comma-separated).
FEATURE_FLAG_LIST = ListRoute(
    operation_id="getFeatureFlags",
    method_name="get_feature_flags",
    path="/api/v2/flags/{projectKey}",
    api_version="20240415",
    default_limit=20,
    max_limit=100,
)
