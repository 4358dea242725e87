"""Executed notebook → one self-contained Chinese HTML page, and the pages perfkit writes itself.

The export runs nbconvert's ``HTMLExporter`` in-process with perfkit's own template
(``perfkit/report/templates/perfkit``, see :mod:`perfkit.report.templating`): no script,
MathJax, require.js or widget state, no code cells, no prompts, no parameters cells, the CSS
inlined, the Chinese font embedded (:mod:`perfkit.report.webfont`), ``lang="zh-CN"``, an A4
print stylesheet and a Content-Security-Policy that forbids scripts and network fetches. The
error page and the fallback index come from templates sharing the same frame (``base.html.j2``).
:func:`assert_self_contained` checks every page before it is written: a report is shared by
e-mail and published on intranets without internet, so it must not need (or try) to fetch
anything.
"""

from __future__ import annotations

import functools
import os
import re
from datetime import datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from perfkit.core.version import __version__
from perfkit.report import templating, webfont

if TYPE_CHECKING:
    from nbconvert import HTMLExporter
    from nbformat import NotebookNode

TEMPLATE = templating.TEMPLATE_NAME
#: cells with these tags never reach the page (papermill's injected cell, the defaults cell)
REMOVED_CELL_TAGS = frozenset({"injected-parameters", "parameters", "remove-cell", "remove_cell"})
#: what the page may show, in order of preference; anything else (JavaScript, widgets) is dropped
DISPLAY_PRIORITY = (
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/plain",
)


@functools.cache
def exporter(user: tuple[str, ...] = ()) -> HTMLExporter:
    """The HTML exporter, built once per process and set of user template folders (building it
    compiles the templates). ``user``: folders searched before the package's templates."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    class Exporter(HTMLExporter):
        """nbconvert's HTML exporter with the user's template folders searched first, and
        without its BeautifulSoup pass."""

        def _template_paths(self, prune: bool = True, root_dirs: Any = None) -> list[str]:
            return [*user, *super()._template_paths(prune, root_dirs)]

        def from_notebook_node(  # type: ignore[override]
            self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
        ) -> tuple[str, dict[str, Any]]:
            """``HTMLExporter.from_notebook_node`` without its last step, which parses the
            whole page with BeautifulSoup and writes it out again to give ``<img>`` without
            ``alt`` a placeholder and JupyterLab's cell wrappers a ``tabindex``: perfkit's
            template writes ``alt`` on every image and has no such wrappers, and the pass cost
            about 0.05 CPU-s per report (issue 12). The filters it registers first are
            registered here too."""
            from nbconvert.exporters.templateexporter import TemplateExporter
            from nbconvert.filters.highlight import Highlight2HTML
            from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            widgets = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", widgets)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    c = Config()
    c.HTMLExporter.template_name = TEMPLATE
    c.HTMLExporter.extra_template_basedirs = [str(templating.package_templates())]
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.exclude_anchor_links = True
    c.HTMLExporter.embed_images = True
    c.HTMLExporter.sanitize_html = False  # perfkit's templates escape and sanitise
    c.NbConvertBase.display_data_priority = list(DISPLAY_PRIORITY)
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVED_CELL_TAGS)
    c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    return Exporter(config=c)


def export_html(
    nb: NotebookNode, name: str = "report", templates: str | os.PathLike[str] | None = None
) -> str:
    """Render an executed notebook to one HTML page (outputs only). ``templates``: a user's
    template folder (default: ``PERFKIT_TEMPLATES``)."""
    resources = {"metadata": {"name": name}, "perfkit_version": __version__}
    html, _ = exporter(templating.user_dirs(templates)).from_notebook_node(nb, resources=resources)
    return webfont.embed(html)


# ---------------------------------------------------------------------------------------------
# the self-containment check

#: attributes whose value the browser fetches (href only counts on elements other than <a>)
_FETCHED = frozenset(
    {"src", "href", "srcset", "poster", "data", "action", "formaction", "background",
     "xlink:href", "imagesrcset", "ping", "manifest", "codebase"}
)  # fmt: skip
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
#: schemes a browser fetches from the network (or another file); "http:host" counts too
_NETWORK = frozenset({"http", "https", "ftp", "ws", "wss", "file"})
_SCRIPT = frozenset({"javascript", "vbscript"})
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.IGNORECASE)


def _kind(url: str) -> str | None:
    """The URL's kind, "remote", "script" or None, read as a browser reads it (no controls)."""
    url = re.sub(r"[\x00-\x20]", "", url)
    if url.startswith(("//", "\\\\", "/\\", "\\/")):
        return "remote"
    scheme = _SCHEME.match(url)
    name = scheme.group(1).lower() if scheme else ""
    return "remote" if name in _NETWORK else "script" if name in _SCRIPT else None


def _css_offences(css: str, where: str) -> list[str]:
    found = [f"{where} 引用外部样式 @import" for _ in re.finditer(r"@import\b", css, re.I)]
    for m in _CSS_URL.finditer(css):
        is_import = m.group(0).lower().startswith("@import")
        url = m.group(4) if is_import else m.group(2)
        if not is_import and _kind(url):  # every @import is counted above
            found.append(f"{where} 引用外部资源 {m.group(0)[:120]}")
    return found


#: SVG elements that animate or embed other markup: a chart needs none (an <animate> or <set>
#: can turn an attribute into a javascript: link after the page is checked)
_SVG_FORBIDDEN = frozenset(
    {"animate", "animatemotion", "animatetransform", "set", "foreignobject", "discard"}
)
_ANY_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.offences: list[str] = []
        self._in_style = False
        self._svg = 0  # depth of <svg> elements: an inline chart

    def _svg_offences(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Inside an inline SVG, a reference may only point into the page (``#id``): ``href``
        and ``xlink:href`` on any element (links included) and ``url(…)`` in any attribute."""
        if tag in _SVG_FORBIDDEN:
            self.offences.append(f"<svg> 中的 <{tag}> 元素")
        for name, value in attrs:
            value = re.sub(r"[\x00-\x20]", "", value or "")
            if name in ("href", "xlink:href") and not value.startswith("#"):
                self.offences.append(f"<svg> 中的 <{tag} {name}> 指向图表以外 {value[:120]}")
            for m in _ANY_URL.finditer(value):
                if not re.sub(r"[\x00-\x20]", "", m.group(2)).startswith("#"):
                    self.offences.append(f"<svg> 中的 <{tag} {name}> 引用 {m.group(0)[:120]}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.offences.append("<script> 脚本")
        if tag == "style":
            self._in_style = True
        if tag == "svg":
            self._svg += 1
        if self._svg:
            self._svg_offences(tag, attrs)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.offences.append(f"<{tag} {name}=…> 事件脚本")
            elif name == "style":
                self.offences += _css_offences(value, f"<{tag} style>")
            elif name in _FETCHED:
                urls = (
                    [u.strip().split(" ")[0] for u in value.split(",")]
                    if "srcset" in name
                    else [value]
                )
                for url in urls:
                    kind = _kind(url)
                    if kind == "script":
                        self.offences.append(f"<{tag} {name}> javascript: 链接")
                    elif kind == "remote" and not (tag == "a" and name == "href"):
                        self.offences.append(f"<{tag} {name}> 指向外部地址 {url[:120]}")
        if tag == "link":
            self.offences.append(f"<link {dict(attrs).get('rel') or ''}> 外部资源链接")
        if tag in {"iframe", "object", "embed", "base"}:
            self.offences.append(f"<{tag}> 元素")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag == "svg" and self._svg:
            self._svg -= 1

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.offences += _css_offences(data, "<style>")


def assert_self_contained(html: str) -> list[str]:
    """Every reference in ``html`` that would fetch something or run a script ([] when clean).

    Flags: any ``<script>``; ``on…=`` event attributes; ``javascript:`` URLs; ``src``, ``href``
    (except on ``<a>``, a link the reader may follow), ``srcset``, ``poster`` … and CSS ``url()``
    pointing at a network address (``http(s):``, ``ftp:``, ``ws(s):``, ``file:``, or ``//`` —
    read the way a browser reads it: "http:host" and "\\\\host" count, tabs do not hide a
    scheme); any CSS ``@import``; any ``<link>``, ``<iframe>``, ``<object>``, ``<embed>``,
    ``<base>``. Inside an inline ``<svg>`` (a chart) every ``href``/``xlink:href`` — also on
    ``<a>`` — and every ``url(…)`` must point into the page (``#id``), and ``<animate>``,
    ``<set>``, ``<foreignObject>`` … are refused. A page with any offence is not written: its
    unit is marked failed.
    """
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker.offences


# ---------------------------------------------------------------------------------------------
# pages perfkit writes without a notebook: a unit's error page, the fallback index


def error_page(
    title: str,
    unit_code: str,
    unit_name: str,
    year: int,
    error: str,
    notebook: str | None = None,
    generated_at: datetime | None = None,
    templates: str | os.PathLike[str] | None = None,
    project_code: str = "",
    project_name: str = "",
    log: str | None = None,
) -> str:
    """The page written in place of a report that could not be generated, saying why
    (``error.html.j2``; every value escaped). ``error`` is the Chinese sentence (without this
    machine's paths); ``notebook`` and ``log``, the executed notebook and the run's log as paths
    in the output folder, are named as text (the operator folder is not published, so not
    linked). ``templates``: a user's template folder; ``project_code``, ``project_name``: the
    project, for a project's report."""
    html = templating.render(
        "error.html.j2",
        templates,
        title=f"{title}（未能生成）",
        version=__version__,
        generated_at=generated_at or datetime.now().astimezone(),
        heading=title,
        unit_code=unit_code,
        unit_name=unit_name,
        year=year,
        error=error,
        notebook=notebook,
        log=log,
        project_code=project_code,
        project_name=project_name,
    )
    return webfont.embed(html)


def fallback_index(
    year: int,
    entries: list[dict[str, Any]],
    error: str,
    generated_at: datetime | None = None,
    templates: str | os.PathLike[str] | None = None,
    log: str | None = None,
) -> str:
    """The index written when the overview notebook itself failed: every unit, linked, with status
    (``fallback_index.html.j2``); ``log``: the run's log as a path in the output folder.

    ``entries`` are the status records given to the overview notebook
    (``unit_code``, ``unit_name``, ``href``, ``status``, ``error``); a project's record (with
    ``project_code``) is listed under its unit's, with the project's name.
    """
    title = f"{year}年度 部门（单位）整体支出绩效自评 汇总"
    rows = [
        {
            "unit_code": e["unit_code"],
            "unit_name": e["unit_name"],
            "project_code": e.get("project_code") or "",
            "project_name": e.get("project_name") or "",
            "href": e["href"],
            "ok": e["status"] == "ok",
            "error": e.get("error") or "",
        }
        for e in sorted(entries, key=lambda e: (e["unit_code"], e.get("project_code") or ""))
    ]
    html = templating.render(
        "fallback_index.html.j2",
        templates,
        title=title,
        version=__version__,
        generated_at=generated_at or datetime.now().astimezone(),
        heading=title,
        error=error,
        entries=rows,
        log=log,
    )
    return webfont.embed(html)
