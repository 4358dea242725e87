"""A report's rows of the dataset's and the scores' frames: one unit's year, its own table or
one project's, without perfkit's internal columns."""

from __future__ import annotations

import pandas as pd


def public(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame for users: internal columns (``_row``, the Excel row) left out, index reset."""
    return frame.drop(columns=[c for c in frame.columns if str(c).startswith("_")]).reset_index(
        drop=True
    )


def unit_year(frame: pd.DataFrame, year: int, unit_code: str) -> pd.DataFrame:
    """The rows of one unit and one year (its own and its projects'), for users."""
    keep = (frame["year"] == year) & (frame["unit_code"] == unit_code)
    return public(frame[keep])


def own(frame: pd.DataFrame, project_code: str = "") -> pd.DataFrame:
    """The rows of one table: the unit's 部门整体 rows (project_code "") or one project's."""
    if "project_code" not in frame.columns:
        return frame.reset_index(drop=True) if project_code == "" else frame.iloc[:0]
    keep = frame["project_code"].fillna("").astype(str) == project_code
    return frame[keep].reset_index(drop=True)
