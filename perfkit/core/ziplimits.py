"""Bounded reading of .xlsx workbooks from outside: a zip bomb is refused before it is opened
(issue 16 §6).

An .xlsx file is a zip archive of XML parts. A returned form or a dataset workbook comes from
outside, and a small file can declare parts that decompress to gigabytes (1 MB of zip holding
1 GB of spaces took openpyxl 25 s and 2.2 GB of memory). :func:`check` reads only the archive's
central directory — the declared uncompressed and compressed size of each member, nothing is
decompressed — and refuses a workbook that exceeds its :class:`Limits`:

- more members than ``members``;
- a member declaring more than ``part`` bytes uncompressed;
- a member larger than ``ratio_from`` bytes that is more than ``ratio`` times its compressed size
  (real workbook parts compress 3 to 30 times — perfkit's own export of 2,000 units: 11 to 17,
  a sheet of a million styled rows: 28 —, a run of spaces or zeros about 1,000 times);
- more than ``total`` bytes uncompressed in all.

The declared sizes are what is read: Python's zipfile, which openpyxl reads through, stops a
member at its declared size (and fails on its CRC when the data are longer), so a member cannot
decompress beyond what was checked.

Two sets of limits (documented in docs/forms.md §3 and docs/data-contract.md §1):
:data:`DATASET` for a dataset workbook (``perfkit validate|score|render|export data.xlsx``; a
sheet of Excel's 1,048,576 rows of perfkit's tables is about 1 GB) and :data:`FORM` for a form
handed back to ``perfkit forms collect`` (a form of a few hundred rows is well under 1 MB).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """What a workbook may declare: members, bytes per member and in all, and the ratio of a
    member's uncompressed to compressed size (for members above ``ratio_from`` bytes)."""

    members: int
    part: int
    total: int
    ratio: float
    ratio_from: int


#: a dataset workbook: up to Excel's row limit of perfkit's tables
DATASET = Limits(members=10_000, part=1 * GiB, total=2 * GiB, ratio=100, ratio_from=1 * MiB)
#: a form handed back by a unit: one unit's or one project's table, with room for pasted text
FORM = Limits(members=2_000, part=64 * MiB, total=256 * MiB, ratio=100, ratio_from=1 * MiB)


#: the end of every refusal: what the file may be and what to do
TAIL = (
    "：这可能是恶意构造的文件（压缩炸弹），perfkit 不打开它；"
    "如确是正常文件，请用 Excel 或 WPS 打开检查后另存为 .xlsx。"
)


def _size(n: int) -> str:
    """A byte count as people read it: "1.0 GB", "64 MB", "820 KB"."""
    if n >= GiB:
        return f"{n / GiB:.1f} GB"
    if n >= MiB:
        return f"{n / MiB:.0f} MB"
    return f"{max(n, 1) / 1024:.0f} KB"


def _bytes(n: int) -> str:
    """An exact byte count, and as people read it: "1,073,741,824 字节（1.0 GB）"."""
    return f"{n:,} 字节（{_size(n)}）"


def check(source: str | os.PathLike[str] | BinaryIO, limits: Limits) -> str | None:
    """Why the workbook at ``source`` (a path or a binary file object) must not be opened, as a
    Chinese sentence, or None when its declared sizes are within ``limits``.

    A file that is not a zip archive at all passes: the workbook reader reports it as damaged.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if len(members) > limits.members:
        return f"工作簿含有 {len(members):,} 个部件，超过上限 {limits.members:,} 个{TAIL}"
    total = 0
    for info in members:
        size, packed = info.file_size, info.compress_size
        if size > limits.ratio_from and size > limits.ratio * max(packed, 1):
            return (
                f"工作簿的部件 {info.filename} 压缩了 {size / max(packed, 1):,.0f} 倍"
                f"（{_size(packed)} 解压为 {_size(size)}），超过上限 {limits.ratio:g} 倍{TAIL}"
            )
        if size > limits.part:
            return (
                f"工作簿的部件 {info.filename} 解压后有 {_bytes(size)}，"
                f"超过单个部件的上限 {_bytes(limits.part)}{TAIL}"
            )
        total += size
    if total > limits.total:
        return f"工作簿解压后共有 {_bytes(total)}，超过上限 {_bytes(limits.total)}{TAIL}"
    return None
