"""Loading rulebooks: presets, a user's own file with extends, and clear errors."""

from __future__ import annotations

import pytest
from factories import budget_row, indicator_row, make_dataset

from perfkit.core.problems import UsageError
from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring.scores import score_dataset


def write(tmp_path, text: str, name: str = "mine.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_is_mof2020():
    book = load_rulebook()
    assert book.name == "mof2020"
    assert (book.execution_weight, book.indicator_total, book.decimals) == (10, 90, 2)
    assert (book.execution_method, book.reverse, book.same_as_target) == ("linear", "ratio", "A")
    assert [(t.key, t.share, t.min, t.max) for t in book.tiers] == [
        ("A", 1.0, 0.8, 1.0), ("B", 0.7, 0.6, 0.8), ("C", 0.3, 0.0, 0.6),
    ]  # fmt: skip
    assert [(g.name, g.min) for g in book.grades] == [("优", 90), ("良", 80), ("中", 60), ("差", 0)]
    assert (book.low_execution, book.over_target, book.score_mismatch) == (0.9, 1.3, 0.01)
    assert (book.time_progress_tolerance, book.time_progress_months) == (0.05, (3, 6, 9, 12))


def test_user_file_extends_a_preset(tmp_path):
    path = write(
        tmp_path,
        'extends = "mof2020"\n'
        "[execution]\nweight = 15\n"
        "[indicators]\ntotal = 85\n"
        "[findings]\ntime_progress_months = [6, 12]\n",
    )
    book = load_rulebook(path)
    assert (book.execution_weight, book.indicator_total) == (15, 85)
    # the rest is inherited
    assert book.execution_method == "linear" and len(book.tiers) == 3
    assert book.time_progress_months == (6, 12)
    # name, title, description are the file's own, never the parent's
    assert (book.name, book.title, book.description) == ("mine", "mine", "")
    assert book.origin == str(path)


def test_user_file_name_and_title(tmp_path):
    path = write(tmp_path, 'extends = "grades-80"\nname = "苏州"\ntitle = "苏州市规则"\n')
    book = load_rulebook(str(path))
    assert (book.name, book.title) == ("苏州", "苏州市规则")
    assert book.grades[0].min == 80  # from grades-80


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('extends = "mof2020"\n[execution]\nweight = 20\n', "之和应为 100"),
        ('extends = "mof2020"\n[execution]\nmethod = "table"\n', "linear 或 steps"),
        ('extends = "mof2020"\n[execution]\nmethod = "steps"\n', "[[execution.steps]]"),
        ('extends = "mof2020"\n[indicators]\nreverse = "log"\n', "ratio 或 linear"),
        ('extends = "mof2020"\n[qualitative]\nsame_as_target = "D"\n', "不是任何档次"),
        (
            'extends = "mof2020"\n[[grades]]\nname = "优"\nmin = 90\n'
            '[[grades]]\nname = "良"\nmin = 60\n',
            "最低一档",
        ),
        (
            'extends = "mof2020"\n[[qualitative.tiers]]\nkey = "A"\nlabel = "达成"\nshare = 0.5\n'
            "min = 0.8\nmax = 1.0\n",
            "min ≤ share ≤ max",
        ),
        (
            'extends = "mof2020"\n[[qualitative.tiers]]\nkey = "A"\nlabel = "达成"\nshare = 1\n'
            'min = 0.8\nmax = 1\n[[qualitative.tiers]]\nkey = "B"\nlabel = "较好"\nshare = 0.7\n'
            'min = 0.6\nmax = 0.8\nphrases = ["达 成"]\n',
            "同时属于",
        ),
        ('extends = "nosuch"\n', "未知的评分规则"),
        ("[execution]\nweight = 10\n", "缺少必填项"),
        ("name = \n", "无法读取"),
    ],
)
def test_bad_rulebooks_are_usage_errors(tmp_path, text, needle):
    with pytest.raises(UsageError) as err:
        load_rulebook(write(tmp_path, text))
    assert needle in str(err.value)


def test_unknown_preset_and_missing_file(tmp_path):
    with pytest.raises(UsageError, match="未知的评分规则“nosuch”"):
        load_rulebook("nosuch")
    with pytest.raises(UsageError, match="找不到评分规则文件"):
        load_rulebook(tmp_path / "missing.toml")


SUZHOU = """
extends = "mof2020"
name = "suzhou"
title = "苏州市财政局 2023 年口径"
description = "预算执行率 15 分；绩效指标 85 分；执行率低于 95% 列为问题。"

[execution]
weight = 15

[indicators]
total = 85

[findings]
low_execution = 0.95
"""

SUZHOU_STEPS = """
extends = "mof2020"
name = "suzhou-steps"

[execution]
weight = 15
method = "steps"

[[execution.steps]]
min = 1.0
score = 15

[[execution.steps]]
min = 0.9
score = 12

[[execution.steps]]
min = 0.0
score = 6

[indicators]
total = 85
"""


def _example():
    return make_dataset(
        budget=[budget_row("U1", adjusted=100, executed=92)],
        indicators=[
            indicator_row("U1", "培训人次", "≥500人次", "450人次", 45),
            indicator_row("U1", "投诉处理时长", "≤5天", "4天", 20),
            indicator_row("U1", "服务质量", "达成年度指标", "基本达成", 20),
        ],
    )


def test_worked_example_of_the_docs(tmp_path):
    """docs/rulebooks.md, "A worked example"."""
    scores = score_dataset(_example(), load_rulebook(write(tmp_path, SUZHOU, "suzhou.toml")))
    # 45 × 450 / 500 = 40.50; 4 ≤ 5 → 20; B → 20 × 70% = 14.00
    assert scores.indicators["score"].tolist() == [40.5, 20, 14]
    unit = scores.units.iloc[0]
    # execution 15 × 0.92 = 13.80; indicators 74.50; total 88.30 → 良
    assert (unit["execution_score"], unit["indicator_score"]) == (13.8, 74.5)
    assert (unit["total"], unit["grade"]) == (88.3, "良")
    kinds = scores.findings["kind"].tolist()
    # 92% < 95%: the unit and its one item; 培训人次 and 服务质量 under target (and no reason)
    assert kinds.count("low_execution") == 2
    assert scores.findings.loc[scores.findings["kind"] == "under_target", "subject"].tolist() == [
        "培训人次",
        "服务质量",
    ]
    # under mof2020, 92% is not low
    assert "low_execution" not in score_dataset(_example()).findings["kind"].tolist()


def test_worked_example_with_steps(tmp_path):
    book = load_rulebook(write(tmp_path, SUZHOU_STEPS, "suzhou-steps.toml"))
    unit = score_dataset(_example(), book).units.iloc[0]
    # 92% reaches the 0.9 step: 12; total 12 + 74.50 = 86.50
    assert (unit["execution_score"], unit["total"]) == (12, 86.5)
