"""Faults during a batch render (issue 5 §5), with the real report notebook and real processes.

- A ``perfkit render`` killed with SIGKILL while a unit is being rendered, then again while the
  index is being built, leaves no empty or truncated ``.html`` (nor a broken executed notebook),
  nothing keeps writing after it died, and the next run completes with exit code 0.
- Two renders into one output folder never interleave files: a second run started while the
  first holds the folder stops at once with a clear Chinese message (exit code 2) and writes
  nothing; two runs started at the same instant either serialise or one refuses, and every file
  left comes from one run.

The render runs as ``perfkit render`` when the CLI has that command, else through
:func:`perfkit.rendering.pipeline.render` in ``python -c`` (with the CLI's exit codes: 0, 1, 2).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from perfkit.cli import cli
from perfkit.core import atomic
from perfkit.rendering import htmlexport
from perfkit.rendering.manifest import Manifest
from perfkit.rendering.pipeline import LOCK_NAME

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
YEAR = "2022"
NAMES = {"SZ001": "苏州市智慧审判保障中心", "SZ002": "苏州市公共阅读服务中心"}
#: the second dataset's unit names end with this, so that every file tells which run wrote it
OTHER = "（乙数据集）"
DEADLINE = 300  # seconds for one render of two units on a loaded 2-core machine

RUN = """
import sys
from perfkit.core.problems import UsageError
from perfkit.rendering.pipeline import render
data, out, units = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
try:
    result = render(data, out=out, units=units, jobs=1, progress=False)
except UsageError as err:
    print(f"错误：{err}", file=sys.stderr)
    sys.exit(2)
print(result.summary())
sys.exit(result.exit_code)
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and flock: Linux"),
]


def _command(data: Path, out: Path, units: list[str]) -> list[str]:
    if "render" in cli.commands:
        selection = [arg for code in units for arg in ("--unit", code)]
        return [sys.executable, "-c", "from perfkit.cli import main; main()", "render",
                str(data), "--out", str(out), "--jobs", "1", *selection]  # fmt: skip
    return [sys.executable, "-c", RUN, str(data), str(out), ",".join(units)]


def _start(data: Path, out: Path, units: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _command(data, out, units),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(what, run: subprocess.Popen[str], why: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not what():
        if run.poll() is not None:
            out, err = run.communicate()
            pytest.fail(f"render ended (code {run.returncode}) before {why}:\n{out}\n{err}")
        assert time.monotonic() < deadline, f"timed out waiting until {why}"
        time.sleep(0.05)


def _finish(run: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = run.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        run.kill()
        out, err = run.communicate()
        pytest.fail(f"render did not finish:\n{out}\n{err}")
    return run.returncode, out, err


def _kill(run: subprocess.Popen[str]) -> None:
    run.send_signal(signal.SIGKILL)
    run.communicate()
    assert run.returncode == -signal.SIGKILL


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def _assert_nothing_half_written(out: Path, names: dict[str, str]) -> None:
    """Every report, index and executed notebook present is whole; temporaries are hidden."""
    year = out / YEAR
    for html in year.glob("[!.]*.html"):
        text = html.read_text(encoding="utf-8")
        assert text.rstrip().endswith("</html>"), f"{html.name} is truncated"
        assert htmlexport.assert_self_contained(text) == [], html.name
        if html.stem in names:
            assert names[html.stem] in text, f"{html.name} is not {html.stem}'s report"
    records = out / "_internal" / YEAR
    for notebook in records.glob("[!.]*.ipynb"):
        nbformat.read(notebook, as_version=4)  # raises on a truncated file
    status = records / "status.json"
    if status.exists():
        json.loads(status.read_text(encoding="utf-8"))
    # a killed run may leave hidden temporaries (papermill's keep their .ipynb suffix); never
    # one a browser or a glob for reports would take for a report
    for leftover in out.rglob(f"*{atomic.TMP_SUFFIX}*"):
        assert leftover.name.startswith("."), leftover
        assert not leftover.name.endswith((".html", ".json")), leftover


def _assert_stays_still(out: Path) -> None:
    """Nothing writes into the folder once the render is dead (its workers died with it)."""
    before = _snapshot(out)
    time.sleep(3)
    assert _snapshot(out) == before


def _assert_complete(out: Path, names: dict[str, str]) -> None:
    year = out / YEAR
    # the projects page comes with the units' project reports (their folders)
    pages = ["index.html"] + (["projects.html"] if any((year / c).is_dir() for c in names) else [])
    assert sorted(p.name for p in year.glob("[!.]*.html")) == sorted(
        [f"{code}.html" for code in names] + pages
    )
    _assert_nothing_half_written(out, names)
    index = (year / "index.html").read_text(encoding="utf-8")
    for code, name in names.items():
        assert f'href="{code}.html"' in index
        assert name in index
    assert list(out.rglob(f"*{atomic.TMP_SUFFIX}*")) == []


# ---------------------------------------------------------------------------------------------
# SIGKILL


def test_render_killed_during_a_unit_then_during_the_index_leaves_whole_files_and_reruns(
    tmp_path,
):
    out = tmp_path / "reports"
    units = list(NAMES)
    year = out / YEAR

    # 1. killed while SZ002 renders: SZ001's report is whole, SZ002 has none or a whole one
    run = _start(SAMPLE, out, units)
    _wait_for(lambda: (year / "SZ001.html").exists(), run, "SZ001.html was written")
    _kill(run)
    _assert_stays_still(out)
    _assert_nothing_half_written(out, NAMES)
    assert not (year / "index.html").exists()

    # 2. a new run, killed once every unit is done and the index is being built
    status = out / "_internal" / YEAR / "status.json"
    run = _start(SAMPLE, out, units)
    _wait_for(status.exists, run, "the index started")
    _kill(run)
    _assert_stays_still(out)
    _assert_nothing_half_written(out, NAMES)

    _assert_manifest_true(out)

    # 3. the next run completes and sweeps the temporaries up; what the killed runs wrote and
    # recorded (every unit's and project's report) is not rendered again
    code, stdout, stderr = _finish(_start(SAMPLE, out, units))
    assert code == 0, stdout + stderr
    _assert_complete(out, NAMES)
    skipped = int(re.search(r"未变化而跳过 (\d+) 份", stdout).group(1))
    assert skipped >= 6, stdout  # 2 units and their 4 projects
    _assert_manifest_true(out)


def _assert_manifest_true(out: Path) -> None:
    """What the manifest (and its journal, after a kill) records as current is on disk, whole."""
    entries = Manifest(out).entries
    assert entries, "nothing recorded"
    for key, entry in entries.items():
        if not entry.fingerprint:
            continue  # being replaced when the run died: it will be rendered again
        for rel in entry.files:
            path = out / rel
            assert path.is_file(), f"{key}: {rel} is recorded but missing"
            if path.suffix == ".html":
                assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), rel


# ---------------------------------------------------------------------------------------------
# two renders, one folder


@pytest.fixture
def other_data(tmp_path) -> Path:
    """data/sample with every unit name ending in OTHER."""
    folder = tmp_path / "other"
    shutil.copytree(SAMPLE, folder)
    path = folder / "units.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["单位名称"] += OTHER
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _written_by(out: Path) -> set[str]:
    """Which dataset each report, the index and each executed notebook came from."""
    year = out / YEAR
    found = set()
    records = out / "_internal" / YEAR
    for path in [*year.glob("[!.]*.html"), *records.glob("[!.]*.ipynb")]:
        text = path.read_text(encoding="utf-8")
        found.add("other" if OTHER in text else "sample")
    return found


def test_second_render_into_a_busy_folder_refuses_at_once_and_writes_nothing(tmp_path, other_data):
    out = tmp_path / "reports"
    units = list(NAMES)
    first = _start(SAMPLE, out, units)
    lock = out / LOCK_NAME
    _wait_for(
        lambda: lock.exists() and f"进程 {first.pid}" in lock.read_text(encoding="utf-8"),
        first,
        "the first render took the folder",
    )
    second = _start(other_data, out, units)
    code, stdout, stderr = _finish(second)
    assert first.poll() is None, "the second render waited for the first instead of refusing"
    assert code == 2, stdout + stderr
    assert f"另一个 perfkit render 正在写入 {out}" in stderr
    assert f"进程 {first.pid}" in stderr
    assert "Traceback" not in stderr

    code, stdout, stderr = _finish(first)
    assert code == 0, stdout + stderr
    _assert_complete(out, NAMES)
    assert _written_by(out) == {"sample"}


def test_two_renders_started_together_serialise_or_one_refuses(tmp_path, other_data):
    out = tmp_path / "reports"
    units = ["SZ001"]
    runs = {"sample": _start(SAMPLE, out, units), "other": _start(other_data, out, units)}
    outcomes = {name: _finish(run) for name, run in runs.items()}
    codes = sorted(code for code, _, _ in outcomes.values())
    assert codes in ([0, 0], [0, 2]), outcomes
    refused = [name for name, (code, _, _) in outcomes.items() if code == 2]
    for name in refused:
        assert "另一个 perfkit render 正在写入" in outcomes[name][2]
    written = _written_by(out)
    assert len(written) == 1, f"files of both runs are mixed in one folder: {written}"
    if refused:
        assert written == {"sample", "other"} - set(refused)
    names = {"SZ001": NAMES["SZ001"] + (OTHER if written == {"other"} else "")}
    _assert_complete(out, names)
