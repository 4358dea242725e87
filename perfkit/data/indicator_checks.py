"""Checks of the indicators' cells: what a careful reader cannot verify is a warning.

年度指标值 and 实际完成值 must be readable (:func:`perfkit.rules.notation.parse`), a target and
its actual in units that compare (:func:`perfkit.rules.notation.same_unit`) and with the same
qualifier, a qualitative result must name a tier of the rulebook
(:func:`perfkit.rules.qualitative.classify`), and a reported 得分 lies between 0 and the 分值.
None of these stops scoring (issue 8 §4, §6): the row is scored from the unit's reported 得分
(or 0, per the rulebook) and flagged. Each distinct text is parsed once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perfkit.core.problems import Problem
from perfkit.data import schemas
from perfkit.data.readers import RawTable
from perfkit.data.rows import fmt, warning
from perfkit.rules import notation, qualitative
from perfkit.rules.rulebook import Rulebook


def unverifiable_policy(rulebook: Rulebook) -> str:
    """What scoring does with a row it cannot verify (issue 8 §4), as the warnings say it."""
    if rulebook.unverifiable == "zero":
        return "得分无法核实，按评分规则计 0 分。"
    return "得分无法核实，采用单位自评得分（未填自评得分的计 0 分）。"


# --- ---------------------------------------------------------------


@dataclass
class _Parsed:
    """The distinct texts of a 年度指标值 or 实际完成值 column, parsed once each."""

    #: per distinct text: a Target, the NotationError's sentence, or None when blank
    cells: list[notation.Target | str | None]
    #: per distinct text: 0 blank or unreadable, 1 quantitative, 2 qualitative
    kind: np.ndarray
    #: per distinct text: the number of its unit when quantitative (numbered across columns by
    #: the ``units`` given to :func:`_parse_all`), else -1
    unit: np.ndarray
    #: per distinct text: whether it names a point in time (notation ``Target.date``)
    dated: np.ndarray

    def first_by_unit(self) -> dict[int, notation.Target]:
        """The first quantitative Target written in each unit, by unit number."""
        numbers, first = np.unique(self.unit, return_index=True)
        return {int(u): self.cells[i] for u, i in zip(numbers, first, strict=True) if u >= 0}


def _parse_all(values: np.ndarray, units: dict[str, int]) -> _Parsed:
    """Parse each distinct text (one pass); new units are numbered into ``units``."""
    cells: list[notation.Target | str | None] = []
    kind: list[int] = []
    unit: list[int] = []
    for text in values.tolist():
        if not text:
            cells.append(None)
            kind.append(0)
            unit.append(-1)
            continue
        try:
            target = notation.parse(text)
        except notation.NotationError as err:
            cells.append(str(err))
            kind.append(0)
            unit.append(-1)
            continue
        cells.append(target)
        if target.qualitative:
            kind.append(2)
            unit.append(-1)
        else:
            kind.append(1)
            unit.append(units.setdefault(target.unit, len(units)))
    dated = [isinstance(c, notation.Target) and c.date is not None for c in cells]
    return _Parsed(
        cells,
        np.array(kind, dtype=np.int8),
        np.array(unit, dtype=np.int64),
        np.array(dated, dtype=bool),
    )


def _tiers_text(rulebook: Rulebook) -> str:
    tiers = "；".join(
        f"{t.key} 档（{t.label}）：{'、'.join(dict.fromkeys((t.label, *t.phrases)))}"
        for t in rulebook.tiers
    )
    same = "与年度指标值相同，或" if rulebook.same_as_target else ""
    return f"实际完成值应{same}写作评分规则“{rulebook.title}”中某一档的说法——{tiers}。"


def targets_and_actuals(t: RawTable, rulebook: Rulebook) -> list[Problem]:
    """Cells a careful reader cannot verify are warnings, never errors (issue 8 §4, §6): blank
    年度指标值 or 实际完成值 (the target is often in the indicator's name), text that cannot be
    read, units that cannot be compared, a result that names no tier. Scoring takes the unit's
    reported 得分 for them (or 0, per the rulebook) and says so in the rule text."""
    if not t.has("target", "actual"):
        return []
    found: list[tuple[int, str, str, str]] = []  # (row, column key, message, code)
    parsed = {}
    units: dict[str, int] = {}
    policy = unverifiable_policy(rulebook)
    blank = {}
    for key, label in (("target", "年度指标值"), ("actual", "实际完成值")):
        values, codes = t.values(key), t.codes(key)
        parsed[key] = _parse_all(values, units)
        cells = parsed[key].cells
        blank[key] = np.isin(codes, np.flatnonzero(values == ""))
        errors = [i for i, p in enumerate(cells) if isinstance(p, str)]
        found += [
            (int(p), key, f"{label}无法识别（{cells[codes[p]]}），{policy}", f"unreadable_{key}")
            for p in np.flatnonzero(np.isin(codes, errors))
        ]
    both = blank["target"] & blank["actual"]
    for mask, key, what in (
        (both, "target", "年度指标值和实际完成值均未填写"),
        (blank["target"] & ~both, "target", "年度指标值未填写"),
        (blank["actual"] & ~both, "actual", "实际完成值未填写"),
    ):
        found += [(int(p), key, f"{what}，{policy}", "blank_cells") for p in np.flatnonzero(mask)]
    found += [
        (pos, "actual", f"{message}{policy}", "unit_mismatch")
        for pos, message in _unit_mismatches(t, parsed["target"], parsed["actual"], len(units))
    ]
    found += [
        (pos, "actual", f"{message}{policy}", "no_tier")
        for pos, message in _untiered(t, parsed["target"], parsed["actual"], rulebook)
    ]
    found += _actual_comparators(t, parsed["actual"])
    found += _unknown_units(t, parsed)
    found.sort(key=lambda f: (f[0], f[1] != "target"))
    return [warning(t, pos, key, message, code) for pos, key, message, code in found]


def _actual_comparators(t: RawTable, actuals: _Parsed) -> list[tuple[int, str, str, str]]:
    """An actual written with a comparator ("≥90%", often the target copied): read as its number,
    flagged, since it does not say what was achieved (domain.md §7)."""
    with_comparator = [
        i
        for i, p in enumerate(actuals.cells)
        if isinstance(p, notation.Target)
        and p.comparator is not None
        and not p.implicit
        and p.date is None  # "2022年12月" reads as ≤12月 (a deadline form), not a copied target
    ]
    codes = t.codes("actual")
    return [
        (
            int(pos),
            "actual",
            f"实际完成值带有比较符号，按数值 {notation.format_target(bare)} 计分；"
            "实际完成值应填写实际达到的数值。",
            "actual_with_comparator",
        )
        for pos in np.flatnonzero(np.isin(codes, with_comparator))
        for bare in [_bare(actuals.cells[codes[pos]])]
    ]


def _unknown_units(t: RawTable, parsed: dict[str, _Parsed]) -> list[tuple[int, str, str, str]]:
    """A number read with a unit no reader would recognise ("95分值"): scored as read, flagged
    with the reading used (issue 8 §6)."""
    found = []
    for key, label in (("target", "年度指标值"), ("actual", "实际完成值")):
        cells, codes = parsed[key].cells, t.codes(key)
        odd = {
            i: c
            for i, c in enumerate(cells)
            if isinstance(c, notation.Target) and c.value is not None and c.date is None
            and not notation.known_unit(c.unit)
        }  # fmt: skip
        found += [
            (
                int(pos),
                key,
                f"{label}按“{notation.format_target(odd[codes[pos]])}”读取，其单位"
                f"“{odd[codes[pos]].unit}”不是常用计量单位，请核对。",
                "unknown_unit",
            )
            for pos in np.flatnonzero(np.isin(codes, list(odd)))
        ]
    return found


def _bare(target: notation.Target) -> notation.Target:
    return notation.Target(target.raw, ">=", target.value, target.unit, target.approx, True)


def _unit_mismatches(
    t: RawTable, targets: _Parsed, actuals: _Parsed, n_units: int
) -> list[tuple[int, str]]:
    """A quantitative target and actual must be in the same unit (issue 2 §3).

    ``notation.same_unit`` looks at units only, so it is asked once per pair of units, with the
    first target and the first actual written in each unit.
    """
    tc, ac = t.codes("target"), t.codes("actual")
    target_unit, actual_unit = targets.unit[tc], actuals.unit[ac]
    both = (target_unit >= 0) & (actual_unit >= 0) & ~(targets.dated[tc] & actuals.dated[ac])
    pair = target_unit * max(n_units, 1) + actual_unit
    first_target, first_actual = targets.first_by_unit(), actuals.first_by_unit()
    bad = [
        p
        for p in np.unique(pair[both])
        if not notation.same_unit(first_target[int(p) // n_units], first_actual[int(p) % n_units])
    ]
    found = [
        (
            int(pos),
            f"实际完成值的单位“{actuals.cells[ac[pos]].unit}”与年度指标值"
            f"“{targets.cells[tc[pos]].raw}”的单位“{targets.cells[tc[pos]].unit}”不同，"
            "无法换算比较；",
        )
        for pos in np.flatnonzero(both & np.isin(pair, bad))
    ]
    # "人均2000元" against "每户2100元": the same unit, not the same thing. `notation.same_per`
    # looks at the qualifiers only: they are numbered (0: none written) and compared per row.
    pers: dict[str, int] = {"": 0}
    target_per, actual_per = _per_numbers(targets, pers), _per_numbers(actuals, pers)
    tp, ap = target_per[tc], actual_per[ac]
    rows = np.flatnonzero(both & ~np.isin(pair, bad) & (tp != ap) & (tp > 0) & (ap > 0))
    found += [
        (
            int(pos),
            f"实际完成值按“{actuals.cells[ac[pos]].per}”计，年度指标值“{targets.cells[tc[pos]].raw}”"
            f"按“{targets.cells[tc[pos]].per}”计，无法比较；",
        )
        for pos in rows
    ]
    return found


def _per_numbers(parsed: _Parsed, numbers: dict[str, int]) -> np.ndarray:
    """Per distinct text, the number of its qualifier (`Target.per`) in ``numbers``, which new
    qualifiers are added to; 0 for no qualifier and for a text that is not a Target."""
    return np.array(
        [
            numbers.setdefault(c.per, len(numbers)) if isinstance(c, notation.Target) else 0
            for c in parsed.cells
        ],
        dtype=np.int64,
    )


def _untiered(
    t: RawTable, targets: _Parsed, actuals: _Parsed, rulebook: Rulebook
) -> list[tuple[int, str]]:
    """A qualitative result (for a qualitative target, or an actual without a number) must name
    a tier of the rulebook (财预〔2020〕10号: 达成 / 部分达成 / 未达成年度指标)."""
    tc, ac = t.codes("target"), t.codes("actual")
    tk, ak = targets.kind[tc], actuals.kind[ac]
    dated = targets.dated[tc] & actuals.dated[ac]  # "年底前" against "2022年12月28日": a deadline
    rows = np.flatnonzero((tk > 0) & (ak > 0) & ((tk == 2) | (ak == 2)) & ~dated)
    if not len(rows):
        return []
    n = len(actuals.cells)
    pair = tc[rows].astype(np.int64) * n + ac[rows]
    distinct, inverse = np.unique(pair, return_inverse=True)
    tv, av = t.values("target"), t.values("actual")
    fits = np.array(
        [qualitative.classify(av[p % n], tv[p // n], rulebook) is not None for p in distinct],
        dtype=bool,
    )
    message = "无法判断完成档次（" + _tiers_text(rulebook) + "），"
    return [(int(pos), message) for pos in rows[~fits[inverse]]]


def reported_scores(t: RawTable) -> list[Problem]:
    """A reported 得分 lies between 0 and the indicator's 分值. Outside, it is the unit's own
    error (domain.md §7): a warning; perfkit computes its own score and a finding compares."""
    if not t.has("weight", "reported_score"):
        return []
    weight = schemas.typed(t, "weight")
    score = schemas.typed(t, "reported_score")
    bad = (weight >= 0) & ((score < 0) | (score > weight + 1e-9))
    return [
        warning(
            t,
            pos,
            "reported_score",
            f"自评得分应在 0 到该指标的分值 {fmt(weight[pos])} 之间；"
            "得分按评分规则重新计算，不采用自评得分。",
            "reported_score_range",
        )
        for pos in np.flatnonzero(bad)
    ]
