"""Reading the review sample (抽查样本, issue 17 §2) that ``perfkit forms make --review`` takes.

``perfkit review sample`` writes it; a bureau may also write one by hand: a CSV (UTF-8 with or
without BOM, or GBK) or the first sheet of an .xlsx workbook, header in row 1. Only 年度,
单位编码 and 项目编码 are read (项目编码 blank: the unit's 部门整体 table); the other columns
(名称, 主管部门, 全年预算数, 风险分, 风险排名, 抽取方式, 抽取理由) are the reader's. The file is
outside input: bounded in size (:data:`MAX_BYTES`, :data:`MAX_ROWS`, a workbook within
:data:`perfkit.core.ziplimits.FORM`), read cell by cell, and every problem names the file, the
row as Excel shows it, the column as written and the value; a row that names no table of the
dataset is named too. Nothing is made while any row is wrong.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from perfkit.core import ziplimits
from perfkit.core.problems import InvalidInput, Problem, UsageError
from perfkit.data.dataset import Dataset
from perfkit.data.readers import decode_text
from perfkit.forms.cells import amount_text, text_value

#: a sample lists a few hundred tables; a file beyond these is not a sample
MAX_BYTES = 16 * 1024 * 1024
MAX_ROWS = 100_000
_COLUMNS = {"year": ("年度", "year"), "unit_code": ("单位编码", "unit_code"),
            "project_code": ("项目编码", "project_code")}  # fmt: skip


def _rows(path: Path) -> list[list[str]]:
    """The file's rows as text (header first), or UsageError / InvalidInput when unreadable."""
    suffix = path.suffix.lower()
    if path.stat().st_size > MAX_BYTES:
        raise InvalidInput(
            [
                Problem(
                    path.name,
                    f"文件超过 {MAX_BYTES // 1024 // 1024} MB，不是抽查样本。",
                    code="workbook_too_large",
                )
            ]
        )
    if suffix == ".csv":
        text = decode_text(path.read_bytes())
        if text is None:
            raise InvalidInput(
                [
                    Problem(
                        path.name, "编码无法识别：请保存为 UTF-8 或 GBK。", code="unreadable_file"
                    )
                ]
            )
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    if suffix in (".xlsx", ".xlsm"):
        if (too_large := ziplimits.check(path, ziplimits.FORM)) is not None:
            raise InvalidInput([Problem(path.name, too_large, code="workbook_too_large")])
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as err:  # openpyxl raises zip, XML, key and value errors
            raise InvalidInput(
                [
                    Problem(
                        path.name,
                        f"无法作为 .xlsx 工作簿打开（{type(err).__name__}）。",
                        code="unreadable_file",
                    )
                ]
            ) from None
        try:
            ws = wb.worksheets[0]
            ws.reset_dimensions()
            rows = []
            for row in ws.iter_rows(max_col=30):
                rows.append([text_value(c.value, c.number_format) for c in row])
                if len(rows) > MAX_ROWS + 1:
                    break
            return rows
        finally:
            wb.close()
    raise UsageError(f"抽查样本应为 .csv 或 .xlsx 文件，而不是 {path.name}。")


def read_sample(path: str | Path, ds: Dataset) -> list[tuple[int, str, str]]:
    """The (年度, 单位编码, 项目编码) of every row of the sample at ``path``, in file order without
    repeats, each checked against ``ds``. Raises InvalidInput listing every problem."""
    path = Path(path)
    rows = _rows(path)
    if not rows:
        raise InvalidInput([Problem(path.name, "内容为空：第一行应为表头。", code="empty_file")])
    if len(rows) > MAX_ROWS + 1:
        raise InvalidInput(
            [Problem(path.name, f"超过 {MAX_ROWS} 行，不是抽查样本。", code="too_large")]
        )
    header = rows[0]
    where: dict[str, int] = {}
    for key, names in _COLUMNS.items():
        for i, text in enumerate(header):
            if text.replace(" ", "").casefold() in {n.casefold() for n in names}:
                where.setdefault(key, i)
    problems = [
        Problem(path.name, f"缺少必需的列「{names[0]}」。", row=1, code="missing_column")
        for key, names in _COLUMNS.items()
        if key != "project_code" and key not in where
    ]
    if problems:
        raise InvalidInput(problems)
    budget = ds.budget
    project = budget["project_code"].fillna("").astype(str) if "project_code" in budget else None
    tables = set(
        zip(
            budget["year"].astype(int),
            budget["unit_code"].astype(str),
            project if project is not None else [""] * len(budget),
            strict=True,
        )
    )
    found: list[tuple[int, str, str]] = []
    for n, row in enumerate(rows[1:], start=2):

        def cell(key: str, row: list[str] = row) -> str:
            i = where.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        year_text, unit, proj = amount_text(cell("year")), cell("unit_code"), cell("project_code")
        if not (year_text or unit or proj):
            continue  # a blank row
        head = header[where["year"]]
        if not year_text.isdigit() or len(year_text) != 4:
            problems.append(Problem(path.name, "年度应为四位数字的年份。", n, head, year_text,
                                    code="not_a_year"))  # fmt: skip
            continue
        if not unit:
            problems.append(Problem(path.name, "不能为空", n, header[where["unit_code"]], "",
                                    code="blank"))  # fmt: skip
            continue
        key = (int(year_text), unit, proj)
        if key not in tables:
            what = f"项目 {proj} 的" if proj else "部门整体"
            problems.append(
                Problem(
                    path.name,
                    f"数据集中没有单位 {unit} {year_text} 年度{what}预算执行数据，无法生成复核表。",
                    n,
                    header[where["project_code" if proj else "unit_code"]],
                    proj or unit,
                    code="sample_unknown_table",
                    unit_code=unit,
                    project_code=proj or None,
                    year=int(year_text),
                )
            )
            continue
        if key not in found:
            found.append(key)
    if problems:
        raise InvalidInput(problems)
    if not found:
        raise InvalidInput([Problem(path.name, "没有数据行。", row=1, code="empty_table")])
    return found
