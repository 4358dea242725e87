"""perfkit: budget performance self-evaluation (预算绩效自评) for many units at once.

The public API (``perfkit.load``, ``perfkit.score``, ``perfkit.unit_detail``,
``perfkit.project_detail``,
``perfkit.overview`` from :mod:`perfkit.api`, and ``perfkit.rendering.pipeline`` from
:mod:`perfkit.rendering.pipeline`) is imported on first use so that the command line starts fast.

The package shows the flow, each layer importing only those below it (``tests/test_layers.py``)::

    core ← rules ← data ← scoring ← detail ← report ← rendering ← api, cli, notebook
                                             forms (data, rules)

``perfkit.__version__`` is :mod:`perfkit.core.version`'s: no module below the top imports this
package, whose ``__init__`` sets up the notebook layer when imported in a kernel.
"""

from typing import Any

#: public name → the module that defines it
_API = {
    "load": "perfkit.api",
    "score": "perfkit.api",
    "unit_detail": "perfkit.api",
    "project_detail": "perfkit.api",
    "overview": "perfkit.api",
    "review": "perfkit.api",
    "render": "perfkit.rendering.pipeline",
    "export_report": "perfkit.api",
    "use_chinese_fonts": "perfkit.report.fonts",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    # ``__version__`` is looked up in the installed metadata on first use, not at import: the
    # command line imports perfkit on every run and prints its version only for --version
    if name == "__version__":
        from perfkit.core.version import version

        globals()["__version__"] = value = version()
        return value
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'perfkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


def _in_kernel() -> bool:
    """Whether perfkit is being imported inside IPython (a notebook or the IPython console)."""
    import sys

    ipython = sys.modules.get("IPython")
    return ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None


if _in_kernel():
    from perfkit import notebook as _notebook

    _notebook.install()
