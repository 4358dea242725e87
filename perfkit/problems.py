"""Problems found in input data, and the exception that carries them.

Every problem names where it is, the way the user sees it: the file (or workbook and sheet), the
row as Excel numbers it (header = row 1), the column as the user wrote it, the value, and what
was expected. Messages are Chinese because the people reading them fill in Chinese tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in the input, located as precisely as the input allows."""

    file: str
    #: what is wrong and what was expected, in Chinese, without the location
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    unit_code: str | None = None
    level3: str | None = None
    #: an Excel cell address such as "自评表!F14", used by the forms reader instead of row/column
    cell: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.cell:
            where[0] = f"{self.file} {self.cell}"
        else:
            if self.row is not None:
                where.append(f"第{self.row}行")
            if self.column:
                where.append(f"列「{self.column}」")
        who = []
        if self.unit_code:
            who.append(f"单位编码 {self.unit_code}")
        if self.level3:
            who.append(f"三级指标「{self.level3}」")
        head = "，".join(where)
        if who:
            head += f"（{'，'.join(who)}）"
        value = f"值“{self.value}”：" if self.value is not None else ""
        return f"{head}：{value}{self.message}"


class InvalidInput(Exception):
    """Raised when input data breaks the contract; carries every problem found, not just one."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        lines = [f"输入数据有 {n} 处问题：" if n != 1 else "输入数据有 1 处问题："]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class UsageError(Exception):
    """A wrong argument (unknown rulebook, unknown unit, missing year): exit code 2."""
