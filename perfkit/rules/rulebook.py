"""Rulebooks: the scoring rules as data (TOML), with presets for the provincial variants.

A rulebook is named by a preset (``mof2020``, ``hubei`` …, files in ``perfkit/rules/rulebooks/``) or
given as the path of a user's own TOML file. A user's file may ``extends = "mof2020"`` and
override only what differs. See docs/rulebooks.md.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from perfkit.core.formatting import round_half_up, truncate
from perfkit.core.problems import InvalidInput, Problem, UsageError
from perfkit.rules.review import ReviewRules, read_review

PRESET_PACKAGE = "perfkit.rules.rulebooks"
#: how far a unit's indicator weights may be from the rulebook's total before they count as off
WEIGHT_TOLERANCE = 0.005
DEFAULT = "mof2020"


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Fold full-width forms (NFKC), drop spaces and punctuation: how qualitative phrases are
    compared. "达成 年度指标。" → "达成年度指标"; "ＡＢ" → "AB"."""
    folded = unicodedata.normalize("NFKC", str(text))
    return "".join(
        ch for ch in folded if not ch.isspace() and not unicodedata.category(ch).startswith("P")
    )


class RulebookError(InvalidInput, UsageError):
    """A rulebook file that cannot be used: every problem of it at once, each naming the file
    and the key (exit code 2). An :class:`InvalidInput` (``problems``, ``report()``) and a
    :class:`UsageError` (the rulebook is an argument)."""

    def report(self) -> str:
        lines = [f"评分规则有 {len(self.problems)} 处错误，无法使用："]
        return "\n".join([*lines, *(f"  - {p}" for p in self.problems)])


@dataclass(frozen=True)
class Step:
    """Stepped execution score: a rate at or above ``min`` earns ``score`` (Jiangxi)."""

    min: float
    score: float


@dataclass(frozen=True)
class Tier:
    """A qualitative tier: the phrases naming it, its default share, its MoF range of the weight."""

    key: str
    label: str
    share: float
    min: float
    max: float
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Grade:
    name: str
    min: float


RoundingMethod = Literal["half_up", "truncate"]


@dataclass(frozen=True)
class Rounding:
    """How a score is rounded: ``half_up`` (四舍五入) or ``truncate`` (舍去, as some provinces print
    9.78 as 9 and 1.946 as 1.9), to ``decimals`` decimals (domain.md §7)."""

    method: RoundingMethod
    decimals: int

    def apply(
        self, x: float | np.ndarray | pd.Series, decimals: int | np.ndarray | None = None
    ) -> np.ndarray:
        """``x`` rounded by this rule (:func:`perfkit.core.formatting.round_half_up` or
        :func:`perfkit.core.formatting.truncate`), to ``decimals`` (per value) when given."""
        places = self.decimals if decimals is None else decimals
        if self.method == "half_up":
            return round_half_up(x, places)
        return truncate(x, places)

    @property
    def text(self) -> str:
        """How a reader says it: "四舍五入保留 2 位小数", "舍去保留到整数"."""
        how = "四舍五入" if self.method == "half_up" else "舍去尾数"
        return f"{how}保留 {self.decimals} 位小数" if self.decimals else f"{how}取整"


@dataclass(frozen=True)
class Direction:
    """How a target written without a comparator is read from its context (domain.md §7).

    Keywords are matched inside the level names and the indicator name after quotes and spaces
    are removed; every inferred reading is said in the indicator's rule text.
    """

    #: 一级/二级指标 names containing one of these: a bare amount or unit price is a cap (≤)
    cost_levels: tuple[str, ...]
    #: 二级指标 names containing one of these: a date or year is a deadline
    deadline_levels: tuple[str, ...]
    #: 三级指标 names containing one of these: lower is better (≤) (财预〔2013〕53号 §3)
    lower_better_names: tuple[str, ...]
    #: a bare 0 target ("0起", "0次") means = 0: something that should not happen
    zero_means_equal: bool


@dataclass(frozen=True)
class Rulebook:
    name: str
    title: str
    description: str
    execution_weight: float
    execution_method: Literal["linear", "steps"]
    execution_steps: tuple[Step, ...]
    indicator_total: float
    reverse: Literal["ratio", "linear"]
    decimals: int
    same_as_target: str | None
    tiers: tuple[Tier, ...]
    grades: tuple[Grade, ...]
    low_execution: float
    over_target: float
    score_mismatch: float
    time_progress_tolerance: float
    time_progress_months: tuple[int, ...]
    #: rounding of each indicator score, of the execution score, of the total
    indicator_rounding: Rounding = Rounding("half_up", 2)
    execution_rounding: Rounding = Rounding("half_up", 2)
    total_rounding: Rounding = Rounding("half_up", 2)
    #: weights that do not add up to ``indicator_total``: rescale the sum of the indicator scores
    #: to it (True) or keep the sum as the unit wrote it (False)
    rescale: bool = True
    #: rows whose target or actual cannot be read or compared: the unit's reported 得分
    #: ("reported"; 0 without one) or always 0 ("zero")
    unverifiable: Literal["reported", "zero"] = "reported"
    #: a missed deadline: 0 ("zero") or ``deadline_per_month`` of the weight off per month late
    deadline_missed: Literal["zero", "per_month"] = "zero"
    deadline_per_month: float = 0.25
    direction: Direction = Direction((), (), (), True)
    #: the unit's 项目支出 budget rows and the sum of its projects' budgets may differ by this
    #: much (万元) before it is a finding (``project_budget_mismatch``)
    project_budget_tolerance: float = 0.01
    #: spending above the budget by more than this (万元) is a finding (``overspend``)
    overspend_tolerance: float = 0.0
    #: 三级指标 names that are the 预算执行率 itself: a table that lists one of them among
    #: indicators adding up to 100 scores execution as an indicator (rules/structure.py)
    execution_indicator_names: tuple[str, ...] = ()
    #: where it came from: "preset:mof2020" or a file path
    origin: str = ""
    #: the ``[review]`` section (perfkit/rules/review.py): the bureau's checks; never a score,
    #: so left out of the comparison (a change of it renders no report again)
    review: ReviewRules = field(default_factory=ReviewRules, compare=False, repr=False)
    #: the rulebook for projects' 项目支出绩效自评表 when the file has a ``[project]`` section
    #: (its keys override ``[execution]``, ``[indicators]``, ``[total]``, ``[findings]`` and
    #: ``[[grades]]`` for projects); None: projects are scored like units (:meth:`for_projects`)
    project: Rulebook | None = field(default=None, compare=False, repr=False)
    #: normalised phrase (labels included) → tier key, built once from ``tiers``
    phrase_index: dict[str, str] = field(init=False, compare=False, repr=False)
    #: (phrase, first tier key, other tier key) for phrases given to two tiers (an error)
    phrase_conflicts: tuple[tuple[str, str, str], ...] = field(
        init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        index, conflicts = _phrase_index(self.tiers)
        object.__setattr__(self, "phrase_index", index)
        object.__setattr__(self, "phrase_conflicts", conflicts)

    def for_projects(self) -> Rulebook:
        """The rulebook a project's 自评表 is scored with: the ``[project]`` section applied,
        or this rulebook itself when there is none."""
        return self.project or self

    def tier(self, key: str) -> Tier:
        for t in self.tiers:
            if t.key == key:
                return t
        raise KeyError(key)


def _phrase_index(
    tiers: Iterable[Tier],
) -> tuple[dict[str, str], tuple[tuple[str, str, str], ...]]:
    """Normalised phrase → tier key (a phrase named by two tiers stays with the first), and
    the conflicts."""
    index: dict[str, str] = {}
    conflicts = []
    for tier in tiers:
        for phrase in map(normalise, (tier.label, *tier.phrases)):
            first = index.setdefault(phrase, tier.key)
            if first != tier.key:
                conflicts.append((phrase, first, tier.key))
    return index, tuple(conflicts)


def presets() -> list[str]:
    """Names of the shipped presets."""
    return sorted(
        p.name.removesuffix(".toml")
        for p in resources.files(PRESET_PACKAGE).iterdir()
        if p.name.endswith(".toml")
    )


def _read_preset(name: str) -> dict[str, Any]:
    path = resources.files(PRESET_PACKAGE).joinpath(f"{name}.toml")
    if not path.is_file():
        raise UsageError(_unknown_preset(name))
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _unknown_preset(name: str) -> str:
    return f"未知的评分规则“{name}”；可用的预设：{'、'.join(presets())}，或给出 TOML 文件路径。"


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve(data: dict[str, Any], origin: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    parent = data.get("extends")
    if not parent:
        return data
    if not isinstance(parent, str):
        raise _error(origin, "extends", parent, '应为预设名，如 "mof2020"。', "rulebook_bad_value")
    if parent in seen:
        message = f"extends 形成循环：{' → '.join((*seen, parent))}。"
        raise _error(origin, "extends", parent, message, "rulebook_extends_cycle")
    try:
        base = _read_preset(parent)
    except UsageError:
        raise _error(
            origin, "extends", parent, _unknown_preset(parent), "rulebook_unknown_preset"
        ) from None
    base = _resolve(base, origin, (*seen, parent))
    return _merge(base, {k: v for k, v in data.items() if k != "extends"})


def _error(origin: str, key: str | None, value: Any, message: str, code: str) -> RulebookError:
    return RulebookError([_problem(origin, key, value, message, code)])


def _problem(origin: str, key: str | None, value: Any, message: str, code: str) -> Problem:
    shown = None if value is _MISSING else _shown(value)
    return Problem(origin, message, column=key, value=shown, code=code)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return value if isinstance(value, str) else repr(value)


def load_rulebook(spec: str | Path | None = None) -> Rulebook:
    """Load a preset by name or a user's TOML file by path (default: ``mof2020``).

    Raises :class:`UsageError` for an unknown preset or a missing file, :class:`RulebookError`
    (a UsageError) listing every problem of a file that cannot be used.
    """
    spec = DEFAULT if spec is None else spec
    path = Path(spec)
    if path.suffix.lower() == ".toml" or path.exists():
        if not path.is_file():
            raise UsageError(f"找不到评分规则文件：{path}")
        origin, default_name = str(path), path.stem
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            message = f"评分规则文件无法读取：{err}"
            raise _error(origin, None, _MISSING, message, "rulebook_unreadable") from None
    else:
        data = _read_preset(str(spec))
        origin, default_name = f"preset:{spec}", str(spec)
    # name, title and description describe one file: they are never inherited through extends
    name = str(data.get("name", default_name))
    own = {
        "name": name,
        "title": str(data.get("title", name)),
        "description": str(data.get("description", "")),
    }
    resolved = _resolve(data, origin)
    project = resolved.pop("project", None)
    reader = _Reader({**resolved, **own}, origin)
    book = _build(reader)
    problems = reader.problems + _check(book, reader.problems, reader.data)
    if project is not None:
        project_book, project_problems = _project_rulebook(resolved, own, project, origin)
        problems += project_problems
        if project_book is not None and not problems:
            book = replace(book, project=project_book)
    if problems:
        raise RulebookError(problems)
    return book


#: the tables a ``[project]`` section may override for projects' 自评表
PROJECT_SECTIONS = ("execution", "indicators", "total", "findings", "grades")


def _project_rulebook(
    resolved: dict[str, Any], own: dict[str, str], project: Any, origin: str
) -> tuple[Rulebook | None, list[Problem]]:
    """The rulebook of projects: the file's tables with ``[project]``'s merged over them
    (``[project.execution]`` key by key over ``[execution]`` …; ``[[project.grades]]`` replaces
    ``[[grades]]``), checked like a whole rulebook. Problems name their key under ``project.``;
    problems of keys ``[project]`` does not touch were reported for the file already."""
    if not isinstance(project, dict):
        message = "应为一个表 [project]，其中可写 " + "、".join(PROJECT_SECTIONS) + "。"
        return None, [_problem(origin, "project", project, message, "rulebook_bad_value")]
    problems = [
        _problem(
            origin,
            f"project.{key}",
            _MISSING,
            f"[project] 只能覆盖 {'、'.join(PROJECT_SECTIONS)}，不能写 {key}。",
            "rulebook_bad_value",
        )
        for key in project
        if key not in PROJECT_SECTIONS
    ]
    over = {k: v for k, v in project.items() if k in PROJECT_SECTIONS}
    reader = _Reader({**_merge(resolved, over), **own}, origin)
    book = _build(reader)
    found = reader.problems + _check(book, reader.problems, reader.data)
    for p in found:
        top = (p.column or "").split(".")[0].split("[")[0]
        weights = p.column == "execution.weight" and "indicators" in over
        if top in over or weights:
            problems.append(replace(p, column=f"project.{p.column}"))
    return (None if problems else book), problems


_MISSING: Any = object()
_REQUIRED: Any = object()


class _Reader:
    """Reads typed values out of a rulebook's tables, recording a problem for every key that is
    missing or of the wrong type instead of stopping at the first."""

    def __init__(self, data: dict[str, Any], origin: str):
        self.data, self.origin = data, origin
        self.problems: list[Problem] = []

    def problem(self, key: str | None, value: Any, message: str, code: str) -> None:
        self.problems.append(_problem(self.origin, key, value, message, code))

    def table(self, key: str, required: bool = True) -> dict[str, Any] | None:
        """The table [key]; {} when optional and missing; None (a problem) when it is required
        and missing or not a table — its keys are then not reported one by one."""
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.problem(key, _MISSING, f"缺少必填项 [{key}]。", "rulebook_missing_key")
                return None
            return {}
        if not isinstance(value, dict):
            self.problem(key, value, f"应为一个表 [{key}]。", "rulebook_bad_value")
            return None
        return value

    def tables(self, where: dict[str, Any] | None, prefix: str, name: str) -> list[dict[str, Any]]:
        """An array of tables ([[prefix.name]]); [] when missing."""
        key = f"{prefix}.{name}" if prefix else name
        value = (where or {}).get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(key, value, f"应为若干个 [[{key}]] 表。", "rulebook_bad_value")
            return []
        return value

    def get(
        self,
        where: dict[str, Any] | None,
        prefix: str,
        name: str,
        convert: Callable[[Any], Any],
        default: Any = _REQUIRED,
        choices: tuple[str, ...] = (),
    ) -> Any:
        """``where[name]`` converted; a problem when missing or not convertible, and then the
        ``default`` (so that the other checks still run) or None when it is required. A table
        that is itself missing (``where`` None) was reported already: its default or None."""
        key = f"{prefix}.{name}" if prefix else name
        if where is None:
            return None if default is _REQUIRED else default
        if name not in where:
            if default is _REQUIRED:
                self.problem(key, _MISSING, "缺少必填项。", "rulebook_missing_key")
                return None
            return default
        value = where[name]
        if choices:
            if value not in choices:
                expected = " 或 ".join(choices)
                self.problem(key, value, f"{key} 应为 {expected}。", "rulebook_bad_value")
                return None if default is _REQUIRED else default
            return value
        try:
            if isinstance(value, bool) and convert is not bool:
                raise TypeError
            if convert in (float, int) and not isinstance(value, int | float):
                raise TypeError
            return convert(value)
        except (TypeError, ValueError):
            what = {float: "数字", int: "整数", bool: "true 或 false", str: "文本"}.get(
                convert, "有效的值"
            )
            self.problem(key, value, f"应为{what}。", "rulebook_bad_value")
            return None if default is _REQUIRED else default


def _build(r: _Reader) -> Rulebook:
    """The Rulebook; a value missing or of the wrong type is a problem in ``r.problems`` and
    its default (or None) in the Rulebook, which is then only checked, never used."""
    d = r.data
    ex, ind = r.table("execution"), r.table("indicators")
    qual, fnd = r.table("qualitative"), r.table("findings")
    tot, dr = r.table("total", required=False), r.table("direction", required=False)
    method = r.get(ex, "execution", "method", str, "linear", ("linear", "steps"))
    steps = []
    for i, s in enumerate(r.tables(ex, "execution", "steps"), start=1):
        low = r.get(s, f"execution.steps[{i}]", "min", float)
        score = r.get(s, f"execution.steps[{i}]", "score", float)
        if low is not None and score is not None:
            steps.append(Step(low, score))
    if method == "steps" and not steps and "steps" not in (ex or {}):
        r.problem(
            "execution.steps",
            _MISSING,
            "execution.method = steps 需要 [[execution.steps]]。",
            "rulebook_missing_key",
        )
    reverse = r.get(ind, "indicators", "reverse", str, "ratio", ("ratio", "linear"))
    tiers = []
    if qual is not None and "tiers" not in qual:
        r.problem("qualitative.tiers", _MISSING, "缺少必填项。", "rulebook_missing_key")
    for i, t in enumerate(r.tables(qual, "qualitative", "tiers"), start=1):
        at = f"qualitative.tiers[{i}]"
        values = (
            r.get(t, at, "key", str),
            r.get(t, at, "label", str),
            r.get(t, at, "share", float),
            r.get(t, at, "min", float),
            r.get(t, at, "max", float),
        )
        phrases = r.get(t, at, "phrases", list, [])
        if None not in values and phrases is not None:
            tiers.append(Tier(*values, tuple(str(p) for p in phrases)))
    grades = []
    if "grades" not in d:
        r.problem("grades", _MISSING, "缺少必填项 [[grades]]。", "rulebook_missing_key")
    for i, g in enumerate(r.tables(d, "", "grades"), start=1):
        name, low = r.get(g, f"grades[{i}]", "name", str), r.get(g, f"grades[{i}]", "min", float)
        if name is not None and low is not None:
            grades.append(Grade(name, low))
    decimals = r.get(ind, "indicators", "decimals", int, 2)
    rounding = r.get(ind, "indicators", "rounding", str, "half_up")
    roundings = {
        "execution": (
            r.get(ex, "execution", "rounding", str, rounding),
            r.get(ex, "execution", "decimals", int, decimals),
        ),
        "total": (
            r.get(tot, "total", "rounding", str, rounding),
            r.get(tot, "total", "decimals", int, 2),
        ),
    }
    keywords = {
        name: r.get(dr, "direction", name, list, [])
        for name in ("cost_levels", "deadline_levels", "lower_better_names")
    }
    execution_names = r.get(ex, "execution", "indicator_names", list, [])
    fields = {
        "name": str(d.get("name", Path(r.origin).stem)),
        "title": str(d.get("title", d.get("name", ""))),
        "description": str(d.get("description", "")),
        "execution_weight": r.get(ex, "execution", "weight", float),
        "execution_method": method,
        "execution_steps": tuple(sorted(steps, key=lambda s: -s.min)),
        "indicator_total": r.get(ind, "indicators", "total", float),
        "reverse": reverse,
        "decimals": decimals,
        "same_as_target": r.get(qual, "qualitative", "same_as_target", str, None),
        "tiers": tuple(tiers),
        "grades": tuple(sorted(grades, key=lambda g: -g.min)),
        "low_execution": r.get(fnd, "findings", "low_execution", float),
        "over_target": r.get(fnd, "findings", "over_target", float),
        "score_mismatch": r.get(fnd, "findings", "score_mismatch", float),
        "time_progress_tolerance": r.get(fnd, "findings", "time_progress_tolerance", float),
        "time_progress_months": r.get(fnd, "findings", "time_progress_months", list, [3, 6, 9, 12]),
        "rescale": r.get(ind, "indicators", "rescale", bool, True),
        "unverifiable": r.get(ind, "indicators", "unverifiable", str, "reported"),
        "deadline_missed": r.get(ind, "indicators", "deadline_missed", str, "zero"),
        "deadline_per_month": r.get(ind, "indicators", "deadline_per_month", float, 0.25),
        "project_budget_tolerance": r.get(fnd, "findings", "project_budget_tolerance", float, 0.01),
        "overspend_tolerance": r.get(fnd, "findings", "overspend_tolerance", float, 0.0),
        "execution_indicator_names": tuple(str(k) for k in execution_names or ()),
    }
    try:
        months = tuple(int(m) for m in fields["time_progress_months"])
    except (TypeError, ValueError):
        r.problem(
            "findings.time_progress_months",
            fields["time_progress_months"],
            "应为 1 到 12 的月份列表，如 [3, 6, 9, 12]。",
            "rulebook_bad_value",
        )
        months = (3, 6, 9, 12)
    return Rulebook(
        **{**fields, "time_progress_months": months},
        indicator_rounding=Rounding(rounding, decimals),
        execution_rounding=Rounding(*roundings["execution"]),
        total_rounding=Rounding(*roundings["total"]),
        direction=Direction(
            cost_levels=tuple(str(k) for k in keywords["cost_levels"]),
            deadline_levels=tuple(str(k) for k in keywords["deadline_levels"]),
            lower_better_names=tuple(str(k) for k in keywords["lower_better_names"]),
            zero_means_equal=bool((dr or {}).get("zero_means_equal", True)),
        ),
        origin=r.origin,
        review=read_review(
            d.get("review", {}),
            lambda key, value, message: r.problem(key, value, message, "rulebook_bad_value"),
        ),
    )


def _check(book: Rulebook, problems: list[Problem], data: dict[str, Any]) -> list[Problem]:
    """Every contradiction between a rulebook's numbers (messages in Chinese), each naming the
    key it is about. ``book`` may hold None for values already reported in ``problems``."""
    found: list[Problem] = []

    def bad(key: str, value: Any, message: str, code: str = "rulebook_inconsistent") -> None:
        found.append(_problem(book.origin, key, value, message, code))

    weights = (book.execution_weight, book.indicator_total)
    if None not in weights and round(book.execution_weight + book.indicator_total, 9) != 100:
        bad(
            "execution.weight",
            book.execution_weight,
            f"execution.weight（{book.execution_weight:g}）与 indicators.total"
            f"（{book.indicator_total:g}）之和应为 100。",
        )
    for i, step in enumerate(book.execution_steps, start=1):
        if book.execution_weight is not None and not 0 <= step.score <= book.execution_weight:
            bad(
                f"execution.steps[{i}].score",
                step.score,
                f"execution.steps 的 score {step.score:g} 应在 0 与 execution.weight 之间。",
            )
    if not book.tiers and not any(p.column == "qualitative" for p in problems):
        bad("qualitative.tiers", _MISSING, "至少需要一个 [[qualitative.tiers]]。")
    keys = [t.key for t in book.tiers]
    if len(set(keys)) != len(keys):
        bad("qualitative.tiers", "、".join(keys), f"qualitative.tiers 的 key 重复：{keys}。")
    for i, tier in enumerate(book.tiers, start=1):
        if not 0 <= tier.min <= tier.share <= tier.max <= 1:
            bad(
                f"qualitative.tiers[{i}]",
                tier.key,
                f"定性档次 {tier.key} 应满足 0 ≤ min ≤ share ≤ max ≤ 1"
                f"（现为 min={tier.min:g}，share={tier.share:g}，max={tier.max:g}）。",
            )
    for phrase, first, other in book.phrase_conflicts:
        index = keys.index(other) + 1
        bad(
            f"qualitative.tiers[{index}].phrases",
            phrase,
            f"短语“{phrase}”同时属于定性档次 {first} 和 {other}。",
        )
    if book.same_as_target is not None and book.same_as_target not in keys:
        bad(
            "qualitative.same_as_target",
            book.same_as_target,
            f"qualitative.same_as_target（{book.same_as_target}）不是任何档次的 key。",
        )
    if (book.grades and book.grades[-1].min > 0) or (not book.grades and "grades" in data):
        bad("grades", _MISSING, "[[grades]] 中最低一档的 min 应为 0，使任何总分都有等级。")
    for key, r in (
        ("indicators", book.indicator_rounding),
        ("execution", book.execution_rounding),
        ("total", book.total_rounding),
    ):
        if r.method not in ("half_up", "truncate"):
            bad(
                f"{key}.rounding",
                r.method,
                f"{key}.rounding 应为 half_up 或 truncate，而不是 {r.method!r}。",
                "rulebook_bad_value",
            )
        if not 0 <= r.decimals <= 6:
            bad(
                f"{key}.decimals",
                r.decimals,
                f"{key}.decimals 应在 0 与 6 之间，而不是 {r.decimals}。",
                "rulebook_bad_value",
            )
    if book.unverifiable not in ("reported", "zero"):
        bad(
            "indicators.unverifiable",
            book.unverifiable,
            f"indicators.unverifiable 应为 reported 或 zero，而不是 {book.unverifiable!r}。",
            "rulebook_bad_value",
        )
    if book.deadline_missed not in ("zero", "per_month"):
        bad(
            "indicators.deadline_missed",
            book.deadline_missed,
            f"indicators.deadline_missed 应为 zero 或 per_month，而不是 {book.deadline_missed!r}。",
            "rulebook_bad_value",
        )
    if not 0 < book.deadline_per_month <= 1:
        bad(
            "indicators.deadline_per_month",
            book.deadline_per_month,
            "indicators.deadline_per_month 应在 0 与 1 之间（每逾期一个月扣减的分值比例）。",
            "rulebook_bad_value",
        )
    if book.project_budget_tolerance is not None and book.project_budget_tolerance < 0:
        bad(
            "findings.project_budget_tolerance",
            book.project_budget_tolerance,
            "findings.project_budget_tolerance 应为不小于 0 的金额（万元）。",
            "rulebook_bad_value",
        )
    if book.overspend_tolerance is not None and book.overspend_tolerance < 0:
        bad(
            "findings.overspend_tolerance",
            book.overspend_tolerance,
            "findings.overspend_tolerance 应为不小于 0 的金额（万元）。",
            "rulebook_bad_value",
        )
    for i, month in enumerate(book.time_progress_months, start=1):
        if not 1 <= month <= 12:
            bad(
                f"findings.time_progress_months[{i}]",
                month,
                "应为 1 到 12 之间的月份。",
                "rulebook_bad_value",
            )
    return found
