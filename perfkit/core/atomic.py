"""Atomic file writes: a reader (or a crash) never sees a half-written report.

Every file is first written to a temporary file in the same folder (so the final rename stays
on one file system), flushed and fsync'ed, then moved over the target with ``os.replace``,
which POSIX makes atomic; finally the folder itself is fsync'ed so the rename survives a power
cut. A process killed half-way leaves at most a hidden ``.<name>.<random>.perfkit-tmp`` file,
never a truncated ``<name>``; :func:`remove_stale_temporaries` sweeps those up on the next run.
(Temporary names end in ``.perfkit-tmp``, so a glob for ``*.html`` never matches one.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

TMP_SUFFIX = ".perfkit-tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    """Persist a rename in ``folder`` (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], keep_suffix: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success fsync it and move it over ``target``.

    Whatever writes to the yielded path (our own code, papermill, Chromium) may write it any way
    it likes; ``target`` only ever changes in one step. On an exception the temporary file is
    removed and ``target`` is left as it was. Files get the usual mode (0666 minus the umask),
    not ``mkstemp``'s 0600, because reports are meant to be read by others. ``keep_suffix``
    ends the temporary name with the target's suffix too (papermill wants ``.ipynb``).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = TMP_SUFFIX + (target.suffix if keep_suffix else "")
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically; return the target path."""
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return Path(target)


def write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 to ``target`` atomically; return the target path."""
    return write_bytes(target, text.encode("utf-8"))


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete temporary files a killed run left in ``folder``; return what was removed.

    Only call this while holding the output folder's render lock: a temporary file of a run
    that is still going looks exactly like a stale one.
    """
    removed = []
    for tmp in Path(folder).glob(f".*{TMP_SUFFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp)
            else:
                tmp.unlink()
            removed.append(tmp)
    return removed
