"""The shortcuts taken for speed give what the long way gives.

- ``findings.count`` (how many findings per unit, without writing them) agrees with ``find``;
- ``Scores.indicators`` and ``Scores.findings`` are written on first use, once, and equal what
  ``score_indicators`` and ``find`` give;
- ``gcpause.paused`` restores the garbage collector as it found it.
"""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perfkit.core import gcpause
from perfkit.rules.rulebook import load_rulebook, presets
from perfkit.scoring import findings, metrics
from perfkit.scoring.scores import score_dataset, score_indicators

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


@pytest.fixture(scope="module")
def dataset(sample_dataset):
    return sample_dataset


@pytest.mark.parametrize("preset", presets())
def test_count_agrees_with_find(dataset, preset):
    rulebook = load_rulebook(preset)
    scores = score_dataset(dataset, rulebook)
    indicators = score_indicators(dataset.indicators, rulebook)
    items = metrics.execution_by(dataset.budget, "item")
    progress = metrics.time_progress(dataset.monthly, dataset.budget)
    units = scores.units
    found = findings.find(indicators, units, items, progress, rulebook)
    counted = findings.count(indicators, units, items, progress, rulebook)
    assert len(found) > 0  # the sample has findings of several kinds
    expected = found.groupby(findings.KEYS).size()
    pd.testing.assert_series_equal(counted.sort_index(), expected.sort_index())
    # n_findings of the units and projects frames counts scores.findings (0 where none)
    every = scores.findings.groupby(findings.KEYS).size()
    rows = pd.concat([scores.units.assign(project_code=""), scores.projects])
    per_table = rows.set_index(findings.KEYS)["n_findings"]
    assert per_table.sum() == len(scores.findings)
    assert (per_table.reindex(every.index) == every).all()


def test_scores_write_their_sentences_once(dataset):
    rulebook = load_rulebook("mof2020")
    scores = score_dataset(dataset, rulebook)
    first = scores.indicators
    assert scores.indicators is first  # written once, then kept
    assert scores.findings is scores.findings
    expected = score_indicators(dataset.indicators, rulebook)
    pd.testing.assert_frame_equal(first, expected)
    assert list(first.columns).index("rule_text") == list(first.columns).index("score") - 1


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_pause_restores_the_collector(enabled):
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with gcpause.paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError), gcpause.paused():
            raise ValueError("an error inside the pause")
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([], []),
        (["元", "万元", "元", "", "元"], ["元", "元", "元", "", "万元"]),
        (["x"] * 5, ["y", "x", "y", "x", "z"]),
        (["a", "b", "ab", ""], ["", "ab", "b", "a"]),  # pairs that joined texts would confuse
    ],
)
def test_distinct_pairs_agree_with_factorizing_tuples(a, b):
    """``cells.distinct_pairs`` numbers (a, b) pairs as ``pd.factorize`` of the tuples does."""
    from perfkit.scoring.cells import distinct_pairs

    codes, pairs = distinct_pairs(np.array(a, dtype=object), np.array(b, dtype=object))
    expected_codes, expected = pd.factorize(pd.Series(list(zip(a, b, strict=True)), dtype=object))
    assert codes.tolist() == expected_codes.tolist()
    assert pairs == list(expected)
