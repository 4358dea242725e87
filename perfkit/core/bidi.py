"""Text direction: user text isolated from the text around it (issue 16 item 8).

A name typed into a spreadsheet may hold right-to-left letters (Hebrew, Arabic …) or explicit
direction controls, and an unterminated right-to-left override (U+202E) in a unit's name turns
everything after it in the same paragraph around: in "{单位名称} 2022年度 …" the heading would
read "度年2202". The Unicode bidirectional algorithm (UAX #9) confines such text when it is
*isolated*: put between FIRST STRONG ISOLATE (U+2068) and POP DIRECTIONAL ISOLATE (U+2069), it
is laid out on its own, by its own first strong character, and any embedding or override it opens
ends where the isolate ends; to the text around it the isolate is one neutral character.

:func:`isolate` does that to a text that could reorder its surroundings (one holding a
right-to-left character or a direction control), and leaves every other text exactly as it is:
a text of Chinese, Latin letters, digits and punctuation cannot reorder anything in a
left-to-right page, so isolating it would change nothing a reader sees. Within the text:

- a POP DIRECTIONAL ISOLATE with no isolate of the text's own to close is dropped (in the text on
  its own it does nothing; inside the isolate it would close the isolate early);
- an isolate the text opens and does not close is closed at its end (else the isolate's own
  closing character would close it, and the isolate would run on into the text after it);
- each line (paragraph) is isolated on its own: the algorithm ends every isolate at the end of a
  paragraph.

The pages use it (:mod:`perfkit.report`) for every text from the data; a chart drawn as a picture,
which has no bidirectional layout, drops the controls instead (:func:`strip_controls`).
"""

from __future__ import annotations

import re

from perfkit.core.text import BIDI_CONTROLS

#: FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE
FSI, PDI = "\u2068", "\u2069"
#: isolate initiators: LEFT-TO-RIGHT, RIGHT-TO-LEFT and FIRST STRONG ISOLATE
_INITIATORS = frozenset("\u2066\u2067\u2068")
#: characters that can reorder the text around them in a left-to-right paragraph: the
#: right-to-left scripts' blocks (bidirectional classes R, AL and AN live there) and the direction
#: controls (:data:`perfkit.core.text.BIDI_CONTROLS`; tests/test_bidi.py checks against
#: ``unicodedata.bidirectional`` that none is missed)
_REORDERING = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\U00010800-\U00010fff\U0001e800-\U0001efff"
    f"{BIDI_CONTROLS}]"
)
#: paragraph separators (bidirectional class B): an isolate never runs past one
_PARAGRAPH = re.compile("(\r\n|[\n\r\x1c-\x1e\x85\u2029])")
_CONTROLS = re.compile(f"[{BIDI_CONTROLS}]")


def needs_isolation(text: str) -> bool:
    """Whether ``text`` could reorder the text around it: it holds a right-to-left character or
    a direction control outside isolates it opens and closes itself (text made by
    :func:`isolate`, or holding it, does not)."""
    if _REORDERING.search(text) is None:
        return False
    depth = 0
    for char in text:
        if char in _INITIATORS:
            depth += 1
        elif char == PDI:
            if depth == 0:
                return True  # it would close an isolate opened before it
            depth -= 1
        elif depth == 0 and _REORDERING.match(char):
            return True
        elif depth and _PARAGRAPH.match(char):
            return True  # an isolate left open at the end of a line
    return depth != 0


def isolate(text: str) -> str:
    """``text`` as it may stand inside other text: each of its lines that could reorder its
    surroundings between FSI and PDI (see the module); every other text unchanged. Isolating
    twice gives the same as once."""
    if not needs_isolation(text):
        return text
    parts = _PARAGRAPH.split(text)
    return "".join(
        FSI + _balanced(part) + PDI if i % 2 == 0 and needs_isolation(part) else part
        for i, part in enumerate(parts)
    )


def _balanced(line: str) -> str:
    """``line`` with its unmatched PDIs dropped and its open isolates closed at its end."""
    out: list[str] = []
    depth = 0
    for char in line:
        if char in _INITIATORS:
            depth += 1
        elif char == PDI:
            if depth == 0:
                continue
            depth -= 1
        out.append(char)
    return "".join(out) + PDI * depth


def strip_controls(text: str) -> str:
    """``text`` without its direction controls and marks (for a picture, which is drawn in the
    text's own order and would show them as boxes)."""
    return _CONTROLS.sub("", text)
