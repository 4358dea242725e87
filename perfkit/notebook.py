"""perfkit inside a Jupyter kernel: what importing perfkit there sets up (issue 10).

- the bundled CJK font is registered with matplotlib, so an analyst's own chart can use it
  (:func:`perfkit.use_chinese_fonts` makes it the default for the session);
- a :class:`~perfkit.data.dataset.Dataset`, :class:`~perfkit.detail.UnitDetail` and
  :class:`~perfkit.detail.Overview` display as short summaries (:mod:`perfkit.report.display`);
- perfkit's own errors (invalid input, an unknown unit or year) show as a short message with what
  is valid instead of a traceback; ``%tb`` still prints the traceback.

Nothing here runs outside IPython: the command line does not pay for it.

:func:`pre_save_hook` is for the Jupyter server: perfkit is a server extension (enabled by
``etc/jupyter/jupyter_server_config.d/perfkit.json``, installed with perfkit) that registers it
with the server's contents manager. It saves **perfkit's own notebooks** without outputs, so that
running them in JupyterLab never changes the files on disk (nor ``git status``); the outputs stay
on screen, and a report is shared with ``perfkit render``, not by saving the notebook. A notebook
is perfkit's own (:func:`strips_outputs`) when both hold (issue 16 §9):

- its metadata says ``"perfkit": {"strip_outputs": true}`` with a real boolean ``true`` (the
  string ``"false"``, or ``"true"``, is not a boolean and strips nothing);
- it is saved at the path of a notebook perfkit ships: a file named as one of the package's
  notebooks (``unit_report.ipynb``, ``overview.ipynb`` …) directly in a folder named
  ``notebooks`` — the repository's ``notebooks/`` or the package's ``perfkit/report/notebooks/``
  (``perfkit/review/notebooks/`` for ``review.ipynb``).

The marker alone is not enough because it travels with a copy: JupyterLab's Duplicate
(``unit_report-Copy1.ipynb``) and Save As keep the metadata, and an analyst's own notebook made
that way must keep its outputs. The first time in a server session that a notebook's outputs are
left out of a save, the user is told, in Chinese: in the server's log, and in the ``message`` of
the save's reply (the field the Jupyter contents API uses for a warning about a save).
"""

from __future__ import annotations

import functools
import logging
import threading
from importlib.resources import files
from pathlib import Path, PurePath
from typing import Any

from perfkit.core.problems import InvalidInput, UsageError


def _shell() -> Any | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _show_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None):
    """IPython's custom exception handler: perfkit's errors without a traceback."""
    from IPython.display import display

    from perfkit.report.display import error_html, error_text

    display({"text/html": error_html(value), "text/plain": error_text(value)}, raw=True)


def install(shell: Any | None = None) -> bool:
    """Register the displays, the error handler and the font with IPython (the running shell by
    default). Returns whether there was a shell. Safe to call more than once."""
    shell = shell if shell is not None else _shell()
    if shell is None:
        return False
    from perfkit.data.dataset import Dataset
    from perfkit.detail import Overview, UnitDetail
    from perfkit.report import display, fonts

    html = shell.display_formatter.formatters["text/html"]
    html.for_type(Dataset, display.dataset_html)
    html.for_type(UnitDetail, display.detail_html)
    html.for_type(Overview, display.overview_html)
    shell.set_custom_exc((InvalidInput, UsageError), _show_error)
    fonts.register()
    return True


#: cell metadata a run or the front end adds (timings, scroll and collapse state); tags stay
_VOLATILE_CELL_METADATA = ("execution", "scrolled", "collapsed", "jupyter", "papermill")
#: the folder name perfkit's notebooks are shipped in (the repository's and the package's)
NOTEBOOK_FOLDER = "notebooks"
#: what the user is told the first time a save of a notebook leaves its outputs out
STRIPPED_NOTICE = (
    "{path} 是 perfkit 自带的笔记本：保存时只保存代码，不保存运行结果（输出），文件保持原样；"
    "屏幕上的结果不受影响。要保留结果，请另存为其他文件名（文件 → 另存为），"
    "或用 perfkit render、perfkit.export_report(...) 生成报告。本次会话中不再提示。"
)
_log = logging.getLogger(__name__)
#: the notebooks whose stripped save the user has been told about in this server session
_told: set[str] = set()
_told_lock = threading.Lock()


#: the packages whose ``notebooks`` folder holds a notebook perfkit ships: the reports'
#: (rendered by ``perfkit render``) and the bureau analyst's ``review.ipynb``
SHIPPED_IN = ("perfkit.report", "perfkit.review")


@functools.cache
def shipped_notebooks() -> frozenset[str]:
    """The file names of the notebooks perfkit ships (``perfkit/report/notebooks/*.ipynb``,
    ``perfkit/review/notebooks/*.ipynb``)."""
    folders = [files(package).joinpath(NOTEBOOK_FOLDER) for package in SHIPPED_IN]
    return frozenset(p.name for f in folders for p in f.iterdir() if p.name.endswith(".ipynb"))


def strips_outputs(metadata: Any, path: str | PurePath) -> bool:
    """Whether a notebook with this ``metadata``, saved at ``path``, is one of perfkit's own:
    marked ``perfkit.strip_outputs`` with the boolean ``true``, and named as a notebook perfkit
    ships, directly in a folder named ``notebooks`` (see the module's rules)."""
    marker = metadata.get("perfkit") if isinstance(metadata, dict) else None
    if not isinstance(marker, dict) or marker.get("strip_outputs") is not True:
        return False
    where = PurePath(path)
    return (
        where.name in shipped_notebooks()
        and where.parent.name.casefold() == NOTEBOOK_FOLDER.casefold()
    )


def _os_path(path: str, contents_manager: Any) -> PurePath:
    """Where the server saves ``path`` (an API path, relative to the server's root), so that a
    server started inside ``notebooks/`` sees the folder's name too."""
    root = getattr(contents_manager, "root_dir", None)
    return Path(root, path) if isinstance(root, str) and root else PurePath(path)


def pre_save_hook(
    model: dict[str, Any], path: str = "", contents_manager: Any = None, **kwargs: Any
) -> None:
    """Jupyter server ``ContentsManager.pre_save_hook``: for one of perfkit's own notebooks
    (:func:`strips_outputs`), strip the outputs, execution counts, run metadata and the
    interpreter's version (the file stays as committed) and, the first time in the session
    that outputs were left out, tell the user; leave every other file alone."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    nb = model["content"]
    where = _os_path(path, contents_manager)
    if not strips_outputs(nb.get("metadata"), where):
        return
    had_outputs = False
    # what a run and the front end add, and the committed notebook does not hold
    info = nb["metadata"].get("language_info")
    if isinstance(info, dict) and "name" in info:
        nb["metadata"]["language_info"] = {"name": info["name"]}
    for cell in nb.get("cells", []):
        for key in _VOLATILE_CELL_METADATA:
            (cell.get("metadata") or {}).pop(key, None)
        if cell.get("cell_type") == "code":
            had_outputs |= bool(cell.get("outputs")) or cell.get("execution_count") is not None
            cell["outputs"] = []
            cell["execution_count"] = None
    if had_outputs:
        _tell(model, path or where.name, str(where), contents_manager)


def _tell(model: dict[str, Any], path: str, key: str, contents_manager: Any) -> None:
    """The first stripped save of a notebook in this session: the notice in the server's log
    and in the reply's ``message``."""
    with _told_lock:
        if key in _told:
            return
        _told.add(key)
    notice = STRIPPED_NOTICE.format(path=path)
    model["message"] = notice
    log = getattr(contents_manager, "log", None)
    (log if isinstance(log, logging.Logger | logging.LoggerAdapter) else _log).warning(notice)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """perfkit as a Jupyter server extension (enabled by jupyter_server_config.d/perfkit.json)."""
    return [{"module": "perfkit.notebook"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register :func:`pre_save_hook` with the server's contents manager."""
    serverapp.contents_manager.register_pre_save_hook(pre_save_hook)
