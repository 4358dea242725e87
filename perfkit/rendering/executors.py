"""Where the reports are built: a registry of executors, as papermill keeps one of engines.

An executor runs :func:`perfkit.rendering.worker.build` for each submitted
:class:`~perfkit.rendering.jobs.Job` and gives back a :class:`concurrent.futures.Future` of its
:class:`~perfkit.rendering.jobs.Built`; the client (:mod:`perfkit.rendering.pipeline`) writes the
files. Two are registered:

- ``local``: a pool of worker processes on this machine (:class:`LocalExecutor`);
- ``dask``: the workers of a Dask cluster (:class:`DaskExecutor`, ``--dask ADDRESS``), or a
  ``LocalCluster`` it starts (``--dask local[:N]``). Needs the optional ``dask[distributed]``.

:func:`make` picks one from the ``dask`` argument of ``render``; :func:`check` checks a Dask
cluster before the run writes anything (the scheduler answers, every worker sees the data).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import multiprocessing
import os
import sys
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from perfkit.core.problems import UsageError
from perfkit.rendering import failures, worker
from perfkit.rendering.jobs import Built, Job

#: the message of a report whose worker died (killed, out of memory) and was not retried
LOST = "渲染进程意外退出（可能是内存不足或被终止）。请重新运行；仍然失败时，请检查本机内存。"


class Executor(Protocol):
    """Runs jobs somewhere; ``workers`` says how many run at once."""

    workers: int
    #: how the summary describes where the reports were built ("" for this machine)
    where: str

    def submit(self, job: Job) -> Future[Built]: ...

    def shutdown(self, cancel: bool = False) -> None: ...


# ---------------------------------------------------------------------------------------------
# local: a process pool


class LocalExecutor:
    """A pool of ``workers`` spawned worker processes, each with a warm kernel.

    The workers are spawned without re-running the user's ``__main__`` module (see
    :class:`_SpawnContext`), so a script may call ``render()`` at its top level, without the
    ``if __name__ == "__main__":`` guard that multiprocessing usually asks for.
    """

    where = ""

    def __init__(self, workers: int, templates: str | None = None) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_spawn_context(),
            initializer=worker.setup,
            initargs=(os.getpid(), templates),
        )

    def submit(self, job: Job) -> Future[Built]:
        try:
            return self._pool.submit(worker.build, job)
        except BrokenProcessPool as err:
            future: Future[Built] = Future()
            future.set_exception(err)
            return future

    def shutdown(self, cancel: bool = False) -> None:
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


def _spawn_context() -> multiprocessing.context.BaseContext:
    """The spawn context, minus the re-import of ``__main__`` where that can be left out."""
    if sys.platform == "win32":  # pragma: no cover - Windows spawns its own way
        return multiprocessing.get_context("spawn")
    return _SpawnContext()


@functools.cache
def _popen_class() -> type:
    from multiprocessing import popen_spawn_posix, spawn, util
    from multiprocessing.context import reduction, set_spawning_popen

    class Popen(popen_spawn_posix.Popen):
        # Python's own _launch (3.11–3.13), with one change: the child is not told to import the
        # parent's __main__. Our workers need nothing from it (jobs and functions live in
        # perfkit), and importing it would run a user's script again in every worker.
        def _launch(self, process_obj: Any) -> None:
            from multiprocessing import resource_tracker

            tracker_fd = resource_tracker.getfd()
            self._fds.append(tracker_fd)
            prep_data = spawn.get_preparation_data(process_obj._name)
            prep_data.pop("init_main_from_path", None)
            prep_data.pop("init_main_from_name", None)
            fp = io.BytesIO()
            set_spawning_popen(self)
            try:
                reduction.dump(prep_data, fp)
                reduction.dump(process_obj, fp)
            finally:
                set_spawning_popen(None)
            parent_r = child_w = child_r = parent_w = None
            try:
                parent_r, child_w = os.pipe()
                child_r, parent_w = os.pipe()
                cmd = spawn.get_command_line(tracker_fd=tracker_fd, pipe_handle=child_r)
                self._fds.extend([child_r, child_w])
                self.pid = util.spawnv_passfds(spawn.get_executable(), cmd, self._fds)
                self.sentinel = parent_r
                with open(parent_w, "wb", closefd=False) as f:
                    f.write(fp.getbuffer())
            finally:
                fds_to_close = [fd for fd in (parent_r, parent_w) if fd is not None]
                self.finalizer = util.Finalize(self, util.close_fds, fds_to_close)
                for fd in (child_r, child_w):
                    if fd is not None:
                        os.close(fd)

    return Popen


class _SpawnProcess(multiprocessing.context.SpawnProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        return _popen_class()(process_obj)


class _SpawnContext(multiprocessing.context.SpawnContext):
    Process = _SpawnProcess


# ---------------------------------------------------------------------------------------------
# dask

#: the message of a report whose Dask workers kept dying while building it (KilledWorker)
KILLED = "Dask 工作节点在生成本报告时多次意外退出（可能是内存不足或被终止），调度器不再重试。"
#: the message of a report whose Dask task was cancelled (the scheduler restarted or went away)
CANCELLED = (
    "Dask 任务被取消（调度器重启或与调度器的连接中断）。"
    "请在集群恢复后重新运行：只会重新生成未完成的报告。"
)
#: seconds to wait for a scheduler to answer, and for a cluster to have a worker
CONNECT_TIMEOUT = 10
WORKERS_TIMEOUT = 30
#: a hint printed with every Dask usage error
HOWTO = "详见 docs/rendering.md“在 Dask 集群上生成”。"


def _distributed() -> Any:
    """The ``distributed`` package, or a usage error saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "使用 --dask 需要安装 Dask：pip install 'perfkit[dask]'"
            "（或 pip install 'dask[distributed]'）。"
        ) from None
    return distributed


def local_workers(spec: str) -> int | None:
    """N of ``local`` / ``local:N`` (``local``: the number of CPUs), or None for an address."""
    spec = spec.strip()
    if spec != "local" and not spec.startswith("local:"):
        return None
    n = spec.partition(":")[2].strip()
    if n and not (n.isdigit() and int(n) > 0):
        raise UsageError(f"--dask local:N 中的 N 应为正整数，而不是“{n}”。")
    return int(n) if n else (os.cpu_count() or 1)


def _connect(address: str) -> Any:
    """A client of the scheduler at ``address``; a clear usage error when it does not answer."""
    from urllib.parse import urlsplit

    distributed = _distributed()
    unreachable = (
        f"无法连接 Dask 调度器 {address}"
        "：请确认调度器已启动（dask scheduler）、地址和端口正确，且本机能访问它。"
    )
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme == "tcp":  # refused, unknown host: say so at once, not after the timeout
        import socket

        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            host = port = None
        if not host or not port:
            raise UsageError(f"Dask 调度器地址“{address}”无效，应形如 tcp://主机:端口。")
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
        except OSError as err:
            raise UsageError(f"{unreachable}（{err.strerror or err}）") from None
    try:
        return distributed.Client(address, timeout=f"{CONNECT_TIMEOUT}s", set_as_default=False)
    except ValueError as err:  # an unknown scheme …
        raise UsageError(f"Dask 调度器地址“{address}”无效：{err}") from None
    except (OSError, TimeoutError) as err:
        raise UsageError(f"{unreachable}（{err}）") from None


def _wait_for_workers(client: Any, address: str) -> dict[str, Any]:
    """The cluster's workers (address → info), waiting a while for the first to join."""
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    if not workers:
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except (TimeoutError, OSError):
            raise UsageError(
                f"Dask 调度器 {address} 在 {WORKERS_TIMEOUT} 秒内没有任何工作节点：请先在各台机器上"
                f"启动 dask worker {address} --nthreads 1（须已安装 perfkit）。{HOWTO}"
            ) from None
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
    return workers


def _check_workers(client: Any, paths: dict[str, str], pdf: bool) -> None:
    """Every worker can import perfkit, sees each of ``paths`` (absolute path → what) at the same
    path as this machine and, with ``pdf``, has Chromium; else a usage error naming the workers
    and what they miss."""

    def sees(paths: list[str], pdf: bool) -> dict[str, Any]:
        # defined in a function, so pickled by value: runs even on a worker without perfkit
        import importlib.util
        import os
        import shutil
        import socket

        names = [os.environ.get("PERFKIT_CHROMIUM") or ""]
        names += ["chromium", "chromium-browser", "google-chrome", "chrome"]
        return {
            "host": socket.gethostname(),
            "missing": [p for p in paths if not os.path.exists(p)],
            "perfkit": importlib.util.find_spec("perfkit") is not None,
            "chromium": not pdf or any(shutil.which(n) for n in names if n),
        }

    seen = client.run(sees, list(paths), pdf, on_error="return")
    problems = []
    for address, answer in sorted(seen.items()):
        if isinstance(answer, BaseException):
            problems.append(f"  - {address}：无法运行检查（{type(answer).__name__}: {answer}）")
            continue
        where = f"{address}（主机 {answer['host']}）"
        if not answer["perfkit"]:
            problems.append(f"  - {where}：没有安装 perfkit")
        for path in answer["missing"]:
            problems.append(f"  - {where}：找不到{paths[path]} {path}")
        if not answer["chromium"]:
            problems.append(f"  - {where}：没有 Chromium，不能生成 PDF（--pdf）")
    if problems:
        raise UsageError(
            "Dask 工作节点不能生成这些报告：\n"
            + "\n".join(problems)
            + "\n每个工作节点须安装 perfkit（--pdf 还须安装 Chromium），并在与本机相同的路径上"
            "看到数据（以及 --templates、--rules 指定的文件）：请使用共享文件夹，"
            f"或把它们复制到各节点的同一路径。{HOWTO}"
        )


def check(
    dask: str | None,
    data: str,
    templates: str | None = None,
    rules: str | None = None,
    pdf: bool = False,
) -> None:
    """What can be checked of ``render(dask=…)`` before anything is written: Dask is installed,
    ``local:N`` is well formed, a scheduler's address answers and has workers, and every worker
    has perfkit (and, with ``pdf``, Chromium) and sees the data, the template folders and a
    rulebook file (``rules`` when it is an absolute path) at the same paths as this machine.
    Raises :class:`UsageError` (exit code 2)."""
    if not dask:
        return
    _distributed()
    if local_workers(dask) is not None:
        return  # this machine's processes see what this process sees
    paths = {data: "数据"}
    for folder in (templates or "").split(os.pathsep):
        if folder:
            paths[folder] = "模板文件夹"
    if rules and os.path.isabs(rules):
        paths[rules] = "评分规则文件"
    address = dask.strip()
    client = _connect(address)
    try:
        _wait_for_workers(client, address)
        _check_workers(client, paths, pdf)
    finally:
        client.close()


class DaskExecutor:
    """The workers of a Dask cluster: ``address`` of a running scheduler (``tcp://host:8786``),
    or ``local`` / ``local:N`` for a ``LocalCluster`` of N worker processes started here.

    Each worker process gets a warm kernel per thread (a worker plugin runs
    :func:`perfkit.rendering.worker.setup` there); the jobs' results (page, notebook, PDF) come
    back to this client, which writes them. A worker lost mid-run costs only the reports it was
    building: the scheduler runs them again on another worker (up to the scheduler's
    ``distributed.scheduler.allowed-failures`` times; then the report fails with
    :data:`KILLED`).
    """

    def __init__(self, address: str, templates: str | None = None) -> None:
        distributed = _distributed()
        self._cluster = None
        spec = address.strip()
        count = local_workers(spec)
        if count is not None:
            import dask

            # a worker holds only the report it is building: one that dies takes no queued
            # report down with it (each counts towards the report's allowed failures)
            with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
                # on this machine only; no dashboard, and the scheduler's HTTP server (health,
                # metrics) on a free port rather than 8787, which another cluster may hold
                self._cluster = distributed.LocalCluster(
                    n_workers=count, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, silence_logs=40,
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                )  # fmt: skip
            self._client = distributed.Client(self._cluster, set_as_default=False)
            self.where = f"Dask 本机集群（{count} 个工作进程）"
        else:
            self._client = _connect(spec)
            self.where = f"Dask 集群 {spec}"
        try:
            workers = _wait_for_workers(self._client, spec)
            try:
                self._client.register_plugin(
                    _worker_plugin(self._cluster is not None), name="perfkit-render"
                )
            except Exception as err:
                raise UsageError(
                    f"Dask 工作节点未能准备生成报告（{type(err).__name__}: {err}）：请确认每个"
                    f"工作节点都安装了与本机相同版本的 perfkit。{HOWTO}"
                ) from None
        except BaseException:
            self.shutdown()
            raise
        self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))
        if self._cluster is None:
            self.where += f"，{len(workers)} 个工作节点（{self.workers} 个线程）"
        self._futures: set[Any] = set()

    def submit(self, job: Job) -> Future[Built]:
        future: Future[Built] = Future()
        try:
            remote = self._client.submit(worker.build, job, pure=False, key=_task_key(job))
        except Exception:  # the client closed: the connection to the scheduler was lost
            future.set_result(Built("failed", CANCELLED))
            return future
        self._futures.add(remote)

        def done(f: Any) -> None:
            # runs in the client's callback thread; never raises
            self._futures.discard(f)
            built = _built(f)
            if not future.done():
                future.set_result(built)

        remote.add_done_callback(done)
        return future

    def shutdown(self, cancel: bool = False) -> None:
        with contextlib.suppress(Exception):
            if cancel and self._futures:
                self._client.cancel(list(self._futures))
        with contextlib.suppress(Exception):
            self._client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()


def _built(remote: Any) -> Built:
    """A finished Dask future's result: the worker's :class:`Built`, or a failed one saying why
    the task did not finish (its workers kept dying, it was cancelled, a bug)."""
    from distributed import KilledWorker

    try:
        return remote.result()  # type: ignore[no-any-return]
    except KilledWorker:
        return Built("failed", KILLED)
    except (CancelledError, asyncio.CancelledError):
        return Built("failed", CANCELLED)
    except BaseException as err:  # a bug, or a connection lost in a way Dask did not name
        failure = failures.internal_error(err)
        return Built("failed", failure.message, detail=failure.detail)


def _task_key(job: Job) -> str:
    import uuid

    return f"perfkit-{job.kind}-{job.key.replace('/', '-')}-{uuid.uuid4().hex[:8]}"


def _worker_plugin(local: bool) -> Any:
    """A Dask worker plugin that prepares each worker to build reports (and shuts its kernels
    down when the worker closes). Made here because Dask is an optional dependency.

    ``local``: the workers of the ``LocalCluster`` this client started ignore Ctrl-C, which
    reaches every process of the terminal's process group: the client stops them (and their
    kernels) as it stops (a worker of ``dask worker`` stops on its own terminal's Ctrl-C)."""
    from distributed import WorkerPlugin

    class PerfkitWorkerPlugin(WorkerPlugin):
        idempotent = True

        def __init__(self, local: bool) -> None:
            self.local = local

        async def setup(self, worker: Any) -> None:
            from perfkit.rendering import worker as render_worker

            if self.local:
                import signal

                with contextlib.suppress(ValueError):  # not the main thread: leave it
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
            # seconds of imports: in a thread, not in the worker's event loop (its heartbeats)
            # (each job carries its template folders)
            await asyncio.to_thread(render_worker.setup, None, None)

        def teardown(self, worker: Any) -> None:
            from perfkit.rendering import worker as render_worker

            render_worker.teardown()

    return PerfkitWorkerPlugin(local)


def make(dask: str | None, jobs: int, templates: str | None) -> Executor:
    """The executor for ``render(dask=…)``: local processes when ``dask`` is None."""
    if dask:
        return DaskExecutor(dask, templates)
    return LocalExecutor(jobs, templates)
