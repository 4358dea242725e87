"""Problems found in input data, and the exception that carries them.

Every problem names where it is, the way the user sees it: the file (or workbook and sheet), the
row as Excel numbers it (header = row 1), the column as the user wrote it, the value, and what
was expected. Messages are Chinese because the people reading them fill in Chinese tables.

A problem has a severity: an ``error`` means the data cannot be scored (``perfkit validate`` and
``perfkit score`` exit 2); a ``warning`` means a careful reader would still score it, but the
reading was doubtful or the unit's table is inconsistent: it is printed, carried into the
findings and the report, and never stops a run. Each problem has a machine-readable ``code``
beside its Chinese sentence (docs/data-contract.md lists them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from perfkit.core.text import shown

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem in the input, located as precisely as the input allows."""

    file: str
    #: what is wrong and what was expected, in Chinese, without the location
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    unit_code: str | None = None
    level3: str | None = None
    #: an Excel cell address such as "自评表!F14", used by the forms reader instead of row/column
    cell: str | None = None
    #: "error" (cannot be scored) or "warning" (scored, flagged)
    severity: Severity = ERROR
    #: machine-readable kind, e.g. "not_a_number", "weights_total" (docs/data-contract.md §9)
    code: str = ""
    #: the 年度 the problem concerns, when known (warnings become findings of that unit-year)
    year: int | None = None
    #: the 项目编码 the problem concerns (a project's 自评表), when it is about one (issue 11)
    project_code: str | None = None

    @property
    def is_warning(self) -> bool:
        return self.severity == WARNING

    def __str__(self) -> str:
        """The problem as one line of a listing; every text from the user is quoted with
        :func:`perfkit.core.text.shown` (control characters as escapes such as ``\\x01``)."""
        file = shown(self.file)
        where = [file]
        if self.cell:
            where[0] = f"{file} {shown(self.cell)}"
        else:
            if self.row is not None:
                where.append(f"第{self.row}行")
            if self.column:
                # a rulebook's problems name a key of its TOML file, not a column
                label = "键" if self.code.startswith("rulebook_") else "列"
                where.append(f"{label}「{shown(self.column)}」")
        head = "，".join(where)
        if who := _who(self.unit_code, self.project_code, self.level3):
            head += f"（{who}）"
        value = f"值“{shown(self.value)}”：" if self.value is not None else ""
        return f"{head}：{value}{shown(self.message)}"


def _who(unit_code: str | None, project_code: str | None, level3: str | None) -> str:
    """ "单位编码 X，项目编码 Y，三级指标「Z」" for the parts known, quoted with ``shown``."""
    who = []
    if unit_code:
        who.append(f"单位编码 {shown(unit_code)}")
    if project_code:
        who.append(f"项目编码 {shown(project_code)}")
    if level3:
        who.append(f"三级指标「{shown(level3)}」")
    return "，".join(who)


#: every problem code perfkit gives, with what it means (docs/data-contract.md §9 lists them in
#: one table; a test keeps the two equal). Codes are stable: tools may match on them.
CODES: dict[str, str] = {
    # files, sheets and headers
    "missing_file": "a required CSV file is missing",
    "missing_sheet": "a required sheet of a workbook is missing",
    "duplicate_file": "two files hold the same table (budget.csv and 预算执行.csv)",
    "duplicate_sheet": "two sheets hold the same table",
    "unreadable_file": "a file or sheet that cannot be read (encoding, damaged workbook)",
    "workbook_too_large": "a workbook that would decompress beyond perfkit's limits (zip bomb)",
    "unsupported_format": "a .xls, .et or .ods file",
    "empty_file": "a file or sheet without any content",
    "empty_table": "a required table with a header and no rows",
    "missing_column": "a required column is missing",
    "duplicate_column": "two columns are the same column of the contract",
    "bad_header_unit": "a header names a unit its column cannot take (全年预算数（件）)",
    "bad_metadata": "dataset.toml or the dataset sheet cannot be read",
    # values
    "blank": "a required cell is blank",
    "not_a_number": "an amount or a number of points that is not a number",
    "negative": "a negative amount or 分值",
    "too_large": "a number beyond its column's bound (1 万亿元, 1,000 points) or beyond a float",
    "not_a_year": "a 年度 that is not a four-digit year",
    "not_a_month": "a 月份 that is not 1–12",
    "bad_unit_code": "a 单位编码 with characters other than letters, digits, '-', '_'",
    "reserved_unit_code": "a 单位编码 that cannot be a file name (index, status, CON …)",
    "bad_project_code": "a 项目编码 with characters other than letters, digits, '-', '_'",
    "reserved_project_code": "a 项目编码 that cannot be a file name (index, status, CON …)",
    "duplicate": "a row repeats the key of an earlier row (unit, project, indicator, monthly row)",
    "invalid_value": "a value check that could not run",
    # across rows and tables
    "unknown_unit_code": "a 单位编码 not listed in units",
    "unknown_project_code": "a 项目编码 not listed in projects for the row's unit",
    "unit_year_without_budget": "a unit-year with indicators and no budget rows",
    "unit_year_without_indicators": "a unit-year with budget rows and no indicators",
    "zero_budget": "a unit-year whose 全年预算数 add up to 0",
    "weights_zero": "a unit-year whose 分值 add up to 0",
    "monthly_item_unknown": "a monthly row for a 项目 not in the unit's budget that year",
    "unknown_review_indicator": "a reviews row naming no indicator of the dataset",
    "unreadable_review_actual": "a 复核完成值 that cannot be read",
    "review_executed_conflict": "two different 复核执行数 for one reviewed table",
    # narratives
    "narrative_misplaced": "a narrative file outside narratives/<年度>/<单位编码>.md",
    "narrative_unreadable": "a narrative file whose encoding is not UTF-8 or GBK",
    "narrative_bad_year": "a narrative's year is not a four-digit year",
    "narrative_bad_unit_code": "a narrative's unit code is not a valid unit code",
    "narrative_reserved_unit_code": "a narrative's unit code is a reserved name",
    "narrative_unknown_unit_code": "a narrative's unit code is not listed in units",
    "narrative_duplicate": "two narratives for the same unit (or project) and year",
    "narrative_bad_project_code": "a project narrative's 项目编码 is not a valid code",
    "narrative_reserved_project_code": "a project narrative's 项目编码 is a reserved name",
    "narrative_unknown_project_code": "a project narrative's 项目编码 is not listed in projects",
    # warnings
    "weights_total": "a unit's 分值 do not add up to the rulebook's indicator total",
    "blank_cells": "年度指标值 or 实际完成值 left blank",
    "unreadable_target": "a 年度指标值 that cannot be read",
    "unreadable_actual": "an 实际完成值 that cannot be read",
    "unit_mismatch": "target and actual in units that do not convert",
    "no_tier": "a qualitative result that names no tier of the rulebook",
    "actual_with_comparator": "an 实际完成值 written with a comparator",
    "unknown_unit": "a number read with a unit no reader would recognise",
    "reported_score_range": "a 得分 outside 0–分值",
    "bare_magnitude": "an amount written with 万 (亿, 千) and no 元, read as 万元 (亿元, 千元)",
    "execution_as_indicator": "a table that scores 预算执行率 as one of its indicators inside 100",
    "execution_weight_differs": "a printed 预算执行率 分值 other than the rulebook's",
    "rate_without_percent": "a printed 执行率 without % under a header without %",
    "reported_execution_unreadable": "a printed 执行率 or 得分 that cannot be read",
    "formula_text": "a text cell a spreadsheet would take for a formula",
    "forbidden_characters": "text with control characters or non-characters, removed on reading",
    # forms (perfkit forms collect)
    "form_unreadable": "a form that cannot be opened",
    "form_not_found": "a workbook without a 自评表 sheet",
    "form_no_year": "a form whose title names no year",
    "form_no_goals": "a form without the 年度总体目标 header row",
    "form_without_metadata": "a form not made by perfkit forms make, collected without --base",
    "duplicate_form": "two forms for the same unit and year",
    "funding_row_missing": "a row of the issued funding block was deleted",
    "funding_edited": "a figure of the issued funding block was changed",
    "review_form_edited": "a locked cell of a 复核表 (指标值, 分值, 自评完成值) was changed",
    "sample_unknown_table": "a review sample row naming no table of the dataset",
    # rulebooks
    "rulebook_unreadable": "a rulebook file that is not valid TOML",
    "rulebook_missing_key": "a required key or table of a rulebook is missing",
    "rulebook_bad_value": "a rulebook value of the wrong type or not one of the choices",
    "rulebook_inconsistent": "rulebook values that contradict each other",
    "rulebook_unknown_preset": "extends names no preset",
    "rulebook_extends_cycle": "extends runs in a circle",
}


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that stop scoring."""
    return [p for p in problems if not p.is_warning]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that are flagged but scored."""
    return [p for p in problems if p.is_warning]


#: the keys of a problem as JSON (``perfkit validate --format json``), in this order
JSON_KEYS = (
    "code",
    "severity",
    "file",
    "row",
    "column",
    "value",
    "unit_code",
    "project_code",
    "level3",
    "message",
    "cell",
    "year",
)


def as_json(problem: Problem) -> dict[str, object]:
    """One problem as a JSON object with exactly :data:`JSON_KEYS` (null when not known)."""
    return {key: getattr(problem, key) for key in JSON_KEYS}


#: lines a listing shows per section (errors, warnings) before it counts the rest per code
LIST_LIMIT = 50
#: values a grouped line quotes before it says how many cells there are
QUOTED_VALUES = 3


@dataclass
class _Run:
    """Problems alike but for their row (and value, unit, indicator), on consecutive rows."""

    first: Problem
    rows: list[int]
    values: list[str | None]
    units: set[str | None]
    level3s: set[str | None]
    projects: set[str | None]

    def text(self) -> str:
        p = self.first
        if len(self.rows) == 1:
            return str(p)
        where = [shown(p.file), f"第{self.rows[0]}–{self.rows[-1]}行"]
        if p.column:
            where.append(f"列「{shown(p.column)}」")
        who = _who(
            p.unit_code if len(self.units) == 1 else None,
            p.project_code if len(self.projects) == 1 else None,
            p.level3 if len(self.level3s) == 1 else None,
        )
        head = "，".join(where) + (f"（{who}）" if who else "")
        distinct = [shown(v) for v in dict.fromkeys(self.values) if v is not None]
        if not distinct:
            value = ""
        elif len(distinct) == 1:
            value = f"值“{distinct[0]}”：" if len(self.values) == 1 else f"值均为“{distinct[0]}”："
        else:
            quoted = "、".join(f"“{v}”" for v in distinct[:QUOTED_VALUES])
            more = f"等 {len(self.values)} 个" if len(distinct) > QUOTED_VALUES else ""
            value = f"值{quoted}{more}："
        return f"{head}：{value}{shown(p.message)}"


def _runs(problems: list[Problem]) -> list[_Run]:
    """Problems grouped into runs: same file, column, message, code and severity, on consecutive
    Excel rows (values, 单位编码 and 三级指标 may differ). A problem without a row (a file, a
    cell of a form) is a run of its own. Runs are in the order of their first problem."""
    runs: list[_Run] = []
    open_runs: dict[tuple, _Run] = {}
    for p in problems:
        if p.row is None or p.cell:
            runs.append(_Run(p, [], [p.value], {p.unit_code}, {p.level3}, {p.project_code}))
            continue
        key = (p.file, p.column, p.message, p.code, p.severity)
        run = open_runs.get(key)
        if run is not None and p.row == run.rows[-1] + 1:
            run.rows.append(p.row)
            run.values.append(p.value)
            run.units.add(p.unit_code)
            run.level3s.add(p.level3)
            run.projects.add(p.project_code)
            continue
        run = _Run(p, [p.row], [p.value], {p.unit_code}, {p.level3}, {p.project_code})
        open_runs[key] = run
        runs.append(run)
    return runs


def _section(problems: list[Problem], limit: int) -> list[str]:
    """The lines of one section: runs of alike problems, at most ``limit``, then what is left."""
    runs = _runs(problems)
    lines = [f"  - {run.text() if run.rows else run.first}" for run in runs[:limit]]
    if len(runs) > limit:
        hidden = sum(max(len(run.rows), 1) for run in runs[limit:])
        counts = Counter(p.code or "other" for p in problems)
        per_code = "；".join(f"{code} {n:,} 处" for code, n in counts.most_common())
        lines.append(f"  另有 {hidden:,} 处未列出（--format json 列出全部）；按类型：{per_code}。")
    return lines


def report(problems: Iterable[Problem], limit: int = LIST_LIMIT) -> str:
    """Errors first, then warnings, each under a Chinese heading with its count.

    Alike problems on consecutive rows share one line ("budget.csv，第38–49行，列「全年执行数」：
    值“a”、“b”、“c”等 12 个：…"); each section shows at most ``limit`` lines, then the number
    of problems not listed and a count per code.
    """
    problems = list(problems)
    lines = []
    if errs := errors(problems):
        lines.append(f"输入数据有 {len(errs)} 处错误，无法评分：")
        lines += _section(errs, limit)
    if warns := warnings(problems):
        lines.append(f"另有 {len(warns)} 处警告（已按说明评分，请核对）：")
        lines += _section(warns, limit)
    return "\n".join(lines)


class PerfkitError(Exception):
    """Base of every error perfkit raises on purpose: bad input, bad usage, a bad rulebook, a
    locked output folder. The CLI turns each into a Chinese message and exit code 2, never a
    traceback."""


class InvalidInput(PerfkitError):
    """Raised when input data breaks the contract; carries every problem found, not just one
    (its warnings too, so that the user sees them beside the errors)."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__(self.report())

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return warnings(self.problems)

    def report(self) -> str:
        return report(self.problems)


class UsageError(PerfkitError):
    """A wrong argument (unknown rulebook, unknown unit, missing year): exit code 2."""
