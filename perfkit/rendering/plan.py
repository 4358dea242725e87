"""The plan of a render: which reports of which years, from which notebooks, with which
templates and rulebook (checked before anything is written: a bad selection, a missing notebook
or template folder is a usage error, exit code 2)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from perfkit.core.problems import UsageError
from perfkit.report import templating

if TYPE_CHECKING:
    from perfkit.data.dataset import Dataset

#: the notebooks, shipped inside the package (package data; the repository's ``notebooks/`` holds
#: the same files, for JupyterLab: tests/test_packaging.py checks they are equal)
NOTEBOOKS = Path(str(files("perfkit.report").joinpath("notebooks")))
UNIT_NOTEBOOK = "unit_report.ipynb"
OVERVIEW_NOTEBOOK = "overview.ipynb"
PROJECT_NOTEBOOK = "project_report.ipynb"
PROJECTS_NOTEBOOK = "project_overview.ipynb"
#: a 主管部门's page, for years with more than 200 units (perfkit.report.departments)
DEPARTMENT_NOTEBOOK = "department_overview.ipynb"
LEVELS = ("unit", "project", "all")
UNIT_TITLE = "{unit_name} {year}年度 部门（单位）整体支出预算绩效自评报告"
INDEX_TITLE = "{year}年度 部门（单位）整体支出绩效自评 汇总"
PROJECTS_TITLE = "{year}年度 项目支出绩效自评 汇总"


def project_title(unit_name: str, year: int, project_name: str) -> str:
    """A project report's page title (see :func:`perfkit.report.projects.project_page_title`)."""
    from perfkit.report.projects import project_page_title

    return project_page_title(unit_name, year, project_name)


_ProjectEntry = tuple[str, str, str, str]  # unit_code, unit_name, project_code, project_name


@dataclass
class Plan:
    """What to render: per year, the units' 部门整体 reports and the projects' reports."""

    units: dict[int, list[tuple[str, str]]]
    projects: dict[int, list[_ProjectEntry]]

    @property
    def years(self) -> list[int]:
        return sorted(set(self.units) | set(self.projects))


def plan(
    ds: Dataset,
    years: Sequence[int] | None,
    units: Sequence[str] | None,
    level: str = "all",
) -> Plan:
    """The reports to render: per year, the units with their own budget or indicator rows (their
    部门整体 table) and the projects with rows (rows with a 项目编码, issue 11), as ``level``
    chooses ("unit", "project" or "all"). An unknown year or unit code is a usage error."""
    import pandas as pd

    if level not in LEVELS:
        raise UsageError(f"level 应为 unit、project 或 all，而不是“{level}”。")
    keys = ["year", "unit_code", "project_code"]
    pairs = pd.concat([t[keys] for t in (ds.budget, ds.indicators)]).drop_duplicates()
    pairs["project_code"] = pairs["project_code"].fillna("").astype(str)
    have = sorted(int(y) for y in pairs["year"].unique())
    if years:
        wanted_years = sorted({int(y) for y in years})
        missing = [y for y in wanted_years if y not in have]
        if missing:
            raise UsageError(
                f"数据中没有 {'、'.join(map(str, missing))} 年度的记录；"
                f"数据包含的年度：{'、'.join(map(str, have)) or '无'}。"
            )
        pairs = pairs[pairs["year"].isin(wanted_years)]
    if units:
        wanted = list(dict.fromkeys(str(u).strip() for u in units))
        unknown = [u for u in wanted if u not in set(pairs["unit_code"])]
        if unknown:
            raise UsageError(f"所选年度的数据中没有这些单位编码：{'、'.join(unknown)}。")
        pairs = pairs[pairs["unit_code"].isin(wanted)]
    found = Plan({}, {})
    # names looked up once (Dataset.unit_name scans the table: quadratic over 10,000 units);
    # the first row of a code wins, as in Dataset.unit_name
    units_table = ds.units.drop_duplicates("unit_code")
    unit_names = dict(zip(units_table["unit_code"].astype(str),
                          units_table["unit_name"].astype(str), strict=True))  # fmt: skip
    p = ds.projects.drop_duplicates(["unit_code", "project_code"])
    project_names = {
        (str(u), str(c)): str(n)
        for u, c, n in zip(p["unit_code"], p["project_code"], p["project_name"], strict=True)
    }
    own = pairs[pairs["project_code"] == ""]
    if level in ("unit", "all"):
        for year, code in sorted(
            zip(own["year"].astype(int), own["unit_code"].astype(str), strict=True)
        ):
            found.units.setdefault(year, []).append((code, unit_names.get(code, code)))
    if level in ("project", "all"):
        rows = pairs[pairs["project_code"] != ""]
        for year, code, project in sorted(
            zip(rows["year"].astype(int), rows["unit_code"].astype(str),
                rows["project_code"], strict=True)
        ):  # fmt: skip
            entry = (code, unit_names.get(code, code), project,
                     project_names.get((code, project), project))  # fmt: skip
            found.projects.setdefault(year, []).append(entry)
    return found


def units_by_year(
    ds: Dataset, years: Sequence[int] | None, units: Sequence[str] | None
) -> dict[int, list[tuple[str, str]]]:
    """{year: [(unit_code, unit_name)]}: the units with their own 部门整体 rows that year."""
    return plan(ds, years, units, level="unit").units


def project_notebook_paths(unit: Path) -> tuple[Path, Path, Path]:
    """The project notebook, the projects page's and the department page's notebooks: beside the
    unit notebook when there, else the package's."""
    found = []
    for name in (PROJECT_NOTEBOOK, PROJECTS_NOTEBOOK, DEPARTMENT_NOTEBOOK):
        path = unit.parent / name
        if not path.is_file():
            path = NOTEBOOKS / name
        if not path.is_file():
            raise UsageError(f"找不到报告模板笔记本 {path}。")
        found.append(path)
    return found[0], found[1], found[2]


def notebook_paths(notebook: str | os.PathLike[str] | None) -> tuple[Path, Path]:
    """The unit notebook and the overview notebook (beside it, else the repository's)."""
    unit = Path(notebook).resolve() if notebook else NOTEBOOKS / UNIT_NOTEBOOK
    overview = unit.parent / OVERVIEW_NOTEBOOK
    if not overview.is_file():
        overview = NOTEBOOKS / OVERVIEW_NOTEBOOK
    for path in (unit, overview):
        if not path.is_file():
            raise UsageError(f"找不到报告模板笔记本 {path}。")
    return unit, overview


def templates_folder(templates: str | os.PathLike[str] | None) -> str | None:
    """The user's template folder as an absolute path (``templates``, else ``PERFKIT_TEMPLATES``);
    a folder that does not exist is a usage error."""
    given = templates or os.environ.get(templating.ENV_VAR) or None
    if given is None:
        return None
    folders = [Path(p).expanduser().resolve() for p in str(given).split(os.pathsep) if p]
    for folder in folders:
        if not folder.is_dir():
            raise UsageError(f"找不到模板文件夹 {folder}。")
    return os.pathsep.join(str(f) for f in folders) or None


def rules_parameter(rules: str | os.PathLike[str] | None) -> str | None:
    """The notebook's ``rules``: a preset name as given, a rulebook file as an absolute path."""
    if rules is None:
        return None
    path = Path(rules).expanduser()
    return str(path.resolve()) if path.is_file() else str(rules)
