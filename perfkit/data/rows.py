"""Rows of a raw table: located for problems, grouped per unit-year (and project).

Checks across rows work per distinct key, never per row in Python: :func:`group_ids` numbers
the rows' (year, unit, project) keys at once, :func:`per_unit_year` sums a column per table (a
unit's 部门整体 rows, or one project's rows: issue 11). :func:`row_context` and
:func:`warning` locate a problem in the user's file (file, Excel row, header as written,
value; 单位编码, 项目编码, 三级指标 and year, so that a warning becomes a finding of its unit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.core.problems import WARNING, Problem
from perfkit.data import schemas
from perfkit.data.readers import RawTable


def row_context(t: RawTable, pos: int) -> dict:
    """Who a row is about (单位编码, 项目编码, 三级指标) and its year, for warnings that become
    findings."""
    year = schemas.typed(t, "year")[pos] if t.has("year") else np.nan
    return {
        "project_code": schemas.project_of(t, pos),
        **schemas.context(t, pos),
        "year": None if np.isnan(year) else int(year),
    }


def warning(t: RawTable, pos: int, key: str, message: str, code: str) -> Problem:
    """A warning about one cell: located like an error, scored anyway."""
    return Problem(
        t.file,
        message,
        int(t.rows[pos]),
        t.headers[key],
        t.column(key)[pos],
        severity=WARNING,
        code=code,
        **row_context(t, pos),
    )


def fmt(x: float) -> str:
    """A number as a person writes it: 90.0 → "90", 89.995 → "89.995"."""
    return f"{x:.4f}".rstrip("0").rstrip(".")


def group_ids(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The group of each row keyed by ``keys`` (numbered in order of first appearance) and the
    index of each group's first row.

    The keys are combined into one integer per row (mixed radix: key values that are small
    non-negative integers, such as category codes and years, are used as they are, others are
    numbered first), and the combination is numbered once.
    """
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    if not len(combined):
        return combined, combined
    size = 1
    for key in keys:
        ids, n = _dense(np.asarray(key))
        if size * n >= 1 << 62:  # the next digit would overflow: renumber what there is
            combined, uniques = pd.factorize(combined)
            size = len(uniques)
        combined = combined * n + ids
        size *= n
    combined = pd.factorize(combined)[0].astype(np.int64, copy=False)
    seen = np.maximum.accumulate(combined)
    return combined, np.flatnonzero(np.r_[True, combined[1:] > seen[:-1]])


def _dense(key: np.ndarray) -> tuple[np.ndarray, int]:
    """``key`` as integers in [0, n) and n: integers from 0 to below 2³¹ as they are, any other
    values numbered in order of first appearance."""
    if key.dtype.kind in "iu" and key.min() >= 0 and key.max() < 1 << 31:
        return key.astype(np.int64, copy=False), int(key.max()) + 1
    ids, uniques = pd.factorize(key)
    return ids.astype(np.int64, copy=False), len(uniques)


def unit_rows(
    t: RawTable, known: set[str] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows with a valid year and unit code (listed in units when ``known`` is given):
    (row positions, years, unit codes as indices into ``t.values("unit_code")``)."""
    year = schemas.typed(t, "year")
    ok = schemas.valid_code_values(t).copy()
    if known is not None:
        ok &= np.array([v in known for v in t.values("unit_code")], dtype=bool)
    codes = t.codes("unit_code")
    pos = np.flatnonzero(~np.isnan(year) & ok[codes])
    return pos, year[pos].astype(np.int64), codes[pos]


def projects_of(t: RawTable, pos: np.ndarray) -> np.ndarray:
    """The 项目编码 of the rows ``pos`` ("" for the unit's 部门整体 rows, and when the table has
    no 项目编码 column)."""
    if not t.has("project_code"):
        return np.full(len(pos), "", dtype=object)
    return t.column("project_code")[pos]


def per_unit_year(t: RawTable, key: str) -> pd.DataFrame:
    """Per (year, unit, project): the first row position, Σ ``key`` and whether any value is
    invalid (blank, not a number or negative: already reported, so the sum is not). ``project``
    is "" for the unit's 部门整体 rows."""
    pos, year, unit = unit_rows(t)
    project = projects_of(t, pos)
    group, first = group_ids(year, unit, project)
    value = schemas.typed(t, key)[pos]
    value[value < 0] = np.nan
    return pd.DataFrame(
        {
            "year": year[first],
            "unit": t.values("unit_code")[unit[first]],
            "project": project[first],
            "first": pos[first],
            "total": np.bincount(group, np.nan_to_num(value), minlength=len(first)),
            "invalid": np.bincount(group, np.isnan(value), minlength=len(first)) > 0,
        }
    )
