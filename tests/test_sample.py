"""The sample dataset data/sample: its shape, and its scores checked against arithmetic by hand.

Every expected number below was worked out by hand from the CSV files under the default
rulebook mof2020 (财预〔2020〕10号), with the arithmetic in the comments, and is also printed in
data/sample/README.md so that a user can check it. The rules, as the sample's README states them:

- execution score = min(Σ全年执行数 / Σ全年预算数, 1) × 10;
- ≥ and bare numbers: the full weight when actual ≥ target, else weight × actual / target;
- ≤: the full weight when actual ≤ target, else weight × target / actual (0 when target is 0);
- =0: the full weight only when actual is 0, else 0; = another number: as ≥;
- qualitative: tier A 100%, B 70%, C 30% of the weight, unless a reported 得分 lies within the
  tier's range (A 80–100%, B 60–80%, C 0–60% of the weight): then it stands;
- each indicator score rounded to 2 decimals; total = execution score + indicator scores;
  grade 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from perfkit.data.contract import NARRATIVE_SECTIONS, TABLES, UNIT_CODE_PATTERN
from perfkit.data.dataset import Dataset
from perfkit.scoring.scores import Scores, score_dataset

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"

# (execution rate, execution score, indicator score, total, grade) per unit, by hand.
# Σ全年执行数 / Σ全年预算数 of budget.csv; indicator sums are worked out per indicator in
# data/sample/README.md and, for SZ001, SZ005 and SZ009, in the tests below.
EXPECTED_UNITS = {
    "SZ001": (0.96, 9.60, 90.00, 99.60, "优"),  # 768.00 / 800.00; 9.60 + 90.00
    "SZ002": (0.99, 9.90, 87.00, 96.90, "优"),  # 990.00 / 1000.00; 83 + B 7.00
    "SZ003": (0.956, 9.56, 79.28, 88.84, "良"),  # 1529.60 / 1600.00; 9.56 + 79.28
    "SZ004": (0.96, 9.60, 72.39, 81.99, "良"),  # 4320.00 / 4500.00; 9.60 + 72.39
    "SZ005": (0.93, 9.30, 69.45, 78.75, "中"),  # 372.00 / 400.00; 9.30 + 69.45
    "SZ006": (0.984, 9.84, 89.50, 99.34, "优"),  # 1574.40 / 1600.00; 9.84 + 89.50
    "SZ007": (0.942, 9.42, 79.38, 88.80, "良"),  # 659.40 / 700.00; 9.42 + 79.38
    "SZ008": (0.86, 8.60, 68.89, 77.49, "中"),  # 860.00 / 1000.00; 8.60 + 68.89
    "SZ009": (0.52, 5.20, 51.59, 56.79, "差"),  # 364.00 / 700.00; 5.20 + 51.59
    "SZ010": (0.985, 9.85, 90.00, 99.85, "优"),  # 344.75 / 350.00; 9.85 + 90.00
    "SZ011": (0.972, 9.72, 77.50, 87.22, "良"),  # 972.00 / 1000.00; 9.72 + 77.50
    "SZ012": (0.679, 6.79, 52.93, 59.72, "差"),  # 190.12 / 280.00; 6.79 + 52.93
}


def read_csv(name: str) -> list[dict[str, str]]:
    """A sample table as written (BOM and CRLF handled by the csv module), without perfkit."""
    with open(SAMPLE / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def unit_rows(name: str) -> list[dict[str, str]]:
    """The rows of the units' 部门整体 tables: those without a 项目编码 (the projects' rows are
    checked in tests/test_projects.py)."""
    return [r for r in read_csv(name) if not r.get("项目编码")]


# --- the files themselves (no scoring needed) ---------------------------------------------


def test_files_use_the_contracts_chinese_headers_and_excel_utf8():
    for table in TABLES:
        data = (SAMPLE / table.filename).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), f"{table.filename}: Excel 'CSV UTF-8' has a BOM"
        header = data[3:].split(b"\r\n", 1)[0].decode("utf-8").split(",")
        expected = [c.zh for c in table.columns if c.required or c.zh in header]
        assert header == expected, table.filename


def test_dataset_toml_says_fictional():
    meta = tomllib.loads((SAMPLE / "dataset.toml").read_text(encoding="utf-8"))
    assert meta == {"name": "苏州市市级部门整体支出绩效自评示例数据（虚构）", "fictional": True}
    assert "虚构" in (SAMPLE / "README.md").read_text(encoding="utf-8")


def test_units_and_the_seed_unit():
    units = read_csv("units.csv")
    codes = [u["单位编码"] for u in units]
    # 12 units with a 部门整体 table, and SZ013 with projects only (issue 11)
    assert len(codes) == 13 and len(set(codes)) == 13
    assert all(re.fullmatch(UNIT_CODE_PATTERN, c) for c in codes)
    seed = next(u for u in units if u["单位编码"] == "SZ001")
    assert seed["单位名称"] == "苏州市智慧审判保障中心"
    assert seed["主管部门"] == "苏州市中级人民法院"
    assert seed["内设机构"] == "综合处、保障处"
    assert seed["下属单位"] == "无下属单位"
    assert any(u["下属单位"] != "无下属单位" for u in units)


def test_weights_add_up_to_90_per_unit():
    weights: dict[str, Decimal] = defaultdict(Decimal)
    for row in unit_rows("indicators.csv"):
        weights[row["单位编码"]] += Decimal(row["分值"])
    assert weights == {code: Decimal(90) for code in EXPECTED_UNITS}


def test_goals_two_to_four_per_unit():
    per_unit = Counter(row["单位编码"] for row in unit_rows("goals.csv"))
    assert set(per_unit) == set(EXPECTED_UNITS)
    assert all(2 <= n <= 4 for n in per_unit.values())


def test_budget_amounts_and_variety():
    rows = read_csv("budget.csv")
    for row in rows:
        for col in ("年初预算数", "全年预算数", "全年执行数"):
            assert re.fullmatch(r"\d+\.\d{2}", row[col]), (row["项目"], col, row[col])
    assert {r["资金来源"] for r in rows} == {"财政拨款", "上年结转", "其他资金"}
    assert {r["支出类型"] for r in rows} == {"基本支出", "项目支出"}
    assert {"人员经费", "公用经费", "党团经费"} <= {r["项目"] for r in rows}
    adjusted = [r for r in rows if r["年初预算数"] != r["全年预算数"]]
    assert len({r["单位编码"] for r in adjusted}) >= 4
    # items are unique per unit, so monthly rows can name them (a project's rows repeat the
    # name of the unit's 项目支出 row that funds it)
    own = [r for r in rows if not r["项目编码"]]
    assert len({(r["单位编码"], r["项目"]) for r in own}) == len(own)


def test_monthly_rows_add_up_to_the_years_execution():
    executed = {
        (r["单位编码"], r["项目"]): Decimal(r["全年执行数"]) for r in unit_rows("budget.csv")
    }
    months: dict[tuple[str, str], list[int]] = defaultdict(list)
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in read_csv("monthly.csv"):
        key = (r["单位编码"], r["项目"])
        months[key].append(int(r["月份"]))
        sums[key] += Decimal(r["当月执行数"])
    assert {u for u, _ in months} == {"SZ001", "SZ002", "SZ008", "SZ010"}
    for key, ms in months.items():
        assert sorted(ms) == list(range(1, 13)), key
        assert sums[key] == executed[key], key
    # every budget item of those units has monthly rows, so unit totals are complete
    for unit, item in executed:
        if unit in {"SZ001", "SZ002", "SZ008", "SZ010"}:
            assert (unit, item) in months


def test_narratives_have_the_four_sections():
    files = sorted((SAMPLE / "narratives" / "2022").glob("*.md"))
    assert [f.stem for f in files] == ["SZ001", "SZ002", "SZ008", "SZ009"]
    expected = ["绩效实现情况", "存在问题", "改进措施", "绩效自评结果拟应用和公开情况"]
    for f in files:
        headings = re.findall(r"^## (.+)$", f.read_text(encoding="utf-8"), flags=re.M)
        assert headings == expected, f.name
        for heading, section in zip(headings, NARRATIVE_SECTIONS.values(), strict=True):
            assert heading in section
    seed = (SAMPLE / "narratives" / "2022" / "SZ001.md").read_text(encoding="utf-8")
    for fact in ("230 余件", "170 余件", "苏周到", "党团经费", "公用经费"):
        assert fact in seed


def test_every_notation_form_is_written_somewhere():
    cells = [r[c] for r in read_csv("indicators.csv") for c in ("年度指标值", "实际完成值")]
    text = "\n".join(cells)
    for form in ("≥", "≤", "=", "≧", "≦", "％", "不低于", "不少于", "不超过", "不高于", "以上",
                 "以内", "余", "多", "约", "左右"):  # fmt: skip
        assert form in text, form
    assert "12000人次" in cells  # a bare number
    assert "≤0起" in cells and "=0次" in cells and "=100%" in cells


def test_readme_table_matches_the_expected_results():
    """The table a user checks by hand in the README says what these tests assert."""
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| (SZ\d{3}) \| [\d.]+ \| [\d.]+ \| ([\d.]+)% "
        r"\| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| (.) \|$",
        readme,
        flags=re.M,
    )
    table = {
        code: (float(rate) / 100, float(ex), float(ind), float(total), grade)
        for code, rate, ex, ind, total, grade in rows
    }
    assert table.keys() == EXPECTED_UNITS.keys()
    for code, (rate, ex, ind, total, grade) in EXPECTED_UNITS.items():
        assert table[code][:4] == pytest.approx((rate, ex, ind, total), abs=1e-9)
        assert table[code][4] == grade


# --- scores (needs perfkit.load and perfkit.scoring.scores) -------------------------------------


@pytest.fixture(scope="module")
def dataset(sample_dataset) -> Dataset:
    return sample_dataset  # tests/conftest.py: loaded once per session


@pytest.fixture(scope="module")
def scores(dataset, mof2020) -> Scores:
    return score_dataset(dataset, mof2020)


def test_loads_as_fictional_with_four_narratives(dataset):
    assert dataset.fictional
    assert sorted(dataset.narratives) == [(2022, c) for c in ("SZ001", "SZ002", "SZ008", "SZ009")]
    for narrative in dataset.narratives.values():
        assert narrative.achievements and narrative.problems
        assert narrative.measures and narrative.disclosure
        assert not narrative.preamble
    assert "党团经费、公用经费" in dataset.narratives[2022, "SZ001"].problems


def unit_findings(scores: Scores):
    """The findings of the units' 部门整体 tables (project_code ""); the projects' are in
    tests/test_projects.py."""
    return scores.findings[scores.findings["project_code"] == ""]


def unit_row(scores: Scores, code: str) -> dict:
    rows = scores.units[scores.units["unit_code"] == code]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def indicator_scores(scores: Scores, code: str) -> dict[str, tuple[float, str]]:
    ind = scores.indicators
    rows = ind[(ind["unit_code"] == code) & (ind["project_code"] == "")]
    return {r.level3: (r.score, r.rule) for r in rows.itertuples()}


def assert_indicators(scores: Scores, code: str, expected: dict[str, tuple[float, str]]):
    got = indicator_scores(scores, code)
    assert got.keys() == expected.keys()
    for name, (score, rule) in expected.items():
        assert got[name][0] == pytest.approx(score, abs=1e-9), name
        assert got[name][1] == rule, name
    total = sum(score for score, _ in expected.values())
    assert unit_row(scores, code)["indicator_score"] == pytest.approx(total, abs=1e-9)


def assert_unit(scores: Scores, code: str):
    rate, execution, indicators, total, grade = EXPECTED_UNITS[code]
    row = unit_row(scores, code)
    assert row["execution_rate"] == pytest.approx(rate, abs=1e-12)
    assert row["execution_score"] == pytest.approx(execution, abs=1e-9)
    assert row["indicator_score"] == pytest.approx(indicators, abs=1e-9)
    assert row["total"] == pytest.approx(total, abs=1e-9)
    assert row["grade"] == grade


def test_seed_unit_sz001_by_hand(scores):
    # Budget: Σ全年预算数 = 436.50 + 48.00 + 2.40 + 285.00 + 28.10 = 800.00
    #         Σ全年执行数 = 433.90 + 33.60 + 1.08 + 273.60 + 25.82 = 768.00
    # 执行率 = 768.00 / 800.00 = 0.96 → execution score = 0.96 × 10 = 9.60
    assert_indicators(
        scores,
        "SZ001",
        {
            # ≥150件, actual 230余件 (value 230, approximate): 230 ≥ 150 → full 10
            "独立配合法官办结案件数": (10.0, "higher_better"),
            "卷宗整理归档数": (8.0, "higher_better"),  # 170 ≥ 150 → 8
            "外出调查次数": (5.0, "higher_better"),  # 10 ≥ 10 → 5
            "干警健康体检服务人次": (7.0, "higher_better"),  # 150 ≥ 120 → 7
            "迎接卫生监督等部门检查次数": (5.0, "higher_better"),  # 5 ≥ 5 → 5
            "检查合格率": (5.0, "higher_better"),  # =100% is scored as ≥: 100 ≥ 100 → 5
            "大要案医疗保障服务次数": (5.0, "higher_better"),  # 2 ≥ 2 → 5
            "网络安全事故次数": (5.0, "equal_zero"),  # =0次, actual 0次 → 5
            # qualitative A, reported 10 = 100% of 10, inside A's 80–100% → 10 stands
            "“苏州智慧法院”APP功能接入“苏周到”": (10.0, "qualitative_reported"),
            "审判质效指标": (10.0, "qualitative_reported"),
            "信息化系统运行": (10.0, "qualitative_reported"),
            "服务对象满意度": (10.0, "higher_better"),  # 96% ≥ 90% → 10
        },
    )
    # indicators 10+8+5+7+5+5+5+5+10+10+10+10 = 90.00; total 9.60 + 90.00 = 99.60 → 优
    assert_unit(scores, "SZ001")


def test_seed_units_two_problems(scores):
    found = unit_findings(scores)
    found = found[found["unit_code"] == "SZ001"]
    # problem 1 of the seed: a target set too low. 230 / 150 = 153.33% ≥ 130%
    over = found[found["kind"] == "over_target"]
    assert list(over["subject"]) == ["独立配合法官办结案件数"]
    assert over["value"].iloc[0] == pytest.approx(230 / 150)
    # problem 2: low execution of 党团经费 (1.08 / 2.40 = 45%) and 公用经费 (33.60 / 48.00 = 70%);
    # the other items are above 90%: 433.90/436.50 = 99.4%, 273.60/285.00 = 96%,
    # 25.82/28.10 = 91.9%, and the unit as a whole 96%
    low = found[found["kind"] == "low_execution"].set_index("subject")["value"]
    assert low.to_dict() == pytest.approx({"公用经费": 0.70, "党团经费": 0.45})


def test_poor_unit_sz009_by_hand(scores):
    # Budget: Σ全年预算数 = 180.00 + 24.00 + 420.00 + 76.00 = 700.00
    #         Σ全年执行数 = 176.00 + 18.00 + 150.00 + 20.00 = 364.00
    # 执行率 = 364 / 700 = 0.52 (below 60%) → execution score 5.20
    assert_indicators(
        scores,
        "SZ009",
        {
            "水质自动监测站建成数": (5.0, "higher_better"),  # 15 × 2 / 6 = 5.00
            "水质监测断面数": (8.0, "higher_better"),  # 10 × 96 / 120 = 8.00
            "监测数据有效率": (9.26, "higher_better"),  # 10 × 88 / 95 = 9.263… → 9.26
            "监测报告报送时限": (6.0, "lower_better_ratio"),  # ≤3天, 5天: 10 × 3 / 5 = 6.00
            "监测数据质量事故": (0.0, "equal_zero"),  # =0起, actual 2起 → 0
            "河湖水质改善": (4.5, "qualitative_tier"),  # tier C: 15 × 30% = 4.50
            "监测网络长效运行机制": (10.5, "qualitative_tier"),  # tier B: 15 × 70% = 10.50
            "服务对象满意度": (8.33, "higher_better"),  # 10 × 75 / 90 = 8.333… → 8.33
        },
    )
    # 5.00 + 8.00 + 9.26 + 6.00 + 0 + 4.50 + 10.50 + 8.33 = 51.59; total 5.20 + 51.59 = 56.79 → 差
    assert_unit(scores, "SZ009")


def test_qualitative_reported_and_reverse_unit_sz005_by_hand(scores):
    # Budget: Σ全年预算数 = 210.00 + 30.00 + 140.00 + 20.00 = 400.00
    #         Σ全年执行数 = 205.80 + 27.60 + 122.00 + 16.60 = 372.00
    # 执行率 = 372 / 400 = 0.93 → execution score 9.30
    assert_indicators(
        scores,
        "SZ005",
        {
            "古树名木巡查养护次数": (7.5, "higher_better"),  # 10 × 18 / 24 = 7.50
            "绿化技术培训期数": (7.5, "higher_better"),  # 10 × 6 / 8 = 7.50
            "养护质量抽检合格率": (8.95, "higher_better"),  # 10 × 85 / 95 = 8.947… → 8.95
            # reverse: ≤48小时, actual 60小时 → 10 × 48 / 60 = 8.00
            "病虫害处置时限": (8.0, "lower_better_ratio"),
            "古树名木养护成本": (10.0, "lower_better_ratio"),  # ≤140万元, 122万元 → met, 10
            # tier B, reported 6.50: B's range is 60–80% of 10 = 6–8 → 6.50 stands
            "城市绿化景观": (6.5, "qualitative_reported"),
            # tier C, reported 8: C's range is 0–60% of 10 = 0–6 → outside; default 10 × 30% = 3.00
            "古树名木保护宣传": (3.0, "qualitative_tier"),
            # tier A (actual = target text), reported 9: A's range 8–10 → 9 stands
            "养护技术标准化": (9.0, "qualitative_reported"),
            "服务对象满意度": (9.0, "higher_better"),  # 10 × 81 / 90 = 9.00
        },
    )
    # 7.50 + 7.50 + 8.95 + 8.00 + 10 + 6.50 + 3.00 + 9.00 + 9.00 = 69.45
    # total 9.30 + 69.45 = 78.75 → 中
    assert_unit(scores, "SZ005")


@pytest.mark.parametrize("code", sorted(EXPECTED_UNITS))
def test_every_unit_total_and_grade(scores, code):
    assert_unit(scores, code)


def test_every_grade_occurs(scores):
    grades = Counter(scores.units["grade"])
    assert grades == {"优": 4, "良": 4, "中": 2, "差": 2}
    poor = scores.units[scores.units["grade"] == "差"]
    assert (poor["execution_rate"] < 0.6).any()


def test_the_remaining_rule_branches(scores):
    ind = scores.indicators.set_index(["unit_code", "level3"])

    def score(code: str, name: str) -> tuple[float, str, str]:
        row = ind.loc[(code, name)]
        return round(float(row["score"]), 2), row["rule"], row["tier"]

    # ≤ with target 0 and actual 2起 → 0 (no ratio is defined)
    assert score("SZ011", "执法案件差错数") == (0.0, "lower_better_ratio", "")
    # =0起, actual 1起 → 0; =0起, actual 0起 → full 15
    assert score("SZ004", "因设施原因发生的道路安全事故") == (0.0, "equal_zero", "")
    assert score("SZ011", "重大道路运输安全事故") == (15.0, "equal_zero", "")
    # =100%, actual 96% → as ≥: 10 × 96 / 100 = 9.60
    assert score("SZ004", "市民投诉办结率") == (9.6, "higher_better", "")
    # bare numbers count as ≥: 12000人次 → 12650 met, 15; 60个 → 57: 10 × 57 / 60 = 9.50
    assert score("SZ006", "职业技能培训人次") == (15.0, "higher_better", "")
    assert score("SZ006", "创业孵化项目数") == (9.5, "higher_better", "")
    # full-width: ≦3％, actual 3.6％ → 15 × 3 / 3.6 = 12.50; ≧12000件, 10800件 → 15 × 0.9 = 13.50
    assert score("SZ003", "疫情报告漏报率") == (12.5, "lower_better_ratio", "")
    assert score("SZ003", "传染病监测样本检测量") == (13.5, "higher_better", "")
    # word forms: 不超过1%, 0.6% → met 10; 15天以内, 12天 → met 10; 不高于0.2万元, 0.16 → met 5
    assert score("SZ002", "文献编目差错率") == (10.0, "lower_better_ratio", "")
    assert score("SZ002", "新书上架周期") == (10.0, "lower_better_ratio", "")
    assert score("SZ010", "人均救助成本") == (5.0, "lower_better_ratio", "")
    # approximations: 20小时左右 ≤ 24小时 → 10; 约180元 of ≥300元 → 10 × 180 / 300 = 6.00
    assert score("SZ004", "道路坑塘修复时限") == (10.0, "lower_better_ratio", "")
    assert score("SZ008", "示范区亩均增收") == (6.0, "higher_better", "")
    # qualitative tiers without a reported score: A 15, B 15 × 70% = 10.50, C 10 × 30% = 3.00
    assert score("SZ010", "救助管理服务规范化") == (15.0, "qualitative_tier", "A")
    assert score("SZ007", "档案信息化服务水平") == (10.5, "qualitative_tier", "B")
    assert score("SZ008", "农业技术推广体系建设") == (3.0, "qualitative_tier", "C")
    # tier A with reported 13.50 = 90% of 15, inside 80–100% → stands
    assert score("SZ011", "执法规范化水平") == (13.5, "qualitative_reported", "A")


def test_score_mismatches(scores):
    """Two reported 得分 differ from the computed score by more than 0.01.

    SZ004「道路桥梁日常巡查次数」: reported 9.50, computed 10 × 450 / 500 = 9.00 (quantitative);
    SZ005「古树名木保护宣传」: reported 8 for a tier-C result, outside C's 0–6, computed 3.00.
    Every other reported 得分 (SZ001, SZ004, SZ005, SZ011) equals the computed score.
    """
    found = unit_findings(scores)
    found = found[found["kind"] == "score_mismatch"]
    got = {(r.unit_code, r.subject): round(r.value, 2) for r in found.itertuples()}
    assert got == {("SZ004", "道路桥梁日常巡查次数"): 0.5, ("SZ005", "古树名木保护宣传"): 5.0}


def test_one_missing_deviation_reason(scores):
    # SZ007 档案数字化加工量: ≥50000件, actual 44000件, 偏差原因 left blank; every other indicator
    # that missed its target (quantitative or tier B/C) has a reason
    found = unit_findings(scores)
    found = found[found["kind"] == "missing_deviation_reason"]
    assert list(zip(found["unit_code"], found["subject"], strict=True)) == [
        ("SZ007", "档案数字化加工量")
    ]


def test_low_execution_units(scores):
    found = scores.findings[
        (scores.findings["kind"] == "low_execution") & (scores.findings["subject"] == "单位整体")
    ]
    # below 90%: SZ008 860/1000 = 86%, SZ009 364/700 = 52%, SZ012 190.12/280 = 67.9%
    assert dict(zip(found["unit_code"], found["value"], strict=True)) == pytest.approx(
        {"SZ008": 0.86, "SZ009": 0.52, "SZ012": 0.679}
    )


def test_time_progress(scores):
    lag = unit_findings(scores)
    lag = lag[lag["kind"] == "time_progress_lag"]
    # Only SZ008 falls behind 序时进度 by more than 5 points, at every quarter end (monthly.csv):
    # March: 人员经费 3 × 24.72 + 公用经费 (1.38 + 1.72 + 2.07) + 高标准农田 (4.10 + 4.10 + 12.30)
    #        + 新品种 (1.18 + 1.18 + 3.56) = 74.16 + 5.17 + 20.50 + 5.92 = 105.75 of 1000.00
    #        = 10.58%, against 3 / 12 = 25%: 14.4 points behind;
    # June: 148.32 + 12.06 + 82.00 + 23.73 = 266.11 → 26.61% against 50%;
    # September: about 48% against 75%; December: 860.00 / 1000.00 = 86% against 100%.
    # SZ001 (96% at year end) stays within 5 points: its gap is largest in December, 4 points.
    assert list(zip(lag["unit_code"], lag["subject"], strict=True)) == [
        ("SZ008", "3月"),
        ("SZ008", "6月"),
        ("SZ008", "9月"),
        ("SZ008", "12月"),
    ]
    assert lag["value"].iloc[0] == pytest.approx(0.25 - 0.10575)
    assert lag["value"].iloc[3] == pytest.approx(1 - 0.86)
