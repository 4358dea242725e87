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
- 预算执行率 = Σ全年执行数 / Σ全年预算数 needs Σ全年预算数 > 0 for every unit and year;
- a unit-year with indicators has budget rows, and one with budget rows has indicators;
- 年度指标值 and 实际完成值 can be read (:func:`perfkit.rules.notation.parse`), a target and
  its actual are in the same unit (:func:`perfkit.rules.notation.same_unit`), and a qualitative
  result names a tier of the rulebook (:func:`perfkit.rules.qualitative.classify`);
- a reported 得分 lies between 0 and the indicator's 分值;
- monthly rows name an item (项目) of the unit's budget for that year.

Work is done per distinct value or per distinct key, never per row in Python, so a million rows
validate in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from perfkit.core.problems import ERROR, WARNING, Problem
from perfkit.data import schemas, textcells
from perfkit.data.contract import (
    NARRATIVE_DIR,
    TABLES,
    project_code_problem,
    unit_code_problem,
)
from perfkit.data.readers import RawDataset, RawNarrative, RawTable
from perfkit.rules import notation, qualitative
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
    known = _known_units(raw.tables["units"])
    problems += _unit_references(raw, known)
    problems += _project_references(raw, known)
    problems += _weights(indicators, rulebook)
    problems += _zero_budgets(budget)
    problems += _unit_years(budget, indicators, known)
    problems += _targets_and_actuals(indicators, rulebook)
    problems += _reported_scores(indicators)
    problems += _monthly_items(raw.tables["monthly"], budget, known)
    problems += _narratives(raw, known)
    return _in_order(raw, problems)


def _where(t: RawTable, pos: int) -> dict:
    """Who a row is about (单位编码, 项目编码, 三级指标) and its year, for warnings that become
    findings."""
    year = schemas.typed(t, "year")[pos] if t.has("year") else np.nan
    return {
        "project_code": schemas.project_of(t, pos),
        **schemas.context(t, pos),
        "year": None if np.isnan(year) else int(year),
    }


def _warning(t: RawTable, pos: int, key: str, message: str, code: str) -> Problem:
    """A warning about one cell: located like an error, scored anyway."""
    return Problem(
        t.file,
        message,
        int(t.rows[pos]),
        t.headers[key],
        t.column(key)[pos],
        severity=WARNING,
        code=code,
        **_where(t, pos),
    )


def unverifiable_policy(rulebook: Rulebook) -> str:
    """What scoring does with a row it cannot verify (issue 8 §4), as the warnings say it."""
    if rulebook.unverifiable == "zero":
        return "得分无法核实，按评分规则计 0 分。"
    return "得分无法核实，采用单位自评得分（未填自评得分的计 0 分）。"


def _fmt(x: float) -> str:
    """A number as a person writes it: 90.0 → "90", 89.995 → "89.995"."""
    return f"{x:.4f}".rstrip("0").rstrip(".")


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


# --- unit codes --------------------------------------------------------------------------------


def _known_units(units: RawTable) -> set[str] | None:
    """The unit codes listed in units, or None when units could not be read."""
    return set(units.values("unit_code")) if units.has("unit_code") else None


def _unit_references(raw: RawDataset, known: set[str] | None) -> list[Problem]:
    if known is None:
        return []
    units_file = raw.tables["units"].file
    problems = []
    for name in ("budget", "indicators", "goals", "monthly", "projects"):
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


def _known_projects(raw: RawDataset) -> set[tuple[str, str]]:
    """The (单位编码, 项目编码) pairs listed in projects (none when the table is absent)."""
    t = raw.tables["projects"]
    if not t.has("unit_code", "project_code"):
        return set()
    return set(zip(t.column("unit_code").tolist(), t.column("project_code").tolist(), strict=True))


def _project_references(raw: RawDataset, known: set[str] | None) -> list[Problem]:
    """A 项目编码 of a budget, indicator or goal row names a project of the row's unit in
    projects (issue 11): otherwise the row belongs to no 自评表 (an error). Rows whose unit code
    is invalid or unknown were reported already."""
    if known is None:
        return []
    projects = _known_projects(raw)
    t_projects = raw.tables["projects"]
    where = t_projects.file if t_projects.status != "absent" else "项目信息表（projects）"
    problems = []
    for name in ("budget", "indicators", "goals"):
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
                    **_where(t, int(pos)),
                    **({} if name == "indicators" else {"unit_code": unit}),
                )
            )
    return problems


def _group_ids(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The group of each row keyed by ``keys`` (numbered in order of first appearance) and the
    index of each group's first row.

    The keys are combined into one integer per row (mixed radix: key values that are small
    non-negative integers, such as category codes and years, are used as they are, others are
    numbered first), and the combination is numbered once.
    """
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    if not len(combined):
        return combined, combined
    size = 1
    for key in keys:
        ids, n = _dense(np.asarray(key))
        if size * n >= 1 << 62:  # the next digit would overflow: renumber what there is
            combined, uniques = pd.factorize(combined)
            size = len(uniques)
        combined = combined * n + ids
        size *= n
    combined = pd.factorize(combined)[0].astype(np.int64, copy=False)
    seen = np.maximum.accumulate(combined)
    return combined, np.flatnonzero(np.r_[True, combined[1:] > seen[:-1]])


def _dense(key: np.ndarray) -> tuple[np.ndarray, int]:
    """``key`` as integers in [0, n) and n: integers from 0 to below 2³¹ as they are, any other
    values numbered in order of first appearance."""
    if key.dtype.kind in "iu" and key.min() >= 0 and key.max() < 1 << 31:
        return key.astype(np.int64, copy=False), int(key.max()) + 1
    ids, uniques = pd.factorize(key)
    return ids.astype(np.int64, copy=False), len(uniques)


def _unit_rows(
    t: RawTable, known: set[str] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows with a valid year and unit code (listed in units when ``known`` is given):
    (row positions, years, unit codes as indices into ``t.values("unit_code")``)."""
    year = schemas.typed(t, "year")
    ok = schemas.valid_code_values(t).copy()
    if known is not None:
        ok &= np.array([v in known for v in t.values("unit_code")], dtype=bool)
    codes = t.codes("unit_code")
    pos = np.flatnonzero(~np.isnan(year) & ok[codes])
    return pos, year[pos].astype(np.int64), codes[pos]


def _projects_of(t: RawTable, pos: np.ndarray) -> np.ndarray:
    """The 项目编码 of the rows ``pos`` ("" for the unit's 部门整体 rows, and when the table has
    no 项目编码 column)."""
    if not t.has("project_code"):
        return np.full(len(pos), "", dtype=object)
    return t.column("project_code")[pos]


def _per_unit_year(t: RawTable, key: str) -> pd.DataFrame:
    """Per (year, unit, project): the first row position, Σ ``key`` and whether any value is
    invalid (blank, not a number or negative: already reported, so the sum is not). ``project``
    is "" for the unit's 部门整体 rows."""
    pos, year, unit = _unit_rows(t)
    project = _projects_of(t, pos)
    group, first = _group_ids(year, unit, project)
    value = schemas.typed(t, key)[pos]
    value[value < 0] = np.nan
    return pd.DataFrame(
        {
            "year": year[first],
            "unit": t.values("unit_code")[unit[first]],
            "project": project[first],
            "first": pos[first],
            "total": np.bincount(group, np.nan_to_num(value), minlength=len(first)),
            "invalid": np.bincount(group, np.isnan(value), minlength=len(first)) > 0,
        }
    )


# --- sums per unit and year --------------------------------------------------------------------


def _weights(t: RawTable, rulebook: Rulebook) -> list[Problem]:
    """财预〔2020〕10号: the indicators of a unit share the rulebook's indicator total (90).

    Real tables often add up to 80 or 100 (domain.md §7): a warning, and scoring rescales the
    sum of the indicator scores to the total (or keeps it, ``indicators.rescale = false``). Only
    weights that add up to 0 cannot be scored at all.
    """
    if not t.has("year", "unit_code", "weight"):
        return []
    groups = _per_unit_year(t, "weight")
    expected = rulebook.indicator_total
    off = groups[~groups["invalid"] & ((groups["total"] - expected).abs() > WEIGHT_TOLERANCE)]
    problems = []
    for g in off.itertuples():
        zero = abs(g.total) < 1e-9
        whose = f"项目 {g.project} " if g.project else "该单位"
        who = whose if g.project else ""
        if zero:
            message = (
                f"{g.year} 年度{whose}全部指标的分值合计为 0，无法计算指标得分；"
                f"应按评分规则“{rulebook.title}”填写各指标的分值（合计 {_fmt(expected)} 分）。"
            )
        elif rulebook.rescale:
            message = (
                f"{g.year} 年度{who}全部指标的分值合计为 {_fmt(g.total)} 分，与评分规则"
                f"“{rulebook.title}”的指标总分 {_fmt(expected)} 分不一致；各指标按所填分值计分，"
                f"指标得分合计按 {_fmt(expected)} ÷ {_fmt(g.total)} 折算后计入总分。"
            )
        else:
            message = (
                f"{g.year} 年度{who}全部指标的分值合计为 {_fmt(g.total)} 分，与评分规则"
                f"“{rulebook.title}”的指标总分 {_fmt(expected)} 分不一致；按评分规则不折算，"
                "指标得分按所填分值合计计入总分。"
            )
        problems.append(
            Problem(
                t.file,
                message,
                int(t.rows[g.first]),
                t.headers["weight"],
                _fmt(g.total),
                unit_code=str(g.unit),
                severity=ERROR if zero else WARNING,
                code="weights_zero" if zero else "weights_total",
                year=int(g.year),
                project_code=str(g.project) or None,
            )
        )
    return problems


def _zero_budgets(t: RawTable) -> list[Problem]:
    """预算执行率 = Σ全年执行数 / Σ全年预算数: the adjusted budget of a unit-year must not be 0."""
    if not t.has("year", "unit_code", "adjusted_budget"):
        return []
    groups = _per_unit_year(t, "adjusted_budget")
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
        pos, year, unit = _unit_rows(t, known)
        project = _projects_of(t, pos)
        _, first = _group_ids(year, unit, project)
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


# --- targets, actuals and scores ---------------------------------------------------------------


@dataclass
class _Parsed:
    """The distinct texts of a 年度指标值 or 实际完成值 column, parsed once each."""

    #: per distinct text: a Target, the NotationError's sentence, or None when blank
    cells: list[notation.Target | str | None]
    #: per distinct text: 0 blank or unreadable, 1 quantitative, 2 qualitative
    kind: np.ndarray
    #: per distinct text: the number of its unit when quantitative (numbered across columns by
    #: the ``units`` given to :func:`_parse_all`), else -1
    unit: np.ndarray
    #: per distinct text: whether it names a point in time (notation ``Target.date``)
    dated: np.ndarray

    def first_by_unit(self) -> dict[int, notation.Target]:
        """The first quantitative Target written in each unit, by unit number."""
        numbers, first = np.unique(self.unit, return_index=True)
        return {int(u): self.cells[i] for u, i in zip(numbers, first, strict=True) if u >= 0}


def _parse_all(values: np.ndarray, units: dict[str, int]) -> _Parsed:
    """Parse each distinct text (one pass); new units are numbered into ``units``."""
    cells: list[notation.Target | str | None] = []
    kind: list[int] = []
    unit: list[int] = []
    for text in values.tolist():
        if not text:
            cells.append(None)
            kind.append(0)
            unit.append(-1)
            continue
        try:
            target = notation.parse(text)
        except notation.NotationError as err:
            cells.append(str(err))
            kind.append(0)
            unit.append(-1)
            continue
        cells.append(target)
        if target.qualitative:
            kind.append(2)
            unit.append(-1)
        else:
            kind.append(1)
            unit.append(units.setdefault(target.unit, len(units)))
    dated = [isinstance(c, notation.Target) and c.date is not None for c in cells]
    return _Parsed(
        cells,
        np.array(kind, dtype=np.int8),
        np.array(unit, dtype=np.int64),
        np.array(dated, dtype=bool),
    )


def _tiers_text(rulebook: Rulebook) -> str:
    tiers = "；".join(
        f"{t.key} 档（{t.label}）：{'、'.join(dict.fromkeys((t.label, *t.phrases)))}"
        for t in rulebook.tiers
    )
    same = "与年度指标值相同，或" if rulebook.same_as_target else ""
    return f"实际完成值应{same}写作评分规则“{rulebook.title}”中某一档的说法——{tiers}。"


def _targets_and_actuals(t: RawTable, rulebook: Rulebook) -> list[Problem]:
    """Cells a careful reader cannot verify are warnings, never errors (issue 8 §4, §6): blank
    年度指标值 or 实际完成值 (the target is often in the indicator's name), text that cannot be
    read, units that cannot be compared, a result that names no tier. Scoring takes the unit's
    reported 得分 for them (or 0, per the rulebook) and says so in the rule text."""
    if not t.has("target", "actual"):
        return []
    found: list[tuple[int, str, str, str]] = []  # (row, column key, message, code)
    parsed = {}
    units: dict[str, int] = {}
    policy = unverifiable_policy(rulebook)
    blank = {}
    for key, label in (("target", "年度指标值"), ("actual", "实际完成值")):
        values, codes = t.values(key), t.codes(key)
        parsed[key] = _parse_all(values, units)
        cells = parsed[key].cells
        blank[key] = np.isin(codes, np.flatnonzero(values == ""))
        errors = [i for i, p in enumerate(cells) if isinstance(p, str)]
        found += [
            (int(p), key, f"{label}无法识别（{cells[codes[p]]}），{policy}", f"unreadable_{key}")
            for p in np.flatnonzero(np.isin(codes, errors))
        ]
    both = blank["target"] & blank["actual"]
    for mask, key, what in (
        (both, "target", "年度指标值和实际完成值均未填写"),
        (blank["target"] & ~both, "target", "年度指标值未填写"),
        (blank["actual"] & ~both, "actual", "实际完成值未填写"),
    ):
        found += [(int(p), key, f"{what}，{policy}", "blank_cells") for p in np.flatnonzero(mask)]
    found += [
        (pos, "actual", f"{message}{policy}", "unit_mismatch")
        for pos, message in _unit_mismatches(t, parsed["target"], parsed["actual"], len(units))
    ]
    found += [
        (pos, "actual", f"{message}{policy}", "no_tier")
        for pos, message in _untiered(t, parsed["target"], parsed["actual"], rulebook)
    ]
    found += _actual_comparators(t, parsed["actual"])
    found += _unknown_units(t, parsed)
    found.sort(key=lambda f: (f[0], f[1] != "target"))
    return [_warning(t, pos, key, message, code) for pos, key, message, code in found]


def _actual_comparators(t: RawTable, actuals: _Parsed) -> list[tuple[int, str, str, str]]:
    """An actual written with a comparator ("≥90%", often the target copied): read as its number,
    flagged, since it does not say what was achieved (domain.md §7)."""
    with_comparator = [
        i
        for i, p in enumerate(actuals.cells)
        if isinstance(p, notation.Target)
        and p.comparator is not None
        and not p.implicit
        and p.date is None  # "2022年12月" reads as ≤12月 (a deadline form), not a copied target
    ]
    codes = t.codes("actual")
    return [
        (
            int(pos),
            "actual",
            f"实际完成值带有比较符号，按数值 {notation.format_target(bare)} 计分；"
            "实际完成值应填写实际达到的数值。",
            "actual_with_comparator",
        )
        for pos in np.flatnonzero(np.isin(codes, with_comparator))
        for bare in [_bare(actuals.cells[codes[pos]])]
    ]


def _unknown_units(t: RawTable, parsed: dict[str, _Parsed]) -> list[tuple[int, str, str, str]]:
    """A number read with a unit no reader would recognise ("95分值"): scored as read, flagged
    with the reading used (issue 8 §6)."""
    found = []
    for key, label in (("target", "年度指标值"), ("actual", "实际完成值")):
        cells, codes = parsed[key].cells, t.codes(key)
        odd = {
            i: c
            for i, c in enumerate(cells)
            if isinstance(c, notation.Target) and c.value is not None and c.date is None
            and not notation.known_unit(c.unit)
        }  # fmt: skip
        found += [
            (
                int(pos),
                key,
                f"{label}按“{notation.format_target(odd[codes[pos]])}”读取，其单位"
                f"“{odd[codes[pos]].unit}”不是常用计量单位，请核对。",
                "unknown_unit",
            )
            for pos in np.flatnonzero(np.isin(codes, list(odd)))
        ]
    return found


def _bare(target: notation.Target) -> notation.Target:
    return notation.Target(target.raw, ">=", target.value, target.unit, target.approx, True)


def _unit_mismatches(
    t: RawTable, targets: _Parsed, actuals: _Parsed, n_units: int
) -> list[tuple[int, str]]:
    """A quantitative target and actual must be in the same unit (issue 2 §3).

    ``notation.same_unit`` looks at units only, so it is asked once per pair of units, with the
    first target and the first actual written in each unit.
    """
    tc, ac = t.codes("target"), t.codes("actual")
    target_unit, actual_unit = targets.unit[tc], actuals.unit[ac]
    both = (target_unit >= 0) & (actual_unit >= 0) & ~(targets.dated[tc] & actuals.dated[ac])
    pair = target_unit * max(n_units, 1) + actual_unit
    first_target, first_actual = targets.first_by_unit(), actuals.first_by_unit()
    bad = [
        p
        for p in np.unique(pair[both])
        if not notation.same_unit(first_target[int(p) // n_units], first_actual[int(p) % n_units])
    ]
    found = [
        (
            int(pos),
            f"实际完成值的单位“{actuals.cells[ac[pos]].unit}”与年度指标值"
            f"“{targets.cells[tc[pos]].raw}”的单位“{targets.cells[tc[pos]].unit}”不同，"
            "无法换算比较；",
        )
        for pos in np.flatnonzero(both & np.isin(pair, bad))
    ]
    # "人均2000元" against "每户2100元": the same unit, not the same thing. `notation.same_per`
    # looks at the qualifiers only: they are numbered (0: none written) and compared per row.
    pers: dict[str, int] = {"": 0}
    target_per, actual_per = _per_numbers(targets, pers), _per_numbers(actuals, pers)
    tp, ap = target_per[tc], actual_per[ac]
    rows = np.flatnonzero(both & ~np.isin(pair, bad) & (tp != ap) & (tp > 0) & (ap > 0))
    found += [
        (
            int(pos),
            f"实际完成值按“{actuals.cells[ac[pos]].per}”计，年度指标值“{targets.cells[tc[pos]].raw}”"
            f"按“{targets.cells[tc[pos]].per}”计，无法比较；",
        )
        for pos in rows
    ]
    return found


def _per_numbers(parsed: _Parsed, numbers: dict[str, int]) -> np.ndarray:
    """Per distinct text, the number of its qualifier (`Target.per`) in ``numbers``, which new
    qualifiers are added to; 0 for no qualifier and for a text that is not a Target."""
    return np.array(
        [
            numbers.setdefault(c.per, len(numbers)) if isinstance(c, notation.Target) else 0
            for c in parsed.cells
        ],
        dtype=np.int64,
    )


def _untiered(
    t: RawTable, targets: _Parsed, actuals: _Parsed, rulebook: Rulebook
) -> list[tuple[int, str]]:
    """A qualitative result (for a qualitative target, or an actual without a number) must name
    a tier of the rulebook (财预〔2020〕10号: 达成 / 部分达成 / 未达成年度指标)."""
    tc, ac = t.codes("target"), t.codes("actual")
    tk, ak = targets.kind[tc], actuals.kind[ac]
    dated = targets.dated[tc] & actuals.dated[ac]  # "年底前" against "2022年12月28日": a deadline
    rows = np.flatnonzero((tk > 0) & (ak > 0) & ((tk == 2) | (ak == 2)) & ~dated)
    if not len(rows):
        return []
    n = len(actuals.cells)
    pair = tc[rows].astype(np.int64) * n + ac[rows]
    distinct, inverse = np.unique(pair, return_inverse=True)
    tv, av = t.values("target"), t.values("actual")
    fits = np.array(
        [qualitative.classify(av[p % n], tv[p // n], rulebook) is not None for p in distinct],
        dtype=bool,
    )
    message = "无法判断完成档次（" + _tiers_text(rulebook) + "），"
    return [(int(pos), message) for pos in rows[~fits[inverse]]]


def _reported_scores(t: RawTable) -> list[Problem]:
    """A reported 得分 lies between 0 and the indicator's 分值. Outside, it is the unit's own
    error (domain.md §7): a warning; perfkit computes its own score and a finding compares."""
    if not t.has("weight", "reported_score"):
        return []
    weight = schemas.typed(t, "weight")
    score = schemas.typed(t, "reported_score")
    bad = (weight >= 0) & ((score < 0) | (score > weight + 1e-9))
    return [
        _warning(
            t,
            pos,
            "reported_score",
            f"自评得分应在 0 到该指标的分值 {_fmt(weight[pos])} 之间；"
            "得分按评分规则重新计算，不采用自评得分。",
            "reported_score_range",
        )
        for pos in np.flatnonzero(bad)
    ]


# --- monthly execution -------------------------------------------------------------------------


def _monthly_items(monthly: RawTable, budget: RawTable, known: set[str] | None) -> list[Problem]:
    """Monthly execution is compared with the budget item of the same unit and year."""
    keys = ("year", "unit_code", "item")
    if not (monthly.has(*keys) and budget.has(*keys)):
        return []
    pos, year, unit = _unit_rows(budget)
    _, first = _group_ids(year, unit, budget.codes("item")[pos])
    planned = set(
        zip(
            year[first].tolist(),
            budget.values("unit_code")[unit[first]].tolist(),
            budget.column("item")[pos[first]].tolist(),
            strict=True,
        )
    )
    pos, year, unit = _unit_rows(monthly, known)
    item = monthly.codes("item")[pos]
    group, first = _group_ids(year, unit, item)
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


# --- narratives --------------------------------------------------------------------------------


def _narratives(raw: RawDataset, known: set[str] | None) -> list[Problem]:
    """Narratives name a valid year, a unit of units and, for a project's narrative
    (``narratives/<年度>/<单位编码>/<项目编码>.md``, or a 叙述 row with a 项目编码), a project of
    that unit in projects; one narrative per unit (or project) and year."""
    problems = []
    seen: dict[tuple[str, str, str], str] = {}
    projects = _known_projects(raw)
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


# --- order -------------------------------------------------------------------------------------


def _in_order(raw: RawDataset, problems: list[Problem]) -> list[Problem]:
    """Files in the contract's order (then narratives and others by name), rows ascending."""
    rank = {raw.source.name: 0}  # a workbook's own problems come before its sheets'
    for table in TABLES:
        rank.setdefault(raw.tables[table.name].file, len(rank))
    last = len(rank)
    return sorted(problems, key=lambda p: (rank.get(p.file, last), p.file, p.row or 0))
