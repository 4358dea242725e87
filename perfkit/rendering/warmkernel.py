"""A Jupyter kernel kept alive across notebooks, reset between them: papermill without the
per-notebook kernel start and imports.

papermill starts a kernel for every notebook, and the notebook then imports pandas, matplotlib,
seaborn and perfkit again: seconds per report before any work is done. A render worker instead
keeps one kernel, imports once what the notebooks import (found by reading their code cells),
and before each notebook puts the kernel back in the state it had after those imports:

- the user namespace and output history are cleared (``%reset -f``), the execution counter is
  back to 1, garbage is collected, and what is still alive then (imported modules, the cached
  dataset, matplotlib's font caches) is frozen (``gc.freeze``): the collections of the reset and
  of the next notebook no longer walk it (issue 12: three full collections of the imported
  modules cost about 0.25 CPU-s per report). What a notebook leaves in a frozen cache and later
  drops is freed by reference counting, or with the kernel (replaced every 100 notebooks);
- every matplotlib figure is closed and ``matplotlib.rcParams`` restored;
- the ``warnings`` filters (and their "once" registries), ``os.environ``, ``sys.path`` and the
  working folder are restored.

So one unit's variables, figures or settings never reach another unit's report. Imported modules
stay imported (that is the point): a notebook must not rely on module-level state it changes.
The notebook runs through papermill's engine API (:data:`ENGINE`), so papermill still injects the
parameters, records the execution and raises ``PapermillExecutionError`` as usual.
"""

from __future__ import annotations

import ast
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: papermill engine name of :func:`register_engine`
ENGINE = "perfkit-warm"
KERNEL = "python3"
#: prefix of a kernel's private folder (IPC sockets, connection file) in the temp folder
SOCKETS_PREFIX = "perfkit-kernel-"

_WARM_UP = """
import importlib as _pk_importlib, os as _pk_os, sys as _pk_sys, types as _pk_types
import warnings as _pk_warnings
for _pk_m in {modules!r}:
    try:
        _pk_importlib.import_module(_pk_m)
    except Exception:
        pass
_pk_state = _pk_types.ModuleType("_perfkit_warm_state")
_pk_state.filters = list(_pk_warnings.filters)
_pk_state.environ = dict(_pk_os.environ)
_pk_state.path = list(_pk_sys.path)
_pk_state.rc = None
if "matplotlib" in _pk_sys.modules:
    _pk_state.rc = {{k: v for k, v in _pk_sys.modules["matplotlib"].rcParams.items()
                    if k != "backend"}}
_pk_sys.modules["_perfkit_warm_state"] = _pk_state
get_ipython().run_line_magic("reset", "-f")
__import__("gc").freeze()
"""

_RESET = """
import os as _pk_os, sys as _pk_sys, warnings as _pk_warnings
_pk_state = _pk_sys.modules["_perfkit_warm_state"]
if "matplotlib.pyplot" in _pk_sys.modules:
    _pk_sys.modules["matplotlib.pyplot"].close("all")
if _pk_state.rc is not None:
    with _pk_warnings.catch_warnings():
        _pk_warnings.simplefilter("ignore")
        _pk_sys.modules["matplotlib"].rcParams.update(_pk_state.rc)
_pk_warnings.filters[:] = _pk_state.filters
_pk_warnings.onceregistry.clear() if hasattr(_pk_warnings, "onceregistry") else None
getattr(_pk_warnings, "_filters_mutated", lambda: None)()
_pk_os.environ.clear()
_pk_os.environ.update(_pk_state.environ)
_pk_sys.path[:] = _pk_state.path
_pk_os.chdir({cwd!r})
get_ipython().run_line_magic("reset", "-f")
get_ipython().execution_count = 1
__import__("gc").collect()
__import__("gc").freeze()
"""


def imports(nb: NotebookNode) -> list[str]:
    """The modules a notebook imports: absolute imports of its code cells (magics skipped)."""
    found: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = [ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.append(node.module)
                found += [f"{node.module}.{alias.name}" for alias in node.names]
    return list(dict.fromkeys(found))


class WarmKernel:
    """One running kernel with ``modules`` imported; :meth:`reset` before each notebook."""

    def __init__(
        self, modules: list[str], timeout: int = 900, env: dict[str, str] | None = None
    ) -> None:
        """Start the kernel (with ``env`` as its environment, default: this process's) and
        import ``modules`` in it."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._run_sync = run_sync
        self._timeout = timeout
        # IPC sockets in a private folder: no TCP port races between workers, no warning about
        # unencrypted TCP (Windows has no IPC sockets: TCP on localhost there)
        # (named after this process, so that the next run can sweep what a killed one left:
        # remove_stale_sockets); the connection file goes there too, not into Jupyter's runtime
        # folder
        self._sockets = tempfile.mkdtemp(
            prefix=f"{SOCKETS_PREFIX}{os.getpid()}-", dir=_socket_root()
        )
        connection = os.path.join(self._sockets, "kernel.json")
        ip = os.path.join(self._sockets, "k")
        if sys.platform == "win32" or len(ip.encode()) > _SOCKET_PATH_MAX:  # TCP on localhost
            self.km = AsyncKernelManager(kernel_name=KERNEL, connection_file=connection)
        else:
            self.km = AsyncKernelManager(
                kernel_name=KERNEL, transport="ipc", ip=ip, connection_file=connection
            )
        # no input history: the execution counter goes back to 1 before every notebook, and
        # IPython's history database would then print "ERROR! Session/line number was not unique
        # in database" into the next report
        run_sync(self.km.start_kernel)(
            extra_arguments=["--HistoryManager.enabled=False"],
            **({"env": env} if env is not None else {}),
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.allow_stdin = False
        run_sync(self.kc.wait_for_ready)(timeout=60)
        self.modules = list(modules)
        #: notebooks run since start (the caller replaces a worn-out kernel)
        self.used = 0
        self._run(_WARM_UP.format(modules=self.modules))

    def _run(self, code: str) -> None:
        reply = self._run_sync(self.kc.execute_interactive)(
            code,
            silent=True,
            store_history=False,
            allow_stdin=False,
            timeout=self._timeout,
            output_hook=lambda msg: None,
        )
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(f"内核准备失败：{content.get('ename')}: {content.get('evalue')}")

    def reset(self, cwd: str) -> None:
        """A clean namespace in ``cwd``, as a fresh kernel would give (imports stay warm)."""
        self.used += 1
        self._run(_RESET.format(cwd=cwd))

    def execute_options(self) -> dict[str, Any]:
        """Keyword arguments for ``papermill.execute_notebook`` to run in this kernel."""
        return {"engine_name": ENGINE, "km": self.km, "kc": self.kc}

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
            self._run_sync(self.km.shutdown_kernel)(now=True)
        shutil.rmtree(self._sockets, ignore_errors=True)


#: a UNIX socket's path holds at most 107 bytes; the kernel's are "<folder>/k-<port>"
_SOCKET_PATH_MAX = 107 - len("/k-65535")


def _socket_root() -> str | None:
    """Where kernel folders go: the temp folder, unless its path is too long for a UNIX socket
    (a deep ``TMPDIR``), then ``/tmp``."""
    root = tempfile.gettempdir()
    longest = len(os.path.join(root, f"{SOCKETS_PREFIX}{os.getpid()}-12345678"))
    if sys.platform != "win32" and longest > _SOCKET_PATH_MAX:
        if os.path.isdir("/tmp") and os.access("/tmp", os.W_OK):
            return "/tmp"
    return None  # (and when even that is too long, the kernel listens on TCP, localhost)


def remove_stale_sockets(root: str | None = None) -> list[str]:
    """Remove the kernel folders that processes killed before they could clean up left in the
    temp folder (``perfkit-kernel-<pid>-…`` whose process is gone); return them."""
    root = root or _socket_root() or tempfile.gettempdir()
    return [str(p) for p in remove_dead_process_folders(Path(root), SOCKETS_PREFIX)]


def remove_dead_process_folders(root: Path, prefix: str) -> list[Path]:
    """Remove the folders ``<root>/<prefix><pid>-…`` whose process is gone (left by a killed
    run; a folder of a live process, or of this one, stays); return them."""
    removed = []
    with contextlib.suppress(OSError):
        for path in sorted(root.glob(f"{prefix}*")):
            pid = path.name[len(prefix) :].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def register_engine() -> None:
    """Register :data:`ENGINE` with papermill: its nbclient engine, in a running kernel.

    papermill's own engine passes nbclient the kernel manager but always opens a new kernel
    client (and never closes it, and the new client takes over the session's replies); this one
    hands nbclient our client too. nbclient leaves both alive because it does not own them.
    When the notebook stops on something other than a cell's exception (the kernel died, a cell
    timed out), papermill writes no notebook: the notebook as far as it ran is attached to the
    exception (``perfkit_notebook``), for the failing cell's name and the audit record.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(  # type: ignore[override]
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            km: Any = None,
            kc: Any = None,
            **kwargs: Any,
        ) -> Any:
            client = PapermillNotebookClient(
                nb_man,
                km=km,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client.kc = kc
            try:
                return client.execute()
            except Exception as err:  # a dead kernel, a timeout: papermill saves nothing then
                err.perfkit_notebook = nb_man.nb  # type: ignore[attr-defined]  # where it stopped
                raise

    papermill_engines.register(ENGINE, WarmKernelEngine)
