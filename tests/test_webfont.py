"""The embedded CJK font: the subset holds every character a page shows; nothing leaves the page."""

from __future__ import annotations

import base64
import io
import re

from fontTools.ttLib import TTFont

from perfkit.report import webfont

PAGE = (
    "<html><head><title>苏州市智慧审判保障中心</title></head>"
    "<body><h1>部门（单位）整体支出预算绩效自评报告</h1><p>执行率 96.00%&#x3002;&lt;b&gt;</p>"
    "</body></html>"
)


def _embedded_cmap(document: str) -> set[int]:
    found = re.search(r"url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)", document)
    assert found, "no embedded font"
    font = TTFont(io.BytesIO(base64.b64decode(found.group(1))))
    return set(font.getBestCmap())


def test_the_subset_covers_every_character_of_the_page():
    out = webfont.embed(PAGE)
    cmap = _embedded_cmap(out)
    # Every CJK character of the title, heading and body, the full-width brackets, and the
    # 。 written as a numeric entity (&#x3002;) must be in the font.
    for char in "苏州市智慧审判保障中心部门（单位）整体支出预算绩效自评报告执行率。":
        assert ord(char) in cmap, char
    # printable ASCII is always there (digits, %, <, >)
    for char in "0123456789.%<>ABCxyz":
        assert ord(char) in cmap, char


def test_the_subset_is_small_and_holds_only_what_is_needed():
    cmap = _embedded_cmap(webfont.embed(PAGE))
    assert ord("龙") not in cmap  # not on the page
    # 95 printable ASCII + at most the page's distinct non-ASCII characters (here 33)
    assert len(cmap) <= 95 + 40
    assert len(webfont.subset_font({"中"})) < 20_000


def test_the_style_goes_into_the_head_and_names_the_report_family():
    out = webfont.embed(PAGE)
    head = out[: out.index("</head>")]
    assert '@font-face{font-family:"Noto Sans CJK SC"' in head
    assert out.endswith(PAGE[PAGE.index("</head>") :])
    # no reference that could leave the file
    assert not re.search(r"url\((?!data:)", out)


def test_a_page_without_chinese_is_left_alone():
    page = "<html><head></head><body>ok 123</body></html>"
    assert webfont.embed(page) == page
