"""``load(path, rules=None) -> Dataset``: read, validate, then give the tables their types.

Nothing is coerced until every problem of the input is known: :func:`load` raises
:class:`~perfkit.core.problems.InvalidInput` with all of them, and only a valid dataset becomes a
:class:`~perfkit.data.dataset.Dataset` (years and months int, amounts and points float, a blank 得分
NaN, texts str, ``_row`` the Excel row of each record, and ``_<key>_step`` beside a printed 执行率
or 得分: the precision it was written at).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.core import gcpause
from perfkit.core.problems import InvalidInput, errors
from perfkit.data import schemas
from perfkit.data.contract import TABLES, Narrative, Table, step_column
from perfkit.data.dataset import Dataset
from perfkit.data.readers import RawDataset, RawTable, read_dataset
from perfkit.data.validation import validate
from perfkit.rules.rulebook import Rulebook, load_rulebook


def load(path: str | Path, rules: str | Path | Rulebook | None = None) -> Dataset:
    """Read and validate a dataset (CSV folder or .xlsx workbook) checked against ``rules``
    (a preset name, a rulebook file or a :class:`Rulebook`; default mof2020).

    Raises UsageError for a path that is neither, InvalidInput listing every problem found when
    any of them is an error. Warnings alone do not stop loading: they are kept in
    ``Dataset.warnings``.
    """
    rulebook = rules if isinstance(rules, Rulebook) else load_rulebook(rules)
    with gcpause.paused():
        raw = read_dataset(path)
        problems = validate(raw, rulebook)
        if errors(problems):
            raise InvalidInput(problems)
        ds = to_dataset(raw)
        ds.warnings = problems
        return ds


def to_dataset(raw: RawDataset) -> Dataset:
    """Type the raw tables into a :class:`Dataset` without validating them (callers validate)."""
    frames = {t.name: _typed_frame(t, raw.tables[t.name]) for t in TABLES}
    return Dataset(
        **frames,
        narratives=_narratives(raw),
        project_narratives=_project_narratives(raw),
        source=raw.source,
        files={name: t.file for name, t in raw.tables.items()},
        headers={name: dict(t.headers) for name, t in raw.tables.items()},
        fingerprint=raw.fingerprint,
        fictional=raw.fictional,
        name=raw.name,
    )


def _typed_frame(table: Table, raw: RawTable) -> pd.DataFrame:
    """The contract's columns in contract order, typed, plus ``_row``; empty when absent."""
    n = len(raw.frame) if raw.status == "ok" else 0
    columns: dict[str, object] = {}
    for col in table.columns:
        present = n > 0 and col.key in raw.frame.columns
        if col.kind in ("year", "month"):
            values = schemas.typed(raw, col.key) if present else np.empty(0)
            columns[col.key] = values.astype(np.int64)
        elif col.kind == "number":
            columns[col.key] = schemas.typed(raw, col.key) if present else np.full(n, np.nan)
            if col.printed:  # issue 16 §10: compared at the precision printed
                steps = schemas.steps(raw, col.key) if present else np.full(n, np.nan)
                columns[step_column(col.key)] = steps
        elif present:
            columns[col.key] = text_array(raw, col.key)
        else:
            columns[col.key] = pd.array(np.full(n, "", dtype=object), dtype="str")
    columns["_row"] = raw.rows[:n].astype(np.int64)
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def text_array(raw: RawTable, key: str) -> pd.api.extensions.ExtensionArray:
    """A column of ``raw`` as a ``str`` array: what ``pd.array(raw.column(key), dtype="str")``
    gives, made from the distinct values (each checked once) and taken per row."""
    return pd.array(raw.values(key), dtype="str").take(raw.codes(key))


def _narratives(raw: RawDataset) -> dict[tuple[int, str], Narrative]:
    return {
        (int(schemas.parse_years([n.year])[0]), n.unit_code): n.narrative
        for n in raw.narratives
        if not n.project_code
    }


def _project_narratives(raw: RawDataset) -> dict[tuple[int, str, str], Narrative]:
    """Projects' narratives, keyed (year, unit_code, project_code)."""
    return {
        (int(schemas.parse_years([n.year])[0]), n.unit_code, n.project_code): n.narrative
        for n in raw.narratives
        if n.project_code
    }
