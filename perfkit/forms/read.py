"""Reading one filled-in 自评表 workbook: which unit and year, its indicators and goals, by cell.

Nothing here trusts row numbers or the sheet's name. The form sheet is the one that has an
indicator header row (一级指标 … 三级指标); each block is found by its header text and each
column by its header, so inserted blank rows, rows added in the spare area, moved columns and a
renamed sheet read the same. Every value keeps the cell it came from, so that a problem found
later by the core validation can point at ``自评表!F14``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from perfkit.core import ziplimits
from perfkit.core.problems import Problem
from perfkit.core.text import from_cell, has_forbidden
from perfkit.data.contract import GOALS, INDICATORS, Table
from perfkit.data.textcells import forbidden_problem
from perfkit.forms import layout as L
from perfkit.forms.cells import amount, amount_text, text_value
from perfkit.forms.meta import Meta, find_meta_sheet, read_meta

_YEAR = re.compile(r"([12]\d{3})\s*年")
_DAMAGED = (
    "无法读取工作簿（{error}）：文件可能已损坏或不是 .xlsx 格式，"
    "请用 Excel 或 WPS 打开后另存为 .xlsx 再交。"
)
#: how far down and across to look for the blocks (a form is small)
_MAX_COLUMNS = 40


@dataclass
class Origin:
    """Where a record came from: the workbook, and the cell of each of its values."""

    file: str
    #: canonical key -> cell address such as "自评表!F14"
    cells: dict[str, str]
    #: the cell named when a problem concerns the whole record
    anchor: str


@dataclass
class Record:
    values: dict[str, str]
    origin: Origin


@dataclass
class Form:
    """What one workbook holds, with the cells it came from."""

    path: Path
    sheet: str | None = None
    unit_code: str = ""
    #: the 项目编码 of a 项目支出绩效自评表; "" for a unit's 部门整体 form
    project_code: str = ""
    year: int | None = None
    #: cell of the unit code (or the sheet's A1), named by unit-level problems
    unit_cell: str | None = None
    #: cell of the 项目编码 of a project's form, named by project-level problems
    project_cell: str | None = None
    meta: Meta | None = None
    indicators: list[Record] = field(default_factory=list)
    goals: list[Record] = field(default_factory=list)
    #: the 指标分值合计 cell, named by the weight-sum problem
    weight_sum_cell: str | None = None
    #: funding rows as shown: name -> {key: (cell, value)}
    funding: dict[str, dict[str, tuple[str, Any]]] = field(default_factory=dict)
    funding_cell: str | None = None
    problems: list[Problem] = field(default_factory=list)
    #: a problem that keeps the form out of the dataset altogether (unreadable, unknown unit …)
    blocked: bool = False

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def is_project(self) -> bool:
        """Whether this is a project's 项目支出绩效自评表."""
        return bool(self.project_code)

    @property
    def owner_cell(self) -> str | None:
        """The cell naming whose form this is: the 项目编码 of a project's, else the 单位编码."""
        return (self.project_cell if self.is_project else None) or self.unit_cell

    def problem(
        self, code: str, message: str, cell: str | None = None, value: str | None = None
    ) -> None:
        """Record a problem of this form, with its code (docs/data-contract.md §9)."""
        self.problems.append(
            Problem(
                self.file,
                message,
                cell=cell,
                value=value,
                unit_code=self.unit_code or None,
                code=code,
                year=self.year,
                project_code=self.project_code or None,
            )
        )


def _address(ws: Worksheet, row: int, col: int) -> str:
    title = ws.title
    quoted = (
        title
        if re.fullmatch(r"[\w\u4e00-\u9fff]+", title)
        else "'" + title.replace("'", "''") + "'"
    )
    return f"{quoted}!{get_column_letter(col)}{row}"


class _Grid:
    """The sheet's cells (values and number formats), 1-based, with text lookups."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.cells: list[list[tuple[Any, str]]] = [
            [(c.value, c.number_format) for c in row] for row in ws.iter_rows(max_col=_MAX_COLUMNS)
        ]
        while self.cells and all(v is None for v, _ in self.cells[-1]):
            self.cells.pop()

    @property
    def n_rows(self) -> int:
        return len(self.cells)

    def raw(self, row: int, col: int) -> tuple[Any, str]:
        line = self.cells[row - 1] if 0 < row <= len(self.cells) else []
        return line[col - 1] if 0 < col <= len(line) else (None, "General")

    def text(self, row: int, col: int) -> str:
        return text_value(*self.raw(row, col))

    def texts(self, row: int) -> list[str]:
        return [text_value(v, f) for v, f in self.cells[row - 1]]

    def find_row(self, wanted: set[str], start: int = 1, stop: int | None = None) -> int | None:
        """The first row from ``start`` whose cells include every text in ``wanted``."""
        for r in range(start, (stop or self.n_rows) + 1):
            if wanted <= {_fold(t) for t in self.texts(r)}:
                return r
        return None

    def address(self, row: int, col: int) -> str:
        return _address(self.ws, row, col)


def _fold(text: str) -> str:
    """Headers compared without spaces and line breaks."""
    return re.sub(r"\s+", "", text)


def _header_columns(grid: _Grid, row: int, table: Table) -> dict[str, int]:
    """Contract key -> column, from the header texts of ``row`` (names, aliases)."""
    names = {_fold(n).casefold(): c.key for c in table.columns for n in c.names}
    found: dict[str, int] = {}
    for col, text in enumerate(grid.texts(row), start=1):
        key = names.get(_fold(text).casefold())
        if key and key not in found:
            found[key] = col
    return found


def _is_form_sheet(ws: Worksheet) -> bool:
    for row in ws.iter_rows(max_row=400, max_col=20, values_only=True):
        texts = {_fold(text_value(v)) for v in row}
        if {"一级指标", "三级指标"} <= texts:
            return True
    return False


def _form_sheet(wb: Workbook, meta: Meta | None, meta_ws: Worksheet | None) -> Worksheet | None:
    """The 自评表: by the name the form was made with, else the sheet with an indicator header."""
    named = meta.info.get("form_sheet", L.FORM_SHEET) if meta else L.FORM_SHEET
    # visible sheets first, the one with the form's name first among them
    ordered = sorted(wb.worksheets, key=lambda ws: (ws.sheet_state != "visible", ws.title != named))
    return next((ws for ws in ordered if ws is not meta_ws and _is_form_sheet(ws)), None)


def open_workbook(path: Path) -> Workbook | str:
    """The workbook with cached formula values, or a Chinese sentence saying why it cannot open."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zip, XML, key and value errors for damaged files
        return _DAMAGED.format(error=type(err).__name__)
    for ws in wb.worksheets:
        ws.reset_dimensions()  # some writers store a wrong sheet size: read every row there is
    return wb


def open_form(path: Path) -> tuple[Form, Any]:
    """A returned workbook opened for reading, and its :class:`Form`; the workbook is None (and
    the form blocked with the reason) when it would decompress beyond
    :data:`perfkit.core.ziplimits.FORM` or cannot be opened. The caller closes the workbook."""
    form = Form(path)
    if (too_large := ziplimits.check(path, ziplimits.FORM)) is not None:
        form.problem("workbook_too_large", too_large)
        form.blocked = True
        return form, None
    wb = open_workbook(path)
    if isinstance(wb, str):
        form.problem("form_unreadable", wb)
        form.blocked = True
        return form, None
    return form, wb


def read_form(path: Path) -> Form:
    """Read one workbook; structural problems are in ``form.problems``. A workbook that would
    decompress beyond :data:`perfkit.core.ziplimits.FORM` is refused before it is opened."""
    form, wb = open_form(path)
    if wb is None:
        return form
    try:
        meta_ws = find_meta_sheet(wb)
        form.meta = read_meta(meta_ws) if meta_ws is not None else None
        ws = _form_sheet(wb, form.meta, meta_ws)
        grid = _Grid(ws) if ws is not None else None
    except Exception as err:  # a damaged sheet: openpyxl raises XML, key and value errors
        form.problem("form_unreadable", _DAMAGED.format(error=type(err).__name__))
        form.blocked = True
        return form
    finally:
        wb.close()
    if ws is None or grid is None:
        form.problem(
            "form_not_found", "找不到自评表：没有一个工作表含有“一级指标 … 三级指标”表头行。"
        )
        form.blocked = True
        return form
    form.sheet = ws.title
    _read_unit(form, grid)
    _read_funding(form, grid)
    _read_goals(form, grid)
    _read_indicators(form, grid)
    return form


def _read_unit(form: Form, grid: _Grid) -> None:
    """单位编码 and 年度: from the hidden sheet, else from the visible header and title."""
    info = form.meta.info if form.meta else {}
    code_cell = None
    visible_code = ""
    for r in range(1, min(grid.n_rows, 10) + 1):
        texts = grid.texts(r)
        if L.UNIT_LABELS["unit_code"] in texts:
            c = texts.index(L.UNIT_LABELS["unit_code"]) + 1
            value = next((i for i in range(c + 1, len(texts) + 1) if texts[i - 1]), c + 1)
            code_cell, visible_code = grid.address(r, value), grid.text(r, value)
            break
    form.unit_cell = code_cell or grid.address(1, 1)
    form.unit_code = info.get("unit_code") or visible_code or form.path.stem
    _read_project(form, grid)
    year = info.get("year", "")
    if not year:
        for r in range(1, min(grid.n_rows, 5) + 1):
            match = next((_YEAR.search(t) for t in grid.texts(r) if _YEAR.search(t)), None)
            if match:
                year = match.group(1)
                break
    if year.isdigit():
        form.year = int(year)
    else:
        kind = "项目支出" if form.is_project else "部门整体支出"
        form.problem(
            "form_no_year",
            f"找不到年度：标题应为“XXXX年度{kind}绩效自评表”。",
            grid.address(1, 1),
        )
        form.blocked = True


def _read_project(form: Form, grid: _Grid) -> None:
    """The 项目编码 of a project's form: from the hidden sheet (a form made for a unit has none),
    else from the cell right of the visible 项目编码 label; "" for a unit's form."""
    info = form.meta.info if form.meta else {}
    label = L.PROJECT_LABELS["project_code"]
    labels = set(L.PROJECT_LABELS.values())
    for r in range(1, min(grid.n_rows, 10) + 1):
        texts = grid.texts(r)
        if label in texts:
            c = texts.index(label) + 1
            after = range(c + 1, len(texts) + 1)
            value = next((i for i in after if texts[i - 1]), c + 1)
            shown = grid.text(r, value)
            if shown in labels:  # the code was cleared: point at the cell right of the label
                value, shown = c + 1, ""
            form.project_cell = grid.address(r, value)
            break
    else:
        shown = ""
    if form.meta is not None:
        is_project = info.get("level") == L.LEVEL_PROJECT
        form.project_code = info.get("project_code", "") if is_project else ""
    else:
        form.project_code = shown


def _read_funding(form: Form, grid: _Grid) -> None:
    """The funding block as shown, to check that its figures were left as issued."""
    header = grid.find_row({"全年预算数", "全年执行数"})
    if header is None:
        return
    names = {h: k for k, h in zip(L.FUNDING_COLUMNS, L.FUNDING_HEADERS.values(), strict=False)}
    cols = {names[t]: c for c, t in enumerate(grid.texts(header), start=1) if t in names}
    form.funding_cell = grid.address(header, cols.get("adjusted_budget", 1))
    end = grid.find_row({_fold(L.GOAL_HEADERS["expected"])}, header) or grid.n_rows + 1
    total = grid.find_row({L.FUNDING_TOTAL}, header, end - 1)
    if total is None:
        return
    label = grid.texts(total).index(L.FUNDING_TOTAL) + 1
    for r in range(total, end):
        name = L.funding_name(grid.text(r, label))
        if name:
            form.funding[name] = {
                k: (grid.address(r, c), grid.raw(r, c)[0]) for k, c in cols.items()
            }


def _read_goals(form: Form, grid: _Grid) -> None:
    header = grid.find_row({_fold(h) for h in L.GOAL_HEADERS.values()})
    if header is None:
        form.problem(
            "form_no_goals", f"找不到“{L.GOAL_SECTION}”的表头行（预期目标、实际完成情况）。"
        )
        return
    cols = _header_columns(grid, header, GOALS)
    end = grid.find_row({"一级指标", "三级指标"}, header) or grid.n_rows + 1
    for r in range(header + 1, end):
        values = {k: grid.text(r, c) for k, c in cols.items()}
        if not any(values.values()):
            continue
        cells = {k: grid.address(r, c) for k, c in cols.items()}
        form.goals.append(Record(values, Origin(form.file, cells, cells["expected"])))
        _forbidden(form, grid, r, cols)


def _read_indicators(form: Form, grid: _Grid) -> None:
    header = grid.find_row({"一级指标", "三级指标"})
    assert header is not None  # the form sheet was chosen for having it
    cols = _header_columns(grid, header, INDICATORS)
    missing = [
        c.zh
        for c in INDICATORS.columns
        if c.required and c.key not in cols and c.key not in ("year", "unit_code")
    ]
    if missing:
        form.problem(
            "missing_column", f"指标表头缺少列：{'、'.join(missing)}。", grid.address(header, 1)
        )
        form.blocked = True
        return
    numeric = {c.key for c in INDICATORS.columns if c.kind == "number"}
    r = header + 1
    while r <= grid.n_rows:
        texts = [_fold(t) for t in grid.texts(r)]
        if any(t.startswith(L.WEIGHT_SUM_LABEL) for t in texts):
            form.weight_sum_cell = grid.address(r, cols["weight"])
            break
        if L.TOTAL_LABEL in texts:
            break
        values = {
            k: amount_text(*grid.raw(r, c)) if k in numeric else grid.text(r, c)
            for k, c in cols.items()
        }
        if any(values.values()):
            cells = {k: grid.address(r, c) for k, c in cols.items()}
            form.indicators.append(Record(values, Origin(form.file, cells, cells["level3"])))
            _forbidden(form, grid, r, cols, values.get("level3") or None)
        r += 1


def _forbidden(
    form: Form, grid: _Grid, row: int, cols: dict[str, int], level3: str | None = None
) -> None:
    """A ``forbidden_characters`` warning for each text cell of ``row`` that held a character of
    the text policy (the values read have lost them: :func:`perfkit.forms.cells.clean`)."""
    for col in cols.values():
        value = grid.raw(row, col)[0]
        value = from_cell(value) if isinstance(value, str) else None  # as Excel shows it
        if value is not None and has_forbidden(value):
            form.problems.append(
                forbidden_problem(
                    form.file,
                    value,
                    cell=grid.address(row, col),
                    unit_code=form.unit_code or None,
                    project_code=form.project_code or None,
                    level3=level3,
                    year=form.year,
                )
            )


def check_funding(form: Form, budget: pd.DataFrame) -> None:
    """The funding block must still show what was issued: it is not an input, and the budget
    the dataset keeps is the item-level one. A figure typed over is reported, not collected."""
    if not form.funding or budget.empty:
        return
    for row in L.funding_rows(budget, expense_types=not form.is_project):
        shown = form.funding.get(row.name)
        if shown is None:
            form.problem(
                "funding_row_missing",
                f"预算执行情况中缺少“{row.label}”一行（该部分由财政部门填列，请勿删改）。",
                form.funding_cell,
            )
            continue
        for key, (cell, value) in shown.items():
            expected = getattr(row, key)
            number = amount(value)
            if expected is None:
                changed = number is not None
            else:
                changed = number is None or abs(number - expected) > 1e-6 * max(1.0, abs(expected))
            if changed:
                issued = "空白" if expected is None else f"{expected:.2f}"
                form.problem(
                    "funding_edited",
                    f"预算执行数据由财政部门提供，不在表中修改：此处下发时为 {issued}。"
                    "如数字有误，请与财政部门联系更正预算数据。",
                    cell,
                    text_value(value),
                )
