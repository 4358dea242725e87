"""The output folder's manifest: which reports perfkit wrote, from what, into which files.

Incremental renders (issue 12) rest on it. Each report has a fingerprint (the data it shows,
the notebook, the templates, the rulebook, perfkit's code and the options that change the page:
:func:`perfkit.rendering.pipeline` computes them); ``perfkit render`` skips a report whose
fingerprint is the one recorded and whose files are all there, and removes the files of reports
whose unit or project is no longer in the data — only files the manifest lists, so a file that
perfkit did not write is never touched.

Two files in the output folder::

    .perfkit-manifest.json    the entries at the end of the last run that finished
    .perfkit-manifest.jsonl   a journal: one line per change since, appended as it happens

A report's files are written only after its journal says "being replaced" (its fingerprint
cleared), and its new fingerprint is journalled only after every file is in place; a line is
appended with one ``write`` on a file opened for appending, so a killed run leaves a journal whose
every complete line is true (a torn last line is ignored). The next run reads the manifest, then
the journal; at the end of a run both are folded into a new manifest (written atomically) and the
journal is removed. So a killed run never makes a stale page look current: at worst a report is
rendered again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from perfkit.core import atomic

MANIFEST = ".perfkit-manifest.json"
JOURNAL = ".perfkit-manifest.jsonl"
VERSION = 1


@dataclass
class Entry:
    """One report (or index page) and the files perfkit wrote for it (relative to the output
    folder, ``/``-separated)."""

    #: "unit", "project", "index" or "projects"
    kind: str
    year: int
    unit_code: str = ""
    project_code: str = ""
    name: str = ""
    project_name: str = ""
    #: "" while being replaced (the files may be half new): never taken as current
    fingerprint: str = ""
    #: "ok" or "failed" (a failed report is rendered again next time)
    status: str = "ok"
    error: str = ""
    files: list[str] = field(default_factory=list)


class Manifest:
    """The entries by key (``<年度>/<单位编码>[/<项目编码>]``, ``<年度>/index``,
    ``<年度>/projects``), read from and journalled to ``out``."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.entries: dict[str, Entry] = {}
        self._journal: int | None = None
        #: file -> the keys of the reports that list it (built on first use)
        self._by_file: dict[str, set[str]] | None = None
        self._read()

    # -- reading

    def _read(self) -> None:
        with contextlib.suppress(OSError, ValueError, TypeError):
            data = json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))
            if data.get("version") == VERSION:
                for key, value in data.get("reports", {}).items():
                    self.entries[key] = Entry(**value)
        with contextlib.suppress(OSError):
            for line in (self.out / JOURNAL).read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                    key = record["key"]
                    if record.get("removed"):
                        self.entries.pop(key, None)
                    else:
                        self.entries[key] = Entry(**record["entry"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line torn by a kill: ignore it

    # -- questions

    def current(self, key: str, fingerprint: str) -> Entry | None:
        """The entry when the report is up to date: same fingerprint, rendered ok, every file
        there; else None."""
        entry = self.entries.get(key)
        if (
            entry is None
            or not fingerprint
            or entry.fingerprint != fingerprint
            or entry.status != "ok"
            or not entry.files
            or not all((self.out / f).is_file() for f in entry.files)
        ):
            return None
        return entry

    # -- changes (journalled at once)

    def replacing(self, key: str, entry: Entry) -> None:
        """Say that the report's files are about to be replaced (its fingerprint cleared)."""
        old = self.entries.get(key)
        files = sorted(set(entry.files) | set(old.files if old else []))
        pending = Entry(**{**asdict(entry), "fingerprint": "", "files": files})
        self._set(key, pending)

    def written(self, key: str, entry: Entry) -> None:
        """Record the report's files as written, with their fingerprint."""
        self._set(key, entry)

    def remove(self, key: str) -> list[Path]:
        """Delete the report's files (only those listed) and forget it; return what was deleted."""
        entry = self.entries.get(key)
        if entry is None:
            return []
        deleted = []
        for rel in entry.files:
            path = self.out / rel
            if self._owners(rel) - {key}:  # another report's file too: keep it
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                deleted.append(path)
        for path in deleted:
            _remove_empty_parents(path.parent, self.out)
        self._forget_files(key)
        self.entries.pop(key, None)
        self._append({"key": key, "removed": True})
        return deleted

    def _owners(self, rel: str) -> set[str]:
        """The reports that list the file ``rel`` (an index built once, kept up to date)."""
        if self._by_file is None:
            self._by_file = {}
            for k, e in self.entries.items():
                for f in e.files:
                    self._by_file.setdefault(f, set()).add(k)
        return self._by_file.get(rel, set())

    def _forget_files(self, key: str) -> None:
        entry = self.entries.get(key)
        if entry is not None and self._by_file is not None:
            for f in entry.files:
                self._by_file.get(f, set()).discard(key)

    def _set(self, key: str, entry: Entry) -> None:
        self._forget_files(key)
        self.entries[key] = entry
        if self._by_file is not None:
            for f in entry.files:
                self._by_file.setdefault(f, set()).add(key)
        self._append({"key": key, "entry": asdict(entry)})

    def _append(self, record: dict[str, object]) -> None:
        if self._journal is None:
            self._journal = os.open(
                self.out / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644
            )
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
        os.write(self._journal, line.encode("utf-8"))

    # -- the end of a run

    def save(self) -> None:
        """Fold the journal into the manifest (atomically) and remove the journal."""
        data = {
            "version": VERSION,
            "note": "perfkit render 的记录：各报告的指纹和所写文件。请勿手工修改。",
            "reports": {k: asdict(e) for k, e in sorted(self.entries.items())},
        }
        atomic.write_text(
            self.out / MANIFEST,
            json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False) + "\n",
        )
        self.close()
        with contextlib.suppress(FileNotFoundError):
            (self.out / JOURNAL).unlink()

    def close(self) -> None:
        if self._journal is not None:
            os.close(self._journal)
            self._journal = None

    def _rel(self, path: Path) -> str:
        return path.resolve().relative_to(self.out).as_posix()

    def rel(self, paths: Iterable[Path]) -> list[str]:
        """``paths`` relative to the output folder, as entries list them."""
        return sorted(self._rel(p) for p in paths)


def _remove_empty_parents(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``stop`` while they are empty."""
    folder = folder.resolve()
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
