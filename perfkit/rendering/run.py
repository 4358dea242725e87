"""The run loop: send each report to a worker when what it shows is known, write each result as
it comes back.

A unit's report waits for its projects' reports (it links only those written); each year's
index, projects page and department pages wait for that year's reports (they list every
report's status). A report that is up to date (:meth:`Manifest.current`) is not sent to a worker
at all. Where the reports are built is an executor (:mod:`perfkit.rendering.executors`); what
comes back is written by a :class:`~perfkit.rendering.writing.Writer`.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool

from perfkit.rendering import executors, failures, layout
from perfkit.rendering.jobs import Built, Job
from perfkit.rendering.results import UnitResult
from perfkit.rendering.status import entry, year_status
from perfkit.rendering.status import write_file as status_file
from perfkit.rendering.writing import Writer


def run(
    writer: Writer,
    unit_jobs: list[Job],
    project_jobs: list[Job],
    finals: dict[int, list[Job]],
    jobs: int | None,
    dask: str | None,
    progress: bool,
) -> None:
    """Run the projects, each unit as soon as its projects are done (its report links to those
    written), then each year's index and projects page as soon as that year's reports are done.
    Reports that are up to date are not sent to a worker at all."""
    from tqdm import tqdm

    context, manifest, result = writer.context, writer.manifest, writer.result
    roots = context.roots
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
            status = [entry(r, roots) for r in done]
        if status is not None:
            job = dataclasses.replace(job, status=status)
        job = dataclasses.replace(job, fingerprint=context.fingerprint(job))
        pdf = layout.rel(context.out, layout.paths(context.out, job).pdf) if job.pdf else None
        recorded = None if context.force else manifest.current(job.key, job.fingerprint, pdf)
        if recorded is not None:
            ready.append((job, writer.skipped(job, recorded)))
            return
        status_file(context.out, job)
        pending[start().submit(job)] = job

    def year_done(year: int) -> None:
        if not finals[year]:  # index=False: the year's pages are left alone
            return
        status = year_status(year, result, manifest, roots)  # once per year, for every page
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
                finish(job, writer.write(job, outcome(future)))
    except BaseException:
        if executor is not None:
            executor.shutdown(cancel=True)
        raise
    finally:
        bar.close()
    if executor is not None:
        executor.shutdown()


def outcome(future: Future[Built]) -> Built:
    """The worker's result; a worker that died (killed, out of memory) fails its job, not the
    run."""
    try:
        return future.result()
    except BrokenProcessPool:
        return Built("failed", executors.LOST)
    except Exception as err:  # a bug in the worker itself, or a Dask task lost too often
        failure = failures.internal_error(err)
        return Built("failed", failure.message, detail=failure.detail)
