"""``perfkit forms make``: one pre-filled 自评表 workbook per unit (部门整体支出绩效自评表, from the
unit's own rows) and per project (项目支出绩效自评表, from the rows of its 项目编码).

Each workbook has the sheet 自评表 (laid out as in :mod:`perfkit.forms.layout`), the sheet 填表说明
and the very hidden sheet ``_perfkit`` (see :mod:`perfkit.forms.meta`). Input cells are light
yellow and unlocked; everything else is protected (no password), so a unit cannot overwrite a
formula or a figure from the budget system by accident.
"""

from __future__ import annotations

import math
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from perfkit.core.problems import UsageError
from perfkit.core.text import clean
from perfkit.core.version import __version__
from perfkit.data.dataset import Dataset
from perfkit.data.writers import format_text, narrative_markdown, put
from perfkit.forms import instructions
from perfkit.forms import layout as L
from perfkit.forms.meta import META_TABLES, PROJECT_META_TABLES, write_meta
from perfkit.rules.notation import NotationError, parse
from perfkit.rules.rulebook import Rulebook, load_rulebook

FONT = "宋体"
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
ALERT_FILL = PatternFill("solid", fgColor="FF0000")
LOW_FILL = PatternFill("solid", fgColor="F8CBAD")
UNLOCKED = Protection(locked=False)
AMOUNT_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00%"
SCORE_FORMAT = "0.00"
#: line height (points) of 11-point CJK text, and the smallest row height we use
_LINE = 15.0
_MIN_ROW = 21.0


class Formula(str):
    """A live Excel formula ("=SUM(G9:G20)"); any other text starting with "=" stays text."""


def _width(text: str) -> int:
    """Display width: CJK and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(text: str, columns: float) -> int:
    usable = max(columns - 1.5, 1.0)
    return sum(max(1, math.ceil(_width(part) / usable)) for part in str(text).split("\n"))


_ALIGN = {
    "left": Alignment(horizontal="left", vertical="center", wrap_text=True),
    "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
    "right": Alignment(horizontal="right", vertical="center"),
    "indent": Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1),
}


class _Sheet:
    """Writing helpers for one sheet: boxes (merged, bordered, styled) and row heights.

    Styles are registered once per workbook as named styles and assigned by name: setting fonts,
    borders and fills cell by cell costs ten times more in openpyxl.
    """

    def __init__(self, ws: Worksheet, widths: dict[str, float]):
        self.ws = ws
        self.widths = widths
        self.heights: dict[int, float] = {}
        for col, width in widths.items():
            ws.column_dimensions[col].width = width

    def style(
        self,
        *,
        header: bool = False,
        entry: bool = False,
        align: str = "left",
        number_format: str = "General",
        bold: bool = False,
        border: bool = True,
        size: float = 11,
        color: str = "000000",
    ) -> str:
        """The name of the named style with these properties (created on first use)."""
        wb = self.ws.parent
        name = (
            f"perfkit {'h' if header else ''}{'e' if entry else ''}{'b' if bold else ''}"
            f"{'' if border else 'n'} {align} {size:g} {color} {number_format}"
        )
        if name not in wb.named_styles:
            style = NamedStyle(name=name, number_format=number_format)
            style.font = Font(name=FONT, size=size, bold=bold or header, color=color)
            style.alignment = _ALIGN["center" if header else align]
            if border:
                style.border = BORDER
            if header:
                style.fill = HEADER_FILL
            if entry:
                style.fill = INPUT_FILL
            style.protection = UNLOCKED if entry else Protection(locked=True)
            wb.add_named_style(style)
        return name

    def box(
        self,
        first: str,
        row: int,
        value: Any = None,
        last: str | None = None,
        to_row: int | None = None,
        **style: Any,
    ) -> None:
        """Write ``value`` at first:row, merge through last:to_row, style every cell of the box."""
        last = last or first
        to_row = to_row or row
        ws = self.ws
        if (last, to_row) != (first, row):
            ws.merge_cells(f"{first}{row}:{last}{to_row}")
        if isinstance(value, Formula):
            ws[f"{first}{row}"] = str(value)
        elif value is not None and value != "":
            put(ws[f"{first}{row}"], value)
        name = self.style(**style)
        for line in ws[f"{first}{row}:{last}{to_row}"]:
            for cell in line:
                cell.style = name
        if isinstance(value, str) and not isinstance(value, Formula) and to_row == row:
            span = sum(self.widths[c] for c in _columns(first, last))
            self.fit(row, _lines(value, span))

    def fit(self, row: int, lines: int) -> None:
        self.heights[row] = max(self.heights.get(row, _MIN_ROW), lines * _LINE + 6)

    def apply_heights(self) -> None:
        for row, height in self.heights.items():
            self.ws.row_dimensions[row].height = height


def _columns(first: str, last: str) -> list[str]:
    return [chr(c) for c in range(ord(first), ord(last) + 1)]


def _is_qualitative(target: str) -> bool:
    try:
        return parse(target).qualitative
    except NotationError:
        return False


def _list_validation(choices: Iterable[str], title: str) -> DataValidation:
    """A drop-down that takes other text after a warning: provinces name things differently."""
    formula, total = [], 0
    cleaned = (clean(c) for c in choices)
    for choice in dict.fromkeys(c for c in cleaned if c and "," not in c and '"' not in c):
        total += len(choice) + 1
        if total > 250:  # Excel's limit for an inline list is 255 characters
            break
        formula.append(choice)
    return DataValidation(
        type="list",
        formula1='"' + ",".join(formula) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=title,
        error="不在下拉列表中。确认使用这个写法吗？",
        promptTitle=title,
        prompt="可从下拉列表选择",
        showInputMessage=True,
    )


def _number_validation(title: str) -> DataValidation:
    return DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=title,
        error="请填写不小于 0 的数字。",
    )


def _execution_formula(rate: str, weight: str, rb: Rulebook) -> Formula:
    """The live 得分 of the funding block: 财预〔2020〕10号 min(执行率, 1) × 分值, or the steps."""
    if rb.execution_method == "steps":
        steps, floor = instructions.execution_steps(rb)
        expr = f"{floor:g}"
        for step in reversed(steps):
            expr = f"IF({rate}>={step.min:g},{step.score:g},{expr})"
    else:
        expr = f"MIN({rate},1)*{weight}"
    return Formula(f'=IF({rate}="","",ROUND({expr},{rb.decimals}))')


def _write_header(sh: _Sheet, ds: Dataset, year: int, code: str, plan: L.Plan) -> None:
    unit = ds.units.loc[ds.units["unit_code"] == code]
    info = unit.iloc[0] if len(unit) else pd.Series(dtype=object)
    title = L.TITLE.format(year=year)
    sh.box("A", plan.title, title, L.LAST_COLUMN, align="center", border=False, size=16, bold=True)
    sh.ws[f"A{plan.title}"].font = Font(name="黑体", size=16, bold=True)
    sh.heights[plan.title] = 36
    r = plan.unit
    sh.box("A", r, L.UNIT_LABELS["unit_name"], header=True)
    sh.box("B", r, format_text(info.get("unit_name", code)), "D")
    sh.box("E", r, L.UNIT_LABELS["department"], header=True)
    sh.box("F", r, format_text(info.get("department", "")), "G")
    sh.box("H", r, L.UNIT_LABELS["unit_code"], header=True)
    sh.box("I", r, code, number_format="@")
    note = L.AMOUNT_NOTE + ("　（本表数据为虚构示例）" if ds.fictional else "")
    sh.box("A", plan.note, note, L.LAST_COLUMN, align="right", border=False, size=10)


def _write_project_header(
    sh: _Sheet, ds: Dataset, year: int, code: str, project: str, plan: L.Plan
) -> None:
    """项目名称 | 主管部门 | 实施单位, then 项目编码 | 项目负责人 | 单位编码 (domain.md §8)."""
    unit = ds.units.loc[ds.units["unit_code"] == code]
    info = unit.iloc[0] if len(unit) else pd.Series(dtype=object)
    p = ds.projects
    listed = p.loc[(p["unit_code"] == code) & (p["project_code"] == project)]
    proj = listed.iloc[0] if len(listed) else pd.Series(dtype=object)
    title = L.PROJECT_TITLE.format(year=year)
    sh.box("A", plan.title, title, L.LAST_COLUMN, align="center", border=False, size=16, bold=True)
    sh.ws[f"A{plan.title}"].font = Font(name="黑体", size=16, bold=True)
    sh.heights[plan.title] = 36
    labels = L.PROJECT_LABELS
    rows = (
        (
            ("project_name", format_text(proj.get("project_name", project)), "@"),
            ("department", format_text(info.get("department", "")), "General"),
            ("unit_name", format_text(info.get("unit_name", code)), "General"),
        ),
        (
            ("project_code", project, "@"),
            ("manager", format_text(proj.get("manager", "")), "General"),
            ("unit_code", code, "@"),
        ),
    )
    for r, row in zip((plan.unit, plan.unit + 1), rows, strict=True):
        for (key, value, fmt), (label, first, last) in zip(
            row, (("A", "B", "D"), ("E", "F", "G"), ("H", "I", "I")), strict=True
        ):
            sh.box(label, r, labels[key], header=True)
            sh.box(first, r, value, last, number_format=fmt)
    note = L.AMOUNT_NOTE + ("　（本表数据为虚构示例）" if ds.fictional else "")
    sh.box("A", plan.note, note, L.LAST_COLUMN, align="right", border=False, size=10)


def _write_funding(
    sh: _Sheet,
    rows: list[L.FundingRow],
    plan: L.Plan,
    rb: Rulebook,
    section: str = L.FUNDING_SECTION,
) -> None:
    """财预〔2020〕10号: 执行率 = 全年执行数 / 全年预算数 on each row, 得分 on the total only."""
    h, first, last = plan.funding_header, plan.funding_first, plan.funding_last
    sh.box("A", h, section, to_row=last, header=True)
    sh.box("B", h, None, "C", header=True)
    for col, text in L.FUNDING_HEADERS.items():
        sh.box(col, h, text, header=True)
    adjusted, executed = L.FUNDING_COLUMNS["adjusted_budget"], L.FUNDING_COLUMNS["executed"]
    weight, rate, score = L.FUNDING_WEIGHT, L.FUNDING_RATE, L.FUNDING_SCORE
    for r, row in enumerate(rows, start=first):
        total = r == first
        sh.box("B", r, row.label, "C", bold=total, align="left" if total else "indent")
        for key, col in L.FUNDING_COLUMNS.items():
            sh.box(col, r, getattr(row, key), number_format=AMOUNT_FORMAT, align="right")
        e, f = f"{adjusted}{r}", f"{executed}{r}"
        formula = Formula(f'=IF(N({e})=0,"",{f}/{e})')
        sh.box(weight, r, rb.execution_weight if total else None, align="center")
        sh.box(rate, r, formula, number_format=RATE_FORMAT, align="center")
        points = _execution_formula(f"{rate}{r}", f"{weight}{r}", rb) if total else None
        sh.box(score, r, points, number_format=SCORE_FORMAT, align="center")
    low = FormulaRule(
        formula=[f"AND(ISNUMBER({rate}{first}),{rate}{first}<{rb.low_execution:g})"],
        fill=LOW_FILL,
    )
    sh.ws.conditional_formatting.add(f"{rate}{first}:{rate}{last}", low)


def _write_goals(sh: _Sheet, goals: pd.DataFrame, plan: L.Plan) -> None:
    h = plan.goal_header
    sh.box("A", h, L.GOAL_SECTION, to_row=plan.goal_last, header=True)
    for key, (first, last) in L.GOAL_COLUMNS.items():
        sh.box(first, h, L.GOAL_HEADERS[key], last, header=True)
    records = goals.to_dict("records")
    for i, r in enumerate(range(plan.goal_first, plan.goal_last + 1)):
        goal = records[i] if i < len(records) else None
        (e_first, e_last), (a_first, a_last) = (
            L.GOAL_COLUMNS["expected"],
            L.GOAL_COLUMNS["achieved"],
        )
        expected = format_text(goal["expected"]) if goal else ""
        achieved = format_text(goal.get("achieved")) if goal else ""
        sh.box(e_first, r, expected, e_last, entry=goal is None, number_format="@")
        sh.box(a_first, r, achieved, a_last, entry=True, number_format="@")
        sh.fit(r, 2)


def _write_indicators(sh: _Sheet, indicators: pd.DataFrame, plan: L.Plan, rb: Rulebook) -> None:
    ws, h = sh.ws, plan.indicator_header
    cols = L.INDICATOR_COLUMNS
    sh.box("A", h, L.INDICATOR_SECTION, to_row=plan.indicator_last, header=True)
    for key, col in cols.items():
        sh.box(col, h, L.INDICATOR_HEADERS[key], header=True)
    sh.fit(h, 2)
    level1 = _list_validation([*L.LEVEL1_CHOICES, *indicators["level1"].astype(str)], "一级指标")
    level2 = _list_validation([*L.LEVEL2_CHOICES, *indicators["level2"].astype(str)], "二级指标")
    tiers = _list_validation([t.label for t in rb.tiers], "定性指标档次")
    tiers.prompt = "定性指标：可从下拉列表选择达成档次"
    numbers = _number_validation("分值和得分")
    first, last = plan.indicator_first, plan.indicator_last
    level1.add(f"{cols['level1']}{first}:{cols['level1']}{last}")
    level2.add(f"{cols['level2']}{first}:{cols['level2']}{last}")
    numbers.add(f"{cols['weight']}{first}:{cols['reported_score']}{last}")
    records = indicators.to_dict("records")
    for i, r in enumerate(range(first, last + 1)):
        ind = records[i] if i < len(records) else None
        for key, col in cols.items():
            value: Any = None
            if ind is not None:
                raw = ind.get(key)
                if key in ("weight", "reported_score"):
                    value = None if raw is None or pd.isna(raw) else float(raw)
                    value = int(value) if value is not None and value.is_integer() else value
                else:
                    value = format_text(raw)
            numeric = key in ("weight", "reported_score")
            sh.box(
                col,
                r,
                value,
                entry=ind is None or key in L.INDICATOR_INPUTS,
                align="center" if numeric or key in ("level1", "level2") else "left",
                number_format="General" if numeric else "@",
            )
        if ind is not None and _is_qualitative(format_text(ind.get("target"))):
            tiers.add(f"{cols['actual']}{r}")
        sh.fit(r, 2 if ind is None else 1)
    for dv in (level1, level2, tiers, numbers):
        if dv.sqref:
            ws.add_data_validation(dv)
    _write_sums(sh, plan, rb)


def _write_sums(sh: _Sheet, plan: L.Plan, rb: Rulebook) -> None:
    """指标分值合计 (red unless it is the rulebook's total) and 总分 as live formulas."""
    ws = sh.ws
    first, last, s, t = plan.indicator_first, plan.indicator_last, plan.weight_sum, plan.total
    w, sc = L.INDICATOR_COLUMNS["weight"], L.INDICATOR_COLUMNS["reported_score"]
    label_end = chr(ord(w) - 1)
    total = f"{rb.indicator_total:g}"
    sh.box("A", s, f"{L.WEIGHT_SUM_LABEL}（应为 {total} 分）", label_end, header=True)
    sh.box(w, s, Formula(f"=SUM({w}{first}:{w}{last})"), align="center", bold=True)
    check = Formula(
        f'=IF(ROUND({w}{s},4)={total},"分值合计正确",'
        f'"分值合计应为 {total} 分，当前为 "&ROUND({w}{s},2)&" 分")'
    )
    sh.box(sc, s, check, L.LAST_COLUMN, align="center")
    red = FormulaRule(
        formula=[f"ROUND(${w}${s},4)<>{total}"],
        fill=ALERT_FILL,
        font=Font(color="FFFFFF", bold=True),
    )
    ws.conditional_formatting.add(f"{w}{s}", red)
    ws.conditional_formatting.add(f"{sc}{s}", red)
    ft = plan.funding_first
    sh.box("A", t, L.TOTAL_LABEL, label_end, header=True)
    sh.box(w, t, Formula(f"={L.FUNDING_WEIGHT}{ft}+{w}{s}"), align="center", bold=True)
    scores = f"{sc}{first}:{sc}{last}"
    self_total = Formula(f'=IF(COUNT({scores})=0,"",N({L.FUNDING_SCORE}{ft})+SUM({scores}))')
    sh.box(sc, t, self_total, align="center", number_format=SCORE_FORMAT, bold=True)
    note = "得分为单位自评分；最终得分由财政部门按评分规则计算。"
    sh.box(L.LAST_COLUMN, t, note, size=9, color="595959")
    if plan.grade_row:
        _write_grade(sh, plan, rb)


def _grade_formula(total: str, rb: Rulebook) -> Formula:
    """The rulebook's grade of the self-reported total, as nested IFs from the lowest band."""
    expr = '""'
    for g in reversed(rb.grades):
        expr = f'IF({total}>={g.min:g},"{g.name}",{expr})'
    return Formula(f'=IF({total}="","",{expr})')


def _write_grade(sh: _Sheet, plan: L.Plan, rb: Rulebook) -> None:
    """自评等级 under 总分: the grade of the self-reported total, live (the project form)."""
    w, sc = L.INDICATOR_COLUMNS["weight"], L.INDICATOR_COLUMNS["reported_score"]
    g = plan.grade
    sh.box("A", g, L.GRADE_LABEL, chr(ord(w) - 1), header=True)
    formula = _grade_formula(f"{sc}{plan.total}", rb)
    sh.box(w, g, formula, sc, align="center", bold=True)
    note = "按自评总分和评分规则的等级自动显示。"
    sh.box(L.LAST_COLUMN, g, note, size=9, color="595959")


def _write_footnote(sh: _Sheet, plan: L.Plan, fictional: bool) -> None:
    text = "说明：浅黄色单元格由单位填写；填写方法、指标值写法和评分规则见“填表说明”工作表。"
    if fictional:
        text += "本表数据为虚构示例，仅供演示。"
    sh.box("A", plan.footnote, text, L.LAST_COLUMN, border=False, size=9, color="595959")


def _page_setup(ws: Worksheet, area: str) -> None:
    """A4 portrait, one page wide, centred: how the standard form is printed and filed."""
    ws.print_area = area
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def _setup_sheet(ws: Worksheet, plan: L.Plan) -> None:
    ws.freeze_panes = f"A{plan.funding_header}"
    ws.print_title_rows = f"{plan.title}:{plan.unit}"
    _page_setup(ws, f"A1:{L.LAST_COLUMN}{plan.footnote}")
    _protect(ws)


def _protect(ws: Worksheet) -> None:
    """Protect the sheet without a password; rows and columns may still be resized."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _write_help(wb: Workbook, rb: Rulebook, fictional: bool) -> None:
    ws = wb.create_sheet(L.HELP_SHEET)
    widths = {"A": 16, "B": 30, "C": 16, "D": 48}
    sh = _Sheet(ws, widths)
    row = 1

    def line(text: str, *, bold: bool = False) -> None:
        nonlocal row
        sh.box("A", row, text, "D", bold=bold, border=False)
        row += 1

    def table(head: Sequence[str], body: Iterable[Sequence[str]], spans: Sequence[str]) -> None:
        nonlocal row
        for values, is_head in [(head, True), *((b, False) for b in body)]:
            cols = list(widths)
            for value, first, last in zip(values, spans, [*spans[1:], None], strict=True):
                end = chr(ord(last) - 1) if last else cols[-1]
                sh.box(first, row, value, end, header=is_head)
            row += 1

    line("填表说明", bold=True)
    ws["A1"].font = Font(name="黑体", size=14, bold=True)
    if fictional:
        line("注意：本表数据为虚构示例，仅供演示。", bold=True)
    line("一、怎样填写", bold=True)
    for i, text in enumerate(instructions.GUIDE, start=1):
        line(f"{i}. {text}")
    row += 1
    line("二、年度指标值的写法", bold=True)
    table(("写法", "含义", "计分"), instructions.NOTATION_EXAMPLES, ("A", "B", "D"))
    row += 1
    line(f"三、评分规则（{rb.title}）", bold=True)
    for i, text in enumerate(instructions.scoring_rules(rb), start=1):
        line(f"{i}. {text}")
    row += 1
    line("四、定性指标档次", bold=True)
    table(
        ("档次", "得分区间", "默认得分", "可用表述"),
        instructions.tier_rows(rb),
        ("A", "B", "C", "D"),
    )
    sh.apply_heights()
    ws.sheet_view.showGridLines = False
    _page_setup(ws, f"A1:D{row}")
    _protect(ws)


#: ``--level``: which tables get a form
LEVELS = ("unit", "project", "all")
#: the default level: every table of the year (a dataset without projects: the units' forms)
DEFAULT_LEVEL = "all"


def _project_column(frame: pd.DataFrame) -> pd.Series:
    """A table's 项目编码 as text, "" on the unit's own rows (and when the column is absent)."""
    if "project_code" not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame["project_code"].fillna("").astype(str)


def _tables_of_year(ds: Dataset, year: int) -> tuple[list[str], list[tuple[str, str]]]:
    """The units with 部门整体 budget rows in ``year`` and the (unit, project) pairs with project
    budget rows, in the order of ``units`` and ``projects``."""
    budget = ds.budget.loc[ds.budget["year"] == year]
    if budget.empty:
        years = "、".join(str(y) for y in ds.years) or "无"
        raise UsageError(f"数据中没有 {year} 年度的预算执行数据（数据中的年度：{years}）。")
    codes = budget["unit_code"].astype(str)
    projects = _project_column(budget)
    own = set(codes[projects == ""])
    pairs = set(zip(codes[projects != ""], projects[projects != ""], strict=True))
    listed = list(zip(ds.projects["unit_code"], ds.projects["project_code"], strict=True))
    ordered = [p for p in listed if p in pairs] + sorted(pairs - set(listed))
    units = [c for c in ds.units["unit_code"].astype(str) if c in own]
    return units, ordered


def projects_only_units(ds: Dataset, year: int, units: Sequence[str] | None = None) -> list[str]:
    """The units (of ``units``, else all) that have project rows in ``year`` but no 部门整体 rows:
    they get project forms only."""
    own, pairs = _tables_of_year(ds, int(year))
    with_projects = list(dict.fromkeys(u for u, _ in pairs))
    return [u for u in with_projects if u not in own and (units is None or u in units)]


def select_forms(
    ds: Dataset, year: int, units: Sequence[str] | None, level: str
) -> list[tuple[str, str]]:
    """The forms to make: (unit_code, project_code), project_code "" for the unit's 部门整体
    form; unit by unit, the unit's own form before its projects'."""
    if level not in LEVELS:
        raise UsageError(f"--level 应为 {'、'.join(LEVELS)} 之一，而不是“{level}”。")
    own, pairs = _tables_of_year(ds, year)
    known = ds.units["unit_code"].astype(str).tolist()
    if units is not None:
        unknown = [c for c in units if c not in known]
        if unknown:
            raise UsageError(f"数据中没有这些单位编码：{'、'.join(unknown)}。")
    wanted = known if units is None else list(dict.fromkeys(units))
    with_projects = {u for u, _ in pairs}
    if units is not None:
        if level == "unit":
            empty = [c for c in wanted if c not in own]
        elif level == "project":
            empty = [c for c in wanted if c not in with_projects]
        else:
            empty = [c for c in wanted if c not in own and c not in with_projects]
        if empty:
            if level == "project":
                what = "项目的预算执行数据，无法生成项目支出绩效自评表"
            elif level == "unit" and any(c in with_projects for c in empty):
                what = (
                    "部门整体的预算执行数据（只有项目的数据：可用 --level project），无法生成自评表"
                )
            else:
                what = "预算执行数据，无法生成自评表"
            raise UsageError(f"这些单位在 {year} 年度没有{what}：{'、'.join(empty)}。")
    out: list[tuple[str, str]] = []
    for code in wanted:
        if level != "project" and code in own:
            out.append((code, ""))
        if level != "unit":
            out += [(u, p) for u, p in pairs if u == code]
    if not out:
        if level == "project":
            raise UsageError(f"数据中 {year} 年度没有项目（项目编码）的预算执行数据。")
        raise UsageError(
            f"数据中 {year} 年度没有部门整体的预算执行数据"
            "（只有项目的数据：可用 --level project）。"
        )
    return out


def build_form(ds: Dataset, year: int, code: str, rb: Rulebook, project: str = "") -> Workbook:
    """The workbook of one unit-year's 部门整体 table, or with ``project`` of that project-year's
    项目支出绩效自评表 (not saved). A project's form is scored under ``rb.for_projects()``."""

    def rows_of(frame: pd.DataFrame) -> pd.DataFrame:
        sel = (frame["year"] == year) & (frame["unit_code"] == code)
        sel &= _project_column(frame) == project
        sel = frame.loc[sel]
        return sel.sort_values("_row", kind="stable") if "_row" in sel.columns else sel

    book = rb.for_projects() if project else rb
    budget, indicators, goals = rows_of(ds.budget), rows_of(ds.indicators), rows_of(ds.goals)
    spare = L.SPARE_INDICATORS if len(indicators) else L.SPARE_INDICATORS_EMPTY
    funding = L.funding_rows(budget, expense_types=not project)
    sizes = (len(funding), len(goals) + L.SPARE_GOALS, len(indicators) + spare)
    plan = L.project_plan(*sizes) if project else L.Plan(*sizes)
    wb = Workbook()
    ws = wb.active
    ws.title = L.FORM_SHEET
    sh = _Sheet(ws, L.COLUMN_WIDTHS)
    if project:
        _write_project_header(sh, ds, year, code, project, plan)
        _write_funding(sh, funding, plan, book, L.PROJECT_FUNDING_SECTION)
    else:
        _write_header(sh, ds, year, code, plan)
        _write_funding(sh, funding, plan, book)
    _write_goals(sh, goals, plan)
    _write_indicators(sh, indicators, plan, book)
    _write_footnote(sh, plan, ds.fictional)
    sh.apply_heights()
    _setup_sheet(ws, plan)
    _write_help(wb, book, ds.fictional)
    info = {
        "layout_version": str(L.LAYOUT_VERSION),
        "unit_code": code,
        **({"level": L.LEVEL_PROJECT, "project_code": project} if project else {}),
        "year": str(year),
        "form_sheet": L.FORM_SHEET,
        "rulebook": rb.name,
        "indicator_total": f"{book.indicator_total:g}",
        "fictional": "true" if ds.fictional else "false",
        "source_fingerprint": ds.fingerprint,
        "generator": f"perfkit {__version__}",
    }
    units = ds.units.loc[ds.units["unit_code"] == code]
    if project:
        p = ds.projects
        frames = {
            "units": units,
            "projects": p.loc[(p["unit_code"] == code) & (p["project_code"] == project)],
            "budget": budget,
        }
        narrative = ds.project_narratives.get((year, code, project))
    else:
        frames = {"units": units, "budget": budget, "monthly": rows_of(ds.monthly)}
        narrative = ds.narratives.get((year, code))
    tables = PROJECT_META_TABLES if project else META_TABLES
    markdown = narrative_markdown(narrative) if narrative else ""
    write_meta(wb, info, frames, markdown, tables)
    wb.active = 0
    wb.calculation.fullCalcOnLoad = True
    return wb


def _save(wb: Workbook, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def make_forms(
    ds: Dataset,
    year: int,
    out_dir: str | Path,
    units: Sequence[str] | None = None,
    rulebook: Rulebook | str | Path | None = None,
    level: str = DEFAULT_LEVEL,
) -> list[Path]:
    """Write the forms of ``year`` into ``out_dir``: ``<单位编码>.xlsx`` per unit with 部门整体 rows
    (``level`` "unit" or "all") and ``<单位编码>-<项目编码>.xlsx`` per project with budget rows
    (``level`` "project" or "all"); only the units of ``units`` when given. Unit by unit, the
    unit's form before its projects'."""
    rb = rulebook if isinstance(rulebook, Rulebook) else load_rulebook(rulebook)
    year = int(year)
    forms = select_forms(ds, year, units, level)
    names: dict[str, tuple[str, str]] = {}
    for code, project in forms:
        name = L.form_file(code, project)
        if name.casefold() in names:
            other = names[name.casefold()]
            raise UsageError(
                f"两份自评表的文件名相同（{name}）：单位 {code} 项目 {project or '（部门整体）'} 与"
                f"单位 {other[0]} 项目 {other[1] or '（部门整体）'}。请修改其中一个编码。"
            )
        names[name.casefold()] = (code, project)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for code, project in forms:
        path = out / L.form_file(code, project)
        _save(build_form(ds, year, code, rb, project), path)
        paths.append(path)
    return paths
