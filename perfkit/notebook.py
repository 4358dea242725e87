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
with the server's contents manager. A notebook whose metadata says
``"perfkit": {"strip_outputs": true}`` — the notebooks perfkit ships — is saved without outputs, so
that running it in JupyterLab never changes the file on disk (nor ``git status``). The outputs
stay on screen; the report is shared with ``perfkit render``, not by saving the notebook.
"""

from __future__ import annotations

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


def pre_save_hook(model: dict[str, Any], path: str = "", **kwargs: Any) -> None:
    """Jupyter server ``ContentsManager.pre_save_hook``: strip the outputs, execution counts, run
    metadata and the interpreter's version of a notebook marked ``metadata.perfkit.strip_outputs``
    (the file stays as committed); leave every other file alone."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    nb = model["content"]
    if not (nb.get("metadata") or {}).get("perfkit", {}).get("strip_outputs"):
        return
    # what a run and the front end add, and the committed notebook does not hold
    info = (nb.get("metadata") or {}).get("language_info")
    if isinstance(info, dict) and "name" in info:
        nb["metadata"]["language_info"] = {"name": info["name"]}
    for cell in nb.get("cells", []):
        for key in _VOLATILE_CELL_METADATA:
            (cell.get("metadata") or {}).pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """perfkit as a Jupyter server extension (enabled by jupyter_server_config.d/perfkit.json)."""
    return [{"module": "perfkit.notebook"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register :func:`pre_save_hook` with the server's contents manager."""
    serverapp.contents_manager.register_pre_save_hook(pre_save_hook)
