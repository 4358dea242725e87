"""Rulebooks: the scoring rules as data (TOML), with presets for the provincial variants.

A rulebook is named by a preset (``mof2020``, ``hubei`` …, files in ``perfkit/rules/rulebooks/``) or
given as the path of a user's own TOML file. A user's file may ``extends = "mof2020"`` and
override only what differs. See docs/rulebooks.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from perfkit.core.formatting import round_half_up
from perfkit.core.problems import UsageError
from perfkit.rules.qualitative import normalise

PRESET_PACKAGE = "perfkit.rules.rulebooks"
#: how far a unit's indicator weights may be from the rulebook's total before they count as off
WEIGHT_TOLERANCE = 0.005
DEFAULT = "mof2020"


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

    def apply(self, x: float | np.ndarray | pd.Series) -> np.ndarray:
        """``x`` rounded by this rule. Truncation first rounds the scaled value to 6 decimals, so
        that 0.29 (stored as 0.28999…) truncated to 2 decimals stays 0.29."""
        if self.method == "half_up":
            return round_half_up(x, self.decimals)
        factor = 10.0**self.decimals
        scaled = np.round(np.asarray(x, dtype=float) * factor, 6)
        return np.trunc(scaled) / factor + 0.0  # + 0.0: no "-0"

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
    #: where it came from: "preset:mof2020" or a file path
    origin: str = ""

    def tier(self, key: str) -> Tier:
        for t in self.tiers:
            if t.key == key:
                return t
        raise KeyError(key)


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
        raise UsageError(
            f"未知的评分规则“{name}”；可用的预设：{'、'.join(presets())}，或给出 TOML 文件路径。"
        )
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve(data: dict[str, Any], seen: tuple[str, ...] = ()) -> dict[str, Any]:
    parent = data.get("extends")
    if not parent:
        return data
    if parent in seen:
        raise UsageError(f"评分规则的 extends 形成循环：{' → '.join((*seen, parent))}")
    base = _resolve(_read_preset(parent), (*seen, parent))
    merged = _merge(base, {k: v for k, v in data.items() if k != "extends"})
    return merged


def load_rulebook(spec: str | Path | None = None) -> Rulebook:
    """Load a preset by name or a user's TOML file by path (default: ``mof2020``)."""
    spec = DEFAULT if spec is None else spec
    path = Path(spec)
    if path.suffix.lower() == ".toml" or path.exists():
        if not path.is_file():
            raise UsageError(f"找不到评分规则文件：{path}")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise UsageError(f"评分规则文件 {path} 无法读取：{err}") from None
        origin, default_name = str(path), path.stem
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
    try:
        return _build({**_resolve(data), **own}, origin)
    except KeyError as err:
        raise UsageError(f"评分规则 {origin} 缺少必填项 {err}。") from None
    except (TypeError, ValueError) as err:
        raise UsageError(f"评分规则 {origin} 有误：{err}") from None


def _build(d: dict[str, Any], origin: str) -> Rulebook:
    ex, ind, qual, fnd = d["execution"], d["indicators"], d["qualitative"], d["findings"]
    method = ex.get("method", "linear")
    if method not in ("linear", "steps"):
        raise ValueError(f"execution.method 应为 linear 或 steps，而不是 {method!r}。")
    steps = tuple(
        sorted(
            (Step(float(s["min"]), float(s["score"])) for s in ex.get("steps", [])),
            key=lambda s: -s.min,
        )
    )
    if method == "steps" and not steps:
        raise ValueError("execution.method = steps 需要 [[execution.steps]]。")
    reverse = ind.get("reverse", "ratio")
    if reverse not in ("ratio", "linear"):
        raise ValueError(f"indicators.reverse 应为 ratio 或 linear，而不是 {reverse!r}。")
    tiers = tuple(
        Tier(
            str(t["key"]),
            str(t["label"]),
            float(t["share"]),
            float(t["min"]),
            float(t["max"]),
            tuple(str(p) for p in t.get("phrases", [])),
        )
        for t in qual["tiers"]
    )
    grades = tuple(
        sorted((Grade(str(g["name"]), float(g["min"])) for g in d["grades"]), key=lambda g: -g.min)
    )
    decimals = int(ind.get("decimals", 2))
    rounding = str(ind.get("rounding", "half_up"))
    indicator_rounding = Rounding(rounding, decimals)  # type: ignore[arg-type]
    execution_rounding = Rounding(
        str(ex.get("rounding", rounding)),  # type: ignore[arg-type]
        int(ex.get("decimals", decimals)),
    )
    tot = d.get("total", {})
    total_rounding = Rounding(
        str(tot.get("rounding", rounding)),  # type: ignore[arg-type]
        int(tot.get("decimals", 2)),
    )
    dr = d.get("direction", {})
    direction = Direction(
        cost_levels=tuple(str(k) for k in dr.get("cost_levels", [])),
        deadline_levels=tuple(str(k) for k in dr.get("deadline_levels", [])),
        lower_better_names=tuple(str(k) for k in dr.get("lower_better_names", [])),
        zero_means_equal=bool(dr.get("zero_means_equal", True)),
    )
    book = Rulebook(
        name=str(d.get("name", Path(origin).stem)),
        title=str(d.get("title", d.get("name", ""))),
        description=str(d.get("description", "")),
        execution_weight=float(ex["weight"]),
        execution_method=method,
        execution_steps=steps,
        indicator_total=float(ind["total"]),
        reverse=reverse,
        decimals=decimals,
        same_as_target=qual.get("same_as_target"),
        tiers=tiers,
        grades=grades,
        low_execution=float(fnd["low_execution"]),
        over_target=float(fnd["over_target"]),
        score_mismatch=float(fnd["score_mismatch"]),
        time_progress_tolerance=float(fnd["time_progress_tolerance"]),
        time_progress_months=tuple(int(m) for m in fnd.get("time_progress_months", [3, 6, 9, 12])),
        indicator_rounding=indicator_rounding,
        execution_rounding=execution_rounding,
        total_rounding=total_rounding,
        rescale=bool(ind.get("rescale", True)),
        unverifiable=str(ind.get("unverifiable", "reported")),  # type: ignore[arg-type]
        deadline_missed=str(ind.get("deadline_missed", "zero")),  # type: ignore[arg-type]
        deadline_per_month=float(ind.get("deadline_per_month", 0.25)),
        direction=direction,
        origin=origin,
    )
    _check(book)
    return book


def _check(book: Rulebook) -> None:
    """Reject rulebooks whose numbers contradict each other (messages in Chinese)."""
    if round(book.execution_weight + book.indicator_total, 9) != 100:
        raise ValueError(
            f"execution.weight（{book.execution_weight:g}）与 indicators.total"
            f"（{book.indicator_total:g}）之和应为 100。"
        )
    for step in book.execution_steps:
        if not 0 <= step.score <= book.execution_weight:
            raise ValueError(
                f"execution.steps 的 score {step.score:g} 应在 0 与 execution.weight 之间。"
            )
    if not book.tiers:
        raise ValueError("至少需要一个 [[qualitative.tiers]]。")
    keys = [t.key for t in book.tiers]
    if len(set(keys)) != len(keys):
        raise ValueError(f"qualitative.tiers 的 key 重复：{keys}。")
    seen: dict[str, str] = {}
    for tier in book.tiers:
        if not 0 <= tier.min <= tier.share <= tier.max <= 1:
            raise ValueError(
                f"定性档次 {tier.key} 应满足 0 ≤ min ≤ share ≤ max ≤ 1"
                f"（现为 min={tier.min:g}，share={tier.share:g}，max={tier.max:g}）。"
            )
        for phrase in map(normalise, (tier.label, *tier.phrases)):
            if seen.setdefault(phrase, tier.key) != tier.key:
                raise ValueError(f"短语“{phrase}”同时属于定性档次 {seen[phrase]} 和 {tier.key}。")
    if book.same_as_target is not None and book.same_as_target not in keys:
        raise ValueError(f"qualitative.same_as_target（{book.same_as_target}）不是任何档次的 key。")
    if not book.grades or book.grades[-1].min > 0:
        raise ValueError("[[grades]] 中最低一档的 min 应为 0，使任何总分都有等级。")
    for key, r in (
        ("indicators", book.indicator_rounding),
        ("execution", book.execution_rounding),
        ("total", book.total_rounding),
    ):
        if r.method not in ("half_up", "truncate"):
            raise ValueError(f"{key}.rounding 应为 half_up 或 truncate，而不是 {r.method!r}。")
        if not 0 <= r.decimals <= 6:
            raise ValueError(f"{key}.decimals 应在 0 与 6 之间，而不是 {r.decimals}。")
    if book.unverifiable not in ("reported", "zero"):
        raise ValueError(
            f"indicators.unverifiable 应为 reported 或 zero，而不是 {book.unverifiable!r}。"
        )
    if book.deadline_missed not in ("zero", "per_month"):
        raise ValueError(
            f"indicators.deadline_missed 应为 zero 或 per_month，而不是 {book.deadline_missed!r}。"
        )
    if not 0 < book.deadline_per_month <= 1:
        raise ValueError(
            "indicators.deadline_per_month 应在 0 与 1 之间（每逾期一个月扣减的分值比例）。"
        )
