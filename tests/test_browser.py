"""Reports seen in a real browser (issue 5 §1, §2): Debian's Chromium, headless, via Playwright.

Two sets of pages are rendered once per session with :func:`perfkit.rendering.pipeline.render`: two
units of data/sample with their index, and the same two units from :mod:`hostile` (every user text
carries scripts, markup, ``javascript:`` links, ``</table>``, ``$\\alpha$`` and very long names),
with theirs. Every page is opened from ``file://`` and must:

- fetch nothing: every request other than ``file:`` / ``data:`` is blocked and counted (0 allowed);
- open no dialog, run no injected script (``window.__pwned`` stays undefined), log no error —
  the hostile pages also with the Content-Security-Policy switched off, so that escaping alone is
  proven and the CSP stays a second layer;
- hold no active markup from the data (no ``<script>``, ``<iframe>``, ``on…=`` attribute,
  ``javascript:`` link, foreign ``<style>``) and show hostile names as the text that was typed;
- draw its Chinese headings with a CJK font **on a machine without a Chinese system font** (the
  browser runs with a fontconfig that hides every font covering Chinese, as on a fresh Debian with
  only ``chromium`` installed), which the CDP call ``CSS.getPlatformFontsForNode`` reports;
- draw every chart (``naturalWidth > 0``) and have table-of-contents links that land on their
  section;
- not be wider than the window (long names wrap).

A full-page screenshot of every page is kept in the session's temporary folder; with
``PERFKIT_SHOTS=<folder>`` they are also copied there to look at.

Needs ``/usr/bin/chromium`` (or ``$PERFKIT_CHROMIUM``), the ``playwright`` package (no browser
download: Playwright drives the Debian binary) and ``fc-list``; skipped with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import hostile
import pytest

from perfkit.rendering import htmlexport, pdf
from perfkit.rendering.pipeline import render

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
CHROMIUM = os.environ.get("PERFKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 800}
UNIT_HEADINGS = (
    "一、部门（单位）概况",
    "二、部门（单位）整体支出绩效实现情况",
    "三、部门（单位）整体支出绩效中存在问题及改进措施",
    "四、绩效自评结果拟应用和公开情况",
)
SAMPLE_NAMES = {"SZ001": "苏州市智慧审判保障中心", "SZ002": "苏州市公共阅读服务中心"}
#: families that draw Chinese; what CDP reports for an embedded font is its own family name
CJK_FAMILY = re.compile(
    r"CJK|Source Han|思源|WenQuanYi|文泉|YaHei|雅黑|PingFang|苹方|SimSun|宋体|SimHei|黑体|"
    r"DengXian|等线|Hiragino|Droid Sans Fallback|AR PL|Unifont",
    re.IGNORECASE,
)
#: a Chinese character (the charts' texts to check for the embedded font)
CJK_TEXT = re.compile(r"[\u4e00-\u9fff]")
SAMPLE_PAGES = (
    "sample/SZ001",
    "sample/SZ002",
    "sample/index",
    "sample/SZ001/P01",
    "sample/projects",
)
PROJECT_HEADINGS = (
    "一、项目基本情况",
    "二、项目资金使用及管理情况",
    "三、项目绩效目标实现情况",
    "四、偏离绩效目标的原因和下一步改进措施",
    "五、绩效自评结果拟应用和公开情况",
)
HOSTILE_PAGES = ("hostile/SZ001", "hostile/SZ002", "hostile/index")
PAGES = SAMPLE_PAGES + HOSTILE_PAGES

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("browser"),  # one render and one browser per session
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK),
        reason=f"no Chromium at {CHROMIUM} (apt-get install chromium, or set PERFKIT_CHROMIUM)",
    ),
    pytest.mark.skipif(not shutil.which("fc-list"), reason="fc-list (fontconfig) is not installed"),
]

# What the page itself holds, read in the page after it loaded.
INSPECT = """() => {
  const all = [...document.querySelectorAll('*')];
  const active = 'script,iframe,frame,object,embed,base,link,form,input,button,' +
                 'meta[http-equiv="refresh" i]';
  return {
    pwned: typeof window.__pwned,
    active: [...document.querySelectorAll(active)].map(e => e.outerHTML.slice(0, 160)),
    handlers: all.flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on'))
                                                   .map(a => `<${e.localName} ${a.name}>`)),
    links: [...document.querySelectorAll('a[href]')].map(a => [a.getAttribute('href'), a.protocol]),
    // local links: [as written, resolved, whether a same-page #target exists]
    local: [...document.querySelectorAll('a[href]')].filter(a => a.protocol === 'file:').map(a =>
      [a.getAttribute('href'), a.href.split('#')[0],
       a.pathname !== location.pathname || !a.hash ||
         !!document.getElementById(decodeURIComponent(a.hash.slice(1)))]),
    foreignCss: [...document.querySelectorAll('style')]
                  .filter(s => s.textContent.includes('pk-hostile')).length,
    styledUrls: all.filter(e => /url\\(/i.test(e.getAttribute('style') || '')).length,
    bodyShown: getComputedStyle(document.body).display !== 'none',
    images: [...document.images].map(i => ({src: i.getAttribute('src').slice(0, 22),
                                             width: i.naturalWidth, complete: i.complete})),
    // the charts inlined as SVG: their accessible name, drawn size and text elements
    charts: [...document.querySelectorAll('svg.pk-chart')].map(c => ({
      label: c.getAttribute('aria-label'), role: c.getAttribute('role'),
      title: (c.querySelector('title') || {}).textContent,
      width: c.getBoundingClientRect().width, height: c.getBoundingClientRect().height,
      texts: [...c.querySelectorAll('text')].filter(t => t.getComputedTextLength() > 0).length})),
    h1: [...document.querySelectorAll('h1')].map(h => h.textContent),
    h2: [...document.querySelectorAll('h2')].map(h => h.textContent),
    title: document.title,
    text: document.body.innerText,
    cells: [...document.querySelectorAll('td, th')].map(c => c.textContent),
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  };
}"""

# Whether the element a TOC link points at is there and has been scrolled into the window.
TARGET_IN_VIEW = """(href) => {
  const target = document.getElementById(decodeURIComponent(href.slice(1)));
  if (!target) return 'missing';
  const r = target.getBoundingClientRect();
  return (r.top >= -2 && r.top < window.innerHeight - 10) ? 'in view' : `top at ${r.top}`;
}"""


@dataclass
class Visit:
    """What opening one page gave."""

    name: str
    blocked: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dom: dict[str, Any] = field(default_factory=dict)
    #: heading text -> the platform fonts Chromium drew it with (CSS.getPlatformFontsForNode)
    fonts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: the same for the Chinese texts of the SVG charts (their labels, titles, legends)
    chart_fonts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: per TOC link: (its text, its href, "in view" / "missing" / where the target ended up)
    toc: list[tuple[str, str, str]] = field(default_factory=list)
    screenshot: Path | None = None


# ---------------------------------------------------------------------------------------------
# fixtures: the pages, a browser without Chinese system fonts, one visit per page


@pytest.fixture(scope="session")
def pages(tmp_path_factory) -> dict[str, Path]:
    """Render two sample units and the same two hostile units, each set with its index."""
    if not (SAMPLE / "units.csv").exists():
        pytest.skip("no data/sample")
    base = tmp_path_factory.mktemp("browser")
    bad = hostile.build(base / "hostile-data")
    found: dict[str, Path] = {}
    for name, data in (("sample", SAMPLE), ("hostile", bad.path)):
        out = base / f"{name}-reports"
        result = render(data, out=out, units=list(hostile.UNITS), jobs=2, progress=False)
        assert result.exit_code == 0, result.summary()
        for page in ("SZ001", "SZ002", "index", "SZ001/P01", "projects"):
            if f"{name}/{page}" in PAGES:
                found[f"{name}/{page}"] = out / str(hostile.YEAR) / f"{page}.html"
    return found


@pytest.fixture(scope="session")
def browser(playwright_session, fresh_machine_fonts):
    chromium = playwright_session.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=fresh_machine_fonts
    )
    yield chromium
    chromium.close()


def _visit(browser, name: str, path: Path, shots: Path, bypass_csp: bool = False) -> Visit:
    visit = Visit(name)
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=bypass_csp)
    page = context.new_page()

    def route(r) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            visit.blocked.append(r.request.url)
            r.abort()

    def dialog(d) -> None:
        visit.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.route("**/*", route)
    page.on("dialog", dialog)
    page.on("console", lambda m: m.type == "error" and visit.errors.append(m.text))
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        visit.dom = page.evaluate(INSPECT)
        if bypass_csp:
            return visit
        visit.fonts = _heading_fonts(page)
        visit.chart_fonts = _heading_fonts(page, "svg.pk-chart text")
        visit.screenshot = shots / f"{name.replace('/', '-')}.png"
        page.screenshot(path=str(visit.screenshot), full_page=True)
        links = page.locator("nav.pk-toc a[href^='#']")
        for i in range(links.count()):
            link = links.nth(i)
            href, text = link.get_attribute("href") or "", link.inner_text()
            link.click()
            with contextlib.suppress(sync_api.TimeoutError):
                page.wait_for_function(f"({TARGET_IN_VIEW})({href!r}) === 'in view'", timeout=2000)
            visit.toc.append((text, href, page.evaluate(TARGET_IN_VIEW, href)))
        page.wait_for_timeout(200)  # late console errors and dialogs
    finally:
        context.close()
    return visit


def _heading_fonts(page, selector: str = "h1, h2") -> dict[str, list[dict[str, Any]]]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
    texts = page.evaluate(
        "(s) => [...document.querySelectorAll(s)].map(h => h.textContent)", selector
    )
    assert len(texts) == len(nodes)
    fonts = {
        text: cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        for text, node in zip(texts, nodes, strict=True)
    }
    cdp.detach()
    return fonts


@pytest.fixture(scope="session")
def visits(browser, pages, tmp_path_factory) -> dict[str, Visit]:
    shots = tmp_path_factory.mktemp("screenshots")
    found = {name: _visit(browser, name, path, shots) for name, path in pages.items()}
    for name in HOSTILE_PAGES:
        found[f"{name} (CSP off)"] = _visit(browser, name, pages[name], shots, bypass_csp=True)
    keep = os.environ.get("PERFKIT_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for visit in found.values():
            if visit.screenshot:
                shutil.copy(visit.screenshot, Path(keep) / visit.screenshot.name)
    return found


# ---------------------------------------------------------------------------------------------
# every page


@pytest.mark.parametrize("name", [*PAGES, *(f"{p} (CSP off)" for p in HOSTILE_PAGES)])
def test_page_fetches_nothing_runs_nothing_and_logs_no_error(visits, name):
    visit = visits[name]
    assert visit.dom, "the page did not load"
    assert visit.blocked == []
    assert visit.dialogs == []
    assert visit.errors == []
    assert visit.dom["pwned"] == "undefined"


@pytest.mark.parametrize("name", PAGES)
def test_page_holds_no_active_markup(visits, name):
    dom = visits[name].dom
    assert dom["active"] == []
    assert dom["handlers"] == []
    assert dom["foreignCss"] == 0
    assert dom["styledUrls"] == 0
    assert dom["bodyShown"]
    bad_links = [(href, proto) for href, proto in dom["links"]
                 if proto not in ("http:", "https:", "mailto:", "file:")]  # fmt: skip
    assert bad_links == []


@pytest.mark.parametrize("name", PAGES)
def test_headings_are_drawn_with_a_cjk_font_without_system_cjk_fonts(visits, name):
    """On a machine without a Chinese font, only a font the page carries can draw its headings."""
    fonts = visits[name].fonts
    assert fonts, "no h1/h2 heading found"
    wrong = {
        heading[:40]: [f["familyName"] for f in used]
        for heading, used in fonts.items()
        if re.search(r"[\u4e00-\u9fff]", heading)
        and not all(CJK_FAMILY.search(f["familyName"]) for f in used)
    }
    assert wrong == {}, "Chinese headings drawn without a CJK font (tofu on a fresh machine)"


@pytest.mark.parametrize("name", PAGES)
def test_every_chart_is_drawn(visits, name):
    images, charts = visits[name].dom["images"], visits[name].dom["charts"]
    assert images or charts, "a report without its charts"
    assert [i for i in images if not (i["complete"] and i["width"] > 0)] == []
    assert all(i["src"].startswith("data:image/") for i in images)
    # an SVG chart spans the text width, has its labels drawn and an accessible name
    for chart in charts:
        assert chart["width"] > 500 and chart["height"] > 150, chart
        assert chart["texts"] >= 8, chart
        assert chart["role"] == "img" and re.fullmatch(r"图\d .+", chart["label"]), chart
        assert chart["title"] == chart["label"]


@pytest.mark.parametrize("name", PAGES)
def test_chart_text_is_drawn_with_the_embedded_font_without_system_cjk_fonts(visits, name):
    """The charts' labels are text: on a machine without a Chinese font only the font subset the
    page carries can draw them — it must hold every character of every chart."""
    if not visits[name].dom["charts"]:
        pytest.skip("no SVG chart on this page")
    fonts = visits[name].chart_fonts
    chinese = {text: used for text, used in fonts.items() if CJK_TEXT.search(text)}
    assert chinese, "no Chinese text in the charts"
    wrong = {
        text: [f["familyName"] for f in used]
        for text, used in chinese.items()
        if {f["familyName"] for f in used if f["glyphCount"] > 0} != {"Noto Sans CJK SC"}
    }
    assert wrong == {}


@pytest.mark.parametrize("name", PAGES)
def test_page_is_no_wider_than_the_window(visits, name):
    dom = visits[name].dom
    assert dom["scrollWidth"] <= dom["clientWidth"], "a long name or token widens the page"


@pytest.mark.parametrize("name", PAGES)
def test_local_links_lead_somewhere(visits, name):
    """Links to other reports (the index) and within the page must not end on "file not found"."""
    local = visits[name].dom["local"]
    broken = [
        href
        for href, resolved, target_found in local
        if not target_found or not Path(unquote(urlsplit(resolved).path)).exists()
    ]
    assert broken == []


@pytest.mark.parametrize("name", PAGES)
def test_screenshot_is_kept(visits, name):
    shot = visits[name].screenshot
    assert shot is not None and shot.stat().st_size > 10_000


# ---------------------------------------------------------------------------------------------
# unit pages


@pytest.mark.parametrize("name", [p for p in PAGES if not p.endswith(("index", "projects"))])
def test_toc_links_land_on_their_sections(visits, name):
    toc = visits[name].toc
    headings = PROJECT_HEADINGS if "/P" in name else UNIT_HEADINGS
    assert [h for h in headings if h not in [text for text, _, _ in toc]] == []
    assert [(text, where) for text, _, where in toc if where != "in view"] == []


@pytest.mark.parametrize("code", hostile.UNITS)
def test_sample_unit_page_reads_as_its_report(visits, code):
    dom = visits[f"sample/{code}"].dom
    assert dom["h1"] == [f"{SAMPLE_NAMES[code]} 2022年度 部门（单位）整体支出预算绩效自评报告"]
    assert [h for h in UNIT_HEADINGS if h not in dom["h2"]] == []
    assert "虚构" in dom["text"]


# ---------------------------------------------------------------------------------------------
# hostile pages: the texts are shown as typed


@pytest.mark.parametrize("code", hostile.UNITS)
def test_hostile_unit_and_indicator_names_are_shown_as_typed(visits, code):
    dom = visits[f"hostile/{code}"].dom
    name = hostile.UNIT_NAMES[code]
    assert dom["h1"] == [f"{name} 2022年度 部门（单位）整体支出预算绩效自评报告"]
    assert dom["title"].startswith(name)
    cells = set(dom["cells"])
    missing = [n for n in _names_of(code) if n not in cells]
    assert missing == [], "an indicator name is not shown as typed in a table cell"


def _names_of(code: str) -> set[str]:
    return {new for (unit, _), new in hostile.INDICATOR_NAMES.items() if unit == code}


def test_hostile_narrative_markup_is_text_and_safe_links_survive(visits):
    dom = visits["hostile/SZ001"].dom
    text = dom["text"]
    for typed in (hostile.SCRIPT, hostile.ALERT, hostile.IMG, hostile.MATH, hostile.IFRAME):
        assert typed in text, f"{typed} was dropped or turned into markup"
    hrefs = [href for href, _ in dom["links"]]
    assert "https://www.gov.cn/" in hrefs
    assert "mailto:jxpj@example.gov.cn" in hrefs
    assert not [h for h in hrefs if re.match(r"\s*(javascript|data|vbscript|file):", h, re.I)]


def test_hostile_index_lists_the_hostile_names_as_typed(visits):
    text = visits["hostile/index"].dom["text"]
    assert hostile.UNIT_NAMES["SZ001"] in text
    assert hostile.LONG_NAME in text


# ---------------------------------------------------------------------------------------------
# the probes themselves

UNSAFE_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<link rel="stylesheet" href="https://example.com/x.css"></head><body>
<h1>报告</h1><script>window.__pwned = 1; alert(1);</script>
<img src="https://example.com/x.png" onerror="window.__pwned = 2">
<a href="javascript:void(0)">链接</a><a href="missing.html">缺失</a>
<p style="width:3000px">宽</p><script>throw new Error("坏脚本")</script></body></html>"""


def test_the_probes_catch_a_page_that_misbehaves(browser, tmp_path):
    """The checks above can fail: a page doing everything wrong trips every one of them."""
    page = tmp_path / "unsafe.html"
    page.write_text(UNSAFE_PAGE, encoding="utf-8")
    visit = _visit(browser, "unsafe", page, tmp_path)
    assert sorted(visit.blocked) == ["https://example.com/x.css", "https://example.com/x.png"]
    assert visit.dialogs == ["alert: 1"]
    assert any("坏脚本" in e for e in visit.errors)
    assert visit.dom["pwned"] == "number"
    assert len(visit.dom["active"]) == 3  # <link> and two <script>
    assert visit.dom["handlers"] == ["<img onerror>"]
    assert ["javascript:void(0)", "javascript:"] in visit.dom["links"]
    assert [href for href, _, _ in visit.dom["local"]] == ["missing.html"]
    assert visit.dom["scrollWidth"] > visit.dom["clientWidth"]
    assert [f["familyName"] for f in visit.fonts["报告"]] != []
    assert not all(CJK_FAMILY.search(f["familyName"]) for f in visit.fonts["报告"])


def test_error_page_and_fallback_index_show_a_hostile_reason_as_text(browser, tmp_path):
    """The pages perfkit writes without a notebook escape the unit's name and the error too."""
    name = hostile.UNIT_NAMES["SZ001"]
    reason = f"ValueError: {hostile.SCRIPT}{hostile.IMG}{hostile.CLOSE_TABLE}"
    title = f"{name} 2022年度 部门（单位）整体支出预算绩效自评报告"
    (tmp_path / "SZ001.html").write_text(
        htmlexport.error_page(title, "SZ001", name, 2022, reason, "_internal/2022/SZ001.ipynb"),
        encoding="utf-8",
    )
    entry = {"unit_code": "SZ001", "unit_name": name, "href": "SZ001.html", "status": "failed"}
    (tmp_path / "index.html").write_text(
        htmlexport.fallback_index(2022, [{**entry, "error": reason}], reason), encoding="utf-8"
    )
    for page in ("SZ001", "index"):
        visit = _visit(browser, f"error-{page}", tmp_path / f"{page}.html", tmp_path)
        dom = visit.dom
        assert (visit.blocked, visit.dialogs, visit.errors) == ([], [], [])
        assert (dom["pwned"], dom["active"], dom["handlers"]) == ("undefined", [], [])
        assert reason in dom["text"]
        assert name in dom["text"]
        # the error page names the executed notebook (in the operator folder, not published)
        # as text: no link to follow
        assert [href for href, _, _ in dom["local"]] == ([] if page == "SZ001" else ["SZ001.html"])


@pytest.mark.skipif(not shutil.which("pdffonts"), reason="pdffonts (poppler-utils) not installed")
def test_pdf_printed_without_system_cjk_fonts_uses_no_font_lacking_chinese(
    pages, fresh_machine_fonts, tmp_path, monkeypatch
):
    """`perfkit render --pdf` on a server without Chinese fonts must still print Chinese.

    pdftotext is no proof (a PDF of empty boxes still maps them to the right characters), so
    the fonts are read: Chromium embeds a CJK OpenType font as unnamed Type 3 fonts and a
    TrueType one under its name; a named font that is not a CJK family (LiberationSerif,
    DejaVuSans) means text drawn as boxes — including the page numbers of the @page margin box,
    which does not inherit the body's font.
    """
    monkeypatch.setenv("FONTCONFIG_FILE", fresh_machine_fonts["FONTCONFIG_FILE"])
    printed = pdf.print_pdf(pages["sample/SZ001"], tmp_path / "SZ001.pdf", chromium=CHROMIUM)
    listed = subprocess.run(["pdffonts", str(printed)], capture_output=True, text=True, check=True)
    names = [line.split()[0] for line in listed.stdout.splitlines()[2:] if line.strip()]
    assert names, "a PDF without text"
    assert [n for n in names if n != "[none]" and not CJK_FAMILY.search(n)] == []
