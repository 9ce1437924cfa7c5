"""Ranking what drives a metric's growth (pure)."""

from __future__ import annotations

import pytest

from airflow_provider_ldusage.budgets.attribution import describe_group, rank_growth

WEB_PROD_JS = {"projectId": "p-web", "environmentId": "e-prod", "sdkName": "JavaScript"}
WEB_PROD_GO = {"projectId": "p-web", "environmentId": "e-prod", "sdkName": "Go"}
API_TEST_JAVA = {"projectId": "p-api", "environmentId": "e-test", "sdkName": "Java"}


def test_the_group_that_grew_most_comes_first_with_its_share_of_the_increase() -> None:
    current = [(WEB_PROD_JS, 48_000.0), (WEB_PROD_GO, 10_500.0), (API_TEST_JAVA, 9_000.0)]
    baseline = [(WEB_PROD_JS, 10_000.0), (WEB_PROD_GO, 10_000.0), (API_TEST_JAVA, 9_500.0)]
    drivers = rank_growth(current, baseline)
    assert [c.group for c in drivers.contributors] == [WEB_PROD_JS, WEB_PROD_GO]  # Java shrank
    first = drivers.contributors[0]
    assert (first.current, first.baseline, first.growth) == (48_000, 10_000, 38_000)
    # The increase is what the growing groups added (38,000 + 500); a shrinking group takes nothing off.
    assert drivers.increase == 38_500
    assert first.share == pytest.approx(38_000 / 38_500)
    assert drivers.growth == (48_000 + 10_500 + 9_000) - (10_000 + 10_000 + 9_500)
    assert sum(c.share for c in drivers.contributors) == pytest.approx(1.0)


def test_a_group_new_this_period_counts_from_zero_and_one_gone_counts_as_shrinking() -> None:
    new_app = {"projectId": "p-web", "environmentId": "e-prod", "sdkName": "React Native"}
    drivers = rank_growth(
        [(new_app, 700.0), (WEB_PROD_GO, 100.0)], [(API_TEST_JAVA, 50.0), (WEB_PROD_GO, 100.0)]
    )
    assert [(c.group, c.growth, c.baseline) for c in drivers.contributors] == [(new_app, 700.0, 0.0)]
    assert drivers.contributors[0].share == 1.0


def test_top_keeps_the_largest_and_ties_break_by_group() -> None:
    groups = [({"sdkName": name}, value) for name, value in (("a", 5), ("b", 9), ("c", 5), ("d", 1))]
    drivers = rank_growth(groups, [], top=2)
    assert [c.group["sdkName"] for c in drivers.contributors] == ["b", "a"]
    assert drivers.increase == 20
    with pytest.raises(ValueError, match="top"):
        rank_growth(groups, [], top=0)


def test_nothing_grew() -> None:
    drivers = rank_growth([(WEB_PROD_JS, 5.0)], [(WEB_PROD_JS, 9.0)], period="June against May")
    assert drivers.contributors == () and drivers.increase == 0
    assert drivers.describe() == "no group grew (June against May)"


def test_the_same_group_in_another_key_order_is_one_group() -> None:
    reordered = dict(reversed(list(WEB_PROD_JS.items())))
    drivers = rank_growth([(WEB_PROD_JS, 3.0), (reordered, 4.0)], [(reordered, 2.0)])
    assert len(drivers.contributors) == 1 and drivers.contributors[0].growth == 5.0


def test_alerts_name_project_environment_and_sdk_first_with_labels_for_ids() -> None:
    group = {"anonymousV2": "true", "sdkAppId": "web-js-app", **WEB_PROD_JS, "contextKind": "user"}
    labels = {"projectId": {"p-web": "web"}, "environmentId": {"e-prod": "production"}}
    assert describe_group(group, labels) == (
        "project `web`, environment `production`, SDK `JavaScript`, application `web-js-app`, "
        "anonymous `true`, context kind `user`"
    )
    assert describe_group(group).startswith("project `p-web`, environment `e-prod`")
    drivers = rank_growth([(group, 48_000.0)], [(group, 10_000.0)], period="p")
    text = drivers.describe(labels)
    assert text.startswith("+38.0k (100% of the increase) from project `web`, environment `production`")
    as_dict = drivers.as_dict(labels)
    assert as_dict["contributors"][0]["label"].startswith("project `web`")  # type: ignore[index]
    assert as_dict["increase"] == 38_000


def test_small_contributors_after_the_first_can_be_left_out() -> None:
    groups = [({"sdkName": "a"}, 96.0), ({"sdkName": "b"}, 3.0), ({"sdkName": "c"}, 1.0)]
    drivers = rank_growth(groups, [], min_share=0.05)
    assert [c.group["sdkName"] for c in drivers.contributors] == ["a"]
    assert rank_growth(groups[1:], [], min_share=0.9).contributors[0].group == {"sdkName": "b"}
