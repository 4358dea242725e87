"""Scoring rules of the default rulebook mof2020 (财预〔2020〕10号), each branch and boundary.

Every expected value is worked out by hand in the comment beside it. Formula tests build
``Target`` objects directly; dataset tests go through ``notation.parse``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from factories import budget_row, indicator_row, make_dataset

from perfkit.core.formatting import fixed, half_up, num, percent, round_half_up, truncate
from perfkit.rules.notation import Target
from perfkit.rules.qualitative import classify, normalise
from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring.scores import (
    execution_score,
    execution_texts,
    grade,
    score_dataset,
    score_targets,
)

MOF = load_rulebook("mof2020")


def q(text: str) -> Target:
    """A qualitative cell."""
    return Target(raw=text, comparator=None, value=None, unit="")


def n(comparator: str, value: float, unit: str = "件", raw: str | None = None, **kw) -> Target:
    """A quantitative cell."""
    symbol = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}[comparator]
    return Target(raw or f"{symbol}{value:g}{unit}", comparator, float(value), unit, **kw)


def bare(value: float, unit: str = "件", approx: bool = False) -> Target:
    """A bare number as the parser gives it: ≥ with implicit=True."""
    raw = f"{value:g}{'余' if approx else ''}{unit}"
    return Target(raw, ">=", float(value), unit, approx=approx, implicit=True)


def one(target: Target, actual: Target, weight: float, reported=None, rulebook=MOF) -> dict:
    rep = None if reported is None else [reported]
    return score_targets([target], [actual], [weight], rulebook, rep).iloc[0].to_dict()


# --- ≥, >, bare numbers: higher_better ------------------------------------------------------


def test_higher_met_above_target_gets_full_weight():
    row = one(n(">=", 200), bare(230), 10)
    # 230 ≥ 200 → full weight 10
    assert row["score"] == 10
    assert row["rule"] == "higher_better"
    assert row["met"]
    assert row["rule_text"] == "实际完成值 230 ≥ 年度指标值 200，得满分 10 分"
    # completion 230 / 200 = 1.15
    assert row["completion"] == pytest.approx(1.15)


def test_higher_exactly_at_target_gets_full_weight():
    row = one(n(">=", 200), bare(200), 10)
    # 200 ≥ 200 → 10
    assert (row["score"], row["met"]) == (10, True)


def test_higher_missed_is_proportional():
    row = one(n(">=", 200), bare(180), 10)
    # 10 × 180 / 200 = 9.00
    assert row["score"] == 9.0
    assert not row["met"]
    assert row["rule_text"] == "实际完成值 180 < 年度指标值 200，得分 = 10 × 180 ÷ 200 = 9.00"


def test_higher_rounds_two_thirds():
    row = one(n(">=", 3), bare(2), 10)
    # 10 × 2 / 3 = 6.666… → 6.67
    assert row["score"] == 6.67
    assert row["rule_text"].endswith("= 10 × 2 ÷ 3 = 6.67")


def test_higher_rounds_half_up():
    # 5 × 1 / 8 = 0.625 → 0.63 (四舍五入; banker's rounding would give 0.62)
    assert one(n(">=", 8), bare(1), 5)["score"] == 0.63
    # 10 × 2.675 / 10 = 2.675 (stored as 2.67499…) → 2.68
    assert one(n(">=", 10, "%"), bare(2.675, "%"), 10)["score"] == 2.68


def test_a_score_just_under_half_rounds_down_and_never_above_the_weight():
    # 财预〔2020〕10号 整数计分 (mof2020-whole): 2.5 × 100118.29 ÷ 100118.3 = 2.49999975… → 2
    whole = load_rulebook("mof2020-whole")
    row = one(n(">=", 100118.3, "件"), bare(100118.29, "件"), 2.5, rulebook=whole)
    assert row["score"] == 2
    assert row["rule_text"].endswith("= 2.5 × 100118.29 ÷ 100118.3 = 2")


def test_a_weight_finer_than_whole_number_rounding_keeps_its_decimals():
    # mof2020-whole with a weight of 0.72: 0.72 × 50 ÷ 100 = 0.36, 取整 would give 0 while
    # 0.72 × 80 ÷ 100 = 0.576 would give 1 > 0.72; a reader keeps the weight's two decimals:
    # 0.36 and 0.58, never above the weight, and the rule text says so
    whole = load_rulebook("mof2020-whole")
    row = one(n(">=", 100, "件"), bare(80, "件"), 0.72, rulebook=whole)
    assert row["score"] == 0.58
    assert row["rule_text"].endswith("= 0.72 × 80 ÷ 100 = 0.58")
    assert "得分保留到分值的小数位" in row["rule_text"]
    # where 取整 stays within the weight it is kept: 0.36 → 0
    assert one(n(">=", 100, "件"), bare(50, "件"), 0.72, rulebook=whole)["score"] == 0


def test_strictly_greater_scores_like_at_least():
    # ">5次" with actual 5: scored as ≥ (full weight at equality), 4 → 6 × 4 / 5 = 4.80
    assert one(n(">", 5, "次"), bare(5, "次"), 6)["score"] == 6
    assert one(n(">", 5, "次"), bare(4, "次"), 6)["score"] == 4.8


def test_bare_number_target_counts_as_at_least():
    # target "98%" (≥98%), actual 49% → 4 × 49 / 98 = 2.00
    row = one(bare(98, "%"), bare(49, "%"), 4)
    assert row["score"] == 2.0
    assert row["rule"] == "higher_better"
    assert row["comparator"] == ">="


def test_higher_target_zero_gets_full_weight():
    # target ≥0: any actual ≥ 0 meets it → full weight 5
    assert one(n(">=", 0), bare(0), 5)["score"] == 5
    assert one(n(">=", 0), bare(7), 5)["score"] == 5


def test_higher_missed_nonpositive_target_scores_zero():
    # target ≥0%, actual −5%: missed, and a ratio to 0 means nothing → 0
    row = one(n(">=", 0, "%"), Target("-5%", ">=", -5.0, "%", implicit=True), 5)
    assert row["score"] == 0
    assert row["rule_text"] == "实际完成值 -5 < 年度指标值 0，年度指标值不大于 0，得 0 分"


def test_higher_actual_zero_scores_zero_and_never_negative():
    # 10 × 0 / 200 = 0; 10 × (−3) / 200 < 0 → clipped to 0
    assert one(n(">=", 200), bare(0), 10)["score"] == 0
    assert one(n(">=", 200), Target("-3件", ">=", -3.0, "件", implicit=True), 10)["score"] == 0


def test_equal_nonzero_target_scores_as_at_least():
    # "=100%", actual 98% → 10 × 98 / 100 = 9.80; actual 100% → 10
    row = one(n("=", 100, "%"), bare(98, "%"), 10)
    assert (row["score"], row["rule"]) == (9.8, "higher_better")
    assert one(n("=", 100, "%"), bare(100, "%"), 10)["score"] == 10


# --- ≤, <: lower_better (ratio) -------------------------------------------------------------


def test_lower_met_and_exactly_at_target():
    # 8 ≤ 10 → 5; 10 ≤ 10 → 5
    row = one(n("<=", 10, "天"), bare(8, "天"), 5)
    assert (row["score"], row["met"], row["rule"]) == (5, True, "lower_better_ratio")
    assert row["rule_text"] == "反向指标：实际 8 ≤ 目标 10，得满分 5 分"
    assert one(n("<=", 10, "天"), bare(10, "天"), 5)["score"] == 5


def test_lower_missed_is_target_over_actual():
    row = one(n("<=", 10, "天"), bare(12, "天"), 5)
    # 5 × 10 / 12 = 4.1666… → 4.17
    assert row["score"] == 4.17
    assert not row["met"]
    assert row["rule_text"] == "反向指标：实际 12 > 目标 10，得分 = 5 × 10 ÷ 12 = 4.17"


def test_strictly_less_scores_like_at_most():
    # "<3" with actual 3 → full 4; actual 4 → 4 × 3 / 4 = 3.00
    assert one(n("<", 3, ""), bare(3, ""), 4)["score"] == 4
    assert one(n("<", 3, ""), bare(4, ""), 4)["score"] == 3


def test_lower_target_zero():
    # ≤0次 and 0 → full 5; ≤0次 and 3 → 0 (no ratio to 0)
    assert one(n("<=", 0, "次"), bare(0, "次"), 5)["score"] == 5
    row = one(n("<=", 0, "次"), bare(3, "次"), 5)
    assert row["score"] == 0
    assert row["rule_text"] == "反向指标：实际 3 > 目标 0，目标值不大于 0，得 0 分"


def test_lower_ratio_far_above_target_stays_positive():
    # 5 × 10 / 40 = 1.25 (the ratio rule never reaches 0)
    assert one(n("<=", 10, "天"), bare(40, "天"), 5)["score"] == 1.25


# --- ≤ under the linear reverse rule ----------------------------------------------------------

LINEAR = load_rulebook("mof2020-linear-reverse")


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (8, 5.0),  # 8 ≤ 10 → full 5
        (10, 5.0),  # exactly at target → 5
        (12, 4.0),  # 5 × (1 − (12 − 10) / 10) = 5 × 0.8 = 4.00
        (15, 2.5),  # 5 × (1 − 5 / 10) = 2.50
        (19, 0.5),  # 5 × (1 − 9 / 10) = 0.50
        (20, 0.0),  # exactly 2 × target → 0
        (25, 0.0),  # above 2 × target → 0 (never negative)
    ],
)
def test_lower_linear(actual, expected):
    row = one(n("<=", 10, "天"), bare(actual, "天"), 5, rulebook=LINEAR)
    assert row["score"] == expected
    assert row["rule"] == "lower_better_linear"


def test_lower_linear_texts():
    row = one(n("<=", 10, "天"), bare(12, "天"), 5, rulebook=LINEAR)
    assert row["rule_text"] == "反向指标：实际 12 > 目标 10，得分 = 5 × (1 − (12 − 10) ÷ 10) = 4.00"
    row = one(n("<=", 10, "天"), bare(25, "天"), 5, rulebook=LINEAR)
    assert row["rule_text"] == "反向指标：实际 25 达到目标 10 的 2 倍及以上，得 0 分"
    # exactly twice the target is already "2 倍及以上"
    row = one(n("<=", 10, "天"), bare(20, "天"), 5, rulebook=LINEAR)
    assert row["rule_text"] == "反向指标：实际 20 达到目标 10 的 2 倍及以上，得 0 分"


def test_lower_linear_target_zero():
    # ≤0 and 0 → full 5; ≤0 and 1 → 0
    assert one(n("<=", 0, "次"), bare(0, "次"), 5, rulebook=LINEAR)["score"] == 5
    assert one(n("<=", 0, "次"), bare(1, "次"), 5, rulebook=LINEAR)["score"] == 0


# --- =0: equal_zero ---------------------------------------------------------------------------


def test_equal_zero():
    row = one(n("=", 0, "次"), bare(0, "次"), 5)
    # actual 0 = target 0 → full 5
    assert (row["score"], row["rule"], row["met"]) == (5, "equal_zero", True)
    assert row["rule_text"] == "实际完成值 0 = 年度指标值 0，得满分 5 分"
    row = one(n("=", 0, "次"), bare(1, "次"), 5)
    # any actual other than 0 → 0
    assert (row["score"], row["met"]) == (0, False)
    assert row["rule_text"] == "实际完成值 1 ≠ 年度指标值 0，得 0 分"
    assert math.isnan(row["completion"])


# --- qualitative ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "tier", "expected"),
    [
        ("达成年度指标", "A", 10.0),  # 10 × 100% = 10
        ("部分达成年度指标并具有一定效果", "B", 7.0),  # 10 × 70% = 7
        ("未达成年度指标且效果较差", "C", 3.0),  # 10 × 30% = 3
        ("基本完成", "B", 7.0),
        ("未完成", "C", 3.0),
    ],
)
def test_qualitative_tiers(actual, tier, expected):
    row = one(q("达成年度指标"), q(actual), 10)
    assert (row["tier"], row["score"], row["rule"]) == (tier, expected, "qualitative_tier")
    assert row["met"] == (tier == "A")


def test_qualitative_tier_text():
    row = one(q("达成年度指标"), q("达成年度指标"), 10)
    assert row["rule_text"] == "定性指标：达成年度指标（A 档），得分 = 10 × 100% = 10.00"
    row = one(q("达成年度指标"), q("基本达成"), 5)
    # 5 × 70% = 3.50
    assert (
        row["rule_text"]
        == "定性指标：部分达成年度指标并具有一定效果（B 档），得分 = 5 × 70% = 3.50"
    )


@pytest.mark.parametrize(
    ("actual", "reported", "rule", "expected"),
    [
        # A: range 80–100% of 10 = [8, 10]
        ("达成年度指标", 8.5, "qualitative_reported", 8.5),
        ("达成年度指标", 8.0, "qualitative_reported", 8.0),  # exactly 80% of the weight
        ("达成年度指标", 10.0, "qualitative_reported", 10.0),  # top edge
        ("达成年度指标", 7.99, "qualitative_tier", 10.0),  # below the range → 10 × 100%
        # B: [6, 8]
        ("基本达成", 6.0, "qualitative_reported", 6.0),
        ("基本达成", 8.0, "qualitative_reported", 8.0),
        ("基本达成", 8.01, "qualitative_tier", 7.0),  # above the range → 10 × 70%
        ("基本达成", 5.99, "qualitative_tier", 7.0),
        # C: [0, 6]
        ("未完成", 0.0, "qualitative_reported", 0.0),
        ("未完成", 6.0, "qualitative_reported", 6.0),
        ("未完成", 6.01, "qualitative_tier", 3.0),  # → 10 × 30%
    ],
)
def test_qualitative_reported_score_inside_range_stands(actual, reported, rule, expected):
    row = one(q("达成年度指标"), q(actual), 10, reported=reported)
    assert (row["rule"], row["score"]) == (rule, expected)


def test_qualitative_reported_texts():
    row = one(q("达成年度指标"), q("达成年度指标"), 10, reported=8.5)
    assert row["rule_text"] == "定性指标：自评得分 8.5 在 A 档区间 8–10 分内，采用自评得分"
    row = one(q("达成年度指标"), q("达成年度指标"), 10, reported=7)
    assert row["rule_text"] == (
        "定性指标：达成年度指标（A 档），自评得分 7 不在本档区间 8–10 分内，"
        "得分 = 10 × 100% = 10.00"
    )


def test_qualitative_range_edges_survive_float_artefacts():
    # weight 3: B is [0.6 × 3, 0.8 × 3]; 0.6 × 3 is 1.7999999999999998 in binary, yet 1.8 stands
    assert 0.6 * 3 != 1.8
    row = one(q("达成年度指标"), q("基本达成"), 3, reported=1.8)
    assert (row["rule"], row["score"]) == ("qualitative_reported", 1.8)
    # A is [2.4, 3]; 0.8 × 3 = 2.4000000000000004, yet 2.4 stands
    row = one(q("达成年度指标"), q("达成年度指标"), 3, reported=2.4)
    assert (row["rule"], row["score"]) == ("qualitative_reported", 2.4)


def test_quantitative_target_with_tier_phrase_actual_is_scored_by_tier():
    # target ≥95%, actual "基本完成" → B → 10 × 70% = 7
    row = one(n(">=", 95, "%"), q("基本完成"), 10)
    assert (row["tier"], row["score"], row["rule"]) == ("B", 7.0, "qualitative_tier")


def test_qualitative_text_that_fits_no_tier_scores_zero():
    row = one(q("效果明显"), q("还行"), 10)
    assert (row["tier"], row["score"], row["met"]) == ("", 0.0, False)
    # an untiered result cannot be verified: no reported 得分, so 0 (issue 8 §4)
    assert row["rule"] == "unverifiable_zero"
    assert row["rule_text"] == (
        "实际完成值「还行」无法归入评分规则的任何档次，无法核实完成情况，且未填自评得分，得 0 分"
    )


def test_qualitative_same_as_target_is_tier_a():
    # "正常开展" is no phrase of any tier, but it repeats the target → A → 6 × 100%
    row = one(q("正常开展"), q("正常开展"), 6)
    assert (row["tier"], row["score"]) == ("A", 6.0)


def test_qualitative_score_rounded_to_decimals():
    # weight 3.33, tier B: 3.33 × 0.7 = 2.331 → 2.33
    assert one(q("达成年度指标"), q("基本达成"), 3.33)["score"] == 2.33


# --- qualitative.classify ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "target", "tier"),
    [
        ("达成年度指标", "达成年度指标", "A"),
        ("达成", "效果明显", "A"),
        ("部分达成年度指标并具有一定效果", "达成年度指标", "B"),
        # the long C phrase contains "达成年度指标" and "达成", yet it is C
        ("未达成年度指标且效果较差", "达成年度指标", "C"),
        ("未达成", "达成年度指标", "C"),
        # spaces, full-width and punctuation are ignored
        (" 达成 年度指标。", "x", "A"),
        ("基本达成！", "x", "B"),
        # a phrase inside a longer text does not count
        ("基本达成但有不足", "x", None),
        ("不满意", "x", "C"),
        ("非常满意", "x", None),
        # yes/no: only through the target
        ("否", "否", "A"),
        ("是", "否", None),
        ("", "达成年度指标", None),
    ],
)
def test_classify(actual, target, tier):
    assert classify(actual, target, MOF) == tier


def test_normalise():
    assert normalise(" 达成，年度 指标。") == "达成年度指标"
    assert normalise("ＡＢ（１）") == "AB1"


# --- execution score --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0.85, 8.5),  # 10 × 0.85
        (1.0, 10.0),  # exactly 100%
        (1.05, 10.0),  # capped: min(1.05, 1) × 10
        (2 / 3, 6.67),  # 10 × 0.6666… = 6.666… → 6.67
        (0.0, 0.0),
        (float("nan"), 0.0),  # no budget: 0
    ],
)
def test_execution_score_linear(rate, expected):
    assert execution_score(np.array([rate]), MOF)[0] == expected


def test_execution_texts():
    rates = np.array([0.855, 1.0, 1.2, np.nan])
    texts = execution_texts(rates, execution_score(rates, MOF), MOF).tolist()
    assert texts == [
        "预算执行率 85.50%，得分 = 10 × 85.50% = 8.55",  # 10 × 0.855
        "预算执行率 100.00%，不低于 100%，得满分 10 分",
        "预算执行率 120.00%，不低于 100%，得满分 10 分",  # capped at 10
        "全年预算数为 0 或无预算数据，预算执行率无法计算，得 0 分",
    ]


# --- grades -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "expected"),
    [(100, "优"), (90, "优"), (89.99, "良"), (80, "良"), (79.99, "中"), (60, "中"),
     (59.99, "差"), (0, "差")],
)  # fmt: skip
def test_grade_boundaries(total, expected):
    assert grade(np.array([total]), MOF)[0] == expected


# --- numbers as printed -----------------------------------------------------------------------


def test_round_half_up_and_formatting():
    # halves away from zero; binary artefacts of written halves do not round down
    assert round_half_up(np.array([0.625, 2.675, 1.005, 0.124, -2.5]), 2).tolist() == [
        0.63, 2.68, 1.01, 0.12, -2.5,
    ]  # fmt: skip
    assert half_up(0.125, 2) == 0.13
    # a score short of a half by a real amount is rounded down, however small the shortfall:
    # 2.5 × 100118.29 ÷ 100118.3 = 2.49999975…, 四舍五入取整 2 (a fixed 6-decimal pre-rounding
    # read 2.4999998 as 2.5 and gave 3, above the weight)
    assert round_half_up(np.array([2.49999975, -2.49999975]), 0).tolist() == [2.0, -2.0]
    assert half_up(2.49999975, 0) == 2.0 and half_up(0.0049999, 2) == 0.0
    # 舍去: 9.78 → 9.7, 0.29 (stored as 0.28999…) stays 0.29, 9.9999995 → 9.99 (not 10)
    assert truncate(np.array([9.78, 0.29, 9.9999995, -1.946]), 2).tolist() == [
        9.78, 0.29, 9.99, -1.94,
    ]  # fmt: skip
    assert (num(200.0), num(0.5), num(12.25), num(-0.0)) == ("200", "0.5", "12.25", "0")
    assert (fixed(9), fixed(6.666666), percent(0.4567)) == ("9.00", "6.67", "45.67%")


# --- score_dataset ----------------------------------------------------------------------------


def _seedlike():
    """A unit like the seed's: two budget items and six indicators (worked out below)."""
    return make_dataset(
        units=[
            {"unit_code": "SZ01", "unit_name": "苏州市智慧审判保障中心", "department": "苏州中院"}
        ],
        budget=[
            budget_row("SZ01", item="公用经费", initial=80, adjusted=90, executed=81),
            budget_row("SZ01", item="党团经费", initial=10, adjusted=10, executed=4.5),
        ],
        indicators=[
            indicator_row("SZ01", "办结案件数", "≥150件", "230余件", 20),
            indicator_row("SZ01", "卷宗归档数", "≥200件", "170余件", 20),
            indicator_row("SZ01", "体检服务人次", "≥150人次", "150余人次", 10),
            indicator_row("SZ01", "系统故障处理时长", "≤2小时", "3小时", 10),
            indicator_row("SZ01", "网络安全事故", "=0次", "0次", 10),
            indicator_row("SZ01", "干警满意度", "达成年度指标", "基本达成", 20, reported=15),
        ],
    )


def test_score_dataset_unit_totals():
    scores = score_dataset(_seedlike())
    unit = scores.units.iloc[0]
    # budget: adjusted 90 + 10 = 100, executed 81 + 4.5 = 85.5 → rate 0.855 → 10 × 0.855 = 8.55
    assert unit["adjusted_budget"] == 100 and unit["initial_budget"] == 90
    assert unit["execution_rate"] == pytest.approx(0.855)
    assert unit["execution_score"] == 8.55
    assert unit["execution_rule_text"] == "预算执行率 85.50%，得分 = 10 × 85.50% = 8.55"
    # indicators: 20 (230 ≥ 150) + 20 × 170 / 200 = 17 + 10 (150 ≥ 150) + 10 × 2 / 3 = 6.67
    #   + 10 (0 次) + 15 (reported 15 in B's range [12, 16]) = 78.67
    assert scores.indicators["score"].tolist() == [20, 17, 10, 6.67, 10, 15]
    assert unit["indicator_weight"] == 90
    assert unit["indicator_score"] == 78.67
    # total 8.55 + 78.67 = 87.22 → 良
    assert unit["total"] == 87.22
    assert unit["grade"] == "良"
    assert unit["unit_name"] == "苏州市智慧审判保障中心"
    assert unit["n_findings"] == len(scores.findings) > 0
    assert scores.rulebook is not None and scores.rulebook.name == "mof2020"


def test_score_dataset_findings_of_the_worked_example():
    # docs/scoring.md §6: unit 85.50% and 党团经费 45.00% below 90%
    # (公用经费 81 / 90 = 90.00% is not); 办结案件数 230 / 150 = 153.33% ≥ 130%;
    # three indicators under target, none with a reason
    found = score_dataset(_seedlike()).findings
    assert list(zip(found["kind"], found["subject"], strict=True)) == [
        ("low_execution", "单位整体"),
        ("low_execution", "党团经费"),
        ("under_target", "卷宗归档数"),
        ("under_target", "系统故障处理时长"),
        ("under_target", "干警满意度"),
        ("over_target", "办结案件数"),
        ("missing_deviation_reason", "卷宗归档数"),
        ("missing_deviation_reason", "系统故障处理时长"),
        ("missing_deviation_reason", "干警满意度"),
    ]


def test_score_dataset_indicator_columns():
    ind = score_dataset(_seedlike()).indicators
    first = ind.iloc[0]
    assert (first["target_value"], first["actual_value"], first["unit"]) == (150, 230, "件")
    assert (first["comparator"], bool(first["approx"]), first["_row"]) == (">=", True, 2)
    assert ind["rule"].tolist() == [
        "higher_better", "higher_better", "higher_better", "lower_better_ratio",
        "equal_zero", "qualitative_reported",
    ]  # fmt: skip
    assert ind.loc[5, "tier"] == "B"


def test_score_dataset_budget_items():
    items = score_dataset(_seedlike()).budget_items
    rates = dict(zip(items["item"], items["execution_rate"], strict=True))
    # 公用经费 81 / 90 = 0.9; 党团经费 4.5 / 10 = 0.45
    assert rates == pytest.approx({"公用经费": 0.9, "党团经费": 0.45})


def test_score_dataset_total_grade_boundary_from_rounded_total():
    # execution 89.995 / 100 → 10 × 0.89995 = 8.9995 → 9.00; indicator 81 of 90 → total 90.00 → 优
    ds = make_dataset(
        budget=[budget_row("U1", adjusted=100, executed=89.995)],
        indicators=[
            indicator_row("U1", "a", "≥100件", "100件", 81),
            indicator_row("U1", "b", "≥100件", "0件", 9),
        ],
    )
    unit = score_dataset(ds).units.iloc[0]
    assert (unit["execution_score"], unit["total"], unit["grade"]) == (9.0, 90.0, "优")


def test_score_dataset_filters_years_and_units():
    ds = make_dataset(
        budget=[
            budget_row("U1", year=2021, executed=50),
            budget_row("U1", year=2022),
            budget_row("U2", year=2022, executed=80),
        ],
        indicators=[
            indicator_row("U1", "a", "≥1件", "1件", 90, year=2021),
            indicator_row("U1", "a", "≥1件", "1件", 90, year=2022),
            indicator_row("U2", "a", "≥1件", "1件", 90, year=2022),
        ],
    )
    every = score_dataset(ds)
    assert list(zip(every.units["year"], every.units["unit_code"], strict=True)) == [
        (2021, "U1"), (2022, "U1"), (2022, "U2"),
    ]  # fmt: skip
    # U1 2021: 10 × 50 / 100 = 5 + 90 = 95; U2 2022: 10 × 0.8 = 8 + 90 = 98
    assert every.units["total"].tolist() == [95, 100, 98]
    only = score_dataset(ds, years=2022, units=["U2"])
    assert only.units["unit_code"].tolist() == ["U2"]
    assert set(only.indicators["unit_code"]) == {"U2"}
    assert set(only.findings["unit_code"]) <= {"U2"}


def test_score_dataset_unit_without_budget_scores_zero_execution():
    ds = make_dataset(indicators=[indicator_row("U1", "a", "≥1件", "1件", 90)])
    unit = score_dataset(ds).units.iloc[0]
    assert math.isnan(unit["execution_rate"])
    assert (unit["execution_score"], unit["total"], unit["grade"]) == (0, 90, "优")
    assert unit["execution_rule_text"] == "全年预算数为 0 或无预算数据，预算执行率无法计算，得 0 分"


def test_score_dataset_unreadable_cells_never_raise():
    # "≥件" has a comparator but no number (validation reports it); scoring gives 0, no traceback
    ds = make_dataset(
        budget=[budget_row("U1")], indicators=[indicator_row("U1", "a", "≥件", "3件", 90)]
    )
    row = score_dataset(ds).indicators.iloc[0]
    assert (row["score"], row["tier"]) == (0, "")


def test_score_dataset_empty_dataset():
    scores = score_dataset(make_dataset())
    assert scores.units.empty and scores.indicators.empty and scores.findings.empty
    assert "total" in scores.units.columns and "rule_text" in scores.indicators.columns


def test_score_dataset_accepts_preset_name():
    # Hubei: execution 20 × 0.5 = 10; indicator 80 met → total 90
    ds = make_dataset(
        budget=[budget_row("U1", adjusted=100, executed=50)],
        indicators=[indicator_row("U1", "a", "≥1件", "1件", 80)],
    )
    unit = score_dataset(ds, "hubei").units.iloc[0]
    assert (unit["execution_score"], unit["total"]) == (10, 90)
