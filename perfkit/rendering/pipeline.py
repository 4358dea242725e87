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
the others; it gets an error page, is marked failed in the index, and the exit code becomes 1. A
PDF that cannot be printed fails only the PDF: the page is written and counts as rendered.

Where the reports are built is an executor (:mod:`perfkit.rendering.executors`): a pool of local
worker processes (default) or a Dask cluster (``dask=``). Workers return each report's page,
executed notebook and PDF (:mod:`perfkit.rendering.worker`); this client writes them, so a lost
worker never leaves half a report, and records them in the output folder's manifest
(:mod:`perfkit.rendering.manifest`): a second run renders only the reports whose fingerprint
changed or whose files are missing, re-renders a year's index only when something it lists
changed, and removes the reports of units and projects that left the data. See
docs/rendering.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from perfkit.core import atomic
from perfkit.core.problems import UsageError
from perfkit.rendering import executors, htmlexport, worker
from perfkit.rendering import pdf as pdfprint
from perfkit.rendering.jobs import Built, Job
from perfkit.rendering.manifest import Entry, Manifest
from perfkit.report import departments, templating

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
#: the year's projects page, beside index.html (its executed notebook: notebooks/projects.ipynb)
PROJECTS_PAGE = "projects"
LEVELS = ("unit", "project", "all")
LOCK_NAME = ".perfkit-render.lock"
UNIT_TITLE = "{unit_name} {year}年度 部门（单位）整体支出预算绩效自评报告"
INDEX_TITLE = "{year}年度 部门（单位）整体支出绩效自评 汇总"
PROJECTS_TITLE = "{year}年度 项目支出绩效自评 汇总"


def project_title(unit_name: str, year: int, project_name: str) -> str:
    """A project report's page title (see :func:`perfkit.report.projects.project_page_title`)."""
    from perfkit.report.projects import project_page_title

    return project_page_title(unit_name, year, project_name)


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
    #: True when the report was up to date and left as it was (incremental render)
    skipped: bool = False
    #: why its PDF could not be printed ("" when it was, or was not asked); the page is written
    pdf_error: str = ""
    #: "unit", "project", "index", "projects" or "department" ("" when not known)
    kind: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class RenderResult:
    """The outcome of :func:`render`: one :class:`UnitResult` per unit and per project, and each
    year's index and projects page (rendered this run, or ``skipped`` as up to date)."""

    out: Path
    units: list[UnitResult] = field(default_factory=list)
    indexes: list[UnitResult] = field(default_factory=list)
    elapsed: float = 0.0
    projects: list[UnitResult] = field(default_factory=list)
    project_pages: list[UnitResult] = field(default_factory=list)
    #: the files of reports whose unit or project left the data, deleted (relative paths)
    removed: list[str] = field(default_factory=list)
    #: the reports removed: "<年度>/<单位编码>[/<项目编码>]" (or "<年度>/index" …)
    removed_reports: list[str] = field(default_factory=list)
    #: where the reports were built ("" for this machine's worker processes)
    where: str = ""
    #: the 主管部门 pages (years with more than 200 units; ``unit_code`` is the page's id,
    #: ``unit_name`` the 主管部门)
    department_pages: list[UnitResult] = field(default_factory=list)

    @property
    def every(self) -> list[UnitResult]:
        return [*self.units, *self.projects, *self.indexes, *self.project_pages,
                *self.department_pages]  # fmt: skip

    @property
    def failed(self) -> list[UnitResult]:
        return [r for r in self.every if not r.ok]

    @property
    def pdf_failed(self) -> list[UnitResult]:
        """Reports whose page was written but whose PDF could not be printed."""
        return [r for r in self.every if r.ok and r.pdf_error]

    @property
    def rendered(self) -> list[UnitResult]:
        """Reports and pages written this run (failed ones included: their error page)."""
        return [r for r in self.every if not r.skipped]

    @property
    def skipped(self) -> list[UnitResult]:
        """Reports and pages that were up to date and left as they were."""
        return [r for r in self.every if r.skipped]

    @property
    def exit_code(self) -> int:
        """0 when every report, page and PDF asked for was generated (or up to date), else 1."""
        return 1 if self.failed or self.pdf_failed else 0

    def summary(self) -> str:
        """The Chinese summary printed at the end of a run."""
        lines = []
        for year in sorted({r.year for r in self.every}):
            parts = []
            for kind, done in (("单位", self.units), ("项目", self.projects)):
                rows = [r for r in done if r.year == year]
                ok = sum(r.ok for r in rows)
                if rows or kind == "单位":
                    parts.append(f"共 {len(rows)} 个{kind}，成功 {ok} 份，失败 {len(rows) - ok} 份")
            lines.append(f"{year}年度：{'；'.join(parts)}。")
        pages = self.every
        rendered = self.rendered
        lines.append(
            f"本次生成 {len(rendered)} 份（报告与汇总页），"
            f"未变化而跳过 {len(pages) - len(rendered)} 份，"
            f"删除 {len(self.removed_reports)} 份（单位或项目已不在数据中）。"
        )
        if self.removed_reports:
            shown = "、".join(self.removed_reports[:20])
            if len(self.removed_reports) > 20:
                shown += f" 等 {len(self.removed_reports)} 份"
            lines.append(f"已删除：{shown}")
        if self.failed:
            lines.append("未能生成的报告：")
            for r in self.failed:
                lines.append(f"  - {r.year}年度 {_what(r)}：{_first_line(r.error)}")
        if self.pdf_failed:
            lines.append("HTML 报告已生成，但 PDF 未能生成：")
            for r in self.pdf_failed:
                lines.append(f"  - {r.year}年度 {_what(r)}：{_first_line(r.pdf_error)}")
        if self.where:
            lines.append(f"渲染于：{self.where}")
        lines.append(f"输出目录：{self.out}")
        lines.append(f"用时：{self.elapsed:.1f} 秒")
        return "\n".join(lines)


def _what(r: UnitResult) -> str:
    """How the summary names a report."""
    if r.project_code:
        return f"{r.unit_code}/{r.project_code} {r.project_name}（{r.unit_name}）"
    if r.unit_code == "index":
        return "汇总页 index.html"
    if r.unit_code == PROJECTS_PAGE:
        return "项目汇总页 projects.html"
    if r.kind == "department":
        return f"主管部门汇总页 {departments.FOLDER}/{r.unit_code}.html（{r.unit_name}）"
    return f"{r.unit_code} {r.unit_name}"


def _first_line(text: str, limit: int = 200) -> str:
    line = next((s for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# the plan: which units of which years


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
            plan.units.setdefault(year, []).append((code, unit_names.get(code, code)))
    if level in ("project", "all"):
        rows = pairs[pairs["project_code"] != ""]
        for year, code, project in sorted(
            zip(rows["year"].astype(int), rows["unit_code"].astype(str),
                rows["project_code"], strict=True)
        ):  # fmt: skip
            entry = (code, unit_names.get(code, code), project,
                     project_names.get((code, project), project))  # fmt: skip
            plan.projects.setdefault(year, []).append(entry)
    return plan


def _units_by_year(
    ds: Dataset, years: Sequence[int] | None, units: Sequence[str] | None
) -> dict[int, list[tuple[str, str]]]:
    """{year: [(unit_code, unit_name)]}: the units with their own 部门整体 rows that year."""
    return _plan(ds, years, units, level="unit").units


def _project_notebook_paths(unit: Path) -> tuple[Path, Path, Path]:
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
    force: bool = False,
    dask: str | None = None,
) -> RenderResult:
    """Render every selected unit's and project's report, and each year's index and projects
    page, into ``out``; skip what is up to date.

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

    Incremental: a report whose fingerprint (its data, notebook, templates, rulebook, perfkit's
    code, ``pdf``) is the one recorded in the folder's manifest, and whose files are there, is
    left as it is; ``force`` renders everything. Reports of units or projects no longer in the
    data are deleted (only files perfkit wrote; not with ``index=False``). ``dask`` sends the
    work to a Dask cluster: a scheduler's address, or ``"local"`` / ``"local:N"`` for a local
    cluster of N processes.

    Raises InvalidInput for invalid data and UsageError (RenderLocked) for a bad selection or
    level, a missing notebook, template folder or Chromium, an unreachable Dask scheduler, or a
    folder another render is writing; nothing is written then.
    """
    from perfkit.data.loading import load

    started = time.monotonic()
    data_path = Path(data).expanduser().resolve()
    ds = load(data_path, rules=rules)
    plan = _plan(ds, list(years or []) or None, list(units or []) or None, level)
    if not plan.years:
        raise UsageError("所选范围内没有任何单位或项目的数据，没有报告可以生成。")
    unit_nb, overview_nb = _notebook_paths(notebook)
    project_nb, projects_nb, department_nb = _project_notebook_paths(unit_nb)
    user_templates = _templates_folder(templates)
    if pdf and (not dask or executors.local_workers(dask) is not None):
        pdfprint.find_chromium()  # (a Dask cluster's workers print: checked on each of them)
    # Dask installed, its scheduler answers, every worker sees the data (else exit 2, no writes)
    executors.check(dask, str(data_path), user_templates, _rules_parameter(rules), pdf)
    out_path = Path(out).expanduser().resolve()
    out_path.mkdir(parents=True, exist_ok=True)
    rules_param = _rules_parameter(rules)
    result = RenderResult(out=out_path)
    notebooks = (unit_nb, overview_nb, project_nb, projects_nb, department_nb)
    texts = {p: p.read_text(encoding="utf-8") for p in notebooks}
    context = _Context(
        ds=ds,
        data=str(data_path),
        out=out_path,
        rules=rules_param,
        pdf=pdf,
        reuse=reuse_kernels,
        templates=user_templates,
        environment=_environment(rules, user_templates, ds, pdf),
        notebooks=texts,
        force=force,
    )
    worker.remove_stale_scratch()
    from perfkit.rendering.warmkernel import remove_stale_sockets

    remove_stale_sockets()

    with output_lock(out_path):
        manifest = Manifest(out_path)
        try:
            if index:  # one report exported from a notebook removes nothing
                _remove_departed(manifest, ds, result)
            for year in plan.years:
                folder = out_path / str(year)
                for sub in (folder, folder / "notebooks"):
                    sub.mkdir(parents=True, exist_ok=True)
                    atomic.remove_stale_temporaries(sub)
                pages = folder / departments.FOLDER, folder / "notebooks" / departments.FOLDER
                for sub in pages:  # written when the year has department pages
                    if sub.is_dir():
                        atomic.remove_stale_temporaries(sub)
                for code in {p[0] for p in plan.projects.get(year, [])}:
                    for sub in (folder / code, folder / "notebooks" / code):
                        sub.mkdir(parents=True, exist_ok=True)
                        atomic.remove_stale_temporaries(sub)
            project_jobs = [
                context.job("project", year, code=code, name=name, project=project,
                            project_name=pname, title=project_title(name, year, pname),
                            notebook=project_nb, parameters={"unit_code": code,
                                                             "project_code": project})
                for year, entries in plan.projects.items()
                for code, name, project, pname in entries
            ]  # fmt: skip
            unit_jobs = [
                context.job("unit", year, code=code, name=name, notebook=unit_nb,
                            title=UNIT_TITLE.format(unit_name=name, year=year),
                            parameters={"unit_code": code, "status": ""})
                for year, entries in plan.units.items()
                for code, name in entries
            ]  # fmt: skip
            finals = {
                year: [context.job("index", year, code="index", name="", notebook=overview_nb,
                                   title=INDEX_TITLE.format(year=year), parameters={"status": ""})]
                + ([context.job("projects", year, code=PROJECTS_PAGE, name="",
                                notebook=projects_nb, title=PROJECTS_TITLE.format(year=year),
                                parameters={"status": ""})]
                   if plan.projects.get(year) else [])
                + [context.job("department", year, code=dep.id, name=dep.name,
                               notebook=department_nb, title=dep.title(year),
                               parameters={"status": "", "department": dep.name},
                               members=dep.unit_codes)
                   for dep in departments.plan(ds, year)]
                for year in plan.years
            }  # fmt: skip
            if not index:
                finals = {year: [] for year in finals}
            _run(context, manifest, unit_jobs, project_jobs, finals, jobs, dask, progress, result)
        finally:
            manifest.save()
    for done in (result.units, result.projects):
        done.sort(key=lambda r: (r.year, r.unit_code, r.project_code))
    result.indexes.sort(key=lambda r: r.year)
    result.project_pages.sort(key=lambda r: r.year)
    result.department_pages.sort(key=lambda r: (r.year, r.unit_name))
    result.elapsed = time.monotonic() - started
    return result


# ---------------------------------------------------------------------------------------------
# fingerprints


def _environment(
    rules: str | os.PathLike[str] | None, templates: str | None, ds: Dataset, pdf: bool
) -> str:
    """What every report's page depends on besides its data and notebook: perfkit's own code,
    templates and rulebooks (every file of the installed package), the user's templates, the
    rulebook in force, the dataset's name and fictional flag, and whether a PDF is printed."""
    from perfkit.rules.rulebook import load_rulebook

    h = hashlib.sha256(b"perfkit-render-environment-1")
    package = Path(__file__).resolve().parents[1]
    roots = [package] + [Path(p) for p in (templates or "").split(os.pathsep) if p]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                h.update(f"\x1e{path.relative_to(root).as_posix()}\x1f".encode())
                h.update(path.read_bytes())
    h.update(repr(load_rulebook(rules)).encode())
    h.update(repr((ds.name, ds.fictional, pdf, sys.version_info[:2])).encode())
    return h.hexdigest()


@dataclass
class _Context:
    """What every job of a run shares, and the data fingerprints of its reports."""

    ds: Dataset
    data: str
    out: Path
    rules: str | None
    pdf: bool
    reuse: bool
    templates: str | None
    environment: str
    notebooks: dict[Path, str]
    force: bool
    _data: Any = None

    def job(self, kind: str, year: int, *, notebook: Path, parameters: dict[str, Any],
            **fields: Any) -> Job:  # fmt: skip
        return Job(
            kind=kind,  # type: ignore[arg-type]
            year=year,
            folder=str(self.out / str(year)),
            notebook=str(notebook),
            notebook_text=self.notebooks[notebook],
            pdf=self.pdf and kind in ("unit", "project"),
            reuse_kernel=self.reuse,
            templates=self.templates,
            parameters={"data": self.data, "year": year, "rules": self.rules, **parameters},
            **fields,
        )

    def data_fingerprint(self, job: Job) -> str:
        from perfkit.data import fingerprints

        if self._data is None:
            self._data = fingerprints.every_report(self.ds)
        fp = self._data
        if job.kind == "unit":
            return fp.units.get((job.year, job.code), "")
        if job.kind == "project":
            return fp.projects.get((job.year, job.code, job.project), "")
        if job.kind == "index":
            return fp.years.get(job.year, "")
        if job.kind == "department":
            return fingerprints.units_of_year(fp, job.year, job.members)
        return fp.project_pages.get(job.year, "")

    def fingerprint(self, job: Job) -> str:
        """The job's report fingerprint: its data, notebook, status and the environment."""
        h = hashlib.sha256(b"perfkit-report-1")
        for part in (
            self.environment,
            job.kind,
            job.title,
            self.data_fingerprint(job),
            hashlib.sha256(job.notebook_text.encode()).hexdigest(),
            json.dumps(job.status, ensure_ascii=False, sort_keys=True, allow_nan=False),
        ):
            h.update(f"\x1e{part}".encode())
        return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# running the jobs


def _run(
    context: _Context,
    manifest: Manifest,
    unit_jobs: list[Job],
    project_jobs: list[Job],
    finals: dict[int, list[Job]],
    jobs: int | None,
    dask: str | None,
    progress: bool,
    result: RenderResult,
) -> None:
    """Run the projects, each unit as soon as its projects are done (its report links to those
    written), then each year's index and projects page as soon as that year's reports are done.
    Reports that are up to date are not sent to a worker at all."""
    from tqdm import tqdm

    reports = [*project_jobs, *unit_jobs]
    remaining = {year: sum(j.year == year for j in reports) for year in finals}
    # a unit's report waits for its projects' reports
    waiting: dict[tuple[int, str], int] = {}
    for j in project_jobs:
        waiting[(j.year, j.code)] = waiting.get((j.year, j.code), 0) + 1
    with_projects = set(waiting)
    bar = tqdm(
        total=len(reports),
        desc="生成报告",
        unit="份",
        file=sys.stderr,
        disable=not (progress and sys.stderr.isatty()),
        dynamic_ncols=True,
    )
    executor: executors.Executor | None = None
    pending: dict[Future[Built], Job] = {}
    held: dict[tuple[int, str], Job] = {}
    ready: list[tuple[Job, UnitResult]] = []  # outcomes known without a worker (skipped)

    def start() -> executors.Executor:
        nonlocal executor
        if executor is None:
            count = max(1, min(jobs or os.cpu_count() or 1, len(reports) or 1))
            executor = executors.make(dask, count, context.templates)
            result.where = executor.where
        return executor

    # each unit's project reports as they finish (its report links them)
    projects_done: dict[tuple[int, str], list[UnitResult]] = {}

    def submit(job: Job, status: list[dict[str, str]] | None = None) -> None:
        if job.kind == "unit" and (job.year, job.code) in with_projects:
            done = sorted(projects_done.get((job.year, job.code), []), key=lambda r: r.project_code)
            status = [_entry(r) for r in done]
        if status is not None:
            job = dataclasses.replace(job, status=status)
        job = dataclasses.replace(job, fingerprint=context.fingerprint(job))
        entry = None if context.force else manifest.current(job.key, job.fingerprint)
        if entry is not None:
            ready.append((job, _skipped(job, entry, context.out)))
            return
        if job.status is not None:
            _write_status_file(job)
        pending[start().submit(job)] = job

    def year_done(year: int) -> None:
        if not finals[year]:  # index=False: the year's pages are left alone
            return
        status = _year_status(year, result, manifest)  # once per year, for every page
        by_unit: dict[str, list[dict[str, str]]] = {}
        for e in status:
            by_unit.setdefault(e["unit_code"], []).append(e)
        for final in finals[year]:
            if final.kind == "department":  # its own units' reports (and their projects')
                submit(final, [e for code in final.members for e in by_unit.get(code, [])])
            else:
                submit(final, status)

    pages = {"index": result.indexes, "projects": result.project_pages,
             "department": result.department_pages}  # fmt: skip

    def finish(job: Job, outcome: UnitResult) -> None:
        if job.kind in pages:
            pages[job.kind].append(outcome)
            return
        (result.units if job.kind == "unit" else result.projects).append(outcome)
        bar.update(1)
        failed = sum(not r.ok for r in (*result.units, *result.projects))
        if failed:
            bar.set_postfix_str(f"失败 {failed} 份")
        if job.kind == "project":
            key = (job.year, job.code)
            projects_done.setdefault(key, []).append(outcome)
            waiting[key] -= 1
            if waiting[key] == 0 and key in held:
                submit(held.pop(key))
        remaining[job.year] -= 1
        if remaining[job.year] == 0:
            year_done(job.year)

    try:
        for job in project_jobs:
            submit(job)
        for job in unit_jobs:
            if waiting.get((job.year, job.code)):
                held[(job.year, job.code)] = job
            else:
                submit(job)
        for year in finals:  # a year with nothing to render but its index (cannot happen)
            if remaining[year] == 0:
                year_done(year)
        while pending or ready:
            while ready:
                finish(*ready.pop(0))
            if not pending:
                continue
            done, _ = wait_futures(pending, return_when="FIRST_COMPLETED")
            for future in done:
                job = pending.pop(future)
                finish(job, _write(job, _outcome(future), context, manifest))
    except BaseException:
        if executor is not None:
            executor.shutdown(cancel=True)
        raise
    finally:
        bar.close()
    if executor is not None:
        executor.shutdown()


def _outcome(future: Future[Built]) -> Built:
    """The worker's result; a worker that died (killed, out of memory) fails its job, not the
    run."""
    try:
        return future.result()
    except BrokenProcessPool:
        return Built("failed", executors.LOST)
    except Exception as err:  # a bug in the worker itself, or a Dask task lost too often
        return Built("failed", f"{type(err).__name__}: {err}")


def _skipped(job: Job, entry: Entry, out: Path) -> UnitResult:
    """The result of a report that was up to date."""
    html, notebook = _paths(job)
    pdf = html.with_suffix(".pdf")
    pdf_rel = pdf.relative_to(out).as_posix()
    return UnitResult(
        job.year, job.code, job.name, "ok", "", html,
        notebook if notebook.exists() else None,
        pdf if pdf_rel in entry.files else None,
        0.0, job.project, job.project_name, skipped=True, kind=job.kind,
    )  # fmt: skip


def _write(job: Job, built: Built, context: _Context, manifest: Manifest) -> UnitResult:
    """Write what a worker built: the executed notebook, the page (or an error page) and the PDF,
    each atomically, between the manifest's "being replaced" and "written" records."""
    html_path, nb_path = _paths(job)
    pdf_path = html_path.with_suffix(".pdf")
    status_file = _status_path(job)
    files = (
        [html_path, nb_path]
        + ([pdf_path] if job.pdf else [])
        + ([status_file] if status_file else [])
    )
    entry = Entry(
        kind=job.kind, year=job.year,
        unit_code=job.code if job.kind in ("unit", "project", "department") else "",
        project_code=job.project, name=job.name, project_name=job.project_name,
        files=manifest.rel(files),
    )  # fmt: skip
    key = job.key
    problem = worker.code_problem(job)
    if problem:  # the code cannot name a file: nothing is written for it
        return _result(job, "failed", built.error or problem, None, None, None, built.seconds)
    manifest.replacing(key, entry)
    if built.notebook is not None:
        atomic.write_text(nb_path, built.notebook)
    else:
        nb_path.unlink(missing_ok=True)
    notebook = nb_path if built.notebook is not None else None
    if built.status != "ok" or built.html is None:
        error = built.error or "报告未能生成（原因不明）。"
        _write_failed_page(job, error, notebook)
        pdf_path.unlink(missing_ok=True)
        written = [p for p in files if p.exists()]
        manifest.written(key, dataclasses.replace(
            entry, status="failed", error=error, fingerprint=job.fingerprint,
            files=manifest.rel(written),
        ))  # fmt: skip
        return _result(job, "failed", error, html_path, notebook, None, built.seconds)
    atomic.write_text(html_path, built.html)
    pdf_written = None
    if built.pdf is not None:
        atomic.write_bytes(pdf_path, built.pdf)
        pdf_written = pdf_path
    else:
        pdf_path.unlink(missing_ok=True)
    written = [p for p in files if p.exists()]
    # a page whose PDF failed is written, but not current: the next run tries the PDF again
    manifest.written(key, dataclasses.replace(
        entry, fingerprint="" if built.pdf_error else job.fingerprint, files=manifest.rel(written),
    ))  # fmt: skip
    outcome = _result(job, "ok", "", html_path, notebook, pdf_written, built.seconds)
    if built.pdf_error:
        outcome = dataclasses.replace(
            outcome, pdf_error=f"HTML 报告已生成，但 PDF 未能生成：{built.pdf_error}"
        )
    return outcome


def _result(
    job: Job,
    status: Literal["ok", "failed"],
    error: str,
    html: Path | None,
    notebook: Path | None,
    pdf: Path | None,
    seconds: float = 0.0,
) -> UnitResult:
    return UnitResult(job.year, job.code, job.name, status, error, html, notebook, pdf, seconds,
                      job.project, job.project_name, kind=job.kind)  # fmt: skip


def _paths(job: Job) -> tuple[Path, Path]:
    """The job's page and its executed notebook."""
    folder = Path(job.folder)
    if job.kind == "project":
        return (
            folder / job.code / f"{job.project}.html",
            folder / "notebooks" / job.code / f"{job.project}.ipynb",
        )
    if job.kind == "department":
        return (
            folder / departments.FOLDER / f"{job.code}.html",
            folder / "notebooks" / departments.FOLDER / f"{job.code}.ipynb",
        )
    page = "index" if job.kind == "index" else job.code
    return folder / f"{page}.html", folder / "notebooks" / f"{job.code}.ipynb"


def _write_failed_page(job: Job, error: str, notebook: Path | None) -> None:
    """Write the error page in place of the report (or the fallback index)."""
    html_path, _ = _paths(job)
    if job.kind == "index":
        page = htmlexport.fallback_index(job.year, job.status or [], error, templates=job.templates)
    elif job.kind == "department":
        href = f"../notebooks/{departments.FOLDER}/{notebook.name}" if notebook else None
        page = htmlexport.error_page(job.title, "", "", job.year, error, href,
                                     templates=job.templates)  # fmt: skip
    else:
        up = "../" if job.kind == "project" else ""
        href = (
            f"{up}notebooks/{job.code + '/' if job.project else ''}{notebook.name}"
            if notebook
            else None
        )
        page = htmlexport.error_page(
            job.title, job.code, job.name, job.year, error, href, templates=job.templates,
            project_code=job.project, project_name=job.project_name,
        )  # fmt: skip
    atomic.write_text(html_path, page)


# ---------------------------------------------------------------------------------------------
# status: what the index and a unit's report show of the other reports


def _entry(r: UnitResult | Entry) -> dict[str, str]:
    """A report's entry in a status file (``href`` relative to the year's folder), from this
    run's result or from what the manifest recorded of an earlier run."""
    unit_name = r.unit_name if isinstance(r, UnitResult) else r.name
    entry = {
        "unit_code": r.unit_code,
        "unit_name": unit_name,
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


def _year_status(year: int, result: RenderResult, manifest: Manifest) -> list[dict[str, str]]:
    """The year's reports as the index shows them: this run's outcome, else what the manifest
    records of earlier runs (a report left out of this run's selection is still listed)."""
    entries: dict[tuple[str, str], dict[str, str]] = {}
    for e in manifest.entries.values():
        if e.year == year and e.kind in ("unit", "project") and e.unit_code:
            entries[(e.unit_code, e.project_code)] = _entry(e)
    for r in (*result.units, *result.projects):
        if r.year == year:
            entries[(r.unit_code, r.project_code)] = _entry(r)
    return [entries[k] for k in sorted(entries)]


def _status_path(job: Job) -> Path | None:
    """Where the status a page shows is kept for audit, beside its executed notebook."""
    if job.status is None or job.kind == "department":  # a department's: part of the year's
        return None
    folder = Path(job.folder) / "notebooks"
    if job.kind == "unit":
        return folder / job.code / "status.json"
    return folder / "status.json"


def _write_status_file(job: Job) -> None:
    path = _status_path(job)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(
        path, json.dumps(job.status, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    )


# ---------------------------------------------------------------------------------------------
# reports that left the data


def _remove_departed(manifest: Manifest, ds: Dataset, result: RenderResult) -> None:
    """Delete the files of reports whose unit or project (or whole year) is no longer in the
    data — whatever this run renders — and forget them."""
    present = _plan(ds, None, None, "all")
    units = {(y, c) for y, entries in present.units.items() for c, _ in entries}
    projects = {(y, c, p) for y, entries in present.projects.items() for c, _, p, _ in entries}
    years = set(present.years)
    project_years = {y for y in years if present.projects.get(y)}
    department_pages = {(y, dep.id) for y in years for dep in departments.plan(ds, y)}
    for key in list(manifest.entries):
        e = manifest.entries[key]
        gone = (
            (e.kind == "unit" and (e.year, e.unit_code) not in units)
            or (e.kind == "project" and (e.year, e.unit_code, e.project_code) not in projects)
            or (e.kind == "index" and e.year not in years)
            or (e.kind == "projects" and e.year not in project_years)
            or (e.kind == "department" and (e.year, e.unit_code) not in department_pages)
        )
        if gone:
            deleted = manifest.remove(key)
            result.removed += manifest.rel(deleted) if deleted else []
            result.removed_reports.append(key)
