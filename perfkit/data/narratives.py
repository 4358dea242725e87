"""A unit's narrative, ``narratives/<年度>/<单位编码>.md``, split into the report's sections.

The self-evaluation report (部门（单位）整体支出绩效自评报告) has four parts that a unit writes in
its own words: 绩效实现情况, 存在问题, 改进措施, 绩效自评结果拟应用和公开情况. A narrative file
marks them with ``#`` or ``##`` headings; a heading belongs to a section when its text contains one
of the section's names in :data:`perfkit.data.contract.NARRATIVE_SECTIONS` ("## 三、存在问题" →
problems; when a heading names several sections, such as "存在问题及改进措施", the first in that
table wins). Text before the first recognised heading, or a file without one, is the ``preamble``; a
heading that names no section stays, with its text, in the section it follows. ``###`` and deeper
headings and anything inside a code fence are content. The Markdown is kept as written: rendering
and sanitising happen in the report.
"""

from __future__ import annotations

import re

from perfkit.data.contract import NARRATIVE_SECTIONS, Narrative

#: an ATX heading of level 1 or 2 (CommonMark: up to 3 spaces of indent, optional closing #s)
_HEADING = re.compile(r"^ {0,3}#{1,2}(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")


def section_of(heading: str) -> str | None:
    """The section a heading names ("三、存在问题" → "problems"), or None."""
    for key, names in NARRATIVE_SECTIONS.items():
        if any(name in heading for name in names):
            return key
    return None


def parse_narrative(text: str) -> Narrative:
    """Split a narrative's Markdown into sections by its ``#``/``##`` headings."""
    parts: dict[str, list[str]] = {key: [] for key in (*NARRATIVE_SECTIONS, "preamble")}
    current = "preamble"
    fence = ""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened["fence"][0] == fence[0] and len(opened["fence"]) >= len(fence):
                fence = ""
        elif opened:
            fence = opened["fence"]
        else:
            heading = _HEADING.match(line)
            key = section_of(heading["text"] or "") if heading else None
            if key:
                if parts[key]:
                    parts[key].append("")
                current = key
                continue
        parts[current].append(line)
    sections = {key: "\n".join(lines).strip("\n") for key, lines in parts.items()}
    return Narrative(**sections, source=text)
