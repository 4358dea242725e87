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
from perfkit.review.deviation import CLASSES
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
    deviations: Any


def has_deviations(review: Review) -> bool:
    """Whether the screening carries the deviation of at least one re-checked table."""
    return review.deviations is not None and len(review.deviations.tables) > 0


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
    (units' 部门整体 and projects, ``project_code`` "" for a unit's), ranked; when the dataset
    re-checked tables of the year, also ``deviations`` (per indicator) and ``totals`` (per
    re-checked table; :meth:`perfkit.review.deviation.Deviations.records`)."""
    findings = [
        {f: _clean(row[f]) for f in FINDING_FIELDS} for row in review.findings.to_dict("records")
    ]
    tables = [{f: _clean(row[f]) for f in TABLE_FIELDS} for row in review.tables.to_dict("records")]
    out = {
        "year": review.year,
        "rulebook": review.rulebook.name,
        "findings": findings,
        "units": tables,
    }
    if has_deviations(review):
        out.update(review.deviations.records())
    return out


def to_json(review: Review) -> str:
    return json_text(to_records(review), indent=2)


def zh_view(review: Review, name: str = "tables") -> pd.DataFrame:
    """The ranking (``"tables"``) or the findings (``"findings"``) with Chinese headers, checks
    and severities by their Chinese names, 全年预算数 and scores as printed (四舍五入); the
    deviation per indicator (``"deviations"``) or per re-checked table (``"deviation_tables"``)
    as :meth:`perfkit.review.deviation.Deviations.table` shows them."""
    if name in ("deviations", "deviation_tables"):
        if review.deviations is None:
            raise KeyError(f"no table {name!r}: this screening has no deviations")
        return review.deviations.table("indicators" if name == "deviations" else "tables")
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
        raise KeyError(f"no table {name!r}: tables, findings, deviations or deviation_tables")
    return frame[order].rename(columns=HEADERS_ZH)


def to_csv(review: Review, findings: bool = False, deviations: bool = False) -> str:
    """The ranking (or, ``findings``: every hit; ``deviations``: every re-checked indicator with
    its 自评得分, 复核得分, 复核指标偏差 and class) as CSV; text a spreadsheet would evaluate gets a
    leading apostrophe."""
    name = "deviations" if deviations else "findings" if findings else "tables"
    frame = zh_view(review, name)
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


def _scores(value: Any) -> str:
    value = _clean(value)
    return "" if value is None else f"{float(round_half_up(value, 2)):.2f}"


def deviation_summary(review: Review) -> str:
    """One sentence: how many tables and indicators were re-checked, the indicators per class
    (the four counts add up to the indicators) and how many tables changed grade; or that the
    year has no review rows."""
    if not has_deviations(review):
        return f"（{review.year} 年度没有复核数据：数据中的 reviews（复核）表没有这一年度的行）"
    tables = review.deviations.tables
    n = {key: int(tables[f"n_{key}"].sum()) for key in CLASSES}
    total = int(tables["n_indicators"].sum())
    counted = "，".join(f"{label} {n[key]} 个" for key, label in CLASSES.items())
    changed = int(tables["grade_changed"].sum())
    return f"复核 {len(tables)} 张自评表、{total} 个指标：{counted}；等级变化的 {changed} 张。"


def deviation_overview(review: Review) -> pd.DataFrame:
    """Per re-checked table, in Chinese: 单位编码, 项目编码, 名称, 自评得分 and 复核得分 (two
    decimals), 偏离度 (a percentage; blank when undefined), 等级变化 ("优 → 良", or "未变（优）"),
    the indicators per class and the 主要偏差原因 (empty frame when none was re-checked)."""
    rows = []
    tables = review.deviations.tables if has_deviations(review) else pd.DataFrame()
    for t in tables.to_dict("records"):
        change = (
            f"{t['grade_before']} → {t['grade_after']}"
            if t["grade_changed"]
            else f"未变（{t['grade_before']}）"
        )
        deviation = _clean(t["deviation"])
        rows.append(
            {
                "单位编码": t["unit_code"],
                "项目编码": t["project_code"],
                "名称": t["name"],
                "自评得分": _scores(t["self_total"]),
                "复核得分": _scores(t["review_total"]),
                "偏离度": "" if deviation is None else f"{deviation * 100:.2f}%",
                "等级变化": change,
                **{label: int(t[f"n_{key}"]) for key, label in CLASSES.items()},
                "主要偏差原因": t["main_reasons"] or "无偏差",
            }
        )
    columns = ["单位编码", "项目编码", "名称", "自评得分", "复核得分", "偏离度", "等级变化",
               *CLASSES.values(), "主要偏差原因"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def deviation_section(review: Review) -> str:
    """Section 四 of the table format: :func:`deviation_summary`, then per re-checked table
    自评得分, 复核得分, 偏离度, 等级变化 and the indicators per class, then its 主要偏差原因."""
    if not has_deviations(review):
        return deviation_summary(review)
    overview = deviation_overview(review)
    reasons = "\n".join(
        f"{t['单位编码']}{' ' + t['项目编码'] if t['项目编码'] else ''} 主要偏差原因："
        f"{t['主要偏差原因']}"
        for t in overview.to_dict("records")
    )
    table = overview.drop(columns="主要偏差原因").to_string(index=False)
    return "\n\n".join([deviation_summary(review), table, reasons])


def to_table(review: Review, findings: bool = False, deviations: bool = False) -> str:
    """What the terminal shows: the counts per check, the ranking, every hit with its evidence,
    then the 复核偏差 (``findings``: the hits only; ``deviations``: the 复核偏差 only)."""
    if deviations:
        return deviation_section(review)
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
    if has_deviations(review):
        parts += ["四、复核偏差", deviation_section(review)]
    return "\n\n".join(parts)
