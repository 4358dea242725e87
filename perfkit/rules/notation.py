"""The target notation of 年度指标值 / 实际完成值: "≥200件", "230余件", "不超过30天", "达成".

Real self-evaluation tables (财预〔2020〕10号 自评表; domain notes §5) write a target as a
comparator, a number and a unit, or as qualitative text. `parse` reads one cell into a `Target`;
`format_target` writes the canonical form back; `same_unit` and `same_per` say whether a target
and an actual can be compared, `conversion` gives the factor between two units, `known_unit`
whether a reader recognises a unit. Published tables (domain notes §7) add typesetting
look-alikes, compound units, qualifiers, phrases and dates: rules 1, 5 and 10–12.

How a cell is read, in order (every decision below has a test in tests/test_notation.py):

1. Normalisation. Full-width ASCII (``０-９ ． ％ ＞ ＜ ＝ ， （ ）``) becomes ASCII, U+2212 "−"
   becomes "-", zero-width characters are dropped, the traditional forms of unit characters
   and number words read as simplified (`units.TRADITIONAL`: "120畝" is 120亩, "3萬元" 3万元,
   "230餘件" 230余件, "不低於95%" ≥95%). Typesetting look-alikes (§7): the box-drawing
   "═" is "="; an angle quote or bracket ``‹ 〈 ⟨`` / ``› 〉 ⟩`` is "<" / ">" only as the first
   character before an optional "=" and the number ("‹=5%", "〉95%"), never elsewhere, where it
   is a title mark ("〈规划〉"). Whitespace is dropped, except between two
   digits ("1 000" stays two numbers, so it is never silently read as 1000). Trailing sentence
   punctuation ("。" "，" "；" …) is dropped. Empty or blank text raises NotationError ("为空").
   Only ASCII digits count as digits: "三次" has no number and is qualitative.
2. Words before the number, in any order:
   - comparator symbols: ``>= => ≥ ≧ ⩾ ≥= ≧= ⩾= ≮`` (≥), ``<= =< ≤ ≦ ⩽ ≤= ≦= ⩽= ≯`` (≤),
     ``> < = ==``; with rule 1 also "＞＝", "≥＝", "> =", "‹=", "〉=", "═";
     "≠" / "<>" / "!=" raise NotationError (no scoring rule compares with "not equal");
   - comparator words: 不低于 不少于 不小于 大于等于 大于或等于 至少 最少 不得低于 不得少于 (≥);
     不高于 不超过 不大于 不多于 小于等于 小于或等于 最多 至多 不得高于 不得超过 控制在
     不晚于 不迟于 (≤); 大于 高于 超过 多于 (>); 小于 低于 少于 不足 不到 (<); 等于 (=);
   - approximation words: 约 大约 约为 近 将近 接近 逾 (approx=True);
   - neutral verbs that are no comparator: 达到 完成 实现 已 于 在 共 共计 累计 合计 总计 全年
     实际 ("完成200件" is the bare number 200件);
   - 百分之 ("百分之95" is 95%);
   - qualifiers (rule 10): "每人每月", "人均".
3. The number: "98.5", "1,000" (groups of three digits only: "1,0000" and "98,5" are two
   numbers), an optional sign ("≤-5%"). A value above 10^15 in magnitude (`MAX_VALUE`), or that
   does not fit a float, raises NotationError.
4. After the number: 余 or 多 ("230余件", "10多次"), also after a magnitude ("1万余元" is 1 in the
   unit 万元). Then, from the end, repeatedly: 左右 上下 (approx); 以上 及以上 或以上 (≥);
   以下 及以下 或以下 以内 之内 内 (≤); "以上(不含)" (>), "以下(不含)" (<); "(含)" (no effect).
   A unit followed by a parenthesised gloss without digits is the unit: "%(比率)", "%（百分比）",
   "万元（含税）", "个(处)" are %, %, 万元, 个 (the gloss is dropped when what precedes it is a
   known unit, `known_unit`; "(含)" "(不含)" "(含本数)" are never glosses).
   Decision: 以上 / 以下 / 以内 include the number, as in Chinese official usage
   (《中华人民共和国民法典》第一千二百五十九条: "以上、以下、以内、届满，包括本数"; "超过"
   does not include it, hence >), so "200件以上" is ≥200件 and "5%以下" is ≤5%.
5. The unit is whatever remains: any text of at most 6 characters without digits, punctuation
   other than "/", "·", "%" and "‰", or the function words of rule 8 ("件", "人次", "万元",
   "平方公里", "元/人·天", "km"), or a longer compound of known units ("万元/平方公里").
   "百分比" becomes "%". A compound unit's joiners ``* ・ • ‧ ∙ ⋅ ×`` between two unit parts
   become "·" and "／" becomes "/": "元/人*年" is "元/人·年" (§7 prints both; × between two units
   is their product too, and between digits it never reaches the unit). Magnitudes stay in the
   unit: "5万元" is 5 in 万元, "1.8亿元" 1.8 in 亿元, "3.5万亩" 3.5 in 万亩. Comparing is
   `conversion`'s business: the factor between units of the same base with magnitude prefixes
   十 百 千 万 亿 (and 十万 … 万亿) before a count, money, mass, length, area or volume unit,
   also in a compound's parts ("万元/公里" → "元/公里": 10000); exact metric equivalences
   (公里 = 千米 = km = 1000 米, 吨 = 1000 公斤, % = 10 ‰); None otherwise ("件"/"次",
   "%"/"个百分点"). No prefix before time (年 月 天), scores (分) or rates (%): "百年" is prose.
   A bare magnitude ("150万", "1.2亿": `units.BARE_MAGNITUDES`) is a unit of its own, a number of
   ten thousands …; compared with money ("≥150万元") it is that magnitude of 元 (`same_unit`,
   `units.comparable`; issue 16 §10: in a money indicator 万 means 万元, and the scorer says so
   in the reading). `known_unit` says whether a unit is one of these; an unknown unit is still
   read ("200件套") and a validator may warn.
6. No comparator written: a bare number, read as ≥ with implicit=True ("98%", "200件", "5").
   The same comparator written twice is fine ("不少于200件以上"); two different ones raise
   NotationError ("≥200件以下").
7. Deadlines, tried before rule 5: a month with optional year, day, 底/末/初/上旬/中旬/下旬,
   前/之前/以前 and a completion verb (完成 办结 结束 到位 上线 验收 …): "12月底前", "6月前",
   "2022年12月31日前完成", "11月底", "11月完成". Value = the month, unit "月", comparator "<=",
   with or without 前: a month is a deadline, and no table targets a date *after* which work
   must end. Decision: the value is the month, so "11月30日前" is ≤11月, and an actual of 11月20日
   against a target of 11月15日前 counts as met by month (both are month 11); the full date is
   kept in `Target.date` (rule 12) for a scorer that compares dates. A comparator ≥ or > before
   a month ("≥6月") is a duration in 月 instead. Full dates written with one separator are
   read the same way: "2022-12-20", "2022/12/20", "2022.12.20", "2022.12" are ≤12月 with date
   (2022, 12, 20) or (2022, 12, None) ("2022.12" is no longer the number 2022.12; a bare
   19xx/20xx number with a one- or two-digit month after "." is a date in a table). Only months
   are deadline values: "年底前", "30日前" and "第四季度" are qualitative text (with a date).
8. Anything else that holds a number — the number inside prose ("较2021年提升"), several
   numbers ("2022年度完成2项"), a unit that is prose ("200件以上且效果明显", "不低于2021年水平",
   "100%完成") — is
   - a NotationError when a comparator symbol or word occurs anywhere in it: the writer meant a
     quantitative target and it cannot be read unambiguously ("2个以上且效果明显");
   - qualitative text otherwise ("较2021年提升", "未完成100%"),
   unless rule 11 reads it as a phrase.
   A range ("90-95%", "3至5个") always raises NotationError: no rule scores against a range.
9. Text with no number: qualitative (comparator None, value None, unit ""): "效果明显",
   "达成年度指标", "有效提升", "年底前完成", and also placeholders such as "-", "/", "无". But it
   raises NotationError when it is notation with the number missing: a comparator symbol anywhere
   ("≥", "≤%", "≥上年"); a comparator word with nothing or only a known unit beside it
   ("不低于件", "件以上", "以内"; but "年内" is qualitative); an approximation word alone ("约",
   "左右"); a known unit alone ("%", "件", "%(比率)"). "不低于上年" and "近期" stay qualitative.
10. Qualifiers before the number (§7: "每亩…"): 每 + a unit or a counted noun, repeated
   ("每吨", "每人每月", "每万人", "每村"), and X均 (人均 户均 生均 亩均 村均 校均 日均 月均 年均
   次均 场均 床均), anywhere among the words of rule 2 ("每人每月不超过500元", "人均≥2000元").
   The number is read and the qualifier kept in `Target.per` as written ("每人每月");
   `format_target` writes it after the comparator: "≤每人每月500元". `same_per`: a side without
   a qualifier matches any ("人均2000元" against "2100元" compares).
11. A phrase with one number (§7: "…满意率达95%以上"): when rules 2–6 cannot read the text
   because words stand before the number, it is read as that number with the comparator and
   approximation words right before it and the suffix words after it, `Target.phrase` = True,
   if and only if: the text holds exactly one number (or is a deadline of rule 7 after the
   words: "项目于2022年12月底前完成"); the unit after it is a known unit (`known_unit`), not 月
   or 日 (a deadline or a date), and not 年 after a 19xx/20xx year ("计划2021年"); nothing
   follows but rule-4 words and a gloss; the leading words are at most 16 characters without
   punctuation, comparator words or symbols (those must stand right before the number), without
   a relative change or comparison (较 同比 环比 相比 比上 上年 去年 增长 下降 提高 降低 增加
   减少 提升 …), without a negation (未 不 没 无法 尚无; "不" inside "不低于" before the number
   is a comparator), and not ending in 第 前 后 排名 号 (an ordinal or a rank: "完成第2批",
   "排名前10"); and the last leading character does not make a word with the first word read
   ("节约5万元" is a saving, not "约5万元"; "最近完成200件"). Examples: "群众满意度达90%以上"
   (≥90%), "按合同结算8.6万元" (bare, implicit ≥), "完成培训12期", "满意度≥90%（问卷）". Otherwise
   rule 8 applies as before. Leading neutral verbs alone ("全年共计230件") are rule 2, not a
   phrase.
12. Dates (`Target.date`, (year, month, day), None where not written) for texts that name a
   point in time, so that a scorer can compare deadlines by date; the scorer fills a missing
   year from the report's year and compares at the coarsest granularity both sides have. The
   value reading does not change:
   - deadlines of rule 7: "12月底前" (None, 12, None), "11月30日前" (None, 11, 30),
     "2022年12月31日前完成" (2022, 12, 31), "2022年11月" (2022, 11, None), and the full dates
     of rule 7; 初 上旬 中旬 下旬 add no day; a day the month does not have ("2月30日") gives
     no date (the month reading stays);
   - a 19xx/20xx year in 年: "2021年" (bare 2021 in 年) is (2021, None, None); "2021年内"
     (≤2021年) and the qualitative "2021年底前" are (2021, 12, None), the end of that year;
   - qualitative periods: 年底 年末 年内 年度内 本年度内 当年 今年 (with 前 or a completion verb
     or not) are (None, 12, None); 上半年 (None, 6, None); 下半年 (None, 12, None); 第一…第四季度,
     一季度 … 四季度末, 第3季度 (None, 3q, None); with a year before them, that year.
   Anything else has no date ("近期", "按时完成"). A year before a period ("2022年上半年",
   "2022年第三季度") is that period, qualitative, not the number 2022 in the unit "年上半年".

`parse` is cached with functools.lru_cache: a dataset repeats the same few thousand strings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from perfkit.core.problems import PerfkitError
from perfkit.rules.dates import (
    DEADLINE_RE,
    NUMERIC_DATE_RE,
    Date,
    period_date,
    valid_date,
    year_date,
)
from perfkit.rules.units import (
    KNOWN_UNITS,
    MAGNITUDES,
    comparable,
    known_unit,
    simplified,
)
from perfkit.rules.units import conversion as conversion  # re-exported: notation.conversion

Comparator = Literal[">=", "<=", ">", "<", "="]


class NotationError(PerfkitError, ValueError):
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
    #: the qualifier written before the number (rule 10): "每人每月", "人均", "每吨"; "" if none
    per: str = ""
    #: the number was read out of a short phrase of words (rule 11): "满意率达95%以上"
    phrase: bool = False
    #: (year, month, day) for a text that names a point in time (rule 12), None parts unwritten:
    #: "2022年12月31日前" → (2022, 12, 31), "12月底前" → (None, 12, None), "年底前" →
    #: (None, 12, None), "2021年" → (2021, None, None)
    date: Date | None = None

    @property
    def qualitative(self) -> bool:
        return self.value is None


# --- vocabulary ---------------------------------------------------------------------------------

_SYMBOLS: dict[str, Comparator] = {
    ">=": ">=", "=>": ">=", "≥=": ">=", "≧=": ">=", "⩾=": ">=", "≥": ">=", "≧": ">=", "⩾": ">=",
    "≮": ">=",
    "<=": "<=", "=<": "<=", "≤=": "<=", "≦=": "<=", "⩽=": "<=", "≤": "<=", "≦": "<=", "⩽": "<=",
    "≯": "<=",
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

#: joiners of a compound unit's factors, all read as "·" ("元/人*年" is "元/人·年"); "×" is the
#: multiplication sign, which between two units means the same product
_JOINER_RE = re.compile(r"(?<=[^\s/·])[*・•‧∙⋅×](?=[^\s/·*・•‧∙⋅×])")

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
# --- compiled patterns --------------------------------------------------------------------------

_TRANSLATE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # full-width ASCII
_TRANSLATE.update(
    {0x3000: " ", 0x2212: "-", 0xFE6A: "%", 0xFE64: "<", 0xFE65: ">", 0xFE66: "=", 0x2550: "="}
    | dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF))
)
_SPACE_RE = re.compile(r"(?<![0-9])\s+|\s+(?![0-9])")
_TRAIL_RE = re.compile(r"[。.,;；、!！?？]+$")
#: angle quotes and brackets typeset for < and >, only where they stand as a comparator: first,
#: before an optional "=" and the number ("‹=5%", "〉95%"), never as title marks ("〈规划〉")
_ANGLE_RE = re.compile(r"^([‹〈⟨])(?==?[-+约0-9])|^([›〉⟩])(?==?[-+约0-9])")


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_PER_NOUNS = (
    *(u for u in KNOWN_UNITS if "/" not in u and u not in ("%", "‰", "km", "kg")),
    "村", "校", "乡", "镇", "县", "区", "班", "生", "学生", "标段", "单位", "企业", "家庭",
    "季度", "学期", "年度", "例", "宗", "车", "船",
)  # fmt: skip
_QUALIFIER = (
    rf"(?:每(?:个|位|名|一)?(?:{_alternation(MAGNITUDES)})?(?:{_alternation(_PER_NOUNS)})"
    r"|[人户生亩村校日月年次场床]均)"
)
_QUALIFIER_RE = re.compile(_QUALIFIER)
_PREFIX_RE = re.compile(
    _QUALIFIER
    + "|"
    + _alternation(
        [*_UNSUPPORTED, *_SYMBOLS, *_PREFIX_WORDS, *_APPROX_PREFIX, *_FILLERS, _PERCENT_PREFIX]
    )
)
_SUFFIXES = sorted([*_SUFFIX_WORDS, *_APPROX_SUFFIX, _INCLUSIVE], key=len, reverse=True)
_NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?"
_NUM_RE = re.compile(_NUM)
_SIGNED_NUM_RE = re.compile(rf"[-+]?{_NUM}")
_INFIX_APPROX_RE = re.compile(r"([万千百亿]*)[余多]")
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
    s = _SPACE_RE.sub("", simplified(text.translate(_TRANSLATE)))
    s = _ANGLE_RE.sub(lambda m: "<" if m.group(1) else ">", s)
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
        (len(unit) <= _UNIT_MAX_LEN or known_unit(unit))
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
    alone = rest == s
    if (gloss := _GLOSS_RE.fullmatch(rest)) and gloss[2] not in _NOT_GLOSS:
        rest = gloss[1]  # "%(比率)": a unit with its gloss
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
    if alone:
        raise NotationError(f"只有单位“{rest}”但没有数值，应写成如“≥200件”或“200件”")


def _mixed(raw: str, s: str, date: Date | None = None) -> Target:
    """Rule 8: a number that cannot be read unambiguously."""
    found = _COMPARATOR_TEXT_RE.search(s)
    if found is not None:
        raise NotationError(
            f"有比较符“{found.group()}”，但除一个数值和单位外还有其他文字或数值，无法确定指标值；"
            "应写成如“≥200件”，定性表述不要带比较符"
        )
    return Target(raw, None, None, "", date=date)


#: the largest magnitude a target or actual may have (rule 3): 10^15, the most a spreadsheet
#: keeps exactly (15 significant digits); beyond it a number is a typing error or no float at
#: all ("≥" and 400 nines), and no score or JSON may take it (issue 16 §7)
MAX_VALUE = 1e15


def _number(text: str) -> float:
    value = float(text.replace(",", ""))
    if not abs(value) <= MAX_VALUE:
        raise NotationError("数值过大（超过 10 的 15 次方），无法读取，应写成如“≥200件”")
    return value


_GLOSS_RE = re.compile(r"(.+?)\(([^()0-9]{1,8})\)")
#: parenthesised words that say whether the number is included, never a gloss (rule 4)
_NOT_GLOSS = frozenset(("含", "不含", "含本数", "不含本数", "包含", "不包含"))


def _after_number(tail: str) -> tuple[str, list[str], bool]:
    """Rules 4 and 5 on the text after the number: (what is left for the unit, the words read
    from the end in reading order, whether 余 / 多 / 左右 / 上下 made it approximate)."""
    approx = False
    if infix := _INFIX_APPROX_RE.match(tail):
        approx = True
        tail = infix.group(1) + tail[infix.end() :]
    suffixes: list[str] = []
    while True:
        while suffix := next((w for w in _SUFFIXES if tail.endswith(w)), None):
            tail = tail[: -len(suffix)]
            suffixes.append(suffix)
            approx |= suffix in _APPROX_SUFFIX
        gloss = _GLOSS_RE.fullmatch(tail)
        if gloss is None or gloss[2] in _NOT_GLOSS or not known_unit(_unit_of(gloss[1])):
            break
        tail = gloss[1]  # rule 5: "%(比率)", "万元（含税）": the gloss is dropped
    return _unit_of(tail), suffixes, approx


def _unit_of(tail: str) -> str:
    """Rule 5: joiners of a compound unit become "·" ("元/人*年" → "元/人·年"), 百分比 is %."""
    tail = _JOINER_RE.sub("·", tail)
    return "%" if tail == "百分比" else tail


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
        and "年" not in u
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
_DATE_NUMBER_RE = re.compile(r"(?:19|20)[0-9]{2}\.")  # "2022.12" may be a date (rule 12)
_FAST_RE = re.compile(r"([^0-9]*?)(约)?([0-9]+(?:\.[0-9]+)?)([余多])?([^0-9]*)")


def _fast(text: str) -> Target | None:
    """The Target of a cell in a common form (see above), or None to take the general path."""
    m = _FAST_RE.fullmatch(text)
    if m is None:
        return None
    prefix, about, number, infix, tail = m.groups()
    if prefix not in _FAST_PREFIXES or tail not in _FAST_TAILS or _DATE_NUMBER_RE.match(number):
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


class _Words:
    """Rule 2 (and 10): the words read before a number, from ``pos`` on."""

    def __init__(self, s: str, pos: int = 0) -> None:
        self.prefix: list[str] = []
        self.comparators: list[tuple[str, Comparator]] = []
        self.approx = self.percent = False
        self.per = ""
        while m := _PREFIX_RE.match(s, pos):
            word = m.group()
            self.prefix.append(word)
            if (c := _comparator_of(word)) is not None:
                self.comparators.append((word, c))
            self.approx |= word in _APPROX_PREFIX
            self.percent |= word == _PERCENT_PREFIX
            if _QUALIFIER_RE.fullmatch(word):
                self.per += word
            pos = m.end()
        self.end = pos


def _deadline(text: str, rest: str, words: _Words, phrase: bool = False) -> Target | None:
    """Rule 7 (and 12): a month, with or without year and day, as a deadline."""
    written = _merge(words.comparators)
    if written not in (None, "<=", "<") or words.percent:
        return None
    d = DEADLINE_RE.fullmatch(rest) or NUMERIC_DATE_RE.fullmatch(rest)
    if d is None:
        return None
    year = int(d["year"]) if d["year"] else None
    month, day = int(d["month"]), int(d["day"]) if d["day"] else None
    if not 1 <= month <= 12 or not 1 <= (day or 1) <= 31:
        return None
    date = (year, month, day) if valid_date(year, month, day) else None
    return Target(
        text, written or "<=", float(month), "月", words.approx, per=words.per, phrase=phrase,
        date=date,
    )  # fmt: skip


_PHRASE_MAX_LEN = 16
#: words that make a number in a phrase a relative change or a comparison with another period
_RELATIVE_RE = re.compile(
    "较|同比|环比|相比|比上|比去|比前|比往|比同|上年|去年|往年|前年|基期|增长|下降|提高|降低|"
    "增加|减少|提升|上升|增幅|降幅|减幅|增速|缩短|压缩|翻番|翻一番"
)
#: negations; "不" inside a comparator word ("不低于") is read before the prose is looked at
_NEGATION_RE = re.compile("未|不|没|无法|尚无")
#: words right before a number that make it an ordinal, a rank or a label: "第2批", "前10名"
#: a word of the prose's last character and the first word read before the number: "节约5万元"
#: is a saving of 5万元, not about 5万元; "最近完成200件" is recent, not nearly 200
_AMBIGUOUS = frozenset(
    ("节约", "合约", "预约", "签约", "履约", "违约", "制约", "集约", "简约", "公约", "条约",
     "特约", "邀约", "最近", "附近", "邻近", "就近", "靠近", "临近", "逼近", "迫近")
)  # fmt: skip
_LABEL_ENDS = ("第", "前", "后", "排名", "号", "编号", "No", "NO", "no")


def _phrase(text: str, s: str) -> Target | None:
    """Rule 11: the one number of a short phrase ("群众满意度达90%以上"), or None."""
    first = _NUM_RE.search(s)
    assert first is not None
    head = s[: first.start()]
    if len(head) > 2 * _PHRASE_MAX_LEN + 24:  # no short phrase: spare the scan of a long text
        return None
    words = next(w for i in range(len(head) + 1) if (w := _Words(head, i)).end == len(head))
    prose = head[: len(head) - sum(map(len, words.prefix))]
    if (
        not prose
        or len(prose) > _PHRASE_MAX_LEN
        or any(c in _UNIT_BAD_CHARS or c.isspace() for c in prose)
        or _COMPARATOR_TEXT_RE.search(prose)
        or _RELATIVE_RE.search(prose)
        or _NEGATION_RE.search(prose)
        or prose.endswith(_LABEL_ENDS)
        or (words.prefix and prose[-1] + words.prefix[0] in _AMBIGUOUS)
    ):
        return None
    if (deadline := _deadline(text, s[first.start() :], words, phrase=True)) is not None:
        return deadline
    if len(_NUM_RE.findall(s)) != 1:
        return None
    unit, suffixes, approx = _after_number(s[first.end() :])
    if words.percent:
        unit = "" if unit else "%"
    year = unit == "年" and re.fullmatch(r"(?:19|20)[0-9]{2}", first.group())
    if not unit or not known_unit(unit) or unit in ("月", "日") or year:
        return None
    comparators = words.comparators + [(w, c) for w in suffixes if (c := _SUFFIX_WORDS.get(w))]
    comparator = _merge(comparators)
    return Target(
        text, comparator or ">=", _number(first.group()), unit, words.approx or approx,
        comparator is None, words.per, phrase=True,
    )  # fmt: skip


@functools.lru_cache(maxsize=65536)
def parse(text: str) -> Target:
    """Parse one cell (rules 1–12 of the module docstring). Raises NotationError, and only that,
    for empty text and for malformed quantitative text."""
    if not isinstance(text, str):
        raise NotationError("指标值应为文本，如“≥200件”或“达成年度指标”")
    if (fast := _fast(text)) is not None:
        return fast
    s = _normalise(text)
    if not s:
        raise NotationError("指标值为空，应填写如“≥200件”的数值或“达成年度指标”等定性表述")

    # rule 2: words before the number
    words = _Words(s)
    if unsupported := next((w for w in words.prefix if w in _UNSUPPORTED), None):
        raise NotationError(f"比较符“{unsupported}”无法用于评分，应使用 ≥、≤、>、<、= 之一")
    prefix, comparators, approx = words.prefix, list(words.comparators), words.approx
    rest = s[words.end :]

    numbers = _NUM_RE.findall(s)
    if not numbers:
        _no_number(s, prefix)
        return Target(text, None, None, "", date=period_date(rest))

    # rules 7 and 12: deadlines and dates
    if (deadline := _deadline(text, rest, words)) is not None:
        return deadline

    if len(numbers) == 2 and _RANGE_RE.fullmatch(rest):
        raise NotationError("写的是一个区间，无法判断是否达成；应写成单一界限，如“≥90%”或“≤95%”")

    number = _SIGNED_NUM_RE.match(rest)
    if number is None and (phrase := _phrase(text, s)) is not None:
        return phrase
    if len(numbers) != 1 or number is None:
        return _mixed(text, s, period_date(rest))

    # rule 4: after the number
    unit, suffixes, approx_after = _after_number(rest[number.end() :])
    approx |= approx_after
    comparators += [(w, c) for w in suffixes if (c := _SUFFIX_WORDS.get(w)) is not None]

    # rule 5: the unit
    if words.percent:
        if unit:
            return _mixed(text, s)
        unit = "%"
    period = None if unit == "年" else period_date(rest)
    if not _unit_ok(unit) or period is not None:
        # "2022年上半年" is a period of rule 12, not 2022 in the unit "年上半年"
        return _mixed(text, s, period_date(rest))

    # rule 6: the comparator
    comparator = _merge(comparators)
    value = _number(number.group())
    date = year_date(number.group(), unit, rest)
    if comparator is None:
        return Target(text, ">=", value, unit, approx, True, words.per, date=date)
    return Target(text, comparator, value, unit, approx, per=words.per, date=date)


# --- writing back -------------------------------------------------------------------------------


def _format_number(value: float) -> str:
    if value == 0:
        return "0"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_target(t: Target) -> str:
    """The canonical string of a target: "≥200件", "≤30天", "=0次", "98.5%", "约230件",
    "≤每人每月500元".

    Canonical form: the comparator symbol (≥ ≤ > < =), the qualifier (`Target.per`), "约" when
    approximate, the number without a trailing ".0", the unit. A bare number (implicit ≥) is
    written without a symbol ("200件", "约230件" for "230余件"), except in the unit 月, where a
    bare month reads as a deadline (rule 7), so "≥" is written. Qualitative text is given back
    as written. ``parse(format_target(t))`` gives back t's comparator, value, unit, approx flag
    and qualifier; not the phrase flag or the date (a date is written back as its month).
    """
    if t.comparator is None or t.value is None:
        return t.raw
    bare = t.implicit and t.comparator == ">=" and t.unit != "月"
    symbol = "" if bare else _SYMBOL_OUT[t.comparator]
    return f"{symbol}{t.per}{'约' if t.approx else ''}{_format_number(t.value)}{t.unit}"


def same_unit(a: Target, b: Target) -> bool:
    """Whether a target and an actual can be compared by their units: exactly when
    ``comparable(a.unit, b.unit) is not None`` (issue 2 §3; rule 5): they convert, or one is a
    bare magnitude ("150万") and the other money ("万元"), then read as that magnitude of 元.

    The caller converts: a value of ``a`` in ``b``'s unit is ``a.value * conversion(a.unit,
    b.unit)`` ("5万元" against "50000元": 5 × 10000). A side with no unit written takes the
    other's unit: a bare "98" actual against a "≥95%" target counts as 98%. The qualifier is
    checked separately by `same_per`.
    """
    return comparable(a.unit, b.unit) is not None


def same_per(a: Target, b: Target) -> bool:
    """Whether two qualifiers (`Target.per`, rule 10) agree: equal, or one side wrote none
    ("人均2000元" against "2100元" compares; "每人500元" against "每户600元" does not)."""
    return a.per == b.per or not a.per or not b.per
