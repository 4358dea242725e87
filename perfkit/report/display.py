"""perfkit in a notebook: compact displays, Chinese-labelled tables and short error messages.

For the analyst in JupyterLab (issue 10): a :class:`~perfkit.data.dataset.Dataset`, a
:class:`~perfkit.detail.UnitDetail` or an :class:`~perfkit.detail.Overview` shows as a short
summary instead of a wall of text (the Chinese-labelled tables a detail gives with ``.table()``
are :func:`perfkit.detail.tables.zh_table`'s); perfkit's own errors
(bad input, an unknown unit or year) show as a short message with what is valid, not a traceback
(``%tb`` still prints it). :func:`perfkit.notebook.install` registers these with the running
IPython when perfkit is imported inside a kernel.

Markup lives in ``templates/notebook/*.html.j2`` (Jinja2, autoescaped).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from perfkit.core.formatting import fixed
from perfkit.core.problems import InvalidInput
from perfkit.data.contract import TABLES
from perfkit.data.dataset import Dataset
from perfkit.detail import Overview, UnitDetail
from perfkit.detail.tables import missing, rate_text
from perfkit.report.templating import printed

#: at most this many lines of an error's problem list are shown in a notebook
MAX_LINES = 12


def _rate(value: Any) -> str:
    return rate_text(value)


def _points(value: Any) -> str:
    return "—" if missing(value) else fixed(float(value))


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("perfkit.report", "templates/notebook"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=printed,
    )


def _render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def dataset_html(ds: Dataset) -> str:
    """A dataset in a few lines: where from, units, years, rows per table, warnings."""
    return _render(
        "dataset.html.j2",
        name=ds.name or (ds.source.name if ds.source else ""),
        fictional=ds.fictional,
        source=str(ds.source or ""),
        n_units=len(ds.units),
        years="、".join(map(str, ds.years)) or "无",
        tables=[{"zh": t.zh, "rows": len(getattr(ds, t.name))} for t in TABLES],
        n_warnings=len(ds.warnings),
    )


def detail_html(detail: UnitDetail) -> str:
    """One unit's year: total, grade, execution, indicators and findings, counted."""
    s = detail.summary
    return _render(
        "unit_detail.html.j2",
        unit_name=detail.unit_name,
        unit_code=detail.unit_code,
        year=detail.year,
        total=_points(s.get("total")),
        grade=s.get("grade", ""),
        execution_rate=_rate(s.get("execution_rate")),
        execution_score=_points(s.get("execution_score")),
        indicator_score=_points(s.get("indicator_score")),
        n_indicators=len(detail.indicators),
        n_findings=len(detail.findings),
        rulebook=detail.rulebook.title,
    )


def overview_html(ov: Overview) -> str:
    """A year of units: how many, the mean total, the grades counted, the findings counted."""
    counts = ov.units["grade"].value_counts()
    grades = [{"name": g.name, "count": int(counts.get(g.name, 0))} for g in ov.rulebook.grades]
    return _render(
        "overview.html.j2",
        year=ov.year,
        n_units=len(ov.units),
        mean_total=fixed(float(ov.units["total"].mean())) if len(ov.units) else "—",
        grades=grades,
        n_findings=len(ov.findings),
    )


def error_html(err: BaseException) -> str:
    """perfkit's own error as a short message: the sentence, or the first problems of a list."""
    if isinstance(err, InvalidInput):
        lines = [str(p) for p in err.problems]
        errors = len(err.errors)
        title = f"数据有 {errors} 处错误，无法评分" if errors else "数据有问题"
    else:
        lines = [str(err)]
        title = "无法完成"
    return _render(
        "error.html.j2",
        title=title,
        lines=lines[:MAX_LINES],
        more=max(0, len(lines) - MAX_LINES),
    )


def error_text(err: BaseException) -> str:
    """The same as plain text, for consoles without HTML."""
    if isinstance(err, InvalidInput):
        return err.report()
    return f"错误：{err}"
