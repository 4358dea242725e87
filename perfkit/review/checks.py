"""The review checks of one table at a time (issue 17 §1; docs/review.md, one section each).

Every function here is the check of the rulebook's ``[review.checks.<code>]`` of its name; its
thresholds and its source are that table's (``perfkit/rules/rulebooks/mof2020.toml``). The
checks across units (the same text in two units) are :mod:`perfkit.review.texts`'.
What scoring already found (a 得分 that differs, a missing 偏差原因, a target set too low) is
taken from the scoring findings, never computed again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.core.formatting import fixed, num, percent
from perfkit.review.registry import (
    ENTITY,
    Context,
    check,
    contains_any,
    hits,
    no_hits,
    normalised,
    quoted,
    text,
)
from perfkit.rules.review import ReviewCheck
from perfkit.scoring.findings import KIND_LABELS

#: a float compared with a threshold: this much past it is past it (0.05 is not above 5%)
EPS = 1e-9
#: at most this many indicator names in one evidence text
LISTED = 10
AT_LEAST = (">=", ">")


def _names(level3: pd.Series) -> str:
    """Indicator names as a reader lists them: 「A」、「B」… (at most :data:`LISTED`)."""
    names = [f"「{n}」" for n in level3.tolist()]
    more = f"等 {len(names)} 项" if len(names) > LISTED else ""
    return "、".join(names[:LISTED]) + more


@check("all_full_marks")
def all_full_marks(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """Every indicator of a table (of at least ``min_indicators``) self-scored full marks: a
    reported 得分 at its 分值 on every row; the whole table when its printed execution 得分 is
    full too (复核工作底稿, domain.md §9)."""
    ind = ctx.indicators
    full = (ind["reported_score"].notna() & (ind["reported_score"] >= ind["weight"] - EPS)).rename(
        "full"
    )
    per = (
        ind.assign(full=full)
        .groupby(ENTITY, sort=True)
        .agg(n=("full", "size"), n_full=("full", "sum"), weight=("weight", "sum"))
        .reset_index()
    )
    per = per[(per["n"] >= settings["min_indicators"]) & (per["n_full"] == per["n"])]
    if per.empty:
        return no_hits()
    tables = ctx.tables.set_index(ENTITY)
    keys = pd.MultiIndex.from_frame(per[ENTITY])
    ew = tables["execution_weight"].reindex(keys).to_numpy(dtype=float)
    reported = tables["reported_execution_score"].reindex(keys).to_numpy(dtype=float)
    whole = (ew > 0) & ~np.isnan(reported) & (reported >= ew - EPS)
    evidence, message = [], []
    for n, weight, w, r, all_of_it in zip(
        per["n"], per["weight"], ew, reported, whole, strict=True
    ):
        said = f"{n} 项指标的自评得分均等于分值（合计 {num(weight)} 分）"
        if all_of_it:
            said += f"；预算执行率自评 {num(r)} 分，亦为满分（{num(w)} 分）"
        evidence.append(said)
        table = "，整张自评表为满分" if all_of_it else ""
        message.append(f"全部 {n} 项绩效指标均自评满分{table}，应逐项核对完成值的佐证材料。")
    return hits(per, "", evidence, message)


def _execution_shares(ctx: Context) -> pd.DataFrame:
    """Per table, the share of the indicator points and of the execution points it scored.

    A table scoring execution beside its indicators: 指标得分 ÷ (100 − 执行分值) and 执行得分 ÷
    执行分值. A table scoring 预算执行率 as one of its indicators (docs/scoring.md §1.1): that
    row's score ÷ its 分值, and the other indicators' scores ÷ their points.
    """
    columns = [*ENTITY, "execution_weight", "execution_score", "indicator_score", "adjusted_budget"]
    t = ctx.tables[columns].copy()
    t["i_points"] = 100.0 - t["execution_weight"]
    t["i_score"] = t["indicator_score"]
    t["e_points"] = t["execution_weight"]
    t["e_score"] = t["execution_score"]
    ind = ctx.indicators
    inner = ind[ind["rule"] == "execution_indicator"]
    if not inner.empty:
        sums = inner.groupby(ENTITY)[["weight", "score"]].sum()
        keys = pd.MultiIndex.from_frame(t[ENTITY])
        w = sums["weight"].reindex(keys).to_numpy(dtype=float)
        s = sums["score"].reindex(keys).to_numpy(dtype=float)
        inside = (t["execution_weight"].to_numpy() == 0) & ~np.isnan(w)
        t.loc[inside, "i_points"] = 100.0 - w[inside]
        t.loc[inside, "i_score"] = t.loc[inside, "indicator_score"] - s[inside]
        t.loc[inside, "e_points"] = w[inside]
        t.loc[inside, "e_score"] = s[inside]
    return t


@check("completion_outruns_spending")
def completion_outruns_spending(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """The vendor's red warning: (指标得分/90 − 执行得分/10) ÷ (指标得分/90) above ``threshold``
    (5%), on the scores perfkit computed; 90 and 10 are the table's own points. A table without
    a 全年预算数 has no execution to compare (``zero_budget`` says so)."""
    t = _execution_shares(ctx)
    ok = (t["i_points"] > 0) & (t["e_points"] > 0) & (t["i_score"] > 0)
    ok &= t["adjusted_budget"] > EPS
    t = t[ok].copy()
    i_share = t["i_score"] / t["i_points"]
    e_share = t["e_score"] / t["e_points"]
    gap = (i_share - e_share) / i_share
    t = t.assign(i_share=i_share, e_share=e_share, gap=gap)
    t = t[t["gap"] > settings["threshold"] + EPS]
    evidence = [
        f"指标得分 {fixed(r.i_score)} ÷ {num(r.i_points)} = {percent(r.i_share)}；"
        f"执行得分 {fixed(r.e_score)} ÷ {num(r.e_points)} = {percent(r.e_share)}；"
        f"({percent(r.i_share)} − {percent(r.e_share)}) ÷ {percent(r.i_share)} = {percent(r.gap)}"
        for r in t.itertuples()
    ]
    message = [
        f"指标完成情况明显好于预算执行：指标得分率 {percent(r.i_share)}，预算执行得分率 "
        f"{percent(r.e_share)}，偏离 {percent(r.gap)}，超过 {percent(settings['threshold'])}。"
        for r in t.itertuples()
    ]
    return hits(t, "", evidence, message)


@check("zero_budget")
def zero_budget(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """The vendor's yellow warning: a table whose 全年预算数 is 0."""
    t = ctx.tables[ctx.tables["adjusted_budget"].abs() <= EPS]
    evidence = [f"全年预算数 0 万元，全年执行数 {num(x)} 万元" for x in t["executed"].fillna(0)]
    message = ["全年预算数为 0，预算执行率和指标完成情况无从对照。"] * len(t)
    return hits(t, "", evidence, message)


@check("budget_unspent")
def budget_unspent(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """The vendor's yellow warning: (全年预算数 − 全年执行数) ÷ 全年预算数 above ``threshold``."""
    t = ctx.tables[(ctx.tables["adjusted_budget"] > EPS) & ctx.tables["executed"].notna()]
    left = (t["adjusted_budget"] - t["executed"]) / t["adjusted_budget"]
    t = t.assign(left=left)[left > settings["threshold"] + EPS]
    evidence = [
        f"全年预算数 {num(r.adjusted_budget)} 万元，全年执行数 {num(r.executed)} 万元，"
        f"未执行 {percent(r.left)}"
        for r in t.itertuples()
    ]
    message = [
        f"预算未执行 {percent(r.left)}，超过 {percent(settings['threshold'])}。"
        for r in t.itertuples()
    ]
    return hits(t, "", evidence, message)


def _largest_group(rows: pd.DataFrame) -> pd.DataFrame:
    """Per table, its indicators with the most common normalised 年度指标值 (ties: the first
    target in text order), with ``n`` their count; blank targets are no group."""
    rows = rows.assign(key=normalised(rows["target"]))
    rows = rows[rows["key"] != ""]
    if rows.empty:
        return rows.assign(n=pd.Series([], dtype=int))
    n = rows.groupby([*ENTITY, "key"])["key"].transform("size")
    rows = rows.assign(n=n).sort_values([*ENTITY, "n", "key"], ascending=[True] * 3 + [False, True])
    first = rows.groupby(ENTITY, sort=False)["key"].transform("first")
    return rows[rows["key"] == first]


def _group_hits(groups: pd.DataFrame, sentence) -> pd.DataFrame:
    """One hit per table of ``groups`` (:func:`_largest_group`'s rows), its message from
    ``sentence(n, target, first_row)``."""
    if groups.empty:
        return no_hits()
    first = groups.groupby(ENTITY, sort=True).head(1)
    names = groups.groupby(ENTITY, sort=True)["level3"].apply(_names)
    evidence = [
        f"{n} 项指标的年度指标值均为“{target}”：{listed}"
        for n, target, listed in zip(first["n"], text(first["target"]), names, strict=True)
    ]
    message = [sentence(r) for r in first.itertuples()]
    return hits(first, "", evidence, message)


@check("uniform_benefit_targets")
def uniform_benefit_targets(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """At least ``min_count`` indicators under a 一级/二级指标 naming one of ``levels``
    (社会效益, 满意度) with the same 年度指标值, such as nine "≥95%" (复核工作底稿)."""
    ind = ctx.indicators
    levels = settings["levels"]
    rows = ind[contains_any(ind["level1"], levels) | contains_any(ind["level2"], levels)]
    groups = _largest_group(rows)
    groups = groups[groups["n"] >= settings["min_count"]]
    kinds = "、".join(levels)
    return _group_hits(
        groups,
        lambda r: (
            f"{r.n} 项{kinds}类指标的年度指标值均为“{str(r.target).strip()}”，"
            "指标值未体现各项工作的实际水平。"
        ),
    )


@check("same_target_text")
def same_target_text(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """At least ``min_count`` indicators of a table, and at least ``min_share`` of them, with
    the same 年度指标值: targets not worked out indicator by indicator."""
    ind = ctx.indicators
    total = ind.groupby(ENTITY)["level3"].transform("size").rename("total")
    groups = _largest_group(ind.assign(total=total))
    keep = (groups["n"] >= settings["min_count"]) & (
        groups["n"] >= settings["min_share"] * groups["total"] - EPS
    )
    return _group_hits(
        groups[keep],
        lambda r: (
            f"{r.n} 项指标（共 {r.total} 项）的年度指标值均为“{str(r.target).strip()}”，"
            "指标值未按各项工作细化。"
        ),
    )


def _cells(rows: pd.DataFrame) -> list[str]:
    """年度指标值 and 实际完成值 as the evidence of an indicator's hit."""
    return [
        f"年度指标值“{t}”，实际完成值“{a}”"
        for t, a in zip(text(rows["target"]), text(rows["actual"]), strict=True)
    ]


@check("cost_with_ge")
def cost_with_ge(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """A 成本指标 (一级/二级指标 naming one of ``levels``) whose target is written with ≥ or >:
    a cost is a cap (财预〔2021〕101号)."""
    ind = ctx.indicators
    levels = settings["levels"]
    cost = contains_any(ind["level1"], levels) | contains_any(ind["level2"], levels)
    rows = ind[cost & ind["comparator"].isin(AT_LEAST).to_numpy()]
    message = [
        f"成本指标「{n}」的年度指标值写作{t}（不低于），成本指标应为上限（≤）。"
        for n, t in zip(text(rows["level3"]), quoted(rows["target"]), strict=True)
    ]
    return hits(rows, text(rows["level3"]), _cells(rows), message)


@check("payment_as_quantity")
def payment_as_quantity(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """A 资金支付 / 预算执行 indicator (三级指标 naming one of ``names``) filed under a 二级指标
    naming one of ``levels`` (数量指标): such an indicator scores 0 on review (domain.md §9)."""
    ind = ctx.indicators
    rows = ind[
        contains_any(ind["level2"], settings["levels"])
        & contains_any(ind["level3"], settings["names"])
    ]
    evidence = [
        f"二级指标“{b}”，三级指标“{c}”"
        for b, c in zip(text(rows["level2"]), text(rows["level3"]), strict=True)
    ]
    message = [
        f"「{c}」是资金支付或预算执行类指标，却列为{b}；复核时该指标不得分。"
        for b, c in zip(text(rows["level2"]), text(rows["level3"]), strict=True)
    ]
    return hits(rows, text(rows["level3"]), evidence, message)


@check("satisfaction_without_survey")
def satisfaction_without_survey(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """A 满意度 indicator (二级/三级指标 naming one of ``names``) whose 实际完成值 or 偏差原因
    says only that there were no complaints (``phrases``): no survey, 0 on review."""
    ind = ctx.indicators
    about = contains_any(ind["level2"], settings["names"]) | contains_any(
        ind["level3"], settings["names"]
    )
    said = contains_any(ind["actual"], settings["phrases"]) | contains_any(
        ind["deviation_reason"], settings["phrases"]
    )
    rows = ind[about & said]
    evidence = [
        f"实际完成值“{a}”" + (f"，偏差原因“{r}”" if r else "")
        for a, r in zip(text(rows["actual"]), text(rows["deviation_reason"]), strict=True)
    ]
    message = [
        f"满意度指标「{n}」以“未收到投诉”一类说法代替满意度调查，缺少调查佐证；复核时该指标不得分。"
        for n in text(rows["level3"])
    ]
    return hits(rows, text(rows["level3"]), evidence, message)


@check("deadline_self_met_missed")
def deadline_self_met_missed(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """A 时效指标 perfkit scores as missed (rule ``deadline``, not met) that the unit scored
    higher than perfkit by more than ``[findings] score_mismatch``: reported met."""
    ind = ctx.indicators
    above = ind["reported_score"] - ind["score"] > ctx.rulebook.score_mismatch + EPS
    rows = ind[(ind["rule"] == "deadline") & ~ind["met"].astype(bool) & above.fillna(False)]
    evidence = [
        f"{cells}，自评 {num(r)} 分，按期限计 {num(s)} 分"
        for cells, r, s in zip(_cells(rows), rows["reported_score"], rows["score"], strict=True)
    ]
    message = [
        f"时效指标「{n}」自评按期完成，实际完成时间晚于年度指标值的期限。"
        for n in text(rows["level3"])
    ]
    return hits(rows, text(rows["level3"]), evidence, message)


def _from_findings(ctx: Context, kind: str, sentence) -> pd.DataFrame:
    """The scoring findings of ``kind`` as hits: the finding's sentence is the evidence."""
    f = ctx.findings[ctx.findings["kind"] == kind]
    subject = text(f["subject"])
    level3 = subject.where(~subject.isin(["单位整体", "项目整体"]), "")
    message = [sentence(s, v) for s, v in zip(subject, f["value"], strict=True)]
    return hits(f, level3, text(f["message"]), message)


@check("target_too_low")
def target_too_low(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """Scoring's ``over_target`` finding: actual at least ``[findings] over_target`` (130%)
    of a ≥ target; not deducted, but the target was set too low."""
    return _from_findings(
        ctx,
        "over_target",
        lambda s, v: f"「{s}」实际完成值达到年度指标值的 {percent(v)}，指标值设置偏低。",
    )


@check("score_mismatch")
def score_mismatch(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """Scoring's ``score_mismatch`` finding: a printed 得分 or 执行率 that differs from the
    computed one beyond the precision it was printed at."""
    label = KIND_LABELS["score_mismatch"]
    return _from_findings(ctx, "score_mismatch", lambda s, v: f"「{s}」{label}。")


@check("missing_deviation_reason")
def missing_deviation_reason(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """Scoring's ``missing_deviation_reason`` finding: an indicator under target without a
    偏差原因分析及改进措施."""
    label = KIND_LABELS["missing_deviation_reason"]
    return _from_findings(ctx, "missing_deviation_reason", lambda s, v: f"「{s}」{label}。")


@check("target_below_last_actual")
def target_below_last_actual(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """A ≥ target below what the same indicator (same table, same 三级指标, same unit of
    measure) achieved the year before: a target set without regard to what was achieved."""
    ind, prev = ctx.indicators, ctx.previous
    if prev.empty:
        return no_hits()
    keys = ["unit_code", "project_code", "name_key", "unit"]
    now = ind[ind["comparator"].isin(AT_LEAST).to_numpy() & ind["target_value"].notna()]
    now = now.assign(name_key=normalised(now["level3"]))
    before = prev[prev["actual_value"].notna()]
    before = before.assign(name_key=normalised(before["level3"]))
    before = before[[*keys, "actual", "actual_value"]].drop_duplicates(keys)
    before = before.rename(columns={"actual": "last_actual", "actual_value": "last_value"})
    rows = now.merge(before, on=keys, how="inner")
    rows = rows[rows["target_value"] < rows["last_value"] - EPS]
    last = ctx.year - 1
    evidence = [
        f"{ctx.year} 年度指标值“{t}”，{last} 年实际完成值“{a}”"
        for t, a in zip(text(rows["target"]), text(rows["last_actual"]), strict=True)
    ]
    message = [
        f"「{n}」的年度指标值低于上年实际完成值，指标值设置未考虑已达到的水平。"
        for n in text(rows["level3"])
    ]
    return hits(rows, text(rows["level3"]), evidence, message)


@check("execution_cap")
def execution_cap(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """A province's cap of the total by the execution rate (off by default): a rate below
    ``below[i]`` caps the total at ``max_total[i]``, the strictest that applies; a total above
    its cap is a finding (the score itself is the rulebook's)."""
    t = ctx.tables[ctx.tables["execution_rate"].notna() & ctx.tables["total"].notna()]
    rate = t["execution_rate"].to_numpy(dtype=float)
    cap = np.full(len(t), np.inf)
    for below, most in zip(settings["below"], settings["max_total"], strict=True):
        cap = np.where(rate < below - EPS, np.minimum(cap, most), cap)
    over = t["total"].to_numpy(dtype=float) > cap + EPS
    t, cap = t[over], cap[over]
    evidence = [
        f"预算执行率 {percent(r)}，总分 {fixed(s)}"
        for r, s in zip(t["execution_rate"], t["total"], strict=True)
    ]
    message = [
        f"预算执行率为 {percent(r)}，按某省规则总分应不高于 {num(c)} 分"
        f"（按评分规则计算为 {fixed(s)} 分）。"
        for r, c, s in zip(t["execution_rate"], cap, t["total"], strict=True)
    ]
    return hits(t, "", evidence, message)


@check("over_target_deduction")
def over_target_deduction(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """A province's deduction (off by default): a ≥ indicator completed at ``ratio`` (130%) of
    its target or more loses ``points`` (2) on review; shown, never applied to the score."""
    ind = ctx.indicators
    at_least = ind["comparator"].isin(AT_LEAST).to_numpy()
    rows = ind[at_least & (ind["completion"] >= settings["ratio"] - EPS).fillna(False).to_numpy()]
    evidence = [
        f"{cells}，完成率 {percent(c)}"
        for cells, c in zip(_cells(rows), rows["completion"], strict=True)
    ]
    message = [
        f"「{n}」完成值达到年度指标值的 {percent(c)}，按某省规则应扣 {num(settings['points'])} 分"
        "（指标值设置偏低）。"
        for n, c in zip(text(rows["level3"]), rows["completion"], strict=True)
    ]
    return hits(rows, text(rows["level3"]), evidence, message)
