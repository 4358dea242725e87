"""User text isolated in the pages (issue 16 item 8): a right-to-left override left open in a
unit's, a 主管部门's or a project's name must not turn perfkit's own words around it.

- :func:`perfkit.core.bidi.isolate` on texts worked out by hand, and its coverage of every
  right-to-left character and control (``unicodedata``);
- the titles composed in Python, the texts every template prints (a user's templates too), the
  charts' labels;
- pages rendered by ``perfkit render`` and opened in Chromium: the heading's own text "2022年度"
  is drawn left to right (glyph by glyph, from the layout), and so are the words after a name in
  a sentence and the suffix of a chart's label; the PDF Chromium prints reads "2022年度".
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from itertools import pairwise
from pathlib import Path

import pytest

from perfkit.core.bidi import FSI, PDI, isolate, needs_isolation, strip_controls
from perfkit.report import charts, templating

#: RIGHT-TO-LEFT OVERRIDE, RIGHT-TO-LEFT ISOLATE, POP DIRECTIONAL FORMATTING
RLO, RLI, PDF_ = "\u202e", "\u2067", "\u202c"
UNIT = f"测试{RLO}保障中心"
DEPARTMENT = f"测试{RLO}管理局"
PROJECT = f"测试{RLO}运维"
#: two budget items alike in their first 28 characters: the chart labels them alike (two lines
#: of 14, the override on the second), the second with the suffix "（2）"
ITEM = "甲乙丙丁戊己庚辛壬癸子丑寅卯" + RLO + "辰巳午未申酉戌亥天地玄黄宇宙洪荒"


# ---------------------------------------------------------------------------------------------
# isolate


def test_text_that_cannot_reorder_anything_is_left_as_it_is():
    for text in ("苏州市智慧审判保障中心", "NoSpaces 123", "≥200件（含）", "", "a\nb"):
        assert isolate(text) == text


def test_text_that_can_is_put_between_first_strong_isolate_and_pop():
    assert isolate(f"A{RLO}B") == f"{FSI}A{RLO}B{PDI}"
    assert isolate("שלום") == f"{FSI}שלום{PDI}"  # right-to-left letters without a control
    assert isolate("عربي 2022") == f"{FSI}عربي 2022{PDI}"


def test_a_pop_of_an_isolate_opened_outside_is_dropped_and_an_open_isolate_closed():
    # the text's own PDI would close the isolate early, letting the override run on after it
    assert isolate(f"{PDI}{RLO}X") == f"{FSI}{RLO}X{PDI}"
    # an isolate it opens and leaves open is closed at its end, before the isolate's own PDI
    assert isolate(f"{RLI}X") == f"{FSI}{RLI}X{PDI}{PDI}"
    assert isolate(f"{RLI}X{PDI}Y{RLO}") == f"{FSI}{RLI}X{PDI}Y{RLO}{PDI}"


def test_each_line_is_isolated_on_its_own():
    assert isolate(f"{RLO}A\nB\r\n{RLO}C") == f"{FSI}{RLO}A{PDI}\nB\r\n{FSI}{RLO}C{PDI}"


def test_isolating_twice_is_isolating_once():
    for text in (f"A{RLO}B", f"{PDI}{RLO}X", f"{RLI}X", "שלום", f"{RLO}A\nB"):
        once = isolate(text)
        assert isolate(once) == once
        assert not needs_isolation(once)
    # a composed text whose name is isolated needs no more
    title = f"{isolate(UNIT)} 2022年度 部门（单位）整体支出预算绩效自评报告"
    assert isolate(title) == title


def test_every_character_that_can_reorder_its_surroundings_is_caught():
    """Every character of the bidirectional classes that act on their neighbours in a
    left-to-right paragraph (R, AL, AN, the embeddings, overrides and isolates) is caught."""
    reordering = {"R", "AL", "AN", "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
    missed = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.bidirectional(chr(code)) in reordering and not needs_isolation(chr(code))
    ]
    assert missed == []


def test_controls_are_stripped_for_pictures():
    assert strip_controls(f"{FSI}测试{RLO}中心{PDF_}{PDI}\u200f") == "测试中心"


# ---------------------------------------------------------------------------------------------
# what the report prints


def test_titles_isolate_the_names_they_hold():
    from perfkit.detail.departments import department_page_title
    from perfkit.report.projects import project_page_title, project_report_title

    assert project_report_title(PROJECT) == f"{FSI}{PROJECT}{PDI}项目支出绩效自评报告"
    assert project_page_title(UNIT, 2022, PROJECT) == (
        f"{FSI}{UNIT}{PDI} 2022年度 {FSI}{PROJECT}{PDI}项目支出绩效自评报告"
    )
    assert department_page_title(2022, DEPARTMENT) == (
        f"2022年度 {FSI}{DEPARTMENT}{PDI}所属单位 整体支出绩效自评 汇总"
    )
    assert project_report_title("古建筑修缮工程") == "古建筑修缮工程项目支出绩效自评报告"


def test_every_text_a_template_prints_is_isolated_also_in_a_users_template(tmp_path):
    (tmp_path / "blocks").mkdir()
    (tmp_path / "blocks" / "own.html.j2").write_text(
        "<p>{{ unit }}（{{ code }}）{{ year }}年度</p>", encoding="utf-8"
    )
    html = templating.render(
        "blocks/own.html.j2", templates=tmp_path, unit=f"<b>{UNIT}</b>", code="U01", year=2022
    )
    assert html == f"<p>{FSI}&lt;b&gt;{UNIT}&lt;/b&gt;{PDI}（U01）2022年度</p>"


def test_chart_labels_isolate_the_name_not_the_suffix():
    first, second = charts._unique_labels([ITEM + "一", ITEM + "二"])
    # each line on its own (the first holds nothing to isolate), the cut mark and the suffix
    # outside the isolate
    assert first == f"{ITEM[:14]}\n{FSI}{ITEM[14:27]}{PDI}…"
    assert second == first + "（2）"
    # a picture (PNG) has no bidirectional layout: the controls go, not boxes
    assert charts.wrap_label(UNIT, 10, 1, picture=True) == "测试保障中心"
    # direction controls take no room
    assert charts.text_width(isolate(UNIT), 10) == charts.text_width("测试保障中心", 10)


# ---------------------------------------------------------------------------------------------
# in Chromium, and in the PDF it prints

CHROMIUM = os.environ.get("PERFKIT_CHROMIUM", "/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason=f"no Chromium at {CHROMIUM}"
)

#: the x of each character of ``text`` where it is drawn in the first element matching
#: ``selector`` whose text holds it (from the layout: a Range per character)
GLYPHS_X = """([selector, text]) => {
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.data.indexOf(text);
      if (at < 0) continue;
      return [...text].map((_, i) => {
        const range = document.createRange();
        range.setStart(node, at + i);
        range.setEnd(node, at + i + 1);
        const box = range.getBoundingClientRect();
        return box.left + box.width / 2;
      });
    }
  }
  return null;
}"""


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def write_dataset(folder: Path) -> Path:
    """One unit, its 主管部门 and its project named with an open override; two budget items
    whose chart labels agree but for the suffix."""
    folder.mkdir(parents=True)
    _write(folder, "units.csv", f"单位编码,单位名称,主管部门\nU01,{UNIT},{DEPARTMENT}\n")
    _write(folder, "projects.csv", f"单位编码,项目编码,项目名称\nU01,P01,{PROJECT}\n")
    _write(
        folder,
        "budget.csv",
        "年度,单位编码,项目编码,项目,全年预算数,全年执行数\n"
        f"2022,U01,,{ITEM}一,100,90\n2022,U01,,{ITEM}二,100,80\n"
        "2022,U01,P01,运维经费,50,50\n",
    )
    _write(
        folder,
        "indicators.csv",
        "年度,单位编码,项目编码,一级指标,二级指标,三级指标,年度指标值,实际完成值,分值\n"
        "2022,U01,,产出指标,数量指标,办结件数,≥100件,120件,90\n"
        "2022,U01,P01,产出指标,数量指标,运维次数,≥10次,10次,90\n",
    )
    _write(
        folder,
        "goals.csv",
        "年度,单位编码,项目编码,预期目标,实际完成情况\n"
        "2022,U01,,完成年度工作,已完成\n2022,U01,P01,完成运维,已完成\n",
    )
    return folder


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Path:
    from perfkit.rendering.pipeline import render

    base = tmp_path_factory.mktemp("bidi")
    result = render(write_dataset(base / "data"), out=base / "reports", jobs=1, progress=False)
    assert result.exit_code == 0, result.summary()
    return base / "reports" / "2022"


@pytest.fixture(scope="module")
def browser(playwright_session):
    chromium = playwright_session.chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
    )
    yield chromium
    chromium.close()


def _glyphs(browser, page: Path, selector: str, text: str) -> tuple[list[float], str]:
    """Where each character of ``text`` is drawn on ``page`` (x, left to right), and the page's
    title."""
    tab = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        tab.goto(page.as_uri(), wait_until="load")
        found = tab.evaluate(GLYPHS_X, [selector, text])
        return found, tab.title()
    finally:
        tab.close()


def _left_to_right(xs: list[float] | None) -> bool:
    return xs is not None and all(a < b for a, b in pairwise(xs))


@pytest.mark.slow
@needs_chromium
def test_the_headings_own_text_keeps_its_order(pages, browser):
    xs, title = _glyphs(browser, pages / "U01.html", "h1", "2022年度 部门（单位）")
    assert _left_to_right(xs), xs
    assert title == f"{FSI}{UNIT}{PDI} 2022年度 部门（单位）整体支出预算绩效自评报告"
    xs, _ = _glyphs(browser, pages / "U01" / "P01.html", "h1", "项目支出绩效自评报告")
    assert _left_to_right(xs), xs


@pytest.mark.slow
@needs_chromium
def test_the_words_after_a_name_keep_their_order(pages, browser):
    # 项目编码：P01　实施单位：{unit}　主管部门：{department}
    xs, _ = _glyphs(browser, pages / "U01" / "P01.html", ".pk-meta", "主管部门：")
    assert _left_to_right(xs), xs
    # “{project}”项目由{unit}实施，主管部门为{department}…
    xs, _ = _glyphs(browser, pages / "U01" / "P01.html", "p", "实施，主管部门为")
    assert _left_to_right(xs), xs
    xs, _ = _glyphs(browser, pages / "index.html", "h1", "年度 部门（单位）整体支出绩效自评 汇总")
    assert _left_to_right(xs), xs


@pytest.mark.slow
@needs_chromium
def test_a_chart_labels_suffix_keeps_its_place(pages, browser):
    xs, _ = _glyphs(browser, pages / "U01.html", "svg.pk-chart text", "（2）")
    assert _left_to_right(xs), xs


@pytest.mark.slow
@needs_chromium
def test_the_pdf_reads_the_heading_in_order(pages, tmp_path):
    from perfkit.rendering import pdf

    printed = pdf.print_pdf(pages / "U01.html", tmp_path / "U01.pdf", chromium=CHROMIUM)
    text = subprocess.run(
        ["pdftotext", "-layout", str(printed), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert "2022年度部门（单位）整体支出预算绩效自评报告" in flat
    assert "度年2202" not in flat
