"""Where a page links to: a unit's report, a project's report, the projects page, and, from a
department page, one folder up.

Links go only to the reports a render wrote: with a status (``perfkit render``'s status file,
:func:`perfkit.detail.read_status`), a report is linked when its entry says it was generated;
without one (a notebook opened in JupyterLab) nothing is linked, since no report is known to
exist beside the page. Every href is relative to the year's folder and never leaves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from perfkit.detail import Overview, UnitStatus
from perfkit.detail.departments import UNFILLED

#: the year's projects page, beside index.html
PROJECTS_PAGE = "projects.html"
#: the department page's section ranking its projects (linked from the projects page)
PROJECTS_ANCHOR = "pk-dept-projects"


def year_index_title(year: int, with_units: bool = True) -> str:
    """The year's index page title, as every page's link back names it: "{年度}年度 部门（单位）
    整体支出绩效自评 汇总"; a year of project tables only (the most common publication, issue 16
    §1) says what it holds: "{年度}年度 预算绩效自评 汇总" (its projects page is "{年度}年度
    项目支出绩效自评 汇总")."""
    if with_units:
        return f"{int(year)}年度 部门（单位）整体支出绩效自评 汇总"
    return f"{int(year)}年度 预算绩效自评 汇总"


def local_href(unit_code: str, given: str) -> str | None:
    """The link to a unit's report: the status file's href when it is a local relative path,
    else "<单位编码>.html"; None when the given href points anywhere else."""
    if not given:
        return quote(f"{unit_code}.html")
    parts = urlsplit(given)
    if parts.scheme or parts.netloc or given.startswith(("/", "\\")):
        return None
    return given


def project_link(
    status: Sequence[UnitStatus] | None,
    unit_code: str,
    project_code: str,
    index: dict[tuple[str, str], UnitStatus] | None = None,
) -> tuple[str | None, str]:
    """(href relative to the year's folder or None, state): state "ok", "failed", "absent"
    (this render did not make it) or "" (no status known, as in a notebook opened in JupyterLab:
    not linked, since no report is known to exist beside the page)."""
    default = quote(f"{unit_code}/{project_code}.html")
    if status is None:
        return None, ""
    entry = (index if index is not None else status_index(status)).get((unit_code, project_code))
    if entry is None:
        return None, "absent"
    if entry.status != "ok":
        return None, "failed"
    href = local_href("", entry.href) if entry.href else default
    return href, "ok" if href else "absent"


def status_index(status: Sequence[UnitStatus]) -> dict[tuple[str, str], UnitStatus]:
    """The project entries of a status by (unit code, project code), the first of each: built
    once per page, since a year of 50,000 projects looks each one up."""
    index: dict[tuple[str, str], UnitStatus] = {}
    for s in status:
        if s.project_code:
            index.setdefault((s.unit_code, s.project_code), s)
    return index


def known_status(status: Sequence[UnitStatus]) -> Sequence[UnitStatus] | None:
    """An overview's status as :func:`project_link` takes it (None: no status file given)."""
    return status if status else None


def projects_href(ov: Overview) -> str | None:
    """The link to the projects page: when this render made it (it made project reports); none
    when no status is known (a notebook opened in JupyterLab)."""
    if not ov.status:
        return None
    return PROJECTS_PAGE if any(s.project_code for s in ov.status) else None


def department_link(ov: Overview, href: str, anchor: str = "") -> str | None:
    """A department page's link from the year's folder: only when the render wrote the pages
    (a status file was given), as units' reports are linked."""
    if not ov.status:
        return None
    return f"{href}#{anchor}" if anchor else href


def up(ov: Overview, href: str | None) -> str | None:
    """A link relative to the year's folder, as seen from the page showing ``ov``: one folder
    up on a department page."""
    if href is None or ov.department is None:
        return href
    return f"../{href}"


def in_scope(ov: Overview, unit_code: str) -> bool:
    """Whether the page showing ``ov`` is about ``unit_code`` (a department page: its units)."""
    if ov.department is None:
        return True
    return ov.unit_departments.get(str(unit_code), UNFILLED) == ov.department
