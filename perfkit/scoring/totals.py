"""The execution score, a table's indicator total, its total and grade (docs/scoring.md §1, §3).

- 预算执行率 = Σ全年执行数 / Σ全年预算数 of the table; score = min(rate, 1) × weight
  (``linear``, 财预〔2020〕10号; Hubei with weight 20) or the first step whose ``min`` the rate
  reaches (``steps``, Jiangxi);
- the indicator score: Σ indicator scores, rescaled to the rulebook's indicator total when the
  weights add up to another (domain.md §2, §7);
- total = execution score + indicator score; the grade is read from the rounded total.

Every score is rounded as the rulebook's ``[execution]``, ``[indicators]`` and ``[total]`` say.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.core.formatting import fixed_strings, num, percent_strings
from perfkit.rules.rulebook import WEIGHT_TOLERANCE, Rulebook


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
