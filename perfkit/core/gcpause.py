"""Pausing Python's cyclic garbage collector while a whole dataset is read, checked or scored.

Reading, validating and scoring 10,000 units create hundreds of thousands of small objects (one
parsed Target per distinct 年度指标值 and 实际完成值 …) and keep most of them. CPython counts new
objects and, every so often, runs a full collection that walks every object the process holds —
pandas, pandera and their modules alone are hundreds of thousands — to find reference cycles that
this work does not make: measured on ``perfkit score`` of 10,000 units, about 0.2 s for nothing.
The pause ends with the work; the collector then resumes as it was, cycles made meanwhile (if
any) are collected later, and a collector that was already disabled stays disabled.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Disable the cyclic garbage collector for the ``with`` block; restore its state after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
