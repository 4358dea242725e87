"""Log files that keep what a user should not have to read: tracebacks.

A command that fails in a way perfkit did not foresee (a bug, a full disk, a file it may not
write) tells the user in one Chinese sentence what could not be done, and keeps the technical
detail — the exception and its traceback — in a log file whose path it prints (issue 16 §2). A
render writes its log into the output folder's operator folder
(:mod:`perfkit.rendering.layout`); every other command into the user's log folder
(:func:`default_folder`).

A log file is appended to with one ``write`` per record on a file opened for appending, like the
render journal: a process killed half-way leaves a log whose every complete record is true. Any
text can be logged: control and forbidden characters are written as escapes
(:func:`perfkit.core.text.shown`), so a log is always valid UTF-8 and safe to read in a terminal.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path

from perfkit.core.text import shown

#: where command logs go (absolute path): overrides the default folder
ENV_VAR = "PERFKIT_LOG_DIR"
#: how the path of the log that holds an exception's traceback is attached to it (a note)
_NOTE = "perfkit-log: "

#: the Chinese reason of common operating-system errors (errno → words a user acts on)
OS_REASONS = {
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "所在磁盘是只读的",
    errno.ENOENT: "文件或文件夹不存在",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.EEXIST: "已存在同名的文件",
    errno.ENAMETOOLONG: "路径太长",
    errno.EMFILE: "打开的文件太多",
    errno.EIO: "磁盘读写错误",
    errno.ENOTEMPTY: "文件夹不是空的",
    errno.EXDEV: "不能跨磁盘移动",
}


def default_folder() -> Path:
    """The folder of command logs: ``$PERFKIT_LOG_DIR``, else ``$XDG_CACHE_HOME/perfkit/logs``
    (``~/.cache/perfkit/logs``)."""
    given = os.environ.get(ENV_VAR)
    if given:
        return Path(given).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "perfkit" / "logs"


def stamp(when: datetime | None = None) -> str:
    """A log file name's time: ``20230301-020001``."""
    return (when or datetime.now()).strftime("%Y%m%d-%H%M%S")


def new_path(folder: Path, prefix: str) -> Path:
    """A log file name in ``folder`` that no other process uses: prefix, time and process id."""
    return folder / f"{prefix}-{stamp()}-{os.getpid()}.log"


def append(path: Path, text: str) -> None:
    """Append ``text`` to the log at ``path`` in one write (creating it and its folder); every
    control or forbidden character but the line breaks is written as its escape (a log holds
    what a user typed, and is read in a terminal)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, "\n".join(shown(line) for line in text.split("\n")).encode("utf-8"))
    finally:
        os.close(fd)


def technical(err: BaseException) -> str:
    """The exception with its traceback (and its causes), as Python prints it."""
    return "".join(traceback.format_exception(err))


def record(what: str, detail: str, when: datetime | None = None) -> str:
    """One record of a log: a heading line (the time and ``what``), then ``detail`` indented."""
    at = (when or datetime.now()).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    body = "\n".join(f"    {line}" for line in detail.rstrip().splitlines())
    return f"[{at}] {what}\n{body}\n\n"


def write(what: str, err: BaseException, folder: Path | None = None) -> Path | None:
    """Write a new log in ``folder`` (default: :func:`default_folder`, else the temp folder)
    with ``what`` (a Chinese sentence), the command line and ``err``'s traceback; return its
    path, or None when no folder could take it."""
    detail = f"命令：{' '.join(sys.argv)}\nPython {sys.version.split()[0]}\n\n{technical(err)}"
    for base in (folder or default_folder(), Path(tempfile.gettempdir()) / "perfkit-logs"):
        path = new_path(base, "perfkit")
        try:
            append(path, record(what, detail))
        except OSError:
            continue
        return path
    return None


def remember(err: BaseException, path: Path) -> None:
    """Say on ``err`` that its traceback is already in the log at ``path``."""
    err.add_note(f"{_NOTE}{path}")


def logged(err: BaseException) -> Path | None:
    """The log that already holds ``err``'s traceback (:func:`remember`), or None."""
    for note in getattr(err, "__notes__", ()):
        if isinstance(note, str) and note.startswith(_NOTE):
            return Path(note.removeprefix(_NOTE))
    return None


def os_reason(err: OSError) -> str:
    """An operating-system error in Chinese: what happened to which file ("" when unknown)."""
    reason = OS_REASONS.get(err.errno or 0) or (err.strerror or "")
    name = err.filename
    if name is None:
        return reason
    return f"{os.fsdecode(name)}：{reason}" if reason else os.fsdecode(name)
