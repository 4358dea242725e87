"""The data contract: which tables a dataset holds and what their columns are called.

A dataset is a folder of CSV files (``units.csv``, ``budget.csv`` …) or one ``.xlsx`` workbook
whose sheets carry the same tables (sheet names: the file stem or the Chinese table name).
Every column has a canonical English key (what the code uses), its Chinese header (what the
standard 自评表 prints) and optional extra aliases. Headers are matched after stripping spaces;
English aliases are matched case-insensitively. See docs/data-contract.md for the user's guide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

#: "code" is a 单位编码, "project_code" a 项目编码: the same rule (they become file names)
Kind = Literal["text", "code", "project_code", "number", "year", "month"]


@dataclass(frozen=True)
class Column:
    """One column of a table: canonical key, Chinese header, kind, and whether it must exist."""

    key: str
    zh: str
    kind: Kind = "text"
    required: bool = True
    aliases: tuple[str, ...] = ()
    #: a required column may still be left blank in a row (e.g. 内设机构)
    allow_blank: bool = False
    #: the unit of a number column's values in the Dataset: "万元" (amounts; the header and the
    #: values may name another amount unit, see AMOUNT_UNITS), "分" (points) or "%" (a rate,
    #: kept as a fraction); "" for other columns
    unit: str = ""
    #: the unit's own printed figure (执行率, 执行率得分 of the budget table): compared with
    #: perfkit's, never scored, so a value that cannot be read is a warning, never an error
    advisory: bool = False
    #: a number column whose negative values are not an error here (a 得分 outside 0–分值 is a
    #: cross-row warning, ``reported_score_range``)
    negative_ok: bool = False
    #: a figure the unit printed (执行率, 得分) that perfkit compares with its own at the
    #: precision it was printed (issue 16 §10): the unit of its last digit is kept beside it,
    #: in the Dataset column ``_<key>_step`` (:func:`step_column`)
    printed: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """Every header under which this column is accepted."""
        return (self.zh, self.key, *self.aliases)


def step_column(key: str) -> str:
    """The Dataset column that keeps the precision a printed figure was written at: the unit of
    its last digit ("86%" → 0.01, "9.5" → 0.1), NaN when blank (``Column.printed``)."""
    return f"_{key}_step"


@dataclass(frozen=True)
class Table:
    """One table of the contract, e.g. ``budget`` (预算执行)."""

    name: str
    zh: str
    columns: tuple[Column, ...]
    required: bool = True
    #: columns that together must be unique within the table
    unique: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


#: amount units a header or a value may name, and what one of them is in 万元
AMOUNT_UNITS: dict[str, Decimal] = {
    "元": Decimal("0.0001"),
    "千元": Decimal("0.1"),
    "万元": Decimal(1),
    "亿元": Decimal(10000),
}
#: the unit amounts are kept in
AMOUNT_UNIT = "万元"

#: the bounds of a number in a cell (issue 16 §7): a value at or above one of them is an error
#: naming the cell (``too_large``), as is a value beyond what a float holds ("1e309", a number
#: of 5,000 digits), so that no infinity or absurd figure reaches a score, a report or JSON.
#: An amount of one row of one unit is below 10^8 万元 = 1 万亿元: the whole 中央本级 general
#: public budget spends about 3.6 万亿元 a year (财政部《2022年财政收支情况》), and a single
#: unit's table, even a ministry's, is orders of magnitude below it: a figure at the bound is a
#: typing error.
MAX_AMOUNT = Decimal(10**8)
#: 分值 and 得分: a whole table is worth 100 points, so 1,000 points in one cell is no score
MAX_POINTS = 1000
#: a printed 执行率 as a fraction: 100 (10,000%) is no table's execution; beyond it (or not a
#: finite number) the printed figure is unreadable (a warning: it is never used for scoring)
MAX_RATE = 100

YEAR = Column("year", "年度", "year")
UNIT_CODE = Column("unit_code", "单位编码", "code")
#: the optional 项目编码 of a budget, indicator or goal row: rows with one belong to that
#: project's 项目支出绩效自评表, rows without to the unit's 部门整体 table (issue 11)
PROJECT_CODE = Column("project_code", "项目编码", "project_code", required=False, allow_blank=True)

UNITS = Table(
    "units",
    "单位信息",
    (
        UNIT_CODE,
        Column("unit_name", "单位名称"),
        # descriptive: published tables often lack them (domain.md §7); the report says so
        Column("department", "主管部门", required=False, allow_blank=True),
        Column("functions", "主要职能", required=False, allow_blank=True),
        Column("internal_bodies", "内设机构", required=False, allow_blank=True),
        Column("subordinate_units", "下属单位", required=False, allow_blank=True),
    ),
    unique=("unit_code",),
)

BUDGET = Table(
    "budget",
    "预算执行",
    (
        YEAR,
        UNIT_CODE,
        PROJECT_CODE,
        Column("fund_source", "资金来源", required=False, allow_blank=True),
        Column("expense_type", "支出类型", required=False, allow_blank=True),
        Column("item", "项目"),
        Column(
            "initial_budget", "年初预算数", "number", required=False, allow_blank=True, unit="万元"
        ),
        Column("adjusted_budget", "全年预算数", "number", unit="万元", aliases=("调整后预算数",)),
        Column("executed", "全年执行数", "number", unit="万元"),
        # the unit's own printed 执行率 and 得分 (given on one row of the unit-year): compared
        # with perfkit's, never used for scoring; unreadable values are warnings
        Column(
            "reported_rate",
            "执行率",
            "number",
            required=False,
            allow_blank=True,
            unit="%",
            aliases=("预算执行率",),
            advisory=True,
            printed=True,
        ),
        Column(
            "reported_execution_score",
            "得分",
            "number",
            required=False,
            allow_blank=True,
            unit="分",
            aliases=("执行率得分",),
            advisory=True,
            printed=True,
        ),
        # the 分值 the unit printed for 预算执行率 (issue 16 §10): its own choice, reported
        # when it differs from the rulebook's execution weight, never used for scoring
        Column(
            "reported_execution_weight",
            "分值",
            "number",
            required=False,
            allow_blank=True,
            unit="分",
            aliases=("执行率分值",),
            advisory=True,
        ),
    ),
)

INDICATORS = Table(
    "indicators",
    "绩效指标",
    (
        YEAR,
        UNIT_CODE,
        PROJECT_CODE,
        Column("level1", "一级指标"),
        Column("level2", "二级指标"),
        Column("level3", "三级指标"),
        Column("target", "年度指标值", allow_blank=True),
        Column("actual", "实际完成值", allow_blank=True),
        Column("weight", "分值", "number", unit="分"),
        Column(
            "reported_score",
            "得分",
            "number",
            required=False,
            allow_blank=True,
            unit="分",
            negative_ok=True,
            printed=True,
        ),
        Column(
            "deviation_reason",
            "偏差原因分析及改进措施",
            required=False,
            allow_blank=True,
            aliases=("偏差原因",),
        ),
    ),
    # an indicator is unique within its table: the unit's 部门整体 table or one project's
    unique=("year", "unit_code", "project_code", "level3"),
)

GOALS = Table(
    "goals",
    "年度总体目标",
    (
        YEAR,
        UNIT_CODE,
        PROJECT_CODE,
        Column("expected", "预期目标"),
        Column("achieved", "实际完成情况", allow_blank=True),
    ),
)

MONTHLY = Table(
    "monthly",
    "月度执行",
    (
        YEAR,
        UNIT_CODE,
        Column("item", "项目"),
        Column("month", "月份", "month"),
        Column("executed", "当月执行数", "number", unit="万元"),
    ),
    required=False,
    unique=("year", "unit_code", "item", "month"),
)

PROJECTS = Table(
    "projects",
    "项目信息",
    (
        UNIT_CODE,  # the 实施单位
        Column("project_code", "项目编码", "project_code"),
        Column("project_name", "项目名称"),
        Column("category", "项目类别", required=False, allow_blank=True),
        Column("manager", "项目负责人", required=False, allow_blank=True),
        Column("overview", "项目概况", required=False, allow_blank=True),
    ),
    required=False,
    unique=("unit_code", "project_code"),
)

#: the bureau's re-check of indicators (复核, issue 17 §3, domain.md §9): one row per indicator
#: reviewed, keyed like the indicator it re-checks (年度, 单位编码, 项目编码, 三级指标; 一级 and
#: 二级指标 as on the 复核表). 复核完成值 is read with the notation of 实际完成值 (blank: the unit's
#: value accepted); 复核得分 is the reviewer's own figure, compared with perfkit's, never used
#: for scoring; 复核执行数 (optional, once per table) replaces the 全年执行数 of the reviewed table.
REVIEWS = Table(
    "reviews",
    "复核",
    (
        YEAR,
        UNIT_CODE,
        PROJECT_CODE,
        Column("level1", "一级指标", required=False, allow_blank=True),
        Column("level2", "二级指标", required=False, allow_blank=True),
        Column("level3", "三级指标"),
        Column("review_actual", "复核完成值", allow_blank=True),
        Column(
            "review_score",
            "复核得分",
            "number",
            required=False,
            allow_blank=True,
            unit="分",
            negative_ok=True,
            printed=True,
        ),
        Column("review_opinion", "复核意见", required=False, allow_blank=True),
        Column("review_evidence", "佐证材料", required=False, allow_blank=True, aliases=("备注",)),
        Column("reviewer", "复核人", required=False, allow_blank=True),
        # the reviewer's overall notes on the table (the 复核表's summary), once per table
        Column("review_summary", "复核总体意见", required=False, allow_blank=True),
        Column("review_date", "复核日期", required=False, allow_blank=True),
        Column(
            "review_executed",
            "复核执行数",
            "number",
            required=False,
            allow_blank=True,
            unit="万元",
        ),
    ),
    required=False,
    unique=("year", "unit_code", "project_code", "level3"),
)

TABLES: tuple[Table, ...] = (UNITS, BUDGET, INDICATORS, GOALS, MONTHLY, PROJECTS, REVIEWS)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

#: narratives/<年度>/<单位编码>.md (a project's: narratives/<年度>/<单位编码>/<项目编码>.md);
#: section headings (## …) recognised in a narrative file
NARRATIVE_DIR = "narratives"
NARRATIVE_SECTIONS: dict[str, tuple[str, ...]] = {
    "achievements": ("绩效实现情况", "主要成效", "工作成效", "整体支出绩效实现情况"),
    "problems": ("存在问题", "存在的问题"),
    "measures": ("改进措施", "整改措施"),
    "disclosure": ("应用和公开情况", "结果应用", "公开情况", "绩效自评结果拟应用和公开情况"),
}

#: unit codes become file names: letters, digits, "-" and "_" only
UNIT_CODE_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
#: unit codes that the pattern allows but that cannot be a report's file name, compared
#: case-insensitively: the files of a year folder that are not a unit's report (``index.html``,
#: ``projects.html``, ``notebooks/``, ``notebooks/index.ipynb``, ``notebooks/status.json``) and
#: the device names Windows reserves
#: (``CON.html`` cannot be created there). The rendering pipeline refuses the same names.
RESERVED_UNIT_CODES: frozenset[str] = frozenset(
    {"index", "status", "projects", "notebooks", "departments", "con", "prn", "aux", "nul"}
    | {f"{dev}{n}" for dev in ("com", "lpt") for n in range(1, 10)}
)


#: the reserved names as messages list them: perfkit's own page and folder names, then Windows'
#: device names
RESERVED_NAMES_TEXT = (
    "、".join(sorted(n for n in RESERVED_UNIT_CODES if not n[-1].isdigit() and len(n) > 3))
    + " 或 Windows 保留的设备名（CON、PRN、AUX、NUL、COM1–COM9、LPT1–LPT9）"
)


def unit_code_problem(code: str) -> str | None:
    """The problem code of a unit code that cannot name a report: ``bad_unit_code`` (not
    letters, digits, "-", "_"; 1–64 characters), ``reserved_unit_code``; None when fine."""
    if re.fullmatch(UNIT_CODE_PATTERN, code) is None:
        return "bad_unit_code"
    if code.casefold() in RESERVED_UNIT_CODES:
        return "reserved_unit_code"
    return None


def project_code_problem(code: str) -> str | None:
    """The problem code of a 项目编码 that cannot name a report (``reports/<年度>/<单位编码>/
    <项目编码>.html``): the rule of :func:`unit_code_problem`, ``bad_project_code`` or
    ``reserved_project_code``; None when fine."""
    problem = unit_code_problem(code)
    return None if problem is None else problem.replace("unit", "project")


@dataclass
class Narrative:
    """A unit's narrative Markdown, split into the report's sections (Markdown source kept)."""

    achievements: str = ""
    problems: str = ""
    measures: str = ""
    disclosure: str = ""
    #: text before the first recognised heading, or a file without headings
    preamble: str = ""
    source: str = field(default="", repr=False)
