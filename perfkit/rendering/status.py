"""The render status a page shows of the other reports: a unit's report links its projects'
reports that were written, the index and the projects page list every report with its status.

A status entry is ``{unit_code, unit_name, href, status, error}`` (with ``project_code`` and
``project_name`` for a project's report), ``href`` relative to the year's folder; ``error`` is
the failure's Chinese sentence with this machine's paths taken out (the index is published:
:func:`perfkit.rendering.failures.redact`). The status given to a page is kept for audit in the
operator folder (:func:`perfkit.rendering.layout.status_path`).
"""

from __future__ import annotations

from pathlib import Path

from perfkit.core import atomic
from perfkit.core.text import json_text
from perfkit.rendering import failures, layout
from perfkit.rendering.jobs import Job
from perfkit.rendering.manifest import Entry, Manifest
from perfkit.rendering.results import RenderResult, UnitResult


def entry(r: UnitResult | Entry, roots: tuple[str, ...] = ()) -> dict[str, str]:
    """A report's entry in a status file, from this run's result or from what the manifest
    recorded of an earlier run; ``roots``: this machine's paths to keep out of ``error``."""
    unit_name = r.unit_name if isinstance(r, UnitResult) else r.name
    found = {
        "unit_code": r.unit_code,
        "unit_name": unit_name,
        "href": f"{r.unit_code}.html",
        "status": r.status,
        "error": failures.redact(r.error, roots),
    }
    if r.project_code:
        found |= {
            "project_code": r.project_code,
            "project_name": r.project_name,
            "href": f"{r.unit_code}/{r.project_code}.html",
        }
    return found


def year_status(
    year: int, result: RenderResult, manifest: Manifest, roots: tuple[str, ...] = ()
) -> list[dict[str, str]]:
    """The year's reports as the index shows them: this run's outcome, else what the manifest
    records of earlier runs (a report left out of this run's selection is still listed)."""
    entries: dict[tuple[str, str], dict[str, str]] = {}
    for e in manifest.entries.values():
        if e.year == year and e.kind in ("unit", "project") and e.unit_code:
            entries[(e.unit_code, e.project_code)] = entry(e, roots)
    for r in (*result.units, *result.projects):
        if r.year == year:
            entries[(r.unit_code, r.project_code)] = entry(r, roots)
    return [entries[k] for k in sorted(entries)]


def text(job: Job) -> str:
    """The job's status as the status file holds it."""
    return json_text(job.status, indent=2) + "\n"


def write_file(out: Path, job: Job) -> Path | None:
    """Keep the status the job's page is given, for audit (None when it has none)."""
    path = layout.status_path(out, job)
    if path is None:
        return None
    atomic.write_text(path, text(job))
    return path
