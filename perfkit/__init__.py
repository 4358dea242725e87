"""perfkit: budget performance self-evaluation (预算绩效自评) for many units at once.

The notebook API (``perfkit.load``, ``perfkit.score``, ``perfkit.unit_detail``,
``perfkit.overview``) lives in :mod:`perfkit.api`; it is imported on first use so that the
command line starts fast.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("perfkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"

_API = ("load", "score", "unit_detail", "overview")
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        from perfkit import api

        return getattr(api, name)
    raise AttributeError(f"module 'perfkit' has no attribute {name!r}")
