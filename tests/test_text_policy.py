"""The text perfkit accepts (issue 16 §6): the policy of perfkit/core/text.py, the readers that
take forbidden characters out with a warning, and every writer, which never writes one.

Every class of character (tests/badtext.py: C0 controls, DEL, C1, non-characters of every kind,
lone surrogates) goes through every writer: ``perfkit export`` (CSV and workbook), ``forms make``
(units' and projects' forms), ``forms collect`` (folder and workbook), the score CSV and JSON,
``validate --format json`` and the report pages. A file is checked as a strict reader reads it:
UTF-8 decoded strictly, every XML part of a workbook parsed by expat, JSON parsed without NaN.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest
from badtext import (
    ALL,
    ALL_IN_FILES,
    ALL_IN_FILES_SHOWN,
    CLASSES,
    TEXT_COLUMNS,
    spoil,
    spoiled_tables,
)
from click.testing import CliRunner
from csvdata import tables, write_folder, write_workbook
from factories import budget_row, indicator_row, make_dataset
from openpyxl import load_workbook

from perfkit.cli import cli
from perfkit.data import loading
from perfkit.data.writers import write_dataset
from perfkit.forms import collect_forms, make_forms
from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring import results
from perfkit.scoring.scores import score_dataset

MOF = load_rulebook()
#: what no file perfkit writes may hold: the classes of badtext, as a pattern of its own (the
#: test does not use the code's declaration)
BAD = re.compile("[" + "".join(re.escape(c) for c in CLASSES.values()) + "]")
#: what JSON may not hold raw: the classes beyond C0 (json escapes C0 itself)
RAW_IN_JSON = re.compile("[\x7f\x85\x9b\ufdd0\ufffe\uffff\U0001fffe\U0010ffff\ud800]")
MESSAGE_ALL = (
    "文字中有看不见的控制字符或非字符（\\x00、\\x01、\\x0b、\\x1b、\\x1f、\\x7f、\\x85、\\x9b、\\ufdd0、"
    "\\ufffe、\\uffff、\\U0001fffe、\\U0010ffff）：perfkit 读取时已去掉，按其余文字处理；"
    "写出的文件中也不含这些字符。"
)


def _invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _strict_files(folder: Path) -> None:
    """Every file under ``folder`` decodes as UTF-8 strictly and holds none of the classes; an
    .xlsx's XML parts parse (expat refuses what XML 1.0 forbids) and hold none either."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            _strict_workbook(path)
            continue
        text = path.read_bytes().decode("utf-8")
        assert not BAD.search(text), (path, BAD.findall(text))


def _strict_workbook(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                data = archive.read(name)
                ET.fromstring(data)  # raises on a character XML 1.0 forbids
                text = data.decode("utf-8")
                assert not BAD.search(text), (path.name, name, BAD.findall(text))
    load_workbook(path)  # and openpyxl opens it, styles and all


# --- the policy ---------------------------------------------------------------------------------


def test_clean_removes_every_class_and_keeps_tab_and_line_breaks():
    from perfkit.core.text import clean

    assert clean("市" + ALL + "智慧\t审判\r\n中心\u200b") == "市智慧\t审判\r\n中心\u200b"
    for name, char in CLASSES.items():
        assert clean(f"a{char}b") == "ab", name
    # what is text stays: ordinary controls' neighbours, the replacement character, U+FFFD
    assert (
        clean("\x20\x7e\xa0\ufffd\U0001fffd\U0010fffd") == "\x20\x7e\xa0\ufffd\U0001fffd\U0010fffd"
    )


def test_shown_writes_each_character_as_an_escape():
    from perfkit.core.text import shown

    assert shown("市" + ALL_IN_FILES + "中心") == "市" + ALL_IN_FILES_SHOWN + "中心"
    assert shown("第一行\n第二行\t完\r") == "第一行\\n第二行\\t完\\r"
    assert shown("\u202e反向\u2066") == "\\u202e反向\\u2066"
    assert shown("\ud800") == "\\ud800"


def test_json_text_is_strict_and_keeps_text_exact():
    from perfkit.core.text import json_text

    out = json_text({"名称": "市" + ALL + "中心", "分": float("nan"), "列": [float("inf"), 1.5]})
    assert not RAW_IN_JSON.search(out)
    back = json.loads(out, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    # exact, but for the lone surrogate, which UTF-8 cannot hold: U+FFFD
    assert back == {
        "名称": "市" + ALL.replace("\ud800", "\ufffd") + "中心",
        "分": None,
        "列": [None, 1.5],
    }
    assert out.encode("utf-8").decode("utf-8") == out


# --- reading: removed, and a warning for each cell -----------------------------------------------


def test_validate_warns_for_every_spoiled_cell_and_quotes_it_exactly(tmp_path):
    data = spoiled_tables()
    folder = write_folder(tmp_path / "d", data)
    result = _invoke("validate", folder, "--format", "json")
    assert result.exit_code == 0, result.output
    assert not RAW_IN_JSON.search(result.output)
    problems = [p for p in json.loads(result.stdout) if p["code"] == "forbidden_characters"]
    expected = set()
    for name, columns in TEXT_COLUMNS.items():
        header, *rows = data[name]
        for column in columns:
            at = header.index(column)
            for excel_row, row in enumerate(rows, start=2):
                if row[at]:
                    expected.add((f"{name}.csv", excel_row, column, row[at]))
    assert {(p["file"], p["row"], p["column"], p["value"]) for p in problems} == expected
    assert {p["severity"] for p in problems} == {"warning"}
    assert {p["message"] for p in problems} == {MESSAGE_ALL}
    # the unit, and the indicator of an indicator's cell
    first = next(
        p for p in problems if p["file"] == "indicators.csv" and p["column"] == "年度指标值"
    )
    assert (first["unit_code"], first["level3"], first["year"]) == (
        "A01",
        "办结案件数",  # the 三级指标 as read, without the characters
        2022,
    )


def test_the_listing_quotes_the_value_with_escapes(tmp_path):
    data = tables()
    data["units"][1][1] = spoil("市智慧审判保障中心")  # A01's 单位名称, Excel row 2
    result = _invoke("validate", write_folder(tmp_path / "d", data))
    assert result.exit_code == 0, result.output
    line = (
        f"  - units.csv，第2行，列「单位名称」（单位编码 A01）："
        f"值“市{ALL_IN_FILES_SHOWN}智慧审判保障中心”：{MESSAGE_ALL}"
    )
    assert line in result.output.splitlines()
    assert not BAD.search(result.output)


def test_a_spoiled_dataset_reads_and_scores_as_the_clean_one(tmp_path):
    clean = loading.load(write_folder(tmp_path / "clean", tables()))
    spoiled = loading.load(write_folder(tmp_path / "spoiled", spoiled_tables()))
    for table in ("units", "budget", "indicators", "goals", "monthly"):
        pd.testing.assert_frame_equal(getattr(spoiled, table), getattr(clean, table))
    a, b = score_dataset(clean, MOF), score_dataset(spoiled, MOF)
    # the same scores; the warnings are the spoiled dataset's only findings of its own
    pd.testing.assert_frame_equal(
        a.units.drop(columns="n_findings"), b.units.drop(columns="n_findings")
    )
    pd.testing.assert_frame_equal(a.indicators, b.indicators)
    extra = b.findings[b.findings["kind"] == "data_warning"]
    assert set(extra["code"]) == {"forbidden_characters"}


def test_a_workbook_cell_reads_as_excel_shows_it(tmp_path):
    data = tables()
    # Excel stores U+0001 as "_x0001_" (OOXML); C1, DEL and non-characters as themselves; a
    # literal "_x0041_" as "_x005F_x0041_"; a pasted line break's CR as "_x000D_"
    data["units"][1][1] = "市_x0001_智慧审判保障中心"
    data["units"][2][1] = "市\x85\x7f\ufdd0\U0001fffe公共阅读服务中心"
    data["goals"][1][2] = "编号_x005F_x0041_"
    data["goals"][1][3] = "第一行_x000D_\n第二行"
    path = write_workbook(tmp_path / "d.xlsx", data)
    result = _invoke("validate", path, "--format", "json")
    assert result.exit_code == 0, result.output
    found = [(p["file"], p["row"], p["value"]) for p in json.loads(result.stdout)]
    assert found == [
        ("d.xlsx[单位信息]", 2, "市\x01智慧审判保障中心"),
        ("d.xlsx[单位信息]", 3, "市\x85\x7f\ufdd0\U0001fffe公共阅读服务中心"),
    ]
    ds = loading.load(path)
    assert ds.units["unit_name"].tolist() == ["市智慧审判保障中心", "市公共阅读服务中心"]
    assert ds.goals["expected"].tolist()[0] == "编号_x0041_"
    assert ds.goals["achieved"].tolist()[0] == "第一行\r\n第二行"


def test_narratives_and_the_datasets_name_are_read_without_them(tmp_path):
    folder = write_folder(
        tmp_path / "d",
        narratives={"narratives/2022/A01.md": "## 绩效实现情况\n\n办结案件\x01 230 余件\ufffe。\n"},
        toml='name = "测试\\u0001数据集"\nfictional = true\n',
    )
    result = _invoke("validate", folder, "--format", "json")
    assert result.exit_code == 0, result.output
    found = [
        (p["file"], p["row"], p["column"], p["value"], p["unit_code"], p["year"])
        for p in json.loads(result.stdout)
    ]
    assert found == [  # files outside the tables by name
        ("dataset.toml", None, "name", "测试\x01数据集", None, None),
        ("narratives/2022/A01.md", 3, None, "办结案件\x01 230 余件\ufffe。", "A01", 2022),
    ]
    ds = loading.load(folder)
    assert "办结案件 230 余件。" in ds.narratives[(2022, "A01")].achievements
    assert ds.name == "测试数据集"


# --- every writer ---------------------------------------------------------------------------------


def _dirty_dataset():
    """A dataset made in Python (not read: nothing removed yet), every text with every class, a
    lone surrogate included; unit U1 with a project P1."""
    bad = ALL

    def t(text: str) -> str:
        return spoil(text, bad)

    budget = [
        budget_row("U1", item=t("人员经费"), adjusted=100, executed=90, fund_source=t("财政拨款")),
        {
            **budget_row("U1", item=t("设备购置"), adjusted=50, executed=50),
            "project_code": "P1",
            "expense_type": t("项目支出"),
        },
    ]
    indicators = [
        indicator_row("U1", t("办结案件数"), t("≥150件"), t("230余件"), 50, 50, reason=t("原因")),
        indicator_row(
            "U1", t("网络安全"), t("效果明显"), t("达成年度指标"), 40, level1=t("效益指标")
        ),
        {**indicator_row("U1", t("设备到位率"), "≥95%", t("100%"), 90), "project_code": "P1"},
    ]
    goals = [
        {"year": 2022, "unit_code": "U1", "expected": t("保障运行"), "achieved": t("已完成")},
        {
            "year": 2022,
            "unit_code": "U1",
            "project_code": "P1",
            "expected": t("购置设备"),
            "achieved": t("已到位"),
        },
    ]
    units = [{"unit_code": "U1", "unit_name": t("市智慧审判保障中心"), "department": t("市法院")}]
    projects = [
        {
            "unit_code": "U1",
            "project_code": "P1",
            "project_name": t("设备购置项目"),
            "manager": t("张三"),
        }
    ]
    ds = make_dataset(
        units=units, budget=budget, indicators=indicators, goals=goals, projects=projects
    )
    ds.narratives[(2022, "U1")] = t("## 绩效实现情况\n\n办结案件 230 余件。\n")
    return ds


def _texts(ds) -> set[str]:
    """Every text value of a dataset's tables and narratives."""
    out = set()
    for table in ("units", "budget", "indicators", "goals", "projects"):
        frame = getattr(ds, table)
        for column in frame.columns:
            out |= {v for v in frame[column].tolist() if isinstance(v, str)}
    return out


@pytest.mark.parametrize("out", ["folder", "book.xlsx"])
def test_write_dataset_writes_none_of_them(tmp_path, out):
    ds = _dirty_dataset()
    written = write_dataset(ds, tmp_path / out)
    _strict_files(tmp_path)
    back = loading.load(written)
    assert [p.code for p in back.warnings if p.code == "forbidden_characters"] == []
    assert back.units["unit_name"].tolist() == ["市智慧审判保障中心"]
    assert "办结案件数" in back.indicators["level3"].tolist()
    assert back.projects["project_name"].tolist() == ["设备购置项目"]
    assert "办结案件 230 余件。" in back.narratives[(2022, "U1")].achievements
    assert not any(BAD.search(v) for v in _texts(back))


@pytest.mark.parametrize("out", ["back", "back.xlsx"])
def test_perfkit_export_of_a_spoiled_dataset_reads_back(tmp_path, out):
    source = write_folder(tmp_path / "d", spoiled_tables())
    result = _invoke("export", source, "--out", tmp_path / "o" / out)
    assert result.exit_code == 0, result.output
    _strict_files(tmp_path / "o")
    again = _invoke("validate", tmp_path / "o" / out, "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == []
    assert loading.load(tmp_path / "o" / out).units["unit_name"].tolist()[0] == "市智慧审判保障中心"


def test_forms_make_of_a_spoiled_dataset_writes_every_form(tmp_path):
    source = write_folder(tmp_path / "d", spoiled_tables())
    result = _invoke("forms", "make", source, "--year", "2022", "--out", tmp_path / "forms")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "forms").iterdir()) == ["A01.xlsx", "B02.xlsx"]
    _strict_files(tmp_path / "forms")


@pytest.mark.parametrize("out", ["collected", "collected.xlsx"])
def test_forms_of_every_class_are_made_and_collected(tmp_path, out):
    ds = _dirty_dataset()
    forms = tmp_path / "forms"
    paths = make_forms(ds, 2022, forms, rulebook=MOF)
    assert sorted(p.name for p in paths) == ["U1-P1.xlsx", "U1.xlsx"]
    _strict_files(forms)
    sheet = load_workbook(forms / "U1.xlsx")["自评表"]
    assert sheet["B2"].value == "市智慧审判保障中心"  # 单位名称, right of its label
    result = collect_forms(forms, tmp_path / out)
    _strict_files(tmp_path / out if out == "collected" else tmp_path / "collected.xlsx")
    back = loading.load(result.out)
    assert not any(BAD.search(v) for v in _texts(back))
    assert back.units["unit_name"].tolist() == ["市智慧审判保障中心"]
    assert sorted(back.indicators["level3"]) == ["办结案件数", "网络安全", "设备到位率"]


def test_a_returned_form_cell_is_a_warning_at_its_cell(tmp_path):
    forms = tmp_path / "forms"
    make_forms(loading.load(write_folder(tmp_path / "d", tables())), 2022, forms)
    wb = load_workbook(forms / "A01.xlsx")
    ws = wb["自评表"]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "230余件")
    # typed by a unit: a C1 character, and U+0001 as Excel stores it
    cell.value = "230余件\x85_x0001_"
    wb.save(forms / "A01.xlsx")
    result = collect_forms(forms, tmp_path / "out")
    found = [(p.file, p.cell, p.value, p.code, p.severity) for p in result.warnings]
    assert ("A01.xlsx", f"自评表!{cell.coordinate}", "230余件\x85\x01", "forbidden_characters",
            "warning") in found  # fmt: skip
    assert "230余件" in loading.load(tmp_path / "out").indicators["actual"].tolist()


def test_score_csv_and_json_write_none_of_them_raw(tmp_path):
    scores = score_dataset(_dirty_dataset(), MOF)
    csv_text = results.to_csv(scores)
    assert not BAD.search(csv_text)
    assert "市智慧审判保障中心" in csv_text
    out = results.to_json(scores)
    assert not RAW_IN_JSON.search(out)
    records = json.loads(out, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    # JSON keeps the text exact (a lone surrogate, which UTF-8 cannot hold, as U+FFFD)
    assert records[0]["unit_name"] == spoil("市智慧审判保障中心", ALL.replace("\ud800", "\ufffd"))


def test_score_and_validate_json_on_the_command_line(tmp_path):
    source = write_folder(tmp_path / "d", spoiled_tables())
    for args in (("score", source, "--format", "json"), ("validate", source, "--format", "json")):
        result = _invoke(*args)
        assert result.exit_code == 0, result.output
        assert not RAW_IN_JSON.search(result.output), args
        json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    csv_out = _invoke("score", source, "--format", "csv").output
    assert not BAD.search(csv_out)


def test_an_error_page_holds_none_of_them():
    from perfkit.rendering.htmlexport import error_page

    page = error_page(
        title=spoil("市智慧审判保障中心", ALL),
        unit_code="U1",
        unit_name=spoil("市智慧审判保障中心", ALL),
        year=2022,
        error=spoil("ValueError: 无法读取“≥150件”", ALL),
        notebook=None,
    )
    assert not BAD.search(page)
    page.encode("utf-8")  # no lone surrogate
    assert "市智慧审判保障中心" in page and "无法读取“≥150件”" in page


@pytest.mark.slow
def test_a_report_of_a_spoiled_dataset_holds_none_of_them(tmp_path):
    from perfkit import export_report

    source = write_folder(tmp_path / "d", spoiled_tables())
    page = export_report(source, 2022, "A01", out=tmp_path / "reports")
    html = page.read_text(encoding="utf-8")
    assert not BAD.search(html)
    assert "市智慧审判保障中心" in html and "办结案件数" in html
    shutil.rmtree(tmp_path / "reports")
