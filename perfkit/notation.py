"""The target notation of 年度指标值 / 实际完成值: "≥200件", "230余件", "不超过30天", "达成".

Real self-evaluation tables (财预〔2020〕10号 自评表; domain notes §5) write a target as a
comparator, a number and a unit, or as qualitative text. `parse` reads one cell into a `Target`;
`format_target` writes the canonical form back; `same_unit` says whether a target and an actual
can be compared.

How a cell is read, in order (every decision below has a test in tests/test_notation.py):

1. Normalisation. Full-width ASCII (``０-９ ． ％ ＞ ＜ ＝ ， （ ）``) becomes ASCII, U+2212 "−"
   becomes "-", zero-width characters are dropped. Whitespace is dropped, except between two
   digits ("1 000" stays two numbers, so it is never silently read as 1000). Trailing sentence
   punctuation ("。" "，" "；" …) is dropped. Empty or blank text raises NotationError ("为空").
   Only ASCII digits count as digits: "三次" has no number and is qualitative.
2. Words before the number, in any order:
   - comparator symbols: ``>= => ≥ ≧ ⩾ ≥= ≧= ≮`` (≥), ``<= =< ≤ ≦ ⩽ ≤= ≦= ≯`` (≤), ``> < = ==``;
     "≠" / "<>" / "!=" raise NotationError (no scoring rule compares with "not equal");
   - comparator words: 不低于 不少于 不小于 大于等于 大于或等于 至少 最少 不得低于 不得少于 (≥);
     不高于 不超过 不大于 不多于 小于等于 小于或等于 最多 至多 不得高于 不得超过 控制在
     不晚于 不迟于 (≤); 大于 高于 超过 多于 (>); 小于 低于 少于 不足 不到 (<); 等于 (=);
   - approximation words: 约 大约 约为 近 将近 接近 逾 (approx=True);
   - neutral verbs that are no comparator: 达到 完成 实现 已 于 在 共 共计 累计 合计 总计 全年
     实际 ("完成200件" is the bare number 200件);
   - 百分之 ("百分之95" is 95%).
3. The number: "98.5", "1,000" (groups of three digits only: "1,0000" and "98,5" are two
   numbers), an optional sign ("≤-5%"). A value that does not fit a float raises NotationError.
4. After the number: 余 or 多 ("230余件", "10多次"), also after a magnitude ("1万余元" is 1 in the
   unit 万元). Then, from the end, repeatedly: 左右 上下 (approx); 以上 及以上 或以上 (≥);
   以下 及以下 或以下 以内 之内 内 (≤); "以上(不含)" (>), "以下(不含)" (<); "(含)" (no effect).
   Decision: 以上 / 以下 / 以内 include the number, as in Chinese official usage
   (《中华人民共和国民法典》第一千二百五十九条: "以上、以下、以内、届满，包括本数"; "超过"
   does not include it, hence >), so "200件以上" is ≥200件 and "5%以下" is ≤5%.
5. The unit is whatever remains: any text of at most 6 characters without digits, punctuation
   other than "/", "·", "%" and "‰", or the function words of rule 8 ("件", "人次", "万元",
   "平方公里", "元/人·天", "km"). "百分比" becomes "%". Magnitudes stay in the unit: "5万元" is 5
   in 万元, and "50000元" against "5万元" is a unit mismatch, not a conversion.
6. No comparator written: a bare number, read as ≥ with implicit=True ("98%", "200件", "5").
   The same comparator written twice is fine ("不少于200件以上"); two different ones raise
   NotationError ("≥200件以下").
7. Deadlines, tried before rule 5: a month with optional year, day, 底/末/初/上旬/中旬/下旬,
   前/之前/以前 and a completion verb (完成 办结 结束 到位 上线 验收 …): "12月底前", "6月前",
   "2022年12月31日前完成", "11月底", "11月完成". Value = the month, unit "月", comparator "<=",
   with or without 前: a month is a deadline, and no table targets a date *after* which work
   must end. Decision: the day is dropped, so "11月30日前" is ≤11月, and an actual of 11月20日
   against a target of 11月15日前 counts as met (both are month 11). A comparator ≥ or > before a
   month ("≥6月") is a duration in 月 instead. Only months are deadlines: "年底前", "30日前" and
   "第四季度" are qualitative text.
8. Anything else that holds a number — the number inside prose ("较2021年提升"), several
   numbers ("2022年度完成2项"), a unit that is prose ("200件以上且效果明显", "不低于2021年水平",
   "100%完成") — is
   - a NotationError when a comparator symbol or word occurs anywhere in it: the writer meant a
     quantitative target and it cannot be read unambiguously ("2个以上且效果明显");
   - qualitative text otherwise ("较2021年提升", "未完成100%").
   A range ("90-95%", "3至5个") always raises NotationError: no rule scores against a range.
9. Text with no number: qualitative (comparator None, value None, unit ""): "效果明显",
   "达成年度指标", "有效提升", "年底前完成", and also placeholders such as "-", "/", "无". But it
   raises NotationError when it is notation with the number missing: a comparator symbol anywhere
   ("≥", "≤%", "≥上年"); a comparator word with nothing or only a known unit beside it
   ("不低于件", "件以上", "以内"; but "年内" is qualitative); an approximation word alone ("约",
   "左右"); a known unit alone ("%", "件"). "不低于上年" and "近期" stay qualitative.

`parse` is cached with functools.lru_cache: a dataset repeats the same few thousand strings.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Comparator = Literal[">=", "<=", ">", "<", "="]


class NotationError(ValueError):
    """A string that looks quantitative but cannot be read (e.g. a comparator with no number).

    ``str(err)`` is a Chinese sentence saying what was expected, without location.
    """


@dataclass(frozen=True)
class Target:
    """A parsed 年度指标值 or 实际完成值."""

    raw: str
    #: None for qualitative text
    comparator: Comparator | None
    value: float | None
    #: normalised unit: "％" and "百分比" become "%"; "" when none was written
    unit: str
    #: 余 / 多 / 约 / 左右 were written: the value is as written, the flag says it is approximate
    approx: bool = False
    #: a bare number (no comparator written) that counts as ">="
    implicit: bool = False

    @property
    def qualitative(self) -> bool:
        return self.value is None


# --- vocabulary ---------------------------------------------------------------------------------

_SYMBOLS: dict[str, Comparator] = {
    ">=": ">=", "=>": ">=", "≥=": ">=", "≧=": ">=", "≥": ">=", "≧": ">=", "⩾": ">=", "≮": ">=",
    "<=": "<=", "=<": "<=", "≤=": "<=", "≦=": "<=", "≤": "<=", "≦": "<=", "⩽": "<=", "≯": "<=",
    "==": "=", ">": ">", "<": "<", "=": "=",
}  # fmt: skip
_UNSUPPORTED = ("<>", "!=", "≠")
_PREFIX_WORDS: dict[str, Comparator] = {
    **dict.fromkeys(
        ("不低于", "不少于", "不小于", "大于等于", "大于或等于", "至少", "最少", "不得低于",
         "不得少于"), ">="),
    **dict.fromkeys(
        ("不高于", "不超过", "不大于", "不多于", "小于等于", "小于或等于", "最多", "至多",
         "不得高于", "不得超过", "控制在", "不晚于", "不迟于"), "<="),
    **dict.fromkeys(("大于", "高于", "超过", "多于"), ">"),
    **dict.fromkeys(("小于", "低于", "少于", "不足", "不到"), "<"),
    "等于": "=",
}  # fmt: skip
_SUFFIX_WORDS: dict[str, Comparator] = {
    "以上(不含)": ">", "以下(不含)": "<",
    **dict.fromkeys(("以上", "及以上", "或以上"), ">="),
    **dict.fromkeys(("以下", "及以下", "或以下", "以内", "之内", "内"), "<="),
}  # fmt: skip
_APPROX_PREFIX = ("约", "大约", "约为", "近", "将近", "接近", "逾")
_APPROX_SUFFIX = ("左右", "上下")
_APPROXES = frozenset((*_APPROX_PREFIX, *_APPROX_SUFFIX))
_FILLERS = (
    "达到", "完成", "实现", "已", "于", "在", "共", "共计", "累计", "合计", "总计", "全年", "实际",
)  # fmt: skip
_PERCENT_PREFIX = "百分之"
_INCLUSIVE = "(含)"

#: units that are never qualitative text on their own (rule 9); any other short unit is accepted
KNOWN_UNITS = frozenset(
    (
        "个", "件", "次", "人次", "天", "小时", "万元", "元", "%", "‰", "期", "台", "起", "户",
        "家", "项", "篇", "场", "人", "名", "册", "套", "份", "批", "处", "条", "家次", "分",
        "年", "月", "日", "周", "公里", "平方米", "亩", "吨", "个百分点", "百分点", "万人次",
        "万人", "千米", "米", "平方公里", "立方米", "公斤", "千克", "克", "张", "本", "部", "辆",
        "所", "座", "栋", "间", "床", "只", "株", "棵", "课时", "学时", "节", "轮", "届", "个月",
        "元/人", "次/年", "km", "kg",
    )
)  # fmt: skip

_UNIT_MAX_LEN = 6
#: characters and words that make a "unit" prose (rule 5 and rule 8)
_UNIT_BAD_CHARS = frozenset(
    ",，。;；:：、!！?？\"'“”‘’《》<>=≥≤≧≦⩾⩽≮≯≠()[]{}【】~～-—–.…|\\+*#&@$^_`"
)
_UNIT_BAD_WORDS = (
    *"且并和与或及的较比前后底旬未没无不已约余多近逾于以内之超至最等",
    "上年", "去年", "年度", "水平", "目标", "指标", "完成", "达到", "达成", "实现", "提升", "提高",
    "增长", "增加", "下降", "降低", "减少", "效果", "明显", "有效", "情况", "左右", "上下",
)  # fmt: skip
_DEADLINE_VERBS = "完成|办结|结束|到位|上线|验收|竣工|建成|交付|实施|启动|落实|发放|拨付|支付"

# --- compiled patterns --------------------------------------------------------------------------

_TRANSLATE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # full-width ASCII
_TRANSLATE.update(
    {0x3000: " ", 0x2212: "-", 0xFE6A: "%", 0xFE64: "<", 0xFE65: ">", 0xFE66: "="}
    | dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF))
)
_SPACE_RE = re.compile(r"(?<![0-9])\s+|\s+(?![0-9])")
_TRAIL_RE = re.compile(r"[。.,;；、!！?？]+$")


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_PREFIX_RE = re.compile(
    _alternation(
        [*_UNSUPPORTED, *_SYMBOLS, *_PREFIX_WORDS, *_APPROX_PREFIX, *_FILLERS, _PERCENT_PREFIX]
    )
)
_SUFFIXES = sorted([*_SUFFIX_WORDS, *_APPROX_SUFFIX, _INCLUSIVE], key=len, reverse=True)
_NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?"
_NUM_RE = re.compile(_NUM)
_SIGNED_NUM_RE = re.compile(rf"[-+]?{_NUM}")
_INFIX_APPROX_RE = re.compile(r"([万千百亿]*)[余多]")
_DEADLINE_RE = re.compile(
    r"(?:(?:19|20)[0-9]{2}年|当年|本年)?(?P<month>[0-9]{1,2})月份?"
    r"(?:底|末|初|上旬|中旬|下旬)?(?:(?P<day>[0-9]{1,2})[日号])?(?:之前|以前|前)?"
    rf"(?:已|全部|按时|如期)?(?:{_DEADLINE_VERBS})?"
)
_RANGE_RE = re.compile(
    rf"[-+]?{_NUM}[^0-9\-~—–至到]{{0,6}}(?:-{{1,2}}|~|—{{1,2}}|–|至|到)[-+]?{_NUM}"
    rf"[^0-9]{{0,8}}"
)
_SYMBOL_TEXT_RE = re.compile(_alternation([*_UNSUPPORTED, *_SYMBOLS]))
_COMPARATOR_TEXT_RE = re.compile(
    _alternation(
        [*_UNSUPPORTED, *_SYMBOLS, *_PREFIX_WORDS, *(w for w in _SUFFIX_WORDS if w != "内")]
    )
)

_EXAMPLE = {">=": "≥200件", "<=": "≤30天", ">": ">0次", "<": "<5%", "=": "=0次"}
_SYMBOL_OUT = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}


# --- parsing ------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    s = _SPACE_RE.sub("", text.translate(_TRANSLATE))
    return _TRAIL_RE.sub("", s)


def _comparator_of(token: str) -> Comparator | None:
    return _SYMBOLS.get(token) or _PREFIX_WORDS.get(token) or _SUFFIX_WORDS.get(token)


def _merge(found: list[tuple[str, Comparator]]) -> Comparator | None:
    """The one comparator written; NotationError when two different ones were written."""
    kinds = {c for _, c in found}
    if len(kinds) > 1:
        a, b = found[0][0], next(w for w, c in found if c != found[0][1])
        raise NotationError(
            f"比较符“{a}”与“{b}”相互矛盾，只能写一个，应写成如“{_EXAMPLE[found[0][1]]}”"
        )
    return found[0][1] if found else None


def _unit_ok(unit: str) -> bool:
    return (
        len(unit) <= _UNIT_MAX_LEN
        and not any(c in _UNIT_BAD_CHARS for c in unit)
        and not any(w in unit for w in _UNIT_BAD_WORDS)
    )


def _no_number(s: str, prefix: list[str]) -> None:
    """Rule 9: raise when number-less text is notation with the number missing."""
    if symbol := _SYMBOL_TEXT_RE.search(s):
        c = _SYMBOLS.get(symbol.group(), ">=")
        raise NotationError(f"有比较符“{symbol.group()}”但没有数值，应写成如“{_EXAMPLE[c]}”")
    rest = s[sum(map(len, prefix)) :]
    suffixes: list[str] = []
    # "内" alone is left out: "年内" is a qualitative deadline, not "≤年"
    while word := next((w for w in _SUFFIXES if w != "内" and rest.endswith(w)), None):
        suffixes.append(word)
        rest = rest[: -len(word)]
    if rest and rest not in KNOWN_UNITS and rest != "百分比":
        return
    for word in prefix:
        if _comparator_of(word) is not None:
            raise NotationError(f"有比较符“{word}”但没有数值，应写成如“{word}200件”")
    for word in suffixes:
        if _comparator_of(word) is not None:
            raise NotationError(f"有比较符“{word}”但没有数值，应写成如“200件{word}”")
    if not rest and (approx := next((w for w in (*prefix, *suffixes) if w in _APPROXES), None)):
        raise NotationError(f"有“{approx}”但没有数值，应写成如“约200件”")
    if rest == s:
        raise NotationError(f"只有单位“{rest}”但没有数值，应写成如“≥200件”或“200件”")


def _mixed(raw: str, s: str) -> Target:
    """Rule 8: a number that cannot be read unambiguously."""
    found = _COMPARATOR_TEXT_RE.search(s)
    if found is not None:
        raise NotationError(
            f"有比较符“{found.group()}”，但除一个数值和单位外还有其他文字或数值，无法确定指标值；"
            "应写成如“≥200件”，定性表述不要带比较符"
        )
    return Target(raw, None, None, "")


def _number(text: str) -> float:
    value = float(text.replace(",", ""))
    if not math.isfinite(value):
        raise NotationError("数值过大，无法读取，应写成如“≥200件”")
    return value


def _after_number(tail: str) -> tuple[str, list[str], bool]:
    """Rule 4 on the text after the number: (what is left for the unit, the words read from the
    end in reading order, whether 余 / 多 / 左右 / 上下 made it approximate)."""
    approx = False
    if infix := _INFIX_APPROX_RE.match(tail):
        approx = True
        tail = infix.group(1) + tail[infix.end() :]
    suffixes: list[str] = []
    while suffix := next((w for w in _SUFFIXES if tail.endswith(w)), None):
        tail = tail[: -len(suffix)]
        suffixes.append(suffix)
        approx |= suffix in _APPROX_SUFFIX
    return tail, suffixes, approx


# --- the common forms at once -------------------------------------------------------------------
# Most cells are one comparator, a plain number and a known unit: "≥200件", "230余件", "不超过30天",
# "约50万元", "98%". One regular expression over the raw text reads them. It admits only pieces
# that rules 1–6 read the same way whatever surrounds them, as checked here against those rules
# when the module is imported, so `parse` gives the same Target either way (tests/
# test_notation_fast.py compares the two); anything else (a month, a comma, a sign, a full-width
# form other than "％", two different comparators …) takes the general path.


def _unchanged(piece: str) -> bool:
    """Rule 1 leaves the piece as it is (no full-width form, space or trailing punctuation)."""
    return _normalise(piece) == piece and not any(ch.isspace() for ch in piece)


def _fast_prefixes() -> list[str]:
    """Comparator words that rule 2 reads as one word before a number or before 约."""
    return [
        w
        for w in (*_SYMBOLS, *_PREFIX_WORDS)
        if _unchanged(w)
        and (m := _PREFIX_RE.match(w + "1")) is not None
        and m.group() == w
        and (m := _PREFIX_RE.match(w + "约1")) is not None
        and m.group() == w
        and (m := _PREFIX_RE.match(w + "约1", len(w))) is not None
        and m.group() == "约"
    ]


_FAST_SUFFIXES = [w for w in (*_SUFFIX_WORDS, *_APPROX_SUFFIX) if _unchanged(w) and "(" not in w]


def _fast_units() -> list[str]:
    """Known units that rules 4 and 5 read back as the unit after 余 / 多 and before any one of
    the suffix words, and that no deadline (rule 7, which needs 月) can contain."""
    return [
        u
        for u in KNOWN_UNITS
        if _unchanged(u)
        and "月" not in u
        and u != "百分比"
        and _unit_ok(u)
        and all(
            _after_number(i + u + w) == (u, [w] if w else [], bool(i) or w in _APPROX_SUFFIX)
            for i in ("", "余", "多")
            for w in ("", *_FAST_SUFFIXES)
        )
    ]


#: comparator word → its comparator ("" → none written)
_FAST_PREFIXES: dict[str, Comparator | None] = {
    "": None,
    **{w: _comparator_of(w) for w in _fast_prefixes()},
}
#: unit and suffix word as written → (unit as read, the suffix's comparator, whether the suffix
#: makes it approximate); rule 1 folds "％" into "%"
_FAST_TAILS: dict[str, tuple[str, Comparator | None, bool]] = {
    written + w: (unit, _SUFFIX_WORDS.get(w), w in _APPROX_SUFFIX)
    for written, unit in (("", ""), ("％", "%"), *((u, u) for u in _fast_units()))
    for w in ("", *_FAST_SUFFIXES)
}
_FAST_RE = re.compile(r"([^0-9]*?)(约)?([0-9]+(?:\.[0-9]+)?)([余多])?([^0-9]*)")


def _fast(text: str) -> Target | None:
    """The Target of a cell in a common form (see above), or None to take the general path."""
    m = _FAST_RE.fullmatch(text)
    if m is None:
        return None
    prefix, about, number, infix, tail = m.groups()
    if prefix not in _FAST_PREFIXES or tail not in _FAST_TAILS:
        return None
    before = _FAST_PREFIXES[prefix]
    unit, after, approx = _FAST_TAILS[tail]
    if before and after and before != after:
        return None  # two different comparators: rule 6 says why not
    value = _number(number)
    approx = approx or bool(about or infix)
    if before or after:
        return Target(text, before or after, value, unit, approx, False)
    return Target(text, ">=", value, unit, approx, True)  # a bare number (rule 6)


@functools.lru_cache(maxsize=65536)
def parse(text: str) -> Target:
    """Parse one cell (rules 1–9 of the module docstring). Raises NotationError, and only that,
    for empty text and for malformed quantitative text."""
    if not isinstance(text, str):
        raise NotationError("指标值应为文本，如“≥200件”或“达成年度指标”")
    if (fast := _fast(text)) is not None:
        return fast
    s = _normalise(text)
    if not s:
        raise NotationError("指标值为空，应填写如“≥200件”的数值或“达成年度指标”等定性表述")

    # rule 2: words before the number
    pos = 0
    prefix: list[str] = []
    comparators: list[tuple[str, Comparator]] = []
    approx = percent = False
    while m := _PREFIX_RE.match(s, pos):
        word = m.group()
        if word in _UNSUPPORTED:
            raise NotationError(f"比较符“{word}”无法用于评分，应使用 ≥、≤、>、<、= 之一")
        prefix.append(word)
        if (c := _comparator_of(word)) is not None:
            comparators.append((word, c))
        approx |= word in _APPROX_PREFIX
        percent |= word == _PERCENT_PREFIX
        pos = m.end()
    rest = s[pos:]

    numbers = _NUM_RE.findall(s)
    if not numbers:
        _no_number(s, prefix)
        return Target(text, None, None, "")

    # rule 7: deadlines
    written = _merge(comparators)
    if written in (None, "<=", "<") and not percent and (d := _DEADLINE_RE.fullmatch(rest)):
        month, day = int(d["month"]), int(d["day"] or 1)
        if 1 <= month <= 12 and 1 <= day <= 31:
            return Target(text, written or "<=", float(month), "月", approx)

    if len(numbers) == 2 and _RANGE_RE.fullmatch(rest):
        raise NotationError("写的是一个区间，无法判断是否达成；应写成单一界限，如“≥90%”或“≤95%”")

    number = _SIGNED_NUM_RE.match(rest)
    if len(numbers) != 1 or number is None:
        return _mixed(text, s)

    # rule 4: after the number
    tail, suffixes, approx_after = _after_number(rest[number.end() :])
    approx |= approx_after
    comparators += [(w, c) for w in suffixes if (c := _SUFFIX_WORDS.get(w)) is not None]

    # rule 5: the unit
    unit = "%" if tail == "百分比" else tail
    if percent:
        if unit:
            return _mixed(text, s)
        unit = "%"
    if not _unit_ok(unit):
        return _mixed(text, s)

    # rule 6: the comparator
    comparator = _merge(comparators)
    value = _number(number.group())
    if comparator is None:
        return Target(text, ">=", value, unit, approx, implicit=True)
    return Target(text, comparator, value, unit, approx)


# --- writing back -------------------------------------------------------------------------------


def _format_number(value: float) -> str:
    if value == 0:
        return "0"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_target(t: Target) -> str:
    """The canonical string of a target: "≥200件", "≤30天", "=0次", "98.5%", "约230件".

    Canonical form: the comparator symbol (≥ ≤ > < =), "约" when approximate, the number without
    a trailing ".0", the unit. A bare number (implicit ≥) is written without a symbol ("200件",
    "约230件" for "230余件"), except in the unit 月, where a bare month reads as a deadline
    (rule 7), so "≥" is written. Qualitative text is given back as written.
    ``parse(format_target(t))`` gives back t's comparator, value, unit and approx flag.
    """
    if t.comparator is None or t.value is None:
        return t.raw
    bare = t.implicit and t.comparator == ">=" and t.unit != "月"
    symbol = "" if bare else _SYMBOL_OUT[t.comparator]
    return f"{symbol}{'约' if t.approx else ''}{_format_number(t.value)}{t.unit}"


def same_unit(a: Target, b: Target) -> bool:
    """Whether a target and an actual are in the same unit (issue 2 §3: compare values in the
    same unit; a mismatch is a validation error).

    Units are compared as normalised by `parse` ("％" and "百分比" are "%"); no conversion is made
    ("5万元" and "50000元" differ). A side with no unit written takes the other's unit: a bare
    "98" actual against a "≥95%" target counts as 98%.
    """
    return a.unit == b.unit or not a.unit or not b.unit
