"""Indexes that hold at 10,000 units (issue 12): the year's units grouped by 主管部门.

Up to :data:`THRESHOLD` units a year, the index (``index.html``) ranks every unit and the
projects page (``projects.html``) every project, as they always did. Above it, a page listing
thousands of rows (and embedding the glyphs of thousands of names) would be megabytes: the index
lists the 主管部门 instead (the units table's optional column ``department``; units without one
form the group :data:`UNFILLED`) with their unit counts, average scores and grades, each linked
to a page of its own, ``departments/<id>.html``, which ranks the department's units and its
projects as the index and the projects page do for a small year. The projects page lists the
departments' projects figures, linked to the same pages.

- :func:`plan` tells the render which department pages a year needs (none up to the threshold);
  :class:`Department` gives each page's file (``href``) and ``<title>``;
- the index's blocks in split mode: :func:`department_ranking` (一、各主管部门自评情况) and
  :func:`department_project_summary` (四、项目支出绩效自评情况, per 主管部门); the projects page's:
  :func:`department_projects` (一、各主管部门项目自评情况). :func:`perfkit.report.ranking_table`,
  :func:`~perfkit.report.project_summary` and :func:`~perfkit.report.project_ranking` hand over
  to them when the overview is split, so the notebooks do not change;
- the department page (``department_overview.ipynb``): :func:`department_title`, then the
  index's own blocks on the department's overview (``api.overview(..., department=name)``),
  whose links lead one folder up, and :func:`department_project_ranking`.

Everything a block shows comes from the overview (:class:`perfkit.api.Overview`); grouping
units needs only the units table (:func:`unit_departments`), so :func:`plan` is cheap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from perfkit.core.formatting import half_up
from perfkit.report import templating
from perfkit.report.filters import missing, text

if TYPE_CHECKING:
    from perfkit.api import Overview
    from perfkit.data.dataset import Dataset
    from perfkit.rules.rulebook import Rulebook

#: above this many units in a year, the index and the projects page list 主管部门 (each with a
#: page of its own) instead of every unit and every project
THRESHOLD = 200
#: the group of the units whose 主管部门 is blank
UNFILLED = "未填写主管部门"
#: the department pages' folder, inside the year's folder
FOLDER = "departments"
#: the department page's section ranking its projects (linked from the projects page)
PROJECTS_ANCHOR = "pk-dept-projects"
#: hex digits of a page's id (48 bits: no two of a few thousand names share one)
_ID_DIGITS = 12


@dataclass(frozen=True)
class Department:
    """One 主管部门 of a year and its page: ``id`` (stable, file-safe: from the name alone),
    ``name`` (as written in the units table, or :data:`UNFILLED`), ``unit_codes`` (its units
    with data that year, sorted)."""

    id: str
    name: str
    unit_codes: tuple[str, ...]

    @property
    def href(self) -> str:
        """The page, relative to the year's folder: ``departments/<id>.html``."""
        return f"{FOLDER}/{self.id}.html"

    def title(self, year: int) -> str:
        """The page's ``<title>`` (:func:`department_page_title`)."""
        return department_page_title(year, self.name)


def department_name(value: object) -> str:
    """A 主管部门 as the pages group it: the name stripped, :data:`UNFILLED` when blank."""
    name = "" if missing(value) else str(value).strip()
    return name or UNFILLED


def department_id(name: str) -> str:
    """The page id of a 主管部门: 12 hex digits of the BLAKE2b hash of its (stripped) name, the
    same in every year and every run, whatever characters the name holds."""
    digest = hashlib.blake2b(department_name(name).encode("utf-8"), digest_size=_ID_DIGITS // 2)
    return digest.hexdigest()


def department_label(name: str) -> str:
    """How a page names the department's units: "苏州市教育局所属单位", "未填写主管部门的单位"."""
    return "未填写主管部门的单位" if name == UNFILLED else f"{name}所属单位"


def department_page_title(year: int, name: str) -> str:
    """ "{年度}年度 {主管部门}所属单位 整体支出绩效自评 汇总"."""
    return f"{int(year)}年度 {department_label(department_name(name))} 整体支出绩效自评 汇总"


def unit_departments(ds: Dataset) -> dict[str, str]:
    """Every unit's 主管部门 group (unit code → :func:`department_name`)."""
    units = ds.units
    if "department" not in units.columns:
        return {str(code): UNFILLED for code in units["unit_code"]}
    return {
        str(code): department_name(dep)
        for code, dep in zip(units["unit_code"], units["department"], strict=True)
    }


def year_units(ds: Dataset, year: int) -> list[str]:
    """The codes of the units with rows in ``year`` (their own or their projects'), sorted."""
    codes: set[str] = set()
    for frame in (ds.budget, ds.indicators):
        codes.update(frame.loc[frame["year"] == int(year), "unit_code"].astype(str))
    return sorted(codes)


def is_split(n_units: int, threshold: int | None = None) -> bool:
    """Whether a year of ``n_units`` units gets department pages (more than the threshold)."""
    return n_units > (THRESHOLD if threshold is None else threshold)


def group(
    codes: Iterable[str], departments: Mapping[str, str], threshold: int | None = None
) -> list[Department]:
    """The department pages of a year whose units are ``codes``: [] up to the threshold, else
    one per 主管部门 in name order (:data:`UNFILLED` last), each with its units sorted."""
    codes = sorted(set(map(str, codes)))
    if not is_split(len(codes), threshold):
        return []
    members: dict[str, list[str]] = {}
    for code in codes:
        members.setdefault(departments.get(code, UNFILLED), []).append(code)
    names = sorted(members, key=lambda n: (n == UNFILLED, n))
    pages = [Department(department_id(n), n, tuple(members[n])) for n in names]
    if len({p.id for p in pages}) != len(pages):  # 48 bits: not expected in this universe
        raise RuntimeError("two 主管部门 names share a page id")
    return pages


def plan(ds: Dataset, year: int, threshold: int | None = None) -> list[Department]:
    """The department pages ``year`` needs: none when it has at most :data:`THRESHOLD` units
    (``threshold`` overrides it), else one per 主管部门 of its units (blank ones grouped under
    :data:`UNFILLED`), in name order. Reads the units, budget and indicators tables only: no
    scoring."""
    return group(year_units(ds, year), unit_departments(ds), threshold)


# ---------------------------------------------------------------------------------------------
# figures per department


def _render(block: str, **view: Any) -> str:
    return templating.render(f"blocks/{block}.html.j2", **view)


def _grades(frame: pd.DataFrame, rulebook: Rulebook, present: bool = False) -> list[dict]:
    counts = frame["grade"].value_counts() if len(frame) else pd.Series(dtype=int)
    grades = [{"name": g.name, "count": int(counts.get(g.name, 0))} for g in rulebook.grades]
    return [g for g in grades if g["count"]] if present else grades


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
        "grades": _grades(frame, rulebook, present=True),
        "n_findings": int(frame["n_findings"].sum()),
        "n_low": int((frame["execution_rate"].round(9) < rulebook.low_execution).sum()),
    }


def _by_department(ov: Overview, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``frame``'s rows (units or projects) per department of the overview's plan."""
    where = frame["unit_code"].astype(str).map(ov.unit_departments).fillna(UNFILLED)
    return {name: rows for name, rows in frame.groupby(where.to_numpy(), sort=False)}


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows ranked by average total (2 decimals, half up; ties share a rank, then by name);
    the departments without a total, and :data:`UNFILLED`, last and unranked."""

    def key(r: dict[str, Any]) -> float | None:
        return None if missing(r["mean_total"]) else half_up(float(r["mean_total"]), 2)

    ranked = [r for r in rows if key(r) is not None and r["name"] != UNFILLED]
    ranked.sort(key=lambda r: (-key(r), r["name"]))  # type: ignore[operator]
    rank, previous = 0, None
    for i, r in enumerate(ranked, 1):
        if key(r) != previous:
            rank, previous = i, key(r)
        r["rank"] = rank
    rest = [r for r in rows if r not in ranked]
    for r in rest:
        r["rank"] = None
    return ranked + rest


def _link(ov: Overview, href: str, anchor: str = "") -> str | None:
    """A department page's link from the year's folder: only when the render wrote the pages
    (a status file was given), as units' reports are linked."""
    if not ov.status:
        return None
    return f"{href}#{anchor}" if anchor else href


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
            "href": _link(ov, d.href),
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
        "rows": _ranked(rows),
    }


def department_ranking(ov: Overview) -> str:
    """The index's 一 in split mode: the 主管部门 ranked by their units' average total."""
    return _render("department_ranking", **department_ranking_view(ov))


def department_project_summary_view(ov: Overview) -> dict[str, Any]:
    """四、项目支出绩效自评情况 per department (``blocks/department_project_summary.html.j2``)."""
    from perfkit.report.projects import _projects_href

    p, book = ov.projects, ov.rulebook.for_projects()
    projects = _by_department(ov, p)
    rows = []
    for d in ov.departments:
        own = projects.get(d.name)
        if own is None:
            continue
        rows.append({
            "name": text(d.name),
            "href": _link(ov, d.href, PROJECTS_ANCHOR),
            "n_units": int(own["unit_code"].nunique()),
            **_figures(own, book),
        })  # fmt: skip
    return {
        "n": len(p),
        "n_units": int(p["unit_code"].nunique()),
        "n_only": len(set(p["unit_code"]) - set(ov.units["unit_code"])),
        "mean_total": p["total"].mean(),
        "grades": _grades(p, book),
        "href": _projects_href(ov),
        "rows": rows,
    }


def department_project_summary(ov: Overview) -> str:
    """The index's 四 in split mode: projects per 主管部门 ("" when the year has none)."""
    if ov.projects is None or ov.projects.empty:
        return ""
    return _render("department_project_summary", **department_project_summary_view(ov))


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
            "href": _link(ov, d.href, PROJECTS_ANCHOR),
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
    return _render("department_projects", **department_projects_view(ov))


# ---------------------------------------------------------------------------------------------
# the department page


def department_title_view(ov: Overview) -> dict[str, Any]:
    """The department page's title (``blocks/department_title.html.j2``)."""
    from perfkit.report.blocks import overview_title_view

    name = department_name(ov.department)
    return {
        **overview_title_view(ov),
        "title": department_page_title(ov.year, name),
        "label": department_label(name),
        "n_projects": len(ov.projects) if ov.projects is not None else 0,
        "projects_anchor": PROJECTS_ANCHOR,
    }


def department_title(ov: Overview) -> str:
    """The department page's title, its figures and the link back to the index."""
    return _render("department_title", **department_title_view(ov))


def department_project_ranking(ov: Overview) -> str:
    """五、项目自评结果排名 of a department page: its projects ranked, linked to their reports
    ("" when its units have no projects)."""
    from perfkit.report.projects import project_ranking_view

    if ov.projects is None or ov.projects.empty:
        return ""
    return _render(
        "project_ranking",
        **project_ranking_view(ov),
        heading="五、项目自评结果排名",
        anchor=PROJECTS_ANCHOR,
        caption="表4 各项目自评得分及等级",
    )


def up(ov: Overview, href: str | None) -> str | None:
    """A link relative to the year's folder, as seen from the page showing ``ov``: one folder
    up on a department page."""
    if href is None or getattr(ov, "department", None) is None:
        return href
    return f"../{href}"


def in_scope(ov: Overview, unit_code: str) -> bool:
    """Whether the page showing ``ov`` is about ``unit_code`` (a department page: its units)."""
    if getattr(ov, "department", None) is None:
        return True
    return ov.unit_departments.get(str(unit_code), UNFILLED) == ov.department


def blocks_text(ov: Overview) -> list[str]:
    """The department blocks of an overview, for the font's glyphs."""
    if getattr(ov, "department", None) is not None:
        return [department_title(ov), department_project_ranking(ov)]
    if getattr(ov, "departments", None):
        return [department_ranking(ov), department_project_summary(ov), department_projects(ov)]
    return []
