"""Reading 复核表 workbooks back (issue 17 §3): ``forms collect`` recognises them by their hidden
sheet (``form_kind = review``) and turns them into rows of the ``reviews`` table.

A 复核表 is outside input like every form: refused beyond :data:`perfkit.core.ziplimits.FORM`
before it is opened, its text read under the text policy (characters perfkit does not keep are
removed, with a warning at the cell), its blocks found by header text, never by row number. A
locked cell (指标值, 分值, 自评完成值 of an issued indicator) that was changed is an error at that
cell (``review_form_edited``): the 复核表 is a record of what was re-checked against what. A row
whose 三级指标 names no indicator of the dataset reaches the validation, which names it
(``unknown_review_indicator``); every problem of the collected rows is moved back to its cell.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from perfkit.core.problems import InvalidInput, Problem
from perfkit.core.text import has_forbidden
from perfkit.data.contract import REVIEWS
from perfkit.data.dataset import Dataset
from perfkit.data.loading import load
from perfkit.data.textcells import forbidden_problem
from perfkit.data.writers import Tables, text_frame, write_dataset
from perfkit.forms.cells import amount, amount_text, text_value
from perfkit.forms.meta import find_meta_sheet, read_meta
from perfkit.forms.read import Form, Origin, Record, _address, open_form
from perfkit.forms.review_make import COLUMNS, INPUTS, LABELS, REVIEW_KIND, REVIEW_SHEET
from perfkit.rules.rulebook import Rulebook

_LOCKED = ("target", "weight", "actual")
_TEXT_KEYS = ("review_actual", "review_opinion", "review_evidence")


def is_review(form: Form) -> bool:
    """Whether ``form`` is a 复核表 (its hidden sheet says so)."""
    return bool(form.meta and form.meta.info.get("form_kind") == REVIEW_KIND)


def peek_review(path: Path) -> bool:
    """Whether the workbook at ``path`` is a 复核表 (a bounded, read-only look at its hidden
    sheet; False for anything else, which the self-evaluation reader then reports)."""
    _, wb = open_form(path)
    if wb is None:
        return False
    try:
        ws = find_meta_sheet(wb)
        return ws is not None and read_meta(ws).info.get("form_kind") == REVIEW_KIND
    except Exception:  # a damaged sheet: the self-evaluation reader reports it
        return False
    finally:
        wb.close()


def read_review_form(path: Path) -> Form:
    """One 复核表: ``form.indicators`` hold the reviews rows (canonical keys, text) with their
    cells; structural problems and changed locked cells are in ``form.problems``."""
    form, wb = open_form(path)
    if wb is None:
        return form
    try:
        meta_ws = find_meta_sheet(wb)
        form.meta = read_meta(meta_ws) if meta_ws is not None else None
        info = form.meta.info if form.meta else {}
        named = info.get("form_sheet", REVIEW_SHEET)
        ws = (
            wb[named]
            if named in wb.sheetnames
            else next(
                (w for w in wb.worksheets if w is not meta_ws and w.sheet_state == "visible"), None
            )
        )
        cells = _cells(ws) if ws is not None else []
    except Exception as err:  # a damaged sheet: openpyxl raises XML, key and value errors
        form.problem("form_unreadable", f"无法读取工作簿（{type(err).__name__}）。")
        form.blocked = True
        return form
    finally:
        wb.close()
    form.unit_code = info.get("unit_code", "")
    form.project_code = info.get("project_code", "")
    form.year = int(info["year"]) if info.get("year", "").isdigit() else None
    if ws is None:
        form.problem("form_not_found", "找不到复核表工作表。")
        form.blocked = True
        return form
    form.sheet = ws.title
    form.unit_cell = _address(ws, 2, 7)
    form.project_cell = _address(ws, 2, 9)
    _read_rows(form, ws, cells)
    return form


def _cells(ws: Worksheet) -> list[list[tuple[object, str]]]:
    rows = []
    for n, row in enumerate(ws.iter_rows(max_col=len(COLUMNS) + 2)):
        rows.append([(c.value, c.number_format) for c in row])
        if n > 5000:  # a 复核表 has one row per indicator: far fewer
            break
    return rows


def _text(cells: list[list[tuple[object, str]]], r: int, c: int) -> str:
    line = cells[r - 1] if 0 < r <= len(cells) else []
    return text_value(*line[c - 1]) if 0 < c <= len(line) else ""


def _find(cells: list[list[tuple[object, str]]], text: str) -> tuple[int, int] | None:
    for r, line in enumerate(cells, start=1):
        for c in range(1, len(line) + 1):
            if _text(cells, r, c).replace(" ", "") == text:
                return r, c
    return None


def _value_right(cells, ws: Worksheet, label: str) -> tuple[str, str] | None:
    """The first non-blank cell right of ``label`` on its row (merged label cells skipped)."""
    where = _find(cells, label)
    if where is None:
        return None
    r, c = where
    for col in range(c + 1, len(COLUMNS) + 1):
        value = _text(cells, r, col)
        if value:
            return value, _address(ws, r, col)
    return "", _address(ws, r, c + 1)


def _read_rows(form: Form, ws: Worksheet, cells) -> None:
    header = _find(cells, COLUMNS["review_actual"][1])
    if header is None:
        form.problem("missing_column", "找不到“复核完成值”表头行。", _address(ws, 1, 1))
        form.blocked = True
        return
    head_row = header[0]
    col = {}
    for key, (_, title) in COLUMNS.items():
        for c in range(1, len(cells[head_row - 1]) + 1):
            if _text(cells, head_row, c).replace(" ", "") == title:
                col[key] = c
                break
    missing = [COLUMNS[k][1] for k in ("level3", *INPUTS) if k not in col]
    if missing:
        form.problem(
            "missing_column", f"复核表缺少列：{'、'.join(missing)}。", _address(ws, head_row, 1)
        )
        form.blocked = True
        return
    issued = {
        r.values.get("level3", ""): r.values
        for r in (form.meta.tables.get("indicators", []) if form.meta else [])
    }
    shared, shared_cells = _shared(ws, cells)
    first = True
    for r in range(head_row + 1, len(cells) + 1):
        level3 = _text(cells, r, col["level3"])
        if _text(cells, r, 1) == "合计" or _text(cells, r, 1) == LABELS["self_total"]:
            break
        if not level3:
            continue
        addr = {k: _address(ws, r, c) for k, c in col.items()}
        values = {
            "level1": _text(cells, r, col.get("level1", 0)),
            "level2": _text(cells, r, col.get("level2", 0)),
            "level3": level3,
            "review_score": amount_text(*cells[r - 1][col["review_score"] - 1]),
        }
        for key in _TEXT_KEYS:
            raw = cells[r - 1][col[key] - 1][0] if col[key] <= len(cells[r - 1]) else None
            values[key] = text_value(*cells[r - 1][col[key] - 1])
            if isinstance(raw, str) and has_forbidden(raw):
                form.problems.append(
                    replace(
                        forbidden_problem(form.file, None, COLUMNS[key][1], raw),
                        cell=addr[key],
                        unit_code=form.unit_code or None,
                        project_code=form.project_code or None,
                        level3=level3,
                        year=form.year,
                    )
                )
        cells_of = {**addr}
        if first:  # once per table: on its first row
            values.update(shared)
            cells_of.update(shared_cells)
            first = False
        if level3 in issued:
            _check_locked(form, ws, cells, r, col, issued[level3], level3)
        form.indicators.append(Record(values, Origin(form.file, cells_of, addr["level3"])))


def _shared(ws: Worksheet, cells) -> tuple[dict[str, str], dict[str, str]]:
    """复核人, 复核日期, 复核总体意见 and 复核执行数 (once per workbook), and their cells."""
    shared, where = {}, {}
    for key in ("reviewer", "review_date", "review_summary"):
        found = _value_right(cells, ws, LABELS[key])
        if found is not None:
            shared[key], where[key] = found
    head = _find(cells, LABELS["review_executed"])
    if head is not None:
        r, c = head
        raw = cells[r][c - 1] if r < len(cells) and c <= len(cells[r]) else (None, "General")
        shared["review_executed"] = amount_text(*raw)
        where["review_executed"] = _address(ws, r + 1, c)
    return shared, where


def _check_locked(form: Form, ws, cells, r: int, col: dict, issued: dict, level3: str) -> None:
    for key in _LOCKED:
        if key not in col:
            continue
        now = _text(cells, r, col[key])
        was = issued.get(key, "")
        same = now == was
        if key == "weight":
            a, b = amount(cells[r - 1][col[key] - 1][0]), amount(was)
            same = a is not None and b is not None and abs(a - b) < 1e-9
        if not same:
            form.problems.append(
                Problem(
                    form.file,
                    f"{COLUMNS[key][1]}是下发时锁定的内容，不应修改（下发时为“{was}”）。",
                    cell=_address(ws, r, col[key]),
                    value=now,
                    unit_code=form.unit_code or None,
                    project_code=form.project_code or None,
                    level3=level3,
                    code="review_form_edited",
                    year=form.year,
                )
            )


def review_rows(form: Form) -> list[tuple[dict[str, str], Origin]]:
    """The reviews rows of a 复核表 (canonical keys, text), with the cells they came from."""
    keys = {"year": str(form.year or ""), "unit_code": form.unit_code,
            "project_code": form.project_code}  # fmt: skip
    return [({**keys, **r.values}, r.origin) for r in form.indicators]


def merge_reviews(
    tables: Tables, forms: list[Form], rb: Rulebook, source: str
) -> tuple[Dataset | None, list[Problem]]:
    """``tables`` with the reviews of ``forms`` in place of any earlier reviews of the same
    tables, validated (:func:`perfkit.data.loading.load`): (dataset, []) or (None, every
    problem, those of the reviews rows moved back to their cells)."""
    frame = tables.frames.get("reviews")
    columns = [c.key for c in REVIEWS.columns]
    new_rows, origins = [], []
    for form in forms:
        for values, origin in review_rows(form):
            new_rows.append(values)
            origins.append(origin)
    reviewed = {(str(f.year), f.unit_code, f.project_code) for f in forms}
    kept = pd.DataFrame(columns=columns)
    if frame is not None and not frame.empty:
        text = text_frame(frame, REVIEWS).reindex(columns=columns, fill_value="")
        key = list(
            zip(
                text["year"].astype(str),
                text["unit_code"].astype(str),
                text["project_code"].fillna("").astype(str),
                strict=True,
            )
        )
        kept = text.loc[[k not in reviewed for k in key], [c for c in columns if c in text]]
    fresh = pd.DataFrame(new_rows, columns=columns)
    merged = pd.concat([fresh, kept], ignore_index=True)
    frames = {**tables.frames, "reviews": merged}
    tmp = Path(tempfile.mkdtemp(prefix="perfkit-reviews-"))
    by_file = {f.file: f for f in forms}
    try:
        folder = write_dataset(replace(tables, frames=frames), tmp / "dataset")
        try:
            ds = load(folder, rb)
        except InvalidInput as err:
            moved = [_relocate(p, origins, by_file) for p in err.problems]
            # the dataset's own warnings were reported when it was collected or loaded
            return None, [p for p in moved if not p.is_warning or p.file in by_file]
        moved = [_relocate(p, origins, by_file) for p in ds.warnings]
        ds.warnings = [p for p in moved if p.file in by_file or p.file != REVIEWS.filename]
        return ds, []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _relocate(p: Problem, origins: list[Origin], forms: dict[str, Form]) -> Problem:
    """A problem of the reviews rows written first, moved to the 复核表 cell it came from."""
    if p.file == REVIEWS.filename and p.row is not None and 2 <= p.row < len(origins) + 2:
        origin = origins[p.row - 2]
        key = next((c.key for c in REVIEWS.columns if p.column in c.names), None)
        cell = origin.cells.get(key or "", origin.anchor)
        return replace(p, file=origin.file, row=None, cell=cell)
    return p


def with_reviews(
    tables: Tables, forms: list[Form], rb: Rulebook, source: str, skip_invalid: bool
) -> tuple[Dataset, list[Form], dict[str, list[Problem]]]:
    """``tables`` with the reviews of ``forms``, validated: (dataset, the forms taken, the forms
    left out with their problems). Every problem at once as InvalidInput while a form is invalid,
    unless ``skip_invalid``: then the invalid 复核表 are left out and listed."""
    skipped: dict[str, list[Problem]] = {}
    live = list(forms)
    while True:
        for form in list(live):
            if any(not p.is_warning for p in form.problems) and (form.blocked or skip_invalid):
                skipped.setdefault(form.file, []).extend(form.problems)
                live.remove(form)
        ds, problems = merge_reviews(tables, live, rb, source)
        files = {f.file for f in live}
        pending: dict[str, list[Problem]] = {}
        for form in live:
            pending[form.file] = list(form.problems)
        other = []
        for p in problems:
            (pending[p.file] if p.file in files else other).append(p)
        pending = {f: ps for f, ps in pending.items() if any(not p.is_warning for p in ps)}
        if any(not p.is_warning for p in other) or ((pending or skipped) and not skip_invalid):
            everything = [p for ps in (*skipped.values(), *pending.values(), other) for p in ps]
            raise InvalidInput(everything)
        if not pending and ds is not None:
            return ds, live, skipped
        for file, ps in pending.items():
            skipped.setdefault(file, []).extend(ps)
            live = [f for f in live if f.file != file]
