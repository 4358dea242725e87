"""The fast path of the target notation reads the common forms exactly as rules 1–9 do.

``notation.parse`` first tries one regular expression over the raw text (``notation._fast``) and
only then the general rules. Both must give the same Target, or the same NotationError, for any
text: these tests compare them on every piece the expression admits and on pieces around it.
"""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfkit.rules import notation
from perfkit.rules.notation import KNOWN_UNITS, NotationError, Target


def _general(text: str) -> tuple[str, object]:
    """What the general rules give: ("ok", Target) or ("error", message)."""
    saved = notation._fast
    notation._fast = lambda _text: None
    try:
        return "ok", notation.parse.__wrapped__(text)
    except NotationError as err:
        return "error", str(err)
    finally:
        notation._fast = saved


def _parsed(text: str) -> tuple[str, object]:
    """What ``parse`` gives, uncached (fast path first)."""
    try:
        return "ok", notation.parse.__wrapped__(text)
    except NotationError as err:
        return "error", str(err)


PREFIXES = ["", *notation._fast_prefixes(), "约为", "百分之", "完成", "＞＝", "<>", "≠", "═", "〉",
            "人均", "每人每月", "满意度达"]  # fmt: skip
ABOUT = ["", "约"]
NUMBERS = ["0", "7", "200", "18960", "3.5", "0.25", "007", "9" * 400, "1,000", "1.", "-5", "2022",
           "2022.12", "2021.5"]  # fmt: skip
INFIXES = ["", "余", "多", "万余"]
UNITS = ["", *sorted(KNOWN_UNITS), "％", "百分比", "件以", "万", "元/人*年", "%(比率)", "年底前"]
SUFFIXES = ["", *notation._FAST_SUFFIXES, "以上(不含)", "(含)", "。", " "]


def test_pieces_of_the_fast_path():
    # the expression admits the comparators of rule 2 and the units of rule 5 …
    assert {"≥", ">=", "≧", "≤", "不低于", "不少于", "不超过", "不高于", "=", "<"} <= set(PREFIXES)
    assert {"件", "人次", "万元", "%", "小时", "天"} <= set(notation._fast_units())
    # … but no month: "12月" is a deadline (rule 7), not a quantity in 月
    assert "月" not in notation._fast_units() and "个月" not in notation._fast_units()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # worked by hand from rules 4–6: 余 makes it approximate, no comparator means implicit ≥
        ("230余件", Target("230余件", ">=", 230.0, "件", approx=True, implicit=True)),
        ("不低于18960人次", Target("不低于18960人次", ">=", 18960.0, "人次")),
        ("≦12.5万元", Target("≦12.5万元", "<=", 12.5, "万元")),
        ("30天以内", Target("30天以内", "<=", 30.0, "天")),
        ("约4.25小时", Target("约4.25小时", ">=", 4.25, "小时", approx=True, implicit=True)),
        ("98％", Target("98％", ">=", 98.0, "%", implicit=True)),  # rule 1 folds ％
        ("≥200件以上", Target("≥200件以上", ">=", 200.0, "件")),  # the same comparator twice
    ],
)
def test_common_forms_are_read_by_the_fast_path(text, expected):
    assert notation._fast(text) == expected
    assert _general(text) == ("ok", expected)


@pytest.mark.parametrize(
    "text", ["12月底前", "1,000件", "≥200件以下", "２００件", "200 件", "-5%", "2022.12", "2021年"]
)
def test_other_forms_take_the_general_path(text):
    assert notation._fast(text) is None


def test_fast_and_general_agree_on_a_sample_of_all_combinations():
    combos = list(itertools.product(PREFIXES, ABOUT, NUMBERS, INFIXES, UNITS, SUFFIXES))
    for parts in random.Random(20221231).sample(combos, 30_000):
        text = "".join(parts)
        assert _parsed(text) == _general(text), text


@given(
    st.lists(
        st.sampled_from([*PREFIXES, *ABOUT, *NUMBERS, *INFIXES, *UNITS, *SUFFIXES, "1", "."]),
        max_size=7,
    ).map("".join)
)
def test_fast_and_general_agree_on_generated_text(text):
    assert _parsed(text) == _general(text)
