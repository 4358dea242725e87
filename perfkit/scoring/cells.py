"""Parsed 年度指标值 / 实际完成值 cells as arrays, and the context a reader scores them in.

:func:`cells_of` parses each distinct text of a column once (:func:`perfkit.rules.notation.parse`;
unreadable text is kept as text, validation flags it) into :class:`Cells`, one array per field of
:class:`~perfkit.rules.notation.Target`. :class:`Context` holds what the scorer knows of each
indicator besides its cells (level names, year: domain.md §7). The helpers here number distinct
values and pairs once, so that scoring a million indicators asks the parser, the unit
conversion and the tier classifier once per distinct text or pair.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from perfkit.rules import notation, qualitative, units
from perfkit.rules.notation import NotationError, Target
from perfkit.rules.rulebook import Rulebook

#: comparators by number, as kept in :class:`Cells` (0: none written, qualitative text)
COMPARATORS = np.array(["", ">=", "<=", ">", "<", "="], dtype=object)
GE, LE, LT, EQ = 1, 2, 4, 5
_COMPARATOR_NUMBER = {c: i for i, c in enumerate(COMPARATORS)}


def _date_part(targets: Sequence[Target], i: int) -> np.ndarray:
    dates = (t.date for t in targets)
    return np.array([np.nan if d is None or d[i] is None else d[i] for d in dates], float)


@dataclass(frozen=True)
class Cells:
    """Parsed 年度指标值 or 实际完成值 cells as arrays (value NaN for qualitative text)."""

    raw: np.ndarray
    value: np.ndarray
    #: index into COMPARATORS
    comparator: np.ndarray
    unit: np.ndarray
    approx: np.ndarray
    #: a bare number: no comparator was written (notation rule 6)
    implicit: np.ndarray
    #: the text could not be read (a NotationError); blank text is ``raw == ""``
    unreadable: np.ndarray
    #: the point in time the text names (``Target.date``): NaN where it names none
    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    #: the number was read out of a phrase ("群众满意度达90%以上")
    phrase: np.ndarray
    #: the qualifier written before the number ("人均", "每人每月"; notation ``Target.per``)
    per: np.ndarray

    @classmethod
    def of(cls, targets: Sequence[Target], unreadable: Sequence[bool] | None = None) -> Cells:
        n = len(targets)
        return cls(
            raw=np.array([t.raw for t in targets], dtype=object),
            value=np.array([np.nan if t.value is None else t.value for t in targets], float),
            comparator=np.array(
                [_COMPARATOR_NUMBER[t.comparator or ""] for t in targets], dtype=np.int8
            ),
            unit=np.array([t.unit for t in targets], dtype=object),
            approx=np.array([bool(t.approx) for t in targets], dtype=bool),
            implicit=np.array([bool(t.implicit) for t in targets], dtype=bool),
            unreadable=np.zeros(n, bool) if unreadable is None else np.asarray(unreadable, bool),
            year=_date_part(targets, 0),
            month=_date_part(targets, 1),
            day=_date_part(targets, 2),
            phrase=np.array([bool(t.phrase) for t in targets], dtype=bool),
            per=np.array([t.per for t in targets], dtype=object),
        )

    def take(self, index: np.ndarray) -> Cells:
        return Cells(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    @property
    def blank(self) -> np.ndarray:
        return self.raw == ""

    @property
    def dated(self) -> np.ndarray:
        return ~np.isnan(self.year) | ~np.isnan(self.month)


def _read(text: str) -> tuple[Target, bool]:
    """The cell's Target and whether it could not be read (then it is kept as text)."""
    try:
        return notation.parse(text), False
    except NotationError:
        return Target(raw=text, comparator=None, value=None, unit=""), True


def read_cell(text: str) -> Target:
    """``notation.parse``, with unreadable text kept as qualitative text (validation flags it)."""
    return _read(text)[0]


def cells_of(column: pd.Series) -> Cells:
    """A column of cells parsed, each distinct text once."""
    # na_value copies the column: only worth it when there is a missing value to replace
    if column.hasnans:
        cells = column.to_numpy(dtype=object, na_value="")
    else:
        cells = column.to_numpy(dtype=object)
    codes, uniques = pd.factorize(cells)
    read = [_read(str(u)) for u in uniques]
    return Cells.of([t for t, _ in read], [bad for _, bad in read]).take(codes)


def tiers(actual: np.ndarray, target: np.ndarray, rulebook: Rulebook) -> np.ndarray:
    """Tier key per (actual, target) pair ("" when none fits), classifying each pair once."""
    if len(actual) == 0:
        return np.array([], dtype=object)
    codes, uniques = distinct_pairs(actual, target)
    keys = [qualitative.classify(a, t, rulebook) or "" for a, t in uniques]
    return np.array(keys, dtype=object)[codes]


def distinct_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, list[tuple[Any, Any]]]:
    """(codes, pairs): the distinct (a, b) pairs of two equally long columns in order of first
    appearance, and per row the index of its pair, as ``pd.factorize`` of the tuples gives them.

    Each column is numbered on its own and the pairs as integers: no tuple per row is made or
    hashed.
    """
    a_codes, a_values = pd.factorize(np.asarray(a, dtype=object), use_na_sentinel=False)
    b_codes, b_values = pd.factorize(np.asarray(b, dtype=object), use_na_sentinel=False)
    width = max(len(b_values), 1)
    codes, keys = pd.factorize(a_codes.astype(np.int64) * width + b_codes)
    return codes, [(a_values[k // width], b_values[k % width]) for k in keys.tolist()]


_PLAIN_RE = re.compile(r"[\s\"'“”‘’「」『』《》]")


def plain(name: str) -> str:
    """A level or indicator name without quotes and spaces, for keyword matching."""
    return _PLAIN_RE.sub("", name)


def contains(names: np.ndarray, keywords: tuple[str, ...]) -> np.ndarray:
    """Whether each name contains one of ``keywords`` (quotes and spaces ignored on both sides)."""
    if not keywords or not len(names):
        return np.zeros(len(names), dtype=bool)
    words = [plain(k) for k in keywords if plain(k)]
    codes, uniques = pd.factorize(np.asarray(names, dtype=object))
    hit = np.array([any(w in plain(str(u)) for w in words) for u in uniques], dtype=bool)
    return hit[codes]


def unit_readings(
    from_units: np.ndarray, to_units: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the units as a reader compares them (:func:`perfkit.rules.units.comparable`: a
    bare magnitude "万" against money "万元" is read as "万元", issue 16 §10) and the factor that
    turns a value in the first into the second (NaN where they cannot be compared):
    (factor, from units as read, to units as read). Each distinct pair is asked once."""
    n = len(from_units)
    if not n:
        return np.zeros(0), np.asarray(from_units, dtype=object), np.asarray(to_units, object)
    codes, uniques = distinct_pairs(from_units, to_units)
    factors, froms, tos = [], [], []
    for a, b in uniques:
        read = units.comparable(str(a), str(b))
        a_read, b_read = read or (str(a), str(b))
        f = units.conversion(a_read, b_read) if read else None
        factors.append(np.nan if f is None else float(f))
        froms.append(a_read)
        tos.append(b_read)
    return (
        np.array(factors, dtype=float)[codes],
        np.array(froms, dtype=object)[codes],
        np.array(tos, dtype=object)[codes],
    )


def unit_factor(from_units: np.ndarray, to_units: np.ndarray) -> np.ndarray:
    """Per row, the factor that turns a value in ``from_units`` into ``to_units``
    (:func:`perfkit.rules.notation.conversion`: 1 for the same unit or a side without one, 10000 for
    亿元 → 万元 …), NaN where the units cannot be compared. Each distinct pair is asked once."""
    n = len(from_units)
    if not n:
        return np.zeros(0)
    codes, uniques = distinct_pairs(from_units, to_units)
    factors = []
    for a, b in uniques:
        f = notation.conversion(str(a), str(b))
        factors.append(np.nan if f is None else float(f))
    return np.array(factors, dtype=float)[codes]


@dataclass(frozen=True)
class Context:
    """What the scorer knows of each indicator besides its cells: its level names, for reading a
    target written without a comparator (domain.md §7), and its year, for deadlines without one."""

    level1: np.ndarray
    level2: np.ndarray
    level3: np.ndarray
    year: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Context:
        blank = np.full(n, "", dtype=object)
        return cls(blank, blank, blank, np.full(n, np.nan))

    @classmethod
    def of(cls, indicators: pd.DataFrame) -> Context:
        n = len(indicators)

        def text(key: str) -> np.ndarray:
            if key not in indicators:
                return np.full(n, "", dtype=object)
            return indicators[key].to_numpy(dtype=object, na_value="")

        year = (
            pd.to_numeric(indicators["year"], errors="coerce").to_numpy(float)
            if "year" in indicators
            else np.full(n, np.nan)
        )
        return cls(text("level1"), text("level2"), text("level3"), year)
