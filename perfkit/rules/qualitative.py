"""Qualitative (定性) results: which tier of the rulebook a 实际完成值 such as "达成年度指标" names.

财预〔2020〕10号 scores a qualitative indicator in three tiers — 达成年度指标 (80–100% of the
weight), 部分达成年度指标并具有一定效果 (60–80%), 未达成年度指标且效果较差 (0–60%) — and the
provincial variants rename and re-range them; the phrases of each tier are in the rulebook.

Matching is exact after normalisation (full-width forms folded, spaces and punctuation removed):
a phrase never matches inside a longer text, so "未达成年度指标且效果较差" can only be tier C and
"不满意" never counts as "满意". An actual equal to the (qualitative) target text means the target
was met and counts as ``rulebook.same_as_target``.
"""

from __future__ import annotations

from perfkit.rules.rulebook import Rulebook, normalise

__all__ = ["classify", "normalise"]


def classify(actual_text: str, target_text: str, rulebook: Rulebook) -> str | None:
    """The tier key named by ``actual_text``, or None when it fits no tier (a validation error).

    An actual that repeats the target text ("按时完成" for target "按时完成", "否" for target
    "否") met the target: ``rulebook.same_as_target``. Otherwise the actual must be one of the
    tiers' phrases or labels; there is no partial or substring matching.
    """
    actual = normalise(actual_text)
    if not actual:
        return None
    if rulebook.same_as_target is not None and actual == normalise(target_text):
        return rulebook.same_as_target
    return rulebook.phrase_index.get(actual)
