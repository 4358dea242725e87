"""Notations of published 自评表 (domain.md §7): rules 1, 5 and 10–12 of perfkit/rules/notation.py.

Every expected value below is read off the text by hand from the rules, not copied from the
parser's output.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfkit.rules.notation import (
    NotationError,
    Target,
    conversion,
    format_target,
    known_unit,
    parse,
    same_per,
    same_unit,
)

# --- rule 1: comparator look-alikes give the same Target as the canonical symbol --------------

LOOK_ALIKES = [
    ("═100%", "=100%"),
    ("══0次", "=0次"),
    ("⩾95%", "≥95%"),
    ("⩽5%", "≤5%"),
    ("≧95%", "≥95%"),
    ("≦5%", "≤5%"),
    ("＝100%", "=100%"),
    ("≥＝95%", "≥95%"),
    ("≤＝5%", "≤5%"),
    ("＞＝95%", "≥95%"),
    ("＜＝5%", "≤5%"),
    ("=>95%", "≥95%"),
    ("=<5%", "≤5%"),
    ("≧=95%", "≥95%"),
    ("⩾=95%", "≥95%"),
    ("‹5%", "<5%"),
    ("›0次", ">0次"),
    ("〈5%", "<5%"),
    ("〉0次", ">0次"),
    ("⟨5%", "<5%"),
    ("＜5%", "<5%"),
    ("＞0次", ">0次"),
    ("‹=5%", "≤5%"),
    ("〈=5%", "≤5%"),
    ("〉=3个", "≥3个"),
    ("›=3个", "≥3个"),
    ("〉＝3个", "≥3个"),
    ("> =95%", "≥95%"),
    ("< =5%", "≤5%"),
    ("≥ 95%", "≥95%"),
    ("≥ 95 %", "≥95%"),
    ("〉约3个", ">约3个"),  # an approximation after the bracket
]


@pytest.mark.parametrize(("text", "canonical"), LOOK_ALIKES)
def test_look_alike_comparators(text, canonical):
    t, c = parse(text), parse(canonical)
    assert (t.comparator, t.value, t.unit, t.approx, t.implicit) == (
        c.comparator,
        c.value,
        c.unit,
        c.approx,
        c.implicit,
    )


def test_look_alikes_by_hand():
    assert parse("═100%") == Target("═100%", "=", 100.0, "%")
    assert parse("‹=5%") == Target("‹=5%", "<=", 5.0, "%")
    assert parse("〉95%") == Target("〉95%", ">", 95.0, "%")


@pytest.mark.parametrize("text", ["〈规划〉", "完成《〈规划〉解读》编制", "‹›"])
def test_angle_marks_elsewhere_are_title_marks(text):
    assert parse(text) == Target(text, None, None, "")


@pytest.mark.parametrize("text", ["≠0", "═≠0"])
def test_not_equal_stays_an_error(text):
    with pytest.raises(NotationError, match="无法用于评分"):
        parse(text)


_CANONICAL = {">=": ["≥", ">=", "≧", "⩾", "＞＝", "≥＝", "〉=", "› ="], "<=": ["≤", "<=",
              "≦", "⩽", "＜＝", "〈=", "‹="], "=": ["=", "═", "＝"], "<": ["<", "‹", "〈", "＜"],
              ">": [">", "›", "〉", "＞"]}  # fmt: skip


@given(
    st.sampled_from(sorted(_CANONICAL)),
    st.data(),
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["", "%", "件", "万元", "人次"]),
)
def test_look_alikes_read_as_the_symbol(comparator, data, number, unit):
    form = data.draw(st.sampled_from(_CANONICAL[comparator]))
    t = parse(f"{form}{number}{unit}")
    assert (t.comparator, t.value, t.unit) == (comparator, float(number), unit)


# --- rules 4 and 5: compound units, glosses, large units ----------------------------------------

UNITS = [
    ("200元/人*年", "元/人·年"),
    ("200元/人＊年", "元/人·年"),  # full-width asterisk
    ("200元/人·年", "元/人·年"),
    ("200元/人・年", "元/人·年"),  # katakana middle dot
    ("200元/人•年", "元/人·年"),  # bullet
    ("200元/人∙年", "元/人·年"),
    ("200元/人⋅年", "元/人·年"),
    ("200元/人×年", "元/人·年"),  # × between two units: their product
    ("200元／人*年", "元/人·年"),  # full-width slash
    ("≤300元/户·月", "元/户·月"),
    ("≤500万元/公里", "万元/公里"),
    ("12人次/年", "人次/年"),
    ("≤20万元/平方公里", "万元/平方公里"),  # 7 characters, built of known parts
    ("95%(比率)", "%"),
    ("95%（百分比）", "%"),
    ("20万元（含税）", "万元"),
    ("3个(处)", "个"),
    ("3个(处)以上", "个"),
    ("1.8亿元", "亿元"),
    ("1.75亿元", "亿元"),
    ("3.5万亩", "万亩"),
    ("25万元。", "万元"),
    ("25万元；", "万元"),
    ("2万吨", "万吨"),
    ("5千元", "千元"),
]


@pytest.mark.parametrize(("text", "unit"), UNITS)
def test_units(text, unit):
    assert parse(text).unit == unit


def test_units_by_hand():
    assert parse("200元/人*年") == Target("200元/人*年", ">=", 200.0, "元/人·年", implicit=True)
    assert parse("3个(处)以上") == Target("3个(处)以上", ">=", 3.0, "个")
    assert parse("1.8亿元") == Target("1.8亿元", ">=", 1.8, "亿元", implicit=True)
    # the inclusion words keep their meaning (rule 4)
    assert parse("200件以上(含)") == Target("200件以上(含)", ">=", 200.0, "件")
    assert parse("200件以上(不含)") == Target("200件以上(不含)", ">", 200.0, "件")


@pytest.mark.parametrize(
    "text",
    [
        "200件*",  # a joiner with nothing after it
        "3×5件",  # × between digits: two numbers
        "200件套(2021版)",  # a gloss with a digit is no gloss
    ],
)
def test_no_unit_reading(text):
    assert parse(text).qualitative


def test_a_gloss_on_a_unit_alone_is_a_missing_number():
    with pytest.raises(NotationError, match="只有单位"):
        parse("%(比率)")


# --- rule 5: conversion, same_unit, known_unit ------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "factor"),
    [
        ("万元", "万元", 1.0),
        ("", "万元", 1.0),
        ("件", "", 1.0),
        ("万元", "元", 10000.0),
        ("元", "万元", 0.0001),
        ("亿元", "万元", 10000.0),
        ("千元", "万元", 0.1),
        ("十万元", "元", 100000.0),
        ("万人次", "人次", 10000.0),
        ("万亩", "亩", 10000.0),
        ("万人", "人", 10000.0),
        ("万吨", "吨", 10000.0),
        ("万元/公里", "元/公里", 10000.0),
        ("元/万人", "元/人", 0.0001),  # per 10000 people: 1/10000 of it per person
        ("公里", "米", 1000.0),
        ("千米", "公里", 1.0),
        ("km", "千米", 1.0),
        ("吨", "公斤", 1000.0),
        ("kg", "克", 1000.0),
        ("平方公里", "平方米", 1000000.0),
        ("%", "‰", 10.0),
        ("‰", "%", 0.1),
        ("个百分点", "百分点", 1.0),
        ("元/人·年", "元/人·年", 1.0),
        ("件套", "件套", 1.0),  # an unknown unit matches itself
    ],
)
def test_conversion(a, b, factor):
    assert conversion(a, b) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("件", "次"),
        ("%", "个百分点"),
        ("月", "天"),
        ("年", "百年"),  # no magnitude before time
        ("分", "百分"),
        ("万件套", "件套"),
        ("元/人", "元/户"),
        ("元/人", "元"),
        ("万元", "万人"),
    ],
)
def test_no_conversion(a, b):
    assert conversion(a, b) is None
    assert conversion(b, a) is None


@pytest.mark.parametrize(
    ("target", "actual", "same"),
    [
        ("≥1.8亿元", "1.75亿元", True),
        ("≥5万元", "50000元", True),
        ("≤500万元/公里", "480元/公里", True),
        ("≥200件", "230次", False),
        ("≥95%", "9个百分点", False),
    ],
)
def test_same_unit_is_conversion(target, actual, same):
    assert same_unit(parse(target), parse(actual)) is same
    assert same_unit(parse(actual), parse(target)) is same


@pytest.mark.parametrize(
    "unit",
    ["", "件", "%", "万元", "亿元", "万亩", "千人次", "十万元", "元/人·年", "万元/公里", "人次/年",
     "元/户·月", "万元/平方公里", "km", "个百分点"],
)  # fmt: skip
def test_known_units(unit):
    assert known_unit(unit)


@pytest.mark.parametrize("unit", ["件套", "分值", "百年", "百分", "万万元", "件/", "/年", "元/人·"])
def test_unknown_units(unit):
    assert not known_unit(unit)


def test_an_unknown_unit_is_still_read():
    assert parse("200件套") == Target("200件套", ">=", 200.0, "件套", implicit=True)


# --- rule 10: qualifiers ----------------------------------------------------------------------

QUALIFIED = [
    ("每吨80", ">=", 80, "", True, "每吨"),
    ("每人每月500元", ">=", 500, "元", True, "每人每月"),
    ("≤每人每月500元", "<=", 500, "元", False, "每人每月"),
    ("每人每月不超过500元", "<=", 500, "元", False, "每人每月"),
    ("人均2000元", ">=", 2000, "元", True, "人均"),
    ("人均≥2000元", ">=", 2000, "元", False, "人均"),
    ("人均不低于2000元以上", ">=", 2000, "元", False, "人均"),
    ("每亩300元", ">=", 300, "元", True, "每亩"),
    ("每万人5名", ">=", 5, "名", True, "每万人"),
    ("每村10万元", ">=", 10, "万元", True, "每村"),
    ("生均1200元", ">=", 1200, "元", True, "生均"),
]


@pytest.mark.parametrize(("text", "comparator", "value", "unit", "implicit", "per"), QUALIFIED)
def test_qualifiers(text, comparator, value, unit, implicit, per):
    assert parse(text) == Target(text, comparator, float(value), unit, False, implicit, per)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("≤每人每月500元", "≤每人每月500元"),
        ("每人每月不超过500元", "≤每人每月500元"),
        ("人均2000元", "人均2000元"),
        ("人均≥约2000元", "≥人均约2000元"),
        ("每吨80", "每吨80"),
    ],
)
def test_qualifiers_round_trip(text, canonical):
    t = parse(text)
    assert format_target(t) == canonical
    back = parse(canonical)
    assert (back.comparator, back.value, back.unit, back.approx, back.per) == (
        t.comparator,
        t.value,
        t.unit,
        t.approx,
        t.per,
    )


@pytest.mark.parametrize(
    ("target", "actual", "same"),
    [
        ("人均2000元", "2100元", True),
        ("2000元", "人均2100元", True),
        ("每人每月500元", "每人每月480元", True),
        ("每人500元", "每户600元", False),
    ],
)
def test_same_per(target, actual, same):
    assert same_per(parse(target), parse(actual)) is same
    assert same_per(parse(actual), parse(target)) is same


@pytest.mark.parametrize("text", ["每人", "人均", "每月按时完成"])
def test_a_qualifier_without_number_is_qualitative(text):
    assert parse(text) == Target(text, None, None, "")


# --- rule 11: a number inside a short phrase --------------------------------------------------

PHRASES = [
    ("群众满意度达90%以上", ">=", 90, "%", False, False),
    ("满意率达95%以上", ">=", 95, "%", False, False),
    ("群众满意度不低于90%", ">=", 90, "%", False, False),
    ("满意度不得低于95%", ">=", 95, "%", False, False),
    ("满意度≥90%（问卷）", ">=", 90, "%", False, False),  # was a NotationError before rule 11
    ("按合同结算8.6万元", ">=", 8.6, "万元", False, True),
    ("完成培训12期", ">=", 12, "期", False, True),
    ("资金约5万元", ">=", 5, "万元", True, True),
    ("办理案件230余件", ">=", 230, "件", True, True),
    ("培训人数控制在50人以内", "<=", 50, "人", False, False),
]


@pytest.mark.parametrize(("text", "comparator", "value", "unit", "approx", "implicit"), PHRASES)
def test_phrases(text, comparator, value, unit, approx, implicit):
    expected = Target(text, comparator, float(value), unit, approx, implicit, phrase=True)
    assert parse(text) == expected


def test_phrase_with_qualifier():
    t = parse("补助标准每人每月500元")
    assert t == Target(t.raw, ">=", 500.0, "元", False, True, "每人每月", phrase=True)


def test_phrase_with_deadline():
    t = parse("项目于2022年12月底前完成")
    assert t == Target(t.raw, "<=", 12.0, "月", phrase=True, date=(2022, 12, None))
    # a month in a phrase is a deadline (rule 7), never a count in 月
    t = parse("计划12月")
    assert t == Target(t.raw, "<=", 12.0, "月", phrase=True, date=(None, 12, None))


def test_neutral_verbs_are_no_phrase():
    # rule 2 reads 全年 and 共计 as words before the number: no phrase
    assert parse("全年共计230件") == Target("全年共计230件", ">=", 230.0, "件", implicit=True)


@pytest.mark.parametrize(
    "text",
    [
        "较上年增长5%",  # a relative change
        "比上年提高5个百分点",
        "同比下降10%",
        "满意度较去年提升5%",
        "未完成培训12期",  # negation
        "尚未拨付8.6万元",
        "完成第2批",  # an ordinal
        "排名前10名",  # a rank
        "计划2021年",  # a year in the prose
        "节约5万元",  # 节约, not 约
        "最近完成200件",  # 最近, not 近
        "完成培训12期，效果良好",  # words after the number
        "2022年度完成2项",  # two numbers
        "项目建设完成后服务群众满意度达到百分之九十以上",  # no digits
        "这是一个很长很长很长很长很长很长的句子共计完成200件",  # more than 16 leading characters
    ],
)
def test_no_phrase_reading(text):
    assert parse(text) == Target(text, None, None, "")


@pytest.mark.parametrize(
    "text",
    [
        "较上年不低于5%",  # a comparator with a relative change: cannot be read
        "满意度≥90%，效果明显",
        "≥群众满意度90%",  # the comparator is not right before the number
        "满意度不低于90%以下",  # two different comparators
    ],
)
def test_phrase_errors(text):
    with pytest.raises(NotationError):
        parse(text)


# --- rule 12: dates ---------------------------------------------------------------------------

DATES = [
    # deadlines of rule 7: value reading unchanged
    ("12月底前", "<=", 12, "月", (None, 12, None)),
    ("2022年12月31日前完成", "<=", 12, "月", (2022, 12, 31)),
    ("2022年11月", "<=", 11, "月", (2022, 11, None)),
    ("11月30日前", "<=", 11, "月", (None, 11, 30)),
    ("12月上旬", "<=", 12, "月", (None, 12, None)),
    ("已于11月完成", "<=", 11, "月", (None, 11, None)),
    # full dates as actuals
    ("2022年12月20日", "<=", 12, "月", (2022, 12, 20)),
    ("2022-12-20", "<=", 12, "月", (2022, 12, 20)),
    ("2022/12/20", "<=", 12, "月", (2022, 12, 20)),
    ("2022.12.20", "<=", 12, "月", (2022, 12, 20)),
    ("2022.12", "<=", 12, "月", (2022, 12, None)),
    ("2022-6", "<=", 6, "月", (2022, 6, None)),
    ("2022.12.20前完成", "<=", 12, "月", (2022, 12, 20)),
    ("2024年2月29日", "<=", 2, "月", (2024, 2, 29)),
    # a year alone in 年: the number reading stays
    ("2021年", ">=", 2021, "年", (2021, None, None)),
    ("2021年内", "<=", 2021, "年", (2021, 12, None)),
]


@pytest.mark.parametrize(("text", "comparator", "value", "unit", "date"), DATES)
def test_dates(text, comparator, value, unit, date):
    t = parse(text)
    assert (t.comparator, t.value, t.unit, t.date) == (comparator, float(value), unit, date)


QUALITATIVE_DATES = [
    ("2021年底前", (2021, 12, None)),
    ("2021年度", (2021, None, None)),
    ("年底前", (None, 12, None)),
    ("年底前完成", (None, 12, None)),
    ("年底", (None, 12, None)),
    ("年末", (None, 12, None)),
    ("年内", (None, 12, None)),
    ("当年", (None, 12, None)),
    ("本年度内", (None, 12, None)),
    ("年度内完成", (None, 12, None)),
    ("上半年", (None, 6, None)),
    ("下半年完成", (None, 12, None)),
    ("2022年上半年", (2022, 6, None)),
    ("第三季度", (None, 9, None)),
    ("三季度末", (None, 9, None)),
    ("一季度", (None, 3, None)),
    ("第4季度", (None, 12, None)),
    ("2022年第三季度", (2022, 9, None)),
    # no point in time
    ("近期", None),
    ("按时完成", None),
    ("效果明显", None),
    ("较2021年提升", None),
    ("年前", None),  # "before the new year" or "years ago": no date
    ("2022年2月30日", None),  # no such day: the month reading stays (below), no date
]


@pytest.mark.parametrize(("text", "date"), QUALITATIVE_DATES)
def test_dates_of_qualitative_text(text, date):
    t = parse(text)
    if text == "2022年2月30日":
        assert (t.comparator, t.value, t.unit, t.date) == ("<=", 2.0, "月", None)
        return
    assert t == Target(text, None, None, "", date=date)


def test_a_year_in_another_unit_is_no_date():
    assert parse("服务期限3年").date is None
    assert parse("≥3年").date is None
    assert parse("2021件").date is None


def test_a_date_number_takes_the_general_path():
    # "2022.12" is a date (rule 12), not the number 2022.12; "2022.13" has no month 13
    assert parse("2022.13") == Target("2022.13", ">=", 2022.13, "", implicit=True)
    assert parse("≥2022.12万元").value == 2022.12


# --- issue 16 §10: traditional characters and bare magnitudes -------------------------------

TRADITIONAL = [
    # (written, the same written in simplified characters): read identically (rule 1)
    ("120畝", "120亩"),
    ("≥3萬元", "≥3万元"),
    ("5噸", "5吨"),
    ("10個", "10个"),
    ("230餘件", "230余件"),
    ("不低於95%", "不低于95%"),
    ("30天以內", "30天以内"),
    ("≤1.2億元", "≤1.2亿元"),
    ("12臺", "12台"),
    ("3.5小時", "3.5小时"),
]


@pytest.mark.parametrize(("written", "simplified"), TRADITIONAL)
def test_traditional_characters_read_as_simplified(written, simplified):
    t, s = parse(written), parse(simplified)
    assert (t.comparator, t.value, t.unit, t.approx, t.implicit) == (
        s.comparator,
        s.value,
        s.unit,
        s.approx,
        s.implicit,
    )
    assert t.raw == written  # kept as written


def test_a_bare_magnitude_is_a_known_unit_that_compares_with_money_only():
    # "150万" is 150 in the unit 万: ten thousands of something not named
    assert parse("≥150万") == Target("≥150万", ">=", 150.0, "万")
    assert known_unit("万") and known_unit("亿") and known_unit("千万")
    assert not known_unit("十")  # "5十" is no number a table writes
    # against money it is that magnitude of 元 (issue 16 §10); against a count it is not
    assert same_unit(parse("≥150万"), parse("148万元"))
    assert same_unit(parse("≥1.5亿元"), parse("14800万"))
    assert not same_unit(parse("≥150万"), parse("148人"))
    assert not same_unit(parse("≥150万"), parse("148万人"))
    assert same_unit(parse("≥1.5亿"), parse("14800万"))  # both bare: 亿 is 10,000 万
    assert conversion("亿", "万") == 10000.0
    assert conversion("万", "万元") is None  # conversion alone never guesses money
