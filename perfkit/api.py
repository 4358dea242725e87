"""The notebook API: load a dataset, score it, and gather what one report needs.

The notebooks call these and show the result; nothing is computed in a notebook. ::

    ds = load("data/sample")
    score(ds, year=2022)                        # one row per unit
    score(ds, year=2022, level="project")       # one row per project
    detail = unit_detail(ds, 2022, "SZ-ZHSP")   # everything the unit's report shows
    project_detail(ds, 2022, "SZ001", "P01")    # everything a project's report shows
    ov = overview(ds, 2022)                     # everything the index page shows
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from perfkit.core.problems import UsageError
from perfkit.data import fingerprints, loading
from perfkit.data.contract import TABLES, Narrative
from perfkit.data.dataset import Dataset, UnitIndex, only, unit_index
from perfkit.rules.rulebook import Rulebook, load_rulebook
from perfkit.scoring import metrics
from perfkit.scoring.scores import Scores, score_dataset

if TYPE_CHECKING:
    from perfkit.report.departments import Department

#: the source tree (when perfkit runs from a checkout): relative data paths are tried here too
_ROOT = Path(__file__).resolve().parent.parent
#: unit columns of the units table carried into a report's summary
_UNIT_INFO = ("department", "functions", "internal_bodies", "subordinate_units")

Rules = Rulebook | str | Path | None
TABLE_NAMES = tuple(t.name for t in TABLES)


def resolve_path(path: str | Path) -> Path:
    """A data path as given, or, when relative and not found from the current folder, found from
    the source tree's ``notebooks/`` folder or its root.

    So the notebooks' default ``"../data/sample"`` works when they run from ``notebooks/`` (as in
    JupyterLab) and when papermill runs them from the repository root.
    """
    given = Path(path).expanduser()
    if given.is_absolute() or given.exists():
        return given
    for base in (_ROOT / "notebooks", _ROOT):
        candidate = (base / given).resolve()
        if candidate.exists():
            return candidate
    return given


def load(path: str | Path, rules: Rules = None, units: Iterable[str] | None = None) -> Dataset:
    """Read and validate a dataset (a CSV folder or an .xlsx workbook); see :func:`loading.load`.

    Raises :class:`perfkit.core.problems.InvalidInput` listing every problem found. ``units``
    keeps only those units' rows (:func:`perfkit.data.dataset.only`): what a unit's or a project's
    report needs, found without scanning a large dataset's tables again for every report.

    A batch render runs one notebook per unit in the same kernel, each loading the same dataset:
    the validated dataset is kept for as long as its files are unchanged (same paths, sizes and
    modification times) and the rulebook is the same, and every call gets its own copy.
    """
    resolved = resolve_path(path)
    chosen = (
        None if units is None else [str(u) for u in ([units] if isinstance(units, str) else units)]
    )
    key = _cache_key(resolved, rules)
    if key is None:
        ds = loading.load(resolved, rules=rules)
        if chosen is not None:
            check_selection(ds, unit=chosen)  # a typo names the valid codes
        return ds if chosen is None else only(ds, chosen)
    cached = _LOADED.get(key)
    if cached is None:
        _LOADED.clear()  # one dataset at a time: a kernel renders one dataset
        _INDEX.clear()
        cached = _LOADED[key] = loading.load(resolved, rules=rules)
    if chosen is not None:
        if key not in _INDEX:
            _INDEX[key] = unit_index(cached)
        if any(u not in _INDEX[key]["units"] for u in chosen):
            check_selection(cached, unit=chosen)  # a typo names the valid codes
        return only(cached, chosen, _INDEX[key])  # new frames: the cache is never handed out
    return _copy(cached)


#: (path, rules, file stamps) -> the validated dataset
_LOADED: dict[tuple, Dataset] = {}
#: (path, rules, file stamps) -> where each unit's rows are in the cached dataset
_INDEX: dict[tuple, UnitIndex] = {}


def _cache_key(path: Path, rules: Rules) -> tuple | None:
    """What identifies a load: the files' paths, sizes and mtimes, and the rules (None: no cache).

    A rulebook given as a file counts with its own modification time.
    """
    if isinstance(rules, Rulebook):
        return None
    inputs = [path, *(sorted(path.rglob("*")) if path.is_dir() else [])]
    if rules is not None and Path(rules).is_file():
        inputs.append(Path(rules))
    try:
        stamps = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in inputs)
    except OSError:
        return None
    return (str(path.resolve()), str(rules), stamps)


def _copy(ds: Dataset) -> Dataset:
    """A copy whose tables and narratives can be changed without touching the cached dataset.

    Under pandas' Copy-on-Write (always on from pandas 3) a shallow copy is enough — a change to
    the copy copies the data it changes — and costs nothing; a deep copy of a 10,000-unit
    dataset costs about 60 ms, for every report a kernel renders.
    """
    deep = not _copy_on_write()
    tables = {name: getattr(ds, name).copy(deep=deep) for name in TABLE_NAMES}
    return replace(
        ds,
        **tables,
        narratives=dict(ds.narratives),
        project_narratives=dict(ds.project_narratives),
    )


def _copy_on_write() -> bool:
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return bool(pd.options.mode.copy_on_write is True)


def _rulebook(rules: Rules) -> Rulebook:
    return rules if isinstance(rules, Rulebook) else load_rulebook(rules)


#: at most this many valid unit codes are listed in a message
_LISTED = 20


def _valid_codes(ds: Dataset) -> str:
    codes = ds.units["unit_code"].astype(str).tolist()
    shown = "、".join(codes[:_LISTED])
    return shown + (f" 等 {len(codes)} 个" if len(codes) > _LISTED else "")


def _valid_years(ds: Dataset) -> str:
    return "、".join(str(y) for y in ds.years) or "无"


def check_selection(
    ds: Dataset, year: int | Iterable[int] | None = None, unit: str | Iterable[str] | None = None
) -> None:
    """Raise :class:`UsageError` naming what is valid when a year or a unit code is not in ``ds``
    (so that a typo never gives a quietly empty result)."""
    years = [year] if isinstance(year, int | str) else list(year or [])
    missing_years = [y for y in years if int(y) not in ds.years]
    if missing_years:
        raise UsageError(
            f"数据中没有 {'、'.join(map(str, missing_years))} 年度；可选年度：{_valid_years(ds)}。"
        )
    units = [unit] if isinstance(unit, str) else list(unit or [])
    known = set(ds.units["unit_code"].astype(str))
    unknown = [u for u in units if str(u) not in known]
    if unknown:
        raise UsageError(
            f"数据中没有单位编码“{'、'.join(map(str, unknown))}”；"
            f"可选单位编码：{_valid_codes(ds)}。"
        )


LEVELS = ("unit", "project")


def score(
    ds: Dataset,
    year: int | Iterable[int] | None = None,
    unit: str | Iterable[str] | None = None,
    rules: Rules = None,
    level: str = "unit",
) -> pd.DataFrame:
    """One row per (year, unit): budget, execution rate and score, indicator score, total, grade;
    with ``level="project"`` one row per (year, unit, project) instead (issue 11).

    Parameters: ``ds`` a loaded dataset (:func:`load`); ``year`` one year or several (default:
    every year); ``unit`` one unit code or several (default: every unit); ``rules`` a preset name,
    a rulebook file or a :class:`~perfkit.rules.rulebook.Rulebook` (default mof2020); ``level``
    ``"unit"`` (the units' 部门整体 tables, default) or ``"project"`` (the projects' 项目支出绩效
    自评表, scored with the rulebook's ``[project]`` section when it has one).

    Returns a DataFrame with the columns of :data:`perfkit.scoring.scores.UNIT_COLUMNS`
    (:data:`~perfkit.scoring.scores.PROJECT_COLUMNS` for projects: the same plus
    ``project_code`` and ``project_name``); rates are fractions (0.9523). Raises
    :class:`UsageError` naming the valid years, unit codes or levels when one is not in the
    data, or when they together select nothing.
    """
    if level not in LEVELS:
        raise UsageError(f"level 应为 unit 或 project，而不是“{level}”。")
    check_selection(ds, year, unit)
    scores = score_dataset(ds, _rulebook(rules), years=year, units=unit)
    rows = scores.units if level == "unit" else scores.projects
    if rows.empty and (year is not None or unit is not None):
        what = "单位" if level == "unit" else "项目"
        raise UsageError(
            f"所选年度和单位没有{what}数据；可选年度：{_valid_years(ds)}，"
            f"可选单位编码：{_valid_codes(ds)}。"
        )
    return rows


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
    from perfkit.report.display import zh_table

    return zh_table(frame)


def _rows(frame: pd.DataFrame, year: int, unit_code: str) -> pd.DataFrame:
    keep = (frame["year"] == year) & (frame["unit_code"] == unit_code)
    return _public(frame[keep])


def _own(frame: pd.DataFrame, project_code: str = "") -> pd.DataFrame:
    """The rows of one table: the unit's 部门整体 rows (project_code "") or one project's."""
    if "project_code" not in frame.columns:
        return frame.reset_index(drop=True) if project_code == "" else frame.iloc[:0]
    keep = frame["project_code"].fillna("").astype(str) == project_code
    return frame[keep].reset_index(drop=True)


def _public(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame for users: internal columns (``_row``, the Excel row) left out, index reset."""
    return frame.drop(columns=[c for c in frame.columns if str(c).startswith("_")]).reset_index(
        drop=True
    )


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
            f"数据中没有单位编码为“{unit_code}”的单位；可选单位编码：{_valid_codes(ds)}。"
        )
    scores = score_dataset(ds, _rulebook(rules), years=year, units=unit_code)
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
    budget = _own(_rows(ds.budget, year, unit_code))
    monthly = _rows(ds.monthly, year, unit_code)
    unit_metrics = metrics.unit_metrics(budget)
    if len(unit_metrics):  # NaN when 年初预算数 is blank in any row (scores.units keeps 0)
        summary["initial_budget"] = unit_metrics["initial_budget"].iloc[0]
    return UnitDetail(
        year=year,
        unit_code=unit_code,
        unit_name=str(summary["unit_name"]),
        summary=summary,
        indicators=_own(_public(scores.indicators)),
        findings=_own(_public(scores.findings)),
        budget=budget,
        budget_items=_own(scores.budget_items),
        goals=_own(_rows(ds.goals, year, unit_code)),
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


def _valid_projects(ds: Dataset, unit_code: str) -> str:
    p = ds.projects
    codes = p.loc[p["unit_code"] == unit_code, "project_code"].astype(str).tolist()
    if not codes:
        return "无（该单位在项目信息表中没有项目）"
    shown = "、".join(codes[:_LISTED])
    return shown + (f" 等 {len(codes)} 个" if len(codes) > _LISTED else "")


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
            f"数据中没有单位编码为“{unit_code}”的单位；可选单位编码：{_valid_codes(ds)}。"
        )
    p = ds.projects
    listed = p.loc[(p["unit_code"] == unit_code) & (p["project_code"] == project_code)]
    if listed.empty:
        raise UsageError(
            f"单位“{ds.unit_name(unit_code)}”（{unit_code}）没有项目编码为“{project_code}”的项目；"
            f"可选项目编码：{_valid_projects(ds, unit_code)}。"
        )
    scores = score_dataset(ds, _rulebook(rules), years=year, units=unit_code)
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
    info = _public(listed).iloc[0].to_dict()
    unit = ds.units.loc[ds.units["unit_code"] == unit_code].iloc[0]
    summary = {
        **rows.iloc[0].to_dict(),
        **{k: str(info.get(k, "")) for k in _PROJECT_INFO},
        "department": str(unit.get("department", "")),
    }
    budget = _own(_rows(ds.budget, year, unit_code), project_code)
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
        indicators=_own(_public(scores.indicators), project_code),
        findings=_own(_public(scores.findings), project_code),
        budget=budget,
        budget_items=_own(scores.budget_items, project_code),
        goals=_own(_rows(ds.goals, year, unit_code), project_code),
        narrative=ds.project_narratives.get((year, unit_code, project_code)),
        rulebook=scores.rulebook.for_projects(),
        fictional=ds.fictional,
        fingerprint=fingerprints.short(fingerprints.project(ds, year, unit_code, project_code)),
    )


@dataclass
class UnitStatus:
    """One entry of the status file that ``perfkit render`` writes for the index page: a unit's
    report, or (``project_code`` not "") a project's report."""

    unit_code: str
    unit_name: str = ""
    href: str = ""
    status: str = "ok"
    error: str = ""
    project_code: str = ""
    project_name: str = ""


def read_status(path: str | Path | None) -> list[UnitStatus]:
    """The render pipeline's status file: a JSON list of {"unit_code", "unit_name", "href",
    "status": "ok" | "failed", "error"}, with "project_code" and "project_name" for a project's
    report (``href`` relative to the year's folder). No path (or "") gives an empty list."""
    if not path:
        return []
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"无法读取生成状态文件 {path}：{err}") from None
    if not isinstance(entries, list):
        raise UsageError(f"生成状态文件 {path} 应为 JSON 列表。")
    fields = set(UnitStatus.__dataclass_fields__)
    return [
        UnitStatus(**{k: str(v) for k, v in entry.items() if k in fields and v is not None})
        for entry in entries
        if isinstance(entry, dict) and entry.get("unit_code")
    ]


@dataclass
class Overview:
    """Everything the index page of one year shows: every unit's scores and findings.

    With more than :data:`perfkit.report.departments.THRESHOLD` units, ``departments`` lists the
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


def overview(
    ds: Dataset,
    year: int,
    rules: Rules = None,
    status: str | Path | None = None,
    department: str | None = None,
    threshold: int | None = None,
) -> Overview:
    """Scores and findings of every unit of ``year``, and the render status when given.

    ``department``: only the units of that 主管部门 (as :func:`perfkit.report.departments.plan`
    names it; ``"未填写主管部门"`` for the units without one) and their projects, for its page;
    only those units are scored. ``threshold``: the number of units above which the year's
    index lists departments (default :data:`perfkit.report.departments.THRESHOLD`).
    Raises :class:`UsageError` when the year, or the department in that year, is not in the data.
    """
    from perfkit.report import departments as deps

    year = int(year)
    groups = deps.unit_departments(ds)
    selected: list[str] | None = None
    if department is not None:
        department = deps.department_name(department)
        check_selection(ds, year)
        present = deps.year_units(ds, year)
        selected = [c for c in present if groups.get(c, deps.UNFILLED) == department]
        if not selected:
            names = sorted({groups.get(c, deps.UNFILLED) for c in present})
            shown = "、".join(names[:_LISTED]) + (
                f" 等 {len(names)} 个" if len(names) > _LISTED else ""
            )
            raise UsageError(
                f"{year} 年度没有主管部门为“{department}”的单位；可选主管部门：{shown or '无'}。"
            )
    scores: Scores = score_dataset(ds, _rulebook(rules), years=year, units=selected)
    if scores.units.empty and scores.projects.empty:
        raise UsageError(f"数据中没有 {year} 年度的单位；可选年度：{_valid_years(ds)}。")
    found = scores.findings
    in_project = found["project_code"].astype(str) != ""
    # the same units as departments.plan counts, so that the index links the pages it plans
    codes = selected if selected is not None else deps.year_units(ds, year)
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
        departments=[] if department is not None else deps.group(codes, groups, threshold),
        department=department,
        unit_departments={c: groups.get(c, deps.UNFILLED) for c in sorted(codes)},
    )


def export_report(
    data: str | Path,
    year: int,
    unit_code: str,
    out: str | Path = "reports",
    rules: Rules = None,
    pdf: bool = False,
) -> Path:
    """Write the self-contained report of one unit, exactly as ``perfkit render`` writes it, and
    return its path: from a notebook, the way to share what the notebook shows (JupyterLab's
    File → Save and Export as → HTML keeps code, scripts and no font; this does not)::

        perfkit.export_report(data, year, unit_code)   # reports/2022/SZ001.html

    The unit's projects' reports are written beside it when it has projects; the year's index is
    left as it is. Raises :class:`UsageError` naming the valid years and unit codes.
    """
    from perfkit.rendering.pipeline import render

    path = resolve_path(data)
    check_selection(load(path, rules=rules), int(year), str(unit_code))
    rule_spec = rules
    if isinstance(rules, Rulebook):  # render reads its rules again, by preset name or file
        rule_spec = rules.origin.removeprefix("preset:") or rules.name
    result = render(
        path, out=out, years=[int(year)], units=[str(unit_code)], rules=rule_spec, jobs=1,
        pdf=pdf, progress=False, index=False,
    )  # fmt: skip
    failed = [r for r in (*result.units, *result.projects) if not r.ok]
    unit = next((r for r in result.units if r.unit_code == str(unit_code)), None)
    if failed or unit is None or unit.html is None:
        reason = failed[0].error if failed else "该单位没有部门整体自评数据"
        raise UsageError(f"未能生成单位“{unit_code}”的 {year} 年度报告：{reason}")
    return unit.html
