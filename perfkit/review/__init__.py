"""The finance bureau's review of the self-evaluations (自评复核, issue 17; domain.md §9).

What a bureau's 绩效科 does after the units submit: screen the quality of every self-evaluation
(checks, risk and rank), draw a sample to re-check (抽查复核), and compare the units' own scores
with the re-checked ones (deviation). The layer sits on scoring (it re-scores with the same
rulebook) and under detail and report (which show it).
"""

import sys
import types
from typing import Any


class _ReviewPackage(types.ModuleType):
    """``perfkit.review(ds, year)`` is the API's screening (:func:`perfkit.api.review`); once a
    module of this package is imported, Python binds the name ``perfkit.review`` to the package,
    which therefore answers the same call."""

    def __call__(self, ds: Any, year: int, rules: Any = None) -> Any:
        from perfkit.review.screening import review

        return review(ds, year, rules)


sys.modules[__name__].__class__ = _ReviewPackage
