"""The in-memory dataset: validated tables with canonical column keys and typed values."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.core.problems import Problem
from perfkit.data.contract import PROJECTS, REVIEWS, Narrative, step_column


def _no_projects() -> pd.DataFrame:
    """An empty projects table with the contract's columns."""
    columns = {c.key: pd.array([], dtype="str") for c in PROJECTS.columns}
    return pd.DataFrame({**columns, "_row": pd.array([], dtype="int64")})


def _no_reviews() -> pd.DataFrame:
    """An empty reviews table (复核) with the contract's columns, typed as loading types them."""
    columns: dict[str, object] = {}
    for c in REVIEWS.columns:
        if c.kind == "year":
            columns[c.key] = np.array([], dtype=np.int64)
        elif c.kind == "number":
            columns[c.key] = np.array([], dtype=float)
            if c.printed:
                columns[step_column(c.key)] = np.array([], dtype=float)
        else:
            columns[c.key] = pd.array([], dtype="str")
    return pd.DataFrame({**columns, "_row": np.array([], dtype=np.int64)})


@dataclass
class Dataset:
    """A loaded, validated dataset.

    Tables use the canonical keys of :mod:`perfkit.data.contract`; amounts are floats (万元), years
    and months ints, texts stripped str. Every table also has ``_row``: the Excel row the record
    came from (header = row 1), so later checks can still point at the user's file. Optional
    tables that were absent are empty frames with the contract's columns.

    ``budget``, ``indicators`` and ``goals`` have ``project_code`` (项目编码): "" on the rows of the
    unit's 部门整体 table, the project's code on the rows of a 项目支出绩效自评表; ``projects``
    lists the projects (issue 11).
    """

    units: pd.DataFrame
    budget: pd.DataFrame
    indicators: pd.DataFrame
    goals: pd.DataFrame
    monthly: pd.DataFrame
    #: 项目信息: unit_code, project_code, project_name, category, manager, overview
    projects: pd.DataFrame = field(default_factory=_no_projects)
    #: 复核 (issue 17): the bureau's re-checked indicators, empty when the dataset has none
    reviews: pd.DataFrame = field(default_factory=_no_reviews)
    #: (year, unit_code) -> narrative
    narratives: dict[tuple[int, str], Narrative] = field(default_factory=dict)
    #: (year, unit_code, project_code) -> a project's narrative
    #: (``narratives/<年度>/<单位编码>/<项目编码>.md``)
    project_narratives: dict[tuple[int, str, str], Narrative] = field(default_factory=dict)
    #: where it was read from (folder or workbook)
    source: Path | None = None
    #: file name as shown in messages, per table name (e.g. "budget.csv" or "data.xlsx[预算执行]")
    files: dict[str, str] = field(default_factory=dict)
    #: the column header as the user wrote it, per table name and canonical key
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    #: sha256 over the input files' bytes, first 12 hex digits: printed in every report footer
    fingerprint: str = ""
    #: whether the dataset says it is fictional (dataset.toml `fictional = true`, or FICTIONAL)
    fictional: bool = False
    #: the dataset's own name (dataset.toml ``name``), shown on the index page
    name: str = ""
    #: validation warnings: scored, but flagged (carried into the findings and the reports)
    warnings: list[Problem] = field(default_factory=list)

    def __repr__(self) -> str:
        where = self.name or (self.source.name if self.source else "")
        years = "、".join(map(str, self.years)) or "无"
        return (
            f"<Dataset {where}: {len(self.units)} 个单位, 年度 {years}, "
            f"{len(self.indicators)} 个指标, {len(self.warnings)} 处警告>"
        )

    @property
    def years(self) -> list[int]:
        """Every year that has budget or indicator rows, ascending."""
        years = set(self.budget["year"].tolist()) | set(self.indicators["year"].tolist())
        return sorted(int(y) for y in years)

    def unit_name(self, unit_code: str) -> str:
        match = self.units.loc[self.units["unit_code"] == unit_code, "unit_name"]
        return str(match.iloc[0]) if len(match) else unit_code

    def project_name(self, unit_code: str, project_code: str) -> str:
        """The 项目名称 of a unit's project (the code when it is not listed)."""
        p = self.projects
        match = p.loc[(p["unit_code"] == unit_code) & (p["project_code"] == project_code)]
        return str(match["project_name"].iloc[0]) if len(match) else project_code


#: {table: {unit_code: row positions}}: where each unit's rows are, per table
UnitIndex = dict[str, dict[str, np.ndarray]]


def unit_index(ds: Dataset) -> UnitIndex:
    """Where each unit's rows are in each table (positions, ascending), for :func:`only`."""
    return {
        name: {
            str(k): v for k, v in getattr(ds, name).groupby("unit_code", sort=False).indices.items()
        }
        for name in _UNIT_TABLES
    }


_UNIT_TABLES = ("units", "budget", "indicators", "goals", "monthly", "projects", "reviews")


def only(ds: Dataset, units: list[str], index: UnitIndex | None = None) -> Dataset:
    """The dataset restricted to ``units``' rows: every table, narratives and all (the dataset's
    warnings, name, fingerprint and files are kept: each warning still finds its unit).

    A report shows only its own unit's rows (docs/rendering.md, incremental renders), so a unit's
    or a project's report computed from ``only(ds, [unit])`` is the one computed from ``ds``; a
    kernel rendering one report after another of a 10,000-unit dataset then never scans the
    whole tables per report. ``index`` (:func:`unit_index` of ``ds``) makes it a lookup.
    """
    wanted = set(units)
    tables = {}
    for name in _UNIT_TABLES:
        frame = getattr(ds, name)
        if index is not None:
            found = [index[name][u] for u in wanted if u in index[name]]
            positions = np.sort(np.concatenate(found)) if found else np.array([], dtype=np.intp)
            tables[name] = frame.iloc[positions]
        else:
            tables[name] = frame[frame["unit_code"].isin(wanted)]
    return replace(
        ds,
        **tables,
        narratives={k: v for k, v in ds.narratives.items() if k[1] in wanted},
        project_narratives={k: v for k, v in ds.project_narratives.items() if k[1] in wanted},
        warnings=list(ds.warnings),
    )
