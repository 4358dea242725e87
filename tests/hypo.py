"""Example counts of property tests, scaled by the Hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

from hypothesis import settings

#: the examples a test's own count stands for: Hypothesis' default
BASE = 100


def examples(n: int) -> int:
    """``n`` examples at Hypothesis' default of 100, scaled to the loaded profile: half in
    ``dev``, two and a half times in ``ci``."""
    return max(1, n * settings.default.max_examples // BASE)
