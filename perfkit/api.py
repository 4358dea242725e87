"""The notebook API: load a dataset, score it, and gather what one report needs.

The façade on the top floor: the notebooks call these and show the result; nothing is computed
in a notebook. What a page shows is built by :mod:`perfkit.detail` (re-exported here), a report
written as ``perfkit render`` writes it by :mod:`perfkit.rendering.pipeline`. ::

    ds = load("data/sample")
    score(ds, year=2022)                        # one row per unit
    score(ds, year=2022, level="project")       # one row per project
    detail = unit_detail(ds, 2022, "SZ-ZHSP")   # everything the unit's report shows
    project_detail(ds, 2022, "SZ001", "P01")    # everything a project's report shows
    ov = overview(ds, 2022)                     # everything the index page shows
    review(ds, 2022).tables                     # the bureau's screening: risk and rank
    review(ds, 2022).deviations.tables          # … and the 复核偏差 of the re-checked tables
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from perfkit.core.problems import UsageError
from perfkit.data import loading
from perfkit.data.contract import TABLES
from perfkit.data.dataset import Dataset, UnitIndex, only, unit_index
from perfkit.detail.build import overview, project_detail, unit_detail
from perfkit.detail.models import Overview, ProjectDetail, UnitDetail
from perfkit.detail.selection import Rules, check_selection, rulebook, valid_codes, valid_years
from perfkit.detail.status import UnitStatus, read_status
from perfkit.review.screening import Review
from perfkit.review.screening import review as screen
from perfkit.rules.rulebook import Rulebook
from perfkit.scoring.scores import score_dataset

__all__ = [
    "Overview",
    "ProjectDetail",
    "Rules",
    "UnitDetail",
    "UnitStatus",
    "UsageError",
    "check_selection",
    "export_report",
    "load",
    "overview",
    "project_detail",
    "read_status",
    "resolve_path",
    "review",
    "score",
    "unit_detail",
]

#: the source tree (when perfkit runs from a checkout): relative data paths are tried here too
_ROOT = Path(__file__).resolve().parent.parent
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
    scores = score_dataset(ds, rulebook(rules), years=year, units=unit)
    rows = scores.units if level == "unit" else scores.projects
    if rows.empty and (year is not None or unit is not None):
        what = "单位" if level == "unit" else "项目"
        raise UsageError(
            f"所选年度和单位没有{what}数据；可选年度：{valid_years(ds)}，"
            f"可选单位编码：{valid_codes(ds)}。"
        )
    return rows


def review(ds: Dataset, year: int, rules: Rules = None) -> Review:
    """The bureau's screening of every self-evaluation of ``year`` (``perfkit review check``,
    issue 17, docs/review.md): ``.findings`` (one row per hit of a ``[review]`` check: code,
    severity, unit_code, project_code, level3, evidence, message), ``.tables`` (every unit's
    部门整体 table and every project's, with ``risk`` and ``rank``), ``.deviations`` (the 复核偏差
    of the tables the dataset's ``reviews`` re-checked: ``.indicators`` and ``.tables``, empty
    when none); ``.table("tables" | "findings" | "deviations" | "deviation_tables")`` in Chinese.
    A ``year`` not in the data is a :class:`UsageError`."""
    return screen(ds, year, rulebook(rules))


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
    # the render client is imported when used: every report notebook imports this module
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
