"""Indexes that hold at 10,000 units (issue 12): what the pages show of the 主管部门.

Up to :data:`THRESHOLD` units a year, the index (``index.html``) ranks every unit and the
projects page (``projects.html``) every project, as they always did. Above it, a page listing
thousands of rows (and embedding the glyphs of thousands of names) would be megabytes: the index
lists the 主管部门 instead, with their unit counts, average scores and grades, each linked to a
page of its own, ``departments/<id>.html``, which ranks the department's units and its projects
as the index and the projects page do for a small year. The projects page lists the
departments' projects figures, linked to the same pages.

- the grouping (:func:`plan`, :class:`Department`, :func:`unit_departments` …) is computation,
  not rendering: it lives in :mod:`perfkit.detail.departments` and is re-exported here;
- the index's blocks in split mode: :func:`department_ranking` (一、各主管部门自评情况) and
  :func:`department_project_summary` (四、项目支出绩效自评情况, per 主管部门); the projects page's:
  :func:`department_projects` (一、各主管部门项目自评情况). :func:`perfkit.report.ranking_table`,
  :func:`~perfkit.report.project_summary` and :func:`~perfkit.report.project_ranking` hand over
  to them when the overview is split, so the notebooks do not change;
- the department page itself (``department_overview.ipynb``) is
  :mod:`perfkit.report.department_page`.

Everything a block shows comes from the overview (:class:`perfkit.detail.Overview`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from perfkit.core.formatting import half_up
from perfkit.detail import Overview
from perfkit.detail.departments import (
    FOLDER,
    THRESHOLD,
    UNFILLED,
    Department,
    department_id,
    department_label,
    department_name,
    department_page_title,
    group,
    is_split,
    plan,
    unit_departments,
    year_units,
)
from perfkit.report.filters import missing, text
from perfkit.report.links import PROJECTS_ANCHOR, department_link, projects_href
from perfkit.report.parts import grade_counts, overview_tables, render_block
from perfkit.rules.rulebook import Rulebook

__all__ = [  # the grouping, re-exported: the render and the tests import it from here
    "FOLDER",
    "PROJECTS_ANCHOR",
    "THRESHOLD",
    "UNFILLED",
    "Department",
    "blocks_text",
    "department_id",
    "department_label",
    "department_name",
    "department_page_title",
    "department_project_summary",
    "department_project_summary_view",
    "department_projects",
    "department_projects_view",
    "department_ranking",
    "department_ranking_view",
    "group",
    "is_split",
    "plan",
    "unit_departments",
    "year_units",
]


# ---------------------------------------------------------------------------------------------
# figures per department


def _figures(frame: pd.DataFrame, rulebook: Rulebook) -> dict[str, Any]:
    """Count, budget, execution, mean/highest/lowest total, grades (those present), findings
    and low-execution count of a department's units or projects."""
    if frame.empty:
        return {"n": 0, "budget": None, "executed": None, "rate": None, "mean_total": None,
                "max_total": None, "min_total": None, "grades": [], "n_findings": 0,
                "n_low": 0}  # fmt: skip
    budget, executed = float(frame["adjusted_budget"].sum()), float(frame["executed"].sum())
    return {
        "n": len(frame),
        "budget": budget,
        "executed": executed,
        "rate": executed / budget if budget else None,
        "mean_total": frame["total"].mean(),
        "max_total": frame["total"].max(),
        "min_total": frame["total"].min(),
        "grades": grade_counts(frame, rulebook, present=True),
        "n_findings": int(frame["n_findings"].sum()),
        "n_low": int((frame["execution_rate"].round(9) < rulebook.low_execution).sum()),
    }


def _by_department(ov: Overview, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``frame``'s rows (units or projects) per department of the overview's plan."""
    where = frame["unit_code"].astype(str).map(ov.unit_departments).fillna(UNFILLED)
    return {name: rows for name, rows in frame.groupby(where.to_numpy(), sort=False)}


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows (in the departments' name order) ranked by average total (2 decimals, half up; ties
    share a rank and keep the name order); the departments without a total, and
    :data:`UNFILLED`, last and unranked."""

    def key(r: dict[str, Any]) -> float | None:
        return None if missing(r["mean_total"]) else half_up(float(r["mean_total"]), 2)

    ranked = [r for r in rows if key(r) is not None and not r["unfilled"]]
    ranked.sort(key=lambda r: -key(r))  # type: ignore[operator]  # stable: names stay in order
    rank, previous = 0, None
    for i, r in enumerate(ranked, 1):
        if key(r) != previous:
            rank, previous = i, key(r)
        r["rank"] = rank
    rest = [r for r in rows if r not in ranked]
    for r in rest:
        r["rank"] = None
    return ranked + rest


# ---------------------------------------------------------------------------------------------
# the index in split mode


def department_ranking_view(ov: Overview) -> dict[str, Any]:
    """一、各主管部门自评情况 (``blocks/department_ranking.html.j2``): per department its units'
    figures, ranked by average total, linked to its page."""
    book = ov.rulebook
    units = _by_department(ov, ov.units)
    rows = [  # a department whose units have projects only is in the projects' tables
        {
            "name": text(d.name),
            "unfilled": d.name == UNFILLED,
            "href": department_link(ov, d.href),
            **_figures(units[d.name], book),
        }
        for d in ov.departments
        if d.name in units
    ]
    return {
        "year": ov.year,
        "n_departments": sum(1 for r in rows if not r["unfilled"]),
        "n_units": len(ov.units),
        "n_unfilled": len(units.get(UNFILLED, ())),
        "linked": bool(ov.status),
        "table": overview_tables(ov).get("ranking"),
        "rows": _ranked(rows),
    }


def department_ranking(ov: Overview) -> str:
    """The index's 一 in split mode: the 主管部门 ranked by their units' average total."""
    return render_block("department_ranking", **department_ranking_view(ov))


def department_project_summary_view(ov: Overview) -> dict[str, Any]:
    """四、项目支出绩效自评情况 per department (``blocks/department_project_summary.html.j2``)."""
    p, book = ov.projects, ov.rulebook.for_projects()
    projects = _by_department(ov, p)
    rows = []
    for d in ov.departments:
        own = projects.get(d.name)
        if own is None:
            continue
        rows.append({
            "name": text(d.name),
            "href": department_link(ov, d.href, PROJECTS_ANCHOR),
            "n_units": int(own["unit_code"].nunique()),
            **_figures(own, book),
        })  # fmt: skip
    return {
        "n": len(p),
        "n_units": int(p["unit_code"].nunique()),
        "n_only": len(set(p["unit_code"]) - set(ov.units["unit_code"])),
        "mean_total": p["total"].mean(),
        "grades": grade_counts(p, book),
        "href": projects_href(ov),
        "table": overview_tables(ov)["projects"],
        "rows": rows,
    }


def department_project_summary(ov: Overview) -> str:
    """The index's 四 in split mode: projects per 主管部门 ("" when the year has none)."""
    if ov.projects is None or ov.projects.empty:
        return ""
    return render_block("department_project_summary", **department_project_summary_view(ov))


# ---------------------------------------------------------------------------------------------
# the projects page in split mode


def department_projects_view(ov: Overview) -> dict[str, Any]:
    """一、各主管部门项目自评情况 (``blocks/department_projects.html.j2``): per department its
    projects' figures, ranked by average total, linked to the department page's projects."""
    book = ov.rulebook.for_projects()
    projects = _by_department(ov, ov.projects)
    rows = [
        {
            "name": text(d.name),
            "unfilled": d.name == UNFILLED,
            "href": department_link(ov, d.href, PROJECTS_ANCHOR),
            "n_units": int(projects[d.name]["unit_code"].nunique()),
            **_figures(projects[d.name], book),
        }
        for d in ov.departments
        if d.name in projects
    ]
    return {
        "n": len(ov.projects),
        "n_departments": sum(1 for r in rows if not r["unfilled"]),
        "linked": bool(ov.status),
        "rows": _ranked(rows),
    }


def department_projects(ov: Overview) -> str:
    """The projects page's 一 in split mode: the 主管部门 ranked by their projects' average."""
    if ov.projects is None or ov.projects.empty:
        return ""
    return render_block("department_projects", **department_projects_view(ov))


def blocks_text(ov: Overview) -> list[str]:
    """The split-mode blocks of an index or a projects page, for the font's glyphs ([] when the
    year is not split)."""
    if not ov.departments:
        return []
    return [department_ranking(ov), department_project_summary(ov), department_projects(ov)]
