"""Writing a dataset in the contract (CSV folder or one workbook) and ``perfkit export``."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pandas as pd
import pytest
from factories import budget_row, indicator_row, make_dataset
from openpyxl import load_workbook

from perfkit.core.problems import UsageError
from perfkit.data import loading
from perfkit.data.writers import export, format_number, write_dataset
from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring.results import to_csv
from perfkit.scoring.scores import score_dataset

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
RB = load_rulebook()


@pytest.fixture(scope="module")
def sample():
    return loading.load(SAMPLE)


def _same_scores(a, b) -> None:
    for frame in ("units", "projects", "indicators"):
        fa = getattr(score_dataset(a, RB), frame).drop(columns="_row", errors="ignore")
        fb = getattr(score_dataset(b, RB), frame).drop(columns="_row", errors="ignore")
        pd.testing.assert_frame_equal(fa.reset_index(drop=True), fb.reset_index(drop=True))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12.0, "12"),
        (436.5, "436.5"),
        (0.1, "0.1"),
        (0.1 + 0.2, "0.30000000000000004"),  # exact: reads back to the same float
        (1e-7, "0.0000001"),
        (1e20, "100000000000000000000"),
        (-2.5, "-2.5"),
        (float("nan"), ""),
        (None, ""),
        (" 3 ", "3"),
    ],
)
def test_format_number(value, expected):
    assert format_number(value) == expected
    if expected and not isinstance(value, str):
        assert float(expected) == value


def test_csv_folder(sample, tmp_path):
    out = write_dataset(sample, tmp_path / "out")
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "FICTIONAL", "budget.csv", "dataset.toml", "goals.csv", "indicators.csv", "monthly.csv",
        "narratives", "projects.csv", "reviews.csv", "units.csv",
    ]  # fmt: skip
    raw = (out / "indicators.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel's "CSV UTF-8"
    header = raw[3:].decode("utf-8").splitlines()[0]
    assert header == (
        "年度,单位编码,项目编码,一级指标,二级指标,三级指标,年度指标值,实际完成值,分值,得分,"
        "偏差原因分析及改进措施"
    )
    assert "fictional = true" in (out / "dataset.toml").read_text("utf-8")
    assert sorted(p.name for p in (out / "narratives" / "2022").iterdir()) == [
        "SZ001", "SZ001.md", "SZ002.md", "SZ008.md", "SZ009.md", "SZ013",
    ]  # fmt: skip
    assert (out / "narratives" / "2022" / "SZ013" / "P01.md").is_file()
    back = loading.load(out)
    _same_scores(sample, back)
    assert back.fictional
    assert back.narratives == sample.narratives
    assert back.project_narratives == sample.project_narratives
    pd.testing.assert_frame_equal(back.projects, sample.projects)
    pd.testing.assert_frame_equal(back.reviews, sample.reviews)  # the 10 review rows
    assert len(back.reviews) == 10
    # amounts are written as typed values read back exactly: 436.50 in the sample → "436.5"
    assert "2022,SZ001,,财政拨款,基本支出,人员经费,420,436.5,433.9" in (
        out / "budget.csv"
    ).read_text("utf-8-sig")


def test_workbook(sample, tmp_path):
    out = write_dataset(sample, tmp_path / "data.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == [
        "单位信息", "预算执行", "绩效指标", "年度总体目标", "月度执行", "项目信息", "复核",
        "叙述", "dataset",
    ]  # fmt: skip
    ws = wb["预算执行"]
    assert [c.value for c in ws[1]][:4] == ["年度", "单位编码", "项目编码", "资金来源"]
    assert ws["H2"].value == 436.5 and ws["A2"].value == 2022  # numbers stay numbers
    targets = [c for (c,) in wb["绩效指标"].iter_rows(min_row=2, min_col=7, max_col=7)]
    zero = next(c for c in targets if c.value == "=0次")
    assert zero.data_type == "s"  # a target, not a formula
    meta = {r[0]: r[1] for r in wb["dataset"].iter_rows(min_row=2, values_only=True)}
    assert meta["fictional"] is True
    back = loading.load(out)
    _same_scores(sample, back)
    pd.testing.assert_frame_equal(back.reviews, sample.reviews)
    # the reader strips a cell's trailing line break, so compare the sections, not the source
    assert _sections(back.narratives) == _sections(sample.narratives)
    assert _sections(back.project_narratives) == _sections(sample.project_narratives)
    assert back.fictional


def _sections(narratives):
    return {k: dataclasses.replace(n, source="") for k, n in narratives.items()}


def test_export_folder_to_workbook_and_back(sample, tmp_path):
    first = write_dataset(sample, tmp_path / "first")
    export(first, tmp_path / "data.xlsx")
    export(tmp_path / "data.xlsx", tmp_path / "second")
    for name in ("units.csv", "budget.csv", "indicators.csv", "goals.csv", "monthly.csv"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()
    _same_scores(sample, loading.load(tmp_path / "second"))


def test_codes_with_leading_zeros_stay_text(tmp_path):
    ds = make_dataset(
        budget=[budget_row("007", adjusted=10, executed=9)],
        indicators=[indicator_row("007", "办件数", "≥10件", "12件", 90)],
        goals=[{"year": 2022, "unit_code": "007", "expected": "办好事", "achieved": "办好了"}],
    )
    for out in (tmp_path / "d.xlsx", tmp_path / "d"):
        back = loading.load(write_dataset(ds, out))
        assert back.units["unit_code"].tolist() == ["007"]
        assert back.indicators["unit_code"].tolist() == ["007"]
    assert not (tmp_path / "d" / "monthly.csv").exists()  # an optional table left empty


def test_replaces_a_dataset_but_never_another_folder(sample, tmp_path):
    other = tmp_path / "documents"
    other.mkdir()
    (other / "letter.docx").write_bytes(b"keep me")
    with pytest.raises(UsageError, match="不是 perfkit 数据集"):
        write_dataset(sample, other)
    assert (other / "letter.docx").read_bytes() == b"keep me"

    out = write_dataset(sample, tmp_path / "out")
    (out / "stale.csv").write_text("old", "utf-8")
    write_dataset(sample, out)
    assert not (out / "stale.csv").exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_a_carriage_return_in_a_cell_stays_in_its_cell(tmp_path):
    """A lone CR ("甲\\r乙", as a Mac-era cell can hold) is quoted in every CSV perfkit writes:
    exported and read back, the table has its one row and the cell its text; the score CSV
    parses to one row a unit."""
    ds = make_dataset(
        units=[{"unit_code": "007", "unit_name": "一\r二", "department": "部门\r甲"}],
        budget=[budget_row("007", adjusted=10, executed=9)],
        indicators=[indicator_row("007", "办件\r数", "≥10件", "12件", 90, reason="甲\r乙\r\n丙")],
        goals=[{"year": 2022, "unit_code": "007", "expected": "办好\r事", "achieved": "办好了"}],
    )
    out = write_dataset(ds, tmp_path / "d")
    raw = (out / "indicators.csv").read_bytes().decode("utf-8-sig")
    assert '"办件\r数"' in raw and '"甲\r乙\r\n丙"' in raw  # quoted, whatever the reader
    back = loading.load(out)
    assert back.units["unit_name"].tolist() == ["一\r二"]
    assert back.indicators["level3"].tolist() == ["办件\r数"]
    assert back.indicators["deviation_reason"].tolist() == ["甲\r乙\r\n丙"]
    assert back.goals["expected"].tolist() == ["办好\r事"]
    table = list(csv.reader(io.StringIO(to_csv(score_dataset(back, RB)), newline="")))
    assert len(table) == 2 and table[1][1] == "一\r二"
