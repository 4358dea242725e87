"""Scores: the execution score, every indicator's score with its rule, totals and grades.

The rules (财预〔2020〕10号 and provincial practice, domain.md §2) with every number taken from the
:class:`~perfkit.rulebook.Rulebook`:

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

import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit import findings, gcpause, metrics, notation, qualitative
from perfkit.dataset import Dataset
from perfkit.metrics import fixed_strings, num, percent_strings, round_half_up, strings
from perfkit.notation import NotationError, Target
from perfkit.rulebook import Rulebook, load_rulebook

KEYS = ["year", "unit_code"]
TOTAL_DECIMALS = 2
UNIT_COLUMNS = [
    "year", "unit_code", "unit_name", "initial_budget", "adjusted_budget", "executed",
    "execution_rate", "execution_score", "execution_rule_text", "indicator_weight",
    "indicator_score", "total", "grade", "n_findings",
]  # fmt: skip
RESULT_COLUMNS = [
    "target_value", "actual_value", "unit", "comparator", "approx", "completion", "met",
    "tier", "rule", "rule_text", "score",
]  # fmt: skip


Lazy = pd.DataFrame | Callable[[], pd.DataFrame]


class Scores:
    """The result of :func:`score_dataset` (columns in docs/architecture.md and docs/scoring.md).

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
    ) -> None:
        self.units = units
        self._indicators = indicators
        self._findings = findings
        self.budget_items = budget_items
        self.rulebook = rulebook

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


@dataclass(frozen=True)
class _Cells:
    """Parsed 年度指标值 or 实际完成值 cells as arrays (value NaN for qualitative text)."""

    raw: np.ndarray
    value: np.ndarray
    #: index into COMPARATORS
    comparator: np.ndarray
    unit: np.ndarray
    approx: np.ndarray

    @classmethod
    def of(cls, targets: Sequence[Target]) -> _Cells:
        return cls(
            raw=np.array([t.raw for t in targets], dtype=object),
            value=np.array([np.nan if t.value is None else t.value for t in targets], float),
            comparator=np.array(
                [_COMPARATOR_NUMBER[t.comparator or ""] for t in targets], dtype=np.int8
            ),
            unit=np.array([t.unit for t in targets], dtype=object),
            approx=np.array([bool(t.approx) for t in targets], dtype=bool),
        )

    def take(self, index: np.ndarray) -> _Cells:
        return _Cells(*(getattr(self, f)[index] for f in self.__dataclass_fields__))


def read_cell(text: str) -> Target:
    """``notation.parse``, with unreadable text kept as qualitative text (validation reports it)."""
    try:
        return notation.parse(text)
    except NotationError:
        return Target(raw=text, comparator=None, value=None, unit="")


def _cells(column: pd.Series) -> _Cells:
    # na_value copies the column: only worth it when there is a missing value to replace
    if column.hasnans:
        cells = column.to_numpy(dtype=object, na_value="")
    else:
        cells = column.to_numpy(dtype=object)
    codes, uniques = pd.factorize(cells)
    return _Cells.of([read_cell(str(u)) for u in uniques]).take(codes)


def _tiers(actual: np.ndarray, target: np.ndarray, rulebook: Rulebook) -> np.ndarray:
    """Tier key per (actual, target) pair ("" when none fits), classifying each pair once."""
    if len(actual) == 0:
        return np.array([], dtype=object)
    codes, uniques = pd.factorize(pd.Series(list(zip(actual, target, strict=True))))
    keys = [qualitative.classify(a, t, rulebook) or "" for a, t in uniques]
    return np.array(keys, dtype=object)[codes]


# ---------------------------------------------------------------------------------------------
# indicator scores


def score_targets(
    targets: Sequence[Target],
    actuals: Sequence[Target],
    weights: Sequence[float],
    rulebook: Rulebook,
    reported: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Score parsed cells, one indicator per position; the result columns of ``indicators``."""
    n = len(weights)
    rep = np.full(n, np.nan) if reported is None else np.asarray(reported, dtype=float)
    w = np.asarray(weights, float)
    return _with_texts(*_score(_Cells.of(targets), _Cells.of(actuals), w, rep, rulebook))


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
    result, texts = _score(_cells(out["target"]), _cells(out["actual"]), weight, reported, rulebook)
    return pd.concat([out.drop(columns=RESULT_COLUMNS, errors="ignore"), result], axis=1), texts


def _with_texts(frame: pd.DataFrame, texts: Callable[[], np.ndarray]) -> pd.DataFrame:
    """``frame`` with its ``rule_text`` column written, in its place before ``score``."""
    out = frame.copy(deep=False)
    out.insert(out.columns.get_loc("score"), "rule_text", texts())
    return out


#: the sentence of each case; {a} actual, {t} target, {w} weight, {s} score, {r} reported 得分,
#: {lo}–{hi} the tier's range in points, {tier} its key, {label} its label, {share} its share in %,
#: {raw} the 实际完成值 as written
TEXTS: dict[str, str] = {
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
    "qualitative_reported": "定性指标：自评得分 {r} 在 {tier} 档区间 {lo}–{hi} 分内，采用自评得分",
    "qualitative_tier": "定性指标：{label}（{tier} 档），得分 = {w} × {share}% = {s}",
    "qualitative_outside": (
        "定性指标：{label}（{tier} 档），自评得分 {r} 不在本档区间 {lo}–{hi} 分内，"
        "得分 = {w} × {share}% = {s}"
    ),
    "qualitative_none": "定性指标：实际完成值「{raw}」无法归入任何档次，得 0 分",
}


def _score(
    target: _Cells, actual: _Cells, w: np.ndarray, reported: np.ndarray, rulebook: Rulebook
) -> tuple[pd.DataFrame, Callable[[], np.ndarray]]:
    """The result columns but ``rule_text``, and the function that writes ``rule_text``."""
    t, a = target.value, actual.value
    qual = np.isnan(t) | np.isnan(a)
    comparator = np.where(target.comparator == 0, _GE, target.comparator)  # bare numbers
    lower = ~qual & ((comparator == _LE) | (comparator == _LT))
    equal_zero = ~qual & (comparator == _EQ) & (t == 0)
    higher = ~qual & ~lower & ~equal_zero

    with np.errstate(divide="ignore", invalid="ignore"):
        met_higher, met_lower = a >= t, a <= t
        linear = w * (1 - (a - t) / t)
        ratio_lower = w * t / a if rulebook.reverse == "ratio" else linear
        completion = np.where(~qual & (t != 0), a / t, np.nan)
        ratio_higher = w * a / t
    # a missed target that is 0 or negative: no ratio to it means anything
    nonpositive = t <= 0
    beyond = (rulebook.reverse == "linear") & (np.round(a, 9) >= np.round(2 * t, 9))

    # tiers: only the qualitative rows are looked at
    rows = np.flatnonzero(qual)
    tier = np.full(len(w), "", dtype=object)
    tier[rows] = tiers = _tiers(actual.raw[rows], target.raw[rows], rulebook)
    no_tier, top_tier = np.zeros(len(w), dtype=bool), np.zeros(len(w), dtype=bool)
    no_tier[rows[tiers == ""]] = True
    share, low, high = (np.full(len(w), np.nan) for _ in range(3))
    top = max(rulebook.tiers, key=lambda spec: spec.share).key
    for spec in rulebook.tiers:
        mask = rows[tiers == spec.key]
        share[mask], low[mask], high[mask] = spec.share, spec.min * w[mask], spec.max * w[mask]
        top_tier[mask] = spec.key == top
    r = np.round(reported, 9)
    in_range = qual & (r >= np.round(low, 9)) & (r <= np.round(high, 9))  # NaN compares False

    # one case per indicator: its score and its sentence (TEXTS)
    cases = {
        "qualitative_reported": (in_range, reported),
        "qualitative_none": (no_tier, 0.0),
        "qualitative_outside": (qual & ~np.isnan(reported), share * w),
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
    score = round_half_up(np.clip(np.nan_to_num(score), 0.0, np.maximum(w, 0.0)), rulebook.decimals)

    met = np.select(
        [qual, lower, equal_zero], [top_tier, met_lower, a == 0], default=met_higher
    ).astype(bool)
    # the first that applies of: in_range, qual, lower, equal_zero, else higher_better
    rule = np.full(len(w), "higher_better", dtype=object)
    for mask, key in (
        (equal_zero, "equal_zero"),
        (lower, f"lower_better_{rulebook.reverse}"),
        (qual, "qualitative_tier"),
        (in_range, "qualitative_reported"),
    ):
        rule[mask] = key
    fields = {
        "a": lambda: strings(a, num),
        "t": lambda: strings(t, num),
        "w": lambda: strings(w, num),
        "s": lambda: fixed_strings(score, rulebook.decimals),
        "r": lambda: strings(reported, num),
        "lo": lambda: strings(low, num),
        "hi": lambda: strings(high, num),
        "tier": lambda: tier,
        "label": lambda: _labels(tier, rulebook),
        "share": lambda: strings(share * 100, num),
        "raw": lambda: actual.raw,
    }
    frame = pd.DataFrame(
        {
            "target_value": t,
            "actual_value": a,
            "unit": np.where(target.unit != "", target.unit, actual.unit),
            "comparator": COMPARATORS[np.where(qual, 0, comparator)],
            "approx": actual.approx,
            "completion": completion,
            "met": met,
            "tier": tier,
            "rule": rule,
            "score": score,
        }
    )
    return frame, lambda: _fill(case, list(cases), fields)


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
    """The execution score of each 预算执行率 (NaN → 0), rounded half up to the rulebook's decimals.

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
    return round_half_up(np.nan_to_num(np.clip(raw, 0.0, None)), rulebook.decimals)


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
        + fixed_strings(np.asarray(score, dtype=float)[ok], rulebook.decimals)
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


def _score_dataset(
    ds: Dataset, book: Rulebook, year_list: list[int] | None, unit_list: list[str] | None
) -> Scores:
    budget = _select(ds.budget, year_list, unit_list)
    indicators, texts = _scored_indicators(_select(ds.indicators, year_list, unit_list), book)
    monthly = _select(ds.monthly, year_list, unit_list)

    items = metrics.execution_by(budget, "item")
    unit_rows = _units(ds, budget, indicators, book)
    progress = metrics.time_progress(monthly, budget)
    counts = findings.count(indicators, unit_rows, items, progress, book)
    merged = unit_rows.drop(columns="n_findings").merge(
        counts.rename("n_findings").reset_index(), on=KEYS, how="left"
    )
    merged["n_findings"] = merged["n_findings"].fillna(0).astype(int)
    return Scores(
        units=merged[UNIT_COLUMNS],
        indicators=lambda: _with_texts(indicators, texts),
        findings=lambda: findings.find(indicators, unit_rows, items, progress, book),
        budget_items=items,
        rulebook=book,
    )


def _units(
    ds: Dataset, budget: pd.DataFrame, indicators: pd.DataFrame, book: Rulebook
) -> pd.DataFrame:
    sums = indicators.groupby(KEYS)[["weight", "score"]].sum().reset_index()
    sums = sums.rename(columns={"weight": "indicator_weight", "score": "indicator_score"})
    # every unit-year with budget rows or indicators, sorted by year and unit code
    out = metrics.execution(budget).merge(sums, on=KEYS, how="outer", sort=True)
    for col in ("initial_budget", "adjusted_budget", "executed", "indicator_weight"):
        out[col] = out[col].fillna(0.0)
    out["indicator_score"] = round_half_up(out["indicator_score"].fillna(0.0), TOTAL_DECIMALS)
    out["execution_score"] = execution_score(out["execution_rate"], book)
    out["execution_rule_text"] = execution_texts(
        out["execution_rate"], out["execution_score"], book
    )
    out["total"] = round_half_up(out["execution_score"] + out["indicator_score"], TOTAL_DECIMALS)
    out["grade"] = grade(out["total"], book)
    names = dict(zip(ds.units["unit_code"].tolist(), ds.units["unit_name"].tolist(), strict=False))
    out["unit_name"] = out["unit_code"].map(names).fillna(out["unit_code"])
    out["n_findings"] = 0
    return out
