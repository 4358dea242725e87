"""A year's units grouped by 主管部门 (issue 12): which department pages a year needs.

Up to :data:`THRESHOLD` units a year, the index ranks every unit and the projects page every
project. Above it, the index lists the 主管部门 instead (the units table's optional column
``department``; units without one form the group :data:`UNFILLED`), each with a page of its own,
``departments/<id>.html``. This module holds the grouping, which needs the units table only
(:func:`plan` is cheap: no scoring); what the pages show of it is
:mod:`perfkit.report.departments`'.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from perfkit.core.bidi import isolate
from perfkit.data.dataset import Dataset

#: above this many units in a year, the index and the projects page list 主管部门 (each with a
#: page of its own) instead of every unit and every project
THRESHOLD = 200
#: the group of the units whose 主管部门 is blank
UNFILLED = "未填写主管部门"
#: the department pages' folder, inside the year's folder
FOLDER = "departments"
#: hex digits of a page's id (48 bits: no two of a few thousand names share one)
_ID_DIGITS = 12


@dataclass(frozen=True)
class Department:
    """One 主管部门 of a year and its page: ``id`` (stable, file-safe: from the name alone),
    ``name`` (as written in the units table, or :data:`UNFILLED`), ``unit_codes`` (its units
    with data that year, sorted)."""

    id: str
    name: str
    unit_codes: tuple[str, ...]

    @property
    def href(self) -> str:
        """The page, relative to the year's folder: ``departments/<id>.html``."""
        return f"{FOLDER}/{self.id}.html"

    def title(self, year: int) -> str:
        """The page's ``<title>`` (:func:`department_page_title`)."""
        return department_page_title(year, self.name)


def department_name(value: object) -> str:
    """A 主管部门 as the pages group it: the name stripped, :data:`UNFILLED` when blank."""
    missing = value is None or bool(pd.api.types.is_scalar(value) and pd.isna(value))
    name = "" if missing else str(value).strip()
    return name or UNFILLED


def department_id(name: str) -> str:
    """The page id of a 主管部门: 12 hex digits of the BLAKE2b hash of its (stripped) name, the
    same in every year and every run, whatever characters the name holds."""
    digest = hashlib.blake2b(department_name(name).encode("utf-8"), digest_size=_ID_DIGITS // 2)
    return digest.hexdigest()


def department_label(name: str) -> str:
    """How a page names the department's units: "苏州市教育局所属单位", "未填写主管部门的单位"
    (the name isolated: :func:`perfkit.core.bidi.isolate`)."""
    return "未填写主管部门的单位" if name == UNFILLED else f"{isolate(name)}所属单位"


def department_page_title(year: int, name: str) -> str:
    """ "{年度}年度 {主管部门}所属单位 整体支出绩效自评 汇总"."""
    return f"{int(year)}年度 {department_label(department_name(name))} 整体支出绩效自评 汇总"


def unit_departments(ds: Dataset) -> dict[str, str]:
    """Every unit's 主管部门 group (unit code → :func:`department_name`)."""
    units = ds.units
    if "department" not in units.columns:
        return {str(code): UNFILLED for code in units["unit_code"]}
    return {
        str(code): department_name(dep)
        for code, dep in zip(units["unit_code"], units["department"], strict=True)
    }


def year_units(ds: Dataset, year: int) -> list[str]:
    """The codes of the units with rows in ``year`` (their own or their projects'), sorted."""
    codes: set[str] = set()
    for frame in (ds.budget, ds.indicators):
        codes.update(frame.loc[frame["year"] == int(year), "unit_code"].astype(str))
    return sorted(codes)


def is_split(n_units: int, threshold: int | None = None) -> bool:
    """Whether a year of ``n_units`` units gets department pages (more than the threshold)."""
    return n_units > (THRESHOLD if threshold is None else threshold)


def group(
    codes: Iterable[str], departments: Mapping[str, str], threshold: int | None = None
) -> list[Department]:
    """The department pages of a year whose units are ``codes``: [] up to the threshold, else
    one per 主管部门 in name order (:data:`UNFILLED` last), each with its units sorted."""
    codes = sorted(set(map(str, codes)))
    if not is_split(len(codes), threshold):
        return []
    members: dict[str, list[str]] = {}
    for code in codes:
        members.setdefault(departments.get(code, UNFILLED), []).append(code)
    names = sorted(members, key=lambda n: (n == UNFILLED, n))
    pages = [Department(department_id(n), n, tuple(members[n])) for n in names]
    if len({p.id for p in pages}) != len(pages):  # 48 bits: not expected in this universe
        raise RuntimeError("two 主管部门 names share a page id")
    return pages


def plan(ds: Dataset, year: int, threshold: int | None = None) -> list[Department]:
    """The department pages ``year`` needs: none when it has at most :data:`THRESHOLD` units
    (``threshold`` overrides it), else one per 主管部门 of its units (blank ones grouped under
    :data:`UNFILLED`), in name order. Reads the units, budget and indicators tables only: no
    scoring."""
    return group(year_units(ds, year), unit_departments(ds), threshold)
