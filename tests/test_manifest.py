"""The output folder's manifest (issue 12 §2): what it says is current, the journal a killed run
leaves, and deleting only what perfkit wrote."""

from __future__ import annotations

import json

from perfkit.rendering.manifest import JOURNAL, MANIFEST, Entry, Manifest


def _files(out, *names: str) -> None:
    for name in names:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name, encoding="utf-8")


def _unit(code: str, fingerprint: str, *files: str, status: str = "ok") -> Entry:
    return Entry("unit", 2022, code, fingerprint=fingerprint, status=status, files=list(files))


def test_current_needs_the_same_fingerprint_success_and_every_file(tmp_path):
    _files(tmp_path, "2022/A.html", "2022/notebooks/A.ipynb")
    m = Manifest(tmp_path)
    m.written("2022/A", _unit("A", "f1", "2022/A.html", "2022/notebooks/A.ipynb"))
    assert m.current("2022/A", "f1") is not None
    assert m.current("2022/A", "f2") is None  # changed
    assert m.current("2022/B", "f1") is None  # never rendered
    assert m.current("2022/A", "") is None  # no fingerprint: never current
    (tmp_path / "2022/notebooks/A.ipynb").unlink()
    assert m.current("2022/A", "f1") is None  # a file is missing
    _files(tmp_path, "2022/notebooks/A.ipynb")
    m.written("2022/A", _unit("A", "f1", "2022/A.html", status="failed"))
    assert m.current("2022/A", "f1") is None  # failed last time


def test_a_killed_run_leaves_a_journal_that_is_read_back(tmp_path):
    _files(tmp_path, "2022/A.html", "2022/B.html")
    m = Manifest(tmp_path)
    m.written("2022/A", _unit("A", "fa", "2022/A.html"))
    m.written("2022/B", _unit("B", "fb", "2022/B.html"))
    m.save()
    assert not (tmp_path / JOURNAL).exists()
    # the next run replaces A (being replaced: fingerprint cleared), writes B again, then dies
    m = Manifest(tmp_path)
    m.replacing("2022/A", _unit("A", "fa2", "2022/A.html"))
    m.written("2022/B", _unit("B", "fb2", "2022/B.html"))
    with open(tmp_path / JOURNAL, "a", encoding="utf-8") as fh:
        fh.write('{"key": "2022/A", "entry": {"kind": "un')  # torn by the kill
    # (no save: killed)
    again = Manifest(tmp_path)
    assert again.current("2022/A", "fa") is None and again.current("2022/A", "fa2") is None
    assert again.entries["2022/A"].fingerprint == ""
    assert again.current("2022/B", "fb2") is not None
    assert again.current("2022/B", "fb") is None
    again.save()
    folded = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert folded["reports"]["2022/B"]["fingerprint"] == "fb2"
    assert folded["reports"]["2022/A"]["fingerprint"] == ""
    assert not (tmp_path / JOURNAL).exists()


def test_remove_deletes_only_the_listed_files_and_keeps_shared_ones(tmp_path):
    _files(tmp_path, "2022/A.html", "2022/A/P1.html", "2022/notebooks/status.json",
           "2022/B.html", "2022/mine.txt", "2022/A/notes.txt")  # fmt: skip
    m = Manifest(tmp_path)
    m.written("2022/A", _unit("A", "f", "2022/A.html", "2022/notebooks/status.json"))
    m.written("2022/A/P1", _unit("A", "f", "2022/A/P1.html"))
    m.written("2022/index", Entry("index", 2022, files=["2022/notebooks/status.json"]))
    m.written("2022/B", _unit("B", "f", "2022/B.html"))
    deleted = m.remove("2022/A")
    assert [p.relative_to(tmp_path).as_posix() for p in deleted] == ["2022/A.html"]
    assert (tmp_path / "2022/notebooks/status.json").exists()  # the index's file too
    deleted = m.remove("2022/A/P1")
    assert [p.relative_to(tmp_path).as_posix() for p in deleted] == ["2022/A/P1.html"]
    # the folder stays: it holds a file perfkit did not write
    assert (tmp_path / "2022/A/notes.txt").read_text(encoding="utf-8") == "2022/A/notes.txt"
    assert (tmp_path / "2022/mine.txt").exists() and (tmp_path / "2022/B.html").exists()
    assert sorted(m.entries) == ["2022/B", "2022/index"]
    assert m.remove("2022/nothing") == []
    m.close()
    assert sorted(Manifest(tmp_path).entries) == ["2022/B", "2022/index"]


def test_an_unreadable_or_foreign_manifest_counts_as_none(tmp_path):
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    assert Manifest(tmp_path).entries == {}
    (tmp_path / MANIFEST).write_text(json.dumps({"version": 99, "reports": {"x": {}}}))
    assert Manifest(tmp_path).entries == {}
