"""The pieces every page of the report shares: the block renderer, the fictional-data banner and
the footer, charts and their captions, the score card and the grade bands, the budget, goals and
indicator tables, the finding groups and default measures, and the body of a 自评表 (附表).

The unit report (:mod:`~perfkit.report.unit`), the project report
(:mod:`~perfkit.report.projects`), the index (:mod:`~perfkit.report.index`) and the department
pages build on these; nothing here imports them. A view model (``<block>_view -> dict``) holds
plain values: numbers (formatted by the templates' filters, :mod:`perfkit.report.filters`), texts
from the data (escaped by the templates), rows and row spans; the wording is in the templates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import pandas as pd
from IPython.display import HTML, display
from markupsafe import Markup
from matplotlib.figure import Figure

from perfkit.core.version import __version__
from perfkit.detail import Overview, ProjectDetail, UnitDetail
from perfkit.report import charts, templating
from perfkit.report.filters import DASH, missing, text
from perfkit.rules.rulebook import Rulebook
from perfkit.scoring.metrics import BudgetColumn, execution_by

#: a unit's or a project's report: the tables they share read the same fields
Detail = UnitDetail | ProjectDetail

FICTIONAL = "本报告由虚构的示例数据生成，仅用于演示，不代表任何单位的真实情况。"


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


def render_block(block: str, **view: Any) -> str:
    """The block's template rendered with its view model."""
    return templating.render(f"blocks/{block}.html.j2", **view)


def figures(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The amounts and rate of a budget row (or summary) under the template's names."""
    return {k: row.get(k) for k in keys}


BUDGET = ("initial_budget", "adjusted_budget", "executed", "execution_rate")


# ---------------------------------------------------------------------------------------------
# the frame of every page


class Provenance(Protocol):
    """What every page's banner and footer read: a detail's or an overview's provenance."""

    fictional: bool
    fingerprint: str
    rulebook: Rulebook


def fictional_banner(source: Provenance) -> str:
    """The notice that the report was made from fictional data ("" for real data)."""
    return render_block("fictional_banner", text=FICTIONAL) if source.fictional else ""


def footer(
    source: Provenance, generated_at: datetime | None = None, fingerprint: str | None = None
) -> str:
    """Generation time, perfkit version, the fingerprint of the data the page shows (``source``'s,
    or ``fingerprint``: the projects page gives its own) and the rulebook."""
    return render_block(
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
        return render_block("chart", anchor=self.anchor, title=self.title, svg=Markup(svg))

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
    return render_block("figure_caption", anchor=chart.anchor, title=chart.title)


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


def grade_counts(
    frame: pd.DataFrame, rulebook: Rulebook, present: bool = False
) -> list[dict[str, Any]]:
    """How many rows of ``frame`` (units or projects) have each grade of ``rulebook``, best
    first: ``{name, count}``; with ``present``, only the grades that occur."""
    counts = frame["grade"].value_counts() if len(frame) else pd.Series(dtype=int)
    grades = [{"name": g.name, "count": int(counts.get(g.name, 0))} for g in rulebook.grades]
    return [g for g in grades if g["count"]] if present else grades


# ---------------------------------------------------------------------------------------------
# table numbers: counted over the tables a page shows, so that a page without goals or findings
# numbers its tables without a gap


def _numbered(shown: list[str]) -> dict[str, int]:
    return {name: i for i, name in enumerate(shown, 1)}


def unit_tables(detail: UnitDetail) -> dict[str, int]:
    """The unit report's table numbers: 表1–3 its budget by 资金来源, 支出类型 and 项目, then
    年度总体目标 (when the unit gave goals), the indicators and its projects."""
    goals = ["goals"] if len(detail.goals) else []
    return _numbered(["fund_source", "expense_type", "item", *goals, "indicators", "projects"])


def project_tables(detail: ProjectDetail) -> dict[str, int]:
    """A project report's table numbers: its funds by 资金来源, by 支出内容 (when it has more
    than one budget item), 年度总体目标 (when given) and the indicators."""
    items = ["item"] if detail.budget["item"].nunique() > 1 else []
    goals = ["goals"] if len(detail.goals) else []
    return _numbered(["fund_source", *items, *goals, "indicators"])


def overview_tables(ov: Overview) -> dict[str, int]:
    """An index's or a department page's table numbers: the units' (or departments') ranking
    when a unit has a 部门整体 table, the findings by kind when there are findings, the projects
    per unit (or department) when there are projects, and a department page's projects ranking."""
    shown = ["ranking"] if len(ov.units) else []
    shown += ["findings"] if len(ov.findings) else []
    shown += ["projects"] if len(ov.projects) else []
    shown += ["project_ranking"] if ov.department is not None and len(ov.projects) else []
    return _numbered(shown)


# ---------------------------------------------------------------------------------------------
# the tables a unit's and a project's report share


def budget_groups(detail: Detail, column: BudgetColumn) -> pd.DataFrame:
    """Execution per 资金来源, 支出类型 or 项目, in the order the budget table lists them."""
    groups = execution_by(detail.budget, column)
    first = {v: i for i, v in enumerate(pd.unique(detail.budget[column]))}
    return groups.sort_values(column, key=lambda c: c.map(first), kind="stable")


def budget_rows(detail: Detail, column: BudgetColumn) -> list[dict[str, Any]]:
    return [
        {"name": text(r[column]), **figures(r, *BUDGET)}
        for r in budget_groups(detail, column).to_dict("records")
    ]


def budget_table_view(
    detail: Detail, column: BudgetColumn, label: str, caption: str
) -> dict[str, Any]:
    """A budget table (``blocks/budget_table.html.j2``): one row per value of ``column``, then
    the unit's total."""
    total = {"name": "合计", **figures(detail.summary, *BUDGET)}
    return {
        "caption": caption,
        "label": label,
        "rows": budget_rows(detail, column),
        "total": total,
    }


def score_parts(detail: Detail) -> pd.DataFrame:
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


def goals_view(detail: Detail, caption: str) -> dict[str, Any]:
    """年度总体目标 (``blocks/goals_table.html.j2``): ``caption``, ``rows`` of expected/achieved,
    ``subject`` (本单位 or 本项目: who gave none, when there is none)."""
    rows = [
        {"expected": text(g["expected"]), "achieved": text(g["achieved"])}
        for g in detail.goals.to_dict("records")
    ]
    subject = "本项目" if isinstance(detail, ProjectDetail) else "本单位"
    return {"caption": caption, "rows": rows, "subject": subject}


def goals_table(detail: Detail, caption: str) -> str:
    """年度总体目标: 预期目标 | 实际完成情况."""
    return render_block("goals_table", goals=goals_view(detail, caption))


def grouped(indicators: pd.DataFrame) -> pd.DataFrame:
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


def spans(values: Sequence[object]) -> list[int]:
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
    span1, span2 = spans(l1), spans(l2)
    return [
        {
            "level1": {"text": text(l1[i]), "span": span1[i]} if span1[i] else None,
            "level2": {"text": text(l2[i][1]), "span": span2[i]} if span2[i] else None,
        }
        for i in range(len(ind))
    ]


def indicators_view(detail: Detail, caption: str) -> dict[str, Any]:
    """The indicator table (``blocks/indicator_table.html.j2``)."""
    ind = grouped(detail.indicators)
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


def indicator_table(detail: Detail, caption: str) -> str:
    """The indicators with completion, weight, score and the rule applied."""
    return render_block("indicator_table", indicators=indicators_view(detail, caption))


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


def appendix_body(detail: Detail, groups: Sequence[tuple[BudgetColumn, str]]) -> dict[str, Any]:
    """What a 自评表 shows below its header, the same for a unit's and a project's table
    (``blocks/appendix_parts.html.j2``): the funding block with one group of rows per
    ``(column, label)`` of ``groups``, 年度总体目标, the indicators, the total and the grade."""
    s, book = detail.summary, detail.rulebook
    ind = grouped(detail.indicators)
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
            "total": figures(s, *BUDGET),
            "execution_weight": execution_weight,
            "execution_score": s["execution_score"],
            "groups": [
                {"label": label, "rows": budget_rows(detail, column)} for column, label in groups
            ],
        },
        "goals": goals_view(detail, "")["rows"],
        "rows": rows,
        "total_weight": execution_weight + indicator_weight,
        "total": s["total"],
        "grade": text(s["grade"]),
        "rescaled": rescaled,
    }
