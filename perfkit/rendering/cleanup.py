"""Keeping the output folder tidy without touching what perfkit did not write (issue 16 §3–§4).

- :func:`prepare`: the folders a run writes into, swept of the temporary files a killed run
  left; the operator folder's README;
- :func:`remove_departed`: the files of reports whose unit or project (or year) left the data —
  only those the manifest records whose content is still what perfkit wrote
  (:meth:`Manifest.remove`);
- :func:`migrate`: an output folder of perfkit before issue 16 kept the executed notebooks and
  status files in ``<年度>/notebooks/``, inside the folder users publish, with the data
  folder's absolute path in them. They are moved into the operator folder — each only when the
  manifest recorded it and it still reads as what perfkit wrote (an executed notebook with
  papermill's record, a status list) — and ``<年度>/notebooks/`` is removed once empty. Anything
  else there is left alone, and the summary says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

from perfkit.core import atomic
from perfkit.rendering import layout
from perfkit.rendering.manifest import Manifest, digest, file_digest, remove_empty_parents
from perfkit.rendering.plan import plan
from perfkit.rendering.results import RenderResult
from perfkit.report import departments

if TYPE_CHECKING:
    from perfkit.data.dataset import Dataset


def prepare(out: Path, year: int, unit_codes: set[str]) -> None:
    """Create the year's folders (``unit_codes``: the units whose project reports it holds)
    and remove the temporary files a killed run left in them."""
    pages, records = layout.year_folder(out, year), layout.internal_year(out, year)
    for sub in (pages, records):
        sub.mkdir(parents=True, exist_ok=True)
        atomic.remove_stale_temporaries(sub)
    for sub in (pages / departments.FOLDER, records / departments.FOLDER):
        if sub.is_dir():  # written when the year has department pages
            atomic.remove_stale_temporaries(sub)
    for code in unit_codes:
        for sub in (pages / code, records / code):
            sub.mkdir(parents=True, exist_ok=True)
            atomic.remove_stale_temporaries(sub)


def write_readme(out: Path) -> None:
    """The operator folder's README (written once; a copy the user changed is left alone)."""
    path = layout.internal(out) / layout.README
    if not path.exists():
        atomic.write_text(path, layout.README_TEXT)


def remove_departed(manifest: Manifest, ds: Dataset, result: RenderResult) -> None:
    """Delete the files of reports whose unit or project (or whole year) is no longer in the
    data — whatever this run renders — and forget them. A file whose content changed since
    perfkit wrote it, or whose digest is not known, is kept and listed."""
    present = plan(ds, None, None, "all")
    units = {(y, c) for y, entries in present.units.items() for c, _ in entries}
    projects = {(y, c, p) for y, entries in present.projects.items() for c, _, p, _ in entries}
    years = set(present.years)
    project_years = {y for y in years if present.projects.get(y)}
    department_pages = {(y, dep.id) for y in years for dep in departments.plan(ds, y)}
    for key in list(manifest.entries):
        e = manifest.entries[key]
        gone = (
            (e.kind == "unit" and (e.year, e.unit_code) not in units)
            or (e.kind == "project" and (e.year, e.unit_code, e.project_code) not in projects)
            or (e.kind == "index" and e.year not in years)
            or (e.kind == "projects" and e.year not in project_years)
            or (e.kind == "department" and (e.year, e.unit_code) not in department_pages)
        )
        if gone:
            deleted, kept = manifest.remove(key)
            result.removed += manifest.rel(deleted)
            result.kept_files += kept
            result.removed_reports.append(key)


def migrate(out: Path, manifest: Manifest, result: RenderResult) -> None:
    """Move the executed notebooks and status files that perfkit before issue 16 wrote into
    ``<年度>/notebooks/`` to the operator folder (:mod:`perfkit.rendering.layout`)."""
    for key, entry in list(manifest.entries.items()):
        files, digests, moved = [], dict(entry.digests), False
        for rel in entry.files:
            target = _new_place(rel)
            if target is not None and _move(out, rel, target):
                files.append(target)
                digests.pop(rel, None)
                digest_of = file_digest(out / target)
                if digest_of:
                    digests[target] = digest_of
                result.moved.append(rel)
                moved = True
            else:
                files.append(rel)
        if moved:
            manifest.written(key, dataclasses.replace(entry, files=sorted(files), digests=digests))
    old = [p for p in out.glob(f"*/{layout.OLD_NOTEBOOKS}") if p.parent.name.isdigit()]
    for folder in old:
        _remove_empty_folders(folder)
    left = sorted(layout.rel(out, p) for p in old if p.is_dir() or p.is_symlink())
    if left:
        result.notices.append(
            f"{'、'.join(f'{f}/' for f in left)} 是旧版 perfkit 放在年度文件夹中的执行记录文件夹，"
            "其中还有 perfkit 无法确认是自己写的文件（清单中没有记录，或内容已改动），没有移动。"
            f"这个文件夹含有本机路径，不要公开：请核对后把它移出年度文件夹（新的执行记录在 "
            f"{layout.INTERNAL}/ 中）。"
        )


def _remove_empty_folders(folder: Path) -> None:
    """Remove ``folder`` and the folders in it that hold no file (never a symbolic link)."""
    if folder.is_symlink() or not folder.is_dir():
        return
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir() and not p.is_symlink()),
                      key=lambda p: len(p.parts), reverse=True):  # fmt: skip
        with contextlib.suppress(OSError):
            sub.rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()


def _new_place(rel: str) -> str | None:
    """Where a file of ``<年度>/notebooks/`` goes in the operator folder (None: not one)."""
    parts = rel.split("/")
    if len(parts) < 3 or not parts[0].isdigit() or parts[1] != layout.OLD_NOTEBOOKS:
        return None
    return "/".join([layout.INTERNAL, parts[0], *parts[2:]])


def _move(out: Path, rel: str, target: str) -> bool:
    """Move the file ``rel`` to ``target`` when it reads as perfkit's (copied atomically, then
    the old one removed: the operator folder may be on another disk); True when moved."""
    source, dest = out / rel, out / target
    if source.is_symlink() or not source.is_file() or not _perfkits(source):
        return False
    content = source.read_bytes()
    if dest.exists() and file_digest(dest) != digest(content):
        return False  # something else is there: leave both
    if not dest.exists():
        atomic.write_bytes(dest, content)
    with contextlib.suppress(FileNotFoundError):
        source.unlink()
    remove_empty_parents(source.parent, out / rel.split("/")[0])
    return True


def _perfkits(path: Path) -> bool:
    """Whether a file of ``<年度>/notebooks/`` reads as what perfkit wrote there: an executed
    notebook with papermill's record, or a status file (a list of report entries)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if path.suffix == ".ipynb":
        return (
            isinstance(data, dict)
            and isinstance(data.get("metadata"), dict)
            and isinstance(data["metadata"].get("papermill"), dict)
            and isinstance(data.get("cells"), list)
        )
    return (
        path.name == "status.json"
        and isinstance(data, list)
        and all(isinstance(e, dict) and {"unit_code", "status"} <= set(e) for e in data)
    )
