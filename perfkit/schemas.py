"""pandera schemas of the contract's tables: what each column's values must look like.

The raw tables (:mod:`perfkit.readers`) hold text as written, so the checks read text:

- a required column may not be left blank (``allow_blank`` columns such as 内设机构 may);
- 年度 is a four-digit year ("2022"; "2022年" is accepted);
- 月份 is a month 1–12 ("3", "03", "3月");
- 单位编码 matches :data:`perfkit.contract.UNIT_CODE_PATTERN` (letters, digits, "-", "_"),
  because a unit code becomes a report's file name;
- amounts (万元) and points (分值, 得分) are numbers. Accepted: "1234.5", "1,234.5" (thousands
  separated by commas), full-width digits, point, comma and sign ("１２３．５"), scientific notation
  ("1e3"), and the column's own unit written after the number ("120万元", "10分"). Not accepted:
  another unit ("1200元" would be ten thousand times too much), "%", or words ("约100");
- amounts and 分值 are not negative (whether a 得分 lies between 0 and its 分值 is a cross-row
  check in :mod:`perfkit.validation`);
- per :attr:`perfkit.contract.Table.unique`, no two rows share a key (a unit listed twice, an
  indicator repeated for the same unit and year).

The raw columns are categorical, so :func:`check` validates each distinct value once and reports a
failing value on every row that holds it: tables of a million rows check in well under a second.
Every failure becomes a :class:`~perfkit.problems.Problem` with file, Excel row, the header as
written, the value and a Chinese expectation.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from perfkit.contract import TABLES_BY_NAME, UNIT_CODE_PATTERN, Column
from perfkit.problems import Problem
from perfkit.readers import RawTable

AMOUNT_UNIT = "万元"
POINTS_UNIT = "分"
#: number columns counted in points (分); every other number column is an amount in 万元
POINTS_COLUMNS = frozenset({"weight", "reported_score"})

_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+")
_YEAR = re.compile(r"([1-9]\d{3})(?:\.0+)?年?")
_MONTH = re.compile(r"(0?[1-9]|1[0-2])(?:\.0+)?月?")
_CODE = re.compile(UNIT_CODE_PATTERN)
_MINUS = ("-", "−", "－", "﹣")

Values = np.ndarray | pd.Series


# --- parsing text into numbers (shared with the cross-table checks and loading) ---------------


def _number(text: str, unit: str) -> float:
    folded = unicodedata.normalize("NFKC", text).replace("−", "-").strip()
    folded = folded.removesuffix(unit).rstrip() if unit else folded
    return float(folded.replace(",", "")) if _NUMBER.fullmatch(folded) else math.nan


def parse_numbers(values: Values, unit: str = AMOUNT_UNIT) -> np.ndarray:
    """Each text as a float (NaN when blank or not a number in the notation above)."""
    text = np.asarray(values, dtype=object)
    out = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(float, copy=True)
    out[~np.isfinite(out)] = np.nan  # "inf" and "nan" are not amounts
    for i in np.flatnonzero(np.isnan(out)):
        if text[i]:
            out[i] = _number(text[i], unit)
    return out


def _by_pattern(values: Values, pattern: re.Pattern[str]) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for i, text in enumerate(values):
        match = pattern.fullmatch(unicodedata.normalize("NFKC", text))
        if match:
            out[i] = float(match[1])
    return out


def parse_years(values: Values) -> np.ndarray:
    """Each text as a year (float; NaN when not a four-digit year)."""
    return _by_pattern(values, _YEAR)


def parse_months(values: Values) -> np.ndarray:
    """Each text as a month 1–12 (float; NaN otherwise)."""
    return _by_pattern(values, _MONTH)


@lru_cache(maxsize=1 << 17)
def _is_code(text: str) -> bool:
    return _CODE.fullmatch(text) is not None


def valid_codes(values: Values) -> np.ndarray:
    """Whether each text is a safe unit code (UNIT_CODE_PATTERN)."""
    return np.array([_is_code(v) for v in values], dtype=bool)


def valid_code_values(raw: RawTable) -> np.ndarray:
    """Per distinct 单位编码 of ``raw`` (:meth:`RawTable.values`): whether it is safe (cached)."""
    if "unit_code valid" not in raw.cache:
        raw.cache["unit_code valid"] = valid_codes(raw.values("unit_code"))
    return raw.cache["unit_code valid"]


def parser(column: Column) -> Callable[[Values], np.ndarray]:
    """The function that turns a column's texts into floats, by the column's kind."""
    if column.kind == "year":
        return parse_years
    if column.kind == "month":
        return parse_months
    unit = POINTS_UNIT if column.key in POINTS_COLUMNS else AMOUNT_UNIT
    return lambda values: parse_numbers(values, unit)


def typed(raw: RawTable, key: str) -> np.ndarray:
    """A number, year or month column of ``raw`` as floats per row (NaN: blank or invalid).

    Parses each distinct value once; the result is cached on ``raw``.
    """
    if key not in raw.cache:
        per_value = parser(raw.table.column(key))(raw.values(key))
        raw.cache[key] = per_value[raw.codes(key)]
    return raw.cache[key]


# --- checks ------------------------------------------------------------------------------------


def _blank_or(ok: Callable[[Values], np.ndarray]) -> Callable[[pd.Series], pd.Series]:
    """A vectorised check that passes blank cells (blankness is NOT_BLANK's business)."""
    return lambda s: pd.Series((s == "").to_numpy() | ok(s.to_numpy(dtype=object)), index=s.index)


def _not_negative(unit: str) -> Callable[[np.ndarray], np.ndarray]:
    """Whether each text is not a negative number (only texts starting with a minus are parsed)."""

    def ok(values: np.ndarray) -> np.ndarray:
        out = np.ones(len(values), dtype=bool)
        minus = np.flatnonzero([v.startswith(_MINUS) for v in values]).astype(np.int64)
        out[minus] = ~(parse_numbers(values[minus], unit) < 0)
        return out

    return ok


NOT_BLANK = pa.Check(lambda s: s != "", name="not_blank", error="不能为空")
FOUR_DIGIT_YEAR = pa.Check(
    _blank_or(lambda v: ~np.isnan(parse_years(v))),
    name="year",
    error="应为四位数的年份，如 2022",
)
MONTH_1_TO_12 = pa.Check(
    _blank_or(lambda v: ~np.isnan(parse_months(v))),
    name="month",
    error="应为 1 到 12 之间的月份",
)
SAFE_UNIT_CODE = pa.Check(
    _blank_or(valid_codes),
    name="unit_code",
    error="单位编码只能由字母、数字、“-”和“_”组成，最长 64 个字符（它会成为报告的文件名）",
)
AMOUNT_IS_NUMBER = pa.Check(
    _blank_or(lambda v: ~np.isnan(parse_numbers(v, AMOUNT_UNIT))),
    name="amount_number",
    error="应为数字，单位万元（如 120.5 或 1,234.5）",
)
AMOUNT_NOT_NEGATIVE = pa.Check(
    _blank_or(_not_negative(AMOUNT_UNIT)),
    name="amount_not_negative",
    error="应为不小于 0 的数字（万元）",
)
POINTS_IS_NUMBER = pa.Check(
    _blank_or(lambda v: ~np.isnan(parse_numbers(v, POINTS_UNIT))),
    name="points_number",
    error="应为数字，单位分（如 10 或 2.5）",
)
POINTS_NOT_NEGATIVE = pa.Check(
    _blank_or(_not_negative(POINTS_UNIT)),
    name="points_not_negative",
    error="应为不小于 0 的数字（分）",
)


def _column(*checks: pa.Check, blank_ok: bool = False) -> pa.Column:
    return pa.Column(str, [*(() if blank_ok else (NOT_BLANK,)), *checks], required=False)


def text(blank_ok: bool = False) -> pa.Column:
    return _column(blank_ok=blank_ok)


def year() -> pa.Column:
    return _column(FOUR_DIGIT_YEAR)


def month() -> pa.Column:
    return _column(MONTH_1_TO_12)


def unit_code() -> pa.Column:
    return _column(SAFE_UNIT_CODE)


def amount() -> pa.Column:
    return _column(AMOUNT_IS_NUMBER, AMOUNT_NOT_NEGATIVE)


def weight() -> pa.Column:
    return _column(POINTS_IS_NUMBER, POINTS_NOT_NEGATIVE)


def reported_score() -> pa.Column:
    return _column(POINTS_IS_NUMBER, blank_ok=True)


# --- the tables --------------------------------------------------------------------------------

UNITS = pa.DataFrameSchema(
    {
        "unit_code": unit_code(),
        "unit_name": text(),
        "department": text(),
        "functions": text(blank_ok=True),
        "internal_bodies": text(blank_ok=True),
        "subordinate_units": text(blank_ok=True),
    },
    unique=["unit_code"],
    name="units",
)

BUDGET = pa.DataFrameSchema(
    {
        "year": year(),
        "unit_code": unit_code(),
        "fund_source": text(),
        "expense_type": text(),
        "item": text(),
        "initial_budget": amount(),
        "adjusted_budget": amount(),
        "executed": amount(),
    },
    name="budget",
)

INDICATORS = pa.DataFrameSchema(
    {
        "year": year(),
        "unit_code": unit_code(),
        "level1": text(),
        "level2": text(),
        "level3": text(),
        "target": text(blank_ok=True),
        "actual": text(blank_ok=True),
        "weight": weight(),
        "reported_score": reported_score(),
        "deviation_reason": text(blank_ok=True),
    },
    unique=["year", "unit_code", "level3"],
    name="indicators",
)

GOALS = pa.DataFrameSchema(
    {
        "year": year(),
        "unit_code": unit_code(),
        "expected": text(),
        "achieved": text(blank_ok=True),
    },
    name="goals",
)

MONTHLY = pa.DataFrameSchema(
    {
        "year": year(),
        "unit_code": unit_code(),
        "item": text(),
        "month": month(),
        "executed": amount(),
    },
    unique=["year", "unit_code", "item", "month"],
    name="monthly",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "units": UNITS,
    "budget": BUDGET,
    "indicators": INDICATORS,
    "goals": GOALS,
    "monthly": MONTHLY,
}


# --- running a schema on a raw table -----------------------------------------------------------


@cache
def _columns_schema(table: str, keys: tuple[str, ...]) -> pa.DataFrameSchema:
    """The part of a table's schema that checks the columns ``keys``."""
    return pa.DataFrameSchema({key: SCHEMAS[table].columns[key] for key in keys})


@cache
def _unique_schema(table: str) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(unique=SCHEMAS[table].unique, report_duplicates="exclude_first")


def context(raw: RawTable, pos: int) -> dict[str, str | None]:
    """Who a row is about, for messages about indicators: its 单位编码 and 三级指标 (issue 2 §2)."""
    if raw.table.name != "indicators":
        return {}
    code = raw.column("unit_code")[pos] if "unit_code" in raw.frame.columns else ""
    level3 = raw.column("level3")[pos] if "level3" in raw.frame.columns else ""
    return {"unit_code": code or None, "level3": level3 or None}


def _failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """pandera's failure cases (column, check, failure_case, index); none when valid."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return err.failure_cases
    return pd.DataFrame(columns=["column", "check", "failure_case", "index"])


def _buckets(raw: RawTable) -> list[list[str]]:
    """The columns grouped by their number of distinct values, so that one pandera call checks
    several columns without padding a short column to the length of a much longer one."""
    sizes = {key: len(raw.frame[key].cat.categories) for key in raw.frame.columns}
    buckets: list[list[str]] = []
    for key in sorted(sizes, key=sizes.__getitem__):
        if buckets and sizes[key] <= max(1024, 4 * sizes[buckets[-1][0]]):
            buckets[-1].append(key)
        else:
            buckets.append([key])
    return buckets


def check(raw: RawTable) -> list[Problem]:
    """Every value-level failure of ``raw`` against its table's schema, in row order.

    pandera checks each column's distinct values (a column shorter than the longest of its
    bucket repeats its values to fill the frame); each failure is reported on every row that
    holds the failing value.
    """
    if raw.status != "ok" or not len(raw.frame.columns):
        return []
    found: list[tuple[int, int, Problem]] = []
    order = {key: i for i, key in enumerate(raw.frame.columns)}
    for keys in _buckets(raw):
        length = max(len(raw.values(k)) for k in keys)
        distinct = pd.DataFrame(
            {k: pd.Series(np.resize(raw.values(k), length), dtype=str) for k in keys}
        )
        cases = _failures(_columns_schema(raw.table.name, tuple(keys)), distinct)
        for (key, message), failing in cases.groupby(["column", "check"], sort=False)["index"]:
            values, codes, header = raw.values(key), raw.codes(key), raw.headers[key]
            if failing.isna().any():  # the check itself could not run
                found.append((-1, order[key], Problem(raw.file, str(message), column=header)))
            bad = np.unique(failing.dropna().astype(np.int64).to_numpy() % len(values))
            found += [
                (
                    pos,
                    order[key],
                    Problem(
                        raw.file,
                        str(message),
                        int(raw.rows[pos]),
                        header,
                        values[codes[pos]],
                        **context(raw, pos),
                    ),
                )
                for pos in np.flatnonzero(np.isin(codes, bad))
            ]
    found += _duplicates(raw)
    found.sort(key=lambda f: (f[0], f[1]))
    return [problem for _, _, problem in found]


def _duplicates(raw: RawTable) -> list[tuple[int, int, Problem]]:
    keys = list(TABLES_BY_NAME[raw.table.name].unique)
    if not keys or not raw.has(*keys):
        return []
    codes = pd.DataFrame({k: raw.codes(k) for k in keys})
    blank = np.zeros(len(codes), dtype=bool)
    for k in keys:
        blank |= np.isin(raw.codes(k), np.flatnonzero(raw.values(k) == ""))
    cases = _failures(_unique_schema(raw.table.name), codes[~blank])
    repeated = np.sort(cases["index"].dropna().astype(np.int64).unique())
    if not len(repeated):
        return []
    first = codes.reset_index().groupby(keys, sort=False)["index"].transform("min").to_numpy()
    last = keys[-1]
    same = "、".join(raw.headers[k] for k in keys)
    position = list(raw.frame.columns).index(last)
    shown = raw.column(last)
    return [
        (
            pos,
            position,
            Problem(
                raw.file,
                f"与第{raw.rows[first[pos]]}行重复（{same}相同）",
                int(raw.rows[pos]),
                raw.headers[last],
                shown[pos],
                **context(raw, pos),
            ),
        )
        for pos in repeated
    ]
