"""Department-wide indicators (部门整体支出共性指标) that the budget and monthly tables support.

Formulas from 财预〔2013〕53号《预算绩效评价共性指标体系框架》 and its local versions
(domain.md §3), and the 序时进度 comparison of budget-execution monitoring (domain.md §4).
Every function takes the canonical tables of a :class:`perfkit.data.dataset.Dataset` and returns a
DataFrame with one row per group; rates are fractions (0.9523, not 95.23) and NaN where the
denominator is 0.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

KEYS = ["year", "unit_code"]
#: the key of a scored table: a unit's 部门整体 table (project_code "") or one project's
ENTITY = ["year", "unit_code", "project_code"]
#: 公用经费 rows are recognised by this text inside 项目
PUBLIC_FUNDS = "公用经费"
#: 结转 funds are recognised by this text inside 资金来源
CARRYOVER = "上年结转"
#: traffic light of execution rate ÷ time progress: from 80% green, 60–80% yellow, below red
LIGHTS: tuple[tuple[float, str], ...] = ((0.8, "green"), (0.6, "yellow"), (-np.inf, "red"))

BudgetColumn = Literal["item", "fund_source", "expense_type"]


def ratio(numerator: pd.Series | np.ndarray, denominator: pd.Series | np.ndarray) -> np.ndarray:
    """numerator / denominator as floats, NaN where the denominator is 0."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _sums(budget: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Σ of the three amounts per group; Σ年初预算数 is NaN for a group with any blank 年初预算数
    (the column is optional: a careful reader does not add a blank as 0)."""
    cols = ["initial_budget", "adjusted_budget", "executed"]
    grouped = budget.groupby(keys, sort=True, observed=True)
    out = grouped[cols].sum()
    known = grouped["initial_budget"].count() == grouped.size()
    out["initial_budget"] = out["initial_budget"].where(known)
    return out.reset_index()


def execution(budget: pd.DataFrame, keys: list[str] = KEYS) -> pd.DataFrame:
    """预算执行率 per (year, unit_code) = Σ全年执行数 / Σ全年预算数 (财预〔2020〕10号); per
    (year, unit_code, project_code) with ``keys=ENTITY``.

    Columns: the keys, initial_budget, adjusted_budget, executed, execution_rate.
    """
    out = _sums(budget, keys)
    out["execution_rate"] = ratio(out["executed"], out["adjusted_budget"])
    return out


def execution_by(
    budget: pd.DataFrame, column: BudgetColumn = "item", keys: list[str] = KEYS
) -> pd.DataFrame:
    """预算完成率 = 预算完成数 / 预算数 (财预〔2013〕53号), per (year, unit_code, ``column``);
    per (year, unit_code, project_code, ``column``) with ``keys=ENTITY``.

    ``column`` is ``item`` (项目), ``fund_source`` (资金来源) or ``expense_type`` (支出类型).
    Columns: the keys, <column>, initial_budget, adjusted_budget, executed, execution_rate.
    """
    out = _sums(budget, [*keys, column])
    out["execution_rate"] = ratio(out["executed"], out["adjusted_budget"])
    return out


def adjustment_rate(budget: pd.DataFrame) -> pd.DataFrame:
    """预算调整率 = 预算调整数 / 预算数 (财预〔2013〕53号).

    Per unit-year: (Σ全年预算数 − Σ年初预算数) / Σ年初预算数; NaN when Σ年初预算数 is 0, and
    ``adjustment`` and ``adjustment_rate`` NaN when any row of the unit-year leaves 年初预算数
    blank (it cannot be computed).

    Columns: year, unit_code, initial_budget, adjusted_budget, adjustment, adjustment_rate.
    """
    out = _sums(budget, KEYS).drop(columns="executed")
    out["adjustment"] = out["adjusted_budget"] - out["initial_budget"]
    out["adjustment_rate"] = ratio(out["adjustment"], out["initial_budget"])
    return out


def public_funds_control(budget: pd.DataFrame) -> pd.DataFrame:
    """公用经费控制率 = 实际公用经费 / 预算公用经费 (财预〔2013〕53号).

    Over the budget rows whose 项目 contains "公用经费": Σ全年执行数 / Σ全年预算数. Units without
    such rows are absent. Columns: year, unit_code, public_budget, public_executed, control_rate.
    """
    rows = budget[budget["item"].astype(str).str.contains(PUBLIC_FUNDS, regex=False)]
    out = _sums(rows, KEYS).drop(columns="initial_budget")
    out = out.rename(columns={"adjusted_budget": "public_budget", "executed": "public_executed"})
    out["control_rate"] = ratio(out["public_executed"], out["public_budget"])
    return out


def carryover_share(budget: pd.DataFrame) -> pd.DataFrame:
    """结转资金占比 = Σ全年预算数 of 资金来源 "上年结转…" / Σ全年预算数 (财预〔2013〕53号 结转结余).

    The share of the year's budget that was carried over from the previous year. Columns: year,
    unit_code, carryover_budget, adjusted_budget, carryover_share.
    """
    carried = budget["fund_source"].astype(str).str.contains(CARRYOVER, regex=False)
    frame = budget[KEYS].assign(
        carryover_budget=budget["adjusted_budget"].where(carried, 0.0),
        adjusted_budget=budget["adjusted_budget"],
    )
    out = frame.groupby(KEYS, sort=True)[["carryover_budget", "adjusted_budget"]].sum()
    out = out.reset_index()
    out["carryover_share"] = ratio(out["carryover_budget"], out["adjusted_budget"])
    return out


def unit_metrics(budget: pd.DataFrame) -> pd.DataFrame:
    """The department-wide indicators of every (year, unit_code) in one frame.

    Columns: year, unit_code, initial_budget, adjusted_budget, executed, execution_rate,
    adjustment, adjustment_rate, public_budget, public_executed, control_rate,
    carryover_budget, carryover_share (public_* and control_rate NaN without 公用经费 rows).
    """
    out = execution(budget)
    adjust = adjustment_rate(budget)[[*KEYS, "adjustment", "adjustment_rate"]]
    carry = carryover_share(budget)[[*KEYS, "carryover_budget", "carryover_share"]]
    out = out.merge(adjust, on=KEYS, how="left").merge(
        public_funds_control(budget), on=KEYS, how="left"
    )
    return out.merge(carry, on=KEYS, how="left")


def light(ratio_to_progress: np.ndarray | pd.Series) -> np.ndarray:
    """Traffic light of 执行率 ÷ 序时进度 (domain.md §4): < 60% red, 60–80% yellow, from 80% green.

    Compared after rounding to 9 decimals so that 0.8 computed as 0.7999999999 is green.
    """
    r = np.round(np.asarray(ratio_to_progress, dtype=float), 9)
    conditions = [r >= lo for lo, _ in LIGHTS]
    return np.select(conditions, [name for _, name in LIGHTS], default="")


def time_progress(monthly: pd.DataFrame, budget: pd.DataFrame) -> pd.DataFrame:
    """Cumulative execution against time progress (序时进度), per (year, unit_code, month).

    序时进度 at month m = m / 12; 累计支出进度 = Σ当月执行数 of months 1..m (all items of the
    unit) / Σ全年预算数 of the unit's budget rows; ``ratio`` = 累计支出进度 ÷ 序时进度 (支付进度率,
    财预〔2013〕53号) and ``gap`` = 序时进度 − 累计支出进度 (positive: behind). Months run from 1 to
    the last month the unit reported; a month without rows adds 0.

    Columns: year, unit_code, month, executed (that month), cumulative, adjusted_budget,
    cumulative_rate, progress, ratio, gap, light ("red"/"yellow"/"green"; "" when the rate is
    not defined).
    """
    columns = [
        *KEYS, "month", "executed", "cumulative", "adjusted_budget",
        "cumulative_rate", "progress", "ratio", "gap", "light",
    ]  # fmt: skip
    if monthly.empty:
        return pd.DataFrame(columns=columns)
    per_month = monthly.groupby([*KEYS, "month"], sort=True)["executed"].sum().reset_index()
    # per_month is sorted by year, unit and month: each unit-year is a run of rows whose last row
    # holds its last month, and the grid gives each unit-year the months 1 … last, in order
    year, unit = per_month["year"].to_numpy(), per_month["unit_code"].to_numpy()
    month = per_month["month"].to_numpy()
    first = np.flatnonzero(np.r_[True, (year[1:] != year[:-1]) | (unit[1:] != unit[:-1])])
    run = np.repeat(np.arange(len(first)), np.diff(np.r_[first, len(month)]))
    last = month[np.r_[first[1:], len(month)] - 1]
    group = np.repeat(np.arange(len(first)), last)  # the unit-year of each row of the grid
    start = np.cumsum(last) - last  # the grid row of each unit-year's month 1
    executed = np.zeros(len(group))
    inside = month >= 1  # a month 0 or below has no row in the grid
    executed[start[run[inside]] + month[inside] - 1] = per_month["executed"].to_numpy()[inside]
    keys = pd.MultiIndex.from_arrays([year[first], unit[first]], names=KEYS)
    budgets = budget.groupby(KEYS)["adjusted_budget"].sum().reindex(keys).to_numpy()
    out = pd.DataFrame(
        {
            "year": year[first][group],
            "unit_code": per_month["unit_code"].array.take(first[group]),
            "month": np.arange(len(group)) - start[group] + 1,
            "executed": executed,
            "cumulative": pd.Series(executed).groupby(group, sort=False).cumsum().to_numpy(),
            "adjusted_budget": budgets[group],
        }
    )
    out["cumulative_rate"] = ratio(out["cumulative"], out["adjusted_budget"])
    out["progress"] = out["month"] / 12
    out["ratio"] = out["cumulative_rate"] / out["progress"]
    out["gap"] = out["progress"] - out["cumulative_rate"]
    out["light"] = np.where(out["ratio"].notna(), light(out["ratio"]), "")
    return out[columns]
