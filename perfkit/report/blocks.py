"""The report's blocks: for each block of the unit report and of the index, a view model built
from the data and the template that shows it.

One function per block (title, table of contents, sections 一 to 四, 附表, footer; the index's
title, ranking, failed units, findings): ``<block>(detail)`` renders
``templates/perfkit/blocks/<block>.html.j2`` with the block's view model and returns the HTML, so
that a notebook cell shows it with ``display(HTML(report.<block>(detail)))``. The view models
(``<block>_view(detail) -> dict``) hold only plain values: numbers (formatted by the templates'
filters, :mod:`perfkit.report.filters`), texts from the data (escaped by the templates), rows and
row spans, and the pieces a sentence is made of; the wording is in the templates. The one value
a template prints unescaped is a narrative, rendered by :mod:`perfkit.report.markdown` and marked
safe by :func:`perfkit.report.templating.narrative`.

Every block is self-contained (its own ``<div class="pk …">``), so a notebook can display each in
its own cell; :func:`stylesheet` gives the CSS they share. A user's template folder
(``PERFKIT_TEMPLATES``, ``perfkit render --templates DIR``) is searched first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import quote, urlsplit

import pandas as pd
from IPython.display import HTML, display
from markupsafe import Markup
from matplotlib.figure import Figure

from perfkit import __version__
from perfkit.core.formatting import half_up
from perfkit.report import charts, departments, templating
from perfkit.report.filters import (
    DASH,
    missing,
    text,
)
from perfkit.rules.rulebook import Rulebook
from perfkit.scoring.findings import KIND_LABELS, KIND_SHORT
from perfkit.scoring.metrics import BudgetColumn, execution_by

if TYPE_CHECKING:  # the API builds what the report shows; the report only reads it
    from perfkit.api import Overview, ProjectDetail, UnitDetail

SECTIONS = {
    "s1": "一、部门（单位）概况",
    "s2": "二、部门（单位）整体支出绩效实现情况",
    "s3": "三、部门（单位）整体支出绩效中存在问题及改进措施",
    "s4": "四、绩效自评结果拟应用和公开情况",
    "appendix": "附表 部门整体支出绩效自评表",
}
FICTIONAL = "本报告由虚构的示例数据生成，仅用于演示，不代表任何单位的真实情况。"
#: what a unit writes when it has no internal body or subordinate unit
_NONE_WORDS = frozenset(
    {"", "无", "没有", "暂无", "无内设机构", "无下属单位", "—", "－", "-", "/", "／"}
)

#: findings (perfkit.scoring.findings) grouped as section 三 groups them, in order
FINDING_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("预算执行方面", ("low_execution", "overspend", "time_progress_lag", "project_low_execution")),
    ("绩效目标设置方面", ("over_target",)),
    ("绩效目标完成方面", ("under_target", "missing_deviation_reason")),
    ("自评质量方面", ("score_mismatch", "project_budget_mismatch", "data_warning")),
)
#: 改进措施 written when the unit gave none: one per kind of finding present, then the last one
DEFAULT_MEASURES = (
    (
        ("low_execution", "project_low_execution", "time_progress_lag"),
        "加强预算执行管理，对执行进度偏低的项目逐月跟踪、分析原因，按序时进度加快支出，提高资金使用效益",
    ),
    (
        ("overspend",),
        "严格按照批复的预算执行，确需超出预算支出的，按规定程序办理预算调整，杜绝超预算支出",
    ),
    (
        ("over_target", "under_target"),
        "切实结合年度任务和上年实际完成情况，科学合理设置绩效目标和指标值，避免指标值偏低或脱离实际",
    ),
    (
        ("missing_deviation_reason",),
        "对未达到年度指标值的指标逐项分析偏差原因，明确改进措施并跟踪落实",
    ),
    (
        ("project_budget_mismatch",),
        "核对部门预算中的项目支出与各项目预算，确保项目预算编报口径一致、数据准确",
    ),
    (("score_mismatch",), "严格按照评分规则开展自评，认真核对各项指标得分，确保自评结果真实、准确"),
    (
        ("data_warning",),
        "规范填写自评表，逐项填写年度指标值和实际完成值，分值合计与评分规则一致，确保自评数据完整、可核实",
    ),
)
CLOSING_MEASURE = "认真总结，科学客观做出绩效管理评价，做好绩效评价结果运用"


def _render(block: str, **view: Any) -> str:
    """The block's template rendered with its view model."""
    return templating.render(f"blocks/{block}.html.j2", **view)


def _none_word(value: object) -> bool:
    return text(value).strip() in _NONE_WORDS


def _figures(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The amounts and rate of a budget row (or summary) under the template's names."""
    return {k: row.get(k) for k in keys}


_BUDGET = ("initial_budget", "adjusted_budget", "executed", "execution_rate")


# ---------------------------------------------------------------------------------------------
# shared blocks


class _Provenance(Protocol):
    fictional: bool
    fingerprint: str
    rulebook: Rulebook


#: how many times the first class of each selector is repeated (see :func:`fortify`)
_SPECIFICITY = 4
_SELECTOR_START = re.compile(r"(^|[,{}>])(\s*)(\.[A-Za-z][\w-]*)")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
#: set by ``perfkit render`` in its notebook kernels: the exported page embeds its own font
BATCH_ENV = "PERFKIT_BATCH"


def fortify(css: str) -> str:
    """``css`` with the first class of every selector repeated (``.pk-table td`` becomes
    ``.pk-table.pk-table.pk-table.pk-table td``): the same elements, but more specific than the
    notebook front ends' own rules for rendered HTML (JupyterLab right-aligns every ``td`` with a
    rule of specificity (0,2,1) and stripes rows with one of (0,3,2)), so that the notebook shows
    the report as the exported page does. Selectors inside ``@media`` are fortified too."""
    css = _CSS_COMMENT.sub("", css)
    return _SELECTOR_START.sub(lambda m: m[1] + m[2] + m[3] * _SPECIFICITY, css)


def stylesheet(source: Any = None) -> str:
    """The CSS of the report's blocks (class ``pk``), fortified against the notebook front end's
    CSS (:func:`fortify`); fonts are local only, nothing is fetched.

    Given what the notebook shows (a :class:`~perfkit.api.UnitDetail` or an
    :class:`~perfkit.api.Overview`), it also embeds the subset of the CJK font that its blocks
    need, so that Chinese shows in JupyterLab on a machine without a Chinese font, as in the
    exported page. ``perfkit render`` leaves it out (``PERFKIT_BATCH``): the exported page embeds
    one subset for the whole page.
    """
    css = fortify(_render("stylesheet"))
    if source is None or os.environ.get(BATCH_ENV):
        return css
    from perfkit.report import webfont

    chars = webfont.page_chars("".join(_blocks_text(source)))
    return css + _render("font_face", family=webfont.FAMILY, data=webfont.subset_base64(chars))


def _blocks_text(source: Any) -> list[str]:
    """The HTML of every text block a notebook shows for ``source`` (for the font's glyphs)."""
    from perfkit.report import projects

    if hasattr(source, "project_code"):
        return projects.blocks_text(source)
    extra = projects.extra_blocks_text(source)
    if hasattr(source, "unit_code"):
        blocks = [title_block, toc, overview_section, performance_section, problems_section,
                  disclosure_section, appendix_table, fictional_banner, footer]  # fmt: skip
    else:
        blocks = [overview_title, ranking_table, failed_units, findings_summary, fictional_banner,
                  footer, lambda _: overview_charts_heading()]  # fmt: skip
    shown = unit_charts(source) if hasattr(source, "unit_code") else overview_charts(source)
    captions = [c.text() if c.format == "svg" else figure_caption(c) for c in shown]
    if not hasattr(source, "unit_code"):
        extra += departments.blocks_text(source)
    return [block(source) for block in blocks] + captions + extra


def fictional_banner(source: _Provenance) -> str:
    """The notice that the report was made from fictional data ("" for real data)."""
    return _render("fictional_banner", text=FICTIONAL) if source.fictional else ""


def footer(
    source: _Provenance, generated_at: datetime | None = None, fingerprint: str | None = None
) -> str:
    """Generation time, perfkit version, the fingerprint of the data the page shows (``source``'s,
    or ``fingerprint``: the projects page gives its own) and the rulebook."""
    return _render(
        "footer",
        generated_at=generated_at or datetime.now().astimezone(),
        version=__version__,
        fingerprint=text(source.fingerprint if fingerprint is None else fingerprint),
        rulebook=source.rulebook.title or source.rulebook.name,
    )


@dataclass(frozen=True)
class Chart:
    """A chart of a report: its anchor, its numbered title, how to draw it, and how it is shown.

    ``format`` is chosen per chart (issue 12): ``"svg"`` (the unit and project reports' charts)
    inlines the figure as ``<svg>`` with its text as text, drawn by the page's embedded font
    (:func:`perfkit.report.charts.to_svg`); ``"png"`` (the overview charts) embeds a picture.
    """

    anchor: str
    title: str
    make: Callable[[], Figure]
    format: Literal["svg", "png"] = "png"

    def html(self) -> str:
        """The numbered title and the chart as inline SVG, in one block (``format="svg"``)."""
        svg = charts.to_svg(self.make(), self.title, salt=self.anchor)
        return _render("chart", anchor=self.anchor, title=self.title, svg=Markup(svg))

    def text(self) -> str:
        """Every text the chart shows, its title included (for the notebook's font subset)."""
        return self.title + "\n" + charts.figure_text(self.make())

    def show(self) -> None:
        """Display the chart in a notebook: as SVG, the numbered title and the figure in one
        HTML output (:meth:`html`; its accessible name is the title: ``role="img"``,
        ``aria-label``, ``<title>``); as PNG, the title then the figure, the title as the
        image's alt text (in the output's ``image/png`` metadata)."""
        if self.format == "svg":
            display(HTML(self.html()))
            return
        metadata = {"image/png": {"alt": self.title}}
        display(HTML(figure_caption(self)), self.make(), metadata=metadata)


def figure_caption(chart: Chart) -> str:
    """The chart's numbered title, carrying the anchor the table of contents links to."""
    return _render("figure_caption", anchor=chart.anchor, title=chart.title)


def grade_bands(rulebook: Rulebook) -> list[dict[str, Any]]:
    """The grade bands as the result sentence lists them ("优 ≥ 90 分 … 差 < 60 分"):
    ``name``, ``at_least`` (≥, else <), ``min``."""
    bands = rulebook.grades
    return [
        {"name": g.name, "at_least": True, "min": g.min}
        if g.min > 0 or i == 0
        else {"name": g.name, "at_least": False, "min": bands[i - 1].min}
        for i, g in enumerate(bands)
    ]


# ---------------------------------------------------------------------------------------------
# the unit report


def report_title(detail: UnitDetail) -> str:
    """ "{单位名称} {年度}年度 部门（单位）整体支出预算绩效自评报告"."""
    return f"{detail.unit_name} {detail.year}年度 部门（单位）整体支出预算绩效自评报告"


def title_view(detail: UnitDetail) -> dict[str, Any]:
    """The title block's view model (see ``blocks/title_block.html.j2``)."""
    s = detail.summary
    return {
        "title": report_title(detail),
        "unit_code": detail.unit_code,
        "department": text(s.get("department")),
        **scorecard_view(s),
    }


def scorecard_view(summary: dict[str, Any]) -> dict[str, Any]:
    """The score card's figures (``blocks/scorecard.html.j2``), for a unit's or a project's
    summary: total, grade, execution rate, indicator score and weight."""
    return {
        "total": summary["total"],
        "grade": text(summary["grade"]),
        "execution_rate": summary["execution_rate"],
        "indicator_score": summary["indicator_score"],
        "indicator_weight": summary["indicator_weight"],
    }


def title_block(detail: UnitDetail) -> str:
    """The title, then the total score, the grade, the execution rate and the indicator score."""
    return _render("title_block", **title_view(detail))


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
    from perfkit.report.projects import unit_toc_entries

    figures = [{"anchor": c.anchor, "title": c.title} for c in unit_charts(detail)]
    return _render(
        "toc", sections=SECTIONS, figures=figures, figures_under="s2",
        extra=unit_toc_entries(detail),
    )  # fmt: skip


def _budget_groups(detail: UnitDetail, column: BudgetColumn) -> pd.DataFrame:
    """Execution per 资金来源, 支出类型 or 项目, in the order the budget table lists them."""
    groups = execution_by(detail.budget, column)
    first = {v: i for i, v in enumerate(pd.unique(detail.budget[column]))}
    return groups.sort_values(column, key=lambda c: c.map(first), kind="stable")


def _budget_rows(detail: UnitDetail, column: BudgetColumn) -> list[dict[str, Any]]:
    return [
        {"name": text(r[column]), **_figures(r, *_BUDGET)}
        for r in _budget_groups(detail, column).to_dict("records")
    ]


def budget_table_view(
    detail: UnitDetail, column: BudgetColumn, label: str, caption: str
) -> dict[str, Any]:
    """A budget table (``blocks/budget_table.html.j2``): one row per value of ``column``, then
    the unit's total."""
    total = {"name": "合计", **_figures(detail.summary, *_BUDGET)}
    return {
        "caption": caption,
        "label": label,
        "rows": _budget_rows(detail, column),
        "total": total,
    }


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
            **_figures(s, "adjusted_budget", "executed", "execution_rate"),
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
    return _render("overview_section", **overview_view(detail))


def score_parts(detail: UnitDetail) -> pd.DataFrame:
    """预算执行 and each 一级指标 (in the data's order): ``part``, ``weight`` (分值), ``score``."""
    ind = detail.indicators
    by_level1 = ind.groupby("level1", sort=False)[["weight", "score"]].sum().reset_index()
    head = pd.DataFrame(
        {
            "part": ["预算执行"],
            "weight": [detail.summary.get("execution_weight", detail.rulebook.execution_weight)],
            "score": [float(detail.summary["execution_score"])],
        }
    )
    return pd.concat([head, by_level1.rename(columns={"level1": "part"})], ignore_index=True)


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
        **_figures(s, "adjusted_budget", "executed", "execution_rate"),
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


def goals_view(detail: UnitDetail, caption: str) -> dict[str, Any]:
    """年度总体目标 (``blocks/goals_table.html.j2``): ``caption``, ``rows`` of expected/achieved."""
    rows = [
        {"expected": text(g["expected"]), "achieved": text(g["achieved"])}
        for g in detail.goals.to_dict("records")
    ]
    return {"caption": caption, "rows": rows}


def goals_table(detail: UnitDetail, caption: str) -> str:
    """年度总体目标: 预期目标 | 实际完成情况."""
    return _render("goals_table", goals=goals_view(detail, caption))


def _grouped(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators with equal 一级 and 二级指标 made adjacent, in order of first appearance."""
    first1 = {v: i for i, v in enumerate(pd.unique(indicators["level1"]))}
    pairs = list(zip(indicators["level1"], indicators["level2"], strict=True))
    first2 = {v: i for i, v in enumerate(dict.fromkeys(pairs))}
    keys = pd.DataFrame(
        {"k1": indicators["level1"].map(first1), "k2": [first2[p] for p in pairs]},
        index=indicators.index,
    )
    order = keys.sort_values(["k1", "k2"], kind="stable").index
    return indicators.loc[order].reset_index(drop=True)


def _spans(values: Sequence[object]) -> list[int]:
    """Row spans of runs of equal values: [a, a, b] → [2, 0, 1] (0: covered by the row above)."""
    spans = [0] * len(values)
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            spans[start] = i - start
            start = i
    return spans


def level_cells(ind: pd.DataFrame) -> list[dict[str, Any]]:
    """The 一级 / 二级 cells of each row: ``level1`` and ``level2``, each ``{text, span}`` where a
    cell starts, None where the cell of a row above spans this one."""
    l1 = ind["level1"].tolist()
    l2 = list(zip(l1, ind["level2"].tolist(), strict=True))
    span1, span2 = _spans(l1), _spans(l2)
    return [
        {
            "level1": {"text": text(l1[i]), "span": span1[i]} if span1[i] else None,
            "level2": {"text": text(l2[i][1]), "span": span2[i]} if span2[i] else None,
        }
        for i in range(len(ind))
    ]


def indicators_view(detail: UnitDetail, caption: str) -> dict[str, Any]:
    """The indicator table (``blocks/indicator_table.html.j2``)."""
    ind = _grouped(detail.indicators)
    labels = {t.key: t.label for t in detail.rulebook.tiers}
    rows = []
    for cells, r in zip(level_cells(ind), ind.to_dict("records"), strict=True):
        tier = text(r.get("tier"))
        rows.append({
            **cells,
            "level3": text(r["level3"]),
            "target": text(r["target"]),
            "target_number": not missing(r["target_value"]),
            "actual": text(r["actual"]),
            "actual_number": not missing(r["actual_value"]),
            "completion": None if missing(r.get("completion")) else r["completion"],
            "tier": labels.get(tier, DASH) if tier else "",
            "weight": r["weight"],
            "score": r["score"],
            "rule_text": text(r["rule_text"]),
        })  # fmt: skip
    return {"caption": caption, "rows": rows}


def indicator_table(detail: UnitDetail, caption: str) -> str:
    """The indicators with completion, weight, score and the rule applied."""
    return _render("indicator_table", indicators=indicators_view(detail, caption))


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
    return {
        "heading": SECTIONS["s2"],
        "year": detail.year,
        "preamble": templating.narrative(n.preamble) if n else "",
        "achievements": templating.narrative(n.achievements) if n else "",
        "execution": execution_view(detail),
        "goals": goals_view(detail, "表4 年度总体目标完成情况"),
        "indicators": indicators_view(detail, "表5 绩效指标完成情况"),
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
    return _render("performance_section", **performance_view(detail))


def finding_groups(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """``{title, messages}`` in the order of ``FINDING_GROUPS``; unknown kinds last."""
    known = {k for _, kinds in FINDING_GROUPS for k in kinds}
    groups = [(title, findings[findings["kind"].isin(kinds)]) for title, kinds in FINDING_GROUPS]
    groups.append(("其他方面", findings[~findings["kind"].isin(known)]))
    return [
        {"title": title, "messages": rows["message"].astype(str).tolist()}
        for title, rows in groups
        if len(rows)
    ]


def default_measures(kinds: Iterable[str]) -> list[str]:
    """改进措施 for the kinds of findings present, then the closing one (as the seed ends)."""
    present = set(kinds)
    chosen = [sentence for ks, sentence in DEFAULT_MEASURES if present.intersection(ks)]
    return [*chosen, CLOSING_MEASURE]


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
    return _render("problems_section", **problems_view(detail))


def disclosure_section(detail: UnitDetail) -> str:
    """四、绩效自评结果拟应用和公开情况: the narrative, or the default paragraph."""
    n = detail.narrative
    return _render(
        "disclosure_section",
        heading=SECTIONS["s4"],
        year=detail.year,
        narrative=templating.narrative(n.disclosure) if n else "",
    )


def appendix_body(
    detail: UnitDetail | ProjectDetail, groups: Sequence[tuple[BudgetColumn, str]]
) -> dict[str, Any]:
    """What a 自评表 shows below its header, the same for a unit's and a project's table
    (``blocks/appendix_parts.html.j2``): the funding block with one group of rows per
    ``(column, label)`` of ``groups``, 年度总体目标, the indicators, the total and the grade."""
    s, book = detail.summary, detail.rulebook
    ind = _grouped(detail.indicators)
    rows = [
        {
            **cells,
            "level3": text(r["level3"]),
            "target": text(r["target"]),
            "actual": text(r["actual"]),
            "weight": r["weight"],
            "score": r["score"],
            "deviation_reason": text(r.get("deviation_reason")),
        }
        for cells, r in zip(level_cells(ind), ind.to_dict("records"), strict=True)
    ]
    was_rescaled = bool(s.get("indicator_rule_text")) and book.rescale
    rescaled = bool(s.get("indicator_rescaled", was_rescaled))
    # rescaled weights (issue 8 §2): the total is out of the rulebook's 100, and says so; a
    # table scoring 预算执行率 as an indicator has no execution points beside it (issue 16 §10)
    indicator_weight = book.indicator_total if rescaled else float(s["indicator_weight"])
    execution_weight = float(s.get("execution_weight", book.execution_weight))
    return {
        "funding": {
            "total": _figures(s, *_BUDGET),
            "execution_weight": execution_weight,
            "execution_score": s["execution_score"],
            "groups": [
                {"label": label, "rows": _budget_rows(detail, column)} for column, label in groups
            ],
        },
        "goals": goals_view(detail, "")["rows"],
        "rows": rows,
        "total_weight": execution_weight + indicator_weight,
        "total": s["total"],
        "grade": text(s["grade"]),
        "rescaled": rescaled,
    }


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
    return _render("appendix_table", **appendix_view(detail))


# ---------------------------------------------------------------------------------------------
# the index page


def overview_page_title(ov: Overview) -> str:
    """ "{年度}年度 部门（单位）整体支出绩效自评 汇总"."""
    return f"{ov.year}年度 部门（单位）整体支出绩效自评 汇总"


def overview_title_view(ov: Overview) -> dict[str, Any]:
    """The index title's view model (see ``blocks/overview_title.html.j2``)."""
    units = ov.units
    counts = units["grade"].value_counts()
    budget, executed = float(units["adjusted_budget"].sum()), float(units["executed"].sum())
    return {
        "title": overview_page_title(ov),
        "year": ov.year,
        "n_units": len(units),
        "mean_total": units["total"].mean(),
        "grades": [
            {"name": g.name, "count": int(counts.get(g.name, 0))} for g in ov.rulebook.grades
        ],
        "budget": budget,
        "executed": executed,
        "overall_rate": executed / budget if budget else None,
        "low_limit": ov.rulebook.low_execution * 100,
        "n_low": int((units["execution_rate"].round(9) < ov.rulebook.low_execution).sum()),
    }


def overview_title(ov: Overview) -> str:
    """The index page's title and its figures in two sentences."""
    return _render("overview_title", **overview_title_view(ov))


def _href(unit_code: str, given: str) -> str | None:
    """The link to a unit's report: the status file's href when it is a local relative path,
    else "<单位编码>.html"; None when the given href points anywhere else."""
    if not given:
        return quote(f"{unit_code}.html")
    parts = urlsplit(given)
    if parts.scheme or parts.netloc or given.startswith(("/", "\\")):
        return None
    return given


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
        href = _href(str(r["unit_code"]), entry.href if entry else "") if linked else None
        href = departments.up(ov, href)  # a department page links one folder up
        rows.append({
            "rank": int(rank),
            "unit_code": text(r["unit_code"]),
            "unit_name": text(r["unit_name"]),
            "href": href,
            **_figures(r, "adjusted_budget", "execution_rate", "execution_score",
                       "indicator_score", "total"),
            "grade": text(r["grade"]),
            "n_findings": int(r["n_findings"]),
            "status": "failed" if failed else "absent" if absent else "ok" if entry else "",
        })  # fmt: skip
    return {"show_status": bool(ov.status), "rows": rows}


def ranking_table(ov: Overview) -> str:
    """Every unit ranked by total (ties share a rank), linked to its report; above the
    threshold (``ov.departments``), the 主管部门 instead
    (:func:`departments.department_ranking`)."""
    if ov.departments:
        return departments.department_ranking(ov)
    return _render("ranking_table", **ranking_view(ov))


def failed_units(ov: Overview) -> str:
    """The units whose report could not be produced, with the reason ("" when none failed)."""
    failed = [
        s
        for s in ov.status
        if s.status != "ok" and not s.project_code and departments.in_scope(ov, s.unit_code)
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
    return _render("failed_units", units=units)


def findings_summary_view(ov: Overview) -> dict[str, Any]:
    """The findings summary's view model (see ``blocks/findings_summary.html.j2``)."""
    f = ov.findings
    if f.empty:
        return {"n_findings": 0, "n_units": 0, "kinds": []}
    kinds = [k for k in KIND_LABELS if k in set(f["kind"])]
    kinds += sorted(set(f["kind"]) - set(kinds))
    return {
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
    return _render("findings_summary", **findings_summary_view(ov))


def overview_charts_heading() -> str:
    """The heading of the index page's charts."""
    return _render("overview_charts_heading")


def overview_charts(ov: Overview) -> list[Chart]:
    """The index page's charts: grade distribution, execution against score, findings."""
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
