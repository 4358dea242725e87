"""How a 自评表 is built: execution scored apart, or as one of its indicators (issue 16 §10).

Most tables score 预算执行率 apart (the funding block's 分值 10, 财预〔2020〕10号) and their
indicators add up to the rest (90). Some provinces' tables list 预算执行率 as an indicator
inside 100 points instead (a Hubei 2021 project table scores it as a 20-point indicator and
prints 分值 100 for the whole table; Ningxia does the same). Such a table is read in its own
structure: the execution indicator is scored by the execution rule with its printed 分值, and
no execution points are added beside it. :func:`execution_indicators` is the one place that
says which rows are such an indicator; validation flags the tables (``execution_as_indicator``)
and scoring scores them (docs/scoring.md §1.1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.rules.rulebook import WEIGHT_TOLERANCE, Rulebook, normalise


def names_execution(names: np.ndarray, rulebook: Rulebook) -> np.ndarray:
    """Whether each 三级指标 names the 预算执行率 itself: it contains one of the rulebook's
    ``execution.indicator_names`` ("预算执行率", "资金支付率" …), compared after quotes, spaces and
    punctuation are removed (:func:`perfkit.rules.rulebook.normalise`)."""
    words = [w for w in map(normalise, rulebook.execution_indicator_names) if w]
    if not words or not len(names):
        return np.zeros(len(names), dtype=bool)
    codes, uniques = pd.factorize(np.asarray(names, dtype=object), use_na_sentinel=False)
    hit = np.array([any(w in normalise(str(u)) for w in words) for u in uniques], dtype=bool)
    return hit[codes]


def execution_indicators(
    table: np.ndarray, names: np.ndarray, weights: np.ndarray, rulebook: Rulebook
) -> np.ndarray:
    """Per indicator row, whether it is the 预算执行率 of a table that scores execution as one of
    its indicators: the table (rows of one ``table`` id: a unit's 部门整体 table or one
    project's, one year) has exactly one row whose 三级指标 names execution
    (:func:`names_execution`), and its 分值, that row's included, add up to the whole table's
    points — the rulebook's execution weight plus its indicator total (100) — within
    :data:`~perfkit.rules.rulebook.WEIGHT_TOLERANCE`. A table whose weights add up to the
    indicator total (90) with such a row keeps execution apart: its row is an indicator like
    any other. ``weights`` NaN (not a number) count as 0 and make no table whole.
    """
    table = np.asarray(table)
    n = len(table)
    if not n:
        return np.zeros(0, dtype=bool)
    ids, _ = pd.factorize(table)
    named = names_execution(names, rulebook)
    w = np.asarray(weights, dtype=float)
    count = np.bincount(ids, named.astype(np.int64))
    total = np.bincount(ids, np.nan_to_num(w))
    invalid = np.bincount(ids, np.isnan(w)) > 0
    whole = rulebook.execution_weight + rulebook.indicator_total
    structured = (count == 1) & ~invalid & (np.abs(total - whole) <= WEIGHT_TOLERANCE)
    return named & structured[ids]
