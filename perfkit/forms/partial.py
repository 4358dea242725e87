"""Loading a dataset not filled in yet: the finance bureau's data before the forms come back.

``forms make`` and ``forms collect --base`` start from what the bureau holds: units, the budget
from its budget system, and the indicators with their targets and weights as set when the budget
was drawn up (绩效目标申报) — but no 实际完成值 yet. Such a dataset is validated like any other
(every problem reported, in the same words), except that a blank 实际完成值 is accepted.
"""

from __future__ import annotations

from pathlib import Path

from perfkit.core.problems import InvalidInput, Problem, errors
from perfkit.data import loading
from perfkit.data.dataset import Dataset
from perfkit.data.readers import RawDataset, read_dataset
from perfkit.data.validation import validate
from perfkit.rules.rulebook import Rulebook, load_rulebook


def _blank_actual(problem: Problem, raw: RawDataset) -> bool:
    t = raw.tables["indicators"]
    return (
        problem.file == t.file
        and "actual" in t.headers
        and problem.column == t.headers["actual"]
        and not (problem.value or "").strip()
    )


def load_partial(path: str | Path, rules: str | Path | Rulebook | None = None) -> Dataset:
    """:func:`perfkit.data.loading.load`, but indicators may still lack their 实际完成值."""
    rulebook = rules if isinstance(rules, Rulebook) else load_rulebook(rules)
    raw = read_dataset(path)
    problems = [p for p in validate(raw, rulebook) if not _blank_actual(p, raw)]
    if errors(problems):
        raise InvalidInput(problems)
    ds = loading.to_dataset(raw)
    ds.warnings = problems
    return ds
