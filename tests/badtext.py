"""Text carrying every class of character perfkit does not keep (perfkit/core/text.py), and the
terminal escape sequences a cell could hide, for the tests of readers, writers and the terminal.

``CLASSES`` names one character of each class; ``IN_FILES`` leaves out the lone surrogate, which
no UTF-8 file can hold (it reaches perfkit only from Python). :func:`spoil` puts characters
inside a text (not at its ends, where stripping would hide what the policy does), and
:func:`spoiled_tables` gives csvdata's two-unit dataset with every text cell spoiled.
"""

from __future__ import annotations

from csvdata import tables

#: one character of each class the policy removes (perfkit.core.text.FORBIDDEN)
CLASSES = {
    "NUL": "\x00",
    "SOH": "\x01",
    "VT": "\x0b",
    "ESC": "\x1b",
    "US": "\x1f",
    "DEL": "\x7f",
    "C1 NEL": "\x85",
    "C1 CSI": "\x9b",
    "U+FDD0": "\ufdd0",
    "U+FFFE": "\ufffe",
    "U+FFFF": "\uffff",
    "U+1FFFE": "\U0001fffe",
    "U+10FFFF": "\U0010ffff",
    "lone surrogate": "\ud800",
}
#: the classes a UTF-8 file can hold
IN_FILES = {name: c for name, c in CLASSES.items() if name != "lone surrogate"}
ALL = "".join(CLASSES.values())
ALL_IN_FILES = "".join(IN_FILES.values())
#: the escapes a message shows for ALL_IN_FILES, worked out by hand
ALL_IN_FILES_SHOWN = (
    "\\x00\\x01\\x0b\\x1b\\x1f\\x7f\\x85\\x9b\\ufdd0\\ufffe\\uffff\\U0001fffe\\U0010ffff"
)

#: terminal control sequences a cell or a file name could carry
OSC_TITLE = "\x1b]0;PWNED\x07"
OSC_CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"
OSC_LINK = "\x1b]8;;http://evil.example/\x1b\\点我\x1b]8;;\x1b\\"
CSI_CLEAR = "\x1b[2J\x1b[1;1H"
C1_CSI = "\x9b31m"
C1_OSC = "\x9d0;T\x9c"
DCS = "\x1bP1$r\x1b\\"
BIDI = "\u202e"
SEQUENCES = OSC_TITLE + OSC_CLIPBOARD + OSC_LINK + CSI_CLEAR + C1_CSI + C1_OSC + DCS + BIDI
#: bytes a terminal acts on: ESC, BEL, the C1 controls, bidi overrides
TERMINAL_CONTROLS = ("\x1b", "\x07", "\x9b", "\x9c", "\x9d", "\x90", BIDI)

#: the text columns of csvdata's tables (codes, years and numbers stay clean: they are checked)
TEXT_COLUMNS = {
    "units": ("单位名称", "主管部门", "主要职能", "内设机构", "下属单位"),
    "budget": ("资金来源", "支出类型", "项目"),
    "indicators": (
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "偏差原因分析及改进措施",
    ),
    "goals": ("预期目标", "实际完成情况"),
    "monthly": ("项目",),
}


def spoil(text: str, chars: str = ALL_IN_FILES) -> str:
    """``text`` with ``chars`` after its first character ("" stays "")."""
    return text[:1] + chars + text[1:] if text else text


def spoiled_tables(chars: str = ALL_IN_FILES) -> dict[str, list[list[str]]]:
    """csvdata's dataset with every non-blank text cell spoiled (header rows left as they are)."""
    data = tables()
    for name, columns in TEXT_COLUMNS.items():
        header, *rows = data[name]
        for column in columns:
            at = header.index(column)
            for row in rows:
                row[at] = spoil(row[at], chars)
    return data
