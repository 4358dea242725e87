"""Every shipped preset, scored on small datasets with values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from factories import budget_row, indicator_row, make_dataset

from perfkit.rules.notation import Target
from perfkit.rules.rulebook import load_rulebook, presets
from perfkit.scoring.scores import execution_score, grade, score_dataset, score_targets


def q(text: str) -> Target:
    return Target(raw=text, comparator=None, value=None, unit="")


def qual_score(rulebook, actual: str, weight: float, reported: float | None = None) -> tuple:
    rep = None if reported is None else [reported]
    row = score_targets([q("达成预期指标")], [q(actual)], [weight], rulebook, rep).iloc[0]
    return row["tier"], row["rule"], row["score"]


def test_shipped_presets():
    assert presets() == [
        "grades-80",
        "hubei",
        "jiangxi",
        "mof2020",
        "mof2020-linear-reverse",
        "mof2020-truncate",
        "mof2020-whole",
        "mof2020-whole-truncate",
    ]
    for name in presets():
        book = load_rulebook(name)
        assert book.name == name
        assert book.origin == f"preset:{name}"
        # every preset distributes 100 points
        assert book.execution_weight + book.indicator_total == 100


# --- mof2020 ----------------------------------------------------------------------------------


def test_mof2020_whole_unit():
    ds = make_dataset(
        budget=[
            budget_row("U1", item="人员经费", adjusted=60, executed=60),
            budget_row("U1", item="项目经费", adjusted=40, executed=32.3),
        ],
        indicators=[
            indicator_row("U1", "a", "≥100件", "90件", 40),
            indicator_row("U1", "b", "≤5天", "4天", 20),
            indicator_row("U1", "c", "≥95%", "96%", 20),
            indicator_row("U1", "d", "达成年度指标", "未完成", 10),
        ],
    )
    unit = score_dataset(ds, "mof2020").units.iloc[0]
    # rate (60 + 32.3) / 100 = 0.923 → 10 × 0.923 = 9.23
    # a: 40 × 90 / 100 = 36; b: 4 ≤ 5 → 20; c: 96 ≥ 95 → 20; d: C → 10 × 30% = 3 → 79
    # total 9.23 + 79 = 88.23 → 良
    assert (unit["execution_score"], unit["indicator_score"]) == (9.23, 79)
    assert (unit["total"], unit["grade"]) == (88.23, "良")


# --- hubei ------------------------------------------------------------------------------------

HUBEI = load_rulebook("hubei")


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0.85, 17.0),  # 20 × 0.85
        (1.0, 20.0),
        (1.2, 20.0),  # capped at 20
        (0.333, 6.66),  # 20 × 0.333 = 6.66
        (0.12345, 2.47),  # 20 × 0.12345 = 2.469 → 2.47
    ],
)
def test_hubei_execution(rate, expected):
    assert execution_score(np.array([rate]), HUBEI)[0] == expected


@pytest.mark.parametrize(
    ("actual", "reported", "expected"),
    [
        ("达成预期指标", None, ("A", "qualitative_tier", 10.0)),  # 10 × 100%
        ("部分达成预期指标并具有一定效果", None, ("B", "qualitative_tier", 6.5)),  # 10 × 65%
        ("未达成预期指标且效果较差", None, ("C", "qualitative_tier", 2.5)),  # 10 × 25%
        ("达成年度指标", None, ("A", "qualitative_tier", 10.0)),  # MoF phrasing also accepted
        # ranges: A [8, 10], B [5, 8], C [0, 5] of weight 10
        ("达成预期指标", 8.0, ("A", "qualitative_reported", 8.0)),
        ("达成预期指标", 7.9, ("A", "qualitative_tier", 10.0)),
        ("基本达成", 5.0, ("B", "qualitative_reported", 5.0)),  # lower edge of B (MoF: 6)
        ("基本达成", 4.99, ("B", "qualitative_tier", 6.5)),
        ("基本达成", 8.0, ("B", "qualitative_reported", 8.0)),
        ("未完成", 5.0, ("C", "qualitative_reported", 5.0)),  # upper edge of C (MoF: 6)
        ("未完成", 5.01, ("C", "qualitative_tier", 2.5)),
    ],
)
def test_hubei_tiers(actual, reported, expected):
    assert qual_score(HUBEI, actual, 10, reported) == expected


def test_hubei_whole_unit():
    ds = make_dataset(
        budget=[budget_row("U1", adjusted=200, executed=150)],
        indicators=[
            indicator_row("U1", "a", "≥10次", "8次", 40),
            indicator_row("U1", "b", "达成预期指标", "部分达成预期指标并具有一定效果", 40),
        ],
    )
    unit = score_dataset(ds, "hubei").units.iloc[0]
    # rate 150 / 200 = 0.75 → 20 × 0.75 = 15
    # a: 40 × 8 / 10 = 32; b: 40 × 65% = 26 → 58; total 15 + 58 = 73 → 中
    assert (unit["execution_score"], unit["indicator_score"], unit["total"]) == (15, 58, 73)
    assert unit["grade"] == "中"
    assert unit["execution_rule_text"] == "预算执行率 75.00%，得分 = 20 × 75.00% = 15.00"


# --- jiangxi ----------------------------------------------------------------------------------

JIANGXI = load_rulebook("jiangxi")


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (1.1, 10.0),
        (1.0, 10.0),  # exactly 100% → 10
        (0.9999, 7.0),  # just below 100% → 7
        (0.8, 7.0),  # exactly 80% → 7
        (0.7999, 5.0),
        (0.6, 5.0),  # exactly 60% → 5
        (0.5999, 0.0),
        (0.0, 0.0),
        (float("nan"), 0.0),
    ],
)
def test_jiangxi_execution_steps(rate, expected):
    assert execution_score(np.array([rate]), JIANGXI)[0] == expected


def test_jiangxi_step_survives_float_artefact():
    # executed 0.7 + 0.1 of budget 1.0: the sum is 0.7999999999999999 in binary, yet it is 80% → 7
    assert 0.7 + 0.1 < 0.8
    ds = make_dataset(
        budget=[
            budget_row("U1", item="x", adjusted=0.5, executed=0.7),
            budget_row("U1", item="y", adjusted=0.5, executed=0.1),
        ],
        indicators=[indicator_row("U1", "a", "≥1件", "1件", 90)],
    )
    unit = score_dataset(ds, JIANGXI).units.iloc[0]
    assert unit["execution_score"] == 7
    assert (
        unit["execution_rule_text"] == "预算执行率 80.00%，不低于 80%、低于 100%，按分档计分得 7 分"
    )


def test_jiangxi_execution_texts():
    def text(executed: float) -> str:
        ds = make_dataset(
            budget=[budget_row("U1", adjusted=100, executed=executed)],
            indicators=[indicator_row("U1", "a", "≥1件", "1件", 90)],
        )
        return score_dataset(ds, JIANGXI).units.iloc[0]["execution_rule_text"]

    assert text(100) == "预算执行率 100.00%，不低于 100%，按分档计分得 10 分"
    assert text(65) == "预算执行率 65.00%，不低于 60%、低于 80%，按分档计分得 5 分"
    assert text(50) == "预算执行率 50.00%，低于 60%，按分档计分得 0 分"


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("达成预期指标", ("A", "qualitative_tier", 6.0)),  # 6 × 100%
        ("部分达成预期指标并具有一定效果", ("B", "qualitative_tier", 3.9)),  # 6 × 65%
        ("未达成预期指标且效果较差", ("C", "qualitative_tier", 1.5)),  # 6 × 25%
    ],
)
def test_jiangxi_tiers(actual, expected):
    assert qual_score(JIANGXI, actual, 6) == expected


def test_jiangxi_reported_ranges():
    # weight 6: B is [3, 4.8]; reported 3 stands, 2.9 → 6 × 65% = 3.90
    assert qual_score(JIANGXI, "基本达成", 6, 3.0) == ("B", "qualitative_reported", 3.0)
    assert qual_score(JIANGXI, "基本达成", 6, 2.9) == ("B", "qualitative_tier", 3.9)


# --- mof2020-linear-reverse -------------------------------------------------------------------


def test_linear_reverse_whole_unit():
    ds = make_dataset(
        budget=[budget_row("U1", adjusted=100, executed=100)],
        indicators=[
            indicator_row("U1", "a", "≤10天", "13天", 30),
            indicator_row("U1", "b", "不超过20万元", "40万元", 30),
            indicator_row("U1", "c", "≤10天", "9天", 30),
        ],
    )
    scores = score_dataset(ds, "mof2020-linear-reverse")
    # a: 30 × (1 − (13 − 10) / 10) = 30 × 0.7 = 21; b: 40 = 2 × 20 → 0; c: 9 ≤ 10 → 30
    assert scores.indicators["score"].tolist() == [21, 0, 30]
    assert set(scores.indicators["rule"]) == {"lower_better_linear"}
    # total 10 + 51 = 61 → 中
    unit = scores.units.iloc[0]
    assert (unit["total"], unit["grade"]) == (61, "中")
    # the same data under mof2020: a: 30 × 10 / 13 = 23.08; b: 30 × 20 / 40 = 15 → 10 + 68.08
    assert score_dataset(ds, "mof2020").units.iloc[0]["total"] == 78.08


# --- grades-80 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "expected"),
    [(100, "优"), (80, "优"), (79.99, "良"), (70, "良"), (69.99, "中"), (60, "中"),
     (59.99, "差"), (0, "差")],
)  # fmt: skip
def test_grades_80(total, expected):
    assert grade(np.array([total]), load_rulebook("grades-80"))[0] == expected


def test_grades_80_changes_only_grades():
    ds = make_dataset(
        budget=[budget_row("U1", adjusted=100, executed=100)],
        indicators=[indicator_row("U1", "a", "≥100件", "75件", 90)],
    )
    # 10 + 90 × 75 / 100 = 10 + 67.5 = 77.5 → 良 under grades-80, 中 under mof2020
    assert score_dataset(ds, "grades-80").units.iloc[0][["total", "grade"]].tolist() == [77.5, "良"]
    assert score_dataset(ds, "mof2020").units.iloc[0][["total", "grade"]].tolist() == [77.5, "中"]


# --- mof2020-truncate -------------------------------------------------------------------------


def test_truncate_preset_prints_scores_as_the_provinces_do():
    ds = make_dataset(
        budget=[budget_row("U1", adjusted=100, executed=97.8)],
        indicators=[
            indicator_row("U1", "a", "≥150件", "146件", 2),
            indicator_row("U1", "b", "≥100件", "100件", 88),
        ],
    )
    book = load_rulebook("mof2020-truncate")
    scores = score_dataset(ds, book)
    # execution 10 × 97.8% = 9.78 → truncated to 9 (domain.md §7: "9.78 printed as 9")
    # a: 2 × 146 / 150 = 1.9466… → truncated to 1 decimal: 1.9 ("1.946 as 1.9")
    # b: met → 88; indicators 1.9 + 88 = 89.9; total 9 + 89.9 = 98.9 → 优
    assert scores.indicators["score"].tolist() == [1.9, 88]
    unit = scores.units.iloc[0]
    assert (unit["execution_score"], unit["indicator_score"], unit["total"]) == (9, 89.9, 98.9)
    assert unit["grade"] == "优"
    assert unit["execution_rule_text"] == "预算执行率 97.80%，得分 = 10 × 97.80% = 9"
    # the same under mof2020 (四舍五入 to 2 decimals): 9.78 + 1.95 + 88 = 99.73
    assert score_dataset(ds, "mof2020").units.iloc[0]["total"] == 99.73


# --- whole points (issue 16 §10) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        # a: 20 × 130 ÷ 150 = 17.333… → 17 either way; b: 10 × 8 ÷ 12 = 6.666… → 7 half up,
        # 6 truncated; c: tier B 70% × 5 = 3.5 → 4 half up, 3 truncated; d: met, weight 2.5 as
        # written; e: met 52.5. Execution 10 × 97.8% = 9.78 → 10 half up, 9 truncated.
        ("mof2020-whole", ([17, 7, 4, 2.5, 52.5], 10, 83, 93, "优")),
        ("mof2020-whole-truncate", ([17, 6, 3, 2.5, 52.5], 9, 81, 90, "优")),
    ],
)
def test_whole_point_presets_score_every_indicator_in_whole_points(preset, expected):
    ds = make_dataset(
        budget=[budget_row("U1", adjusted=100, executed=97.8)],
        indicators=[
            indicator_row("U1", "a", "≥150件", "130件", 20),
            indicator_row("U1", "b", "≤8天", "12天", 10),
            indicator_row("U1", "c", "达成年度指标", "基本达成", 5),
            indicator_row("U1", "d", "≥1件", "1件", 2.5),
            indicator_row("U1", "e", "≥1件", "1件", 52.5),
        ],
    )
    scores, (indicators, execution, indicator_score, total, grade) = (
        score_dataset(ds, preset),
        expected,
    )
    assert scores.indicators["score"].tolist() == indicators
    unit = scores.units.iloc[0]
    # indicators 17 + 7 + 4 + 2.5 + 52.5 = 83 (half up); 17 + 6 + 3 + 2.5 + 52.5 = 81
    assert (unit["execution_score"], unit["indicator_score"]) == (execution, indicator_score)
    assert (unit["total"], unit["grade"]) == (total, grade)
