"""The render status a page links by: which reports ``perfkit render`` wrote, and which failed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from perfkit.core.problems import UsageError


@dataclass
class UnitStatus:
    """One entry of the status file that ``perfkit render`` writes for the index page: a unit's
    report, or (``project_code`` not "") a project's report."""

    unit_code: str
    unit_name: str = ""
    href: str = ""
    status: str = "ok"
    error: str = ""
    project_code: str = ""
    project_name: str = ""


def read_status(path: str | Path | None) -> list[UnitStatus]:
    """The render pipeline's status file: a JSON list of {"unit_code", "unit_name", "href",
    "status": "ok" | "failed", "error"}, with "project_code" and "project_name" for a project's
    report (``href`` relative to the year's folder). No path (or "") gives an empty list."""
    if not path:
        return []
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"无法读取生成状态文件 {path}：{err}") from None
    if not isinstance(entries, list):
        raise UsageError(f"生成状态文件 {path} 应为 JSON 列表。")
    fields = set(UnitStatus.__dataclass_fields__)
    return [
        UnitStatus(**{k: str(v) for k, v in entry.items() if k in fields and v is not None})
        for entry in entries
        if isinstance(entry, dict) and entry.get("unit_code")
    ]
