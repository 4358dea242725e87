"""Reading what people put in cells, the way they put it there.

A filled-in form holds numbers typed as numbers or as text, percentages as 0.95 shown through a
"%" number format or typed as "95%", thousands separators, full-width digits and stray spaces.
These functions turn a cell into the text the contract expects; what they cannot read is passed
on unchanged so that the validation names it. Text loses the characters of the text policy
(:mod:`perfkit.core.text`), as in every reader; the form reader warns about the cells that had
one (:mod:`perfkit.forms.read`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal
from typing import Any

from perfkit.core.text import clean as policed
from perfkit.core.text import from_cell
from perfkit.data.writers import format_number

#: spaces Excel users type or paste: ideographic space, no-break space, zero-width space
_SPACES = "\u3000\u00a0\u200b\ufeff"
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def clean(text: str) -> str:
    """Without the characters of the text policy, and without ordinary and CJK/no-break spaces at
    both ends."""
    return policed(text).strip().strip(_SPACES).strip()


def percent_format(number_format: str | None) -> str:
    """How a number format shows "%": "scaled" (0.95 shows as 95%), "literal" (95 shows as 95%,
    e.g. ``0"%"``) or "" (no percent sign)."""
    fmt = number_format or ""
    if "%" not in fmt:
        return ""
    return "scaled" if "%" in _QUOTED.sub("", fmt) else "literal"


def number_text(value: Any, number_format: str | None = None) -> str:
    """A numeric cell as the text the user saw: 0.95 with a % format → "95%", 230 → "230"."""
    style = percent_format(number_format)
    if style == "scaled":
        scaled = Decimal(repr(float(value))) * 100
        return f"{format_number(float(scaled))}%"
    text = format_number(value)
    return f"{text}%" if style == "literal" else text


def text_value(value: Any, number_format: str | None = None) -> str:
    """Any cell value as stripped text; numbers as :func:`number_text`, blanks as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return number_text(value, number_format)
    if isinstance(value, dt.datetime | dt.date):
        if isinstance(value, dt.datetime) and value.time() == dt.time(0):
            value = value.date()
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return clean(from_cell(str(value)))


def amount_text(value: Any, number_format: str | None = None) -> str:
    """A cell of a number column (分值, 得分, amounts) as text a number parser reads.

    Numbers are written out exactly; text is folded to half-width (NFKC: "１０" → "10") and loses
    thousands separators and inner spaces ("1,234.5" → "1234.5"). Text that is still not a number
    ("abc", "十分") is returned as written, for the validation to report.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    text = text_value(value, number_format)
    folded = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
    try:
        number = float(folded)
    except ValueError:
        return text
    return folded if math.isfinite(number) else text


def amount(value: Any) -> float | None:
    """A cell as a float, or None when it holds no number."""
    text = amount_text(value)
    try:
        return float(text) if text else None
    except ValueError:
        return None
