"""The log of one render: the technical detail of what went wrong, for whoever fixes it.

``<out>/_internal/logs/render-<time>-<pid>.log`` (the operator folder,
:mod:`perfkit.rendering.layout`), created on the first record: a run where nothing failed leaves
none. Each failed report gets a record naming it (year, unit, project), the Chinese sentence the
summary and its page show, and the detail — the exception, the notebook's traceback, the
worker. A run that stops on an unexpected error (a bug, a full disk) records its traceback there
too, and the command prints the log's path (:mod:`perfkit.core.crashlog`).
"""

from __future__ import annotations

from pathlib import Path

from perfkit.core import crashlog
from perfkit.rendering import layout


class RunLog:
    """The run's log file in the output folder ``out`` (created when first written)."""

    def __init__(self, out: Path) -> None:
        self.path = crashlog.new_path(layout.logs(out), "render")
        self.used = False

    def record(self, what: str, message: str, detail: str = "") -> None:
        """Append one record: ``what`` failed (a report's name), ``message`` as the user read
        it, then the technical ``detail``."""
        body = message + (f"\n\n{detail}" if detail.strip() else "")
        try:
            crashlog.append(self.path, crashlog.record(what, body))
        except OSError:
            return  # the folder cannot take it: the summary still has the message
        self.used = True

    def crash(self, err: BaseException) -> Path | None:
        """Record an error that stopped the run; return the log's path (None when it could not
        be written)."""
        self.record(
            "perfkit render 中途停止", "程序内部错误或运行环境的问题", crashlog.technical(err)
        )
        return self.path if self.used else None
