"""The deviation between a unit's self-evaluation and the bureau's re-check (复核偏差, issue 17 §4,
domain.md §9; docs/review.md "复核偏差").

Per indicator of every reviewed table (a unit's 部门整体 table or one project's 自评表 with rows
in ``reviews``):

- 自评得分 (``self_score``): the unit's reported 得分, perfkit's own score where it is blank
  (``self_source`` says which);
- 复核得分 (``review_score``): perfkit's score of the indicator with the 复核完成值 in place of
  the 实际完成值, under the same rulebook and the same rules (:func:`perfkit.scoring.scores.
  score_dataset` on a copy of the dataset). A blank 复核完成值, or an indicator without a
  review row, accepts the unit's value: its 复核得分 is perfkit's score of the unit's value.
  Where a 复核完成值 is given, the reviewer's typed 复核得分 takes the place of the unit's
  reported 得分 in the rules that read one (a qualitative 得分 inside its tier's range, an
  unverifiable row); the unit's own 得分 never enters a re-checked score;
- a typed 复核得分 that differs from perfkit's (the rule of ``score_mismatch``:
  :func:`perfkit.scoring.mismatches.printed_differs`) is flagged (``typed_differs``);
- difference = 自评得分 − 复核得分, classed by the rulebook's ``[review.deviation]``
  (:class:`perfkit.rules.review.DeviationClasses`): 完全一致 (0), 一般偏差 (|difference| ≤ 20%
  of the 分值), 明显偏差 (≤ 50%), 显著偏差 (above). No published source gives these thresholds
  (domain.md §9): they are perfkit's own defaults.

Per reviewed table: self_total (the unit's reported figures — indicator 得分 and printed 执行率
得分 — with perfkit's where blank, totalled by perfkit's rules), review_total (perfkit's total
with the reviewed actuals and, when given, the 复核执行数 in place of the 全年执行数), 偏离度 =
(self − review) ÷ self (undefined when self is 0: NaN, and the note says so), the grades before
and after under the rulebook's grades, a grade change flagged, and the main reasons: the 复核意见
of the indicators with the largest differences and, when the screening's findings are given, the
names of the checks that hit the table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from perfkit.data.dataset import Dataset
from perfkit.review.registry import CHECK_LABELS
from perfkit.rules.review import DeviationClasses
from perfkit.rules.rulebook import Rulebook, load_rulebook
from perfkit.scoring.mismatches import printed_differs
from perfkit.scoring.scores import ENTITY, grade, indicator_totals, score_dataset

#: the four classes, in order; the JSON ``class`` is the key, the Chinese views the label
CLASSES: dict[str, str] = {
    "consistent": "完全一致",
    "general": "一般偏差",
    "obvious": "明显偏差",
    "significant": "显著偏差",
}
#: how many 复核意见 the main reasons of a table quote
MAIN_REASONS = 3


#: per-indicator columns (English, the frame) and their Chinese headers (the view)
INDICATOR_ZH: dict[str, str] = {
    "year": "年度",
    "unit_code": "单位编码",
    "project_code": "项目编码",
    "level1": "一级指标",
    "level2": "二级指标",
    "level3": "三级指标",
    "target": "指标值",
    "weight": "分值",
    "actual": "自评完成值",
    "self_score": "自评得分",
    "self_source": "自评得分来源",
    "review_actual": "复核完成值",
    "review_score": "复核得分",
    "review_rule_text": "复核计分说明",
    "typed_review_score": "复核人填写的复核得分",
    "typed_differs": "填写的复核得分与计算不一致",
    "difference": "复核指标偏差",
    "class": "偏差类别",
    "review_opinion": "复核意见",
    "review_evidence": "佐证材料/备注",
}
#: per-table columns and their Chinese headers
TABLE_ZH: dict[str, str] = {
    "year": "年度",
    "unit_code": "单位编码",
    "project_code": "项目编码",
    "name": "名称",
    "self_total": "自评得分",
    "self_source": "自评得分来源",
    "review_total": "复核得分",
    "difference": "偏差",
    "deviation": "偏离度",
    "deviation_note": "偏离度说明",
    "grade_before": "复核前等级",
    "grade_after": "复核后等级",
    "grade_changed": "等级变化",
    "n_indicators": "指标数",
    **{f"n_{key}": label for key, label in CLASSES.items()},
    "n_typed_differs": "复核得分填写不一致数",
    "main_reasons": "主要偏差原因",
    "reviewer": "复核人",
    "review_date": "复核日期",
}
_SOURCES = {
    "reported": "单位自评",
    "computed": "perfkit 计算",
    "mixed": "单位自评（空白处为 perfkit 计算）",
}


@dataclass
class Deviations:
    """The deviation of every reviewed table: ``indicators`` (one row per indicator) and
    ``tables`` (one row per reviewed unit table or project table)."""

    indicators: pd.DataFrame
    tables: pd.DataFrame
    classes: DeviationClasses

    def table(self, name: str, lang: str = "zh") -> pd.DataFrame:
        """``indicators`` or ``tables``; ``lang="zh"``: Chinese headers, classes and sources in
        Chinese, 偏离度 as a percentage, booleans as 是/否."""
        frame = {"indicators": self.indicators, "tables": self.tables}[name]
        if lang != "zh":
            return frame
        headers = INDICATOR_ZH if name == "indicators" else TABLE_ZH
        out = frame[[c for c in headers if c in frame.columns]].copy()
        if "class" in out:
            out["class"] = out["class"].map(CLASSES)
        if "self_source" in out:
            out["self_source"] = out["self_source"].map(_SOURCES)
        for col in ("typed_differs", "grade_changed"):
            if col in out:
                out[col] = out[col].map({True: "是", False: "否"})
        if "deviation" in out:
            out["deviation"] = [_percent(v) for v in out["deviation"]]
        return out.rename(columns=headers)

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """JSON-ready records (NaN as None): ``deviations`` per indicator (unit_code,
        project_code, level3, self_score, review_score, difference, class, …) and ``totals``
        per table (self_total, review_total, deviation, grade_before, grade_after, …)."""
        indicator_keys = [
            "year", "unit_code", "project_code", "level3", "weight", "self_score",
            "self_source", "review_score", "typed_review_score", "typed_differs", "difference",
            "class",
        ]  # fmt: skip
        table_keys = [
            "year", "unit_code", "project_code", "self_total", "self_source", "review_total",
            "difference", "deviation", "deviation_note", "grade_before", "grade_after",
            "grade_changed", "n_indicators", *(f"n_{k}" for k in CLASSES), "main_reasons",
        ]  # fmt: skip
        return {
            "deviations": _records(self.indicators, indicator_keys),
            "totals": _records(self.tables, table_keys),
        }


def _percent(value: float) -> str:
    return (
        ""
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value * 100:.2f}%")
    )


def _plain(value: Any) -> Any:
    """A JSON value: NaN → None, numpy scalars → Python."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    """Strict-JSON records; ``project_code`` null for a unit's own 部门整体 table (as problems)."""
    out = []
    for row in frame[keys].itertuples(index=False, name=None):
        record = {k: _plain(v) for k, v in zip(keys, row, strict=True)}
        record["project_code"] = record["project_code"] or None
        out.append(record)
    return out


def deviations(
    ds: Dataset,
    rulebook: Rulebook | str | Path | None = None,
    years: int | Iterable[int] | None = None,
    classes: DeviationClasses | None = None,
    findings: pd.DataFrame | None = None,
) -> Deviations:
    """The deviations of every table of ``ds`` that has rows in ``ds.reviews`` (of ``years``
    when given), under ``rulebook`` (default mof2020) and ``classes`` (default: the rulebook's
    ``[review.deviation]``). ``findings`` (a screening's, :data:`perfkit.review.screening.
    FINDING_COLUMNS`): the main reasons of a table also name the checks it hit."""
    book = rulebook if isinstance(rulebook, Rulebook) else load_rulebook(rulebook)
    classes = classes or book.review.deviation
    reviews = _with_project(ds.reviews)
    if years is not None:
        wanted = [int(years)] if isinstance(years, int | str) else [int(y) for y in years]
        reviews = reviews[reviews["year"].isin(wanted)]
    entities = reviews[ENTITY].drop_duplicates().reset_index(drop=True)
    if entities.empty:
        return Deviations(_empty(INDICATOR_ZH), _empty(TABLE_ZH), classes)
    units = sorted(set(entities["unit_code"].tolist()))
    year_list = sorted({int(y) for y in entities["year"].tolist()})
    own = score_dataset(ds, book, years=year_list, units=units)
    reviewed = score_dataset(_reviewed_copy(ds, reviews), book, years=year_list, units=units)
    indicators = _indicator_rows(own.indicators, reviewed.indicators, reviews, entities, book)
    indicators["class"] = classes.classify(indicators["difference"], indicators["weight"])
    tables = _table_rows(ds, own, reviewed, indicators, reviews, entities, book)
    if findings is not None and len(findings) and len(tables):
        tables["main_reasons"] = [
            _with_checks(reasons, findings, y, u, p)
            for reasons, y, u, p in zip(
                tables["main_reasons"],
                tables["year"],
                tables["unit_code"],
                tables["project_code"],
                strict=True,
            )
        ]
    return Deviations(indicators, tables, classes)


def _with_checks(reasons: str, findings: pd.DataFrame, year: int, unit: str, project: str) -> str:
    """``reasons`` followed by "审核发现：" and the Chinese names of the screening's checks that
    hit the table (each once, in the findings' order), when it hit any."""
    mine = findings[
        (findings["year"] == year)
        & (findings["unit_code"] == unit)
        & (findings["project_code"].fillna("") == project)
    ]
    labels = list(dict.fromkeys(CHECK_LABELS.get(c, c) for c in mine["code"]))
    if not labels:
        return reasons
    found = "审核发现：" + "、".join(labels)
    return f"{reasons}；{found}" if reasons else found


def _empty(headers: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in headers})


def _with_project(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if "project_code" not in out:
        out["project_code"] = ""
    out["project_code"] = out["project_code"].fillna("").astype(object)
    for col in ("unit_code", "level3"):
        if col in out:
            out[col] = out[col].astype(object)
    return out


_KEY = [*ENTITY, "level3"]


def _reviewed_copy(ds: Dataset, reviews: pd.DataFrame) -> Dataset:
    """``ds`` with every given 复核完成值 in place of the 实际完成值 (and the typed 复核得分 in
    place of the reported 得分, with its printed precision), and every 复核执行数 in place of
    its table's 全年执行数."""
    given = reviews[reviews["review_actual"].astype(str) != ""]
    indicators = _with_project(ds.indicators)
    merged = indicators[_KEY].merge(
        given[[*_KEY, "review_actual", "review_score", "_review_score_step"]],
        on=_KEY,
        how="left",
    )
    has = merged["review_actual"].notna().to_numpy()
    out = indicators.copy()
    out["actual"] = np.where(has, merged["review_actual"].to_numpy(object), out["actual"])
    out["reported_score"] = np.where(has, merged["review_score"], out["reported_score"])
    if "_reported_score_step" in out:
        step = merged["_review_score_step"].to_numpy(float)
        out["_reported_score_step"] = np.where(has, step, out["_reported_score_step"])
    out["actual"] = out["actual"].astype(indicators["actual"].dtype)
    budget = _reviewed_budget(_with_project(ds.budget), reviews)
    return replace(ds, indicators=out, budget=budget)


def _reviewed_budget(budget: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """The budget rows with each reviewed table's 全年执行数 scaled so that they add up to its
    复核执行数 (only the sum enters the 预算执行率; all on the first row when they add up to 0)."""
    given = reviews.dropna(subset=["review_executed"]).drop_duplicates(ENTITY)
    out = budget.copy()
    for row in given.itertuples(index=False):
        mask = (
            (out["year"] == row.year)
            & (out["unit_code"] == row.unit_code)
            & (out["project_code"] == row.project_code)
        ).to_numpy()
        if not mask.any():
            continue
        executed = out.loc[mask, "executed"].to_numpy(float)
        total = executed.sum()
        if total > 0:
            out.loc[mask, "executed"] = executed * (row.review_executed / total)
        else:
            first = np.flatnonzero(mask)[0]
            out.loc[mask, "executed"] = 0.0
            out.iloc[first, out.columns.get_loc("executed")] = row.review_executed
    return out


def _in_entities(frame: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    frame = _with_project(frame)
    return frame.merge(entities, on=ENTITY, how="inner")


def _indicator_rows(
    own: pd.DataFrame,
    reviewed: pd.DataFrame,
    reviews: pd.DataFrame,
    entities: pd.DataFrame,
    book: Rulebook,
) -> pd.DataFrame:
    mine = _in_entities(own, entities)
    theirs = _in_entities(reviewed, entities)[[*_KEY, "score", "rule_text"]]
    theirs = theirs.rename(columns={"score": "review_score", "rule_text": "review_rule_text"})
    notes = reviews[
        [*_KEY, "review_actual", "review_score", "_review_score_step", "review_opinion",
         "review_evidence"]
    ].rename(columns={"review_score": "typed_review_score"})  # fmt: skip
    out = mine.merge(theirs, on=_KEY, how="left").merge(notes, on=_KEY, how="left")
    for col in ("review_actual", "review_opinion", "review_evidence"):
        out[col] = out[col].fillna("").astype(object)
    reported = pd.to_numeric(out["reported_score"], errors="coerce").to_numpy(float)
    computed = out["score"].to_numpy(float)
    out["self_score"] = np.where(np.isnan(reported), computed, reported)
    out["self_source"] = np.where(np.isnan(reported), "computed", "reported").astype(object)
    truncated = book.indicator_rounding.method == "truncate"
    out["typed_differs"] = printed_differs(
        out["typed_review_score"].to_numpy(float),
        out["_review_score_step"].to_numpy(float),
        out["review_score"].to_numpy(float),
        book.score_mismatch,
        truncated,
    )
    decimals = max(book.indicator_rounding.decimals, 2)
    out["difference"] = np.round(out["self_score"] - out["review_score"], decimals + 2)
    columns = [c for c in INDICATOR_ZH if c != "class"]
    return out[columns].reset_index(drop=True)


def _table_rows(
    ds: Dataset,
    own: Any,
    reviewed: Any,
    indicators: pd.DataFrame,
    reviews: pd.DataFrame,
    entities: pd.DataFrame,
    book: Rulebook,
) -> pd.DataFrame:
    rows_own = _in_entities(pd.concat([own.units, own.projects], ignore_index=True), entities)
    rows_rev = pd.concat([reviewed.units, reviewed.projects], ignore_index=True)
    rows_rev = _in_entities(rows_rev, entities)[[*ENTITY, "total", "grade"]]
    out = rows_own.merge(
        rows_rev.rename(columns={"total": "review_total", "grade": "grade_after"}),
        on=ENTITY,
        how="left",
    )
    grouped = indicators.groupby(ENTITY, sort=False)
    sums = grouped.agg(
        self_sum=("self_score", "sum"),
        weight_sum=("weight", "sum"),
        n_indicators=("level3", "size"),
        n_reported=("self_source", lambda s: int((s == "reported").sum())),
        n_typed_differs=("typed_differs", "sum"),
    ).reset_index()
    counts = (
        indicators.groupby([*ENTITY, "class"]).size().unstack(fill_value=0).reset_index()
        if len(indicators)
        else pd.DataFrame(columns=ENTITY)
    )
    out = out.merge(sums, on=ENTITY, how="left").merge(counts, on=ENTITY, how="left")
    for key in CLASSES:
        out[f"n_{key}"] = out[key].fillna(0).astype(int) if key in out else 0
    out["n_indicators"] = out["n_indicators"].fillna(0).astype(int)
    out["n_typed_differs"] = out["n_typed_differs"].fillna(0).astype(int)
    project = out["project_code"].to_numpy(object) != ""
    self_total = np.zeros(len(out))
    grade_before = np.empty(len(out), dtype=object)
    source = np.empty(len(out), dtype=object)
    for i, row in enumerate(out.itertuples(index=False)):
        b = book.for_projects() if project[i] else book
        own_structure = row.execution_weight == 0
        printed = row.reported_execution_score
        execution = (
            0.0 if own_structure else (row.execution_score if pd.isna(printed) else float(printed))
        )
        if own_structure:
            indicator = float(b.total_rounding.apply(np.array([row.self_sum]))[0])
        else:
            score, _ = indicator_totals(
                np.array([row.self_sum], float), np.array([row.weight_sum], float), b
            )
            indicator = float(score[0])
        self_total[i] = float(b.total_rounding.apply(np.array([execution + indicator]))[0])
        grade_before[i] = str(grade(np.array([self_total[i]]), b)[0])
        reported_parts = int(row.n_reported) + (0 if own_structure or pd.isna(printed) else 1)
        every = int(row.n_indicators) + (0 if own_structure else 1)
        source[i] = (
            "reported"
            if reported_parts == every
            else "computed"
            if reported_parts == 0
            else "mixed"
        )
    out["self_total"] = self_total
    out["self_source"] = source
    out["grade_before"] = grade_before
    out["review_total"] = out["review_total"].astype(float)
    difference = np.round(self_total - out["review_total"].to_numpy(float), 6)
    out["difference"] = difference
    with np.errstate(divide="ignore", invalid="ignore"):
        out["deviation"] = np.where(self_total != 0, difference / self_total, np.nan)
    out["deviation_note"] = np.where(
        self_total == 0, "自评得分为 0，偏离度（自评得分 − 复核得分）÷ 自评得分无定义。", ""
    ).astype(object)
    out["grade_changed"] = out["grade_before"] != out["grade_after"]
    out["name"] = [
        ds.project_name(u, p) if p else ds.unit_name(u)
        for u, p in zip(out["unit_code"], out["project_code"], strict=True)
    ]
    out["main_reasons"] = [
        _main_reasons(indicators, y, u, p)
        for y, u, p in zip(out["year"], out["unit_code"], out["project_code"], strict=True)
    ]
    people = reviews.groupby(ENTITY, sort=False).agg(
        reviewer=("reviewer", _first_text), review_date=("review_date", _first_text)
    )
    out = out.merge(people.reset_index(), on=ENTITY, how="left")
    for col in ("reviewer", "review_date"):
        out[col] = out[col].fillna("").astype(object)
    out = out.sort_values(ENTITY, kind="stable").reset_index(drop=True)
    return out[list(TABLE_ZH)]


def _first_text(values: pd.Series) -> str:
    texts = [str(v) for v in values if isinstance(v, str) and v]
    return texts[0] if texts else ""


def _main_reasons(indicators: pd.DataFrame, year: int, unit: str, project: str) -> str:
    """The 复核意见 of the :data:`MAIN_REASONS` indicators with the largest |difference| (ties:
    table order; an opinion's closing 。 left out, the reasons being joined by ；); an indicator
    without one is quoted with its two scores."""
    rows = indicators[
        (indicators["year"] == year)
        & (indicators["unit_code"] == unit)
        & (indicators["project_code"] == project)
        & (indicators["difference"].abs() > 0)
    ]
    order = np.argsort(-rows["difference"].abs().to_numpy(float), kind="stable")
    reasons = []
    for row in rows.iloc[order[:MAIN_REASONS]].itertuples(index=False):
        opinion = row.review_opinion or (
            f"自评 {row.self_score:g} 分，复核 {row.review_score:g} 分"
        )
        reasons.append(f"「{row.level3}」{opinion.rstrip('。；;. ')}")
    return "；".join(reasons)


def self_evaluation(
    ds: Dataset, rulebook: Rulebook, year: int, unit: str, project: str = ""
) -> Deviations:
    """The self-evaluation of one table as the deviation reads it, before any re-check: every
    indicator's 自评得分 (and its source) and the table's self_total, grade_before (what the
    复核表 shows locked). Every indicator is "accepted" (no 复核完成值)."""
    keep = (
        (ds.indicators["year"] == year)
        & (ds.indicators["unit_code"] == unit)
        & (_with_project(ds.indicators)["project_code"] == project)
    )
    first = ds.indicators.loc[keep].head(1)
    reviews = pd.DataFrame(
        {
            c: first[c].to_numpy() if c in first else np.full(len(first), "", dtype=object)
            for c in ds.reviews.columns
            if c != "_row"
        }
    )
    for col in ("review_actual", "review_opinion", "review_evidence", "reviewer", "review_date"):
        reviews[col] = ""
    for col in ("review_score", "_review_score_step", "review_executed"):
        reviews[col] = np.nan
    reviews["project_code"] = project
    reviews["_row"] = 0
    return deviations(replace(ds, reviews=reviews), rulebook)
