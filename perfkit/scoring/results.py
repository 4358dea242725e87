"""Score results as records: the JSON, CSV and table forms printed by ``perfkit score``.

``level="unit"`` (default) gives one record per unit-year's 部门整体 table; ``level="project"``
one per project-year's 项目支出绩效自评表, with the keys of a unit's record plus ``project_code``
and ``project_name`` (issue 11).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from perfkit.core.formatting import round_half_up
from perfkit.core.text import json_text
from perfkit.data.textcells import CSV_LINE_END, escape_frame
from perfkit.scoring.scores import Scores

UNIT_FIELDS = (
    "unit_code",
    "unit_name",
    "year",
    "initial_budget",
    "adjusted_budget",
    "executed",
    "execution_rate",
    "execution_score",
    "execution_rule_text",
    "indicator_score",
    "indicator_rule_text",
    "total",
    "grade",
)
INDICATOR_FIELDS = (
    "level1",
    "level2",
    "level3",
    "target",
    "actual",
    "weight",
    "reported_score",
    "score",
    "rule",
    "rule_text",
)
FINDING_FIELDS = ("kind", "code", "subject", "message")
#: a project's record: a unit's, with the project's code and name after the unit's
PROJECT_FIELDS = (*UNIT_FIELDS[:2], "project_code", "project_name", *UNIT_FIELDS[2:])

#: Chinese column headers for the table and CSV forms
UNIT_HEADERS_ZH = {
    "unit_code": "单位编码",
    "unit_name": "单位名称",
    "project_code": "项目编码",
    "project_name": "项目名称",
    "year": "年度",
    "initial_budget": "年初预算数",
    "adjusted_budget": "全年预算数",
    "executed": "全年执行数",
    "execution_rate": "预算执行率",
    "execution_score": "执行率得分",
    "indicator_score": "指标得分",
    "total": "总分",
    "grade": "等级",
    "n_findings": "问题数",
}


def _clean(value: Any) -> Any:
    """JSON-safe scalars: NaN and ±infinity become null (strict JSON has neither), numpy
    scalars become Python ones."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(
    frame: pd.DataFrame, fields: tuple[str, ...]
) -> dict[tuple[int, str, str], list[dict]]:
    """Group a frame's rows by (year, unit_code, project_code) into lists of dicts with the
    given fields (project_code "" for a unit's 部门整体 rows)."""
    present = [f for f in fields if f in frame.columns]
    out: dict[tuple[int, str, str], list[dict]] = {}
    if frame.empty:
        return out
    cols = [frame[f].tolist() for f in present]
    if "project_code" in frame.columns:
        projects = frame["project_code"].fillna("").tolist()
    else:
        projects = [""] * len(frame)
    for year, code, project, *values in zip(
        frame["year"].tolist(), frame["unit_code"].tolist(), projects, *cols, strict=True
    ):
        record = {f: _clean(v) for f, v in zip(present, values, strict=True)}
        out.setdefault((int(year), str(code), str(project)), []).append(record)
    return out


LEVELS = ("unit", "project")


def _units(scores: Scores, level: str = "unit") -> pd.DataFrame:
    """The units (or projects) frame with Σ年初预算数 NaN (null, an empty CSV cell) for a table
    whose budget rows leave 年初预算数 blank, as :mod:`perfkit.scoring.metrics` sums it."""
    units = scores.units if level == "unit" else scores.projects
    items = scores.budget_items
    if units.empty or items.empty or "initial_budget" not in units.columns:
        return units
    keys = ["year", "unit_code", "project_code"]
    if "project_code" not in items.columns:
        items = items.assign(project_code="")
    blank = items["initial_budget"].isna().groupby([items[k] for k in keys]).any()
    if not blank.any():
        return units
    frame = units[["year", "unit_code"]].assign(
        project_code=units["project_code"] if "project_code" in units.columns else ""
    )
    unknown = blank.reindex(pd.MultiIndex.from_frame(frame), fill_value=False).to_numpy()
    units = units.copy()
    units["initial_budget"] = units["initial_budget"].mask(unknown)
    return units


def to_records(scores: Scores, level: str = "unit") -> list[dict[str, Any]]:
    """One dict per unit-year (``level="project"``: per project-year): the figures, the
    indicators and the findings of its table (``initial_budget`` null when 年初预算数 was left
    blank)."""
    indicators = _records(scores.indicators, INDICATOR_FIELDS)
    findings = _records(scores.findings, FINDING_FIELDS)
    fields = UNIT_FIELDS if level == "unit" else PROJECT_FIELDS
    records = []
    for row in _units(scores, level).to_dict("records"):
        project = str(row.get("project_code", "")) if level == "project" else ""
        key = (int(row["year"]), str(row["unit_code"]), project)
        record = {f: _clean(row.get(f)) for f in fields}
        record["rulebook"] = scores.rulebook.name
        record["indicators"] = indicators.get(key, [])
        record["findings"] = findings.get(key, [])
        records.append(record)
    return records


def to_json(scores: Scores, level: str = "unit") -> str:
    """The records as strict JSON (issue 16 §7): a number that is not finite is null."""
    return json_text(to_records(scores, level), indent=2)


def unit_table(scores: Scores, level: str = "unit") -> pd.DataFrame:
    """The units (or projects) frame with Chinese headers, rates as percentages, for the table
    and CSV forms."""
    units = _units(scores, level)
    cols = [c for c in UNIT_HEADERS_ZH if c in units.columns]
    table = units[cols].copy()
    # 四舍五入 like the report, not pandas' round-half-even
    table["execution_rate"] = round_half_up(table["execution_rate"] * 100, 2)
    return table.rename(columns={**UNIT_HEADERS_ZH, "execution_rate": "预算执行率(%)"})


def to_csv(scores: Scores, level: str = "unit") -> str:
    """The unit (or project) table as CSV; text a spreadsheet would evaluate gets a leading
    apostrophe."""
    return escape_frame(unit_table(scores, level)).to_csv(index=False, lineterminator=CSV_LINE_END)


def to_table(scores: Scores, level: str = "unit") -> str:
    table = unit_table(scores, level)
    if table.empty:
        return "（没有可评分的单位）" if level == "unit" else "（没有可评分的项目）"
    return table.to_string(index=False)
