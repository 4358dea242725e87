"""Where each file of a render goes: what is published, and what is kept for the operator.

The output folder (``--out``) holds one **publish folder** per year and one **operator folder**
beside them (issue 16 §4)::

    reports/
      2022/                          publish this: pages and PDFs only, every link relative
        index.html, projects.html
        SZ001.html, SZ001.pdf
        SZ001/P01.html, SZ001/P01.pdf
        departments/<id>.html
      _internal/                     never publish: for the finance bureau's own checking
        README.txt                   says so, in Chinese
        manifest.json, manifest.jsonl   what perfkit wrote (:mod:`perfkit.rendering.manifest`)
        logs/render-<time>-<pid>.log    the technical detail of what failed (tracebacks)
        2022/SZ001.ipynb             the executed notebooks (papermill's record, for audit)
        2022/SZ001/P01.ipynb
        2022/SZ001/status.json       what the unit's page was told of its projects' reports
        2022/index.ipynb, projects.ipynb, departments/<id>.ipynb
        2022/status.json             what the year's pages were told of every report
      .perfkit-render.lock           the lock (:mod:`perfkit.rendering.lock`)

The executed notebooks name the data folder by its absolute path (papermill's parameters), so
they stay out of the publish folder; nothing perfkit writes under a year folder holds a path of
this machine. perfkit before issue 16 kept the notebooks and status files in ``<年度>/notebooks/``
and the manifest at ``.perfkit-manifest.json``: :mod:`perfkit.rendering.cleanup` moves them.

All paths are built from the output folder as given (resolved once, by the pipeline) and never
resolved again, so a subfolder that is a symbolic link (the operator folder on another disk) is
used as the link says, and paths stay inside ``--out`` as the manifest records them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from perfkit.rendering.jobs import Job
from perfkit.report import departments

#: the operator folder, beside the year folders
INTERNAL = "_internal"
#: the operator folder's explanation
README = "README.txt"
LOGS = "logs"
#: the year's projects page, beside index.html
PROJECTS_PAGE = "projects"
#: where perfkit before issue 16 kept a year's notebooks and status files (in the year folder)
OLD_NOTEBOOKS = "notebooks"

README_TEXT = """\
本文件夹由 perfkit render 写入，只供财政部门内部核查使用，请勿公开。

- 各年度文件夹（如 2022/）是要公开的报告页面和 PDF；本文件夹不是。
- <年度>/*.ipynb：每份报告执行后的笔记本（papermill 的执行记录，含数据文件夹在本机的路径）。
- <年度>/status.json：生成汇总页时各报告的状态。
- logs/：报告未能生成时的技术细节（错误追踪），可交给技术支持人员。
- manifest.json：perfkit 写过哪些文件及其内容摘要，用于只重新生成有变化的报告、
  只删除 perfkit 自己写的文件。请勿手工修改。
"""


@dataclass(frozen=True)
class Paths:
    """The files of one report: the page and PDF (published), its executed notebook and the
    status file its page was built from (operator folder; ``status`` None when it has none)."""

    html: Path
    pdf: Path
    notebook: Path
    status: Path | None


def internal(out: Path) -> Path:
    """The operator folder of the output folder ``out``."""
    return out / INTERNAL


def logs(out: Path) -> Path:
    return out / INTERNAL / LOGS


def year_folder(out: Path, year: int) -> Path:
    """The publish folder of ``year``."""
    return out / str(year)


def internal_year(out: Path, year: int) -> Path:
    """The operator folder's part for ``year`` (executed notebooks, status files)."""
    return out / INTERNAL / str(year)


def paths(out: Path, job: Job) -> Paths:
    """Where the job's files go."""
    pages, records = year_folder(out, job.year), internal_year(out, job.year)
    if job.kind == "project":
        html = pages / job.code / f"{job.project}.html"
        notebook = records / job.code / f"{job.project}.ipynb"
    elif job.kind == "department":
        html = pages / departments.FOLDER / f"{job.code}.html"
        notebook = records / departments.FOLDER / f"{job.code}.ipynb"
    else:
        html = pages / f"{'index' if job.kind == 'index' else job.code}.html"
        notebook = records / f"{job.code}.ipynb"
    return Paths(html, html.with_suffix(".pdf"), notebook, status_path(out, job))


def status_path(out: Path, job: Job) -> Path | None:
    """Where the status a page shows is kept for audit, beside its executed notebook (None when
    the page shows none, or for a department page: its status is part of the year's)."""
    if job.status is None or job.kind == "department":
        return None
    records = internal_year(out, job.year)
    if job.kind == "unit":
        return records / job.code / "status.json"
    return records / "status.json"


def rel(out: Path, path: Path) -> str:
    """``path`` relative to the output folder, ``/``-separated, as the manifest records it
    (computed from the path as built, never resolved: a symbolic link inside stays inside)."""
    return path.relative_to(out).as_posix()
