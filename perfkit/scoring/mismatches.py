"""Printed figures against computed ones (finding kind ``score_mismatch``).

A unit's 自评表 prints its own 执行率 and 得分 (the funding block's, and each indicator's 得分).
perfkit never scores with them; it compares them with its own figures and reports a difference
beyond the rulebook's threshold and beyond the precision the figure was printed at (issue 16
§10: "86%" for 86.20% and "0.958" for 95.86% are no mismatch). :func:`printed_differs` is the
rule; :func:`score_mismatch` (indicators) and :func:`execution_mismatch` (the funding block)
write the findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.core.formatting import fixed_strings, num, percent_strings, round_half_up, strings
from perfkit.rules.rulebook import Rulebook
from perfkit.scoring.finding_frames import column_text, finding_frame, named


def printed_differs(
    printed: np.ndarray,
    step: np.ndarray,
    computed: np.ndarray,
    tolerance: float,
    truncated: bool,
) -> np.ndarray:
    """Whether each printed figure differs from the computed one (issue 16 §10): by more than
    ``tolerance``, and beyond the precision it was printed at.

    A figure printed to ``step`` (the unit of its last digit: 1 for "86%" in percent, 0.1 for
    "9.5") stands for every value that rounds half up to it (v − step/2 ≤ c ≤ v + step/2) and,
    when ``truncated``, every value that truncates to it (v ≤ c < v + step). NaN (blank, or no
    step known) never differs; compared after rounding to 9 decimals.
    """
    v, c, p = (np.round(np.asarray(x, dtype=float), 9) for x in (printed, computed, step))
    with np.errstate(invalid="ignore"):
        far = np.round(np.abs(v - c), 9) > tolerance  # NaN: False
        rounds = (c >= np.round(v - p / 2, 9)) & (c <= np.round(v + p / 2, 9))
        truncates = truncated & (c >= v) & (c < np.round(v + p, 9))
    return far & ~(rounds | truncates)


def _step(frame: pd.DataFrame, column: str) -> np.ndarray:
    """The precision the printed ``column`` was written at (NaN when not known)."""
    key = f"_{column}_step"
    return frame[key].to_numpy(float) if key in frame else np.full(len(frame), np.nan)


def _precision_note(diff: np.ndarray, step: np.ndarray, unit: str, scale: float) -> np.ndarray:
    """ "（按自评表所填精度 1 分比较，仍不一致）" where the difference is below one printed step
    (the precision might have explained it, and did not), "" elsewhere; ``scale`` turns a step
    into ``unit`` (100 for a rate in percent)."""
    note = np.full(len(diff), "", dtype=object)
    close = np.flatnonzero(np.abs(np.asarray(diff, float)) < np.asarray(step, float))
    for i in close:
        note[i] = f"（按自评表所填精度 {num(step[i] * scale)}{unit}比较，仍不一致）"
    return note


def mismatched_scores(
    indicators: pd.DataFrame, rulebook: Rulebook
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(reported 得分, reported − computed, whether they differ: by more than the threshold and
    beyond the precision the 得分 was printed at, :func:`printed_differs`)."""
    reported = pd.to_numeric(indicators["reported_score"], errors="coerce").to_numpy(float)
    score = indicators["score"].to_numpy(float)
    truncated = rulebook.indicator_rounding.method == "truncate"
    step = _step(indicators, "reported_score")
    differs = printed_differs(reported, step, score, rulebook.score_mismatch, truncated)
    return reported, reported - score, differs


def score_mismatch(indicators: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """A reported 得分 that differs from the computed score by more than ``score_mismatch``
    and beyond the precision it was printed at (:func:`printed_differs`).

    "「办结案件数」自评得分 10 分，按评分规则计算为 9.00 分，相差 1.00 分。"; when the difference
    is below one printed unit: "「b」自评得分 9 分，按评分规则计算为 9.58 分，相差 0.58 分（按
    自评表所填精度 1 分比较，仍不一致）。" ``value``: reported − computed.
    """
    if "reported_score" not in indicators:
        return finding_frame(indicators.iloc[:0], "score_mismatch", [], [], [])
    reported, diff, keep = mismatched_scores(indicators, rulebook)
    rows, d, decimals = indicators[keep], diff[keep], rulebook.decimals
    note = _precision_note(d, _step(rows, "reported_score"), " 分", 1)
    message = (
        named(rows) + "自评得分 " + strings(reported[keep], num) + " 分，按评分规则计算为 "
        + fixed_strings(rows["score"], decimals) + " 分，相差 "
        + fixed_strings(np.abs(d), decimals) + " 分" + note + "。"
    )  # fmt: skip
    return finding_frame(rows, "score_mismatch", column_text(rows, "level3"), message, d)


#: printed and computed 预算执行率 differ when more than this apart (0.05 percentage points: a
#: rate printed with one decimal, 95.2% for 95.23%, is not a mismatch; 100% for 80% is), and
#: beyond the precision the rate was printed at, rounded or truncated (:func:`printed_differs`:
#: "86%" for 86.20% and "0.958" for 95.86% are no mismatch)
RATE_TOLERANCE = 0.0005


def execution_mismatch_rows(units: pd.DataFrame, rulebook: Rulebook) -> list[pd.DataFrame]:
    """The unit-years whose printed 执行率, then those whose printed execution 得分, differ from
    the computed ones (the 年度资金总额 row of the 自评表: issue 8 §3), each at the precision it
    was printed at (issue 16 §10). A printed rate stands for the rates that round or truncate to
    it (tables do both); a printed 得分 for the scores that round to it, or truncate when the
    rulebook truncates."""
    if "reported_execution_rate" not in units:
        return [units.iloc[:0], units.iloc[:0]]
    rate = printed_differs(
        units["reported_execution_rate"],
        _step(units, "reported_execution_rate"),
        units["execution_rate"],
        RATE_TOLERANCE,
        truncated=True,
    )
    score = printed_differs(
        units["reported_execution_score"],
        _step(units, "reported_execution_score"),
        units["execution_score"],
        rulebook.score_mismatch,
        truncated=rulebook.execution_rounding.method == "truncate",
    )
    return [units[rate], units[score]]


def _printed_percent(rate: np.ndarray, step: np.ndarray) -> np.ndarray:
    """A printed rate as it was printed: "86%" (step 0.01), "95.8%" ("0.958"); with 2 decimals
    when the step is not known."""
    out = np.empty(len(rate), dtype=object)
    for i, (r, p) in enumerate(zip(rate, step, strict=True)):
        decimals = 2 if np.isnan(p) else max(0, -int(np.floor(np.log10(p * 100) + 1e-9)))
        out[i] = f"{round_half_up(r * 100, decimals):.{decimals}f}%"
    return out


def execution_mismatch(units: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """The unit's printed 执行率 or execution 得分 against the computed ones (``score_mismatch``),
    at the precision printed (:func:`execution_mismatch_rows`).

    "预算执行率自评为 100%，按全年执行数 ÷ 全年预算数计算为 80.00%，相差 20.00 个百分点。"
    "预算执行率得分自评 10 分，按评分规则计算为 8.00 分，相差 2.00 分。" A difference below one
    printed unit says the precision: "…相差 0.60 个百分点（按自评表所填精度 1% 比较，仍不一致）。"
    """
    if "reported_execution_rate" not in units:
        return finding_frame(units.iloc[:0], "score_mismatch", [], [], [])
    rates, scores = execution_mismatch_rows(units, rulebook)
    printed, computed = rates["reported_execution_rate"], rates["execution_rate"]
    rate_step = _step(rates, "reported_execution_rate")
    points = np.abs(
        round_half_up(printed * 100, 2) - round_half_up(computed.to_numpy(float) * 100, 2)
    )
    rate_note = _precision_note(printed - computed, rate_step, "% ", 100)
    rate_message = (
        "预算执行率自评为 " + _printed_percent(printed.to_numpy(float), rate_step)
        + "，按全年执行数 ÷ 全年预算数计算为 " + percent_strings(computed) + "，相差 "
        + fixed_strings(points) + " 个百分点" + rate_note + "。"
    )  # fmt: skip
    decimals = rulebook.execution_rounding.decimals
    diff = scores["reported_execution_score"] - scores["execution_score"]
    score_note = _precision_note(diff, _step(scores, "reported_execution_score"), " 分", 1)
    score_message = (
        "预算执行率得分自评 " + strings(scores["reported_execution_score"], num)
        + " 分，按评分规则计算为 " + fixed_strings(scores["execution_score"], decimals)
        + " 分，相差 " + fixed_strings(np.abs(diff), decimals) + " 分" + score_note + "。"
    )  # fmt: skip
    return pd.concat(
        [
            finding_frame(rates, "score_mismatch", np.full(len(rates), "预算执行率"), rate_message,
                   printed - computed),
            finding_frame(scores, "score_mismatch", np.full(len(scores), "预算执行率得分"),
                   score_message, diff),
        ],
        ignore_index=True,
    )  # fmt: skip
