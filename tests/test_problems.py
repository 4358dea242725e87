"""Problems as data: codes, the JSON shape, grouped listings, rulebook problems, reserved codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from csvdata import tables, write_folder

from perfkit.cli import cli
from perfkit.core.problems import CODES, JSON_KEYS, PerfkitError, Problem, UsageError, report
from perfkit.data.contract import unit_code_problem
from perfkit.data.readers import read_dataset
from perfkit.data.validation import validate
from perfkit.rules.rulebook import RulebookError, load_rulebook

ROOT = Path(__file__).resolve().parent.parent


# --- the code table of the docs -------------------------------------------------------------------


def test_every_code_is_documented_once() -> None:
    text = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    section = text[text.index("### Problem codes") :]
    section = section[: section.index("\n## ")] if "\n## " in section else section
    rows = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)
    assert sorted(rows) == sorted(CODES)
    assert len(rows) == len(set(rows))


def test_codes_are_snake_case() -> None:
    assert all(re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", code) for code in CODES)


# --- JSON -----------------------------------------------------------------------------------------


def test_validate_json_has_exactly_the_documented_keys(tmp_path: Path) -> None:
    data = tables()
    data["budget"][2][7] = "1.O8"  # Excel row 3, 全年执行数
    data["indicators"][2][6] = "≥"  # Excel row 3, 实际完成值: a warning
    folder = write_folder(tmp_path / "d", data)
    result = CliRunner().invoke(cli, ["validate", str(folder), "--format", "json"])
    assert result.exit_code == 2, result.output
    out = json.loads(result.stdout)
    assert [tuple(o) for o in out] == [JSON_KEYS] * 2
    assert out[0] == {
        "code": "not_a_number",
        "severity": "error",
        "file": "budget.csv",
        "row": 3,
        "column": "全年执行数",
        "value": "1.O8",
        "unit_code": None,
        "project_code": None,
        "level3": None,
        "message": "应为数字，单位万元（如 120.5 或 1,234.5）",
        "cell": None,
        "year": None,
    }
    assert (out[1]["code"], out[1]["severity"], out[1]["row"]) == (
        "unreadable_actual",
        "warning",
        3,
    )
    assert (out[1]["unit_code"], out[1]["level3"], out[1]["year"]) == ("A01", "网络安全", 2022)


def test_validate_json_lists_a_rulebooks_problems(tmp_path: Path) -> None:
    rules = tmp_path / "mine.toml"
    rules.write_text('extends = "mof2020"\n[execution]\nweight = 20\n', encoding="utf-8")
    folder = write_folder(tmp_path / "d")
    result = CliRunner().invoke(
        cli, ["validate", str(folder), "--rules", str(rules), "--format", "json"]
    )
    assert result.exit_code == 2
    (problem,) = json.loads(result.stdout)
    assert (problem["code"], problem["file"], problem["column"], problem["value"]) == (
        "rulebook_inconsistent",
        str(rules),
        "execution.weight",
        "20",
    )


# --- grouping -------------------------------------------------------------------------------------


def _bad(row: int, value: str, column: str = "全年执行数", code: str = "not_a_number") -> Problem:
    return Problem("budget.csv", "应为数字", row, column, value, code=code)


def test_alike_problems_on_consecutive_rows_share_a_line() -> None:
    problems = [_bad(r, f"x{r}") for r in range(38, 50)] + [_bad(51, "y")]
    assert report(problems).splitlines() == [
        "输入数据有 13 处错误，无法评分：",
        "  - budget.csv，第38–49行，列「全年执行数」：值“x38”、“x39”、“x40”等 12 个：应为数字",
        "  - budget.csv，第51行，列「全年执行数」：值“y”：应为数字",
    ]


def test_runs_are_per_column_and_keep_their_order() -> None:
    # the rows interleave two columns, as validation orders them (by row, then column)
    problems = []
    for r in (2, 3, 4):
        problems += [_bad(r, "a", "全年预算数"), _bad(r, "b")]
    assert report(problems).splitlines()[1:] == [
        "  - budget.csv，第2–4行，列「全年预算数」：值均为“a”：应为数字",
        "  - budget.csv，第2–4行，列「全年执行数」：值均为“b”：应为数字",
    ]


def test_a_different_code_or_message_breaks_a_run() -> None:
    problems = [_bad(2, "a"), _bad(3, "-1", code="negative"), _bad(4, "b")]
    assert len(report(problems).splitlines()) == 4


def test_at_most_fifty_lines_then_a_count_per_code() -> None:
    # 60 separate lines of not_a_number (every other row) and 5 of unknown_unit_code
    problems = [_bad(2 * r, "a") for r in range(1, 61)]
    problems += [
        Problem("goals.csv", "单位编码不存在", r, "单位编码", "C03", code="unknown_unit_code")
        for r in range(2, 12, 2)
    ]
    lines = report(problems).splitlines()
    assert lines[0] == "输入数据有 65 处错误，无法评分："
    assert len(lines) == 1 + 50 + 1
    assert lines[-1] == (
        "  另有 15 处未列出（--format json 列出全部）；"
        "按类型：not_a_number 60 处；unknown_unit_code 5 处。"
    )


def test_a_systematic_error_in_a_long_table_is_one_line(tmp_path: Path) -> None:
    data = tables()
    for row in data["budget"][1:]:
        row[7] = "n/a"
    problems = validate(read_dataset(write_folder(tmp_path / "d", data)), load_rulebook())
    assert len(problems) == 3
    assert report(problems).splitlines()[1] == (
        "  - budget.csv，第2–4行，列「全年执行数」：值均为“n/a”："
        "应为数字，单位万元（如 120.5 或 1,234.5）"
    )


# --- rulebooks ------------------------------------------------------------------------------------


def test_every_problem_of_a_rulebook_at_once(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        'extends = "mof2020"\n'
        '[execution]\nweight = 20\nmethod = "table"\n'
        '[indicators]\nreverse = "log"\ndecimals = "two"\n'
        '[qualitative]\nsame_as_target = "D"\n',
        encoding="utf-8",
    )
    with pytest.raises(RulebookError) as caught:
        load_rulebook(path)
    got = [(p.column, p.value, p.code) for p in caught.value.problems]
    assert got == [
        ("execution.method", "table", "rulebook_bad_value"),
        ("indicators.reverse", "log", "rulebook_bad_value"),
        ("indicators.decimals", "two", "rulebook_bad_value"),
        ("execution.weight", "20", "rulebook_inconsistent"),
        ("qualitative.same_as_target", "D", "rulebook_inconsistent"),
    ]
    assert all(p.file == str(path) for p in caught.value.problems)
    lines = caught.value.report().splitlines()
    assert lines[0] == "评分规则有 5 处错误，无法使用："
    assert lines[1] == (
        f"  - {path}，键「execution.method」：值“table”：execution.method 应为 linear 或 steps。"
    )
    # a RulebookError is a usage error: the CLI exits with 2
    assert isinstance(caught.value, UsageError)


def test_missing_tables_are_named_once(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("[execution]\nweight = 10\n", encoding="utf-8")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(path)
    assert [(p.column, p.code) for p in caught.value.problems] == [
        ("indicators", "rulebook_missing_key"),
        ("qualitative", "rulebook_missing_key"),
        ("findings", "rulebook_missing_key"),
        ("grades", "rulebook_missing_key"),
    ]


def test_cli_lists_a_rulebooks_problems_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('extends = "nosuch"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["validate", str(write_folder(tmp_path / "d")), "--rules", str(path)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"评分规则有 1 处错误，无法使用：\n  - {path}，键「extends」：值“nosuch”："
        "未知的评分规则“nosuch”"
    )
    assert "Traceback" not in result.output


def test_every_error_is_a_perfkit_error() -> None:
    from perfkit.core.problems import InvalidInput
    from perfkit.rendering.pipeline import RenderLocked
    from perfkit.rules.notation import NotationError

    for cls in (InvalidInput, UsageError, RulebookError, NotationError, RenderLocked):
        assert issubclass(cls, PerfkitError)
    assert issubclass(NotationError, ValueError)  # still caught where a ValueError is


# --- unit codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("SZ001", None),
        ("320500-12", None),
        ("index", "reserved_unit_code"),
        ("Status", "reserved_unit_code"),
        ("CON", "reserved_unit_code"),
        ("lpt1", "reserved_unit_code"),
        # the year's notebooks/ folder would hold the unit's project reports, and projects.html
        # is the year's projects page (issue 11)
        ("notebooks", "reserved_unit_code"),
        ("Projects", "reserved_unit_code"),
        ("indexes", None),
        ("../A01", "bad_unit_code"),
        ("单位1", "bad_unit_code"),
        ("", "bad_unit_code"),
    ],
)
def test_one_unit_code_rule(code: str, problem: str | None) -> None:
    assert unit_code_problem(code) == problem


def test_a_reserved_unit_code_is_an_error_in_every_table(tmp_path: Path) -> None:
    data = tables()
    for name in ("units", "budget", "indicators", "goals", "monthly"):
        for row in data[name]:
            row[:] = ["Index" if c == "A01" else c for c in row]
    problems = validate(read_dataset(write_folder(tmp_path / "d", data)), load_rulebook())
    assert {p.code for p in problems} == {"reserved_unit_code"}
    assert str(problems[0]) == (
        "units.csv，第2行，列「单位编码」：值“Index”：单位编码不能是 departments、index、"
        "notebooks、projects、status 或 Windows 保留的设备名（CON、PRN、AUX、NUL、COM1–COM9、"
        "LPT1–LPT9），不分大小写：它会成为报告的文件名，与汇总页等文件重名或无法创建"
    )
    assert "unknown_unit_code" not in {p.code for p in problems}


# --- layering -------------------------------------------------------------------------------------


def test_rulebook_does_not_import_qualitative() -> None:
    code = "import sys, perfkit.rules.rulebook; print('perfkit.rules.qualitative' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
