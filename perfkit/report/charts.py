"""The report's charts: one function per chart, each returning a matplotlib ``Figure``.

Figures are built with ``matplotlib.figure.Figure`` (not pyplot), so that a notebook shows each
exactly once, where it is displayed; the inline backend embeds them as PNG. The style is sober
(white background, one blue, a muted red for what falls short, grey reference lines) and every
figure is 16 cm wide, the text width of an A4 page with 2.5 cm margins. Labels are Chinese, drawn
with Noto Sans CJK SC (:mod:`perfkit.report.fonts`); user text is never parsed as mathtext.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import ParamSpec

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from perfkit.report.fonts import FAMILY, use_cjk_font

#: 16 cm, the text width of A4 (21 cm) with 2.5 cm margins
WIDTH = 16 / 2.54
DPI = 150
PRIMARY = "#1f4e79"
ALERT = "#b85450"
REFERENCE = "#595959"
LIGHT = "#d9d9d9"
#: colours of the grades, best first
GRADE_COLOURS = ("#1f4e79", "#5b8db8", "#d9a441", "#b85450")
#: bars beyond this many are left out of the bar charts (the lowest rates are kept)
MAX_BARS = 30
LABEL_WIDTH = 14
#: above this many points a scatter is drawn dense: small translucent dots, rasterised even in a
#: vector figure, and only the outliers named (a year of 10,000 units, 50,000 projects)
MANY_POINTS = 1000
#: in a dense scatter of units, how many of the lowest totals are named
OUTLIERS = 5

P = ParamSpec("P")


def _rc() -> dict[str, object]:
    return {
        **sns.axes_style("whitegrid"),
        **sns.plotting_context("paper", font_scale=1.0),
        "font.family": [FAMILY],
        "axes.unicode_minus": False,
        "text.parse_math": False,
        "text.usetex": False,
        "axes.edgecolor": "#BFBFBF",
        "grid.color": "#E6E6E6",
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
    }


def _styled(func: Callable[P, Figure]) -> Callable[P, Figure]:
    """Run a chart function with the CJK font and the report's style in effect."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        use_cjk_font()
        with mpl.rc_context(_rc()):
            return func(*args, **kwargs)

    return wrapper


def _figure(height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


def _legend(fig: Figure, handles: Sequence[Artist], title: str | None = None) -> None:
    """The legend below the plot, in one row, so that it never covers a bar or a point."""
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        frameon=False,
        fontsize=8,
        title=title,
        title_fontsize=8,
    )


def _bar_height(n: int) -> float:
    return max(2.4, 1.0 + 0.34 * n)


def wrap_label(text: object, width: int = LABEL_WIDTH, lines: int = 2) -> str:
    """A label broken every ``width`` characters, at most ``lines`` lines (then "…")."""
    text = str(text)
    parts = [text[i : i + width] for i in range(0, len(text), width)] or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][:-1] + "…"
    return "\n".join(parts)


def _unique_labels(texts: Sequence[object]) -> list[str]:
    """Wrapped labels, made unique (seaborn keys bars by label) with a numeric suffix."""
    seen: dict[str, int] = {}
    out = []
    for text in texts:
        label = wrap_label(text)
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}（{seen[label]}）")
    return out


def _max(values: Sequence[float], default: float) -> float:
    return max((float(v) for v in values), default=default)


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def _status_bars(ax: Axes, plot: pd.DataFrame, x: str, palette: Mapping[str, str]) -> None:
    """Horizontal bars of ``plot[x]`` per ``label``, coloured by ``status`` (met / not met)."""
    sns.barplot(
        plot,
        x=x,
        y="label",
        hue="status",
        palette=palette,
        order=plot["label"].tolist(),
        orient="h",
        dodge=False,
        ax=ax,
        legend=False,
        width=0.6,
        saturation=1,
        errorbar=None,
    )


@_styled
def execution_by_item(items: pd.DataFrame, threshold: float = 0.9) -> Figure:
    """预算执行率 by budget item (``item``, ``execution_rate`` as a fraction) against ``threshold``.

    Items without a rate (全年预算数 0) are left out; beyond ``MAX_BARS`` items, the lowest rates.
    """
    data = items.dropna(subset=["execution_rate"]).sort_values("execution_rate", kind="stable")
    title = "各项目预算执行率"
    if len(data) > MAX_BARS:
        data = data.head(MAX_BARS)
        title += f"（执行率最低的 {MAX_BARS} 个项目）"
    line = f"{threshold * 100:g}%"
    plot = pd.DataFrame(
        {
            "label": _unique_labels(data["item"].tolist()),
            "rate": data["execution_rate"].to_numpy() * 100,
            "status": [
                f"低于 {line}" if r < threshold else f"达到 {line}" for r in data["execution_rate"]
            ],
        }
    )
    fig, ax = _figure(_bar_height(len(plot)))
    palette = {f"低于 {line}": ALERT, f"达到 {line}": PRIMARY}
    _status_bars(ax, plot, "rate", palette)
    for i, rate in enumerate(plot["rate"]):
        ax.text(rate + 1, i, _pct(rate), va="center", fontsize=8)
    ax.axvline(threshold * 100, color=REFERENCE, linestyle="--", linewidth=1)
    upper = max(110.0, _max(plot["rate"], 0) + 18)
    ax.set_xlim(0, upper)
    ax.set(title=title, xlabel="预算执行率（%）", ylabel="")
    handles = [Patch(color=c, label=k) for k, c in palette.items() if k in set(plot["status"])]
    handles.append(Line2D([], [], color=REFERENCE, linestyle="--", label=f"{line} 基准线"))
    _legend(fig, handles)
    return fig


@_styled
def monthly_progress(progress: pd.DataFrame) -> Figure:
    """Cumulative execution against time progress (序时进度 = 月份 / 12), month by month.

    ``progress`` (:func:`perfkit.scoring.metrics.time_progress`) has ``month`` (1–12),
    ``cumulative_rate`` (cumulative executed / 全年预算数) and ``progress`` (month / 12), all
    rates as fractions.
    """
    data = progress.sort_values("month")
    fig, ax = _figure(3.4)
    months = data["month"].to_numpy()
    sns.lineplot(
        x=months,
        y=data["cumulative_rate"].to_numpy() * 100,
        marker="o",
        color=PRIMARY,
        label="累计执行进度",
        ax=ax,
    )
    sns.lineplot(
        x=months,
        y=data["progress"].to_numpy() * 100,
        color=REFERENCE,
        linestyle="--",
        label="序时进度",
        ax=ax,
    )
    last = data.iloc[-1]
    ax.annotate(
        _pct(last["cumulative_rate"] * 100),
        (last["month"], last["cumulative_rate"] * 100),
        textcoords="offset points",
        xytext=(0, 8),
        ha="center",
        fontsize=8,
    )
    ax.set_xticks(range(1, 13), [f"{m}月" for m in range(1, 13)])
    ax.set_xlim(0.5, 12.5)
    top = max(105.0, float(data["cumulative_rate"].max()) * 100 + 10)
    ax.set_ylim(0, top)
    ax.set(title="月度累计执行进度与序时进度", xlabel="", ylabel="占全年预算数比例（%）")
    handles, _ = ax.get_legend_handles_labels()
    ax.get_legend().remove()
    _legend(fig, handles)
    return fig


@_styled
def indicator_completion(indicators: pd.DataFrame, cap: float = 1.5) -> Figure:
    """Completion (实际完成值 / 年度指标值) of each quantitative indicator against 100%.

    Uses ``level3``, ``completion`` (a fraction; NaN for qualitative indicators, which are left
    out) and ``met``. Bars are drawn at most at ``cap``; the label always gives the true value.
    """
    data = indicators.dropna(subset=["completion"])
    title = "定量指标完成率"
    if len(data) > MAX_BARS:
        data = data.sort_values("completion", kind="stable").head(MAX_BARS)
        title += f"（完成率最低的 {MAX_BARS} 个指标）"
    rates = data["completion"].to_numpy() * 100
    plot = pd.DataFrame(
        {
            "label": _unique_labels(data["level3"].tolist()),
            "shown": [min(r, cap * 100) for r in rates],
            "status": ["达到年度指标值" if m else "未达到年度指标值" for m in data["met"]],
        }
    )
    palette = {"达到年度指标值": PRIMARY, "未达到年度指标值": ALERT}
    fig, ax = _figure(_bar_height(len(plot)))
    _status_bars(ax, plot, "shown", palette)
    for i, (rate, shown) in enumerate(zip(rates, plot["shown"], strict=True)):
        ax.text(
            shown + 1, i, _pct(rate) + (" ▶" if rate > cap * 100 else ""), va="center", fontsize=8
        )
    ax.axvline(100, color=REFERENCE, linestyle="--", linewidth=1)
    ax.set_xlim(0, cap * 100 + 30)
    if (rates > cap * 100).any():
        title += f"（超过 {cap * 100:g}% 的按 {cap * 100:g}% 绘制）"
    ax.set(title=title, xlabel="实际完成值 / 年度指标值（%）", ylabel="")
    handles = [Patch(color=c, label=k) for k, c in palette.items() if k in set(plot["status"])]
    handles.append(Line2D([], [], color=REFERENCE, linestyle="--", label="100%"))
    _legend(fig, handles)
    return fig


@_styled
def score_by_level1(parts: pd.DataFrame) -> Figure:
    """Score of each part (预算执行, then each 一级指标) against its maximum.

    ``parts`` has ``part`` (label), ``weight`` (分值) and ``score`` (得分), in display order.
    """
    labels = _unique_labels(parts["part"].tolist())
    fig, ax = _figure(_bar_height(len(parts)))
    order = list(labels)
    # the 分值 bar behind, the 得分 bar drawn over it
    for column, colour in (("weight", LIGHT), ("score", PRIMARY)):
        sns.barplot(
            x=parts[column].to_numpy(),
            y=labels,
            order=order,
            color=colour,
            orient="h",
            ax=ax,
            width=0.6,
            saturation=1,
            errorbar=None,
        )
    top = _max(parts["weight"], 0)
    for i, (score, weight) in enumerate(zip(parts["score"], parts["weight"], strict=True)):
        ax.text(weight + top * 0.02, i, f"{score:.2f} / {weight:g} 分", va="center", fontsize=8)
    ax.set_xlim(0, top * 1.3 if top > 0 else 1)
    ax.set(title="各部分得分与分值", xlabel="分", ylabel="")
    _legend(fig, [Patch(color=PRIMARY, label="得分"), Patch(color=LIGHT, label="分值")])
    return fig


@_styled
def grade_distribution(units: pd.DataFrame, grades: Sequence[str]) -> Figure:
    """Number of units per 自评等级 (``grade``), in the rulebook's order (best first)."""
    counts = units["grade"].value_counts().reindex(list(grades), fill_value=0)
    fig, ax = _figure(3.0)
    palette = dict(zip(grades, _grade_colours(len(grades)), strict=True))
    sns.barplot(
        x=list(counts.index),
        y=counts.to_numpy(),
        hue=list(counts.index),
        palette=palette,
        order=list(grades),
        ax=ax,
        legend=False,
        width=0.5,
        saturation=1,
        errorbar=None,
    )
    for i, n in enumerate(counts):
        ax.text(i, n, f"{n}", ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, max(1, int(counts.max())) * 1.2)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set(title="自评等级分布", xlabel="自评等级", ylabel="单位数")
    return fig


def _grade_colours(n: int) -> list[str]:
    if n <= len(GRADE_COLOURS):
        return list(GRADE_COLOURS[:n])
    return [str(c) for c in sns.color_palette("Blues_r", n).as_hex()]


#: where a point's label may go, in points from the point, tried in this order
_LABEL_OFFSETS = ((4, 3), (4, -9), (-4, 3), (-4, -9), (8, 10), (8, -16), (-8, 10), (-8, -16))


def place_labels(ax: Axes, xs: np.ndarray, ys: np.ndarray, labels: Sequence[str]) -> list[Text]:
    """Name each point without two names overlapping each other or a point: each label takes the
    first of a few positions around its point that is free; a label with no free position is
    left out (the unit is still in the ranking table). Returns the labels drawn.

    ``labels`` name the first ``len(labels)`` points; the points after them are obstacles only
    (a dense scatter names a few outliers among thousands of points)."""
    fig = ax.figure
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.draw_without_rendering()  # lay the figure out first: positions are final from here
    renderer = fig.canvas.get_renderer()
    points = ax.transData.transform(np.column_stack([xs, ys])) if len(xs) else np.empty((0, 2))
    pad = 3.0
    # every point's box, as arrays (Bbox.overlaps, vectorised: edges touching count)
    x0, y0 = points[:, 0] - pad, points[:, 1] - pad
    x1, y1 = points[:, 0] + pad, points[:, 1] + pad
    taken: list[Bbox] = []
    inside = ax.get_window_extent(renderer)
    drawn: list[Text] = []
    order = sorted(range(len(labels)), key=lambda i: -ys[i])  # from the top down
    for x, y, label in ((xs[i], ys[i], labels[i]) for i in order):
        for dx, dy in _LABEL_OFFSETS:
            text = ax.annotate(
                label,
                (x, y),
                textcoords="offset points",
                xytext=(dx, dy),
                ha="left" if dx > 0 else "right",
                fontsize=7,
                # a label away from its point is tied to it by a thin line
                arrowprops=(
                    {"arrowstyle": "-", "color": "#8c8c8c", "linewidth": 0.5, "shrinkA": 0}
                    if abs(dy) > 9
                    else None
                ),
            )
            text.set_in_layout(False)  # the layout stays as measured
            box = text.get_window_extent(renderer)
            fits = box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0
            if fits and box.y1 <= inside.y1 and not _hits(box, x0, y0, x1, y1, taken):
                taken.append(box)
                drawn.append(text)
                break
            text.remove()
    return drawn


def _hits(
    box: Bbox, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, taken: list[Bbox]
) -> bool:
    """Whether ``box`` overlaps a point's box or a label already placed."""
    bx0, bx1 = sorted((box.x0, box.x1))
    by0, by1 = sorted((box.y0, box.y1))
    if np.any((bx0 <= x1) & (x0 <= bx1) & (by0 <= y1) & (y0 <= by1)):
        return True
    return any(box.overlaps(t) for t in taken)


@_styled
def execution_vs_score(
    units: pd.DataFrame,
    grades: Sequence[str],
    threshold: float = 0.9,
    names: int = 15,
    dense: bool | None = None,
) -> Figure:
    """Each unit's 预算执行率 (``execution_rate``) against its 总分 (``total``), by ``grade``.

    Units are named on the chart when there are at most ``names`` of them. Beyond
    :data:`MANY_POINTS` points (or with ``dense``), the points are small translucent dots drawn
    as a raster image (so that a vector figure stays small) and, unless ``names`` is 0, only the
    :data:`OUTLIERS` lowest totals are named.
    """
    data = units.dropna(subset=["execution_rate", "total"])
    if dense is None:
        dense = len(data) > MANY_POINTS
    fig, ax = _figure(4.2)
    palette = dict(zip(grades, _grade_colours(len(grades)), strict=True))
    x = data["execution_rate"].to_numpy() * 100
    y = data["total"].to_numpy(float)
    if dense:
        handles = _dense_points(ax, x, y, data["grade"].to_numpy(), palette)
    else:
        sns.scatterplot(
            x=x,
            y=data["total"].to_numpy(),
            hue=data["grade"].to_numpy(),
            hue_order=list(grades),
            palette=palette,
            s=40,
            ax=ax,
        )
    ax.axvline(threshold * 100, color=REFERENCE, linestyle="--", linewidth=1)
    low = float(x.min()) if len(x) else 100.0
    left = min(low - 5, threshold * 100 - 5)
    ax.set_xlim(max(0.0, math.floor(left)), max(105.0, (float(x.max()) if len(x) else 0) + 5))
    title = "预算执行率与自评总分"
    if dense:
        title += f"（{len(data)} 个点" + ("，标注总分最低的单位" if names else "") + "）"
    ax.set(title=title, xlabel="预算执行率（%）", ylabel="自评总分（分）")
    if not dense:
        handles, _ = ax.get_legend_handles_labels()
        ax.get_legend().remove()
    _legend(fig, handles, title="自评等级")
    if not dense and len(data) <= names:  # last: the labels are placed in the final layout
        labels = [wrap_label(name, 10, 1) for name in data["unit_name"]]
        place_labels(ax, x, y, labels)
    elif dense and names:
        # the lowest totals (ties: the lower execution rate); the cloud of dots is no obstacle
        # (a name over translucent dots reads, and among thousands no place would be free)
        low = np.lexsort((x, y))[:OUTLIERS]
        if len(low):  # room below the lowest point for its name
            ax.set_ylim(bottom=math.floor(float(y[low[0]])) - 6)
        labels = [wrap_label(data["unit_name"].iloc[i], 10, 1) for i in low]
        place_labels(ax, x[low], y[low], labels)
    return fig


def _dense_points(
    ax: Axes, x: np.ndarray, y: np.ndarray, grade: np.ndarray, palette: Mapping[str, str]
) -> list[Artist]:
    """Thousands of points as small translucent dots, one colour per grade (rasterised: a
    vector figure embeds them as one image); returns the legend's handles, opaque."""
    handles: list[Artist] = []
    for name, colour in palette.items():
        mine = grade == name
        if not mine.any():
            continue
        ax.scatter(x[mine], y[mine], s=3, alpha=0.35, linewidths=0, color=colour, rasterized=True)
        handles.append(
            Line2D([], [], marker="o", linestyle="", color=colour, markersize=5, label=name)
        )
    return handles


@_styled
def findings_by_kind_unit(
    findings: pd.DataFrame, unit_names: Mapping[str, str], kind_labels: Mapping[str, str]
) -> Figure:
    """Number of findings per unit (rows) and kind (columns), as an annotated heat map.

    ``kind_labels`` gives the column order and short labels; empty cells are left blank. Beyond
    ``MAX_BARS`` units, the units with the most findings.
    """
    table = pd.crosstab(findings["unit_code"], findings["kind"])
    kinds = [k for k in kind_labels if k in table.columns]
    kinds += [k for k in table.columns if k not in kinds]
    table = table[kinds]
    title = "各单位问题数（按类型）"
    order = table.sum(axis=1).sort_values(ascending=False, kind="stable")
    if len(order) > MAX_BARS:
        title += f"（问题最多的 {MAX_BARS} 个单位）"
    table = table.loc[order.index[:MAX_BARS]]
    names = [unit_names.get(code, code) for code in table.index]
    table.index = [wrap_label(name, 18, 1) for name in names]
    table.columns = [wrap_label(kind_labels.get(k, k), 5) for k in table.columns]
    counts = table.to_numpy()
    fig, ax = _figure(max(2.6, 1.4 + 0.3 * len(table)))
    sns.heatmap(
        table,
        annot=[[str(n) if n else "" for n in row] for row in counts],
        fmt="",
        cmap="Blues",
        vmin=0,
        cbar=False,
        linewidths=0.5,
        linecolor="#d9d9d9",
        ax=ax,
        annot_kws={"fontsize": 8},
    )
    ax.set(title=title, xlabel="", ylabel="")
    ax.tick_params(axis="x", labelrotation=0)
    ax.tick_params(axis="y", labelrotation=0)
    return fig
