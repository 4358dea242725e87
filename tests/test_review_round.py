"""The sample data's review round (issue 17 §7; data/sample/README.md "复核（抽查复核）").

Every figure below is the README's, worked out by hand there (mof2020; classes by share of the
分值: 0 完全一致, ≤ 20% 一般偏差, ≤ 50% 明显偏差, above 显著偏差; 偏离度 = (自评 − 复核) ÷ 自评),
and written here by hand, never produced by the code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import perfkit
from perfkit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SAMPLE_FILE = SAMPLE / "review-sample-2022.csv"

#: (unit, project) → self_total, review_total, 偏离度 (%, 2 decimals), grades, class counts
TABLES = {
    ("SZ001", ""): (99.60, 85.80, "13.86%", "优", "良", (9, 1, 1, 1)),
    ("SZ008", "P02"): (97.24, 85.24, "12.34%", "优", "良", (3, 0, 1, 0)),
    ("SZ011", ""): (87.22, 85.72, "1.72%", "良", "良", (7, 1, 0, 0)),
    ("SZ012", "P01"): (77.29, 72.85, "5.74%", "中", "中", (2, 2, 0, 0)),
}
#: (unit, project, 三级指标) → 自评得分, 复核得分, 偏差, class
INDICATORS = {
    ("SZ001", "", "独立配合法官办结案件数"): (10, 10, 0, "consistent"),
    ("SZ001", "", "卷宗整理归档数"): (8, 7.2, 0.8, "general"),  # 8 × 135/150
    ("SZ001", "", "审判质效指标"): (10, 7, 3, "obvious"),  # B 档 70%
    ("SZ001", "", "服务对象满意度"): (10, 0, 10, "significant"),  # 0%: no survey
    ("SZ001", "", "外出调查次数"): (5, 5, 0, "consistent"),  # not re-checked: accepted
    ("SZ011", "", "路面执法检查次数"): (15, 13.5, 1.5, "general"),  # 15 × 1800/2000
    ("SZ011", "", "服务对象满意度"): (10, 10, 0, "consistent"),
    ("SZ011", "", "执法规范化水平"): (13.5, 13.5, 0, "consistent"),  # A 档 13.50 accepted
    ("SZ008", "P02", "示范推广新品种数"): (30, 18, 12, "obvious"),  # 30 × 12/20; 40%
    ("SZ008", "P02", "农业新品种示范推广任务完成率"): (20, 20, 0, "consistent"),
    ("SZ012", "P01", "活动覆盖学校数"): (20, 16, 4, "general"),  # 20 × 24/30; exactly 20%
    ("SZ012", "P01", "学生满意度"): (10, 9.56, 0.44, "general"),  # 10 × 86/90 = 9.555…
    ("SZ012", "P01", "青少年科学兴趣"): (17, 17, 0, "consistent"),  # A 档 17 accepted
}


@pytest.fixture(scope="module")
def screening():
    return perfkit.review(perfkit.load(SAMPLE), 2022)


def test_the_tables_as_worked_out_in_the_readme(screening):
    tables = screening.deviations.tables.set_index(["unit_code", "project_code"])
    assert set(tables.index) == set(TABLES)
    for key, (self_total, review_total, _percent, before, after, counts) in TABLES.items():
        t = tables.loc[key]
        assert t["self_total"] == pytest.approx(self_total), key
        assert t["review_total"] == pytest.approx(review_total), key
        assert t["deviation"] == pytest.approx((self_total - review_total) / self_total), key
        assert (t["grade_before"], t["grade_after"]) == (before, after), key
        assert t["grade_changed"] == (before != after), key
        n = (t["n_consistent"], t["n_general"], t["n_obvious"], t["n_significant"])
        assert n == counts, key
        assert sum(n) == t["n_indicators"], key
    view = screening.table("deviation_tables").set_index(["单位编码", "项目编码"])
    assert {k: view.loc[k, "偏离度"] for k in TABLES} == {k: v[2] for k, v in TABLES.items()}


def test_the_indicators_as_worked_out_in_the_readme(screening):
    rows = screening.deviations.indicators.set_index(["unit_code", "project_code", "level3"])
    for key, (own, reviewed, difference, klass) in INDICATORS.items():
        row = rows.loc[key]
        assert row["self_score"] == pytest.approx(own), key
        assert row["review_score"] == pytest.approx(reviewed), key
        assert row["difference"] == pytest.approx(difference), key
        assert row["class"] == klass, key
    # the four classes over the 28 indicators of the four tables: 21 + 4 + 2 + 1
    assert len(rows) == 28
    assert rows["class"].value_counts().to_dict() == {
        "consistent": 21, "general": 4, "obvious": 2, "significant": 1,
    }  # fmt: skip
    assert not rows["typed_differs"].any()  # every typed 复核得分 is the computed one


def test_main_reasons_quote_the_opinions_and_the_checks(screening):
    tables = screening.deviations.tables.set_index(["unit_code", "project_code"])
    assert tables.loc[("SZ001", ""), "main_reasons"] == (
        "「服务对象满意度」满意度未开展问卷调查，仅以未收到投诉为依据，不得分；"
        "「审判质效指标」未提供审判质效对比数据，仅有工作总结表述，按部分达成计分；"
        "「卷宗整理归档数」归档清单仅能核实 135 件，其余卷宗尚未移交归档；"
        "审核发现：全部指标自评满分、年度指标值设置偏低"
    )
    # SZ011 hit no check: its opinion only
    assert tables.loc[("SZ011", ""), "main_reasons"] == (
        "「路面执法检查次数」执法记录仪台账仅能核实 1800 次，其余检查未提供佐证材料，不得分"
    )


def test_review_check_json_on_the_sample():
    result = CliRunner().invoke(
        cli, ["review", "check", str(SAMPLE), "--year", "2022", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output[result.output.index("{") :])
    totals = {(t["unit_code"], t["project_code"]): t for t in out["totals"]}
    assert set(totals) == {("SZ001", None), ("SZ008", "P02"), ("SZ011", None), ("SZ012", "P01")}
    assert totals[("SZ001", None)]["review_total"] == pytest.approx(85.80)
    assert (totals[("SZ001", None)]["grade_before"], totals[("SZ001", None)]["grade_after"]) == (
        "优",
        "良",
    )
    assert len(out["deviations"]) == 28


def test_the_committed_sample_is_redrawn_by_the_readme_command(tmp_path: Path):
    out = tmp_path / "sample.csv"
    args = ["review", "sample", str(SAMPLE), "--year", "2022", "--rate", "20%", "--seed", "2022"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == SAMPLE_FILE.read_bytes()
    from perfkit.review.sample import read_sample

    drawn = read_sample(SAMPLE_FILE)
    picked = set(zip(drawn["unit_code"], drawn["project_code"], strict=True))
    # the four re-checked tables are in the drawn sample
    assert set(TABLES) <= picked


def test_the_reviews_file_is_a_sample_csv_like_the_others():
    data = (SAMPLE / "reviews.csv").read_bytes()
    assert data.startswith("\ufeff".encode())
    assert data.count(b"\r\n") == data.count(b"\n")


def test_reviews_change_no_score():
    ds = perfkit.load(SAMPLE)
    assert len(ds.reviews) == 10
    from dataclasses import replace

    bare = replace(ds, reviews=ds.reviews.iloc[0:0])
    for level in ("unit", "project"):
        with_reviews = perfkit.score(ds, year=2022, level=level)
        without = perfkit.score(bare, year=2022, level=level)
        assert with_reviews.equals(without)
