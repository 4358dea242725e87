"""Writing a dataset in the contract: a CSV folder or one .xlsx workbook (``perfkit export``).

The CSV folder is what Excel on a Chinese Windows opens without garbling: UTF-8 with BOM, Chinese
headers (the contract's ``zh`` names), one file per table, text that a spreadsheet would take for a
formula written with a leading apostrophe (:mod:`perfkit.data.textcells`; the reader takes it off
again), ``narratives/<年度>/<单位编码>.md`` and a ``dataset.toml`` that says what wrote it. The
workbook holds one sheet per table under its Chinese name, a 叙述 sheet for the narratives and a
``dataset`` sheet with the same metadata. Both are written to a temporary place beside the target
and renamed into place, so a reader never sees half a dataset.

Every text is written under the text policy (:mod:`perfkit.core.text`): the characters perfkit
does not keep (control characters, non-characters, lone surrogates) are left out, the same way in
every file, so that whatever text came in, the files read back in perfkit, Excel and any strict
XML or TOML parser.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from perfkit.core.atomic import TMP_SUFFIX, atomic_path
from perfkit.core.problems import UsageError
from perfkit.core.text import clean, to_cell
from perfkit.core.version import __version__
from perfkit.data.contract import (
    NARRATIVE_DIR,
    NARRATIVE_SECTIONS,
    TABLES,
    Column,
    Narrative,
    Table,
    step_column,
)
from perfkit.data.dataset import Dataset
from perfkit.data.textcells import CSV_LINE_END, escape_frame

METADATA_FILE = "dataset.toml"
METADATA_SHEET = "dataset"
#: narratives in the workbook form: 年度 | 单位编码 | 项目编码 | 正文（Markdown）
NARRATIVE_SHEET = "叙述"
#: the marker file that makes perfkit.load flag a dataset as fictional (see perfkit/data/dataset.py)
FICTIONAL_MARKER = "FICTIONAL"
FORMAT_VERSION = 1
#: files whose presence shows that an existing folder is a dataset we may replace
_DATASET_SIGNS = (METADATA_FILE, *(t.filename for t in TABLES))


@dataclass
class Tables:
    """A dataset as plain frames (canonical keys; values typed or already text).

    What ``forms collect`` assembles before it is validated; ``write_dataset`` also accepts a
    loaded :class:`~perfkit.data.dataset.Dataset`.
    """

    frames: dict[str, pd.DataFrame]
    #: (year, unit_code) -> Markdown source; a project's: (year, unit_code, project_code)
    narratives: dict[tuple, str] = field(default_factory=dict)
    fictional: bool = False
    #: the dataset's name (dataset.toml ``name``)
    name: str = ""
    #: where the data came from, written into dataset.toml for the record
    source: str = ""


def format_number(value: Any) -> str:
    """A number as text that reads back to exactly the same float: 12.0 → "12", 0.1 → "0.1".

    ``repr`` of a float is the shortest string that round-trips, so nothing is rounded here.
    Blank (None, NaN, "") gives "".
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, str):
        return clean(value).strip()
    number = float(value)
    if math.isnan(number):
        return ""
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    text = format(Decimal(repr(number)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_rate(value: Any) -> str:
    """A rate kept as a fraction, written as a percentage: 0.955 → "95.5%" (blank: "")."""
    text = format_number(value)
    if not text or text.endswith("%"):
        return text
    percent = format(Decimal(text) * 100, "f")
    return (percent.rstrip("0").rstrip(".") if "." in percent else percent) + "%"


def format_printed(value: Any, step: Any, rate: bool = False) -> str:
    """A printed 执行率 or 得分 at the precision it was printed at (``step``, the unit of its
    last digit; issue 16 §10), so that it reads back the same: 16.8 printed "16.80" (step 0.01)
    → "16.80", 0.86 printed "86%" → "86%". Without a step, as :func:`format_number` (and
    :func:`format_rate`) write it."""
    plain = format_rate(value) if rate else format_number(value)
    if not plain or isinstance(value, str) or step is None or math.isnan(float(step)):
        return plain
    shown = Decimal(repr(float(value))) * (100 if rate else 1)
    unit = Decimal(repr(float(step))) * (100 if rate else 1)
    decimals = max(0, -unit.normalize().as_tuple().exponent)
    text = f"{shown.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"
    return text + ("%" if rate else "")


def format_text(value: Any) -> str:
    """A text cell: None and NaN become "", everything else is stripped ``str`` without the
    characters of the text policy (:func:`perfkit.core.text.clean`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return clean(str(value)).strip()


def narrative_markdown(narrative: Narrative | str) -> str:
    """The Markdown of a narrative: its source when kept, else rebuilt from its sections; without
    the characters of the text policy."""
    if isinstance(narrative, str):
        return clean(narrative)
    if narrative.source:
        return clean(narrative.source)
    parts = [narrative.preamble.strip()] if narrative.preamble.strip() else []
    for key, headings in NARRATIVE_SECTIONS.items():
        body = getattr(narrative, key).strip()
        if body:
            parts.append(f"## {headings[0]}\n\n{body}")
    return clean("\n\n".join(parts) + "\n") if parts else ""


def as_tables(data: Dataset | Tables) -> Tables:
    """The frames, narratives and flags of a loaded dataset, or ``data`` itself."""
    if isinstance(data, Tables):
        return data
    return Tables(
        frames={t.name: getattr(data, t.name) for t in TABLES},
        narratives={
            **{key: narrative_markdown(n) for key, n in data.narratives.items()},
            **{key: narrative_markdown(n) for key, n in data.project_narratives.items()},
        },
        fictional=data.fictional,
        source=str(data.source or ""),
    )


def written_columns(frame: pd.DataFrame | None, table: Table) -> list[Column]:
    """The columns written for a table: the contract's, in order, but the optional 项目编码 of
    budget, indicators and goals only when some row has one (a dataset without projects is
    written as before)."""

    def blank(col: Column) -> bool:
        if col.kind != "project_code" or col.required:
            return False
        if frame is None or col.key not in frame.columns:
            return True
        values = frame[col.key]
        return bool((values.isna() | (values.astype(str) == "")).all())

    return [c for c in table.columns if not blank(c)]


def text_frame(frame: pd.DataFrame | None, table: Table) -> pd.DataFrame:
    """The table's written columns (:func:`written_columns`), in contract order, every value
    as text; keys as columns."""
    columns = written_columns(frame, table)
    keys = [c.key for c in columns]
    if frame is None or frame.empty:
        return pd.DataFrame({k: pd.Series([], dtype=object) for k in keys})
    out = {}
    for col in columns:
        if col.key not in frame.columns:
            out[col.key] = [""] * len(frame)
            continue
        fmt = format_number if col.kind in ("number", "year", "month") else format_text
        if col.unit == "%":
            fmt = format_rate
        values = frame[col.key].tolist()
        if col.printed and step_column(col.key) in frame.columns:  # as printed: "16.80"
            steps = frame[step_column(col.key)].tolist()
            rate = col.unit == "%"
            out[col.key] = [format_printed(v, p, rate) for v, p in zip(values, steps, strict=True)]
            continue
        out[col.key] = [fmt(v) for v in values]
    return pd.DataFrame(out, columns=keys, dtype=object)


def metadata(tables: Tables) -> dict[str, Any]:
    """What dataset.toml and the workbook's ``dataset`` sheet record."""
    meta: dict[str, Any] = {"name": tables.name} if tables.name else {}
    meta["fictional"] = bool(tables.fictional)
    meta["format"] = FORMAT_VERSION
    meta["generator"] = f"perfkit {__version__}"
    if tables.source:
        meta["source"] = tables.source
    return meta


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = clean(str(value)).replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _write_folder(tables: Tables, folder: Path) -> None:
    folder.mkdir(parents=True)
    for table in TABLES:
        frame = tables.frames.get(table.name)
        if not table.required and (frame is None or frame.empty):
            continue
        text = escape_frame(text_frame(frame, table))
        text.columns = [c.zh for c in written_columns(frame, table)]
        text.to_csv(
            folder / table.filename, index=False, encoding="utf-8-sig", lineterminator=CSV_LINE_END
        )
    for key, markdown in sorted(tables.narratives.items()):
        if not markdown.strip():
            continue
        year, code, *project = key
        path = folder / NARRATIVE_DIR / str(int(year)) / f"{code}.md"
        if project and project[0]:  # a project's: narratives/<年度>/<单位编码>/<项目编码>.md
            path = folder / NARRATIVE_DIR / str(int(year)) / code / f"{project[0]}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(clean(markdown), encoding="utf-8")
    lines = ["# 由 perfkit 写出的数据集（数据契约见 docs/data-contract.md）"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in metadata(tables).items()]
    (folder / METADATA_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if tables.fictional:
        (folder / FICTIONAL_MARKER).write_text("本数据集的数字为虚构示例。\n", encoding="utf-8")


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def put(cell: Cell, value: Any) -> Cell:
    """Set a cell; text stays text even when it starts with "=" ("=0次" is a target, not a formula).

    Text is written under the text policy (:func:`perfkit.core.text.to_cell`): what XML 1.0, and
    so a workbook, cannot hold is left out, and a literal ``_x0001_`` is escaped as Excel does.
    """
    if isinstance(value, str):
        cell.value = value = to_cell(value)
        if value.startswith("="):
            cell.data_type = "s"
    else:
        cell.value = value
    return cell


def _as_printed(values: list[Any], texts: tuple[str, ...], columns: list[Column]) -> list[Any]:
    """A printed 得分 whose trailing zeros a number cell would lose ("16.80") stays text, so
    that it reads back at the precision it was printed at (issue 16 §10)."""
    return [
        t if c.printed and isinstance(v, int | float) and format_number(v) != t else v
        for v, t, c in zip(values, texts, columns, strict=True)
    ]


def _number(value: str) -> int | float | str:
    """Numbers go into the workbook as numbers (so Excel can sum them)."""
    if not value:
        return value
    number = float(value)
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


class _SheetWriter:
    """A write-only sheet (fast and lean for 300,000 rows) with a styled, frozen header."""

    def __init__(self, wb: Workbook, title: str, headers: list[str], widths: list[int]):
        self.ws = wb.create_sheet(title)
        self.ws.freeze_panes = "A2"
        for i, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        cells = []
        for header in headers:
            cell = put(WriteOnlyCell(self.ws), header)
            cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
            cells.append(cell)
        self.ws.append(cells)

    def row(self, values: list[Any], text: list[bool], wrap: bool = False) -> None:
        cells = []
        for value, is_text in zip(values, text, strict=True):
            cell = put(WriteOnlyCell(self.ws), value)
            if is_text:
                cell.number_format = "@"
            if wrap:
                cell.alignment = _WRAP
            cells.append(cell)
        self.ws.append(cells)


_WRAP = Alignment(wrap_text=True, vertical="top")


def _write_workbook(tables: Tables, path: Path) -> None:
    wb = Workbook(write_only=True)
    for table in TABLES:
        frame = tables.frames.get(table.name)
        if not table.required and (frame is None or frame.empty):
            continue
        # rates are written as "95.5%" text: a bare 0.955 would read back as doubtful
        columns = written_columns(frame, table)
        numeric = [c.kind in ("number", "year", "month") and c.unit != "%" for c in columns]
        text = [c.kind in ("text", "code", "project_code") or c.unit == "%" for c in columns]
        widths = [24 if c.kind == "text" else 14 for c in columns]
        sheet = _SheetWriter(wb, table.zh, [c.zh for c in columns], widths)
        for record in text_frame(frame, table).itertuples(index=False):
            values = [_number(v) if n else v for v, n in zip(record, numeric, strict=True)]
            sheet.row(_as_printed(values, record, columns), text)
    if tables.narratives:
        # the 项目编码 column only when a project has a narrative (as the tables' own column)
        projects = any(len(key) > 2 and key[2] for key in tables.narratives)
        headers = ["年度", "单位编码", *(["项目编码"] if projects else []), "正文（Markdown）"]
        widths = [8, 14, *([14] if projects else []), 80]
        sheet = _SheetWriter(wb, NARRATIVE_SHEET, headers, widths)
        for key, markdown in sorted(tables.narratives.items()):
            year, code, *project = key
            row = [int(year), code, *([project[0] if project else ""] if projects else [])]
            sheet.row([*row, markdown], [False, *([True] * (len(row) - 1)), True], wrap=True)
    sheet = _SheetWriter(wb, METADATA_SHEET, ["键", "值"], [14, 40])
    for key, value in metadata(tables).items():
        sheet.row([key, value], [True, False])
    wb.save(path)


def _looks_like_dataset(folder: Path) -> bool:
    return any((folder / name).exists() for name in _DATASET_SIGNS)


def write_dataset(data: Dataset | Tables | Mapping[str, pd.DataFrame], out: str | Path) -> Path:
    """Write ``data`` to ``out``: one workbook when ``out`` ends with .xlsx, else a CSV folder.

    The new dataset is written beside ``out`` under a temporary name and renamed into place.
    An existing ``out`` is replaced only if it is a dataset (or a workbook); any other existing
    folder is left alone and raises :class:`UsageError`.
    """
    if isinstance(data, Mapping):
        data = Tables(frames=dict(data))
    tables = as_tables(data)
    out = Path(out)
    workbook = out.suffix.lower() == ".xlsx"
    if out.exists():
        if workbook and out.is_dir():
            raise UsageError(f"输出路径 {out} 是一个目录，不能写成工作簿。")
        if not workbook and (not out.is_dir() or not _looks_like_dataset(out)):
            raise UsageError(
                f"输出路径 {out} 已存在且不是 perfkit 数据集，为免覆盖他人文件，请换一个路径。"
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    if workbook:
        with atomic_path(out) as target:
            _write_workbook(tables, target)
        return out
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=TMP_SUFFIX, dir=out.parent))
    try:
        _write_folder(tables, tmp / "dataset")
        _swap_folder(tmp / "dataset", out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _swap_folder(new: Path, out: Path) -> None:
    """Put folder ``new`` at ``out``; an old ``out`` is moved aside first and removed after."""
    if not out.exists():
        os.replace(new, out)
        return
    old = new.parent / "old"
    os.replace(out, old)
    try:
        os.replace(new, out)
    except OSError:
        os.replace(old, out)
        raise


def export(data: str | Path, out: str | Path, rules: Any = None) -> Path:
    """``perfkit export DATA --out OUT``: load and validate ``data`` (folder or workbook), write it
    to ``out`` in the other form (or the same; a workbook when ``out`` ends with .xlsx)."""
    from perfkit.data.loading import load

    return write_dataset(load(data, rules), out)
