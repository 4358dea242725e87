"""perfkit's version, read from the installed metadata once, on first use.

The bottom of the house: every layer that prints the version (a report's footer, a workbook's
generator field, an exported page) imports it from here, and ``perfkit.__version__`` re-exports
it, so that no module below the top imports the package ``perfkit`` itself (which, in a Jupyter
kernel, sets up the notebook layer on top of everything).
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def version() -> str:
    """perfkit's installed version; "0.0.0+local" from a source tree that is not installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("perfkit")
    except PackageNotFoundError:
        return "0.0.0+local"


def __getattr__(name: str) -> Any:
    # ``from perfkit.core.version import __version__`` reads the metadata then, not before: the
    # command line imports perfkit on every run and prints its version only for --version
    if name == "__version__":
        return version()
    raise AttributeError(f"module 'perfkit.core.version' has no attribute {name!r}")
