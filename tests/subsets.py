"""Subsets of data/sample, as real publications cut them (issue 16 item 1): every page must render
for any of them.

- :func:`projects_only`: the projects' tables only (the most common real publication: units
  publish 项目支出绩效自评表, few publish a 部门整体 table): no row without a 项目编码, no unit
  narrative, no monthly data; three units' projects in 2022 and two units' in 2021 (the 2022
  rows again); the units and projects tables still list every unit and project;
- :func:`units_only`: three units' 部门整体 tables only (``conftest.write_units_only``, then
  SZ001, SZ002 and SZ008: narratives, monthly data, a unit below 90% execution);
- :func:`one_unit`: SZ001 alone, its 部门整体 table and its two projects;
- :func:`one_project`: SZ013, which has no 部门整体 table, with its project P01 alone;
- :func:`single_rows`: made here: 2021, one unit with one budget row and one indicator row;
  2022, the same unit with only a project of one budget row and one indicator row, and no
  年度总体目标.

Each writes a CSV folder and returns its path. Files are read and written as data/sample has
them (UTF-8 with BOM, CRLF); rows are only dropped or copied, never changed, except the year of
the copied 2021 rows in :func:`projects_only`.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

from conftest import SAMPLE, write_units_only

#: the tables whose rows belong to a unit, a year and (when 项目编码 is filled) a project
ROW_TABLES = ("budget.csv", "indicators.csv", "goals.csv", "monthly.csv", "reviews.csv")
#: the units whose projects :func:`projects_only` keeps (7 projects), and those of them whose
#: 2022 projects it repeats as 2021 (5 projects)
PROJECT_UNITS = ("SZ001", "SZ002", "SZ003")
EARLIER_UNITS = ("SZ001", "SZ003")
#: the units :func:`units_only` keeps
UNITS_ONLY = ("SZ001", "SZ002", "SZ008")


def read(folder: Path, name: str) -> list[list[str]]:
    with open(folder / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write(folder: Path, name: str, table: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(table)
    (folder / name).write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


def _keep(out: Path, name: str, keep: Callable[[dict[str, str]], bool]) -> None:
    """Keep the rows of ``name`` for which ``keep(row as {header: value})`` is true (a table the
    folder does not have, e.g. reviews.csv in :func:`units_only`, stays absent)."""
    if not (out / name).exists():
        return
    table = read(out, name)
    head = table[0]
    write(out, name, [head, *[r for r in table[1:] if keep(dict(zip(head, r, strict=False)))]])


def _copy(out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(SAMPLE, out)
    return out


def projects_only(out: Path) -> Path:
    """Three units' projects in 2022 and two units' in 2021, no 部门整体 row."""
    _copy(out)
    for name in ROW_TABLES:
        _keep(out, name, lambda r: bool(r.get("项目编码", "")) and r["单位编码"] in PROJECT_UNITS)
    for name in ("budget.csv", "indicators.csv", "goals.csv"):
        table = read(out, name)
        at, unit = table[0].index("年度"), table[0].index("单位编码")
        earlier = [[*r[:at], "2021", *r[at + 1 :]] for r in table[1:] if r[unit] in EARLIER_UNITS]
        write(out, name, [*table, *earlier])
    for narrative in (out / "narratives").glob("*/*.md"):  # the units' own: no 部门整体 table
        narrative.unlink()
    return out


def units_only(out: Path) -> Path:
    """Three units' 部门整体 tables, no project (data/sample as it was before projects)."""
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_units_only(out)
    for name in ("units.csv", *ROW_TABLES):
        _keep(out, name, lambda r: r["单位编码"] in UNITS_ONLY)
    for narrative in (out / "narratives").glob("*/*.md"):
        if narrative.stem not in UNITS_ONLY:
            narrative.unlink()
    return out


def one_unit(out: Path, unit: str = "SZ001") -> Path:
    """One unit of data/sample with everything it has (its 部门整体 table and its projects)."""
    _copy(out)
    for name in ("units.csv", "projects.csv", *ROW_TABLES):
        _keep(out, name, lambda r: r["单位编码"] == unit)
    for narrative in (out / "narratives").glob("*/*"):
        if narrative.stem != unit:
            (shutil.rmtree if narrative.is_dir() else Path.unlink)(narrative)
    return out


def one_project(out: Path, unit: str = "SZ013", project: str = "P01") -> Path:
    """One project of a unit that has no 部门整体 table (SZ013), and nothing else."""
    one_unit(out, unit)
    for name in ("projects.csv", *ROW_TABLES):
        _keep(out, name, lambda r: r.get("项目编码", "") in ("", project))
    for narrative in (out / "narratives").glob(f"*/{unit}/*.md"):
        if narrative.stem != project:
            narrative.unlink()
    return out


#: :func:`single_rows`' figures, worked out by hand (mof2020): 2021, the unit: 全年预算数 200,
#: 执行 190 → 95.00%, 9.50 分; "≥100件" done "120件" of 分值 90 → 90; total 99.50 优.
#: 2022, the project: 全年预算数 50, 执行 40 → 80.00%, 8.00 分; "≥20次" done "15次" of 分值 90 →
#: 90 × 15 / 20 = 67.50; total 75.50 中.
SINGLE_ROWS = {
    "units.csv": """\
单位编码,单位名称,主管部门
U01,单行测试中心,测试局""",
    "projects.csv": """\
单位编码,项目编码,项目名称
U01,P01,单行测试项目""",
    "budget.csv": """\
年度,单位编码,项目编码,资金来源,支出类型,项目,年初预算数,全年预算数,全年执行数
2021,U01,,财政拨款,基本支出,人员经费,200,200,190
2022,U01,P01,财政拨款,项目支出,测试经费,50,50,40""",
    "indicators.csv": """\
年度,单位编码,项目编码,一级指标,二级指标,三级指标,年度指标值,实际完成值,分值,得分
2021,U01,,产出指标,数量指标,办结件数,≥100件,120件,90,90
2022,U01,P01,产出指标,数量指标,开展活动次数,≥20次,15次,90,""",
    "goals.csv": """\
年度,单位编码,项目编码,预期目标,实际完成情况
2021,U01,,完成年度工作,已完成""",
}


def single_rows(out: Path) -> Path:
    """A year of one budget row and one indicator row (a unit's), and a year of one project with
    one of each: figures in :data:`SINGLE_ROWS`."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name, table in SINGLE_ROWS.items():
        write(out, name, list(csv.reader(table.splitlines())))
    return out


#: name → builder, for parametrised tests
SUBSETS: dict[str, Callable[[Path], Path]] = {
    "projects_only": projects_only,
    "units_only": units_only,
    "one_unit": one_unit,
    "one_project": one_project,
    "single_rows": single_rows,
}
