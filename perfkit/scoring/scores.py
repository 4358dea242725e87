"""Scores: the execution score, every indicator's score with its rule, totals and grades.

The rules (财预〔2020〕10号 and provincial practice, domain.md §2) with every number taken from the
:class:`~perfkit.rules.rulebook.Rulebook`:

- 预算执行率 = Σ全年执行数 / Σ全年预算数 of the unit-year; score = min(rate, 1) × weight
  (``linear``) or the first step whose ``min`` the rate reaches (``steps``, Jiangxi);
- ≥, > and bare numbers (``higher_better``): the full weight when actual ≥ target, else
  weight × actual / target;
- ≤, < (``lower_better_ratio``): the full weight when actual ≤ target, else weight × target /
  actual; or (``lower_better_linear``) weight × (1 − (actual − target) / target), 0 from twice
  the target;
- = with target 0 (``equal_zero``): the full weight only when actual is 0; = otherwise as ≥;
- a target ≤ 0 that is missed scores 0 (a ratio to it means nothing; "反向指标目标为 0");
- qualitative target or actual (``qualitative_tier``): tier share × weight; a reported 得分
  inside the tier's range [min × weight, max × weight] stands (``qualitative_reported``).

Scores are clipped to [0, weight] and rounded half up (四舍五入) to ``rulebook.decimals``;
total = execution score + indicator scores, rounded to 2 decimals; the grade is read from the
rounded total. Everything is vectorised: each distinct cell text is parsed once.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from perfkit.core import gcpause
from perfkit.core.formatting import fixed_strings, num, percent_strings, strings
from perfkit.data.dataset import Dataset
from perfkit.rules import notation, qualitative
from perfkit.rules.notation import NotationError, Target
from perfkit.rules.rulebook import WEIGHT_TOLERANCE, Rulebook, load_rulebook
from perfkit.scoring import findings, metrics

KEYS = ["year", "unit_code"]
#: what scoring groups by: a unit's 部门整体 table (project_code "") or one project's 自评表
ENTITY = metrics.ENTITY
TOTAL_DECIMALS = 2
UNIT_COLUMNS = [
    "year", "unit_code", "unit_name", "initial_budget", "adjusted_budget", "executed",
    "execution_rate", "execution_score", "execution_rule_text", "reported_execution_rate",
    "reported_execution_score", "indicator_weight",
    "indicator_score", "indicator_rule_text", "total", "grade", "n_findings",
]  # fmt: skip
#: one row per project (issue 11): the unit columns with the project's code and name
PROJECT_COLUMNS = [*UNIT_COLUMNS[:3], "project_code", "project_name", *UNIT_COLUMNS[3:]]
RESULT_COLUMNS = [
    "target_value", "actual_value", "unit", "comparator", "approx", "completion", "met",
    "tier", "rule", "reading", "rule_text", "score",
]  # fmt: skip


Lazy = pd.DataFrame | Callable[[], pd.DataFrame]


class Scores:
    """The result of :func:`score_dataset` (columns in docs/architecture.md and docs/scoring.md).

    ``units`` has one row per unit-year's 部门整体 table, ``projects`` one per project-year
    (:data:`PROJECT_COLUMNS`); ``indicators``, ``findings`` and ``budget_items`` hold both,
    told apart by ``project_code`` ("" for the unit's own rows).

    ``indicators`` and ``findings`` may be given as functions: their Chinese sentences (each
    indicator's ``rule_text``, each finding's ``message``) are then written on first use, once,
    so that output that prints neither (``perfkit score --format csv``) does not pay for them.
    """

    def __init__(
        self,
        units: pd.DataFrame,
        indicators: Lazy,
        findings: Lazy,
        budget_items: pd.DataFrame,
        rulebook: Rulebook,
        projects: pd.DataFrame | None = None,
    ) -> None:
        self.units = units
        self._indicators = indicators
        self._findings = findings
        self.budget_items = budget_items
        self.rulebook = rulebook
        self.projects = pd.DataFrame(columns=PROJECT_COLUMNS) if projects is None else projects

    @property
    def indicators(self) -> pd.DataFrame:
        if callable(self._indicators):
            self._indicators = self._indicators()
        return self._indicators

    @property
    def findings(self) -> pd.DataFrame:
        if callable(self._findings):
            self._findings = self._findings()
        return self._findings


# ---------------------------------------------------------------------------------------------
# parsed cells, column-wise


#: comparators by number, as kept in :class:`_Cells` (0: none written, qualitative text)
COMPARATORS = np.array(["", ">=", "<=", ">", "<", "="], dtype=object)
_GE, _LE, _LT, _EQ = 1, 2, 4, 5
_COMPARATOR_NUMBER = {c: i for i, c in enumerate(COMPARATORS)}


def _date_part(targets: Sequence[Target], i: int) -> np.ndarray:
    dates = (t.date for t in targets)
    return np.array([np.nan if d is None or d[i] is None else d[i] for d in dates], float)


@dataclass(frozen=True)
class _Cells:
    """Parsed 年度指标值 or 实际完成值 cells as arrays (value NaN for qualitative text)."""

    raw: np.ndarray
    value: np.ndarray
    #: index into COMPARATORS
    comparator: np.ndarray
    unit: np.ndarray
    approx: np.ndarray
    #: a bare number: no comparator was written (notation rule 6)
    implicit: np.ndarray
    #: the text could not be read (a NotationError); blank text is ``raw == ""``
    unreadable: np.ndarray
    #: the point in time the text names (``Target.date``): NaN where it names none
    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    #: the number was read out of a phrase ("群众满意度达90%以上")
    phrase: np.ndarray
    #: the qualifier written before the number ("人均", "每人每月"; notation ``Target.per``)
    per: np.ndarray

    @classmethod
    def of(cls, targets: Sequence[Target], unreadable: Sequence[bool] | None = None) -> _Cells:
        n = len(targets)
        return cls(
            raw=np.array([t.raw for t in targets], dtype=object),
            value=np.array([np.nan if t.value is None else t.value for t in targets], float),
            comparator=np.array(
                [_COMPARATOR_NUMBER[t.comparator or ""] for t in targets], dtype=np.int8
            ),
            unit=np.array([t.unit for t in targets], dtype=object),
            approx=np.array([bool(t.approx) for t in targets], dtype=bool),
            implicit=np.array([bool(t.implicit) for t in targets], dtype=bool),
            unreadable=np.zeros(n, bool) if unreadable is None else np.asarray(unreadable, bool),
            year=_date_part(targets, 0),
            month=_date_part(targets, 1),
            day=_date_part(targets, 2),
            phrase=np.array([bool(t.phrase) for t in targets], dtype=bool),
            per=np.array([t.per for t in targets], dtype=object),
        )

    def take(self, index: np.ndarray) -> _Cells:
        return _Cells(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    @property
    def blank(self) -> np.ndarray:
        return self.raw == ""

    @property
    def dated(self) -> np.ndarray:
        return ~np.isnan(self.year) | ~np.isnan(self.month)


def _read(text: str) -> tuple[Target, bool]:
    """The cell's Target and whether it could not be read (then it is kept as text)."""
    try:
        return notation.parse(text), False
    except NotationError:
        return Target(raw=text, comparator=None, value=None, unit=""), True


def read_cell(text: str) -> Target:
    """``notation.parse``, with unreadable text kept as qualitative text (validation flags it)."""
    return _read(text)[0]


def _cells(column: pd.Series) -> _Cells:
    # na_value copies the column: only worth it when there is a missing value to replace
    if column.hasnans:
        cells = column.to_numpy(dtype=object, na_value="")
    else:
        cells = column.to_numpy(dtype=object)
    codes, uniques = pd.factorize(cells)
    read = [_read(str(u)) for u in uniques]
    return _Cells.of([t for t, _ in read], [bad for _, bad in read]).take(codes)


def _tiers(actual: np.ndarray, target: np.ndarray, rulebook: Rulebook) -> np.ndarray:
    """Tier key per (actual, target) pair ("" when none fits), classifying each pair once."""
    if len(actual) == 0:
        return np.array([], dtype=object)
    codes, uniques = _distinct_pairs(actual, target)
    keys = [qualitative.classify(a, t, rulebook) or "" for a, t in uniques]
    return np.array(keys, dtype=object)[codes]


def _distinct_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, list[tuple[Any, Any]]]:
    """(codes, pairs): the distinct (a, b) pairs of two equally long columns in order of first
    appearance, and per row the index of its pair, as ``pd.factorize`` of the tuples gives them.

    Each column is numbered on its own and the pairs as integers: no tuple per row is made or
    hashed.
    """
    a_codes, a_values = pd.factorize(np.asarray(a, dtype=object), use_na_sentinel=False)
    b_codes, b_values = pd.factorize(np.asarray(b, dtype=object), use_na_sentinel=False)
    width = max(len(b_values), 1)
    codes, keys = pd.factorize(a_codes.astype(np.int64) * width + b_codes)
    return codes, [(a_values[k // width], b_values[k % width]) for k in keys.tolist()]


_PLAIN_RE = re.compile(r"[\s\"'“”‘’「」『』《》]")


def plain(name: str) -> str:
    """A level or indicator name without quotes and spaces, for keyword matching."""
    return _PLAIN_RE.sub("", name)


def _contains(names: np.ndarray, keywords: tuple[str, ...]) -> np.ndarray:
    """Whether each name contains one of ``keywords`` (quotes and spaces ignored on both sides)."""
    if not keywords or not len(names):
        return np.zeros(len(names), dtype=bool)
    words = [plain(k) for k in keywords if plain(k)]
    codes, uniques = pd.factorize(np.asarray(names, dtype=object))
    hit = np.array([any(w in plain(str(u)) for w in words) for u in uniques], dtype=bool)
    return hit[codes]


def unit_factor(from_units: np.ndarray, to_units: np.ndarray) -> np.ndarray:
    """Per row, the factor that turns a value in ``from_units`` into ``to_units``
    (:func:`perfkit.rules.notation.conversion`: 1 for the same unit or a side without one, 10000 for
    亿元 → 万元 …), NaN where the units cannot be compared. Each distinct pair is asked once."""
    n = len(from_units)
    if not n:
        return np.zeros(0)
    codes, uniques = _distinct_pairs(from_units, to_units)
    factors = []
    for a, b in uniques:
        f = notation.conversion(str(a), str(b))
        factors.append(np.nan if f is None else float(f))
    return np.array(factors, dtype=float)[codes]


@dataclass(frozen=True)
class Context:
    """What the scorer knows of each indicator besides its cells: its level names, for reading a
    target written without a comparator (domain.md §7), and its year, for deadlines without one."""

    level1: np.ndarray
    level2: np.ndarray
    level3: np.ndarray
    year: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Context:
        blank = np.full(n, "", dtype=object)
        return cls(blank, blank, blank, np.full(n, np.nan))

    @classmethod
    def of(cls, indicators: pd.DataFrame) -> Context:
        n = len(indicators)

        def text(key: str) -> np.ndarray:
            if key not in indicators:
                return np.full(n, "", dtype=object)
            return indicators[key].to_numpy(dtype=object, na_value="")

        year = (
            pd.to_numeric(indicators["year"], errors="coerce").to_numpy(float)
            if "year" in indicators
            else np.full(n, np.nan)
        )
        return cls(text("level1"), text("level2"), text("level3"), year)


# ---------------------------------------------------------------------------------------------
# indicator scores


def score_targets(
    targets: Sequence[Target],
    actuals: Sequence[Target],
    weights: Sequence[float],
    rulebook: Rulebook,
    reported: Sequence[float] | None = None,
    *,
    level1: Sequence[str] | None = None,
    level2: Sequence[str] | None = None,
    level3: Sequence[str] | None = None,
    year: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Score parsed cells, one indicator per position; the result columns of ``indicators``.

    ``level1`` … ``level3`` and ``year`` are the context a reader uses for targets written
    without a comparator (cost caps, deadlines, lower-is-better names).
    """
    n = len(weights)
    rep = np.full(n, np.nan) if reported is None else np.asarray(reported, dtype=float)
    w = np.asarray(weights, float)
    ctx = Context.empty(n)
    ctx = Context(
        ctx.level1 if level1 is None else np.asarray(level1, dtype=object),
        ctx.level2 if level2 is None else np.asarray(level2, dtype=object),
        ctx.level3 if level3 is None else np.asarray(level3, dtype=object),
        ctx.year if year is None else np.asarray(year, dtype=float),
    )
    return _with_texts(*_score(_Cells.of(targets), _Cells.of(actuals), w, rep, rulebook, ctx))


def score_indicators(indicators: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """The indicators table (canonical keys) with the result columns appended."""
    return _with_texts(*_scored_indicators(indicators, rulebook))


def _scored_indicators(
    indicators: pd.DataFrame, rulebook: Rulebook
) -> tuple[pd.DataFrame, Callable[[], np.ndarray]]:
    """:func:`score_indicators` without ``rule_text``, and the function that writes it."""
    out = indicators.reset_index(drop=True)
    if "reported_score" in out:
        reported = pd.to_numeric(out["reported_score"], errors="coerce").to_numpy(float)
    else:
        reported = np.full(len(out), np.nan)
    weight = pd.to_numeric(out["weight"], errors="coerce").fillna(0.0).to_numpy(float)
    result, texts = _score(
        _cells(out["target"]), _cells(out["actual"]), weight, reported, rulebook, Context.of(out)
    )
    return pd.concat([out.drop(columns=RESULT_COLUMNS, errors="ignore"), result], axis=1), texts


def _with_texts(frame: pd.DataFrame, texts: Callable[[], np.ndarray]) -> pd.DataFrame:
    """``frame`` with its ``rule_text`` column written, in its place before ``score``."""
    out = frame.copy(deep=False)
    out.insert(out.columns.get_loc("score"), "rule_text", texts())
    return out


#: the sentence of each case; {a} actual, {t} target, {w} weight, {s} score, {r} reported 得分,
#: {lo}–{hi} the tier's range in points, {tier} its key, {label} its label, {share} its share in %,
#: {raw} the 实际完成值 as written, {why} what makes a row unverifiable, {ad} / {td} the actual
#: date and the deadline, {late} months late, {pm} the share of the weight off per month late
TEXTS: dict[str, str] = {
    "unverifiable_reported": "{why}，无法核实完成情况，采用单位自评得分 {r} 分",
    "unverifiable_rule_zero": "{why}，无法核实完成情况，按评分规则不采用自评得分，得 0 分",
    "unverifiable_zero": "{why}，无法核实完成情况，且未填自评得分，得 0 分",
    "deadline_met": "时效指标：实际完成时间 {ad} 不晚于时限 {td}，得满分 {w} 分",
    "deadline_per_month": (
        "时效指标：实际完成时间 {ad} 晚于时限 {td}，逾期 {late} 个月，"
        "得分 = {w} × (1 − {late} × {pm}%) = {s}"
    ),
    "deadline_zero": "时效指标：实际完成时间 {ad} 晚于时限 {td}，未按时完成，得 0 分",
    "qualitative_reported": "定性指标：自评得分 {r} 在 {tier} 档区间 {lo}–{hi} 分内，采用自评得分",
    "qualitative_tier": "定性指标：{label}（{tier} 档），得分 = {w} × {share}% = {s}",
    "qualitative_outside": (
        "定性指标：{label}（{tier} 档），自评得分 {r} 不在本档区间 {lo}–{hi} 分内，"
        "得分 = {w} × {share}% = {s}"
    ),
    "higher_met": "实际完成值 {a} ≥ 年度指标值 {t}，得满分 {w} 分",
    "higher_ratio": "实际完成值 {a} < 年度指标值 {t}，得分 = {w} × {a} ÷ {t} = {s}",
    "higher_nonpositive": "实际完成值 {a} < 年度指标值 {t}，年度指标值不大于 0，得 0 分",
    "lower_met": "反向指标：实际 {a} ≤ 目标 {t}，得满分 {w} 分",
    "lower_ratio": "反向指标：实际 {a} > 目标 {t}，得分 = {w} × {t} ÷ {a} = {s}",
    "lower_linear": "反向指标：实际 {a} > 目标 {t}，得分 = {w} × (1 − ({a} − {t}) ÷ {t}) = {s}",
    "lower_beyond": "反向指标：实际 {a} 达到目标 {t} 的 2 倍及以上，得 0 分",
    "lower_nonpositive": "反向指标：实际 {a} > 目标 {t}，目标值不大于 0，得 0 分",
    "equal_zero_met": "实际完成值 {a} = 年度指标值 0，得满分 {w} 分",
    "equal_zero_missed": "实际完成值 {a} ≠ 年度指标值 0，得 0 分",
}

#: why a row cannot be verified, by reason number (0: it can)
UNVERIFIABLE = (
    "",
    "年度指标值未填写",
    "实际完成值未填写",
    "年度指标值和实际完成值均未填写",
    "年度指标值「{t}」无法识别",
    "实际完成值「{a}」无法识别",
    "实际完成值「{a}」与年度指标值「{t}」的单位不同，无法换算",
    "实际完成值「{a}」无法归入评分规则的任何档次",
)


def _why(reason: np.ndarray, target: _Cells, actual: _Cells) -> np.ndarray:
    """The sentence of each row's reason (:data:`UNVERIFIABLE`) with the cells as written."""
    out = np.full(len(reason), "", dtype=object)
    for i in np.flatnonzero(reason):
        out[i] = UNVERIFIABLE[reason[i]].format(t=target.raw[i], a=actual.raw[i])
    return out


#: how a reading was inferred, said before the rule in ``rule_text`` (domain.md §7)
READINGS: dict[str, str] = {
    "lower_name": "未写比较符号，按指标名称视为越低越好（不高于年度指标值）",
    "cost": "未写比较符号，按成本指标视为不高于",
    "zero": "未写比较符号，年度指标值为 0，视为应为 0（不应发生）",
    "deadline": "按时效指标，年度指标值视为完成时限",
    "year_filled": "未写年份，按 {year} 年计",
    "converted": "实际完成值 {araw} 换算为 {aconv}{unit}",
    "target_phrase": "从年度指标值「{traw}」中读出 {tfmt}",
    "actual_phrase": "从实际完成值「{araw}」中读出 {afmt}",
}


def _infer_direction(
    target: _Cells, ctx: Context, rulebook: Rulebook
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Comparators with the direction read from context where none was written, and which
    reading applied to which rows (domain.md §7; keywords from ``rulebook.direction``)."""
    rules = rulebook.direction
    bare = target.implicit & ~np.isnan(target.value)
    comparator = target.comparator.copy()
    lower_name = bare & _contains(ctx.level3, rules.lower_better_names)
    cost = (
        bare
        & ~lower_name
        & (_contains(ctx.level2, rules.cost_levels) | _contains(ctx.level1, rules.cost_levels))
    )
    zero = bare & ~lower_name & ~cost & (target.value == 0) & rules.zero_means_equal
    comparator[lower_name | cost] = _LE
    comparator[zero] = _EQ
    return comparator, {"lower_name": lower_name, "cost": cost, "zero": zero}


def _months(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    return year * 12 + month


def _deadlines(
    target: _Cells, actual: _Cells, comparator: np.ndarray, ctx: Context, rulebook: Rulebook
) -> dict[str, np.ndarray]:
    """Deadline rows (时效): the target names a time and the actual a date (notation rule 7).

    A target is a deadline when written as one (a month with 前/底, ≤ a month, "年底前"), under a
    timeliness 二级指标 (then also "2021年"), or when target and actual are dates that compare
    only as dates ("2021年" against "2022年3月"). A missing year is the report's year.
    Dates are compared at the finest precision both sides have (year, month, then day).
    """
    ctx_deadline = _contains(ctx.level2, rulebook.direction.deadline_levels)
    written = (comparator == _LE) | (comparator == _LT) | np.isnan(target.value)
    both = target.dated & actual.dated
    # a year against a month ("2021年" and "2022年3月") compares only as dates
    apart = np.zeros(len(both), dtype=bool)
    rows = np.flatnonzero(both & ~written & ~ctx_deadline)
    apart[rows] = np.isnan(unit_factor(actual.unit[rows], target.unit[rows]))
    rows = both & (written | ctx_deadline | apart)
    ty = np.where(np.isnan(target.year), ctx.year, target.year)
    ay = np.where(np.isnan(actual.year), ctx.year, actual.year)
    filled = rows & (np.isnan(target.year) | np.isnan(actual.year))
    months = ~np.isnan(target.month) & ~np.isnan(actual.month)
    days = months & ~np.isnan(target.day) & ~np.isnan(actual.day)
    tm, am = _months(ty, target.month), _months(ay, actual.month)
    late_months = np.where(months, am - tm, (ay - ty) * 12)
    met = np.where(
        days,
        tm * 32 + target.day >= am * 32 + actual.day,
        np.where(months, tm >= am, ty >= ay),
    )
    met = met & rows
    late = np.where(rows & ~met, np.maximum(late_months, 1), 0)
    return {
        "rows": rows,
        "met": met,
        "late": late,
        "target_year": ty,
        "actual_year": ay,
        "filled": filled,
        "inferred": rows & ~written,
    }


def _date_strings(year: np.ndarray, cells: _Cells) -> np.ndarray:
    """ "2022年11月", "2022年12月20日", "2021年": the parts a date has."""
    out = np.full(len(year), "", dtype=object)
    for i in np.flatnonzero(~np.isnan(year)):
        text = f"{int(year[i])}年"
        if not np.isnan(cells.month[i]):
            text += f"{int(cells.month[i])}月"
            if not np.isnan(cells.day[i]):
                text += f"{int(cells.day[i])}日"
        out[i] = text
    return out


def _score(
    target: _Cells,
    actual: _Cells,
    w: np.ndarray,
    reported: np.ndarray,
    rulebook: Rulebook,
    ctx: Context,
) -> tuple[pd.DataFrame, Callable[[], np.ndarray]]:
    """The result columns but ``rule_text``, and the function that writes ``rule_text``."""
    n = len(w)
    comparator, inferred = _infer_direction(target, ctx, rulebook)
    comparator = np.where(comparator == 0, _GE, comparator)  # qualitative rows: unused

    # rows that cannot be verified: blank or unreadable cells (the unit's reported 得分 stands)
    reason = np.zeros(n, dtype=np.int8)
    tb, ab = target.blank, actual.blank
    for number, mask in (
        (5, actual.unreadable & ~ab),
        (4, target.unreadable & ~tb),
        (3, tb & ab),
        (2, ab & ~tb),
        (1, tb & ~ab),
    ):
        reason[mask] = number

    dl = _deadlines(target, actual, comparator, ctx, rulebook)
    deadline = dl["rows"] & (reason == 0)

    t = target.value
    quantitative = ~np.isnan(t) & ~np.isnan(actual.value) & (reason == 0) & ~deadline
    factor = np.ones(n)
    rows = np.flatnonzero(quantitative)
    factor[rows] = unit_factor(actual.unit[rows], target.unit[rows])
    # "人均2000元" and "每户2000元" differ; a side without a qualifier takes the other's
    other_per = (target.per != "") & (actual.per != "") & (target.per != actual.per)
    reason[quantitative & (np.isnan(factor) | other_per)] = 6
    a = actual.value * np.where(np.isnan(factor), 1.0, factor)
    converted = quantitative & ~np.isnan(factor) & (factor != 1.0)

    # tiers: only the qualitative rows are looked at
    qual = (np.isnan(t) | np.isnan(a)) & (reason == 0) & ~deadline
    rows = np.flatnonzero(qual)
    tier = np.full(n, "", dtype=object)
    tier[rows] = tiers = _tiers(actual.raw[rows], target.raw[rows], rulebook)
    reason[rows[tiers == ""]] = 7
    unverifiable = reason > 0
    qual &= ~unverifiable
    share, low, high = (np.full(n, np.nan) for _ in range(3))
    top_tier = np.zeros(n, dtype=bool)
    top = max(rulebook.tiers, key=lambda spec: spec.share).key
    for spec in rulebook.tiers:
        mask = qual & (tier == spec.key)
        share[mask], low[mask], high[mask] = spec.share, spec.min * w[mask], spec.max * w[mask]
        top_tier[mask] = spec.key == top
    r = np.round(reported, 9)
    in_range = qual & (r >= np.round(low, 9)) & (r <= np.round(high, 9))  # NaN compares False

    quant = ~qual & ~unverifiable & ~deadline
    lower = quant & ((comparator == _LE) | (comparator == _LT))
    equal_zero = quant & (comparator == _EQ) & (t == 0)
    higher = quant & ~lower & ~equal_zero

    with np.errstate(divide="ignore", invalid="ignore"):
        met_higher, met_lower = a >= t, a <= t
        linear = w * (1 - (a - t) / t)
        ratio_lower = w * t / a if rulebook.reverse == "ratio" else linear
        # 完成率: actual ÷ target; for ≤ indicators target ÷ actual (反向指标完成率), so that a
        # missed cap (≤3天, actual 5天: 60%) never reads as a completion above 100%
        completion = np.where(
            quant & (t != 0),
            np.where(lower, np.where(a > 0, t / a, np.nan), a / t),
            np.nan,
        )
        ratio_higher = w * a / t
    # a missed target that is 0 or negative: no ratio to it means anything
    nonpositive = t <= 0
    beyond = (rulebook.reverse == "linear") & (np.round(a, 9) >= np.round(2 * t, 9))
    has_reported = ~np.isnan(reported)
    use_reported = rulebook.unverifiable == "reported"
    per_month = rulebook.deadline_per_month

    # one case per indicator: its score and its sentence (TEXTS)
    cases = {
        "unverifiable_reported": (
            unverifiable & has_reported & use_reported,
            np.clip(np.nan_to_num(reported), 0.0, np.maximum(w, 0.0)),
        ),
        "unverifiable_rule_zero": (unverifiable & has_reported, 0.0),
        "unverifiable_zero": (unverifiable, 0.0),
        "deadline_met": (deadline & dl["met"], w),
        f"deadline_{rulebook.deadline_missed}": (
            deadline,
            0.0
            if rulebook.deadline_missed == "zero"
            else np.maximum(0.0, w * (1 - dl["late"] * per_month)),
        ),
        "qualitative_reported": (in_range, reported),
        "qualitative_outside": (qual & has_reported, share * w),
        "qualitative_tier": (qual, share * w),
        "higher_met": (higher & met_higher, w),
        "higher_nonpositive": (higher & nonpositive, 0.0),
        "higher_ratio": (higher, ratio_higher),
        "lower_met": (lower & met_lower, w),
        "lower_nonpositive": (lower & nonpositive, 0.0),
        "lower_beyond": (lower & beyond, 0.0),
        f"lower_{rulebook.reverse}": (lower, ratio_lower),
        "equal_zero_met": (equal_zero & (a == 0), w),
        "equal_zero_missed": (equal_zero, 0.0),
    }
    conditions = [c for c, _ in cases.values()]
    case = np.select(conditions, range(len(cases)), default=-1)
    score = np.select(conditions, [v for _, v in cases.values()], default=0.0)
    score = np.clip(np.nan_to_num(score), 0.0, np.maximum(w, 0.0))
    # full marks are the weight as written, whatever the rounding (2.35 truncated is not 2.3)
    score = np.where(score >= w - 1e-9, score, rulebook.indicator_rounding.apply(score))

    met = np.select(
        [unverifiable, deadline, qual, lower, equal_zero],
        [False, dl["met"], top_tier, met_lower, a == 0],
        default=met_higher,
    ).astype(bool)
    # the first that applies of: in_range, qual, lower, equal_zero, else higher_better
    rule = np.full(n, "higher_better", dtype=object)
    for mask, key in (
        (equal_zero, "equal_zero"),
        (lower, f"lower_better_{rulebook.reverse}"),
        (qual, "qualitative_tier"),
        (in_range, "qualitative_reported"),
        (deadline, "deadline"),
        (unverifiable, "unverifiable_zero"),
        (unverifiable & has_reported & use_reported, "unverifiable_reported"),
    ):
        rule[mask] = key
    shown = np.where(qual | unverifiable, 0, np.where(deadline, _LE, comparator))
    readings = {
        "lower_name": inferred["lower_name"] & quant,
        "cost": inferred["cost"] & quant,
        "zero": inferred["zero"] & quant,
        "deadline": dl["inferred"] & deadline,
        "year_filled": dl["filled"] & deadline,
        "converted": converted & quant,
        "target_phrase": target.phrase & quant,
        "actual_phrase": actual.phrase & quant,
    }
    reading = _readings(readings, ctx, target, actual, a)
    fields = {
        "a": lambda: strings(a, num),
        "t": lambda: strings(t, num),
        "w": lambda: strings(w, num),
        "s": lambda: fixed_strings(score, rulebook.indicator_rounding.decimals),
        "r": lambda: strings(reported, num),
        "lo": lambda: strings(low, num),
        "hi": lambda: strings(high, num),
        "tier": lambda: tier,
        "label": lambda: _labels(tier, rulebook),
        "share": lambda: strings(share * 100, num),
        "raw": lambda: actual.raw,
        "why": lambda: _why(reason, target, actual),
        "ad": lambda: _date_strings(dl["actual_year"], actual),
        "td": lambda: _date_strings(dl["target_year"], target),
        "late": lambda: strings(dl["late"].astype(float), num),
        "pm": lambda: np.full(n, num(per_month * 100), dtype=object),
    }
    frame = pd.DataFrame(
        {
            "target_value": t,
            "actual_value": a,
            "unit": np.where(target.unit != "", target.unit, actual.unit),
            "comparator": COMPARATORS[shown],
            "approx": actual.approx,
            "completion": completion,
            "met": met,
            "tier": tier,
            "rule": rule,
            "reading": reading,
            "score": score,
        }
    )

    def texts() -> np.ndarray:
        sentences = _fill(case, list(cases), fields)
        return np.where(reading != "", reading + "；" + sentences, sentences)

    return frame, texts


def _readings(
    masks: dict[str, np.ndarray], ctx: Context, target: _Cells, actual: _Cells, a: np.ndarray
) -> np.ndarray:
    """Per row, the inferred readings in words, joined by "；" ("" where nothing was inferred)."""
    out = np.full(len(a), "", dtype=object)
    for key, mask in masks.items():
        for i in np.flatnonzero(mask):
            text = READINGS[key].format(
                year=int(ctx.year[i]) if not np.isnan(ctx.year[i]) else "",
                araw=actual.raw[i],
                traw=target.raw[i],
                aconv=num(a[i]),
                unit=target.unit[i],
                tfmt=_formatted(target, i),
                afmt=_formatted(actual, i),
            )
            out[i] = f"{out[i]}；{text}" if out[i] else text
    return out


def _formatted(cells: _Cells, i: int) -> str:
    """The canonical form of one parsed cell ("≥90%")."""
    if np.isnan(cells.value[i]):
        return str(cells.raw[i])
    comparator = COMPARATORS[cells.comparator[i]] or None
    return notation.format_target(
        Target(
            str(cells.raw[i]),
            comparator,
            float(cells.value[i]),
            str(cells.unit[i]),
            bool(cells.approx[i]),
            bool(cells.implicit[i]),
            per=str(cells.per[i]),
        )
    )


def _labels(tier: np.ndarray, rulebook: Rulebook) -> np.ndarray:
    """The label of each row's tier ("" where none)."""
    out = np.full(len(tier), "", dtype=object)
    for spec in rulebook.tiers:
        out[tier == spec.key] = spec.label
    return out


def _fill(
    case: np.ndarray, keys: list[str], fields: dict[str, Callable[[], np.ndarray]]
) -> np.ndarray:
    """Fill in the sentence of each row's case (an index into ``keys``, the TEXTS keys).

    Each field's strings are rendered once, for all rows.
    """
    text = np.full(len(case), "", dtype=object)
    rendered: dict[str, np.ndarray] = {}
    for number, key in enumerate(keys):
        mask = case == number
        if not mask.any():
            continue
        template = TEXTS[key]
        names: list[str] = []
        positional = ""
        for literal, name, _, _ in string.Formatter().parse(template):
            positional += literal.replace("{", "{{").replace("}", "}}")
            if name:
                if name not in names:
                    names.append(name)
                positional += "{" + str(names.index(name)) + "}"
        for name in names:
            if name not in rendered:
                rendered[name] = fields[name]()
        fmt = positional.format
        text[mask] = [fmt(*row) for row in zip(*(rendered[n][mask] for n in names), strict=True)]
    return text


# ---------------------------------------------------------------------------------------------
# execution, totals, grades


def execution_score(rate: np.ndarray | pd.Series, rulebook: Rulebook) -> np.ndarray:
    """The execution score of each 预算执行率 (NaN → 0), rounded as the rulebook's ``[execution]``
    says (half up to 2 decimals by default; some provinces truncate: 9.78 → 9).

    ``linear`` (财预〔2020〕10号; Hubei with weight 20): min(rate, 1) × weight.
    ``steps`` (Jiangxi): the score of the first step whose ``min`` the rate reaches, compared
    after rounding the rate to 9 decimals (0.8 computed as 0.79999999999 is 80%).
    """
    r = np.asarray(rate, dtype=float)
    if rulebook.execution_method == "steps":
        rr = np.round(r, 9)
        steps = rulebook.execution_steps
        raw = np.select([rr >= s.min for s in steps], [s.score for s in steps], default=0.0)
    else:
        raw = np.minimum(r, 1.0) * rulebook.execution_weight
    return rulebook.execution_rounding.apply(np.nan_to_num(np.clip(raw, 0.0, None)))


NO_BUDGET = "全年预算数为 0 或无预算数据，预算执行率无法计算，得 0 分"


def execution_texts(
    rate: np.ndarray | pd.Series, score: np.ndarray, rulebook: Rulebook
) -> np.ndarray:
    """The Chinese sentence of each execution score: the rate, the rule and the numbers.

    "预算执行率 85.50%，得分 = 10 × 85.50% = 8.55";
    steps: "预算执行率 65.00%，不低于 60%、低于 80%，按分档计分得 5 分".
    """
    r = np.asarray(rate, dtype=float)
    text = np.full(len(r), NO_BUDGET, dtype=object)
    ok = ~np.isnan(r)
    if not ok.any():
        return text
    head = "预算执行率 " + percent_strings(r[ok])
    if rulebook.execution_method == "steps":
        steps = rulebook.execution_steps
        bands = []
        for i, step in enumerate(steps):
            if i == 0:
                band = f"不低于 {num(step.min * 100)}%"
            elif step.min > 0:
                band = f"不低于 {num(step.min * 100)}%、低于 {num(steps[i - 1].min * 100)}%"
            else:
                band = f"低于 {num(steps[i - 1].min * 100)}%"
            bands.append(f"，{band}，按分档计分得 {num(step.score)} 分")
        bands.append(f"，低于 {num(steps[-1].min * 100)}%，得 0 分")  # below every step
        rr = np.round(r[ok], 9)
        index = np.select([rr >= s.min for s in steps], range(len(steps)), default=len(steps))
        text[ok] = head + np.array(bands, dtype=object)[index]
        return text
    weight = num(rulebook.execution_weight)
    capped = f"，不低于 100%，得满分 {weight} 分"
    formula = (
        f"，得分 = {weight} × " + percent_strings(r[ok]) + " = "
        + fixed_strings(np.asarray(score, dtype=float)[ok], rulebook.execution_rounding.decimals)
    )  # fmt: skip
    text[ok] = head + np.where(r[ok] >= 1, capped, formula)
    return text


def grade(total: np.ndarray | pd.Series, rulebook: Rulebook) -> np.ndarray:
    """The grade of each (rounded) total: the first of ``rulebook.grades`` whose min it reaches."""
    tot = np.round(np.asarray(total, dtype=float), 9)
    bands = rulebook.grades
    return np.select([tot >= g.min for g in bands], [g.name for g in bands], default="").astype(
        object
    )


def _select(frame: pd.DataFrame, years: list[int] | None, units: list[str] | None) -> pd.DataFrame:
    if years is None and units is None:
        return frame.reset_index(drop=True)
    keep = np.ones(len(frame), dtype=bool)
    if years is not None:
        keep &= frame["year"].isin(years).to_numpy()
    if units is not None:
        keep &= frame["unit_code"].isin(units).to_numpy()
    return frame[keep].reset_index(drop=True)


def _as_list(value, kind) -> list | None:
    if value is None:
        return None
    if isinstance(value, str | int):
        return [kind(value)]
    return [kind(v) for v in value]


def score_dataset(
    ds: Dataset,
    rulebook: Rulebook | str | Path | None = None,
    years: int | Iterable[int] | None = None,
    units: str | Iterable[str] | None = None,
) -> Scores:
    """Score every (year, unit) of ``ds`` (or those of ``years`` / ``units``) under ``rulebook``.

    ``rulebook`` is a :class:`Rulebook`, a preset name or a TOML path (default ``mof2020``).
    """
    book = rulebook if isinstance(rulebook, Rulebook) else load_rulebook(rulebook)
    with gcpause.paused():
        return _score_dataset(ds, book, _as_list(years, int), _as_list(units, str))


def _with_project(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``project_code`` ("" where absent: a frame made without the column)."""
    if "project_code" in frame.columns:
        if not frame["project_code"].hasnans:
            return frame
        return frame.assign(project_code=frame["project_code"].fillna(""))
    return frame.assign(project_code=np.full(len(frame), "", dtype=object))


@dataclass
class _Part:
    """The scored unit tables (部门整体) or the scored project tables, under their rulebook."""

    book: Rulebook
    budget: pd.DataFrame
    indicators: pd.DataFrame
    texts: Callable[[], np.ndarray]
    #: the indicators' positions in the selected indicators table
    positions: np.ndarray
    items: pd.DataFrame
    rows: pd.DataFrame
    progress: pd.DataFrame


def _part(
    ds: Dataset,
    budget: pd.DataFrame,
    indicators: pd.DataFrame,
    positions: np.ndarray,
    monthly: pd.DataFrame,
    book: Rulebook,
) -> _Part:
    scored, texts = _scored_indicators(indicators, book)
    return _Part(
        book=book,
        budget=budget,
        indicators=scored,
        texts=texts,
        positions=positions,
        items=metrics.execution_by(budget, "item", keys=ENTITY),
        rows=_units(ds, budget, scored, book),
        progress=metrics.time_progress(monthly, budget),
    )


def _score_dataset(
    ds: Dataset, book: Rulebook, year_list: list[int] | None, unit_list: list[str] | None
) -> Scores:
    budget = _with_project(_select(ds.budget, year_list, unit_list))
    indicators = _with_project(_select(ds.indicators, year_list, unit_list))
    monthly = _select(ds.monthly, year_list, unit_list)

    # rows with a 项目编码 are that project's 自评表 (issue 11), scored like a unit's table
    in_project = budget["project_code"].to_numpy(dtype=object) != ""
    indicator_in_project = indicators["project_code"].to_numpy(dtype=object) != ""
    parts = [
        _part(
            ds,
            budget[~in_project].reset_index(drop=True),
            indicators[~indicator_in_project],
            np.flatnonzero(~indicator_in_project),
            monthly,
            book,
        )
    ]
    if in_project.any() or indicator_in_project.any():
        parts.append(
            _part(
                ds,
                budget[in_project].reset_index(drop=True),
                indicators[indicator_in_project],
                np.flatnonzero(indicator_in_project),
                monthly.iloc[:0],  # monthly rows are the unit's
                book.for_projects(),
            )
        )
    unit, projects = parts[0], parts[1] if len(parts) > 1 else None
    project_rows = _project_rows(ds, projects.rows) if projects else _project_rows(ds, None)
    every = pd.concat([p.rows for p in parts], ignore_index=True)
    warnings = findings.data_warnings(ds.warnings, every)
    is_project = warnings["project_code"].to_numpy(dtype=object) != ""
    part_warnings = [warnings[~is_project], warnings[is_project]]
    counts = [
        findings.count(p.indicators, p.rows, p.items, p.progress, p.book, w)
        for p, w in zip(parts, part_warnings, strict=False)
    ]
    counts.append(findings.count_project_checks(unit.rows, project_rows, unit.budget, book))
    n = pd.concat(counts).groupby(level=list(range(len(ENTITY)))).sum()

    def with_counts(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        merged = rows.drop(columns="n_findings").merge(
            n.rename("n_findings").reset_index(), on=ENTITY, how="left"
        )
        merged["n_findings"] = merged["n_findings"].fillna(0).astype(int)
        return merged[columns].reset_index(drop=True)

    def all_indicators() -> pd.DataFrame:
        frames = [_with_texts(p.indicators, p.texts) for p in parts]
        if len(frames) == 1:
            return frames[0]
        order = np.argsort(np.concatenate([p.positions for p in parts]), kind="stable")
        return pd.concat(frames, ignore_index=True).take(order).reset_index(drop=True)

    def all_findings() -> pd.DataFrame:
        found = [
            findings.find(p.indicators, p.rows, p.items, p.progress, p.book, w)
            for p, w in zip(parts, part_warnings, strict=False)
        ]
        found.append(findings.project_checks(unit.rows, project_rows, unit.budget, book))
        found = [f for f in found if len(f)]
        if not found:
            return pd.DataFrame(columns=findings.COLUMNS)
        return findings.in_order(pd.concat(found, ignore_index=True))

    items = pd.concat([p.items for p in parts], ignore_index=True) if projects else unit.items
    unit_rows = unit.rows[unit.rows["project_code"] == ""]
    return Scores(
        units=with_counts(unit_rows, UNIT_COLUMNS),
        indicators=all_indicators,
        findings=all_findings,
        budget_items=items,
        rulebook=book,
        projects=with_counts(project_rows, PROJECT_COLUMNS),
    )


def _project_rows(ds: Dataset, rows: pd.DataFrame | None) -> pd.DataFrame:
    """Scored project rows with their 项目名称 (the code when not listed)."""
    if rows is None:
        return pd.DataFrame(columns=[*PROJECT_COLUMNS]).astype({"n_findings": int})
    listed = ds.projects[["unit_code", "project_code", "project_name"]]
    out = rows.merge(listed, on=["unit_code", "project_code"], how="left")
    out["project_name"] = out["project_name"].fillna(out["project_code"]).astype(object)
    return out


def _units(
    ds: Dataset, budget: pd.DataFrame, indicators: pd.DataFrame, book: Rulebook
) -> pd.DataFrame:
    """One row per scored table: (year, unit_code, project_code), project_code "" for the unit's
    部门整体 table."""
    sums = indicators.groupby(ENTITY)[["weight", "score"]].sum().reset_index()
    sums = sums.rename(columns={"weight": "indicator_weight", "score": "indicator_score"})
    # every table with budget rows or indicators, sorted by year, unit code and project code
    out = metrics.execution(budget, keys=ENTITY).merge(sums, on=ENTITY, how="outer", sort=True)
    for col in ("adjusted_budget", "executed", "indicator_weight"):
        out[col] = out[col].fillna(0.0)
    out = out.merge(printed_execution(budget), on=ENTITY, how="left")
    score, text = indicator_totals(
        out["indicator_score"].fillna(0.0).to_numpy(float),
        out["indicator_weight"].to_numpy(float),
        book,
    )
    out["indicator_score"] = score
    out["indicator_rule_text"] = text
    out["execution_score"] = execution_score(out["execution_rate"], book)
    out["execution_rule_text"] = execution_texts(
        out["execution_rate"], out["execution_score"], book
    )
    out["total"] = book.total_rounding.apply(out["execution_score"] + out["indicator_score"])
    out["grade"] = grade(out["total"], book)
    names = dict(zip(ds.units["unit_code"].tolist(), ds.units["unit_name"].tolist(), strict=False))
    out["unit_name"] = out["unit_code"].map(names).fillna(out["unit_code"])
    out["n_findings"] = 0
    return out


def printed_execution(budget: pd.DataFrame) -> pd.DataFrame:
    """Per scored table (year, unit_code, project_code), the 执行率 and execution 得分 printed on
    it (the 年度资金总额 row of its 自评表; issue 8 §3): the first value given on any of its budget
    rows, NaN when none is.

    Columns: year, unit_code, project_code, reported_execution_rate, reported_execution_score.
    """
    budget = _with_project(budget)
    columns = {"reported_rate": "reported_execution_rate"}
    keep = [c for c in ("reported_rate", "reported_execution_score") if c in budget]
    out = budget[[*ENTITY, *keep]].groupby(ENTITY, sort=False).first().reset_index()
    out = out.rename(columns=columns)
    for column in ("reported_execution_rate", "reported_execution_score"):
        if column not in out:
            out[column] = np.nan
    return out


def indicator_totals(
    scores: np.ndarray, weights: np.ndarray, book: Rulebook
) -> tuple[np.ndarray, np.ndarray]:
    """Each unit-year's indicator score from the sum of its indicator scores and weights, and
    the sentence that says how ("" when the weights add up to the rulebook's total).

    Weights that do not add up to ``indicator_total`` (domain.md §2: indicators that do not apply
    are dropped and the rest rescaled; real tables of 80 or 100 points, §7): the sum is rescaled,
    Σ scores × total ÷ Σ weights, unless the rulebook says ``rescale = false``. Rounded as the
    rulebook's ``[total]``.
    """
    total = book.indicator_total
    off = (np.abs(weights - total) > WEIGHT_TOLERANCE) & (weights > 0)
    rescaled = off & book.rescale
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(rescaled, scores * total / weights, scores)
    score = book.total_rounding.apply(raw)
    text = np.full(len(scores), "", dtype=object)
    decimals = book.total_rounding.decimals
    for i in np.flatnonzero(off):
        head = f"各指标分值合计 {num(weights[i])} 分，与指标总分 {num(total)} 分不一致，"
        if rescaled[i]:
            text[i] = (
                f"{head}指标得分合计 {num(scores[i])} 分按 {num(total)} ÷ {num(weights[i])} "
                f"折算为 {score[i]:.{decimals}f} 分"
            )
        else:
            text[i] = f"{head}按评分规则不折算，指标得分合计 {score[i]:.{decimals}f} 分"
    return score, text
