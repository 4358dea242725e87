"""Reading a dataset from disk into raw string tables (readers → validation → loading).

A dataset is a folder of CSV files (``units.csv``, ``budget.csv`` …, or the tables' Chinese
names such as ``预算执行.csv``) with ``narratives/<年度>/<单位编码>.md`` and an optional
``dataset.toml`` (``name = "…"``, ``fictional = true``; a ``FICTIONAL`` marker file also marks it
fictional), or one ``.xlsx`` workbook whose sheets hold the same tables (sheet ``budget`` or
``预算执行`` …), an optional ``叙述`` sheet (年度, 单位编码, 正文（Markdown）) and an optional
``dataset`` sheet of key/value rows.

Nothing is interpreted here: every cell is read as the text the user sees, stripped of spaces (also
full-width spaces and no-break spaces). CSV files may be UTF-8, UTF-8 with BOM (Excel's "CSV UTF-8")
or GBK/GB18030 (Excel's default on Chinese Windows), with any line ending. Headers are matched
against the contract (:mod:`perfkit.data.contract`); extra columns are dropped. Rows keep the number
Excel shows (header = row 1); fully blank rows are skipped. Problems found while reading (an
undecodable file, a duplicated header …) are collected, never raised.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from perfkit.core import ziplimits
from perfkit.core.problems import Problem, UsageError
from perfkit.core.text import clean, from_cell, has_forbidden
from perfkit.data.contract import (
    AMOUNT_UNITS,
    NARRATIVE_DIR,
    PROJECT_CODE,
    TABLES,
    UNIT_CODE,
    YEAR,
    Column,
    Narrative,
    Table,
)
from perfkit.data.narratives import parse_narrative
from perfkit.data.textcells import (
    forbidden_problem,
    forbidden_problems,
    strip_forbidden,
    unescape_csv_cell,
)
from perfkit.rules.units import simplified

#: stripped from every header and value: ASCII white space, no-break space, full-width space, BOM
WHITESPACE = " \t\r\n\v\f\u00a0\u3000\ufeff"
METADATA_FILE = "dataset.toml"
FICTIONAL_MARKER = "FICTIONAL"
METADATA_SHEETS = ("dataset", "数据集")
#: the workbook form of narratives: one row per (年度, 单位编码[, 项目编码]) with the Markdown in
#: one cell; a row with a 项目编码 is that project's narrative
NARRATIVE_SHEET = Table(
    "narratives",
    "叙述",
    (
        YEAR,
        UNIT_CODE,
        PROJECT_CODE,
        Column("markdown", "正文（Markdown）", aliases=("正文", "text")),
    ),
)

#: white space at the start or end of a value, in values joined by NUL (see _nothing_to_strip)
_EDGE_SPACE = re.compile(rf"(?:^|\0)[{WHITESPACE}]|[{WHITESPACE}](?:\0|\Z)")
#: any byte other than ASCII white space and the UTF-8 BOM: a file without one is empty
_VISIBLE = re.compile(rb"[^\s\xef\xbb\xbf]")

Status = Literal["ok", "absent", "empty", "header_only", "unreadable"]


@dataclass
class RawTable:
    """One table as read: every value a stripped ``str``, nothing checked yet.

    ``frame`` has the canonical keys of the columns that were found, a RangeIndex, and
    categorical columns (categories: the distinct values), so that each distinct value is
    checked and parsed once however many rows repeat it.
    """

    table: Table
    #: the name shown to the user: "budget.csv" or "data.xlsx[预算执行]"
    file: str
    frame: pd.DataFrame
    #: Excel row number of each record of ``frame`` (header = row 1)
    rows: np.ndarray
    #: canonical key → header as written
    headers: dict[str, str] = field(default_factory=dict)
    #: keys of required columns that were not found
    missing: tuple[str, ...] = ()
    #: absent (no such file or sheet), empty (nothing in it), header_only, unreadable
    status: Status = "ok"
    header_row: int = 1
    #: canonical key → the unit its header names ("全年预算数（元）" → "元"; "执行率（%）" → "%");
    #: only for headers that name a valid unit. A bare amount follows it (万元 when absent).
    units: dict[str, str] = field(default_factory=dict)
    #: parsed values per key, filled by :func:`perfkit.data.schemas.typed`
    cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _texts: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def has(self, *keys: str) -> bool:
        """Whether the table was read and has every column in ``keys``."""
        return self.status == "ok" and all(k in self.frame.columns for k in keys)

    def codes(self, key: str) -> np.ndarray:
        """Per row, the index of its value in :meth:`values`."""
        return self.frame[key].cat.codes.to_numpy()

    def values(self, key: str) -> np.ndarray:
        """The distinct values of a column (object array of ``str``)."""
        return self.frame[key].cat.categories.to_numpy(dtype=object)

    def column(self, key: str) -> np.ndarray:
        """Every row's value of a column (object array of ``str``; computed once)."""
        if key not in self._texts:
            self._texts[key] = self.values(key).take(self.codes(key))
        return self._texts[key]


@dataclass
class RawNarrative:
    """A narrative as found: where it came from and the year and unit code it names (unchecked)."""

    file: str
    year: str
    unit_code: str
    narrative: Narrative
    #: the row of the workbook's 叙述 sheet (None for a Markdown file)
    row: int | None = None
    #: header as written of the year and unit-code columns (workbook only)
    headers: dict[str, str] = field(default_factory=dict)
    #: the 项目编码 it names, for a project's narrative
    #: (``narratives/<年度>/<单位编码>/<项目编码>.md``); "" for the unit's own
    project_code: str = ""


@dataclass
class RawDataset:
    """Everything read from a folder or workbook, ready for validation."""

    source: Path
    tables: dict[str, RawTable]
    narratives: list[RawNarrative] = field(default_factory=list)
    #: problems met while reading (encoding, duplicated headers, unreadable files …)
    problems: list[Problem] = field(default_factory=list)
    #: sha256 over the input files (relative path and bytes, sorted by path), 12 hex digits
    fingerprint: str = ""
    fictional: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        # an optional table a caller did not read (projects, for a dataset made before it) is
        # absent; a workbook that could not be opened gave every table already
        for table in TABLES:
            if table.name not in self.tables:
                self.tables[table.name] = _absent(table, table.filename)


def read_dataset(path: str | Path) -> RawDataset:
    """Read a CSV folder or an .xlsx workbook. Raises UsageError for any other path."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"找不到数据：{path} 不存在。")
    if path.is_dir():
        return _read_folder(path)
    if path.suffix.lower() == ".xlsx":
        return _read_workbook(path)
    if path.suffix.lower() in (".xls", ".et", ".ods"):
        raise UsageError(f"不支持 {path.suffix} 格式：请在 Excel 或 WPS 中另存为 .xlsx 工作簿。")
    raise UsageError(f"无法读取 {path}：数据应为一个存放 CSV 文件的文件夹，或一个 .xlsx 工作簿。")


def decode_text(data: bytes) -> str | None:
    """Bytes as text: UTF-8 (with or without BOM), else GB18030 (a superset of GBK), else None."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def fingerprint(files: dict[str, bytes]) -> str:
    """sha256 over (relative path, bytes) of every input file in path order: 12 hex digits."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(len(files[name]).to_bytes(8, "big"))
        digest.update(files[name])
    return digest.hexdigest()[:12]


# --- folders of CSV files ------------------------------------------------------------------


def _read_folder(root: Path) -> RawDataset:
    problems: list[Problem] = []
    inputs: dict[str, bytes] = {}
    by_name: dict[str, list[Path]] = {}
    for p in sorted(root.iterdir()):
        if p.is_file() and p.suffix.lower() == ".csv":
            by_name.setdefault(_fold(p.stem), []).append(p)
    tables: dict[str, RawTable] = {}
    for table in TABLES:
        found = by_name.get(table.name, []) + by_name.get(table.zh, [])
        if not found:
            tables[table.name] = _absent(table, table.filename)
            continue
        if len(found) > 1:
            names = "、".join(p.name for p in found)
            problems.append(
                Problem(
                    found[1].name,
                    f"与 {found[0].name} 重复：{names} 只能保留一个。",
                    code="duplicate_file",
                )
            )
        data = found[0].read_bytes()
        inputs[found[0].name] = data
        raw, found_problems = _read_csv(data, found[0].name, table)
        tables[table.name] = raw
        problems += found_problems
    narratives = _read_narrative_files(root, inputs, problems)
    fictional, name = False, ""
    meta = root / METADATA_FILE
    if meta.is_file():
        inputs[METADATA_FILE] = meta.read_bytes()
        fictional, name = _folder_metadata(inputs[METADATA_FILE], problems)
    marker = root / FICTIONAL_MARKER
    if marker.is_file():
        inputs[FICTIONAL_MARKER] = marker.read_bytes()
        fictional = True
    return RawDataset(root, tables, narratives, problems, fingerprint(inputs), fictional, name)


def _absent(table: Table, file: str, status: Status = "absent") -> RawTable:
    """A table without rows: absent, empty or unreadable."""
    return RawTable(table, file, pd.DataFrame(), np.empty(0, dtype=np.int64), status=status)


def _read_csv(data: bytes, file: str, table: Table) -> tuple[RawTable, list[Problem]]:
    if not _VISIBLE.search(data):
        return _absent(table, file, "empty"), []
    grid = _csv_grid(data)
    if isinstance(grid, str):
        return _absent(table, file, "unreadable"), [Problem(file, grid, code="unreadable_file")]
    return _from_grid(grid, table, file, csv_cells=True)


def _csv_grid(data: bytes) -> pd.DataFrame | str:
    """The cells of a CSV file as text, header not yet found; or why not."""
    options: dict[str, Any] = {
        "header": None,
        "dtype": object,
        "na_filter": False,
        "skip_blank_lines": False,
    }
    try:
        return pd.read_csv(io.BytesIO(data), encoding="utf-8", **options)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        pass
    text = decode_text(data)
    if text is None:
        return "文件编码无法识别：请另存为 UTF-8（Excel 的“CSV UTF-8”）或 GBK 编码的 CSV 文件。"
    try:
        return pd.read_csv(io.StringIO(text), **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        pass
    # some rows have more cells than the first: read them with the csv module, pad the rest
    try:
        cells = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        return f"无法按 CSV 格式读取（{err}）：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”。"
    return _grid(cells)


def _grid(cells: list[list[str]]) -> pd.DataFrame:
    """Rows of cell texts, padded to the longest."""
    width = max((len(r) for r in cells), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in cells], dtype=object)


# --- workbooks -----------------------------------------------------------------------------


def _read_workbook(path: Path) -> RawDataset:
    from openpyxl import load_workbook

    if (too_large := ziplimits.check(path, ziplimits.DATASET)) is not None:
        raw = RawDataset(path, {})
        raw.problems.append(Problem(path.name, too_large, code="workbook_too_large"))
        raw.tables = {t.name: _absent(t, path.name, "unreadable") for t in TABLES}
        return raw
    data = path.read_bytes()
    raw = RawDataset(path, {}, fingerprint=fingerprint({path.name: data}))
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zip, XML, key and value errors for a broken file
        raw.problems.append(
            Problem(
                path.name,
                f"无法作为 .xlsx 工作簿打开（{type(err).__name__}）。",
                code="unreadable_file",
            )
        )
        raw.tables = {t.name: _absent(t, path.name, "unreadable") for t in TABLES}
        return raw
    try:
        sheets: dict[str, list[str]] = {}
        for title in wb.sheetnames:
            sheets.setdefault(_fold(title), []).append(title)
        for table in (*TABLES, NARRATIVE_SHEET):
            found = sheets.get(table.name, []) + sheets.get(table.zh, [])
            raw.tables[table.name] = _read_sheet(wb, path, table, found, raw.problems)
        narrative_sheet = raw.tables.pop(NARRATIVE_SHEET.name)
        raw.narratives = _narratives_from_sheet(narrative_sheet, raw.problems)
        meta = next((sheets[n][0] for n in METADATA_SHEETS if n in sheets), None)
        if meta is not None:
            raw.fictional, raw.name = _sheet_metadata(wb[meta], _shown(path, meta), raw.problems)
    finally:
        wb.close()
    return raw


def _read_sheet(
    wb: Any, path: Path, table: Table, found: list[str], problems: list[Problem]
) -> RawTable:
    if not found:
        return _absent(table, path.name)
    if len(found) > 1:
        names = "、".join(f"「{t}」" for t in found)
        problems.append(
            Problem(
                path.name,
                f"工作表{names}是同一张表，只能保留一个（已读取「{found[0]}」）。",
                code="duplicate_sheet",
            )
        )
    shown = _shown(path, found[0])
    try:
        grid = _sheet_grid(wb[found[0]])
    except Exception as err:  # a damaged sheet: openpyxl raises XML, key and value errors
        problems.append(
            Problem(shown, f"工作表无法读取（{type(err).__name__}）。", code="unreadable_file")
        )
        return _absent(table, shown, "unreadable")
    raw, header_problems = _from_grid(grid, table, shown)
    problems += header_problems
    return raw


def _shown(path: Path, sheet: str) -> str:
    return f"{path.name}[{sheet}]"


def cell_text(value: Any) -> str:
    """A cell as the text Excel shows: 200.0 → "200", 0.30000000000000004 → "0.3"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = format(value, ".15g")  # Excel shows 15 significant digits
        return text if "e" not in text else format(value, "f").rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return from_cell(str(value))  # Excel's "_x0001_" is the character U+0001


def _sheet_grid(ws: Any) -> pd.DataFrame:
    ws.reset_dimensions()  # some writers store a wrong sheet size; read every row there is
    return _grid([[cell_text(v) for v in row] for row in ws.iter_rows(min_row=1, values_only=True)])


def _truthy(value: Any) -> bool | None:
    text = cell_text(value).strip(WHITESPACE).casefold()
    if text in ("true", "是", "1", "yes", "y"):
        return True
    if text in ("false", "否", "0", "no", "n", ""):
        return False
    return None


def _sheet_metadata(ws: Any, file: str, problems: list[Problem]) -> tuple[bool, str]:
    fictional, name = False, ""
    for row, cells in enumerate(ws.iter_rows(min_row=1, max_col=2, values_only=True), start=1):
        key = cell_text(cells[0] if cells else None).strip(WHITESPACE).casefold()
        value = cells[1] if len(cells) > 1 else None
        if key in ("fictional", "虚构", "虚构数据"):
            flag = _truthy(value)
            if flag is None:
                message = "fictional 应为 TRUE 或 FALSE（是 / 否）"
                problems.append(
                    Problem(
                        file,
                        message,
                        value=cell_text(value),
                        cell=f"B{row}",
                        code="bad_metadata",
                    )
                )
            fictional = bool(flag)
        elif key in ("name", "名称"):
            name = cell_text(value).strip(WHITESPACE)
            if has_forbidden(name):
                problems.append(forbidden_problem(file, name, cell=f"B{row}"))
                name = clean(name).strip(WHITESPACE)
    return fictional, name


def _folder_metadata(data: bytes, problems: list[Problem]) -> tuple[bool, str]:
    text = decode_text(data)
    if text is None:
        problems.append(
            Problem(
                METADATA_FILE,
                "文件编码无法识别：应为 UTF-8 编码的 TOML 文件。",
                code="bad_metadata",
            )
        )
        return False, ""
    try:
        meta = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        problems.append(
            Problem(METADATA_FILE, f"不是有效的 TOML 文件（{err}）。", code="bad_metadata")
        )
        return False, ""
    fictional = meta.get("fictional", False)
    if not isinstance(fictional, bool):
        problems.append(
            Problem(
                METADATA_FILE,
                "应为 true 或 false",
                column="fictional",
                value=str(fictional),
                code="bad_metadata",
            )
        )
        fictional = False
    name = str(meta.get("name", ""))
    if has_forbidden(name):
        problems.append(forbidden_problem(METADATA_FILE, name, column="name"))
        name = clean(name)
    return fictional, name


# --- from a grid of cells to a table -------------------------------------------------------


def _stripped(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct stripped values) of one column of cells; "" is always among the values.

    Each distinct cell text is stripped once, however many rows repeat it; when no distinct text
    has anything to strip (the usual case), the codes are kept as they are.
    """
    codes, distinct = pd.factorize(column.to_numpy(dtype=object))
    distinct = distinct.astype(object, copy=False)
    if _nothing_to_strip(distinct) and not (len(codes) and codes.min() < 0):
        if "" in set(distinct.tolist()):
            return codes, distinct
        return codes, np.append(distinct, np.array([""], dtype=object))
    texts = np.array([str(v).strip(WHITESPACE) for v in distinct] + [""], dtype=object)
    remap, values = pd.factorize(texts)
    codes = codes.astype(np.int64)
    codes[codes < 0] = len(texts) - 1  # a missing cell is blank
    return remap[codes], values.astype(object)


def _nothing_to_strip(distinct: np.ndarray) -> bool:
    """Whether every value is a str that neither starts nor ends with white space.

    Checked on the values joined by NUL: usually there is no white space at all; otherwise one
    search finds white space next to a NUL or at either end (a NUL inside a value can only make
    the answer False, which costs the slow path, never a wrong answer).
    """
    try:
        joined = "\0".join(distinct.tolist())
    except TypeError:  # not every value is a str
        return False
    if not any(space in joined for space in WHITESPACE):
        return True
    return _EDGE_SPACE.search(joined) is None


def _categorical(codes: np.ndarray, values: np.ndarray) -> pd.Categorical:
    """A categorical column holding only the values that occur in ``codes``."""
    used = np.bincount(codes, minlength=len(values)) > 0
    renumber = np.cumsum(used) - 1
    return pd.Categorical.from_codes(
        renumber[codes], categories=pd.Index(values[used], dtype=object), validate=False
    )


def _unescaped(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A CSV column with perfkit's formula escaping undone ("'=x" → "=x"; see textcells).

    Only a value that begins with ``'`` can be escaped: one search over the values joined by NUL
    (a value made of a NUL then ``'`` can only cost the slow path) finds that none does.
    """
    listed = values.tolist()
    joined = "\0".join(listed)
    if not joined.startswith("'") and "\0'" not in joined:
        return codes, values
    texts = [unescape_csv_cell(v) for v in listed]
    if all(a is b for a, b in zip(texts, listed, strict=True)):
        return codes, values
    remap, distinct = pd.factorize(np.array(texts, dtype=object))
    return remap[codes], distinct.astype(object)


def _from_grid(
    grid: pd.DataFrame, table: Table, file: str, csv_cells: bool = False
) -> tuple[RawTable, list[Problem]]:
    columns = [_stripped(grid[c]) for c in grid.columns]
    if csv_cells:
        columns = [_unescaped(codes, values) for codes, values in columns]
    # the text policy (perfkit.core.text): forbidden characters out, each cell that had one kept
    policed = [strip_forbidden(codes, values, WHITESPACE) for codes, values in columns]
    columns = [(codes, values) for codes, values, _ in policed]
    blanks = [int(np.flatnonzero(values == "")[0]) for _, values in columns]
    filled = np.zeros(len(grid), dtype=bool)
    for (codes, _), blank in zip(columns, blanks, strict=True):
        filled |= codes != blank
    if not filled.any():
        return _absent(table, file, "empty"), []
    header = int(np.flatnonzero(filled)[0])
    names = _header_names(table)
    problems: list[Problem] = []
    found: dict[str, int] = {}
    headers: dict[str, str] = {}
    units: dict[str, str] = {}
    for j, (codes, values) in enumerate(columns):
        written = values[codes[header]]
        key = names.get(_fold(written))
        unit = None
        if key is None:
            key, unit, problem = _header_with_unit(written, names, table)
            if problem:
                problems.append(
                    Problem(file, problem, row=header + 1, column=written, code="bad_header_unit")
                )
            if key is None:
                continue
        if key in found:
            first = _letter(found[key])
            message = (
                f"与第 {first} 列「{headers[key]}」是同一列（{table.column(key).zh}），"
                f"只能保留一列；已使用第 {first} 列。"
            )
            problems.append(
                Problem(file, message, row=header + 1, column=written, code="duplicate_column")
            )
            continue
        found[key] = j
        headers[key] = written
        if unit:
            units[key] = unit
    used = np.zeros(len(grid), dtype=bool)
    for j in found.values():
        used |= columns[j][0] != blanks[j]
    positions = np.flatnonzero(used[header + 1 :]) + header + 1
    frame = pd.DataFrame(
        {key: _categorical(columns[j][0][positions], columns[j][1]) for key, j in found.items()},
        index=pd.RangeIndex(len(positions)),
    )
    missing = tuple(c.key for c in table.columns if c.required and c.key not in found)
    status: Status = "ok" if len(positions) else "header_only"
    raw = RawTable(table, file, frame, positions + 1, headers, missing, status, header + 1, units)
    dirty = {key: d for key, j in found.items() if (d := policed[j][2]) is not None}
    if dirty:
        problems += forbidden_problems(raw, dirty, header)
    return raw, problems


#: a header with its unit in brackets: "全年预算数（元）", "全年执行数 (万元)", "执行率【%】"
_HEADER_UNIT = re.compile(r"^(.*?)\s*[(\[【]\s*([^()\[\]【】]*?)\s*[)\]】]$")
#: units accepted in a header, per the column's unit, as the header unit they mean
_HEADER_UNITS: dict[str, dict[str, str]] = {
    "万元": {u: u for u in AMOUNT_UNITS},
    "%": {"%": "%", "百分比": "%", "百分数": "%"},
    "分": {"分": "分"},
}


def _header_with_unit(
    written: str, names: dict[str, str], table: Table
) -> tuple[str | None, str | None, str | None]:
    """(key, unit, problem) of a header that names its unit, e.g. "全年预算数（元）".

    The key is None when the header without its bracket is not a column of the table (or the
    column has no unit); a unit that the column cannot take gives a problem (Chinese).
    """
    match = _HEADER_UNIT.fullmatch(_fold(written))
    if match is None or match[1] not in names:
        return None, None, None
    col = table.column(names[match[1]])
    if not col.unit:
        return None, None, None
    written_unit = simplified(re.sub(f"[{WHITESPACE}]", "", match[2]))  # "萬元" is 万元
    unit = _HEADER_UNITS[col.unit].get(written_unit)
    if unit is not None:
        return col.key, unit, None
    if col.unit == "万元":
        expected = "金额单位：元、千元、万元或亿元（如“全年预算数（元）”），或不注单位（按万元计）"
    elif col.unit == "%":
        expected = "“%”（如“执行率（%）”），或不注单位"
    else:
        expected = "“分”，或不注单位"
    problem = f"表头所注单位“{match[2]}”不是{col.zh}可用的单位：应为{expected}。"
    return col.key, None, problem


def _letter(index: int) -> str:
    """Excel's name of the column at 0-based ``index``: 0 → "A", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _fold(name: str) -> str:
    """A header, sheet or file name as compared: stripped, full-width folded (NFKC), case-folded."""
    return unicodedata.normalize("NFKC", name.strip(WHITESPACE)).casefold()


def _header_names(table: Table) -> dict[str, str]:
    """Accepted header (folded) → canonical key."""
    return {_fold(name): col.key for col in table.columns for name in col.names}


# --- narratives ----------------------------------------------------------------------------


def _read_narrative_files(
    root: Path, inputs: dict[str, bytes], problems: list[Problem]
) -> list[RawNarrative]:
    folder = root / NARRATIVE_DIR
    if not folder.is_dir():
        return []
    narratives = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() != ".md":
            continue
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        inputs[rel] = data
        parts = path.relative_to(folder).parts
        if len(parts) not in (2, 3):
            problems.append(
                Problem(
                    rel,
                    "叙述文件应放在 narratives/<年度>/<单位编码>.md（项目的叙述："
                    "narratives/<年度>/<单位编码>/<项目编码>.md）。",
                    code="narrative_misplaced",
                )
            )
            continue
        text = decode_text(data)
        if text is None:
            problems.append(
                Problem(
                    rel,
                    "文件编码无法识别：请另存为 UTF-8 或 GBK 编码。",
                    code="narrative_unreadable",
                )
            )
            continue
        if has_forbidden(text):
            text = _police_narrative(rel, text, parts, problems)
        if len(parts) == 3:  # a project's: <年度>/<单位编码>/<项目编码>.md
            narrative = RawNarrative(rel, parts[0], parts[1], parse_narrative(text))
            narrative.project_code = path.stem
        else:
            narrative = RawNarrative(rel, parts[0], path.stem, parse_narrative(text))
        narratives.append(narrative)
    return narratives


def _police_narrative(rel: str, text: str, parts: tuple[str, ...], problems: list[Problem]) -> str:
    """A narrative file's text without the text policy's characters; a warning quoting the
    first line that held one."""
    lines = enumerate(text.split("\n"), start=1)
    line, original = next((i, t.rstrip("\r")) for i, t in lines if has_forbidden(t))
    year = int(parts[0]) if parts[0].isdigit() and len(parts[0]) == 4 else None
    project = Path(parts[2]).stem if len(parts) == 3 else None
    unit = parts[1] if len(parts) == 3 else Path(parts[1]).stem
    problems.append(
        forbidden_problem(rel, original, row=line, unit_code=unit, project_code=project, year=year)
    )
    return clean(text)


def _narratives_from_sheet(raw: RawTable, problems: list[Problem]) -> list[RawNarrative]:
    if raw.status == "ok" and raw.missing:
        names = "、".join(f"「{raw.table.column(k).zh}」" for k in raw.missing)
        problems.append(
            Problem(
                raw.file,
                f"缺少列{names}，叙述未读取。",
                row=raw.header_row,
                code="missing_column",
            )
        )
    if not raw.has("year", "unit_code", "markdown"):
        return []
    if raw.has("project_code"):
        projects = raw.column("project_code")
    else:
        projects = np.full(len(raw.rows), "", dtype=object)
    return [
        RawNarrative(raw.file, year, code, parse_narrative(text), int(row), raw.headers, project)
        for year, code, project, text, row in zip(
            raw.column("year"),
            raw.column("unit_code"),
            projects,
            raw.column("markdown"),
            raw.rows,
            strict=True,
        )
    ]
