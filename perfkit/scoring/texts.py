"""The Chinese sentences of indicator scores (``rule_text``, docs/scoring.md "The sentences").

Each indicator's sentence is one of :data:`TEXTS` filled with its numbers, after the readings
inferred for it (:data:`READINGS`, domain.md §7: a direction from context, a converted unit, a
number read from a phrase). Sentences are written only when asked for (:func:`fill`): each
field's strings are rendered once for all rows.
"""

from __future__ import annotations

import string
from collections.abc import Callable

import numpy as np

from perfkit.core.formatting import num
from perfkit.rules import notation
from perfkit.rules.notation import Target
from perfkit.rules.rulebook import Rulebook
from perfkit.scoring.cells import COMPARATORS, Cells, Context

TEXTS: dict[str, str] = {
    "unverifiable_reported": "{why}，无法核实完成情况，采用单位自评得分 {r} 分",
    "unverifiable_rule_zero": "{why}，无法核实完成情况，按评分规则不采用自评得分，得 0 分",
    "unverifiable_zero": "{why}，无法核实完成情况，且未填自评得分，得 0 分",
    "deadline_met": "时效指标：实际完成时间 {ad} 不晚于时限 {td}，得满分 {w} 分",
    "deadline_per_month": (
        "时效指标：实际完成时间 {ad} 晚于时限 {td}，逾期 {late} 个月，"
        "得分 = {w} × (1 − {late} × {pm}%) = {s}"
    ),
    "deadline_zero": "时效指标：实际完成时间 {ad} 晚于时限 {td}，未按时完成，得 0 分",
    "qualitative_reported": "定性指标：自评得分 {r} 在 {tier} 档区间 {lo}–{hi} 分内，采用自评得分",
    "qualitative_tier": "定性指标：{label}（{tier} 档），得分 = {w} × {share}% = {s}",
    "qualitative_outside": (
        "定性指标：{label}（{tier} 档），自评得分 {r} 不在本档区间 {lo}–{hi} 分内，"
        "得分 = {w} × {share}% = {s}"
    ),
    "higher_met": "实际完成值 {a} ≥ 年度指标值 {t}，得满分 {w} 分",
    "higher_ratio": "实际完成值 {a} < 年度指标值 {t}，得分 = {w} × {a} ÷ {t} = {s}",
    "higher_nonpositive": "实际完成值 {a} < 年度指标值 {t}，年度指标值不大于 0，得 0 分",
    "lower_met": "反向指标：实际 {a} ≤ 目标 {t}，得满分 {w} 分",
    "lower_ratio": "反向指标：实际 {a} > 目标 {t}，得分 = {w} × {t} ÷ {a} = {s}",
    "lower_linear": "反向指标：实际 {a} > 目标 {t}，得分 = {w} × (1 − ({a} − {t}) ÷ {t}) = {s}",
    "lower_beyond": "反向指标：实际 {a} 达到目标 {t} 的 2 倍及以上，得 0 分",
    "lower_nonpositive": "反向指标：实际 {a} > 目标 {t}，目标值不大于 0，得 0 分",
    "equal_zero_met": "实际完成值 {a} = 年度指标值 0，得满分 {w} 分",
    "equal_zero_missed": "实际完成值 {a} ≠ 年度指标值 0，得 0 分",
}

#: why a row cannot be verified, by reason number (0: it can)
UNVERIFIABLE = (
    "",
    "年度指标值未填写",
    "实际完成值未填写",
    "年度指标值和实际完成值均未填写",
    "年度指标值「{t}」无法识别",
    "实际完成值「{a}」无法识别",
    "实际完成值「{a}」与年度指标值「{t}」的单位不同，无法换算",
    "实际完成值「{a}」无法归入评分规则的任何档次",
)


def why(reason: np.ndarray, target: Cells, actual: Cells) -> np.ndarray:
    """The sentence of each row's reason (:data:`UNVERIFIABLE`) with the cells as written."""
    out = np.full(len(reason), "", dtype=object)
    for i in np.flatnonzero(reason):
        out[i] = UNVERIFIABLE[reason[i]].format(t=target.raw[i], a=actual.raw[i])
    return out


#: how a reading was inferred, said before the rule in ``rule_text`` (domain.md §7)
READINGS: dict[str, str] = {
    "lower_name": "未写比较符号，按指标名称视为越低越好（不高于年度指标值）",
    "cost": "未写比较符号，按成本指标视为不高于",
    "zero": "未写比较符号，年度指标值为 0，视为应为 0（不应发生）",
    "deadline": "按时效指标，年度指标值视为完成时限",
    "year_filled": "未写年份，按 {year} 年计",
    "money_target": "年度指标值「{traw}」中的“{tunit}”视为{tunit}元",
    "money_actual": "实际完成值「{araw}」中的“{aunit}”视为{aunit}元",
    "converted": "实际完成值 {araw} 换算为 {aconv}{unit}",
    "target_phrase": "从年度指标值「{traw}」中读出 {tfmt}",
    "actual_phrase": "从实际完成值「{araw}」中读出 {afmt}",
    "finer_weight": "分值的小数位数多于评分规则的保留位数，得分保留到分值的小数位，不超过分值",
}


def date_strings(year: np.ndarray, cells: Cells) -> np.ndarray:
    """ "2022年11月", "2022年12月20日", "2021年": the parts a date has."""
    out = np.full(len(year), "", dtype=object)
    for i in np.flatnonzero(~np.isnan(year)):
        text = f"{int(year[i])}年"
        if not np.isnan(cells.month[i]):
            text += f"{int(cells.month[i])}月"
            if not np.isnan(cells.day[i]):
                text += f"{int(cells.day[i])}日"
        out[i] = text
    return out


def readings(
    masks: dict[str, np.ndarray],
    ctx: Context,
    target: Cells,
    actual: Cells,
    a: np.ndarray,
    unit: np.ndarray,
) -> np.ndarray:
    """Per row, the inferred readings in words, joined by "；" ("" where nothing was inferred).
    ``a`` is the actual in the target's unit, ``unit`` the target's unit as read (a bare
    magnitude against money is money)."""
    out = np.full(len(a), "", dtype=object)
    for key, mask in masks.items():
        for i in np.flatnonzero(mask):
            text = READINGS[key].format(
                year=int(ctx.year[i]) if not np.isnan(ctx.year[i]) else "",
                araw=actual.raw[i],
                traw=target.raw[i],
                aconv=num(a[i]),
                unit=unit[i],
                tunit=target.unit[i],
                aunit=actual.unit[i],
                tfmt=_formatted(target, i),
                afmt=_formatted(actual, i),
            )
            out[i] = f"{out[i]}；{text}" if out[i] else text
    return out


def _formatted(cells: Cells, i: int) -> str:
    """The canonical form of one parsed cell ("≥90%")."""
    if np.isnan(cells.value[i]):
        return str(cells.raw[i])
    comparator = COMPARATORS[cells.comparator[i]] or None
    return notation.format_target(
        Target(
            str(cells.raw[i]),
            comparator,
            float(cells.value[i]),
            str(cells.unit[i]),
            bool(cells.approx[i]),
            bool(cells.implicit[i]),
            per=str(cells.per[i]),
        )
    )


def labels(tier: np.ndarray, rulebook: Rulebook) -> np.ndarray:
    """The label of each row's tier ("" where none)."""
    out = np.full(len(tier), "", dtype=object)
    for spec in rulebook.tiers:
        out[tier == spec.key] = spec.label
    return out


def fill(
    case: np.ndarray, keys: list[str], fields: dict[str, Callable[[], np.ndarray]]
) -> np.ndarray:
    """Fill in the sentence of each row's case (an index into ``keys``, the TEXTS keys).

    Each field's strings are rendered once, for all rows.
    """
    text = np.full(len(case), "", dtype=object)
    rendered: dict[str, np.ndarray] = {}
    for number, key in enumerate(keys):
        mask = case == number
        if not mask.any():
            continue
        template = TEXTS[key]
        names: list[str] = []
        positional = ""
        for literal, name, _, _ in string.Formatter().parse(template):
            positional += literal.replace("{", "{{").replace("}", "}}")
            if name:
                if name not in names:
                    names.append(name)
                positional += "{" + str(names.index(name)) + "}"
        for name in names:
            if name not in rendered:
                rendered[name] = fields[name]()
        fmt = positional.format
        text[mask] = [fmt(*row) for row in zip(*(rendered[n][mask] for n in names), strict=True)]
    return text
