"""The sample to re-check (抽查复核, ``perfkit review sample``; issue 17 §2, docs/review.md
"抽取复核样本").

The rule (:func:`draw`):

1. candidates are the year's tables screened by :func:`perfkit.review.screening.review` — the
   units' 部门整体 tables and the projects' 自评表, as ``level`` says (``unit``, ``project``,
   ``all``) — less the excluded ones, in strata by the unit's 主管部门 (a blank one is a stratum
   of its own), each ordered by 单位编码 and 项目编码;
2. a stratum's quota is ``rate`` of its candidates rounded up (at least 1 where it has any), or
   ``per_department`` (at most its candidates);
3. drawn in every case: the tables named by ``include`` (人工指定), then every table whose risk is
   at least the rulebook's ``[review.sample] must_risk`` (必抽（高风险）), even beyond the quota;
4. the rest of the quota is drawn at random (随机抽取), without replacement, each table's
   chance proportional to its 全年预算数 (a table with none or 0 is drawn only when those with
   funds are used up), by ``numpy.random.default_rng(seed)``, strata in the order of their
   names: the same data, rulebook and seed always draw the same tables.

A code names one table: ``SZ001`` a unit's 部门整体 table, ``SZ001/P01`` a project's.

The file (:func:`write_sample`) has the columns :data:`COLUMNS`; a workbook's one sheet is
:data:`SHEET` and its description :data:`MARKER`, a CSV's first line is the header: that is how
perfkit knows a file it wrote, and it replaces no other file. :func:`read_sample` reads it back
(what ``perfkit forms make --review`` reads).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.core import ziplimits
from perfkit.core.atomic import atomic_path, write_bytes
from perfkit.core.problems import UsageError
from perfkit.data.textcells import CSV_LINE_END, escape_frame, unescape_csv_cell
from perfkit.review.registry import CHECK_LABELS
from perfkit.review.results import Review

#: the sample's columns, as the file has them (年度, 单位编码, 项目编码 identify a row)
COLUMNS = ["年度", "单位编码", "项目编码", "名称", "主管部门", "全年预算数", "风险分", "风险排名",
           "抽取方式", "抽取理由"]  # fmt: skip
#: the same, as :func:`read_sample` names them
KEYS = ["year", "unit_code", "project_code", "name", "department", "funds", "risk", "rank",
        "how", "why"]  # fmt: skip
MANUAL, MUST, RANDOM = "人工指定", "必抽（高风险）", "随机抽取"
SHEET = "复核样本"
MARKER = "perfkit review sample"
NO_DEPARTMENT = "（未填主管部门）"
LEVELS = ("unit", "project", "all")


def table_code(unit_code: str, project_code: str) -> str:
    """How a table is named on the command line: ``SZ001`` or ``SZ001/P01``."""
    return f"{unit_code}/{project_code}" if project_code else unit_code


def parse_rate(text: str) -> float:
    """``20%`` → 0.2, ``0.2`` → 0.2; anything else (``20``, ``-5%``, ``abc``) a UsageError."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith(("%", "％")) else float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:
        raise UsageError(f"--rate 应写作 20% 或 0.2（大于 0，不超过 100%），而不是“{raw}”。")
    return value


def _why(codes: Iterable[str], how: str, risk: float, must_risk: float) -> str:
    found = "；".join(CHECK_LABELS.get(c, c) for c in codes)
    lead = {
        MANUAL: "人工指定",
        MUST: f"风险分 {risk:g} 不低于 {must_risk:g}",
        RANDOM: "按全年预算数加权随机抽取",
    }[how]
    return f"{lead}：{found}" if found else lead


def draw(
    review: Review,
    rate: float | None = None,
    per_department: int | None = None,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    seed: int = 0,
    level: str = "all",
) -> pd.DataFrame:
    """The sample (the module's rule), one row per table drawn, columns :data:`KEYS`, ordered
    by 主管部门 then risk rank. Exactly one of ``rate`` and ``per_department``; an unknown code in
    ``include`` or ``exclude``, or one in both, is a :class:`UsageError` naming it."""
    if (rate is None) == (per_department is None):
        raise UsageError(
            "请给出 --rate（每个主管部门抽取的比例）或 --per-department（每个主管部门抽取的"
            "个数）之一。"
        )
    if level not in LEVELS:
        raise UsageError(f"--level 应为 unit、project 或 all，而不是“{level}”。")
    tables = review.tables.copy()
    tables["code"] = [
        table_code(u, p) for u, p in zip(tables["unit_code"], tables["project_code"], strict=True)
    ]
    include, exclude = list(dict.fromkeys(include)), list(dict.fromkeys(exclude))
    known = set(tables["code"])
    unknown = [c for c in [*include, *exclude] if c not in known]
    if unknown:
        raise UsageError(
            f"{review.year} 年度没有这些单位或项目：{'、'.join(unknown)}"
            "（单位写单位编码，项目写“单位编码/项目编码”）。"
        )
    both = [c for c in include if c in exclude]
    if both:
        raise UsageError(f"这些单位或项目既指定抽取又指定排除：{'、'.join(both)}。")
    is_project = tables["project_code"] != ""
    in_level = {"unit": ~is_project, "project": is_project, "all": is_project | True}[level]
    tables = tables[(in_level | tables["code"].isin(include)) & ~tables["code"].isin(exclude)]
    tables = tables.assign(
        stratum=tables["department"].where(tables["department"] != "", NO_DEPARTMENT)
    ).sort_values(["stratum", "unit_code", "project_code"], kind="stable")
    must_risk = review.rulebook.review.must_risk
    rng = np.random.default_rng(seed)
    drawn = []
    for _, stratum in tables.groupby("stratum", sort=True):
        quota = (
            min(per_department, len(stratum))
            if per_department is not None
            else max(1, math.ceil(rate * len(stratum) - 1e-9))
        )
        manual = stratum["code"].isin(include).to_numpy()
        must = ~manual & (stratum["risk"].to_numpy(dtype=float) >= must_risk - 1e-9)
        how = np.where(manual, MANUAL, np.where(must, MUST, "")).astype(object)
        left = quota - int(manual.sum()) - int(must.sum())
        rest = np.flatnonzero(how == "")
        if left > 0 and len(rest):
            for i in _weighted(rng, stratum["funds"].to_numpy(dtype=float)[rest], left):
                how[rest[i]] = RANDOM
        picked = stratum.assign(how=how)[how != ""]
        drawn.append(picked)
    if not drawn:
        return pd.DataFrame(columns=KEYS)
    out = pd.concat(drawn).sort_values(["stratum", "rank"], kind="stable")
    out["why"] = [
        _why(codes, how, risk, must_risk)
        for codes, how, risk in zip(out["checks"], out["how"], out["risk"], strict=True)
    ]
    return out[KEYS].reset_index(drop=True)


def _weighted(rng: np.random.Generator, funds: np.ndarray, k: int) -> list[int]:
    """``k`` positions drawn without replacement, with chances proportional to ``funds``; the
    tables without funds (none, 0, negative) only after every table with funds is drawn."""
    weights = np.where(np.isnan(funds), 0.0, np.clip(funds, 0.0, None))
    positive = np.flatnonzero(weights > 0)
    zero = np.flatnonzero(weights <= 0)
    first = min(k, len(positive))
    picked = []
    if first:
        p = weights[positive] / weights[positive].sum()
        picked = positive[rng.choice(len(positive), size=first, replace=False, p=p)].tolist()
    if k > first and len(zero):
        more = min(k - first, len(zero))
        picked += zero[rng.choice(len(zero), size=more, replace=False)].tolist()
    return picked


def sample_table(sample: pd.DataFrame, year: int) -> pd.DataFrame:
    """The drawn sample (:func:`draw`) as the file has it: the Chinese headers :data:`COLUMNS`,
    one row per table drawn with its 抽取方式 and 抽取理由 (what review.ipynb shows, too)."""
    out = sample.rename(columns=dict(zip(KEYS, COLUMNS, strict=True)))[COLUMNS].copy()
    out["年度"] = year
    return out


def drawn_by_how(sample: pd.DataFrame) -> list[tuple[str, int]]:
    """How many tables of the sample were drawn each way, in the rule's order (人工指定,
    必抽（高风险）, 随机抽取), the ways that drew none left out."""
    counts = sample["how"].value_counts()
    return [(how, int(counts[how])) for how in (MANUAL, MUST, RANDOM) if counts.get(how, 0)]


def is_sample(path: Path) -> bool:
    """Whether ``path`` is a sample perfkit wrote: a workbook whose description is
    :data:`MARKER` and whose first sheet is :data:`SHEET`, or a CSV whose first line is the
    header :data:`COLUMNS`."""
    if path.suffix.lower() == ".csv":
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                first = next(csv.reader(io.StringIO(fh.readline())), [])
        except (OSError, UnicodeDecodeError):
            return False
        return first == COLUMNS
    try:
        from openpyxl import load_workbook

        if ziplimits.check(path, ziplimits.FORM):
            return False
        wb = load_workbook(path, read_only=True)
        try:
            return wb.properties.description == MARKER and wb.sheetnames[:1] == [SHEET]
        finally:
            wb.close()
    except Exception:  # not a workbook at all
        return False


def write_sample(sample: pd.DataFrame, year: int, out: str | Path) -> Path:
    """Write the sample to ``out`` (.xlsx or .csv) atomically; an existing file that is not a
    sample perfkit wrote is refused (:class:`UsageError`), never replaced."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UsageError(f"--out 应为 .xlsx 或 .csv 文件，而不是“{out.name}”。")
    if out.is_dir():
        raise UsageError(f"--out 是一个文件夹：{out}。")
    if out.exists() and not is_sample(out):
        raise UsageError(
            f"{out} 已存在且不是 perfkit 写的复核样本，不会覆盖它；请换一个文件名或先移走它。"
        )
    frame = sample_table(sample, year)
    if suffix == ".csv":
        text = escape_frame(frame).to_csv(index=False, lineterminator=CSV_LINE_END)
        write_bytes(out, text.encode("utf-8-sig"))
        return out
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from perfkit.data.writers import put

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    wb.properties.description = MARKER
    wb.properties.creator = "perfkit"
    for col, header in enumerate(COLUMNS, start=1):
        put(ws.cell(row=1, column=col), header).font = Font(bold=True)
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        for col, value in enumerate(row, start=1):
            value = value.item() if hasattr(value, "item") else value
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            put(ws.cell(row=r, column=col), value)
    for col, width in zip("ABCDEFGHIJ", (6, 10, 10, 24, 20, 12, 8, 8, 14, 60), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    with atomic_path(out, keep_suffix=True) as tmp:
        wb.save(tmp)
    return out


def _cell(value, decode):  # type: ignore[no-untyped-def]
    """A workbook cell as read: "" for blank, text decoded (``_xHHHH_`` escapes)."""
    if value is None:
        return ""
    return decode(value) if isinstance(value, str) else value


def read_sample(path: str | Path) -> pd.DataFrame:
    """A sample written by :func:`write_sample`, columns :data:`KEYS` (``project_code`` "" for a
    unit's table; ``year`` and ``rank`` ints, ``funds`` and ``risk`` floats). A file that is not
    one (or no file) is a :class:`UsageError` naming it."""
    path = Path(path)
    if not path.is_file() or not is_sample(path):
        raise UsageError(
            f"{path} 不是 perfkit review sample 写的复核样本（.xlsx 或 .csv，表头："
            f"{'、'.join(COLUMNS)}）。"
        )
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        frame = frame.map(unescape_csv_cell)
    else:
        from openpyxl import load_workbook

        from perfkit.core.text import from_cell

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = list(wb[SHEET].iter_rows(min_row=2, values_only=True))
        finally:
            wb.close()
        frame = pd.DataFrame(
            [[_cell(v, from_cell) for v in r[: len(COLUMNS)]] for r in rows],
            columns=COLUMNS,
        )
    frame = frame.rename(columns=dict(zip(COLUMNS, KEYS, strict=True)))[KEYS]
    for key in ("year", "rank"):
        frame[key] = pd.to_numeric(frame[key]).astype("int64")
    for key in ("funds", "risk"):
        frame[key] = pd.to_numeric(frame[key].replace("", np.nan), errors="coerce").astype(float)
    for key in ("unit_code", "project_code", "name", "department", "how", "why"):
        frame[key] = frame[key].astype(object).where(frame[key].notna(), "").astype(str)
    return frame
