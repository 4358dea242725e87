"""Writing what a worker built into the output folder (the render client's side).

Each report's files — the executed notebook (operator folder), the page and the PDF (publish
folder) — are written atomically (:mod:`perfkit.core.atomic`) between the manifest's "being
replaced" and "written" records, with the digest of every byte written (issue 12 §2, issue 16
§3). Nothing is ever deleted here:

- a page rendered without ``--pdf`` keeps the PDF an earlier run printed (it is still the
  report's file; the summary says when it was printed from an older page);
- **a report that fails keeps the last good page** an earlier run wrote (and its PDF and
  notebook), untouched: a lost Dask cluster, a dead kernel or a notebook error costs nothing
  that was published (issue 16 §5). The failure is in the summary, the log, the status files
  and the index, and the next run tries the report again;
- a report that fails with no good page of it on disk gets an error page (or, for the index,
  the fallback index) saying why, without this machine's paths (:func:`failures.redact`), and
  naming the run's log and the executed notebook as paths in the output folder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from perfkit.core import atomic, crashlog
from perfkit.rendering import failures, htmlexport, layout, status
from perfkit.rendering.context import Context
from perfkit.rendering.jobs import Built, Job
from perfkit.rendering.manifest import Entry, Manifest, digest
from perfkit.rendering.results import RenderResult, UnitResult, what
from perfkit.rendering.runlog import RunLog
from perfkit.rendering.worker import code_problem

#: added to the reason of a report that failed while an earlier page of it is kept
KEPT = "已保留上次生成的报告（内容为上次生成时的数据）。"
UNKNOWN = "原因不明。"


@dataclass
class Writer:
    """Writes the run's reports into ``context.out`` and records them in ``manifest``;
    failures go to ``log``, stale PDFs to ``result``."""

    context: Context
    manifest: Manifest
    log: RunLog
    result: RenderResult

    @property
    def out(self) -> Path:
        return self.context.out

    # -- a report that was up to date

    def skipped(self, job: Job, entry: Entry) -> UnitResult:
        """The result of a report left as it was."""
        where = layout.paths(self.out, job)
        pdf = layout.rel(self.out, where.pdf)
        has_pdf = pdf in entry.files
        if has_pdf and entry.pdf_fingerprint != entry.fingerprint:
            self.result.stale_pdfs.append(pdf)
        return UnitResult(
            job.year, job.code, job.name, "ok", "", where.html,
            where.notebook if where.notebook.exists() else None,
            where.pdf if has_pdf else None,
            0.0, job.project, job.project_name, skipped=True, kind=job.kind,
        )  # fmt: skip

    # -- what a worker built

    def write(self, job: Job, built: Built) -> UnitResult:
        """Write what a worker built for ``job`` (or keep the last good page when it failed)."""
        problem = code_problem(job)
        if problem:  # the code cannot name a file: nothing is written for it
            return self._result(job, "failed", built.error or problem, seconds=built.seconds)
        try:
            if built.status != "ok" or built.html is None:
                return self._failed(job, built)
            return self._written(job, built)
        except OSError as err:  # a full disk, a folder it may not write: this report fails
            message = f"无法写入本报告的文件（{crashlog.os_reason(err)}）。"
            self._log(job, message, crashlog.technical(err))
            return self._result(job, "failed", message, seconds=built.seconds)

    def _written(self, job: Job, built: Built) -> UnitResult:
        where = layout.paths(self.out, job)
        data: dict[Path, bytes] = {}
        if built.notebook is not None:
            data[where.notebook] = built.notebook.encode("utf-8", "backslashreplace")
        data[where.html] = (built.html or "").encode("utf-8", "backslashreplace")
        if built.pdf is not None:
            data[where.pdf] = built.pdf
        old = self.manifest.entries.get(job.key)
        new = self._replace(job, data, old, good=True)
        pdf = layout.rel(self.out, where.pdf)
        if built.pdf is not None:
            pdf_fingerprint = job.fingerprint
        else:  # a PDF an earlier run printed is kept; from which page it was printed is known
            pdf_fingerprint = old.pdf_fingerprint if old and pdf in new.files else ""
            if pdf in new.files and pdf_fingerprint != job.fingerprint:
                self.result.stale_pdfs.append(pdf)
        self.manifest.written(job.key, dataclasses.replace(
            new, fingerprint=job.fingerprint, pdf_fingerprint=pdf_fingerprint,
        ))  # fmt: skip
        outcome = self._result(
            job, "ok", "", where.html, where.notebook if built.notebook is not None else None,
            where.pdf if built.pdf is not None else None, built.seconds,
        )  # fmt: skip
        if built.pdf_error:
            message = f"HTML 报告已生成，但 PDF 未能生成：{built.pdf_error}"
            self._log(job, message, built.detail, built.worker)
            outcome = dataclasses.replace(outcome, pdf_error=message)
        return outcome

    def _failed(self, job: Job, built: Built) -> UnitResult:
        where = layout.paths(self.out, job)
        message = built.error or UNKNOWN
        old = self.manifest.entries.get(job.key)
        html = layout.rel(self.out, where.html)
        if old is not None and old.good and html in old.files and where.html.is_file():
            message += KEPT  # the last good page stays as it is, and its PDF and notebook
            self._log(job, message, built.detail, built.worker)
            files, digests = self._status(job)
            self.manifest.written(job.key, dataclasses.replace(
                old, status="failed", error=message, fingerprint="",
                files=sorted(set(old.files) | set(files)), digests={**old.digests, **digests},
            ))  # fmt: skip
            pdf = where.pdf if layout.rel(self.out, where.pdf) in old.files else None
            notebook = where.notebook if where.notebook.exists() else None
            return dataclasses.replace(
                self._result(job, "failed", message, where.html, notebook, pdf, built.seconds),
                kept=True,
            )
        self._log(job, message, built.detail, built.worker)
        data: dict[Path, bytes] = {}
        if built.notebook is not None:
            data[where.notebook] = built.notebook.encode("utf-8", "backslashreplace")
        data[where.html] = self._error_page(job, message, built.notebook is not None).encode()
        new = self._replace(job, data, old, good=False)
        self.manifest.written(job.key, dataclasses.replace(new, status="failed", error=message))
        notebook = where.notebook if built.notebook is not None else None
        return self._result(job, "failed", message, where.html, notebook, None, built.seconds)

    def _replace(self, job: Job, data: dict[Path, bytes], old: Entry | None, good: bool) -> Entry:
        """Journal "being replaced", write ``data`` (each file atomically), and return the
        report's entry as written, its fingerprint not yet set: the files written now, the
        status file, and the files an earlier run wrote for it that are still there (a PDF
        printed before, an executed notebook), each with its digest."""
        new = {layout.rel(self.out, p): digest(b) for p, b in data.items()}
        files, digests = self._status(job)
        carried = [
            f for f in (old.files if old else [])
            if f not in new and f not in files and (self.out / f).is_file()
        ]  # fmt: skip
        kept = {f: old.digests[f] for f in carried if old and f in old.digests}
        entry = Entry(
            kind=job.kind, year=job.year,
            unit_code=job.code if job.kind in ("unit", "project", "department") else "",
            project_code=job.project, name=job.name, project_name=job.project_name,
            files=sorted({*new, *files, *carried}), digests={**kept, **digests, **new},
            good=good, status="ok", fingerprint="",
        )  # fmt: skip
        self.manifest.replacing(job.key, dataclasses.replace(entry, pending=new))
        for path, content in data.items():
            atomic.write_bytes(path, content)
        return entry

    def _status(self, job: Job) -> tuple[list[str], dict[str, str]]:
        """The status file the job's page was given (written when the job was sent), with its
        digest: ([], {}) when it has none."""
        path = layout.status_path(self.out, job)
        if path is None or not path.is_file():
            return [], {}
        rel = layout.rel(self.out, path)
        return [rel], {rel: digest(status.text(job).encode("utf-8"))}

    def _error_page(self, job: Job, message: str, with_notebook: bool) -> str:
        """The page written in place of a report that failed with no earlier page of it."""
        where = layout.paths(self.out, job)
        error = failures.redact(message, self.context.roots)
        log = layout.rel(self.out, self.log.path) if self.log.used else None
        notebook = layout.rel(self.out, where.notebook) if with_notebook else None
        templates = job.templates
        if job.kind == "index":
            return htmlexport.fallback_index(
                job.year, job.status or [], error, templates=templates, log=log
            )
        if job.kind == "department":
            return htmlexport.error_page(job.title, "", "", job.year, error, notebook,
                                         templates=templates, log=log)  # fmt: skip
        return htmlexport.error_page(
            job.title, job.code, job.name, job.year, error, notebook, templates=templates,
            project_code=job.project, project_name=job.project_name, log=log,
        )  # fmt: skip

    def _log(self, job: Job, message: str, detail: str, worker: str = "") -> None:
        name = what(self._result(job, "failed", message))
        more = f"\n工作进程：{worker}" if worker else ""
        self.log.record(f"{job.year}年度 {name}", message, f"{detail}{more}".strip())

    @staticmethod
    def _result(
        job: Job,
        state: str,
        error: str,
        html: Path | None = None,
        notebook: Path | None = None,
        pdf: Path | None = None,
        seconds: float = 0.0,
    ) -> UnitResult:
        return UnitResult(
            job.year, job.code, job.name, state, error, html,  # type: ignore[arg-type]
            notebook, pdf, seconds, job.project, job.project_name, kind=job.kind,
        )  # fmt: skip
