"""Units of measure in target notation (rule 5 of :mod:`perfkit.rules.notation`).

Which units a reader recognises (:func:`known_unit`), how two units convert (:func:`conversion`:
magnitude prefixes 十 百 千 万 亿 … before a count, money, mass, length, area or volume unit, and
exact metric equivalences), how a bare magnitude compares with money (:func:`money_reading`:
"150万" against "万元" is 150 万元), and the traditional forms of unit characters that read as
their simplified ones (:data:`TRADITIONAL`: 萬 is 万, 畝 is 亩). Everything is data here;
:mod:`perfkit.rules.notation` reads a cell, this module says what its unit is.
"""

from __future__ import annotations

import functools
from fractions import Fraction

#: units that are never qualitative text on their own (rule 9); any other short unit is accepted
KNOWN_UNITS = frozenset(
    (
        "个", "件", "次", "人次", "天", "小时", "万元", "元", "%", "‰", "期", "台", "起", "户",
        "家", "项", "篇", "场", "人", "名", "册", "套", "份", "批", "处", "条", "家次", "分",
        "年", "月", "日", "周", "公里", "平方米", "亩", "吨", "个百分点", "百分点", "万人次",
        "万人", "千米", "米", "平方公里", "立方米", "公斤", "千克", "克", "张", "本", "部", "辆",
        "所", "座", "栋", "间", "床", "只", "株", "棵", "课时", "学时", "节", "轮", "届", "个月",
        "元/人", "次/年", "km", "kg", "亿元", "千元", "万亩", "万吨", "户次",
    )
)  # fmt: skip

#: magnitude prefixes of rule 5 and their factors ("5万元" is 5 in 万元 = 50000 in 元)
MAGNITUDES = {
    "十": 10, "百": 100, "千": 1000, "万": 10**4, "十万": 10**5, "百万": 10**6, "千万": 10**7,
    "亿": 10**8, "十亿": 10**9, "百亿": 10**10, "千亿": 10**11, "万亿": 10**12,
}  # fmt: skip
#: units a magnitude prefix may stand before: money, counts, mass, length, area, volume; never
#: time (年 月 天 小时 …), scores (分) or rates (% 个百分点), where "万" / "百" would be prose
PREFIXABLE = frozenset(
    (
        "元", "人", "人次", "户", "户次", "家", "家次", "亩", "吨", "件", "个", "次", "册", "本",
        "份", "套", "株", "棵", "台", "张", "条", "名", "只", "头", "座", "辆", "床", "所", "处",
        "项", "篇", "场", "米", "平方米", "立方米", "公里", "平方公里", "克", "公斤", "千克",
    )
)  # fmt: skip
#: units that are a fixed multiple of another (exact, by definition): unit → (factor, base)
EQUIVALENT = {
    "公里": (1000, "米"), "千米": (1000, "米"), "km": (1000, "米"),
    "公斤": (1000, "克"), "千克": (1000, "克"), "kg": (1000, "克"), "吨": (10**6, "克"),
    "平方公里": (10**6, "平方米"), "%": (10, "‰"), "个百分点": (1, "百分点"),
}  # fmt: skip
#: traditional forms of the characters of units, number suffixes and comparator words, and
#: their simplified forms (published tables from Hong Kong and Taiwan style typesetting, and
#: older forms: "120畝", "3萬元", "5噸", "10個", "230餘件", "30天以內", "不低於95%")
TRADITIONAL: dict[str, str] = {
    "萬": "万", "億": "亿", "畝": "亩", "噸": "吨", "個": "个", "項": "项", "場": "场",
    "臺": "台", "檯": "台", "張": "张", "條": "条", "輛": "辆", "間": "间", "處": "处",
    "戶": "户", "週": "周", "冊": "册", "棟": "栋", "隻": "只", "頭": "头", "屆": "届",
    "輪": "轮", "節": "节", "課": "课", "學": "学", "時": "时", "點": "点", "裏": "里",
    "裡": "里", "頃": "顷", "種": "种", "筆": "笔", "門": "门", "餘": "余",
    "內": "内", "於": "于", "過": "过", "約": "约", "達": "达", "為": "为",
}  # fmt: skip
#: :data:`TRADITIONAL` for ``str.translate``
TRADITIONAL_TABLE = str.maketrans(TRADITIONAL)
#: bare magnitudes: a number written with a magnitude and no unit ("150万", "1.2亿", "3千")
BARE_MAGNITUDES = frozenset(m for m in MAGNITUDES if m not in ("十", "百"))
#: the base unit of money: a bare magnitude against a money unit is that magnitude of 元
MONEY = "元"


def simplified(text: str) -> str:
    """``text`` with the traditional forms of :data:`TRADITIONAL` made simplified."""
    return text.translate(TRADITIONAL_TABLE)


def _simple(unit: str) -> tuple[int, str] | None:
    """A simple (non-compound) unit as (factor, base unit): "万元" → (10000, "元"), "吨" →
    (1000000, "克"), "件" → (1, "件"); None when it is not a known unit."""
    if unit in EQUIVALENT:
        return EQUIVALENT[unit]
    if unit in BARE_MAGNITUDES:
        return MAGNITUDES[unit], ""  # "150万": a number of ten thousands of nothing named
    for magnitude, factor in sorted(MAGNITUDES.items(), key=lambda m: -len(m[0])):
        base = unit[len(magnitude) :] if unit.startswith(magnitude) else ""
        if base in PREFIXABLE and base not in MAGNITUDES:
            inner = EQUIVALENT.get(base, (1, base))
            return factor * inner[0], inner[1]
    return (1, unit) if unit in KNOWN_UNITS or unit in PREFIXABLE else None


def _factors(unit: str) -> list[list[str]] | None:
    """A unit's parts (split at "/") and each part's factors (split at "·"); None when a part or
    factor is empty ("件/", "/年")."""
    parts = [part.split("·") for part in unit.split("/")]
    return None if any(not f for part in parts for f in part) else parts


@functools.lru_cache(maxsize=4096)
def known_unit(unit: str) -> bool:
    """Whether a reader recognises the unit (rule 5): "" (none written), a unit of KNOWN_UNITS,
    a magnitude prefix (十 百 千 万 亿 …) before a count, money, mass, length, area or volume unit
    ("万亩", "亿元", "千人次"), a bare magnitude ("150万": :data:`BARE_MAGNITUDES`), or a
    compound of such units joined by "/" or "·" ("元/人·年", "万元/公里", "人次/年"). Unknown
    units are still read (a validator may warn): "200件套"."""
    if unit == "" or unit in KNOWN_UNITS:
        return True
    parts = _factors(unit)
    return parts is not None and all(_simple(f) is not None for part in parts for f in part)


def _decompose(unit: str) -> tuple[Fraction, tuple[tuple[str, ...], ...]] | None:
    """(factor, bases) of a unit: "万元/公里" → (10, (("元",), ("米",))); a factor that is no
    known unit is its own base with factor 1, so an unknown unit matches only itself."""
    parts = _factors(unit)
    if parts is None:
        return (Fraction(1), ((unit,),))
    factor = Fraction(1)
    bases: list[tuple[str, ...]] = []
    for i, part in enumerate(parts):
        names = []
        for f in part:
            mult, base = _simple(f) or (1, f)
            factor = factor * mult if i == 0 else factor / mult
            names.append(base)
        bases.append(tuple(names))
    return factor, tuple(bases)


@functools.lru_cache(maxsize=4096)
def conversion(from_unit: str, to_unit: str) -> float | None:
    """The factor that turns a value in ``from_unit`` into ``to_unit``, or None when the units
    cannot be converted (rule 5).

    1.0 for the same unit, and when either side is "" (no unit written: it takes the other's).
    Magnitude prefixes of the same base: conversion("万元", "元") == 10000.0, conversion("元",
    "亿元") == 1e-8, conversion("万元/公里", "元/公里") == 10000.0, conversion("元/万人", "元/人")
    == 1e-4; exact metric equivalences: conversion("公里", "米") == 1000.0, conversion("吨",
    "公斤") == 1000.0, conversion("%", "‰") == 10.0. None otherwise: conversion("件", "次"),
    conversion("%", "个百分点") (a percentage point is no percent), conversion("月", "天").
    """
    if from_unit == to_unit or not from_unit or not to_unit:
        return 1.0
    a, b = _decompose(from_unit), _decompose(to_unit)
    if a is None or b is None or a[1] != b[1]:
        return None
    return float(a[0] / b[0])


def money_reading(unit: str, other: str) -> str | None:
    """The money unit a bare magnitude means when it is compared with money (issue 16 §10):
    ``money_reading("万", "万元") == "万元"``, ``money_reading("亿", "元") == "亿元"``.

    In a money column or against a money unit, "150万" is 150 万元: nobody writes 万 of
    anything else beside an amount. None when ``unit`` is no bare magnitude or ``other`` is not
    a simple unit of money (元, 千元, 万元, 亿元 …).
    """
    if unit not in BARE_MAGNITUDES or "/" in other or "·" in other:
        return None
    simple = _simple(other)
    return unit + MONEY if simple is not None and simple[1] == MONEY else None


def comparable(a: str, b: str) -> tuple[str, str] | None:
    """The units ``a`` and ``b`` as a reader compares them, or None when they cannot be: the
    units themselves when :func:`conversion` converts them, else with a bare magnitude read as
    money against a money unit (:func:`money_reading`: ("万", "万元") → ("万元", "万元"))."""
    if conversion(a, b) is not None:
        return a, b
    if (money := money_reading(a, b)) is not None and conversion(money, b) is not None:
        return money, b
    if (money := money_reading(b, a)) is not None and conversion(a, money) is not None:
        return a, money
    return None
