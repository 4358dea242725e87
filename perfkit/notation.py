"""The target notation of 年度指标值 / 实际完成值: "≥200件", "230余件", "不超过30天", "达成年度指标".

(Stub: the interface is fixed, the implementation is being written.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Comparator = Literal[">=", "<=", ">", "<", "="]


class NotationError(ValueError):
    """A string that looks quantitative but cannot be read (e.g. a comparator with no number).

    ``str(err)`` is a Chinese sentence saying what was expected, without location.
    """


@dataclass(frozen=True)
class Target:
    """A parsed 年度指标值 or 实际完成值."""

    raw: str
    #: None for qualitative text
    comparator: Comparator | None
    value: float | None
    #: normalised unit: "％" and "百分比" become "%"; "" when none was written
    unit: str
    #: 余 / 多 / 约 / 左右 were written: the value is as written, the flag says it is approximate
    approx: bool = False
    #: a bare number (no comparator written) that counts as ">="
    implicit: bool = False

    @property
    def qualitative(self) -> bool:
        return self.value is None


def parse(text: str) -> Target:
    """Parse one cell. Raises NotationError for malformed quantitative text."""
    raise NotImplementedError
