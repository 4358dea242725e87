"""The output folder's manifest (issue 12 §2, issue 16 §3): what it says is current, the journal a
killed run leaves, deleting only what perfkit wrote (a recorded path inside the output folder
whose content is still the recorded digest), and a manifest of the wrong shape set aside."""

from __future__ import annotations

import hashlib
import json

import pytest

from perfkit.rendering.manifest import (
    JOURNAL,
    MANIFEST,
    OLD_JOURNAL,
    OLD_MANIFEST,
    Entry,
    Manifest,
    safe,
)


def _files(out, *names: str) -> dict[str, str]:
    """Write each file with its own name as content; return {name: its SHA-256}."""
    found = {}
    for name in names:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name, encoding="utf-8")
        found[name] = hashlib.sha256(name.encode("utf-8")).hexdigest()
    return found


def _unit(code: str, fingerprint: str, *files: str, status: str = "ok", **more) -> Entry:
    return Entry("unit", 2022, code, fingerprint=fingerprint, status=status, files=list(files),
                 **more)  # fmt: skip


def _write_manifest(out, reports: object, version: int = 2) -> None:
    path = out / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": version, "reports": reports}), encoding="utf-8")


def test_current_needs_the_same_fingerprint_success_and_every_file(tmp_path):
    _files(tmp_path, "2022/A.html", "_internal/2022/A.ipynb")
    m = Manifest(tmp_path)
    m.written("2022/A", _unit("A", "f1", "2022/A.html", "_internal/2022/A.ipynb"))
    assert m.current("2022/A", "f1") is not None
    assert m.current("2022/A", "f2") is None  # changed
    assert m.current("2022/B", "f1") is None  # never rendered
    assert m.current("2022/A", "") is None  # no fingerprint: never current
    (tmp_path / "_internal/2022/A.ipynb").unlink()
    assert m.current("2022/A", "f1") is None  # a file is missing
    _files(tmp_path, "_internal/2022/A.ipynb")
    m.written("2022/A", _unit("A", "f1", "2022/A.html", status="failed"))
    assert m.current("2022/A", "f1") is None  # failed last time


def test_a_pdf_asked_for_must_be_printed_from_the_same_page(tmp_path):
    _files(tmp_path, "2022/A.html", "2022/A.pdf")
    m = Manifest(tmp_path)
    m.written("2022/A", _unit("A", "f2", "2022/A.html", "2022/A.pdf", pdf_fingerprint="f1"))
    assert m.current("2022/A", "f2") is not None  # without --pdf the page is up to date
    assert m.current("2022/A", "f2", pdf="2022/A.pdf") is None  # its PDF is an older page's
    m.written("2022/A", _unit("A", "f2", "2022/A.html", "2022/A.pdf", pdf_fingerprint="f2"))
    assert m.current("2022/A", "f2", pdf="2022/A.pdf") is not None
    m.written("2022/A", _unit("A", "f2", "2022/A.html", pdf_fingerprint="f2"))
    assert m.current("2022/A", "f2", pdf="2022/A.pdf") is None  # no PDF recorded


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
    assert again.notices == []  # a torn last line is what a kill leaves: not damage
    assert again.current("2022/A", "fa") is None and again.current("2022/A", "fa2") is None
    assert again.entries["2022/A"].fingerprint == ""
    assert again.current("2022/B", "fb2") is not None
    assert again.current("2022/B", "fb") is None
    again.save()
    folded = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert folded["version"] == 2
    assert folded["reports"]["2022/B"]["fingerprint"] == "fb2"
    assert folded["reports"]["2022/A"]["fingerprint"] == ""
    assert not (tmp_path / JOURNAL).exists()


def test_remove_deletes_only_unchanged_listed_files_and_keeps_shared_ones(tmp_path):
    d = _files(tmp_path, "2022/A.html", "2022/A/P1.html", "_internal/2022/status.json",
               "2022/B.html", "2022/mine.txt", "2022/A/notes.txt", "2022/A.pdf")  # fmt: skip
    m = Manifest(tmp_path)

    def digests(*names: str) -> dict[str, str]:
        return {name: d[name] for name in names}

    status = "_internal/2022/status.json"
    m.written("2022/A", _unit("A", "f", "2022/A.html", status, "2022/A.pdf",
                              digests=digests("2022/A.html", "2022/A.pdf", status)))  # fmt: skip
    m.written("2022/A/P1", _unit("A", "f", "2022/A/P1.html", digests=digests("2022/A/P1.html")))
    m.written("2022/index", Entry("index", 2022, files=[status], digests=digests(status)))
    m.written("2022/B", _unit("B", "f", "2022/B.html", digests=digests("2022/B.html")))
    (tmp_path / "2022/A.pdf").write_text("用户改过的 PDF", encoding="utf-8")  # not perfkit's now
    deleted, kept = m.remove("2022/A")
    assert [p.relative_to(tmp_path).as_posix() for p in deleted] == ["2022/A.html"]
    assert kept == ["2022/A.pdf"]
    assert (tmp_path / "2022/A.pdf").read_text(encoding="utf-8") == "用户改过的 PDF"
    assert (tmp_path / "_internal/2022/status.json").exists()  # the index's file too
    deleted, kept = m.remove("2022/A/P1")
    assert [p.relative_to(tmp_path).as_posix() for p in deleted] == ["2022/A/P1.html"]
    # the folder stays: it holds a file perfkit did not write
    assert (tmp_path / "2022/A/notes.txt").read_text(encoding="utf-8") == "2022/A/notes.txt"
    assert (tmp_path / "2022/mine.txt").exists() and (tmp_path / "2022/B.html").exists()
    assert sorted(m.entries) == ["2022/B", "2022/index"]
    assert m.remove("2022/nothing") == ([], [])
    m.close()
    assert sorted(Manifest(tmp_path).entries) == ["2022/B", "2022/index"]


def test_a_file_whose_digest_is_not_known_is_never_removed(tmp_path):
    """A manifest of perfkit before issue 16 recorded no digests; a file listed without one is
    kept (it may be the user's, copied over perfkit's name)."""
    _files(tmp_path, "2022/A.html")
    m = Manifest(tmp_path)
    m.written("2022/A", _unit("A", "f", "2022/A.html"))
    assert m.remove("2022/A") == ([], ["2022/A.html"])
    assert (tmp_path / "2022/A.html").exists()


def test_a_manifest_pointing_outside_the_folder_removes_nothing(tmp_path):
    """An edited or copied manifest listing ../victim.txt, an absolute path, a path through
    "..", a user's file at the root or inside a year folder (with a made-up digest): nothing
    is deleted, and the paths outside are named."""
    out = tmp_path / "reports"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("不属于 perfkit", encoding="utf-8")
    absolute = tmp_path / "absolute.txt"
    absolute.write_text("不属于 perfkit", encoding="utf-8")
    mine = _files(out, "mine.txt", "2022/mine.txt")
    wrong = hashlib.sha256(b"something else").hexdigest()
    listed = ["../victim.txt", str(absolute), "2022/../../victim.txt", "mine.txt",
              "2022/mine.txt", "2022\\..\\..\\victim.txt", "C:/victim.txt"]  # fmt: skip
    # the right digest for the files outside, a made-up one for the user's file in 2022/
    right = hashlib.sha256("不属于 perfkit".encode()).hexdigest()
    recorded = {"2022/mine.txt": wrong, "mine.txt": mine["mine.txt"], "../victim.txt": right}
    gone = {"kind": "unit", "year": 2022, "unit_code": "GONE", "files": listed,
            "digests": recorded}  # fmt: skip
    _write_manifest(out, {"2022/GONE": gone})
    m = Manifest(out)
    assert m.entries["2022/GONE"].files == ["2022/mine.txt"]
    (notice,) = m.notices
    for path in ("../victim.txt", str(absolute), "2022/../../victim.txt", "mine.txt"):
        assert path in notice
    deleted, kept = m.remove("2022/GONE")
    assert deleted == [] and kept == ["2022/mine.txt"]
    assert victim.exists() and absolute.exists()
    assert (out / "mine.txt").exists() and (out / "2022/mine.txt").exists()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[]", "应为对象，而不是 []"),
        ("null", "应为对象，而不是 null"),
        ('{"version": 2, "reports": []}', "reports 应为对象，而不是 []"),
        ('{"version": 2, "reports": {"2022/A": {"kind": "unit", "ye', "不是有效的 JSON"),
        ('{"version": 2, "reports": {"2022/A": {"kind": "unit", "year": 2022, "files": "abc"}}}',
         "文件列表应为文字的列表，而不是 \"abc\""),
        ('{"version": 2, "reports": {"2022/A": {"kind": "unit", "year": "2022"}}}',
         "年度应为整数"),
        ('{"version": 2, "reports": {"2022/A": {"kind": "unit", "year": 2022, "digests": '
         '{"2022/A.html": "x"}}}}', "摘要无效"),
        ('{"version": 2, "reports": {"2022/A": ["kind", "unit"]}}', "记录应为对象"),
        ('{"version": 7, "reports": {}}', "版本 7 无法识别"),
        (b"\xff\xfe{", "不是有效的 JSON"),
    ],
    ids=["list", "null", "reports-list", "truncated", "files-string", "year-string",
         "bad-digest", "entry-list", "version", "not-utf8"],
)  # fmt: skip
def test_a_manifest_of_the_wrong_shape_is_set_aside(tmp_path, text, reason):
    """Reported and renamed, never a traceback, never a stuck folder: the manifest starts empty
    (a full render, nothing deleted) and the next run starts clean."""
    path = tmp_path / MANIFEST
    path.parent.mkdir(parents=True)
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    path.write_bytes(data)
    _files(tmp_path, "a", "b", "c")
    m = Manifest(tmp_path)
    assert m.entries == {}
    (notice,) = m.notices
    assert "清单已损坏" in notice and reason in notice and "本次全部重新生成" in notice
    assert not path.exists()
    (aside,) = path.parent.glob("manifest.json.damaged-*")
    assert aside.read_bytes() == data  # kept as it was, for whoever looks into it
    assert aside.name in notice
    m.save()
    again = Manifest(tmp_path)
    assert again.notices == [] and again.entries == {}
    assert all((tmp_path / n).exists() for n in "abc")  # "files": "abc" deleted nothing


def test_a_journal_damaged_before_its_last_line_is_set_aside_with_the_manifest(tmp_path):
    _files(tmp_path, "2022/A.html")
    m = Manifest(tmp_path)
    m.written("2022/A", _unit("A", "fa", "2022/A.html"))
    m.save()
    (tmp_path / JOURNAL).write_text('{"key": 1}\n{"key": "2022/A", "removed": true}\n', "utf-8")
    again = Manifest(tmp_path)
    assert again.entries == {}
    assert "第 1 行的记录无效" in again.notices[0]
    assert not (tmp_path / MANIFEST).exists() and not (tmp_path / JOURNAL).exists()


def test_a_manifest_of_perfkit_before_issue_16_is_read_then_replaced(tmp_path):
    """Version 1, at the folder's root: its reports are never current (rendered again), a page
    that rendered ok counts as a good page, and saving folds it into the new manifest."""
    _files(tmp_path, "2022/A.html", "2022/notebooks/A.ipynb", "2022/B.html")
    old = {"version": 1, "reports": {
        "2022/A": {"kind": "unit", "year": 2022, "unit_code": "A", "fingerprint": "fa",
                   "status": "ok", "files": ["2022/A.html", "2022/notebooks/A.ipynb"]},
        "2022/B": {"kind": "unit", "year": 2022, "unit_code": "B", "fingerprint": "fb",
                   "status": "failed", "files": ["2022/B.html"]}}}  # fmt: skip
    (tmp_path / OLD_MANIFEST).write_text(json.dumps(old), encoding="utf-8")
    (tmp_path / OLD_JOURNAL).write_text(
        json.dumps({"key": "2022/C", "entry": {"kind": "unit", "year": 2022, "unit_code": "C",
                                               "fingerprint": "fc", "files": []}}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    m = Manifest(tmp_path)
    assert m.legacy and m.notices == []
    assert sorted(m.entries) == ["2022/A", "2022/B", "2022/C"]
    assert [m.entries[k].fingerprint for k in ("2022/A", "2022/B", "2022/C")] == ["", "", ""]
    assert m.current("2022/A", "fa") is None
    assert (m.entries["2022/A"].good, m.entries["2022/B"].good) == (True, False)
    m.save()
    assert not (tmp_path / OLD_MANIFEST).exists() and not (tmp_path / OLD_JOURNAL).exists()
    assert sorted(json.loads((tmp_path / MANIFEST).read_text("utf-8"))["reports"]) == [
        "2022/A", "2022/B", "2022/C",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("rel", "ok"),
    [
        ("2022/SZ001.html", True),
        ("2022/SZ001/P01.pdf", True),
        ("_internal/2022/SZ001.ipynb", True),
        ("_internal/manifest.json", True),
        ("2022", False),
        ("mine.txt", False),
        ("docs/readme.md", False),
        ("../victim.txt", False),
        ("2022/../../victim.txt", False),
        ("2022/./SZ001.html", False),
        ("2022//SZ001.html", False),
        ("/etc/passwd", False),
        ("C:/victim.txt", False),
        ("2022\\SZ001.html", False),
        ("", False),
        ("2022/a\x00b", False),
    ],
)
def test_safe_paths_are_inside_a_year_folder_or_the_operator_folder(rel, ok):
    assert safe(rel) is ok
