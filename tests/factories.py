"""Build a :class:`perfkit.data.dataset.Dataset` directly from lists of dicts, for tests.

Keys are the canonical ones of :mod:`perfkit.data.contract`; columns left out are blank ("" for
text, NaN for numbers); ``_row`` is the Excel row (header = row 1, so 2, 3, …). Units that are
referred to but not listed are added with their code as name. The rows go through the same typing
as a real load (:func:`perfkit.data.loading.to_dataset`), so tests see the dtypes users get.

    ds = make_dataset(
        budget=[budget_row("U1", item="党团经费", adjusted=10, executed=4.5)],
        indicators=[indicator_row("U1", "办结案件数", "≥150件", "230余件", 10)],
    )
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from perfkit.data.contract import TABLES_BY_NAME
from perfkit.data.dataset import Dataset
from perfkit.data.loading import to_dataset
from perfkit.data.readers import RawDataset, RawTable

Rows = list[dict[str, Any]] | None


def _text(value: Any) -> str:
    """A value as a cell holds it: numbers written so that they read back exactly, blanks ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, np.generic):
        return _text(value.item())
    return str(value)


def _raw_table(name: str, rows: Rows) -> RawTable:
    """The rows as the readers give a table: text cells, categorical columns, Excel rows."""
    table = TABLES_BY_NAME[name]
    rows = list(rows or [])
    frame = pd.DataFrame(
        {
            col.key: pd.Series([_text(r.get(col.key)) for r in rows], dtype=object).astype(
                "category"
            )
            for col in table.columns
        },
        index=pd.RangeIndex(len(rows)),
    )
    return RawTable(
        table,
        table.filename,
        frame,
        np.arange(2, len(rows) + 2, dtype=np.int64),
        headers={col.key: col.zh for col in table.columns},
        status="ok" if rows else "header_only",
    )


def make_dataset(
    units: Rows = None,
    budget: Rows = None,
    indicators: Rows = None,
    goals: Rows = None,
    monthly: Rows = None,
    projects: Rows = None,
) -> Dataset:
    """A Dataset from rows given as dicts with canonical keys (missing units are added), typed
    by :func:`perfkit.data.loading.to_dataset` as a real load types it (not validated)."""
    units = list(units or [])
    known = {u["unit_code"] for u in units}
    for row in [
        *(budget or []),
        *(indicators or []),
        *(goals or []),
        *(monthly or []),
        *(projects or []),
    ]:
        code = row["unit_code"]
        if code not in known:
            units.append({"unit_code": code, "unit_name": code, "department": "测试部门"})
            known.add(code)
    given = {"units": units, "budget": budget, "indicators": indicators, "goals": goals}
    given["monthly"] = monthly
    given["projects"] = projects
    raw = RawDataset(Path("."), {name: _raw_table(name, rows) for name, rows in given.items()})
    ds = to_dataset(raw)
    ds.source = None  # not read from anywhere
    return ds


def budget_row(
    unit: str,
    item: str = "基本支出",
    adjusted: float = 100.0,
    executed: float = 100.0,
    initial: float | None = None,
    year: int = 2022,
    fund_source: str = "财政拨款",
    expense_type: str = "基本支出",
) -> dict[str, Any]:
    """One 预算执行 row; 年初预算数 defaults to 全年预算数."""
    return {
        "year": year,
        "unit_code": unit,
        "fund_source": fund_source,
        "expense_type": expense_type,
        "item": item,
        "initial_budget": adjusted if initial is None else initial,
        "adjusted_budget": adjusted,
        "executed": executed,
    }


def indicator_row(
    unit: str,
    level3: str,
    target: str,
    actual: str,
    weight: float,
    reported: float | None = None,
    reason: str = "",
    year: int = 2022,
    level1: str = "产出指标",
    level2: str = "数量指标",
) -> dict[str, Any]:
    """One 绩效指标 row."""
    return {
        "year": year,
        "unit_code": unit,
        "level1": level1,
        "level2": level2,
        "level3": level3,
        "target": target,
        "actual": actual,
        "weight": weight,
        "reported_score": np.nan if reported is None else reported,
        "deviation_reason": reason,
    }


def monthly_row(
    unit: str, month: int, executed: float, item: str = "基本支出", year: int = 2022
) -> dict[str, Any]:
    """One 月度执行 row."""
    return {"year": year, "unit_code": unit, "item": item, "month": month, "executed": executed}
