"""The target notation (issue 2 §3, domain.md §5): every form, written out by hand.

Each row of QUANTITATIVE is (text, comparator, value, unit, approx, implicit), read off the text
by the rules in perfkit/rules/notation.py's docstring, not copied from the parser's output.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from perfkit.rules.notation import (
    KNOWN_UNITS,
    NotationError,
    Target,
    format_target,
    parse,
    same_unit,
)

QUANTITATIVE = [
    # --- comparator symbols, ASCII and full-width / other forms (rule 2) ---
    ("≥200件", ">=", 200, "件", False, False),
    ("≥50个", ">=", 50, "个", False, False),
    (">=50个", ">=", 50, "个", False, False),
    ("=>50个", ">=", 50, "个", False, False),
    ("≧50个", ">=", 50, "个", False, False),
    ("⩾50个", ">=", 50, "个", False, False),
    ("≥=50个", ">=", 50, "个", False, False),
    ("≮95%", ">=", 95, "%", False, False),
    ("＞＝５个", ">=", 5, "个", False, False),  # full-width ＞＝ is >=, ５ is 5
    ("≤90万元", "<=", 90, "万元", False, False),
    ("<=90万元", "<=", 90, "万元", False, False),
    ("=<90万元", "<=", 90, "万元", False, False),
    ("≦90万元", "<=", 90, "万元", False, False),
    ("⩽90万元", "<=", 90, "万元", False, False),
    ("≤=90万元", "<=", 90, "万元", False, False),
    ("≯5%", "<=", 5, "%", False, False),
    ("≤10次", "<=", 10, "次", False, False),
    (">0次", ">", 0, "次", False, False),
    ("＞0次", ">", 0, "次", False, False),
    ("<5%", "<", 5, "%", False, False),
    ("＜5%", "<", 5, "%", False, False),
    ("=100%", "=", 100, "%", False, False),
    ("＝100%", "=", 100, "%", False, False),
    ("==0起", "=", 0, "起", False, False),
    ("=0次", "=", 0, "次", False, False),
    # --- comparator words before the number ---
    ("不低于12次", ">=", 12, "次", False, False),
    ("不少于12次", ">=", 12, "次", False, False),
    ("大于等于12次", ">=", 12, "次", False, False),
    ("大于或等于12次", ">=", 12, "次", False, False),
    ("至少12次", ">=", 12, "次", False, False),
    ("不得低于95%", ">=", 95, "%", False, False),
    ("不高于30天", "<=", 30, "天", False, False),
    ("不超过30天", "<=", 30, "天", False, False),
    ("小于等于30天", "<=", 30, "天", False, False),
    ("最多30天", "<=", 30, "天", False, False),
    ("不大于3项", "<=", 3, "项", False, False),
    ("控制在30天以内", "<=", 30, "天", False, False),  # 控制在 and 以内: both ≤, no conflict
    ("大于5家", ">", 5, "家", False, False),
    ("超过5家", ">", 5, "家", False, False),
    ("低于2%", "<", 2, "%", False, False),
    ("不足2%", "<", 2, "%", False, False),
    ("等于0起", "=", 0, "起", False, False),
    # --- comparator words after the number: 以上/以下/以内 include the number ---
    ("200件以上", ">=", 200, "件", False, False),
    ("95%及以上", ">=", 95, "%", False, False),
    ("95%或以上", ">=", 95, "%", False, False),
    ("200件以上(含)", ">=", 200, "件", False, False),
    ("200件以上（含）", ">=", 200, "件", False, False),
    ("200件以上（不含）", ">", 200, "件", False, False),
    ("5%以下", "<=", 5, "%", False, False),
    ("5%及以下", "<=", 5, "%", False, False),
    ("5%以下(不含)", "<", 5, "%", False, False),
    ("30天以内", "<=", 30, "天", False, False),
    ("30天之内", "<=", 30, "天", False, False),
    ("30天内", "<=", 30, "天", False, False),
    ("3个工作日内", "<=", 3, "个工作日", False, False),
    ("不少于200件以上", ">=", 200, "件", False, False),  # the same comparator twice
    # --- approximations: value as written, approx=True; bare, so implicit ≥ ---
    ("230余件", ">=", 230, "件", True, True),
    ("170余件", ">=", 170, "件", True, True),
    ("10余次", ">=", 10, "次", True, True),
    ("150余人次", ">=", 150, "人次", True, True),
    ("10多次", ">=", 10, "次", True, True),
    ("约5万元", ">=", 5, "万元", True, True),
    ("大约5万元", ">=", 5, "万元", True, True),
    ("5万元左右", ">=", 5, "万元", True, True),
    ("5万元上下", ">=", 5, "万元", True, True),
    ("近5万元", ">=", 5, "万元", True, True),
    ("逾200人", ">=", 200, "人", True, True),
    ("1万余元", ">=", 1, "万元", True, True),  # 余 after the magnitude: 1 in 万元
    ("100多万元", ">=", 100, "万元", True, True),
    ("≥约200件", ">=", 200, "件", True, False),
    ("不少于200余件", ">=", 200, "件", True, False),
    # --- bare numbers: implicit ≥ ---
    ("98%", ">=", 98, "%", False, True),
    ("200件", ">=", 200, "件", False, True),
    ("5", ">=", 5, "", False, True),
    ("0", ">=", 0, "", False, True),
    ("完成200件", ">=", 200, "件", False, True),  # 完成 is a neutral verb
    ("达到95%", ">=", 95, "%", False, True),
    ("累计150人次", ">=", 150, "人次", False, True),
    # --- units: ％ and 百分比 are %, full-width digits, decimals, thousands ---
    ("98％", ">=", 98, "%", False, True),
    ("≥100百分比", ">=", 100, "%", False, False),
    ("百分之95", ">=", 95, "%", False, True),
    ("９８．５％", ">=", 98.5, "%", False, True),  # ９８．５ is 98.5
    ("≥98.5%", ">=", 98.5, "%", False, False),
    ("≥0.5%", ">=", 0.5, "%", False, False),
    ("1,000件", ">=", 1000, "件", False, True),
    ("≥1,234,567.5元", ">=", 1234567.5, "元", False, False),
    ("1，000件", ">=", 1000, "件", False, True),  # full-width comma
    ("≥5个百分点", ">=", 5, "个百分点", False, False),
    ("≥200件/年", ">=", 200, "件/年", False, False),
    ("≤3小时", "<=", 3, "小时", False, False),
    ("≥10平方公里", ">=", 10, "平方公里", False, False),
    ("≥50km", ">=", 50, "km", False, False),
    ("≤-5%", "<=", -5, "%", False, False),  # a decrease target (三公经费变动率)
    ("≤−5%", "<=", -5, "%", False, False),  # U+2212 minus sign
    ("≥90分", ">=", 90, "分", False, False),
    # --- whitespace and punctuation ---
    (" ≥ 200 件 ", ">=", 200, "件", False, False),
    ("≥200件。", ">=", 200, "件", False, False),
    ("≥\u3000200件", ">=", 200, "件", False, False),  # ideographic space
    ("\ufeff≥200件", ">=", 200, "件", False, False),  # a BOM left on the cell
    # --- deadlines: the month, unit 月, ≤ (the day is dropped: 11月30日前 is ≤11月) ---
    ("12月底前", "<=", 12, "月", False, False),
    ("12月31日前", "<=", 12, "月", False, False),
    ("11月30日前", "<=", 11, "月", False, False),
    ("6月前", "<=", 6, "月", False, False),
    ("6月之前", "<=", 6, "月", False, False),
    ("12月底前完成", "<=", 12, "月", False, False),
    ("2022年12月底前完成", "<=", 12, "月", False, False),
    ("不晚于10月", "<=", 10, "月", False, False),
    ("≤12月", "<=", 12, "月", False, False),
    ("11月底", "<=", 11, "月", False, False),
    ("11月完成", "<=", 11, "月", False, False),
    ("已于11月完成", "<=", 11, "月", False, False),
    ("12月", "<=", 12, "月", False, False),
    ("≥6月", ">=", 6, "月", False, False),  # ≥ before a month: a duration, not a deadline
    ("13月", ">=", 13, "月", False, True),  # no month 13: not a deadline, a bare number
]


@pytest.mark.parametrize(
    ("text", "comparator", "value", "unit", "approx", "implicit"), QUANTITATIVE
)
def test_quantitative_forms(text, comparator, value, unit, approx, implicit):
    t = parse(text)
    # the date of deadlines and years (rule 12) is checked in DATES below
    assert replace(t, date=None) == Target(text, comparator, float(value), unit, approx, implicit)
    assert not t.qualitative


def test_the_table_covers_at_least_fifty_forms():
    assert len({row[0] for row in QUANTITATIVE}) >= 50


QUALITATIVE = [
    "效果明显",
    "达成年度指标",
    "达成预期指标",
    "部分达成年度指标并具有一定效果",
    "有效提升",
    "完成",
    "已完成",
    "年底前完成",  # no month number: qualitative (rule 7)
    "年底前",
    "年内",  # 内 alone is no comparator without a number
    "不低于上年",  # a comparator word beside prose, no number
    "近期",
    "三次",  # Chinese numerals are not read
    "较2021年提升",  # a number inside prose, no comparator (rule 8)
    "2022年度完成2项",  # two numbers, no comparator
    "100%完成",  # the unit would be prose
    "未完成100%",  # a negation before the number: never read as 100
    "1 000件",  # a space between digits: two numbers, never silently 1000
    "-",
    "/",
    "无",
]


@pytest.mark.parametrize("text", QUALITATIVE)
def test_qualitative_forms(text):
    # the date of "年底前" … (rule 12) is checked in DATES below
    assert replace(parse(text), date=None) == Target(text, None, None, "", False, False)
    assert parse(text).qualitative


ERRORS = [
    ("", "为空"),
    ("   ", "为空"),
    ("\u3000", "为空"),
    ("≥", "有比较符“≥”但没有数值，应写成如“≥200件”"),
    ("≤%", "有比较符“≤”但没有数值，应写成如“≤30天”"),
    ("≥件", "有比较符“≥”但没有数值"),
    ("＞＝", "有比较符“>=”但没有数值"),
    ("≥上年", "有比较符“≥”但没有数值"),
    ("≥三次", "有比较符“≥”但没有数值"),
    ("不低于件", "有比较符“不低于”但没有数值，应写成如“不低于200件”"),
    ("不超过", "有比较符“不超过”但没有数值"),
    ("以上", "有比较符“以上”但没有数值"),
    ("件以上", "有比较符“以上”但没有数值，应写成如“200件以上”"),
    ("%以下", "有比较符“以下”但没有数值"),
    ("天以内", "有比较符“以内”但没有数值"),
    ("约", "有“约”但没有数值"),
    ("左右", "有“左右”但没有数值"),
    ("%", "只有单位“%”但没有数值"),
    ("件", "只有单位“件”但没有数值"),
    ("百分比", "只有单位“百分比”但没有数值"),
    ("≠0", "比较符“≠”无法用于评分"),
    ("<>0", "比较符“<>”无法用于评分"),
    ("≥200件以下", "比较符“≥”与“以下”相互矛盾"),
    ("不低于5次以内", "比较符“不低于”与“以内”相互矛盾"),
    ("2个以上且效果明显", "有比较符“以上”，但除一个数值和单位外还有其他文字或数值"),
    ("不低于2021年水平", "有比较符“不低于”，但除一个数值和单位外"),
    ("满意度≥90%，效果明显", "有比较符“≥”，但除一个数值和单位外"),  # was "…（问卷）": rule 11
    ("≥1,5件", "有比较符“≥”，但除一个数值和单位外"),  # not a thousands group
    ("90-95%", "区间"),
    ("90%~95%", "区间"),
    ("3至5个", "区间"),
    ("≥" + "9" * 400, "数值过大"),  # 10**400 is no float
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors_are_chinese_sentences(text, message):
    with pytest.raises(NotationError, match=message):
        parse(text)


@pytest.mark.parametrize("value", [None, 5, 5.0, math.nan, b"5"])
def test_non_text_raises_notation_error(value):
    with pytest.raises(NotationError, match="应为文本"):
        parse(value)


@pytest.mark.parametrize("unit", sorted(KNOWN_UNITS))
def test_every_known_unit_is_read(unit):
    assert parse(f"≥7{unit}") == Target(f"≥7{unit}", ">=", 7.0, unit)
    assert parse(f"7{unit}以下").unit == unit


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("≥200件", "≥200件"),
        ("不超过30天", "≤30天"),
        ("=0次", "=0次"),
        (">0次", ">0次"),
        ("<5%", "<5%"),
        ("200件", "200件"),
        ("98.50%", "98.5%"),  # no trailing zeros
        ("≥100.0%", "≥100%"),  # no trailing ".0"
        ("230余件", "约230件"),  # approx: 约 before the number
        ("5万元左右", "约5万元"),
        ("≥约200件", "≥约200件"),
        ("1,000件", "1000件"),
        ("≥0.00001%", "≥0.00001%"),  # never "1e-05"
        # never "1e+15"; 10^15 is the largest value read (above: 数值过大, issue 16 §7)
        ("≥1000000000000000元", "≥1000000000000000元"),
        ("≥100百分比", "≥100%"),
        ("12月底前", "≤12月"),
        ("13月", "≥13月"),  # a bare month would read as a deadline: ≥ is written
        ("效果明显", "效果明显"),
    ],
)
def test_format_target(text, canonical):
    t = parse(text)
    assert format_target(t) == canonical
    back = parse(canonical)
    assert (back.comparator, back.value, back.unit, back.approx) == (
        t.comparator,
        t.value,
        t.unit,
        t.approx,
    )


def test_format_target_of_negative_zero_is_zero():
    assert format_target(Target("x", "=", -0.0, "次")) == "=0次"


@pytest.mark.parametrize(
    ("target", "actual", "same"),
    [
        ("≥95%", "98%", True),
        ("≥95%", "98", True),  # a bare actual takes the target's unit
        ("95", "98%", True),
        ("≥95%", "98％", True),  # ％ is %
        ("≥100百分比", "98%", True),  # 百分比 is %
        ("≥200件", "230余件", True),
        ("≥200件", "230次", False),
        ("≥5万元", "50000元", True),  # convertible: the caller converts (conversion() = 10000)
        ("≥5万元", "5万次", False),
        ("12月底前", "11月完成", True),
    ],
)
def test_same_unit(target, actual, same):
    assert same_unit(parse(target), parse(actual)) is same
    assert same_unit(parse(actual), parse(target)) is same


def test_parse_is_cached():
    parse.cache_clear()
    first = parse("≥200件")
    assert parse("≥200件") is first
    info = parse.cache_info()
    assert (info.hits, info.misses) == (1, 1)
    assert info.maxsize >= 65536
