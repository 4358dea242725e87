"""Problems found in input data, and the exception that carries them.

Every problem names where it is, the way the user sees it: the file (or workbook and sheet), the
row as Excel numbers it (header = row 1), the column as the user wrote it, the value, and what
was expected. Messages are Chinese because the people reading them fill in Chinese tables.

A problem has a severity: an ``error`` means the data cannot be scored (``perfkit validate`` and
``perfkit score`` exit 2); a ``warning`` means a careful reader would still score it, but the
reading was doubtful or the unit's table is inconsistent: it is printed, carried into the
findings and the report, and never stops a run. Each problem has a machine-readable ``code``
beside its Chinese sentence (docs/data-contract.md lists them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


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
    #: "error" (cannot be scored) or "warning" (scored, flagged)
    severity: Severity = ERROR
    #: machine-readable kind, e.g. "weights_total", "blank_cells" ("" for older checks)
    code: str = ""
    #: the 年度 the problem concerns, when known (warnings become findings of that unit-year)
    year: int | None = None

    @property
    def is_warning(self) -> bool:
        return self.severity == WARNING

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


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that stop scoring."""
    return [p for p in problems if not p.is_warning]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that are flagged but scored."""
    return [p for p in problems if p.is_warning]


def report(problems: Iterable[Problem]) -> str:
    """Errors first, then warnings, each under a Chinese heading with its count."""
    problems = list(problems)
    lines = []
    if errs := errors(problems):
        lines.append(f"输入数据有 {len(errs)} 处错误，无法评分：")
        lines += [f"  - {p}" for p in errs]
    if warns := warnings(problems):
        lines.append(f"另有 {len(warns)} 处警告（已按说明评分，请核对）：")
        lines += [f"  - {p}" for p in warns]
    return "\n".join(lines)


class InvalidInput(Exception):
    """Raised when input data breaks the contract; carries every problem found, not just one
    (its warnings too, so that the user sees them beside the errors)."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__(self.report())

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return warnings(self.problems)

    def report(self) -> str:
        return report(self.problems)


class UsageError(Exception):
    """A wrong argument (unknown rulebook, unknown unit, missing year): exit code 2."""
