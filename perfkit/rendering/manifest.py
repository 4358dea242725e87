"""The output folder's manifest: which reports perfkit wrote, from what, into which files.

Incremental renders (issue 12) rest on it. Each report has a fingerprint (the data it shows,
the notebook, the templates, the rulebook, perfkit's code: :mod:`perfkit.rendering.context`
computes them); ``perfkit render`` skips a report whose fingerprint is the one recorded and whose
files are all there, and removes the files of reports whose unit or project is no longer in the
data.

**Nothing but what perfkit wrote is ever removed** (issue 16 §3). The manifest is a file in the
user's folder: it may be edited, damaged, or copied from another folder, so it is not trusted:

- each file is recorded with the SHA-256 digest of the bytes perfkit wrote, and is removed only
  when its content is still exactly that (a file the user changed, or one whose digest is not
  known — recorded by a perfkit before issue 16 — is left alone and named in the summary);
- a recorded path is used only when it is relative, without ``..``, inside a year folder or
  the operator folder of the output folder (:func:`safe`); any other is ignored and named;
- a manifest or journal of the wrong shape (not JSON, ``[]``, ``null``, ``reports`` as a list,
  ``files`` as a string …) is renamed aside (``manifest.json.damaged-<time>``) and the run
  renders everything, as for a folder without a manifest; the summary says so.

Two files in the operator folder (:mod:`perfkit.rendering.layout`)::

    _internal/manifest.json    the entries at the end of the last run that finished
    _internal/manifest.jsonl   a journal: one line per change since, appended as it happens

A report's files are written only after its journal says "being replaced" (its fingerprint
cleared, the digests of the new files recorded beside those of the old: after a kill, either may
be on disk), and its new fingerprint is journalled only after every file is in place; a line is
appended with one ``write`` on a file opened for appending, so a killed run leaves a journal whose
every complete line is true (a torn last line is ignored). The next run reads the manifest, then
the journal; at the end of a run both are folded into a new manifest (written atomically) and the
journal is removed. So a killed run never makes a stale page look current: at worst a report is
rendered again.

A manifest written by perfkit before issue 16 (``.perfkit-manifest.json`` and its journal at the
root of the output folder, version 1, without digests) is read as the starting point
(:attr:`Manifest.legacy`); its entries are never taken as current, and it is removed once the new
manifest is saved.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from perfkit.core import atomic, crashlog
from perfkit.core.text import json_text
from perfkit.rendering import layout

MANIFEST = f"{layout.INTERNAL}/manifest.json"
JOURNAL = f"{layout.INTERNAL}/manifest.jsonl"
#: where perfkit before issue 16 kept them (version 1)
OLD_MANIFEST = ".perfkit-manifest.json"
OLD_JOURNAL = ".perfkit-manifest.jsonl"
VERSION = 2
KINDS = ("unit", "project", "index", "projects", "department")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_YEAR_FOLDER = re.compile(r"[0-9]{1,6}")


@dataclass
class Entry:
    """One report (or index page) and the files perfkit wrote for it (relative to the output
    folder, ``/``-separated)."""

    #: "unit", "project", "index", "projects" or "department"
    kind: str
    year: int
    unit_code: str = ""
    project_code: str = ""
    name: str = ""
    project_name: str = ""
    #: "" while being replaced (the files may be half new), or failed: never taken as current
    fingerprint: str = ""
    #: "ok" or "failed" (a failed report is rendered again next time)
    status: str = "ok"
    error: str = ""
    files: list[str] = field(default_factory=list)
    #: the SHA-256 of each file as perfkit wrote it (a file without one is never removed)
    digests: dict[str, str] = field(default_factory=dict)
    #: while being replaced: the digests of the new files (the old or the new may be on disk)
    pending: dict[str, str] = field(default_factory=dict)
    #: the page on disk is a report (True), or an error page (False)
    good: bool = True
    #: the fingerprint of the report the PDF on disk was printed from ("" when none)
    pdf_fingerprint: str = ""


class Damaged(ValueError):
    """A manifest or journal that perfkit cannot have written (the reason, in Chinese)."""


def digest(data: bytes) -> str:
    """The SHA-256 of ``data``, as the manifest records a file's content."""
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str | None:
    """The SHA-256 of the file at ``path``; None when it is not a regular file (or a link)."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


def safe(rel: str) -> bool:
    """Whether a recorded path may name a file perfkit wrote: relative, ``/``-separated, no
    ``.``, ``..`` or empty part, no drive or backslash, inside a year folder or the operator
    folder of the output folder."""
    if not rel or "\\" in rel or "\x00" in rel or rel.startswith("/") or ":" in rel[:2]:
        return False
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts) or len(parts) < 2:
        return False
    return parts[0] == layout.INTERNAL or bool(_YEAR_FOLDER.fullmatch(parts[0]))


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Damaged(f"{what}应为文字，而不是 {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:59] + "…"


def _digests(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Damaged(f"{what}应为对象，而不是 {_shown(value)}")
    for k, v in value.items():
        if not isinstance(v, str) or not _HEX64.fullmatch(v):
            raise Damaged(f"{what}中“{k}”的摘要无效：{_shown(v)}")
    return dict(value)


def entry_from(value: Any, key: str) -> Entry:
    """An :class:`Entry` from its JSON object, checked field by field (:class:`Damaged` when any
    field has the wrong type: a ``files`` string, a year that is not a number …)."""
    where = f"报告“{key}”的"
    if not isinstance(value, dict):
        raise Damaged(f"{where}记录应为对象，而不是 {_shown(value)}")
    known = {f.name for f in fields(Entry)}
    data = {k: v for k, v in value.items() if k in known}
    if data.get("kind") not in KINDS:
        raise Damaged(f"{where}类型无效：{_shown(data.get('kind'))}")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise Damaged(f"{where}年度应为整数，而不是 {_shown(year)}")
    for name in ("unit_code", "project_code", "name", "project_name", "fingerprint", "error",
                 "pdf_fingerprint"):  # fmt: skip
        if name in data:
            _text(data[name], f"{where}{name} ")
    if data.get("status", "ok") not in ("ok", "failed"):
        raise Damaged(f"{where}状态无效：{_shown(data.get('status'))}")
    files = data.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise Damaged(f"{where}文件列表应为文字的列表，而不是 {_shown(files)}")
    for name in ("digests", "pending"):
        if name in data:
            data[name] = _digests(data[name], f"{where}{name} ")
    if not isinstance(data.get("good", True), bool):
        raise Damaged(f"{where}good 应为 true 或 false，而不是 {_shown(data.get('good'))}")
    return Entry(**data)


def _legacy(entry: Entry) -> Entry:
    """An entry of a perfkit before issue 16: never current (rendered again, then recorded with
    digests); its page is a report when it rendered ok."""
    entry.good = entry.status == "ok"
    entry.fingerprint = ""
    return entry


class Manifest:
    """The entries by key (``<年度>/<单位编码>[/<项目编码>]``, ``<年度>/index``,
    ``<年度>/projects``, ``<年度>/departments/<id>``), read from and journalled to ``out``.

    ``notices`` (Chinese sentences) says what was set aside or ignored while reading."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.entries: dict[str, Entry] = {}
        self.notices: list[str] = []
        #: read from a manifest of perfkit before issue 16 (version 1, at the folder's root)
        self.legacy = False
        self._journal: int | None = None
        #: whether anything changed since the manifest was read (else saving leaves it as it is)
        self._changed = False
        #: file -> the keys of the reports that list it (built on first use)
        self._by_file: dict[str, set[str]] | None = None
        try:
            self._read()
        except Damaged as err:
            self._set_aside(str(err))

    # -- reading

    def _read(self) -> None:
        new = self.out / MANIFEST
        if new.exists():
            self._read_manifest(new, (VERSION,))
        elif (self.out / OLD_MANIFEST).exists() or (self.out / OLD_JOURNAL).exists():
            self.legacy = True
            if (self.out / OLD_MANIFEST).exists():
                self._read_manifest(self.out / OLD_MANIFEST, (1,))
            self._read_journal(self.out / OLD_JOURNAL, legacy=True)
        self._read_journal(self.out / JOURNAL)
        unsafe = set()
        for e in self.entries.values():
            unsafe |= {f for f in e.files if not safe(f)}
            e.files = [f for f in e.files if safe(f)]
            e.digests = {f: d for f, d in e.digests.items() if f in e.files}
            e.pending = {f: d for f, d in e.pending.items() if f in e.files}
        if unsafe:
            shown = "、".join(sorted(unsafe)[:10]) + (
                f" 等 {len(unsafe)} 个" if len(unsafe) > 10 else ""
            )
            self.notices.append(
                f"清单记录了不在输出文件夹的年度文件夹或 {layout.INTERNAL}/ 之内的路径，"
                f"perfkit 不会删除或改动它们：{shown}。"
            )

    def _read_manifest(self, path: Path, versions: tuple[int, ...]) -> None:
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, UnicodeDecodeError, ValueError) as err:
            raise Damaged(f"{layout.rel(self.out, path)} 不是有效的 JSON（{err}）") from None
        if not isinstance(data, dict):
            raise Damaged(f"{layout.rel(self.out, path)} 应为对象，而不是 {_shown(data)}")
        if data.get("version") not in versions:
            raise Damaged(
                f"{layout.rel(self.out, path)} 的版本 {_shown(data.get('version'))} 无法识别"
            )
        reports = data.get("reports", {})
        if not isinstance(reports, dict):
            raise Damaged(
                f"{layout.rel(self.out, path)} 的 reports 应为对象，而不是 {_shown(reports)}"
            )
        for key, value in reports.items():
            self.entries[key] = (
                _legacy(entry_from(value, key)) if versions == (1,) else (entry_from(value, key))
            )

    def _read_journal(self, path: Path, legacy: bool = False) -> None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as err:
            raise Damaged(f"{layout.rel(self.out, path)} 无法读取（{err}）") from None
        for n, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except ValueError:
                if n == len(lines):
                    continue  # the last line, torn by a kill: ignore it
                raise Damaged(f"{layout.rel(self.out, path)} 第 {n} 行不是有效的 JSON") from None
            if not isinstance(record, dict) or not isinstance(record.get("key"), str):
                raise Damaged(f"{layout.rel(self.out, path)} 第 {n} 行的记录无效")
            key = record["key"]
            if record.get("removed") is True:
                self.entries.pop(key, None)
            else:
                entry = entry_from(record.get("entry"), key)
                self.entries[key] = _legacy(entry) if legacy else entry

    def _set_aside(self, reason: str) -> None:
        """Rename a damaged manifest and journal aside, start empty, and say so."""
        self.entries = {}
        self._changed = True
        self.legacy = False
        moved = []
        stamp = crashlog.stamp()
        for name in (MANIFEST, JOURNAL, OLD_MANIFEST, OLD_JOURNAL):
            path = self.out / name
            if path.exists():
                target = path.with_name(f"{path.name}.damaged-{stamp}")
                with contextlib.suppress(OSError):
                    os.replace(path, target)
                    moved.append(layout.rel(self.out, target))
        where = "、".join(moved) or "（无法改名）"
        self.notices.append(
            f"输出文件夹的清单已损坏（{reason}），已改名保存为 {where}；"
            "本次全部重新生成，不删除任何文件。"
        )

    # -- questions

    def current(self, key: str, fingerprint: str, pdf: str | None = None) -> Entry | None:
        """The entry when the report is up to date: same fingerprint, rendered ok, every file
        there, and — ``pdf`` the PDF's path when one is asked — a PDF printed from this very
        report; else None."""
        entry = self.entries.get(key)
        if (
            entry is None
            or not fingerprint
            or entry.fingerprint != fingerprint
            or entry.status != "ok"
            or not entry.files
            or not all((self.out / f).is_file() for f in entry.files)
            or (
                pdf is not None and (pdf not in entry.files or entry.pdf_fingerprint != fingerprint)
            )
        ):
            return None
        return entry

    def owned(self, entry: Entry, rel: str) -> bool:
        """Whether the file ``rel`` of ``entry`` still holds what perfkit wrote (its digest, or
        the digest of the version being written)."""
        accepted = {entry.digests.get(rel), entry.pending.get(rel)} - {None}
        return bool(accepted) and file_digest(self.out / rel) in accepted

    # -- changes (journalled at once)

    def replacing(self, key: str, entry: Entry) -> None:
        """Say that the report's files are about to be replaced (its fingerprint cleared):
        ``entry.pending`` holds the digests of the new files."""
        old = self.entries.get(key)
        files = sorted(set(entry.files) | set(old.files if old else []))
        pending = Entry(**{**asdict(entry), "fingerprint": "", "files": files,
                           "digests": dict(old.digests) if old else {}})  # fmt: skip
        self._set(key, pending)

    def written(self, key: str, entry: Entry) -> None:
        """Record the report's files as written, with their fingerprint and digests."""
        self._set(key, entry)

    def remove(self, key: str) -> tuple[list[Path], list[str]]:
        """Delete the report's files that still hold what perfkit wrote (and no other report
        lists) and forget the report; return (the files deleted, the files kept because their
        content changed or is not known)."""
        entry = self.entries.get(key)
        if entry is None:
            return [], []
        deleted: list[Path] = []
        kept: list[str] = []
        for rel in entry.files:
            path = self.out / rel
            if self._owners(rel) - {key}:  # another report's file too: keep it
                continue
            if not (path.exists() or path.is_symlink()):
                continue
            if not self.owned(entry, rel):
                kept.append(rel)
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                deleted.append(path)
        for path in deleted:
            remove_empty_parents(path.parent, self.out)
        self._forget_files(key)
        self.entries.pop(key, None)
        self._append({"key": key, "removed": True})
        return deleted, kept

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
        self._changed = True
        if self._journal is None:
            path = self.out / JOURNAL
            path.parent.mkdir(parents=True, exist_ok=True)
            self._journal = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        line = json_text(record) + "\n"  # strict JSON on one line, whatever the text holds
        os.write(self._journal, line.encode("utf-8"))

    # -- the end of a run

    def save(self) -> None:
        """Fold the journal into the manifest (atomically) and remove the journal (and the
        manifest of a perfkit before issue 16, now folded in). A run that changed nothing leaves
        the manifest as it was."""
        if not (self._changed or self.legacy or (self.out / JOURNAL).exists()):
            self.close()
            return
        data = {
            "version": VERSION,
            "note": "perfkit render 的记录：各报告的指纹、所写文件及其内容摘要。请勿手工修改。",
            "reports": {k: asdict(e) for k, e in sorted(self.entries.items())},
        }
        atomic.write_text(self.out / MANIFEST, json_text(data, indent=1) + "\n")
        self.close()
        for name in (JOURNAL, OLD_MANIFEST, OLD_JOURNAL):
            with contextlib.suppress(FileNotFoundError):
                (self.out / name).unlink()
        self.legacy = False

    def close(self) -> None:
        if self._journal is not None:
            os.close(self._journal)
            self._journal = None

    def rel(self, paths: Iterable[Path]) -> list[str]:
        """``paths`` relative to the output folder, as entries list them."""
        return sorted(layout.rel(self.out, p) for p in paths)


def remove_empty_parents(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``stop`` while they are empty
    (by their paths as built: a symbolic link to a folder is never removed)."""
    while folder != stop and stop in folder.parents:
        if folder.is_symlink():
            return
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
