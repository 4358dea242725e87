"""Scores of a dataset: every unit's 部门整体 table and every project's 自评表 (docs/scoring.md).

:func:`score_dataset` scores each table — a unit-year's rows without a 项目编码, or one
project-year's rows (issue 11) — under the rulebook: its indicators
(:mod:`perfkit.scoring.indicators`), its execution score, indicator total, total and grade
(:mod:`perfkit.scoring.totals`), its findings (:mod:`perfkit.scoring.findings`), and returns
them as :class:`Scores`. The cells, the sentences and the totals live in their own modules;
their public names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.core import gcpause
from perfkit.data.contract import step_column
from perfkit.data.dataset import Dataset
from perfkit.rules.rulebook import WEIGHT_TOLERANCE, Rulebook, load_rulebook
from perfkit.scoring import findings, metrics, structure
from perfkit.scoring.cells import COMPARATORS, Context, plain, read_cell, unit_factor
from perfkit.scoring.indicators import (
    RESULT_COLUMNS,
    score_indicators,
    score_targets,
    scored_indicators,
    with_texts,
)
from perfkit.scoring.project_checks import count_project_checks, project_checks
from perfkit.scoring.texts import READINGS, TEXTS, UNVERIFIABLE
from perfkit.scoring.totals import (
    NO_BUDGET,
    execution_score,
    execution_texts,
    grade,
    indicator_totals,
)

__all__ = [
    "COMPARATORS", "ENTITY", "NO_BUDGET", "PROJECT_COLUMNS", "READINGS", "RESULT_COLUMNS",
    "TEXTS", "UNIT_COLUMNS", "UNVERIFIABLE", "Context", "Scores", "execution_score",
    "execution_texts", "grade", "indicator_totals", "plain", "printed_execution", "read_cell",
    "score_dataset", "score_indicators", "score_targets", "unit_factor",
]  # fmt: skip

KEYS = ["year", "unit_code"]
#: what scoring groups by: a unit's 部门整体 table (project_code "") or one project's 自评表
ENTITY = metrics.ENTITY
TOTAL_DECIMALS = 2
UNIT_COLUMNS = [
    "year", "unit_code", "unit_name", "initial_budget", "adjusted_budget", "executed",
    "execution_rate", "execution_weight", "execution_score", "execution_rule_text",
    "reported_execution_rate", "reported_execution_score", "indicator_weight",
    "indicator_score", "indicator_rule_text", "indicator_rescaled", "total", "grade",
    "n_findings",
]  # fmt: skip
#: one row per project (issue 11): the unit columns with the project's code and name
PROJECT_COLUMNS = [*UNIT_COLUMNS[:3], "project_code", "project_name", *UNIT_COLUMNS[3:]]


Lazy = pd.DataFrame | Callable[[], pd.DataFrame]


class Scores:
    """The result of :func:`score_dataset` (columns in docs/architecture.md and docs/scoring.md).

    ``units`` has one row per unit-year's 部门整体 table, ``projects`` one per project-year
    (:data:`PROJECT_COLUMNS`); ``indicators``, ``findings`` and ``budget_items`` hold both,
    told apart by ``project_code`` ("" for the unit's own rows).

    ``indicators`` and ``findings`` may be given as functions: their Chinese sentences (each
    indicator's ``rule_text``, each finding's ``message``) are then written on first use, once,
    so that output that prints neither (``perfkit score --format csv``) does not pay for them.
    """

    def __init__(
        self,
        units: pd.DataFrame,
        indicators: Lazy,
        findings: Lazy,
        budget_items: pd.DataFrame,
        rulebook: Rulebook,
        projects: pd.DataFrame | None = None,
    ) -> None:
        self.units = units
        self._indicators = indicators
        self._findings = findings
        self.budget_items = budget_items
        self.rulebook = rulebook
        self.projects = pd.DataFrame(columns=PROJECT_COLUMNS) if projects is None else projects

    @property
    def indicators(self) -> pd.DataFrame:
        if callable(self._indicators):
            self._indicators = self._indicators()
        return self._indicators

    @property
    def findings(self) -> pd.DataFrame:
        if callable(self._findings):
            self._findings = self._findings()
        return self._findings


def _select(frame: pd.DataFrame, years: list[int] | None, units: list[str] | None) -> pd.DataFrame:
    if years is None and units is None:
        return frame.reset_index(drop=True)
    keep = np.ones(len(frame), dtype=bool)
    if years is not None:
        keep &= frame["year"].isin(years).to_numpy()
    if units is not None:
        keep &= frame["unit_code"].isin(units).to_numpy()
    return frame[keep].reset_index(drop=True)


def _as_list(value, kind) -> list | None:
    if value is None:
        return None
    if isinstance(value, str | int):
        return [kind(value)]
    return [kind(v) for v in value]


def score_dataset(
    ds: Dataset,
    rulebook: Rulebook | str | Path | None = None,
    years: int | Iterable[int] | None = None,
    units: str | Iterable[str] | None = None,
) -> Scores:
    """Score every (year, unit) of ``ds`` (or those of ``years`` / ``units``) under ``rulebook``.

    ``rulebook`` is a :class:`Rulebook`, a preset name or a TOML path (default ``mof2020``).
    """
    book = rulebook if isinstance(rulebook, Rulebook) else load_rulebook(rulebook)
    with gcpause.paused():
        return _score_dataset(ds, book, _as_list(years, int), _as_list(units, str))


def _with_project(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``project_code`` ("" where absent: a frame made without the column)."""
    if "project_code" in frame.columns:
        if not frame["project_code"].hasnans:
            return frame
        return frame.assign(project_code=frame["project_code"].fillna(""))
    return frame.assign(project_code=np.full(len(frame), "", dtype=object))


@dataclass
class _Part:
    """The scored unit tables (部门整体) or the scored project tables, under their rulebook."""

    book: Rulebook
    budget: pd.DataFrame
    indicators: pd.DataFrame
    texts: Callable[[], np.ndarray]
    #: the indicators' positions in the selected indicators table
    positions: np.ndarray
    items: pd.DataFrame
    #: execution per fund source (资金来源), for the overspend findings
    sources: pd.DataFrame
    rows: pd.DataFrame
    progress: pd.DataFrame


def _part(
    ds: Dataset,
    budget: pd.DataFrame,
    indicators: pd.DataFrame,
    positions: np.ndarray,
    monthly: pd.DataFrame,
    book: Rulebook,
) -> _Part:
    scored, texts = scored_indicators(indicators, book)
    # a table that scores 预算执行率 as one of its indicators (issue 16 §10)
    scored, texts, own_structure = structure.apply(scored, texts, budget, book)
    return _Part(
        book=book,
        budget=budget,
        indicators=scored,
        texts=texts,
        positions=positions,
        items=metrics.execution_by(budget, "item", keys=ENTITY),
        sources=metrics.execution_by(budget, "fund_source", keys=ENTITY),
        rows=_units(ds, budget, scored, book, own_structure),
        progress=metrics.time_progress(monthly, budget),
    )


def _score_dataset(
    ds: Dataset, book: Rulebook, year_list: list[int] | None, unit_list: list[str] | None
) -> Scores:
    budget = _with_project(_select(ds.budget, year_list, unit_list))
    indicators = _with_project(_select(ds.indicators, year_list, unit_list))
    monthly = _select(ds.monthly, year_list, unit_list)

    # rows with a 项目编码 are that project's 自评表 (issue 11), scored like a unit's table
    in_project = budget["project_code"].to_numpy(dtype=object) != ""
    indicator_in_project = indicators["project_code"].to_numpy(dtype=object) != ""
    parts = [
        _part(
            ds,
            budget[~in_project].reset_index(drop=True),
            indicators[~indicator_in_project],
            np.flatnonzero(~indicator_in_project),
            monthly,
            book,
        )
    ]
    if in_project.any() or indicator_in_project.any():
        parts.append(
            _part(
                ds,
                budget[in_project].reset_index(drop=True),
                indicators[indicator_in_project],
                np.flatnonzero(indicator_in_project),
                monthly.iloc[:0],  # monthly rows are the unit's
                book.for_projects(),
            )
        )
    unit, projects = parts[0], parts[1] if len(parts) > 1 else None
    project_rows = _project_rows(ds, projects.rows) if projects else _project_rows(ds, None)
    every = pd.concat([p.rows for p in parts], ignore_index=True)
    warnings = findings.data_warnings(ds.warnings, every)
    is_project = warnings["project_code"].to_numpy(dtype=object) != ""
    part_warnings = [warnings[~is_project], warnings[is_project]]
    counts = [
        findings.count(p.indicators, p.rows, p.items, p.progress, p.book, w, p.sources)
        for p, w in zip(parts, part_warnings, strict=False)
    ]
    counts.append(count_project_checks(unit.rows, project_rows, unit.budget, book))
    n = pd.concat(counts).groupby(level=list(range(len(ENTITY)))).sum()

    def with_counts(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        merged = rows.drop(columns="n_findings").merge(
            n.rename("n_findings").reset_index(), on=ENTITY, how="left"
        )
        merged["n_findings"] = merged["n_findings"].fillna(0).astype(int)
        return merged[columns].reset_index(drop=True)

    def all_indicators() -> pd.DataFrame:
        frames = [with_texts(p.indicators, p.texts) for p in parts]
        if len(frames) == 1:
            return frames[0]
        order = np.argsort(np.concatenate([p.positions for p in parts]), kind="stable")
        return pd.concat(frames, ignore_index=True).take(order).reset_index(drop=True)

    def all_findings() -> pd.DataFrame:
        found = [
            findings.find(p.indicators, p.rows, p.items, p.progress, p.book, w, p.sources)
            for p, w in zip(parts, part_warnings, strict=False)
        ]
        found.append(project_checks(unit.rows, project_rows, unit.budget, book))
        found = [f for f in found if len(f)]
        if not found:
            return pd.DataFrame(columns=findings.COLUMNS)
        return findings.in_order(pd.concat(found, ignore_index=True))

    items = pd.concat([p.items for p in parts], ignore_index=True) if projects else unit.items
    unit_rows = unit.rows[unit.rows["project_code"] == ""]
    return Scores(
        units=with_counts(unit_rows, UNIT_COLUMNS),
        indicators=all_indicators,
        findings=all_findings,
        budget_items=items,
        rulebook=book,
        projects=with_counts(project_rows, PROJECT_COLUMNS),
    )


def _project_rows(ds: Dataset, rows: pd.DataFrame | None) -> pd.DataFrame:
    """Scored project rows with their 项目名称 (the code when not listed)."""
    if rows is None:
        return pd.DataFrame(columns=[*PROJECT_COLUMNS]).astype({"n_findings": int})
    listed = ds.projects[["unit_code", "project_code", "project_name"]]
    out = rows.merge(listed, on=["unit_code", "project_code"], how="left")
    out["project_name"] = out["project_name"].fillna(out["project_code"]).astype(object)
    return out


def _units(
    ds: Dataset,
    budget: pd.DataFrame,
    indicators: pd.DataFrame,
    book: Rulebook,
    own_structure: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per scored table: (year, unit_code, project_code), project_code "" for the unit's
    部门整体 table. The tables of ``own_structure`` score execution as one of their indicators
    (:mod:`perfkit.scoring.structure`): no execution points beside it, the sum not rescaled."""
    sums = indicators.groupby(ENTITY)[["weight", "score"]].sum().reset_index()
    sums = sums.rename(columns={"weight": "indicator_weight", "score": "indicator_score"})
    # every table with budget rows or indicators, sorted by year, unit code and project code
    out = metrics.execution(budget, keys=ENTITY).merge(sums, on=ENTITY, how="outer", sort=True)
    for col in ("adjusted_budget", "executed", "indicator_weight"):
        out[col] = out[col].fillna(0.0)
    out = out.merge(printed_execution(budget), on=ENTITY, how="left")
    sums = out["indicator_score"].fillna(0.0).to_numpy(float)
    weights = out["indicator_weight"].to_numpy(float)
    score, text = indicator_totals(sums, weights, book)
    out["indicator_score"] = score
    out["indicator_rule_text"] = text
    out["execution_score"] = execution_score(out["execution_rate"], book)
    out["execution_rule_text"] = execution_texts(
        out["execution_rate"], out["execution_score"], book
    )
    own = structure.structured(out, own_structure if own_structure is not None else out.iloc[:0])
    # the points execution was scored on, and whether the indicator sum was rescaled (the
    # report's 附表 prints both): 0 and no for a table read in its own structure
    out["execution_weight"] = np.where(own, 0.0, book.execution_weight)
    off = (np.abs(weights - book.indicator_total) > WEIGHT_TOLERANCE) & (weights > 0)
    out["indicator_rescaled"] = off & book.rescale & ~own
    if own.any():
        out.loc[own, "indicator_score"] = book.total_rounding.apply(sums[own])
        out.loc[own, "execution_score"] = 0.0
        execution, indicator = structure.table_texts(out[own], own_structure, book)
        out.loc[own, "execution_rule_text"] = execution
        out.loc[own, "indicator_rule_text"] = indicator
    out["total"] = book.total_rounding.apply(out["execution_score"] + out["indicator_score"])
    out["grade"] = grade(out["total"], book)
    names = dict(zip(ds.units["unit_code"].tolist(), ds.units["unit_name"].tolist(), strict=False))
    out["unit_name"] = out["unit_code"].map(names).fillna(out["unit_code"])
    out["n_findings"] = 0
    return out


def printed_execution(budget: pd.DataFrame) -> pd.DataFrame:
    """Per scored table (year, unit_code, project_code), the 执行率 and execution 得分 printed on
    it (the 年度资金总额 row of its 自评表; issue 8 §3): the first value given on any of its budget
    rows, NaN when none is, with the precision it was printed at (issue 16 §10).

    Columns: year, unit_code, project_code, reported_execution_rate, reported_execution_score,
    and ``_reported_execution_rate_step``, ``_reported_execution_score_step`` (NaN when not
    known).
    """
    budget = _with_project(budget)
    names = {
        "reported_rate": "reported_execution_rate",
        "reported_execution_score": "reported_execution_score",
    }
    names |= {step_column(k): step_column(v) for k, v in names.items()}
    keep = [c for c in names if c in budget]
    out = budget[[*ENTITY, *keep]].groupby(ENTITY, sort=False).first().reset_index()
    out = out.rename(columns=names)
    for column in names.values():
        if column not in out:
            out[column] = np.nan
    return out
