"""Building what one page shows from the dataset and its scores: :func:`unit_detail` (a unit's
report), :func:`project_detail` (a project's), :func:`overview` (the year's index, projects page
or a department page). Each scores only what its page shows (one unit, one year) and checks what
it is asked for against the data, naming what is valid when it is not there."""

from __future__ import annotations

from pathlib import Path

from perfkit.core.problems import UsageError
from perfkit.data import fingerprints
from perfkit.data.dataset import Dataset
from perfkit.detail import departments
from perfkit.detail.frames import own, public, unit_year
from perfkit.detail.models import Overview, ProjectDetail, UnitDetail
from perfkit.detail.selection import (
    Rules,
    check_selection,
    listed,
    rulebook,
    valid_codes,
    valid_years,
)
from perfkit.detail.status import read_status
from perfkit.scoring import metrics
from perfkit.scoring.scores import Scores, score_dataset

#: unit columns of the units table carried into a report's summary
_UNIT_INFO = ("department", "functions", "internal_bodies", "subordinate_units")


def unit_detail(
    ds: Dataset,
    year: int,
    unit_code: str,
    rules: Rules = None,
    status: str | Path | None = None,
) -> UnitDetail:
    """Scores, findings, tables and narrative of one unit for one year, and its projects' scores.

    ``status`` is the status file ``perfkit render`` writes for the unit's project reports (a
    JSON list as :func:`read_status` reads; "" or None: not known): the report links only to the
    project reports it lists as written.

    Raises :class:`UsageError` (a Chinese sentence) when the unit or the year is not in the data.
    """
    year, unit_code = int(year), str(unit_code)
    known = ds.units.loc[ds.units["unit_code"] == unit_code]
    if known.empty:
        raise UsageError(
            f"数据中没有单位编码为“{unit_code}”的单位；可选单位编码：{valid_codes(ds)}。"
        )
    scores = score_dataset(ds, rulebook(rules), years=year, units=unit_code)
    if scores.units.empty:
        if len(scores.projects):
            codes = "、".join(scores.projects["project_code"].astype(str))
            raise UsageError(
                f"单位“{ds.unit_name(unit_code)}”（{unit_code}）{year} 年度没有部门整体数据，"
                f"只有项目支出绩效自评（项目编码：{codes}）：请用 project_detail。"
            )
        has = sorted(
            set(ds.budget.loc[ds.budget["unit_code"] == unit_code, "year"].astype(int))
            | set(ds.indicators.loc[ds.indicators["unit_code"] == unit_code, "year"].astype(int))
        )
        raise UsageError(
            f"单位“{ds.unit_name(unit_code)}”（{unit_code}）没有 {year} 年度的数据；"
            f"该单位的数据年度：{'、'.join(map(str, has)) or '无'}。"
        )
    info = known.iloc[0]
    summary = {**scores.units.iloc[0].to_dict(), **{k: str(info[k]) for k in _UNIT_INFO}}
    budget = own(unit_year(ds.budget, year, unit_code))
    monthly = unit_year(ds.monthly, year, unit_code)
    unit_metrics = metrics.unit_metrics(budget)
    if len(unit_metrics):  # NaN when 年初预算数 is blank in any row (scores.units keeps 0)
        summary["initial_budget"] = unit_metrics["initial_budget"].iloc[0]
    return UnitDetail(
        year=year,
        unit_code=unit_code,
        unit_name=str(summary["unit_name"]),
        summary=summary,
        indicators=own(public(scores.indicators)),
        findings=own(public(scores.findings)),
        budget=budget,
        budget_items=own(scores.budget_items),
        goals=own(unit_year(ds.goals, year, unit_code)),
        monthly=monthly,
        progress=metrics.time_progress(monthly, budget),
        metrics=unit_metrics.iloc[0].to_dict() if len(unit_metrics) else {},
        narrative=ds.narratives.get((year, unit_code)),
        rulebook=scores.rulebook,
        fictional=ds.fictional,
        fingerprint=fingerprints.short(fingerprints.unit(ds, year, unit_code)),
        projects=scores.projects.sort_values("project_code", kind="stable").reset_index(drop=True),
        status=read_status(status) if status else None,
    )


#: the projects table's columns carried into a project's ``project`` info and summary
_PROJECT_INFO = ("category", "manager", "overview")


def _valid_projects(ds: Dataset, unit_code: str) -> str:
    p = ds.projects
    codes = p.loc[p["unit_code"] == unit_code, "project_code"].astype(str).tolist()
    if not codes:
        return "无（该单位在项目信息表中没有项目）"
    return listed(codes)


def project_detail(
    ds: Dataset, year: int, unit_code: str, project_code: str, rules: Rules = None
) -> ProjectDetail:
    """Scores, findings, tables and narrative of one project of one unit for one year.

    Raises :class:`UsageError` (a Chinese sentence listing the valid codes or years) when the
    unit, the project or the year is not in the data.
    """
    year, unit_code, project_code = int(year), str(unit_code), str(project_code)
    if not (ds.units["unit_code"] == unit_code).any():
        raise UsageError(
            f"数据中没有单位编码为“{unit_code}”的单位；可选单位编码：{valid_codes(ds)}。"
        )
    p = ds.projects
    listed = p.loc[(p["unit_code"] == unit_code) & (p["project_code"] == project_code)]
    if listed.empty:
        raise UsageError(
            f"单位“{ds.unit_name(unit_code)}”（{unit_code}）没有项目编码为“{project_code}”的项目；"
            f"可选项目编码：{_valid_projects(ds, unit_code)}。"
        )
    scores = score_dataset(ds, rulebook(rules), years=year, units=unit_code)
    rows = scores.projects[scores.projects["project_code"] == project_code]
    if rows.empty:
        has = sorted(
            set(
                ds.budget.loc[
                    (ds.budget["unit_code"] == unit_code)
                    & (ds.budget["project_code"] == project_code),
                    "year",
                ].astype(int)
            )
        )
        raise UsageError(
            f"项目“{ds.project_name(unit_code, project_code)}”（{unit_code}/{project_code}）"
            f"没有 {year} 年度的数据；该项目的数据年度：{'、'.join(map(str, has)) or '无'}。"
        )
    info = public(listed).iloc[0].to_dict()
    unit = ds.units.loc[ds.units["unit_code"] == unit_code].iloc[0]
    summary = {
        **rows.iloc[0].to_dict(),
        **{k: str(info.get(k, "")) for k in _PROJECT_INFO},
        "department": str(unit.get("department", "")),
    }
    budget = own(unit_year(ds.budget, year, unit_code), project_code)
    initial = metrics.execution(budget)
    if len(initial):  # NaN when 年初预算数 is blank in any row (scores keep 0)
        summary["initial_budget"] = initial["initial_budget"].iloc[0]
    return ProjectDetail(
        year=year,
        unit_code=unit_code,
        unit_name=str(summary["unit_name"]),
        project_code=project_code,
        project_name=str(summary["project_name"]),
        summary=summary,
        project={k: str(v) for k, v in info.items()},
        indicators=own(public(scores.indicators), project_code),
        findings=own(public(scores.findings), project_code),
        budget=budget,
        budget_items=own(scores.budget_items, project_code),
        goals=own(unit_year(ds.goals, year, unit_code), project_code),
        narrative=ds.project_narratives.get((year, unit_code, project_code)),
        rulebook=scores.rulebook.for_projects(),
        fictional=ds.fictional,
        fingerprint=fingerprints.short(fingerprints.project(ds, year, unit_code, project_code)),
    )


def overview(
    ds: Dataset,
    year: int,
    rules: Rules = None,
    status: str | Path | None = None,
    department: str | None = None,
    threshold: int | None = None,
) -> Overview:
    """Scores and findings of every unit of ``year``, and the render status when given.

    ``department``: only the units of that 主管部门 (as :func:`perfkit.detail.departments.plan`
    names it; ``"未填写主管部门"`` for the units without one) and their projects, for its page;
    only those units are scored. ``threshold``: the number of units above which the year's
    index lists departments (default :data:`perfkit.detail.departments.THRESHOLD`).
    Raises :class:`UsageError` when the year, or the department in that year, is not in the data.
    """
    year = int(year)
    groups = departments.unit_departments(ds)
    selected: list[str] | None = None
    if department is not None:
        department = departments.department_name(department)
        check_selection(ds, year)
        present = departments.year_units(ds, year)
        selected = [c for c in present if groups.get(c, departments.UNFILLED) == department]
        if not selected:
            names = sorted({groups.get(c, departments.UNFILLED) for c in present})
            raise UsageError(
                f"{year} 年度没有主管部门为“{department}”的单位；"
                f"可选主管部门：{listed(names) or '无'}。"
            )
    scores: Scores = score_dataset(ds, rulebook(rules), years=year, units=selected)
    if scores.units.empty and scores.projects.empty:
        raise UsageError(f"数据中没有 {year} 年度的单位；可选年度：{valid_years(ds)}。")
    found = scores.findings
    in_project = found["project_code"].astype(str) != ""
    # the same units as departments.plan counts, so that the index links the pages it plans
    codes = selected if selected is not None else departments.year_units(ds, year)
    return Overview(
        year=year,
        units=scores.units.reset_index(drop=True),
        findings=found[~in_project].reset_index(drop=True),
        projects=scores.projects.reset_index(drop=True),
        project_findings=found[in_project].reset_index(drop=True),
        rulebook=scores.rulebook,
        status=read_status(status),
        fictional=ds.fictional,
        fingerprint=fingerprints.short(fingerprints.year(ds, year, units=selected)),
        projects_fingerprint=fingerprints.short(
            fingerprints.year(ds, year, projects_only=True, units=selected)
        ),
        departments=[] if department is not None else departments.group(codes, groups, threshold),
        department=department,
        unit_departments={c: groups.get(c, departments.UNFILLED) for c in sorted(codes)},
    )
