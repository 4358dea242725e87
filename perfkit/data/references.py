"""References across tables: every 单位编码 is a unit of ``units``, every 项目编码 a project of its
unit in ``projects`` (issue 11), and narratives name a valid year, unit and project.
"""

from __future__ import annotations

import numpy as np

from perfkit.core.problems import Problem
from perfkit.data import schemas
from perfkit.data.contract import NARRATIVE_DIR, project_code_problem, unit_code_problem
from perfkit.data.readers import RawDataset, RawNarrative, RawTable
from perfkit.data.rows import row_context

# --- codes --------------------------------------------------------------------------------


def known_units(units: RawTable) -> set[str] | None:
    """The unit codes listed in units, or None when units could not be read."""
    return set(units.values("unit_code")) if units.has("unit_code") else None


def unit_references(raw: RawDataset, known: set[str] | None) -> list[Problem]:
    if known is None:
        return []
    units_file = raw.tables["units"].file
    problems = []
    for name in ("budget", "indicators", "goals", "monthly", "projects", "reviews"):
        t = raw.tables[name]
        if not t.has("unit_code"):
            continue
        values, codes = t.values("unit_code"), t.codes("unit_code")
        unknown = [
            i
            for i, (v, ok) in enumerate(zip(values, schemas.valid_code_values(t), strict=True))
            if ok and v not in known
        ]
        problems += [
            Problem(
                t.file,
                f"单位编码在 {units_file} 中不存在。",
                int(t.rows[pos]),
                t.headers["unit_code"],
                values[codes[pos]],
                code="unknown_unit_code",
                **schemas.context(t, pos),
            )
            for pos in np.flatnonzero(np.isin(codes, unknown))
        ]
    return problems


def known_projects(raw: RawDataset) -> set[tuple[str, str]]:
    """The (单位编码, 项目编码) pairs listed in projects (none when the table is absent)."""
    t = raw.tables["projects"]
    if not t.has("unit_code", "project_code"):
        return set()
    return set(zip(t.column("unit_code").tolist(), t.column("project_code").tolist(), strict=True))


def project_references(raw: RawDataset, known: set[str] | None) -> list[Problem]:
    """A 项目编码 of a budget, indicator or goal row names a project of the row's unit in
    projects (issue 11): otherwise the row belongs to no 自评表 (an error). Rows whose unit code
    is invalid or unknown were reported already."""
    if known is None:
        return []
    projects = known_projects(raw)
    t_projects = raw.tables["projects"]
    where = t_projects.file if t_projects.status != "absent" else "项目信息表（projects）"
    problems = []
    for name in ("budget", "indicators", "goals", "reviews"):
        t = raw.tables[name]
        if not t.has("unit_code", "project_code"):
            continue
        units, codes = t.column("unit_code"), t.column("project_code")
        valid_unit = schemas.valid_code_values(t)[t.codes("unit_code")]
        valid_project = schemas.valid_codes(t.values("project_code"))[t.codes("project_code")]
        for pos in np.flatnonzero((codes != "") & valid_unit & valid_project):
            unit, project = units[pos], codes[pos]
            if unit not in known or (unit, project) in projects:
                continue
            problems.append(
                Problem(
                    t.file,
                    f"项目编码在 {where} 中不存在（应为单位 {unit} 的项目之一；"
                    "不属于任何项目的行请留空项目编码）。",
                    int(t.rows[pos]),
                    t.headers["project_code"],
                    project,
                    code="unknown_project_code",
                    **row_context(t, int(pos)),
                    **({} if name in ("indicators", "reviews") else {"unit_code": unit}),
                )
            )
    return problems


# --- narratives --------------------------------------------------------------------------------


def narratives(raw: RawDataset, known: set[str] | None) -> list[Problem]:
    """Narratives name a valid year, a unit of units and, for a project's narrative
    (``narratives/<年度>/<单位编码>/<项目编码>.md``, or a 叙述 row with a 项目编码), a project of
    that unit in projects; one narrative per unit (or project) and year."""
    problems = []
    seen: dict[tuple[str, str, str], str] = {}
    projects = known_projects(raw)
    for n in raw.narratives:
        year_column = n.headers.get("year")
        code_column = n.headers.get("unit_code")
        project_column = n.headers.get("project_code")
        where = f"第{n.row}行" if n.row else n.file
        code_problem = unit_code_problem(n.unit_code)
        project_problem = project_code_problem(n.project_code) if n.project_code else None

        def problem(
            message: str, column: str | None, value: str, code: str, n: RawNarrative = n
        ) -> None:
            problems.append(
                Problem(
                    n.file,
                    message,
                    n.row,
                    column,
                    value,
                    code=code,
                    unit_code=n.unit_code or None,
                    project_code=n.project_code or None,
                )
            )

        if np.isnan(schemas.parse_years([n.year])[0]):
            message = str(schemas.FOUR_DIGIT_YEAR.error)
            if n.row is None:
                message += f"（叙述文件应放在 {NARRATIVE_DIR}/<年度>/<单位编码>.md）"
            problems.append(
                Problem(n.file, message, n.row, year_column, n.year, code="narrative_bad_year")
            )
        elif code_problem is not None:
            check = (
                schemas.SAFE_UNIT_CODE
                if code_problem == "bad_unit_code"
                else schemas.NOT_RESERVED_UNIT_CODE
            )
            problems.append(
                Problem(
                    n.file,
                    str(check.error),
                    n.row,
                    code_column,
                    n.unit_code,
                    code=f"narrative_{code_problem}",
                )
            )
        elif known is not None and n.unit_code not in known:
            message = f"单位编码在 {raw.tables['units'].file} 中不存在。"
            problems.append(
                Problem(
                    n.file,
                    message,
                    n.row,
                    code_column,
                    n.unit_code,
                    code="narrative_unknown_unit_code",
                )
            )
        elif project_problem is not None:
            check = (
                schemas.SAFE_PROJECT_CODE
                if project_problem == "bad_project_code"
                else schemas.NOT_RESERVED_PROJECT_CODE
            )
            problem(
                str(check.error), project_column, n.project_code, f"narrative_{project_problem}"
            )
        elif n.project_code and (n.unit_code, n.project_code) not in projects:
            t = raw.tables["projects"]
            table = t.file if t.status != "absent" else "项目信息表（projects）"
            problem(
                f"项目编码在 {table} 中不存在（应为单位 {n.unit_code} 的项目之一）。",
                project_column,
                n.project_code,
                "narrative_unknown_project_code",
            )
        else:
            key = (str(int(schemas.parse_years([n.year])[0])), n.unit_code, n.project_code)
            if key in seen:
                whose = f"项目 {n.project_code} " if n.project_code else "该单位 "
                message = f"{whose}{key[0]} 年度的叙述重复（已有{seen[key]}）。"
                problems.append(
                    Problem(
                        n.file,
                        message,
                        n.row,
                        project_column if n.project_code else code_column,
                        n.project_code or n.unit_code,
                        code="narrative_duplicate",
                        project_code=n.project_code or None,
                    )
                )
            seen.setdefault(key, where)
    return problems
