"""Screening every self-evaluation of a year (``perfkit review check``, ``perfkit.review``):
the rulebook's enabled ``[review.checks]`` run on the scored dataset, then risk and rank
(:mod:`perfkit.review.risk`). Issue 17 §1; docs/review.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from perfkit.core.problems import UsageError
from perfkit.data.dataset import Dataset
from perfkit.review import checks as _checks  # noqa: F401  (registers the table checks)
from perfkit.review import texts as _texts  # noqa: F401  (registers the text checks)
from perfkit.review.deviation import Deviations, deviations
from perfkit.review.registry import CHECKS, ENTITY, HIT_COLUMNS, Context
from perfkit.review.results import zh_view
from perfkit.review.risk import rank_tables
from perfkit.rules.review import SEVERITY_LABELS
from perfkit.rules.rulebook import Rulebook, load_rulebook
from perfkit.scoring.scores import score_dataset

#: the columns of :attr:`Review.findings`
FINDING_COLUMNS = [*ENTITY, "code", "severity", "level3", "evidence", "message", "weight"]


@dataclass
class Review:
    """A year's screening: ``findings`` (one row per hit, :data:`FINDING_COLUMNS`), ``tables``
    (one row per unit's 部门整体 table and per project's 自评表, with ``risk`` and ``rank``:
    :data:`perfkit.review.risk.TABLE_COLUMNS`), the ``rulebook`` used and the ``year``;
    ``deviations``: the 复核偏差 of the year's tables with rows in the dataset's ``reviews``
    (:class:`perfkit.review.deviation.Deviations`, empty frames when none was re-checked).
    ``table(name)`` gives ``"tables"``, ``"findings"``, ``"deviations"`` (per indicator) or
    ``"deviation_tables"`` (per table) in Chinese (:mod:`perfkit.review.results`)."""

    year: int
    findings: pd.DataFrame
    tables: pd.DataFrame
    rulebook: Rulebook
    deviations: Deviations | None = None

    def table(self, name: str = "tables") -> pd.DataFrame:
        return zh_view(self, name)


def _tables(ds: Dataset, scores, year: int) -> pd.DataFrame:
    """The year's tables: each unit's 部门整体 row and each project's, with ``name`` (the
    unit's or the project's) and ``department`` (the unit's 主管部门)."""
    units = scores.units[scores.units["year"] == year].assign(project_code="")
    units = units.assign(name=units["unit_name"])
    projects = scores.projects[scores.projects["year"] == year]
    projects = projects.assign(name=projects["project_name"])
    frames = [f for f in (units, projects) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[*ENTITY, "name", "department"])
    tables = pd.concat(frames, ignore_index=True)
    if "department" in ds.units.columns:
        departments = ds.units.drop_duplicates("unit_code").set_index("unit_code")["department"]
        department = tables["unit_code"].map(departments).fillna("").astype(str)
    else:
        department = pd.Series("", index=tables.index)
    tables["department"] = department.str.strip()
    tables["project_code"] = tables["project_code"].fillna("").astype(str)
    return tables.sort_values(ENTITY, kind="stable").reset_index(drop=True)


def context(ds: Dataset, year: int, rulebook: Rulebook) -> Context:
    """What the checks read for ``year`` (the year before scored too when the data has it)."""
    years = [y for y in (year - 1, year) if y in ds.years]
    scores = score_dataset(ds, rulebook, years=years)
    ind = scores.indicators
    ind = ind.assign(project_code=ind["project_code"].fillna("").astype(str))
    findings = scores.findings
    findings = findings[findings["year"] == year]
    return Context(
        ds=ds,
        year=year,
        rulebook=rulebook,
        scores=scores,
        tables=_tables(ds, scores, year),
        indicators=ind[ind["year"] == year].reset_index(drop=True),
        previous=ind[ind["year"] == year - 1].reset_index(drop=True),
        findings=findings.reset_index(drop=True),
    )


def run_checks(ctx: Context) -> pd.DataFrame:
    """Every enabled check of the rulebook's ``[review]``, its hits with code, severity and
    risk weight, ordered by table, then check (in the rulebook's order), then indicator."""
    frames = []
    order = {}
    for n, settings in enumerate(ctx.rulebook.review.enabled):
        found = CHECKS[settings.code](ctx, settings)
        if found.empty:
            continue
        order[settings.code] = n
        frames.append(
            found[HIT_COLUMNS].assign(
                code=settings.code, severity=settings.severity, weight=settings.weight
            )
        )
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in FINDING_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out["year"] = out["year"].astype(np.int64)
    out["_order"] = out["code"].map(order)
    out = out.sort_values([*ENTITY, "_order", "level3"], kind="stable")
    return out[FINDING_COLUMNS].reset_index(drop=True)


def review(ds: Dataset, year: int, rules: Rulebook | str | None = None) -> Review:
    """Screen every self-evaluation of ``year``: the findings of the rulebook's enabled checks,
    each table's risk and rank, and the deviation of every table the dataset's ``reviews``
    re-checked that year (main reasons citing the checks it hit). A ``year`` not in the data is
    a :class:`UsageError`."""
    if year not in ds.years:
        valid = "、".join(map(str, ds.years)) or "无"
        raise UsageError(f"数据中没有 {year} 年度；可选年度：{valid}。")
    rulebook = rules if isinstance(rules, Rulebook) else load_rulebook(rules)
    ctx = context(ds, year, rulebook)
    findings = run_checks(ctx)
    reviewed = deviations(ds, rulebook, years=year, findings=findings)
    return Review(year, findings, rank_tables(ctx.tables, findings), rulebook, reviewed)


def severity_label(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity)
