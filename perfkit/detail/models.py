"""What one page shows, for one year: a unit's report (:class:`UnitDetail`), a project's report
(:class:`ProjectDetail`), the year's index, projects page or a department page
(:class:`Overview`). They hold what scoring produced for that unit, project or year, and the data
rows the page prints; the report (:mod:`perfkit.report`) reads them and computes nothing of its
own. :mod:`perfkit.detail.build` makes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from perfkit.core.problems import UsageError
from perfkit.data.contract import Narrative
from perfkit.detail.departments import Department
from perfkit.detail.status import UnitStatus
from perfkit.detail.tables import zh_table
from perfkit.rules.rulebook import Rulebook


@dataclass
class UnitDetail:
    """Everything one unit's report shows, for one year.

    ``summary`` is the unit's row of :func:`score` plus ``department``, ``functions``,
    ``internal_bodies`` and ``subordinate_units`` from the units table; ``indicators`` are scored
    (rule, rule_text, completion, score …); ``budget`` holds the unit's budget rows,
    ``budget_items`` the execution per 项目; ``progress`` is
    :func:`perfkit.scoring.metrics.time_progress` (empty without monthly data); ``metrics`` is the
    unit's row of :func:`perfkit.scoring.metrics.unit_metrics`.
    """

    year: int
    unit_code: str
    unit_name: str
    summary: dict[str, Any]
    indicators: pd.DataFrame
    findings: pd.DataFrame
    budget: pd.DataFrame
    budget_items: pd.DataFrame
    goals: pd.DataFrame
    monthly: pd.DataFrame
    progress: pd.DataFrame
    metrics: dict[str, Any]
    narrative: Narrative | None
    rulebook: Rulebook
    fictional: bool = False
    fingerprint: str = ""
    #: the unit's projects that year (``Scores.projects`` rows: PROJECT_COLUMNS), in code order
    projects: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the render status of the unit's project reports (None: not known, e.g. in JupyterLab)
    status: list[UnitStatus] | None = None

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<UnitDetail {self.unit_code} {self.unit_name} {self.year}年度: "
            f"总分 {s.get('total')} {s.get('grade')}, {len(self.indicators)} 个指标, "
            f"{len(self.findings)} 个问题>"
        )

    def table(self, name: str, lang: str = "zh") -> pd.DataFrame:
        """One of the detail's frames for reading: ``indicators``, ``findings``, ``budget``,
        ``budget_items``, ``goals``, ``monthly`` or ``progress``; ``lang="zh"`` (default) gives
        Chinese headers, rates as percentages and Chinese kinds, ``"en"`` the frame as it is."""
        return _table(self, name, _DETAIL_TABLES, lang)


_DETAIL_TABLES = (
    "indicators",
    "findings",
    "budget",
    "budget_items",
    "goals",
    "monthly",
    "progress",
)
_OVERVIEW_TABLES = ("units", "findings")


def _table(owner: Any, name: str, names: tuple[str, ...], lang: str) -> pd.DataFrame:
    if name not in names:
        raise UsageError(f"没有名为“{name}”的表；可选：{'、'.join(names)}。")
    frame = getattr(owner, name)
    if lang == "en":
        return frame
    if lang != "zh":
        raise UsageError(f"lang 应为 zh 或 en，而不是“{lang}”。")
    return zh_table(frame)


@dataclass
class ProjectDetail:
    """Everything one project's report (项目支出绩效自评报告, domain.md §8) shows, for one year.

    ``summary`` is the project's row of ``score(..., level="project")`` (year, unit_code,
    unit_name, project_code, project_name, budget, execution rate and score, indicator score,
    total, grade, n_findings) plus ``category``, ``manager`` and ``overview`` (项目类别, 项目负责人,
    项目概况) and the unit's ``department`` (主管部门); ``project`` is the project's row of the
    projects table (unit_code, project_code, project_name, category, manager, overview);
    ``indicators`` are scored (rule, rule_text, completion, score …); ``budget`` holds the
    project's budget rows, ``budget_items`` the execution per 项目 (budget item); ``findings``
    the project's own (``project_code`` is the project's); ``rulebook`` the rulebook its table
    was scored with (the ``[project]`` section applied).
    """

    year: int
    unit_code: str
    unit_name: str
    project_code: str
    project_name: str
    summary: dict[str, Any]
    project: dict[str, Any]
    indicators: pd.DataFrame
    findings: pd.DataFrame
    budget: pd.DataFrame
    budget_items: pd.DataFrame
    goals: pd.DataFrame
    narrative: Narrative | None
    rulebook: Rulebook
    fictional: bool = False
    fingerprint: str = ""

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<ProjectDetail {self.unit_code}/{self.project_code} {self.project_name} "
            f"{self.year}年度: 总分 {s.get('total')} {s.get('grade')}, "
            f"{len(self.indicators)} 个指标, {len(self.findings)} 个问题>"
        )

    def table(self, name: str, lang: str = "zh") -> pd.DataFrame:
        """One of the detail's frames for reading: ``indicators``, ``findings``, ``budget``,
        ``budget_items`` or ``goals``; ``lang="zh"`` (default) gives Chinese headers, rates as
        percentages and Chinese kinds, ``"en"`` the frame as it is."""
        return _table(self, name, _PROJECT_TABLES, lang)


_PROJECT_TABLES = ("indicators", "findings", "budget", "budget_items", "goals")


@dataclass
class Overview:
    """Everything the index page of one year shows: every unit's scores and findings.

    With more than :data:`perfkit.detail.departments.THRESHOLD` units, ``departments`` lists the
    year's 主管部门 pages (the index and the projects page then list departments, not every
    unit and project); ``department`` names the 主管部门 an overview is restricted to (a
    department page: its units and their projects only; None for the whole year);
    ``unit_departments`` maps each unit code to its 主管部门 group.
    """

    year: int
    units: pd.DataFrame
    #: the units' own findings (their 部门整体 tables; project_code "")
    findings: pd.DataFrame
    rulebook: Rulebook
    status: list[UnitStatus] = field(default_factory=list)
    fictional: bool = False
    fingerprint: str = ""
    #: every project of the year (``Scores.projects``: PROJECT_COLUMNS) and their findings
    projects: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_findings: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the fingerprint of the year's project rows, printed on the projects page
    projects_fingerprint: str = ""
    #: the year's department pages ([] up to the threshold, and on a department page)
    departments: list[Department] = field(default_factory=list)
    #: the 主管部门 this overview is restricted to (None: the whole year)
    department: str | None = None
    #: unit code → 主管部门 group (blank ones: ``UNFILLED``)
    unit_departments: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        where = f" {self.department}" if self.department is not None else ""
        return (
            f"<Overview {self.year}年度{where}: {len(self.units)} 个单位, "
            f"{len(self.findings)} 个问题>"
        )

    def table(self, name: str, lang: str = "zh") -> pd.DataFrame:
        """``units`` or ``findings`` for reading (Chinese headers, rates as percentages);
        ``lang="en"`` gives the frame as it is."""
        return _table(self, name, _OVERVIEW_TABLES, lang)
