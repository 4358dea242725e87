"""Score results as records: the JSON, CSV and table forms printed by ``perfkit score``."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from perfkit.core.formatting import round_half_up
from perfkit.data.textcells import escape_frame
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

#: Chinese column headers for the table and CSV forms
UNIT_HEADERS_ZH = {
    "unit_code": "单位编码",
    "unit_name": "单位名称",
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
    """JSON-safe scalars: NaN becomes null, numpy scalars become Python ones."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _records(frame: pd.DataFrame, fields: tuple[str, ...]) -> dict[tuple[int, str], list[dict]]:
    """Group a frame's rows by (year, unit_code) into lists of dicts with the given fields."""
    present = [f for f in fields if f in frame.columns]
    out: dict[tuple[int, str], list[dict]] = {}
    if frame.empty:
        return out
    cols = [frame[f].tolist() for f in present]
    for year, code, *values in zip(
        frame["year"].tolist(), frame["unit_code"].tolist(), *cols, strict=True
    ):
        record = {f: _clean(v) for f, v in zip(present, values, strict=True)}
        out.setdefault((int(year), str(code)), []).append(record)
    return out


def _units(scores: Scores) -> pd.DataFrame:
    """The units frame with Σ年初预算数 NaN (null, an empty CSV cell) for a unit-year whose budget
    rows leave 年初预算数 blank, as :mod:`perfkit.scoring.metrics` sums it."""
    units = scores.units
    items = scores.budget_items
    if units.empty or items.empty or "initial_budget" not in units.columns:
        return units
    blank = items["initial_budget"].isna().groupby([items["year"], items["unit_code"]]).any()
    if not blank.any():
        return units
    keys = pd.MultiIndex.from_frame(units[["year", "unit_code"]])
    unknown = blank.reindex(keys, fill_value=False).to_numpy()
    units = units.copy()
    units["initial_budget"] = units["initial_budget"].mask(unknown)
    return units


def to_records(scores: Scores) -> list[dict[str, Any]]:
    """One dict per unit-year: the unit's figures, its indicators and its findings
    (``initial_budget`` null when the unit left 年初预算数 blank)."""
    indicators = _records(scores.indicators, INDICATOR_FIELDS)
    findings = _records(scores.findings, FINDING_FIELDS)
    records = []
    for row in _units(scores).to_dict("records"):
        key = (int(row["year"]), str(row["unit_code"]))
        record = {f: _clean(row.get(f)) for f in UNIT_FIELDS}
        record["rulebook"] = scores.rulebook.name
        record["indicators"] = indicators.get(key, [])
        record["findings"] = findings.get(key, [])
        records.append(record)
    return records


def to_json(scores: Scores) -> str:
    return json.dumps(to_records(scores), ensure_ascii=False, indent=2)


def unit_table(scores: Scores) -> pd.DataFrame:
    """The units frame with Chinese headers, rates as percentages, for the table and CSV forms."""
    units = _units(scores)
    cols = [c for c in UNIT_HEADERS_ZH if c in units.columns]
    table = units[cols].copy()
    # 四舍五入 like the report, not pandas' round-half-even
    table["execution_rate"] = round_half_up(table["execution_rate"] * 100, 2)
    return table.rename(columns={**UNIT_HEADERS_ZH, "execution_rate": "预算执行率(%)"})


def to_csv(scores: Scores) -> str:
    """The unit table as CSV; text a spreadsheet would evaluate gets a leading apostrophe."""
    return escape_frame(unit_table(scores)).to_csv(index=False)


def to_table(scores: Scores) -> str:
    table = unit_table(scores)
    if table.empty:
        return "（没有可评分的单位）"
    return table.to_string(index=False)
