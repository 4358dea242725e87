"""Dates in target notation (rules 7 and 12 of :mod:`perfkit.rules.notation`).

The patterns of a month deadline ("12月底前", "2022年12月31日前完成") and of a numeric date
("2022-12-20", "2022.12"), and the point in time a period names ("年底前" → the year's end,
"上半年" → June, "第三季度" → September): :func:`period_date`, :func:`year_date`,
:func:`valid_date`. A date is (year, month, day) with None where it was not written.
"""

from __future__ import annotations

import calendar
import re

#: (year, month, day) of rule 12; None where not written
Date = tuple[int | None, int | None, int | None]
#: verbs that may follow a deadline: "12月底前完成"
DEADLINE_VERBS = "完成|办结|结束|到位|上线|验收|竣工|建成|交付|实施|启动|落实|发放|拨付|支付"


DEADLINE_TAIL = rf"(?:之前|以前|前)?(?:已|全部|按时|如期)?(?:{DEADLINE_VERBS})?"
DEADLINE_RE = re.compile(
    r"(?:(?P<year>(?:19|20)[0-9]{2})年|当年|本年)?(?P<month>[0-9]{1,2})月份?"
    r"(?:底|末|初|上旬|中旬|下旬)?(?:(?P<day>[0-9]{1,2})[日号])?" + DEADLINE_TAIL
)
#: "2022-12-20", "2022/12/20", "2022.12.20", "2022.12" (one separator throughout; rule 12)
NUMERIC_DATE_RE = re.compile(
    r"(?P<year>(?:19|20)[0-9]{2})(?P<sep>[-/.])(?P<month>[0-9]{1,2})"
    r"(?:(?P=sep)(?P<day>[0-9]{1,2})日?)?(?:底|末)?" + DEADLINE_TAIL
)
_YEAR = r"(?:(?P<year>(?:19|20)[0-9]{2})年度?|当年度?|本年度?|今年)"
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
#: periods that end at a known month (rule 12): (pattern, month; None = the year's number only)
_PERIODS = [
    (re.compile(rf"(?:{_YEAR}|年度?)(?:底|末|内|之内|以内){DEADLINE_TAIL}"), 12),
    (re.compile(rf"{_YEAR}{DEADLINE_TAIL}"), None),
    (re.compile(rf"{_YEAR}?上半年(?:底|末)?{DEADLINE_TAIL}"), 6),
    (re.compile(rf"{_YEAR}?下半年(?:底|末)?{DEADLINE_TAIL}"), 12),
    (re.compile(rf"{_YEAR}?第?(?P<q>[一二三四1-4])季度(?:底|末)?{DEADLINE_TAIL}"), 0),
]


def valid_date(year: int | None, month: int, day: int | None) -> bool:
    """Whether the month has the day (no year: February has 29 days)."""
    if not 1 <= month <= 12:
        return False
    last = calendar.monthrange(year or 2000, month)[1]  # no year: 29 days in February
    return day is None or 1 <= day <= last


def period_date(rest: str) -> Date | None:
    """Rule 12: the point in time a text without a month number names ("年底前", "2021年内",
    "第三季度末"), or None."""
    for pattern, month in _PERIODS:
        if (m := pattern.fullmatch(rest)) is None:
            continue
        year = int(m["year"]) if m["year"] else None
        if month is None:  # a year alone: "2021年" names the year; "当年" its end
            return (year, None, None) if year else (None, 12, None)
        return year, (3 * _QUARTERS[m["q"]] if month == 0 else month), None
    return None


def year_date(number: str, unit: str, rest: str) -> Date | None:
    """Rule 12: a year written as a number in 年 ("2021年", "2021年内") also names that year."""
    if unit != "年" or not re.fullmatch(r"(?:19|20)[0-9]{2}", number):
        return None
    return period_date(rest) or (int(number), None, None)
