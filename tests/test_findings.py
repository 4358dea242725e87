"""Findings (section 三 of the report): each kind, its threshold boundary and its absence."""

from __future__ import annotations

import pandas as pd
import pytest
from factories import budget_row, indicator_row, make_dataset, monthly_row

from perfkit.core.problems import Problem
from perfkit.scoring.findings import COLUMNS, KINDS, data_warnings
from perfkit.scoring.scores import score_dataset

MET = indicator_row("U1", "达标指标", "≥10件", "10件", 90)


def findings(budget=None, indicators=None, monthly=None, rules=None):
    ds = make_dataset(
        budget=budget or [budget_row("U1", adjusted=100, executed=100)],
        indicators=indicators or [MET],
        monthly=monthly,
    )
    return score_dataset(ds, rules).findings


def of(found, kind):
    return found[found["kind"] == kind]


def test_clean_unit_has_no_findings():
    found = findings()
    assert found.empty
    assert list(found.columns) == COLUMNS


# --- low_execution ----------------------------------------------------------------------------


def test_low_execution_unit_and_item():
    found = of(
        findings(
            budget=[
                budget_row("U1", item="公用经费", adjusted=90, executed=81),
                budget_row("U1", item="党团经费", adjusted=10, executed=4.5),
            ]
        ),
        "low_execution",
    )
    # unit: (81 + 4.5) / 100 = 85.50%; 公用经费 81 / 90 = 90.00% (not below); 党团经费 45.00%
    assert found["subject"].tolist() == ["单位整体", "党团经费"]
    assert found["message"].tolist() == [
        "单位整体预算执行率为 85.50%，低于 90%，执行进度偏低。",
        "党团经费预算执行率为 45.00%，低于 90%，执行进度偏低。",
    ]
    assert found["value"].tolist() == pytest.approx([0.855, 0.45])


def test_low_execution_boundary():
    # exactly 90% is not below 90%; 89.99% is
    assert of(findings(budget=[budget_row("U1", executed=90)]), "low_execution").empty
    found = of(findings(budget=[budget_row("U1", executed=89.99)]), "low_execution")
    # one item "基本支出" and the unit itself, both 89.99 / 100
    assert found["message"].tolist() == [
        "单位整体预算执行率为 89.99%，低于 90%，执行进度偏低。",
        "基本支出预算执行率为 89.99%，低于 90%，执行进度偏低。",
    ]


def test_low_execution_float_artefact_is_not_below():
    # executed 0.7 + 0.2 of budget 1.0 is 0.8999999999999999 in binary: still 90%, no finding
    budget = [
        budget_row("U1", item="x", adjusted=0.5, executed=0.7),
        budget_row("U1", item="y", adjusted=0.5, executed=0.2),
        budget_row("U1", item="z", adjusted=99, executed=99),
    ]
    found = of(findings(budget=budget), "low_execution")
    # item y: 0.2 / 0.5 = 40% is low; the unit: 99.9 / 100 is not
    assert found["subject"].tolist() == ["y"]


def test_low_execution_groups_items_across_fund_sources():
    budget = [
        budget_row("U1", item="公用经费", adjusted=50, executed=50),
        budget_row("U1", item="公用经费", adjusted=10, executed=0, fund_source="上年结转"),
        budget_row("U1", item="人员经费", adjusted=940, executed=940),
    ]
    found = of(findings(budget=budget), "low_execution")
    # 公用经费: (50 + 0) / (50 + 10) = 83.33%, one finding; unit 990 / 1000 = 99% is fine
    assert found["message"].tolist() == ["公用经费预算执行率为 83.33%，低于 90%，执行进度偏低。"]


# --- time_progress_lag ------------------------------------------------------------------------


def test_time_progress_lag_at_quarter_ends():
    monthly = [monthly_row("U1", m, 5) for m in range(1, 13)]
    found = of(findings(monthly=monthly), "time_progress_lag")
    # cumulative 5 × m of 100: 15% at 3 (25% − 15% = 10 points), 30% at 6 (20), 45% at 9 (30),
    # 60% at 12 (40); every gap above the 5-point tolerance; months 1, 2, 4 … are not checked
    assert found["subject"].tolist() == ["3月", "6月", "9月", "12月"]
    assert found["message"].tolist()[1] == (
        "截至 6 月末累计支出进度为 30.00%，低于序时进度（50.00%）20.00 个百分点。"
    )
    assert found["value"].tolist() == pytest.approx([0.10, 0.20, 0.30, 0.40])


def test_time_progress_lag_tolerance_boundary():
    # month 3: 20 of 100 = 20% vs 25% → gap exactly 5 points: not more than the tolerance
    # month 6: 20 + 24 = 44% vs 50% → 6 points: a finding
    monthly = [monthly_row("U1", 3, 20), monthly_row("U1", 6, 24)]
    found = of(findings(monthly=monthly), "time_progress_lag")
    assert found["message"].tolist() == [
        "截至 6 月末累计支出进度为 44.00%，低于序时进度（50.00%）6.00 个百分点。"
    ]


def test_time_progress_lag_only_up_to_last_reported_month():
    # data for January–June only: 10 per month → 60% at month 6, ahead of 50%; 9 and 12 unchecked
    monthly = [monthly_row("U1", m, 10) for m in range(1, 7)]
    assert of(findings(monthly=monthly), "time_progress_lag").empty


def test_time_progress_lag_sums_items():
    # two items of 10 each per month: 20 × 3 = 60% at month 3, ahead of 25%: no finding
    monthly = [monthly_row("U1", m, 10, item=i) for m in (1, 2, 3) for i in ("a", "b")]
    assert of(findings(monthly=monthly), "time_progress_lag").empty


# --- under_target, missing_deviation_reason ---------------------------------------------------


def test_under_target_messages():
    indicators = [
        indicator_row("U1", "卷宗归档数", "≥200件", "170余件", 30, reason="案件量减少"),
        indicator_row("U1", "办理时长", "≤10天", "12天", 20, reason="人手不足"),
        indicator_row("U1", "安全事故", "=0次", "1次", 20, reason="已整改"),
        indicator_row("U1", "满意度", "达成年度指标", "基本达成", 20, reason="加强沟通"),
    ]
    found = findings(indicators=indicators)
    under = of(found, "under_target")
    # 170 / 200 = 85.00%
    assert under["message"].tolist() == [
        "「卷宗归档数」实际完成 170余件，未达到年度指标值（≥200件），完成率为 85.00%。",
        "「办理时长」实际完成 12天，超出年度指标值（≤10天）。",
        "「安全事故」实际完成 1次，未达到年度指标值（=0次）。",
        "「满意度」实际完成情况为“基本达成”（B 档：部分达成年度指标并具有一定效果），"
        "未完全达成年度指标值（达成年度指标）。",
    ]
    assert under["subject"].tolist() == ["卷宗归档数", "办理时长", "安全事故", "满意度"]
    assert under["value"].iloc[0] == pytest.approx(0.85)
    # every one has a deviation reason
    assert of(found, "missing_deviation_reason").empty


def test_under_target_qualitative_label_not_repeated():
    indicators = [indicator_row("U1", "a", "有效提升", "未达成年度指标且效果较差", 90, reason="x")]
    found = of(findings(indicators=indicators), "under_target")
    # the actual already is tier C's label: "（C 档）" only
    assert found["message"].tolist() == [
        "「a」实际完成情况为“未达成年度指标且效果较差”（C 档），未完全达成年度指标值（有效提升）。"
    ]


def test_met_targets_are_not_under_target():
    indicators = [
        indicator_row("U1", "a", "≥200件", "200件", 30),  # exactly at target
        indicator_row("U1", "b", "≤10天", "10天", 30),
        indicator_row("U1", "c", "达成年度指标", "达成年度指标", 30),
    ]
    found = findings(indicators=indicators)
    assert of(found, "under_target").empty and of(found, "missing_deviation_reason").empty


def test_missing_deviation_reason():
    indicators = [
        indicator_row("U1", "a", "≥200件", "100件", 30),
        indicator_row("U1", "b", "≥200件", "100件", 30, reason="   "),
        indicator_row("U1", "c", "≥200件", "100件", 30, reason="经费压减"),
    ]
    found = of(findings(indicators=indicators), "missing_deviation_reason")
    # blank and whitespace-only reasons are missing; c has one
    assert found["message"].tolist() == [
        "「a」未达到年度指标值，未填写偏差原因分析及改进措施。",
        "「b」未达到年度指标值，未填写偏差原因分析及改进措施。",
    ]


def test_qualitative_text_without_tier_is_left_to_validation():
    found = findings(indicators=[indicator_row("U1", "a", "效果明显", "还行", 90)])
    assert of(found, "under_target").empty and of(found, "missing_deviation_reason").empty


# --- over_target ------------------------------------------------------------------------------


def test_over_target_message_like_the_seed():
    found = of(
        findings(indicators=[indicator_row("U1", "办结案件数", "≥150件", "230余件", 90)]),
        "over_target",
    )
    # 230 / 150 = 1.53333… → 153.33%
    assert found["message"].tolist() == [
        "「办结案件数」实际完成 230余件，为年度指标值（≥150件）的 153.33%，"
        "年度指标值设置偏低，未充分考虑实际工作量。"
    ]
    assert found["value"].iloc[0] == pytest.approx(230 / 150)


def test_over_target_boundary():
    # 11.7 / 9 is 1.2999999999999998 in binary but exactly 130%: a finding
    assert 11.7 / 9 < 1.3
    found = of(findings(indicators=[indicator_row("U1", "a", "≥9件", "11.7件", 90)]), "over_target")
    assert found["message"].str.contains("的 130.00%").tolist() == [True]
    # 194 / 150 = 129.33%: none
    assert of(
        findings(indicators=[indicator_row("U1", "a", "≥150件", "194件", 90)]), "over_target"
    ).empty


def test_over_target_only_for_higher_is_better():
    indicators = [
        indicator_row("U1", "a", "≤10天", "2天", 30),  # reverse: far below is good, not "over"
        indicator_row("U1", "b", "=100%", "150%", 30),  # equality target
        indicator_row("U1", "c", "≥0件", "5件", 30),  # target 0: no ratio
    ]
    assert of(findings(indicators=indicators), "over_target").empty


def test_over_target_bare_number_counts():
    # "100" is ≥100; 140 / 100 = 140.00%
    found = of(findings(indicators=[indicator_row("U1", "a", "100", "140", 90)]), "over_target")
    assert len(found) == 1


# --- score_mismatch ---------------------------------------------------------------------------


def test_score_mismatch():
    indicators = [
        # 30 × 180 / 200 = 27.00; reported 30 → differs by 3.00
        indicator_row("U1", "a", "≥200件", "180件", 30, reported=30, reason="x"),
        # reported 27.01: differs by exactly 0.01, not more → none
        indicator_row("U1", "b", "≥200件", "180件", 30, reported=27.01, reason="x"),
        # reported 26.98: differs by 0.02 → a finding, value −0.02
        indicator_row("U1", "c", "≥200件", "180件", 30, reported=26.98, reason="x"),
    ]
    found = of(findings(indicators=indicators), "score_mismatch")
    assert found["message"].tolist() == [
        "「a」自评得分 30 分，按评分规则计算为 27.00 分，相差 3.00 分。",
        "「c」自评得分 26.98 分，按评分规则计算为 27.00 分，相差 0.02 分。",
    ]
    assert found["value"].tolist() == pytest.approx([3.0, -0.02])


def test_no_score_mismatch_without_reported_score_or_when_it_stands():
    indicators = [
        indicator_row("U1", "a", "≥200件", "200件", 45),  # no 得分
        # qualitative B, range [45 × 0.6, 45 × 0.8] = [27, 36]: the reported 30 stands
        indicator_row("U1", "b", "达成年度指标", "基本达成", 45, reported=30, reason="x"),
    ]
    assert of(findings(indicators=indicators), "score_mismatch").empty


# --- all together -----------------------------------------------------------------------------


def test_order_and_counts():
    ds = make_dataset(
        budget=[
            budget_row("U2", adjusted=100, executed=50),
            budget_row("U1", adjusted=100, executed=80),
            budget_row("U3", adjusted=100, executed=110),
        ],
        indicators=[
            indicator_row("U2", "a", "≥10件", "20件", 90, reported=80),
            indicator_row("U1", "a", "≥10件", "5件", 90),
            indicator_row("U3", "a", "≥10件", "10件", 90),
        ],
        monthly=[monthly_row("U1", 3, 1)],
    )
    # a validation warning about U2 becomes one of its findings; one about no unit does not
    ds.warnings = [
        Problem("a.csv", "分值有误。", unit_code="U2", year=2022, severity="warning", code="w"),
        Problem("a.csv", "文件有误。", severity="warning", code="w"),
    ]
    scores = score_dataset(ds)
    found = scores.findings
    assert list(zip(found["unit_code"], found["kind"], strict=True)) == [
        ("U1", "low_execution"),  # 80% (unit)
        ("U1", "low_execution"),  # 80% (item 基本支出)
        ("U1", "time_progress_lag"),  # 1% at month 3 vs 25%
        ("U1", "under_target"),  # 5 < 10
        ("U1", "missing_deviation_reason"),
        ("U2", "low_execution"),
        ("U2", "low_execution"),
        ("U2", "over_target"),  # 20 / 10 = 200%
        ("U2", "score_mismatch"),  # 80 vs 90
        ("U2", "data_warning"),
        ("U3", "overspend"),  # 110 > 100 (the unit's table only: one item, one source)
    ]
    # every kind but the two only a project view gives (tests/test_projects.py)
    assert set(found["kind"]) == set(KINDS) - {"project_low_execution", "project_budget_mismatch"}
    assert found["message"].iloc[-2] == "分值有误。"
    counts = scores.units.set_index("unit_code")["n_findings"].to_dict()
    assert counts == {"U1": 5, "U2": 5, "U3": 1}


def test_thresholds_come_from_the_rulebook(tmp_path):
    rules = tmp_path / "strict.toml"
    rules.write_text(
        'extends = "mof2020"\n[findings]\nlow_execution = 0.95\nover_target = 1.1\n', "utf-8"
    )
    found = findings(
        budget=[budget_row("U1", executed=94)],
        indicators=[indicator_row("U1", "a", "≥100件", "115件", 90)],
        rules=rules,
    )
    # 94% < 95%; 115 / 100 = 115% ≥ 110%
    assert of(found, "low_execution")["message"].iloc[0] == (
        "单位整体预算执行率为 94.00%，低于 95%，执行进度偏低。"
    )
    assert len(of(found, "over_target")) == 1


def test_every_kind_has_its_chinese_names_and_a_group():
    from perfkit.report.blocks import DEFAULT_MEASURES, FINDING_GROUPS
    from perfkit.scoring.findings import KIND_LABELS, KIND_SHORT

    # a reader never sees an English kind: the index's summary, the charts, section 三
    assert set(KIND_LABELS) == set(KINDS) == set(KIND_SHORT)
    assert {k for _, kinds in FINDING_GROUPS for k in kinds} == set(KINDS)
    assert {k for kinds, _ in DEFAULT_MEASURES for k in kinds} == set(KINDS)


# --- overspend (issue 16 §10) -----------------------------------------------------------------


def test_overspend_of_the_unit_an_item_and_a_fund_source():
    # 人员经费 财政拨款 100 / 100; 公用经费 财政拨款 20 / 26 and 上年结转 10 / 6:
    # the item 公用经费 30 / 32, the source 财政拨款 120 / 126, the unit 130 / 132
    ds = make_dataset(
        budget=[
            budget_row("U1", "人员经费", adjusted=100, executed=100),
            budget_row("U1", "公用经费", adjusted=20, executed=26),
            budget_row("U1", "公用经费", adjusted=10, executed=6, fund_source="上年结转"),
        ],
        indicators=[MET],
    )
    scores = score_dataset(ds)
    # 132 ÷ 130 = 101.54%: the score stays capped at the weight
    assert scores.units["execution_score"].tolist() == [10.0]
    found = of(scores.findings, "overspend")
    assert found["message"].tolist() == [
        "单位整体全年执行数 132.00 万元，超过全年预算数 130.00 万元，超支 2.00 万元"
        "（执行率 101.54%），属超预算支出，预算执行率得分以满分为限。",
        "公用经费全年执行数 32.00 万元，超过全年预算数 30.00 万元，超支 2.00 万元"
        "（执行率 106.67%），属超预算支出。",
        "资金来源“财政拨款”全年执行数 126.00 万元，超过全年预算数 120.00 万元，超支 6.00 万元"
        "（执行率 105.00%），属超预算支出。",
    ]
    assert found["subject"].tolist() == ["单位整体", "公用经费", "资金来源“财政拨款”"]
    assert found["value"].round(9).tolist() == [2.0, 2.0, 6.0]
    assert scores.units["n_findings"].tolist() == [3]


@pytest.mark.parametrize(("executed", "expected"), [(100.0, 0), (100.01, 1)])
def test_overspend_boundary(executed, expected):
    # exactly the budget is no overspend; one 分 (0.01 万元) above is; a table of one item and
    # one source is the table's finding only
    found = findings(budget=[budget_row("U1", adjusted=100, executed=executed)])
    assert len(of(found, "overspend")) == expected


def test_overspend_of_a_project_is_the_projects_finding():
    project = {"unit_code": "U1", "project_code": "P1", "project_name": "农田建设"}
    ds = make_dataset(
        budget=[
            budget_row("U1", adjusted=100, executed=95),
            {**budget_row("U1", "农田建设", adjusted=50, executed=55), "project_code": "P1"},
        ],
        indicators=[MET, {**MET, "project_code": "P1"}],
        projects=[project],
    )
    scores = score_dataset(ds)
    found = of(scores.findings, "overspend")
    assert found[["unit_code", "project_code", "subject"]].values.tolist() == [
        ["U1", "P1", "项目整体"]
    ]
    assert found["message"].tolist() == [
        "项目整体全年执行数 55.00 万元，超过全年预算数 50.00 万元，超支 5.00 万元"
        "（执行率 110.00%），属超预算支出，预算执行率得分以满分为限。"
    ]
    assert scores.projects["execution_score"].tolist() == [10.0]


def test_the_overspend_tolerance_is_the_rulebooks(tmp_path):
    path = tmp_path / "lenient.toml"
    path.write_text('extends = "mof2020"\n[findings]\noverspend_tolerance = 5\n', "utf-8")
    found = findings(budget=[budget_row("U1", adjusted=100, executed=105)], rules=path)
    assert of(found, "overspend").empty  # 5.00 above is not more than 5
    found = findings(budget=[budget_row("U1", adjusted=100, executed=105.01)], rules=path)
    assert len(of(found, "overspend")) == 1


def test_many_warnings_of_one_code_are_one_finding():
    """Four warnings of one code for one table are one finding that counts them and names the
    cells; three stay three; another code or another unit is counted apart."""
    units = pd.DataFrame(
        {"year": [2022, 2022], "unit_code": ["U1", "U2"], "project_code": ["", ""]}
    )

    def bare(unit: str, name: str, row: int) -> Problem:
        return Problem(
            "indicators.csv", "全年预算数只写了“万”，未写“元”。", row=row, column="全年预算数",
            severity="warning", code="bare_magnitude", unit_code=unit, level3=name,
        )  # fmt: skip

    problems = [bare("U1", n, i) for i, n in enumerate("甲乙丙丁戊己", start=2)]
    problems += [bare("U2", n, i) for i, n in enumerate("子丑寅", start=10)]
    found = data_warnings(problems, units)
    u1 = found[found["unit_code"] == "U1"]
    assert u1["message"].tolist() == [
        "「甲」全年预算数只写了“万”，未写“元”"
        "（同类情况共 6 处，涉及「甲」「乙」「丙」「丁」「戊」等）。"
    ]
    assert found[found["unit_code"] == "U2"]["message"].tolist() == [
        "「子」全年预算数只写了“万”，未写“元”。",
        "「丑」全年预算数只写了“万”，未写“元”。",
        "「寅」全年预算数只写了“万”，未写“元”。",
    ]
    # cells without an indicator are named by column and Excel row
    rows = [Problem("budget.csv", "x。", row=r, column="资金来源", severity="warning",
                    code="forbidden_characters", unit_code="U2") for r in (3, 4, 5, 6)]  # fmt: skip
    note = data_warnings(rows, units)["message"].tolist()
    assert note == [
        "x（同类情况共 4 处，涉及「资金来源第 3 行」「资金来源第 4 行」「资金来源第 5 行」"
        "「资金来源第 6 行」）。"
    ]
