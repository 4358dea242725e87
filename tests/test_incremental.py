"""Incremental renders (issue 12 §2), with the real notebooks, papermill and nbconvert.

A second run with nothing changed renders nothing; a changed indicator re-renders its unit and
its year's index only; a unit that left the data loses its report (and only the files perfkit
wrote); ``force`` renders everything; a deleted page or a failed report is rendered again; the
manifest is folded at the end of a run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from perfkit.rendering.manifest import JOURNAL, MANIFEST
from perfkit.rendering.pipeline import render
from tests.csvdata import drop_unit, read_rows, write_rows

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
UNITS = ["SZ002", "SZ004"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample"),
]


def _rendered(result) -> set[str]:
    return {_name(r) for r in result.rendered}


def _skipped(result) -> set[str]:
    return {_name(r) for r in result.skipped}


def _name(r) -> str:
    return f"{r.year}/{r.unit_code}" + (f"/{r.project_code}" if r.project_code else "")


def _mtimes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("incremental") / "data"
    shutil.copytree(SAMPLE, folder)
    return folder


@pytest.fixture(scope="module")
def first(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("incremental-out") / "reports"
    result = render(data, out=out, units=UNITS, jobs=2, progress=False, level="unit")
    assert result.exit_code == 0, result.summary()
    return out, result


def test_first_run_renders_everything_and_folds_the_manifest(first):
    out, result = first
    assert _rendered(result) == {"2022/SZ002", "2022/SZ004", "2022/index"}
    assert _skipped(result) == set()
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert sorted(manifest["reports"]) == ["2022/SZ002", "2022/SZ004", "2022/index"]
    entry = manifest["reports"]["2022/SZ002"]
    assert entry["files"] == ["2022/SZ002.html", "_internal/2022/SZ002.ipynb"]
    for rel in entry["files"]:  # each file with the digest of what was written
        assert entry["digests"][rel] == hashlib.sha256((out / rel).read_bytes()).hexdigest()
    assert len(entry["fingerprint"]) == 64 and entry["status"] == "ok"
    assert not (out / JOURNAL).exists()
    assert "本次生成 3 份（报告与汇总页），未变化而跳过 0 份，删除 0 份" in result.summary()


def test_the_sequence_of_runs(first, data):
    """One sequence, since each step starts from the folder the last one left."""
    out, _ = first
    year = out / "2022"
    user_file = year / "我的说明.txt"
    user_file.write_text("分析人员自己的文件", encoding="utf-8")
    user_page = year / "SZ099.html"
    user_page.write_text("<html>不是 perfkit 写的</html>", encoding="utf-8")

    # 1. nothing changed: nothing rendered, no file touched
    before = _mtimes(out)
    again = render(data, out=out, units=UNITS, jobs=2, progress=False, level="unit")
    assert again.exit_code == 0
    assert _rendered(again) == set()
    assert _skipped(again) == {"2022/SZ002", "2022/SZ004", "2022/index"}
    assert _mtimes(out) == before
    assert "本次生成 0 份（报告与汇总页），未变化而跳过 3 份，删除 0 份" in again.summary()

    # 2. one indicator of SZ004 changed: SZ004 and the index, nothing else
    header, rows = read_rows(data / "indicators.csv")
    row = next(r for r in rows if r[1] == "SZ004" and r[2] == "")
    row[header.index("实际完成值")] = row[header.index("实际完成值")] + "（已核实）"
    write_rows(data / "indicators.csv", header, rows)
    changed = render(data, out=out, units=UNITS, jobs=2, progress=False, level="unit")
    assert changed.exit_code == 0
    assert _rendered(changed) == {"2022/SZ004", "2022/index"}
    assert "（已核实）" in (year / "SZ004.html").read_text(encoding="utf-8")
    after = _mtimes(out)
    assert after["2022/SZ002.html"] == before["2022/SZ002.html"]
    assert after["2022/SZ004.html"] != before["2022/SZ004.html"]

    # 3. a page deleted by hand comes back, alone
    (year / "SZ002.html").unlink()
    back = render(data, out=out, units=UNITS, jobs=2, progress=False, level="unit")
    assert _rendered(back) == {"2022/SZ002"}
    assert (year / "SZ002.html").is_file()

    # 4. SZ002 left the data: its report and notebook are deleted, the user's files stay
    drop_unit(data, "SZ002")
    gone = render(data, out=out, units=["SZ004"], jobs=2, progress=False, level="unit")
    assert gone.exit_code == 0
    assert gone.removed_reports == ["2022/SZ002"]
    assert sorted(gone.removed) == ["2022/SZ002.html", "_internal/2022/SZ002.ipynb"]
    assert not (year / "SZ002.html").exists()
    assert not (out / "_internal" / "2022" / "SZ002.ipynb").exists()
    assert user_file.read_text(encoding="utf-8") == "分析人员自己的文件"
    assert user_page.read_text(encoding="utf-8") == "<html>不是 perfkit 写的</html>"
    assert "删除 1 份（单位或项目已不在数据中，共删除 2 个文件）" in gone.summary()
    assert "已删除：2022/SZ002" in gone.summary()
    # the index lists what is in the data now: it was rendered again, without SZ002
    assert "2022/index" in _rendered(gone)
    index = (year / "index.html").read_text(encoding="utf-8")
    assert 'href="SZ004.html"' in index and 'href="SZ002.html"' not in index
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert sorted(manifest["reports"]) == ["2022/SZ004", "2022/index"]

    # 5. force: everything again
    forced = render(data, out=out, units=["SZ004"], jobs=2, progress=False, level="unit",
                    force=True)  # fmt: skip
    assert _rendered(forced) == {"2022/SZ004", "2022/index"}


def test_a_failed_report_is_rendered_again_next_time(tmp_path):
    """A report that failed is never taken as up to date; the others are."""
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "perfkit" / "report" / "notebooks", notebooks)
    path = notebooks / "unit_report.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "parameters" in
                c.get("metadata", {}).get("tags", []))  # fmt: skip
    nb["cells"].insert(
        nb["cells"].index(cell) + 1,
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "id": "fail", "source": 'if unit_code == "SZ004":\n    raise ValueError("测试用的失败")'},
    )  # fmt: skip
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "reports"
    kwargs = {"out": out, "units": UNITS, "jobs": 2, "progress": False, "level": "unit",
              "notebook": path}  # fmt: skip
    one = render(SAMPLE, **kwargs)
    assert one.exit_code == 1
    assert [r.unit_code for r in one.failed] == ["SZ004"]
    two = render(SAMPLE, **kwargs)
    assert two.exit_code == 1
    assert _rendered(two) == {"2022/SZ004"}
    assert _skipped(two) == {"2022/SZ002", "2022/index"}
    assert "测试用的失败" in (out / "2022" / "SZ004.html").read_text(encoding="utf-8")


def test_projects_and_their_unit_skip_together(tmp_path):
    """level all: a unit's report waits for its projects; nothing changed, nothing rendered."""
    out = tmp_path / "reports"
    one = render(SAMPLE, out=out, units=["SZ001"], jobs=2, progress=False)
    assert one.exit_code == 0
    expected = {"2022/SZ001", "2022/SZ001/P01", "2022/SZ001/P02", "2022/index", "2022/projects"}
    assert _rendered(one) == expected
    two = render(SAMPLE, out=out, units=["SZ001"], jobs=2, progress=False)
    assert two.exit_code == 0
    assert _rendered(two) == set() and _skipped(two) == expected
    page = (out / "2022" / "SZ001.html").read_text(encoding="utf-8")
    assert 'href="SZ001/P01.html"' in page
