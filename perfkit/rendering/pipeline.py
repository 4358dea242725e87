"""Batch rendering: every unit's report and each year's index, in a pool of worker processes.

``render(data, out="reports")`` loads and validates the dataset once (an invalid dataset raises
:class:`~perfkit.core.problems.InvalidInput` before anything is written), takes the output folder's
lock, then executes the unit notebook (``perfkit/report/notebooks/unit_report.ipynb``, package
data) once per unit through papermill's Python API in a pool of worker processes, exports each
executed notebook to HTML in-process with nbconvert (:mod:`perfkit.rendering.htmlexport`) and
writes, per year::

    reports/<年度>/<单位编码>.html            the report (or, when it failed, an error page)
    reports/<年度>/<单位编码>.pdf             with pdf=True, printed by headless Chromium
    reports/<年度>/index.html                 the overview notebook: the year's index
    reports/<年度>/notebooks/<单位编码>.ipynb  the executed notebook, for audit
    reports/<年度>/notebooks/index.ipynb      the executed overview notebook
    reports/<年度>/notebooks/status.json      what each unit's render gave, read by the index

Every file is written atomically (:mod:`perfkit.core.atomic`). A unit that fails does not stop the
others; it gets an error page, is marked failed in the index, and the exit code becomes 1.

Speed: each worker imports papermill and nbconvert and compiles the template once, and keeps one
Jupyter kernel alive across units (:mod:`perfkit.rendering.warmkernel`: papermill would start a
kernel, and the notebook re-import pandas, matplotlib and perfkit, for every unit), reset between
units so that no unit sees another's state. The kernel is replaced after a failure other than an
exception in a cell, and every ``KERNEL_MAX_UNITS`` notebooks. See docs/rendering.md.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from perfkit.core import atomic
from perfkit.core.problems import UsageError
from perfkit.data.contract import unit_code_problem
from perfkit.rendering import htmlexport
from perfkit.rendering import pdf as pdfprint
from perfkit.report import templating

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from perfkit.data.dataset import Dataset
    from perfkit.rendering.warmkernel import WarmKernel

#: the notebooks, shipped inside the package (package data; the repository's ``notebooks/`` holds
#: the same files, for JupyterLab: tests/test_packaging.py checks they are equal)
NOTEBOOKS = Path(str(files("perfkit.report").joinpath("notebooks")))
UNIT_NOTEBOOK = "unit_report.ipynb"
OVERVIEW_NOTEBOOK = "overview.ipynb"
LOCK_NAME = ".perfkit-render.lock"
#: a cell running longer than this is taken as hung (seconds)
CELL_TIMEOUT = 900
#: a worker's kernel is replaced after this many notebooks, to bound memory growth
KERNEL_MAX_UNITS = 100
UNIT_TITLE = "{unit_name} {year}年度 部门（单位）整体支出预算绩效自评报告"
INDEX_TITLE = "{year}年度 部门（单位）整体支出绩效自评 汇总"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class RenderLocked(UsageError):
    """Another ``perfkit render`` holds the output folder (the CLI exits with code 2)."""


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class UnitResult:
    """What rendering one unit (or one year's index, ``unit_code == "index"``) gave."""

    year: int
    unit_code: str
    unit_name: str
    status: Literal["ok", "failed"]
    #: why it failed: the exception's name and message, as the notebook raised it ("" when ok)
    error: str = ""
    html: Path | None = None
    notebook: Path | None = None
    pdf: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class RenderResult:
    """The outcome of :func:`render`: one :class:`UnitResult` per unit, and each year's index."""

    out: Path
    units: list[UnitResult] = field(default_factory=list)
    indexes: list[UnitResult] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def failed(self) -> list[UnitResult]:
        return [r for r in (*self.units, *self.indexes) if not r.ok]

    @property
    def exit_code(self) -> int:
        """0 when every report and index was generated, 1 when any failed."""
        return 1 if self.failed else 0

    def summary(self) -> str:
        """The Chinese summary printed at the end of a run."""
        lines = []
        for year in sorted({r.year for r in (*self.units, *self.indexes)}):
            units = [r for r in self.units if r.year == year]
            ok = sum(r.ok for r in units)
            lines.append(
                f"{year}年度：共 {len(units)} 个单位，成功 {ok} 份，失败 {len(units) - ok} 份。"
            )
        if self.failed:
            lines.append("未能生成的报告：")
            for r in self.failed:
                what = f"{r.unit_code} {r.unit_name}"
                if r.unit_code == "index":
                    what = "汇总页 index.html"
                lines.append(f"  - {r.year}年度 {what}：{_first_line(r.error)}")
        lines.append(f"输出目录：{self.out}")
        lines.append(f"用时：{self.elapsed:.1f} 秒")
        return "\n".join(lines)


def _first_line(text: str, limit: int = 200) -> str:
    line = next((s for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# the plan: which units of which years


@dataclass(frozen=True)
class _Job:
    """One notebook to execute and export (picklable: it crosses into a worker process)."""

    kind: Literal["unit", "index"]
    year: int
    code: str
    name: str
    title: str
    notebook: str
    parameters: dict[str, Any]
    folder: str
    pdf: bool = False
    reuse_kernel: bool = True
    #: the user's template folder (absolute), or None for the package's templates only
    templates: str | None = None


def _units_by_year(
    ds: Dataset, years: Sequence[int] | None, units: Sequence[str] | None
) -> dict[int, list[tuple[str, str]]]:
    """{year: [(unit_code, unit_name)]}: the units with budget or indicator rows that year
    (their own 部门整体 rows: rows with a 项目编码 are a project's table, issue 11)."""
    import pandas as pd

    pairs = pd.concat(
        [t.loc[t["project_code"] == "", ["year", "unit_code"]] for t in (ds.budget, ds.indicators)]
    ).drop_duplicates()
    have = sorted(int(y) for y in pairs["year"].unique())
    if years:
        wanted_years = sorted({int(y) for y in years})
        missing = [y for y in wanted_years if y not in have]
        if missing:
            raise UsageError(
                f"数据中没有 {'、'.join(map(str, missing))} 年度的记录；"
                f"数据包含的年度：{'、'.join(map(str, have)) or '无'}。"
            )
        pairs = pairs[pairs["year"].isin(wanted_years)]
    if units:
        wanted = list(dict.fromkeys(str(u).strip() for u in units))
        unknown = [u for u in wanted if u not in set(pairs["unit_code"])]
        if unknown:
            raise UsageError(f"所选年度的数据中没有这些单位编码：{'、'.join(unknown)}。")
        pairs = pairs[pairs["unit_code"].isin(wanted)]
    plan: dict[int, list[tuple[str, str]]] = {}
    for year, code in sorted(
        zip(pairs["year"].astype(int), pairs["unit_code"].astype(str), strict=True)
    ):
        plan.setdefault(year, []).append((code, ds.unit_name(code)))
    return plan


def _notebook_paths(notebook: str | os.PathLike[str] | None) -> tuple[Path, Path]:
    """The unit notebook and the overview notebook (beside it, else the repository's)."""
    unit = Path(notebook).resolve() if notebook else NOTEBOOKS / UNIT_NOTEBOOK
    overview = unit.parent / OVERVIEW_NOTEBOOK
    if not overview.is_file():
        overview = NOTEBOOKS / OVERVIEW_NOTEBOOK
    for path in (unit, overview):
        if not path.is_file():
            raise UsageError(f"找不到报告模板笔记本 {path}。")
    return unit, overview


def _templates_folder(templates: str | os.PathLike[str] | None) -> str | None:
    """The user's template folder as an absolute path (``templates``, else ``PERFKIT_TEMPLATES``);
    a folder that does not exist is a usage error."""
    given = templates or os.environ.get(templating.ENV_VAR) or None
    if given is None:
        return None
    folders = [Path(p).expanduser().resolve() for p in str(given).split(os.pathsep) if p]
    for folder in folders:
        if not folder.is_dir():
            raise UsageError(f"找不到模板文件夹 {folder}。")
    return os.pathsep.join(str(f) for f in folders) or None


def _rules_parameter(rules: str | os.PathLike[str] | None) -> str | None:
    """The notebook's ``rules``: a preset name as given, a rulebook file as an absolute path."""
    if rules is None:
        return None
    path = Path(rules).expanduser()
    return str(path.resolve()) if path.is_file() else str(rules)


# ---------------------------------------------------------------------------------------------
# the output folder's lock


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``<out>/.perfkit-render.lock`` for the whole run; refuse at once if someone else does.

    Two renders into one folder would interleave files, so the second one stops with
    :class:`RenderLocked` (exit code 2) instead of waiting. The lock belongs to the process: it
    is released when the run ends, however it ends (even SIGKILL), and the file is left in place.
    """
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 300).decode("utf-8", "replace").strip()
            raise RenderLocked(
                f"另一个 perfkit render 正在写入 {out}"
                + (f"（{holder}）" if holder else "")
                + "。请等它结束后再运行，或用 --out 指定另一个文件夹。"
            )
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"进程 {os.getpid()}，{stamp} 开始\n".encode())
        yield
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# render


def render(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str] = "reports",
    years: Iterable[int] | None = None,
    units: Iterable[str] | None = None,
    rules: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    notebook: str | os.PathLike[str] | None = None,
    pdf: bool = False,
    progress: bool = True,
    *,
    templates: str | os.PathLike[str] | None = None,
    reuse_kernels: bool = True,
) -> RenderResult:
    """Render every selected unit's report and each year's index into ``out``.

    ``notebook`` overrides the unit notebook (the overview is taken from beside it when there is
    one). ``templates`` is a folder of the user's own templates, searched before the package's
    (default: the environment variable ``PERFKIT_TEMPLATES``); the notebook kernels see it as
    ``PERFKIT_TEMPLATES``. ``jobs`` is the number of worker processes (default: the number of
    CPUs). With ``progress`` a progress bar is drawn on stderr when it is a terminal.
    ``reuse_kernels=False`` starts a fresh kernel per notebook, as papermill does by default
    (slower; for comparison).

    Raises InvalidInput for invalid data and UsageError (RenderLocked) for a bad selection, a
    missing notebook, template folder or Chromium, or a folder another render is writing;
    nothing is written then.
    """
    from perfkit.data.loading import load

    started = time.monotonic()
    data_path = Path(data).expanduser().resolve()
    ds = load(data_path, rules=rules)
    plan = _units_by_year(ds, list(years or []) or None, list(units or []) or None)
    if not plan:
        raise UsageError("所选范围内没有任何单位的数据，没有报告可以生成。")
    unit_nb, overview_nb = _notebook_paths(notebook)
    user_templates = _templates_folder(templates)
    if pdf:
        pdfprint.find_chromium()
    out_path = Path(out).expanduser().resolve()
    out_path.mkdir(parents=True, exist_ok=True)
    rules_param = _rules_parameter(rules)
    result = RenderResult(out=out_path)

    with output_lock(out_path):
        for year in plan:
            for folder in (out_path / str(year), out_path / str(year) / "notebooks"):
                folder.mkdir(parents=True, exist_ok=True)
                atomic.remove_stale_temporaries(folder)
        unit_jobs = [
            _Job(
                kind="unit",
                year=year,
                code=code,
                name=name,
                title=UNIT_TITLE.format(unit_name=name, year=year),
                notebook=str(unit_nb),
                parameters={
                    "data": str(data_path),
                    "year": year,
                    "unit_code": code,
                    "rules": rules_param,
                },
                folder=str(out_path / str(year)),
                pdf=pdf,
                reuse_kernel=reuse_kernels,
                templates=user_templates,
            )
            for year, entries in plan.items()
            for code, name in entries
        ]
        index_job = {
            year: _Job(
                kind="index",
                year=year,
                code="index",
                name="",
                title=INDEX_TITLE.format(year=year),
                notebook=str(overview_nb),
                parameters={"data": str(data_path), "year": year, "rules": rules_param},
                folder=str(out_path / str(year)),
                reuse_kernel=reuse_kernels,
                templates=user_templates,
            )
            for year in plan
        }
        _run_pool(unit_jobs, index_job, jobs, progress, result, user_templates)
    result.units.sort(key=lambda r: (r.year, r.unit_code))
    result.indexes.sort(key=lambda r: r.year)
    result.elapsed = time.monotonic() - started
    return result


def _run_pool(
    unit_jobs: list[_Job],
    index_job: dict[int, _Job],
    jobs: int | None,
    progress: bool,
    result: RenderResult,
    templates: str | None = None,
) -> None:
    """Run the units, then each year's index as soon as that year's units are done."""
    from tqdm import tqdm

    workers = max(1, min(jobs or os.cpu_count() or 1, len(unit_jobs)))
    remaining = {year: sum(j.year == year for j in unit_jobs) for year in index_job}
    bar = tqdm(
        total=len(unit_jobs),
        desc="生成报告",
        unit="份",
        file=sys.stderr,
        disable=not (progress and sys.stderr.isatty()),
        dynamic_ncols=True,
    )
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(os.getpid(), templates),
    )
    pending: dict[Future[UnitResult], _Job] = {}
    try:
        for job in unit_jobs:
            pending[pool.submit(_run_job, job)] = job
        while pending:
            done, _ = wait_futures(pending, return_when="FIRST_COMPLETED")
            for future in done:
                job = pending.pop(future)
                outcome = _outcome(future, job)
                if job.kind == "index":
                    result.indexes.append(outcome)
                    continue
                result.units.append(outcome)
                bar.update(1)
                if not outcome.ok:
                    bar.set_postfix_str(f"失败 {sum(not r.ok for r in result.units)} 份")
                remaining[job.year] -= 1
                if remaining[job.year] == 0:
                    index = _with_status(index_job[job.year], result.units)
                    pending[_submit(pool, index)] = index
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        bar.close()
    pool.shutdown(wait=True)


def _submit(pool: ProcessPoolExecutor, job: _Job) -> Future[UnitResult]:
    try:
        return pool.submit(_run_job, job)
    except BrokenProcessPool as err:
        future: Future[UnitResult] = Future()
        future.set_exception(err)
        return future


def _outcome(future: Future[UnitResult], job: _Job) -> UnitResult:
    """The job's result; a worker that died (killed, out of memory) fails its job, not the run."""
    try:
        return future.result()
    except BrokenProcessPool:
        error = "渲染进程意外退出（可能是内存不足或被终止），本报告未能生成。"
    except Exception as err:  # a bug in the worker itself: report it, keep going
        error = f"{type(err).__name__}: {err}"
    return _failed_page(job, error, notebook=None, seconds=0.0)


def _with_status(job: _Job, units: list[UnitResult]) -> _Job:
    """Write the year's status file for the overview notebook; return the job that reads it."""
    folder = Path(job.folder)
    entries = [
        {
            "unit_code": r.unit_code,
            "unit_name": r.unit_name,
            "href": f"{r.unit_code}.html",
            "status": r.status,
            "error": r.error,
        }
        for r in sorted(units, key=lambda r: r.unit_code)
        if r.year == job.year
    ]
    status = folder / "notebooks" / "status.json"
    atomic.write_text(status, json.dumps(entries, ensure_ascii=False, indent=2) + "\n")
    return dataclasses.replace(job, parameters={**job.parameters, "status": str(status)})


# ---------------------------------------------------------------------------------------------
# the worker process


class _WorkerState:
    """What one worker process keeps between jobs: its parent, its notebooks and its kernel."""

    def __init__(self, parent: int) -> None:
        self.parent = parent
        self.notebooks: dict[str, tuple[float, NotebookNode]] = {}
        self.kernel: WarmKernel | None = None


_STATE: _WorkerState | None = None


def _init_worker(parent: int, templates: str | None = None) -> None:
    """Pool initializer: die with the parent, set ``PERFKIT_TEMPLATES`` (the kernels started here
    inherit it, so the notebooks' blocks find the user's templates), import papermill and
    nbconvert once, build the HTML exporter once, register the warm-kernel engine."""
    global _STATE
    _die_with_parent(parent)
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

    warmkernel.register_engine()
    htmlexport.exporter(templating.user_dirs(templates))
    _STATE = _WorkerState(parent)
    from multiprocessing.util import Finalize

    Finalize(_STATE, _shutdown_kernel, args=(_STATE,), exitpriority=10)


def _die_with_parent(parent: int) -> None:
    """Linux: get SIGKILL when the parent dies, so that a killed ``perfkit render`` leaves no
    worker writing into a folder that a new run may already hold."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _shutdown_kernel(state: _WorkerState) -> None:
    if state.kernel is not None:
        state.kernel.shutdown()
        state.kernel = None


def _input_notebook(state: _WorkerState, path: str) -> NotebookNode:
    """The template notebook, read once per worker (again if it changed on disk)."""
    import nbformat

    mtime = Path(path).stat().st_mtime
    cached = state.notebooks.get(path)
    if cached is None or cached[0] != mtime:
        cached = (mtime, nbformat.read(path, as_version=4))
        state.notebooks[path] = cached
    return cached[1]


def _run_job(job: _Job) -> UnitResult:
    """Execute one notebook, export it and write its files (in a worker process)."""
    state = _STATE or _WorkerState(os.getppid())
    started = time.monotonic()
    folder = Path(job.folder)
    stem = job.code
    nb_path = folder / "notebooks" / f"{stem}.ipynb"
    html_path = folder / ("index.html" if job.kind == "index" else f"{stem}.html")
    if job.kind == "unit" and unit_code_problem(stem):  # validation refuses it first
        error = (
            f"单位编码“{stem}”不能用作文件名（只能包含字母、数字、“-”和“_”，且不能是"
            " index、status 等保留名），请修改单位编码后重新生成。"
        )
        return _failed_page(job, error, notebook=None, seconds=time.monotonic() - started)

    template = _input_notebook(state, job.notebook)
    nb_in = copy.deepcopy(template)
    nb_in.metadata["title"] = job.title
    executed, error = _execute(state, job, nb_in, nb_path)
    notebook = nb_path if nb_path.exists() else None
    if executed is None:
        return _failed_page(job, error, notebook, time.monotonic() - started)

    html = htmlexport.export_html(executed, name=stem, templates=job.templates)
    offences = htmlexport.assert_self_contained(html)
    if offences:
        error = "报告中含有外部引用或脚本，不能作为独立文件分享：" + "；".join(offences[:10])
        return _failed_page(job, error, notebook, time.monotonic() - started)
    _check_parent()
    atomic.write_text(html_path, html)
    pdf_path = None
    if job.pdf:
        pdf_path = folder / f"{stem}.pdf"
        try:
            pdfprint.print_pdf(html_path, pdf_path)
        except UsageError as err:
            pdf_path.unlink(missing_ok=True)
            error = f"HTML 报告已生成，但 PDF 未能生成：{err}"
            return UnitResult(job.year, job.code, job.name, "failed", error, html_path, notebook,
                              None, time.monotonic() - started)  # fmt: skip
    return UnitResult(job.year, job.code, job.name, "ok", "", html_path, notebook, pdf_path,
                      time.monotonic() - started)  # fmt: skip


def _check_parent() -> None:
    """In a worker: never write after the run that started it has ended (where PDEATHSIG is not
    available, or in the instant before it arrives)."""
    if _STATE is not None and os.getppid() != _STATE.parent:
        os._exit(1)


def _execute(
    state: _WorkerState, job: _Job, nb_in: NotebookNode, nb_path: Path
) -> tuple[NotebookNode | None, str]:
    """Run the notebook with papermill; keep the executed notebook (even a failed one) for audit.

    Returns (executed notebook, "") or (None, "ExceptionName: message").
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    cwd = str(Path(job.notebook).parent)
    options: dict[str, Any] = {
        "parameters": job.parameters,
        "kernel_name": "python3",
        "progress_bar": False,
        "request_save_on_cell_execute": False,
        "execution_timeout": CELL_TIMEOUT,
    }
    executed, error = None, ""
    try:
        with atomic.atomic_path(nb_path, keep_suffix=True) as tmp:
            try:
                if job.reuse_kernel:
                    options |= _kernel(state, nb_in, cwd).execute_options()
                else:
                    options["cwd"] = cwd
                executed = papermill.execute_notebook(nb_in, str(tmp), **options)
            except PapermillExecutionError as err:
                error = _ANSI.sub("", f"{err.ename}: {err.evalue}")
            _check_parent()
            if tmp.stat().st_size == 0:
                raise _NotWritten
    except _NotWritten:
        nb_path.unlink(missing_ok=True)
    except Exception as err:  # the kernel died, a cell timed out …: start a new kernel next time
        _shutdown_kernel(state)
        nb_path.unlink(missing_ok=True)
        error = _ANSI.sub("", f"{type(err).__name__}: {err}").strip()
    if executed is None and not error:
        error = "笔记本未能执行完成（原因不明）。"
    return executed, error


class _NotWritten(Exception):
    """papermill stopped before writing the executed notebook."""


def _failed_page(job: _Job, error: str, notebook: Path | None, seconds: float) -> UnitResult:
    """Write the error page in place of the report (or the fallback index); return the failure."""
    _check_parent()
    folder = Path(job.folder)
    href = f"notebooks/{notebook.name}" if notebook else None
    if job.kind == "index":
        status = folder / "notebooks" / "status.json"
        try:
            entries = json.loads(status.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = []
        html_path = folder / "index.html"
        atomic.write_text(
            html_path, htmlexport.fallback_index(job.year, entries, error, templates=job.templates)
        )
    else:
        html_path = folder / f"{job.code}.html"
        if unit_code_problem(job.code):
            return UnitResult(job.year, job.code, job.name, "failed", error, None, None, None,
                              seconds)  # fmt: skip
        page = htmlexport.error_page(
            job.title, job.code, job.name, job.year, error, href, templates=job.templates
        )
        atomic.write_text(html_path, page)
        (folder / f"{job.code}.pdf").unlink(missing_ok=True)
    return UnitResult(job.year, job.code, job.name, "failed", error, html_path, notebook, None,
                      seconds)  # fmt: skip


def _kernel(state: _WorkerState, nb: NotebookNode, cwd: str) -> WarmKernel:
    """The worker's warm kernel, reset for the next notebook: started, or replaced when it is
    worn out, lacks the notebook's imports or does not answer."""
    from perfkit.rendering.warmkernel import WarmKernel, imports

    modules = imports(nb)
    kernel = state.kernel
    if kernel is not None and (
        kernel.used >= KERNEL_MAX_UNITS or not set(modules) <= set(kernel.modules)
    ):
        modules = list(dict.fromkeys([*kernel.modules, *modules]))
        _shutdown_kernel(state)
    if state.kernel is not None:
        try:
            state.kernel.reset(cwd)
            return state.kernel
        except Exception:
            _shutdown_kernel(state)
    state.kernel = WarmKernel(modules, timeout=CELL_TIMEOUT)
    state.kernel.reset(cwd)
    return state.kernel
