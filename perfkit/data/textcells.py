"""Text cells that look like spreadsheet formulas (CSV injection): detect, escape, unescape.

A spreadsheet evaluates a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and some strip a
leading tab or carriage return first), so a unit name such as ``=HYPERLINK("http://x","点击")``
or ``@SUM(1+1)*cmd|" /C calc"!A0`` becomes a link or a command when a CSV file written by perfkit
is opened in Excel. perfkit never evaluates such text: it keeps it as text, flags it
(:func:`formula_problems`, a warning), and writes it into CSV files with a leading apostrophe
(OWASP's neutralisation, :func:`escape_csv_cell`), which perfkit's reader takes off again
(:func:`unescape_csv_cell`), so that ``perfkit export`` and ``forms collect`` round trips give
the same text back.

Escaping (every CSV cell perfkit writes):

- a cell that begins with ``= + - @``, a tab or a carriage return gets one leading ``'``,
  except a plain number (``-5``, ``+3.5``, ``-1,200.50``, ``-5%``, ``1e-3``), which Excel reads
  as a number and cannot evaluate;
- a cell that begins with one or more ``'`` followed by one of those characters gets one more
  ``'``, so that unescaping (take off one ``'`` from a cell that begins with ``'``\\ s and then
  one of those characters) gives back exactly what was written.

Flagging (:func:`looks_like_formula`) is narrower than escaping, so that ordinary table text is
not flagged: a text is flagged when it begins with ``= + - @`` (after any leading tabs, carriage
returns and spaces) and what follows the leading run of ``= + - @`` and spaces is neither empty
(a placeholder such as ``-``, ``--``, ``=``) nor a number with an optional unit of measure written
in non-ASCII characters or ``%`` (the targets ``=0次``, ``-5%``, ``+3个百分点``, ``=100%``).
So ``=SUM(A1)``, ``=1+1``, ``@cmd``, ``-项目说明`` and ``+86 512 6522`` are flagged.
"""

from __future__ import annotations

import re
from typing import Protocol

import numpy as np
import pandas as pd

from perfkit.core.problems import WARNING, Problem
from perfkit.data.contract import Table

#: characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: a plain number Excel reads as a number, never as a formula: "-5", "+3.5", "-1,200.50", "-5%"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?%?")
_HAS_DIGIT = re.compile(r"\d")
#: the apostrophes perfkit added, then a formula character
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
#: the leading run of operators and spaces, and a number with a non-ASCII unit (or %) after it
_LEAD = re.compile(r"[=+\-@\s]*")
_NUMBER_WITH_UNIT = re.compile(r"\d+(?:[.,]\d+)*\s*(?:[%‰]|[^\x00-\x7f]+)*")


def _plain_number(text: str) -> bool:
    return _PLAIN_NUMBER.fullmatch(text) is not None and _HAS_DIGIT.search(text) is not None


def looks_like_formula(text: str) -> bool:
    """Whether ``text`` would be taken for a formula by a spreadsheet (see the module's rules)."""
    body = text.lstrip("\t\r ")
    if not body or body[0] not in "=+-@":
        return False
    rest = body[_LEAD.match(body).end() :]  # type: ignore[union-attr]
    if not rest:
        return False
    return _NUMBER_WITH_UNIT.fullmatch(rest) is None


def escape_csv_cell(text: str) -> str:
    """``text`` as written into a CSV cell: a leading ``'`` when a spreadsheet could evaluate it."""
    if not text:
        return text
    if text[0] in FORMULA_STARTS:
        return text if _plain_number(text) else "'" + text
    if text[0] == "'" and _ESCAPED.match(text):
        return "'" + text
    return text


def unescape_csv_cell(text: str) -> str:
    """The inverse of :func:`escape_csv_cell`: one ``'`` off a cell that begins with ``'``\\ s and
    a formula character; every other text is returned as it is (the same object)."""
    if text[:1] == "'" and _ESCAPED.match(text):
        return text[1:]
    return text


def escape_frame(frame):  # type: ignore[no-untyped-def]
    """A copy of a DataFrame with every ``str`` cell escaped (what perfkit writes as CSV)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("str", "string")):
            out[col] = [escape_csv_cell(v) if isinstance(v, str) else v for v in out[col]]
    out.columns = [escape_csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


class ReadTable(Protocol):
    """What :func:`formula_problems` reads of a table as read: a
    :class:`perfkit.data.readers.RawTable` (the readers import this module, never the other way)."""

    @property
    def table(self) -> Table: ...
    @property
    def file(self) -> str: ...
    @property
    def frame(self) -> pd.DataFrame: ...
    @property
    def rows(self) -> np.ndarray: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def status(self) -> str: ...
    def codes(self, key: str) -> np.ndarray: ...
    def values(self, key: str) -> np.ndarray: ...
    def column(self, key: str) -> np.ndarray: ...


def formula_problems(raw: ReadTable) -> list[Problem]:
    """A warning (code ``formula_text``) for each text cell of ``raw`` that looks like a formula."""
    if raw.status != "ok":
        return []
    problems = []
    for col in raw.table.columns:
        if col.kind not in ("text", "code") or col.key not in raw.frame.columns:
            continue
        values = raw.values(col.key)
        flagged = [i for i, v in enumerate(values.tolist()) if v and looks_like_formula(v)]
        if not flagged:
            continue
        codes = raw.codes(col.key)
        context = _context(raw)
        for pos in np.flatnonzero(np.isin(codes, flagged)):
            problems.append(
                Problem(
                    raw.file,
                    "文字以“=”“+”“-”或“@”开头，电子表格会把它当作公式：perfkit 按原文保留为文字，"
                    "不作计算；写出 CSV 文件时在前面加一个英文单引号（'），以免 Excel 执行它。",
                    int(raw.rows[pos]),
                    raw.headers[col.key],
                    values[codes[pos]],
                    severity=WARNING,
                    code="formula_text",
                    **context(pos),
                )
            )
    return problems


def _context(raw: ReadTable):  # type: ignore[no-untyped-def]
    """Per row position: its 单位编码, 三级指标 (indicators only) and 年度, where known."""
    columns = raw.frame.columns
    code = raw.column("unit_code") if "unit_code" in columns else None
    level3 = raw.column("level3") if "level3" in columns else None
    year = raw.column("year") if "year" in columns else None

    def at(pos: int) -> dict[str, object]:
        out: dict[str, object] = {}
        if code is not None and code[pos]:
            out["unit_code"] = code[pos]
        if level3 is not None and level3[pos]:
            out["level3"] = level3[pos]
        if year is not None:
            digits = year[pos].removesuffix("年")
            if digits.isdigit() and len(digits) == 4:
                out["year"] = int(digits)
        return out

    return at
