"""The output folder's lock: one ``perfkit render`` at a time per folder.

The lock file stays at the root of the output folder (``.perfkit-render.lock``, holding the
process id and start time only): it is taken before anything else in the folder is read or
written, the operator folder included.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from perfkit.core.problems import UsageError

LOCK_NAME = ".perfkit-render.lock"


class RenderLocked(UsageError):
    """Another ``perfkit render`` holds the output folder (the CLI exits with code 2)."""


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``<out>/.perfkit-render.lock`` for the whole run; refuse at once if someone else does.

    Two renders into one folder would interleave files, so the second one stops with
    :class:`RenderLocked` (exit code 2) instead of waiting. The lock belongs to the process: it
    is released when the run ends, however it ends (even SIGKILL), and the file is left in place.
    """
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 300).decode("utf-8", "replace").strip()
            raise RenderLocked(
                f"另一个 perfkit render 正在写入 {out}"
                + (f"（{holder}）" if holder else "")
                + "。请等它结束后再运行，或用 --out 指定另一个文件夹。"
            )
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"进程 {os.getpid()}，{stamp} 开始\n".encode())
        yield
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
