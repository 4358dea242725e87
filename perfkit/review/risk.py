"""Risk and rank of every table screened (issue 17 §1; docs/review.md "风险分和排名").

A table's risk is the sum of the risk weights of the checks it hits, each check counted once
however many of its indicators it hits (a table with nine uniform targets has one problem of
target setting, not nine): ``[review.risk]``'s weight of the check's severity, or the check's
own ``weight``. Tables are ranked within the year by risk, highest first; equal risks by
单位编码, then 项目编码 (a unit's 部门整体 table before its projects): the same data and rulebook
always give the same ranking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.review.registry import ENTITY

TABLE_COLUMNS = [
    *ENTITY,
    "name",
    "department",
    "funds",
    "total",
    "grade",
    "risk",
    "rank",
    "n_findings",
    "checks",
]


def rank_tables(tables: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """``tables`` (one row per table) with ``funds`` (全年预算数, 万元), ``risk``, ``rank``,
    ``n_findings`` and ``checks`` (the codes hit, in the order of the findings)."""
    out = tables.assign(funds=tables.get("adjusted_budget", np.nan))
    if findings.empty:
        out = out.assign(risk=0.0, n_findings=0, checks=[() for _ in range(len(out))])
    else:
        once = findings.drop_duplicates([*ENTITY, "code"])
        keys = pd.MultiIndex.from_frame(out[ENTITY].astype({"year": np.int64}))
        risk = once.groupby(ENTITY)["weight"].sum()
        count = findings.groupby(ENTITY).size()
        codes = once.groupby(ENTITY)["code"].agg(tuple)
        out = out.assign(
            risk=risk.reindex(keys, fill_value=0.0).to_numpy(dtype=float),
            n_findings=count.reindex(keys, fill_value=0).to_numpy(dtype=np.int64),
            checks=[c if isinstance(c, tuple) else () for c in codes.reindex(keys).tolist()],
        )
    out = out.sort_values(
        ["year", "risk", "unit_code", "project_code"],
        ascending=[True, False, True, True],
        kind="stable",
    )
    out["rank"] = out.groupby("year").cumcount().to_numpy(dtype=np.int64) + 1
    for column in TABLE_COLUMNS:
        if column not in out.columns:
            out[column] = np.nan
    return out[TABLE_COLUMNS].reset_index(drop=True)
