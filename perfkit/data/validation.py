"""Validation: every problem of a raw dataset at once, each located in the user's file.

First the files themselves (missing, empty, missing columns), then each table's pandera schema
(:mod:`perfkit.data.schemas`: blanks, numbers, years, months, unit codes, duplicates), then
the checks across rows and tables that scoring relies on:

- every 单位编码 of budget, indicators, goals, monthly, projects and the narratives is listed in
  units; every 项目编码 of budget, indicators, goals and the narratives is listed in projects
  for the row's unit (issue 11);
- what follows "per unit and year" is per unit, year and project: the rows of one project
  (项目编码) are that project's 项目支出绩效自评表, the rows without one the unit's 部门整体 table;
- 财预〔2020〕10号: a unit's indicator weights (分值) of one year add up to the rulebook's indicator
  total (90 by default), within 0.005;
- a table that lists 预算执行率 among indicators adding up to 100 is read in its own structure
  (issue 16 §10, :mod:`perfkit.rules.structure`), a warning; a 分值 printed for 预算执行率 other
  than the rulebook's is the unit's choice, a warning;
- 预算执行率 = Σ全年执行数 / Σ全年预算数 needs Σ全年预算数 > 0 for every unit and year;
- a unit-year with indicators has budget rows, and one with budget rows has indicators;
- 年度指标值 and 实际完成值 can be read (:func:`perfkit.rules.notation.parse`), a target and
  its actual are in the same unit (:func:`perfkit.rules.notation.same_unit`), and a qualitative
  result names a tier of the rulebook (:func:`perfkit.rules.qualitative.classify`);
- a reported 得分 lies between 0 and the indicator's 分值;
- monthly rows name an item (项目) of the unit's budget for that year.

The checks of references live in :mod:`perfkit.data.references`, those of the indicators'
cells in :mod:`perfkit.data.indicator_checks`, the grouping of rows per table in
:mod:`perfkit.data.rows`; :func:`validate` runs them all, each from one line. Work is done per
distinct value or per distinct key, never per row in Python, so a million rows validate in
about a second.
"""

from __future__ import annotations

import numpy as np

from perfkit.core.problems import ERROR, WARNING, Problem
from perfkit.data import schemas, textcells
from perfkit.data.contract import TABLES
from perfkit.data.indicator_checks import reported_scores, targets_and_actuals
from perfkit.data.readers import RawDataset, RawTable
from perfkit.data.references import (
    known_units,
    narratives,
    project_references,
    unit_references,
)
from perfkit.data.review_checks import review_problems
from perfkit.data.rows import fmt, group_ids, per_unit_year, projects_of, unit_rows, warning
from perfkit.rules import structure
from perfkit.rules.rulebook import WEIGHT_TOLERANCE, Rulebook


def validate(raw: RawDataset, rulebook: Rulebook) -> list[Problem]:
    """Every problem of ``raw``, in file order (as in the contract) and then row order."""
    problems = list(raw.problems)
    workbook = raw.source.suffix.lower() == ".xlsx"
    for table in raw.tables.values():
        problems += _file_problems(table, workbook)
        problems += schemas.check(table)
        problems += textcells.formula_problems(table)
    budget, indicators = raw.tables["budget"], raw.tables["indicators"]
    known = known_units(raw.tables["units"])
    problems += unit_references(raw, known)
    problems += project_references(raw, known)
    problems += _weights(indicators, rulebook)
    problems += _execution_weights(budget, rulebook)
    problems += _zero_budgets(budget)
    problems += _unit_years(budget, indicators, known)
    problems += targets_and_actuals(indicators, rulebook)
    problems += reported_scores(indicators)
    problems += _monthly_items(raw.tables["monthly"], budget, known)
    problems += narratives(raw, known)
    problems += review_problems(raw, known)
    return _in_order(raw, problems)


# --- files and columns -------------------------------------------------------------------------


def _file_problems(t: RawTable, workbook: bool) -> list[Problem]:
    zh, name = t.table.zh, t.table.name
    if t.status == "absent":
        if not t.table.required:
            return []
        if workbook:
            message = f"缺少必需的工作表「{zh}」（也可命名为 {name}）。"
            return [Problem(t.file, message, code="missing_sheet")]
        message = f"缺少必需的文件 {t.file}（{zh}；也可命名为 {zh}.csv）。"
        return [Problem(t.file, message, code="missing_file")]
    if t.status == "empty":
        return [Problem(t.file, "内容为空：第一行应为表头，其后为数据行。", code="empty_file")]
    problems = [
        Problem(
            t.file,
            f"缺少必需的列「{t.table.column(key).zh}」（表头可写作："
            f"{'、'.join(t.table.column(key).names)}）。",
            row=t.header_row,
            code="missing_column",
        )
        for key in t.missing
    ]
    if t.status == "header_only" and t.table.required:
        problems.append(
            Problem(t.file, "只有表头，没有数据行。", row=t.header_row, code="empty_table")
        )
    return problems


# --- sums per unit and year --------------------------------------------------------------------


def _weights(t: RawTable, rulebook: Rulebook) -> list[Problem]:
    """财预〔2020〕10号: the indicators of a unit share the rulebook's indicator total (90; a
    project's table the total of the rulebook's ``[project]`` section).

    Real tables often add up to 80 or 100 (domain.md §7): a warning, and scoring rescales the
    sum of the indicator scores to the total (or keeps it, ``indicators.rescale = false``). A
    table that lists 预算执行率 among indicators adding up to 100 scores execution as that
    indicator (issue 16 §10, :mod:`perfkit.rules.structure`): read in its own structure and
    flagged (``execution_as_indicator``) instead. Only weights that add up to 0 cannot be
    scored at all.
    """
    if not t.has("year", "unit_code", "weight"):
        return []
    groups = per_unit_year(t, "weight")
    structured = _execution_indicators(t, rulebook)
    problems = []
    for g in groups.itertuples():
        book = rulebook.for_projects() if g.project else rulebook
        whose = f"项目 {g.project} " if g.project else "该单位"
        if g.Index in structured:
            problems.append(_execution_as_indicator(t, structured[g.Index], g, whose, book))
            continue
        expected = book.indicator_total
        if g.invalid or abs(g.total - expected) <= WEIGHT_TOLERANCE:
            continue
        zero = abs(g.total) < 1e-9
        who = whose if g.project else ""
        if zero:
            message = (
                f"{g.year} 年度{whose}全部指标的分值合计为 0，无法计算指标得分；"
                f"应按评分规则“{book.title}”填写各指标的分值（合计 {fmt(expected)} 分）。"
            )
        elif book.rescale:
            message = (
                f"{g.year} 年度{who}全部指标的分值合计为 {fmt(g.total)} 分，与评分规则"
                f"“{book.title}”的指标总分 {fmt(expected)} 分不一致；各指标按所填分值计分，"
                f"指标得分合计按 {fmt(expected)} ÷ {fmt(g.total)} 折算后计入总分。"
            )
        else:
            message = (
                f"{g.year} 年度{who}全部指标的分值合计为 {fmt(g.total)} 分，与评分规则"
                f"“{book.title}”的指标总分 {fmt(expected)} 分不一致；按评分规则不折算，"
                "指标得分按所填分值合计计入总分。"
            )
        problems.append(
            Problem(
                t.file,
                message,
                int(t.rows[g.first]),
                t.headers["weight"],
                fmt(g.total),
                unit_code=str(g.unit),
                severity=ERROR if zero else WARNING,
                code="weights_zero" if zero else "weights_total",
                year=int(g.year),
                project_code=str(g.project) or None,
            )
        )
    return problems


def _execution_indicators(t: RawTable, rulebook: Rulebook) -> dict[int, int]:
    """Per table (the group number of :func:`perfkit.data.rows.per_unit_year`) that scores
    预算执行率 as one of its indicators (:func:`perfkit.rules.structure.execution_indicators`,
    a project's table under the ``[project]`` rulebook), the row position of that indicator."""
    if not t.has("level3"):
        return {}
    pos, year, unit = unit_rows(t)
    project = projects_of(t, pos)
    group, _ = group_ids(year, unit, project)
    weight = schemas.typed(t, "weight")[pos].copy()
    weight[weight < 0] = np.nan
    names = t.column("level3")[pos]
    found = np.zeros(len(pos), dtype=bool)
    for own, book in ((project == "", rulebook), (project != "", rulebook.for_projects())):
        rows = np.flatnonzero(own)
        found[rows] = structure.execution_indicators(group[rows], names[rows], weight[rows], book)
    return {int(group[i]): int(pos[i]) for i in np.flatnonzero(found)}


def _execution_as_indicator(
    t: RawTable, pos: int, g: object, whose: str, book: Rulebook
) -> Problem:
    """The warning of a table read in its own structure (issue 16 §10): 预算执行率 scored as
    its indicator at ``pos``, no execution points added, no rescaling."""
    weight = fmt(schemas.typed(t, "weight")[pos])
    message = (
        f"{g.year} 年度{whose}的指标表将预算执行率列为绩效指标（分值 {weight} 分），各指标分值合计"
        f" {fmt(g.total)} 分：按表内结构计分——该指标按预算执行率的计分规则以其分值 {weight} 分"
        f"计分，不另计预算执行率的 {fmt(book.execution_weight)} 分，指标得分不折算。"
    )
    return warning(t, pos, "level3", message, "execution_as_indicator")


def _execution_weights(t: RawTable, rulebook: Rulebook) -> list[Problem]:
    """The 分值 a table printed for 预算执行率 (budget column 分值, issue 16 §10) is the unit's
    own choice when it differs from the rulebook's execution weight (a table printing 9): a
    warning naming it (``execution_weight_differs``); execution is scored on the rulebook's
    weight (a project's table: its ``[project]`` section's)."""
    if not t.has("reported_execution_weight"):
        return []
    printed = schemas.typed(t, "reported_execution_weight")
    projects = projects_of(t, np.arange(len(t.rows)))
    found = []
    for own, book in ((projects == "", rulebook), (projects != "", rulebook.for_projects())):
        differs = own & ~np.isnan(printed) & (np.abs(printed - book.execution_weight) > 1e-9)
        for pos in np.flatnonzero(differs):
            message = (
                f"自评表中预算执行率的分值为 {fmt(printed[pos])} 分，与评分规则“{book.title}”的 "
                f"{fmt(book.execution_weight)} 分不同，视为单位自行确定的分值；预算执行率得分按评分"
                f"规则的 {fmt(book.execution_weight)} 分计算，单位所填分值仅作记录。"
            )
            found.append(
                schemas.row_warning(
                    t, int(pos), "reported_execution_weight", message, "execution_weight_differs"
                )
            )
    return found


def _zero_budgets(t: RawTable) -> list[Problem]:
    """预算执行率 = Σ全年执行数 / Σ全年预算数: the adjusted budget of a unit-year must not be 0."""
    if not t.has("year", "unit_code", "adjusted_budget"):
        return []
    groups = per_unit_year(t, "adjusted_budget")
    zero = groups[~groups["invalid"] & (groups["total"].abs() < 1e-9)]
    return [
        Problem(
            t.file,
            f"{g.year} 年度{f'项目 {g.project} ' if g.project else '该单位'}各行的全年预算数合计"
            "为 0，无法计算预算执行率（预算执行率 = 全年执行数 ÷ 全年预算数）。",
            int(t.rows[g.first]),
            t.headers["adjusted_budget"],
            "0",
            unit_code=str(g.unit),
            code="zero_budget",
            year=int(g.year),
            project_code=str(g.project) or None,
        )
        for g in zero.itertuples()
    ]


def _unit_years(budget: RawTable, indicators: RawTable, known: set[str] | None) -> list[Problem]:
    """A unit-year is scored from both its budget rows and its indicators: it needs both; so
    does each project of a unit-year (rows with that 项目编码: the project's own 自评表)."""
    if not (budget.has("year", "unit_code") and indicators.has("year", "unit_code")):
        return []
    firsts = {}
    for t in (budget, indicators):
        pos, year, unit = unit_rows(t, known)
        project = projects_of(t, pos)
        _, first = group_ids(year, unit, project)
        units = t.values("unit_code")[unit[first]]
        keys = zip(year[first].tolist(), units.tolist(), project[first].tolist(), strict=True)
        firsts[t.table.name] = dict(zip(keys, pos[first], strict=True))
    problems = []
    for here, there, what, missing, code in (
        (indicators, budget, "绩效指标", "预算执行数据", "unit_year_without_budget"),
        (budget, indicators, "预算执行数据", "绩效指标", "unit_year_without_indicators"),
    ):
        other = firsts[there.table.name]
        for (year, unit, project), pos in firsts[here.table.name].items():
            if (year, unit, project) in other:
                continue
            if project:
                message = (
                    f"项目 {project} {year} 年度有{what}，但 {there.file} 中没有该项目该年度的"
                    f"{missing}（项目编码为 {project} 的行）。"
                )
                column = here.headers["project_code"]
            else:
                message = (
                    f"该单位 {year} 年度有{what}，但 {there.file} 中没有该单位该年度的{missing}"
                    + ("（未填项目编码的行）。" if there.has("project_code") else "。")
                )
                column = here.headers["unit_code"]
            problems.append(
                Problem(
                    here.file,
                    message,
                    int(here.rows[pos]),
                    column,
                    project or unit,
                    unit_code=unit,
                    code=code,
                    year=year,
                    project_code=project or None,
                )
            )
    return problems


# --- monthly execution -------------------------------------------------------------------------


def _monthly_items(monthly: RawTable, budget: RawTable, known: set[str] | None) -> list[Problem]:
    """Monthly execution is compared with the budget item of the same unit and year."""
    keys = ("year", "unit_code", "item")
    if not (monthly.has(*keys) and budget.has(*keys)):
        return []
    pos, year, unit = unit_rows(budget)
    _, first = group_ids(year, unit, budget.codes("item")[pos])
    planned = set(
        zip(
            year[first].tolist(),
            budget.values("unit_code")[unit[first]].tolist(),
            budget.column("item")[pos[first]].tolist(),
            strict=True,
        )
    )
    pos, year, unit = unit_rows(monthly, known)
    item = monthly.codes("item")[pos]
    group, first = group_ids(year, unit, item)
    units, items = monthly.values("unit_code"), monthly.values("item")
    distinct = zip(
        year[first].tolist(), units[unit[first]].tolist(), items[item[first]].tolist(), strict=True
    )
    unplanned = [g for g, key in enumerate(distinct) if key[2] and key not in planned]
    rows = pos[np.isin(group, unplanned)]
    item_column, unit_column = monthly.column("item"), monthly.column("unit_code")
    return [
        Problem(
            monthly.file,
            f"{budget.file} 中没有该单位 {year} 年度的这个项目，无法计算它的序时进度。",
            int(monthly.rows[p]),
            monthly.headers["item"],
            item_column[p],
            unit_code=unit_column[p],
            code="monthly_item_unknown",
            year=int(year),
        )
        for p, year in zip(rows, schemas.typed(monthly, "year")[rows].astype(int), strict=True)
    ]


# --- order -------------------------------------------------------------------------------------


def _in_order(raw: RawDataset, problems: list[Problem]) -> list[Problem]:
    """Files in the contract's order (then narratives and others by name), rows ascending."""
    rank = {raw.source.name: 0}  # a workbook's own problems come before its sheets'
    for table in TABLES:
        rank.setdefault(raw.tables[table.name].file, len(rank))
    last = len(rank)
    return sorted(problems, key=lambda p: (rank.get(p.file, last), p.file, p.row or 0))
