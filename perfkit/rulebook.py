"""Rulebooks: the scoring rules as data (TOML), with presets for the provincial variants.

A rulebook is named by a preset (``mof2020``, ``hubei`` …, files in ``perfkit/rulebooks/``) or
given as the path of a user's own TOML file. A user's file may ``extends = "mof2020"`` and
override only what differs. See docs/rulebooks.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from perfkit.problems import UsageError

PRESET_PACKAGE = "perfkit.rulebooks"
DEFAULT = "mof2020"


@dataclass(frozen=True)
class Step:
    """Stepped execution score: a rate at or above ``min`` earns ``score`` (Jiangxi)."""

    min: float
    score: float


@dataclass(frozen=True)
class Tier:
    """A qualitative tier: phrases that name it, its default share and the MoF range of the weight."""

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
        raise UsageError(f"未知的评分规则“{name}”；可用的预设：{'、'.join(presets())}，或给出 TOML 文件路径。")
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
        origin = str(path)
    else:
        data = _read_preset(str(spec))
        origin = f"preset:{spec}"
    try:
        return _build(_resolve(data), origin)
    except (KeyError, TypeError, ValueError) as err:
        raise UsageError(f"评分规则 {origin} 不完整或有误：{err!r}") from None


def _build(d: dict[str, Any], origin: str) -> Rulebook:
    ex, ind, qual, fnd = d["execution"], d["indicators"], d["qualitative"], d["findings"]
    method = ex.get("method", "linear")
    if method not in ("linear", "steps"):
        raise ValueError(f"execution.method must be linear or steps, not {method!r}")
    steps = tuple(
        sorted((Step(float(s["min"]), float(s["score"])) for s in ex.get("steps", [])),
               key=lambda s: -s.min)
    )
    if method == "steps" and not steps:
        raise ValueError("execution.method = steps needs [[execution.steps]]")
    reverse = ind.get("reverse", "ratio")
    if reverse not in ("ratio", "linear"):
        raise ValueError(f"indicators.reverse must be ratio or linear, not {reverse!r}")
    tiers = tuple(
        Tier(t["key"], t["label"], float(t["share"]), float(t["min"]), float(t["max"]),
             tuple(t.get("phrases", [])))
        for t in qual["tiers"]
    )
    grades = tuple(sorted((Grade(g["name"], float(g["min"])) for g in d["grades"]),
                          key=lambda g: -g.min))
    return Rulebook(
        name=str(d.get("name", Path(origin).stem)),
        title=str(d.get("title", d.get("name", ""))),
        description=str(d.get("description", "")),
        execution_weight=float(ex["weight"]),
        execution_method=method,
        execution_steps=steps,
        indicator_total=float(ind["total"]),
        reverse=reverse,
        decimals=int(ind.get("decimals", 2)),
        same_as_target=qual.get("same_as_target"),
        tiers=tiers,
        grades=grades,
        low_execution=float(fnd["low_execution"]),
        over_target=float(fnd["over_target"]),
        score_mismatch=float(fnd["score_mismatch"]),
        time_progress_tolerance=float(fnd["time_progress_tolerance"]),
        time_progress_months=tuple(int(m) for m in fnd.get("time_progress_months", [3, 6, 9, 12])),
        origin=origin,
    )
