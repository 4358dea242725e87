"""Rendering on a Dask cluster (issue 12), with real processes: a ``dask scheduler`` and two
``dask worker`` processes from this environment (``--nthreads 1``, free ports, the checkout on
their ``PYTHONPATH``), driven by ``perfkit render … --dask tcp://…`` in a subprocess.

- The pages a Dask run writes read exactly as a local run's (the reader-visible text of
  :mod:`golden`, generation time masked), with the same files and manifest.
- A report whose notebook raises gets its error page; a report whose worker dies every time it
  builds it fails alone with a Chinese message (Dask's KilledWorker), the others are written, and
  the exit code is 1.
- A worker killed (SIGKILL) while it builds a report costs nothing: the scheduler runs the
  report again on the other worker, and every report is written exactly once, whole.
- ``--dask local:2`` starts and stops its own cluster; Ctrl-C leaves no process behind.
- An unreachable scheduler, a missing Dask, a bad ``local:N`` and a data folder a worker cannot
  see are clear Chinese usage errors (exit code 2), and nothing is written.

The scheduler runs with ``allowed-failures`` 1 (a report fails once two workers died building
it; Dask's default is 3) and ``worker-saturation`` 1.0 (a worker holds only the report it is
building, so a dying worker takes no queued report down with it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import golden
import nbformat
import pytest

from perfkit.core.problems import UsageError
from perfkit.rendering import executors, htmlexport, worker
from perfkit.rendering.jobs import Job

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "notebooks"
PYTHON = Path(sys.executable)
DASK = PYTHON.parent / "dask"
YEAR = "2022"
#: seconds for one render of a few reports on a loaded 2-core machine (a hang, not a timing test)
DEADLINE = 600

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed")

pytestmark = [
    pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups, SIGKILL"),
]


def _env(**more: str) -> dict[str, str]:
    """This environment with the checkout under test first on the path (workers, kernels)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **more}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Stop a process started in its own session, and its group: SIGTERM, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Cluster:
    """A scheduler and two workers, each a process group of its own."""

    def __init__(self, base: Path) -> None:
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.logs = base
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = _env(
            DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1",
            DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION="1.0",
        )

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [str(DASK), *args], cwd=self.logs, env=self.env, stdout=log, stderr=log,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        self._start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                    "--no-dashboard", "--no-show")  # fmt: skip
        for n in (1, 2):
            self._start(f"worker{n}", "worker", self.address, "--nthreads", "1",
                        "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard",
                        "--name", f"w{n}")  # fmt: skip
        self.wait_for_workers(2)

    def wait_for_workers(self, n: int) -> dict[str, dict]:
        with distributed.Client(self.address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(n, timeout=DEADLINE)
            return client.scheduler_info(n_workers=-1)["workers"]

    def log(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.logs.glob("*.log"))
        )

    def stop(self) -> None:
        for proc in reversed(self.procs):
            _stop(proc)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not DASK.exists():
        pytest.skip("no dask command in this environment")
    c = Cluster(tmp_path_factory.mktemp("dask-cluster"))
    try:
        c.start()
        yield c
    finally:
        c.stop()


def _render(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``perfkit render ARGS`` from this checkout, to completion."""
    return subprocess.run(
        [str(PYTHON), "-c", "from perfkit.cli import main; main()", "render", *args,
         "--no-progress"],
        cwd=ROOT, env=env or _env(), capture_output=True, text=True, timeout=DEADLINE,
    )  # fmt: skip


def _units(*codes: str) -> list[str]:
    return [arg for code in codes for arg in ("--unit", code)]


def _pages(out: Path) -> dict[str, str]:
    """Every page of the year, by its path in the year's folder."""
    year = out / YEAR
    return {
        p.relative_to(year).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted([*year.glob("*.html"), *year.glob("*/*.html")])
        if not p.name.startswith(".")
    }


def _files(out: Path) -> list[str]:
    return sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )


def _manifest(out: Path) -> dict:
    return json.loads((out / ".perfkit-manifest.json").read_text(encoding="utf-8"))


def _reports(manifest: dict) -> list[str]:
    """The manifest's report keys, one per report written ("2022/SZ001", "2022/SZ001/P01" …)."""
    return sorted(manifest["reports"])


def _assert_whole(out: Path) -> None:
    """Every page parses to the end and is self-contained; every executed notebook reads."""
    for name, html in _pages(out).items():
        assert html.rstrip().endswith("</html>"), f"{name} is truncated"
        assert htmlexport.assert_self_contained(html) == [], name
    for nb in (out / YEAR / "notebooks").rglob("[!.]*.ipynb"):
        nbformat.read(nb, as_version=4)
    assert not [p for p in out.rglob("*") if ".perfkit-tmp" in p.name]


# ---------------------------------------------------------------------------------------------
# a Dask run reads as a local run


@pytest.fixture(scope="module")
def both(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """data/sample's SZ001 and SZ011 (their projects, the index and projects page) rendered
    through the cluster and by the local pool."""
    base = tmp_path_factory.mktemp("compare")
    selection = _units("SZ001", "SZ011")
    on_dask = _render(str(SAMPLE), "--out", str(base / "dask"), "--dask", cluster.address,
                      *selection)  # fmt: skip
    assert on_dask.returncode == 0, f"{on_dask.stdout}\n{on_dask.stderr}\n{cluster.log()}"
    local = _render(str(SAMPLE), "--out", str(base / "local"), "--jobs", "2", *selection)
    assert local.returncode == 0, f"{local.stdout}\n{local.stderr}"
    return base / "dask", base / "local", on_dask.stdout



@pytest.mark.slow
@pytest.mark.xdist_group("dask")
def test_dask_pages_read_as_a_local_runs(both: tuple[Path, Path, str]) -> None:
    on_dask, local, summary = both
    assert "渲染于：Dask 集群 tcp://127.0.0.1:" in summary and "2 个工作节点" in summary
    assert "共 2 个单位，成功 2 份，失败 0 份；共 3 个项目，成功 3 份，失败 0 份" in summary
    pages = _pages(on_dask)
    assert sorted(pages) == sorted(_pages(local)) == [
        "SZ001.html", "SZ001/P01.html", "SZ001/P02.html", "SZ011.html", "SZ011/P01.html",
        "index.html", "projects.html",
    ]  # fmt: skip
    for name, html in _pages(local).items():
        assert golden.sections(pages[name]) == golden.sections(html), name
    assert _files(on_dask) == _files(local)
    assert _reports(_manifest(on_dask)) == _reports(_manifest(local))
    _assert_whole(on_dask)
    # the unit's report links its projects' reports, as the local run's does
    assert 'href="SZ001/P01.html"' in pages["SZ001.html"]
