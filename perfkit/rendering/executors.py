"""Where the reports are built: a registry of executors, as papermill keeps one of engines.

An executor runs :func:`perfkit.rendering.worker.build` for each submitted
:class:`~perfkit.rendering.jobs.Job` and gives back a :class:`concurrent.futures.Future` of its
:class:`~perfkit.rendering.jobs.Built`; the client (:mod:`perfkit.rendering.pipeline`) writes the
files. Two are registered:

- ``local``: a pool of worker processes on this machine (:class:`LocalExecutor`);
- ``dask``: the workers of a Dask cluster (:class:`DaskExecutor`, ``--dask ADDRESS``), or a
  ``LocalCluster`` it starts (``--dask local[:N]``). Needs the optional ``dask[distributed]``.

:func:`make` picks one from the ``dask`` argument of ``render``.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from perfkit.core.problems import UsageError
from perfkit.rendering import worker
from perfkit.rendering.jobs import Built, Job

#: the message of a report whose worker died (killed, out of memory) and was not retried
LOST = "渲染进程意外退出（可能是内存不足或被终止），本报告未能生成。"


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


class DaskExecutor:
    """The workers of a Dask cluster: ``address`` of a running scheduler (``tcp://host:8786``),
    or ``local`` / ``local:N`` for a ``LocalCluster`` of N worker processes started here.

    Each worker process gets a warm kernel per thread (a worker plugin runs
    :func:`perfkit.rendering.worker.setup` there); the jobs' results (page, notebook, PDF) come
    back to this client, which writes them. A worker lost mid-run costs only the reports it was
    building: the scheduler runs them again on another worker.
    """

    def __init__(self, address: str, templates: str | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError(
                "使用 --dask 需要安装 Dask：pip install 'perfkit[dask]'"
                "（或 pip install 'dask[distributed]'）。"
            ) from None
        self._cluster = None
        spec = address.strip()
        if spec == "local" or spec.startswith("local:"):
            n = spec.partition(":")[2]
            if n and not (n.isdigit() and int(n) > 0):
                raise UsageError(f"--dask local:N 中的 N 应为正整数，而不是“{n}”。")
            count = int(n) if n else (os.cpu_count() or 1)
            self._cluster = LocalCluster(
                n_workers=count, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=40,
            )  # fmt: skip
            self._client = Client(self._cluster)
            self.where = f"Dask 本机集群（{count} 个工作进程）"
        else:
            try:
                self._client = Client(spec, timeout="20s")
            except (OSError, TimeoutError, ValueError) as err:
                raise UsageError(f"无法连接 Dask 调度器 {spec}：{err}") from None
            self.where = f"Dask 集群 {spec}"
        self._client.register_plugin(_worker_plugin(templates), name="perfkit-render")
        info = self._client.scheduler_info()
        workers = info.get("workers", {})
        if not workers:
            self._client.wait_for_workers(1, timeout=60)
            workers = self._client.scheduler_info().get("workers", {})
        self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))
        self.where += f"，{len(workers)} 个工作节点"
        self._futures: set[Any] = set()

    def submit(self, job: Job) -> Future[Built]:
        future: Future[Built] = Future()
        remote = self._client.submit(worker.build, job, pure=False, key=_task_key(job))
        self._futures.add(remote)

        def done(f: Any, relay: Callable[[Any], None] = future.set_result) -> None:
            self._futures.discard(f)
            try:
                relay(f.result())
            except BaseException as err:  # lost too often (KilledWorker), cancelled …
                if not future.done():
                    future.set_exception(err)

        remote.add_done_callback(done)
        return future

    def shutdown(self, cancel: bool = False) -> None:
        if cancel and self._futures:
            self._client.cancel(list(self._futures))
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _task_key(job: Job) -> str:
    import uuid

    return f"perfkit-{job.kind}-{job.key.replace('/', '-')}-{uuid.uuid4().hex[:8]}"


def _worker_plugin(templates: str | None) -> Any:
    """A Dask worker plugin that prepares each worker to build reports (and cleans up when the
    worker closes). Made here because Dask is an optional dependency."""
    from distributed import WorkerPlugin

    class PerfkitWorkerPlugin(WorkerPlugin):
        idempotent = True

        def __init__(self, templates: str | None) -> None:
            self.templates = templates

        def setup(self, worker: Any) -> None:
            from perfkit.rendering import worker as render_worker

            render_worker.setup(None, self.templates)

        def teardown(self, worker: Any) -> None:
            from perfkit.rendering import worker as render_worker

            render_worker.teardown()

    return PerfkitWorkerPlugin(templates)


def make(dask: str | None, jobs: int, templates: str | None) -> Executor:
    """The executor for ``render(dask=…)``: local processes when ``dask`` is None."""
    if dask:
        return DaskExecutor(dask, templates)
    return LocalExecutor(jobs, templates)
