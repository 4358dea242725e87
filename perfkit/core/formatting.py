"""Numbers as a Chinese report writes them, and rounding 四舍五入 (never Python's half-even).

Every module that prints or rounds a number uses these: the scores, the findings, the report
and the command line. One place, so that 2.675 is 2.68 everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

#: how far below a whole a scaled value may lie and still count as that whole, relative to the
#: value: a binary artefact (2.675 × 100 is 267.49999999999997) is ~1e-16 of it; a real shortfall
#: that a reader with a calculator sees (2.5 × 100118.29 ÷ 100118.3 = 2.49999975, 四舍五入 2) is
#: far above this. Never a fixed number of decimals, which would round such a score up.
ARTEFACT = 1e-12


def _floor(a: np.ndarray) -> np.ndarray:
    """Floor of non-negative values, a binary artefact below a whole taken as that whole."""
    return np.floor(a + ARTEFACT * np.maximum(1.0, a))


def round_half_up(x: float | np.ndarray | pd.Series, decimals: int) -> np.ndarray:
    """四舍五入 to ``decimals``: halves go away from zero (0.625 → 0.63, 2.675 → 2.68).

    A written half stays a half although binary floats store 2.675 as 2.67499999…; a value
    short of the half by more than a binary artefact (:data:`ARTEFACT`) is rounded down.
    """
    factor = 10.0**decimals
    scaled = np.asarray(x, dtype=float) * factor
    return np.sign(scaled) * _floor(np.abs(scaled) + 0.5) / factor + 0.0  # + 0.0: no "-0"


def truncate(x: float | np.ndarray | pd.Series, decimals: int) -> np.ndarray:
    """舍去 to ``decimals`` (toward zero: 9.78 → 9, 1.946 → 1.9); 0.29, stored as 0.28999…,
    stays 0.29 (:data:`ARTEFACT`)."""
    factor = 10.0**decimals
    scaled = np.asarray(x, dtype=float) * factor
    return np.sign(scaled) * _floor(np.abs(scaled)) / factor + 0.0


def decimals_of(x: np.ndarray, most: int = 6) -> np.ndarray:
    """How many decimals each number is written with (0.72 → 2, 2.5 → 1, 3 → 0), at most
    ``most``; a binary artefact (0.1 + 0.2) does not count as more decimals."""
    x = np.abs(np.asarray(x, dtype=float))
    out = np.full(x.shape, most, dtype=int)
    for d in range(most, -1, -1):
        scaled = x * 10.0**d
        exact = np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, scaled)
        out = np.where(exact, d, out)
    return out


def half_up(x: float, decimals: int) -> float:
    """:func:`round_half_up` for one number, in plain Python (fast for scalars)."""
    factor = 10.0**decimals
    scaled = abs(float(x) * factor) + 0.5
    whole = math.floor(scaled + ARTEFACT * max(1.0, scaled))
    return math.copysign(whole, x) / factor + 0.0


def num(x: float) -> str:
    """A number as a reader writes it: 200, 0.5, 12.25 (no trailing zeros, at most 6 decimals)."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fixed(x: float, decimals: int = 2) -> str:
    """A number rounded half up with exactly ``decimals`` decimals: 9 → "9.00"."""
    return f"{half_up(x, decimals):.{decimals}f}"


def percent(rate: float, decimals: int = 2) -> str:
    """A fraction as a percentage rounded half up: 0.4567 → "45.67%"."""
    return f"{half_up(rate * 100, decimals):.{decimals}f}%"


def fixed_strings(values: np.ndarray | pd.Series, decimals: int | np.ndarray = 2) -> np.ndarray:
    """:func:`fixed` for many numbers at once (an object array of str); ``decimals`` may be
    given per number."""
    if np.ndim(decimals):
        places = np.asarray(decimals, dtype=int)
        if (places != places.flat[0]).any():
            rounded = round_half_up(values, places).tolist()
            return np.array(
                [f"{v:.{d}f}" for v, d in zip(rounded, places.tolist(), strict=True)], dtype=object
            )
        decimals = int(places.flat[0]) if places.size else 2
    uniq, inverse = np.unique(round_half_up(values, decimals), return_inverse=True)
    return np.array([f"{v:.{decimals}f}" for v in uniq.tolist()], dtype=object)[inverse.reshape(-1)]


def percent_strings(rates: np.ndarray | pd.Series, decimals: int = 2) -> np.ndarray:
    """:func:`percent` for many fractions at once (an object array of str)."""
    return fixed_strings(np.asarray(rates, dtype=float) * 100, decimals) + "%"


def strings(values: np.ndarray | pd.Series, render: Callable[[float], str]) -> np.ndarray:
    """Render each distinct value once; an object array of str aligned with ``values``."""
    uniq, inverse = np.unique(np.asarray(values, dtype=float), return_inverse=True)
    return np.array([render(v) for v in uniq.tolist()], dtype=object)[inverse.reshape(-1)]
