"""The year's index page (``index.html``, ``overview.ipynb``): its title and figures, the units
ranked (一), the charts (二), the findings counted (三); the projects section (四) is
:func:`perfkit.report.projects.project_summary`. Above the threshold the ranking hands over to
:mod:`perfkit.report.departments`. A department page shows the same blocks on its own overview
(:mod:`perfkit.report.department_page`).

Like every block, ``<block>_view(ov) -> dict`` builds the view model and ``<block>(ov)`` renders
``templates/perfkit/blocks/<block>.html.j2`` with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matplotlib.figure import Figure

from perfkit.detail import Overview
from perfkit.report import charts, departments
from perfkit.report.filters import text
from perfkit.report.links import in_scope, local_href, up, year_index_title
from perfkit.report.parts import (
    Chart,
    figure_caption,
    figures,
    grade_counts,
    overview_tables,
    render_block,
)
from perfkit.scoring.findings import KIND_LABELS, KIND_SHORT


def overview_page_title(ov: Overview) -> str:
    """The index title (:func:`perfkit.report.links.year_index_title`): "{年度}年度 部门（单位）
    整体支出绩效自评 汇总", or, in a year of project tables only, "{年度}年度 预算绩效自评 汇总"."""
    return year_index_title(ov.year, with_units=len(ov.units) > 0 or ov.department is not None)


def overview_title_view(ov: Overview) -> dict[str, Any]:
    """The index title's view model (see ``blocks/overview_title.html.j2``)."""
    units, projects = ov.units, ov.projects
    budget, executed = float(units["adjusted_budget"].sum()), float(units["executed"].sum())
    return {
        "title": overview_page_title(ov),
        "year": ov.year,
        "n_units": len(units),
        "mean_total": units["total"].mean() if len(units) else None,
        "grades": grade_counts(units, ov.rulebook),
        # a year of projects only (the most common publication) says so, and where they are
        "n_projects": len(projects),
        "n_project_units": int(projects["unit_code"].nunique()) if len(projects) else 0,
        "budget": budget,
        "executed": executed,
        "overall_rate": executed / budget if budget else None,
        "low_limit": ov.rulebook.low_execution * 100,
        "n_low": int((units["execution_rate"].round(9) < ov.rulebook.low_execution).sum()),
    }


def overview_title(ov: Overview) -> str:
    """The index page's title and its figures in two sentences."""
    return render_block("overview_title", **overview_title_view(ov))


def ranking_view(ov: Overview) -> dict[str, Any]:
    """The ranking's view model (see ``blocks/ranking_table.html.j2``)."""
    status = {s.unit_code: s for s in ov.status if not s.project_code}
    units = ov.units.sort_values(["total", "unit_code"], ascending=[False, True], kind="stable")
    ranks = units["total"].rank(method="min", ascending=False).astype(int)
    rows = []
    for rank, r in zip(ranks, units.to_dict("records"), strict=True):
        entry = status.get(str(r["unit_code"]))
        failed = entry is not None and entry.status != "ok"
        # With a status file, only the reports this run produced are linked: a unit left out
        # of the run has no report here (or an old one that no longer matches the figures).
        absent = bool(ov.status) and entry is None
        # without a status file (a notebook opened in JupyterLab) no report is known to exist
        # beside the page: no link rather than a link to nothing
        linked = bool(ov.status) and not (failed or absent)
        href = local_href(str(r["unit_code"]), entry.href if entry else "") if linked else None
        href = up(ov, href)  # a department page links one folder up
        rows.append({
            "rank": int(rank),
            "unit_code": text(r["unit_code"]),
            "unit_name": text(r["unit_name"]),
            "href": href,
            **figures(r, "adjusted_budget", "execution_rate", "execution_score",
                       "indicator_score", "total"),
            "grade": text(r["grade"]),
            "n_findings": int(r["n_findings"]),
            "status": "failed" if failed else "absent" if absent else "ok" if entry else "",
        })  # fmt: skip
    return {
        "year": ov.year,
        "table": overview_tables(ov).get("ranking"),
        "show_status": bool(ov.status),
        "rows": rows,
    }


def ranking_table(ov: Overview) -> str:
    """Every unit ranked by total (ties share a rank), linked to its report; above the
    threshold (``ov.departments``), the 主管部门 instead
    (:func:`departments.department_ranking`)."""
    if ov.departments:
        return departments.department_ranking(ov)
    return render_block("ranking_table", **ranking_view(ov))


def failed_units(ov: Overview) -> str:
    """The units whose report could not be produced, with the reason ("" when none failed)."""
    failed = [
        s
        for s in ov.status
        if s.status != "ok" and not s.project_code and in_scope(ov, s.unit_code)
    ]
    if not failed:
        return ""
    names = dict(zip(ov.units["unit_code"], ov.units["unit_name"], strict=True))
    units = [
        {
            "unit_code": text(s.unit_code),
            "unit_name": text(s.unit_name or names.get(s.unit_code, "")),
            "error": text(s.error),
        }
        for s in failed
    ]
    return render_block("failed_units", units=units)


def findings_summary_view(ov: Overview) -> dict[str, Any]:
    """The findings summary's view model (see ``blocks/findings_summary.html.j2``)."""
    f = ov.findings
    scored = {
        "year": ov.year,
        "n_scored": len(ov.units),
        "n_projects": len(ov.projects),
        "table": overview_tables(ov).get("findings"),
    }
    if f.empty:
        return {**scored, "n_findings": 0, "n_units": 0, "kinds": []}
    kinds = [k for k in KIND_LABELS if k in set(f["kind"])]
    kinds += sorted(set(f["kind"]) - set(kinds))
    return {
        **scored,
        "n_findings": len(f),
        "n_units": int(f["unit_code"].nunique()),
        "kinds": [
            {
                "label": KIND_LABELS.get(k, k),
                "units": int(f.loc[f["kind"] == k, "unit_code"].nunique()),
                "findings": int((f["kind"] == k).sum()),
            }
            for k in kinds
        ],
    }


def findings_summary(ov: Overview) -> str:
    """Findings counted by kind: how many units and how many findings."""
    return render_block("findings_summary", **findings_summary_view(ov))


def overview_charts_heading(ov: Overview | None = None) -> str:
    """The heading of the index page's charts; given the overview, a sentence in place of the
    charts when there is none to draw (a year of projects only)."""
    empty = ov is not None and not overview_charts(ov)
    return render_block("overview_charts_heading", empty=empty, year=ov.year if ov else None)


def overview_charts(ov: Overview) -> list[Chart]:
    """The index page's charts: grade distribution, execution against score, findings; none
    when no unit has a 部门整体 table that year (no empty chart)."""
    if ov.units.empty:
        return []
    grades = [g.name for g in ov.rulebook.grades]
    specs: list[tuple[str, Callable[[], Figure]]] = [
        ("自评等级分布", lambda: charts.grade_distribution(ov.units, grades)),
        ("预算执行率与自评总分",
         lambda: charts.execution_vs_score(ov.units, grades, ov.rulebook.low_execution)),
    ]  # fmt: skip
    if not ov.findings.empty:
        names = dict(zip(ov.units["unit_code"], ov.units["unit_name"], strict=True))
        specs.append((
            "各单位问题数（按类型）",
            lambda: charts.findings_by_kind_unit(ov.findings, names, KIND_SHORT),
        ))  # fmt: skip
    return [
        Chart(f"pk-fig-{i}", f"图{i} {title}", make) for i, (title, make) in enumerate(specs, 1)
    ]


def blocks_text(ov: Overview) -> list[str]:
    """The HTML of every text block of the index (and of a department page's index blocks) and
    its charts' captions, for the font's glyphs."""
    blocks = [overview_title, ranking_table, failed_units, findings_summary]
    return (
        [b(ov) for b in blocks]
        + [overview_charts_heading(ov)]
        + [figure_caption(c) for c in overview_charts(ov)]
    )
