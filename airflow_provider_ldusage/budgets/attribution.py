"""What drives a metric's growth: groups ranked by how much they grew against a baseline. Pure, no I/O.

A *group* is one combination of the dimension values LaunchDarkly split a series by (``groupBy``): a mapping
such as ``{"projectId": "…", "environmentId": "…", "sdkName": "JavaScript"}``. Given each group's value now
and in a comparable baseline (the same days of the previous month; or, for a spike, what the group's
recent share of the metric would have added that day), :func:`rank_growth` ranks the groups by growth and
says what share of the increase each explains. The *increase* is the sum of the growth of the groups that
grew, so shares lie in (0, 1] and the top contributors' shares add up to at most 1 even when other groups
shrank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Attribution", "Contributor", "describe_group", "rank_growth"]

Group = tuple[Mapping[str, str], float]

# How dimensions read in an alert, and in which order they come (the rest follow, by name).
_NAMES = {
    "projectId": "project",
    "projectKey": "project",
    "project": "project",
    "environmentId": "environment",
    "environmentKey": "environment",
    "environment": "environment",
    "sdkName": "SDK",
    "sdk": "SDK",
    "sdkType": "SDK type",
    "sdktype": "SDK type",
    "sdkAppId": "application",
    "sdkVersion": "SDK version",
    "anonymousV2": "anonymous",
    "anonymous": "anonymous",
    "contextKind": "context kind",
}
_ORDER = tuple(dict.fromkeys(_NAMES.values()))


@dataclass(frozen=True)
class Contributor:
    """One group's part in the growth.

    :param group: dimension -> value, as LaunchDarkly returned it.
    :param current: the group's value in the period looked at.
    :param baseline: its value in the comparable baseline.
    :param growth: ``current - baseline``.
    :param share: the share of the increase (the summed growth of every group that grew) it explains.
    """

    group: Mapping[str, str]
    current: float
    baseline: float
    growth: float
    share: float

    def as_dict(self, labels: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, object]:
        return {
            "group": dict(self.group),
            "label": describe_group(self.group, labels),
            "current": self.current,
            "baseline": self.baseline,
            "growth": self.growth,
            "share": self.share,
        }


@dataclass(frozen=True)
class Attribution:
    """The ranked drivers of a metric's growth.

    :param dimensions: the dimensions the groups were split by.
    :param current: the metric's total in the period looked at.
    :param baseline: its total in the baseline.
    :param increase: the summed growth of the groups that grew.
    :param contributors: the groups that grew most, largest first.
    :param period: the period and its baseline, in words.
    """

    dimensions: tuple[str, ...]
    current: float
    baseline: float
    increase: float
    contributors: tuple[Contributor, ...]
    period: str = ""

    @property
    def growth(self) -> float:
        """The net change of the total."""
        return self.current - self.baseline

    def describe(self, labels: Mapping[str, Mapping[str, str]] | None = None, fmt: object = None) -> str:
        """``+10.2k (93 % of the increase) from project …, environment …, SDK …; +… from …``."""
        show = fmt if callable(fmt) else _plain
        if not self.contributors:
            return "no group grew" + (f" ({self.period})" if self.period else "")
        parts = [
            f"+{show(c.growth)} ({c.share:.0%} of the increase) from {describe_group(c.group, labels)}"
            for c in self.contributors
        ]
        return "; ".join(parts) + (f" ({self.period})" if self.period else "")

    def as_dict(self, labels: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, object]:
        return {
            "dimensions": list(self.dimensions),
            "current": self.current,
            "baseline": self.baseline,
            "growth": self.growth,
            "increase": self.increase,
            "period": self.period,
            "contributors": [c.as_dict(labels) for c in self.contributors],
        }


def describe_group(group: Mapping[str, str], labels: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """``project `web`, environment `production`, SDK `JavaScript```: project, environment and SDK first.

    :param group: dimension -> value.
    :param labels: dimension -> value -> what to show instead (a project id -> its key).
    """
    known = labels or {}

    def order(item: tuple[str, str]) -> tuple[int, str]:
        name = _NAMES.get(item[0], item[0])
        return (_ORDER.index(name) if name in _ORDER else len(_ORDER), item[0])

    parts = []
    for dimension, value in sorted(group.items(), key=order):
        shown = known.get(dimension, {}).get(str(value), value)
        parts.append(f"{_NAMES.get(dimension, dimension)} `{shown}`")
    return ", ".join(parts) if parts else "the account as a whole"


def rank_growth(
    current: Sequence[Group],
    baseline: Sequence[Group],
    *,
    top: int = 3,
    min_share: float = 0.0,
    period: str = "",
) -> Attribution:
    """Rank the groups by growth from ``baseline`` to ``current``.

    :param current: (group, value) pairs of the period looked at.
    :param baseline: (group, value) pairs of the comparable baseline; a group missing on one side counts 0
        there (a new SDK, an environment that went quiet).
    :param top: how many contributors to keep.
    :param min_share: contributors after the first explaining less of the increase than this are left out.
    :param period: the period and its baseline, in words, for the text.
    :raises ValueError: ``top`` below 1.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top!r}")
    now: dict[tuple[tuple[str, str], ...], float] = {}
    before: dict[tuple[tuple[str, str], ...], float] = {}
    for target, groups in ((now, current), (before, baseline)):
        for group, value in groups:
            key = tuple(sorted((str(k), str(v)) for k, v in group.items()))
            target[key] = target.get(key, 0.0) + float(value)
    keys = sorted(set(now) | set(before))
    growth = {k: now.get(k, 0.0) - before.get(k, 0.0) for k in keys}
    increase = sum(g for g in growth.values() if g > 0)
    ranked = sorted((k for k in keys if growth[k] > 0), key=lambda k: (-growth[k], k))[:top]
    contributors = tuple(
        Contributor(dict(k), now.get(k, 0.0), before.get(k, 0.0), growth[k], growth[k] / increase)
        for i, k in enumerate(ranked)
        if i == 0 or growth[k] / increase >= min_share
    )
    dimensions = tuple(sorted({d for k in keys for d, _ in k}))
    return Attribution(dimensions, sum(now.values()), sum(before.values()), increase, contributors, period)


def _plain(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.2f}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.1f}k"
    return f"{value:,.0f}"
