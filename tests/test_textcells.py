"""Text that looks like a spreadsheet formula (CSV injection): kept as text, flagged, written to
CSV with a leading apostrophe and read back unchanged (perfkit/data/textcells.py)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from csvdata import tables
from openpyxl import load_workbook

from perfkit.data import loading
from perfkit.data.readers import read_dataset
from perfkit.data.textcells import escape_csv_cell, looks_like_formula, unescape_csv_cell
from perfkit.data.validation import validate
from perfkit.data.writers import export, write_dataset
from perfkit.forms import collect_forms, make_forms
from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring import results
from perfkit.scoring.scores import score_dataset

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
MOF = load_rulebook()
DDE = '@SUM(1+1)*cmd|" /C calc"!A0'
LINK = '=HYPERLINK("http://x","点击")'


def write_folder(folder: Path, data) -> Path:
    """The tables as CSV files, quoted the way Excel quotes them."""
    folder.mkdir(parents=True)
    for name, rows in data.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
    return folder


@pytest.mark.parametrize(
    "text",
    [DDE, LINK, "=SUM(A1:A3)", "=1+1", "+cmd|' /C calc'!A0", "-2+3", "@foo", "\t=1+1",
     "\r@x", "-项目说明", "=A1"],
)  # fmt: skip
def test_formulas_are_flagged(text):
    assert looks_like_formula(text)


@pytest.mark.parametrize(
    "text",
    ["-5%", "-", "--", "—", "=", "+3个百分点", "=0次", "=100%", "-5", "+3.5", "-1,200.50",
     "≥150件", "市智慧审判保障中心", "", "'=x", "a=b", "10-20"],
)  # fmt: skip
def test_targets_numbers_and_placeholders_are_not_flagged(text):
    assert not looks_like_formula(text)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        (LINK, "'" + LINK),
        (DDE, "'" + DDE),
        ("=0次", "'=0次"),  # not flagged, but Excel would still take it for a formula
        ("+3个百分点", "'+3个百分点"),
        ("-5", "-5"),  # a plain number: Excel reads a number
        ("-5%", "-5%"),
        ("-1,200.50", "-1,200.50"),
        ("-", "'-"),
        ("\t=1", "'\t=1"),
        ("'=x", "''=x"),  # already starts with an apostrophe: one more, so that it round-trips
        ("''+x", "'''+x"),
        ("'-5", "''-5"),
        ("'abc", "'abc"),
        ("'", "'"),
        ("abc", "abc"),
        ("", ""),
    ],
)
def test_escape_and_unescape_round_trip(text, written):
    assert escape_csv_cell(text) == written
    assert unescape_csv_cell(written) == text


def test_formula_cells_are_warnings_naming_the_cell(tmp_path):
    data = tables()
    data["units"][1][1] = DDE  # A01's 单位名称, Excel row 2
    data["indicators"][1][4] = LINK  # A01's first 三级指标, Excel row 2
    data["goals"][1][2] = "-5%"  # not flagged
    problems = validate(read_dataset(write_folder(tmp_path / "d", data)), MOF)
    assert [(p.file, p.row, p.column, p.value, p.code, p.severity) for p in problems] == [
        ("units.csv", 2, "单位名称", DDE, "formula_text", "warning"),
        ("indicators.csv", 2, "三级指标", LINK, "formula_text", "warning"),
    ]
    assert problems[1].unit_code == "A01" and problems[1].year == 2022
    assert "按原文保留为文字，不作计算" in problems[0].message
    assert "英文单引号" in problems[0].message


def _csv_cells(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _hostile(tmp_path: Path) -> Path:
    data = tables()
    data["units"][1][1] = DDE
    data["indicators"][1][4] = LINK
    # read as "'=已经带引号": a cell that really starts with an apostrophe
    data["goals"][1][3] = "''=已经带引号"
    return write_folder(tmp_path / "hostile", data)


def test_export_escapes_and_reads_back_identically(tmp_path):
    source = loading.load(_hostile(tmp_path))
    out = export(tmp_path / "hostile", tmp_path / "out")
    units = _csv_cells(out / "units.csv")
    assert units[1][1] == "'" + DDE
    assert _csv_cells(out / "indicators.csv")[1][4] == "'" + LINK
    assert _csv_cells(out / "goals.csv")[1][3] == "''=已经带引号"
    # "=0次"-style targets are escaped in the CSV too, and read back as written
    back = loading.load(out)
    for table in ("units", "budget", "indicators", "goals", "monthly"):
        a = getattr(source, table).drop(columns="_row")
        b = getattr(back, table).drop(columns="_row")
        assert a.equals(b), table
    assert back.units["unit_name"].tolist()[0] == DDE
    assert back.goals["achieved"].tolist()[0] == "'=已经带引号"
    # and once more: export of the export is byte-identical
    again = write_dataset(back, tmp_path / "again")
    for name in ("units.csv", "indicators.csv", "goals.csv", "budget.csv"):
        assert (again / name).read_bytes() == (out / name).read_bytes()


def test_workbook_export_keeps_formula_text_as_strings(tmp_path):
    out = export(_hostile(tmp_path), tmp_path / "out.xlsx")
    wb = load_workbook(out)
    assert wb["单位信息"]["B2"].value == DDE
    assert wb["单位信息"]["B2"].data_type == "s"
    assert wb["绩效指标"]["E2"].value == LINK
    assert wb["绩效指标"]["E2"].data_type == "s"
    back = loading.load(out)
    assert back.units["unit_name"].tolist()[0] == DDE
    assert back.indicators["level3"].tolist()[0] == LINK


def test_score_csv_escapes_unit_names(tmp_path):
    ds = loading.load(_hostile(tmp_path))
    rows = list(csv.reader(io.StringIO(results.to_csv(score_dataset(ds, MOF)))))
    assert rows[1][1] == "'" + DDE


def test_forms_collect_keeps_hostile_text_as_text(tmp_path, units_sample_path):
    ds = loading.load(units_sample_path)  # forms carry no projects yet (issue 11 item 5)
    ds.units.loc[ds.units["unit_code"] == "SZ001", "unit_name"] = DDE
    first = ds.indicators.index[ds.indicators["unit_code"] == "SZ001"][0]
    level3 = ds.indicators.loc[first, "level3"]
    ds.indicators.loc[first, "level3"] = LINK
    issued = tmp_path / "issued"
    make_forms(ds, 2022, issued)
    returned = tmp_path / "returned"
    shutil.copytree(issued, returned)
    collect_forms(returned, tmp_path / "collected")
    units = _csv_cells(tmp_path / "collected" / "units.csv")
    assert units[1][:2] == ["SZ001", "'" + DDE]
    indicators = _csv_cells(tmp_path / "collected" / "indicators.csv")
    assert any(row[4] == "'" + LINK for row in indicators)
    back = loading.load(tmp_path / "collected")
    assert back.units.set_index("unit_code").loc["SZ001", "unit_name"] == DDE
    assert LINK in back.indicators["level3"].tolist()
    assert level3 not in back.indicators[back.indicators["unit_code"] == "SZ001"]["level3"].tolist()
    codes = {p.code for p in back.warnings}
    assert codes == {"formula_text"}
