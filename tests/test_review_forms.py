"""The reviewer's form (复核表) round trip (issue 17 §3): ``forms make --review SAMPLE``, filled by
a script through openpyxl as a reviewer would, ``forms collect`` back into the ``reviews`` table,
and the deviations of the collected dataset worked out by hand (mof2020: execution
min(执行数 ÷ 预算数, 1) × 10; a ≥ target missed scores weight × actual ÷ target; classes by share
of the weight: 0 完全一致, ≤ 20% 一般偏差, ≤ 50% 明显偏差, above 显著偏差)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import perfkit
from perfkit.cli import cli as main
from perfkit.core.problems import InvalidInput, UsageError
from perfkit.forms.collect import collect_forms
from perfkit.forms.review_make import make_review_forms
from perfkit.forms.review_sample import read_sample
from perfkit.review.deviation import deviations

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample_ds():
    return perfkit.load(SAMPLE)


@pytest.fixture()
def issued(tmp_path: Path, sample_ds) -> Path:
    (tmp_path / "sample.csv").write_text(
        "年度,单位编码,项目编码,名称,抽取理由\n2022,SZ001,,市智慧审判保障中心,风险最高\n"
        "2022,SZ001,P01,智慧法院信息化运维,资金量大\n",
        encoding="utf-8-sig",
    )
    out = tmp_path / "forms"
    result = CliRunner().invoke(
        main,
        ["forms", "make", str(SAMPLE), "--review", str(tmp_path / "sample.csv"), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["复核-SZ001-P01.xlsx", "复核-SZ001.xlsx"]
    return out


def _row_of(ws, level3: str) -> int:
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 3).value == level3:
            return r
    raise AssertionError(level3)


def _fill(path: Path, rows: dict[str, tuple], executed=None, reviewer=("王复核", "2023-05-06"),
          summary="") -> None:  # fmt: skip
    """As a reviewer fills it: 复核完成值 I, 复核得分 J, 复核意见 K per indicator; 复核执行数 G6;
    复核人 and 复核日期 right of their labels."""
    wb = load_workbook(path)
    ws = wb["复核表"]
    for level3, (actual, score, opinion) in rows.items():
        r = _row_of(ws, level3)
        ws.cell(r, 9).value, ws.cell(r, 10).value, ws.cell(r, 11).value = actual, score, opinion
    if executed is not None:
        ws["G6"] = executed
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 1).value == "复核人":
            ws.cell(r, 3).value, ws.cell(r, 8).value = reviewer
        if ws.cell(r, 1).value == "复核总体意见":
            ws.cell(r, 3).value = summary
    wb.save(path)


def test_form_shows_self_evaluation_locked_and_review_cells_editable(issued: Path) -> None:
    ws = load_workbook(issued / "复核-SZ001.xlsx")["复核表"]
    r = _row_of(ws, "独立配合法官办结案件数")
    assert [ws.cell(r, c).value for c in range(1, 9)] == [
        "产出指标", "数量指标", "独立配合法官办结案件数", "≥150件", 10, "230余件", 10, "单位自评",
    ]  # fmt: skip
    assert ws.protection.sheet
    assert all(ws.cell(r, c).protection.locked for c in range(1, 9))
    assert not any(ws.cell(r, c).protection.locked for c in range(9, 13))
    assert (ws["A6"].value, ws["C6"].value) == (800, 768)
    assert not ws["G6"].protection.locked
    # 自评总分: 768 ÷ 800 = 96% → 9.6, plus the 90 points reported → 99.6
    labels = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    assert ws.cell(labels["自评总分"], 3).value == pytest.approx(99.6)
    wb = load_workbook(issued / "复核-SZ001.xlsx")
    assert wb["_perfkit"].sheet_state == "veryHidden"


def test_filled_forms_collected_give_the_hand_worked_deviations(issued: Path, tmp_path: Path):
    _fill(
        issued / "复核-SZ001.xlsx",
        {
            "独立配合法官办结案件数": ("120件", None, "台账仅能核实 120 件"),
            "卷宗整理归档数": ("75件", 5, "归档清单 75 件"),
            "服务对象满意度": ("36%", None, "问卷有效样本满意度 36%"),
        },
        executed=600,
        summary="部分指标完成值依据不足。",
    )
    _fill(issued / "复核-SZ001-P01.xlsx", {"系统运维服务次数": ("90次", None, "工单 90 次")})
    result = CliRunner().invoke(
        main,
        ["forms", "collect", str(issued), "--into", str(SAMPLE), "--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 0, result.output
    assert "已回收 2 份复核表" in result.output
    ds = perfkit.load(tmp_path / "out")
    # every indicator of both tables, one row each, in place of the sample's own SZ001 rows;
    # the sample's other reviewed tables (SZ011, SZ008/P02, SZ012/P01: 2 rows each) are kept
    collected = ds.reviews[ds.reviews["unit_code"] == "SZ001"]
    assert len(collected) == 12 + 6
    assert len(ds.reviews) == 12 + 6 + 3 * 2
    dv = deviations(ds)
    mine = dv.indicators[dv.indicators["unit_code"] == "SZ001"]
    unit = mine[mine["project_code"] == ""].set_index("level3")
    # 10 × 120 ÷ 150 = 8 → 2 of 10 = 20% → 一般偏差; 8 × 75 ÷ 150 = 4 → 4 of 8 = 50% → 明显偏差
    # (typed 5 differs from 4: flagged); 10 × 36 ÷ 90 = 4 → 6 of 10 = 60% → 显著偏差
    assert unit.loc["独立配合法官办结案件数", ["review_score", "difference", "class"]].tolist() == [
        8, 2, "general",
    ]  # fmt: skip
    assert unit.loc["卷宗整理归档数", ["review_score", "difference", "class"]].tolist() == [
        4, 4, "obvious",
    ]  # fmt: skip
    assert bool(unit.loc["卷宗整理归档数", "typed_differs"])
    assert unit.loc["服务对象满意度", ["review_score", "difference", "class"]].tolist() == [
        4, 6, "significant",
    ]  # fmt: skip
    totals = dv.tables[dv.tables["unit_code"] == "SZ001"].set_index("project_code")
    u = totals.loc[""]
    # self 9.6 + 90 = 99.6; review: 复核执行数 600 ÷ 800 = 75% → 7.5, indicators 90 − 2 − 4 − 6 = 78
    assert u["self_total"] == pytest.approx(99.6)
    assert u["review_total"] == pytest.approx(85.5)
    assert u["deviation"] == pytest.approx(14.1 / 99.6)
    assert (u["grade_before"], u["grade_after"], bool(u["grade_changed"])) == ("优", "良", True)
    assert (u["n_consistent"], u["n_general"], u["n_obvious"], u["n_significant"]) == (9, 1, 1, 1)
    classes = ("consistent", "general", "obvious", "significant")
    assert u["n_indicators"] == 12 == sum(u[f"n_{k}"] for k in classes)
    assert (u["reviewer"], u["review_date"]) == ("王复核", "2023-05-06")
    assert u["main_reasons"].startswith("「服务对象满意度」问卷有效样本满意度 36%")
    # the project: 285 budget, 273.6 spent → 96% → 9.6; reported 30+20+8+10+10+10 = 88 → 97.6;
    # 30 × 90 ÷ 120 = 22.5 → 7.5 of 30 = 25% → 明显偏差; review 97.6 − 7.5 = 90.1 → 优
    p = totals.loc["P01"]
    assert p["self_total"] == pytest.approx(97.6)
    assert p["review_total"] == pytest.approx(90.1)
    assert p["deviation"] == pytest.approx(7.5 / 97.6)
    assert (p["grade_before"], p["grade_after"], bool(p["grade_changed"])) == ("优", "优", False)
    assert (p["n_consistent"], p["n_obvious"], p["n_indicators"]) == (5, 1, 6)
    # the rest of the dataset is the one the forms were made from
    assert len(ds.indicators) == len(perfkit.load(SAMPLE).indicators)


def test_small_dataset_issue_example(tmp_path: Path) -> None:
    """The issue's example: "≥200件" weight 10, self 230余件 scored 10, reviewed 150件 →
    10 × 150 ÷ 200 = 7.5, difference 2.5 = 25% of the weight → 明显偏差."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from csvdata import tables, write_folder

    data = tables()
    data["indicators"][1] = ["2022", "A01", "产出指标", "数量指标", "办结案件数", "≥200件",
                             "230余件", "10", "10", ""]  # fmt: skip
    data["indicators"][2][7], data["indicators"][2][8] = "80", "80"
    folder = write_folder(tmp_path / "small", data)
    ds = perfkit.load(folder)
    make_review_forms(ds, [(2022, "A01", "")], tmp_path / "forms")
    _fill(tmp_path / "forms" / "复核-A01.xlsx", {"办结案件数": ("150件", None, "")})
    collect_forms(tmp_path / "forms", tmp_path / "out.xlsx", into=folder)
    dv = deviations(perfkit.load(tmp_path / "out.xlsx"))
    row = dv.indicators.set_index("level3").loc["办结案件数"]
    assert (row["self_score"], row["review_score"], row["difference"], row["class"]) == (
        10, 7.5, 2.5, "obvious",
    )  # fmt: skip


def test_a_tampered_form_names_the_cell(issued: Path, tmp_path: Path) -> None:
    path = issued / "复核-SZ001.xlsx"
    wb = load_workbook(path)
    ws = wb["复核表"]
    r = _row_of(ws, "卷宗整理归档数")
    ws.cell(r, 4).value = "≥50件"  # the locked 指标值, after lifting the protection
    wb.save(path)
    with pytest.raises(InvalidInput) as err:
        collect_forms(issued, tmp_path / "out", into=SAMPLE)
    (p,) = [p for p in err.value.problems if p.code == "review_form_edited"]
    assert (p.file, p.cell, p.value) == ("复核-SZ001.xlsx", f"复核表!D{r}", "≥50件")
    assert "≥150件" in p.message
    assert not (tmp_path / "out").exists()


def test_a_row_for_an_unknown_indicator_is_named(issued: Path, tmp_path: Path) -> None:
    path = issued / "复核-SZ001.xlsx"
    wb = load_workbook(path)
    ws = wb["复核表"]
    r = _row_of(ws, "外出调查次数")
    ws.cell(r, 3).value = "外出调研次数"  # renamed: no such indicator in the dataset
    wb.save(path)
    with pytest.raises(InvalidInput) as err:
        collect_forms(issued, tmp_path / "out", into=SAMPLE)
    (p,) = [p for p in err.value.problems if p.code == "unknown_review_indicator"]
    assert (p.file, p.cell, p.value) == ("复核-SZ001.xlsx", f"复核表!C{r}", "外出调研次数")
    assert "SZ001" in str(p)


def test_a_bad_review_actual_is_named(issued: Path, tmp_path: Path) -> None:
    _fill(issued / "复核-SZ001.xlsx", {"卷宗整理归档数": ("≥件", None, "")})
    with pytest.raises(InvalidInput) as err:
        collect_forms(issued, tmp_path / "out", into=SAMPLE)
    r = _row_of(load_workbook(issued / "复核-SZ001.xlsx")["复核表"], "卷宗整理归档数")
    (p,) = err.value.problems
    assert (p.code, p.file, p.cell, p.value) == (
        "unreadable_review_actual", "复核-SZ001.xlsx", f"复核表!I{r}", "≥件",
    )  # fmt: skip


def test_reviews_only_need_into(issued: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--into"):
        collect_forms(issued, tmp_path / "out")


def test_sample_rows_are_checked_cell_by_cell(tmp_path: Path, sample_ds) -> None:
    path = tmp_path / "s.csv"
    path.write_text("年度,单位编码,项目编码\n2022,SZ001,\n22,SZ002,\n2022,SZ999,\n2022,SZ001,P99\n",
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(InvalidInput) as err:
        read_sample(path, sample_ds)
    found = [(p.code, p.row, p.column, p.value) for p in err.value.problems]
    assert found == [
        ("not_a_year", 3, "年度", "22"),
        ("sample_unknown_table", 4, "单位编码", "SZ999"),
        ("sample_unknown_table", 5, "项目编码", "P99"),
    ]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_a_review_form(issued: Path, tmp_path: Path) -> None:
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    resaved = tmp_path / "resaved"
    subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
         "--outdir", str(resaved), str(issued / "复核-SZ001.xlsx")],
        capture_output=True, timeout=180,
    )  # fmt: skip
    ws = load_workbook(resaved / "复核-SZ001.xlsx", data_only=True)["复核表"]
    assert ws["E6"].value == pytest.approx(0.96)  # 768 ÷ 800, computed by LibreOffice
    labels = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    assert ws.cell(labels["合计"], 5).value == 90
