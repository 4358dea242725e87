"""The Excel round trip (issue 4): ``forms make`` → people fill in → ``forms collect``.

Cell addresses and figures below are worked out by hand from data/sample and the layout of
perfkit/forms/layout.py. For SZ001 (5 budget rows: 财政拨款 and 上年结转, 基本支出 and 项目支出,
3 goals, 12 indicators) the 自评表 is:
  rows 1–3 title, unit header, note; row 4 funding header;
  rows 5–9 funding: 5 年度资金总额, 6 其中：财政拨款, 7 上年结转, 8 其中：基本支出, 9 项目支出;
  row 10 goals header; rows 11–13 the 3 goals, 14–15 spare;
  row 16 indicator header; rows 17–28 the 12 indicators, 29–38 spare (10);
  row 39 指标分值合计, row 40 总分, row 41 footnote.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest
from click.testing import CliRunner
from factories import budget_row, indicator_row, make_dataset
from openpyxl import load_workbook
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.styles import Font, PatternFill

from perfkit.core.problems import InvalidInput, Problem, UsageError
from perfkit.data import loading
from perfkit.data.loading import load
from perfkit.forms import collect_forms, make_forms
from perfkit.forms.cells import amount_text, number_text, percent_format, text_value
from perfkit.forms.partial import load_partial
from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring.scores import score_dataset

RB = load_rulebook()


@pytest.fixture(scope="module")
def sample(units_sample_path):
    # the units' 部门整体 forms as they were before projects: made from data/sample without its
    # projects (conftest.write_units_only); the projects' forms: tests/test_forms_projects.py
    return load(units_sample_path)


@pytest.fixture(scope="module")
def issued(sample, tmp_path_factory) -> Path:
    """The sample's 2022 forms, as issued (do not modify: copy with ``forms_copy``)."""
    out = tmp_path_factory.mktemp("issued")
    make_forms(sample, 2022, out)
    return out


@pytest.fixture
def forms_copy(issued, tmp_path) -> Path:
    folder = tmp_path / "returned"
    shutil.copytree(issued, folder)
    return folder


def _edit(path: Path, edit) -> None:
    """Open a form as a person would (styles and all), change it, save it."""
    wb = load_workbook(path)
    edit(wb["自评表"])
    wb.save(path)


def _scores(ds):
    s = score_dataset(ds, RB)
    units = s.units.sort_values(["year", "unit_code"]).reset_index(drop=True)
    cols = ["year", "unit_code", "level3", "score", "rule", "tier"]
    inds = s.indicators[cols].sort_values(cols[:3]).reset_index(drop=True)
    return units, inds


def _assert_same_scores(a, b) -> None:
    ua, ia = _scores(a)
    ub, ib = _scores(b)
    pd.testing.assert_frame_equal(ua, ub)
    pd.testing.assert_frame_equal(ia, ib)


# --- forms make --------------------------------------------------------------------------------


def test_make_writes_one_form_per_unit_with_hidden_metadata(issued):
    names = sorted(p.name for p in issued.glob("*.xlsx"))
    assert names == [f"SZ{i:03d}.xlsx" for i in range(1, 13)]
    wb = load_workbook(issued / "SZ001.xlsx")
    assert wb.sheetnames == ["自评表", "填表说明", "_perfkit"]
    assert wb["_perfkit"].sheet_state == "veryHidden"
    assert wb.active.title == "自评表"
    meta = {r[0]: r[1] for r in wb["_perfkit"].iter_rows(min_row=2, max_row=8, values_only=True)}
    assert meta["unit_code"] == "SZ001" and meta["year"] == "2022"
    assert meta["rulebook"] == "mof2020" and meta["layout_version"] == "1"


def test_make_lays_out_the_standard_table(issued):
    ws = load_workbook(issued / "SZ001.xlsx")["自评表"]
    assert ws["A1"].value == "2022年度部门整体支出绩效自评表"
    assert "A1:I1" in {str(r) for r in ws.merged_cells.ranges}
    assert (ws["B2"].value, ws["F2"].value, ws["I2"].value) == (
        "苏州市智慧审判保障中心",
        "苏州市中级人民法院",
        "SZ001",
    )
    assert [ws[f"{c}4"].value for c in "DEFGHI"] == [
        "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分",
    ]  # fmt: skip
    labels = [ws[f"B{r}"].value for r in range(5, 10)]
    assert labels == ["年度资金总额", "其中：财政拨款", "上年结转", "其中：基本支出", "项目支出"]
    # by hand from budget.csv: 年初 420 + 48 + 2.4 + 260 + 0 = 730.4;
    # 全年 436.5 + 48 + 2.4 + 285 + 28.1 = 800; 执行 433.9 + 33.6 + 1.08 + 273.6 + 25.82 = 768
    assert [ws[f"{c}5"].value for c in "DEF"] == [730.4, 800, 768]
    # 上年结转: only 网络安全等级保护测评, 0 / 28.1 / 25.82
    assert [ws[f"{c}7"].value for c in "DEF"] == [0, 28.1, 25.82]
    assert ws["G5"].value == 10  # mof2020's execution weight, on the total row only
    assert ws["G6"].value is None
    assert ws["H5"].value == '=IF(N(E5)=0,"",F5/E5)'
    assert ws["I5"].value == '=IF(H5="","",ROUND(MIN(H5,1)*G5,2))'
    assert ws["I6"].value is None
    assert (ws["B10"].value, ws["F10"].value) == ("预期目标", "实际完成情况")
    assert ws["B11"].value.startswith("保障全市法院“智慧审判”")
    assert [ws[f"{c}16"].value for c in "BCDEFGHI"] == [
        "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
        "偏差原因分析及改进措施",
    ]  # fmt: skip
    assert [ws[f"{c}17"].value for c in "BCDEFGH"] == [
        "产出指标", "数量指标", "独立配合法官办结案件数", "≥150件", "230余件", 10, 10,
    ]  # fmt: skip
    assert ws["D29"].value is None  # the first spare row
    assert ws["A39"].value == "指标分值合计（应为 90 分）"
    assert ws["G39"].value == "=SUM(G17:G38)"
    assert ws["A40"].value == "总分"
    assert ws["G40"].value == "=G5+G39"


def test_targets_starting_with_equals_are_text_not_formulas(issued):
    ws = load_workbook(issued / "SZ001.xlsx")["自评表"]
    # rows 22 and 24: 检查合格率 "=100%" and 网络安全事故次数 "=0次"
    assert (ws["E22"].value, ws["E22"].data_type) == ("=100%", "s")
    assert (ws["E24"].value, ws["E24"].data_type) == ("=0次", "s")


def test_inputs_are_yellow_and_unlocked_the_rest_protected(issued):
    ws = load_workbook(issued / "SZ001.xlsx")["自评表"]
    assert ws.protection.sheet is True
    assert not ws.protection.password
    for cell in ("F17", "H17", "I17", "F11", "B14", "B29", "D29", "G29"):
        assert ws[cell].protection.locked is False, cell
        assert ws[cell].fill.fgColor.rgb.endswith("FFF2CC"), cell
    for cell in ("B17", "D17", "E17", "G17", "D5", "H5", "B11", "G39"):
        assert ws[cell].protection.locked is True, cell
    assert ws["F17"].number_format == "@"  # typing 95% keeps the text "95%"
    assert ws.freeze_panes == "A4"


def test_drop_downs_and_weight_check(issued):
    ws = load_workbook(issued / "SZ001.xlsx")["自评表"]
    lists = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    level1 = next(f for f in lists if "产出指标" in f and "效益指标" in f and "数量指标" not in f)
    assert lists[level1] == "B17:B38"
    tiers = next(f for f in lists if "部分达成年度指标并具有一定效果" in f)
    # the tier list only on the qualitative rows: 25–27 (完成接入, 有效提升, 正常运行)
    assert set(lists[tiers].split()) == {"F25", "F26", "F27"}
    rules = [
        (str(rng.sqref), rule.formula) for rng in ws.conditional_formatting for rule in rng.rules
    ]
    assert ("G39", ["ROUND($G$39,4)<>90"]) in rules


def test_instructions_sheet_explains_notation_and_rules(issued):
    ws = load_workbook(issued / "SZ001.xlsx")["填表说明"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    for needle in ("≥95%", "=0次", "230余件", "不低于12次", "撤销工作表保护", "虚构"):
        assert needle in text, needle
    assert "得分 = 执行率 × 10 分，最高 10 分" in text
    assert "绩效指标共 90 分" in text
    assert "分值的 80%–100%" in text  # tier A of mof2020


def test_instructions_follow_the_rulebook(tmp_path):
    ds = make_dataset(
        budget=[budget_row("U1")],
        indicators=[indicator_row("U1", "事项", "≥1件", "1件", 90)],
    )
    [out] = make_forms(ds, 2022, tmp_path, rulebook="jiangxi")
    ws = load_workbook(out)["填表说明"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "按档计分" in text and "执行率达到 100% 得 10 分" in text
    form = load_workbook(out)["自评表"]
    # Jiangxi: 100% → 10, [80%, 100%) → 7, [60%, 80%) → 5, else 0, as nested IFs from the lowest
    assert form["I5"].value == ('=IF(H5="","",ROUND(IF(H5>=1,10,IF(H5>=0.8,7,IF(H5>=0.6,5,0))),2))')


def test_make_rejects_unknown_units_and_years(sample, tmp_path):
    with pytest.raises(UsageError, match="SZ999"):
        make_forms(sample, 2022, tmp_path, units=["SZ999"])
    with pytest.raises(UsageError, match="2030"):
        make_forms(sample, 2030, tmp_path)
    assert [p.name for p in make_forms(sample, 2022, tmp_path, units=["SZ003"])] == ["SZ003.xlsx"]


def test_make_from_a_dataset_without_actuals(tmp_path):
    """The bureau's data before the forms come back: targets and weights, no 实际完成值."""
    ds = make_dataset(
        budget=[budget_row("U1", adjusted=100, executed=0)],
        indicators=[
            indicator_row("U1", "办件数", "≥100件", "", 60),
            indicator_row("U1", "满意度", "达成年度指标", "", 30),
        ],
    )
    [path] = make_forms(ds, 2022, tmp_path)
    ws = load_workbook(path)["自评表"]
    # 1 funding row per group + total = 3 funding rows (5–7), goals header 8, 2 spare goals
    # (9–10), indicator header 11, rows 12–13 and 10 spare
    assert ws["D12"].value == "办件数" and ws["F12"].value is None
    assert ws["D13"].value == "满意度"


# --- forms collect: the round trip -------------------------------------------------------------


def test_round_trip_gives_the_same_scores(sample, issued, tmp_path):
    result = collect_forms(issued, tmp_path / "collected")
    assert result.skipped == {}
    assert result.collected == [(2022, f"SZ{i:03d}") for i in range(1, 13)]
    back = loading.load(tmp_path / "collected")
    _assert_same_scores(sample, back)
    assert back.fictional
    assert set(back.narratives) == set(sample.narratives)
    assert back.narratives[(2022, "SZ001")].problems == sample.narratives[(2022, "SZ001")].problems
    # the budget stays item by item (5 rows for SZ001), monthly rows come back too
    assert len(back.budget[back.budget["unit_code"] == "SZ001"]) == 5
    assert len(back.monthly) == len(sample.monthly)


def test_round_trip_to_one_workbook(sample, issued, tmp_path):
    collect_forms(issued, tmp_path / "collected.xlsx")
    _assert_same_scores(sample, loading.load(tmp_path / "collected.xlsx"))


def test_round_trip_with_base(units_sample_path, sample, issued, tmp_path):
    result = collect_forms(issued, tmp_path / "collected", base=units_sample_path)
    assert len(result.collected) == 12
    _assert_same_scores(sample, loading.load(tmp_path / "collected"))


def _row_of(ws, level3: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws[f"D{r}"].value == level3)


def test_edited_forms_typed_numbers_percentages_and_added_rows(forms_copy, tmp_path):
    def sz006(ws):
        # typed over: 创业孵化项目数 57个 → 60个 (target 60个)
        ws[f"F{_row_of(ws, '创业孵化项目数')}"] = "60个"
        # a percentage typed as a number: Excel stores 0.83 with a % format
        r = _row_of(ws, "培训后就业率")
        ws[f"F{r}"] = 0.83
        ws[f"F{r}"].number_format = "0%"
        # full-width ％ and stray spaces
        ws[f"F{_row_of(ws, '服务对象满意度')}"] = " 95％ "
        # a weight typed as text
        ws[f"G{_row_of(ws, '人均培训补贴')}"] = "5"

    def sz010(ws):
        # the unit lowers one weight (10 → 5) and adds an indicator of 5 in the first spare row
        ws[f"G{_row_of(ws, '受助人员满意度')}"] = 5
        r = _row_of(ws, "受助人员满意度") + 1
        for col, value in zip(
            "BCDEFG", ["产出指标", "数量指标", "宣传活动次数", "≥10次", 8, 5], strict=True
        ):
            ws[f"{col}{r}"] = value
        ws[f"I{r}"] = "受疫情影响部分活动取消"

    _edit(forms_copy / "SZ006.xlsx", sz006)
    _edit(forms_copy / "SZ010.xlsx", sz010)
    collect_forms(forms_copy, tmp_path / "collected")
    back = loading.load(tmp_path / "collected")
    units = score_dataset(back, RB).units.set_index("unit_code")
    # SZ006 by hand: execution 1574.4 / 1600 = 0.984 → 9.84; indicators were 90 − 10 × (1 − 57/60)
    # = 89.5; with 创业孵化项目数 met they are 90; 83% ≥ 80% and 95% ≥ 90% still met → 99.84
    assert units.loc["SZ006", "total"] == pytest.approx(99.84, abs=1e-9)
    # SZ010 by hand: execution 344.75 / 350 = 0.985 → 9.85; indicators 90 − 10 + 5 (满意度 met at
    # its new weight 5) + 5 × 8 / 10 = 4 (宣传活动次数) = 89 → 98.85, 优
    assert units.loc["SZ010", "total"] == pytest.approx(98.85, abs=1e-9)
    assert units.loc["SZ010", "grade"] == "优"
    added = back.indicators[back.indicators["level3"] == "宣传活动次数"].iloc[0]
    assert (added["target"], added["actual"], added["weight"]) == ("≥10次", "8", 5.0)
    assert added["deviation_reason"] == "受疫情影响部分活动取消"
    ind = back.indicators.set_index(["unit_code", "level3"])
    assert ind.loc[("SZ006", "培训后就业率"), "actual"] == "83%"
    assert ind.loc[("SZ006", "服务对象满意度"), "actual"] == "95％"


def _shared_strings(path: Path) -> None:
    """Move every text into a shared-strings table, as Excel and WPS write them (openpyxl writes
    inline strings). Test fixture only: perfkit itself reads and writes through openpyxl."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    q = f"{{{main}}}"
    ET.register_namespace("", main)
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    strings: dict[str, int] = {}
    for name in [n for n in files if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]:
        root = ET.fromstring(files[name])
        for c in root.iter(f"{q}c"):
            if c.get("t") == "inlineStr":
                is_ = c.find(f"{q}is")
                text = "".join(t.text or "" for t in is_.iter(f"{q}t"))
                c.remove(is_)
                c.set("t", "s")
                ET.SubElement(c, f"{q}v").text = str(strings.setdefault(text, len(strings)))
        files[name] = ET.tostring(root, xml_declaration=True, encoding="UTF-8")
    sst = ET.Element(f"{q}sst", count=str(len(strings)), uniqueCount=str(len(strings)))
    for text in strings:
        t = ET.SubElement(ET.SubElement(sst, f"{q}si"), f"{q}t")
        t.text = text
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    files["xl/sharedStrings.xml"] = ET.tostring(sst, xml_declaration=True, encoding="UTF-8")
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    files["xl/_rels/workbook.xml.rels"] = files["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)


def _wps_style(path: Path) -> None:
    """What a unit's WPS does to a form: another sheet name, other fonts and fills, no protection,
    no drop-downs or conditional formats, no defined names, blank rows inserted, weights stored as
    text, and a shared-strings table."""
    wb = load_workbook(path)
    ws = wb["自评表"]
    ws.title = "Sheet1"
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    ws.data_validations.dataValidation = []
    ws.conditional_formatting = ConditionalFormattingList()
    ws.protection.sheet = False
    ws.print_title_rows = None
    ws.print_area = None
    wb.calculation.fullCalcOnLoad = False
    for row in ws.iter_rows():
        for cell in row:
            cell.font = Font(name="Calibri", size=10)
            cell.fill = PatternFill()
            if cell.column_letter == "G" and isinstance(cell.value, int | float):
                cell.value = str(cell.value)
    first = next(r for r in range(1, ws.max_row + 1) if ws[f"B{r}"].value == "一级指标")
    ws.insert_rows(first + 3, 1)  # a blank row between the 2nd and 3rd indicator
    ws.insert_rows(first + 1, 2)  # two after the header
    ws.insert_rows(first, 1)  # and one before it
    wb.save(path)
    _shared_strings(path)


def test_wps_style_files_read_the_same(sample, forms_copy, tmp_path):
    for name in ("SZ001.xlsx", "SZ003.xlsx", "SZ008.xlsx"):
        _wps_style(forms_copy / name)
    assert load_workbook(forms_copy / "SZ001.xlsx").sheetnames[0] == "Sheet1"
    result = collect_forms(forms_copy, tmp_path / "collected")
    assert result.skipped == {}
    _assert_same_scores(sample, loading.load(tmp_path / "collected"))


def test_problems_in_a_renamed_sheet_name_the_new_name(forms_copy, tmp_path):
    _wps_style(forms_copy / "SZ001.xlsx")
    # after _wps_style the first indicator (row 17) moved down by the row inserted before the
    # header and the two after it, to row 20
    wb = load_workbook(forms_copy / "SZ001.xlsx")
    assert wb["Sheet1"]["D20"].value == "独立配合法官办结案件数"
    wb["Sheet1"]["H20"] = "abc"  # 得分 must be a number
    wb.save(forms_copy / "SZ001.xlsx")
    with pytest.raises(InvalidInput) as err:
        collect_forms(forms_copy, tmp_path / "collected")
    [p] = err.value.problems
    assert (p.file, p.cell, p.value) == ("SZ001.xlsx", "Sheet1!H20", "abc")


def test_lock_files_are_ignored_and_other_formats_reported(issued, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(issued / "SZ001.xlsx", folder / "SZ001.xlsx")
    (folder / "~$SZ001.xlsx").write_bytes(b"lock")
    (folder / "SZ002.xls").write_bytes(b"old excel")
    with pytest.raises(InvalidInput) as err:
        collect_forms(folder, tmp_path / "out")
    [p] = err.value.problems
    assert p.file == "SZ002.xls" and "另存为 .xlsx" in p.message


# --- bad forms ---------------------------------------------------------------------------------


def _problems(folder: Path, out: Path, **kw) -> list[Problem]:
    with pytest.raises(InvalidInput) as err:
        collect_forms(folder, out, **kw)
    assert not out.exists()  # nothing is written while a form is invalid
    return err.value.problems


def test_a_deleted_required_cell(forms_copy, tmp_path):
    _edit(forms_copy / "SZ002.xlsx", lambda ws: ws.__setitem__("D17", None))
    [p] = _problems(forms_copy, tmp_path / "out")
    assert (p.file, p.cell, p.message) == ("SZ002.xlsx", "自评表!D17", "不能为空")
    assert str(p).startswith("SZ002.xlsx 自评表!D17")


def test_abc_in_actual_is_collected_and_flagged(forms_copy, tmp_path):
    # an actual that names no tier cannot be verified: a warning, not a refusal (issue 8 §4)
    _edit(forms_copy / "SZ001.xlsx", lambda ws: ws.__setitem__("F17", "abc"))
    result = collect_forms(forms_copy, tmp_path / "out")
    [w] = loading.load(tmp_path / "out").warnings
    assert (w.severity, w.code, w.value) == ("warning", "no_tier", "abc")
    assert w.level3 == "独立配合法官办结案件数"
    # collect says so, at the form's cell
    [shown] = result.warnings
    assert (shown.file, shown.cell, shown.code) == ("SZ001.xlsx", "自评表!F17", "no_tier")
    assert "SZ001.xlsx 自评表!F17" in result.report()


def test_abc_in_reported_score(forms_copy, tmp_path):
    _edit(forms_copy / "SZ001.xlsx", lambda ws: ws.__setitem__("H17", "abc"))
    [p] = _problems(forms_copy, tmp_path / "out")
    assert (p.file, p.cell, p.value) == ("SZ001.xlsx", "自评表!H17", "abc")
    assert p.message.startswith("应为数字")
    assert p.level3 == "独立配合法官办结案件数"


def test_a_weight_typed_over(forms_copy, tmp_path):
    # 独立配合法官办结案件数 10 → 15: the weights add up to 90 − 10 + 15 = 95: collected, flagged
    _edit(forms_copy / "SZ001.xlsx", lambda ws: ws.__setitem__("G17", 15))
    collect_forms(forms_copy, tmp_path / "out")
    [w] = loading.load(tmp_path / "out").warnings
    assert (w.code, w.value, w.unit_code) == ("weights_total", "95", "SZ001")
    assert "分值合计为 95 分，与评分规则" in w.message


def test_a_budget_figure_typed_over(forms_copy, tmp_path):
    _edit(forms_copy / "SZ001.xlsx", lambda ws: ws.__setitem__("F5", 790))
    [p] = _problems(forms_copy, tmp_path / "out")
    assert (p.file, p.cell, p.value) == ("SZ001.xlsx", "自评表!F5", "790")
    assert "下发时为 768.00" in p.message


def test_every_problem_at_once(forms_copy, tmp_path):
    _edit(forms_copy / "SZ001.xlsx", lambda ws: ws.__setitem__("H17", "abc"))
    _edit(forms_copy / "SZ002.xlsx", lambda ws: ws.__setitem__("D17", None))
    (forms_copy / "SZ003.xlsx").write_bytes(b"not a workbook")
    problems = _problems(forms_copy, tmp_path / "out")
    assert {(p.file, p.cell) for p in problems} == {
        ("SZ001.xlsx", "自评表!H17"),
        ("SZ002.xlsx", "自评表!D17"),
        ("SZ003.xlsx", None),
    }


def test_a_form_for_a_unit_not_in_base(units_sample_path, forms_copy, tmp_path):
    path = forms_copy / "SZ001.xlsx"
    wb = load_workbook(path)
    wb["自评表"]["I2"] = "SZ099"
    meta = wb["_perfkit"]
    next(r for r in meta.iter_rows() if r[0].value == "unit_code")[1].value = "SZ099"
    wb.save(path)
    shutil.move(path, forms_copy / "SZ099.xlsx")
    problems = _problems(forms_copy, tmp_path / "out", base=units_sample_path)
    assert [(p.file, p.cell, p.value) for p in problems] == [("SZ099.xlsx", "自评表!I2", "SZ099")]
    assert problems[0].message == "单位编码在 units.csv 中不存在。"


def test_two_forms_for_one_unit(forms_copy, tmp_path):
    shutil.copy(forms_copy / "SZ001.xlsx", forms_copy / "SZ001（修改版）.xlsx")
    [p] = _problems(forms_copy, tmp_path / "out")
    assert p.file == "SZ001（修改版）.xlsx" and "SZ001.xlsx" in p.message


def test_skip_invalid_writes_the_rest_and_lists_the_skipped(forms_copy, tmp_path):
    _edit(forms_copy / "SZ001.xlsx", lambda ws: ws.__setitem__("H17", "abc"))
    result = collect_forms(forms_copy, tmp_path / "out", skip_invalid=True)
    assert list(result.skipped) == ["SZ001.xlsx"]
    assert (2022, "SZ001") not in result.collected and len(result.collected) == 11
    back = loading.load(tmp_path / "out")
    assert "SZ001" not in set(back.units["unit_code"])
    assert "SZ001.xlsx" in result.report() and "自评表!H17" in result.report()


def test_a_form_without_its_hidden_sheet_needs_base(
    units_sample_path, sample, forms_copy, tmp_path
):
    for path in forms_copy.glob("*.xlsx"):
        wb = load_workbook(path)
        del wb["_perfkit"]
        wb.save(path)
    problems = _problems(forms_copy, tmp_path / "out")
    assert len(problems) == 12 and all("--base" in p.message for p in problems)
    collect_forms(forms_copy, tmp_path / "out", base=units_sample_path)
    _assert_same_scores(sample, loading.load(tmp_path / "out"))


def test_a_base_without_actuals_is_accepted(tmp_path):
    """The bureau's base: targets and weights set, 实际完成值 not yet (forms make and --base)."""
    base = tmp_path / "base"
    (base).mkdir()
    (base / "units.csv").write_text(
        "单位编码,单位名称,主管部门,主要职能,内设机构,下属单位\nU1,甲单位,某局,,,\n", "utf-8"
    )
    (base / "budget.csv").write_text(
        "年度,单位编码,资金来源,支出类型,项目,年初预算数,全年预算数,全年执行数\n"
        "2022,U1,财政拨款,基本支出,人员经费,100,100,90\n",
        "utf-8",
    )
    (base / "indicators.csv").write_text(
        "年度,单位编码,一级指标,二级指标,三级指标,年度指标值,实际完成值,分值\n"
        "2022,U1,产出指标,数量指标,办件数,≥100件,,90\n",
        "utf-8",
    )
    (base / "goals.csv").write_text(
        "年度,单位编码,预期目标,实际完成情况\n2022,U1,办好事,\n", "utf-8"
    )
    # a blank actual is a warning for load (scored 0, flagged) and nothing at all for a base
    assert [w.code for w in loading.load(base).warnings] == ["blank_cells"]
    ds = load_partial(base)
    assert ds.warnings == []
    [form] = make_forms(ds, 2022, tmp_path / "forms")
    # 3 funding rows (5–7), goals header 8, 1 goal + 2 spare (9–11), indicator header 12
    _edit(form, lambda ws: ws.__setitem__("F13", "80件"))
    collect_forms(tmp_path / "forms", tmp_path / "out", base=base)
    units = score_dataset(loading.load(tmp_path / "out"), RB).units
    # by hand: execution 90 / 100 → 9; 办件数 90 × 80 / 100 = 72 → total 81, 良
    assert units.loc[0, "total"] == pytest.approx(81.0, abs=1e-9)
    assert units.loc[0, "grade"] == "良"


# --- the command line --------------------------------------------------------------------------


def test_cli_make_collect_and_export(units_sample_path, tmp_path):
    from perfkit.cli import _Group
    from perfkit.forms.commands import export_command, forms

    cli = _Group(commands={"forms": forms, "export": export_command})
    runner = CliRunner()
    sample = str(units_sample_path)
    res = runner.invoke(cli, ["forms", "make", sample, "--year", "2022", "--unit", "SZ001",
                              "--unit", "SZ002", "--out", str(tmp_path / "forms")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "forms").iterdir()) == ["SZ001.xlsx", "SZ002.xlsx"]
    res = runner.invoke(cli, ["forms", "collect", str(tmp_path / "forms"), "--out",
                              str(tmp_path / "c.xlsx"), "--base", sample])  # fmt: skip
    assert res.exit_code == 0, res.output
    _edit(tmp_path / "forms" / "SZ001.xlsx", lambda ws: ws.__setitem__("H17", "abc"))
    res = runner.invoke(cli, ["forms", "collect", str(tmp_path / "forms"), "--out",
                              str(tmp_path / "d")])  # fmt: skip
    assert res.exit_code == 2
    assert "SZ001.xlsx 自评表!H17" in res.output
    res = runner.invoke(cli, ["forms", "collect", str(tmp_path / "forms"), "--out",
                              str(tmp_path / "d"), "--skip-invalid"])  # fmt: skip
    assert res.exit_code == 1 and "SZ001.xlsx" in res.output
    res = runner.invoke(cli, ["export", str(units_sample_path), "--out", str(tmp_path / "s.xlsx")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s.xlsx").is_file()


# --- cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (0.95, "0%", "95%"),
        (0.9523, "0.00%", "95.23%"),
        (1, "0%", "100%"),
        (0.07, "0.0%", "7%"),  # 0.07 × 100 in decimal is exactly 7, not 7.000000000000001
        (95, '0"%"', "95%"),  # a literal % sign: the number is not scaled
        (230, "General", "230"),
        (230.0, "General", "230"),
        (12.5, "0.00", "12.5"),
        (" 96% ", "@", "96%"),
        ("\u3000达成年度指标\u00a0", "General", "达成年度指标"),
        (None, "General", ""),
        (dt.datetime(2022, 12, 31), "yyyy-mm-dd", "2022-12-31"),
    ],
)
def test_text_value(value, fmt, expected):
    assert text_value(value, fmt) == expected


def test_percent_format():
    assert percent_format("0.00%") == "scaled"
    assert percent_format('0"%"') == "literal"
    assert percent_format("General") == ""
    assert number_text(0.5, "0%") == "50%"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(10, "10"), (2.5, "2.5"), ("１０", "10"), (" 1,234.5 ", "1234.5"), ("abc", "abc"), ("", "")],
)
def test_amount_text(value, expected):
    assert amount_text(value) == expected


# --- LibreOffice -------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_renders_and_resaves_a_form(sample, issued, tmp_path):
    """A form opens in LibreOffice headless (no repair), renders to PDF, and a copy saved by
    LibreOffice is still collected to the same scores."""
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    pdf = subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
         str(issued / "SZ001.xlsx")],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert (tmp_path / "SZ001.pdf").stat().st_size > 10_000, pdf.stderr
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(tmp_path / "SZ001.pdf"),
             str(tmp_path / "page")],
            check=True, timeout=60,
        )  # fmt: skip
        assert list(tmp_path.glob("page*.png"))
    resaved = tmp_path / "resaved"
    resaved.mkdir()
    subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
         "--outdir", str(resaved), str(issued / "SZ001.xlsx")],
        capture_output=True, timeout=180,
    )  # fmt: skip
    # LibreOffice computed the live formulas: 执行率 768 / 800 = 0.96, 得分 min(0.96, 1) × 10 = 9.6,
    # 指标分值合计 90, 总分 10 + 90 = 100
    ws = load_workbook(resaved / "SZ001.xlsx", data_only=True)["自评表"]
    assert ws["H5"].value == pytest.approx(0.96)
    assert ws["I5"].value == pytest.approx(9.6)
    assert (ws["G39"].value, ws["G40"].value) == (90, 100)
    assert ws["H39"].value == "分值合计正确"
    # and the copy it saved is collected to the same scores, from its hidden sheet alone
    collect_forms(resaved, tmp_path / "collected")
    back = score_dataset(loading.load(tmp_path / "collected"), RB).units
    original = score_dataset(sample, RB, units=["SZ001"]).units
    pd.testing.assert_frame_equal(back.reset_index(drop=True), original.reset_index(drop=True))
