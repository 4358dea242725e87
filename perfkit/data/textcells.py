"""Text cells as perfkit takes them: characters it does not keep, and text that looks like a
spreadsheet formula (CSV injection).

**Characters perfkit does not keep** (:mod:`perfkit.core.text`, the policy): the readers take
them out of every cell on reading (:func:`strip_forbidden`) and each cell that had one becomes a
warning (code ``forbidden_characters``, :func:`forbidden_problems`; a narrative's or a dataset
name's: :func:`forbidden_problem`) that quotes the value as it was, escaped (``"名称\\x01"``).
CSV files perfkit writes hold none of them (:func:`escape_frame`).

**Formulas**: detect, escape, unescape.

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
from typing import NamedTuple, Protocol

import numpy as np
import pandas as pd

from perfkit.core.problems import WARNING, Problem
from perfkit.core.text import clean, escape, forbidden_in, has_forbidden
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


#: the line end of every CSV file perfkit writes: Excel's own ("CSV UTF-8" ends rows with CR LF).
#: Python's csv writer quotes a cell holding a character of its line end only, so with "\n" a
#: cell holding a lone carriage return ("第一行\r第二行") would be written bare and read back as
#: two rows; with "\r\n" every cell holding either is quoted.
CSV_LINE_END = "\r\n"


def escape_frame(frame):  # type: ignore[no-untyped-def]
    """A copy of a DataFrame as perfkit writes it into a CSV file: every ``str`` cell without the
    characters of the text policy (:func:`perfkit.core.text.clean`), then escaped."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("str", "string")):
            out[col] = [escape_csv_cell(clean(v)) if isinstance(v, str) else v for v in out[col]]
    out.columns = [escape_csv_cell(clean(c)) if isinstance(c, str) else c for c in out.columns]
    return out


class ReadTable(Protocol):
    """What the warnings of this module read of a table as read: a
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


# --- characters perfkit does not keep ----------------------------------------------------------


class Dirty(NamedTuple):
    """A column's cells as they were before :func:`strip_forbidden`: per grid row the code of its
    original text in ``values``, and which of those texts held a forbidden character."""

    codes: np.ndarray
    values: np.ndarray
    forbidden: np.ndarray

    def rows(self) -> np.ndarray:
        """Per grid row, whether its cell held a forbidden character."""
        return self.forbidden[self.codes]

    def original(self, row: int) -> str:
        return str(self.values[self.codes[row]])


def strip_forbidden(
    codes: np.ndarray, values: np.ndarray, whitespace: str
) -> tuple[np.ndarray, np.ndarray, Dirty | None]:
    """A column of cells (codes into distinct stripped texts, "" among them) without the
    characters of the text policy, stripped of ``whitespace`` again, with what it was
    (:class:`Dirty`; None when no cell had one, the usual case: one search over the texts)."""
    listed = values.tolist()
    if not has_forbidden(" ".join(listed)):  # joined by a printable space: one C-speed check
        return codes, values, None
    forbidden = np.array([has_forbidden(v) for v in listed], dtype=bool)
    texts = [
        clean(v).strip(whitespace) if bad else v for v, bad in zip(listed, forbidden, strict=True)
    ]
    remap, distinct = pd.factorize(np.array(texts, dtype=object))
    return remap[codes], distinct.astype(object), Dirty(codes, values, forbidden)


def forbidden_message(original: str) -> str:
    """The warning's sentence: which characters, and what perfkit did with them."""
    chars = "、".join(escape(c) for c in forbidden_in(original))
    return (
        f"文字中有看不见的控制字符或非字符（{chars}）：perfkit 读取时已去掉，按其余文字处理；"
        "写出的文件中也不含这些字符。"
    )


def forbidden_problem(file: str, original: str, **where: object) -> Problem:
    """The ``forbidden_characters`` warning about one text (a narrative, a dataset's name …):
    ``where`` gives its row, column, cell, unit and year as :class:`Problem` takes them."""
    return Problem(
        file,
        forbidden_message(original),
        value=original,
        severity=WARNING,
        code="forbidden_characters",
        **where,  # type: ignore[arg-type]
    )


def forbidden_problems(raw: ReadTable, dirty: dict[str, Dirty], header: int) -> list[Problem]:
    """A ``forbidden_characters`` warning for each cell of ``raw`` whose text held a character
    of the text policy: ``dirty`` per canonical key (:func:`strip_forbidden` of its column),
    ``header`` the grid row of the header. The value quoted is the cell as it was."""
    problems = []
    context = _context(raw)
    for key, d in dirty.items():
        if d.forbidden[d.codes[header]]:
            original = d.original(header)
            problems.append(
                forbidden_problem(raw.file, original, row=header + 1, column=raw.headers[key])
            )
        grid_rows = raw.rows - 1  # Excel row → grid row (the grid's first row is Excel row 1)
        for pos in np.flatnonzero(d.rows()[grid_rows]):
            problems.append(
                forbidden_problem(
                    raw.file,
                    d.original(int(grid_rows[pos])),
                    row=int(raw.rows[pos]),
                    column=raw.headers[key],
                    **context(int(pos)),
                )
            )
    return problems


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
    """Per row position: its 单位编码, 项目编码 (not in projects, whose code is the row's own),
    三级指标 (indicators only) and 年度, where known."""
    columns = raw.frame.columns
    code = raw.column("unit_code") if "unit_code" in columns else None
    project = None
    if "project_code" in columns and raw.table.name != "projects":
        project = raw.column("project_code")
    level3 = raw.column("level3") if "level3" in columns else None
    year = raw.column("year") if "year" in columns else None

    def at(pos: int) -> dict[str, object]:
        out: dict[str, object] = {}
        if code is not None and code[pos]:
            out["unit_code"] = code[pos]
        if project is not None and project[pos]:
            out["project_code"] = project[pos]
        if level3 is not None and level3[pos]:
            out["level3"] = level3[pos]
        if year is not None:
            digits = year[pos].removesuffix("年")
            if digits.isdigit() and len(digits) == 4:
                out["year"] = int(digits)
        return out

    return at
