"""The text a reader sees on each rendered page, section by section, to compare against golden text.

:func:`render_pages` renders every unit and project of data/sample with its index and projects
page, the two hostile units of
:mod:`hostile` with their index, and perfkit's own pages (a unit's error page, the fallback
index) from fixed inputs. :func:`sections` reads one page as a browser shows its text: the
``<title>``, then the text before the first ``<h2>`` and under each ``<h2>`` heading, one line per
block (paragraph, cell, list item, heading …), whitespace collapsed, with the generation time
replaced by ``<生成时间>`` and images shown as ``[图片：alt]`` — an inline ``<svg>`` chart as
``[图片：aria-label]``, its drawn text left out as a picture's pixels are. Styles, scripts and
attributes other than an image's alt text are not text a reader sees and are left out.

Run as a script to (re)write the golden files under ``tests/data/golden/`` (only when a change of
wording is intended; the test ``tests/test_golden.py`` compares against them)::

    PYTHONPATH=. python tests/golden.py
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
YEAR = 2022
#: the generation time as printed ("2023年03月01日 09:30"): the only text that changes per run
_WHEN = re.compile(r"\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}")
#: elements that start a new line of text (block-level, or table cells read one by one)
_BLOCKS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "tr", "td", "th", "caption",
     "table", "thead", "tbody", "pre", "section", "footer", "nav", "figure", "main", "br", "hr",
     "blockquote", "body", "header"}
)  # fmt: skip
_HIDDEN = frozenset({"style", "script", "head"})
PAGE_TOP = "（页首）"
TITLE = "（标题）"


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, list[str]] = {TITLE: [""], PAGE_TOP: [""]}
        self.current = PAGE_TOP
        self.hidden = 0
        self.in_title = False
        self.in_h2: list[str] | None = None
        #: inside an inline <svg>: a chart, read as its accessible name only
        self.in_svg = 0

    def _add(self, text: str) -> None:
        lines = self.sections[self.current]
        lines[-1] += text

    def _break(self) -> None:
        lines = self.sections[self.current]
        if lines[-1].strip():
            lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.in_svg:
            self.in_svg += tag == "svg"
            return
        if tag == "svg":  # an inline chart (role="img"): its name, as an image's alt text
            self.in_svg = 1
            self._break()
            self._add(f"[图片：{dict(attrs).get('aria-label') or ''}]")
            self._break()
            return
        if tag == "title":
            self.in_title = True
            return
        if tag in _HIDDEN:
            self.hidden += 1
            return
        if tag == "h2":
            self.in_h2 = []
            return
        if tag in _BLOCKS:
            self._break()
        if tag == "img":
            alt = dict(attrs).get("alt") or ""
            self._break()
            self._add(f"[图片：{alt}]")
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if self.in_svg:
            self.in_svg -= tag == "svg"
            return
        if tag == "title":
            self.in_title = False
            return
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if tag == "h2" and self.in_h2 is not None:
            heading = _normalise("".join(self.in_h2))
            key, n = heading, 2
            while key in self.sections:  # a heading repeated on one page
                key, n = f"{heading} ({n})", n + 1
            self.sections[key] = [""]
            self.current = key
            self.in_h2 = None
            return
        if tag in _BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.in_svg:
            return
        if self.in_title:
            self.sections[TITLE][-1] += data
        elif self.in_h2 is not None:
            self.in_h2.append(data)
        elif not self.hidden:
            self._add(data)


def _normalise(text: str) -> str:
    return " ".join(_WHEN.sub("<生成时间>", text).split())


def sections(html: str) -> dict[str, list[str]]:
    """The page's text by section: {title or heading: [line, …]}, whitespace-normalised."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    result = {}
    for key, lines in reader.sections.items():
        kept = [line for line in (_normalise(x) for x in lines) if line]
        if kept or key not in (PAGE_TOP,):
            result[key] = kept
    return result


def dump(parts: dict[str, list[str]]) -> str:
    """Sections as a golden text file: "## heading" then one line per block."""
    out = []
    for key, lines in parts.items():
        out.append(f"## {key}")
        out.extend(lines)
        out.append("")
    return "\n".join(out)


def load(text: str) -> dict[str, list[str]]:
    """The inverse of :func:`dump`."""
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = parts.setdefault(line[3:], [])
        elif line and current is not None:
            current.append(line)
    return parts


# ---------------------------------------------------------------------------------------------
# the pages

#: perfkit's own pages, from fixed inputs (hostile texts included)
ERROR_INPUT = {
    "title": "苏州市<b>智慧</b>审判保障中心 2022年度 部门（单位）整体支出预算绩效自评报告",
    "unit_code": "SZ001",
    "unit_name": "苏州市<b>智慧</b>审判保障中心<script>alert(1)</script>",
    "year": 2022,
    "error": "ValueError: 数据有误 <script>alert(1)</script>\n第二行",
    "notebook": "_internal/2022/SZ001.ipynb",
    "log": "_internal/logs/render-20230301-093000-4242.log",
}
FALLBACK_ENTRIES = [
    {"unit_code": "SZ001", "unit_name": "苏州市智慧审判保障中心", "href": "SZ001.html",
     "status": "ok", "error": ""},
    {"unit_code": "SZ002", "unit_name": "<img src=x onerror=alert(1)>阅读中心",
     "href": "SZ002.html", "status": "failed", "error": "KeyError: 'x' <script>"},
]  # fmt: skip
FALLBACK_ERROR = "PapermillExecutionError: 汇总页出错 <iframe>"


def own_pages() -> dict[str, str]:
    """The error page and the fallback index, as perfkit writes them (fixed time)."""
    from perfkit.rendering import htmlexport

    when = datetime(2023, 3, 1, 9, 30)
    return {
        "pages/error": htmlexport.error_page(**ERROR_INPUT, generated_at=when),
        "pages/fallback-index": htmlexport.fallback_index(
            YEAR, FALLBACK_ENTRIES, FALLBACK_ERROR, generated_at=when
        ),
    }


def render_pages(base: Path) -> dict[str, str]:
    """Render the sample, the hostile units and perfkit's own pages: {name: html}."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import hostile

    from perfkit.rendering.pipeline import render

    found: dict[str, str] = {}
    bad = hostile.build(base / "hostile-data")
    for name, data, units in (
        ("sample", SAMPLE, None),
        ("hostile", bad.path, list(hostile.UNITS)),
    ):
        out = base / f"{name}-reports"
        result = render(data, out=out, units=units, jobs=2, progress=False)
        assert result.exit_code == 0, result.summary()
        year = out / str(YEAR)
        # the units' reports, the index, the projects page and every project's report
        for page in sorted([*year.glob("*.html"), *year.glob("*/*.html")]):
            key = page.relative_to(year).with_suffix("").as_posix()
            found[f"{name}/{key}"] = page.read_text(encoding="utf-8")
    found.update(own_pages())
    return found


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        pages = render_pages(Path(tmp))
    for name, html in pages.items():
        path = GOLDEN / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(sections(html)), encoding="utf-8")
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
