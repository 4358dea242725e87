"""Numbers that overflow (issue 16 §7): non-finite or absurd magnitudes never reach a score.

A number a float cannot hold ("1e309", 5,000 digits), one the decimal arithmetic of the amount
reader cannot hold ("1e9999999"), and one beyond the contract's bounds (an amount of 1 万亿元 or
more in one cell, 1,000 points or more) is an error naming the cell (``too_large``). A printed
执行率 or 得分 beyond its bound is unreadable (a warning: it is never scored). A 年度指标值 or
实际完成值 above 10^15 cannot be read (a warning, scored from the unit's 得分). Every JSON
perfkit prints is strict JSON: no ``NaN``, ``Infinity`` or ``-Infinity``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from csvdata import tables, write_folder
from factories import budget_row, indicator_row, make_dataset

from perfkit.cli import cli
from perfkit.rules.notation import NotationError, parse
from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring import results
from perfkit.scoring.scores import score_dataset

REAL = Path(__file__).parent / "data" / "real"
SAMPLE = Path(__file__).parent.parent / "data" / "sample"
MOF = load_rulebook("mof2020")


def run(*args) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


def _constant(name: str):
    raise ValueError(f"not strict JSON: {name}")


def strict(text: str):
    """``text`` parsed as strict JSON: NaN, Infinity and -Infinity are refused."""
    return json.loads(text, parse_constant=_constant)


def _problems(tmp_path: Path, data) -> tuple[int, list[dict]]:
    result = run("validate", write_folder(tmp_path / "d", data), "--format", "json")
    return result.exit_code, strict(result.stdout)


# (table, row index in csvdata.tables(), column index, header as written, value)
TOO_LARGE = [
    ("budget", 2, 7, "全年执行数", "1e309"),  # no float holds it: it read as infinity
    ("budget", 2, 6, "全年预算数", "9" * 5000),  # a 5,000-digit amount: infinity too
    ("budget", 2, 7, "全年执行数", "1e9999999"),  # the decimal reader overflowed: a traceback
    ("budget", 1, 5, "年初预算数", "-1e9999999"),  # the same below zero (年初 may be blank)
    ("budget", 2, 7, "全年执行数", "100000000"),  # 10^8 万元 = 1 万亿元: the bound itself
    ("budget", 2, 7, "全年执行数", "10001亿元"),  # 1.0001 × 10^8 万元
    ("monthly", 1, 4, "当月执行数", "1e309"),
    ("indicators", 1, 7, "分值", "9" * 400),  # 10^400 points: infinity
    ("indicators", 1, 8, "得分", "9" * 400),  # a 得分 may be negative, never infinite
    ("indicators", 1, 7, "分值", "1000"),  # 1,000 points: the bound itself
]


@pytest.mark.parametrize(("table", "row", "column", "header", "value"), TOO_LARGE)
def test_a_number_too_large_is_an_error_naming_the_cell(
    tmp_path, table, row, column, header, value
):
    data = tables()
    data[table][row][column] = value
    code, problems = _problems(tmp_path, data)
    assert code == 2
    found = [p for p in problems if p["code"] == "too_large"]
    assert [(p["file"], p["row"], p["column"], p["value"], p["severity"]) for p in found] == [
        (f"{table}.csv", row + 1, header, value, "error")
    ]
    assert found[0]["message"].startswith("数值过大")


def test_a_too_large_amount_is_listed_like_every_error(tmp_path):
    data = tables()
    data["budget"][2][7] = "1e309"
    result = run("validate", write_folder(tmp_path / "d", data))
    assert result.exit_code == 2
    assert "budget.csv，第3行，列「全年执行数」：值“1e309”：数值过大：金额应小于 1 万亿元" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_score_refuses_an_overflowing_amount_instead_of_printing_infinity(tmp_path):
    data = tables()
    data["budget"][2][7] = "1e309"
    result = run("score", write_folder(tmp_path / "d", data), "--format", "json")
    assert result.exit_code == 2
    assert "Infinity" not in result.output and "inf" not in result.output.replace("info", "")
    assert "too_large" not in result.output  # the listing names the cell, in Chinese
    assert "第3行，列「全年执行数」：值“1e309”：数值过大" in result.output


@pytest.mark.parametrize(
    ("budget", "header", "points", "weight"),
    [
        ("99999999.99", "全年预算数", "999.99", "分值"),  # just below both bounds: numbers
        ("999999999999", "全年预算数（元）", "999", "分值"),  # 10^12 元 = 10^8 万元 − 0.0001
    ],
)
def test_numbers_below_the_bounds_are_read(tmp_path, budget, header, points, weight):
    data = tables()
    data["budget"][0][6] = header
    data["budget"][3][6] = budget
    data["indicators"][1][8] = points  # a 得分 above its 分值: a warning, not an error
    code, problems = _problems(tmp_path, data)
    assert code == 0, problems
    assert not [p for p in problems if p["code"] == "too_large"]


@pytest.mark.parametrize(("column", "value"), [(8, "9" * 400 + "%"), (9, "9" * 400)])
def test_a_printed_rate_or_score_too_large_is_unreadable_not_infinite(tmp_path, column, value):
    data = tables()
    data["budget"][0] += ["执行率", "得分"]
    for row in data["budget"][1:]:
        row += ["", ""]
    data["budget"][1][column] = value
    code, problems = _problems(tmp_path, data)
    assert code == 0
    assert [(p["code"], p["row"], p["value"]) for p in problems] == [
        ("reported_execution_unreadable", 2, value)
    ]


@pytest.mark.parametrize("text", ["≥1" + "0" * 16 + "件", "1" + "0" * 20, "约2" + "0" * 16 + "元"])
def test_a_target_above_ten_to_the_fifteen_cannot_be_read(text):
    with pytest.raises(NotationError, match="数值过大"):
        parse(text)


def test_a_target_of_ten_to_the_fifteen_is_still_read():
    assert parse("≤1" + "0" * 15 + "元").value == 1e15


# --- strict JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", [SAMPLE, *sorted(REAL.iterdir())], ids=lambda p: p.name)
@pytest.mark.parametrize("level", ["unit", "project"])
def test_score_json_is_strict(folder, level):
    result = run("score", folder, "--format", "json", "--level", level)
    assert result.exit_code == 0, result.output
    strict(result.stdout)


def test_validate_json_is_strict_with_numbers_that_overflow(tmp_path):
    data = tables()
    data["budget"][2][7] = "1e309"
    data["indicators"][1][5] = "≥" + "9" * 400 + "件"
    code, problems = _problems(tmp_path, data)  # parsed strictly
    assert code == 2 and len(problems) >= 2


def test_score_json_writes_null_for_a_number_that_is_not_finite():
    """A Dataset built in code is not validated: an infinite amount still gives strict JSON
    (null), never Infinity."""
    ds = make_dataset(
        budget=[budget_row("U1", adjusted=100.0, executed=90.0)],
        indicators=[indicator_row("U1", "办结案件数", "≥150件", "160件", 90)],
    )
    ds.budget.loc[0, "executed"] = math.inf
    records = strict(results.to_json(score_dataset(ds)))
    assert records[0]["executed"] is None and records[0]["execution_rate"] is None
    assert records[0]["total"] is not None


def test_a_completion_that_overflows_is_no_rate():
    """10^15 against 10^-300 is a ratio of 10^315: no float holds it, so no 完成率 is given;
    the score is the weight (actual far below the cap)."""
    from perfkit.scoring.scores import score_targets

    target, actual = parse("≤1" + "0" * 15 + "元"), parse("0." + "0" * 299 + "1元")
    [row] = score_targets([target], [actual], [10], MOF).to_dict("records")
    assert math.isnan(row["completion"]) and row["score"] == 10
