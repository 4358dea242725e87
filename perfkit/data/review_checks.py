"""Checks of the ``reviews`` table (复核, issue 17 §3, domain.md §9): what the bureau's
reviewer wrote must be about an indicator of the dataset and readable.

- a review row names an indicator of the dataset: the same 年度, 单位编码, 项目编码 and 三级指标
  as a row of ``indicators`` (``unknown_review_indicator``, an error: a re-check of nothing);
- a 复核完成值 is read with the notation of 实际完成值 (:func:`perfkit.rules.notation.parse`);
  one that cannot be read is an error (``unreadable_review_actual``): the re-checked score is
  the whole point of the row, and perfkit never guesses it. A blank one accepts the unit's value;
- 复核执行数 is given at most once per reviewed table (the unit's 部门整体 table or one
  project's): two different figures for one table are an error (``review_executed_conflict``).

Rows with an invalid or unknown 单位编码 or 项目编码 were reported already (references.py).
"""

from __future__ import annotations

import numpy as np

from perfkit.core.problems import Problem
from perfkit.data import schemas
from perfkit.data.readers import RawDataset, RawTable
from perfkit.data.references import known_projects
from perfkit.data.rows import row_context
from perfkit.rules import notation


def review_problems(raw: RawDataset, known: set[str] | None) -> list[Problem]:
    """Every problem of the reviews table beyond its schema (module docstring)."""
    t = raw.tables["reviews"]
    if not t.has("year", "unit_code", "level3"):
        return []
    return [
        *_unknown_indicators(raw, t, known),
        *_unreadable_actuals(t),
        *_executed_conflicts(t),
    ]


def _keys(t: RawTable) -> list[tuple[str, str, str, str]]:
    """Each row's (年度 as read, 单位编码, 项目编码, 三级指标)."""
    n = len(t.frame)
    project = t.column("project_code") if t.has("project_code") else np.full(n, "", dtype=object)
    years = schemas.typed(t, "year")
    year = ["" if np.isnan(y) else str(int(y)) for y in years]
    return list(
        zip(year, t.column("unit_code"), project, t.column("level3"), strict=True)  # type: ignore[arg-type]
    )


def _unknown_indicators(raw: RawDataset, t: RawTable, known: set[str] | None) -> list[Problem]:
    """Review rows that name no indicator of the dataset."""
    indicators = raw.tables["indicators"]
    if known is None or not indicators.has("year", "unit_code", "level3"):
        return []
    existing = set(_keys(indicators))
    projects = known_projects(raw)
    valid_unit = schemas.valid_code_values(t)[t.codes("unit_code")]
    problems = []
    for pos, (year, unit, project, level3) in enumerate(_keys(t)):
        if not year or not level3 or not valid_unit[pos] or unit not in known:
            continue  # reported by the schema or by the references already
        if project and (unit, project) not in projects:
            continue
        if (year, unit, project, level3) in existing:
            continue
        table = f"项目 {project} 的自评表" if project else "该单位的部门整体自评表"
        problems.append(
            Problem(
                t.file,
                f"{year} 年度{table}中没有三级指标「{level3}」，无法复核：三级指标应与 "
                f"{indicators.file} 中的写法完全相同。",
                int(t.rows[pos]),
                t.headers["level3"],
                level3,
                code="unknown_review_indicator",
                **row_context(t, pos),
            )
        )
    return problems


def _unreadable_actuals(t: RawTable) -> list[Problem]:
    """A 复核完成值 the notation parser cannot read (each distinct text parsed once)."""
    if not t.has("review_actual"):
        return []
    values, codes = t.values("review_actual"), t.codes("review_actual")
    why: dict[int, str] = {}
    for i, text in enumerate(values.tolist()):
        if not text:
            continue
        try:
            notation.parse(text)
        except notation.NotationError as err:
            why[i] = str(err)
    return [
        Problem(
            t.file,
            f"复核完成值无法识别（{why[int(codes[pos])]}），无法计算复核得分；"
            "应按实际完成值的写法填写（如“150件”“95%”“2022年10月”或定性档次），留空表示认可单位自评的完成值。",
            int(t.rows[pos]),
            t.headers["review_actual"],
            values[codes[pos]],
            code="unreadable_review_actual",
            **row_context(t, int(pos)),
        )
        for pos in np.flatnonzero(np.isin(codes, list(why)))
    ]


def _executed_conflicts(t: RawTable) -> list[Problem]:
    """Two different 复核执行数 for one reviewed table."""
    if not t.has("review_executed"):
        return []
    amounts = schemas.typed(t, "review_executed")
    seen: dict[tuple[str, str, str], float] = {}
    problems = []
    for pos, (year, unit, project, _) in enumerate(_keys(t)):
        value = amounts[pos]
        if np.isnan(value):
            continue
        key = (year, unit, project)
        first = seen.setdefault(key, float(value))
        if abs(first - value) > 1e-9:
            problems.append(
                Problem(
                    t.file,
                    f"同一张复核表的复核执行数只能有一个，此前已填 {first:g} 万元。",
                    int(t.rows[pos]),
                    t.headers["review_executed"],
                    t.column("review_executed")[pos],
                    code="review_executed_conflict",
                    **row_context(t, pos),
                )
            )
    return problems
