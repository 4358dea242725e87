"""Every kind of bad input gives a Problem naming file, Excel row, column as written and value.

Excel rows are counted by hand: the header is row 1, so ``data[table][k]`` is row k + 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from csvdata import Table, tables, write_folder, write_workbook

from perfkit.core.problems import CODES, Problem
from perfkit.data.readers import read_dataset
from perfkit.data.validation import validate
from perfkit.rules.rulebook import load_rulebook

MOF = load_rulebook("mof2020")


def problems_of(tmp_path: Path, data: dict[str, Table] | None = None, **kw) -> list[Problem]:
    problems = validate(read_dataset(write_folder(tmp_path / "d", data, **kw)), MOF)
    assert all(p.code in CODES for p in problems), [(p.code, str(p)) for p in problems]
    return problems


def only(problems: list[Problem]) -> str:
    assert len(problems) == 1, [str(p) for p in problems]
    return str(problems[0])


def only_warning(problems: list[Problem], code: str) -> str:
    """The one problem, which must be a warning (scored, flagged) with ``code``."""
    assert len(problems) == 1, [str(p) for p in problems]
    assert (problems[0].severity, problems[0].code) == ("warning", code), str(problems[0])
    return str(problems[0])


REPORTED = "得分无法核实，采用单位自评得分（未填自评得分的计 0 分）。"


def test_the_valid_dataset_has_no_problems(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == []


def test_the_sample_dataset_has_no_problems() -> None:
    sample = Path(__file__).parent.parent / "data" / "sample"
    problems = validate(read_dataset(sample), MOF)
    # one deliberate warning: SZ013 P02「三维数据采集精度达标」leaves both cells blank (issue 11)
    assert [(p.code, p.unit_code, p.project_code, p.level3) for p in problems] == [
        ("blank_cells", "SZ013", "P02", "三维数据采集精度达标")
    ]


# --- files and columns -------------------------------------------------------------------------


def test_missing_required_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d")
    (folder / "indicators.csv").unlink()
    text = only(validate(read_dataset(folder), MOF))
    assert (
        text
        == "indicators.csv：缺少必需的文件 indicators.csv（绩效指标；也可命名为 绩效指标.csv）。"
    )


def test_missing_optional_monthly_is_fine(tmp_path: Path) -> None:
    data = tables()
    del data["monthly"]
    assert problems_of(tmp_path, data) == []


def test_missing_sheet_in_a_workbook(tmp_path: Path) -> None:
    data = tables()
    del data["goals"]
    problems = validate(read_dataset(write_workbook(tmp_path / "data.xlsx", data)), MOF)
    assert only(problems) == "data.xlsx：缺少必需的工作表「年度总体目标」（也可命名为 goals）。"


def test_empty_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d")
    (folder / "units.csv").write_bytes(b"")
    problems = validate(read_dataset(folder), MOF)
    # the empty units file also leaves every unit code unchecked, but not unreported
    assert str(problems[0]) == "units.csv：内容为空：第一行应为表头，其后为数据行。"
    assert len(problems) == 1


def test_header_only_file(tmp_path: Path) -> None:
    data = tables()
    data["goals"] = data["goals"][:1]
    assert only(problems_of(tmp_path, data)) == "goals.csv，第1行：只有表头，没有数据行。"


def test_missing_required_column_names_the_accepted_headers(tmp_path: Path) -> None:
    data = tables()
    for row in data["indicators"]:
        del row[7]  # 分值
    text = only(problems_of(tmp_path, data))
    assert text == "indicators.csv，第1行：缺少必需的列「分值」（表头可写作：分值、weight）。"


# --- values (pandera schemas) -------------------------------------------------------------------


def test_blank_required_value(tmp_path: Path) -> None:
    data = tables()
    data["units"][2][1] = "  "  # B02's 单位名称, Excel row 3
    assert only(problems_of(tmp_path, data)) == "units.csv，第3行，列「单位名称」：值“”：不能为空"


def test_not_a_number(tmp_path: Path) -> None:
    data = tables()
    data["budget"][2][7] = "三十三"  # 全年执行数 of 公用经费, Excel row 3
    text = only(problems_of(tmp_path, data))
    assert (
        text == "budget.csv，第3行，列「全年执行数」：值“三十三”："
        "应为数字，单位万元（如 120.5 或 1,234.5）"
    )


def test_an_amount_in_wan_without_yuan_is_read_as_wan_yuan_and_flagged(tmp_path: Path) -> None:
    # issue 16 §10: "420万" in a money column is 420 万元 (a reader takes it so), flagged
    data = tables()
    data["budget"][1][5] = "420万"
    text = only(problems_of(tmp_path, data))
    assert text == (
        "budget.csv，第2行，列「年初预算数」（单位编码 A01）：值“420万”：年初预算数只写了“万”，"
        "未写“元”：按 420万元 读取（金额中的“万”即万元）；请写明单位，如“420万元”。"
    )


def test_negative_amount(tmp_path: Path) -> None:
    data = tables()
    data["monthly"][3][4] = "-2.8"  # Excel row 4
    text = only(problems_of(tmp_path, data))
    assert text == "monthly.csv，第4行，列「当月执行数」：值“-2.8”：应为不小于 0 的数字（万元）"


def test_negative_weight(tmp_path: Path) -> None:
    data = tables()
    data["indicators"][3][7] = "-30"  # B02's first indicator, Excel row 4 (得分 30)
    # reported once: neither B02's weight sum nor the 得分 against a negative 分值 are checked
    assert only(problems_of(tmp_path, data)) == (
        "indicators.csv，第4行，列「分值」（单位编码 B02，三级指标「阅读活动次数」）：值“-30”："
        "应为不小于 0 的数字（分）"
    )


def test_year_and_month(tmp_path: Path) -> None:
    data = tables()
    data["goals"][1][0] = "22"
    data["monthly"][2][3] = "13"
    problems = [str(p) for p in problems_of(tmp_path, data)]
    assert problems == [
        "goals.csv，第2行，列「年度」：值“22”：应为四位数的年份，如 2022",
        "monthly.csv，第3行，列「月份」：值“13”：应为 1 到 12 之间的月份",
    ]


def test_unsafe_unit_code(tmp_path: Path) -> None:
    data = tables()
    for table in ("units", "goals"):
        for row in data[table]:
            row[:] = ["../A01" if c == "A01" else c for c in row]
    data["budget"][1][1] = data["budget"][2][1] = "../A01"
    data["indicators"][1][1] = data["indicators"][2][1] = "../A01"
    data["monthly"] = data["monthly"][:1]
    problems = problems_of(tmp_path, data)
    assert str(problems[0]).startswith(
        "units.csv，第2行，列「单位编码」：值“../A01”：单位编码只能由字母、数字、“-”和“_”组成"
    )
    # the same unsafe code is reported in every table that uses it, and nothing else
    assert [(p.file, p.row) for p in problems] == [
        ("units.csv", 2),
        ("budget.csv", 2),
        ("budget.csv", 3),
        ("indicators.csv", 2),
        ("indicators.csv", 3),
        ("goals.csv", 2),
    ]


def test_duplicate_unit_code(tmp_path: Path) -> None:
    data = tables()
    data["units"].append(["A01", "重复的单位", "某局", "", "", ""])  # Excel row 4
    text = only(problems_of(tmp_path, data))
    assert text == "units.csv，第4行，列「单位编码」：值“A01”：与第2行重复（单位编码相同）"


def test_duplicate_indicator(tmp_path: Path) -> None:
    data = tables()
    copy = list(data["indicators"][3])  # B02 阅读活动次数, row 4
    data["indicators"][5][4] = copy[4]  # row 6 gets the same 三级指标
    text = only(problems_of(tmp_path, data))
    assert text == (
        "indicators.csv，第6行，列「三级指标」（单位编码 B02，三级指标「阅读活动次数」）："
        "值“阅读活动次数”："
        "与第4行重复（年度、单位编码、三级指标相同）"
    )


def test_accepted_number_forms(tmp_path: Path) -> None:
    data = tables()
    data["budget"][1][5:8] = ["420万元", "１,４３６.５", " 433.9 "]
    data["indicators"][1][7:9] = ["50分", "５０"]
    assert problems_of(tmp_path, data) == []


# --- across rows and tables -----------------------------------------------------------------------


def test_unknown_unit_code(tmp_path: Path) -> None:
    data = tables()
    data["goals"][2][1] = "C03"  # Excel row 3
    assert only(problems_of(tmp_path, data)) == (
        "goals.csv，第3行，列「单位编码」：值“C03”：单位编码在 units.csv 中不存在。"
    )


def test_weights_not_adding_up(tmp_path: Path) -> None:
    data = tables()
    data["indicators"][2][7] = "35"  # A01: 50 + 35 = 85, not 90
    text = only_warning(problems_of(tmp_path, data), "weights_total")
    assert text == (
        "indicators.csv，第2行，列「分值」（单位编码 A01）：值“85”："
        "2022 年度全部指标的分值合计为 85 分，与评分规则“财政部 财预〔2020〕10号（默认）”的"
        "指标总分 90 分不一致；各指标按所填分值计分，指标得分合计按 90 ÷ 85 折算后计入总分。"
    )


def test_weights_adding_up_to_zero_cannot_be_scored(tmp_path: Path) -> None:
    data = tables()
    data["indicators"][1][7:9] = ["0", ""]  # A01: both weights 0
    data["indicators"][2][7:9] = ["0", ""]
    problems = problems_of(tmp_path, data)
    assert [(p.severity, p.code, p.row) for p in problems] == [("error", "weights_zero", 2)]


def test_weights_within_the_tolerance(tmp_path: Path) -> None:
    data = tables()
    data["indicators"][3][7:9] = ["30.004", ""]  # B02: 30.004 + 30 + 30 = 90.004, off by 0.004
    assert problems_of(tmp_path, data) == []
    data["indicators"][3][7] = "30.006"  # off by 0.006 > 0.005
    assert "合计为 90.006" in only(problems_of(tmp_path, data))


def test_weights_follow_the_rulebook(tmp_path: Path) -> None:
    raw = read_dataset(write_folder(tmp_path / "d"))
    problems = validate(raw, load_rulebook("hubei"))  # 20 points for execution, 80 for indicators
    # both units add up to 90: reported at each unit's first indicator row, as warnings
    assert [(p.row, p.unit_code, p.value) for p in problems] == [(2, "A01", "90"), (4, "B02", "90")]
    assert {p.severity for p in problems} == {"warning"}
    assert "指标总分 80 分不一致" in problems[0].message


def test_zero_adjusted_budget(tmp_path: Path) -> None:
    data = tables()
    data["budget"][3][6:8] = ["0", "0"]  # B02's only budget row, Excel row 4
    text = only(problems_of(tmp_path, data))
    assert text == (
        "budget.csv，第4行，列「全年预算数」（单位编码 B02）：值“0”："
        "2022 年度该单位各行的全年预算数合计为 0，"
        "无法计算预算执行率（预算执行率 = 全年执行数 ÷ 全年预算数）。"
    )


def test_indicators_without_budget_and_budget_without_indicators(tmp_path: Path) -> None:
    data = tables()
    data["indicators"].append(
        ["2021", "A01", "产出指标", "数量指标", "办结案件数", "≥100件", "120件", "90", "", ""]
    )  # Excel row 7
    data["budget"].append(
        ["2023", "B02", "财政拨款", "项目支出", "阅读推广", "100", "100", "0"]
    )  # Excel row 5
    problems = [str(p) for p in problems_of(tmp_path, data)]
    assert problems == [
        "budget.csv，第5行，列「单位编码」（单位编码 B02）：值“B02”："
        "该单位 2023 年度有预算执行数据，"
        "但 indicators.csv 中没有该单位该年度的绩效指标。",
        "indicators.csv，第7行，列「单位编码」（单位编码 A01）：值“A01”："
        "该单位 2021 年度有绩效指标，"
        "但 budget.csv 中没有该单位该年度的预算执行数据。",
    ]


def test_target_with_a_comparator_but_no_number(tmp_path: Path) -> None:
    data = tables()
    data["indicators"][3][5] = "≥次"  # B02 阅读活动次数, Excel row 4
    text = only_warning(problems_of(tmp_path, data), "unreadable_target")
    assert text.startswith(
        "indicators.csv，第4行，列「年度指标值」（单位编码 B02，三级指标「阅读活动次数」）："
        "值“≥次”：年度指标值无法识别（有比较符“≥”但没有数值"
    )
    assert text.endswith(REPORTED)


def test_unit_mismatch_between_target_and_actual(tmp_path: Path) -> None:
    data = tables()
    data["indicators"][1][6] = "230次"  # target ≥150件, Excel row 2
    text = only_warning(problems_of(tmp_path, data), "unit_mismatch")
    assert text == (
        "indicators.csv，第2行，列「实际完成值」（单位编码 A01，三级指标「办结案件数」）："
        "值“230次”："
        "实际完成值的单位“次”与年度指标值“≥150件”的单位“件”不同，无法换算比较；" + REPORTED
    )


@pytest.mark.parametrize(
    ("target", "actual", "flagged"),
    [
        ("人均≥150件", "每户230件", True),
        ("≥150件", "每户230件", False),  # one side without a qualifier compares
        ("人均≥150件", "230件", False),
        ("人均≥150件", "人均230件", False),
        ("每人每月≥150件", "人均230件", True),
    ],
)
def test_qualifiers_of_target_and_actual_must_agree(
    tmp_path: Path, target: str, actual: str, flagged: bool
) -> None:
    """Rule 10 (`notation.same_per`), checked on every row: the other rows that share the
    qualifiers, or only one of them, are not flagged."""
    data = tables()
    data["indicators"][1][5:7] = [target, actual]  # Excel row 2
    data["indicators"][3][5:7] = [target, "230件"]  # Excel row 4: the same target, no qualifier
    problems = [p for p in problems_of(tmp_path, data) if p.code == "unit_mismatch"]
    if not flagged:
        assert problems == []
        return
    t = only(problems)
    assert t == (
        "indicators.csv，第2行，列「实际完成值」（单位编码 A01，三级指标「办结案件数」）："
        f"值“{actual}”：实际完成值按“{actual[:2]}”计，年度指标值“{target}”按"
        f"“{target[: target.index('≥')]}”计，无法比较；" + REPORTED
    )


def test_qualitative_actual_that_fits_no_tier(tmp_path: Path) -> None:
    data = tables()
    data["indicators"][2][6] = "还行"  # target 效果明显, Excel row 3
    text = only_warning(problems_of(tmp_path, data), "no_tier")
    assert text.startswith(
        "indicators.csv，第3行，列「实际完成值」（单位编码 A01，三级指标「网络安全」）：值“还行”："
        "无法判断完成档次（实际完成值应与年度指标值相同，或写作评分规则"
    )
    for phrase in (
        "A 档（达成年度指标）",
        "部分达成年度指标并具有一定效果",
        "未达成年度指标且效果较差",
    ):
        assert phrase in text


def test_qualitative_actual_for_a_quantitative_target(tmp_path: Path) -> None:
    data = tables()
    data["indicators"][4][6] = "基本达成"  # target ≥90%: a tier phrase is accepted
    assert problems_of(tmp_path, data) == []
    data["indicators"][4][6] = "很满意"  # no number and no tier
    assert "无法判断完成档次" in only(problems_of(tmp_path, data))


def test_actual_same_as_qualitative_target(tmp_path: Path) -> None:
    data = tables()
    data["indicators"][2][6] = "效果明显"  # the target's own words: met
    assert problems_of(tmp_path, data) == []


@pytest.mark.parametrize(("score", "weight"), [("50.01", "50"), ("-1", "50")])
def test_reported_score_outside_zero_to_weight(tmp_path: Path, score: str, weight: str) -> None:
    data = tables()
    data["indicators"][1][8] = score  # A01 办结案件数, weight 50, Excel row 2
    text = only_warning(problems_of(tmp_path, data), "reported_score_range")
    assert text == (
        f"indicators.csv，第2行，列「得分」（单位编码 A01，三级指标「办结案件数」）：值“{score}”："
        f"自评得分应在 0 到该指标的分值 {weight} 之间；得分按评分规则重新计算，不采用自评得分。"
    )


def test_monthly_item_not_in_the_budget(tmp_path: Path) -> None:
    data = tables()
    data["monthly"].append(["2022", "A01", "差旅费", "3", "1.2"])  # Excel row 5
    text = only(problems_of(tmp_path, data))
    assert text == (
        "monthly.csv，第5行，列「项目」（单位编码 A01）：值“差旅费”："
        "budget.csv 中没有该单位 2022 年度的这个项目，无法计算它的序时进度。"
    )


def test_narrative_for_an_unknown_unit_or_year(tmp_path: Path) -> None:
    narratives = {"narratives/2022/C03.md": "## 存在问题\n无\n", "narratives/22/A01.md": "无\n"}
    problems = [str(p) for p in problems_of(tmp_path, narratives=narratives)]
    assert problems == [
        "narratives/2022/C03.md：值“C03”：单位编码在 units.csv 中不存在。",
        "narratives/22/A01.md：值“22”：应为四位数的年份，如 2022"
        "（叙述文件应放在 narratives/<年度>/<单位编码>.md）",
    ]


def test_every_problem_at_once_in_file_then_row_order(tmp_path: Path) -> None:
    data = tables()
    data["goals"][2][1] = "C03"  # goals row 3
    data["budget"][3][5] = "abc"  # budget row 4
    data["budget"][1][7] = "-1"  # budget row 2
    data["units"][1][1] = ""  # units row 2, 单位名称
    data["indicators"][2][6] = "还行"  # indicators row 3
    problems = problems_of(tmp_path, data)
    assert [(p.file, p.row) for p in problems] == [
        ("units.csv", 2),
        ("budget.csv", 2),
        ("budget.csv", 4),
        ("indicators.csv", 3),
        ("goals.csv", 3),
    ]


def test_workbook_problems_name_the_sheet(tmp_path: Path) -> None:
    data = tables()
    data["budget"][2][7] = "abc"  # Excel row 3
    problems = validate(read_dataset(write_workbook(tmp_path / "data.xlsx", data)), MOF)
    assert only(problems) == (
        "data.xlsx[预算执行]，第3行，列「全年执行数」：值“abc”："
        "应为数字，单位万元（如 120.5 或 1,234.5）"
    )


def test_headers_are_quoted_as_written(tmp_path: Path) -> None:
    data = tables()
    data["budget"][0][7] = " Executed "
    data["budget"][2][7] = "abc"
    assert only(problems_of(tmp_path, data)).startswith(
        "budget.csv，第3行，列「Executed」：值“abc”"
    )


def test_many_bad_rows_are_all_reported(tmp_path: Path) -> None:
    data = tables()
    row = data["monthly"][1]
    data["monthly"] = [data["monthly"][0]] + [
        [row[0], row[1], row[2], str(m % 12 + 1) if m < 600 else "十三", "1"] for m in range(620)
    ]
    problems = problems_of(tmp_path, data)
    # 620 rows: 600 hold months 1..12 (50 duplicates of each after the first 12 rows), 20 "十三"
    months = [p for p in problems if p.message.startswith("应为 1 到 12")]
    repeats = [p for p in problems if "重复" in p.message]
    assert len(months) == 20 and months[0].row == 602 and months[-1].row == 621
    # 600 - 12 repeated valid months, and the 20 "十三" rows repeat each other 19 times
    assert len(repeats) == 588 + 19
    assert repeats[0].row == 14 and repeats[0].message.startswith("与第2行重复")


def test_narratives_in_a_workbook(tmp_path: Path) -> None:
    sheet = [
        ["年度", "单位编码", "正文（Markdown）"],
        [2022, "A01", "## 存在问题\n无"],  # row 2
        [2022, "A01", "## 改进措施\n无"],  # row 3: the same unit and year again
        ["二〇二二", "B02", "无"],  # row 4
    ]
    path = write_workbook(tmp_path / "data.xlsx", extra={"叙述": sheet})
    problems = [str(p) for p in validate(read_dataset(path), MOF)]
    assert problems == [
        "data.xlsx[叙述]，第3行，列「单位编码」：值“A01”："
        "该单位 2022 年度的叙述重复（已有第2行）。",
        "data.xlsx[叙述]，第4行，列「年度」：值“二〇二二”：应为四位数的年份，如 2022",
    ]
