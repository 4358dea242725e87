"""perfkit in a notebook: compact displays, Chinese-labelled tables and short error messages.

For the analyst in JupyterLab (issue 10): a :class:`~perfkit.data.dataset.Dataset`, a
:class:`~perfkit.api.UnitDetail` or an :class:`~perfkit.api.Overview` shows as a short summary
instead of a wall of text; :func:`zh_table` gives a frame with Chinese headers, rates as
percentages and findings by their Chinese kind, without internal columns; perfkit's own errors
(bad input, an unknown unit or year) show as a short message with what is valid, not a traceback
(``%tb`` still prints it). :func:`perfkit.notebook.install` registers these with the running
IPython when perfkit is imported inside a kernel.

Markup lives in ``templates/notebook/*.html.j2`` (Jinja2, autoescaped).
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from perfkit.core.formatting import fixed, percent
from perfkit.core.problems import InvalidInput
from perfkit.data.contract import TABLES
from perfkit.scoring.findings import KIND_LABELS

if TYPE_CHECKING:
    from perfkit.api import Overview, UnitDetail
    from perfkit.data.dataset import Dataset

#: Chinese headers of the columns perfkit's frames carry (the contract's, then the results')
COLUMNS_ZH: dict[str, str] = {
    **{c.key: c.zh for t in TABLES for c in t.columns},
    "unit_name": "单位名称",
    "execution_rate": "预算执行率",
    "execution_score": "执行率得分",
    "execution_weight": "执行率分值",
    "indicator_rescaled": "指标得分已折算",
    "execution_rule_text": "执行率计分说明",
    "reported_execution_rate": "自评执行率",
    "reported_execution_score": "自评执行率得分",
    "indicator_weight": "指标分值合计",
    "indicator_score": "指标得分",
    "indicator_rule_text": "指标得分说明",
    "total": "总分",
    "grade": "等级",
    "n_findings": "问题数",
    "target_value": "指标数值",
    "actual_value": "完成数值",
    "unit": "计量单位",
    "comparator": "比较符",
    "approx": "约数",
    "completion": "完成率",
    "met": "是否达到",
    "tier": "档次",
    "rule": "计分规则",
    "reading": "推断说明",
    "rule_text": "计分说明",
    "score": "得分",
    "kind": "问题类型",
    "subject": "对象",
    "message": "问题",
    "value": "数值",
    "code": "代码",
    "item": "项目",
    "month": "月份",
    "cumulative_rate": "累计执行率",
    "progress": "序时进度",
    "gap": "落后序时进度",
}
#: columns holding fractions, shown as percentages
RATES = frozenset(
    {"execution_rate", "reported_execution_rate", "completion", "cumulative_rate", "progress",
     "gap", "adjustment_rate"}
)  # fmt: skip
RULES_ZH: dict[str, str] = {
    "higher_better": "正向指标",
    "lower_better_ratio": "反向指标（比值）",
    "lower_better_linear": "反向指标（线性）",
    "equal_zero": "应为 0",
    "qualitative_tier": "定性指标（按档次）",
    "qualitative_reported": "定性指标（采用自评得分）",
    "deadline": "时效指标",
    "unverifiable_reported": "无法核实（采用自评得分）",
    "unverifiable_zero": "无法核实（0 分）",
    "execution_indicator": "预算执行率作为指标",
}
#: at most this many lines of an error's problem list are shown in a notebook
MAX_LINES = 12


def zh_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for reading: Chinese headers, rates as "95.23%", booleans as 是/否, findings and
    rules in Chinese, internal columns (``_row`` …) left out. The English frame stays for code."""
    out = frame[[c for c in frame.columns if not str(c).startswith("_")]].copy()
    for column in out.columns:
        if column in RATES:
            out[column] = [_rate(v) for v in out[column]]
        elif column == "kind":
            out[column] = out[column].map(lambda k: KIND_LABELS.get(k, k))
        elif column == "rule":
            out[column] = out[column].map(lambda r: RULES_ZH.get(r, r))
        elif out[column].dtype == bool:
            out[column] = out[column].map({True: "是", False: "否"})
    return out.rename(columns=lambda c: COLUMNS_ZH.get(c, c))


def _rate(value: Any) -> str:
    return "—" if _missing(value) else percent(float(value))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _points(value: Any) -> str:
    return "—" if _missing(value) else fixed(float(value))


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("perfkit.report", "templates/notebook"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def dataset_html(ds: Dataset) -> str:
    """A dataset in a few lines: where from, units, years, rows per table, warnings."""
    return _render(
        "dataset.html.j2",
        name=ds.name or (ds.source.name if ds.source else ""),
        fictional=ds.fictional,
        source=str(ds.source or ""),
        n_units=len(ds.units),
        years="、".join(map(str, ds.years)) or "无",
        tables=[{"zh": t.zh, "rows": len(getattr(ds, t.name))} for t in TABLES],
        n_warnings=len(ds.warnings),
    )


def detail_html(detail: UnitDetail) -> str:
    """One unit's year: total, grade, execution, indicators and findings, counted."""
    s = detail.summary
    return _render(
        "unit_detail.html.j2",
        unit_name=detail.unit_name,
        unit_code=detail.unit_code,
        year=detail.year,
        total=_points(s.get("total")),
        grade=s.get("grade", ""),
        execution_rate=_rate(s.get("execution_rate")),
        execution_score=_points(s.get("execution_score")),
        indicator_score=_points(s.get("indicator_score")),
        n_indicators=len(detail.indicators),
        n_findings=len(detail.findings),
        rulebook=detail.rulebook.title,
    )


def overview_html(ov: Overview) -> str:
    """A year of units: how many, the mean total, the grades counted, the findings counted."""
    counts = ov.units["grade"].value_counts()
    grades = [{"name": g.name, "count": int(counts.get(g.name, 0))} for g in ov.rulebook.grades]
    return _render(
        "overview.html.j2",
        year=ov.year,
        n_units=len(ov.units),
        mean_total=fixed(float(ov.units["total"].mean())) if len(ov.units) else "—",
        grades=grades,
        n_findings=len(ov.findings),
    )


def error_html(err: BaseException) -> str:
    """perfkit's own error as a short message: the sentence, or the first problems of a list."""
    if isinstance(err, InvalidInput):
        lines = [str(p) for p in err.problems]
        errors = len(err.errors)
        title = f"数据有 {errors} 处错误，无法评分" if errors else "数据有问题"
    else:
        lines = [str(err)]
        title = "无法完成"
    return _render(
        "error.html.j2",
        title=title,
        lines=lines[:MAX_LINES],
        more=max(0, len(lines) - MAX_LINES),
    )


def error_text(err: BaseException) -> str:
    """The same as plain text, for consoles without HTML."""
    if isinstance(err, InvalidInput):
        return err.report()
    return f"错误：{err}"
