"""Tables written the way published 自评表 are (issue 8 §8; domain.md §7), scored by hand.

``tests/data/real/`` holds fictional tables in the style of published ones:

- ``anhui_project_yuan``: a project table in 元 (header "全年预算数（元）"), no 年初预算数 column,
  the printed 执行率 and 得分, "≧" for ≥, a deadline with its year, a cost cap and a zero-accident
  target without comparators, a number inside a phrase, a unit's full marks for a missed deadline;
- ``anhui_project_wanyuan``: the same table in 万元;
- ``sichuan_department``: a department table, 万元 in the headers, 年初预算数 left blank, weights
  adding up to 100, a comparator joined from its own column with spaces ("≥ 500 人次"), a row with
  its target in the indicator's name and blank cells, a "lower is better" indicator by name, an
  actual that copies its target ("≥90%");
- ``hubei_project_mixed``: explicit units in the cells ("1,180,000元", "0.05亿元"), weights adding
  up to 80, an amount target in 亿元 against an actual in 万元, complaints at "0次".

Round 2 (issue 16 §10):

- ``henan_project_wan``: amounts written "150万" under headers in 万元 (万 means 万元 in a money
  column), an amount in traditional characters ("12.5萬元"), units in traditional characters
  ("120畝", "10個", "5噸"), a money target "≥150万" against an actual "148万元".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import perfkit
from perfkit import report
from perfkit.cli import cli

REAL = Path(__file__).parent / "data" / "real"


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def scored(name: str) -> dict:
    """The one unit of a table, as ``perfkit score --format json`` prints it."""
    result = run("score", REAL / name, "--format", "json")
    assert result.exit_code == 0, result.output
    [unit] = json.loads(result.stdout)
    return unit


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.iterdir()))
def test_every_table_validates_with_exit_0(name):
    result = run("validate", REAL / name)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("数据有效：1 个单位")


def test_anhui_project_in_yuan():
    unit = scored("anhui_project_yuan")
    # 1,150,000 ÷ 1,200,000 = 95.8333…%: 10 × 0.958333 = 9.5833 → 9.58
    assert (unit["adjusted_budget"], unit["executed"]) == (120, 115)
    assert unit["initial_budget"] is None
    assert unit["execution_score"] == 9.58
    scores = [i["score"] for i in unit["indicators"]]
    # ≧120公里 met 20; ≥85% met 15; deadline 2022年11月 missed (2022年12月) 0; cost 1万元/公里
    # read as ≤, 0.95 met 15; 0起 read as = 0, met 15; "群众满意度达90%以上" ≥90%, 93% met 15
    assert scores == [20, 15, 0, 15, 15, 15]
    # 9.58 + 80 = 89.58 → 良 (the unit's own 10 for the deadline would have made it 优)
    assert (unit["indicator_score"], unit["total"], unit["grade"]) == (80, 89.58, "良")
    rules = [i["rule_text"] for i in unit["indicators"]]
    assert rules[2] == "时效指标：实际完成时间 2022年12月 晚于时限 2022年11月，未按时完成，得 0 分"
    assert rules[3].startswith("未写比较符号，按成本指标视为不高于；")
    assert rules[4].startswith("未写比较符号，年度指标值为 0，视为应为 0（不应发生）；")
    assert rules[5].startswith("从年度指标值「群众满意度达90%以上」中读出 ≥90%；")
    messages = [f["message"] for f in unit["findings"] if f["kind"] == "score_mismatch"]
    # the printed 95.83% and 9.58 agree with the computed ones: only the deadline's 得分 differs
    assert messages == ["「完成时间」自评得分 10 分，按评分规则计算为 0.00 分，相差 10.00 分。"]


def test_yuan_and_wan_yuan_give_the_same_scores():
    yuan, wan = scored("anhui_project_yuan"), scored("anhui_project_wanyuan")
    for key in ("adjusted_budget", "executed", "execution_rate", "execution_score", "total"):
        assert yuan[key] == wan[key], key


def test_sichuan_department_with_weights_of_100():
    unit = scored("sichuan_department")
    # (270 + 50) ÷ (300 + 50) = 91.4286%: 10 × 0.914286 = 9.1429 → 9.14
    assert unit["execution_score"] == 9.14
    scores = [i["score"] for i in unit["indicators"]]
    # "≥ 500 人次" 520 met 20; =100% (not 0: as ≥) 20 × 98 / 100 = 19.6; blank cells: the
    # reported 10; cost 800元 read as ≤: 10 × 800 / 850 = 9.41; “三公经费”变动率 0% read as ≤:
    # -3.2% met 20; actual "≥90%" read as 90%: met 20
    assert scores == [20, 19.6, 10, 9.41, 20, 20]
    # Σ 99.01 on weights of 100, rescaled: 99.01 × 90 / 100 = 89.109 → 89.11; 9.14 + 89.11 = 98.25
    assert (unit["indicator_score"], unit["total"], unit["grade"]) == (89.11, 98.25, "优")
    assert unit["indicator_rule_text"] == (
        "各指标分值合计 100 分，与指标总分 90 分不一致，"
        "指标得分合计 99.01 分按 90 ÷ 100 折算为 89.11 分"
    )
    codes = [f["code"] for f in unit["findings"] if f["kind"] == "data_warning"]
    assert codes == ["weights_total", "blank_cells", "actual_with_comparator"]
    assert unit["indicators"][2]["rule"] == "unverifiable_reported"


def test_hubei_project_with_mixed_units_and_weights_of_80():
    unit = scored("hubei_project_mixed")
    # budget 125万元 + 0.05亿元 (= 500万元) = 625; executed 1,180,000元 (= 118万元) + 480 = 598
    assert (unit["adjusted_budget"], unit["executed"]) == (625, 598)
    # 598 ÷ 625 = 95.68%: 9.568 → 9.57
    assert unit["execution_score"] == 9.57
    scores = [i["score"] for i in unit["indicators"]]
    # 12座 ≥ 10座 30; 17500万元 = 1.75亿元: 20 × 1.75 / 1.8 = 19.444 → 19.44; 100% met 10;
    # "0次" read as = 0, 2次 → 0; "满意率达95%以上" ≥95%, 96% met 10
    assert scores == [30, 19.44, 10, 0, 10]
    # Σ 69.44 on weights of 80: 69.44 × 90 / 80 = 78.12; 9.57 + 78.12 = 87.69 → 良
    assert (unit["indicator_score"], unit["total"], unit["grade"]) == (78.12, 87.69, "良")


def test_a_table_without_initial_budget_renders_a_dash():
    ds = perfkit.load(REAL / "anhui_project_yuan")
    detail = perfkit.unit_detail(ds, 2022, "AH01")
    html = report.appendix_table(detail)
    assert "<td" in html and "—" in html
    assert "年初预算数 0.00" not in report.overview_section(detail)


def test_the_report_lists_the_warnings_in_section_three():
    ds = perfkit.load(REAL / "sichuan_department")
    html = report.problems_section(perfkit.unit_detail(ds, 2023, "SC01"))
    assert "自评质量方面" in html
    assert "「培训完成时限（12月底前）」年度指标值和实际完成值均未填写" in html
    assert "分值合计为 100 分，与评分规则" in html


# --- round 2 (issue 16 §10) -------------------------------------------------------------------


def test_henan_project_with_bare_wan_and_traditional_units():
    unit = scored("henan_project_wan")
    # "150万" under 全年预算数（万元） is 150 万元, "12.5萬元" is 12.5 万元: 162.5 and 150.5
    assert (unit["initial_budget"], unit["adjusted_budget"], unit["executed"]) == (
        162.5,
        162.5,
        150.5,
    )
    # 150.5 ÷ 162.5 = 92.615%: 10 × 0.92615 = 9.2615 → 9.26
    assert unit["execution_score"] == 9.26
    scores = [i["score"] for i in unit["indicators"]]
    # 120畝 = 120亩 ≥ 100亩: 30; 10個 ≥ 8个: 15; 5噸 ≥ 4吨: 15; "≥150万" against 148万元 is
    # 150万元: 20 × 148 ÷ 150 = 19.733 → 19.73; 93% ≥ 90%: 10
    assert scores == [30, 15, 15, 19.73, 10]
    # 30 + 15 + 15 + 19.73 + 10 = 89.73; 9.26 + 89.73 = 98.99 → 优
    assert (unit["indicator_score"], unit["total"], unit["grade"]) == (89.73, 98.99, "优")
    assert unit["indicators"][3]["rule_text"] == (
        "年度指标值「≥150万」中的“万”视为万元；"
        "实际完成值 148 < 年度指标值 150，得分 = 20 × 148 ÷ 150 = 19.73"
    )
    warnings = [f["message"] for f in unit["findings"] if f["kind"] == "data_warning"]
    # each bare 万 in a money column is read as 万元 and said so; the traditional 萬元 is 万元
    assert warnings == [
        f"{column}只写了“万”，未写“元”：按 {n}万元 读取（金额中的“万”即万元）；"
        f"请写明单位，如“{n}万元”。"
        for column, n in (("年初预算数", 150), ("全年预算数", 150), ("全年执行数", 138))
    ]


def test_the_bare_wan_warning_names_the_cell():
    result = run("validate", REAL / "henan_project_wan", "--format", "json")
    found = [p for p in json.loads(result.stdout) if p["code"] == "bare_magnitude"]
    assert [(p["file"], p["row"], p["column"], p["value"], p["severity"]) for p in found] == [
        ("budget.csv", 2, "年初预算数（万元）", "150万", "warning"),
        ("budget.csv", 2, "全年预算数（万元）", "150万", "warning"),
        ("budget.csv", 2, "全年执行数（万元）", "138万", "warning"),
    ]
