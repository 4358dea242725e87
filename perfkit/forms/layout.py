"""The 自评表 layout, declared once: ``forms make`` writes it, ``forms collect`` reads it.

The sheet follows the standard 部门整体支出绩效自评表 (Anhui 2022, Sichuan 2023 forms), nine
columns A–I; column A names the block (merged down):

- title, merged A:I: "{年度}年度部门整体支出绩效自评表"; then 单位名称 | 主管部门 | 单位编码;
- funding (万元): label (B:C) | 年初预算数 D | 全年预算数 E | 全年执行数 F | 分值 G |
  执行率 H | 得分 I;
- 年度总体目标: 预期目标 (B:E) | 实际完成情况 (F:I);
- 绩效指标: 一级指标 B | 二级指标 C | 三级指标 D | 年度指标值 E | 实际完成值 F | 分值 G | 得分 H |
  偏差原因分析及改进措施 I; then 指标分值合计 and 总分.

The 项目支出绩效自评表 (domain.md §8, one workbook per project) is the same sheet with another
title and header: "{年度}年度项目支出绩效自评表"; 项目名称 | 主管部门 | 实施单位, then 项目编码 |
项目负责人 | 单位编码; the funding block is the project's 项目资金 with one 其中 row per 资金来源 (a
project's rows are all 项目支出); and a 自评等级 row under 总分.

``forms collect`` does not trust row numbers: it finds each block by its header text, so blank
rows, inserted rows and moved blocks are read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from perfkit.data.contract import GOALS, INDICATORS

LAYOUT_VERSION = 1
FORM_SHEET = "自评表"
HELP_SHEET = "填表说明"
#: the very hidden sheet holding unit, year and the data the form does not show
META_SHEET = "_perfkit"
META_MARKER = "perfkit-form"
LAST_COLUMN = "I"
SPARE_INDICATORS = 10
#: spare rows when the dataset holds no indicator for the unit yet
SPARE_INDICATORS_EMPTY = 20
SPARE_GOALS = 2

TITLE = "{year}年度部门整体支出绩效自评表"
UNIT_LABELS = {"unit_name": "单位名称", "department": "主管部门", "unit_code": "单位编码"}
AMOUNT_NOTE = "金额单位：万元"

#: the 项目支出绩效自评表 (one per project): its title and header labels (label -> cell key)
PROJECT_TITLE = "{year}年度项目支出绩效自评表"
PROJECT_LABELS = {
    "project_name": "项目名称",
    "department": "主管部门",
    "unit_name": "实施单位",
    "project_code": "项目编码",
    "manager": "项目负责人",
    "unit_code": "单位编码",
}
PROJECT_FUNDING_SECTION = "项目资金（万元）"
GRADE_LABEL = "自评等级"
#: what the hidden sheet's ``level`` says (absent in forms made before projects: a unit form)
LEVEL_UNIT, LEVEL_PROJECT = "unit", "project"

FUNDING_SECTION = "年度预算执行情况（万元）"
FUNDING_TOTAL = "年度资金总额"
FUNDING_SUB_PREFIX = "其中："
#: funding block: contract key -> column
FUNDING_COLUMNS = {"initial_budget": "D", "adjusted_budget": "E", "executed": "F"}
FUNDING_WEIGHT, FUNDING_RATE, FUNDING_SCORE = "G", "H", "I"
FUNDING_HEADERS = {
    "D": "年初预算数",
    "E": "全年预算数",
    "F": "全年执行数",
    "G": "分值",
    "H": "执行率",
    "I": "得分",
}

GOAL_SECTION = "年度总体目标"
#: goals block: contract key -> (first, last) column of the merged cell
GOAL_COLUMNS = {"expected": ("B", "E"), "achieved": ("F", "I")}
GOAL_HEADERS = {key: GOALS.column(key).zh for key in GOAL_COLUMNS}

INDICATOR_SECTION = "绩效指标"
#: indicator block: contract key -> column
INDICATOR_COLUMNS = {
    "level1": "B",
    "level2": "C",
    "level3": "D",
    "target": "E",
    "actual": "F",
    "weight": "G",
    "reported_score": "H",
    "deviation_reason": "I",
}
INDICATOR_HEADERS = {key: INDICATORS.column(key).zh for key in INDICATOR_COLUMNS}
#: what a unit fills in on a pre-filled indicator row; spare rows are open entirely
INDICATOR_INPUTS = ("actual", "reported_score", "deviation_reason")
WEIGHT_SUM_LABEL = "指标分值合计"
TOTAL_LABEL = "总分"

COLUMN_WIDTHS = {"A": 11, "B": 12, "C": 14, "D": 24, "E": 15, "F": 17, "G": 8, "H": 9, "I": 36}

LEVEL1_CHOICES = ("产出指标", "效益指标", "满意度指标", "成本指标")
LEVEL2_CHOICES = (
    "数量指标",
    "质量指标",
    "时效指标",
    "成本指标",
    "经济效益指标",
    "社会效益指标",
    "生态效益指标",
    "可持续影响指标",
    "服务对象满意度指标",
    "经济成本指标",
    "社会成本指标",
    "生态环境成本指标",
)
_FUND_SOURCE_ORDER = ("财政拨款", "本年财政拨款", "上年结转", "上年结转资金", "其他资金")
_EXPENSE_TYPE_ORDER = ("基本支出", "项目支出")


@dataclass(frozen=True)
class Plan:
    """Row numbers of one form, from the number of funding, goal and indicator rows."""

    n_funding: int
    n_goals: int
    n_indicators: int

    title: int = 1
    unit: int = 2
    note: int = 3
    funding_header: int = 4
    #: a 自评等级 row under 总分 (the project form)
    grade_row: bool = False

    @property
    def funding_first(self) -> int:
        return self.funding_header + 1

    @property
    def funding_last(self) -> int:
        return self.funding_header + self.n_funding

    @property
    def goal_header(self) -> int:
        return self.funding_last + 1

    @property
    def goal_first(self) -> int:
        return self.goal_header + 1

    @property
    def goal_last(self) -> int:
        return self.goal_header + self.n_goals

    @property
    def indicator_header(self) -> int:
        return self.goal_last + 1

    @property
    def indicator_first(self) -> int:
        return self.indicator_header + 1

    @property
    def indicator_last(self) -> int:
        return self.indicator_header + self.n_indicators

    @property
    def weight_sum(self) -> int:
        return self.indicator_last + 1

    @property
    def total(self) -> int:
        return self.weight_sum + 1

    @property
    def grade(self) -> int:
        """The 自评等级 row (when ``grade_row``)."""
        return self.total + 1

    @property
    def footnote(self) -> int:
        return self.total + 1 + int(self.grade_row)


def project_plan(n_funding: int, n_goals: int, n_indicators: int) -> Plan:
    """The rows of a project form: two header rows (项目名称 …, 项目编码 …), the note on row 4."""
    return Plan(n_funding, n_goals, n_indicators, note=4, funding_header=5, grade_row=True)


def form_file(unit_code: str, project_code: str = "") -> str:
    """The workbook's file name: ``<单位编码>.xlsx``, a project's ``<单位编码>-<项目编码>.xlsx``."""
    return f"{unit_code}-{project_code}.xlsx" if project_code else f"{unit_code}.xlsx"


@dataclass(frozen=True)
class FundingRow:
    """One row of the funding block: a label and the three sums (万元)."""

    label: str
    #: None when a budget row of the unit-year leaves 年初预算数 blank (the cell stays blank)
    initial_budget: float | None
    adjusted_budget: float
    executed: float

    @property
    def name(self) -> str:
        """The label without "其中：", as :func:`funding_name` reads it back."""
        return funding_name(self.label)


def funding_name(label: str) -> str:
    """A funding label as compared on collection: "其中：财政拨款" → "财政拨款"."""
    return label.strip().removeprefix(FUNDING_SUB_PREFIX).strip()


def _ordered(values: list[str], order: tuple[str, ...]) -> list[str]:
    seen = list(dict.fromkeys(v for v in values if v))
    known = [v for v in order if v in seen]
    return known + [v for v in seen if v not in order]


def funding_rows(budget: pd.DataFrame, expense_types: bool = True) -> list[FundingRow]:
    """The funding block of one unit-year (or project-year) from its item-level budget rows.

    年度资金总额 sums every row; then one row per 资金来源 present (财政拨款, 上年结转, 其他资金 …)
    and, with ``expense_types`` (a unit's form), one per 支出类型 (基本支出, 项目支出 …), each the
    sum of its items. A project's form leaves the 支出类型 rows out: its rows are all 项目支出.
    Amounts are floats; a sum over a blank 年初预算数 is None.
    """
    cols = list(FUNDING_COLUMNS)
    amounts = budget[cols].astype(float)

    def sums(part: pd.DataFrame) -> list[float | None]:
        # rounded far below the 0.01 shown, so that 768.0000000000001 reads 768; a blank
        # 年初预算数 is not added as 0: the sum is unknown
        return [None if part[c].isna().any() else round(float(part[c].sum()), 6) for c in cols]

    rows = [FundingRow(FUNDING_TOTAL, *sums(amounts))]
    groups = [("fund_source", _FUND_SOURCE_ORDER), ("expense_type", _EXPENSE_TYPE_ORDER)]
    for key, order in groups if expense_types else groups[:1]:
        labels = budget[key].astype(str).str.strip()
        for i, value in enumerate(_ordered(labels.tolist(), order)):
            part = amounts[labels == value]
            label = f"{FUNDING_SUB_PREFIX}{value}" if i == 0 else value
            rows.append(FundingRow(label, *sums(part)))
    return rows
