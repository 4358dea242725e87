"""What each page shows, built from the scores: the layer between scoring and the report.

- :mod:`~perfkit.detail.models`: :class:`UnitDetail` (a unit's 部门整体 report),
  :class:`ProjectDetail` (a project's 项目支出绩效自评报告), :class:`Overview` (the year's index,
  its projects page, a 主管部门's page), each with ``.table(name)`` for reading in Chinese
  (:mod:`~perfkit.detail.tables`);
- :mod:`~perfkit.detail.build`: :func:`unit_detail`, :func:`project_detail`, :func:`overview`;
- :mod:`~perfkit.detail.departments`: the year's units grouped by 主管部门 and the department
  pages a year needs (:func:`~perfkit.detail.departments.plan`);
- :mod:`~perfkit.detail.status`: the render status the pages link by (:func:`read_status`);
- :mod:`~perfkit.detail.selection`: the rules as given, and years and unit codes checked.

:mod:`perfkit.api` re-exports the builders and the models for the notebooks; the report reads the
models and imports nothing above this layer.
"""

from perfkit.detail.build import overview, project_detail, unit_detail
from perfkit.detail.models import Overview, ProjectDetail, UnitDetail
from perfkit.detail.status import UnitStatus, read_status

__all__ = [
    "Overview",
    "ProjectDetail",
    "UnitDetail",
    "UnitStatus",
    "overview",
    "project_detail",
    "read_status",
    "unit_detail",
]
