"""The report's stylesheet, shared by every block of every page: the blocks' CSS fortified against
the notebook front end's own, and, in a notebook, the subset of the CJK font the page's blocks
need (the exported page embeds one subset for the whole page instead).

It sits above every page's blocks (:mod:`~perfkit.report.unit`, :mod:`~perfkit.report.projects`,
:mod:`~perfkit.report.index`, :mod:`~perfkit.report.departments`,
:mod:`~perfkit.report.department_page`): to cut the font it renders what the page will show.
"""

from __future__ import annotations

import os
import re

from perfkit.detail import Overview, ProjectDetail, UnitDetail
from perfkit.report import department_page, departments, index, projects, unit, webfont
from perfkit.report.parts import fictional_banner, footer, render_block

#: how many times the first class of each selector is repeated (see :func:`fortify`)
_SPECIFICITY = 4


_SELECTOR_START = re.compile(r"(^|[,{}>])(\s*)(\.[A-Za-z][\w-]*)")


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


#: set by ``perfkit render`` in its notebook kernels: the exported page embeds its own font
BATCH_ENV = "PERFKIT_BATCH"


def fortify(css: str) -> str:
    """``css`` with the first class of every selector repeated (``.pk-table td`` becomes
    ``.pk-table.pk-table.pk-table.pk-table td``): the same elements, but more specific than the
    notebook front ends' own rules for rendered HTML (JupyterLab right-aligns every ``td`` with a
    rule of specificity (0,2,1) and stripes rows with one of (0,3,2)), so that the notebook shows
    the report as the exported page does. Selectors inside ``@media`` are fortified too."""
    css = _CSS_COMMENT.sub("", css)
    return _SELECTOR_START.sub(lambda m: m[1] + m[2] + m[3] * _SPECIFICITY, css)


def stylesheet(source: UnitDetail | ProjectDetail | Overview | None = None) -> str:
    """The CSS of the report's blocks (class ``pk``), fortified against the notebook front end's
    CSS (:func:`fortify`); fonts are local only, nothing is fetched.

    Given what the notebook shows (a :class:`~perfkit.detail.UnitDetail`, a
    :class:`~perfkit.detail.ProjectDetail` or an :class:`~perfkit.detail.Overview`), it also
    embeds the subset of the CJK font that its blocks need, so that Chinese shows in JupyterLab
    on a machine without a Chinese font, as in the exported page. ``perfkit render`` leaves it
    out (``PERFKIT_BATCH``): the exported page embeds one subset for the whole page.
    """
    css = fortify(render_block("stylesheet"))
    if source is None or os.environ.get(BATCH_ENV):
        return css
    chars = webfont.page_chars("".join(page_text(source)))
    return css + render_block("font_face", family=webfont.FAMILY, data=webfont.subset_base64(chars))


def page_text(source: UnitDetail | ProjectDetail | Overview) -> list[str]:
    """The HTML of every text block a notebook shows for ``source`` and the texts of its charts
    (for the font's glyphs): a unit's report, a project's, or an overview's pages (the index,
    the projects page, a department page: one notebook shows one of them, the font covers all)."""
    if isinstance(source, ProjectDetail):
        return projects.blocks_text(source)
    if isinstance(source, UnitDetail):
        return unit.blocks_text(source)
    return [
        *index.blocks_text(source),
        *projects.overview_blocks_text(source),
        *departments.blocks_text(source),
        *department_page.blocks_text(source),
        fictional_banner(source),
        footer(source),
    ]
