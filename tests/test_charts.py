"""The report's charts: what each draws (bars, lines, labels), its size, and that it draws cleanly.

Frames are built by hand in the documented shapes (rates as fractions); the expected bar lengths
are the rates × 100 worked out in the comments.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from perfkit.rendering import htmlexport
from perfkit.report import charts
from perfkit.rules.rulebook import load_rulebook

GRADES = ["优", "良", "中", "差"]


def _draw(fig: Figure) -> None:
    """Render to PNG with every warning an error (a missing CJK glyph warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(io.BytesIO(), format="png")


def _bars(fig: Figure) -> list[tuple[float, float, str]]:
    """(centre on the category axis, length, colour) of each horizontal bar, top to bottom."""
    ax = fig.axes[0]
    bars = [
        (p.get_y() + p.get_height() / 2, p.get_width(), to_hex(p.get_facecolor()))
        for p in ax.patches
    ]
    return sorted(bars)


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def _legend_labels(fig: Figure) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_wrap_label_breaks_long_names_and_marks_the_cut():
    assert charts.wrap_label("党团经费") == "党团经费"
    text = "一二三四五六七八九十" * 3  # 30 characters, width 14, 2 lines
    assert charts.wrap_label(text) == "一二三四五六七八九十一二三四\n五六七八九十一二三四五六七…"


def test_execution_by_item_bars_colours_and_90_line():
    items = pd.DataFrame(
        {
            "item": ["人员经费", "党团经费", "公用经费", "零预算项目"],
            # 433.90/436.50, 1.08/2.40 = 0.45, 33.60/48 = 0.70, NaN (全年预算数 0)
            "execution_rate": [433.90 / 436.50, 0.45, 0.70, np.nan],
        }
    )
    fig = charts.execution_by_item(items, threshold=0.9)
    _draw(fig)
    ax = fig.axes[0]
    # sorted by rate, lowest first; the NaN item is left out
    assert [t.get_text() for t in ax.get_yticklabels()] == ["党团经费", "公用经费", "人员经费"]
    bars = _bars(fig)
    assert [round(w, 4) for _, w, _ in bars] == [45.0, 70.0, round(433.90 / 436.50 * 100, 4)]
    assert [c for _, _, c in bars] == [charts.ALERT, charts.ALERT, charts.PRIMARY]
    assert _texts(fig) == ["45.00%", "70.00%", "99.40%"]  # 433.90/436.50 = 0.994044…
    assert any(list(line.get_xdata()) == [90.0, 90.0] for line in ax.lines)
    assert _legend_labels(fig) == ["低于 90%", "达到 90%", "90% 基准线"]
    assert ax.get_title() == "各项目预算执行率"
    assert fig.get_size_inches()[0] == pytest.approx(16 / 2.54)


def test_execution_by_item_keeps_the_lowest_rates_beyond_the_limit():
    rates = [i / 100 for i in range(40, 80)]  # 40 items, 0.40 … 0.79
    items = pd.DataFrame({"item": [f"项目{i}" for i in range(40)], "execution_rate": rates})
    fig = charts.execution_by_item(items)
    assert len(_bars(fig)) == charts.MAX_BARS
    assert max(w for _, w, _ in _bars(fig)) == pytest.approx(69.0)  # 0.40 + 29/100
    assert "执行率最低的 30 个项目" in fig.axes[0].get_title()


def test_monthly_progress_plots_cumulative_rate_and_time_progress():
    months = np.arange(1, 13)
    progress = pd.DataFrame(
        {
            "month": months,
            # 60 万元 a month against 800 万元: month 6 → 360/800 = 45%
            "cumulative_rate": months * 60 / 800,
            "progress": months / 12,
        }
    )
    fig = charts.monthly_progress(progress)
    _draw(fig)
    cumulative, time_progress = fig.axes[0].lines[:2]
    assert cumulative.get_ydata()[5] == pytest.approx(45.0)
    assert time_progress.get_ydata()[5] == pytest.approx(50.0)  # 6 / 12
    assert _texts(fig) == ["90.00%"]  # 720 / 800 at December
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][:3] == ["1月", "2月", "3月"]
    assert _legend_labels(fig) == ["累计执行进度", "序时进度"]


def test_indicator_completion_caps_long_bars_and_labels_the_true_value():
    indicators = pd.DataFrame(
        {
            "level3": ["办结案件数", "卷宗整理归档数", "服务质量", "外出调查次数"],
            # 230/150, 135/150, qualitative (NaN), 25/10
            "completion": [230 / 150, 0.9, np.nan, 2.5],
            "met": [True, False, True, True],
        }
    )
    fig = charts.indicator_completion(indicators, cap=1.5)
    _draw(fig)
    bars = _bars(fig)
    # 153.33% and 250% are drawn at the 150% cap; 90% as is; the qualitative one is left out
    assert [round(w, 2) for _, w, _ in bars] == [150.0, 90.0, 150.0]
    assert [c for _, _, c in bars] == [charts.PRIMARY, charts.ALERT, charts.PRIMARY]
    assert _texts(fig) == ["153.33% ▶", "90.00%", "250.00% ▶"]
    assert any(list(line.get_xdata()) == [100, 100] for line in fig.axes[0].lines)
    assert "超过 150% 的按 150% 绘制" in fig.axes[0].get_title()


def test_score_by_level1_draws_score_over_weight():
    parts = pd.DataFrame(
        {
            "part": ["预算执行", "产出指标", "效益指标", "满意度指标"],
            "weight": [10.0, 50.0, 30.0, 10.0],
            "score": [9.6, 45.5, 30.0, 8.89],
        }
    )
    fig = charts.score_by_level1(parts)
    _draw(fig)
    lengths = sorted(round(w, 2) for _, w, _ in _bars(fig))
    assert lengths == sorted([10.0, 50.0, 30.0, 10.0, 9.6, 45.5, 30.0, 8.89])
    assert _texts(fig) == ["9.60 / 10 分", "45.50 / 50 分", "30.00 / 30 分", "8.89 / 10 分"]


def test_grade_distribution_counts_every_grade_in_order():
    units = pd.DataFrame({"grade": ["优", "良", "优", "差", "优"]})
    fig = charts.grade_distribution(units, GRADES)
    _draw(fig)
    heights = [p.get_height() for p in sorted(fig.axes[0].patches, key=lambda p: p.get_x())]
    assert heights == [3, 1, 0, 1]  # 优 3, 良 1, 中 0, 差 1
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == GRADES


def test_execution_vs_score_places_each_unit_and_names_few():
    units = pd.DataFrame(
        {
            "unit_name": ["甲单位", "乙单位", "丙单位"],
            "execution_rate": [0.96, 0.52, 0.86],
            "total": [99.6, 56.79, 77.49],
            "grade": ["优", "差", "中"],
        }
    )
    fig = charts.execution_vs_score(units, GRADES)
    _draw(fig)
    points = fig.axes[0].collections[0].get_offsets()
    assert sorted(map(tuple, np.round(points, 2))) == [(52.0, 56.79), (86.0, 77.49), (96.0, 99.6)]
    assert sorted(_texts(fig)) == ["丙单位", "乙单位", "甲单位"]
    many = pd.concat([units] * 6, ignore_index=True)  # 18 units: too many to name
    assert _texts(charts.execution_vs_score(many, GRADES)) == []


def test_findings_by_kind_unit_counts_per_cell():
    findings = pd.DataFrame(
        {
            "unit_code": ["A", "A", "B", "C", "C", "C"],
            "kind": ["low_execution", "over_target", "low_execution", "under_target",
                     "under_target", "score_mismatch"],
        }
    )  # fmt: skip
    labels = {"low_execution": "执行率偏低", "under_target": "未达标", "over_target": "目标偏低",
              "score_mismatch": "得分有误"}  # fmt: skip
    fig = charts.findings_by_kind_unit(findings, {"A": "甲", "B": "乙", "C": "丙"}, labels)
    _draw(fig)
    ax = fig.axes[0]
    # rows by number of findings: 丙 3, 甲 2, 乙 1; columns in the labels' order
    assert [t.get_text() for t in ax.get_yticklabels()] == ["丙", "甲", "乙"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "执行率偏低",
        "未达标",
        "目标偏低",
        "得分有误",
    ]
    # 丙: 未达标 2, 得分有误 1; 甲: 执行率偏低 1, 目标偏低 1; 乙: 执行率偏低 1 (0 is left blank)
    assert _texts(fig) == ["", "2", "", "1", "1", "", "1", "", "1", "", "", ""]


def test_user_text_is_not_parsed_as_mathtext():
    """An item named with "$" would otherwise be parsed as TeX and fail to draw."""
    items = pd.DataFrame({"item": [r"$\frac$ 项目", "费用$5"], "execution_rate": [0.5, 1.0]})
    fig = charts.execution_by_item(items)
    _draw(fig)
    assert r"$\frac$ 项目" in [t.get_text() for t in fig.axes[0].get_yticklabels()]


def test_charts_are_not_left_open_in_pyplot():
    """Figures are built without pyplot, so the inline backend shows each once, where displayed."""
    before = plt.get_fignums()
    charts.grade_distribution(pd.DataFrame({"grade": ["优"]}), GRADES)
    assert plt.get_fignums() == before


def test_scatter_labels_never_overlap():
    # twelve units packed close together, as the sample's are (execution 95–100%, totals 88–99)
    rng = np.random.default_rng(0)
    units = pd.DataFrame(
        {
            "unit_name": [f"苏州市第{i}测试保障中心" for i in range(12)],
            "execution_rate": rng.uniform(0.95, 1.0, 12),
            "total": rng.uniform(88, 99, 12),
            "grade": ["优"] * 12,
        }
    )
    fig = charts.execution_vs_score(units, GRADES)
    _draw(fig)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text()]
    assert boxes  # the free places are used
    assert not [(i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]


def test_a_missed_cap_is_drawn_below_100_percent():
    from perfkit.rules.notation import parse
    from perfkit.scoring.scores import score_targets

    # ≤3天 with 5天: 完成率 = 3 ÷ 5 = 60%, never 166.67%
    scored = score_targets([parse("≤3天")], [parse("5天")], [10], load_rulebook("mof2020"))
    assert scored["completion"].iloc[0] == pytest.approx(0.6)
    assert scored["score"].iloc[0] == 6  # 10 × 3 ÷ 5, the same ratio


# ---------------------------------------------------------------------------------------------
# the report's charts as inline SVG whose text is text (issue 12)

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


@pytest.fixture(scope="module")
def sample_dataset():
    from perfkit import api

    return api.load(SAMPLE)


@pytest.fixture(scope="module")
def sample_unit_detail(sample_dataset):
    from perfkit import api

    return api.unit_detail(sample_dataset, 2022, "SZ001")


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "$\\alpha$",
    '" onload="alert(1)',
    "&amp; </svg><script>",
]


def _items(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"item": names, "execution_rate": np.linspace(0.5, 1.0, len(names))})


def _svg_texts(svg: str) -> list[str]:
    """The text of each <text> element, unescaped as a browser reads it."""
    import html as html_module
    import re

    return [html_module.unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)]


def _tags(svg: str) -> list[tuple[str, list[str]]]:
    """(tag, attribute names) of every element, as an HTML parser reads them."""
    from html.parser import HTMLParser

    found: list[tuple[str, list[str]]] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, [name for name, _ in attrs]))

    Parser().feed(svg)
    return found


def test_svg_chart_keeps_its_chinese_text_as_text():
    fig = charts.execution_by_item(_items(["人员经费", "党团经费", "公用经费"]), threshold=0.9)
    svg = charts.to_svg(fig, "图1 各项目预算执行率", salt="pk-fig-1")
    texts = _svg_texts(svg)
    for label in ("人员经费", "党团经费", "公用经费", "各项目预算执行率", "预算执行率（%）",
                  "低于 90%", "达到 90%", "90% 基准线", "50.00%", "100.00%"):  # fmt: skip
        assert label in texts, label
    # the text is drawn by the page's font: the family is named once, on the <svg>
    assert svg.startswith("<svg ") and "font-family:'Noto Sans CJK SC'" in svg.split(">", 1)[0]
    assert "font-family" not in svg.split(">", 1)[1]
    assert "<image" not in svg and "base64" not in svg  # no picture inside
    assert svg.count("<svg") == 1 and svg.endswith("</svg>")


def test_svg_chart_has_an_accessible_name_and_nothing_to_fetch_or_run():
    fig = charts.score_by_level1(
        pd.DataFrame({"part": ["预算执行", "产出指标"], "weight": [10.0, 90.0],
                      "score": [9.6, 80.0]})
    )  # fmt: skip
    svg = charts.to_svg(fig, '图2 <得分> & "分值"', salt="pk-fig-2")
    opening = svg.split(">", 1)[0]
    assert 'role="img"' in opening
    assert 'aria-label="图2 &lt;得分&gt; &amp; &quot;分值&quot;"' in opening
    assert "<title>图2 &lt;得分&gt; &amp; &quot;分值&quot;</title>" in svg
    assert 'width="100%"' in opening and "viewBox=" in opening
    for absent in ("<metadata", "<?xml", "<!DOCTYPE", "<!--", "<script", "rdf:", "purl.org"):
        assert absent not in svg, absent
    # only the namespace names are URLs; every reference points into the chart
    assert (
        svg.replace('"http://www.w3.org/2000/svg"', "")
        .replace('"http://www.w3.org/1999/xlink"', "")
        .count("http")
        == 0
    )
    assert htmlexport.assert_self_contained(f"<html><body>{svg}</body></html>") == []


@pytest.mark.parametrize("hostile", HOSTILE)
def test_svg_chart_escapes_user_text(hostile):
    """User text (item names) is shown exactly as typed and cannot add markup to the page."""
    fig = charts.execution_by_item(_items([f"项目{hostile}", "人员经费"]), threshold=0.9)
    svg = charts.to_svg(fig, "图1 各项目预算执行率", salt="pk-fig-1")
    texts = _svg_texts(svg)
    for line in charts.wrap_label(f"项目{hostile}").split("\n"):  # as typed, $\alpha$ too
        assert line in texts
    tags = _tags(svg)  # as a browser parses the page: no element or attribute was added
    assert not {name for name, _ in tags} & {"script", "img", "iframe", "a", "foreignobject"}
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    assert [name for name, _ in tags].count("svg") == 1 and svg.count("</svg>") == 1
    assert htmlexport.assert_self_contained(f"<html><body>{svg}</body></html>") == []


def test_svg_ids_are_unique_across_the_charts_of_a_page():
    import re

    progress = pd.DataFrame(
        {"month": np.arange(1, 13), "cumulative_rate": np.arange(1, 13) / 13,
         "progress": np.arange(1, 13) / 12}
    )  # fmt: skip
    ids: list[str] = []
    for i, fig in enumerate(
        [charts.monthly_progress(progress), charts.monthly_progress(progress),
         charts.execution_by_item(_items(["人员经费"]))], 1
    ):  # fmt: skip
        svg = charts.to_svg(fig, f"图{i}", salt=f"pk-fig-{i}")
        defined = re.findall(r'\sid="([^"]+)"', svg)
        referenced = set(re.findall(r'(?:href="#|url\(#)([^")]+)', svg))
        assert referenced <= set(defined)  # every reference resolves within the chart
        ids += defined
    assert ids and len(ids) == len(set(ids))


def test_fixed_layout_keeps_labels_title_and_legend_inside_the_figure():
    """The margins are worked out from the labels' widths, not measured by drawing: drawn, no
    text may stick out of the figure or into the plot."""
    long_names = ["服务对象满意度调查覆盖率（含线上线下两种方式）", "党团经费", "设备购置"]
    indicators = pd.DataFrame(
        {"level3": long_names, "completion": [0.8, 1.9, 1.0], "met": [False, True, True]}
    )
    for fig in (
        charts.indicator_completion(indicators),
        charts.execution_by_item(_items(long_names)),
        charts.monthly_progress(
            pd.DataFrame(
                {
                    "month": np.arange(1, 13),
                    "cumulative_rate": np.arange(1, 13) / 10,
                    "progress": np.arange(1, 13) / 12,
                }
            )
        ),
    ):
        _draw(fig)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        inside = fig.bbox
        ax = fig.axes[0]
        # the axes' drawn tick labels and axis labels, the title, the legend
        for what, box in [("x axis", ax.xaxis.get_tightbbox(renderer)),
                          ("y axis", ax.yaxis.get_tightbbox(renderer)),
                          ("title", ax.title.get_window_extent(renderer)),
                          ("legend", fig.legends[0].get_window_extent(renderer))]:  # fmt: skip
            assert inside.x0 - 0.5 <= box.x0 and box.x1 <= inside.x1 + 0.5, what
            assert inside.y0 - 0.5 <= box.y0 and box.y1 <= inside.y1 + 0.5, what
        plot = ax.get_window_extent(renderer)
        for label in ax.get_yticklabels():
            assert label.get_window_extent(renderer).x1 <= plot.x0, label.get_text()
        legend = fig.legends[0].get_window_extent(renderer)
        assert legend.y1 <= ax.xaxis.label.get_window_extent(renderer).y0 + 1 or not (
            ax.xaxis.label.get_text()
        )


def test_text_width_is_the_fonts_advance():
    # CJK ideographs are 1 em; digits are proportional, narrower
    assert charts.text_width("预算执行", 10) == pytest.approx(40)
    assert charts.text_width("12", 10) < 12
    assert charts.text_width("长长长长\n短", 10) == pytest.approx(40)  # the longest line


def test_report_charts_are_svg_and_overview_charts_stay_png(sample_unit_detail):
    from perfkit.report import blocks

    shown = blocks.unit_charts(sample_unit_detail)
    assert [c.format for c in shown] == ["svg"] * len(shown)
    page = shown[0].html()
    assert page.startswith('<div class="pk"><p class="pk-figcaption" id="pk-fig-1">')
    assert '<figure class="pk-figure"><svg ' in page
    assert blocks.Chart("a", "t", lambda: None).format == "png"  # the default: a picture


def test_overview_charts_stay_png(sample_dataset):
    from perfkit import api
    from perfkit.report import blocks, projects

    ov = api.overview(sample_dataset, 2022)
    assert {c.format for c in blocks.overview_charts(ov) + projects.projects_charts(ov)} == {"png"}


def test_notebook_font_subset_covers_the_charts_text(sample_unit_detail, monkeypatch):
    """In a notebook the stylesheet embeds the glyphs of every block — and of the charts, whose
    text the browser draws with that font (labels cut with "…", "▶", month names …)."""
    from perfkit.report import blocks, webfont

    seen: dict[str, set[str]] = {}
    monkeypatch.delenv(blocks.BATCH_ENV, raising=False)
    monkeypatch.setattr(webfont, "subset_base64", lambda chars: seen.setdefault("c", set(chars)))
    blocks.stylesheet(sample_unit_detail)
    for chart in blocks.unit_charts(sample_unit_detail):
        drawn = "".join(_svg_texts(chart.html()))
        assert webfont.page_chars(drawn) <= seen["c"], chart.title
