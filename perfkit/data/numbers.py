"""Numbers as tables write them: amounts (with units), points, printed rates, years, months.

The raw tables (:mod:`perfkit.data.readers`) hold text as written; these functions read it:

- amounts and points (分值, 得分) are numbers. Accepted: "1234.5", "1,234.5" (thousands
  separated by commas), full-width digits, point, comma and sign ("１２３．５"), scientific notation
  ("1e3"), and for points the unit "分" written after the number ("10分"). An amount may name its
  unit: "1200元", "1,200.50 元", "0.12万元", "1.2亿元", "12千元" (:data:`AMOUNT_UNITS`); a bare
  amount is in the header's unit ("全年预算数（元）"), 万元 when the header names none. Every
  amount is converted to 万元 with decimal arithmetic, so that 1200元 is exactly the float 0.12.
  Not accepted: "%", words ("约100"), ranges ("100-200");
- a printed 执行率 is a fraction ("95.5%" → 0.955; :func:`rate`);
- 年度 is a four-digit year ("2022"; "2022年" is accepted), 月份 a month 1–12 ("3", "03", "3月").

NaN means blank or not a number in this notation; whether a number is in range is
:mod:`perfkit.data.schemas`' business.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd

from perfkit.data.contract import (
    AMOUNT_UNIT,
    AMOUNT_UNITS,
    MAX_AMOUNT,
    MAX_POINTS,
    MAX_RATE,
    Column,
)
from perfkit.rules.units import BARE_MAGNITUDES, MAGNITUDES, MONEY, simplified

POINTS_UNIT = "分"
#: a rate without "%" (and no "%" in its header) above this is read as a percentage
RATE_PERCENT_ABOVE = 1.5

_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+")
#: the coarsest precision a printed 执行率 is compared at: whole percents
_COARSEST_RATE = Decimal("0.01")
_SCIENTIFIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d+")
_YEAR = re.compile(r"([1-9]\d{3})(?:\.0+)?年?")
_MONTH = re.compile(r"(0?[1-9]|1[0-2])(?:\.0+)?月?")

Values = np.ndarray | pd.Series
#: a written number with more integer digits than this is never an amount: it is read as
#: infinity without any decimal arithmetic (which would overflow at 10^999999)
_HUGE = 40


def _number(text: str, unit: str) -> float:
    folded = unicodedata.normalize("NFKC", text).replace("−", "-").strip()
    folded = folded.removesuffix(unit).rstrip() if unit else folded
    return float(folded.replace(",", "")) if _NUMBER.fullmatch(folded) else math.nan


#: the magnitudes an amount's unit may carry before 元 ("3千万元", "1.2亿元"); alone, without
#: 元, a bare magnitude of :data:`perfkit.rules.units.BARE_MAGNITUDES` ("150万") means that
#: magnitude of 元 in a money column (issue 16 §10): it is read, and flagged
_MAGNITUDE = "|".join(sorted(MAGNITUDES, key=len, reverse=True))
_AMOUNT = re.compile(
    r"(?P<number>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?|[+-]?\.\d+)"
    rf"\s*(?P<magnitude>{_MAGNITUDE})?(?P<yuan>元)?"
)
#: 元 in 万元
_YUAN = AMOUNT_UNITS[MONEY]


def amount_reading(text: str, header_unit: str = AMOUNT_UNIT) -> tuple[float, str]:
    """An amount as 万元, and the bare magnitude it was written with ("" when none).

    "1200元" → (0.12, ""), "1.2亿元" → (12000, ""), "3千万元" → (3000, ""), "1200" under a 元
    header → (0.12, ""); "150万" → (150, "万") whatever the header's unit: in a money column 万
    means 万元 (a reader takes "150万" under a 万元 header as 150 万元, and under a 元 header
    1,500,000 元 is the same amount). Traditional forms read as simplified ("150萬元" → 150).
    NaN when blank or not an amount (see the module's notation). Decimal arithmetic, so the
    result is the float nearest to the exact 万元 figure. A number too large for a float
    ("1e309", 5,000 digits, "1e9999999") is ±infinity: :func:`in_range` says it is no amount.
    """
    folded = simplified(unicodedata.normalize("NFKC", text).replace("−", "-").strip())
    match = _AMOUNT.fullmatch(folded)
    if match is None:
        return math.nan, ""
    magnitude = match["magnitude"] or ""
    bare = "" if match["yuan"] else magnitude
    if bare and bare not in BARE_MAGNITUDES:
        return math.nan, ""  # "150十": no amount
    if match["yuan"] or magnitude:
        factor = Decimal(MAGNITUDES.get(magnitude, 1)) * _YUAN
    else:
        factor = AMOUNT_UNITS[header_unit]
    number = Decimal(match["number"].replace(",", ""))
    if number.adjusted() > _HUGE:  # no arithmetic on it: the decimal context would overflow
        return math.copysign(math.inf, number), bare
    return float(number * factor), bare


def amount_value(text: str, header_unit: str = AMOUNT_UNIT) -> float:
    """An amount as 万元 (:func:`amount_reading` without the magnitude)."""
    return amount_reading(text, header_unit)[0]


def parse_amounts(values: Values, header_unit: str = AMOUNT_UNIT) -> np.ndarray:
    """Each text as an amount in 万元 (NaN: blank or not an amount), see :func:`amount_value`."""
    if header_unit == AMOUNT_UNIT:
        text = np.asarray(values, dtype=object)
        out = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(float)
        out = out.copy()
        out[~np.isfinite(out)] = np.nan
        for i in np.flatnonzero(np.isnan(out)):
            if text[i]:
                out[i] = amount_value(text[i], header_unit)
        return out
    return np.array([amount_value(v, header_unit) if v else math.nan for v in values], dtype=float)


def parse_numbers(values: Values, unit: str = AMOUNT_UNIT) -> np.ndarray:
    """Each text as a float (NaN when blank or not a number in the notation above).

    ``unit`` "万元" (or another amount unit, the header's) reads amounts, converted to 万元;
    "分" reads points.
    """
    if unit in AMOUNT_UNITS:
        return parse_amounts(values, unit)
    text = np.asarray(values, dtype=object)
    out = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(float, copy=True)
    out[~np.isfinite(out)] = np.nan  # "inf" and "nan" are not amounts
    for i in np.flatnonzero(np.isnan(out)):
        if text[i]:
            out[i] = _number(text[i], unit)
    return out


def _by_pattern(values: Values, pattern: re.Pattern[str]) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for i, text in enumerate(values):
        match = pattern.fullmatch(unicodedata.normalize("NFKC", text))
        if match:
            out[i] = float(match[1])
    return out


def parse_years(values: Values) -> np.ndarray:
    """Each text as a year (float; NaN when not a four-digit year)."""
    return _by_pattern(values, _YEAR)


def parse_months(values: Values) -> np.ndarray:
    """Each text as a month 1–12 (float; NaN otherwise)."""
    return _by_pattern(values, _MONTH)


_RATE = re.compile(r"(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<percent>%)?")


def rate(text: str, header_percent: bool = False) -> tuple[float, str]:
    """A printed 执行率 as a fraction, and "" or the warning code it earns.

    "95.5%" → 0.955; "95.5" → 0.955 when the header says "%" ("执行率（%）"). A bare number
    without "%" anywhere is doubtful (``rate_without_percent``): above
    :data:`RATE_PERCENT_ABOVE` it is read as a percentage ("95.5" → 0.955), otherwise as a
    fraction ("0.955" → 0.955; "1" → 1.0); 0 is 0 either way and not flagged. Anything else
    ("约95%", "-5%", "95-100%", a rate of :data:`~perfkit.data.contract.MAX_RATE` or more) is
    NaN with ``reported_execution_unreadable``. Blank: (NaN, "").
    """
    read, code, _ = _rate(text, header_percent)
    return (math.nan if read is None else float(read)), code


def rate_step(text: str, header_percent: bool = False) -> float:
    """The precision a 执行率 was printed at, as a fraction: the unit of its last digit ("86%"
    → 0.01, "95.83%" → 0.0001, "0.958" read as a fraction → 0.001), at most 1% (no table
    prints a rate coarser than whole percents: "1" read as 100% and "0" are compared at 1%);
    NaN when unreadable."""
    return _rate(text, header_percent)[2]


def _rate(text: str, header_percent: bool) -> tuple[Decimal | None, str, float]:
    """(the fraction read or None, the warning code, the step printed) of :func:`rate`."""
    if not text:
        return None, "", math.nan
    folded = unicodedata.normalize("NFKC", text).strip().replace("百分比", "%")
    match = _RATE.fullmatch(folded)
    if match is None:
        return None, "reported_execution_unreadable", math.nan
    number = Decimal(match["number"])
    step = Decimal(1).scaleb(number.as_tuple().exponent)
    if match["percent"] or header_percent:
        read, code, step = number / 100, "", step / 100
    elif number == 0:
        read, code = Decimal(0), ""
    elif number > Decimal(str(RATE_PERCENT_ABOVE)):
        read, code, step = number / 100, "rate_without_percent", step / 100
    else:
        read, code = number, "rate_without_percent"
    if not read < MAX_RATE:  # 10,000% or more, or no float: no table's execution
        return None, "reported_execution_unreadable", math.nan
    return read, code, float(min(step, _COARSEST_RATE))


def points_step(text: str) -> float:
    """The precision a number of points (得分) was printed at: the unit of its last digit ("9"
    → 1, "9.5分" → 0.1, "9.50" → 0.01), at most 1 point; NaN when blank or not a number."""
    folded = unicodedata.normalize("NFKC", text).strip().removesuffix(POINTS_UNIT).strip()
    folded = folded.replace(",", "")
    if not folded or (not _NUMBER.fullmatch(folded) and not _SCIENTIFIC.fullmatch(folded)):
        return math.nan
    number = Decimal(folded)
    if not number.is_finite():
        return math.nan
    return float(min(Decimal(1).scaleb(number.as_tuple().exponent), Decimal(1)))


def parse_rates(values: Values, header_percent: bool = False) -> np.ndarray:
    """Each printed 执行率 as a fraction (NaN when blank or unreadable), see :func:`rate`."""
    return np.array([rate(v, header_percent)[0] for v in values], dtype=float)


def parser(column: Column, header_unit: str | None = None) -> Callable[[Values], np.ndarray]:
    """The function that turns a column's texts into floats, by the column's kind and unit
    (``header_unit``: the unit the header names, :attr:`RawTable.units`)."""
    if column.kind == "year":
        return parse_years
    if column.kind == "month":
        return parse_months
    if column.unit == "%":
        return lambda values: parse_rates(values, header_unit == "%")
    if column.unit == POINTS_UNIT:
        return lambda values: parse_numbers(values, POINTS_UNIT)
    unit = header_unit or AMOUNT_UNIT
    return lambda values: parse_amounts(values, unit)


def bound(column: Column) -> float:
    """The contract's bound of a number column's values (exclusive): :data:`MAX_AMOUNT` 万元 for
    amounts, :data:`MAX_POINTS` for points (分值, 得分), :data:`MAX_RATE` for a printed 执行率."""
    if column.unit == "%":
        return float(MAX_RATE)
    return float(MAX_POINTS) if column.unit == POINTS_UNIT else float(MAX_AMOUNT)


def in_range(values: np.ndarray, limit: float) -> np.ndarray:
    """Whether each number is finite and of magnitude below ``limit``; NaN (blank, not a
    number) counts as in range: that is another check's business."""
    with np.errstate(invalid="ignore"):
        return np.isnan(values) | (np.abs(values) < limit)
