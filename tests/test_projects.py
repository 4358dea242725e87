"""Projects (项目支出绩效自评, issue 11): contract, validation, scoring, cross-checks, API, CLI.

Every expected score is worked out by hand in the comments under the default rulebook mof2020
(财预〔2020〕10号): execution min(Σ全年执行数 / Σ全年预算数, 1) × 10; ≥ met → weight, else
weight × actual / target; ≤ met → weight, else weight × target / actual; =0 → weight only for 0;
qualitative A 100% / B 70% / C 30% unless a reported 得分 lies in the tier's range; a missed
deadline 0; each indicator rounded half up to 2 decimals.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from factories import budget_row, indicator_row, make_dataset

import perfkit
from perfkit import api
from perfkit.cli import cli
from perfkit.core.problems import CODES, UsageError
from perfkit.data.demo import write_demo
from perfkit.data.loading import load
from perfkit.data.readers import read_dataset
from perfkit.data.validation import validate
from perfkit.rules.rulebook import RulebookError, load_rulebook
from perfkit.scoring.results import PROJECT_FIELDS, UNIT_FIELDS, to_records
from perfkit.scoring.scores import PROJECT_COLUMNS, UNIT_COLUMNS, score_dataset

MOF = load_rulebook("mof2020")
ROOT = Path(__file__).resolve().parent.parent


def project(unit: str, code: str, name: str = "", **more) -> dict:
    return {"unit_code": unit, "project_code": code, "project_name": name or code, **more}


def in_project(row: dict, code: str) -> dict:
    return {**row, "project_code": code}


def problems_of(tmp_path: Path, files: dict[str, str]) -> list:
    """Validate a CSV folder written from ``files`` (name → text)."""
    folder = tmp_path / "d"
    folder.mkdir()
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return validate(read_dataset(folder), MOF)


UNITS = "单位编码,单位名称\nU1,单位一\nU2,单位二\n"
PROJECTS = "单位编码,项目编码,项目名称\nU1,P1,项目一\nU1,P2,项目二\n"
BUDGET = "年度,单位编码,项目编码,项目,全年预算数,全年执行数\n2022,U1,P1,项目资金,100,90\n"
INDICATORS = (
    "年度,单位编码,项目编码,一级指标,二级指标,三级指标,年度指标值,实际完成值,分值\n"
    "2022,U1,P1,产出指标,数量指标,a,≥10件,10件,90\n"
)
GOALS = "年度,单位编码,项目编码,预期目标,实际完成情况\n2022,U1,P1,目标,完成\n"


def files(**over: str) -> dict[str, str]:
    out = {
        "units.csv": UNITS,
        "projects.csv": PROJECTS,
        "budget.csv": BUDGET,
        "indicators.csv": INDICATORS,
        "goals.csv": GOALS,
    }
    out.update({k.replace("__", "/").replace("_md", ".md") + ("" if "_md" in k else ".csv"): v
                for k, v in over.items()})  # fmt: skip
    return {k: v for k, v in out.items() if v is not None}


# --- the sample ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_scores(sample_dataset):
    return score_dataset(sample_dataset, MOF)


def project_row(scores, unit: str, code: str) -> dict:
    rows = scores.projects[
        (scores.projects["unit_code"] == unit) & (scores.projects["project_code"] == code)
    ]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def project_indicators(scores, unit: str, code: str) -> dict[str, tuple[float, str]]:
    ind = scores.indicators
    rows = ind[(ind["unit_code"] == unit) & (ind["project_code"] == code)]
    return {r.level3: (r.score, r.rule) for r in rows.itertuples()}


# (execution score, indicator score, total, grade) by hand; the indicators in the tests below
SAMPLE_PROJECTS = {
    ("SZ001", "P01"): (9.60, 88.00, 97.60, "优"),
    ("SZ003", "P02"): (7.50, 69.38, 76.88, "中"),
    ("SZ009", "P01"): (3.57, 31.56, 35.13, "差"),
    ("SZ012", "P01"): (5.29, 72.00, 77.29, "中"),
    ("SZ013", "P01"): (9.60, 86.60, 96.20, "优"),
    ("SZ013", "P02"): (7.50, 69.20, 76.70, "中"),
}


@pytest.mark.parametrize("key", list(SAMPLE_PROJECTS))
def test_sample_project_totals(sample_scores, key):
    execution, indicators, total, grade = SAMPLE_PROJECTS[key]
    row = project_row(sample_scores, *key)
    assert row["execution_score"] == pytest.approx(execution, abs=1e-9)
    assert row["indicator_score"] == pytest.approx(indicators, abs=1e-9)
    assert row["total"] == pytest.approx(total, abs=1e-9)
    assert row["grade"] == grade


def test_sample_sz001_p01_by_hand(sample_scores):
    # budget 285.00, executed 273.60: 96% → 9.60
    assert project_indicators(sample_scores, "SZ001", "P01") == {
        "系统运维服务次数": (30.0, "higher_better"),  # 168 ≥ 120 (140%: over target)
        "系统正常运行率": (20.0, "higher_better"),  # 99.5% ≥ 99%
        "故障响应时间": (8.0, "lower_better_ratio"),  # ≤2小时, 2.5: 10 × 2 / 2.5 = 8.00
        "网络安全事故次数": (10.0, "equal_zero"),  # =0次, 0次
        "审判执行效率": (10.0, "qualitative_reported"),  # A, range [8, 10]: reported 10
        "干警满意度": (10.0, "higher_better"),  # 95% ≥ 90%
    }  # 30 + 20 + 8 + 10 + 10 + 10 = 88.00; total 9.60 + 88.00 = 97.60 → 优
    found = sample_scores.findings
    mine = found[(found["unit_code"] == "SZ001") & (found["project_code"] == "P01")]
    assert list(zip(mine["kind"], mine["subject"], strict=True)) == [
        ("under_target", "故障响应时间"),
        ("over_target", "系统运维服务次数"),  # 168 / 120 = 140% ≥ 130%
    ]


def test_sample_sz003_p02_by_hand(sample_scores):
    # budget 88.00, executed 66.00: 75% → 7.50
    assert project_indicators(sample_scores, "SZ003", "P02") == {
        "设备购置数量": (22.5, "higher_better"),  # 30 × 9 / 12 = 22.50
        "设备验收合格率": (20.0, "higher_better"),  # =100%, 100% (= as ≥)
        # 成本指标 "7.5万元" without a comparator is a cap: 10 × 7.5 / 8 = 9.375 → 9.38
        "单台设备平均购置成本": (9.38, "lower_better_ratio"),
        # deadline 2022年10月31日前, done 2022年12月15日: late → 0
        "设备安装完成时间": (0.0, "deadline"),
        # 基本达成 is tier B, range 60–80% of 10 = [6, 8]: the reported 7.5 stands
        "实验室检测能力": (7.5, "qualitative_reported"),
        "使用科室满意度": (10.0, "higher_better"),  # 92% ≥ 90%
    }  # 22.50 + 20 + 9.38 + 0 + 7.50 + 10 = 69.38; total 7.50 + 69.38 = 76.88 → 中


def test_sample_sz009_p01_by_hand(sample_scores):
    # budget 420.00, executed 150.00: 35.714…% → 3.571… → 3.57
    assert project_indicators(sample_scores, "SZ009", "P01") == {
        "监测站建成数": (10.0, "higher_better"),  # 30 × 2 / 6 = 10.00
        "施工安全事故": (0.0, "equal_zero"),  # =0起, 1起 → 0
        "水质预警能力": (6.0, "qualitative_tier"),  # tier C: 20 × 30% = 6.00
        "周边群众满意度": (15.56, "higher_better"),  # 20 × 70 / 90 = 15.555… → 15.56
    }  # 10 + 0 + 6 + 15.56 = 31.56; total 3.57 + 31.56 = 35.13 → 差


def test_sample_sz012_p01_and_sz013_by_hand(sample_scores):
    # SZ012 P01: 58.20 / 110.00 = 52.909…% → 5.29
    assert project_indicators(sample_scores, "SZ012", "P01") == {
        "科普活动场次": (25.0, "higher_better"),  # 40 × 25 / 40 = 25.00
        "活动覆盖学校数": (20.0, "higher_better"),  # 30 ≥ 30
        "青少年科学兴趣": (17.0, "qualitative_reported"),  # A range [16, 20]: reported 17
        "学生满意度": (10.0, "higher_better"),
    }  # 25 + 20 + 17 + 10 = 72.00; total 5.29 + 72.00 = 77.29 → 中
    # SZ013 P01: two budget rows, (380 + 100) / (400 + 100) = 96% → 9.60
    assert project_indicators(sample_scores, "SZ013", "P01") == {
        "修缮古建筑面积": (30.0, "higher_better"),  # 2000 ≥ 2000
        "工程验收合格率": (19.6, "higher_better"),  # 20 × 98 / 100 = 19.60
        "修缮单位造价": (10.0, "lower_better_ratio"),  # 0.24 ≤ 0.25
        "修缮竣工时间": (10.0, "deadline"),  # 2022年11月20日 not later than 2022年11月
        "文物保护效果": (7.0, "qualitative_tier"),  # B: 10 × 70%
        "游客满意度": (10.0, "higher_better"),
    }  # 30 + 19.6 + 10 + 10 + 7 + 10 = 86.60; total 96.20 → 优
    # SZ013 P02: 150 / 200 = 75% → 7.50
    assert project_indicators(sample_scores, "SZ013", "P02") == {
        "数字化文物件数": (25.2, "higher_better"),  # 30 × 420 / 500 = 25.20
        # both cells blank (a deliberate blank_cells warning): the reported 18 is taken
        "三维数据采集精度达标": (18.0, "unverifiable_reported"),
        "线上展示平台建设": (6.0, "qualitative_tier"),  # 未完成 is C: 20 × 30%
        "公众满意度": (20.0, "higher_better"),  # 88% ≥ 85%
    }  # 25.20 + 18 + 6 + 20 = 69.20; total 7.50 + 69.20 = 76.70 → 中


def test_sample_projects_shape(sample_dataset, sample_scores):
    projects = sample_scores.projects
    assert len(projects) == len(sample_dataset.projects) == 29
    assert list(projects.columns) == PROJECT_COLUMNS
    assert set(projects["unit_code"]) == {f"SZ{i:03d}" for i in range(1, 14)}
    # SZ013 has projects only: it is not a row of .units
    assert "SZ013" not in set(sample_scores.units["unit_code"])
    assert len(projects[projects["unit_code"] == "SZ013"]) == 5
    # every project's weights add up to 90
    ind = sample_scores.indicators
    sums = ind[ind["project_code"] != ""].groupby(["unit_code", "project_code"])["weight"].sum()
    assert (sums == 90).all() and len(sums) == 29
    # the data_warning of the blank row is a finding of SZ013 P02
    warn = sample_scores.findings[sample_scores.findings["kind"] == "data_warning"]
    assert list(zip(warn["unit_code"], warn["project_code"], warn["code"], strict=True)) == [
        ("SZ013", "P02", "blank_cells")
    ]
    assert sorted(sample_dataset.project_narratives) == [
        (2022, "SZ001", "P01"),
        (2022, "SZ013", "P01"),
    ]


def test_sample_cross_checks(sample_scores):
    found = sample_scores.findings
    cross = found[found["kind"].isin(["project_low_execution", "project_budget_mismatch"])]
    assert (cross["project_code"] == "").all()  # findings of the unit
    got = [(r.unit_code, r.kind, r.subject, round(r.value, 4)) for r in cross.itertuples()]
    assert got == [
        # 66.00 / 88.00 = 75% < 90% while SZ003 as a whole 95.60% is not
        ("SZ003", "project_low_execution", "实验室设备更新", 0.75),
        ("SZ004", "project_low_execution", "排水设施维修改造", 0.845),  # 253.50 / 300
        ("SZ005", "project_low_execution", "古树名木养护", round(122 / 140, 4)),  # 87.14%
        ("SZ005", "project_low_execution", "绿化技术培训", 0.83),  # 16.60 / 20
        # SZ006's 项目支出 rows 1100 + 75 = 1175.00, its projects 1100 + 70 = 1170.00
        ("SZ006", "project_budget_mismatch", "项目支出预算", 5.0),
    ]
    assert cross["message"].iloc[4] == (
        "本单位项目支出全年预算数合计 1175.00 万元，与所属 2 个项目的全年预算数合计 1170.00 万元"
        "不一致，相差 5.00 万元。"
    )
    assert cross["message"].iloc[0] == (
        "「实验室设备更新」（项目编码 P02）预算执行率为 75.00%，低于 90%，而单位整体预算执行率为 "
        "95.60%，项目执行偏低被单位整体执行情况掩盖。"
    )
    # SZ008 (86%) and SZ009 (52%) are low themselves: their low projects add no cross finding
    assert not {"SZ008", "SZ009", "SZ012"} & set(cross["unit_code"])
    # counted into the unit's n_findings
    units = sample_scores.units.set_index("unit_code")["n_findings"]
    own = found[found["project_code"] == ""].groupby("unit_code").size()
    assert (units == own.reindex(units.index, fill_value=0)).all()


# --- a dataset of project tables only (domain.md §8) ---------------------------------------------


def published_project_table():
    """A 项目支出绩效自评表 as published (domain.md §8), transcribed: 项目名称
    农村饮水安全巩固提升工程, 实施单位 县水务局 (no 部门整体 rows), 项目资金 年度资金总额 =
    当年财政拨款 + 上年结转资金 + 其他资金, indicators 产出 50 (成本 10 within), 效益 30,
    满意度 10."""
    unit = "SW01"
    budget = [
        budget_row(unit, "当年财政拨款", adjusted=200, executed=186, initial=180),
        budget_row(unit, "上年结转资金", adjusted=40, executed=40, initial=0),
        budget_row(unit, "其他资金", adjusted=10, executed=6, initial=10),
    ]
    rows = [
        ("产出指标", "数量指标", "新建供水管网长度", "≥35公里", "36公里", 20, None),
        ("产出指标", "质量指标", "水质达标率", "≥95%", "93%", 15, None),
        ("产出指标", "时效指标", "工程完工时间", "2022年11月底前", "2022年12月10日", 5, None),
        ("成本指标", "经济成本指标", "每公里管网建设成本", "5.5万元", "5.8万元", 10, None),
        ("效益指标", "社会效益指标", "受益人口", "≥1.2万人", "12500人", 15, None),
        ("效益指标", "可持续影响指标", "长效管护机制", "达成年度指标",
         "部分达成年度指标并具有一定效果", 15, 10),
        ("满意度指标", "服务对象满意度指标", "受益群众满意度", "≥90%", "94%", 10, None),
    ]  # fmt: skip
    indicators = [
        indicator_row(unit, l3, t, a, w, reported=r, level1=l1, level2=l2, reason="见说明")
        for l1, l2, l3, t, a, w, r in rows
    ]
    return make_dataset(
        units=[{"unit_code": unit, "unit_name": "某县水务局", "department": "某县人民政府"}],
        budget=[in_project(r, "XM2022001") for r in budget],
        indicators=[in_project(r, "XM2022001") for r in indicators],
        goals=[
            in_project(
                {
                    "year": 2022,
                    "unit_code": unit,
                    "expected": "新建管网35公里",
                    "achieved": "36公里",
                },
                "XM2022001",
            )
        ],
        projects=[project(unit, "XM2022001", "农村饮水安全巩固提升工程", category="基本建设类")],
    )


def test_a_dataset_of_project_tables_only_scores_by_hand():
    ds = published_project_table()
    scores = score_dataset(ds, MOF)
    assert scores.units.empty  # no 部门整体 rows
    row = project_row(scores, "SW01", "XM2022001")
    # 预算执行率 = (186 + 40 + 6) / (200 + 40 + 10) = 232 / 250 = 92.80% → 9.28
    assert row["execution_rate"] == pytest.approx(0.928)
    assert row["execution_score"] == 9.28
    assert project_indicators(scores, "SW01", "XM2022001") == {
        "新建供水管网长度": (20.0, "higher_better"),  # 36 ≥ 35
        "水质达标率": (14.68, "higher_better"),  # 15 × 93 / 95 = 14.684… → 14.68
        "工程完工时间": (0.0, "deadline"),  # 2022年12月10日 after 2022年11月底前 → 0
        "每公里管网建设成本": (9.48, "lower_better_ratio"),  # cost cap: 10 × 5.5 / 5.8 = 9.482…
        "受益人口": (15.0, "higher_better"),  # 12500人 = 1.25万人 ≥ 1.2万人
        "长效管护机制": (10.0, "qualitative_reported"),  # B range [9, 12]: reported 10
        "受益群众满意度": (10.0, "higher_better"),  # 94% ≥ 90%
    }
    # 20 + 14.68 + 0 + 9.48 + 15 + 10 + 10 = 79.16; total 9.28 + 79.16 = 88.44 → 良
    assert row["indicator_score"] == pytest.approx(79.16)
    assert row["total"] == pytest.approx(88.44)
    assert row["grade"] == "良"
    assert row["project_name"] == "农村饮水安全巩固提升工程"
    assert row["unit_name"] == "某县水务局"


def test_a_dataset_of_project_tables_only_validates(tmp_path):
    text = files(
        budget="年度,单位编码,项目编码,项目,全年预算数,全年执行数\n2022,U1,P1,项目资金,100,92\n",
    )
    assert problems_of(tmp_path, text) == []
    folder = tmp_path / "d"
    ds = load(folder)
    assert perfkit.score(ds, 2022, level="project")["total"].tolist() == [99.2]  # 9.20 + 90
    with pytest.raises(UsageError, match="只有项目支出绩效自评（项目编码：P1）"):
        api.unit_detail(ds, 2022, "U1")


# --- validation ----------------------------------------------------------------------------------


def test_unknown_project_code_is_an_error_located(tmp_path):
    text = files(
        budget="年度,单位编码,项目编码,项目,全年预算数,全年执行数\n2022,U1,P9,项目资金,100,90\n"
        "2022,U2,P1,项目资金,100,90\n",
    )
    found = [p for p in problems_of(tmp_path, text) if p.code == "unknown_project_code"]
    assert [(p.file, p.row, p.column, p.value, p.unit_code, p.project_code) for p in found] == [
        ("budget.csv", 2, "项目编码", "P9", "U1", "P9"),
        ("budget.csv", 3, "项目编码", "P1", "U2", "P1"),  # P1 is U1's, not U2's
    ]
    assert str(found[0]) == (
        "budget.csv，第2行，列「项目编码」（单位编码 U1，项目编码 P9）：值“P9”："
        "项目编码在 projects.csv 中不存在（应为单位 U1 的项目之一；"
        "不属于任何项目的行请留空项目编码）。"
    )


def test_rows_with_project_codes_need_the_projects_table(tmp_path):
    found = problems_of(tmp_path, files(projects=None))
    assert {p.code for p in found} == {"unknown_project_code"}
    assert "项目信息表（projects）" in found[0].message


def test_project_codes_follow_the_unit_code_rule(tmp_path):
    text = files(
        projects="单位编码,项目编码,项目名称\nU1,P1,项目一\nU1,con,坏\nU1,P 2,坏\nU1,P1,重复\n"
    )
    found = [(p.code, p.row, p.value) for p in problems_of(tmp_path, text)]
    assert ("reserved_project_code", 3, "con") in found
    assert ("bad_project_code", 4, "P 2") in found
    assert ("duplicate", 5, "P1") in found
    assert all(c in CODES for c, _, _ in found)


def test_indicators_are_unique_per_project(tmp_path):
    # the same 三级指标 in the unit's table and in a project's is fine; twice in one project is not
    text = files(
        indicators=INDICATORS + "2022,U1,P1,产出指标,数量指标,a,≥10件,10件,90\n",
    )
    found = [(p.code, p.row, p.project_code) for p in problems_of(tmp_path, text)]
    assert ("duplicate", 3, "P1") in found


def test_checks_per_project(tmp_path):
    text = files(
        budget="年度,单位编码,项目编码,项目,全年预算数,全年执行数\n"
        "2022,U1,P1,项目资金,100,90\n2022,U1,P2,项目资金,0,0\n2022,U1,,人员经费,50,50\n",
        indicators=(
            "年度,单位编码,项目编码,一级指标,二级指标,三级指标,年度指标值,实际完成值,分值\n"
            "2022,U1,P1,产出指标,数量指标,a,≥10件,10件,100\n"
            "2022,U1,P2,产出指标,数量指标,a,≥10件,10件,90\n"
            "2022,U2,,产出指标,数量指标,a,,10件,90\n"
        ),
    )
    found = {(p.code, p.unit_code, p.project_code): p for p in problems_of(tmp_path, text)}
    weights = found["weights_total", "U1", "P1"]
    assert weights.is_warning and weights.year == 2022 and weights.value == "100"
    assert weights.message.startswith("2022 年度项目 P1 全部指标的分值合计为 100 分")
    assert not found["zero_budget", "U1", "P2"].is_warning
    # the unit's own budget rows (no 项目编码) have no indicators of the unit's own
    missing = found["unit_year_without_indicators", "U1", None]
    assert missing.message == (
        "该单位 2022 年度有预算执行数据，但 indicators.csv 中没有该单位该年度的绩效指标"
        "（未填项目编码的行）。"
    )
    assert ("unit_year_without_budget", "U2", None) in found
    blank = found["blank_cells", "U2", None]
    assert blank.is_warning


def test_a_project_without_indicators(tmp_path):
    text = files(
        budget=BUDGET + "2022,U1,P2,项目资金,10,9\n",
    )
    found = [p for p in problems_of(tmp_path, text) if p.code == "unit_year_without_indicators"]
    assert [(p.row, p.column, p.value, p.project_code) for p in found] == [
        (3, "项目编码", "P2", "P2")
    ]
    assert found[0].message == (
        "项目 P2 2022 年度有预算执行数据，但 indicators.csv 中没有该项目该年度的绩效指标"
        "（项目编码为 P2 的行）。"
    )


def test_project_narratives(tmp_path):
    text = files(
        **{
            "narratives__2022__U1__P1_md": "## 存在问题\n\n无。\n",
            "narratives__2022__U1__P7_md": "x",
            "narratives__2022__U1__con_md": "x",
            "narratives__2022__U1__a__b_md": "x",
        }
    )
    found = sorted((p.code, p.file) for p in problems_of(tmp_path, text))
    assert found == [
        ("narrative_misplaced", "narratives/2022/U1/a/b.md"),
        ("narrative_reserved_project_code", "narratives/2022/U1/con.md"),
        ("narrative_unknown_project_code", "narratives/2022/U1/P7.md"),
    ]
    ok = files(narratives__2022__U1__P1_md="## 存在问题\n\n无。\n")
    folder = tmp_path / "ok"
    folder.mkdir()
    for name, body in ok.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body, encoding="utf-8")
    ds = load(folder)
    assert ds.narratives == {}
    assert ds.project_narratives[2022, "U1", "P1"].problems == "无。"
    assert api.project_detail(ds, 2022, "U1", "P1").narrative.problems == "无。"


def test_validate_json_carries_the_project_code(tmp_path):
    text = files(budget=BUDGET + "2022,U1,P9,项目资金,1,1\n")
    folder = tmp_path / "d"
    folder.mkdir()
    for name, body in text.items():
        (folder / name).write_text(body, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(folder), "--format", "json"])
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    unknown = [o for o in out if o["code"] == "unknown_project_code"]
    assert unknown[0]["project_code"] == "P9" and unknown[0]["unit_code"] == "U1"


# --- scoring -------------------------------------------------------------------------------------


def two_tables(project_budget: float = 40, project_executed: float = 30, unit_rate: float = 0.95):
    """U1: 部门整体 rows (基本支出 60, 项目支出 40) and project P1 (its own budget)."""
    return make_dataset(
        budget=[
            budget_row("U1", "人员经费", adjusted=60, executed=60 * unit_rate),
            budget_row(
                "U1", "项目资金", adjusted=40, executed=40 * unit_rate, expense_type="项目支出"
            ),
            in_project(
                budget_row(
                    "U1",
                    "项目资金",
                    adjusted=project_budget,
                    executed=project_executed,
                    expense_type="项目支出",
                ),
                "P1",
            ),
        ],
        indicators=[
            indicator_row("U1", "a", "≥10件", "10件", 90),
            in_project(indicator_row("U1", "a", "≥10件", "8件", 90, reason="x"), "P1"),
        ],
        projects=[project("U1", "P1", "项目一")],
    )


def test_project_rows_do_not_change_the_units_score():
    ds = two_tables()
    scores = score_dataset(ds, MOF)
    unit = scores.units.iloc[0]
    assert list(scores.units.columns) == UNIT_COLUMNS
    # unit: (57 + 38) / 100 = 95% → 9.50 + 90 = 99.50
    assert (unit["total"], unit["adjusted_budget"]) == (99.5, 100.0)
    # project: 30 / 40 = 75% → 7.50; 90 × 8 / 10 = 72.00; total 79.50
    p = scores.projects.iloc[0]
    assert (p["project_code"], p["project_name"], p["total"], p["grade"]) == (
        "P1", "项目一", 79.5, "中",
    )  # fmt: skip
    assert set(scores.budget_items["project_code"]) == {"", "P1"}
    d = api.unit_detail(ds, 2022, "U1")
    assert (d.indicators["project_code"] == "").all() and len(d.budget) == 2
    assert (d.findings["project_code"] == "").all()


@pytest.mark.parametrize(
    ("project_budget", "mismatch"),
    [(40.0, False), (39.99, False), (40.01, False), (39.98, True), (40.02, True)],
)
def test_budget_mismatch_boundary(project_budget, mismatch):
    # the unit's 项目支出 40 against the project's: a difference of exactly 0.01 万元 is none
    found = score_dataset(two_tables(project_budget, 30), MOF).findings
    got = found[found["kind"] == "project_budget_mismatch"]
    assert len(got) == int(mismatch)
    if mismatch:
        assert got["value"].iloc[0] == pytest.approx(40 - project_budget)


@pytest.mark.parametrize(
    ("executed", "unit_rate", "expected"),
    [
        (36, 0.95, False),  # the project at exactly 90% is not low
        (35.96, 0.95, True),  # 89.9%
        (30, 0.90, True),  # the unit at exactly 90% is not low: its 75% project is hidden
        (30, 0.89, False),  # the unit is low itself: its own low_execution says it
    ],
)
def test_project_low_execution_boundaries(executed, unit_rate, expected):
    found = score_dataset(two_tables(40, executed, unit_rate), MOF).findings
    got = found[found["kind"] == "project_low_execution"]
    assert len(got) == int(expected)
    assert (got["project_code"] == "").all()


def test_warnings_of_a_project_are_its_findings(tmp_path):
    text = files(
        indicators=INDICATORS.replace(",90\n", ",80\n"),
    )
    folder = tmp_path / "d"
    folder.mkdir()
    for name, body in text.items():
        (folder / name).write_text(body, encoding="utf-8")
    ds = load(folder)
    found = score_dataset(ds, MOF).findings
    assert list(zip(found["project_code"], found["kind"], found["code"], strict=True)) == [
        ("P1", "data_warning", "weights_total")
    ]
    # 80 of 80 met, rescaled to 90; execution 9.00
    assert score_dataset(ds, MOF).projects["total"].tolist() == [99.0]


def test_a_rulebooks_project_section(tmp_path):
    rules = tmp_path / "proj.toml"
    rules.write_text(
        'extends = "mof2020"\n[project.execution]\nweight = 20\n'
        "[project.indicators]\ntotal = 80\n[project.findings]\nlow_execution = 0.8\n",
        "utf-8",
    )
    book = load_rulebook(rules)
    assert book.execution_weight == 10 and book.for_projects().execution_weight == 20
    assert book.for_projects().indicator_total == 80 and book.for_projects().low_execution == 0.8
    assert MOF.for_projects() is MOF
    ds = make_dataset(
        budget=[in_project(budget_row("U1", "项目资金", adjusted=100, executed=85), "P1")],
        indicators=[in_project(indicator_row("U1", "a", "≥10件", "10件", 80), "P1")],
        projects=[project("U1", "P1")],
    )
    scores = score_dataset(ds, book)
    # 85% × 20 = 17.00; 80 of 80; total 97.00. 85% is not below the projects' 80%
    assert scores.projects["total"].tolist() == [97.0]
    assert "low_execution" not in set(scores.findings["kind"])
    d = api.project_detail(ds, 2022, "U1", "P1", rules=book)
    assert d.rulebook.execution_weight == 20


def test_a_projects_weights_are_checked_against_the_project_rulebooks_total(tmp_path):
    """[project.indicators] total = 80: a project's weights of 80 add up, 90 do not (the unit's
    table keeps the rulebook's 90)."""
    rules = tmp_path / "proj.toml"
    rules.write_text(
        'extends = "mof2020"\n[project.execution]\nweight = 20\n[project.indicators]\ntotal = 80\n',
        "utf-8",
    )
    book = load_rulebook(rules)
    folder = tmp_path / "d"
    folder.mkdir()
    files = {
        "units.csv": UNITS,
        "projects.csv": PROJECTS,
        "budget.csv": "年度,单位编码,项目编码,项目,全年预算数,全年执行数\n"
        "2022,U1,,基本支出,100,90\n2022,U1,P1,项目一,50,50\n2022,U1,P2,项目二,50,50\n",
        "indicators.csv": "年度,单位编码,项目编码,一级指标,二级指标,三级指标,年度指标值,"
        "实际完成值,分值\n"
        "2022,U1,,产出指标,数量指标,a,≥1件,1件,90\n"
        "2022,U1,P1,产出指标,数量指标,b,≥1件,1件,80\n"
        "2022,U1,P2,产出指标,数量指标,c,≥1件,1件,90\n",
        "goals.csv": "年度,单位编码,项目编码,预期目标,实际完成情况\n2022,U1,,x,y\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    found = [(p.code, p.project_code) for p in validate(read_dataset(folder), book)]
    assert found == [("weights_total", "P2")]


def test_a_bad_project_section_names_its_keys(tmp_path):
    rules = tmp_path / "bad.toml"
    rules.write_text(
        'extends = "mof2020"\n[project]\nqualitative = 1\n[project.execution]\nweight = 20\n',
        "utf-8",
    )
    with pytest.raises(RulebookError) as err:
        load_rulebook(rules)
    keys = {(p.column, p.code) for p in err.value.problems}
    assert ("project.qualitative", "rulebook_bad_value") in keys
    assert ("project.execution.weight", "rulebook_inconsistent") in keys  # 20 + 90 ≠ 100


# --- API and CLI ---------------------------------------------------------------------------------


def test_score_level_project(sample_dataset):
    rows = perfkit.score(sample_dataset, 2022, level="project")
    assert list(rows.columns) == PROJECT_COLUMNS and len(rows) == 29
    assert len(perfkit.score(sample_dataset, 2022, unit="SZ013", level="project")) == 5
    with pytest.raises(UsageError, match="level 应为 unit 或 project"):
        perfkit.score(sample_dataset, 2022, level="units")
    with pytest.raises(UsageError, match="所选年度和单位没有单位数据"):
        perfkit.score(sample_dataset, 2022, unit="SZ013")


def test_project_detail(sample_dataset):
    d = perfkit.project_detail(sample_dataset, 2022, "SZ001", "P01")
    assert repr(d) == (
        "<ProjectDetail SZ001/P01 智慧法院信息化运维 2022年度: 总分 97.6 优, 6 个指标, 2 个问题>"
    )
    assert d.summary["total"] == 97.6 and d.summary["department"] == "苏州市中级人民法院"
    assert d.summary["category"] == "信息化建设类"
    assert d.project["project_name"] == "智慧法院信息化运维"
    assert (d.indicators["project_code"] == "P01").all() and len(d.budget) == 1
    assert d.budget_items["item"].tolist() == ["智慧法院信息化运维"]
    assert len(d.goals) == 1 and d.narrative is not None
    assert "三级指标" in d.table("indicators").columns
    with pytest.raises(UsageError, match="可选"):
        d.table("monthly")


def test_project_detail_names_what_is_valid(sample_dataset):
    with pytest.raises(UsageError) as err:
        perfkit.project_detail(sample_dataset, 2022, "SZ013", "P9")
    assert str(err.value) == (
        "单位“苏州市文物保护修缮中心”（SZ013）没有项目编码为“P9”的项目；"
        "可选项目编码：P01、P02、P03、P04、P05。"
    )
    with pytest.raises(UsageError, match="可选单位编码：SZ001"):
        perfkit.project_detail(sample_dataset, 2022, "SZ999", "P01")
    with pytest.raises(UsageError, match="没有 2021 年度的数据；该项目的数据年度：2022。"):
        perfkit.project_detail(sample_dataset, 2021, "SZ013", "P01")


def test_overview_keeps_the_units_findings_apart(sample_dataset):
    ov = api.overview(sample_dataset, 2022)
    assert (ov.findings["project_code"] == "").all()
    assert len(ov.projects) == 29 and (ov.project_findings["project_code"] != "").all()


def test_cli_score_level_project(sample_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["score", str(sample_path), "--level", "project", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out) == 29
    unit_keys = [*UNIT_FIELDS, "rulebook", "indicators", "findings"]
    assert list(out[0]) == [*PROJECT_FIELDS, "rulebook", "indicators", "findings"]
    assert set(out[0]) == {*unit_keys, "project_code", "project_name"}
    first = out[0]
    assert (first["unit_code"], first["project_code"], first["total"]) == ("SZ001", "P01", 97.6)
    assert len(first["indicators"]) == 6 and len(first["findings"]) == 2
    res = runner.invoke(cli, ["score", str(sample_path), "--level", "project", "--format", "csv"])
    header = res.stdout.splitlines()[0].split(",")
    assert header[:4] == ["单位编码", "单位名称", "项目编码", "项目名称"]
    res = runner.invoke(cli, ["score", str(sample_path), "--format", "json"])
    units = json.loads(res.stdout)
    assert len(units) == 12 and list(units[0])[:3] == ["unit_code", "unit_name", "year"]
    # a unit's record holds its own indicators only
    assert len(units[0]["indicators"]) == 12


def test_records_by_level(sample_dataset):
    scores = score_dataset(sample_dataset, MOF)
    assert len(to_records(scores, "project")) == 29


# --- demo-data -----------------------------------------------------------------------------------


def test_demo_projects_per_unit(tmp_path):
    write_demo(tmp_path / "a", units=4, seed=2, indicators_per_unit=9, projects_per_unit=3)
    write_demo(tmp_path / "b", units=4, seed=2, indicators_per_unit=9, projects_per_unit=3)
    write_demo(tmp_path / "c", units=4, seed=2, indicators_per_unit=9)
    for name in ("projects.csv", "budget.csv", "indicators.csv", "goals.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    ds = load(tmp_path / "a")
    assert ds.warnings == [] and len(ds.projects) == 12
    scores = score_dataset(ds, MOF)
    assert len(scores.projects) == 12
    # the units' own tables are the same with or without projects
    plain = score_dataset(load(tmp_path / "c"), MOF).units
    cols = ["unit_code", "total", "execution_rate"]
    pd.testing.assert_frame_equal(scores.units[cols], plain[cols])
    res = CliRunner().invoke(
        cli, ["demo-data", str(tmp_path / "d"), "--units", "2", "--projects-per-unit", "2"]
    )
    assert res.exit_code == 0 and "每个单位 2 个项目" in res.output
    assert len(load(tmp_path / "d").projects) == 4


def test_export_round_trip_keeps_projects(sample_dataset, tmp_path):
    from perfkit.data.writers import write_dataset

    out = write_dataset(sample_dataset, tmp_path / "data.xlsx")
    back = load(out)
    a = score_dataset(sample_dataset, MOF).projects
    b = score_dataset(back, MOF).projects
    pd.testing.assert_frame_equal(a, b)
    assert sorted(back.project_narratives) == sorted(sample_dataset.project_narratives)
    assert ROOT.joinpath("data", "sample", "projects.csv").is_file()
