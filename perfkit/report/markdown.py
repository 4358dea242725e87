"""Narrative Markdown (written by unit staff) to safe HTML for the reports.

Two independent layers, so that a mistake in one is caught by the other:

1. markdown-it-py with the CommonMark preset and ``html=False``: raw HTML in the text is shown
   as text, never passed through; links with a ``javascript:``, ``vbscript:``, ``file:`` or
   ``data:`` target are not made into links; images are shown as their alt text (a report must
   not fetch anything from the network).
2. nh3, an allow-list sanitiser: only the tags below survive, links keep only ``href`` and
   ``title`` with an http, https or mailto scheme (relative links are dropped), every link
   gets ``rel="noopener noreferrer"``, and table cells keep only a ``text-align`` style.

Headings inside a narrative are moved down so that they sit below the report's own section
headings (``<h2>``, ``<h3>``): ``#`` to ``###`` become ``<h4>``, ``####`` ``<h5>``, deeper ``<h6>``
(a narrative's ``#``/``##`` headings usually name its sections and are consumed by
:mod:`perfkit.data.narratives`, so ``###`` is the first level that reaches the report).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: the highest heading level a narrative may produce (below the report's h2 and h3)
TOP_HEADING = 4


def _image_as_text(
    self: object, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Render an image as its alt text: nothing is loaded from anywhere."""
    token = tokens[idx]
    alt = "".join(child.content for child in token.children or [])
    return escape(alt)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("image", _image_as_text)
    return md


_MD = _parser()


def render(text: str | None) -> str:
    """Narrative Markdown as sanitised HTML ("" for blank text)."""
    if not text or not text.strip():
        return ""
    tokens = _MD.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1:]) + 1
            token.tag = f"h{min(max(level, TOP_HEADING), 6)}"
    html = _MD.renderer.render(tokens, _MD.options, {})
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",
        link_rel="noopener noreferrer",
        strip_comments=True,
        filter_style_properties={"text-align"},
    )
