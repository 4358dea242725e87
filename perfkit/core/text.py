"""The text perfkit accepts: one declaration of the characters it never keeps, and how text from
users is written into files, shown in a message and echoed to a terminal (issue 16 §6, §8).

**The policy.** Tables, forms and narratives are typed or pasted by people, and sometimes carry
characters that no reader sees and that no file format perfkit writes can hold everywhere:
:data:`FORBIDDEN` matches them —

- the C0 control characters U+0000–U+001F except tab, line feed and carriage return (a NUL, an
  ESC, the ``\\x01`` of a bad copy and paste): XML 1.0, and so every .xlsx workbook, cannot hold
  them;
- DEL (U+007F) and the C1 control characters U+0080–U+009F (text decoded in the wrong encoding;
  a terminal takes U+009B and U+009D for the start of a control sequence);
- the lone surrogates U+D800–U+DFFF (not characters at all: no UTF-8 file can hold them);
- the Unicode non-characters U+FDD0–U+FDEF and the last two code points of every plane
  (U+FFFE, U+FFFF, U+1FFFE … U+10FFFF): XML 1.0 forbids U+FFFE and U+FFFF, and none of them is
  text.

openpyxl's own ``ILLEGAL_CHARACTERS_RE`` is a subset (the C0 characters); this is the bar.

**What perfkit does with them.** A careful reader reads ``"苏州市\\x01中心"`` as
``"苏州市中心"``: the readers take these characters out of every cell, header and narrative on
reading, and ``perfkit validate`` lists each cell that had one as a warning (code
``forbidden_characters``, the value shown escaped: ``"苏州市\\x01中心"``), so nothing is dropped
silently. Every writer
removes them too (:func:`clean`), the same way everywhere — CSV folders and workbooks
(``perfkit export``, ``forms collect``), the forms (``forms make``), the score CSV, the report
pages (the Jinja2 environment's ``finalize``) — so that every file perfkit writes can be read
back by perfkit, by Excel and by a strict parser, whatever text came in. JSON output keeps the
text exact instead: :func:`json_text` escapes what it must.

**Workbooks.** Excel writes a control character of a cell as ``_x0001_`` (and the carriage return
of a pasted line break as ``_x000D_``), and a literal ``_x0001_`` as ``_x005F_x0001_`` (OOXML's
ST_Xstring); openpyxl leaves both as they are. The readers decode them (:func:`from_cell`), so
that a cell reads as Excel shows it — and the policy then removes the control character with a
warning —, and the writers encode a literal ``_xHHHH_`` (:func:`to_cell`), so that it reads back
as written.

**Messages and terminals.** A problem quotes the value it is about with :func:`shown`, which
writes these characters (and tab, line breaks, bidirectional controls) as escapes such as
``\\x01``, so that the user can find them. Whatever perfkit echoes to a terminal goes through
:func:`for_terminal`, which removes every escape sequence (CSI, OSC, DCS … in their 7-bit and
8-bit forms) and every control character but perfkit's own line breaks and tabs: a cell value
cannot retitle the terminal, write to the clipboard, plant a hyperlink or overwrite a line.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_C0 = "\x00-\x08\x0b\x0c\x0e-\x1f"
_DEL_C1 = "\x7f-\x9f"
_SURROGATES = "\ud800-\udfff"
_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff" + "".join(
    chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(1, 17)
)
#: every character perfkit does not keep in text (see the module's policy)
FORBIDDEN = re.compile(f"[{_C0}{_DEL_C1}{_SURROGATES}{_NONCHARACTERS}]")
#: the same search, fast: Python's ``re`` scans a class with astral members about ten times
#: slower, and a character beyond the BMP is rare in a table, so the BMP's forbidden characters
#: are searched first and the astral non-characters only where some astral character is
_FORBIDDEN_BMP = re.compile(f"[{_C0}{_DEL_C1}{_SURROGATES}\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

#: characters that change the direction of the text around them (Unicode bidi controls): they
#: are text, kept in files, but shown escaped in a message and removed from a terminal's echo
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SHOWN = re.compile(f"[\t\n\r{_C0}{_DEL_C1}{_SURROGATES}{_NONCHARACTERS}{BIDI_CONTROLS}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

#: terminal escape sequences, 7-bit (ESC …) and 8-bit (C1) forms: CSI (ESC [ or U+009B … final
#: byte), the string sequences OSC, DCS, SOS, PM and APC up to their terminator (BEL or ST), and
#: the other ESC sequences (ESC, intermediate bytes, final byte). An unterminated string sequence
#: loses its introducer, which leaves its payload as plain text.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]"
)
#: what a terminal echo removes after the sequences: every control character but tab and line
#: feed (perfkit's own layout), the policy's characters, and the bidi controls
_TERMINAL = re.compile(f"[\r{_C0}{_DEL_C1}{_SURROGATES}{_NONCHARACTERS}{BIDI_CONTROLS}]")

#: what JSON output escapes beyond what ``json.dumps`` does (it escapes C0 only): DEL, C1, the
#: non-characters, the bidi controls and U+2028/U+2029 (line breaks to JavaScript)
_JSON_ESCAPED = re.compile(f"[{_DEL_C1}{_NONCHARACTERS}{BIDI_CONTROLS}\u2028\u2029]")
_JSON_SURROGATE = re.compile(f"[{_SURROGATES}]")


def has_forbidden(text: str) -> bool:
    """Whether ``text`` holds a character of :data:`FORBIDDEN`. Printable text (no control,
    format, surrogate, private-use, unassigned or separator character but the space: what most
    cells are) cannot, and ``str.isprintable`` tells it at C speed."""
    if text.isprintable():
        return False
    if _FORBIDDEN_BMP.search(text) is not None:
        return True
    return _ASTRAL.search(text) is not None and FORBIDDEN.search(text) is not None


def clean(text: str) -> str:
    """``text`` without the characters of :data:`FORBIDDEN` (what every writer keeps)."""
    return FORBIDDEN.sub("", text) if has_forbidden(text) else text


def forbidden_in(text: str) -> list[str]:
    """The distinct characters of :data:`FORBIDDEN` in ``text``, in order of appearance."""
    return list(dict.fromkeys(FORBIDDEN.findall(text)))


def escape(char: str) -> str:
    """One character as an escape a reader can type: ``\\x01``, ``\\u202e``, ``\\U0001fffe``;
    tab and line breaks as ``\\t``, ``\\n``, ``\\r``."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(text: str) -> str:
    """``text`` as a message quotes it: every control character, forbidden character and bidi
    control written as its escape (:func:`escape`), everything else as it is. The result holds
    no control character at all, so it is also safe on a terminal."""
    return _SHOWN.sub(lambda m: escape(m.group()), text)


def for_terminal(text: str) -> str:
    """``text`` safe to echo to a terminal: escape sequences (CSI, OSC, DCS, SOS, PM, APC and the
    other ESC sequences, 7-bit and 8-bit) removed whole, then every control character but line
    feed and tab, every character of :data:`FORBIDDEN` and every bidi control removed."""
    if not _TERMINAL.search(text):
        return text
    return _TERMINAL.sub("", _SEQUENCE.sub("", text))


#: OOXML's escape of one UTF-16 code unit in a cell's text: ``_x000D_``
_CELL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
#: an underscore that begins what would read as an escape (escapes may share underscores)
_CELL_LITERAL = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")


def from_cell(text: str) -> str:
    """A workbook cell's string as Excel shows it: every ``_xHHHH_`` decoded (``_x005F_`` is
    ``_``, so ``_x005F_x0001_`` is the literal text ``_x0001_``)."""
    if "_x" not in text:
        return text
    return _CELL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def to_cell(text: str) -> str:
    """Text as written into a workbook cell: without the characters of :data:`FORBIDDEN`, and
    every underscore that begins a literal ``_xHHHH_`` written ``_x005F_``, so that
    :func:`from_cell` gives the text back."""
    text = clean(text)
    return _CELL_LITERAL.sub("_x005F_", text) if "_x" in text else text


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float (at any depth) replaced by None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def json_text(value: Any, indent: int | None = None) -> str:
    """``value`` as strict JSON (RFC 8259), Chinese kept readable (not ``\\u`` escaped).

    Text stays exact: control characters, DEL, C1, non-characters and bidi controls are written
    as ``\\uXXXX`` escapes (a JSON parser gives back the very characters); a lone surrogate, which
    no UTF-8 text can hold, becomes U+FFFD. NaN and infinities become ``null``.
    """
    try:
        out = json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False)
    except ValueError:
        out = json.dumps(_finite(value), ensure_ascii=False, indent=indent, allow_nan=False)
    out = _JSON_SURROGATE.sub("\\\\ufffd", out)
    return _JSON_ESCAPED.sub(lambda m: _json_escape(m.group()), out)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a character beyond the BMP: its UTF-16 surrogate pair, as JSON writes it
    return f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}"
