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
  ("120畝", "10個", "5噸"), a money target "≥150万" against an actual "148万元";
- ``hubei_execution_indicator``: a Hubei 2021 project table that scores 预算执行率 as a 20-point
  indicator (under 成本指标) inside 100 points;
- ``ningxia_execution_indicator``: a Ningxia department table that lists 资金执行率 as a 10-point
  indicator (一级指标 预算执行) inside 100 points.
"""

from __future__ import annotations

import json
import re
import shutil
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
    return scored_at(REAL / name)


def scored_at(folder: Path) -> dict:
    """The one unit of the table in ``folder``, as ``perfkit score --format json`` prints it."""
    result = run("score", folder, "--format", "json")
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


# Tables that score 预算执行率 as one of their indicators inside 100 points: read in their own
# structure, the execution indicator scored by the execution rule with its own 分值, no execution
# points beside it, no rescaling (issue 16 §10; docs/scoring.md §1.1)


def test_hubei_table_with_execution_as_a_20_point_indicator():
    unit = scored("hubei_execution_indicator")
    # 186 ÷ 200 = 93.00%; the indicator 预算执行率 (分值 20) is scored 20 × 93% = 18.60, not by its
    # cells (≥95% against 93% would be 20 × 93 ÷ 95 = 19.58)
    assert unit["execution_rate"] == 0.93
    scores = [i["score"] for i in unit["indicators"]]
    # 10.5 ≥ 10公里 20; 100% 20; 2021年11月20日 before 11月底 10; 18.60; 2100 ≥ 2000户 20; 92% 10
    assert scores == [20, 20, 10, 18.6, 20, 10]
    # no separate execution points: 0 + (20 + 20 + 10 + 18.60 + 20 + 10) = 98.60, not rescaled
    # (read as a 90-point table it would be 9.30 + (80 + 19.58) × 90 ÷ 100 = 98.92)
    assert (unit["execution_score"], unit["indicator_score"], unit["total"], unit["grade"]) == (
        0,
        98.6,
        98.6,
        "优",
    )
    execution = unit["indicators"][3]
    assert execution["rule"] == "execution_indicator"
    assert execution["rule_text"] == (
        "按表内结构，预算执行率作为绩效指标以其分值 20 分计分，不另计预算执行率分值；"
        "预算执行率 93.00%，得分 = 20 × 93.00% = 18.60"
    )
    assert unit["execution_rule_text"] == (
        "预算执行率 93.00%，已作为绩效指标「预算执行率」（分值 20 分）计入指标得分，"
        "不另计预算执行率 10 分"
    )
    assert unit["indicator_rule_text"] == (
        "自评表将预算执行率列为绩效指标（「预算执行率」，分值 20 分），各指标分值合计 100 分，"
        "按表内结构计分，不折算"
    )
    # the structure is flagged (not as weights_total); the execution indicator is no under_target
    assert [(f["kind"], f["code"]) for f in unit["findings"]] == [
        ("data_warning", "execution_as_indicator")
    ]


def test_the_structure_warning_names_the_execution_indicator():
    result = run("validate", REAL / "hubei_execution_indicator", "--format", "json")
    [problem] = json.loads(result.stdout)
    assert (problem["code"], problem["severity"], problem["row"], problem["column"]) == (
        "execution_as_indicator",
        "warning",
        5,
        "三级指标",
    )
    assert (problem["value"], problem["level3"], problem["unit_code"]) == (
        "预算执行率",
        "预算执行率",
        "HB02",
    )
    assert problem["message"] == (
        "2021 年度该单位的指标表将预算执行率列为绩效指标（分值 20 分），各指标分值合计 100 分："
        "按表内结构计分——该指标按预算执行率的计分规则以其分值 20 分计分，不另计预算执行率的 "
        "10 分，指标得分不折算。"
    )


def test_ningxia_table_with_execution_as_a_10_point_indicator():
    unit = scored("ningxia_execution_indicator")
    # (294 + 166) ÷ (300 + 200) = 92.00%: 资金执行率 (分值 10) 10 × 92% = 9.20; 培训人次
    # 30 × 480 ÷ 500 = 28.80; the other three met: 20 each
    assert [i["score"] for i in unit["indicators"]] == [9.2, 28.8, 20, 20, 20]
    assert unit["indicators"][0]["rule"] == "execution_indicator"
    # 9.20 + 28.80 + 60 = 98.00 out of 100, nothing added beside it
    assert (unit["execution_score"], unit["indicator_score"], unit["total"]) == (0, 98, 98)
    kinds = [(f["kind"], f["code"]) for f in unit["findings"]]
    # 职业技能培训 166 ÷ 200 = 83% is low; 培训人次 under target (it has its 偏差原因)
    assert kinds == [
        ("low_execution", "low_execution"),
        ("under_target", "under_target"),
        ("data_warning", "execution_as_indicator"),
    ]


@pytest.mark.parametrize(
    ("folder", "rules", "expected"),
    [
        # Hubei's own rulebook (execution 20, indicators 80) reads the table the same way
        ("hubei_execution_indicator", "hubei", ([20, 20, 10, 18.6, 20, 10], 98.6)),
        # Jiangxi's steps: 93% reaches [80%, 100%): 7 of 10, scaled to the 分值 20: 14;
        # 14 + 80 = 94
        ("hubei_execution_indicator", "jiangxi", ([20, 20, 10, 14, 20, 10], 94)),
        # 92% under Jiangxi: 7 of 10 on a 10-point indicator; 7 + 28.8 + 60 = 95.80
        ("ningxia_execution_indicator", "jiangxi", ([7, 28.8, 20, 20, 20], 95.8)),
    ],
)
def test_the_execution_indicator_follows_the_rulebooks_execution_rule(folder, rules, expected):
    result = run("score", REAL / folder, "--format", "json", "--rules", rules)
    assert result.exit_code == 0, result.output
    [unit] = json.loads(result.stdout)
    assert ([i["score"] for i in unit["indicators"]], unit["total"]) == expected
    assert unit["execution_score"] == 0


def test_an_execution_indicator_inside_90_points_is_an_indicator_like_any_other(tmp_path):
    """Weights adding up to 90 keep execution apart (10 points); an indicator that happens to be
    named 预算执行率 is then scored by its cells, as every other indicator."""
    folder = tmp_path / "t"
    shutil.copytree(REAL / "hubei_execution_indicator", folder)
    path = folder / "indicators.csv"
    # 受益居民户数 20 → 10 points: the weights add up to 90
    written = ",受益居民户数,≥2000户,2100户,{0},{0},"
    text = path.read_text(encoding="utf-8")
    rows = text.replace(written.format(20), written.format(10))
    path.write_text(rows, encoding="utf-8")
    unit = scored_at(folder)
    # ≥95% against 93%: 20 × 93 ÷ 95 = 19.578… → 19.58; 20 + 20 + 10 + 19.58 + 10 + 10 = 89.58;
    # execution 10 × 93% = 9.30; total 98.88
    assert [i["score"] for i in unit["indicators"]][3] == 19.58
    assert unit["indicators"][3]["rule"] == "higher_better"
    assert (unit["execution_score"], unit["indicator_score"], unit["total"]) == (9.3, 89.58, 98.88)
    assert not [f for f in unit["findings"] if f["code"] == "execution_as_indicator"]


def test_a_printed_execution_weight_is_reported_as_the_units_choice(tmp_path):
    """A table printing 分值 9 for 预算执行率 in its funding block: the unit's choice, a warning
    naming the cell; execution is still scored on the rulebook's 10 points."""
    folder = tmp_path / "t"
    shutil.copytree(REAL / "anhui_project_wanyuan", folder)
    path = folder / "budget.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line + "," for line in lines]
    lines[0] = lines[0] + "分值"
    lines[1] = lines[1] + "9"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("validate", folder, "--format", "json")
    assert result.exit_code == 0, result.output
    found = [p for p in json.loads(result.stdout) if p["code"] == "execution_weight_differs"]
    assert [(p["row"], p["column"], p["value"], p["severity"]) for p in found] == [
        (2, "分值", "9", "warning")
    ]
    assert found[0]["message"] == (
        "自评表中预算执行率的分值为 9 分，与评分规则“财政部 财预〔2020〕10号（默认）”的 10 分不同，"
        "视为单位自行确定的分值；预算执行率得分按评分规则的 10 分计算，单位所填分值仅作记录。"
    )
    # scored as before: 10 × 95.8333% = 9.58
    assert scored_at(folder)["execution_score"] == 9.58


def _text_of(html: str) -> str:
    """What a reader sees of a block: the text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_appendix_of_a_table_in_its_own_structure_adds_up():
    ds = perfkit.load(REAL / "hubei_execution_indicator")
    detail = perfkit.unit_detail(ds, 2021, "HB02")
    shown = _text_of(report.appendix_table(detail))
    # the funding block: 分值 0 and 得分 0 (execution is the 20-point indicator), the total out
    # of the table's own 100 points, and no word of a rescaling that did not happen
    assert "年度资金总额 200.00 200.00 186.00 0 93.00% 0.00" in shown
    assert "总分 100 98.60 自评等级：优" in shown
    assert "折算" not in shown
    # a table of 100 points without an execution indicator is rescaled, and says so
    sichuan = perfkit.load(REAL / "sichuan_department")
    shown = _text_of(report.appendix_table(perfkit.unit_detail(sichuan, 2023, "SC01")))
    assert "（指标得分已按指标总分折算）" in shown and "总分 100 98.25" in shown


def test_the_funds_sentence_of_a_table_in_its_own_structure_reads_plainly():
    """No "预算执行率分值 0 分，得 0.00 分": the sentence says where execution was scored."""
    ds = perfkit.load(REAL / "hubei_execution_indicator")
    shown = _text_of(report.performance_section(perfkit.unit_detail(ds, 2021, "HB02")))
    assert "分值 0 分" not in shown and "得 0.00 分" not in shown
    assert (
        "预算执行率 93.00%，已作为绩效指标「预算执行率」（分值 20 分）计入指标得分，"
        "不另计预算执行率 10 分。"
    ) in shown
    # a table scored the usual way keeps its sentence
    sichuan = perfkit.load(REAL / "sichuan_department")
    shown = _text_of(report.performance_section(perfkit.unit_detail(sichuan, 2023, "SC01")))
    assert "预算执行率分值 10 分，得" in shown
