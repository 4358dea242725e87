"""The report's charts: one function per chart, each returning a matplotlib ``Figure``.

Figures are built with ``matplotlib.figure.Figure`` (not pyplot), so that a notebook shows each
exactly once, where it is displayed. The style is sober (white background, one blue, a muted red
for what falls short, grey reference lines) and every figure is 16 cm wide, the text width of an
A4 page with 2.5 cm margins. Labels are Chinese, drawn with Noto Sans CJK SC
(:mod:`perfkit.report.fonts`); user text is never parsed as mathtext.

Two ways out (issue 12), chosen per chart by :class:`perfkit.report.parts.Chart`:

- the unit and project reports' charts (:func:`execution_by_item`, :func:`monthly_progress`,
  :func:`indicator_completion`, :func:`score_by_level1`) are drawn with plain matplotlib on fixed
  margins worked out from their labels' widths (:func:`text_width`: no constrained layout, no
  seaborn, one drawing pass) and written by :func:`to_svg` as SVG whose text stays text
  (``svg.fonttype = "none"``), inlined in the page, where the page's embedded subset of the same
  font draws it: crisp on screen and in print, a few KB per chart, no PNG encoding;
- the overview charts keep constrained layout and are shown as PNG.
"""

from __future__ import annotations

import functools
import html
import io
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from perfkit.core.bidi import isolate, strip_controls
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


@functools.cache
def _base_rc() -> dict[str, object]:
    """The report's style (seaborn's "whitegrid" and "paper" context, the CJK font), built once."""
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
        # matplotlib's defaults name these "C0" (the first colour of the cycle), which it looks
        # up again for every patch and line: the same colour, given as itself
        "patch.facecolor": mpl.colors.to_hex("C0"),
        "lines.color": mpl.colors.to_hex("C0"),
    }


def _rc() -> dict[str, object]:
    return dict(_base_rc())


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


# ---------------------------------------------------------------------------------------------
# fixed layout: margins from the labels' widths, one drawing pass (the report's own charts)

#: points per inch
_PT = 72.0
#: space kept around the plot, in points: the tick labels' pad, the title's pad, the figure edge
_PAD = 6.0


@functools.cache
def _hb_font() -> Any:
    import uharfbuzz as hb

    from perfkit.report import webfont

    return hb.Font(webfont.face())


@functools.cache
def _char_metrics(char: str) -> tuple[float, float, float]:
    """The advance width, the top and the bottom of the ink of ``char`` (in em, from the font's
    own tables, unhinted); a character the font lacks counts as an ideograph, an invisible
    format character (a direction control: :mod:`perfkit.core.bidi`) as nothing."""
    font = _hb_font()
    upem = font.face.upem
    glyph = font.get_nominal_glyph(ord(char))
    if glyph is None:
        return (0.0, 0.0, 0.0) if unicodedata.category(char) == "Cf" else (1.0, 0.88, -0.12)
    extents = font.get_glyph_extents(glyph)
    top = extents.y_bearing / upem if extents else 0.0
    bottom = (extents.y_bearing + extents.height) / upem if extents else 0.0
    return font.get_glyph_h_advance(glyph) / upem, top, bottom


def _char_width(char: str) -> float:
    """The advance width of ``char`` in em (1.0 for a CJK ideograph)."""
    return _char_metrics(char)[0]


def text_width(text: str, size: float) -> float:
    """The width in points of ``text`` (its longest line) at ``size`` points, from the font's
    advance widths: what a margin must hold, without laying the text out."""
    lines = str(text).split("\n") or [""]
    return max(sum(_char_width(c) for c in line) for line in lines) * size


def _size(key: str) -> float:
    return float(mpl.rcParams[key])


def _fixed_figure(
    height: float,
    labels: Sequence[str] = (),
    title: str = "",
    xlabel: bool = True,
    legend: bool = True,
    right: float = 10.0,
) -> tuple[Figure, Axes]:
    """A figure ``WIDTH`` × ``height`` inches with one axes placed on fixed margins: the left
    margin holds the widest of ``labels`` (the y tick labels), the top one the title, the bottom
    one the x tick labels, the x label (``xlabel``) and the legend row (``legend``). Nothing is
    measured by drawing, so the figure is drawn once, when it is saved."""
    line = 1.25  # line height, in font sizes
    tick = _size("ytick.labelsize")
    left = max((text_width(t, tick) for t in labels), default=0.0) + 2 * _PAD
    top = (_size("axes.titlesize") * line + _PAD + 4) if title else _PAD
    bottom = _size("xtick.labelsize") * line + 3.5 + _PAD
    if xlabel:
        bottom += _size("axes.labelsize") * line + 4
    if legend:
        bottom += 8 * line + 8
    w, h = WIDTH * _PT, height * _PT
    left = max(left, 24.0)
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    ax = fig.add_axes((left / w, bottom / h, 1 - (left + right) / w, 1 - (top + bottom) / h))
    if title:
        # centred on the plot, moved inwards when it would run past the figure's edge
        half = text_width(title, _size("axes.titlesize")) / 2 + _PAD
        centre = min(max(left + (w - left - right) / 2, half), w - half)
        ax.set_title(title, x=(centre - left) / (w - left - right), y=1.0, pad=_PAD)
    return fig, ax


def _bottom_legend(fig: Figure, handles: Sequence[Artist]) -> None:
    """The legend below the plot, in one row, at the foot of a fixed-layout figure."""
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=len(handles),
        frameon=False,
        fontsize=8,
        borderaxespad=0.3,
    )


def _hbars(
    ax: Axes, values: Sequence[float], labels: Sequence[str], colours: Sequence[str] | str
) -> None:
    """Horizontal bars, the first at the top, one per label (seaborn's barplot look: bars 0.6
    of a row, no grid across the categories)."""
    positions = np.arange(len(labels))
    ax.barh(positions, values, height=0.6, color=colours)
    ax.set_yticks(positions, labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.yaxis.grid(False)


# ---------------------------------------------------------------------------------------------
# SVG whose text stays text


#: what matplotlib writes around the drawing, of no use inline in a page
_XML_HEAD = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.DOTALL)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="([^"]*)"')
#: a tag: matplotlib escapes "<" and ">" in text and attribute values, so this never matches
#: inside the text a chart shows (user text is left exactly as it is)
_TAG = re.compile(r"<[^<>]+>")
#: groups: matplotlib's ids ("figure_1", "patch_3") are never referenced and repeat per chart
_GROUP = re.compile(r'(?P<bare><g(?: id="[^"]*")?>)|(?P<close></g>)|<g\b[^>]*>')
_NO_ROTATION = re.compile(r'\s*transform="rotate\(-?0 [^")]*\)"')
_NUMBER = re.compile(r"-?\d+\.\d+")
_SPACES = re.compile(r"\s+")
_BETWEEN_TAGS = re.compile(r">\s+<")


def _round(match: re.Match[str]) -> str:
    """A coordinate to 0.01 pt (far below a pixel), without trailing zeros."""
    text = f"{float(match[0]):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _compact_tag(match: re.Match[str]) -> str:
    """One of matplotlib's tags, shorter: no rotation by 0, the chart font's family left to the
    ``<svg>`` element, coordinates to 0.01 pt, white space collapsed."""
    tag = _NO_ROTATION.sub("", match[0])
    tag = tag.replace(f"font-family: '{FAMILY}'; ", "").replace(f"; font-family: '{FAMILY}'", "")
    tag = _NUMBER.sub(_round, _SPACES.sub(" ", tag))
    return tag.replace(": ", ":").replace("; ", ";").replace(' "', '"')


def _drop_bare_groups(svg: str) -> str:
    """``svg`` without the ``<g>`` elements that carry nothing (no attribute left once their id is
    dropped), their content kept: matplotlib wraps every artist in one."""
    out: list[str] = []
    stack: list[bool] = []
    end = 0
    for m in _GROUP.finditer(svg):
        out.append(svg[end : m.start()])
        end = m.end()
        if m["close"]:
            if stack.pop():
                out.append(m[0])
        else:
            stack.append(not m["bare"])
            if not m["bare"]:
                out.append(m[0])
    out.append(svg[end:])
    return "".join(out)


class _SVGRenderer(RendererSVG):
    """matplotlib's SVG renderer, measuring the chart font's text from per-character metrics
    (:func:`_char_metrics`, cached for the process) instead of laying every string out with
    FreeType: with ``svg.fonttype = "none"`` the browser draws the text, and the layout only
    needs its advance width (what the browser uses for ``text-anchor``) and ink height. Other
    fonts, and mathtext, are measured as matplotlib does."""

    def get_text_width_height_descent(
        self, s: str, prop: FontProperties, ismath: Any
    ) -> tuple[float, float, float]:
        if ismath or prop.get_family() != [FAMILY]:
            return super().get_text_width_height_descent(s, prop, ismath)
        size = prop.get_size_in_points()
        metrics = [_char_metrics(c) for c in s]
        width = sum(m[0] for m in metrics) * size
        top = max((m[1] for m in metrics), default=0.0) * size
        bottom = min((m[2] for m in metrics), default=0.0) * size
        return width, top - bottom, -bottom


def _draw_svg(fig: Figure, out: io.StringIO) -> None:
    """Draw ``fig`` as SVG into ``out`` once, as ``FigureCanvasSVG.print_svg`` does (at 72 dpi,
    sizes in points), with :class:`_SVGRenderer`; no metadata."""
    FigureCanvasSVG(fig)
    dpi = fig.dpi
    width, height = fig.get_size_inches()
    try:
        fig.dpi = 72
        renderer = MixedModeRenderer(
            fig, width, height, dpi,
            _SVGRenderer(width * _PT, height * _PT, out, image_dpi=dpi,
                         metadata={"Date": None, "Creator": None, "Format": None, "Type": None}),
        )  # fmt: skip
        fig.draw(renderer)
        renderer.finalize()
    finally:
        fig.dpi = dpi


def to_svg(fig: Figure, label: str, salt: str) -> str:
    """``fig`` as an ``<svg>`` element to inline in an HTML page, with its text as text.

    - ``svg.fonttype = "none"``: every label is a ``<text>`` element in the chart's font
      family ("Noto Sans CJK SC", set once on the ``<svg>``), drawn by the page's embedded font
      subset, which is cut from the page's characters, the chart's included; matplotlib escapes
      the text (``&``, ``<``, ``>``) and mathtext stays off (``text.parse_math``);
    - ``label`` is the accessible name: ``role="img"``, ``aria-label`` and a ``<title>``
      (escaped here);
    - ``salt`` makes the clip-path and marker ids unique in the page (``svg.hashsalt``); the XML
      prolog, the comment and the ``<metadata>`` (which names http URLs) are removed, and so
      are the empty groups and matplotlib's group ids (repeated in every chart of a page);
      coordinates are kept to 0.01 pt and white space inside tags collapsed — only tags are
      touched, never the text the chart shows;
    - the size is the page's: 100 % of the text width, the height from the ``viewBox``.
    """
    buffer = io.StringIO()
    with mpl.rc_context({**_rc(), "svg.fonttype": "none", "svg.hashsalt": salt}):
        _draw_svg(fig, buffer)
    svg = buffer.getvalue()
    svg = _METADATA.sub("", _XML_HEAD.sub("", svg))
    svg = _drop_bare_groups(svg)
    svg = _BETWEEN_TAGS.sub("><", _TAG.sub(_compact_tag, svg))
    opening = _SVG_OPEN.search(svg)
    assert opening is not None
    view = _VIEWBOX.search(opening[0])
    name = html.escape(label, quote=True)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'class="pk-chart" role="img" aria-label="{name}" viewBox="{view[1] if view else ""}" '
        f'width="100%" style="font-family:\'{FAMILY}\',sans-serif"><title>{name}</title>'
    )
    return head + svg[opening.end() :].strip()


def figure_text(fig: Figure) -> str:
    """Every text a figure shows (titles, labels, tick labels, legend), for the font subset."""
    texts = [t.get_text() for t in fig.findobj(Text)]
    for ax in fig.axes:
        texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return "\n".join(texts)


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


def wrap_label(
    text: object, width: int = LABEL_WIDTH, lines: int = 2, picture: bool = False
) -> str:
    """A label broken every ``width`` characters, at most ``lines`` lines (then "…").

    Each line of the text is isolated (:func:`perfkit.core.bidi.isolate`): an SVG chart's text
    is laid out by the browser, where a right-to-left override in a name would turn the "…" and
    the suffix of :func:`_unique_labels` around. A ``picture`` (PNG) is drawn in the text's own
    order, with no bidirectional layout: its labels drop the direction controls instead, which
    would show as boxes."""
    text = strip_controls(str(text)) if picture else str(text)
    parts = [text[i : i + width] for i in range(0, len(text), width)] or [""]
    cut = len(parts) > lines
    if cut:
        parts = parts[:lines]
        parts[-1] = parts[-1][:-1]
    shown = parts if picture else [isolate(p) for p in parts]
    return "\n".join(shown) + ("…" if cut else "")


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


def _status_legend(palette: Mapping[str, str], shown: set[str], line: str) -> list[Artist]:
    """The legend of a status bar chart: the statuses drawn, then the reference line."""
    handles: list[Artist] = [Patch(color=c, label=k) for k, c in palette.items() if k in shown]
    handles.append(Line2D([], [], color=REFERENCE, linestyle="--", label=line))
    return handles


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
    labels = _unique_labels(data["item"].tolist())
    rates = data["execution_rate"].to_numpy() * 100
    low, high = f"低于 {line}", f"达到 {line}"
    status = [low if r < threshold else high for r in data["execution_rate"]]
    palette = {low: ALERT, high: PRIMARY}
    fig, ax = _fixed_figure(_bar_height(len(labels)), labels, title)
    _hbars(ax, rates, labels, [palette[k] for k in status])
    for i, rate in enumerate(rates):
        ax.text(rate + 1, i, _pct(rate), va="center", fontsize=8)
    ax.axvline(threshold * 100, color=REFERENCE, linestyle="--", linewidth=1)
    ax.set_xlim(0, max(110.0, _max(rates, 0) + 18))
    ax.set_xlabel("预算执行率（%）")
    _bottom_legend(fig, _status_legend(palette, set(status), f"{line} 基准线"))
    return fig


@_styled
def monthly_progress(progress: pd.DataFrame) -> Figure:
    """Cumulative execution against time progress (序时进度 = 月份 / 12), month by month.

    ``progress`` (:func:`perfkit.scoring.metrics.time_progress`) has ``month`` (1–12),
    ``cumulative_rate`` (cumulative executed / 全年预算数) and ``progress`` (month / 12), all
    rates as fractions.
    """
    data = progress.sort_values("month")
    title = "月度累计执行进度与序时进度"
    ylabel = "占全年预算数比例（%）"
    ticks = [f"{m}月" for m in range(1, 13)]
    # the left margin holds the y label (turned) and the tick labels ("100")
    fig, ax = _fixed_figure(3.4, ["1000"], title, xlabel=False, right=14.0)
    pos = ax.get_position()
    shift = (_size("axes.labelsize") * 1.25 + 4) / (WIDTH * _PT)
    ax.set_position((pos.x0 + shift, pos.y0, pos.width - shift, pos.height))
    months = data["month"].to_numpy()
    cumulative = data["cumulative_rate"].to_numpy() * 100
    ax.plot(months, cumulative, marker="o", color=PRIMARY, label="累计执行进度")
    ax.plot(months, data["progress"].to_numpy() * 100, color=REFERENCE, linestyle="--",
            label="序时进度")  # fmt: skip
    last = data.iloc[-1]
    ax.annotate(
        _pct(last["cumulative_rate"] * 100),
        (last["month"], last["cumulative_rate"] * 100),
        textcoords="offset points",
        xytext=(0, 8),
        ha="center",
        fontsize=8,
    )
    ax.set_xticks(range(1, 13), ticks)
    ax.set_xlim(0.5, 12.5)
    ax.set_ylim(0, max(105.0, float(np.nanmax(cumulative, initial=0.0)) + 10))
    ax.set_ylabel(ylabel)
    _bottom_legend(fig, ax.get_legend_handles_labels()[0])
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
    if (rates > cap * 100).any():
        title += f"（超过 {cap * 100:g}% 的按 {cap * 100:g}% 绘制）"
    labels = _unique_labels(data["level3"].tolist())
    shown = np.minimum(rates, cap * 100)
    met, missed = "达到年度指标值", "未达到年度指标值"
    status = [met if m else missed for m in data["met"]]
    palette = {met: PRIMARY, missed: ALERT}
    fig, ax = _fixed_figure(_bar_height(len(labels)), labels, title)
    _hbars(ax, shown, labels, [palette[k] for k in status])
    for i, (rate, bar) in enumerate(zip(rates, shown, strict=True)):
        mark = " ▶" if rate > cap * 100 else ""
        ax.text(bar + 1, i, _pct(rate) + mark, va="center", fontsize=8)
    ax.axvline(100, color=REFERENCE, linestyle="--", linewidth=1)
    ax.set_xlim(0, cap * 100 + 30)
    ax.set_xlabel("实际完成值 / 年度指标值（%）")
    _bottom_legend(fig, _status_legend(palette, set(status), "100%"))
    return fig


@_styled
def score_by_level1(parts: pd.DataFrame) -> Figure:
    """Score of each part (预算执行, then each 一级指标) against its maximum.

    ``parts`` has ``part`` (label), ``weight`` (分值) and ``score`` (得分), in display order.
    """
    labels = _unique_labels(parts["part"].tolist())
    fig, ax = _fixed_figure(_bar_height(len(parts)), labels, "各部分得分与分值")
    # the 分值 bar behind, the 得分 bar drawn over it
    _hbars(ax, parts["weight"].to_numpy(float), labels, LIGHT)
    _hbars(ax, parts["score"].to_numpy(float), labels, PRIMARY)
    top = _max(parts["weight"], 0)
    for i, (score, weight) in enumerate(zip(parts["score"], parts["weight"], strict=True)):
        ax.text(weight + top * 0.02, i, f"{score:.2f} / {weight:g} 分", va="center", fontsize=8)
    ax.set_xlim(0, top * 1.3 if top > 0 else 1)
    ax.set_xlabel("分")
    _bottom_legend(fig, [Patch(color=PRIMARY, label="得分"), Patch(color=LIGHT, label="分值")])
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
        if ax.get_legend() is not None:  # seaborn draws none for no point
            ax.get_legend().remove()
    _legend(fig, handles, title="自评等级")
    if not dense and len(data) <= names:  # last: the labels are placed in the final layout
        labels = [wrap_label(name, 10, 1, picture=True) for name in data["unit_name"]]
        place_labels(ax, x, y, labels)
    elif dense and names:
        # the lowest totals (ties: the lower execution rate); the cloud of dots is no obstacle
        # (a name over translucent dots reads, and among thousands no place would be free)
        low = np.lexsort((x, y))[:OUTLIERS]
        if len(low):  # room below the lowest point for its name
            ax.set_ylim(bottom=math.floor(float(y[low[0]])) - 6)
        labels = [wrap_label(data["unit_name"].iloc[i], 10, 1, picture=True) for i in low]
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
    table.index = [wrap_label(name, 18, 1, picture=True) for name in names]
    table.columns = [wrap_label(kind_labels.get(k, k), 5, picture=True) for k in table.columns]
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
