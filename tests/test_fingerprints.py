"""Report fingerprints (issue 12): each covers what its report shows, and nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from perfkit.data import fingerprints
from perfkit.data.loading import load
from tests.csvdata import read_rows, write_rows

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"

pytestmark = pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample")


@pytest.fixture(scope="module")
def sample():
    return load(SAMPLE)


@pytest.fixture
def copy(tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    return folder


def test_every_report_at_once_equals_one_at_a_time(sample):
    every = fingerprints.every_report(sample)
    # 12 units with their own table and SZ013 with projects only; 29 projects
    assert len(every.units) == 13 and len(every.projects) == 29
    for (year, unit), fp in every.units.items():
        assert fp == fingerprints.unit(sample, year, unit)
    for (year, unit, project), fp in every.projects.items():
        assert fp == fingerprints.project(sample, year, unit, project)
    assert every.years == {2022: fingerprints.year(sample, 2022)}
    assert every.project_pages == {2022: fingerprints.year(sample, 2022, projects_only=True)}
    values = [*every.units.values(), *every.projects.values(), every.years[2022]]
    assert len(set(values)) == len(values), "two reports share a fingerprint"


def test_same_files_same_fingerprints(sample):
    again = fingerprints.every_report(load(SAMPLE))
    assert again == fingerprints.every_report(sample)


def _edit(folder: Path, table: str, match: dict[str, str], column: str, value: str) -> None:
    header, rows = read_rows(folder / f"{table}.csv")
    hits = 0
    for row in rows:
        if all(row[header.index(k)] == v for k, v in match.items()):
            row[header.index(column)] = value
            hits += 1
            break
    assert hits == 1, f"no row of {table} matches {match}"
    write_rows(folder / f"{table}.csv", header, rows)


def _changed(before, after) -> set[str]:
    out = {f"{y}/{u}" for (y, u), fp in before.units.items() if after.units.get((y, u)) != fp}
    out |= {
        f"{y}/{u}/{p}"
        for (y, u, p), fp in before.projects.items()
        if after.projects.get((y, u, p)) != fp
    }
    out |= {f"{y}/index" for y, fp in before.years.items() if after.years.get(y) != fp}
    out |= {
        f"{y}/projects"
        for y, fp in before.project_pages.items()
        if after.project_pages.get(y) != fp
    }
    return out


def test_one_indicator_of_a_unit_changes_that_unit_and_its_year_only(sample, copy):
    before = fingerprints.every_report(sample)
    _edit(copy, "indicators", {"单位编码": "SZ002", "项目编码": ""}, "实际完成值", "99余次")
    assert _changed(before, fingerprints.every_report(load(copy))) == {"2022/SZ002", "2022/index"}


def test_a_project_indicator_changes_the_project_its_unit_and_both_pages(sample, copy):
    before = fingerprints.every_report(sample)
    _edit(copy, "indicators", {"单位编码": "SZ003", "项目编码": "P02"}, "得分", "1")
    assert _changed(before, fingerprints.every_report(load(copy))) == {
        "2022/SZ003/P02", "2022/SZ003", "2022/index", "2022/projects",
    }  # fmt: skip


def test_a_monthly_row_changes_the_unit_and_the_index(sample, copy):
    before = fingerprints.every_report(sample)
    _edit(copy, "monthly", {"单位编码": "SZ008", "月份": "3"}, "当月执行数", "12.34")
    assert _changed(before, fingerprints.every_report(load(copy))) == {"2022/SZ008", "2022/index"}


def test_a_unit_name_changes_every_page_that_prints_it(sample, copy):
    before = fingerprints.every_report(sample)
    _edit(copy, "units", {"单位编码": "SZ004"}, "单位名称", "苏州市某某中心（改名）")
    changed = _changed(before, fingerprints.every_report(load(copy)))
    assert changed == {
        "2022/SZ004", "2022/SZ004/P01", "2022/SZ004/P02", "2022/index", "2022/projects",
    }  # fmt: skip


def test_a_narrative_changes_its_report_only(sample, copy):
    before = fingerprints.every_report(sample)
    path = copy / "narratives" / "2022" / "SZ002.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    project = copy / "narratives" / "2022" / "SZ001" / "P01.md"
    project.write_text(project.read_text(encoding="utf-8") + "\n补充。\n", encoding="utf-8")
    assert _changed(before, fingerprints.every_report(load(copy))) == {
        "2022/SZ002", "2022/SZ001/P01",
    }  # fmt: skip


def test_reordering_a_units_rows_changes_it(sample, copy):
    before = fingerprints.every_report(sample)
    header, rows = read_rows(copy / "indicators.csv")
    mine = [i for i, r in enumerate(rows) if r[1] == "SZ006" and r[2] == ""]
    first, second = mine[0], mine[1]
    rows[first], rows[second] = rows[second], rows[first]
    write_rows(copy / "indicators.csv", header, rows)
    assert _changed(before, fingerprints.every_report(load(copy))) == {"2022/SZ006", "2022/index"}


def test_a_department_pages_fingerprint_covers_its_units_only(sample, copy):
    every = fingerprints.every_report(sample)
    some = ["SZ002", "SZ004"]
    fp = fingerprints.units_of_year(every, 2022, some)
    assert fp == fingerprints.year(sample, 2022, units=some) != every.years[2022]
    _edit(copy, "indicators", {"单位编码": "SZ006", "项目编码": ""}, "实际完成值", "1件")
    changed = load(copy)
    assert fingerprints.year(changed, 2022, units=some) == fp
    _edit(copy, "indicators", {"单位编码": "SZ004", "项目编码": ""}, "实际完成值", "2件")
    assert fingerprints.year(load(copy), 2022, units=some) != fp
