"""The project report (项目支出绩效自评报告, domain.md §8), and what other pages show of projects.

Like every block, one function per block: ``<block>_view(source) -> dict`` builds the block's
view model (plain values: numbers, texts from the data, rows) and ``<block>(source)`` renders
``templates/perfkit/blocks/<block>.html.j2`` with it. The blocks the project report shares with
the unit report are in :mod:`perfkit.report.parts`: the indicator table
(:func:`~perfkit.report.parts.indicators_view`), the goals table, the budget tables, the finding
groups and default measures, and the 附表's funding, goals and indicator parts
(:func:`~perfkit.report.parts.appendix_body`, ``blocks/appendix_parts.html.j2``).

- the project report, in the order of domain.md §8: :func:`project_title`, :func:`project_toc`,
  :func:`project_basic_section` (一、项目基本情况), :func:`project_funds_section` (二、项目资金使用
  及管理情况), :func:`project_results_section` (三、项目绩效目标实现情况) with
  :func:`project_charts`, :func:`project_problems_section` (四、偏离绩效目标的原因和下一步改进
  措施), :func:`project_disclosure_section` (五), :func:`project_appendix_table` (附表 项目支出
  绩效自评表);
- in the unit's 部门整体 report: :func:`unit_projects` (its projects' scores, linked);
- on the year's index: :func:`project_summary` (per unit: projects, average score);
- the year's projects page (``projects.html``): :func:`projects_title`, :func:`failed_projects`,
  :func:`project_ranking`, :func:`projects_charts`.

Links go only to the reports a render wrote (:mod:`perfkit.report.links`): with a status
(``perfkit render``'s status file), a project's report is linked when its entry says it was
generated; without one (a notebook in JupyterLab) none is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from perfkit.core.bidi import isolate
from perfkit.detail import Overview, ProjectDetail, UnitDetail
from perfkit.report import charts, departments, templating
from perfkit.report.filters import missing, text
from perfkit.report.links import (
    PROJECTS_ANCHOR,
    in_scope,
    known_status,
    project_link,
    projects_href,
    status_index,
    up,
    year_index_title,
)
from perfkit.report.parts import (
    Chart,
    appendix_body,
    budget_table_view,
    default_measures,
    fictional_banner,
    figure_caption,
    figures,
    finding_groups,
    footer,
    goals_view,
    grade_bands,
    grade_counts,
    indicators_view,
    overview_tables,
    project_tables,
    render_block,
    score_parts,
    scorecard_view,
    unit_tables,
)

PROJECT_SECTIONS = {
    "s1": "一、项目基本情况",
    "s2": "二、项目资金使用及管理情况",
    "s3": "三、项目绩效目标实现情况",
    "s4": "四、偏离绩效目标的原因和下一步改进措施",
    "s5": "五、绩效自评结果拟应用和公开情况",
    "appendix": "附表 项目支出绩效自评表",
}
#: the unit report's subsection listing its projects (in section 二, after the charts)
UNIT_PROJECTS = "（六）项目支出绩效自评情况"
UNIT_PROJECTS_ANCHOR = "pk-projects"
#: a narrative's own heading for section 一, left out (the report prints its own)
_BASIC_HEADING = re.compile(
    r"\A\s*#{1,6}\s*(?:[一二三四五六七八九十]+、)?(?:项目)?(?:基本情况|概况)\s*\n"
)


def project_report_title(project_name: str) -> str:
    """ "{项目名称}项目支出绩效自评报告" ("…工程项目" does not say 项目 twice; the name
    isolated: :func:`perfkit.core.bidi.isolate`)."""
    name = str(project_name).strip()
    return f"{isolate(name)}{'' if name.endswith('项目') else '项目'}支出绩效自评报告"


def project_page_title(unit_name: str, year: int, project_name: str) -> str:
    """The page's ``<title>``: "{单位名称} {年度}年度 {项目名称}项目支出绩效自评报告"."""
    return f"{isolate(unit_name)} {year}年度 {project_report_title(project_name)}"


def projects_page_title(year: int) -> str:
    """ "{年度}年度 项目支出绩效自评 汇总"."""
    return f"{year}年度 项目支出绩效自评 汇总"


# ---------------------------------------------------------------------------------------------
# the project report


def project_title_view(detail: ProjectDetail) -> dict[str, Any]:
    """The title block's view model (``blocks/project_title.html.j2``)."""
    s = detail.summary
    return {
        "title": project_report_title(detail.project_name),
        "year": detail.year,
        "project_code": detail.project_code,
        "unit_name": detail.unit_name,
        "department": text(s.get("department")),
        **scorecard_view(s),
    }


def project_title(detail: ProjectDetail) -> str:
    """《{项目名称}项目支出绩效自评报告》, the year, the project's unit, and the score card."""
    return render_block("project_title", **project_title_view(detail))


def project_charts(detail: ProjectDetail) -> list[Chart]:
    """The charts of section 三, numbered: indicator completion (when any indicator has one) and
    the score of each part against its 分值."""
    specs: list[tuple[str, Callable[[], Figure]]] = []
    if detail.indicators["completion"].notna().any():
        specs.append(("定量指标完成率", lambda: charts.indicator_completion(detail.indicators)))
    if len(detail.indicators):
        specs.append(("各部分得分与分值", lambda: charts.score_by_level1(score_parts(detail))))
    return [
        Chart(f"pk-fig-{i}", f"图{i} {title}", make, format="svg")
        for i, (title, make) in enumerate(specs, 1)
    ]


def project_toc(detail: ProjectDetail) -> str:
    """The table of contents: the five sections and the 附表, the charts under section 三."""
    figures = [{"anchor": c.anchor, "title": c.title} for c in project_charts(detail)]
    return render_block(
        "toc", sections=PROJECT_SECTIONS, figures=figures, figures_under="s3", extra=[]
    )


def _level1_parts(detail: ProjectDetail) -> list[dict[str, Any]]:
    """Each 一级指标 in the data's order: its name, 分值, 得分, how many indicators, met, missed,
    and the missed ones (``level3``, ``target``, ``actual``)."""
    ind = detail.indicators
    parts = []
    for level1, rows in ind.groupby("level1", sort=False):
        unverifiable = rows["rule"].astype(str).str.startswith("unverifiable")
        missed = rows[~rows["met"].astype(bool) & ~unverifiable]
        parts.append({
            "name": text(level1),
            "weight": rows["weight"].sum(),
            "score": rows["score"].sum(),
            "n": len(rows),
            "met": int(rows["met"].astype(bool).sum()),
            "unverifiable": int(unverifiable.sum()),
            "missed": [
                {"level3": text(r["level3"]), "target": text(r["target"]),
                 "actual": text(r["actual"])}
                for r in missed.to_dict("records")
            ],
        })  # fmt: skip
    return parts


def project_basic_view(detail: ProjectDetail) -> dict[str, Any]:
    """Section 一's view model (``blocks/project_basic_section.html.j2``)."""
    s, n = detail.summary, detail.narrative
    preamble = _BASIC_HEADING.sub("", n.preamble) if n and n.preamble else ""
    return {
        "heading": PROJECT_SECTIONS["s1"],
        "year": detail.year,
        "project_name": detail.project_name,
        "unit_name": detail.unit_name,
        "department": text(s.get("department")),
        "category": text(s.get("category")),
        "manager": text(s.get("manager")),
        "overview": text(s.get("overview")),
        "narrative": templating.narrative(preamble) if preamble.strip() else "",
        "budget": figures(s, "adjusted_budget"),
        "goals": [text(g) for g in detail.goals["expected"]] if len(detail.goals) else [],
        "indicator_weight": s["indicator_weight"],
        "n_indicators": len(detail.indicators),
        "parts": [
            {"name": p["name"], "n": p["n"], "weight": p["weight"]} for p in _level1_parts(detail)
        ],
    }


def project_basic_section(detail: ProjectDetail) -> str:
    """一、项目基本情况: （一）项目概况 (the projects table's facts, the narrative or 项目概况),
    （二）绩效目标 (年度总体目标 and the indicators set, by 一级指标)."""
    return render_block("project_basic_section", **project_basic_view(detail))


def project_funds_view(detail: ProjectDetail) -> dict[str, Any]:
    """Section 二's view model (``blocks/project_funds_section.html.j2``)."""
    s, book = detail.summary, detail.rulebook
    initial, adjusted = s.get("initial_budget"), float(s["adjusted_budget"])
    known = not missing(initial)
    change = adjusted - float(initial) if known else 0.0
    items = detail.budget_items.dropna(subset=["execution_rate"])
    tables = [
        budget_table_view(
            detail, "fund_source", "资金来源", "表1 项目资金安排和执行情况（按资金来源）"
        )
    ]
    if detail.budget["item"].nunique() > 1:
        tables.append(
            budget_table_view(
                detail, "item", "支出内容", "表2 项目资金安排和执行情况（按支出内容）"
            )
        )
    rate = s["execution_rate"]
    return {
        "heading": PROJECT_SECTIONS["s2"],
        "year": detail.year,
        "budget": {
            "initial_budget": float(initial) if known else None,
            **figures(s, "adjusted_budget", "executed", "execution_rate"),
        },
        "adjustment": (
            None
            if not known
            else {"changed": round(change, 2) != 0, "increased": change > 0, "amount": abs(change)}
        ),
        "sources": [text(v) for v in pd.unique(detail.budget["fund_source"])],
        "weight": s.get("execution_weight", book.execution_weight),
        "score": s["execution_score"],
        "rule_text": text(s.get("execution_rule_text")),
        "limit": book.low_execution * 100,
        "low": (not missing(rate)) and round(float(rate), 9) < book.low_execution,
        "low_items": [
            {"item": text(r.item), "rate": r.execution_rate}
            for r in items.itertuples()
            if round(float(r.execution_rate), 9) < book.low_execution and len(items) > 1
        ],
        "tables": tables,
    }


def project_funds_section(detail: ProjectDetail) -> str:
    """二、项目资金使用及管理情况: budget, adjustment, execution and its score, the tables."""
    return render_block("project_funds_section", **project_funds_view(detail))


def project_results_view(detail: ProjectDetail) -> dict[str, Any]:
    """Section 三's view model (``blocks/project_results_section.html.j2``)."""
    s, n = detail.summary, detail.narrative
    tables = project_tables(detail)
    return {
        "heading": PROJECT_SECTIONS["s3"],
        "year": detail.year,
        "achievements": templating.narrative(n.achievements) if n else "",
        "goals": goals_view(detail, f"表{tables.get('goals')} 年度总体目标完成情况"),
        "parts": _level1_parts(detail),
        "indicators": indicators_view(detail, f"表{tables['indicators']} 绩效指标完成情况"),
        "indicator_score": s["indicator_score"],
        "indicator_weight": s["indicator_weight"],
        "indicator_rule_text": text(s.get("indicator_rule_text")),
        "execution_score": s["execution_score"],
        "total": s["total"],
        "grade": text(s["grade"]),
        "grade_bands": grade_bands(detail.rulebook),
        "has_charts": bool(project_charts(detail)),
    }


def project_results_section(detail: ProjectDetail) -> str:
    """三、项目绩效目标实现情况: 年度总体目标, each 一级指标 (产出、效益、满意度 …) in sentences,
    the indicator table, the result; ends with the heading of the charts that follow."""
    return render_block("project_results_section", **project_results_view(detail))


def project_problems_view(detail: ProjectDetail) -> dict[str, Any]:
    """Section 四's view model (``blocks/project_problems_section.html.j2``)."""
    n, ind = detail.narrative, detail.indicators
    unverifiable = ind["rule"].astype(str).str.startswith("unverifiable")
    missed = ind[~ind["met"].astype(bool) & ~unverifiable]
    return {
        "heading": PROJECT_SECTIONS["s4"],
        "deviations": [
            {
                "level3": text(r["level3"]),
                "target": text(r["target"]),
                "actual": text(r["actual"]),
                "weight": r["weight"],
                "score": r["score"],
                "reason": text(r.get("deviation_reason")),
            }
            for r in missed.to_dict("records")
        ],
        "groups": finding_groups(detail.findings),
        "own_problems": templating.narrative(n.problems) if n else "",
        "own_measures": templating.narrative(n.measures) if n else "",
        "default_measures": default_measures(detail.findings["kind"]),
    }


def project_problems_section(detail: ProjectDetail) -> str:
    """四、偏离绩效目标的原因和下一步改进措施: the indicators that missed their target with the
    reasons given, the findings grouped by kind, the project's own problems, and its measures
    (or default measures fitted to the findings)."""
    return render_block("project_problems_section", **project_problems_view(detail))


def project_disclosure_section(detail: ProjectDetail) -> str:
    """五、绩效自评结果拟应用和公开情况: the narrative, or the default paragraph."""
    n = detail.narrative
    return render_block(
        "project_disclosure_section",
        heading=PROJECT_SECTIONS["s5"],
        year=detail.year,
        narrative=templating.narrative(n.disclosure) if n else "",
    )


def project_appendix_view(detail: ProjectDetail) -> dict[str, Any]:
    """The 附表's view model (``blocks/project_appendix_table.html.j2``): 项目名称 | 主管部门 |
    实施单位, then the parts shared with the unit's table, the funding rows "其中" by 资金来源."""
    return {
        "heading": PROJECT_SECTIONS["appendix"],
        "year": detail.year,
        "project_name": detail.project_name,
        "unit_name": detail.unit_name,
        "department": text(detail.summary.get("department")),
        **appendix_body(detail, (("fund_source", "其中"),)),
    }


def project_appendix_table(detail: ProjectDetail) -> str:
    """附表 项目支出绩效自评表 in the standard layout (财预〔2020〕10号 附1)."""
    return render_block("project_appendix_table", **project_appendix_view(detail))


def blocks_text(detail: ProjectDetail) -> list[str]:
    """The HTML of every text block of the project report (for the font's glyphs)."""
    blocks = [project_title, project_toc, project_basic_section, project_funds_section,
              project_results_section, project_problems_section, project_disclosure_section,
              project_appendix_table, fictional_banner, footer]  # fmt: skip
    return [b(detail) for b in blocks] + [c.text() for c in project_charts(detail)]


# ---------------------------------------------------------------------------------------------
# the unit report: its projects


def unit_projects_view(detail: UnitDetail) -> dict[str, Any]:
    """The unit report's projects subsection (``blocks/unit_projects.html.j2``)."""
    p = detail.projects
    rows = []
    for r in p.to_dict("records"):
        href, state = project_link(detail.status, detail.unit_code, str(r["project_code"]))
        rows.append({
            "project_code": text(r["project_code"]),
            "project_name": text(r["project_name"]),
            "href": href,
            "state": state,
            **figures(r, "adjusted_budget", "execution_rate", "execution_score",
                       "indicator_score", "total"),
            "grade": text(r["grade"]),
        })  # fmt: skip
    budget = float(p["adjusted_budget"].sum()) if len(p) else 0.0
    executed = float(p["executed"].sum()) if len(p) else 0.0
    return {
        "heading": UNIT_PROJECTS,
        "anchor": UNIT_PROJECTS_ANCHOR,
        "year": detail.year,
        "n": len(p),
        "mean_total": p["total"].mean() if len(p) else None,
        "grades": grade_counts(p, detail.rulebook.for_projects()),
        "budget": budget,
        "executed": executed,
        "rate": executed / budget if budget else None,
        "table": unit_tables(detail)["projects"],
        "rows": rows,
    }


def unit_projects(detail: UnitDetail) -> str:
    """（六）项目支出绩效自评情况: the unit's projects with scores and grades, each linked to its
    report ("" when the unit has no projects that year)."""
    if detail.projects is None or detail.projects.empty:
        return ""
    return render_block("unit_projects", **unit_projects_view(detail))


def unit_toc_entries(detail: UnitDetail) -> list[dict[str, str]]:
    """The unit report's table of contents entry for its projects subsection ([] when none)."""
    if detail.projects is None or detail.projects.empty:
        return []
    return [{"anchor": UNIT_PROJECTS_ANCHOR, "title": UNIT_PROJECTS}]


# ---------------------------------------------------------------------------------------------
# the index: projects per unit


def project_summary_view(ov: Overview) -> dict[str, Any]:
    """The index's projects section (``blocks/project_summary.html.j2``)."""
    p = ov.projects
    if p is None or p.empty:
        return {"n": 0, "rows": [], "href": None}
    rows = []
    for (code, name), g in p.groupby(["unit_code", "unit_name"], sort=True):
        rows.append({
            "unit_code": text(code),
            "unit_name": text(name),
            "n": len(g),
            "budget": float(g["adjusted_budget"].sum()),
            "mean_total": g["total"].mean(),
            "max_total": g["total"].max(),
            "min_total": g["total"].min(),
            "grades": [x for x in grade_counts(g, ov.rulebook.for_projects()) if x["count"]],
        })  # fmt: skip
    return {
        "n": len(p),
        "n_units": len(rows),
        "n_only": len(set(p["unit_code"]) - set(ov.units["unit_code"])),
        "mean_total": p["total"].mean(),
        "grades": grade_counts(p, ov.rulebook.for_projects()),
        "href": projects_href(ov),
        "table": overview_tables(ov)["projects"],
        "rows": rows,
        **_below(ov),
    }


def _below(ov: Overview) -> dict[str, Any]:
    """On a department page, the projects ranking is further down the page, not a page of its
    own (:func:`perfkit.report.departments.department_project_ranking`)."""
    if ov.department is None:
        return {}
    return {"href": None, "below": f"#{PROJECTS_ANCHOR}"}


def project_summary(ov: Overview) -> str:
    """四、项目支出绩效自评情况: per unit the number of projects and their average score, and the
    link to the projects page ("" when the year has no projects); above the threshold
    (``ov.departments``), per 主管部门 (:func:`departments.department_project_summary`)."""
    if ov.departments:
        return departments.department_project_summary(ov)
    view = project_summary_view(ov)
    return render_block("project_summary", **view) if view["n"] else ""


# ---------------------------------------------------------------------------------------------
# the projects page


def projects_title_view(ov: Overview) -> dict[str, Any]:
    """The projects page's title (``blocks/projects_title.html.j2``)."""
    p = ov.projects
    budget = float(p["adjusted_budget"].sum()) if len(p) else 0.0
    executed = float(p["executed"].sum()) if len(p) else 0.0
    book = ov.rulebook.for_projects()
    return {
        "title": projects_page_title(ov.year),
        "index_title": year_index_title(ov.year, with_units=len(ov.units) > 0),
        "year": ov.year,
        "n": len(p),
        "n_units": int(p["unit_code"].nunique()) if len(p) else 0,
        "mean_total": p["total"].mean() if len(p) else None,
        "grades": grade_counts(p, book),
        "budget": budget,
        "executed": executed,
        "overall_rate": executed / budget if budget else None,
        "low_limit": book.low_execution * 100,
        "n_low": int((p["execution_rate"].round(9) < book.low_execution).sum()) if len(p) else 0,
    }


def projects_title(ov: Overview) -> str:
    """The projects page's title, its figures in a sentence and the link back to the index."""
    return render_block("projects_title", **projects_title_view(ov))


def project_ranking_view(ov: Overview) -> dict[str, Any]:
    """The projects ranking (``blocks/project_ranking.html.j2``)."""
    p = ov.projects
    status = known_status(ov.status)
    if p is None or p.empty:
        return {"year": ov.year, "show_status": status is not None, "rows": []}
    index = status_index(status) if status is not None else None
    ranked = p.sort_values(
        ["total", "unit_code", "project_code"], ascending=[False, True, True], kind="stable"
    )
    ranks = ranked["total"].rank(method="min", ascending=False).astype(int)
    rows = []
    for rank, r in zip(ranks, ranked.to_dict("records"), strict=True):
        href, state = project_link(status, str(r["unit_code"]), str(r["project_code"]), index)
        href = up(ov, href)  # a department page links one folder up
        rows.append({
            "rank": int(rank),
            "unit_code": text(r["unit_code"]),
            "unit_name": text(r["unit_name"]),
            "project_code": text(r["project_code"]),
            "project_name": text(r["project_name"]),
            "href": href,
            "state": state,
            **figures(r, "adjusted_budget", "execution_rate", "total"),
            "grade": text(r["grade"]),
            "n_findings": int(r["n_findings"]),
        })  # fmt: skip
    return {"year": ov.year, "show_status": status is not None, "rows": rows}


def project_ranking(ov: Overview) -> str:
    """Every project of the year ranked by total (ties share a rank), linked to its report;
    above the threshold (``ov.departments``), the 主管部门 instead
    (:func:`departments.department_projects`)."""
    if ov.departments:
        return departments.department_projects(ov)
    return render_block("project_ranking", **project_ranking_view(ov))


def failed_projects(ov: Overview) -> str:
    """The projects whose report could not be produced, with the reason ("" when none failed)."""
    failed = [
        s for s in ov.status if s.project_code and s.status != "ok" and in_scope(ov, s.unit_code)
    ]
    if not failed:
        return ""
    rows = [
        {
            "unit_name": text(s.unit_name),
            "project_code": text(s.project_code),
            "project_name": text(s.project_name),
            "error": text(s.error),
        }
        for s in failed
    ]
    return render_block("failed_projects", projects=rows)


def projects_charts(ov: Overview) -> list[Chart]:
    """The projects page's charts: grade distribution, execution against score."""
    p = ov.projects
    if p is None or p.empty:
        return []
    book = ov.rulebook.for_projects()
    grades = [g.name for g in book.grades]
    specs: list[tuple[str, Callable[[], Figure]]] = [
        ("项目自评等级分布", lambda: charts.grade_distribution(p, grades)),
        ("项目预算执行率与自评总分",
         lambda: charts.execution_vs_score(p, grades, book.low_execution, names=0)),
    ]  # fmt: skip
    return [
        Chart(f"pk-fig-{i}", f"图{i} {title}", make) for i, (title, make) in enumerate(specs, 1)
    ]


def projects_charts_heading(ov: Overview | None = None) -> str:
    """The heading of the projects page's charts; given the overview, a sentence in place of the
    charts when the year has no project."""
    empty = ov is not None and not projects_charts(ov)
    return render_block("projects_charts_heading", empty=empty, year=ov.year if ov else None)


def overview_blocks_text(ov: Overview) -> list[str]:
    """The project blocks of an overview (the index's section 四 and the projects page), for the
    font's glyphs."""
    return [project_summary(ov), projects_title(ov), project_ranking(ov),
            failed_projects(ov), projects_charts_heading(ov)] + [
        figure_caption(c) for c in projects_charts(ov)]  # fmt: skip
