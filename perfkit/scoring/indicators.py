"""Indicator scores: every indicator's score with its rule, vectorised.

The rules (财预〔2020〕10号 and provincial practice, domain.md §2) with every number taken from the
:class:`~perfkit.rules.rulebook.Rulebook` (docs/scoring.md §2):

- ≥, > and bare numbers (``higher_better``): the full weight when actual ≥ target, else
  weight × actual / target;
- ≤, < (``lower_better_ratio``): the full weight when actual ≤ target, else weight × target /
  actual; or (``lower_better_linear``) weight × (1 − (actual − target) / target), 0 from twice
  the target;
- = with target 0 (``equal_zero``): the full weight only when actual is 0; = otherwise as ≥;
- a target ≤ 0 that is missed scores 0 (a ratio to it means nothing; "反向指标目标为 0");
- qualitative target or actual (``qualitative_tier``): tier share × weight; a reported 得分
  inside the tier's range [min × weight, max × weight] stands (``qualitative_reported``);
- deadlines (``deadline``, §2.2) and rows that cannot be verified (``unverifiable_*``, §2.3).

Scores are clipped to [0, weight] and rounded as the rulebook's ``[indicators]`` says. A
target written without a comparator is read from its context (domain.md §7) and the reading
starts the row's ``rule_text`` (:mod:`perfkit.scoring.texts`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from perfkit.core.formatting import decimals_of, fixed_strings, num, strings
from perfkit.rules.notation import Target
from perfkit.rules.rulebook import Rulebook
from perfkit.scoring import texts as sentences
from perfkit.scoring.cells import (
    COMPARATORS,
    EQ,
    GE,
    LE,
    LT,
    Cells,
    Context,
    cells_of,
    contains,
    tiers,
    unit_factor,
    unit_readings,
)

RESULT_COLUMNS = [
    "target_value", "actual_value", "unit", "comparator", "approx", "completion", "met",
    "tier", "rule", "reading", "rule_text", "score",
]  # fmt: skip


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
    return with_texts(*_score(Cells.of(targets), Cells.of(actuals), w, rep, rulebook, ctx))


def score_indicators(indicators: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """The indicators table (canonical keys) with the result columns appended."""
    return with_texts(*scored_indicators(indicators, rulebook))


def scored_indicators(
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
        cells_of(out["target"]),
        cells_of(out["actual"]),
        weight,
        reported,
        rulebook,
        Context.of(out),
    )
    return pd.concat([out.drop(columns=RESULT_COLUMNS, errors="ignore"), result], axis=1), texts


def with_texts(frame: pd.DataFrame, texts: Callable[[], np.ndarray]) -> pd.DataFrame:
    """``frame`` with its ``rule_text`` column written, in its place before ``score``."""
    out = frame.copy(deep=False)
    out.insert(out.columns.get_loc("score"), "rule_text", texts())
    return out


#: the sentence of each case; {a} actual, {t} target, {w} weight, {s} score, {r} reported 得分,
#: {lo}–{hi} the tier's range in points, {tier} its key, {label} its label, {share} its share in %,
#: {raw} the 实际完成值 as written, {why} what makes a row unverifiable, {ad} / {td} the actual
#: date and the deadline, {late} months late, {pm} the share of the weight off per month late
def _infer_direction(
    target: Cells, ctx: Context, rulebook: Rulebook
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Comparators with the direction read from context where none was written, and which
    reading applied to which rows (domain.md §7; keywords from ``rulebook.direction``)."""
    rules = rulebook.direction
    bare = target.implicit & ~np.isnan(target.value)
    comparator = target.comparator.copy()
    lower_name = bare & contains(ctx.level3, rules.lower_better_names)
    cost = (
        bare
        & ~lower_name
        & (contains(ctx.level2, rules.cost_levels) | contains(ctx.level1, rules.cost_levels))
    )
    zero = bare & ~lower_name & ~cost & (target.value == 0) & rules.zero_means_equal
    comparator[lower_name | cost] = LE
    comparator[zero] = EQ
    return comparator, {"lower_name": lower_name, "cost": cost, "zero": zero}


def _months(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    return year * 12 + month


def _deadlines(
    target: Cells, actual: Cells, comparator: np.ndarray, ctx: Context, rulebook: Rulebook
) -> dict[str, np.ndarray]:
    """Deadline rows (时效): the target names a time and the actual a date (notation rule 7).

    A target is a deadline when written as one (a month with 前/底, ≤ a month, "年底前"), under a
    timeliness 二级指标 (then also "2021年"), or when target and actual are dates that compare
    only as dates ("2021年" against "2022年3月"). A missing year is the report's year.
    Dates are compared at the finest precision both sides have (year, month, then day).
    """
    ctx_deadline = contains(ctx.level2, rulebook.direction.deadline_levels)
    written = (comparator == LE) | (comparator == LT) | np.isnan(target.value)
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


def _score(
    target: Cells,
    actual: Cells,
    w: np.ndarray,
    reported: np.ndarray,
    rulebook: Rulebook,
    ctx: Context,
) -> tuple[pd.DataFrame, Callable[[], np.ndarray]]:
    """The result columns but ``rule_text``, and the function that writes ``rule_text``."""
    n = len(w)
    comparator, inferred = _infer_direction(target, ctx, rulebook)
    comparator = np.where(comparator == 0, GE, comparator)  # qualitative rows: unused

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
    actual_unit, target_unit = actual.unit.copy(), target.unit.copy()
    rows = np.flatnonzero(quantitative)
    # a bare magnitude against money is that magnitude of 元 ("150万" against "万元": issue 16)
    factor[rows], actual_unit[rows], target_unit[rows] = unit_readings(
        actual.unit[rows], target.unit[rows]
    )
    # "人均2000元" and "每户2000元" differ; a side without a qualifier takes the other's
    other_per = (target.per != "") & (actual.per != "") & (target.per != actual.per)
    reason[quantitative & (np.isnan(factor) | other_per)] = 6
    a = actual.value * np.where(np.isnan(factor), 1.0, factor)
    converted = quantitative & ~np.isnan(factor) & (factor != 1.0)

    # tiers: only the qualitative rows are looked at
    qual = (np.isnan(t) | np.isnan(a)) & (reason == 0) & ~deadline
    rows = np.flatnonzero(qual)
    tier = np.full(n, "", dtype=object)
    tier[rows] = found = tiers(actual.raw[rows], target.raw[rows], rulebook)
    reason[rows[found == ""]] = 7
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
    lower = quant & ((comparator == LE) | (comparator == LT))
    equal_zero = quant & (comparator == EQ) & (t == 0)
    higher = quant & ~lower & ~equal_zero

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
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
    # a ratio of two readable numbers may still overflow (≤10^15 against 10^-300): no rate then
    completion[~np.isfinite(completion)] = np.nan
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
    # full marks are the weight as written, whatever the rounding (2.35 truncated is not 2.3);
    # a weight finer than the rounding (0.72 under 取整) keeps its own decimals, so that rounding
    # never lifts a score above its weight (0.72 × 70% = 0.504 is 0.50, not 1)
    places = np.full(n, rulebook.indicator_rounding.decimals, dtype=int)
    finer = rulebook.indicator_rounding.apply(score) > w + 1e-9
    places[finer] = np.maximum(places[finer], decimals_of(w[finer]))
    score = np.where(score >= w - 1e-9, score, rulebook.indicator_rounding.apply(score, places))

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
    shown = np.where(qual | unverifiable, 0, np.where(deadline, LE, comparator))
    inferred_readings = {
        "lower_name": inferred["lower_name"] & quant,
        "cost": inferred["cost"] & quant,
        "zero": inferred["zero"] & quant,
        "deadline": dl["inferred"] & deadline,
        "year_filled": dl["filled"] & deadline,
        "money_target": (target_unit != target.unit) & quant,
        "money_actual": (actual_unit != actual.unit) & quant,
        "converted": converted & quant,
        "target_phrase": target.phrase & quant,
        "actual_phrase": actual.phrase & quant,
        "finer_weight": finer,
    }
    reading = sentences.readings(inferred_readings, ctx, target, actual, a, target_unit)
    fields = {
        "a": lambda: strings(a, num),
        "t": lambda: strings(t, num),
        "w": lambda: strings(w, num),
        "s": lambda: fixed_strings(score, places),
        "r": lambda: strings(reported, num),
        "lo": lambda: strings(low, num),
        "hi": lambda: strings(high, num),
        "tier": lambda: tier,
        "label": lambda: sentences.labels(tier, rulebook),
        "share": lambda: strings(share * 100, num),
        "raw": lambda: actual.raw,
        "why": lambda: sentences.why(reason, target, actual),
        "ad": lambda: sentences.date_strings(dl["actual_year"], actual),
        "td": lambda: sentences.date_strings(dl["target_year"], target),
        "late": lambda: strings(dl["late"].astype(float), num),
        "pm": lambda: np.full(n, num(per_month * 100), dtype=object),
    }
    frame = pd.DataFrame(
        {
            "target_value": t,
            "actual_value": a,
            "unit": np.where(target.unit != "", target_unit, actual_unit),
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
        written = sentences.fill(case, list(cases), fields)
        return np.where(reading != "", reading + "；" + written, written)

    return frame, texts
