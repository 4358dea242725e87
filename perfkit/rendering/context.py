"""What every job of a run shares, and the fingerprints of its reports (issue 12 §2).

A report's fingerprint covers everything its page shows: its data
(:mod:`perfkit.data.fingerprints`), the notebook, the render status it is given, and the
environment — perfkit's own code, templates and rulebooks, the user's templates, the rulebook in
force, the dataset's name and fictional flag.
Whether a PDF is printed is not part of it: the page is the same; the manifest records from which
fingerprint the PDF on disk was printed (:attr:`perfkit.rendering.manifest.Entry.pdf_fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfkit.rendering.jobs import Job

if TYPE_CHECKING:
    from perfkit.data.dataset import Dataset


def environment(rules: str | os.PathLike[str] | None, templates: str | None, ds: Dataset) -> str:
    """What every report's page depends on besides its data and notebook: perfkit's own code,
    templates and rulebooks (every file of the installed package), the user's templates, the
    rulebook in force, the dataset's name and fictional flag (not whether a PDF is printed: the
    page is the same)."""
    from perfkit.rules.rulebook import load_rulebook

    h = hashlib.sha256(b"perfkit-render-environment-2")
    package = Path(__file__).resolve().parents[1]
    roots = [package] + [Path(p) for p in (templates or "").split(os.pathsep) if p]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                h.update(f"\x1e{path.relative_to(root).as_posix()}\x1f".encode())
                h.update(path.read_bytes())
    h.update(repr(load_rulebook(rules)).encode())
    h.update(repr((ds.name, ds.fictional, sys.version_info[:2])).encode())
    return h.hexdigest()


@dataclass
class Context:
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

    @property
    def roots(self) -> tuple[str, ...]:
        """This machine's folders that a message may name and a page must not (issue 16 §4):
        the data, the output folder, the template folders, the notebooks' folders, the home."""
        folders = [self.data, str(self.out), *(self.templates or "").split(os.pathsep)]
        folders += [str(p.parent) for p in self.notebooks] + [str(Path.home())]
        return tuple(dict.fromkeys(f for f in folders if f))

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
