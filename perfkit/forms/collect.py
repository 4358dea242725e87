"""``perfkit forms collect``: the filled-in forms of a folder back into one dataset.

Each workbook gives one unit-year's 部门整体 table or one project-year's 项目支出绩效自评表 (the
two may be mixed in one folder): its indicators (实际完成值, 得分, 偏差原因 and any indicator
added in the spare rows) and its goals' 实际完成情况. The rest comes from the form's hidden sheet
(the item-level budget, the 单位信息 row, a unit's monthly rows, a project's 项目信息 row and the
narrative, as issued by ``forms make``), or, with ``base``, from the bureau's own dataset, which
then wins. The output holds exactly the unit-years and project-years collected.

The collected tables are checked by the core validation (:func:`perfkit.data.loading.load`), and
every problem is moved back to the workbook and cell it came from (``SZ002.xlsx 自评表!F14``).
Nothing is written while a form is invalid, unless ``skip_invalid``: then the invalid forms are left
out and listed.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from perfkit.core.problems import InvalidInput, Problem, UsageError, errors
from perfkit.core.text import shown
from perfkit.data.contract import TABLES, TABLES_BY_NAME
from perfkit.data.dataset import Dataset
from perfkit.data.loading import load
from perfkit.data.writers import Tables, as_tables, narrative_markdown, text_frame, write_dataset
from perfkit.forms import layout as L
from perfkit.forms.cells import amount
from perfkit.forms.meta import META_TABLES, PROJECT_META_TABLES
from perfkit.forms.partial import load_partial
from perfkit.forms.read import Form, Origin, check_funding, read_form
from perfkit.forms.review_read import peek_review, read_review_form, with_reviews
from perfkit.rules.rulebook import DEFAULT, Rulebook, load_rulebook, presets

READABLE = (".xlsx", ".xlsm")
#: spreadsheet files we cannot read: asked to be saved again as .xlsx
UNREADABLE = (".xls", ".et", ".ods", ".csv", ".wps")


@dataclass(frozen=True)
class BaseOrigin:
    """A record taken from the base dataset: its file and Excel row there."""

    file: str
    row: int


@dataclass
class CollectResult:
    """What ``collect_forms`` did."""

    #: where the dataset was written
    out: Path
    #: every workbook read (file names)
    files: list[str]
    #: (year, unit_code) of the units' 部门整体 forms written
    collected: list[tuple[int, str]]
    #: workbooks left out under ``skip_invalid``, with their problems
    skipped: dict[str, list[Problem]] = field(default_factory=dict)
    #: warnings of the forms collected (scored, flagged), located in their workbooks
    warnings: list[Problem] = field(default_factory=list)
    #: (year, unit_code, project_code) of the projects' 项目支出绩效自评表 written
    collected_projects: list[tuple[int, str, str]] = field(default_factory=list)
    #: (year, unit_code, project_code) of the 复核表 collected into ``reviews`` (issue 17)
    reviewed: list[tuple[int, str, str]] = field(default_factory=list)

    def report(self) -> str:
        """A Chinese summary for the command line."""
        if self.reviewed and not self.collected and not self.collected_projects:
            lines = [f"已回收 {len(self.reviewed)} 份复核表，并入数据集写入 {self.out}。"]
        elif self.collected_projects:
            lines = [
                f"已回收 {len(self.collected)} 个单位的部门整体支出绩效自评表、"
                f"{len(self.collected_projects)} 个项目的项目支出绩效自评表，写入 {self.out}。"
            ]
        else:
            lines = [f"已回收 {len(self.collected)} 个单位的自评表，写入 {self.out}。"]
        if self.reviewed and (self.collected or self.collected_projects):
            lines.append(f"另回收 {len(self.reviewed)} 份复核表，写入复核（reviews）表。")
        if self.warnings:
            lines.append(f"其中 {len(self.warnings)} 处警告（已收入，评分时按说明处理，请核对）：")
            lines += [f"  - {p}" for p in self.warnings]
        if self.skipped:
            lines.append(f"以下 {len(self.skipped)} 份自评表有问题，未收入：")
            for file, problems in self.skipped.items():
                lines.append(f"  {shown(file)}：")
                lines += [f"    - {p}" for p in problems]
        return "\n".join(lines)


@dataclass
class _Candidate:
    """The tables assembled from the forms (all values text) and where each row came from."""

    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    origins: dict[str, list[Origin | BaseOrigin]] = field(default_factory=dict)
    #: (year, unit_code), a project's (year, unit_code, project_code) -> Markdown
    narratives: dict[tuple, str] = field(default_factory=dict)
    fictional: bool = False

    def add(self, table: str, values: dict[str, str], origin: Origin | BaseOrigin) -> None:
        self.rows.setdefault(table, []).append(values)
        self.origins.setdefault(table, []).append(origin)

    def tables(self, source: str) -> Tables:
        frames = {
            t.name: pd.DataFrame(self.rows.get(t.name, []), columns=[c.key for c in t.columns])
            for t in TABLES
        }
        return Tables(frames, self.narratives, self.fictional, source=source)


def _workbooks(folder: Path) -> tuple[list[Path], list[Problem]]:
    if not folder.is_dir():
        raise UsageError(f"找不到自评表目录：{folder}")
    paths, problems = [], []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.is_file() or path.name.startswith(("~$", ".")):
            continue  # Excel's and WPS's lock files, hidden files
        suffix = path.suffix.lower()
        if suffix in READABLE:
            paths.append(path)
        elif suffix in UNREADABLE:
            problems.append(
                Problem(
                    path.name,
                    f"不支持 {suffix} 格式：请用 Excel 或 WPS 另存为 .xlsx 后再交。",
                    code="unsupported_format",
                )
            )
    if not paths and not problems:
        raise UsageError(f"目录 {folder} 中没有 .xlsx 自评表。")
    return paths, problems


def _rulebook(spec: Rulebook | str | Path | None, forms: list[Form]) -> Rulebook:
    """The rulebook given, else the one every form was made under (a preset), else the default."""
    if isinstance(spec, Rulebook):
        return spec
    if spec is None:
        named = {f.meta.info.get("rulebook", "") for f in forms if f.meta}
        spec = named.pop() if len(named) == 1 and named <= set(presets()) else DEFAULT
    return load_rulebook(spec)


def _meta_rows(form: Form, table: str) -> list[tuple[dict[str, str], Origin]]:
    rows = form.meta.tables.get(table, []) if form.meta else []
    sheet = form.meta.sheet if form.meta else ""
    return [(r.values, Origin(form.file, {}, f"{sheet}!A{r.row}")) for r in rows]


def _meta_budget(form: Form) -> pd.DataFrame:
    rows = [values for values, _ in _meta_rows(form, "budget")]
    frame = pd.DataFrame(rows, columns=[c.key for c in TABLES_BY_NAME["budget"].columns])
    for key in L.FUNDING_COLUMNS:
        blank = math.nan if key == "initial_budget" else 0.0  # 年初预算数 may be blank
        frame[key] = [blank if (a := amount(v)) is None else a for v in frame[key]]
    return frame


def _base_rows(base: Dataset, table: str, year: int, code: str, project: str = ""):
    """The rows of a base table for a unit's form (its own rows, without 项目编码) or a project's
    form (the rows of its 项目编码): that year's, but for units and projects; as text, with
    origins."""
    frame = getattr(base, table)
    sel = frame["unit_code"] == code
    if table == "projects":
        sel &= frame["project_code"] == project
    elif table != "units":
        sel &= frame["year"] == year
        if "project_code" in frame.columns:
            sel &= frame["project_code"].fillna("").astype(str) == project
    rows = frame.loc[sel]
    file = base.files.get(table, table)
    texts = text_frame(rows, TABLES_BY_NAME[table]).to_dict("records")
    return [(v, BaseOrigin(file, int(r))) for v, r in zip(texts, rows["_row"], strict=True)]


def _add_form(cand: _Candidate, form: Form, base: Dataset | None) -> None:
    """The form's unit-year (or project-year) into the candidate: indicators and goals from the
    form, the rest from the base dataset or the form's hidden sheet."""
    year, code, project = int(form.year or 0), form.unit_code, form.project_code
    keys = {"year": str(year), "unit_code": code}
    if project:
        keys["project_code"] = project
    for record in form.indicators:
        cand.add("indicators", {**keys, **record.values}, record.origin)
    for record in form.goals:
        cand.add("goals", {**keys, **record.values}, record.origin)
    known_units = {r["unit_code"] for r in cand.rows.get("units", [])}
    known_projects = {(r["unit_code"], r["project_code"]) for r in cand.rows.get("projects", [])}
    for table in PROJECT_META_TABLES if project else META_TABLES:
        if base is not None:
            rows = _base_rows(base, table, year, code, project)
        else:
            rows = _meta_rows(form, table)
        for values, origin in rows:
            # one 单位信息 row for several years and for the unit's and its projects' forms; one
            # 项目信息 row for several years
            if table == "units" and code in known_units:
                continue
            if table == "projects" and (code, values.get("project_code", "")) in known_projects:
                continue
            cand.add(table, values, origin)
    key: tuple = (year, code, project) if project else (year, code)
    if base is not None:
        narrative = (base.project_narratives if project else base.narratives).get(key)
        markdown = narrative_markdown(narrative) if narrative is not None else ""
    else:
        markdown = form.meta.narrative if form.meta else ""
        cand.fictional |= bool(form.meta and form.meta.info.get("fictional") == "true")
    if markdown.strip():
        cand.narratives[key] = markdown


def _check_forms(forms: list[Form], base: Dataset | None) -> None:
    """Problems of the forms themselves: duplicates, unknown units and projects, no budget,
    edited figures."""
    seen: dict[tuple[int | None, str, str], str] = {}
    known = set(base.units["unit_code"].astype(str)) if base is not None else None
    projects = (
        set(zip(base.projects["unit_code"], base.projects["project_code"], strict=True))
        if base is not None
        else None
    )
    for form in forms:
        if form.sheet is None or form.year is None:
            continue
        key = (form.year, form.unit_code, form.project_code)
        if key in seen:
            form.blocked = True
            if form.is_project:
                whose = f"同一项目（单位编码 {form.unit_code}，项目编码 {form.project_code}）"
            else:
                whose = f"同一单位（{form.unit_code}）"
            form.problem(
                "duplicate_form",
                f"与 {seen[key]} 是{whose}同一年度的自评表，只能交一份。",
                form.owner_cell,
                form.project_code or form.unit_code,
            )
            continue
        seen[key] = form.file
        if known is not None and form.unit_code not in known:
            form.blocked = True
            form.problem(
                "unknown_unit_code",
                f"单位编码在 {base.files.get('units', 'units')} 中不存在。",
                form.unit_cell,
                form.unit_code,
            )
        elif (
            projects is not None
            and form.is_project
            and (form.unit_code, form.project_code) not in projects
        ):
            form.blocked = True
            where = base.files.get("projects")
            form.problem(
                "unknown_project_code",
                f"项目编码不是单位 {form.unit_code} 在 {where} 中的项目。"
                if where
                else "基础数据中没有项目信息（projects），无法确认这个项目编码。",
                form.owner_cell,
                form.project_code,
            )
        if base is None and (form.meta is None or not form.meta.tables.get("budget")):
            form.blocked = True
            form.problem(
                "form_without_metadata",
                "这份表不是由 perfkit forms make 生成的（缺少隐藏的元数据工作表），取不到逐项的预算"
                "执行数据：请用 --base 指定财政部门的基础数据再回收。",
                form.owner_cell,
            )
        if form.meta is not None:
            check_funding(form, _meta_budget(form))


_TABLE_FILE = re.compile(r"^(\w+)\.csv$")


def _key_of(table: str, header: str | None) -> str | None:
    if header is None:
        return None
    for col in TABLES_BY_NAME[table].columns:
        if header in col.names:
            return col.key
    return None


def _relocate(p: Problem, cand: _Candidate, forms: dict[str, Form]) -> Problem:
    """A validation problem of the assembled tables, moved to the workbook cell it came from."""
    match = _TABLE_FILE.match(p.file)
    table = match.group(1) if match and match.group(1) in TABLES_BY_NAME else None
    origins = cand.origins.get(table or "", [])
    if table and p.row is not None and 2 <= p.row < len(origins) + 2:
        origin = origins[p.row - 2]
        if isinstance(origin, BaseOrigin):
            return replace(p, file=origin.file, row=origin.row)
        key = _key_of(table, p.column)
        cell = origin.cells.get(key or "", origin.anchor)
        form = forms.get(origin.file)
        if table == "indicators" and p.code in ("weights_total", "weights_zero") and form:
            cell = form.weight_sum_cell or cell
        return replace(p, file=origin.file, row=None, cell=cell)
    whose = (p.unit_code, p.project_code or "")
    owner = next((f for f in forms.values() if (f.unit_code, f.project_code) == whose), None)
    if owner is None:
        owner = next(
            (f for f in forms.values() if p.unit_code and f.unit_code == p.unit_code), None
        )
    if owner is None:
        owner = next((f for f in forms.values() if f.unit_code and f.unit_code in p.file), None)
    if owner is not None:
        return replace(p, file=owner.file, row=None, cell=owner.owner_cell)
    return p


def _validate(cand: _Candidate, rb: Rulebook, forms: dict[str, Form], source: str):
    """Write the candidate to a temporary folder and load it: (dataset, []) or (None, problems)."""
    tmp = Path(tempfile.mkdtemp(prefix="perfkit-collect-"))
    try:
        folder = write_dataset(cand.tables(source), tmp / "dataset")
        try:
            ds = load(folder, rb)
            ds.warnings = [_relocate(p, cand, forms) for p in ds.warnings]
            return ds, []
        except InvalidInput as err:
            return None, [_relocate(p, cand, forms) for p in err.problems]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_CELL = re.compile(r"!\$?([A-Z]+)\$?(\d+)$")


def _reading_order(p: Problem) -> tuple[str, int, int, str]:
    """By file, then as a person reads the sheet: row by row, left to right."""
    match = _CELL.search(p.cell or "")
    if match is None:
        return (p.file, 0, p.row or 0, "")
    return (p.file, 1, int(match.group(2)), f"{len(match.group(1)):02d}{match.group(1)}")


def _by_file(problems: list[Problem], files: set[str]) -> tuple[dict[str, list[Problem]], list]:
    grouped: dict[str, list[Problem]] = {}
    other = []
    for p in problems:
        if p.file in files:
            grouped.setdefault(p.file, []).append(p)
        else:
            other.append(p)
    return grouped, other


def collect_forms(
    folder: str | Path,
    out: str | Path,
    base: str | Path | Dataset | None = None,
    skip_invalid: bool = False,
    rulebook: Rulebook | str | Path | None = None,
    into: str | Path | None = None,
) -> CollectResult:
    """Read every workbook in ``folder`` and write the dataset to ``out`` (a CSV folder, or one
    workbook when ``out`` ends with .xlsx). Raises InvalidInput with every problem, each naming
    the workbook and cell, when a form is invalid and ``skip_invalid`` is false.

    复核表 (issue 17) are recognised by their hidden sheet and go into the ``reviews`` table of
    the dataset written: beside self-evaluation forms, of the dataset collected; alone, of a
    copy of ``into`` (the dataset the 复核表 were made from), which is required then."""
    folder = Path(folder)
    paths, file_problems = _workbooks(folder)
    review_paths = [p for p in paths if peek_review(p)]
    paths = [p for p in paths if p not in review_paths]
    review_forms = [read_review_form(p) for p in review_paths]
    if review_forms and not paths and not file_problems:
        return _collect_reviews(folder, out, into, review_forms, skip_invalid, rulebook)
    if into is not None:
        raise UsageError("--into 只用于只有复核表的目录；自评表请用 --base 指定基础数据。")
    forms = [read_form(p) for p in paths]
    rb = _rulebook(rulebook, forms)
    base_ds = load_partial(base, rb) if isinstance(base, str | Path) else base
    _check_forms(forms, base_ds)
    skipped: dict[str, list[Problem]] = {}
    for p in file_problems:
        skipped.setdefault(p.file, []).append(p)
    live = {f.file: f for f in forms}
    while True:
        for form in list(live.values()):
            if errors(form.problems) and (form.blocked or skip_invalid):
                skipped.setdefault(form.file, []).extend(form.problems)
                del live[form.file]
        cand = _Candidate(fictional=bool(base_ds and base_ds.fictional))
        for form in live.values():
            _add_form(cand, form, base_ds)
        ds, problems = _validate(cand, rb, live, str(folder)) if live else (None, [])
        grouped, other = _by_file(problems, set(live))
        pending = {f: [*live[f].problems, *grouped.get(f, [])] for f in live}
        # a form is invalid for its errors; its warnings alone (scored, flagged) never keep it out
        pending = {f: ps for f, ps in pending.items() if any(not p.is_warning for p in ps)}
        if any(not p.is_warning for p in other) or ((pending or skipped) and not skip_invalid):
            everything = [*skipped.values(), *pending.values(), other]
            raise InvalidInput(sorted((p for ps in everything for p in ps), key=_reading_order))
        if not pending:
            break
        for file, ps in pending.items():
            skipped.setdefault(file, []).extend(ps)
            del live[file]
    if ds is None:
        raise InvalidInput([p for ps in skipped.values() for p in ps])
    tables = as_tables(ds)
    tables.source = str(folder)
    reviewed: list[Form] = []
    if review_forms:
        own_warnings = ds.warnings
        ds, reviewed, more = with_reviews(tables, review_forms, rb, str(folder), skip_invalid)
        review_files = {f.file for f in review_forms}
        ds.warnings = [*own_warnings, *(p for p in ds.warnings if p.file in review_files)]
        skipped.update(more)
        tables = as_tables(ds)
        tables.source = str(folder)
    written = write_dataset(tables, out)
    collected = sorted((int(f.year or 0), f.unit_code) for f in live.values() if not f.is_project)
    collected_projects = sorted(
        (int(f.year or 0), f.unit_code, f.project_code) for f in live.values() if f.is_project
    )
    read = [p for f in live.values() for p in f.problems if p.is_warning]  # forbidden_characters
    warnings = sorted([*read, *ds.warnings], key=_reading_order)
    return CollectResult(
        written,
        [p.name for p in [*paths, *review_paths]],
        collected,
        skipped,
        warnings,
        collected_projects,
        _keys(reviewed),
    )


def _keys(forms: list[Form]) -> list[tuple[int, str, str]]:
    return sorted((int(f.year or 0), f.unit_code, f.project_code) for f in forms)


def _collect_reviews(
    folder: Path,
    out: str | Path,
    into: str | Path | None,
    forms: list[Form],
    skip_invalid: bool,
    rulebook: Rulebook | str | Path | None,
) -> CollectResult:
    """A folder of 复核表 only: their reviews into a copy of ``into`` written to ``out``."""
    if into is None:
        raise UsageError(
            f"目录 {folder} 中只有复核表：请用 --into DATA 指定生成复核表时所用的数据集，"
            "复核结果将并入它的副本（写到 --out）。"
        )
    rb = _rulebook(rulebook, forms)
    base = load(into, rb)
    tables = as_tables(base)
    tables.name = base.name
    ds, live, skipped = with_reviews(tables, forms, rb, str(into), skip_invalid)
    tables = as_tables(ds)
    tables.name = base.name
    written = write_dataset(tables, out)
    read = [p for f in live for p in f.problems if p.is_warning]
    files = {f.file for f in forms}  # the dataset's own warnings were listed when it was made
    warnings = sorted([*read, *(p for p in ds.warnings if p.file in files)], key=_reading_order)
    return CollectResult(written, [f.file for f in forms], [], skipped, warnings, [], _keys(live))
