"""The worker side of a render: run one job's notebook in a warm kernel, export it, print it.

:func:`build` runs in a local worker process (:mod:`perfkit.rendering.executors`) or on a Dask
worker, and writes nothing into the output folder: it returns a
:class:`~perfkit.rendering.jobs.Built` with the page, the executed notebook and the PDF, which
the client writes. That is what lets a Dask worker on another machine render, a lost worker
cost only its own reports (the client never sees half a page), and the client keep the manifest
of what was written.

Each worker thread keeps one Jupyter kernel alive across notebooks
(:mod:`perfkit.rendering.warmkernel`), reset between them so that no report sees another's
state; the kernel is replaced after a failure other than an exception in a cell, and every
``KERNEL_MAX_UNITS`` notebooks. :func:`setup` (the pool's initializer, or the Dask worker
plugin's ``setup``; :func:`build` calls it when neither did) imports papermill and nbconvert and
builds the HTML exporter once. A kernel is started with the job's template folder as
``PERFKIT_TEMPLATES`` (a Dask worker serves runs with different ``--templates``), and replaced
when the next job's differs.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfkit.core.crashlog import os_reason, technical
from perfkit.core.problems import UsageError
from perfkit.core.text import json_text
from perfkit.data.contract import RESERVED_NAMES_TEXT, project_code_problem, unit_code_problem
from perfkit.rendering import failures, htmlexport
from perfkit.rendering import pdf as pdfprint
from perfkit.rendering.failures import Failure
from perfkit.rendering.jobs import Built, Job
from perfkit.rendering.warmkernel import remove_dead_process_folders
from perfkit.report import templating

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from perfkit.rendering.warmkernel import WarmKernel

#: a cell running longer than this is taken as hung (seconds)
CELL_TIMEOUT = 900
#: a worker's kernel is replaced after this many notebooks, to bound memory growth
KERNEL_MAX_UNITS = 100
#: prefix of the worker's scratch folders in the temp folder (see :func:`remove_stale_scratch`)
SCRATCH_PREFIX = "perfkit-work-"


class _State:
    """What one worker thread keeps between jobs: its notebooks, its kernel, a scratch folder."""

    def __init__(self, parent: int | None) -> None:
        self.parent = parent
        self.notebooks: dict[str, NotebookNode] = {}
        self.kernel: WarmKernel | None = None
        #: the template folders the kernel was started with (its PERFKIT_TEMPLATES)
        self.kernel_templates: str | None = None
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))

    def close(self) -> None:
        if self.kernel is not None:
            self.kernel.shutdown()
            self.kernel = None
        shutil.rmtree(self.scratch, ignore_errors=True)


_LOCAL = threading.local()
_STATES: list[_State] = []
_PARENT: int | None = None
_STATES_LOCK = threading.Lock()
#: whether :func:`setup` ran in this process
_READY = False
_SETUP_LOCK = threading.Lock()


def _state() -> _State:
    state = getattr(_LOCAL, "state", None)
    if state is None:
        state = _State(_PARENT)
        _LOCAL.state = state
        with _STATES_LOCK:
            _STATES.append(state)
    return state


def setup(parent: int | None = None, templates: str | None = None) -> None:
    """Prepare this process to build reports: die with ``parent`` (a local pool's client), set
    ``PERFKIT_TEMPLATES`` (the kernels started here inherit it, so the notebooks' blocks find the
    user's templates), import papermill and nbconvert, build the HTML exporter, register the
    warm-kernel engine, sweep scratch folders that killed workers left behind."""
    global _PARENT, _READY
    with _SETUP_LOCK:  # a Dask worker's plugin and a first job may both call it
        if _READY and parent is None:
            return
        _setup(parent, templates)
        _READY = True


def _setup(parent: int | None, templates: str | None) -> None:
    global _PARENT
    if parent is not None:
        _die_with_parent(parent)
    _PARENT = parent
    if templates:
        os.environ[templating.ENV_VAR] = templates
    else:
        os.environ.pop(templating.ENV_VAR, None)
    # the kernels' stylesheet leaves the font out: the exported page embeds one for the page
    os.environ["PERFKIT_BATCH"] = "1"
    # nbformat imports jsonschema, whose format checker imports rfc3987_syntax if installed, and
    # that builds a parser at import: about 2.5 s of CPU per process, for IRI formats that no
    # notebook schema uses. Workers do without it (ImportError, which jsonschema expects).
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from perfkit.rendering import warmkernel

    warmkernel.remove_stale_sockets()
    remove_stale_scratch()
    warmkernel.register_engine()
    htmlexport.exporter(templating.user_dirs(templates))
    if parent is not None:
        from multiprocessing.util import Finalize

        Finalize(None, teardown, exitpriority=10)


def teardown() -> None:
    """Shut down this process's kernels and remove its scratch folders."""
    with _STATES_LOCK:
        states, _STATES[:] = list(_STATES), []
    for state in states:
        state.close()
    _LOCAL.__dict__.pop("state", None)


def _die_with_parent(parent: int) -> None:
    """Linux: get SIGKILL when the parent dies, so that a killed ``perfkit render`` leaves no
    worker behind."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def remove_stale_scratch(root: str | None = None) -> list[Path]:
    """Remove the scratch folders of worker processes that are gone (a killed run); return them.

    A folder is named ``perfkit-work-<pid>-…``; it is removed only when no process has that pid.
    """
    return remove_dead_process_folders(Path(root or tempfile.gettempdir()), SCRATCH_PREFIX)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def missing_paths(job: Job) -> str:
    """Why this worker cannot build the job because a file the client named is not here ("" when
    all are): the data, the user's template folders, a rulebook file. The client passes absolute
    paths of its own machine; a Dask worker elsewhere must see them at the same paths."""
    missing = []
    data = job.parameters.get("data")
    if data and not os.path.exists(data):
        missing.append(f"数据 {data}")
    for folder in (job.templates or "").split(os.pathsep):
        if folder and not os.path.isdir(folder):
            missing.append(f"模板文件夹 {folder}")
    rules = job.parameters.get("rules")
    if isinstance(rules, str) and os.path.isabs(rules) and not os.path.exists(rules):
        missing.append(f"评分规则文件 {rules}")
    if not missing:
        return ""
    return (
        f"工作节点 {worker_name()} 上找不到{'、'.join(missing)}。"
        "在 Dask 集群上生成时，每个工作节点须在与本机相同的路径上看到这些文件"
        "（共享文件夹，或复制到各节点的同一路径）。"
    )


def code_problem(job: Job) -> str:
    """Why the job's unit or project code cannot name a file ("" when it can)."""
    if job.kind in ("unit", "project") and unit_code_problem(job.code):
        return (
            f"单位编码“{job.code}”不能用作文件名（只能包含字母、数字、“-”和“_”，且不能是"
            f"{RESERVED_NAMES_TEXT}），请修改单位编码后重新生成。"
        )
    if job.kind == "project" and project_code_problem(job.project):
        return (
            f"项目编码“{job.project}”不能用作文件名（只能包含字母、数字、“-”和“_”，且不能是"
            f"{RESERVED_NAMES_TEXT}），请修改项目编码后重新生成。"
        )
    return ""


def build(job: Job) -> Built:
    """Execute the job's notebook, export it to a self-contained page and, when asked, print it.

    Never raises for a report's own failure (a cell's exception, a dead kernel, a page with
    external references, an error of perfkit's own code around the notebook): that is a
    ``failed`` :class:`Built` with the reason in Chinese (:mod:`perfkit.rendering.failures`), the
    technical detail, and the executed notebook when there is one.
    """
    started = time.monotonic()

    def done(status: str, error: str = "", **fields: Any) -> Built:
        return Built(status, error, seconds=time.monotonic() - started,  # type: ignore[arg-type]
                     worker=worker_name(), **fields)  # fmt: skip

    problem = code_problem(job)
    if problem:  # validation refuses it first
        return done("failed", problem)
    missing = missing_paths(job)
    if missing:
        return done("failed", missing)
    try:
        return _build(job, done)
    except Exception as err:  # perfkit's own code around the notebook: this report fails
        failure = failures.internal_error(err)
        return done("failed", failure.message, detail=failure.detail)


def _build(job: Job, done: Any) -> Built:
    if not _READY:  # a Dask worker whose plugin did not run (it joined late, or failed)
        setup(None, None)
    state = _state()
    nb_in = copy.deepcopy(_input_notebook(state, job))
    nb_in.metadata["title"] = job.title
    parameters = dict(job.parameters)
    if job.status is not None:
        parameters["status"] = str(_status_file(state, job))
    executed, notebook, failure = _execute(state, job, nb_in, parameters)
    if executed is None or failure is not None:
        failure = failure or Failure("笔记本未能执行完成，原因不明。")
        return done("failed", failure.message, notebook=notebook, detail=failure.detail)
    try:
        name = job.project or job.code
        html = htmlexport.export_html(executed, name=name, templates=job.templates)
    except Exception as err:
        failure = failures.export_error(err)
        return done("failed", failure.message, notebook=notebook, detail=failure.detail)
    offences = htmlexport.assert_self_contained(html)
    if offences:
        error = "报告中含有外部引用或脚本，不能作为独立文件分享：" + "；".join(offences[:10])
        return done("failed", error, notebook=notebook)
    pdf, pdf_error, detail = _print(state, html) if job.pdf else (None, "", "")
    return done("ok", html=html, notebook=notebook, pdf=pdf, pdf_error=pdf_error, detail=detail)


def _print(state: _State, html: str) -> tuple[bytes | None, str, str]:
    """The page printed to PDF by headless Chromium, or (None, why not, the detail)."""
    page = state.scratch / "page.html"
    out = state.scratch / "page.pdf"
    try:
        page.write_text(html, encoding="utf-8")
        pdfprint.print_pdf(page, out)
        return out.read_bytes(), "", ""
    except pdfprint.PdfError as err:
        return None, str(err), err.detail
    except UsageError as err:
        return None, str(err), ""
    except OSError as err:
        return None, f"无法打印 PDF（{os_reason(err)}）。", technical(err)
    finally:
        page.unlink(missing_ok=True)
        out.unlink(missing_ok=True)


def _status_file(state: _State, job: Job) -> Path:
    """The job's status entries as the status file its notebook reads (in the scratch folder)."""
    path = state.scratch / "status.json"
    path.write_text(json_text(job.status), encoding="utf-8")
    return path


def _input_notebook(state: _State, job: Job) -> NotebookNode:
    """The job's notebook, parsed once per worker thread (keyed by its text)."""
    import nbformat

    key = hashlib.sha256(job.notebook_text.encode()).hexdigest()
    nb = state.notebooks.get(key)
    if nb is None:
        nb = nbformat.reads(job.notebook_text, as_version=4)
        state.notebooks[key] = nb
    return nb


def _execute(
    state: _State, job: Job, nb_in: NotebookNode, parameters: dict[str, Any]
) -> tuple[NotebookNode | None, str | None, Failure | None]:
    """Run the notebook with papermill.

    Returns (executed notebook, its JSON text, None) or (None, the partly executed notebook's
    text or None, why it stopped: which part of the report, in Chinese, and the traceback).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    folder = Path(job.notebook).parent
    cwd = str(folder if folder.is_dir() else state.scratch)
    options: dict[str, Any] = {
        "parameters": parameters,
        "kernel_name": "python3",
        "progress_bar": False,
        "request_save_on_cell_execute": False,
        "execution_timeout": CELL_TIMEOUT,
    }
    out = state.scratch / "executed.ipynb"
    out.unlink(missing_ok=True)
    executed, raised, stopped = None, None, None
    try:
        try:
            if job.reuse_kernel:
                options |= _kernel(state, nb_in, cwd, job.templates).execute_options()
            else:
                options["cwd"] = cwd
                os.environ.update(_kernel_env(job.templates))  # papermill's kernel inherits it
                if not job.templates:
                    os.environ.pop(templating.ENV_VAR, None)
            executed = papermill.execute_notebook(nb_in, str(out), **options)
        except PapermillExecutionError as err:
            raised = err
    except Exception as err:  # the kernel died, a cell timed out …: start a new kernel next time
        _shutdown_kernel(state)
        stopped = err
    text = None
    with contextlib.suppress(OSError, ValueError):
        read = out.read_text(encoding="utf-8") or None
        if executed is None:  # a partly run notebook is kept for audit only when whole
            json.loads(read or "")
        text = read
    out.unlink(missing_ok=True)
    partial = getattr(stopped, "perfkit_notebook", None)  # as far as it ran (warm engine)
    if text is None and partial is not None:
        import nbformat

        with contextlib.suppress(Exception):
            text = nbformat.writes(partial)
    where = failures.failed_cell(text)
    if raised is not None:
        failure = failures.cell_error(where, raised.ename, raised.evalue, raised.traceback)
        return None, text, failure
    if stopped is not None:
        return None, text, failures.kernel_error(stopped, where, CELL_TIMEOUT)
    return executed, text, None


def _shutdown_kernel(state: _State) -> None:
    if state.kernel is not None:
        state.kernel.shutdown()
        state.kernel = None


def _kernel_env(templates: str | None) -> dict[str, str]:
    """The environment of a kernel for jobs with these template folders."""
    env = dict(os.environ)
    env["PERFKIT_BATCH"] = "1"
    if templates:
        env[templating.ENV_VAR] = templates
    else:
        env.pop(templating.ENV_VAR, None)
    return env


def _kernel(state: _State, nb: NotebookNode, cwd: str, templates: str | None) -> WarmKernel:
    """The worker's warm kernel, reset for the next notebook: started, or replaced when it is
    worn out, lacks the notebook's imports, was started for other template folders or does not
    answer."""
    from perfkit.rendering.warmkernel import WarmKernel, imports

    modules = imports(nb)
    kernel = state.kernel
    if kernel is not None and (
        kernel.used >= KERNEL_MAX_UNITS
        or not set(modules) <= set(kernel.modules)
        or state.kernel_templates != templates
    ):
        modules = list(dict.fromkeys([*kernel.modules, *modules]))
        _shutdown_kernel(state)
    if state.kernel is not None:
        try:
            state.kernel.reset(cwd)
            return state.kernel
        except Exception:
            _shutdown_kernel(state)
    state.kernel = WarmKernel(modules, timeout=CELL_TIMEOUT, env=_kernel_env(templates))
    state.kernel_templates = templates
    state.kernel.reset(cwd)
    return state.kernel
