"""What crosses between the render client and its workers: a :class:`Job` (one notebook to run)
and the :class:`Built` report it gives back.

Both are plain picklable dataclasses, so that the same job runs in a local worker process or on
a Dask worker on another machine. A job carries everything the worker cannot be assumed to share
with the client: the notebook's text (an installed perfkit may live at another path there) and
the render status its page shows. The worker writes nothing into the output folder: it returns
the page, the executed notebook and the PDF, and the client writes them (atomically).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["unit", "project", "index", "projects", "department"]


@dataclass(frozen=True)
class Job:
    """One notebook to execute and export."""

    kind: Kind
    year: int
    #: the unit's code (kind "unit" and "project"), the page's name ("index", "projects") or the
    #: 主管部门's page id (kind "department")
    code: str
    name: str
    title: str
    #: where the notebook was read from (its folder is the kernel's working folder when the
    #: worker has it; messages name it)
    notebook: str
    #: the notebook's JSON text
    notebook_text: str
    parameters: dict[str, Any]
    #: the year's output folder on the client (for messages; workers never write there)
    folder: str
    pdf: bool = False
    reuse_kernel: bool = True
    #: the user's template folder (absolute), or None for the package's templates only
    templates: str | None = None
    #: a project's code and name (kind "project"; ``code`` is its unit's)
    project: str = ""
    project_name: str = ""
    #: the render status the page shows (the status file's entries: a unit's projects, or the
    #: year's reports for the index and the projects page); None when the page shows none
    status: list[dict[str, str]] | None = None
    #: the report's fingerprint (incremental renders; "" when not computed)
    fingerprint: str = ""
    #: the units a 主管部门's page lists (kind "department")
    members: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A name unique within a run: ``<年度>/<单位编码>[/<项目编码>]`` or ``<年度>/index``."""
        if self.kind == "department":
            return f"{self.year}/departments/{self.code}"
        return f"{self.year}/{self.code}" + (f"/{self.project}" if self.project else "")


@dataclass(frozen=True)
class Built:
    """What a worker gives back for a job."""

    status: Literal["ok", "failed"]
    #: why it failed: a Chinese sentence a user can act on ("" when ok;
    #: :mod:`perfkit.rendering.failures`)
    error: str = ""
    #: the exported page (None when the job failed)
    html: str | None = None
    #: the executed notebook's JSON text (also of a failed run, for audit; None when none ran)
    notebook: str | None = None
    #: the printed PDF (None when not asked or when printing failed)
    pdf: bytes | None = None
    #: why the PDF could not be printed ("" when it was, or was not asked)
    pdf_error: str = ""
    seconds: float = 0.0
    #: which worker built it (host:pid, or the Dask worker's address)
    worker: str = ""
    #: the technical detail of a failure (of the report or of its PDF): the exception, the
    #: notebook's traceback, paths; for the run's log only, never shown on a page
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
