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
    return json.loads((out / "_internal" / "manifest.json").read_text(encoding="utf-8"))


def _reports(manifest: dict) -> list[str]:
    """The manifest's report keys, one per report written ("2022/SZ001", "2022/SZ001/P01" …)."""
    return sorted(manifest["reports"])


def _assert_whole(out: Path) -> None:
    """Every page parses to the end and is self-contained; every executed notebook reads."""
    for name, html in _pages(out).items():
        assert html.rstrip().endswith("</html>"), f"{name} is truncated"
        assert htmlexport.assert_self_contained(html) == [], name
    for nb in (out / "_internal" / YEAR).rglob("[!.]*.ipynb"):
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


# ---------------------------------------------------------------------------------------------
# failures stay with their report; a worker lost mid-run costs nothing

#: inserted after the unit notebook's parameters: records which worker and kernel run the unit,
#: then (by unit code) raises, or kills the kernel's worker process
PROBE = """
import json as _json, os as _os, signal as _signal, time as _time
with open(_os.path.join({probes!r}, f"{{unit_code}}-{{_os.getpid()}}.json"), "w") as _fh:
    _json.dump({{"worker": _os.getppid(), "kernel": _os.getpid()}}, _fh)
if unit_code in {raises!r}:
    raise ValueError("测试用错误：<b>预算数据不完整</b>")
if unit_code in {kills!r}:
    _os.kill(_os.getppid(), _signal.SIGKILL)
_time.sleep({pause})
"""


def _probe_notebook(
    folder: Path, probes: Path, raises: tuple[str, ...] = (), kills: tuple[str, ...] = (),
    pause: float = 0,
) -> Path:  # fmt: skip
    """The unit notebook with :data:`PROBE` after its parameters, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    probes.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(NOTEBOOKS / "unit_report.ipynb", as_version=4)
    after = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    code = PROBE.format(probes=str(probes), raises=list(raises), kills=list(kills), pause=pause)
    nb.cells.insert(after + 1, nbformat.v4.new_code_cell(code))
    nbformat.write(nb, folder / "unit_report.ipynb")
    return folder / "unit_report.ipynb"


def _probes(probes: Path) -> dict[str, list[dict[str, int]]]:
    """{unit code: [{worker, kernel}, …]}: who ran each unit's notebook, each time it ran."""
    seen: dict[str, list[dict[str, int]]] = {}
    for path in sorted(probes.glob("*.json")):
        with contextlib.suppress(ValueError):  # being written
            seen.setdefault(path.stem.split("-")[0], []).append(json.loads(path.read_text()))
    return seen


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    return False


def _wait_until_gone(pids: set[int]) -> set[int]:
    """The pids still alive after waiting a while for them to exit."""
    deadline = time.monotonic() + 60
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return {p for p in pids if _alive(p)}


def _wait_for_probe(probes: Path, run: subprocess.Popen[str]) -> dict[str, list[dict[str, int]]]:
    deadline = time.monotonic() + DEADLINE
    while not (seen := _probes(probes)):
        if run.poll() is not None:
            out, err = run.communicate()
            pytest.fail(f"render ended (code {run.returncode}) before a unit ran:\n{out}\n{err}")
        assert time.monotonic() < deadline, "no unit started"
        time.sleep(0.1)
    return seen


@pytest.mark.slow
@pytest.mark.xdist_group("dask")
def test_failing_report_and_dying_worker_fail_alone(cluster: Cluster, tmp_path: Path) -> None:
    """SZ002's notebook raises; SZ003's kills its worker every time (the scheduler gives up after
    two: KilledWorker); SZ001 and the index are written; exit code 1."""
    probes = tmp_path / "probes"
    notebook = _probe_notebook(tmp_path / "nb", probes, raises=("SZ002",), kills=("SZ003",))
    out = tmp_path / "reports"
    run = _render(str(SAMPLE), "--out", str(out), "--dask", cluster.address, "--level", "unit",
                  "--notebook", str(notebook), *_units("SZ001", "SZ002", "SZ003"))  # fmt: skip
    assert run.returncode == 1, f"{run.stdout}\n{run.stderr}\n{cluster.log()}"
    assert "Traceback" not in run.stderr
    assert "2022年度：共 3 个单位，成功 1 份，失败 2 份。" in run.stdout
    assert (
        "SZ002 苏州市公共阅读服务中心：生成笔记本的第 2 个代码单元时出错：测试用错误：<b>预算"
        in run.stdout
    )
    assert "ValueError" not in run.stdout
    assert f"SZ003 苏州市卫生监测评价中心：{executors.KILLED}" in run.stdout
    # SZ003 ran on two workers, each killed by it
    assert len({p["worker"] for p in _probes(probes)["SZ003"]}) == 2
    year = out / YEAR
    failed = (year / "SZ002.html").read_text(encoding="utf-8")
    assert "本报告未能生成" in failed
    assert "测试用错误：&lt;b&gt;预算数据不完整&lt;/b&gt;" in failed and "ValueError" not in failed
    records = out / "_internal" / YEAR
    audit = nbformat.read(records / "SZ002.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in audit.cells for o in c.get("outputs", []))
    lost = (year / "SZ003.html").read_text(encoding="utf-8")
    assert "本报告未能生成" in lost and "多次意外退出" in lost
    assert not (records / "SZ003.ipynb").exists()
    assert "苏州市智慧审判保障中心" in (year / "SZ001.html").read_text(encoding="utf-8")
    status = json.loads((records / "status.json").read_text(encoding="utf-8"))
    assert [(s["unit_code"], s["status"]) for s in status] == [
        ("SZ001", "ok"), ("SZ002", "failed"), ("SZ003", "failed"),
    ]  # fmt: skip
    manifest = _manifest(out)["reports"]
    assert sorted(manifest) == ["2022/SZ001", "2022/SZ002", "2022/SZ003", "2022/index"]
    assert manifest["2022/SZ003"]["status"] == "failed"
    _assert_whole(out)
    # the killed workers' kernels did not outlive them; the nannies restarted the workers
    assert _wait_until_gone({p["kernel"] for p in _probes(probes)["SZ003"]}) == set()
    cluster.wait_for_workers(2)


@pytest.mark.slow
@pytest.mark.xdist_group("dask")
def test_worker_killed_mid_run_costs_nothing(cluster: Cluster, tmp_path: Path) -> None:
    """SIGKILL the worker building the first report: the scheduler builds it again on the other
    worker, and every report is written exactly once, whole; exit code 0."""
    cluster.wait_for_workers(2)
    probes = tmp_path / "probes"
    notebook = _probe_notebook(tmp_path / "nb", probes, pause=2)
    out = tmp_path / "reports"
    units = ("SZ001", "SZ002", "SZ003", "SZ004")
    run = subprocess.Popen(
        [str(PYTHON), "-c", "from perfkit.cli import main; main()", "render", str(SAMPLE),
         "--out", str(out), "--dask", cluster.address, "--level", "unit", "--no-progress",
         "--notebook", str(notebook), *_units(*units)],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        first = _wait_for_probe(probes, run)
        (victim_unit, [victim]) = next(iter(first.items()))
        os.kill(victim["worker"], signal.SIGKILL)
        stdout, stderr = run.communicate(timeout=DEADLINE)
    finally:
        if run.poll() is None:
            _stop(run)
    assert run.returncode == 0, f"{stdout}\n{stderr}\n{cluster.log()}"
    assert "2022年度：共 4 个单位，成功 4 份，失败 0 份。" in stdout
    assert "本次生成 5 份" in stdout
    # the victim's report was built again, by another worker
    again = _probes(probes)[victim_unit]
    assert len(again) == 2 and len({p["worker"] for p in again}) == 2
    pages = _pages(out)
    assert sorted(pages) == sorted([*(f"{u}.html" for u in units), "index.html"])
    for code in units:
        assert f"{code}.html" in pages["index.html"]
    manifest = _manifest(out)["reports"]
    assert sorted(manifest) == sorted([*(f"2022/{u}" for u in units), "2022/index"])
    assert all(e["status"] == "ok" and e["fingerprint"] for e in manifest.values())
    _assert_whole(out)
    assert _wait_until_gone({victim["worker"], victim["kernel"]}) == set()
    cluster.wait_for_workers(2)


# ---------------------------------------------------------------------------------------------
# --dask local:N


@pytest.mark.slow
@pytest.mark.xdist_group("dask")
def test_local_cluster_renders_and_leaves_no_process(tmp_path: Path) -> None:
    probes = tmp_path / "probes"
    notebook = _probe_notebook(tmp_path / "nb", probes)
    out = tmp_path / "reports"
    run = _render(str(SAMPLE), "--out", str(out), "--dask", "local:2", "--level", "unit",
                  "--notebook", str(notebook), *_units("SZ001", "SZ002"))  # fmt: skip
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    assert "2022年度：共 2 个单位，成功 2 份，失败 0 份。" in run.stdout
    assert "渲染于：Dask 本机集群（2 个工作进程）" in run.stdout
    assert sorted(_pages(out)) == ["SZ001.html", "SZ002.html", "index.html"]
    _assert_whole(out)
    seen = [p for runs in _probes(probes).values() for p in runs]
    assert len(seen) == 2
    assert _wait_until_gone({p[k] for p in seen for k in ("worker", "kernel")}) == set()


@pytest.mark.slow
@pytest.mark.xdist_group("dask")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_local_cluster_leaves_no_process(tmp_path: Path, sig: signal.Signals) -> None:
    probes = tmp_path / "probes"
    notebook = _probe_notebook(tmp_path / "nb", probes, pause=30)
    out = tmp_path / "reports"
    run = subprocess.Popen(
        [str(PYTHON), "-c", "from perfkit.cli import main; main()", "render", str(SAMPLE),
         "--out", str(out), "--dask", "local:2", "--level", "unit", "--no-progress",
         "--notebook", str(notebook), *_units("SZ001", "SZ002", "SZ003")],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for_probe(probes, run)
        # Ctrl-C in a terminal signals the whole foreground process group
        (os.killpg if sig == signal.SIGINT else os.kill)(run.pid, sig)
        stdout, stderr = run.communicate(timeout=DEADLINE)
    finally:
        if run.poll() is None:
            _stop(run)
    if sig == signal.SIGINT:
        assert run.returncode == 130, stderr
        assert "已中断。" in stderr and "Aborted" not in stderr
        assert "Traceback" not in stderr
    else:
        assert run.returncode == -signal.SIGTERM
    assert "2022年度" not in stdout  # stopped before the end
    seen = [p for runs in _probes(probes).values() for p in runs]
    assert _wait_until_gone({p[k] for p in seen for k in ("worker", "kernel")}) == set()
    _assert_whole(out)


# ---------------------------------------------------------------------------------------------
# usage errors: exit code 2, a Chinese message, nothing written


def test_unreachable_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    out = tmp_path / "reports"
    run = _render(str(SAMPLE), "--out", str(out), "--dask", address, "--unit", "SZ001")
    assert run.returncode == 2, f"{run.stdout}\n{run.stderr}"
    assert f"错误：无法连接 Dask 调度器 {address}" in run.stderr
    assert "Traceback" not in run.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("local:x", "--dask local:N 中的 N 应为正整数，而不是“x”"),
        ("local:0", "--dask local:N 中的 N 应为正整数，而不是“0”"),
        ("foo://bar:1", "Dask 调度器地址“foo://bar:1”无效"),
        ("tcp://nohost", "Dask 调度器地址“tcp://nohost”无效"),
    ],
)
def test_bad_dask_address_is_a_usage_error(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        executors.check(spec, str(SAMPLE))


def test_missing_dask_says_how_to_install_it(tmp_path: Path, monkeypatch) -> None:
    from perfkit.rendering.pipeline import render

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    with pytest.raises(UsageError, match=re.escape("pip install 'perfkit[dask]'")):
        render(SAMPLE, out=tmp_path / "reports", units=["SZ001"], dask="local:2", progress=False)
    assert not (tmp_path / "reports").exists()


class _Workers:
    """A stand-in for a Dask client whose ``run`` runs the function here, as two workers."""

    def run(self, fn, *args, on_error: str = "raise"):
        return {"tcp://10.0.0.7:4001": fn(*args), "tcp://10.0.0.8:4001": fn(*args)}


def test_workers_that_miss_the_data_are_named(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere" / "data")
    with pytest.raises(UsageError) as err:
        executors._check_workers(_Workers(), {missing: "数据", str(SAMPLE): "数据"}, pdf=False)
    message = str(err.value)
    host = socket.gethostname()
    for address in ("tcp://10.0.0.7:4001", "tcp://10.0.0.8:4001"):
        assert f"{address}（主机 {host}）：找不到数据 {missing}" in message
    assert str(SAMPLE) not in message
    assert "相同的路径" in message
    executors._check_workers(_Workers(), {str(SAMPLE): "数据"}, pdf=False)  # all there: fine


def test_worker_without_the_data_fails_the_report_saying_so(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere" / "data")
    job = Job(kind="unit", year=2022, code="SZ001", name="", title="", notebook="",
              notebook_text="{}", parameters={"data": missing, "rules": str(tmp_path / "r.toml")},
              folder=str(tmp_path), templates=str(tmp_path / "tpl"))  # fmt: skip
    message = worker.missing_paths(job)
    assert message.startswith(f"工作节点 {worker.worker_name()} 上找不到数据 {missing}、")
    assert f"模板文件夹 {tmp_path / 'tpl'}" in message and f"评分规则文件 {tmp_path}" in message
    ok = Job(kind="unit", year=2022, code="SZ001", name="", title="", notebook="",
             notebook_text="{}", parameters={"data": str(SAMPLE), "rules": "mof2020"},
             folder=str(tmp_path))  # fmt: skip
    assert worker.missing_paths(ok) == ""


def _can_unshare() -> bool:
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False)
    return shutil.which("unshare") is not None and probe.returncode == 0


@pytest.mark.slow
@pytest.mark.xdist_group("dask")
def test_data_only_the_client_sees_is_refused_naming_the_workers(
    cluster: Cluster, tmp_path: Path
) -> None:
    """The client runs in a mount namespace of its own, with the data on a tmpfs the workers do
    not see: exit 2 before anything is written, each worker named."""
    if not shutil.which("unshare") or not _can_unshare():
        pytest.skip("needs unshare --mount (root, or user namespaces)")
    private = tmp_path / "private"
    private.mkdir()
    out = tmp_path / "reports"
    script = (
        f'mount -t tmpfs tmpfs "{private}" && cp -r "{SAMPLE}" "{private}/sample" && '
        f'exec "{PYTHON}" -c "from perfkit.cli import main; main()" render "{private}/sample" '
        f'--out "{out}" --dask {cluster.address} --unit SZ001 --no-progress'
    )
    run = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=DEADLINE,
    )  # fmt: skip
    assert run.returncode == 2, f"{run.stdout}\n{run.stderr}"
    assert "Traceback" not in run.stderr
    assert run.stderr.count(f"找不到数据 {private}/sample") == 2, run.stderr
    for address in cluster.wait_for_workers(2):
        assert address in run.stderr
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.xdist_group("dask")
def test_each_run_gets_its_own_templates_on_a_running_cluster(
    cluster: Cluster, tmp_path: Path
) -> None:
    """The cluster's warm kernels serve one run with --templates, then one without: each page
    has its own run's wording (the kernels see the job's PERFKIT_TEMPLATES)."""
    from perfkit.report import templating

    default = "并作为改进预算管理、安排以后年度预算的重要参考。"
    mine = "并作为本单位改进预算管理、编制下一年度预算的重要依据。"
    source = templating.package_dir() / "blocks" / "disclosure_section.html.j2"
    (tmp_path / "tpl" / "blocks").mkdir(parents=True)
    text = source.read_text(encoding="utf-8")
    assert default in text
    (tmp_path / "tpl" / "blocks" / source.name).write_text(text.replace(default, mine), "utf-8")
    pages = {}
    for name, extra in (("with", ["--templates", str(tmp_path / "tpl")]), ("without", [])):
        out = tmp_path / name
        run = _render(str(SAMPLE), "--out", str(out), "--dask", cluster.address, "--level",
                      "unit", "--unit", "SZ003", *extra)  # fmt: skip
        assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n{cluster.log()}"
        pages[name] = (out / YEAR / "SZ003.html").read_text(encoding="utf-8")
    assert mine in pages["with"] and default not in pages["with"]
    assert default in pages["without"] and mine not in pages["without"]


# ---------------------------------------------------------------------------------------------
# issue 16 §5: losing the cluster loses nothing


def _published(out: Path) -> dict[str, bytes]:
    """Every page of the year and every executed notebook, by its path in the output folder."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted([*(out / YEAR).rglob("*.html"), *(out / "_internal").rglob("*.ipynb")])
        if not p.name.startswith(".")
    }


@pytest.mark.slow
@pytest.mark.xdist_group("dask")
def test_a_scheduler_killed_during_a_forced_rerender_loses_no_good_page(tmp_path: Path) -> None:
    """A cluster of its own renders four units; a --force render is under way when its
    scheduler is killed (SIGKILL): every report that could not be rendered again keeps the page
    and the audit notebook the first run wrote, the summary and the index say which and why
    (exit code 1), and the next run renders them."""
    if not DASK.exists():
        pytest.skip("no dask command in this environment")
    probes = tmp_path / "probes"
    notebook = _probe_notebook(tmp_path / "nb", probes, pause=4)
    out = tmp_path / "reports"
    units = ("SZ001", "SZ002", "SZ003", "SZ004")
    selection = ["--level", "unit", "--notebook", str(notebook), *_units(*units)]
    (tmp_path / "cluster").mkdir()
    own = Cluster(tmp_path / "cluster")
    try:
        own.start()
        first = _render(str(SAMPLE), "--out", str(out), "--dask", own.address, *selection)
        assert first.returncode == 0, f"{first.stdout}\n{first.stderr}\n{own.log()}"
        good = _published(out)
        assert len(good) == 10  # 4 pages and the index, their 5 notebooks
        shutil.rmtree(probes)
        probes.mkdir()
        run = subprocess.Popen(
            [str(PYTHON), "-c", "from perfkit.cli import main; main()", "render", str(SAMPLE),
             "--out", str(out), "--dask", own.address, "--force", "--no-progress", *selection],
            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        try:
            _wait_for_probe(probes, run)
            os.killpg(own.procs[0].pid, signal.SIGKILL)  # the scheduler
            stdout, stderr = run.communicate(timeout=DEADLINE)
        finally:
            if run.poll() is None:
                _stop(run)
    finally:
        own.stop()
    assert run.returncode == 1, f"{stdout}\n{stderr}"
    assert "Traceback" not in stderr
    after = _published(out)
    assert sorted(after) == sorted(good)  # no page, no notebook lost
    kept = [u for u in units if after[f"{YEAR}/{u}.html"] == good[f"{YEAR}/{u}.html"]]
    assert kept, "the scheduler died after every report came back: nothing was tested"
    for name, html in after.items():
        if name.endswith(".html"):
            assert "本报告未能生成" not in html.decode("utf-8"), name  # never an error page
    for code in kept:
        assert after[f"_internal/{YEAR}/{code}.ipynb"] == good[f"_internal/{YEAR}/{code}.ipynb"]
        line = next(line for line in stdout.splitlines() if f"2022年度 {code} " in line)
        assert "Dask 任务被取消" in line and line.endswith(
            "已保留上次生成的报告（内容为上次生成时的数据）。"
        )
    manifest = _manifest(out)["reports"]
    assert all(manifest[f"{YEAR}/{code}"]["status"] == "failed" for code in kept)
    # the next run (here on this machine) renders what failed, and only that
    again = _render(str(SAMPLE), "--out", str(out), "--jobs", "2", *selection)
    assert again.returncode == 0, f"{again.stdout}\n{again.stderr}"
    assert "成功 4 份，失败 0 份" in again.stdout
    for code in kept:
        assert _published(out)[f"{YEAR}/{code}.html"] != good[f"{YEAR}/{code}.html"]
