"""Chinese views of the frames a detail holds (``detail.table("indicators")``): Chinese headers,
rates as percentages, booleans as 是/否, findings and rules by their Chinese names, internal columns
left out. The English frames stay for code; the notebook displays use these
(:mod:`perfkit.report.display`)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from perfkit.core.formatting import percent
from perfkit.data.contract import TABLES
from perfkit.scoring.findings import KIND_LABELS

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


def zh_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for reading: Chinese headers, rates as "95.23%", booleans as 是/否, findings and
    rules in Chinese, internal columns (``_row`` …) left out. The English frame stays for code."""
    out = frame[[c for c in frame.columns if not str(c).startswith("_")]].copy()
    for column in out.columns:
        if column in RATES:
            out[column] = [rate_text(v) for v in out[column]]
        elif column == "kind":
            out[column] = out[column].map(lambda k: KIND_LABELS.get(k, k))
        elif column == "rule":
            out[column] = out[column].map(lambda r: RULES_ZH.get(r, r))
        elif out[column].dtype == bool:
            out[column] = out[column].map({True: "是", False: "否"})
    return out.rename(columns=lambda c: COLUMNS_ZH.get(c, c))


def rate_text(value: Any) -> str:
    """A fraction as a percentage ("95.23%"), "—" when missing."""
    return "—" if missing(value) else percent(float(value))


def missing(value: Any) -> bool:
    """None or NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))
