"""Tables read in their own structure: 预算执行率 scored as one of the indicators (issue 16 §10).

A table that lists 预算执行率 among indicators adding up to 100 (Hubei 2021 and Ningxia project
tables; :func:`perfkit.rules.structure.execution_indicators` says which) is scored as that table
scores itself (docs/scoring.md §1.1):

- its execution indicator by the execution rule with its own printed 分值: min(rate, 1) × 分值
  (``linear``), or the step reached scaled to the 分值 (``steps``), rounded as ``[execution]``
  says; rule ``execution_indicator``, its rule text says which structure was read;
- no execution points beside it: the table's ``execution_score`` is 0 and its
  ``execution_rule_text`` says where execution was scored;
- its indicator score is the sum of its indicators, the execution indicator included, out of
  100: not rescaled (``indicator_rule_text`` says so); total = that sum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from perfkit.core.formatting import num, percent_strings
from perfkit.rules import structure
from perfkit.rules.rulebook import Rulebook, Step
from perfkit.scoring import metrics
from perfkit.scoring.totals import execution_score, execution_texts

ENTITY = metrics.ENTITY
RULE = "execution_indicator"
#: the reading said first in the execution indicator's rule text
READING = "按表内结构，预算执行率作为绩效指标以其分值 {w} 分计分，不另计预算执行率分值"
#: columns of the tables read in their own structure (:func:`apply`)
TABLE_COLUMNS = [*ENTITY, "level3", "weight"]


def execution_indicators(indicators: pd.DataFrame, book: Rulebook) -> np.ndarray:
    """Per scored indicator, whether it is the execution indicator of its table (one table per
    year, unit and project: :data:`ENTITY`)."""
    if not len(indicators) or "level3" not in indicators:
        return np.zeros(len(indicators), dtype=bool)
    keys = indicators.groupby(ENTITY, sort=False, dropna=False).ngroup().to_numpy()
    names = indicators["level3"].to_numpy(dtype=object, na_value="")
    weights = pd.to_numeric(indicators["weight"], errors="coerce").to_numpy(float)
    return structure.execution_indicators(keys, names, weights, book)


def _book(book: Rulebook, weight: float) -> Rulebook:
    """The execution rule with ``weight`` points: linear × weight, or the steps scaled."""
    scale = weight / book.execution_weight if book.execution_weight else 0.0
    steps = tuple(Step(s.min, s.score * scale) for s in book.execution_steps)
    return replace(book, execution_weight=weight, execution_steps=steps, project=None)


def apply(
    indicators: pd.DataFrame,
    texts: Callable[[], np.ndarray],
    budget: pd.DataFrame,
    book: Rulebook,
) -> tuple[pd.DataFrame, Callable[[], np.ndarray], pd.DataFrame]:
    """The scored indicators with each execution indicator scored by the execution rule with
    its own 分值 (see the module), the function that writes ``rule_text``, and the tables read
    in their own structure (:data:`TABLE_COLUMNS`: the execution indicator's name and 分值)."""
    mask = execution_indicators(indicators, book)
    if not mask.any():
        return indicators, texts, pd.DataFrame(columns=TABLE_COLUMNS)
    rows = indicators.loc[mask, TABLE_COLUMNS].reset_index(drop=True)
    rates = metrics.execution(budget, keys=ENTITY)[[*ENTITY, "execution_rate"]]
    rate = rows.merge(rates, on=ENTITY, how="left")["execution_rate"].to_numpy(float)
    weight = rows["weight"].to_numpy(float)
    score = np.zeros(len(rows))
    sentence = np.empty(len(rows), dtype=object)
    for w in np.unique(weight):
        at = weight == w
        rule = _book(book, float(w))
        score[at] = execution_score(rate[at], rule)
        sentence[at] = execution_texts(rate[at], score[at], rule)
    reading = np.array([READING.format(w=num(w)) for w in weight], dtype=object)
    out = indicators.copy()
    out.loc[mask, "score"] = score
    out.loc[mask, "rule"] = RULE
    out.loc[mask, "met"] = score >= weight - 1e-9
    out.loc[mask, "completion"] = np.nan
    out.loc[mask, "reading"] = reading
    positions = np.flatnonzero(mask)

    def written() -> np.ndarray:
        text = np.asarray(texts(), dtype=object).copy()
        text[positions] = reading + "；" + sentence
        return text

    return out, written, rows


def structured(tables: pd.DataFrame, structure_tables: pd.DataFrame) -> np.ndarray:
    """Per row of ``tables`` (keyed :data:`ENTITY`), whether it is read in its own structure."""
    if not len(structure_tables):
        return np.zeros(len(tables), dtype=bool)
    keys = structure_tables[ENTITY].assign(_structured=True)
    joined = tables[ENTITY].merge(keys, on=ENTITY, how="left")
    return joined["_structured"].fillna(False).to_numpy(bool)


def table_texts(
    tables: pd.DataFrame, structure_tables: pd.DataFrame, book: Rulebook
) -> tuple[np.ndarray, np.ndarray]:
    """For the ``tables`` read in their own structure, in their order: (``execution_rule_text``,
    ``indicator_rule_text``).

    "预算执行率 95.68%，已作为绩效指标「预算执行率」（分值 20 分）计入指标得分，不另计预算执行率
    10 分"; "自评表将预算执行率列为绩效指标（「预算执行率」，分值 20 分），各指标分值合计 100 分，
    按表内结构计分，不折算".
    """
    info = tables[[*ENTITY, "execution_rate", "indicator_weight"]].merge(
        structure_tables, on=ENTITY, how="left"
    )
    rate = info["execution_rate"].to_numpy(float)
    shown = np.where(np.isnan(rate), "无法计算", percent_strings(np.nan_to_num(rate)))
    names, weights = info["level3"].astype(str), info["weight"].to_numpy(float)
    total = info["indicator_weight"].to_numpy(float)
    execution = [
        f"预算执行率 {r}，已作为绩效指标「{n}」（分值 {num(w)} 分）计入指标得分，"
        f"不另计预算执行率 {num(book.execution_weight)} 分"
        for r, n, w in zip(shown, names, weights, strict=True)
    ]
    indicator = [
        f"自评表将预算执行率列为绩效指标（「{n}」，分值 {num(w)} 分），各指标分值合计 "
        f"{num(t)} 分，按表内结构计分，不折算"
        for n, w, t in zip(names, weights, total, strict=True)
    ]
    return np.array(execution, dtype=object), np.array(indicator, dtype=object)
