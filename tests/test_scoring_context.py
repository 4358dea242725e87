"""Readings a careful reader makes from context (issue 8; domain.md §7), each worked by hand.

A target without a comparator is a cap under 成本指标, "= 0" when it is 0, "≤" for the
department-wide indicators whose lower values are better; rows that cannot be verified take the
unit's reported 得分; weights that do not add up are rescaled to the rulebook's total.
"""

from __future__ import annotations

import pytest
from factories import budget_row, indicator_row, make_dataset

from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring.scores import score_dataset

MOF = load_rulebook("mof2020")


def scored(*rows, rules=MOF, budget=None):
    ds = make_dataset(budget=budget or [budget_row("U1")], indicators=list(rows))
    return score_dataset(ds, rules)


def row_of(*rows, **kw) -> dict:
    return scored(*rows, **kw).indicators.iloc[0].to_dict()


# --- cost indicators: a bare amount is a cap ----------------------------------------------------


def test_bare_cost_under_cost_indicator_is_a_cap():
    row = row_of(indicator_row("U1", "单场活动成本", "0.35万元", "0.38万元", 10, level2="成本指标"))
    # read as ≤0.35万元: 0.38 > 0.35 → 10 × 0.35 / 0.38 = 9.2105… → 9.21
    assert (row["comparator"], row["rule"], row["score"]) == ("<=", "lower_better_ratio", 9.21)
    assert row["rule_text"] == (
        "未写比较符号，按成本指标视为不高于；"
        "反向指标：实际 0.38 > 目标 0.35，得分 = 10 × 0.35 ÷ 0.38 = 9.21"
    )


def test_bare_cost_met_under_the_2021_cost_levels():
    # 财预〔2021〕101号: 一级 成本指标, 二级 经济成本指标
    row = row_of(
        indicator_row(
            "U1", "人均成本", "2000元", "1800元", 5, level1="成本指标", level2="经济成本指标"
        )
    )
    # ≤2000元: 1800 ≤ 2000 → full 5
    assert (row["comparator"], row["score"], row["met"]) == ("<=", 5, True)
    assert row["reading"] == "未写比较符号，按成本指标视为不高于"


def test_a_written_comparator_wins_over_the_context():
    row = row_of(indicator_row("U1", "成本节约额", "≥10万元", "8万元", 10, level2="成本指标"))
    # written ≥: 10 × 8 / 10 = 8
    assert (row["comparator"], row["score"], row["reading"]) == (">=", 8, "")


# --- zero targets: must stay zero ---------------------------------------------------------------


@pytest.mark.parametrize(("actual", "score"), [("0起", 5), ("1起", 0)])
def test_bare_zero_target_means_equal_zero(actual, score):
    row = row_of(indicator_row("U1", "安全事故", "0起", actual, 5, level2="质量指标"))
    # "0起" is no "at least 0" (always met): = 0; 0 → 5, 1 → 0
    assert (row["rule"], row["score"]) == ("equal_zero", score)
    assert row["rule_text"].startswith("未写比较符号，年度指标值为 0，视为应为 0（不应发生）；")


def test_zero_target_can_be_switched_off(tmp_path):
    rules = tmp_path / "r.toml"
    rules.write_text('extends = "mof2020"\n[direction]\nzero_means_equal = false\n', "utf-8")
    row = row_of(indicator_row("U1", "安全事故", "0起", "1起", 5), rules=rules)
    # back to the bare ≥0 reading: 1 ≥ 0 → full 5
    assert (row["rule"], row["score"]) == ("higher_better", 5)


# --- department-wide indicators whose lower values are better ----------------------------------


def test_control_rate_by_name_is_lower_better():
    row = row_of(indicator_row("U1", "公用经费控制率", "100%", "104%", 10, level2="预算管理"))
    # ≤100%: 10 × 100 / 104 = 9.615… → 9.62
    assert (row["comparator"], row["score"]) == ("<=", 9.62)
    assert row["rule_text"].startswith("未写比较符号，按指标名称视为越低越好（不高于年度指标值）；")


@pytest.mark.parametrize(("actual", "score"), [("-5%", 6), ("3%", 0)])
def test_three_public_expenses_change_rate_in_quotes(actual, score):
    # “三公经费”变动率 at 0%: full at ≤ 0 (domain.md §3); above 0 against a 0 target → 0
    row = row_of(indicator_row("U1", "“三公经费”变动率", "0%", actual, 6, level2="预算管理"))
    assert (row["comparator"], row["score"]) == ("<=", score)


def test_other_rates_stay_higher_better():
    row = row_of(indicator_row("U1", "群众满意率", "95%", "90%", 10, level2="满意度指标"))
    # ≥95%: 10 × 90 / 95 = 9.4736… → 9.47
    assert (row["comparator"], row["score"], row["reading"]) == (">=", 9.47, "")


# --- rows that cannot be verified --------------------------------------------------------------


def test_blank_cells_take_the_reported_score():
    row = row_of(indicator_row("U1", "培训人次（≥200人次）", "", "", 8, reported=7.5))
    assert (row["rule"], row["score"]) == ("unverifiable_reported", 7.5)
    assert row["rule_text"] == (
        "年度指标值和实际完成值均未填写，无法核实完成情况，采用单位自评得分 7.5 分"
    )


def test_blank_cells_without_reported_score_score_zero():
    row = row_of(indicator_row("U1", "培训人次", "≥200人次", "", 8))
    assert (row["rule"], row["score"], row["met"]) == ("unverifiable_zero", 0, False)
    assert row["rule_text"] == "实际完成值未填写，无法核实完成情况，且未填自评得分，得 0 分"


def test_reported_score_above_the_weight_is_capped():
    row = row_of(indicator_row("U1", "培训人次", "", "230人次", 8, reported=9))
    # the unit's 9 on a weight of 8: at most the weight, 8
    assert row["score"] == 8


def test_rulebook_can_score_unverifiable_rows_zero(tmp_path):
    rules = tmp_path / "r.toml"
    rules.write_text('extends = "mof2020"\n[indicators]\nunverifiable = "zero"\n', "utf-8")
    row = row_of(indicator_row("U1", "培训人次", "", "", 8, reported=8), rules=rules)
    assert (row["rule"], row["score"]) == ("unverifiable_zero", 0)
    assert row["rule_text"] == (
        "年度指标值和实际完成值均未填写，无法核实完成情况，按评分规则不采用自评得分，得 0 分"
    )


def test_unreadable_and_incomparable_cells_are_unverifiable():
    frame = scored(
        indicator_row("U1", "a", "90%-95%", "93%", 30, reported=30),  # a range
        indicator_row("U1", "b", "≥150件", "230次", 30, reported=28),  # 件 vs 次
        indicator_row("U1", "c", "效果明显", "还行", 30),  # no tier, no reported 得分
    ).indicators
    assert frame["rule"].tolist() == [
        "unverifiable_reported",
        "unverifiable_reported",
        "unverifiable_zero",
    ]
    assert frame["score"].tolist() == [30, 28, 0]
    assert (
        frame["rule_text"]
        .iloc[1]
        .startswith("实际完成值「230次」与年度指标值「≥150件」的单位不同，无法换算")
    )


def test_unverifiable_rows_are_not_under_target_findings():
    found = scored(indicator_row("U1", "培训人次", "≥200人次", "", 90)).findings
    assert "under_target" not in set(found["kind"])


# --- weights that do not add up ----------------------------------------------------------------


def test_weights_of_100_are_rescaled_to_90():
    units = scored(
        indicator_row("U1", "a", "≥10件", "10件", 40),
        indicator_row("U1", "b", "≥10件", "9件", 30),
        indicator_row("U1", "c", "≥10件", "12件", 30),
    )
    # rows keep their own weights: a 40, b 30 × 9 / 10 = 27, c 30; Σ = 97
    assert units.indicators["score"].tolist() == [40, 27, 30]
    unit = units.units.iloc[0]
    # 97 × 90 / 100 = 87.3; total 10 + 87.3 = 97.3 → 优
    assert (unit["indicator_score"], unit["total"], unit["grade"]) == (87.3, 97.3, "优")
    assert unit["indicator_rule_text"] == (
        "各指标分值合计 100 分，与指标总分 90 分不一致，"
        "指标得分合计 97 分按 90 ÷ 100 折算为 87.30 分"
    )


def test_weights_of_80_are_rescaled_and_rounded_half_up():
    unit = scored(
        indicator_row("U1", "a", "≥10件", "10件", 50),
        indicator_row("U1", "b", "≥10件", "5件", 30),
    ).units.iloc[0]
    # a 50, b 30 × 5 / 10 = 15; Σ 65 × 90 / 80 = 73.125 → 73.13; total 83.13 → 良
    assert (unit["indicator_score"], unit["total"], unit["grade"]) == (73.13, 83.13, "良")


def test_rescaling_can_be_switched_off(tmp_path):
    rules = tmp_path / "r.toml"
    rules.write_text('extends = "mof2020"\n[indicators]\nrescale = false\n', "utf-8")
    unit = scored(
        indicator_row("U1", "a", "≥10件", "10件", 50),
        indicator_row("U1", "b", "≥10件", "5件", 30),
        rules=load_rulebook(rules),
    ).units.iloc[0]
    # Σ 65 kept as written; total 10 + 65 = 75 → 中
    assert (unit["indicator_score"], unit["total"], unit["grade"]) == (65, 75, "中")
    assert unit["indicator_rule_text"].endswith("按评分规则不折算，指标得分合计 65.00 分")


def test_weights_that_add_up_have_no_rule_text():
    unit = scored(indicator_row("U1", "a", "≥10件", "10件", 90)).units.iloc[0]
    assert (unit["indicator_score"], unit["indicator_rule_text"]) == (90, "")


# --- deadlines: full dates, year included ------------------------------------------------------

TIMELY = {"level1": "产出指标", "level2": "时效指标"}


def test_a_deadline_missed_by_months_scores_zero():
    row = row_of(indicator_row("U1", "项目完工时间", "2022年11月", "2023年3月", 8, **TIMELY))
    # 2023-03 is after 2022-11: not on time → 0 (mof2020: deadline_missed = "zero")
    assert (row["rule"], row["met"], row["score"]) == ("deadline", False, 0)
    assert row["rule_text"] == (
        "时效指标：实际完成时间 2023年3月 晚于时限 2022年11月，未按时完成，得 0 分"
    )


def test_a_deadline_missed_with_a_deduction_per_month(tmp_path):
    rules = tmp_path / "r.toml"
    rules.write_text(
        'extends = "mof2020"\n[indicators]\ndeadline_missed = "per_month"\n'
        "deadline_per_month = 0.25\n",
        "utf-8",
    )
    row = row_of(
        indicator_row("U1", "项目完工时间", "2022年11月", "2023年1月", 8, **TIMELY), rules=rules
    )
    # (2023 × 12 + 1) − (2022 × 12 + 11) = 2 months late: 8 × (1 − 2 × 25%) = 4
    assert row["score"] == 4
    assert row["rule_text"] == (
        "时效指标：实际完成时间 2023年1月 晚于时限 2022年11月，逾期 2 个月，"
        "得分 = 8 × (1 − 2 × 25%) = 4.00"
    )


def test_a_month_without_a_year_takes_the_report_year():
    row = row_of(indicator_row("U1", "完成时间", "12月底前", "11月20日", 5, year=2022))
    # both in 2022: November is before the end of December → full 5
    assert (row["rule"], row["met"], row["score"]) == ("deadline", True, 5)
    assert row["rule_text"] == (
        "未写年份，按 2022 年计；时效指标：实际完成时间 2022年11月20日 不晚于时限 2022年12月，"
        "得满分 5 分"
    )


def test_a_year_under_timeliness_is_a_deadline():
    late = row_of(indicator_row("U1", "建成时间", "2021年", "2022年3月", 6, year=2021, **TIMELY))
    # the year 2022 is after 2021 → 0; elsewhere "2021年" would be a bare number ≥ 2021
    assert (late["rule"], late["score"]) == ("deadline", 0)
    assert late["reading"] == "按时效指标，年度指标值视为完成时限"
    on_time = row_of(
        indicator_row("U1", "建成时间", "2021年", "2021年12月", 6, year=2021, **TIMELY)
    )
    assert (on_time["rule"], on_time["score"]) == ("deadline", 6)


@pytest.mark.parametrize(
    ("actual", "rule", "score"),
    [
        ("2022年12月28日", "deadline", 4),  # before the end of the report year
        ("2023年1月5日", "deadline", 0),  # after it
        ("按时完成", "qualitative_tier", 4),  # tier A: 4 × 100%
    ],
)
def test_end_of_year_under_timeliness(actual, rule, score):
    row = row_of(indicator_row("U1", "完成时限", "年底前", actual, 4, year=2022, **TIMELY))
    assert (row["rule"], row["score"]) == (rule, score)


@pytest.mark.parametrize(("actual", "met"), [("2023年10月25日", True), ("2023年11月2日", False)])
def test_deadline_with_days(actual, met):
    row = row_of(indicator_row("U1", "验收时间", "2023年10月31日前", actual, 5, year=2023))
    assert (row["met"], row["score"]) == (met, 5 if met else 0)


# --- units converted, numbers read from phrases -------------------------------------------------


def test_amounts_in_other_magnitudes_are_converted():
    row = row_of(indicator_row("U1", "投资完成额", "≥1.8亿元", "17500万元", 10))
    # 17500万元 = 1.75亿元: 10 × 1.75 / 1.8 = 9.7222… → 9.72
    assert (row["score"], row["reading"]) == (9.72, "实际完成值 17500万元 换算为 1.75亿元")


def test_a_number_read_out_of_a_phrase():
    row = row_of(indicator_row("U1", "群众满意度", "群众满意度达90%以上", "92%", 10))
    # ≥90%: 92 ≥ 90 → full 10
    assert (row["comparator"], row["score"]) == (">=", 10)
    assert row["reading"] == "从年度指标值「群众满意度达90%以上」中读出 ≥90%"


def test_a_qualifier_before_the_number_under_cost():
    row = row_of(indicator_row("U1", "人均补助", "人均2000元", "人均2100元", 10, level2="成本指标"))
    # ≤ by cost: 10 × 2000 / 2100 = 9.5238… → 9.52
    assert (row["comparator"], row["score"]) == ("<=", 9.52)


def test_different_qualifiers_cannot_be_compared():
    row = row_of(indicator_row("U1", "补助标准", "人均2000元", "每户2000元", 10, reported=9))
    assert (row["rule"], row["score"]) == ("unverifiable_reported", 9)


# --- the unit's printed 执行率 and execution 得分 ---------------------------------------------


def test_printed_execution_rate_and_score_are_checked():
    printed = {"reported_rate": 1.0, "reported_execution_score": 10.0}
    found = scored(
        indicator_row("U1", "a", "≥10件", "10件", 90),
        budget=[budget_row("U1", adjusted=100, executed=80) | printed],
    ).findings
    mismatch = found[found["kind"] == "score_mismatch"]
    # computed: 80 ÷ 100 = 80.00%, 10 × 80% = 8.00; printed 100% and 10 (the rate is the cell
    # "1.0", a fraction: shown as printed, at whole percents, issue 16 §10)
    assert mismatch["message"].tolist() == [
        "预算执行率自评为 100%，按全年执行数 ÷ 全年预算数计算为 80.00%，相差 20.00 个百分点。",
        "预算执行率得分自评 10 分，按评分规则计算为 8.00 分，相差 2.00 分。",
    ]
    assert mismatch["subject"].tolist() == ["预算执行率", "预算执行率得分"]


def test_printed_execution_rounded_to_one_decimal_is_no_mismatch():
    # 95.23% printed as 95.2%: 0.03 points apart, within 0.05; the score 9.52 as printed
    printed = {"reported_rate": 0.952, "reported_execution_score": 9.52}
    found = scored(
        indicator_row("U1", "a", "≥10件", "10件", 90),
        budget=[
            budget_row("U1", item="a", adjusted=100, executed=95.23) | printed,
            budget_row("U1", item="b", adjusted=0, executed=0),  # the printed values on one row
        ],
    ).findings
    assert "score_mismatch" not in set(found["kind"])
