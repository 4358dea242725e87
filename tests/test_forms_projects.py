"""Excel forms for projects (issue 11 item 5): ``forms make --level``, collecting project forms.

Made from the full data/sample (projects included). Cell addresses and figures are worked out by
hand from data/sample and perfkit/forms/layout.py. SZ013-P01 (古建筑修缮工程: 2 budget rows,
财政拨款 and 上年结转; 1 goal; 6 indicators) is laid out:
  row 1 title; row 2 项目名称 | 主管部门 | 实施单位; row 3 项目编码 | 项目负责人 | 单位编码;
  row 4 note;
  row 5 funding header; rows 6–8 funding: 6 年度资金总额, 7 其中：财政拨款, 8 上年结转;
  row 9 goals header; row 10 the goal, 11–12 spare;
  row 13 indicator header; rows 14–19 the 6 indicators, 20–29 spare (10);
  row 30 指标分值合计, row 31 总分, row 32 自评等级, row 33 footnote.
The sample's units with 部门整体 rows are SZ001–SZ012; SZ013 has projects only; 29 projects.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from perfkit.core.problems import InvalidInput, Problem, UsageError
from perfkit.data import loading
from perfkit.forms import collect_forms, make_forms
from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring.scores import score_dataset

RB = load_rulebook()
UNIT_FORMS = [f"SZ{i:03d}.xlsx" for i in range(1, 13)]
#: projects per unit in data/sample/projects.csv
PROJECTS = {
    "SZ001": 2, "SZ002": 2, "SZ003": 3, "SZ004": 2, "SZ005": 2, "SZ006": 2, "SZ007": 2,
    "SZ008": 2, "SZ009": 2, "SZ010": 2, "SZ011": 1, "SZ012": 2, "SZ013": 5,
}  # fmt: skip
PROJECT_FORMS = [f"{u}-P{i:02d}.xlsx" for u, n in PROJECTS.items() for i in range(1, n + 1)]


@pytest.fixture(scope="module")
def sample(sample_path):
    return loading.load(sample_path)


@pytest.fixture(scope="module")
def issued(sample, tmp_path_factory) -> Path:
    """The sample's 2022 forms of every level, as issued (copy with ``forms_copy``)."""
    out = tmp_path_factory.mktemp("issued-all")
    make_forms(sample, 2022, out, level="all")
    return out


@pytest.fixture
def forms_copy(issued, tmp_path) -> Path:
    folder = tmp_path / "returned"
    shutil.copytree(issued, folder)
    return folder


def _edit(path: Path, edit) -> None:
    wb = load_workbook(path)
    edit(wb["自评表"])
    wb.save(path)


def _scores(ds):
    s = score_dataset(ds, RB)
    units = s.units.sort_values(["year", "unit_code"]).reset_index(drop=True)
    projects = s.projects.sort_values(["year", "unit_code", "project_code"])
    cols = ["year", "unit_code", "project_code", "level3", "score", "rule", "tier"]
    inds = s.indicators[cols].sort_values(cols[:4]).reset_index(drop=True)
    return units, projects.reset_index(drop=True), inds


def _assert_same_scores(a, b) -> None:
    for x, y in zip(_scores(a), _scores(b), strict=True):
        pd.testing.assert_frame_equal(x, y)


def _problems(folder: Path, out: Path, **kw) -> list[Problem]:
    with pytest.raises(InvalidInput) as err:
        collect_forms(folder, out, **kw)
    assert not out.exists()
    return err.value.problems


# --- forms make --------------------------------------------------------------------------------


def test_make_every_level(sample, issued, tmp_path):
    assert len(PROJECT_FORMS) == 29
    assert sorted(p.name for p in issued.glob("*.xlsx")) == sorted(UNIT_FORMS + PROJECT_FORMS)
    units = make_forms(sample, 2022, tmp_path / "u", level="unit")
    assert [p.name for p in units] == UNIT_FORMS  # SZ013 has projects only: no unit form
    projects = make_forms(sample, 2022, tmp_path / "p", level="project")
    assert [p.name for p in projects] == PROJECT_FORMS
    # --unit with level all: the unit's form first, then its projects'
    some = make_forms(sample, 2022, tmp_path / "s", units=["SZ011", "SZ013"])
    assert [p.name for p in some] == ["SZ011.xlsx", "SZ011-P01.xlsx", *PROJECT_FORMS[-5:]]


def test_the_unit_form_holds_only_the_units_own_rows(issued):
    # the same figures and rows as the form made without projects (test_forms.py): SZ001's own
    # budget is 5 rows, 730.4 / 800 / 768; its projects' rows (285 + 28.1 more) are not added
    ws = load_workbook(issued / "SZ001.xlsx")["自评表"]
    assert ws["A1"].value == "2022年度部门整体支出绩效自评表"
    assert [ws[f"{c}5"].value for c in "DEF"] == [730.4, 800, 768]
    assert ws["B9"].value == "项目支出"
    assert ws["D17"].value == "独立配合法官办结案件数"
    assert ws["A39"].value == "指标分值合计（应为 90 分）"
    assert ws["G39"].value == "=SUM(G17:G38)"
    meta = load_workbook(issued / "SZ001.xlsx")["_perfkit"]
    info = {r[0]: r[1] for r in meta.iter_rows(min_row=2, max_row=12, values_only=True)}
    assert "level" not in info and "project_code" not in info  # exactly as before projects
    budget_header = next(r for r in meta.iter_rows(values_only=True) if r[0] == "year")
    assert "project_code" not in budget_header


def test_a_unit_with_projects_only_gets_no_unit_form(sample, tmp_path):
    with pytest.raises(UsageError, match=r"SZ013.*|--level project") as err:
        make_forms(sample, 2022, tmp_path, units=["SZ013"], level="unit")
    assert "SZ013" in str(err.value) and "--level project" in str(err.value)
    with pytest.raises(UsageError, match="unit、project、all"):
        make_forms(sample, 2022, tmp_path, level="units")
    with pytest.raises(UsageError, match="SZ999"):
        make_forms(sample, 2022, tmp_path, units=["SZ999"], level="project")


def test_project_form_layout(issued):
    wb = load_workbook(issued / "SZ013-P01.xlsx")
    assert wb.sheetnames == ["自评表", "填表说明", "_perfkit"]
    assert wb["_perfkit"].sheet_state == "veryHidden"
    ws = wb["自评表"]
    assert ws["A1"].value == "2022年度项目支出绩效自评表"
    assert [ws[c].value for c in ("A2", "B2", "E2", "F2", "H2", "I2")] == [
        "项目名称", "古建筑修缮工程", "主管部门", "苏州市文化广电和旅游局",
        "实施单位", "苏州市文物保护修缮中心",
    ]  # fmt: skip
    assert [ws[c].value for c in ("A3", "B3", "E3", "F3", "H3", "I3")] == [
        "项目编码", "P01", "项目负责人", "陆某", "单位编码", "SZ013",
    ]  # fmt: skip
    assert ws["A5"].value == "项目资金（万元）"
    assert [ws[f"{c}5"].value for c in "DEFGHI"] == [
        "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分",
    ]  # fmt: skip
    # by hand from budget.csv: 财政拨款 400 / 400 / 380 and 上年结转 0 / 100 / 100; no 支出类型
    # rows (all of a project's rows are 项目支出)
    assert [ws[f"B{r}"].value for r in (6, 7, 8)] == ["年度资金总额", "其中：财政拨款", "上年结转"]
    assert [ws[f"{c}6"].value for c in "DEF"] == [400, 500, 480]
    assert [ws[f"{c}7"].value for c in "DEF"] == [400, 400, 380]
    assert [ws[f"{c}8"].value for c in "DEF"] == [0, 100, 100]
    assert ws["G6"].value == 10
    assert ws["H6"].value == '=IF(N(E6)=0,"",F6/E6)'
    assert ws["I6"].value == '=IF(H6="","",ROUND(MIN(H6,1)*G6,2))'
    assert (ws["B9"].value, ws["F9"].value) == ("预期目标", "实际完成情况")
    assert ws["B10"].value == "完成 3 处古建筑保护性修缮 2000 平方米。"
    assert ws["F10"].value == "已完成修缮并通过竣工验收。"
    assert ws["D13"].value == "三级指标" and ws["I13"].value == "偏差原因分析及改进措施"
    assert [ws[f"{c}14"].value for c in "BCDEFG"] == [
        "产出指标", "数量指标", "修缮古建筑面积", "≥2000平方米", "2000平方米", 30,
    ]  # fmt: skip
    assert ws["D19"].value == "游客满意度" and ws["D20"].value is None
    assert ws["A30"].value == "指标分值合计（应为 90 分）"
    assert ws["G30"].value == "=SUM(G14:G29)"
    assert (ws["A31"].value, ws["G31"].value) == ("总分", "=G6+G30")
    assert ws["A32"].value == "自评等级"
    assert ws["G32"].value == (
        '=IF(H31="","",IF(H31>=90,"优",IF(H31>=80,"良",IF(H31>=60,"中",IF(H31>=0,"差","")))))'
    )
    # inputs yellow and unlocked, the rest protected without a password
    assert ws.protection.sheet is True and not ws.protection.password
    for cell in ("F14", "H14", "I14", "F10", "B20", "G20"):
        assert ws[cell].protection.locked is False, cell
    for cell in ("B2", "B3", "D14", "E14", "G14", "D6", "G30"):
        assert ws[cell].protection.locked is True, cell
    info = {r[0]: r[1] for r in wb["_perfkit"].iter_rows(min_row=2, max_row=12, values_only=True)}
    assert (info["unit_code"], info["level"], info["project_code"]) == ("SZ013", "project", "P01")
    sections = [r[0] for r in wb["_perfkit"].iter_rows(values_only=True) if r[0]]
    assert [s for s in sections if s.startswith("[")] == [
        "[units]", "[projects]", "[budget]", "[narrative]",
    ]  # fmt: skip


# --- forms collect -----------------------------------------------------------------------------


def test_round_trip_of_units_and_projects(sample, issued, tmp_path):
    result = collect_forms(issued, tmp_path / "collected")
    assert result.skipped == {}
    assert result.collected == [(2022, f"SZ{i:03d}") for i in range(1, 13)]
    assert len(result.collected_projects) == 29
    assert result.collected_projects[-1] == (2022, "SZ013", "P05")
    assert "12 个单位的部门整体支出绩效自评表、29 个项目的项目支出绩效自评表" in result.report()
    back = loading.load(tmp_path / "collected")
    _assert_same_scores(sample, back)
    projects = score_dataset(back, RB).projects.set_index(["unit_code", "project_code"])
    # hand-computed in data/sample/README.md
    assert projects.loc[("SZ013", "P01"), "total"] == pytest.approx(96.20, abs=1e-9)
    assert projects.loc[("SZ009", "P01"), "grade"] == "差"
    assert set(back.project_narratives) == set(sample.project_narratives)
    assert len(back.projects) == 29
    # the budget stays item by item: SZ013/P01 has 2 rows; SZ001's own 5, its projects' 2
    b = back.budget
    assert len(b[(b["unit_code"] == "SZ013") & (b["project_code"] == "P01")]) == 2
    assert len(b[(b["unit_code"] == "SZ001") & (b["project_code"] == "")]) == 5
    assert len(back.monthly) == len(sample.monthly)
    # the one warning of the sample (SZ013/P02's two blank cells) is located in its form
    [w] = result.warnings
    assert (w.file, w.cell, w.project_code) == ("SZ013-P02.xlsx", "自评表!E14", "P02")


def test_round_trip_of_project_forms_alone_with_base(sample, sample_path, tmp_path):
    make_forms(sample, 2022, tmp_path / "forms", level="project")
    result = collect_forms(tmp_path / "forms", tmp_path / "out.xlsx", base=sample_path)
    assert result.collected == [] and len(result.collected_projects) == 29
    back = loading.load(tmp_path / "out.xlsx")
    _, projects, _ = _scores(back)
    pd.testing.assert_frame_equal(projects, _scores(sample)[1])
    assert score_dataset(back, RB).units.empty  # no 部门整体 table was collected


def test_a_bad_cell_in_a_project_form(forms_copy, tmp_path):
    _edit(forms_copy / "SZ013-P01.xlsx", lambda ws: ws.__setitem__("H15", "abc"))
    # the one error; the sample's warning (SZ013/P02, a valid form) is not what stops collection
    [p] = _problems(forms_copy, tmp_path / "out")
    assert (p.file, p.cell, p.value) == ("SZ013-P01.xlsx", "自评表!H15", "abc")
    assert (p.unit_code, p.project_code, p.level3) == ("SZ013", "P01", "工程验收合格率")
    assert str(p).startswith("SZ013-P01.xlsx 自评表!H15（单位编码 SZ013，项目编码 P01")


def test_a_project_budget_figure_typed_over(forms_copy, tmp_path):
    _edit(forms_copy / "SZ013-P01.xlsx", lambda ws: ws.__setitem__("F6", 490))
    [p] = _problems(forms_copy, tmp_path / "out")
    assert (p.file, p.cell, p.value, p.code) == (
        "SZ013-P01.xlsx",
        "自评表!F6",
        "490",
        "funding_edited",
    )
    assert "下发时为 480.00" in p.message


def test_a_project_weight_typed_over_is_flagged_at_the_sum(forms_copy, tmp_path):
    # 修缮古建筑面积 30 → 35: the project's weights add up to 95
    _edit(forms_copy / "SZ013-P01.xlsx", lambda ws: ws.__setitem__("G14", 35))
    result = collect_forms(forms_copy, tmp_path / "out")
    [w] = [w for w in result.warnings if w.code == "weights_total"]
    assert (w.file, w.cell, w.value, w.project_code) == (
        "SZ013-P01.xlsx",
        "自评表!G30",
        "95",
        "P01",
    )


def test_a_form_for_an_unknown_project(sample_path, forms_copy, tmp_path):
    path = forms_copy / "SZ013-P01.xlsx"
    wb = load_workbook(path)
    wb["自评表"]["B3"] = "P99"
    meta = wb["_perfkit"]
    next(r for r in meta.iter_rows() if r[0].value == "project_code")[1].value = "P99"
    wb.save(path)
    shutil.move(path, forms_copy / "SZ013-P99.xlsx")
    problems = _problems(forms_copy, tmp_path / "out", base=sample_path)
    assert [(p.file, p.cell, p.value, p.code) for p in problems] == [
        ("SZ013-P99.xlsx", "自评表!B3", "P99", "unknown_project_code")
    ]
    assert problems[0].message == "项目编码不是单位 SZ013 在 projects.csv 中的项目。"


def test_two_forms_for_one_project(forms_copy, tmp_path):
    shutil.copy(forms_copy / "SZ001-P01.xlsx", forms_copy / "SZ001-P01（修改版）.xlsx")
    [p] = _problems(forms_copy, tmp_path / "out")
    assert (p.file, p.cell, p.code) == ("SZ001-P01（修改版）.xlsx", "自评表!B3", "duplicate_form")
    assert "SZ001-P01.xlsx" in p.message and "项目编码 P01" in p.message


def test_skip_invalid_leaves_out_one_project(sample, forms_copy, tmp_path):
    _edit(forms_copy / "SZ001-P01.xlsx", lambda ws: ws.__setitem__("H14", "abc"))
    result = collect_forms(forms_copy, tmp_path / "out", skip_invalid=True)
    assert list(result.skipped) == ["SZ001-P01.xlsx"]
    assert len(result.collected) == 12 and len(result.collected_projects) == 28
    assert (2022, "SZ001", "P01") not in result.collected_projects
    back = score_dataset(loading.load(tmp_path / "out"), RB)
    pairs = set(zip(back.projects["unit_code"], back.projects["project_code"], strict=True))
    assert ("SZ001", "P01") not in pairs and ("SZ001", "P02") in pairs
    # the units' own tables are scored as before; SZ001 has one more finding: its 项目支出 rows
    # (285 + 28.1) no longer match its projects' budgets (P02's 28.1 only)
    base = _scores(sample)[0]
    units = back.units.reset_index(drop=True)
    cols = [c for c in base.columns if c != "n_findings"]
    pd.testing.assert_frame_equal(units[cols], base[cols])
    assert units["n_findings"].tolist()[0] == base["n_findings"].tolist()[0] + 1
    found = back.findings
    mine = found[(found["unit_code"] == "SZ001") & (found["project_code"] == "")]
    assert "project_budget_mismatch" in set(mine["kind"])


def test_a_project_form_without_its_hidden_sheet_needs_base(sample, sample_path, tmp_path):
    make_forms(sample, 2022, tmp_path / "forms", units=["SZ013"], level="project")
    for path in (tmp_path / "forms").glob("*.xlsx"):
        wb = load_workbook(path)
        del wb["_perfkit"]
        wb.save(path)
    problems = _problems(tmp_path / "forms", tmp_path / "out")
    assert len(problems) == 5 and {p.cell for p in problems} == {"自评表!B3"}
    assert all("--base" in p.message for p in problems)
    # with --base the 项目编码 is read from the visible header (B3)
    result = collect_forms(tmp_path / "forms", tmp_path / "out", base=sample_path)
    assert [c[2] for c in result.collected_projects] == ["P01", "P02", "P03", "P04", "P05"]
    back = score_dataset(loading.load(tmp_path / "out"), RB).projects
    base = score_dataset(sample, RB, units=["SZ013"]).projects
    pd.testing.assert_frame_equal(back.reset_index(drop=True), base.reset_index(drop=True))


# --- the command line --------------------------------------------------------------------------


def test_cli_make_levels_and_collect(sample_path, tmp_path):
    from perfkit.cli import _Group
    from perfkit.forms.commands import forms

    cli = _Group(commands={"forms": forms})
    runner = CliRunner()
    data = str(sample_path)
    res = runner.invoke(cli, ["forms", "make", data, "--year", "2022", "--level", "project",
                              "--unit", "SZ013", "--out", str(tmp_path / "p")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "已生成 0 份部门整体支出绩效自评表、5 份项目支出绩效自评表" in res.output
    res = runner.invoke(cli, ["forms", "make", data, "--year", "2022", "--level", "unit",
                              "--out", str(tmp_path / "u")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "已生成 12 份自评表" in res.output
    assert "只有项目的数据，没有部门整体的数据，未生成部门整体自评表：SZ013" in res.output
    res = runner.invoke(cli, ["forms", "make", data, "--year", "2022", "--level", "unit",
                              "--unit", "SZ013", "--out", str(tmp_path / "x")])  # fmt: skip
    assert res.exit_code == 2 and "--level project" in res.output
    shutil.copytree(tmp_path / "p", tmp_path / "u", dirs_exist_ok=True)  # mixed in one folder
    res = runner.invoke(cli, ["forms", "collect", str(tmp_path / "u"), "--out",
                              str(tmp_path / "c")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "12 个单位的部门整体支出绩效自评表、5 个项目的项目支出绩效自评表" in res.output


# --- LibreOffice -------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_a_project_form(sample, issued, tmp_path):
    """A project form with its 得分 filled in opens in LibreOffice headless, its live formulas
    compute, and the copy LibreOffice saves is collected to the same scores."""
    form = tmp_path / "SZ013-P01.xlsx"
    shutil.copy(issued / "SZ013-P01.xlsx", form)

    def scores(ws):
        # the project's own scores by hand (data/sample/README.md): 30, 19.6, 10, 10, 7 (B), 10
        for r, value in zip(range(14, 20), [30, 19.6, 10, 10, 7, 10], strict=True):
            ws[f"H{r}"] = value

    _edit(form, scores)
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    pdf = subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
         str(form)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert (tmp_path / "SZ013-P01.pdf").stat().st_size > 10_000, pdf.stderr
    resaved = tmp_path / "resaved"
    resaved.mkdir()
    subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
         "--outdir", str(resaved), str(form)],
        capture_output=True, timeout=180,
    )  # fmt: skip
    ws = load_workbook(resaved / "SZ013-P01.xlsx", data_only=True)["自评表"]
    # 执行率 480 / 500 = 0.96, 得分 9.6; 分值 90 and 100; self total 9.6 + 86.6 = 96.2 → 优
    assert ws["H6"].value == pytest.approx(0.96)
    assert ws["I6"].value == pytest.approx(9.6)
    assert (ws["G30"].value, ws["G31"].value) == (90, 100)
    assert ws["H31"].value == pytest.approx(96.2)
    assert ws["G32"].value == "优"
    collect_forms(resaved, tmp_path / "collected")
    back = score_dataset(loading.load(tmp_path / "collected"), RB).projects
    assert back[["unit_code", "project_code", "total", "grade"]].values.tolist() == [
        ["SZ013", "P01", 96.2, "优"]
    ]
