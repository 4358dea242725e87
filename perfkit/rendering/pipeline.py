"""Batch rendering: every unit's and every project's report, and each year's index and projects
page, in a pool of worker processes.

``render(data, out="reports")`` loads and validates the dataset once (an invalid dataset raises
:class:`~perfkit.core.problems.InvalidInput` before anything is written), takes the output folder's
lock, then executes the unit notebook (``perfkit/report/notebooks/unit_report.ipynb``, package
data) once per unit and the project notebook (``project_report.ipynb``) once per project through
papermill's Python API in a pool of worker processes, exports each executed notebook to HTML
in-process with nbconvert (:mod:`perfkit.rendering.htmlexport`) and writes, per year::

    reports/<年度>/<单位编码>.html            the unit's 部门整体 report (or, failed, an error page)
    reports/<年度>/<单位编码>/<项目编码>.html  a project's report (or its error page)
    reports/<年度>/<单位编码>.pdf             with pdf=True, printed by headless Chromium (and
                                              <单位编码>/<项目编码>.pdf)
    reports/<年度>/index.html                 the overview notebook: the year's index
    reports/<年度>/projects.html              the projects page: every project ranked
    reports/<年度>/notebooks/<单位编码>.ipynb  the executed notebook, for audit
    reports/<年度>/notebooks/<单位编码>/<项目编码>.ipynb
    reports/<年度>/notebooks/<单位编码>/status.json  what the unit's project reports gave, read
                                              by the unit's report (its links)
    reports/<年度>/notebooks/index.ipynb, projects.ipynb  the executed index and projects page
    reports/<年度>/notebooks/status.json      what each report's render gave, read by the index

``level`` chooses the reports: ``"unit"``, ``"project"`` or ``"all"`` (default). A unit's report
runs after its projects' reports, so that it links only to those that were written; the index and
the projects page run when the year's reports are done.

Every file is written atomically (:mod:`perfkit.core.atomic`). A report that fails does not stop
the others; it gets an error page, is marked failed in the index, and the exit code becomes 1.

Speed: each worker imports papermill and nbconvert and compiles the template once, and keeps one
Jupyter kernel alive across units (:mod:`perfkit.rendering.warmkernel`: papermill would start a
kernel, and the notebook re-import pandas, matplotlib and perfkit, for every unit), reset between
units so that no unit sees another's state. The kernel is replaced after a failure other than an
exception in a cell, and every ``KERNEL_MAX_UNITS`` notebooks. See docs/rendering.md.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from perfkit.core import atomic
from perfkit.core.problems import UsageError
from perfkit.data.contract import project_code_problem, unit_code_problem
from perfkit.rendering import htmlexport
from perfkit.rendering import pdf as pdfprint
from perfkit.report import templating

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from perfkit.data.dataset import Dataset
    from perfkit.rendering.warmkernel import WarmKernel

#: the notebooks, shipped inside the package (package data; the repository's ``notebooks/`` holds
#: the same files, for JupyterLab: tests/test_packaging.py checks they are equal)
NOTEBOOKS = Path(str(files("perfkit.report").joinpath("notebooks")))
UNIT_NOTEBOOK = "unit_report.ipynb"
OVERVIEW_NOTEBOOK = "overview.ipynb"
PROJECT_NOTEBOOK = "project_report.ipynb"
PROJECTS_NOTEBOOK = "project_overview.ipynb"
#: the year's projects page, beside index.html (its executed notebook: notebooks/projects.ipynb)
PROJECTS_PAGE = "projects"
LEVELS = ("unit", "project", "all")
LOCK_NAME = ".perfkit-render.lock"
#: a cell running longer than this is taken as hung (seconds)
CELL_TIMEOUT = 900
#: a worker's kernel is replaced after this many notebooks, to bound memory growth
KERNEL_MAX_UNITS = 100
UNIT_TITLE = "{unit_name} {year}年度 部门（单位）整体支出预算绩效自评报告"
INDEX_TITLE = "{year}年度 部门（单位）整体支出绩效自评 汇总"
PROJECTS_TITLE = "{year}年度 项目支出绩效自评 汇总"


def project_title(unit_name: str, year: int, project_name: str) -> str:
    """A project report's page title (see :func:`perfkit.report.projects.project_page_title`)."""
    from perfkit.report.projects import project_page_title

    return project_page_title(unit_name, year, project_name)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class RenderLocked(UsageError):
    """Another ``perfkit render`` holds the output folder (the CLI exits with code 2)."""


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class UnitResult:
    """What rendering one unit (or one project: ``project_code`` not "", or one year's index,
    ``unit_code == "index"``, or projects page, ``unit_code == "projects"``) gave."""

    year: int
    unit_code: str
    unit_name: str
    status: Literal["ok", "failed"]
    #: why it failed: the exception's name and message, as the notebook raised it ("" when ok)
    error: str = ""
    html: Path | None = None
    notebook: Path | None = None
    pdf: Path | None = None
    seconds: float = 0.0
    project_code: str = ""
    project_name: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class RenderResult:
    """The outcome of :func:`render`: one :class:`UnitResult` per unit and per project, and each
    year's index and projects page."""

    out: Path
    units: list[UnitResult] = field(default_factory=list)
    indexes: list[UnitResult] = field(default_factory=list)
    elapsed: float = 0.0
    projects: list[UnitResult] = field(default_factory=list)
    project_pages: list[UnitResult] = field(default_factory=list)

    @property
    def failed(self) -> list[UnitResult]:
        every = (*self.units, *self.projects, *self.indexes, *self.project_pages)
        return [r for r in every if not r.ok]

    @property
    def exit_code(self) -> int:
        """0 when every report and index was generated, 1 when any failed."""
        return 1 if self.failed else 0

    def summary(self) -> str:
        """The Chinese summary printed at the end of a run."""
        lines = []
        for year in sorted({r.year for r in (*self.units, *self.projects, *self.indexes)}):
            parts = []
            for kind, done in (("单位", self.units), ("项目", self.projects)):
                rows = [r for r in done if r.year == year]
                ok = sum(r.ok for r in rows)
                if rows or kind == "单位":
                    parts.append(f"共 {len(rows)} 个{kind}，成功 {ok} 份，失败 {len(rows) - ok} 份")
            lines.append(f"{year}年度：{'；'.join(parts)}。")
        if self.failed:
            lines.append("未能生成的报告：")
            for r in self.failed:
                what = f"{r.unit_code} {r.unit_name}"
                if r.project_code:
                    what = f"{r.unit_code}/{r.project_code} {r.project_name}（{r.unit_name}）"
                elif r.unit_code == "index":
                    what = "汇总页 index.html"
                elif r.unit_code == PROJECTS_PAGE:
                    what = "项目汇总页 projects.html"
                lines.append(f"  - {r.year}年度 {what}：{_first_line(r.error)}")
        lines.append(f"输出目录：{self.out}")
        lines.append(f"用时：{self.elapsed:.1f} 秒")
        return "\n".join(lines)


def _first_line(text: str, limit: int = 200) -> str:
    line = next((s for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# the plan: which units of which years


@dataclass(frozen=True)
class _Job:
    """One notebook to execute and export (picklable: it crosses into a worker process)."""

    kind: Literal["unit", "project", "index", "projects"]
    year: int
    code: str
    name: str
    title: str
    notebook: str
    parameters: dict[str, Any]
    folder: str
    pdf: bool = False
    reuse_kernel: bool = True
    #: the user's template folder (absolute), or None for the package's templates only
    templates: str | None = None
    #: a project's code and name (kind "project"; ``code`` is its unit's)
    project: str = ""
    project_name: str = ""


_ProjectEntry = tuple[str, str, str, str]  # unit_code, unit_name, project_code, project_name


@dataclass
class _Plan:
    """What to render: per year, the units' 部门整体 reports and the projects' reports."""

    units: dict[int, list[tuple[str, str]]]
    projects: dict[int, list[_ProjectEntry]]

    @property
    def years(self) -> list[int]:
        return sorted(set(self.units) | set(self.projects))


def _plan(
    ds: Dataset,
    years: Sequence[int] | None,
    units: Sequence[str] | None,
    level: str = "all",
) -> _Plan:
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
    plan = _Plan({}, {})
    own = pairs[pairs["project_code"] == ""]
    if level in ("unit", "all"):
        for year, code in sorted(
            zip(own["year"].astype(int), own["unit_code"].astype(str), strict=True)
        ):
            plan.units.setdefault(year, []).append((code, ds.unit_name(code)))
    if level in ("project", "all"):
        rows = pairs[pairs["project_code"] != ""]
        for year, code, project in sorted(
            zip(rows["year"].astype(int), rows["unit_code"].astype(str),
                rows["project_code"], strict=True)
        ):  # fmt: skip
            entry = (code, ds.unit_name(code), project, ds.project_name(code, project))
            plan.projects.setdefault(year, []).append(entry)
    return plan


def _units_by_year(
    ds: Dataset, years: Sequence[int] | None, units: Sequence[str] | None
) -> dict[int, list[tuple[str, str]]]:
    """{year: [(unit_code, unit_name)]}: the units with their own 部门整体 rows that year."""
    return _plan(ds, years, units, level="unit").units


def _project_notebook_paths(unit: Path) -> tuple[Path, Path]:
    """The project notebook and the projects page's notebook: beside the unit notebook when
    there, else the package's."""
    found = []
    for name in (PROJECT_NOTEBOOK, PROJECTS_NOTEBOOK):
        path = unit.parent / name
        if not path.is_file():
            path = NOTEBOOKS / name
        if not path.is_file():
            raise UsageError(f"找不到报告模板笔记本 {path}。")
        found.append(path)
    return found[0], found[1]


def _notebook_paths(notebook: str | os.PathLike[str] | None) -> tuple[Path, Path]:
    """The unit notebook and the overview notebook (beside it, else the repository's)."""
    unit = Path(notebook).resolve() if notebook else NOTEBOOKS / UNIT_NOTEBOOK
    overview = unit.parent / OVERVIEW_NOTEBOOK
    if not overview.is_file():
        overview = NOTEBOOKS / OVERVIEW_NOTEBOOK
    for path in (unit, overview):
        if not path.is_file():
            raise UsageError(f"找不到报告模板笔记本 {path}。")
    return unit, overview


def _templates_folder(templates: str | os.PathLike[str] | None) -> str | None:
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


def _rules_parameter(rules: str | os.PathLike[str] | None) -> str | None:
    """The notebook's ``rules``: a preset name as given, a rulebook file as an absolute path."""
    if rules is None:
        return None
    path = Path(rules).expanduser()
    return str(path.resolve()) if path.is_file() else str(rules)


# ---------------------------------------------------------------------------------------------
# the output folder's lock


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``<out>/.perfkit-render.lock`` for the whole run; refuse at once if someone else does.

    Two renders into one folder would interleave files, so the second one stops with
    :class:`RenderLocked` (exit code 2) instead of waiting. The lock belongs to the process: it
    is released when the run ends, however it ends (even SIGKILL), and the file is left in place.
    """
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 300).decode("utf-8", "replace").strip()
            raise RenderLocked(
                f"另一个 perfkit render 正在写入 {out}"
                + (f"（{holder}）" if holder else "")
                + "。请等它结束后再运行，或用 --out 指定另一个文件夹。"
            )
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"进程 {os.getpid()}，{stamp} 开始\n".encode())
        yield
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# render


def render(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str] = "reports",
    years: Iterable[int] | None = None,
    units: Iterable[str] | None = None,
    rules: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    notebook: str | os.PathLike[str] | None = None,
    pdf: bool = False,
    progress: bool = True,
    *,
    templates: str | os.PathLike[str] | None = None,
    reuse_kernels: bool = True,
    level: str = "all",
    index: bool = True,
) -> RenderResult:
    """Render every selected unit's and project's report, and each year's index and projects
    page, into ``out``.

    ``level`` chooses the reports: ``"unit"`` (the units' 部门整体 reports), ``"project"`` (the
    projects' reports and the projects page) or ``"all"`` (default); the index is written unless
    ``index`` is false (one report exported from a notebook leaves the year's index alone).
    ``notebook`` overrides the unit notebook (the overview, project and projects-page notebooks are
    taken from beside it when there, else the package's). ``templates`` is a folder of the user's
    own templates, searched before the package's (default: the environment variable
    ``PERFKIT_TEMPLATES``); the notebook kernels see it as ``PERFKIT_TEMPLATES``. ``jobs`` is the
    number of worker processes (default: the number of CPUs). With ``progress`` a progress bar is
    drawn on stderr when it is a terminal. ``reuse_kernels=False`` starts a fresh kernel per
    notebook, as papermill does by default (slower; for comparison).

    Raises InvalidInput for invalid data and UsageError (RenderLocked) for a bad selection or
    level, a missing notebook, template folder or Chromium, or a folder another render is
    writing; nothing is written then.
    """
    from perfkit.data.loading import load

    started = time.monotonic()
    data_path = Path(data).expanduser().resolve()
    ds = load(data_path, rules=rules)
    plan = _plan(ds, list(years or []) or None, list(units or []) or None, level)
    if not plan.years:
        raise UsageError("所选范围内没有任何单位或项目的数据，没有报告可以生成。")
    unit_nb, overview_nb = _notebook_paths(notebook)
    project_nb, projects_nb = _project_notebook_paths(unit_nb)
    user_templates = _templates_folder(templates)
    if pdf:
        pdfprint.find_chromium()
    out_path = Path(out).expanduser().resolve()
    out_path.mkdir(parents=True, exist_ok=True)
    rules_param = _rules_parameter(rules)
    result = RenderResult(out=out_path)
    # the units whose projects are in the data that year (their report lists them)
    with_projects = {
        (int(y), str(u))
        for t in (ds.budget, ds.indicators)
        for y, u in t.loc[t["project_code"].fillna("") != "", ["year", "unit_code"]].itertuples(
            index=False
        )
    }

    def job(kind: str, year: int, parameters: dict[str, Any] | None = None, **fields: Any) -> _Job:
        common = {"data": str(data_path), "year": year, "rules": rules_param}
        return _Job(
            kind=kind,  # type: ignore[arg-type]
            year=year,
            folder=str(out_path / str(year)),
            reuse_kernel=reuse_kernels,
            templates=user_templates,
            parameters={**common, **(parameters or {})},
            **fields,
        )

    with output_lock(out_path):
        for year in plan.years:
            folder = out_path / str(year)
            for sub in (folder, folder / "notebooks"):
                sub.mkdir(parents=True, exist_ok=True)
                atomic.remove_stale_temporaries(sub)
            for code in {p[0] for p in plan.projects.get(year, [])}:
                for sub in (folder / code, folder / "notebooks" / code):
                    sub.mkdir(parents=True, exist_ok=True)
                    atomic.remove_stale_temporaries(sub)
        project_jobs = [
            job("project", year, code=code, name=name, project=project, project_name=pname,
                title=project_title(name, year, pname), notebook=str(project_nb), pdf=pdf,
                parameters={"unit_code": code, "project_code": project})
            for year, entries in plan.projects.items()
            for code, name, project, pname in entries
        ]  # fmt: skip
        unit_jobs = []
        for year, entries in plan.units.items():
            for code, name in entries:
                status = ""
                if (year, code) in with_projects:
                    status = str(out_path / str(year) / "notebooks" / code / "status.json")
                unit_jobs.append(
                    job("unit", year, code=code, name=name, notebook=str(unit_nb), pdf=pdf,
                        title=UNIT_TITLE.format(unit_name=name, year=year),
                        parameters={"unit_code": code, "status": status})
                )  # fmt: skip
        finals = {
            year: [job("index", year, code="index", name="", notebook=str(overview_nb),
                       title=INDEX_TITLE.format(year=year))]
            + ([job("projects", year, code=PROJECTS_PAGE, name="", notebook=str(projects_nb),
                    title=PROJECTS_TITLE.format(year=year))] if plan.projects.get(year) else [])
            for year in plan.years
        }  # fmt: skip
        if not index:
            finals = {year: [] for year in finals}
        _run_pool(unit_jobs, project_jobs, finals, jobs, progress, result, user_templates)
    for done in (result.units, result.projects):
        done.sort(key=lambda r: (r.year, r.unit_code, r.project_code))
    result.indexes.sort(key=lambda r: r.year)
    result.project_pages.sort(key=lambda r: r.year)
    result.elapsed = time.monotonic() - started
    return result


def _run_pool(
    unit_jobs: list[_Job],
    project_jobs: list[_Job],
    finals: dict[int, list[_Job]],
    jobs: int | None,
    progress: bool,
    result: RenderResult,
    templates: str | None = None,
) -> None:
    """Run the projects, each unit as soon as its projects are done (its report links to those
    written), then each year's index and projects page as soon as that year's reports are done."""
    from tqdm import tqdm

    reports = [*project_jobs, *unit_jobs]
    workers = max(1, min(jobs or os.cpu_count() or 1, len(reports) or 1))
    remaining = {year: sum(j.year == year for j in reports) for year in finals}
    # a unit's report waits for its projects' reports
    waiting: dict[tuple[int, str], int] = {}
    for j in project_jobs:
        waiting[(j.year, j.code)] = waiting.get((j.year, j.code), 0) + 1
    bar = tqdm(
        total=len(reports),
        desc="生成报告",
        unit="份",
        file=sys.stderr,
        disable=not (progress and sys.stderr.isatty()),
        dynamic_ncols=True,
    )
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(os.getpid(), templates),
    )
    pending: dict[Future[UnitResult], _Job] = {}
    held: dict[tuple[int, str], _Job] = {}

    def submit(job: _Job) -> None:
        pending[_submit(pool, job)] = job

    def year_done(year: int) -> None:
        if not finals[year]:  # index=False: the year's pages are left as they are
            return
        status = _write_status(Path(finals[year][0].folder), year, result)
        for final in finals[year]:
            submit(dataclasses.replace(
                final, parameters={**final.parameters, "status": str(status)}
            ))  # fmt: skip

    try:
        for job in project_jobs:
            submit(job)
        for job in unit_jobs:
            if waiting.get((job.year, job.code)):
                held[(job.year, job.code)] = job
            else:
                _write_unit_status(job, result)
                submit(job)
        for year in finals:  # a year with nothing to render but its index (cannot happen)
            if remaining[year] == 0:
                year_done(year)
        while pending:
            done, _ = wait_futures(pending, return_when="FIRST_COMPLETED")
            for future in done:
                job = pending.pop(future)
                outcome = _outcome(future, job)
                if job.kind in ("index", "projects"):
                    (result.indexes if job.kind == "index" else result.project_pages).append(
                        outcome
                    )
                    continue
                (result.units if job.kind == "unit" else result.projects).append(outcome)
                bar.update(1)
                failed = sum(not r.ok for r in (*result.units, *result.projects))
                if failed:
                    bar.set_postfix_str(f"失败 {failed} 份")
                if job.kind == "project":
                    key = (job.year, job.code)
                    waiting[key] -= 1
                    if waiting[key] == 0 and key in held:
                        unit = held.pop(key)
                        _write_unit_status(unit, result)
                        submit(unit)
                remaining[job.year] -= 1
                if remaining[job.year] == 0:
                    year_done(job.year)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        bar.close()
    pool.shutdown(wait=True)


def _submit(pool: ProcessPoolExecutor, job: _Job) -> Future[UnitResult]:
    try:
        return pool.submit(_run_job, job)
    except BrokenProcessPool as err:
        future: Future[UnitResult] = Future()
        future.set_exception(err)
        return future


def _outcome(future: Future[UnitResult], job: _Job) -> UnitResult:
    """The job's result; a worker that died (killed, out of memory) fails its job, not the run."""
    try:
        return future.result()
    except BrokenProcessPool:
        error = "渲染进程意外退出（可能是内存不足或被终止），本报告未能生成。"
    except Exception as err:  # a bug in the worker itself: report it, keep going
        error = f"{type(err).__name__}: {err}"
    return _failed_page(job, error, notebook=None, seconds=0.0)


def _entry(r: UnitResult) -> dict[str, str]:
    """A report's entry in a status file (``href`` relative to the year's folder)."""
    entry = {
        "unit_code": r.unit_code,
        "unit_name": r.unit_name,
        "href": f"{r.unit_code}.html",
        "status": r.status,
        "error": r.error,
    }
    if r.project_code:
        entry |= {
            "project_code": r.project_code,
            "project_name": r.project_name,
            "href": f"{r.unit_code}/{r.project_code}.html",
        }
    return entry


def _write_status(folder: Path, year: int, result: RenderResult) -> Path:
    """Write the year's status file (every unit's and project's report) for the index and the
    projects page; return its path."""
    done = sorted(
        (r for r in (*result.units, *result.projects) if r.year == year),
        key=lambda r: (r.unit_code, r.project_code),
    )
    status = folder / "notebooks" / "status.json"
    entries = [_entry(r) for r in done]
    atomic.write_text(status, json.dumps(entries, ensure_ascii=False, indent=2) + "\n")
    return status


def _write_unit_status(job: _Job, result: RenderResult) -> None:
    """Write the status file of the unit's project reports that its report reads (when it has
    projects: the job's ``status`` parameter)."""
    path = job.parameters.get("status")
    if not path:
        return
    done = [r for r in result.projects if r.year == job.year and r.unit_code == job.code]
    entries = [_entry(r) for r in sorted(done, key=lambda r: r.project_code)]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(Path(path), json.dumps(entries, ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------------------------------------
# the worker process


class _WorkerState:
    """What one worker process keeps between jobs: its parent, its notebooks and its kernel."""

    def __init__(self, parent: int) -> None:
        self.parent = parent
        self.notebooks: dict[str, tuple[float, NotebookNode]] = {}
        self.kernel: WarmKernel | None = None


_STATE: _WorkerState | None = None


def _init_worker(parent: int, templates: str | None = None) -> None:
    """Pool initializer: die with the parent, set ``PERFKIT_TEMPLATES`` (the kernels started here
    inherit it, so the notebooks' blocks find the user's templates), import papermill and
    nbconvert once, build the HTML exporter once, register the warm-kernel engine."""
    global _STATE
    _die_with_parent(parent)
    if templates:
        os.environ[templating.ENV_VAR] = templates
    else:
        os.environ.pop(templating.ENV_VAR, None)
    # the kernels' stylesheet leaves the font out: the exported page embeds one for the page
    os.environ["PERFKIT_BATCH"] = "1"
    # nbformat imports jsonschema, whose format checker imports rfc3987_syntax if installed, and
    # that builds a parser at import: about 2.5 s of CPU per process, for IRI formats that no
    # notebook schema uses. Workers do without it (ImportError, which jsonschema expects).
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from perfkit.rendering import warmkernel

    warmkernel.register_engine()
    htmlexport.exporter(templating.user_dirs(templates))
    _STATE = _WorkerState(parent)
    from multiprocessing.util import Finalize

    Finalize(_STATE, _shutdown_kernel, args=(_STATE,), exitpriority=10)


def _die_with_parent(parent: int) -> None:
    """Linux: get SIGKILL when the parent dies, so that a killed ``perfkit render`` leaves no
    worker writing into a folder that a new run may already hold."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _shutdown_kernel(state: _WorkerState) -> None:
    if state.kernel is not None:
        state.kernel.shutdown()
        state.kernel = None


def _input_notebook(state: _WorkerState, path: str) -> NotebookNode:
    """The template notebook, read once per worker (again if it changed on disk)."""
    import nbformat

    mtime = Path(path).stat().st_mtime
    cached = state.notebooks.get(path)
    if cached is None or cached[0] != mtime:
        cached = (mtime, nbformat.read(path, as_version=4))
        state.notebooks[path] = cached
    return cached[1]


def _run_job(job: _Job) -> UnitResult:
    """Execute one notebook, export it and write its files (in a worker process)."""
    state = _STATE or _WorkerState(os.getppid())
    started = time.monotonic()
    stem = job.project or job.code
    html_path, nb_path = _paths(job)
    problem = _code_problem(job)
    if problem:  # validation refuses it first
        return _failed_page(job, problem, notebook=None, seconds=time.monotonic() - started)

    template = _input_notebook(state, job.notebook)
    nb_in = copy.deepcopy(template)
    nb_in.metadata["title"] = job.title
    executed, error = _execute(state, job, nb_in, nb_path)
    notebook = nb_path if nb_path.exists() else None
    if executed is None:
        return _failed_page(job, error, notebook, time.monotonic() - started)

    html = htmlexport.export_html(executed, name=stem, templates=job.templates)
    offences = htmlexport.assert_self_contained(html)
    if offences:
        error = "报告中含有外部引用或脚本，不能作为独立文件分享：" + "；".join(offences[:10])
        return _failed_page(job, error, notebook, time.monotonic() - started)
    _check_parent()
    atomic.write_text(html_path, html)
    pdf_path = None
    if job.pdf:
        pdf_path = html_path.with_suffix(".pdf")
        try:
            pdfprint.print_pdf(html_path, pdf_path)
        except UsageError as err:
            pdf_path.unlink(missing_ok=True)
            error = f"HTML 报告已生成，但 PDF 未能生成：{err}"
            return _result(job, "failed", error, html_path, notebook, None, started)
    return _result(job, "ok", "", html_path, notebook, pdf_path, started)


def _result(
    job: _Job,
    status: Literal["ok", "failed"],
    error: str,
    html: Path | None,
    notebook: Path | None,
    pdf: Path | None,
    started: float | None = None,
    seconds: float = 0.0,
) -> UnitResult:
    if started is not None:
        seconds = time.monotonic() - started
    return UnitResult(job.year, job.code, job.name, status, error, html, notebook, pdf, seconds,
                      job.project, job.project_name)  # fmt: skip


def _paths(job: _Job) -> tuple[Path, Path]:
    """The job's page and its executed notebook."""
    folder = Path(job.folder)
    if job.kind == "project":
        return (
            folder / job.code / f"{job.project}.html",
            folder / "notebooks" / job.code / f"{job.project}.ipynb",
        )
    page = "index" if job.kind == "index" else job.code
    return folder / f"{page}.html", folder / "notebooks" / f"{job.code}.ipynb"


def _code_problem(job: _Job) -> str:
    """Why the job's unit or project code cannot name a file ("" when it can)."""
    if job.kind in ("unit", "project") and unit_code_problem(job.code):
        return (
            f"单位编码“{job.code}”不能用作文件名（只能包含字母、数字、“-”和“_”，且不能是"
            " index、status、projects、notebooks 等保留名），请修改单位编码后重新生成。"
        )
    if job.kind == "project" and project_code_problem(job.project):
        return (
            f"项目编码“{job.project}”不能用作文件名（只能包含字母、数字、“-”和“_”，且不能是"
            " index、status、projects、notebooks 等保留名），请修改项目编码后重新生成。"
        )
    return ""


def _check_parent() -> None:
    """In a worker: never write after the run that started it has ended (where PDEATHSIG is not
    available, or in the instant before it arrives)."""
    if _STATE is not None and os.getppid() != _STATE.parent:
        os._exit(1)


def _execute(
    state: _WorkerState, job: _Job, nb_in: NotebookNode, nb_path: Path
) -> tuple[NotebookNode | None, str]:
    """Run the notebook with papermill; keep the executed notebook (even a failed one) for audit.

    Returns (executed notebook, "") or (None, "ExceptionName: message").
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    cwd = str(Path(job.notebook).parent)
    options: dict[str, Any] = {
        "parameters": job.parameters,
        "kernel_name": "python3",
        "progress_bar": False,
        "request_save_on_cell_execute": False,
        "execution_timeout": CELL_TIMEOUT,
    }
    executed, error = None, ""
    try:
        with atomic.atomic_path(nb_path, keep_suffix=True) as tmp:
            try:
                if job.reuse_kernel:
                    options |= _kernel(state, nb_in, cwd).execute_options()
                else:
                    options["cwd"] = cwd
                executed = papermill.execute_notebook(nb_in, str(tmp), **options)
            except PapermillExecutionError as err:
                error = _ANSI.sub("", f"{err.ename}: {err.evalue}")
            _check_parent()
            if tmp.stat().st_size == 0:
                raise _NotWritten
    except _NotWritten:
        nb_path.unlink(missing_ok=True)
    except Exception as err:  # the kernel died, a cell timed out …: start a new kernel next time
        _shutdown_kernel(state)
        nb_path.unlink(missing_ok=True)
        error = _ANSI.sub("", f"{type(err).__name__}: {err}").strip()
    if executed is None and not error:
        error = "笔记本未能执行完成（原因不明）。"
    return executed, error


class _NotWritten(Exception):
    """papermill stopped before writing the executed notebook."""


def _failed_page(job: _Job, error: str, notebook: Path | None, seconds: float) -> UnitResult:
    """Write the error page in place of the report (or the fallback index); return the failure."""
    _check_parent()
    folder = Path(job.folder)
    html_path, _ = _paths(job)
    up = "../" if job.kind == "project" else ""
    href = (
        f"{up}notebooks/{job.code + '/' if job.project else ''}{notebook.name}"
        if notebook
        else None
    )
    if job.kind == "index":
        status = folder / "notebooks" / "status.json"
        try:
            entries = json.loads(status.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = []
        atomic.write_text(
            html_path, htmlexport.fallback_index(job.year, entries, error, templates=job.templates)
        )
    else:
        if _code_problem(job):
            return _result(job, "failed", error, None, None, None, seconds=seconds)
        page = htmlexport.error_page(
            job.title, job.code, job.name, job.year, error, href, templates=job.templates,
            project_code=job.project, project_name=job.project_name,
        )  # fmt: skip
        atomic.write_text(html_path, page)
        html_path.with_suffix(".pdf").unlink(missing_ok=True)
    return _result(job, "failed", error, html_path, notebook, None, seconds=seconds)


def _kernel(state: _WorkerState, nb: NotebookNode, cwd: str) -> WarmKernel:
    """The worker's warm kernel, reset for the next notebook: started, or replaced when it is
    worn out, lacks the notebook's imports or does not answer."""
    from perfkit.rendering.warmkernel import WarmKernel, imports

    modules = imports(nb)
    kernel = state.kernel
    if kernel is not None and (
        kernel.used >= KERNEL_MAX_UNITS or not set(modules) <= set(kernel.modules)
    ):
        modules = list(dict.fromkeys([*kernel.modules, *modules]))
        _shutdown_kernel(state)
    if state.kernel is not None:
        try:
            state.kernel.reset(cwd)
            return state.kernel
        except Exception:
            _shutdown_kernel(state)
    state.kernel = WarmKernel(modules, timeout=CELL_TIMEOUT)
    state.kernel.reset(cwd)
    return state.kernel
