"""Numbers and words as the report prints them: the Jinja filters of the report's templates.

Each filter takes a plain value from a view model and returns plain text (the template escapes
it). The numbers come from :mod:`perfkit.core.formatting` (rounded 四舍五入, never half-even);
a missing value (None, NaN, pd.NA) prints as "—".

======================  ========================  =====================================
filter                  example                   used for
======================  ========================  =====================================
``money``               1234.565 → "1,234.57"     an amount in 万元 in a table cell
``wan``                 800 → "800.00 万元"       an amount in a sentence
``rate``                0.95225 → "95.23%"        a fraction as a percentage
``points``              9.6 → "9.60"              a score (分)
``number``              90.0 → "90"               a weight, a threshold: no trailing zeros
``chinese_number``      12 → "十二"               一是……二是……, 图一 …
``numbered``            2 → "（二）"              numbered sub-headings
======================  ========================  =====================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from perfkit.core.bidi import isolate
from perfkit.core.formatting import fixed, half_up, num, percent

DASH = "—"
_CN_DIGITS = "〇一二三四五六七八九"


def missing(x: object) -> bool:
    """None, NaN or pd.NA."""
    return x is None or bool(pd.api.types.is_scalar(x) and pd.isna(x))


def text(x: object) -> str:
    """A text from the data as a page prints it: "" for None and NaN; isolated from the text
    around it when it could reorder it (right-to-left letters, direction controls:
    :func:`perfkit.core.bidi.isolate`)."""
    return "" if missing(x) else isolate(str(x))


def money(x: float | None) -> str:
    """An amount in 万元 with thousands separators and 2 decimals: "1,234.56" (NaN: "—")."""
    return DASH if missing(x) else f"{half_up(float(x), 2):,.2f}"  # type: ignore[arg-type]


def wan(x: float | None) -> str:
    """An amount in a sentence: "1,234.56 万元"."""
    return f"{money(x)} 万元"


def rate(x: float | None) -> str:
    """A fraction as a percentage: 0.9523 → "95.23%" (NaN: "—")."""
    return DASH if missing(x) else percent(float(x))  # type: ignore[arg-type]


def points(x: float | None) -> str:
    """A score with 2 decimals: "9.60" (NaN: "—")."""
    return DASH if missing(x) else fixed(float(x))  # type: ignore[arg-type]


def number(x: float | None) -> str:
    """A number as a reader writes it: 200, 0.5, 12.25 (NaN: "—")."""
    return DASH if missing(x) else num(float(x))  # type: ignore[arg-type]


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (for 1 ≤ n ≤ 99)."""
    tens, units = divmod(int(n), 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + (_CN_DIGITS[units] if units else "")


def numbered(n: int) -> str:
    """A numbered sub-heading's number: 1 → "（一）"."""
    return f"（{chinese_number(n)}）"


#: name → filter, as registered in the report's template environment
FILTERS: dict[str, Callable[[Any], str]] = {
    "money": money,
    "wan": wan,
    "rate": rate,
    "points": points,
    "number": number,
    "chinese_number": chinese_number,
    "numbered": numbered,
}
