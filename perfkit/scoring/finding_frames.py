"""The rows of the findings table and the helpers every kind of finding writes them with.

A finding is a record ``year, unit_code, project_code, kind, subject, message, value, code``
(:data:`COLUMNS`); ``project_code`` is "" for a finding of the unit's 部门整体 table, the
project's 项目编码 for one of a project's 项目支出绩效自评表 (issue 11).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: a finding belongs to a unit's 部门整体 table (project_code "") or to one project's 自评表
KEYS = ["year", "unit_code", "project_code"]
COLUMNS = [*KEYS, "kind", "subject", "message", "value", "code"]
UNIT_SUBJECT = "单位整体"
PROJECT_SUBJECT = "项目整体"


def with_project(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``project_code`` column ("" where it has none: the 部门整体 rows)."""
    if "project_code" in frame.columns:
        return frame
    return frame.assign(project_code=np.full(len(frame), "", dtype=object))


def project_codes(rows: pd.DataFrame) -> np.ndarray:
    """The rows' 项目编码 ("" for all when the frame has no such column)."""
    if "project_code" not in rows.columns:
        return np.full(len(rows), "", dtype=object)
    return rows["project_code"].to_numpy(dtype=object)


def finding_frame(rows: pd.DataFrame, kind: str, subject, message, value) -> pd.DataFrame:
    """Findings of one ``kind`` about ``rows`` (keyed year, unit_code, project_code)."""
    return pd.DataFrame(
        {
            "year": rows["year"].to_numpy(),
            "unit_code": rows["unit_code"].to_numpy(),
            "project_code": project_codes(rows),
            "kind": kind,
            "subject": np.asarray(subject, dtype=object),
            "message": np.asarray(message, dtype=object),
            "value": np.asarray(value, dtype=float),
            "code": kind,
        },
        columns=COLUMNS,
    )


def column_text(rows: pd.DataFrame, column: str) -> np.ndarray:
    """A text column as stripped str ("" for blanks), each distinct value cleaned once."""
    return clean_texts(rows[column].to_numpy(dtype=object))


def clean_texts(values: np.ndarray) -> np.ndarray:
    """:func:`column_text` of an array of cells."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.array([clean(v) for v in uniques], dtype=object)[codes]


def clean(value: object) -> str:
    """A cell as stripped text ("" for None and NaN)."""
    return (
        ""
        if value is None or (isinstance(value, float) and np.isnan(value))
        else str(value).strip()
    )


def named(rows: pd.DataFrame) -> np.ndarray:
    """Each indicator's 三级指标 in 「」."""
    return "「" + column_text(rows, "level3") + "」"
