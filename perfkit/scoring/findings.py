"""Findings: what the numbers reveal, the raw material of the report's section 三 (存在问题).

Each finding is a record ``year, unit_code, kind, subject, message, value``; ``message`` is a
Chinese sentence as the seed report would write it, ``value`` the number behind it. Kinds, with
their thresholds read from the rulebook's ``[findings]``:

- ``low_execution``: the unit, or a budget item (rows grouped by 项目), executed below
  ``low_execution`` (90%) of its 全年预算数 (Sichuan's forms ask for an explanation below 90%);
- ``overspend``: the unit's (or project's) table, a budget item or a fund source whose 全年执行数
  exceeds its 全年预算数 (issue 16 §10); the execution score stays capped;
- ``time_progress_lag``: at the months ``time_progress_months``, cumulative execution behind
  序时进度 (m / 12) by more than ``time_progress_tolerance`` (domain.md §4);
- ``under_target``: an indicator that missed its 年度指标值 (a qualitative one below the top tier);
- ``over_target``: a ≥ indicator whose actual is at least ``over_target`` (130%) of its target,
  i.e. the target was set too low (财预〔2020〕10号; Guangxi asks for an explanation from 130%);
- ``missing_deviation_reason``: under target with no 偏差原因分析及改进措施;
- ``score_mismatch``: a reported 得分 that differs from the computed score by more than
  ``score_mismatch`` (0.01); likewise the unit's printed 执行率 (by more than 0.05 points) and
  execution 得分 (the budget table's ``reported_rate`` and ``reported_execution_score``), each
  beyond the precision it was printed at (:mod:`perfkit.scoring.mismatches`);
- ``data_warning``: a validation warning about the unit (weights that do not add up, blank or
  unreadable cells, units' own scoring errors …: issue 8), its problem code in ``code``.

Every finding also has ``code``: the kind, or for ``data_warning`` the warning's code, and
``project_code``: "" for a finding of the unit's 部门整体 table, the project's 项目编码 for a
finding of a project's 项目支出绩效自评表 (issue 11). Two kinds only a project view allows are
findings of the unit (:mod:`perfkit.scoring.project_checks`):

- ``project_budget_mismatch``: the unit's 项目支出 budget rows (支出类型 项目支出, no 项目编码) add
  up to a 全年预算数 that differs from the sum of its projects' 全年预算数 by more than
  ``project_budget_tolerance`` (0.01 万元);
- ``project_low_execution``: a project executed below ``low_execution`` inside a unit whose own
  (部门整体) execution is not below it: the unit's figure hides it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from perfkit.core.formatting import fixed_strings, num, percent_strings, round_half_up
from perfkit.core.problems import Problem
from perfkit.rules.qualitative import normalise
from perfkit.rules.rulebook import Rulebook
from perfkit.scoring.finding_frames import (
    COLUMNS,
    KEYS,
    PROJECT_SUBJECT,
    UNIT_SUBJECT,
    clean_texts,
    column_text,
    finding_frame,
    named,
    project_codes,
    with_project,
)
from perfkit.scoring.mismatches import (
    execution_mismatch,
    execution_mismatch_rows,
    mismatched_scores,
    score_mismatch,
)

KINDS = (
    "low_execution",
    "overspend",
    "project_low_execution",
    "project_budget_mismatch",
    "time_progress_lag",
    "under_target",
    "over_target",
    "missing_deviation_reason",
    "score_mismatch",
    "data_warning",
)
#: each kind as a reader names it (the index's summary, Chinese tables in a notebook)
KIND_LABELS: dict[str, str] = {
    "low_execution": "预算执行率偏低",
    "overspend": "超预算支出",
    "project_low_execution": "项目预算执行率偏低",
    "project_budget_mismatch": "项目支出预算与所属项目不一致",
    "time_progress_lag": "支出进度滞后",
    "under_target": "指标未达到年度指标值",
    "over_target": "年度指标值设置偏低",
    "missing_deviation_reason": "未说明偏差原因",
    "score_mismatch": "自评得分有误",
    "data_warning": "自评表填报不规范",
}
#: the same, short, for a chart's column labels
KIND_SHORT: dict[str, str] = {
    "low_execution": "执行率偏低",
    "overspend": "超预算",
    "project_low_execution": "项目执行率低",
    "project_budget_mismatch": "项目预算不符",
    "time_progress_lag": "进度滞后",
    "under_target": "未达目标",
    "over_target": "目标偏低",
    "missing_deviation_reason": "缺偏差原因",
    "score_mismatch": "得分有误",
    "data_warning": "填报问题",
}


def low_execution(units: pd.DataFrame, items: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """The unit, or a budget item, below ``rulebook.low_execution`` of its 全年预算数.

    "党团经费预算执行率为 45.00%，低于 90%，执行进度偏低。" (the unit: "单位整体预算执行率为 …";
    a project's own table: "项目整体预算执行率为 …")
    """
    tail = f"，低于 {num(rulebook.low_execution * 100)}%，执行进度偏低。"
    out = []
    for rows, column in zip(
        _low_execution_rows(units, items, rulebook), (None, "item"), strict=True
    ):
        if column is None:
            project = project_codes(rows) != ""
            names = np.where(project, PROJECT_SUBJECT, UNIT_SUBJECT).astype(object)
        else:
            names = column_text(rows, column)
        rate = rows["execution_rate"].to_numpy(float)
        message = names + "预算执行率为 " + percent_strings(rate) + tail
        out.append(finding_frame(rows, "low_execution", names, message, rate))
    return pd.concat(out, ignore_index=True)


def _low_execution_rows(
    units: pd.DataFrame, items: pd.DataFrame, rulebook: Rulebook
) -> list[pd.DataFrame]:
    """The units, then the items, below the rulebook's threshold (NaN rates drop out)."""
    limit = rulebook.low_execution
    return [frame[np.round(frame["execution_rate"], 9) < limit] for frame in (units, items)]


def _overspend_rows(
    units: pd.DataFrame,
    items: pd.DataFrame,
    sources: pd.DataFrame | None,
    rulebook: Rulebook,
) -> list[pd.DataFrame]:
    """The tables, then the items (项目), then the fund sources (资金来源) whose 全年执行数
    exceeds their 全年预算数 by more than ``rulebook.overspend_tolerance`` (compared after
    rounding to 6 decimals: an amount is never finer than 0.01 元). An item or a source whose
    sums are the whole table's (a table of one item, one source) is the table's finding only."""
    tolerance = rulebook.overspend_tolerance

    def over(frame: pd.DataFrame) -> pd.DataFrame:
        diff = frame["executed"].to_numpy(float) - frame["adjusted_budget"].to_numpy(float)
        return frame[np.round(diff, 6) > tolerance]

    tables = with_project(over(units))
    found = [tables]
    whole = tables[[*KEYS, "adjusted_budget", "executed"]].rename(
        columns={"adjusted_budget": "_budget", "executed": "_executed"}
    )
    for frame, column in ((items, "item"), (sources, "fund_source")):
        if frame is None or column not in frame.columns:
            found.append(tables.iloc[:0].assign(**{column: ""}))
            continue
        rows = with_project(over(frame))
        rows = rows[column_text(rows, column) != ""]  # a blank source names nothing
        joined = rows.merge(whole, on=KEYS, how="left")
        same = np.isclose(joined["adjusted_budget"], joined["_budget"], rtol=0, atol=1e-9) & (
            np.isclose(joined["executed"], joined["_executed"], rtol=0, atol=1e-9)
        )
        found.append(rows[~np.asarray(same)])
    return found


def overspend(
    units: pd.DataFrame,
    items: pd.DataFrame,
    rulebook: Rulebook,
    sources: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Spending above the budget (issue 16 §10): a table, a budget item or a fund source whose
    全年执行数 exceeds its 全年预算数 (see :func:`_overspend_rows`). The execution score stays
    capped at the weight (min(rate, 1), docs/scoring.md §1); the finding says what was spent.

    "单位整体全年执行数 105.00 万元，超过全年预算数 100.00 万元，超支 5.00 万元（执行率 105.00%），
    属超预算支出，预算执行率得分以满分为限。" (a project's own table: "项目整体…"; an item:
    "公用经费全年执行数 …"; a source: "资金来源“上年结转”全年执行数 …") ``value``: executed −
    budget (万元).
    """
    out = []
    parts = _overspend_rows(units, items, sources, rulebook)
    for rows, column in zip(parts, (None, "item", "fund_source"), strict=True):
        if column is None:
            project = project_codes(rows) != ""
            names = np.where(project, PROJECT_SUBJECT, UNIT_SUBJECT).astype(object)
            tail = "，属超预算支出，预算执行率得分以满分为限。"
        elif column == "item":
            names, tail = column_text(rows, column), "，属超预算支出。"
        else:
            names, tail = "资金来源“" + column_text(rows, column) + "”", "，属超预算支出。"
        executed = rows["executed"].to_numpy(float)
        budget = rows["adjusted_budget"].to_numpy(float)
        message = (
            names + "全年执行数 " + fixed_strings(executed, 2) + " 万元，超过全年预算数 "
            + fixed_strings(budget, 2) + " 万元，超支 " + fixed_strings(executed - budget, 2)
            + " 万元（执行率 " + percent_strings(rows["execution_rate"].to_numpy(float)) + "）"
            + tail
        )  # fmt: skip
        out.append(finding_frame(rows, "overspend", names, message, executed - budget))
    return pd.concat(out, ignore_index=True)


def _time_progress_rows(progress: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    return progress[
        progress["month"].isin(rulebook.time_progress_months)
        & (np.round(progress["gap"], 9) > rulebook.time_progress_tolerance)
    ]


def time_progress_lag(progress: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """Cumulative execution behind 序时进度 by more than the tolerance at the rulebook's months.

    "截至 6 月末累计支出进度为 30.00%，低于序时进度（50.00%）20.00 个百分点。" The gap printed is
    the difference of the two printed percentages, so the sentence adds up.
    """
    rows = _time_progress_rows(progress, rulebook)
    rate, prog = rows["cumulative_rate"].to_numpy(float), rows["progress"].to_numpy(float)
    points = round_half_up(prog * 100, 2) - round_half_up(rate * 100, 2)
    month = rows["month"].astype(int).astype(str).to_numpy(dtype=object)
    message = (
        "截至 " + month + " 月末累计支出进度为 " + percent_strings(rate) + "，低于序时进度（"
        + percent_strings(prog) + "）" + fixed_strings(points) + " 个百分点。"
    )  # fmt: skip
    return finding_frame(rows, "time_progress_lag", month + "月", message, rows["gap"])


def _missed(indicators: pd.DataFrame) -> np.ndarray:
    """Scored indicators that missed their target. Rows that cannot be verified (blank,
    unreadable or incomparable cells, a result that fits no tier) are not among them: they are
    flagged by validation, and a data warning says so."""
    missed = ~indicators["met"].to_numpy(bool)
    rows = np.flatnonzero(missed)  # only these need a look at their rule
    rule = indicators["rule"].to_numpy(dtype=object)[rows]
    unscored = (rule == "unverifiable_reported") | (rule == "unverifiable_zero")
    # an execution indicator is scored by the execution rule: low_execution speaks for it
    missed[rows[unscored | (rule == "execution_indicator")]] = False
    return missed


def under_target(indicators: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """Indicators that missed their 年度指标值.

    ≥: "「办结案件数」实际完成 180件，未达到年度指标值（≥200件），完成率为 90.00%。"
    ≤: "「平均办理时长」实际完成 12天，超出年度指标值（≤10天）。"
    deadline: "「完成时间」实际完成时间为 2022年12月，未在时限（2022年11月）内完成。"
    qualitative: "「群众满意度」实际完成情况为“基本达成”（B 档：部分达成年度指标并具有一定效果），
    未完全达成年度指标值（达成年度指标）。"
    """
    rows = indicators[_missed(indicators)]
    level3, actual, target = (
        column_text(rows, "level3"),
        column_text(rows, "actual"),
        column_text(rows, "target"),
    )
    rule = rows["rule"].to_numpy(dtype=object)
    completion = rows["completion"].to_numpy(float)
    lower = (rule == "lower_better_ratio") | (rule == "lower_better_linear")
    qual = (rule == "qualitative_tier") | (rule == "qualitative_reported")
    deadline = rule == "deadline"
    has_rate = ~lower & ~qual & ~deadline & np.isfinite(completion)
    plain = ~lower & ~qual & ~deadline & ~has_rate
    message = np.empty(len(rows), dtype=object)

    def rows_of(mask: np.ndarray, *columns: np.ndarray):
        return zip(level3[mask], actual[mask], target[mask], *columns, strict=True)

    message[deadline] = [
        f"「{n}」实际完成时间为 {a}，未在时限（{t}）内完成。" for n, a, t in rows_of(deadline)
    ]

    message[lower] = [f"「{n}」实际完成 {a}，超出年度指标值（{t}）。" for n, a, t in rows_of(lower)]
    message[plain] = [
        f"「{n}」实际完成 {a}，未达到年度指标值（{t}）。" for n, a, t in rows_of(plain)
    ]
    message[has_rate] = [
        f"「{n}」实际完成 {a}，未达到年度指标值（{t}），完成率为 {p}。"
        for n, a, t, p in rows_of(has_rate, percent_strings(completion[has_rate]))
    ]
    labels = {t.key: t.label for t in rulebook.tiers}
    message[qual] = [
        f"「{n}」实际完成情况为“{a}”（{k} 档"
        # the tier's label only when the actual did not already say it
        + ("" if normalise(a) == normalise(labels[k]) else f"：{labels[k]}")
        + f"），未完全达成年度指标值（{t}）。"
        for n, a, t, k in rows_of(qual, rows["tier"].to_numpy(dtype=object)[qual])
    ]
    return finding_frame(rows, "under_target", level3, message, completion)


def _over(indicators: pd.DataFrame, rulebook: Rulebook) -> np.ndarray:
    """≥ indicators whose actual reached ``rulebook.over_target`` × a positive target."""
    comparator = indicators["comparator"].to_numpy(dtype=object)
    return (
        (indicators["rule"].to_numpy(dtype=object) == "higher_better")
        & ((comparator == ">=") | (comparator == ">"))
        & (indicators["target_value"].to_numpy(float) > 0)
        & (np.round(indicators["completion"].to_numpy(float), 9) >= rulebook.over_target)
    )


def over_target(indicators: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """≥ indicators whose actual reached ``rulebook.over_target`` × target: the target was too low.

    "「办结案件数」实际完成 230余件，为年度指标值（≥150件）的 153.33%，年度指标值设置偏低，
    未充分考虑实际工作量。"
    """
    rows = indicators[_over(indicators, rulebook)]
    completion = rows["completion"].to_numpy(float)
    message = (
        named(rows) + "实际完成 " + column_text(rows, "actual") + "，为年度指标值（"
        + column_text(rows, "target") + "）的 " + percent_strings(completion)
        + "，年度指标值设置偏低，未充分考虑实际工作量。"
    )  # fmt: skip
    return finding_frame(rows, "over_target", column_text(rows, "level3"), message, completion)


def _missing_reason(indicators: pd.DataFrame, missed: np.ndarray | None = None) -> np.ndarray:
    """Missed indicators (:func:`_missed`, when not given) whose 偏差原因分析及改进措施 is blank."""
    missed = _missed(indicators) if missed is None else missed.copy()
    if "deviation_reason" in indicators:
        reasons = indicators["deviation_reason"].to_numpy(dtype=object)[missed]
        missed[missed] = clean_texts(reasons) == ""
    return missed


def missing_deviation_reason(indicators: pd.DataFrame) -> pd.DataFrame:
    """Under target without 偏差原因分析及改进措施.

    "「办结案件数」未达到年度指标值，未填写偏差原因分析及改进措施。"
    """
    rows = indicators[_missing_reason(indicators)]
    message = named(rows) + "未达到年度指标值，未填写偏差原因分析及改进措施。"
    value = rows["completion"]
    return finding_frame(
        rows, "missing_deviation_reason", column_text(rows, "level3"), message, value
    )


#: a unit's (or project's) warnings of one code are listed one by one up to this many; more
#: become one finding that counts them and names the first cells (a table with 万 in every amount,
#: or a control character pasted into every cell, is one problem to fix, not a page of them)
GROUPED_AFTER = 3
#: how many cells a grouped finding names
GROUP_NAMED = 5


def data_warnings(problems: Sequence[Problem], units: pd.DataFrame) -> pd.DataFrame:
    """Validation warnings about a unit or a project, as findings (kind ``data_warning``) of the
    scored tables in ``units`` (rows keyed year, unit_code, project_code): a warning that names a
    project (``Problem.project_code``) is that project's finding, any other the unit's 部门整体
    table's; of the warning's year, or of every year scored when it names none.

    "「培训人次」年度指标值未填写，得分无法核实，采用单位自评得分（未填自评得分的计 0 分）。"

    More than :data:`GROUPED_AFTER` warnings of one code for one table become one finding: the
    first one's sentence, its full stop after "（同类情况共 12 处，涉及「甲」「乙」…等）".
    """
    scored = with_project(units)[KEYS].drop_duplicates()
    years: dict[tuple[str, str], list[int]] = {}
    for year, code, project in zip(
        scored["year"].tolist(),
        scored["unit_code"].tolist(),
        scored["project_code"].tolist(),
        strict=True,
    ):
        years.setdefault((str(code), str(project)), []).append(int(year))
    groups: dict[tuple[int, str, str, str], list[Problem]] = {}
    for p in problems:
        if not p.is_warning or not p.unit_code:
            continue
        entity = (p.unit_code, p.project_code or "")
        if entity not in years:
            continue
        for year in years[entity] if p.year is None else [p.year]:
            if year in years[entity]:
                groups.setdefault((year, *entity, p.code), []).append(p)
    rows = []
    for (year, unit, project, code), found in groups.items():
        listed = found if len(found) <= GROUPED_AFTER else found[:1]
        for p in listed:
            subject = p.level3 or (PROJECT_SUBJECT if p.project_code else UNIT_SUBJECT)
            message = f"「{p.level3}」{p.message}" if p.level3 else p.message
            if len(listed) < len(found):
                message = message.removesuffix("。") + _group_note(found) + "。"
            rows.append((year, unit, project, "data_warning", subject, message, np.nan, code))
    return pd.DataFrame(rows, columns=COLUMNS).astype({"year": "int64", "value": float})


def _group_note(found: Sequence[Problem]) -> str:
    """ "（同类情况共 12 处，涉及「甲」「乙」「丙」「丁」「戊」等）": the cells named by indicator,
    else by column and Excel row."""
    named: list[str] = []
    for p in found:
        name = p.level3 or (f"{p.column}第 {p.row} 行" if p.column and p.row else p.column or "")
        if name and name not in named:
            named.append(name)
    shown = "".join(f"「{n}」" for n in named[:GROUP_NAMED])
    more = "等" if len(named) > GROUP_NAMED else ""
    return f"（同类情况共 {len(found)} 处" + (f"，涉及{shown}{more}）" if shown else "）")


def find(
    indicators: pd.DataFrame,
    units: pd.DataFrame,
    items: pd.DataFrame,
    progress: pd.DataFrame,
    rulebook: Rulebook,
    warnings: pd.DataFrame | None = None,
    sources: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every finding, ordered by year, unit, kind (as in ``KINDS``) and source order.

    ``indicators`` are scored indicators, ``units`` has year, unit_code (project_code),
    execution_rate,
    ``items`` is :func:`perfkit.scoring.metrics.execution_by` per item, ``progress`` is
    :func:`perfkit.scoring.metrics.time_progress`, ``warnings`` is :func:`data_warnings`,
    ``sources`` :func:`perfkit.scoring.metrics.execution_by` per fund source.
    """
    parts = [
        low_execution(units, items, rulebook),
        overspend(units, items, rulebook, sources),
        time_progress_lag(progress, rulebook),
        under_target(indicators, rulebook),
        over_target(indicators, rulebook),
        missing_deviation_reason(indicators),
        execution_mismatch(units, rulebook),
        score_mismatch(indicators, rulebook),
        *([] if warnings is None else [warnings]),
    ]
    out = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(map(len, parts))
        else (pd.DataFrame(columns=COLUMNS))
    )
    return in_order(out)


def in_order(out: pd.DataFrame) -> pd.DataFrame:
    """Findings ordered by year, unit, project ("" — the unit's own — first), kind (as in
    ``KINDS``) and source order."""
    order = out["kind"].map({k: i for i, k in enumerate(KINDS)})
    out = out.assign(_order=order).sort_values([*KEYS, "_order"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def count(
    indicators: pd.DataFrame,
    units: pd.DataFrame,
    items: pd.DataFrame,
    progress: pd.DataFrame,
    rulebook: Rulebook,
    warnings: pd.DataFrame | None = None,
    sources: pd.DataFrame | None = None,
) -> pd.Series:
    """How many findings :func:`find` gives per (year, unit_code, project_code), without
    writing them.

    A Series indexed by year, unit_code and project_code (tables without findings are absent).
    """
    selected = [
        *_low_execution_rows(units, items, rulebook),
        *_overspend_rows(units, items, sources, rulebook),
        _time_progress_rows(progress, rulebook),
        *execution_mismatch_rows(units, rulebook),
    ]
    missed = _missed(indicators)
    masks = [missed, _over(indicators, rulebook), _missing_reason(indicators, missed)]
    if "reported_score" in indicators:
        masks.append(mismatched_scores(indicators, rulebook)[2])
    indicators = with_project(indicators)
    keys = [with_project(rows)[KEYS] for rows in selected]
    keys += [indicators.loc[m, KEYS] for m in masks]
    if warnings is not None:
        keys.append(with_project(warnings)[KEYS])
    keys = [k for k in keys if len(k)]  # as in find: empty parts do not set the dtypes
    frame = pd.concat(keys, ignore_index=True) if keys else pd.DataFrame(columns=KEYS)
    return frame.groupby(KEYS).size()
