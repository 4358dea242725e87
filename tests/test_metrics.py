"""Department-wide indicators (财预〔2013〕53号, domain.md §3–4), worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from factories import budget_row, make_dataset, monthly_row

from perfkit.scoring import metrics

BUDGET = make_dataset(
    budget=[
        budget_row("U1", item="人员经费", initial=500, adjusted=520, executed=520,
                   expense_type="基本支出"),
        budget_row("U1", item="公用经费", initial=100, adjusted=110, executed=88,
                   expense_type="基本支出"),
        budget_row("U1", item="公用经费", initial=0, adjusted=20, executed=10,
                   fund_source="上年结转", expense_type="基本支出"),
        budget_row("U1", item="信息化建设", initial=400, adjusted=350, executed=300,
                   expense_type="项目支出"),
        budget_row("U2", item="人员经费", initial=0, adjusted=0, executed=0),
    ]
).budget  # fmt: skip


def by(frame, *keys):
    return frame.set_index(list(keys))


def test_execution():
    out = by(metrics.execution(BUDGET), "unit_code")
    # U1: Σ全年预算数 520 + 110 + 20 + 350 = 1000, Σ执行 520 + 88 + 10 + 300 = 918 → 0.918
    assert out.loc["U1", "adjusted_budget"] == 1000
    assert out.loc["U1", "executed"] == 918
    assert out.loc["U1", "execution_rate"] == pytest.approx(0.918)
    # U2: budget 0 → rate NaN, not an error
    assert math.isnan(out.loc["U2", "execution_rate"])


def test_adjustment_rate():
    out = by(metrics.adjustment_rate(BUDGET), "unit_code")
    # U1: 年初 500 + 100 + 0 + 400 = 1000, 全年 1000 → 调整数 0 → 0%
    assert out.loc["U1", "adjustment"] == 0
    assert out.loc["U1", "adjustment_rate"] == 0
    assert math.isnan(out.loc["U2", "adjustment_rate"])  # 年初 0


def test_adjustment_rate_nonzero():
    budget = make_dataset(budget=[budget_row("U1", initial=80, adjusted=100)]).budget
    # (100 − 80) / 80 = 0.25
    assert metrics.adjustment_rate(budget)["adjustment_rate"].iloc[0] == pytest.approx(0.25)


def test_execution_by_item():
    out = by(metrics.execution_by(BUDGET, "item"), "unit_code", "item")
    # 公用经费 over both fund sources: (88 + 10) / (110 + 20) = 98 / 130 = 0.753846…
    assert out.loc[("U1", "公用经费"), "execution_rate"] == pytest.approx(98 / 130)
    # 信息化建设: 300 / 350 = 0.857142…
    assert out.loc[("U1", "信息化建设"), "execution_rate"] == pytest.approx(300 / 350)
    assert len(out) == 4  # U1: 3 items, U2: 1


def test_execution_by_fund_source_and_expense_type():
    src = by(metrics.execution_by(BUDGET, "fund_source"), "unit_code", "fund_source")
    # 财政拨款: (520 + 88 + 300) / (520 + 110 + 350) = 908 / 980; 上年结转: 10 / 20 = 0.5
    assert src.loc[("U1", "财政拨款"), "execution_rate"] == pytest.approx(908 / 980)
    assert src.loc[("U1", "上年结转"), "execution_rate"] == pytest.approx(0.5)
    kind = by(metrics.execution_by(BUDGET, "expense_type"), "unit_code", "expense_type")
    # 基本支出: (520 + 88 + 10) / (520 + 110 + 20) = 618 / 650; 项目支出: 300 / 350
    assert kind.loc[("U1", "基本支出"), "execution_rate"] == pytest.approx(618 / 650)
    assert kind.loc[("U1", "项目支出"), "execution_rate"] == pytest.approx(300 / 350)


def test_public_funds_control():
    out = by(metrics.public_funds_control(BUDGET), "unit_code")
    # rows whose 项目 contains 公用经费: budget 110 + 20 = 130, executed 88 + 10 = 98
    assert out.loc["U1", ["public_budget", "public_executed"]].tolist() == [130, 98]
    assert out.loc["U1", "control_rate"] == pytest.approx(98 / 130)
    assert "U2" not in out.index  # no 公用经费 rows


def test_carryover_share():
    out = by(metrics.carryover_share(BUDGET), "unit_code")
    # 上年结转 20 of 1000 = 0.02; U2: 0 of 0 → NaN
    assert out.loc["U1", "carryover_budget"] == 20
    assert out.loc["U1", "carryover_share"] == pytest.approx(0.02)
    assert math.isnan(out.loc["U2", "carryover_share"])


def test_unit_metrics_combines_everything():
    out = by(metrics.unit_metrics(BUDGET), "unit_code")
    row = out.loc["U1"]
    assert row["execution_rate"] == pytest.approx(0.918)
    assert row["adjustment_rate"] == 0
    assert row["control_rate"] == pytest.approx(98 / 130)
    assert row["carryover_share"] == pytest.approx(0.02)
    # U2 has no 公用经费 rows: NaN, row still present
    assert math.isnan(out.loc["U2", "control_rate"])


# --- time progress ----------------------------------------------------------------------------


def test_time_progress_frame():
    ds = make_dataset(
        budget=[budget_row("U1", adjusted=120, executed=120)],
        monthly=[
            monthly_row("U1", 1, 6, item="a"),
            monthly_row("U1", 1, 4, item="b"),
            # February: no rows → 0
            monthly_row("U1", 3, 20, item="a"),
            monthly_row("U1", 4, 30, item="a"),
        ],
    )
    out = metrics.time_progress(ds.monthly, ds.budget)
    assert out["month"].tolist() == [1, 2, 3, 4]
    assert out["executed"].tolist() == [10, 0, 20, 30]
    # cumulative 10, 10, 30, 60 of 120
    assert out["cumulative"].tolist() == [10, 10, 30, 60]
    assert out["cumulative_rate"].tolist() == pytest.approx([10 / 120, 10 / 120, 0.25, 0.5])
    # progress m / 12
    assert out["progress"].tolist() == pytest.approx([1 / 12, 2 / 12, 3 / 12, 4 / 12])
    # ratio = rate ÷ progress: (10/120) / (1/12) = 1.0; (10/120) / (2/12) = 0.5; 1.0; 1.5
    assert out["ratio"].tolist() == pytest.approx([1.0, 0.5, 1.0, 1.5])
    # gap = progress − rate: 0, 1/12, 0, −1/6
    assert out["gap"].tolist() == pytest.approx([0, 1 / 12, 0, -1 / 6])
    assert out["light"].tolist() == ["green", "red", "green", "green"]


def test_time_progress_empty():
    ds = make_dataset(budget=[budget_row("U1")])
    out = metrics.time_progress(ds.monthly, ds.budget)
    assert out.empty and "light" in out.columns


@pytest.mark.parametrize(
    ("ratio", "colour"),
    [
        (0.5999, "red"),
        (0.6, "yellow"),  # from 60% yellow
        (0.7999, "yellow"),
        (0.8, "green"),  # from 80% green
        (0.7 + 0.1, "green"),  # 0.7999999999999999 in binary is 80%
        (1.4, "green"),
        (0.0, "red"),
    ],
)
def test_light(ratio, colour):
    assert metrics.light(np.array([ratio]))[0] == colour


def test_ratio_division_by_zero_is_nan():
    out = metrics.ratio(np.array([1.0, 0.0, 3.0]), np.array([2.0, 0.0, 0.0]))
    assert out[0] == 0.5 and np.isnan(out[1]) and np.isnan(out[2])
