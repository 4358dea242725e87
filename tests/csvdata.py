"""Small datasets on disk for the reader, validation and loading tests.

``tables()`` gives a valid two-unit dataset as {table: [header, row, row, …]} with the Chinese
headers; tests change a cell or a row and write it with :func:`write_folder` (CSV, any encoding
and line ending) or :func:`write_workbook` (.xlsx). Excel rows: the header is row 1, so
``rows[k]`` of a table is Excel row k + 1.

Unit A01 has two indicators weighing 50 + 40 = 90; unit B02 three weighing 30 + 30 + 30 = 90.
"""

from __future__ import annotations

import copy
from pathlib import Path

from openpyxl import Workbook

Table = list[list[str]]

_TABLES: dict[str, Table] = {
    "units": [
        ["单位编码", "单位名称", "主管部门", "主要职能", "内设机构", "下属单位"],
        [
            "A01",
            "市智慧审判保障中心",
            "市中级人民法院",
            "信息化建设和网络安全",
            "综合处、保障处",
            "无",
        ],
        ["B02", "市公共阅读服务中心", "市文化广电和旅游局", "公共阅读服务", "", "无"],
    ],
    "budget": [
        [
            "年度",
            "单位编码",
            "资金来源",
            "支出类型",
            "项目",
            "年初预算数",
            "全年预算数",
            "全年执行数",
        ],
        ["2022", "A01", "财政拨款", "基本支出", "人员经费", "420", "436.5", "433.9"],
        ["2022", "A01", "财政拨款", "基本支出", "公用经费", "48", "48", "33.6"],
        ["2022", "B02", "财政拨款", "项目支出", "阅读推广", "100", "120", "110"],
    ],
    "indicators": [
        [
            "年度",
            "单位编码",
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
            "偏差原因分析及改进措施",
        ],
        ["2022", "A01", "产出指标", "数量指标", "办结案件数", "≥150件", "230余件", "50", "50", ""],
        [
            "2022",
            "A01",
            "效益指标",
            "社会效益指标",
            "网络安全",
            "效果明显",
            "达成年度指标",
            "40",
            "",
            "",
        ],
        ["2022", "B02", "产出指标", "数量指标", "阅读活动次数", "≥20次", "22次", "30", "30", ""],
        [
            "2022",
            "B02",
            "满意度指标",
            "服务对象满意度指标",
            "读者满意度",
            "≥90%",
            "95%",
            "30",
            "",
            "",
        ],
        ["2022", "B02", "产出指标", "时效指标", "按时完成率", "=100%", "100%", "30", "", ""],
    ],
    "goals": [
        ["年度", "单位编码", "预期目标", "实际完成情况"],
        ["2022", "A01", "保障信息化系统平稳运行", "全年未发生网络安全事故"],
        ["2022", "B02", "开展全民阅读推广", "已完成"],
    ],
    "monthly": [
        ["年度", "单位编码", "项目", "月份", "当月执行数"],
        ["2022", "A01", "人员经费", "1", "36.15"],
        ["2022", "A01", "人员经费", "2", "36.15"],
        ["2022", "A01", "公用经费", "1", "2.8"],
    ],
}

NARRATIVE = """# 苏州市智慧审判保障中心 2022 年度自评

## 一、绩效实现情况

独立配合法官办结案件 230 余件。

## 二、存在问题

部分绩效指标设置不合理。

## 三、改进措施

科学设置指标值。
"""

SHEET_NAMES = {
    "units": "单位信息",
    "budget": "预算执行",
    "indicators": "绩效指标",
    "goals": "年度总体目标",
    "monthly": "月度执行",
}


def tables() -> dict[str, Table]:
    """A fresh copy of the valid two-unit dataset."""
    return copy.deepcopy(_TABLES)


def _cell(text: str) -> str:
    return f'"{text}"' if any(c in text for c in ',"\n\r') else text


def write_folder(
    folder: Path,
    data: dict[str, Table] | None = None,
    *,
    encoding: str = "utf-8",
    newline: str = "\n",
    narratives: dict[str, str] | None = None,
    toml: str | None = None,
) -> Path:
    """Write ``data`` (default: the valid dataset) as CSV files; narratives by relative path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (tables() if data is None else data).items():
        text = newline.join(",".join(_cell(c) for c in row) for row in rows) + newline
        (folder / f"{name}.csv").write_bytes(text.encode(encoding))
    for rel, markdown in (narratives or {}).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown, encoding="utf-8")
    if toml is not None:
        (folder / "dataset.toml").write_text(toml, encoding="utf-8")
    return folder


def as_number(text: str) -> str | float:
    """What Excel stores when a user types ``text`` into a cell: a number becomes a float."""
    try:
        return float(text)
    except ValueError:
        return text


def write_workbook(
    path: Path, data: dict[str, Table] | None = None, *, extra: dict[str, Table] | None = None
) -> Path:
    """Write ``data`` as one workbook with the tables' Chinese sheet names and numbers stored as
    floats (2022 arrives as 2022.0, as from many exporters); ``extra`` adds sheets as given."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in (tables() if data is None else data).items():
        ws = wb.create_sheet(SHEET_NAMES[name])
        ws.append(rows[0])
        for row in rows[1:]:
            ws.append([as_number(c) for c in row])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # "=100%" is text, as a user types it with a leading '
    for title, rows in (extra or {}).items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """A CSV file of a dataset folder as (header, rows) of text cells."""
    import csv

    with open(path, encoding="utf-8-sig", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    return header, rows


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write (header, rows) back as UTF-8 with a BOM, as the sample's files are."""
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def drop_unit(folder: Path, code: str, year: int = 2022) -> None:
    """Remove every row of a unit from a dataset folder, and its narratives of ``year``."""
    import shutil

    for path in folder.glob("*.csv"):
        header, rows = read_rows(path)
        if "单位编码" in header:
            i = header.index("单位编码")
            write_rows(path, header, [r for r in rows if r[i] != code])
    shutil.rmtree(folder / "narratives" / str(year) / code, ignore_errors=True)
    (folder / "narratives" / str(year) / f"{code}.md").unlink(missing_ok=True)
