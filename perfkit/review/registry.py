"""What every review check shares: the tables it reads (:class:`Context`), how it is declared
(:func:`check`: one function per ``[review.checks.<code>]`` of the rulebook) and the rows it
returns (:data:`HIT_COLUMNS`).

A check is ``fn(ctx, settings) -> DataFrame`` of :data:`HIT_COLUMNS`: one row per hit, with
``level3`` the indicator it is about ("" for the whole table), ``evidence`` the cells or the
other unit's text it rests on (a short Chinese text) and ``message`` a Chinese sentence.
:mod:`perfkit.review.screening` adds the code, the severity and the risk weight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from perfkit.data.dataset import Dataset
from perfkit.rules.review import ReviewCheck
from perfkit.rules.rulebook import Rulebook, normalise
from perfkit.scoring.scores import Scores

#: each check as a reader names it (tables, the summary of ``perfkit review check``)
CHECK_LABELS: dict[str, str] = {
    "all_full_marks": "全部指标自评满分",
    "completion_outruns_spending": "指标完成与预算执行不匹配（红色预警）",
    "zero_budget": "全年预算数为 0（黄色预警）",
    "budget_unspent": "预算执行偏低（黄色预警）",
    "uniform_benefit_targets": "效益、满意度指标值雷同",
    "same_target_text": "多项指标使用同一指标值",
    "cost_with_ge": "成本指标写作“≥”",
    "payment_as_quantity": "资金支付类指标列为数量指标",
    "satisfaction_without_survey": "满意度无调查佐证",
    "deadline_self_met_missed": "时效指标自评按期、实际逾期",
    "target_too_low": "年度指标值设置偏低",
    "score_mismatch": "自评得分有误",
    "missing_deviation_reason": "未说明偏差原因",
    "target_below_last_actual": "指标值低于上年实际完成值",
    "copied_narrative": "报告内容与其他单位雷同",
    "copied_deviation_reason": "偏差原因与其他单位雷同",
    "execution_cap": "按执行率封顶（省级规则）",
    "over_target_deduction": "超目标 30% 扣分（省级规则）",
}
#: a table: a unit's 部门整体 table (project_code "") or one project's 自评表, in one year
ENTITY = ["year", "unit_code", "project_code"]
HIT_COLUMNS = [*ENTITY, "level3", "evidence", "message"]

Check = Callable[["Context", ReviewCheck], pd.DataFrame]
#: code → the function of that check, filled by :func:`check`
CHECKS: dict[str, Check] = {}


def check(code: str) -> Callable[[Check], Check]:
    """Declare the function of the rulebook's ``[review.checks.<code>]``."""

    def register(fn: Check) -> Check:
        if code in CHECKS:
            raise ValueError(f"two functions for the review check {code}")
        CHECKS[code] = fn
        return fn

    return register


@dataclass
class Context:
    """What the checks read, computed once for a year's review.

    ``tables``: one row per table scored in ``year`` (the units frame's columns, the projects'
    with ``project_code``; ``project_code`` "" for a unit's 部门整体 table); ``indicators``: the
    year's scored indicators (both kinds of table); ``previous``: the year before's, when the
    dataset has it (empty otherwise); ``findings``: the scoring findings of ``year``.
    """

    ds: Dataset
    year: int
    rulebook: Rulebook
    scores: Scores
    tables: pd.DataFrame
    indicators: pd.DataFrame
    previous: pd.DataFrame
    findings: pd.DataFrame


def hits(
    rows: pd.DataFrame, level3: Iterable[str] | str, evidence: Iterable[str], message: Iterable[str]
) -> pd.DataFrame:
    """Hit rows for ``rows`` (keyed by :data:`ENTITY`), in :data:`HIT_COLUMNS`."""
    n = len(rows)
    level = np.full(n, level3, dtype=object) if isinstance(level3, str) else level3
    return pd.DataFrame(
        {
            "year": rows["year"].to_numpy(dtype=np.int64),
            "unit_code": rows["unit_code"].to_numpy(dtype=object),
            "project_code": rows["project_code"].to_numpy(dtype=object),
            "level3": np.asarray(list(level), dtype=object).reshape(n),
            "evidence": np.asarray(list(evidence), dtype=object).reshape(n),
            "message": np.asarray(list(message), dtype=object).reshape(n),
        },
        columns=HIT_COLUMNS,
    )


def no_hits() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in HIT_COLUMNS})


def text(values: pd.Series) -> pd.Series:
    """A text column as stripped ``str`` ("" for blanks); each distinct value cleaned once."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    clean = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
    return pd.Series(clean[codes], index=values.index, dtype=object)


def contains_any(values: pd.Series, words: Iterable[str]) -> np.ndarray:
    """Whether each text holds one of ``words``, both compared :func:`normalise`d (full-width
    folded, spaces and punctuation removed); each distinct text is looked at once."""
    keys = [normalise(w) for w in words if normalise(w)]
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    found = [any(k in normalise(str(u)) for k in keys) for u in uniques]
    return np.array([*found, False], dtype=bool)[codes]


def normalised(values: pd.Series) -> pd.Series:
    """Each text :func:`normalise`d ("" for blanks), each distinct value once."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    keys = np.array([normalise(str(u).strip()) for u in uniques] + [""], dtype=object)
    return pd.Series(keys[codes], index=values.index, dtype=object)


def quoted(values: pd.Series) -> pd.Series:
    """Each text in “”, as the report quotes a cell."""
    return "“" + text(values) + "”"
