"""The deviation between self-evaluation and re-check (issue 17 §4, perfkit/review/deviation.py),
and the ``reviews`` table of the contract (§3.7 of docs/data-contract.md).

Every expected figure is worked out by hand in the test from the rulebook mof2020:
预算执行率得分 = min(执行数 ÷ 预算数, 1) × 10, rounded half up to 2 decimals; a ≥ target scores
weight × actual ÷ target below it; "= 100%" as ≥; classes by share of the weight (0: 完全一致,
≤ 20%: 一般偏差, ≤ 50%: 明显偏差, above: 显著偏差); 偏离度 = (自评 − 复核) ÷ 自评.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from csvdata import Table, tables, write_folder

import perfkit
from perfkit.core.problems import CODES, InvalidInput
from perfkit.data.readers import read_dataset
from perfkit.data.validation import validate
from perfkit.review.deviation import DeviationClasses, deviations
from perfkit.rules.rulebook import load_rulebook

REVIEW_HEADER = [
    "年度", "单位编码", "一级指标", "二级指标", "三级指标", "复核完成值", "复核得分", "复核意见",
    "复核人", "复核日期", "复核执行数",
]  # fmt: skip


def _data() -> dict[str, Table]:
    """csvdata's two units; A01's 办结案件数 is the issue's "≥200件" weight 10, self 230余件
    scored 10, and 网络安全 weighs 80 (self 80): 10 + 80 = 90."""
    data = tables()
    ind = data["indicators"]
    ind[1] = [
        "2022",
        "A01",
        "产出指标",
        "数量指标",
        "办结案件数",
        "≥200件",
        "230余件",
        "10",
        "10",
        "",
    ]
    ind[2][7], ind[2][8] = "80", "80"
    return data


def _review(unit: str, level3: str, actual: str = "", score: str = "", opinion: str = "",
            executed: str = "") -> list[str]:  # fmt: skip
    return ["2022", unit, "", "", level3, actual, score, opinion, "李审核", "2023-04-10", executed]


def _load(tmp_path: Path, reviews: list[list[str]], data: dict[str, Table] | None = None):
    data = data or _data()
    data["reviews"] = [REVIEW_HEADER, *reviews]
    return perfkit.load(write_folder(tmp_path / "d", data))


def test_the_issue_example_indicator_by_indicator_and_total(tmp_path: Path) -> None:
    ds = _load(tmp_path, [_review("A01", "办结案件数", "150件", opinion="佐证仅 150 件")])
    dv = deviations(ds)
    rows = dv.indicators.set_index("level3")
    # 10 × 150 ÷ 200 = 7.5; 自评 10 (reported) − 7.5 = 2.5; 2.5 ÷ 10 = 25% → 明显偏差
    assert rows.loc["办结案件数", "self_score"] == 10
    assert rows.loc["办结案件数", "self_source"] == "reported"
    assert rows.loc["办结案件数", "review_score"] == 7.5
    assert rows.loc["办结案件数", "difference"] == 2.5
    assert rows.loc["办结案件数", "class"] == "obvious"
    # 网络安全 has no review row: the unit's value accepted, 80 = 80 → 完全一致
    assert rows.loc["网络安全", "review_score"] == 80
    assert rows.loc["网络安全", "class"] == "consistent"
    # the table: execution 467.5 ÷ 484.5 = 96.49% → 9.65; self 9.65 + 10 + 80 = 99.65;
    # review 9.65 + 7.5 + 80 = 97.15; 偏离度 2.5 ÷ 99.65
    (t,) = dv.tables.itertuples(index=False)
    assert (t.unit_code, t.project_code) == ("A01", "")
    assert t.self_total == pytest.approx(99.65)
    assert t.review_total == pytest.approx(97.15)
    assert t.deviation == pytest.approx(2.5 / 99.65)
    assert (t.grade_before, t.grade_after, t.grade_changed) == ("优", "优", False)
    assert (t.n_indicators, t.n_consistent, t.n_general, t.n_obvious, t.n_significant) == (
        2, 1, 0, 1, 0,
    )  # fmt: skip
    assert t.n_consistent + t.n_general + t.n_obvious + t.n_significant == t.n_indicators
    assert t.main_reasons == "「办结案件数」佐证仅 150 件"
    assert (t.reviewer, t.review_date) == ("李审核", "2023-04-10")


def test_reviewed_execution_typed_score_and_grade_change(tmp_path: Path) -> None:
    reviews = [
        _review(
            "B02", "阅读活动次数", "18次", score="25", opinion="活动记录仅 18 次", executed="60"
        ),
        _review("B02", "读者满意度", "80%", opinion="问卷满意度 80%"),
        _review("B02", "按时完成率", "60%", opinion="按时完成 60%"),
    ]
    dv = deviations(_load(tmp_path, reviews))
    rows = dv.indicators.set_index("level3")
    # 30 × 18 ÷ 20 = 27 (typed 25 differs: flagged); 30 × 80 ÷ 90 = 26.666… → 26.67;
    # "=100%" read as ≥: 30 × 60 ÷ 100 = 18
    assert rows["review_score"].to_dict() == {
        "阅读活动次数": 27,
        "读者满意度": 26.67,
        "按时完成率": 18,
    }
    assert rows["typed_differs"].to_dict() == {
        "阅读活动次数": True, "读者满意度": False, "按时完成率": False,
    }  # fmt: skip
    # differences 3 (10% of 30), 3.33 (11.1%), 12 (40%)
    assert rows["difference"].to_dict() == {"阅读活动次数": 3, "读者满意度": 3.33, "按时完成率": 12}
    assert rows["class"].to_dict() == {
        "阅读活动次数": "general", "读者满意度": "general", "按时完成率": "obvious",
    }  # fmt: skip
    (t,) = dv.tables.itertuples(index=False)
    # self: 110 ÷ 120 = 91.67% → 9.17; 9.17 + 30 + 30 + 30 = 99.17
    # review: 复核执行数 60 ÷ 120 = 50% → 5; 5 + 27 + 26.67 + 18 = 76.67 → 中
    assert t.self_total == pytest.approx(99.17)
    assert t.review_total == pytest.approx(76.67)
    assert t.deviation == pytest.approx(22.5 / 99.17)
    assert (t.grade_before, t.grade_after, t.grade_changed) == ("优", "中", True)
    assert t.n_typed_differs == 1
    assert (t.n_consistent, t.n_general, t.n_obvious, t.n_significant) == (0, 2, 1, 0)
    assert t.main_reasons == (
        "「按时完成率」按时完成 60%；「读者满意度」问卷满意度 80%；「阅读活动次数」活动记录仅 18 次"
    )
    view = dv.table("tables")
    assert view.loc[0, "偏离度"] == "22.69%"  # 22.5 ÷ 99.17 = 22.688…%
    assert view.loc[0, "等级变化"] == "是"
    assert list(dv.table("indicators")["偏差类别"]) == ["一般偏差", "一般偏差", "明显偏差"]


def test_thresholds_are_a_parameter(tmp_path: Path) -> None:
    ds = _load(tmp_path, [_review("A01", "办结案件数", "150件")])
    # 25% of the weight: 一般偏差 when general is 30%; 显著偏差 when obvious is 20%
    loose = deviations(ds, classes=DeviationClasses(general=0.3, obvious=0.6))
    strict = deviations(ds, classes=DeviationClasses(general=0.1, obvious=0.2))
    assert loose.indicators.set_index("level3").loc["办结案件数", "class"] == "general"
    assert strict.indicators.set_index("level3").loc["办结案件数", "class"] == "significant"
    with pytest.raises(ValueError):
        DeviationClasses(general=0.6, obvious=0.5)


def test_a_self_total_of_zero_leaves_the_deviation_undefined(tmp_path: Path) -> None:
    data = _data()
    data["budget"][3][7] = "0"  # B02 spent nothing: execution score 0
    for row in data["indicators"][3:]:
        row[8] = "0"  # and scored every indicator 0
    dv = deviations(_load(tmp_path, [_review("B02", "阅读活动次数", "22次")], data))
    (t,) = dv.tables.itertuples(index=False)
    assert t.self_total == 0
    assert t.review_total == 90  # 0 + 30 + 30 + 30
    assert t.deviation != t.deviation  # NaN
    assert "无定义" in t.deviation_note
    text = json.dumps(dv.records(), ensure_ascii=False, allow_nan=False)
    assert json.loads(text)["totals"][0]["deviation"] is None


def test_records_are_strict_json_with_the_issue_keys(tmp_path: Path) -> None:
    dv = deviations(_load(tmp_path, [_review("A01", "办结案件数", "150件")]))
    records = json.loads(json.dumps(dv.records(), allow_nan=False))
    first = records["deviations"][0]
    for key in ("unit_code", "project_code", "level3", "self_score", "review_score",
                "difference", "class"):  # fmt: skip
        assert key in first
    assert first["project_code"] is None
    assert first["typed_review_score"] is None
    total = records["totals"][0]
    for key in ("self_total", "review_total", "deviation", "grade_before", "grade_after"):
        assert key in total


def test_no_reviews_no_deviations(tmp_path: Path) -> None:
    ds = perfkit.load(write_folder(tmp_path / "d", _data()))
    assert ds.reviews.empty
    dv = deviations(ds)
    assert dv.indicators.empty and dv.tables.empty
    assert dv.records() == {"deviations": [], "totals": []}


# --- the reviews table is validated like every table ------------------------------------------


def _problems(tmp_path: Path, reviews: list[list[str]]):
    data = _data()
    data["reviews"] = [REVIEW_HEADER, *reviews]
    problems = validate(read_dataset(write_folder(tmp_path / "d", data)), load_rulebook("mof2020"))
    assert all(p.code in CODES for p in problems)
    return [p for p in problems if not p.is_warning]


def test_a_row_for_an_unknown_indicator_is_named(tmp_path: Path) -> None:
    (p,) = _problems(
        tmp_path, [_review("A01", "办结案件数", "150件"), _review("A01", "不存在的指标")]
    )
    assert (p.code, p.file, p.row, p.column, p.value) == (
        "unknown_review_indicator", "reviews.csv", 3, "三级指标", "不存在的指标",
    )  # fmt: skip
    assert "不存在的指标" in str(p) and "A01" in str(p)


def test_an_unreadable_review_actual_is_an_error_at_its_cell(tmp_path: Path) -> None:
    (p,) = _problems(tmp_path, [_review("A01", "办结案件数", "≥件")])
    assert (p.code, p.row, p.column, p.value) == (
        "unreadable_review_actual",
        2,
        "复核完成值",
        "≥件",
    )
    with pytest.raises(InvalidInput):
        _load(tmp_path / "x", [_review("A01", "办结案件数", "≥件")])


def test_two_review_executions_for_one_table(tmp_path: Path) -> None:
    reviews = [
        _review("B02", "阅读活动次数", executed="60"),
        _review("B02", "读者满意度", executed="70"),
    ]
    (p,) = _problems(tmp_path, reviews)
    assert (p.code, p.row, p.column, p.value) == ("review_executed_conflict", 3, "复核执行数", "70")


def test_bad_cells_of_reviews_are_named(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, [_review("C09", "办结案件数"), _review("A01", "办结案件数", score="十")]
    )
    found = {(p.code, p.row, p.column) for p in problems}
    assert ("unknown_unit_code", 2, "单位编码") in found
    assert ("not_a_number", 3, "复核得分") in found
