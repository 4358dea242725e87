"""The unit's report (部门（单位）整体支出预算绩效自评报告, ``unit_report.ipynb``): its title and
score card, the table of contents, sections 一 to 四 as the seed report has them, the charts of
section 二, and the 附表 部门整体支出绩效自评表. The unit's projects subsection is
:func:`perfkit.report.projects.unit_projects`; the tables it shares with the project report are
in :mod:`perfkit.report.parts`.

One function per block: ``<block>(detail)`` renders ``templates/perfkit/blocks/<block>.html.j2``
with the block's view model (``<block>_view(detail) -> dict``), so that a notebook cell shows it
with ``display(HTML(report.<block>(detail)))``. The one value a template prints unescaped is a
narrative, rendered by :mod:`perfkit.report.markdown` and marked safe by
:func:`perfkit.report.templating.narrative`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matplotlib.figure import Figure

from perfkit.core.bidi import isolate
from perfkit.core.formatting import half_up
from perfkit.detail import UnitDetail
from perfkit.report import charts, templating
from perfkit.report.filters import missing, text
from perfkit.report.parts import (
    Chart,
    appendix_body,
    budget_table_view,
    default_measures,
    fictional_banner,
    figures,
    finding_groups,
    footer,
    goals_view,
    grade_bands,
    indicators_view,
    render_block,
    score_parts,
    scorecard_view,
    unit_tables,
)
from perfkit.report.projects import unit_projects, unit_toc_entries
from perfkit.scoring.metrics import BudgetColumn

SECTIONS = {
    "s1": "一、部门（单位）概况",
    "s2": "二、部门（单位）整体支出绩效实现情况",
    "s3": "三、部门（单位）整体支出绩效中存在问题及改进措施",
    "s4": "四、绩效自评结果拟应用和公开情况",
    "appendix": "附表 部门整体支出绩效自评表",
}


#: what a unit writes when it has no internal body or subordinate unit
_NONE_WORDS = frozenset(
    {"", "无", "没有", "暂无", "无内设机构", "无下属单位", "—", "－", "-", "/", "／"}
)


def _none_word(value: object) -> bool:
    return text(value).strip() in _NONE_WORDS


def report_title(detail: UnitDetail) -> str:
    """ "{单位名称} {年度}年度 部门（单位）整体支出预算绩效自评报告" (the name isolated:
    :func:`perfkit.core.bidi.isolate`)."""
    return f"{isolate(detail.unit_name)} {detail.year}年度 部门（单位）整体支出预算绩效自评报告"


def title_view(detail: UnitDetail) -> dict[str, Any]:
    """The title block's view model (see ``blocks/title_block.html.j2``)."""
    s = detail.summary
    return {
        "title": report_title(detail),
        "unit_code": detail.unit_code,
        "department": text(s.get("department")),
        **scorecard_view(s),
    }


def title_block(detail: UnitDetail) -> str:
    """The title, then the total score, the grade, the execution rate and the indicator score."""
    return render_block("title_block", **title_view(detail))


def unit_charts(detail: UnitDetail) -> list[Chart]:
    """The charts of section 二, numbered, those the data supports."""
    specs: list[tuple[str, Callable[[], Figure]]] = []
    items = detail.budget_items
    if items["execution_rate"].notna().any():
        specs.append((
            "各项目预算执行率",
            lambda: charts.execution_by_item(items, detail.rulebook.low_execution),
        ))  # fmt: skip
    if not detail.progress.empty and detail.progress["cumulative_rate"].notna().any():
        specs.append(
            ("月度累计执行进度与序时进度", lambda: charts.monthly_progress(detail.progress))
        )
    if detail.indicators["completion"].notna().any():
        specs.append(("定量指标完成率", lambda: charts.indicator_completion(detail.indicators)))
    specs.append(("各部分得分与分值", lambda: charts.score_by_level1(score_parts(detail))))
    return [
        Chart(f"pk-fig-{i}", f"图{i} {title}", make, format="svg")
        for i, (title, make) in enumerate(specs, 1)
    ]


def toc(detail: UnitDetail) -> str:
    """The table of contents: the four sections, the charts of section 二 and the 附表."""
    figures = [{"anchor": c.anchor, "title": c.title} for c in unit_charts(detail)]
    return render_block(
        "toc", sections=SECTIONS, figures=figures, figures_under="s2",
        extra=unit_toc_entries(detail),
    )  # fmt: skip


def overview_view(detail: UnitDetail) -> dict[str, Any]:
    """Section 一's view model (see ``blocks/overview_section.html.j2``)."""
    s, m = detail.summary, detail.metrics
    bodies, subs = s.get("internal_bodies"), s.get("subordinate_units")
    initial = s.get("initial_budget")
    # 年初预算数 may be left blank (then NaN): the sentence leaves it and the adjustment out
    known = not missing(initial)
    adjustment = m.get("adjustment", 0.0)
    adjusted = None
    if known and not missing(adjustment):
        adj_rate = m.get("adjustment_rate")
        adjusted = {
            "changed": half_up(adjustment, 2) != 0,
            "increased": adjustment > 0,
            "amount": abs(adjustment),
            "rate": None if missing(adj_rate) else adj_rate,
        }
    carried = m.get("carryover_budget", 0.0)
    carryover = (
        {"amount": carried, "share": m.get("carryover_share")}
        if not missing(carried) and carried > 0
        else None
    )
    public = (
        None
        if missing(m.get("control_rate"))
        else {
            "budget": m["public_budget"],
            "executed": m["public_executed"],
            "control_rate": m["control_rate"],
        }
    )
    return {
        "heading": SECTIONS["s1"],
        "year": detail.year,
        "functions": text(s.get("functions")),
        "internal_bodies": "" if _none_word(bodies) else text(bodies),
        "subordinate_units": "" if _none_word(subs) else text(subs),
        "budget": {
            "initial_budget": initial if known else None,
            **figures(s, "adjusted_budget", "executed", "execution_rate"),
        },
        "adjustment": adjusted,
        "carryover": carryover,
        "public": public,
        "tables": [
            budget_table_view(detail, "fund_source", "资金来源", "表1 预算执行情况（按资金来源）"),
            budget_table_view(detail, "expense_type", "支出类型", "表2 预算执行情况（按支出类型）"),
            budget_table_view(detail, "item", "项目", "表3 预算执行情况（按项目）"),
        ],
    }


def overview_section(detail: UnitDetail) -> str:
    """一、部门（单位）概况: functions, internal bodies, subordinate units, and the budget."""
    return render_block("overview_section", **overview_view(detail))


def execution_view(detail: UnitDetail) -> dict[str, Any]:
    """预算执行率 = Σ全年执行数 / Σ全年预算数 and its score (财预〔2020〕10号), the items below the
    rulebook's ``low_execution`` (90%), and cumulative execution against 序时进度 (m / 12) at the
    rulebook's months, the gap in points as printed (domain.md §4)."""
    s, book = detail.summary, detail.rulebook
    items = detail.budget_items.dropna(subset=["execution_rate"])
    low = items[items["execution_rate"].round(9) < book.low_execution]
    progress = detail.progress
    quarters = progress[progress["month"].isin(book.time_progress_months)]
    quarters = quarters.dropna(subset=["cumulative_rate"])
    return {
        **figures(s, "adjusted_budget", "executed", "execution_rate"),
        "weight": s.get("execution_weight", book.execution_weight),
        "score": s["execution_score"],
        "rule_text": text(s.get("execution_rule_text", "")),
        "limit": book.low_execution * 100,
        "low": [{"item": text(r.item), "rate": r.execution_rate} for r in low.itertuples()],
        "has_items": bool(len(items)),
        "months": [
            {
                "month": int(r.month),
                "cumulative_rate": r.cumulative_rate,
                "progress": r.progress,
                "gap": half_up(r.progress * 100, 2) - half_up(r.cumulative_rate * 100, 2),
            }
            for r in quarters.itertuples()
        ],
    }


def indicator_counts(detail: UnitDetail) -> dict[str, Any] | None:
    """How many indicators, of which kind, met or not (None when the unit has none)."""
    ind = detail.indicators
    if ind.empty:
        return None
    rule = ind["rule"].astype(str)
    unverifiable = rule.str.startswith("unverifiable")
    qualitative = rule.str.startswith("qualitative")
    met = int(ind["met"].sum())
    return {
        "n": len(ind),
        "weight": ind["weight"].sum(),
        "quantitative": int((~qualitative & ~unverifiable).sum()),
        "qualitative": int(qualitative.sum()),
        "met": met,
        "missed": len(ind) - met - int(unverifiable.sum()),
        "unverifiable": int(unverifiable.sum()),
    }


def performance_view(detail: UnitDetail) -> dict[str, Any]:
    """Section 二's view model (see ``blocks/performance_section.html.j2``)."""
    n, s = detail.narrative, detail.summary
    parts = score_parts(detail).iloc[1:]
    tables = unit_tables(detail)
    return {
        "heading": SECTIONS["s2"],
        "year": detail.year,
        "preamble": templating.narrative(n.preamble) if n else "",
        "achievements": templating.narrative(n.achievements) if n else "",
        "execution": execution_view(detail),
        "goals": goals_view(detail, f"表{tables.get('goals')} 年度总体目标完成情况"),
        "indicators": indicators_view(detail, f"表{tables['indicators']} 绩效指标完成情况"),
        "counts": indicator_counts(detail),
        "indicator_score": s["indicator_score"],
        "indicator_rule_text": text(s.get("indicator_rule_text")),
        "parts": [
            {"part": text(r.part), "score": r.score, "weight": r.weight} for r in parts.itertuples()
        ],
        "total": s["total"],
        "execution_score": s["execution_score"],
        "grade": text(s["grade"]),
        "grade_bands": grade_bands(detail.rulebook),
    }


def performance_section(detail: UnitDetail) -> str:
    """二、部门（单位）整体支出绩效实现情况: the narrative, the figures in sentences, the goals and
    indicator tables, the result; ends with the heading of the charts that follow."""
    return render_block("performance_section", **performance_view(detail))


def problems_view(detail: UnitDetail) -> dict[str, Any]:
    """Section 三's view model (see ``blocks/problems_section.html.j2``)."""
    n = detail.narrative
    return {
        "heading": SECTIONS["s3"],
        "groups": finding_groups(detail.findings),
        "own_problems": templating.narrative(n.problems) if n else "",
        "own_measures": templating.narrative(n.measures) if n else "",
        "default_measures": default_measures(detail.findings["kind"]),
    }


def problems_section(detail: UnitDetail) -> str:
    """三、存在问题及改进措施: every finding as a sentence, grouped by kind, the unit's own
    problems, and its measures (or default measures fitted to the findings)."""
    return render_block("problems_section", **problems_view(detail))


def disclosure_section(detail: UnitDetail) -> str:
    """四、绩效自评结果拟应用和公开情况: the narrative, or the default paragraph."""
    n = detail.narrative
    return render_block(
        "disclosure_section",
        heading=SECTIONS["s4"],
        year=detail.year,
        narrative=templating.narrative(n.disclosure) if n else "",
    )


def appendix_view(detail: UnitDetail) -> dict[str, Any]:
    """The 附表's view model (see ``blocks/appendix_table.html.j2``)."""
    groups: tuple[tuple[BudgetColumn, str], ...] = (
        ("fund_source", "按资金来源"),
        ("expense_type", "按支出类型"),
    )
    return {
        "heading": SECTIONS["appendix"],
        "year": detail.year,
        "unit_name": detail.unit_name,
        "department": text(detail.summary.get("department")),
        **appendix_body(detail, groups),
    }


def appendix_table(detail: UnitDetail) -> str:
    """附表 部门整体支出绩效自评表, in the standard layout (funding block, 年度总体目标,
    indicators with 一级/二级 merged, total and grade)."""
    return render_block("appendix_table", **appendix_view(detail))


def blocks_text(detail: UnitDetail) -> list[str]:
    """The HTML of every text block of the unit report and every text of its charts, for the
    font's glyphs."""
    blocks = [title_block, toc, overview_section, performance_section, unit_projects,
              problems_section, disclosure_section, appendix_table, fictional_banner,
              footer]  # fmt: skip
    return [b(detail) for b in blocks] + [c.text() for c in unit_charts(detail)]
