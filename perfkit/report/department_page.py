"""A 主管部门's page (``departments/<id>.html``, ``department_overview.ipynb``), written for each
主管部门 of a year of more than :data:`perfkit.detail.departments.THRESHOLD` units: its title and
figures, then the index's own blocks (:mod:`perfkit.report.index`,
:func:`perfkit.report.projects.project_summary`) on the department's overview
(``api.overview(..., department=name)``), whose links lead one folder up
(:func:`perfkit.report.links.up`), and its projects ranked (五).
"""

from __future__ import annotations

from typing import Any

from perfkit.detail import Overview
from perfkit.detail.departments import department_label, department_name, department_page_title
from perfkit.report.index import overview_title_view
from perfkit.report.links import PROJECTS_ANCHOR
from perfkit.report.parts import overview_tables, render_block
from perfkit.report.projects import project_ranking_view


def department_title_view(ov: Overview) -> dict[str, Any]:
    """The department page's title (``blocks/department_title.html.j2``)."""
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
    return render_block("department_title", **department_title_view(ov))


def department_project_ranking(ov: Overview) -> str:
    """五、项目自评结果排名 of a department page: its projects ranked, linked to their reports
    ("" when its units have no projects)."""
    if ov.projects is None or ov.projects.empty:
        return ""
    return render_block(
        "project_ranking",
        **project_ranking_view(ov),
        heading="五、项目自评结果排名",
        anchor=PROJECTS_ANCHOR,
        caption=f"表{overview_tables(ov)['project_ranking']} 各项目自评得分及等级",
    )


def blocks_text(ov: Overview) -> list[str]:
    """The department page's own blocks, for the font's glyphs ([] for the year's index)."""
    if ov.department is None:
        return []
    return [department_title(ov), department_project_ranking(ov)]
