"""A screening as ``perfkit review check`` prints it (JSON, CSV, table) and its Chinese views
(``Review.table("tables" | "findings")``), in the manner of ``perfkit score``
(:mod:`perfkit.scoring.results`): strict JSON, CSV cells escaped for spreadsheets, CR LF."""

from __future__ import annotations

import math
from typing import Any, Protocol

import pandas as pd

from perfkit.core.formatting import round_half_up
from perfkit.core.text import json_text
from perfkit.data.textcells import CSV_LINE_END, escape_frame
from perfkit.review.registry import CHECK_LABELS, ENTITY
from perfkit.review.risk import TABLE_COLUMNS
from perfkit.rules.review import SEVERITY_LABELS
from perfkit.rules.rulebook import Rulebook


class Review(Protocol):
    """What is printed of a screening (:class:`perfkit.review.screening.Review`)."""

    year: int
    findings: pd.DataFrame
    tables: pd.DataFrame
    rulebook: Rulebook


FINDING_FIELDS = ("code", "severity", "unit_code", "project_code", "level3", "evidence", "message")
TABLE_FIELDS = tuple(c for c in TABLE_COLUMNS if c != "year")
#: Chinese headers of the screening's frames
HEADERS_ZH = {
    "year": "年度",
    "rank": "风险排名",
    "unit_code": "单位编码",
    "project_code": "项目编码",
    "name": "名称",
    "department": "主管部门",
    "funds": "全年预算数",
    "total": "总分",
    "grade": "等级",
    "risk": "风险分",
    "n_findings": "问题数",
    "checks": "发现的问题",
    "label": "审核项",
    "code": "代码",
    "severity": "严重程度",
    "level3": "三级指标",
    "message": "问题",
    "evidence": "依据",
    "weight": "风险权重",
}
TABLE_ORDER = ["year", "rank", "unit_code", "project_code", "name", "department", "funds",
               "total", "grade", "risk", "n_findings", "checks"]  # fmt: skip
FINDING_ORDER = ["year", "unit_code", "project_code", "label", "code", "severity", "level3",
                 "message", "evidence"]  # fmt: skip


def _clean(value: Any) -> Any:
    """JSON-safe scalars: NaN and infinities null, numpy scalars Python's, tuples lists."""
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_records(review: Review) -> dict[str, Any]:
    """``{"year", "rulebook", "findings": [...], "units": [...]}``: every hit and every table
    (units' 部门整体 and projects, ``project_code`` "" for a unit's), ranked."""
    findings = [
        {f: _clean(row[f]) for f in FINDING_FIELDS} for row in review.findings.to_dict("records")
    ]
    tables = [{f: _clean(row[f]) for f in TABLE_FIELDS} for row in review.tables.to_dict("records")]
    return {
        "year": review.year,
        "rulebook": review.rulebook.name,
        "findings": findings,
        "units": tables,
    }


def to_json(review: Review) -> str:
    return json_text(to_records(review), indent=2)


def zh_view(review: Review, name: str = "tables") -> pd.DataFrame:
    """The ranking (``"tables"``) or the findings (``"findings"``) with Chinese headers, checks
    and severities by their Chinese names, 全年预算数 and scores as printed (四舍五入)."""
    if name == "tables":
        frame = review.tables.copy()
        frame["checks"] = [
            "；".join(CHECK_LABELS.get(c, c) for c in codes) for codes in frame["checks"]
        ]
        for column in ("funds", "total", "risk"):
            frame[column] = round_half_up(frame[column].astype(float), 2)
        order = TABLE_ORDER
    elif name == "findings":
        frame = review.findings.copy()
        frame["label"] = frame["code"].map(lambda c: CHECK_LABELS.get(c, c))
        frame["severity"] = frame["severity"].map(lambda s: SEVERITY_LABELS.get(s, s))
        order = FINDING_ORDER
    else:
        raise KeyError(f"no table {name!r}: tables or findings")
    return frame[order].rename(columns=HEADERS_ZH)


def to_csv(review: Review, findings: bool = False) -> str:
    """The ranking (or, ``findings``: every hit) as CSV; text a spreadsheet would evaluate gets a
    leading apostrophe."""
    frame = zh_view(review, "findings" if findings else "tables")
    return escape_frame(frame).to_csv(index=False, lineterminator=CSV_LINE_END)


def counts(review: Review) -> pd.DataFrame:
    """How many hits and tables each enabled check has, in the rulebook's order."""
    f = review.findings
    rows = []
    for c in review.rulebook.review.enabled:
        mine = f[f["code"] == c.code]
        rows.append(
            {
                "审核项": CHECK_LABELS.get(c.code, c.code),
                "代码": c.code,
                "严重程度": SEVERITY_LABELS[c.severity],
                "问题数": len(mine),
                "涉及单位或项目": len(mine.drop_duplicates(ENTITY)),
            }
        )
    return pd.DataFrame(rows)


def to_table(review: Review, findings: bool = False) -> str:
    """What the terminal shows: the counts per check, the ranking, then every hit with its
    evidence (``findings``: the hits only)."""
    hits = zh_view(review, "findings")
    listed = "\n".join(
        f"{r['单位编码']}{' ' + r['项目编码'] if r['项目编码'] else ''}"
        f"{' 「' + r['三级指标'] + '」' if r['三级指标'] else ''} [{r['审核项']}，{r['严重程度']}] "
        f"{r['问题']}\n    依据：{r['依据']}"
        for r in hits.to_dict("records")
    )
    if findings:
        return listed or "（没有发现问题）"
    ranking = zh_view(review, "tables").drop(columns=["发现的问题"])
    parts = [
        f"{review.year} 年度自评质量审核（评分规则 {review.rulebook.name}）",
        "一、各审核项发现的问题",
        counts(review).to_string(index=False),
        "二、风险排名",
        ranking.to_string(index=False) if not ranking.empty else "（没有可审核的单位或项目）",
        "三、问题及依据",
        listed or "（没有发现问题）",
    ]
    return "\n\n".join(parts)
