"""Nothing lost, nothing half-done (issue 16 §3–§5), with the real notebooks and ``perfkit
render`` run as a user runs it (a subprocess: what the terminal shows, the exit code).

- A manifest that lists ``../victim.txt``, an absolute path or a user's own file in ``--out``
  deletes none of them; one of the wrong shape (``files`` as a string, ``[]``, truncated) is set
  aside and the folder renders in full, then runs clean.
- Subfolders of ``--out`` that are symbolic links (the year folder, the operator folder on
  another disk) work, removals included.
- Rendering again without ``--pdf`` keeps the PDFs and says which are older than their page;
  a unit that leaves the data loses its page, PDF and notebook, and the summary counts them.
- A report that fails keeps its last good page, says so, and is tried again next time.
- The publish folder holds pages and PDFs only, with no path of this machine in them; a folder
  of perfkit before issue 16 (notebooks in ``<年度>/notebooks/``) is migrated without touching
  the user's files there.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from perfkit.rendering.manifest import MANIFEST, OLD_MANIFEST
from perfkit.rendering.pipeline import render
from tests.csvdata import drop_unit, read_rows, write_rows

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "notebooks"
YEAR = "2022"
NAMES = {"SZ003": "苏州市卫生监测评价中心", "SZ004": "苏州市市政设施养护管理处"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample"),
]


def _cli(data: Path, out: Path, *args: str, units: tuple[str, ...] = ("SZ003",)):
    """``perfkit render DATA --out OUT --level unit --unit …`` as a user runs it."""
    selection = [a for code in units for a in ("--unit", code)]
    return subprocess.run(
        [sys.executable, "-c", "from perfkit.cli import main; main()", "render", str(data),
         "--out", str(out), "--level", "unit", "--jobs", "1", "--no-progress", *selection,
         *args],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip


def _ok(run: subprocess.CompletedProcess[str], code: int = 0) -> str:
    """The summary of a run that ended with ``code`` and showed no traceback."""
    assert run.returncode == code, f"{run.stdout}\n{run.stderr}"
    assert "Traceback" not in run.stderr and "Error:" not in run.stderr, run.stderr
    return run.stdout


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): _sha(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> Path:
    """SZ003's report and the index, rendered once; tests copy the folder."""
    out = tmp_path_factory.mktemp("first") / "reports"
    result = render(SAMPLE, out=out, units=["SZ003"], jobs=1, level="unit", progress=False)
    assert result.exit_code == 0, result.summary()
    return out


def _copy(first: Path, tmp_path: Path) -> Path:
    out = tmp_path / "reports"
    shutil.copytree(first, out, symlinks=True)
    return out


def _add_report(out: Path, key: str, entry: dict) -> None:
    """Add an entry to the folder's manifest, as an edited or copied manifest has it."""
    path = out / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    data["reports"][key] = entry
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# §3: a manifest is not trusted


def test_a_manifest_listing_files_perfkit_did_not_write_deletes_none_of_them(first, tmp_path):
    out = _copy(first, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("邻居的文件", encoding="utf-8")
    absolute = tmp_path / "elsewhere" / "absolute.txt"
    absolute.parent.mkdir()
    absolute.write_text("另一处的文件", encoding="utf-8")
    mine = out / "我的说明.txt"
    mine.write_text("用户自己的文件", encoding="utf-8")
    in_year = out / YEAR / "mine.txt"
    in_year.write_text("用户放在年度文件夹里的文件", encoding="utf-8")
    # a unit no longer in the data whose record lists them (a copied manifest knows the
    # victim's digest; the user's file in the year folder has one made up)
    _add_report(out, f"{YEAR}/SZ999", {
        "kind": "unit", "year": 2022, "unit_code": "SZ999",
        "files": ["../victim.txt", str(absolute), "我的说明.txt", f"{YEAR}/mine.txt",
                  f"{YEAR}/../../victim.txt"],
        "digests": {"../victim.txt": _sha(victim), f"{YEAR}/mine.txt": "0" * 64,
                    "我的说明.txt": _sha(mine)},
    })  # fmt: skip
    before = _snapshot(out / YEAR)
    summary = _ok(_cli(SAMPLE, out))
    assert victim.read_text(encoding="utf-8") == "邻居的文件"
    assert absolute.read_text(encoding="utf-8") == "另一处的文件"
    assert mine.read_text(encoding="utf-8") == "用户自己的文件"
    assert in_year.read_text(encoding="utf-8") == "用户放在年度文件夹里的文件"
    assert _snapshot(out / YEAR) == before  # SZ003 and the index up to date: nothing touched
    assert "删除 1 份（单位或项目已不在数据中，共删除 0 个文件）" in summary
    assert "内容已被修改" in summary and f"{YEAR}/mine.txt" in summary
    notice = next(line for line in summary.splitlines() if "不会删除或改动它们" in line)
    for listed in ("../victim.txt", str(absolute), "我的说明.txt", f"{YEAR}/../../victim.txt"):
        assert listed in notice
    # the record is gone: the next run is clean
    again = _ok(_cli(SAMPLE, out))
    assert "注意" not in again and "删除 0 份" in again


@pytest.mark.parametrize(
    "damage",
    ["files-string", "list", "truncated"],
)
def test_a_manifest_of_the_wrong_shape_is_set_aside_and_the_folder_renders(first, tmp_path, damage):
    out = _copy(first, tmp_path)
    path = out / MANIFEST
    for name in "abc":  # what a "files": "abc" entry would unlink, character by character
        (out / name).write_text(f"用户的文件 {name}", encoding="utf-8")
    if damage == "files-string":
        _add_report(out, f"{YEAR}/SZ999", {"kind": "unit", "year": 2022, "files": "abc"})
    elif damage == "list":
        path.write_text("[]", encoding="utf-8")
    else:
        path.write_text(path.read_text(encoding="utf-8")[:200], encoding="utf-8")
    summary = _ok(_cli(SAMPLE, out))
    assert "注意：输出文件夹的清单已损坏" in summary and "本次全部重新生成" in summary
    assert "本次生成 2 份（报告与汇总页），未变化而跳过 0 份，删除 0 份" in summary
    (aside,) = path.parent.glob("manifest.json.damaged-*")
    assert aside.name in summary
    for name in "abc":
        assert (out / name).read_text(encoding="utf-8") == f"用户的文件 {name}"
    # not stuck: the next run finds a good manifest and renders nothing
    again = _ok(_cli(SAMPLE, out))
    assert "注意" not in again and "本次生成 0 份" in again


def test_subfolders_that_are_symbolic_links_work(tmp_path):
    """The year folder and the operator folder on "another disk": rendering, skipping and
    removing a unit that left the data all go through the links."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    out = tmp_path / "reports"
    disk = tmp_path / "other-disk"
    (disk / YEAR).mkdir(parents=True)
    (disk / "_internal").mkdir()
    out.mkdir()
    (out / YEAR).symlink_to(disk / YEAR, target_is_directory=True)
    (out / "_internal").symlink_to(disk / "_internal", target_is_directory=True)
    _ok(_cli(data, out, units=("SZ003", "SZ004")))
    assert (disk / YEAR / "SZ004.html").is_file()
    assert (disk / "_internal" / YEAR / "SZ004.ipynb").is_file()
    assert "本次生成 0 份" in _ok(_cli(data, out, units=("SZ003", "SZ004")))
    drop_unit(data, "SZ004")
    summary = _ok(_cli(data, out))
    assert "删除 1 份（单位或项目已不在数据中，共删除 2 个文件）" in summary
    assert not (disk / YEAR / "SZ004.html").exists()
    assert not (disk / "_internal" / YEAR / "SZ004.ipynb").exists()
    assert (out / YEAR).is_symlink() and (out / "_internal").is_symlink()  # links left as made


def _change_indicator(folder: Path, code: str) -> None:
    header, rows = read_rows(folder / "indicators.csv")
    row = next(r for r in rows if r[1] == code and r[2] == "")
    row[header.index("实际完成值")] += "（已核实）"
    write_rows(folder / "indicators.csv", header, rows)


# ---------------------------------------------------------------------------------------------
# PDFs: kept without --pdf, counted when removed


@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed")
def test_rendering_again_without_pdf_keeps_the_pdfs_and_counts_every_removal(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    out = tmp_path / "reports"
    year = out / YEAR
    _ok(_cli(data, out, "--pdf", units=("SZ003", "SZ004")))
    pdfs = {code: _sha(year / f"{code}.pdf") for code in ("SZ003", "SZ004")}

    # 1. SZ003's data changes; rendered again without --pdf: both PDFs stay, SZ003's is older
    # than its page and the summary says so
    _change_indicator(data, "SZ003")
    summary = _ok(_cli(data, out, units=("SZ003", "SZ004")))
    assert {code: _sha(year / f"{code}.pdf") for code in pdfs} == pdfs
    assert "删除 0 份" in summary
    stale = next(line for line in summary.splitlines() if "以前加 --pdf 时生成的" in line)
    assert f"{YEAR}/SZ003.pdf" in stale and "SZ004.pdf" not in stale
    assert "（已核实）" in (year / "SZ003.html").read_text(encoding="utf-8")

    # 2. with --pdf again: SZ003's PDF printed anew, nothing is stale
    summary = _ok(_cli(data, out, "--pdf", units=("SZ003", "SZ004")))
    assert _sha(year / "SZ003.pdf") != pdfs["SZ003"] and _sha(year / "SZ004.pdf") == pdfs["SZ004"]
    assert "以前加 --pdf 时生成的" not in summary

    # 3. SZ004 leaves the data: its page, PDF and notebook go, and are counted
    drop_unit(data, "SZ004")
    summary = _ok(_cli(data, out))
    assert "删除 1 份（单位或项目已不在数据中，共删除 3 个文件）" in summary
    assert "已删除：2022/SZ004" in summary
    assert not (year / "SZ004.pdf").exists() and not (year / "SZ004.html").exists()
    assert not (out / "_internal" / YEAR / "SZ004.ipynb").exists()
    assert (year / "SZ003.pdf").is_file()
    _assert_no_machine_paths(year, data, out, tmp_path)


# ---------------------------------------------------------------------------------------------
# §5 (locally): a report that fails keeps its last good page

#: after the parameters: SZ004's notebook raises, with the data folder's path in its message
FAIL = """
if unit_code == "SZ004":
    raise ValueError(f"测试用错误：读取 {data} 时发现第 7 行不完整")
"""


def _failing_notebook(folder: Path) -> Path:
    folder.mkdir()
    nb = nbformat.read(NOTEBOOKS / "unit_report.ipynb", as_version=4)
    after = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(after + 1, nbformat.v4.new_code_cell(FAIL))
    nbformat.write(nb, folder / "unit_report.ipynb")
    return folder / "unit_report.ipynb"


def test_a_report_that_fails_keeps_its_last_good_page_and_is_tried_again(tmp_path):
    out = tmp_path / "reports"
    year = out / YEAR
    units = ("SZ003", "SZ004")
    _ok(_cli(SAMPLE, out, units=units))
    good = {p: _sha(p) for p in (year / "SZ004.html", out / "_internal" / YEAR / "SZ004.ipynb")}

    notebook = _failing_notebook(tmp_path / "nb")
    summary = _ok(_cli(SAMPLE, out, "--notebook", str(notebook), units=units), code=1)
    assert {p: _sha(p) for p in good} == good  # the page and its audit record, untouched
    line = next(line for line in summary.splitlines() if "SZ004" in line and "测试用错误" in line)
    assert "生成笔记本的第 2 个代码单元时出错：测试用错误：读取" in line
    assert line.endswith("已保留上次生成的报告（内容为上次生成时的数据）。")
    assert str(SAMPLE) in line  # the terminal may name the data folder …
    index = (year / "index.html").read_text(encoding="utf-8")
    assert "已保留上次生成的报告" in index and "测试用错误" in index
    assert 'href="SZ004.html"' not in index  # listed as failed this time
    status = json.loads((out / "_internal" / YEAR / "status.json").read_text(encoding="utf-8"))
    assert [(s["unit_code"], s["status"]) for s in status] == [("SZ003", "ok"), ("SZ004", "failed")]
    assert "ValueError" not in summary and "ValueError" not in index
    _assert_no_machine_paths(year, SAMPLE, out, tmp_path)  # … a published page may not

    # the next run (the notebook fixed) tries SZ004 again
    summary = _ok(_cli(SAMPLE, out, units=units))
    assert "成功 2 份，失败 0 份" in summary and "本次生成" in summary
    assert NAMES["SZ004"] in (year / "SZ004.html").read_text(encoding="utf-8")
    assert "未能生成" not in (year / "index.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# §4: the publish folder


def _assert_no_machine_paths(year: Path, *paths: Path) -> None:
    """Nothing under the year folder names a folder of this machine (pages and PDFs alike)."""
    roots = {str(p) for p in paths} | {str(Path.home()), "/tmp/", str(ROOT)}
    for path in year.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for root in roots:
                assert root.encode() not in content, f"{path.name} names {root}"
            assert path.suffix in (".html", ".pdf"), path


def test_a_folder_of_the_old_layout_is_migrated_without_touching_the_users_files(first, tmp_path):
    """perfkit before issue 16 kept the executed notebooks and status files in
    <年度>/notebooks/ and the manifest at .perfkit-manifest.json: perfkit's files move to
    _internal/, the user's stay where they are, and the summary says so."""
    out = _copy(first, tmp_path)
    records = out / "_internal" / YEAR
    old = out / YEAR / "notebooks"
    old.mkdir()
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    for entry in manifest["reports"].values():  # as perfkit before issue 16 recorded them
        entry["files"] = [f.replace(f"_internal/{YEAR}/", f"{YEAR}/notebooks/") for f in
                          entry["files"]]  # fmt: skip
        for name in ("digests", "pending", "good", "pdf_fingerprint"):
            entry.pop(name)
    for path in records.iterdir():
        path.rename(old / path.name)
    shutil.rmtree(out / "_internal")
    manifest["version"] = 1
    (out / OLD_MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (old / "我的笔记.txt").write_text("用户的笔记", encoding="utf-8")
    (old / "mine.ipynb").write_text('{"cells": [], "metadata": {"papermill": {}}}', "utf-8")
    perfkits = sorted(p.name for p in old.iterdir() if p.name not in ("我的笔记.txt", "mine.ipynb"))
    assert perfkits == ["SZ003.ipynb", "index.ipynb", "status.json"]

    summary = _ok(_cli(SAMPLE, out))
    assert sorted(p.name for p in old.iterdir()) == ["mine.ipynb", "我的笔记.txt"]
    assert (old / "我的笔记.txt").read_text(encoding="utf-8") == "用户的笔记"
    for name in perfkits:
        assert (records / name).is_file()
    assert nbformat.read(records / "SZ003.ipynb", as_version=4).metadata["papermill"]
    assert not (out / OLD_MANIFEST).exists() and (out / MANIFEST).is_file()
    assert "已把旧版 perfkit 放在年度文件夹中的 3 个执行记录和状态文件移到 _internal/ 中" in summary
    assert f"注意：{YEAR}/notebooks/ 是旧版 perfkit 放在年度文件夹中的执行记录文件夹" in summary

    # the user takes their files away: the empty folder goes, and the notice with it
    for path in old.iterdir():
        path.unlink()
    summary = _ok(_cli(SAMPLE, out))
    assert not old.exists() and "注意" not in summary
    assert sorted(p.suffix for p in (out / YEAR).rglob("*") if p.is_file()) == [".html"] * 2
