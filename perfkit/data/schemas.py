"""pandera schemas of the contract's tables: what each column's values must look like.

The schemas are generated from :mod:`perfkit.data.contract` (:func:`value_checks`,
:func:`table_schema`): a column's kind, unit and flags decide its checks; each check is named by
the code its problems get (``blank``, ``not_a_number``, ``negative``, ``not_a_year``,
``not_a_month``, ``bad_unit_code``, ``reserved_unit_code``; repeated keys: ``duplicate``).

The raw tables (:mod:`perfkit.data.readers`) hold text as written, so the checks read text:

- a required column may not be left blank (``allow_blank`` columns such as 内设机构 may);
- 年度 is a four-digit year ("2022"; "2022年" is accepted);
- 月份 is a month 1–12 ("3", "03", "3月");
- 单位编码 matches :data:`perfkit.data.contract.UNIT_CODE_PATTERN` (letters, digits, "-", "_")
  and is not one of :data:`~perfkit.data.contract.RESERVED_UNIT_CODES` (index, status, CON …),
  because a unit code becomes a report's file name;
- amounts and points (分值, 得分) are numbers as :mod:`perfkit.data.numbers` reads them
  (amounts with units, in the header's unit, converted to 万元);
- amounts and 分值 are not negative (whether a 得分 lies between 0 and its 分值 is a cross-row
  check in :mod:`perfkit.data.validation`);
- the budget table's printed 执行率 and 得分 (``reported_rate``, ``reported_execution_score``)
  are not needed for scoring: an unreadable one is a warning, never an error
  (:func:`reported_execution`);
- per :attr:`perfkit.data.contract.Table.unique`, no two rows share a key (a unit listed twice, an
  indicator repeated for the same unit and year).

The raw columns are categorical, so :func:`check` validates each distinct value once and reports a
failing value on every row that holds it: tables of a million rows check in well under a second.
Every failure becomes a :class:`~perfkit.core.problems.Problem` with file, Excel row, the header as
written, the value and a Chinese expectation.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from functools import cache, lru_cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from perfkit.core.problems import WARNING, Problem
from perfkit.data.contract import (
    AMOUNT_UNIT,
    MAX_POINTS,
    RESERVED_NAMES_TEXT,
    RESERVED_UNIT_CODES,
    TABLES,
    TABLES_BY_NAME,
    UNIT_CODE_PATTERN,
    Column,
    Table,
    unit_code_problem,
)
from perfkit.data.numbers import (
    POINTS_UNIT,
    RATE_PERCENT_ABOVE,
    Values,
    amount_reading,
    bound,
    in_range,
    parse_months,
    parse_numbers,
    parse_years,
    parser,
    points_step,
    rate,
    rate_step,
)
from perfkit.data.readers import RawTable
from perfkit.rules.units import simplified

#: number columns whose unreadable values are warnings (scoring does not need them)
REPORTED_EXECUTION = tuple(c.key for t in TABLES for c in t.columns if c.advisory)

_CODE = re.compile(UNIT_CODE_PATTERN)
_MINUS = ("-", "−", "－", "﹣")


@lru_cache(maxsize=1 << 17)
def _pattern_ok(text: str) -> bool:
    return _CODE.fullmatch(text) is not None


def _reserved(text: str) -> bool:
    return text.casefold() in RESERVED_UNIT_CODES


@lru_cache(maxsize=1 << 17)
def _is_code(text: str) -> bool:
    return unit_code_problem(text) is None


def valid_codes(values: Values) -> np.ndarray:
    """Whether each text is a usable unit code (:func:`perfkit.data.contract.unit_code_problem`:
    the pattern, and not a reserved name)."""
    return np.array([_is_code(v) for v in values], dtype=bool)


def valid_code_values(raw: RawTable) -> np.ndarray:
    """Per distinct 单位编码 of ``raw`` (:meth:`RawTable.values`): whether it is safe (cached)."""
    if "unit_code valid" not in raw.cache:
        raw.cache["unit_code valid"] = valid_codes(raw.values("unit_code"))
    return raw.cache["unit_code valid"]


def typed(raw: RawTable, key: str) -> np.ndarray:
    """A number, year or month column of ``raw`` as floats per row (NaN: blank or invalid).

    Amounts are in 万元 whatever unit the header or the value names. A number beyond the
    contract's bound (:func:`too_large`: infinity, 1 万亿元, 1,000 points) is NaN too: it was
    reported, and no sum or score may take it. Parses each distinct value once; the result is
    cached on ``raw``.
    """
    if key not in raw.cache:
        column = raw.table.column(key)
        per_value = parser(column, raw.units.get(key))(raw.values(key))
        if column.kind == "number":
            per_value[~in_range(per_value, bound(column))] = np.nan
        raw.cache[key] = per_value[raw.codes(key)]
    return raw.cache[key]


def steps(raw: RawTable, key: str) -> np.ndarray:
    """Per row, the precision a printed figure (``Column.printed``: 执行率, 得分) was written at,
    as the unit of its last digit in the column's unit (a 执行率 as a fraction: "86%" → 0.01);
    NaN when blank or unreadable (:func:`perfkit.data.numbers.rate_step`, ``points_step``)."""
    cache = f"{key} step"
    if cache not in raw.cache:
        values = raw.values(key).tolist()
        if raw.table.column(key).unit == "%":
            percent = raw.units.get(key) == "%"
            per_value = np.array([rate_step(v, percent) for v in values], dtype=float)
        else:
            per_value = np.array([points_step(v) for v in values], dtype=float)
        raw.cache[cache] = per_value[raw.codes(key)]
    return raw.cache[cache]


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


# Each check is named by the problem code its failures get (docs/data-contract.md §9).
NOT_BLANK = pa.Check(lambda s: s != "", name="blank", error="不能为空")
FOUR_DIGIT_YEAR = pa.Check(
    _blank_or(lambda v: ~np.isnan(parse_years(v))),
    name="not_a_year",
    error="应为四位数的年份，如 2022",
)
MONTH_1_TO_12 = pa.Check(
    _blank_or(lambda v: ~np.isnan(parse_months(v))),
    name="not_a_month",
    error="应为 1 到 12 之间的月份",
)
SAFE_UNIT_CODE = pa.Check(
    _blank_or(lambda v: np.array([_pattern_ok(x) for x in v], dtype=bool)),
    name="bad_unit_code",
    error="单位编码只能由字母、数字、“-”和“_”组成，最长 64 个字符（它会成为报告的文件名）",
)
SAFE_PROJECT_CODE = pa.Check(
    _blank_or(lambda v: np.array([_pattern_ok(x) for x in v], dtype=bool)),
    name="bad_project_code",
    error="项目编码只能由字母、数字、“-”和“_”组成，最长 64 个字符（它会成为项目报告的文件名）",
)
NOT_RESERVED_PROJECT_CODE = pa.Check(
    _blank_or(lambda v: np.array([not _reserved(x) for x in v], dtype=bool)),
    name="reserved_project_code",
    error=(
        f"项目编码不能是 {RESERVED_NAMES_TEXT}，不分大小写：它会成为项目报告的文件名，"
        "与汇总页等文件重名或无法创建"
    ),
)
NOT_RESERVED_UNIT_CODE = pa.Check(
    _blank_or(lambda v: np.array([not _reserved(x) for x in v], dtype=bool)),
    name="reserved_unit_code",
    error=(
        f"单位编码不能是 {RESERVED_NAMES_TEXT}，不分大小写：它会成为报告的文件名，"
        "与汇总页等文件重名或无法创建"
    ),
)
AMOUNT_IS_NUMBER = pa.Check(
    _blank_or(lambda v: ~np.isnan(parse_numbers(v, AMOUNT_UNIT))),
    name="not_a_number",
    error="应为数字，单位万元（如 120.5 或 1,234.5）",
)
AMOUNT_NOT_NEGATIVE = pa.Check(
    _blank_or(_not_negative(AMOUNT_UNIT)),
    name="negative",
    error="应为不小于 0 的数字（万元）",
)
POINTS_IS_NUMBER = pa.Check(
    _blank_or(lambda v: ~np.isnan(parse_numbers(v, POINTS_UNIT))),
    name="not_a_number",
    error="应为数字，单位分（如 10 或 2.5）",
)
POINTS_NOT_NEGATIVE = pa.Check(
    _blank_or(_not_negative(POINTS_UNIT)),
    name="negative",
    error="应为不小于 0 的数字（分）",
)
#: the header-unit variant of AMOUNT_IS_NUMBER's message (:func:`_amount_message`) has its code
CHECKS = (
    NOT_BLANK,
    FOUR_DIGIT_YEAR,
    MONTH_1_TO_12,
    SAFE_UNIT_CODE,
    NOT_RESERVED_UNIT_CODE,
    SAFE_PROJECT_CODE,
    NOT_RESERVED_PROJECT_CODE,
    AMOUNT_IS_NUMBER,
    AMOUNT_NOT_NEGATIVE,
    POINTS_IS_NUMBER,
    POINTS_NOT_NEGATIVE,
)
#: a check's message → its problem code (pandera reports failures by the check's message)
CODE_BY_MESSAGE: dict[str, str] = {str(c.error): str(c.name) for c in CHECKS}


def value_checks(column: Column) -> list[pa.Check]:
    """The checks of one contract column, by its kind, unit and flags.

    text: none; code: :data:`SAFE_UNIT_CODE`, :data:`NOT_RESERVED_UNIT_CODE`; project_code:
    :data:`SAFE_PROJECT_CODE`, :data:`NOT_RESERVED_PROJECT_CODE`; year, month: the
    pattern; number: a number in the column's unit (万元 or 分), not negative unless
    ``negative_ok``; ``advisory`` columns (the printed 执行率 and 得分) have none here — they are
    read by :func:`reported_execution`, whose problems are warnings. Every column that does not
    ``allow_blank`` is first checked with :data:`NOT_BLANK`.
    """
    checks = [] if column.allow_blank else [NOT_BLANK]
    if column.advisory:
        return checks
    if column.kind == "year":
        checks.append(FOUR_DIGIT_YEAR)
    elif column.kind == "month":
        checks.append(MONTH_1_TO_12)
    elif column.kind == "code":
        checks += [SAFE_UNIT_CODE, NOT_RESERVED_UNIT_CODE]
    elif column.kind == "project_code":
        checks += [SAFE_PROJECT_CODE, NOT_RESERVED_PROJECT_CODE]
    elif column.kind == "number":
        points = column.unit == POINTS_UNIT
        checks.append(POINTS_IS_NUMBER if points else AMOUNT_IS_NUMBER)
        if not column.negative_ok:
            checks.append(POINTS_NOT_NEGATIVE if points else AMOUNT_NOT_NEGATIVE)
    return checks


def table_schema(table: Table) -> pa.DataFrameSchema:
    """The pandera schema of one contract table: every column as text (raw tables hold text as
    written) with :func:`value_checks`; the table's ``unique`` key. Columns are optional here:
    a missing column is reported once by validation, not per row."""
    return pa.DataFrameSchema(
        {c.key: pa.Column(str, value_checks(c), required=False) for c in table.columns},
        unique=list(table.unique) or None,
        name=table.name,
    )


# --- the tables: generated from the contract ---------------------------------------------------

SCHEMAS: dict[str, pa.DataFrameSchema] = {t.name: table_schema(t) for t in TABLES}
UNITS = SCHEMAS["units"]
BUDGET = SCHEMAS["budget"]
INDICATORS = SCHEMAS["indicators"]
GOALS = SCHEMAS["goals"]
MONTHLY = SCHEMAS["monthly"]
PROJECTS = SCHEMAS["projects"]


# --- running a schema on a raw table -----------------------------------------------------------


@cache
def _columns_schema(table: str, keys: tuple[str, ...]) -> pa.DataFrameSchema:
    """The part of a table's schema that checks the columns ``keys``."""
    return pa.DataFrameSchema({key: SCHEMAS[table].columns[key] for key in keys})


@cache
def _unique_schema(keys: tuple[str, ...]) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(unique=list(keys), report_duplicates="exclude_first")


def project_of(raw: RawTable, pos: int) -> str | None:
    """The 项目编码 of a row (budget, indicators, goals), None when blank or absent."""
    if raw.table.name == "projects" or "project_code" not in raw.frame.columns:
        return None
    return raw.column("project_code")[pos] or None


def context(raw: RawTable, pos: int) -> dict[str, str | None]:
    """Who a row is about, for messages about indicators: its 单位编码, 项目编码 and 三级指标
    (issue 2 §2, issue 11)."""
    if raw.table.name not in ("indicators", "reviews"):
        return {}
    code = raw.column("unit_code")[pos] if "unit_code" in raw.frame.columns else ""
    level3 = raw.column("level3")[pos] if "level3" in raw.frame.columns else ""
    return {
        "unit_code": code or None,
        "level3": level3 or None,
        "project_code": project_of(raw, pos),
    }


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
            code = CODE_BY_MESSAGE.get(str(message), "invalid_value")
            message = _amount_message(raw, key, str(message))
            if failing.isna().any():  # the check itself could not run
                problem = Problem(raw.file, str(message), column=header, code=code)
                found.append((-1, order[key], problem))
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
                        code=code,
                        **context(raw, pos),
                    ),
                )
                for pos in np.flatnonzero(np.isin(codes, bad))
            ]
    found += _duplicates(raw)
    found += [(pos, order[key], p) for pos, key, p in too_large(raw)]
    found += [(pos, order[key], p) for pos, key, p in bare_magnitudes(raw)]
    found += [(pos, order[key], p) for pos, key, p in reported_execution(raw)]
    found.sort(key=lambda f: (f[0], f[1]))
    return [problem for _, _, problem in found]


_TOO_LARGE = {
    AMOUNT_UNIT: (
        "数值过大：金额应小于 1 万亿元（100,000,000 万元），一个单位一行的金额不会达到；"
        "请核对数字的位数和单位（元、万元）"
    ),
    POINTS_UNIT: (
        f"数值过大：分值和得分应小于 {MAX_POINTS:,} 分（整张自评表共 100 分）；请核对数字"
    ),
}


def too_large(raw: RawTable) -> list[tuple[int, str, Problem]]:
    """Numbers no cell of the contract can hold (issue 16 §7): beyond a float ("1e309", 5,000
    digits) or at or above the column's bound (:func:`perfkit.data.numbers.bound`: 1 万亿元,
    1,000 points) — (row position, key, an error ``too_large``). The printed 执行率 and 得分
    (advisory) are read by :func:`reported_execution` instead: too large there is unreadable."""
    if raw.status != "ok":
        return []
    found = []
    for column in raw.table.columns:
        if column.kind != "number" or column.advisory or column.key not in raw.frame.columns:
            continue
        values = raw.values(column.key)
        read = parser(column, raw.units.get(column.key))(values)
        bad = np.flatnonzero(~in_range(read, bound(column)))
        message = _TOO_LARGE[POINTS_UNIT if column.unit == POINTS_UNIT else AMOUNT_UNIT]
        codes = raw.codes(column.key)
        found += [
            (
                int(pos),
                column.key,
                Problem(
                    raw.file,
                    message,
                    int(raw.rows[pos]),
                    raw.headers[column.key],
                    values[codes[pos]],
                    code="too_large",
                    **{"project_code": project_of(raw, int(pos)), **context(raw, pos)},
                ),
            )
            for pos in np.flatnonzero(np.isin(codes, bad))
        ]
    return found


def _amount_message(raw: RawTable, key: str, message: str) -> str:
    """The amount check's message, naming the header's unit when the header names one."""
    unit = raw.units.get(key)
    if message != AMOUNT_IS_NUMBER.error or not unit or unit == AMOUNT_UNIT:
        return message
    return (
        f"应为数字，单位{unit}（按表头所注；如 1200 或 1,200.50），或在数字后注明单位"
        "元、千元、万元或亿元（如 1200元、0.12万元）"
    )


_REPORTED_MESSAGES = {
    ("reported_rate", "reported_execution_unreadable"): (
        "无法识别执行率，应为百分数（如 95.5%）；该值不参与评分，仅用于与计算结果核对，"
        "已按空白处理。"
    ),
    ("reported_execution_weight", "reported_execution_unreadable"): (
        "无法识别分值，应为不小于 0 的数字（如 10 或 10分）；该值不参与评分，仅作记录，"
        "已按空白处理。"
    ),
    ("reported_execution_score", "reported_execution_unreadable"): (
        "无法识别得分，应为不小于 0 的数字（如 9.5 或 9.5分）；该值不参与评分，仅用于与计算结果"
        "核对，已按空白处理。"
    ),
}


def reported_execution(raw: RawTable) -> list[tuple[int, str, Problem]]:
    """Warnings about the budget table's printed 执行率 and 得分: (row position, key, problem).

    Unreadable values (``reported_execution_unreadable``) and rates written without "%" under a
    header without "%" (``rate_without_percent``, with the fraction perfkit read).
    """
    if raw.table.name != "budget" or raw.status != "ok":
        return []
    found = []
    for key in REPORTED_EXECUTION:
        if key not in raw.frame.columns:
            continue
        values, codes = raw.values(key), raw.codes(key)
        if key == "reported_rate":
            percent = raw.units.get(key) == "%"
            read = [rate(v, percent) for v in values.tolist()]
        else:
            points = parse_numbers(values, POINTS_UNIT)
            read = [
                (p, "reported_execution_unreadable" if v and not 0 <= p < MAX_POINTS else "")
                for v, p in zip(values.tolist(), points.tolist(), strict=True)
            ]
        flagged = [i for i, (_, code) in enumerate(read) if code]
        for pos in np.flatnonzero(np.isin(codes, flagged)):
            value, code = read[codes[pos]]
            if code == "rate_without_percent":
                message = (
                    f"执行率未写“%”，表头也未注明“（%）”：已按 {_percent_text(value)} 读取"
                    f"（大于 {RATE_PERCENT_ABOVE:g} 的数按百分数读，其余按小数读），请核对；"
                    "可写作 95.5% 或在表头写“执行率（%）”。"
                )
            else:
                message = _REPORTED_MESSAGES[(key, code)]
            found.append((int(pos), key, row_warning(raw, int(pos), key, message, code)))
    return found


def row_warning(raw: RawTable, pos: int, key: str, message: str, code: str) -> Problem:
    """A warning about one cell of a budget or monthly row, with the row's 单位编码, 项目编码 and
    year, so that it becomes a finding of that unit-year (or project)."""
    unit = raw.column("unit_code")[pos] if "unit_code" in raw.frame.columns else ""
    year = raw.column("year")[pos] if "year" in raw.frame.columns else ""
    return Problem(
        raw.file,
        message,
        int(raw.rows[pos]),
        raw.headers[key],
        raw.column(key)[pos],
        unit_code=unit or None,
        project_code=project_of(raw, pos),
        severity=WARNING,
        code=code,
        year=_parse_year_text(year),
    )


def bare_magnitudes(raw: RawTable) -> list[tuple[int, str, Problem]]:
    """Amounts written with a magnitude and no 元 ("150万", "1.2亿"): read as that magnitude of 元
    (issue 16 §10: in a money column 万 means 万元, whatever the header's unit) and flagged with
    the reading, a warning ``bare_magnitude``: (row position, key, problem)."""
    if raw.status != "ok":
        return []
    found = []
    for column in raw.table.columns:
        if column.unit != AMOUNT_UNIT or column.key not in raw.frame.columns:
            continue
        values, codes = raw.values(column.key), raw.codes(column.key)
        bare = {
            i: (reading[0], reading[1])
            for i, text in enumerate(values.tolist())
            if text and (reading := amount_reading(text))[1]
        }
        for pos in np.flatnonzero(np.isin(codes, list(bare))):
            magnitude = bare[codes[pos]][1]
            folded = simplified(unicodedata.normalize("NFKC", values[codes[pos]])).strip()
            written = folded.removesuffix(magnitude).strip()
            message = (
                f"{column.zh}只写了“{magnitude}”，未写“元”：按 {written}{magnitude}元 读取"
                f"（金额中的“{magnitude}”即{magnitude}元）；请写明单位，如“{written}{magnitude}元”。"
            )
            warning = row_warning(raw, int(pos), column.key, message, "bare_magnitude")
            found.append((int(pos), column.key, warning))
    return found


def _percent_text(fraction: float) -> str:
    text = f"{Decimal(repr(fraction)) * 100:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def _parse_year_text(text: str) -> int | None:
    year = parse_years([text])[0]
    return None if math.isnan(year) else int(year)


def _duplicates(raw: RawTable) -> list[tuple[int, int, Problem]]:
    """Rows that repeat the table's ``unique`` key. An optional key column (项目编码) that is
    absent is left out of the key, and its blank cells are a value of their own (the unit's
    部门整体 table); a blank in a required key column was reported already, so such rows are
    not compared."""
    table = TABLES_BY_NAME[raw.table.name]
    keys = [k for k in table.unique if table.column(k).required or k in raw.frame.columns]
    if not keys or not raw.has(*keys):
        return []
    codes = pd.DataFrame({k: raw.codes(k) for k in keys})
    blank = np.zeros(len(codes), dtype=bool)
    for k in keys:
        if not table.column(k).allow_blank:
            blank |= np.isin(raw.codes(k), np.flatnonzero(raw.values(k) == ""))
    cases = _failures(_unique_schema(tuple(keys)), codes[~blank])
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
                code="duplicate",
                **{"project_code": project_of(raw, int(pos)), **context(raw, pos)},
            ),
        )
        for pos in repeated
    ]
