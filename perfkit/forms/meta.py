"""The very hidden sheet ``_perfkit`` of a form: who the form is for, and the data it does not show.

The visible sheet shows the funding block aggregated, but the dataset holds the budget item by
item; so the form carries the unit's item-level budget rows, its 单位信息 row, its monthly rows and
its narrative here, and ``forms collect`` can rebuild the dataset from the forms alone. The
sheet is "very hidden" (Excel and WPS do not list it under 取消隐藏), and found by the marker in
A1 even if renamed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from perfkit.core.text import from_cell, to_cell
from perfkit.data.contract import TABLES_BY_NAME
from perfkit.data.writers import text_frame
from perfkit.forms.cells import text_value
from perfkit.forms.layout import META_MARKER, META_SHEET

#: Excel's limit is 32,767 characters per cell; narratives are split below it
_CHUNK = 30_000
_NARRATIVE = "narrative"
#: the tables a unit's form carries in its hidden sheet
META_TABLES = ("units", "budget", "monthly")
#: the tables a project's form carries: its unit, its 项目信息 row, its budget rows (monthly rows
#: are the unit's)
PROJECT_META_TABLES = ("units", "projects", "budget")


@dataclass
class MetaRow:
    """A row of a table in the hidden sheet: values by canonical key and the sheet row."""

    values: dict[str, str]
    row: int


@dataclass
class Meta:
    """What the hidden sheet holds."""

    sheet: str
    info: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[MetaRow]] = field(default_factory=dict)
    narrative: str = ""


def write_meta(
    wb: Workbook,
    info: dict[str, str],
    frames: dict[str, pd.DataFrame],
    narrative: str,
    tables: Sequence[str] = META_TABLES,
) -> Worksheet:
    """Add the very hidden sheet: key/value ``info``, then each of ``tables``, then the
    narrative."""
    ws = wb.create_sheet(META_SHEET)
    ws.append([META_MARKER, "此工作表由 perfkit 生成，供回收自评表使用，请勿修改。"])
    for key, value in info.items():
        ws.append([to_cell(key), to_cell(value)])
    for name in tables:
        table = TABLES_BY_NAME[name]
        text = text_frame(frames.get(name), table)
        ws.append([])
        ws.append([f"[{name}]"])
        ws.append(list(text.columns))
        for record in text.itertuples(index=False):
            ws.append([to_cell(value) if value != "" else None for value in record])
    ws.append([])
    ws.append([f"[{_NARRATIVE}]"])
    narrative = to_cell(narrative)
    for start in range(0, len(narrative), _CHUNK):
        ws.append([narrative[start : start + _CHUNK]])
    for row in ws.iter_rows():
        for cell in row:
            cell.number_format = "@"
            if cell.data_type == "f":  # text such as "=HYPERLINK(…)" or "=0次" stays text
                cell.data_type = "s"
    ws.sheet_state = "veryHidden"
    return ws


def find_meta_sheet(wb: Workbook) -> Worksheet | None:
    """The hidden sheet by its name, else any sheet whose A1 holds the marker."""
    candidates = [wb[META_SHEET]] if META_SHEET in wb.sheetnames else []
    candidates += [ws for ws in wb.worksheets if ws.title != META_SHEET]
    for ws in candidates:
        first = next(ws.iter_rows(max_row=1, max_col=1, values_only=True), (None,))
        if first and text_value(first[0]) == META_MARKER:
            return ws
    return None


def read_meta(ws: Worksheet) -> Meta:
    """Parse the hidden sheet written by :func:`write_meta`."""
    meta = Meta(sheet=ws.title)
    section: str | None = None
    header: list[str] = []
    chunks: list[str] = []
    for r, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if section == _NARRATIVE:
            # the last section; chunks keep their exact text, spaces included
            if row and row[0] is not None:
                chunks.append(str(row[0]))
            continue
        values = [text_value(v) for v in row]
        while values and not values[-1]:
            values.pop()
        if not values:
            continue
        first = values[0]
        if first.startswith("[") and first.endswith("]") and len(values) == 1:
            section, header = first[1:-1], []
            continue
        if section is None:
            meta.info[first] = values[1] if len(values) > 1 else ""
        elif not header:
            header = values
        else:
            padded = values + [""] * (len(header) - len(values))
            meta.tables.setdefault(section, []).append(
                MetaRow(dict(zip(header, padded, strict=False)), r)
            )
    meta.narrative = from_cell("".join(chunks))  # an escape may straddle two chunks
    return meta
