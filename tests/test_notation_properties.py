"""Properties of the target notation (issue 2 §3), checked on generated text with hypothesis."""

from __future__ import annotations

import math

from hypothesis import example, given
from hypothesis import strategies as st

from perfkit.rules.notation import KNOWN_UNITS, NotationError, Target, format_target, parse

#: pieces of real notation, so that generated text often comes close to a valid form
_PIECES = [
    *"0123456789０１２３４５６７８９.．,，%％-−+ \u3000",
    *"≥≤><=≧≦＞＜＝≠⩾⩽≮≯",
    "不低于", "不少于", "不超过", "不高于", "以上", "及以上", "以下", "以内", "内", "大于", "小于",
    "等于", "至少", "最多", "控制在", "(含)", "（不含）", "余", "多", "约", "左右", "近", "百分之",
    "百分比", "月", "底", "前", "日", "年", "完成", "达成", "效果明显", "且", "至", "~",
    # published typesetting (rules 1, 5, 10–12)
    "═", "‹", "›", "〈", "〉", "*", "·", "/", "(比率)", "（含税）", "每人", "每月", "人均",
    "满意度达",
    "2022", "2022.12", "-12-20", "年底前", "上半年", "第三季度", "较", "未", "亿元", "万亩",
    *sorted(KNOWN_UNITS),
]  # fmt: skip
notation_like = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
any_text = st.one_of(st.text(), notation_like)


def _key(t: Target) -> tuple:
    return (t.comparator, t.value, t.unit, t.approx, t.per)


@given(any_text)
@example("≥" + "9" * 400)
@example("1" + ",000" * 200)
def test_any_text_gives_a_target_or_a_notation_error(text):
    try:
        t = parse(text)
    except NotationError as err:
        assert str(err)  # a sentence, never empty
        return
    assert t.raw == text
    if t.date is not None:
        year, month, day = t.date
        assert year is None or 1900 <= year <= 2099
        assert month is not None or (year is not None and day is None)
        assert month is None or 1 <= month <= 12
        assert day is None or 1 <= day <= 31
    if t.value is None:
        assert (t.comparator, t.unit, t.approx, t.implicit) == (None, "", False, False)
        assert (t.per, t.phrase) == ("", False)
    else:
        assert math.isfinite(t.value)
        assert t.comparator in (">=", "<=", ">", "<", "=")
        assert not t.implicit or t.comparator == ">="


@given(any_text)
def test_format_of_a_parsed_target_reads_back_the_same(text):
    try:
        t = parse(text)
    except NotationError:
        return
    canonical = format_target(t)
    back = parse(canonical)
    assert _key(back) == _key(t)
    assert format_target(back) == canonical


_values = st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False)
_units = st.sampled_from(["", *sorted(KNOWN_UNITS)])


_pers = st.sampled_from(["", "每人", "每人每月", "人均", "每吨", "每万人", "生均"])


@st.composite
def quantitative_targets(draw) -> Target:
    comparator = draw(st.sampled_from([">=", "<=", ">", "<", "="]))
    implicit = comparator == ">=" and draw(st.booleans())
    value, unit, approx = draw(_values), draw(_units), draw(st.booleans())
    return Target("", comparator, value, unit, approx, implicit, draw(_pers))


@given(quantitative_targets())
def test_generated_targets_round_trip(t):
    back = parse(format_target(t))
    assert _key(back) == _key(t)


# Written forms of each comparator: (before the number, after the unit).
_FORMS = {
    ">=": [("≥", ""), (">=", ""), ("≧", ""), ("＞＝", ""), ("不低于", ""), ("不少于", ""),
           ("至少", ""), ("", "以上"), ("", "及以上"), ("≥", "以上")],
    "<=": [("≤", ""), ("<=", ""), ("≦", ""), ("不超过", ""), ("不高于", ""), ("", "以下"),
           ("", "以内"), ("控制在", "以内")],
    ">": [(">", ""), ("＞", ""), ("大于", ""), ("超过", ""), ("", "以上(不含)")],
    "<": [("<", ""), ("＜", ""), ("小于", ""), ("低于", "")],
    "=": [("=", ""), ("＝", ""), ("等于", "")],
}  # fmt: skip
_FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


@st.composite
def written_targets(draw) -> tuple[str, tuple]:
    """A target written by hand in one of the real forms, with what it must read as."""
    bare = draw(st.booleans())
    comparator = ">=" if bare else draw(st.sampled_from(sorted(_FORMS)))
    before, after = ("", "") if bare else draw(st.sampled_from(_FORMS[comparator]))
    units = sorted(KNOWN_UNITS - {"月"}) if bare else sorted(KNOWN_UNITS)  # a bare 月 is a deadline
    unit = draw(st.sampled_from(["", *units]))
    integer = draw(st.integers(min_value=0, max_value=10**9))
    decimals = draw(st.sampled_from(["", ".5", ".25", ".05"]))
    digits = f"{integer:,}" if draw(st.booleans()) else str(integer)
    number = digits + decimals
    if draw(st.booleans()):
        number = number.translate(_FULL_WIDTH)
    approx = draw(st.sampled_from(["", "约", "余", "左右"]))
    text = (
        before
        + ("约" if approx == "约" else "")
        + number
        + ("余" if approx == "余" else "")
        + ("百分比" if unit == "%" and draw(st.booleans()) else unit)
        + ("左右" if approx == "左右" else "")
        + after
    )
    value = float(f"{integer}{decimals}")
    return text, (comparator, value, unit, bool(approx))


@given(written_targets())
def test_written_forms_read_as_meant(case):
    text, expected = case
    assert _key(parse(text))[:4] == expected
