"""Batch rendering: every unit's and every project's report, and each year's index and projects
page, in a pool of worker processes (or on a Dask cluster).

``render(data, out="reports")`` loads and validates the dataset once (an invalid dataset raises
:class:`~perfkit.core.problems.InvalidInput` before anything is written), takes the output folder's
lock, then executes the unit notebook (``perfkit/report/notebooks/unit_report.ipynb``, package
data) once per unit and the project notebook (``project_report.ipynb``) once per project through
papermill's Python API, exports each executed notebook to HTML in-process with nbconvert
(:mod:`perfkit.rendering.htmlexport`) and writes, per year, the pages to publish into
``<out>/<年度>/`` and what is kept for the operator — executed notebooks, status files, the
manifest, logs — into ``<out>/_internal/`` (:mod:`perfkit.rendering.layout`).

The modules of a render, in the order a run uses them:

- :mod:`~perfkit.rendering.plan`: which reports, from which notebooks (usage errors first);
- :mod:`~perfkit.rendering.lock`: one render per output folder;
- :mod:`~perfkit.rendering.manifest`: what earlier runs wrote (distrusted: paths checked, files
  removed only when their digest matches), :mod:`~perfkit.rendering.cleanup`: the old layout
  moved, the reports that left the data removed;
- :mod:`~perfkit.rendering.context`: the jobs and their fingerprints (what is up to date);
- :mod:`~perfkit.rendering.run`: the run loop over an executor
  (:mod:`~perfkit.rendering.executors`, :mod:`~perfkit.rendering.worker`);
- :mod:`~perfkit.rendering.writing`: each result written (or the last good page kept),
  :mod:`~perfkit.rendering.status`: what the pages show of the other reports,
  :mod:`~perfkit.rendering.failures` and :mod:`~perfkit.rendering.runlog`: why something
  failed, in Chinese, and the technical detail in a log;
- :mod:`~perfkit.rendering.results`: the :class:`RenderResult` and its summary.

See docs/rendering.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from perfkit.core import crashlog
from perfkit.core.bidi import isolate
from perfkit.core.problems import PerfkitError, UsageError
from perfkit.rendering import cleanup, executors, worker
from perfkit.rendering import pdf as pdfprint
from perfkit.rendering.context import Context, environment
from perfkit.rendering.jobs import Job
from perfkit.rendering.layout import PROJECTS_PAGE
from perfkit.rendering.lock import LOCK_NAME, RenderLocked, output_lock
from perfkit.rendering.manifest import Manifest
from perfkit.rendering.plan import (
    INDEX_TITLE,
    NOTEBOOKS,
    PROJECTS_TITLE,
    UNIT_TITLE,
    Plan,
    notebook_paths,
    plan,
    project_notebook_paths,
    project_title,
    rules_parameter,
    templates_folder,
    units_by_year,
)
from perfkit.rendering.results import RenderResult, UnitResult
from perfkit.rendering.run import run
from perfkit.rendering.runlog import RunLog
from perfkit.rendering.writing import Writer
from perfkit.report import departments

__all__ = [
    "LOCK_NAME",
    "NOTEBOOKS",
    "RenderLocked",
    "RenderResult",
    "UnitResult",
    "output_lock",
    "render",
]

# the names the plan had here before the split (tests, benchmarks)
_plan = plan
_units_by_year = units_by_year
_notebook_paths = notebook_paths
_project_notebook_paths = project_notebook_paths
_templates_folder = templates_folder


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
    code) is the one recorded in the folder's manifest, and whose files are there (with ``pdf``, a
    PDF printed from that very page), is left as it is; ``force`` renders everything. Reports of
    units or projects no longer in the data are deleted (only files perfkit wrote, unchanged since;
    not with ``index=False``). A report that fails keeps the page an earlier run wrote. ``dask``
    sends the work to a Dask cluster: a scheduler's address, or ``"local"`` / ``"local:N"`` for a
    local cluster of N processes.

    Raises InvalidInput for invalid data and UsageError (RenderLocked) for a bad selection or
    level, a missing notebook, template folder or Chromium, an unreachable Dask scheduler, or a
    folder another render is writing; nothing is written then. An unexpected error once the
    folder is locked is recorded with its traceback in the run's log, whose path is noted on the
    exception (:func:`perfkit.core.crashlog.logged`).
    """
    from perfkit.data.loading import load

    started = time.monotonic()
    data_path = Path(data).expanduser().resolve()
    ds = load(data_path, rules=rules)
    chosen = plan(ds, list(years or []) or None, list(units or []) or None, level)
    if not chosen.years:
        raise UsageError("所选范围内没有任何单位或项目的数据，没有报告可以生成。")
    unit_nb, overview_nb = notebook_paths(notebook)
    project_nb, projects_nb, department_nb = project_notebook_paths(unit_nb)
    user_templates = templates_folder(templates)
    if pdf and (not dask or executors.local_workers(dask) is not None):
        pdfprint.find_chromium()  # (a Dask cluster's workers print: checked on each of them)
    # Dask installed, its scheduler answers, every worker sees the data (else exit 2, no writes)
    executors.check(dask, str(data_path), user_templates, rules_parameter(rules), pdf)
    out_path = Path(out).expanduser().resolve()
    out_path.mkdir(parents=True, exist_ok=True)
    result = RenderResult(out=out_path)
    notebooks = (unit_nb, overview_nb, project_nb, projects_nb, department_nb)
    context = Context(
        ds=ds,
        data=str(data_path),
        out=out_path,
        rules=rules_parameter(rules),
        pdf=pdf,
        reuse=reuse_kernels,
        templates=user_templates,
        environment=environment(rules, user_templates, ds),
        notebooks={p: p.read_text(encoding="utf-8") for p in notebooks},
        force=force,
    )
    worker.remove_stale_scratch()
    from perfkit.rendering.warmkernel import remove_stale_sockets

    remove_stale_sockets()

    with output_lock(out_path):
        log = RunLog(out_path)
        manifest = Manifest(out_path)
        result.notices += manifest.notices
        finished = False
        try:
            cleanup.write_readme(out_path)
            cleanup.migrate(out_path, manifest, result)
            if index:  # one report exported from a notebook removes nothing
                cleanup.remove_departed(manifest, ds, result)
            for year in chosen.years:
                codes = {p[0] for p in chosen.projects.get(year, [])}
                cleanup.prepare(out_path, year, codes)
            project_jobs, unit_jobs, finals = _jobs(context, chosen, index, notebooks)
            writer = Writer(context, manifest, log, result)
            run(writer, unit_jobs, project_jobs, finals, jobs, dask, progress)
            finished = True
        except Exception as err:
            if not isinstance(err, PerfkitError):  # not the user's: keep the traceback
                with_log = log.crash(err)
                if with_log is not None:
                    crashlog.remember(err, with_log)
            raise
        finally:
            # folded even when interrupted (the journal alone would do: it is read next time)
            try:
                manifest.save()
            except OSError:
                manifest.close()
                if finished:
                    raise
        for notice in result.notices:
            log.record("注意", notice)
    result.log = log.path if log.used else None
    for done in (result.units, result.projects):
        done.sort(key=lambda r: (r.year, r.unit_code, r.project_code))
    result.indexes.sort(key=lambda r: r.year)
    result.project_pages.sort(key=lambda r: r.year)
    result.department_pages.sort(key=lambda r: (r.year, r.unit_name))
    result.elapsed = time.monotonic() - started
    return result


def _jobs(
    context: Context, chosen: Plan, index: bool, notebooks: tuple[Path, ...]
) -> tuple[list[Job], list[Job], dict[int, list[Job]]]:
    """The run's jobs: the projects', the units', and per year its index, projects page and
    department pages (none with ``index=False``)."""
    unit_nb, overview_nb, project_nb, projects_nb, department_nb = notebooks
    ds = context.ds
    project_jobs = [
        context.job("project", year, code=code, name=name, project=project,
                    project_name=pname, title=project_title(name, year, pname),
                    notebook=project_nb, parameters={"unit_code": code,
                                                     "project_code": project})
        for year, entries in chosen.projects.items()
        for code, name, project, pname in entries
    ]  # fmt: skip
    unit_jobs = [
        context.job("unit", year, code=code, name=name, notebook=unit_nb,
                    title=UNIT_TITLE.format(unit_name=isolate(name), year=year),
                    parameters={"unit_code": code, "status": ""})
        for year, entries in chosen.units.items()
        for code, name in entries
    ]  # fmt: skip
    finals = {
        year: [context.job("index", year, code="index", name="", notebook=overview_nb,
                           title=INDEX_TITLE.format(year=year), parameters={"status": ""})]
        + ([context.job("projects", year, code=PROJECTS_PAGE, name="",
                        notebook=projects_nb, title=PROJECTS_TITLE.format(year=year),
                        parameters={"status": ""})]
           if chosen.projects.get(year) else [])
        + [context.job("department", year, code=dep.id, name=dep.name,
                       notebook=department_nb, title=dep.title(year),
                       parameters={"status": "", "department": dep.name},
                       members=dep.unit_codes)
           for dep in departments.plan(ds, year)]
        for year in chosen.years
    }  # fmt: skip
    if not index:
        finals = {year: [] for year in finals}
    return project_jobs, unit_jobs, finals
