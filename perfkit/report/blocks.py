"""The report's Chinese sentences and tables, as safe HTML strings, in the seed report's structure.

One function per block of the unit report (title, table of contents, sections 一 to 四, 附表,
footer) and of the index page. Every text that comes from the data (names, targets, goals,
reasons, findings, the rulebook's title) passes through :func:`html.escape`; narratives pass
through :mod:`perfkit.report.markdown` (CommonMark without raw HTML, then an allow-list sanitiser).
Numbers are rounded half up (四舍五入) as the scores are: "1,234.56 万元", "95.23%".

Every block is self-contained (its own ``<div class="pk …">``), so a notebook can display each in
its own cell; :func:`stylesheet` gives the CSS they share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlsplit

import pandas as pd
from IPython.display import HTML, display
from matplotlib.figure import Figure

from perfkit import __version__
from perfkit.core.formatting import fixed, half_up, num, percent
from perfkit.report import charts, markdown
from perfkit.rules.rulebook import Rulebook
from perfkit.scoring.metrics import BudgetColumn, execution_by

if TYPE_CHECKING:  # the API builds what the report shows; the report only reads it
    from perfkit.api import Overview, UnitDetail

SECTIONS = {
    "s1": "一、部门（单位）概况",
    "s2": "二、部门（单位）整体支出绩效实现情况",
    "s3": "三、部门（单位）整体支出绩效中存在问题及改进措施",
    "s4": "四、绩效自评结果拟应用和公开情况",
    "appendix": "附表 部门整体支出绩效自评表",
}
FICTIONAL = "本报告由虚构的示例数据生成，仅用于演示，不代表任何单位的真实情况。"
DASH = "—"
#: what a unit writes when it has no internal body or subordinate unit
_NONE_WORDS = frozenset(
    {"", "无", "没有", "暂无", "无内设机构", "无下属单位", "—", "－", "-", "/", "／"}
)

#: findings (perfkit.scoring.findings) grouped as section 三 groups them, in order
FINDING_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("预算执行方面", ("low_execution", "time_progress_lag")),
    ("绩效目标设置方面", ("over_target",)),
    ("绩效目标完成方面", ("under_target", "missing_deviation_reason")),
    ("自评质量方面", ("score_mismatch", "data_warning")),
)
KIND_LABELS = {
    "low_execution": "预算执行率偏低",
    "time_progress_lag": "支出进度滞后",
    "under_target": "指标未达到年度指标值",
    "over_target": "年度指标值设置偏低",
    "missing_deviation_reason": "未说明偏差原因",
    "score_mismatch": "自评得分有误",
    "data_warning": "自评表填报不规范",
}
#: 改进措施 written when the unit gave none: one per kind of finding present, then the last one
DEFAULT_MEASURES = (
    (
        ("low_execution", "time_progress_lag"),
        "加强预算执行管理，对执行进度偏低的项目逐月跟踪、分析原因，按序时进度加快支出，提高资金使用效益",
    ),
    (
        ("over_target", "under_target"),
        "切实结合年度任务和上年实际完成情况，科学合理设置绩效目标和指标值，避免指标值偏低或脱离实际",
    ),
    (
        ("missing_deviation_reason",),
        "对未达到年度指标值的指标逐项分析偏差原因，明确改进措施并跟踪落实",
    ),
    (("score_mismatch",), "严格按照评分规则开展自评，认真核对各项指标得分，确保自评结果真实、准确"),
    (
        ("data_warning",),
        "规范填写自评表，逐项填写年度指标值和实际完成值，分值合计与评分规则一致，确保自评数据完整、可核实",
    ),
)
#: the same kinds, short, for a chart's column labels
KIND_SHORT = {
    "low_execution": "执行率偏低",
    "time_progress_lag": "进度滞后",
    "under_target": "未达目标",
    "over_target": "目标偏低",
    "missing_deviation_reason": "缺偏差原因",
    "score_mismatch": "得分有误",
    "data_warning": "填报问题",
}
CLOSING_MEASURE = "认真总结，科学客观做出绩效管理评价，做好绩效评价结果运用"
_CN_DIGITS = "〇一二三四五六七八九"


# ---------------------------------------------------------------------------------------------
# text and numbers


def _missing(x: object) -> bool:
    """None, NaN or pd.NA."""
    return bool(pd.api.types.is_scalar(x) and pd.isna(x))


def esc(value: object) -> str:
    """User text for HTML: escaped (quotes too), with None and NaN as ""."""
    return "" if _missing(value) else escape(str(value), quote=True)


def money(x: float | None) -> str:
    """An amount in 万元 with thousands separators and 2 decimals: "1,234.56" (NaN: "—")."""
    return DASH if x is None or _missing(x) else f"{half_up(float(x), 2):,.2f}"


def wan(x: float | None) -> str:
    """An amount in a sentence: "1,234.56 万元"."""
    return f"{money(x)} 万元"


def rate(x: float | None) -> str:
    """A fraction as a percentage: 0.9523 → "95.23%" (NaN: "—")."""
    return DASH if x is None or _missing(x) else percent(float(x))


def points(x: float | None) -> str:
    """A score with 2 decimals: "9.60" (NaN: "—")."""
    return DASH if x is None or _missing(x) else fixed(float(x))


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (for 1 ≤ n ≤ 99)."""
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + (_CN_DIGITS[units] if units else "")


def _numbered(index: int) -> str:
    return f"（{chinese_number(index)}）"


def _first_second(items: Sequence[str]) -> str:
    """Clauses as the seed writes them: "一是……。二是……。"."""
    return "".join(f"{chinese_number(i)}是{text}。" for i, text in enumerate(items, 1))


# ---------------------------------------------------------------------------------------------
# HTML pieces (arguments are already safe HTML)


def _p(html: str, cls: str = "") -> str:
    return f'<p class="{cls}">{html}</p>' if cls else f"<p>{html}</p>"


def _h2(key: str) -> str:
    return f'<h2 id="pk-{key}">{SECTIONS[key]}</h2>'


def _block(*parts: str, cls: str = "") -> str:
    return f'<div class="pk{(" " + cls) if cls else ""}">{"".join(parts)}</div>'


def _td(
    html: str,
    *,
    num: bool = False,
    rowspan: int = 1,
    colspan: int = 1,
    th: bool = False,
    cls: str = "",
) -> str:
    tag = "th" if th else "td"
    classes = " ".join(c for c in ("pk-num" if num else "", cls) if c)
    attrs = f' class="{classes}"' if classes else ""
    attrs += f' rowspan="{rowspan}"' if rowspan > 1 else ""
    attrs += f' colspan="{colspan}"' if colspan > 1 else ""
    return f"<{tag}{attrs}>{html}</{tag}>"


def _n(html: str) -> str:
    """A numeric cell (right-aligned)."""
    return _td(html, num=True)


def _table(
    head: Sequence[str], rows: Iterable[Sequence[str]], caption: str = "", cls: str = ""
) -> str:
    """A table: ``head`` the header texts (safe HTML; none for a form whose header rows are
    among ``rows``), ``rows`` rows of ready cells."""
    thead = f"<thead><tr>{''.join(_td(h, th=True) for h in head)}</tr></thead>" if head else ""
    body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    return (
        f'<table class="pk-table{(" " + cls) if cls else ""}">{cap}{thead}'
        f"<tbody>{body}</tbody></table>"
    )


def _narrative(text: str | None) -> str:
    html = markdown.render(text)
    return f'<div class="pk-narrative">{html}</div>' if html else ""


# ---------------------------------------------------------------------------------------------
# shared blocks


class _Provenance(Protocol):
    fictional: bool
    fingerprint: str
    rulebook: Rulebook


def stylesheet() -> str:
    """The CSS of the report's blocks (class ``pk``); fonts are local only, nothing is fetched."""
    return f"<style>{_CSS}</style>"


def fictional_banner(source: _Provenance) -> str:
    """The notice that the report was made from fictional data ("" for real data)."""
    if not source.fictional:
        return ""
    return _block(f'<p class="pk-banner" role="note">{FICTIONAL}</p>')


def footer(source: _Provenance, generated_at: datetime | None = None) -> str:
    """Generation time, perfkit version, the data's fingerprint and the rulebook."""
    when = (generated_at or datetime.now().astimezone()).strftime("%Y年%m月%d日 %H:%M")
    parts = [
        f"生成时间：{when}",
        f"perfkit 版本：{esc(__version__)}",
        f"数据指纹：{esc(source.fingerprint) or DASH}",
        f"评分规则：{esc(source.rulebook.title or source.rulebook.name)}",
    ]
    note = "本报告由 perfkit 根据所附数据自动生成，得分按所列评分规则计算。"
    spans = "".join(f"<span>{p}</span>" for p in parts)
    return _block(f'<footer class="pk-footer"><p>{spans}</p><p>{note}</p></footer>')


@dataclass(frozen=True)
class Chart:
    """A chart of a report: its anchor, its numbered title, and how to draw it."""

    anchor: str
    title: str
    make: Callable[[], Figure]

    def show(self) -> None:
        """Display the numbered title, then the figure as PNG (its title as the image's alt text,
        in the output's ``image/png`` metadata) in a notebook."""
        metadata = {"image/png": {"alt": self.title}}
        display(HTML(figure_caption(self)), self.make(), metadata=metadata)


def figure_caption(chart: Chart) -> str:
    """The chart's numbered title, carrying the anchor the table of contents links to."""
    return _block(f'<p class="pk-figcaption" id="{chart.anchor}">{esc(chart.title)}</p>')


def _grade_bands(rulebook: Rulebook) -> str:
    """ "优 ≥ 90 分，良 ≥ 80 分，中 ≥ 60 分，差 < 60 分" (escaped)."""
    bands = rulebook.grades
    parts = [
        f"{g.name} ≥ {num(g.min)} 分"
        if g.min > 0 or i == 0
        else f"{g.name} < {num(bands[i - 1].min)} 分"
        for i, g in enumerate(bands)
    ]
    return esc("，".join(parts))


# ---------------------------------------------------------------------------------------------
# the unit report


def report_title(detail: UnitDetail) -> str:
    """ "{单位名称} {年度}年度 部门（单位）整体支出预算绩效自评报告"."""
    return f"{detail.unit_name} {detail.year}年度 部门（单位）整体支出预算绩效自评报告"


def title_block(detail: UnitDetail) -> str:
    """The title, then the total score, the grade, the execution rate and the indicator score."""
    s = detail.summary
    meta = f"单位编码：{esc(detail.unit_code)}　主管部门：{esc(s.get('department')) or DASH}"
    card = _table(
        ["自评总分", "自评等级", "预算执行率", "绩效指标得分"],
        [[
            _td(f"{points(s['total'])} 分"),
            _td(esc(s["grade"])),
            _td(rate(s["execution_rate"])),
            _td(f"{points(s['indicator_score'])} / {num(s['indicator_weight'])} 分"),
        ]],
        cls="pk-scorecard",
    )  # fmt: skip
    return _block(
        f"<h1>{esc(report_title(detail))}</h1>",
        _p(meta, "pk-meta"),
        card,
        cls="pk-title",
    )


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
        Chart(f"pk-fig-{i}", f"图{i} {title}", make) for i, (title, make) in enumerate(specs, 1)
    ]


def toc(detail: UnitDetail) -> str:
    """The table of contents: the four sections, the charts of section 二 and the 附表."""
    figures = "".join(
        f'<li><a href="#{c.anchor}">{esc(c.title)}</a></li>' for c in unit_charts(detail)
    )
    items = []
    for key, title in SECTIONS.items():
        sub = f"<ul>{figures}</ul>" if key == "s2" and figures else ""
        items.append(f'<li><a href="#pk-{key}">{title}</a>{sub}</li>')
    return _block(
        f'<nav class="pk-toc"><p class="pk-toc-title">目　录</p><ul>{"".join(items)}</ul></nav>'
    )


def _none_word(text: object) -> bool:
    return str(text or "").strip() in _NONE_WORDS


def _budget_groups(detail: UnitDetail, column: BudgetColumn) -> pd.DataFrame:
    """Execution per 资金来源, 支出类型 or 项目, in the order the budget table lists them."""
    groups = execution_by(detail.budget, column)
    first = {v: i for i, v in enumerate(pd.unique(detail.budget[column]))}
    return groups.sort_values(column, key=lambda c: c.map(first), kind="stable")


def _budget_table(detail: UnitDetail, column: BudgetColumn, label: str, caption: str) -> str:
    groups = _budget_groups(detail, column)
    rows = [
        [_td(esc(r[column]) or DASH), _n(money(r["initial_budget"])),
         _n(money(r["adjusted_budget"])), _n(money(r["executed"])),
         _n(rate(r["execution_rate"]))]
        for r in groups.to_dict("records")
    ]  # fmt: skip
    s = detail.summary
    rows.append([
        _td("合计"), _n(money(s["initial_budget"])),
        _n(money(s["adjusted_budget"])), _n(money(s["executed"])),
        _n(rate(s["execution_rate"])),
    ])  # fmt: skip
    head = [label, "年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）", "执行率"]
    return _table(head, rows, caption=caption, cls="pk-total-last")


def _budget_sentences(detail: UnitDetail) -> str:
    s, m = detail.summary, detail.metrics
    initial = s.get("initial_budget")
    # 年初预算数 may be left blank (then NaN): the sentence leaves it and the adjustment out
    known = not _missing(initial)
    text = (
        f"{detail.year}年度，本单位"
        + (f"年初预算数 {wan(initial)}，" if known else "")
        + f"全年预算数 {wan(s['adjusted_budget'])}，全年执行数 {wan(s['executed'])}，预算执行率 "
        f"{rate(s['execution_rate'])}。"
    )
    adjustment = m.get("adjustment", 0.0)
    if not known or _missing(adjustment):
        pass
    elif half_up(adjustment, 2) != 0:
        way = "增加" if adjustment > 0 else "减少"
        text += f"全年预算数较年初预算数{way} {wan(abs(adjustment))}"
        adj_rate = m.get("adjustment_rate")
        text += f"，预算调整率 {rate(adj_rate)}。" if not _missing(adj_rate) else "。"
    else:
        text += "年度中预算未作调整。"
    carried = m.get("carryover_budget", 0.0)
    if not _missing(carried) and carried > 0:
        text += f"全年预算数中上年结转资金 {wan(carried)}，占 {rate(m.get('carryover_share'))}。"
    if not _missing(m.get("control_rate")):
        text += (
            f"公用经费全年预算数 {wan(m['public_budget'])}，执行 {wan(m['public_executed'])}，"
            f"公用经费控制率 {rate(m['control_rate'])}。"
        )
    return _p(text)


def overview_section(detail: UnitDetail) -> str:
    """一、部门（单位）概况: functions, internal bodies, subordinate units, and the budget."""
    s = detail.summary
    functions = esc(s.get("functions")) or "本单位未填报主要职能。"
    bodies = s.get("internal_bodies")
    subs = s.get("subordinate_units")
    org = (
        "本单位无内设机构。" if _none_word(bodies)
        else f"根据单位职责分工，本单位内设机构包括：{esc(bodies)}。"
    ) + (
        "本单位无下属单位。" if _none_word(subs) else f"本单位下属单位包括：{esc(subs)}。"
    )  # fmt: skip
    return _block(
        _h2("s1"),
        "<h3>（一）主要职能</h3>", _p(functions),
        "<h3>（二）机构设置</h3>", _p(org),
        "<h3>（三）预算安排和执行情况</h3>", _budget_sentences(detail),
        _budget_table(detail, "fund_source", "资金来源", "表1 预算执行情况（按资金来源）"),
        _budget_table(detail, "expense_type", "支出类型", "表2 预算执行情况（按支出类型）"),
        _budget_table(detail, "item", "项目", "表3 预算执行情况（按项目）"),
        cls="pk-section",
    )  # fmt: skip


def score_parts(detail: UnitDetail) -> pd.DataFrame:
    """预算执行 and each 一级指标 (in the data's order): ``part``, ``weight`` (分值), ``score``."""
    ind = detail.indicators
    by_level1 = ind.groupby("level1", sort=False)[["weight", "score"]].sum().reset_index()
    head = pd.DataFrame(
        {
            "part": ["预算执行"],
            "weight": [detail.rulebook.execution_weight],
            "score": [float(detail.summary["execution_score"])],
        }
    )
    return pd.concat([head, by_level1.rename(columns={"level1": "part"})], ignore_index=True)


def _execution_paragraphs(detail: UnitDetail) -> str:
    """预算执行率 = Σ全年执行数 / Σ全年预算数 and its score (财预〔2020〕10号), the items below the
    rulebook's ``low_execution`` (90%), and cumulative execution against 序时进度 (m / 12) at the
    rulebook's months, the gap in points as printed (domain.md §4)."""
    s, book = detail.summary, detail.rulebook
    first = (
        f"{detail.year}年度，本单位全年预算数 {wan(s['adjusted_budget'])}，执行 "
        f"{wan(s['executed'])}，执行率 {rate(s['execution_rate'])}。预算执行率分值 "
        f"{num(book.execution_weight)} 分，得 {points(s['execution_score'])} 分"
        f"（{esc(s.get('execution_rule_text', ''))}）。"
    )
    items = detail.budget_items.dropna(subset=["execution_rate"])
    low = items[items["execution_rate"].round(9) < book.low_execution]
    limit = f"{num(book.low_execution * 100)}%"
    paragraphs = [_p(first)]
    if len(low):
        listed = "、".join(f"{esc(r.item)}（{rate(r.execution_rate)}）" for r in low.itertuples())
        paragraphs.append(_p(f"执行率低于 {limit} 的项目有 {len(low)} 个：{listed}。"))
    elif len(items):
        paragraphs.append(_p(f"各项目预算执行率均不低于 {limit}。"))
    progress = detail.progress
    quarters = progress[progress["month"].isin(book.time_progress_months)]
    quarters = quarters.dropna(subset=["cumulative_rate"])
    if len(quarters):
        clauses = []
        for r in quarters.itertuples():
            gap = half_up(r.progress * 100, 2) - half_up(r.cumulative_rate * 100, 2)
            if gap > 0:
                compare = f"低于序时进度（{rate(r.progress)}）{fixed(gap)} 个百分点"
            elif gap < 0:
                compare = f"高于序时进度（{rate(r.progress)}）{fixed(-gap)} 个百分点"
            else:
                compare = f"与序时进度（{rate(r.progress)}）持平"
            clauses.append(f"{int(r.month)} 月末累计支出进度 {rate(r.cumulative_rate)}，{compare}")
        paragraphs.append(_p("从月度执行情况看，" + "；".join(clauses) + "。"))
    return "".join(paragraphs)


def goals_table(detail: UnitDetail, caption: str) -> str:
    """年度总体目标: 预期目标 | 实际完成情况."""
    if detail.goals.empty:
        return _p("本单位未填报年度总体目标。")
    rows = [
        [_n(str(i)), _td(esc(g["expected"])), _td(esc(g["achieved"]) or DASH)]
        for i, g in enumerate(detail.goals.to_dict("records"), 1)
    ]
    return _table(["序号", "预期目标", "实际完成情况"], rows, caption=caption)


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


def _level_cells(ind: pd.DataFrame) -> list[list[str]]:
    """The 一级 / 二级 cells of each row, with row spans (an empty list where covered)."""
    l1 = ind["level1"].tolist()
    l2 = list(zip(l1, ind["level2"].tolist(), strict=True))
    span1, span2 = _spans(l1), _spans(l2)
    cells = []
    for i in range(len(ind)):
        row = []
        if span1[i]:
            row.append(_td(esc(l1[i]), rowspan=span1[i]))
        if span2[i]:
            row.append(_td(esc(l2[i][1]), rowspan=span2[i]))
        cells.append(row)
    return cells


def _notation(text: str, value: float) -> str:
    """A 年度指标值 / 实际完成值 cell: a number ("≥120个") stays on one line, prose may wrap."""
    return _td(esc(text), cls="" if _missing(value) else "pk-nowrap")


def _completion(row: dict[str, Any], labels: dict[str, str]) -> str:
    """The completion cell: a rate (kept on one line), or the qualitative tier (may wrap)."""
    if not _missing(row.get("completion")):
        return _n(rate(row["completion"]))
    tier = row.get("tier") or ""
    return _td(esc(labels.get(tier, DASH)) if tier else DASH)


def indicator_table(detail: UnitDetail, caption: str) -> str:
    """The indicators with completion, weight, score and the rule applied."""
    ind = _grouped(detail.indicators)
    labels = {t.key: t.label for t in detail.rulebook.tiers}
    head = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "完成率", "分值",
            "得分", "计分说明"]  # fmt: skip
    rows = [
        [*levels, _td(esc(r["level3"])), _notation(r["target"], r["target_value"]),
         _notation(r["actual"], r["actual_value"]), _completion(r, labels), _n(num(r["weight"])),
         _n(points(r["score"])), _td(esc(r["rule_text"]))]
        for levels, r in zip(_level_cells(ind), ind.to_dict("records"), strict=True)
    ]  # fmt: skip
    return _table(head, rows, caption=caption, cls="pk-indicators")


def _indicator_sentences(detail: UnitDetail) -> str:
    ind = detail.indicators
    if ind.empty:
        return _p("本单位未设置绩效指标。")
    rule = ind["rule"].astype(str)
    unverifiable = rule.str.startswith("unverifiable")
    qualitative = rule.str.startswith("qualitative")
    met = int(ind["met"].sum())
    missed = len(ind) - met - int(unverifiable.sum())
    first = (
        f"本单位共设置绩效指标 {len(ind)} 个，分值合计 {num(ind['weight'].sum())} 分，其中定量指标 "
        f"{int((~qualitative & ~unverifiable).sum())} 个、定性指标 {int(qualitative.sum())} 个；"
        f"达到年度指标值的 {met} 个，未达到的 {missed} 个"
        + (f"，无法核实的 {int(unverifiable.sum())} 个" if unverifiable.any() else "")
        + "。"
    )
    parts = score_parts(detail).iloc[1:]
    by_level = "，".join(
        f"{esc(r.part)}得 {points(r.score)} 分（分值 {num(r.weight)} 分）"
        for r in parts.itertuples()
    )
    how = str(detail.summary.get("indicator_rule_text") or "")
    how = f"（{esc(how)}）" if how else ""
    second = f"绩效指标得分 {points(detail.summary['indicator_score'])} 分{how}，其中{by_level}。"
    return _p(first) + _p(second)


def performance_section(detail: UnitDetail) -> str:
    """二、部门（单位）整体支出绩效实现情况: the narrative, the figures in sentences, the goals and
    indicator tables, the result; ends with the heading of the charts that follow."""
    n = detail.narrative
    s = detail.summary
    result = (
        f"综合预算执行和绩效指标完成情况，本单位 {detail.year} 年度部门整体支出绩效自评总分 "
        f"{points(s['total'])} 分（预算执行率得分 {points(s['execution_score'])} 分，绩效指标得分 "
        f"{points(s['indicator_score'])} 分），自评等级为“{esc(s['grade'])}”。"
        f"等级标准：{_grade_bands(detail.rulebook)}。"
    )
    return _block(
        _h2("s2"),
        _narrative(n.preamble) if n else "",
        _narrative(n.achievements) if n else "",
        "<h3>（一）预算执行情况</h3>", _execution_paragraphs(detail),
        "<h3>（二）年度总体目标完成情况</h3>", goals_table(detail, "表4 年度总体目标完成情况"),
        "<h3>（三）绩效指标完成情况</h3>", _indicator_sentences(detail),
        indicator_table(detail, "表5 绩效指标完成情况"),
        "<h3>（四）自评结果</h3>", _p(result),
        "<h3>（五）绩效情况图示</h3>",
        cls="pk-section",
    )  # fmt: skip


def _finding_groups(findings: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """(group title, messages) in the order of ``FINDING_GROUPS``; unknown kinds last."""
    known = {k for _, kinds in FINDING_GROUPS for k in kinds}
    groups = [(title, findings[findings["kind"].isin(kinds)]) for title, kinds in FINDING_GROUPS]
    groups.append(("其他方面", findings[~findings["kind"].isin(known)]))
    return [(title, rows["message"].astype(str).tolist()) for title, rows in groups if len(rows)]


def default_measures(kinds: Iterable[str]) -> list[str]:
    """改进措施 for the kinds of findings present, then the closing one (as the seed ends)."""
    present = set(kinds)
    chosen = [text for ks, text in DEFAULT_MEASURES if present.intersection(ks)]
    return [*chosen, CLOSING_MEASURE]


def problems_section(detail: UnitDetail) -> str:
    """三、存在问题及改进措施: every finding as a sentence, grouped by kind, the unit's own
    problems, and its measures (or default measures fitted to the findings)."""
    n = detail.narrative
    parts = [_h2("s3"), "<h3>存在问题</h3>"]
    groups = _finding_groups(detail.findings)
    if groups:
        parts.append(_p("经对自评数据逐项核查，发现以下问题："))
    for i, (title, messages) in enumerate(groups, 1):
        items = "".join(f"<li>{esc(m)}</li>" for m in messages)
        parts.append(f'<h4>{_numbered(i)}{title}</h4><ol class="pk-findings">{items}</ol>')
    own = _narrative(n.problems) if n else ""
    if own:
        parts.append(f"<h4>{_numbered(len(groups) + 1)}单位自评说明的问题</h4>{own}")
    if not groups and not own:
        parts.append(
            _p("经对自评数据逐项核查，本单位预算执行和绩效目标完成情况总体良好，未发现明显问题。")
        )
    parts.append("<h3>改进措施</h3>")
    measures = _narrative(n.measures) if n else ""
    parts.append(measures or _p(_first_second(default_measures(detail.findings["kind"]))))
    return _block(*parts, cls="pk-section")


def disclosure_section(detail: UnitDetail) -> str:
    """四、绩效自评结果拟应用和公开情况: the narrative, or the default paragraph."""
    n = detail.narrative
    text = _narrative(n.disclosure) if n else ""
    default = (
        f"按照有关要求，本单位 {detail.year} 年度部门整体支出绩效自评结果将依法予以公开，"
        "并作为改进预算管理、安排以后年度预算的重要参考。"
    )
    return _block(_h2("s4"), text or _p(default), cls="pk-section")


def _funding_rows(detail: UnitDetail) -> list[list[str]]:
    s, book = detail.summary, detail.rulebook

    def amounts(r: dict[str, Any]) -> list[str]:
        return [_n(money(r["initial_budget"])), _n(money(r["adjusted_budget"])),
                _n(money(r["executed"]))]  # fmt: skip

    rows = [[
        _td("年度资金总额", colspan=2), *amounts(s), _n(num(book.execution_weight)),
        _n(rate(s["execution_rate"])), _n(points(s["execution_score"])),
    ]]  # fmt: skip
    parts: tuple[tuple[BudgetColumn, str], ...] = (
        ("fund_source", "按资金来源"),
        ("expense_type", "按支出类型"),
    )
    for column, label in parts:
        groups = _budget_groups(detail, column).to_dict("records")
        for i, r in enumerate(groups):
            head = [_td(label, rowspan=len(groups))] if i == 0 else []
            rows.append([
                *head, _td(esc(r[column]) or DASH), *amounts(r), _n(DASH),
                _n(rate(r["execution_rate"])), _n(DASH),
            ])  # fmt: skip
    return rows


def appendix_table(detail: UnitDetail) -> str:
    """附表 部门整体支出绩效自评表, in the standard layout (funding block, 年度总体目标,
    indicators with 一级/二级 merged, total and grade)."""
    s = detail.summary
    info = _table(
        [],
        [[_td("单位名称", th=True), _td(esc(detail.unit_name)), _td("主管部门", th=True),
          _td(esc(s.get("department")) or DASH)]],
        cls="pk-form",
    )  # fmt: skip
    funding_head = [
        _td("资金（万元）", colspan=2, th=True),
        *(
            _td(h, th=True)
            for h in ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
        ),
    ]
    funding = _table([], [funding_head, *_funding_rows(detail)], cls="pk-form")
    goal_rows = [
        [_td(esc(g["expected"])), _td(esc(g["achieved"]) or DASH)]
        for g in detail.goals.to_dict("records")
    ] or [[_td(DASH), _td(DASH)]]
    goal_head = [_td("年度总体目标", th=True, rowspan=len(goal_rows) + 1),
                 _td("预期目标", th=True), _td("实际完成情况", th=True)]  # fmt: skip
    goals = _table([], [goal_head, *goal_rows], cls="pk-form")
    ind = _grouped(detail.indicators)
    rows = [
        [*levels, _td(esc(r["level3"])), _td(esc(r["target"])), _td(esc(r["actual"])),
         _n(num(r["weight"])), _n(points(r["score"])),
         _td(esc(r.get("deviation_reason")))]
        for levels, r in zip(_level_cells(ind), ind.to_dict("records"), strict=True)
    ]  # fmt: skip
    book = detail.rulebook
    rescaled = bool(s.get("indicator_rule_text")) and book.rescale
    # rescaled weights (issue 8 §2): the total is out of the rulebook's 100, and says so
    indicator_weight = book.indicator_total if rescaled else float(s["indicator_weight"])
    total_weight = book.execution_weight + indicator_weight
    note = "（指标得分已按指标总分折算）" if rescaled else ""
    rows.append([
        _td("总分", colspan=5, th=True), _n(num(total_weight)),
        _n(points(s["total"])), _td(f"自评等级：{esc(s['grade'])}{note}"),
    ])  # fmt: skip
    indicators = _table(
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
         "偏差原因分析及改进措施"],
        rows,
        cls="pk-form pk-indicators",
    )  # fmt: skip
    title = f'<h2 id="pk-appendix">{SECTIONS["appendix"]}</h2>'
    sub = _p(f"（{detail.year}年度）", "pk-center")
    return _block(title, sub, info, funding, goals, indicators, cls="pk-section pk-appendix")


# ---------------------------------------------------------------------------------------------
# the index page


def overview_page_title(ov: Overview) -> str:
    """ "{年度}年度 部门（单位）整体支出绩效自评 汇总"."""
    return f"{ov.year}年度 部门（单位）整体支出绩效自评 汇总"


def overview_title(ov: Overview) -> str:
    """The index page's title and its figures in two sentences."""
    units = ov.units
    counts = units["grade"].value_counts()
    grades = "、".join(f"{esc(g.name)} {int(counts.get(g.name, 0))} 个" for g in ov.rulebook.grades)
    budget, executed = float(units["adjusted_budget"].sum()), float(units["executed"].sum())
    overall = rate(executed / budget) if budget else DASH
    low = int((units["execution_rate"].round(9) < ov.rulebook.low_execution).sum())
    text = (
        f"{ov.year}年度共有 {len(units)} 个单位开展部门整体支出绩效自评，平均总分 "
        f"{points(units['total'].mean())} 分，其中{grades}。全部单位合计全年预算数 {wan(budget)}，"
        f"执行 {wan(executed)}，总体预算执行率 {overall}；预算执行率低于 "
        f"{num(ov.rulebook.low_execution * 100)}% 的单位 {low} 个。"
    )
    return _block(f"<h1>{esc(overview_page_title(ov))}</h1>", _p(text), cls="pk-title")


def _href(unit_code: str, given: str) -> str | None:
    """The link to a unit's report: the status file's href when it is a local relative path,
    else "<单位编码>.html"; None when the given href points anywhere else."""
    if not given:
        return quote(f"{unit_code}.html")
    parts = urlsplit(given)
    if parts.scheme or parts.netloc or given.startswith(("/", "\\")):
        return None
    return given


def ranking_table(ov: Overview) -> str:
    """Every unit ranked by total (ties share a rank), linked to its report."""
    status = {s.unit_code: s for s in ov.status}
    units = ov.units.sort_values(["total", "unit_code"], ascending=[False, True], kind="stable")
    ranks = units["total"].rank(method="min", ascending=False).astype(int)
    rows = []
    for rank, r in zip(ranks, units.to_dict("records"), strict=True):
        entry = status.get(str(r["unit_code"]))
        failed = entry is not None and entry.status != "ok"
        # With a status file, only the reports this run produced are linked: a unit left out
        # of the run has no report here (or an old one that no longer matches the figures).
        absent = bool(ov.status) and entry is None
        href = None if failed or absent else _href(str(r["unit_code"]), entry.href if entry else "")
        name = esc(r["unit_name"])
        link = f'<a href="{esc(href)}">{name}</a>' if href else name
        note = "报告生成失败" if failed else "本次未生成" if absent else "已生成" if entry else ""
        rows.append([
            _n(str(rank)), _td(esc(r["unit_code"]), cls="pk-nowrap"), _td(link),
            _n(money(r["adjusted_budget"])), _n(rate(r["execution_rate"])),
            _n(points(r["execution_score"])), _n(points(r["indicator_score"])),
            _n(points(r["total"])), _td(esc(r["grade"])),
            _n(str(int(r["n_findings"]))), *([_td(note)] if ov.status else []),
        ])  # fmt: skip
    head = ["排名", "单位编码", "单位名称", "全年预算数（万元）", "预算执行率", "执行率得分",
            "指标得分", "总分", "等级", "问题数", *(["报告状态"] if ov.status else [])]  # fmt: skip
    return _block(
        '<h2 id="pk-ranking">一、自评结果排名</h2>',
        _table(head, rows, caption="表1 各单位自评得分及等级"),
        cls="pk-section",
    )


def failed_units(ov: Overview) -> str:
    """The units whose report could not be produced, with the reason ("" when none failed)."""
    failed = [s for s in ov.status if s.status != "ok"]
    if not failed:
        return ""
    names = dict(zip(ov.units["unit_code"], ov.units["unit_name"], strict=True))
    rows = [
        [_td(esc(s.unit_code), cls="pk-nowrap"),
         _td(esc(s.unit_name or names.get(s.unit_code, ""))),
         _td(f'<pre class="pk-error">{esc(s.error) or "未知错误"}</pre>')]
        for s in failed
    ]  # fmt: skip
    text = f"以下 {len(failed)} 个单位的报告未能生成，请根据错误信息修正数据后重新生成："
    return _block(
        '<h2 id="pk-failed">未能生成报告的单位</h2>', _p(text),
        _table(["单位编码", "单位名称", "错误信息"], rows), cls="pk-section pk-failures",
    )  # fmt: skip


def findings_summary(ov: Overview) -> str:
    """Findings counted by kind: how many units and how many findings."""
    f = ov.findings
    parts = ['<h2 id="pk-findings">三、存在问题汇总</h2>']
    if f.empty:
        parts.append(_p("经核查，各单位均未发现问题。"))
        return _block(*parts, cls="pk-section")
    kinds = [k for k in KIND_LABELS if k in set(f["kind"])]
    kinds += sorted(set(f["kind"]) - set(kinds))
    rows = [
        [_td(esc(KIND_LABELS.get(k, k))), _n(str(f.loc[f["kind"] == k, "unit_code"].nunique())),
         _n(str(int((f["kind"] == k).sum())))]
        for k in kinds
    ]  # fmt: skip
    parts.append(_p(f"各单位共发现问题 {len(f)} 个，涉及 {f['unit_code'].nunique()} 个单位。"))
    parts.append(_table(["问题类型", "涉及单位数", "问题数"], rows, caption="表2 问题类型统计"))
    return _block(*parts, cls="pk-section")


def overview_charts_heading() -> str:
    return _block('<h2 id="pk-charts">二、图表分析</h2>', cls="pk-section")


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


_CSS = """
.pk{font-family:"Noto Sans CJK SC","Source Han Sans SC","Source Han Sans CN","PingFang SC",
"Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;color:#1a1a1a;line-height:1.75;
font-size:15px;max-width:190mm;margin:0 auto;overflow-wrap:anywhere}
.pk-nowrap{white-space:nowrap}
.pk h1{font-size:1.6em;text-align:center;margin:.6em 0 .3em;line-height:1.4}
.pk h2{font-size:1.25em;margin:1.4em 0 .5em;border-bottom:1px solid #bfbfbf;padding-bottom:.2em}
.pk h3{font-size:1.08em;margin:1em 0 .4em}
.pk h4{font-size:1em;margin:.8em 0 .3em}
.pk p{margin:.4em 0;text-indent:0}
.pk-section>p,.pk-narrative p{text-indent:2em}
.pk-meta,.pk-center{text-align:center;color:#404040}
.pk-banner{border:1px solid #c9a227;background:#fff8e1;color:#5c4300;padding:.5em 1em;
text-align:center;font-weight:bold}
.pk-table{border-collapse:collapse;width:100%;margin:.6em 0 1em;font-size:.88em}
.pk-table caption{caption-side:top;font-weight:bold;padding:.3em 0;text-align:center}
.pk-table th,.pk-table td{border:1px solid #8c8c8c;padding:.3em .45em;vertical-align:middle;
text-align:left}
.pk-table th{background:#f2f2f2;font-weight:bold;text-align:center}
.pk-table td.pk-num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.pk-total-last tbody tr:last-child td{font-weight:bold;background:#fafafa}
.pk-scorecard td{text-align:center;font-size:1.25em;font-weight:bold}
.pk-form{margin:0;border-top:none}
.pk-form+.pk-form{margin-top:-1px}
.pk-appendix .pk-form:last-child{margin-bottom:1em}
.pk-findings{margin:.2em 0 .6em 1.5em;padding:0}
.pk-toc{border:1px solid #d9d9d9;padding:.6em 1.2em;margin:1em 0}
.pk-toc-title{font-weight:bold;text-align:center}
.pk-toc ul{list-style:none;margin:0;padding-left:0}
.pk-toc ul ul{padding-left:2em}
.pk-toc a{color:#1f4e79;text-decoration:none}
.pk-figcaption{text-align:center;font-weight:bold;margin:1em 0 .2em}
.pk-error{white-space:pre-wrap;margin:0;font-size:.9em}
.pk-footer{margin-top:2em;border-top:1px solid #bfbfbf;padding-top:.5em;color:#595959;
font-size:.82em}
.pk-footer span{margin-right:1.5em;white-space:nowrap}
@media print{
.pk{max-width:none;font-size:10.5pt}
.pk-table{font-size:9pt}
.pk-table thead{display:table-header-group}
.pk-table tr{break-inside:avoid;page-break-inside:avoid}
.pk h2,.pk h3,.pk h4,.pk-figcaption{break-after:avoid;page-break-after:avoid}
.pk-toc a{color:inherit}
}
"""
