"""The bureau's screening (issue 17 §1, docs/review.md): every check of ``[review]`` on a table
built to trigger it and one built not to, values worked out by hand; risk and rank; the
``[review]`` rulebook section; ``perfkit review check`` on the sample."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from perfkit.cli import cli
from perfkit.data.contract import Narrative
from perfkit.review.registry import CHECKS
from perfkit.review.screening import review
from perfkit.rules.review import default_section
from perfkit.rules.rulebook import RulebookError, load_rulebook
from tests.factories import budget_row, indicator_row, make_dataset


def hits(ds, code: str, rules=None, year: int = 2022) -> pd.DataFrame:
    found = review(ds, year, rules).findings
    return found[found["code"] == code].reset_index(drop=True)


def met(unit: str, name: str, weight: float = 30, **kw) -> dict:
    """An indicator met exactly: ≥100件, 100件."""
    return indicator_row(unit, name, "≥100件", "100件", weight, **kw)


def three_met(unit: str = "U1", **kw) -> list[dict]:
    return [met(unit, f"指标{i}", **kw) for i in (1, 2, 3)]


def project(row: dict, code: str = "P01") -> dict:
    return {**row, "project_code": code}


# ---------------------------------------------------------------------------------------------
# the rulebook section


def test_every_declared_check_has_its_function_and_every_function_its_declaration():
    assert set(default_section()["checks"]) == set(CHECKS)
    book = load_rulebook("mof2020")
    assert [c.code for c in book.review.checks] == list(default_section()["checks"])
    for c in book.review.checks:
        assert c.source and c.severity in ("high", "medium", "low")


def test_presets_inherit_the_review_section_and_provincial_settings_are_off():
    for name in ("mof2020", "hubei", "jiangxi"):
        book = load_rulebook(name).review
        assert book.risk == {"high": 10, "medium": 5, "low": 2}
        assert not book.check("execution_cap").enabled
        assert not book.check("over_target_deduction").enabled
        assert book.check("cost_with_ge").weight == 5  # medium


def test_a_rulebook_changes_a_check_and_its_weight(tmp_path: Path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'extends = "mof2020"\n[review.checks.cost_with_ge]\nseverity = "high"\n'
        "[review.checks.budget_unspent]\nthreshold = 0.3\nweight = 7\n",
        encoding="utf-8",
    )
    book = load_rulebook(path).review
    assert book.check("cost_with_ge").weight == 10  # high's weight
    assert book.check("budget_unspent")["threshold"] == 0.3
    assert book.check("budget_unspent").weight == 7


BU = "[review.checks.budget_unspent]\n"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("[review.checks.no_such_check]\nseverity = 'low'\n", "review.checks.no_such_check"),
        (BU + "threshold = 'high'\n", "review.checks.budget_unspent.threshold"),
        (BU + "severity = 'red'\n", "review.checks.budget_unspent.severity"),
        (BU + "limit = 0.3\n", "review.checks.budget_unspent.limit"),
        ("[review.risk]\nhigh = true\n", "review.risk.high"),
        ("[review.checks.execution_cap]\nmax_total = [89]\n", "review.checks.execution_cap.max_total"),  # noqa: E501
    ],
)  # fmt: skip
def test_a_bad_review_section_is_a_rulebook_error_naming_the_key(tmp_path, body, key):
    path = tmp_path / "bad.toml"
    path.write_text('extends = "mof2020"\n' + body, encoding="utf-8")
    with pytest.raises(RulebookError) as err:
        load_rulebook(path)
    assert key in [p.column for p in err.value.problems]


def enabled(tmp_path: Path, code: str) -> str:
    path = tmp_path / f"{code}.toml"
    path.write_text(f'extends = "mof2020"\n[review.checks.{code}]\nenabled = true\n', "utf-8")
    return str(path)


# ---------------------------------------------------------------------------------------------
# one table at a time


def test_all_full_marks():
    full = [met("U1", f"指标{i}", reported=30) for i in (1, 2, 3)]  # 30 + 30 + 30 = 90
    found = hits(make_dataset(budget=[budget_row("U1")], indicators=full), "all_full_marks")
    assert found["unit_code"].tolist() == ["U1"]
    assert found["evidence"][0] == "3 项指标的自评得分均等于分值（合计 90 分）"
    one_less = [*full[:2], met("U1", "指标3", reported=29)]
    ds = make_dataset(budget=[budget_row("U1")], indicators=one_less)
    assert hits(ds, "all_full_marks").empty
    two = [met("U1", f"指标{i}", weight=45, reported=45) for i in (1, 2)]  # under min_indicators
    assert hits(make_dataset(budget=[budget_row("U1")], indicators=two), "all_full_marks").empty


def test_completion_outruns_spending_the_vendor_red_warning():
    # executed 90 of 100: execution 9 of 10 = 90%; indicators 90 of 90 = 100%;
    # (100% − 90%) ÷ 100% = 10% > 5%
    ds = make_dataset(budget=[budget_row("U1", executed=90)], indicators=three_met())
    found = hits(ds, "completion_outruns_spending")
    assert found["unit_code"].tolist() == ["U1"]
    assert "(100.00% − 90.00%) ÷ 100.00% = 10.00%" in found["evidence"][0]
    # 96 of 100: (100% − 96%) ÷ 100% = 4%; 95 of 100: exactly 5%, not above
    for executed in (96, 95):
        ds = make_dataset(budget=[budget_row("U1", executed=executed)], indicators=three_met())
        assert hits(ds, "completion_outruns_spending").empty, executed


def test_completion_outruns_spending_of_a_project_uses_its_own_scores():
    rows = [project(r) for r in three_met()]
    ds = make_dataset(
        budget=[budget_row("U1"), project(budget_row("U1", executed=50))],
        indicators=[*three_met(), *rows],
        projects=[{"unit_code": "U1", "project_code": "P01", "project_name": "项目一"}],
    )
    found = hits(ds, "completion_outruns_spending")
    # the project: 5 of 10 = 50%; (100% − 50%) ÷ 100% = 50%; the unit: 100 of 100, no hit
    assert found[["unit_code", "project_code"]].values.tolist() == [["U1", "P01"]]
    assert "= 50.00%" in found["evidence"][0]


def test_zero_budget_and_budget_unspent_the_yellow_warnings():
    ds = make_dataset(budget=[budget_row("U1", adjusted=0, executed=0)], indicators=three_met())
    assert hits(ds, "zero_budget")["unit_code"].tolist() == ["U1"]
    assert hits(ds, "budget_unspent").empty
    assert hits(ds, "completion_outruns_spending").empty  # no execution to compare
    # (100 − 79) ÷ 100 = 21% > 20%
    ds = make_dataset(budget=[budget_row("U1", executed=79)], indicators=three_met())
    found = hits(ds, "budget_unspent")
    assert found["evidence"].tolist() == ["全年预算数 100 万元，全年执行数 79 万元，未执行 21.00%"]
    assert hits(ds, "zero_budget").empty
    # (100 − 80) ÷ 100 = 20%: not above
    ds = make_dataset(budget=[budget_row("U1", executed=80)], indicators=three_met())
    assert hits(ds, "budget_unspent").empty


def benefit(name: str, target: str) -> dict:
    return indicator_row("U1", name, target, "98%", 10, level1="效益指标", level2="社会效益指标")


def test_uniform_benefit_targets():
    rows = [benefit(n, "≥95%") for n in ("甲", "乙", "丙")]
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*rows, met("U1", "数量", 60)])
    found = hits(ds, "uniform_benefit_targets")
    assert found["evidence"].tolist() == ["3 项指标的年度指标值均为“≥95%”：「甲」、「乙」、「丙」"]
    rows[2] = benefit("丙", "≥90%")  # the largest group is 2 < 3
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*rows, met("U1", "数量", 60)])
    assert hits(ds, "uniform_benefit_targets").empty


def test_same_target_text():
    same = [met("U1", f"同{i}", weight=10) for i in range(4)]
    other = [indicator_row("U1", f"异{i}", f"≥{i + 1}次", f"{i + 1}次", 25) for i in range(2)]
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*same, *other])  # 4 of 6
    found = hits(ds, "same_target_text")
    assert found["message"][0].startswith("4 项指标（共 6 项）的年度指标值均为“≥100件”")
    more = [indicator_row("U1", f"异{i}", f"≥{i + 1}次", f"{i + 1}次", 10) for i in range(5)]
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*same, *more])  # 4 of 9 < 50%
    assert hits(ds, "same_target_text").empty


def cost(target: str) -> dict:
    return indicator_row("U1", "人均培训成本", target, "40元", 30, level1="成本指标",
                         level2="经济成本指标")  # fmt: skip


def test_cost_with_ge():
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*three_met()[:2], cost("≥50元")])
    found = hits(ds, "cost_with_ge")
    assert found["level3"].tolist() == ["人均培训成本"]
    assert found["evidence"][0] == "年度指标值“≥50元”，实际完成值“40元”"
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*three_met()[:2], cost("≤50元")])
    assert hits(ds, "cost_with_ge").empty


def test_payment_as_quantity():
    row = indicator_row("U1", "资金支付率", "≥95%", "100%", 30)  # 二级指标 数量指标
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*three_met()[:2], row])
    assert hits(ds, "payment_as_quantity")["level3"].tolist() == ["资金支付率"]
    quality = {**row, "level2": "质量指标"}
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*three_met()[:2], quality])
    assert hits(ds, "payment_as_quantity").empty


def satisfaction(actual: str) -> dict:
    return indicator_row("U1", "服务对象满意度", "≥90%", actual, 30, level1="满意度指标",
                         level2="服务对象满意度指标")  # fmt: skip


def test_satisfaction_without_survey():
    ds = make_dataset(
        budget=[budget_row("U1")], indicators=[*three_met()[:2], satisfaction("未收到投诉")]
    )
    found = hits(ds, "satisfaction_without_survey")
    assert found["evidence"].tolist() == ["实际完成值“未收到投诉”"]
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*three_met()[:2], satisfaction("96%")])
    assert hits(ds, "satisfaction_without_survey").empty


def deadline(reported: float) -> dict:
    return indicator_row("U1", "项目完工时间", "2022年10月底前", "2022年12月", 30,
                         reported=reported, level2="时效指标")  # fmt: skip


def test_deadline_self_met_missed():
    # finished in December, deadline end of October: 0 points (deadline_missed = zero), 30 reported
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*three_met()[:2], deadline(30)])
    found = hits(ds, "deadline_self_met_missed")
    assert found["level3"].tolist() == ["项目完工时间"]
    assert found["evidence"][0].endswith("自评 30 分，按期限计 0 分")
    ds = make_dataset(budget=[budget_row("U1")], indicators=[*three_met()[:2], deadline(0)])
    assert hits(ds, "deadline_self_met_missed").empty


def test_findings_scoring_has_are_reused():
    over = indicator_row("U1", "培训人次", "≥100人次", "140人次", 30)  # 140% ≥ 130%
    wrong = indicator_row("U1", "检查次数", "≥10次", "10次", 30, reported=28)  # computed 30
    short = indicator_row("U1", "发放册数", "≥100册", "80册", 30)  # unmet, no reason
    ds = make_dataset(budget=[budget_row("U1")], indicators=[over, wrong, short])
    assert hits(ds, "target_too_low")["level3"].tolist() == ["培训人次"]
    assert "140.00%" in hits(ds, "target_too_low")["message"][0]
    assert hits(ds, "score_mismatch")["level3"].tolist() == ["检查次数"]
    assert hits(ds, "missing_deviation_reason")["level3"].tolist() == ["发放册数"]
    fine = [
        indicator_row("U1", "培训人次", "≥100人次", "120人次", 30),
        indicator_row("U1", "检查次数", "≥10次", "10次", 30, reported=30),
        indicator_row("U1", "发放册数", "≥100册", "80册", 30, reason="印刷延期，已调整计划"),
    ]
    ds = make_dataset(budget=[budget_row("U1")], indicators=fine)
    for code in ("target_too_low", "score_mismatch", "missing_deviation_reason"):
        assert hits(ds, code).empty, code


def test_target_below_last_actual():
    last = indicator_row("U1", "培训人次", "≥100人次", "120人次", 90, year=2021)
    budgets = [budget_row("U1", year=2021), budget_row("U1")]
    now = indicator_row("U1", "培训人次", "≥100人次", "110人次", 90)  # 100 < 120 last year
    ds = make_dataset(budget=budgets, indicators=[last, now])
    found = hits(ds, "target_below_last_actual")
    assert found["evidence"].tolist() == ["2022 年度指标值“≥100人次”，2021 年实际完成值“120人次”"]
    now = indicator_row("U1", "培训人次", "≥130人次", "135人次", 90)
    assert hits(
        make_dataset(budget=budgets, indicators=[last, now]), "target_below_last_actual"
    ).empty


def reason(unit: str, name: str, text: str) -> dict:
    return indicator_row(unit, name, "≥100件", "80件", 30, reason=text)


COPIED = "受疫情影响部分活动未能按计划开展，下一年度将提前谋划并加强线上线下结合"


def test_copied_deviation_reason_between_two_units():
    other = COPIED.replace("提前", "尽早")  # two characters of 34 replaced
    ds = make_dataset(
        budget=[budget_row("U1"), budget_row("U2"), budget_row("U3")],
        indicators=[reason("U1", "甲", COPIED), reason("U2", "乙", COPIED),
                    reason("U3", "丙", other)],
    )  # fmt: skip
    found = hits(ds, "copied_deviation_reason")
    assert found["unit_code"].tolist() == ["U1", "U2", "U3"]
    # U1 and U2 are the same text; U3's is 34 characters of which 2 differ (normalised, the
    # comma removed: 33 characters): Indel distance 4 over 66 → 1 − 4/66 = 93.9% ≥ 90%
    assert "（相同）" in found["evidence"][0] and "U2" in found["evidence"][0]
    assert "相似度 94%" in found["evidence"][2]


def test_copied_deviation_reason_not_within_one_unit_nor_short_nor_unlike():
    ds = make_dataset(
        budget=[budget_row("U1"), budget_row("U2")],
        indicators=[reason("U1", "甲", COPIED), reason("U1", "乙", COPIED),
                    reason("U2", "丙", "资金下达较晚导致采购延后"),  # 12 characters < 20
                    reason("U1", "丁", "资金下达较晚导致采购延后")],
    )  # fmt: skip
    assert hits(ds, "copied_deviation_reason").empty


def test_copied_narrative_between_units_not_with_the_units_own_project():
    text = (
        "本单位全年组织开展各类培训活动三十六场次，覆盖基层工作人员一千二百余人次，"
        "培训满意度达到百分之九十六，有效提升了基层业务能力。"
    )
    ds = make_dataset(budget=[budget_row("U1"), budget_row("U2")], indicators=three_met())
    ds.narratives[(2022, "U1")] = Narrative(achievements=text)
    ds.project_narratives[(2022, "U1", "P01")] = Narrative(achievements=text)
    assert hits(ds, "copied_narrative").empty  # the unit and its own project
    ds.narratives[(2022, "U2")] = Narrative(achievements="前言\n\n" + text)
    found = hits(ds, "copied_narrative")
    assert found[["unit_code", "project_code"]].values.tolist() == [
        ["U1", ""], ["U1", "P01"], ["U2", ""]
    ]  # fmt: skip
    assert "U2" in found["evidence"][0] and "绩效实现情况" in found["evidence"][0]


def test_execution_cap_is_off_by_default_and_caps_by_the_strictest_band(tmp_path):
    # executed 65 of 100: 6.5 + 90 = 96.5; 65% is below 80% and 70%: at most 79
    ds = make_dataset(budget=[budget_row("U1", executed=65)], indicators=three_met())
    assert hits(ds, "execution_cap").empty
    rules = enabled(tmp_path, "execution_cap")
    found = hits(ds, "execution_cap", rules)
    assert found["message"].tolist() == [
        "预算执行率为 65.00%，按某省规则总分应不高于 79 分（按评分规则计算为 96.50 分）。"
    ]
    # exactly 70%: in 70–80%, at most 89 (7 + 90 = 97 > 89)
    ds = make_dataset(budget=[budget_row("U1", executed=70)], indicators=three_met())
    assert "不高于 89 分" in hits(ds, "execution_cap", rules)["message"][0]
    ds = make_dataset(budget=[budget_row("U1", executed=85)], indicators=three_met())
    assert hits(ds, "execution_cap", rules).empty


def test_over_target_deduction_is_off_by_default(tmp_path):
    rows = [*three_met()[:2], indicator_row("U1", "培训人次", "≥100人次", "130人次", 30)]
    ds = make_dataset(budget=[budget_row("U1")], indicators=rows)
    assert hits(ds, "over_target_deduction").empty
    rules = enabled(tmp_path, "over_target_deduction")
    found = hits(ds, "over_target_deduction", rules)
    assert found["message"].tolist() == [
        "「培训人次」完成值达到年度指标值的 130.00%，按某省规则应扣 2 分（指标值设置偏低）。"
    ]
    rows[2] = indicator_row("U1", "培训人次", "≥100人次", "129人次", 30)
    ds = make_dataset(budget=[budget_row("U1")], indicators=rows)
    assert hits(ds, "over_target_deduction", rules).empty


# ---------------------------------------------------------------------------------------------
# risk and rank


def test_risk_counts_each_check_once_and_ties_are_ranked_by_code():
    wrong = [indicator_row("U1", f"检查{i}", "≥10次", "10次", 30, reported=28) for i in (1, 2, 3)]
    pay = [*three_met("U2")[:2], indicator_row("U2", "资金支付率", "≥95%", "100%", 30)]
    costs = [*three_met("U3")[:2], {**cost("≥50元"), "unit_code": "U3", "actual": "60元"}]
    ds = make_dataset(
        budget=[budget_row(u) for u in ("U1", "U2", "U3", "U4")],
        indicators=[*wrong, *pay, *costs, *three_met("U4")],
    )
    result = review(ds, 2022)
    codes = result.findings.groupby("unit_code")["code"].agg(list).to_dict()
    assert codes == {"U1": ["score_mismatch"] * 3, "U2": ["payment_as_quantity"],
                     "U3": ["cost_with_ge"]}  # fmt: skip
    t = result.tables
    # U2: high, 10; U1: three score_mismatch hits, medium, counted once: 5; U3: medium, 5; U4: 0
    assert t[["unit_code", "risk", "rank"]].values.tolist() == [
        ["U2", 10, 1], ["U1", 5, 2], ["U3", 5, 3], ["U4", 0, 4]
    ]  # fmt: skip
    assert t.loc[t["unit_code"] == "U1", "n_findings"].item() == 3


# ---------------------------------------------------------------------------------------------
# the command on the sample


def run(*args: str):
    return CliRunner().invoke(cli, ["review", *args], catch_exceptions=False)


def strict(text: str):
    def refuse(value):
        raise ValueError(value)

    return json.loads(text, parse_constant=refuse)


def test_review_check_json_is_strict_and_the_ranking_the_same_twice(sample_path):
    first = run("check", str(sample_path), "--year", "2022", "--format", "json")
    second = run("check", str(sample_path), "--year", "2022", "--format", "json")
    assert first.exit_code == 0, first.output
    a, b = strict(first.stdout), strict(second.stdout)
    assert a == b
    ranks = [u["rank"] for u in a["units"]]
    assert ranks == list(range(1, len(ranks) + 1))
    risks = [u["risk"] for u in a["units"]]
    assert risks == sorted(risks, reverse=True)
    keys = {"code", "severity", "unit_code", "project_code", "level3", "evidence", "message"}
    assert a["findings"] and all(set(f) == keys for f in a["findings"])
    unit_keys = {"unit_code", "project_code", "name", "department", "risk", "rank"}
    assert all(unit_keys <= set(u) for u in a["units"])
    # SZ001's own table: every indicator self-scored full marks (data/sample/indicators.csv)
    full = [f for f in a["findings"] if f["code"] == "all_full_marks"]
    assert [(f["unit_code"], f["project_code"]) for f in full] == [("SZ001", "")]


def test_review_check_table_and_csv(sample_path):
    table = run("check", str(sample_path))
    assert table.exit_code == 0
    assert "二、风险排名" in table.stdout and "全部指标自评满分" in table.stdout
    csv = run("check", str(sample_path), "--format", "csv")
    lines = csv.stdout_bytes.decode("utf-8").split("\r\n")  # (.stdout folds CR LF)
    assert lines[0].startswith("年度,风险排名,单位编码,项目编码,名称,主管部门")
    assert lines[1].startswith("2022,1,")
    findings = run("check", str(sample_path), "--format", "csv", "--findings")
    assert findings.stdout.startswith("年度,单位编码,项目编码,审核项")


def test_review_check_usage_and_invalid_data(sample_path, tmp_path):
    missing = run("check", str(sample_path), "--year", "2019")
    assert missing.exit_code == 2 and "可选年度：2022" in missing.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "units.csv").write_text("单位编码,单位名称\nU1,甲\n", encoding="utf-8")
    (bad / "budget.csv").write_text("年度,单位编码\n2022,U1\n", encoding="utf-8")
    out = run("check", str(bad))
    assert out.exit_code == 2 and "budget.csv" in out.stderr


def test_perfkit_review_is_the_screening_before_and_after_the_package_is_imported(sample_dataset):
    import importlib
    import subprocess
    import sys

    code = (
        "import perfkit; ds = perfkit.load('data/sample'); a = perfkit.review(ds, 2022); "
        "import perfkit.review.sample; b = perfkit.review(ds, 2022); "
        "print(a.tables['unit_code'].tolist() == b.tables['unit_code'].tolist(), len(a.findings))"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert out.stdout.split() == ["True", str(len(review(sample_dataset, 2022).findings))]
    api = importlib.import_module("perfkit.api")
    assert api.review(sample_dataset, 2022).tables.equals(review(sample_dataset, 2022).tables)
