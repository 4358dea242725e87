"""Nothing a user typed reaches a terminal as a control sequence (issue 16 §8).

A cell value, a file name or a command-line argument may carry terminal escape sequences (OSC
to retitle the terminal, write the clipboard or plant a hyperlink; CSI to clear the screen; their
8-bit C1 forms; DCS) and bidi overrides. Whatever perfkit prints — problem listings, errors,
the forms' reports — carries none of the bytes a terminal acts on; a problem's value is quoted
with its escapes, so the user still sees what is in the cell. JSON output keeps the value exact.
"""

from __future__ import annotations

import json
import shutil

import pytest
from badtext import (
    BIDI,
    C1_CSI,
    C1_OSC,
    CSI_CLEAR,
    DCS,
    OSC_CLIPBOARD,
    OSC_LINK,
    OSC_TITLE,
    SEQUENCES,
    TERMINAL_CONTROLS,
)
from click.testing import CliRunner
from csvdata import tables, write_folder, write_workbook

from perfkit.cli import cli
from perfkit.data import loading
from perfkit.forms import make_forms


def _invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _safe(text: str) -> None:
    found = [c for c in TERMINAL_CONTROLS if c in text]
    assert found == [], f"terminal controls in the output: {found!r}"


@pytest.mark.parametrize(
    ("text", "echoed"),
    [
        (f"单位{OSC_TITLE}名称", "单位名称"),
        (f"A{OSC_CLIPBOARD}B", "AB"),
        (f"请{OSC_LINK}查看", "请点我查看"),  # the link's text stays, the link goes
        (f"{CSI_CLEAR}清屏", "清屏"),
        (f"红{C1_CSI}色", "红色"),
        (f"标{C1_OSC}题", "标题"),
        (f"设{DCS}备", "设备"),
        (f"反{BIDI}向", "反向"),
        ("\x1b]0;没有结束符", "0;没有结束符"),  # an unterminated OSC loses its introducer only
        ("回车\r覆盖", "回车覆盖"),
        ("第一行\n\t第二行", "第一行\n\t第二行"),  # perfkit's own layout stays
        ("\x07\x08\x7f\x85\ud800\ufffe文字", "文字"),
    ],
)
def test_for_terminal(text, echoed):
    from perfkit.core.text import for_terminal

    assert for_terminal(text) == echoed


def test_a_problem_listing_quotes_sequences_as_escapes(tmp_path):
    data = tables()
    data["units"][1][1] = f"市智慧{OSC_TITLE}审判保障中心"  # A01's 单位名称, Excel row 2
    data["indicators"][1][0] = f"2022{OSC_LINK}"  # A01's first 年度: an error
    result = _invoke("validate", write_folder(tmp_path / "d", data))
    assert result.exit_code == 2
    _safe(result.output)
    assert "值“市智慧\\x1b]0;PWNED\\x07审判保障中心”" in result.output
    assert "值“2022\\x1b]8;;http://evil.example/\\x1b\\点我\\x1b]8;;\\x1b\\”" in result.output


def test_json_keeps_the_value_exact(tmp_path):
    data = tables()
    data["units"][1][1] = f"市智慧{SEQUENCES}审判保障中心"
    result = _invoke("validate", write_folder(tmp_path / "d", data), "--format", "json")
    assert result.exit_code == 0, result.output
    _safe(result.stdout)  # escaped inside the JSON strings
    (problem,) = json.loads(result.stdout)
    assert problem["value"] == f"市智慧{SEQUENCES}审判保障中心"


def test_a_file_name_is_quoted_as_escapes(tmp_path):
    data = tables()
    del data["goals"]  # a missing sheet: an error naming the workbook
    path = write_workbook(tmp_path / f"数据{OSC_TITLE}.xlsx", data)
    result = _invoke("validate", path)
    assert result.exit_code == 2
    _safe(result.output)
    assert "数据\\x1b]0;PWNED\\x07.xlsx" in result.output


def test_an_error_echoing_an_argument_is_safe(tmp_path):
    folder = write_folder(tmp_path / "d")
    result = _invoke("score", folder, "--unit", f"X{OSC_TITLE}{C1_CSI}")
    assert result.exit_code == 2
    _safe(result.output)
    assert result.output.strip() == "错误：数据中没有这些单位编码：X。"


def test_the_forms_reports_are_safe(tmp_path):
    forms = tmp_path / "forms"
    make_forms(loading.load(write_folder(tmp_path / "d")), 2022, forms)
    # the same unit's form handed in twice, once under a name carrying sequences
    shutil.copy(forms / "A01.xlsx", forms / f"A01{OSC_TITLE}{BIDI}.xlsx")
    result = _invoke("forms", "collect", forms, "--out", tmp_path / "out")
    assert result.exit_code == 2
    _safe(result.output)
    assert "A01\\x1b]0;PWNED\\x07\\u202e.xlsx" in result.output
    skipped = _invoke("forms", "collect", forms, "--out", tmp_path / "out", "--skip-invalid")
    assert skipped.exit_code == 1
    _safe(skipped.output)
    assert "A01\\x1b]0;PWNED\\x07\\u202e.xlsx" in skipped.output
