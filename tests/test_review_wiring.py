"""The deviation wired into the rulebook and ``perfkit review check`` (issue 17 §4's JSON):
``[review.deviation]`` as rulebook data, and the deviation in the screening's JSON, table, CSV
and API (docs/review.md §6, docs/rulebooks.md).

Every expected figure is worked out by hand here, from csvdata's two units under mof2020: A01's
办结案件数 is "≥200件" weight 10, self "230余件" scored 10; 网络安全 weighs 80 (self 80); budget
484.5, executed 467.5 (96.49% → 9.65).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from csvdata import Table, tables, write_folder

import perfkit
from perfkit.cli import cli
from perfkit.review.deviation import deviations
from perfkit.rules.review import DeviationClasses
from perfkit.rules.rulebook import RulebookError, load_rulebook

REVIEW_HEADER = [
    "年度", "单位编码", "一级指标", "二级指标", "三级指标", "复核完成值", "复核得分", "复核意见",
    "复核人", "复核日期", "复核执行数",
]  # fmt: skip


def _data(reviews: list[list[str]] | None = None) -> dict[str, Table]:
    data = tables()
    ind = data["indicators"]
    ind[1] = ["2022", "A01", "产出指标", "数量指标", "办结案件数", "≥200件", "230余件", "10",
              "10", ""]  # fmt: skip
    ind[2][7], ind[2][8] = "80", "80"
    if reviews is not None:
        data["reviews"] = [REVIEW_HEADER, *reviews]
    return data


def _review(level3: str, actual: str, opinion: str = "") -> list[str]:
    return ["2022", "A01", "", "", level3, actual, "", opinion, "李审核", "2023-04-10", ""]


REVIEWED = [_review("办结案件数", "150件", "案件台账仅能核实 150 件")]


def _folder(tmp_path: Path, reviews: list[list[str]] | None = REVIEWED) -> Path:
    return write_folder(tmp_path / "d", _data(reviews))


def _rules(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text('extends = "mof2020"\n' + body, encoding="utf-8")
    return path


# --- [review.deviation] is rulebook data ------------------------------------------------------


def test_the_default_classes_come_from_the_rulebook():
    assert load_rulebook("mof2020").review.deviation == DeviationClasses(0.2, 0.5)
    # every preset inherits them
    assert load_rulebook("hubei").review.deviation == DeviationClasses(0.2, 0.5)


def test_a_rulebook_changes_the_classes_and_deviations_use_them(tmp_path: Path):
    ds = perfkit.load(_folder(tmp_path))
    # 10 × 150 ÷ 200 = 7.5; difference 2.5 = 25% of the weight 10
    default = deviations(ds, "mof2020").indicators.set_index("level3")
    assert default.loc["办结案件数", "class"] == "obvious"  # 20% < 25% ≤ 50%
    book = load_rulebook(_rules(tmp_path, "[review.deviation]\ngeneral = 0.3\nobvious = 0.6\n"))
    assert book.review.deviation == DeviationClasses(0.3, 0.6)
    loose = deviations(ds, book).indicators.set_index("level3")
    assert loose.loc["办结案件数", "class"] == "general"  # 25% ≤ 30%
    strict = _rules(tmp_path, "[review.deviation]\ngeneral = 0.1\nobvious = 0.2\n")
    assert (
        deviations(ds, strict).indicators.set_index("level3").loc["办结案件数", "class"]
        == "significant"
    )  # 25% > 20%


def test_every_problem_of_the_deviation_section_at_once(tmp_path: Path):
    body = (
        '[review.deviation]\ngeneral = -0.1\nobvious = "big"\nmiddle = 0.3\n'
        "[review.risk]\nhigh = -1\n"
    )
    with pytest.raises(RulebookError) as err:
        load_rulebook(_rules(tmp_path, body))
    keys = {p.column for p in err.value.problems}
    assert {
        "review.deviation.general",
        "review.deviation.obvious",
        "review.deviation.middle",
        "review.risk.high",
    } <= keys


def test_general_above_obvious_is_a_rulebook_problem(tmp_path: Path):
    with pytest.raises(RulebookError) as err:
        load_rulebook(_rules(tmp_path, "[review.deviation]\ngeneral = 0.6\nobvious = 0.5\n"))
    (problem,) = err.value.problems
    assert problem.column == "review.deviation.obvious"
    assert "0.6" in str(problem)


# --- perfkit review check carries the deviation -----------------------------------------------


def _check(folder: Path, *args: str):
    return CliRunner().invoke(cli, ["review", "check", str(folder), "--year", "2022", *args])


def test_json_adds_deviations_and_totals_when_the_year_has_reviews(tmp_path: Path):
    result = _check(_folder(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output, parse_constant=lambda c: pytest.fail(f"not strict: {c}"))
    by_name = {d["level3"]: d for d in out["deviations"]}
    case = by_name["办结案件数"]
    assert (case["unit_code"], case["project_code"]) == ("A01", None)
    assert (case["self_score"], case["review_score"], case["difference"]) == (10, 7.5, 2.5)
    assert case["class"] == "obvious"
    assert by_name["网络安全"]["class"] == "consistent"  # no review row: accepted, 80 = 80
    (total,) = out["totals"]
    # self 9.65 + 10 + 80 = 99.65; review 9.65 + 7.5 + 80 = 97.15; 2.5 ÷ 99.65 = 2.5088…%
    assert (total["unit_code"], total["project_code"]) == ("A01", None)
    assert total["self_total"] == pytest.approx(99.65)
    assert total["review_total"] == pytest.approx(97.15)
    assert total["deviation"] == pytest.approx(2.5 / 99.65)
    assert (total["grade_before"], total["grade_after"]) == ("优", "优")
    assert total["main_reasons"].startswith("「办结案件数」案件台账仅能核实 150 件")


def test_json_without_reviews_is_as_before(tmp_path: Path):
    result = _check(_folder(tmp_path, None), "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"year", "rulebook", "findings", "units"}


def test_table_has_section_four_and_csv_the_indicators(tmp_path: Path):
    folder = _folder(tmp_path)
    table = _check(folder)
    assert table.exit_code == 0, table.output
    section = table.output.split("四、复核偏差", 1)[1]
    counts = "完全一致 1 个，一般偏差 0 个，明显偏差 1 个，显著偏差 0 个"
    assert f"复核 1 张自评表、2 个指标：{counts}" in section
    assert "99.65" in section and "97.15" in section and "2.51%" in section
    assert "未变（优）" in section
    assert "A01 主要偏差原因：「办结案件数」案件台账仅能核实 150 件" in section
    only = _check(folder, "--deviations")
    assert only.output.startswith("复核 1 张自评表") and "风险排名" not in only.output
    csv = _check(folder, "--format", "csv", "--deviations")
    assert csv.exit_code == 0, csv.output
    lines = csv.output.splitlines()
    header = lines[0].split(",")
    assert {"三级指标", "自评得分", "复核得分", "复核指标偏差", "偏差类别"} <= set(header)
    row = dict(zip(header, next(x for x in lines if "办结案件数" in x).split(","), strict=False))
    assert (row["自评得分"], row["复核得分"], row["复核指标偏差"], row["偏差类别"]) == (
        "10.0", "7.5", "2.5", "明显偏差",
    )  # fmt: skip


def test_without_reviews_the_table_says_so_and_two_flags_are_a_usage_error(tmp_path: Path):
    folder = _folder(tmp_path, None)
    plain = _check(folder)
    assert plain.exit_code == 0 and "四、复核偏差" not in plain.output
    assert "没有复核数据" in _check(folder, "--deviations").output
    both = _check(folder, "--findings", "--deviations")
    assert both.exit_code == 2 and "只能选一个" in both.output


def test_the_api_carries_the_deviations(tmp_path: Path):
    ds = perfkit.load(_folder(tmp_path))
    r = perfkit.review(ds, 2022)
    (t,) = r.deviations.tables.itertuples(index=False)
    assert t.review_total == pytest.approx(97.15)
    assert list(r.table("deviation_tables")["偏离度"]) == ["2.51%"]
    assert "偏差类别" in r.table("deviations").columns
    empty = perfkit.review(perfkit.load(_folder(tmp_path / "no", None)), 2022)
    assert empty.deviations.tables.empty


def test_main_reasons_cite_the_checks_that_hit_the_table(tmp_path: Path):
    ds = perfkit.load(_folder(tmp_path))
    findings = pd.DataFrame(
        {
            "year": [2022, 2022, 2022, 2022],
            "unit_code": ["A01", "A01", "A01", "B02"],
            "project_code": ["", "", "P01", ""],
            "code": ["all_full_marks", "all_full_marks", "zero_budget", "budget_unspent"],
        }
    )
    (t,) = deviations(ds, findings=findings).tables.itertuples(index=False)
    # A01's own table: its opinion, then the check it hit, once (not the project's, not B02's)
    assert t.main_reasons == "「办结案件数」案件台账仅能核实 150 件；审核发现：全部指标自评满分"
