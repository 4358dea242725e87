"""Findings of a unit that only its projects' tables reveal (issue 11, docs/scoring.md §4).

- ``project_budget_mismatch``: the unit's 项目支出 budget rows against its projects' budgets;
- ``project_low_execution``: a project executed below ``low_execution`` in a unit that is not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.core.formatting import fixed_strings, num, percent_strings
from perfkit.rules.rulebook import Rulebook
from perfkit.scoring.finding_frames import (
    KEYS,
    clean_texts,
    column_text,
    finding_frame,
    project_codes,
    with_project,
)

#: the 支出类型 of a unit's budget rows that fund its projects
PROJECT_EXPENSE = "项目支出"


def _project_check_rows(
    units: pd.DataFrame, projects: pd.DataFrame, budget: pd.DataFrame, rulebook: Rulebook
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The unit-years whose 项目支出 rows disagree with their projects' budgets, and the projects
    below ``low_execution`` in units that are not (see :func:`project_checks`)."""
    keys = ["year", "unit_code"]
    empty = pd.DataFrame(columns=[*keys, "unit_budget", "project_budget", "n", "diff"])
    if projects.empty:
        return empty, projects.iloc[:0].assign(unit_rate=np.zeros(0))
    projects = projects[project_codes(projects) != ""]
    # 1. Σ全年预算数 of the unit's 项目支出 rows (no 项目编码) against Σ of its projects'
    mismatch = empty
    if "expense_type" in budget.columns and len(budget):
        rows = budget[(project_codes(budget) == "") & (clean_texts(budget["expense_type"].to_numpy(
            dtype=object)) == PROJECT_EXPENSE)]  # fmt: skip
        unit_sum = rows.groupby(keys)["adjusted_budget"].sum().rename("unit_budget")
        per_unit = projects.groupby(keys).agg(
            project_budget=("adjusted_budget", "sum"), n=("project_code", "size")
        )
        joined = pd.concat([unit_sum, per_unit], axis=1, join="inner").reset_index()
        joined["diff"] = joined["unit_budget"] - joined["project_budget"]
        far = np.round(joined["diff"].abs(), 9) > rulebook.project_budget_tolerance
        mismatch = joined[far]
    # 2. a project below the threshold inside a unit whose own execution is not
    limit = rulebook.low_execution
    own = units[project_codes(units) == ""]
    fine = own[np.round(own["execution_rate"], 9) >= limit][[*keys, "execution_rate"]]
    low = projects[np.round(projects["execution_rate"], 9) < limit]
    low = low.merge(fine.rename(columns={"execution_rate": "unit_rate"}), on=keys, how="inner")
    return mismatch, low


def project_checks(
    units: pd.DataFrame, projects: pd.DataFrame, budget: pd.DataFrame, rulebook: Rulebook
) -> pd.DataFrame:
    """Findings of the unit that only its projects' tables reveal (issue 11):

    - ``project_budget_mismatch``: Σ全年预算数 of the unit's own 项目支出 rows (支出类型 "项目支出",
      no 项目编码) differs from Σ全年预算数 of its projects by more than
      ``rulebook.project_budget_tolerance`` (0.01 万元; a difference of exactly 0.01 is none). Only
      unit-years that have both: a unit that gives no 项目支出 row (only 年度资金总额, or projects
      only) is not compared. "本单位项目支出全年预算数合计 120.00 万元，与所属 3 个项目的全年预算数
      合计 110.00 万元不一致，相差 10.00 万元。" ``value``: unit − projects.
    - ``project_low_execution``: a project whose 预算执行率 is below ``low_execution`` (90%)
      in a unit whose own 部门整体 预算执行率 is not. "「古城墙修缮」（项目编码 P01）预算执行率为
      75.00%，低于 90%，而单位整体预算执行率为 96.00%，项目执行偏低被单位整体执行情况掩盖。"
      ``value``: the project's rate.

    ``units`` and ``projects`` are scored rows (year, unit_code, project_code, project_name,
    adjusted_budget, execution_rate); ``budget`` the unit's budget rows. Both kinds are
    findings of the unit (project_code "").
    """
    mismatch, low = _project_check_rows(units, projects, budget, rulebook)
    unit_money = fixed_strings(mismatch["unit_budget"].to_numpy(float), 2)
    project_money = fixed_strings(mismatch["project_budget"].to_numpy(float), 2)
    diff = mismatch["diff"].to_numpy(float)
    n = mismatch["n"].astype(int).astype(str).to_numpy(dtype=object)
    message = (
        "本单位项目支出全年预算数合计 " + unit_money + " 万元，与所属 " + n
        + " 个项目的全年预算数合计 " + project_money + " 万元不一致，相差 "
        + fixed_strings(np.abs(diff), 2) + " 万元。"
    )  # fmt: skip
    first = finding_frame(
        mismatch.assign(project_code=""),
        "project_budget_mismatch",
        np.full(len(mismatch), "项目支出预算", dtype=object),
        message,
        diff,
    )
    names = column_text(low, "project_name") if len(low) else np.array([], dtype=object)
    codes = project_codes(low).astype(str).astype(object)
    rate = low["execution_rate"].to_numpy(float)
    message = (
        "「" + names + "」（项目编码 " + codes + "）预算执行率为 " + percent_strings(rate)
        + f"，低于 {num(rulebook.low_execution * 100)}%，而单位整体预算执行率为 "
        + percent_strings(low["unit_rate"].to_numpy(float))
        + "，项目执行偏低被单位整体执行情况掩盖。"
    )  # fmt: skip
    second = finding_frame(
        low.assign(project_code=""), "project_low_execution", names, message, rate
    )
    return pd.concat([first, second], ignore_index=True)


def count_project_checks(
    units: pd.DataFrame, projects: pd.DataFrame, budget: pd.DataFrame, rulebook: Rulebook
) -> pd.Series:
    """How many findings :func:`project_checks` gives per (year, unit_code, project_code ""),
    without writing them."""
    mismatch, low = _project_check_rows(units, projects, budget, rulebook)
    keys = pd.concat([mismatch[["year", "unit_code"]], low[["year", "unit_code"]]])
    return with_project(keys.astype({"year": "int64"})).groupby(KEYS).size()
