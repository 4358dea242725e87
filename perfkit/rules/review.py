"""The ``[review]`` section of a rulebook: the bureau's quality checks as data (issue 17,
docs/review.md, docs/rulebooks.md).

Each check is a table ``[review.checks.<code>]`` with ``enabled``, ``severity`` (``high``,
``medium``, ``low``), an optional risk ``weight`` (default: ``[review.risk]``'s weight of its
severity), ``source`` (the rule or practice it comes from) and its thresholds, named as the
check's function in :mod:`perfkit.review.checks` reads them. The default preset's section
(``mof2020.toml``) declares every check and every threshold with its type; a rulebook changes
what differs (a file that does not ``extends`` a preset gets those defaults too). An unknown
check, an unknown key or a value of another type than the default's is a rulebook problem.

Review settings never change a score: :class:`Rulebook` leaves them out of its equality, so
that reports scored with a rulebook are not rendered again when only ``[review]`` changes.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np

Severity = Literal["high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")
#: each severity as a reader names it
SEVERITY_LABELS: dict[str, str] = {"high": "高", "medium": "中", "low": "低"}
#: the keys every check has; the others are its thresholds
COMMON_KEYS = ("enabled", "severity", "weight", "source")


@dataclass(frozen=True)
class ReviewCheck:
    """One check of ``[review.checks.<code>]``: whether it runs, how grave a hit is, how many
    risk points it adds, where the rule comes from, and its thresholds (``params``)."""

    code: str
    enabled: bool
    severity: Severity
    weight: float
    source: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


@dataclass(frozen=True)
class DeviationClasses:
    """``[review.deviation]``: the thresholds of a re-checked indicator's class as shares of its
    分值 (perfkit's own defaults 0.2 and 0.5: no published source, domain.md §9). |difference| = 0:
    完全一致; ≤ ``general``: 一般偏差; ≤ ``obvious``: 明显偏差; above: 显著偏差
    (:meth:`classify`; used by :mod:`perfkit.review.deviation`)."""

    general: float = 0.2
    obvious: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.general <= self.obvious:
            raise ValueError("DeviationClasses: 0 ≤ general ≤ obvious")

    def classify(self, difference: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """The class key of each difference against its indicator's 分值: ``consistent``,
        ``general``, ``obvious`` or ``significant`` (a 分值 of 0 with a difference: significant)."""
        d = np.round(np.abs(np.asarray(difference, float)), 9)
        w = np.asarray(weight, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(w > 0, d / w, np.inf)
        return np.select(
            [d == 0, share <= self.general + 1e-9, share <= self.obvious + 1e-9],
            ["consistent", "general", "obvious"],
            default="significant",
        ).astype(object)


@dataclass(frozen=True)
class ReviewRules:
    """The ``[review]`` section: the checks, the risk weight of each severity, and the risk at
    or above which a table is always drawn into the sample (``[review.sample] must_risk``), and
    the classes of a re-checked indicator's deviation (``[review.deviation]``)."""

    checks: tuple[ReviewCheck, ...] = ()
    risk: Mapping[str, float] = field(default_factory=dict)
    must_risk: float = 0.0
    deviation: DeviationClasses = field(default_factory=DeviationClasses)

    def check(self, code: str) -> ReviewCheck:
        for c in self.checks:
            if c.code == code:
                return c
        raise KeyError(code)

    @property
    def enabled(self) -> tuple[ReviewCheck, ...]:
        return tuple(c for c in self.checks if c.enabled)


@lru_cache(maxsize=1)
def default_section() -> dict[str, Any]:
    """The default preset's ``[review]`` table: every check, key and type a rulebook may use."""
    text = resources.files("perfkit.rules.rulebooks").joinpath("mof2020.toml").read_text("utf-8")
    return tomllib.loads(text).get("review", {})


Problem = Callable[[str, Any, str], None]


def _same_type(default: Any, value: Any) -> bool:
    """Whether ``value`` may stand where the default preset has ``default``: numbers for
    numbers (never a boolean), lists of the default's element type, else the same type."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    if isinstance(default, list):
        if not isinstance(value, list):
            return False
        kinds = {type(v) for v in default} or {type(v) for v in value}
        return all(any(_same_type(k(), v) for k in kinds) for v in value)
    return isinstance(value, type(default))


def _merged(default: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    out = dict(default)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def read_review(section: Any, problem: Problem) -> ReviewRules:
    """The rulebook's ``[review]`` (``section``: the table as read, ``{}`` when absent) over the
    default preset's, every problem reported through ``problem(key, value, message)``."""
    default = default_section()
    if not isinstance(section, dict):
        problem("review", section, "应为一个表 [review]。")
        section = {}
    for key in section:
        if key not in default:
            problem(f"review.{key}", section[key], f"[review] 中没有 {key} 这一项。")
    given_checks = section.get("checks", {})
    if not isinstance(given_checks, dict):
        problem("review.checks", given_checks, "应为若干个 [review.checks.<代码>] 表。")
        given_checks = {}
    for code in given_checks:
        if code not in default["checks"]:
            known = "、".join(default["checks"])
            problem(f"review.checks.{code}", code, f"没有这项审核：{code}；可用的审核：{known}。")
    data = _merged(default, {k: v for k, v in section.items() if k in default})
    for name in ("risk", "sample", "deviation"):
        _check_keys(f"review.{name}", default[name], data.get(name), problem)
    risk = {s: _number(data["risk"].get(s), default["risk"][s]) for s in SEVERITIES}
    checks = []
    for code, base in default["checks"].items():
        given = given_checks.get(code, {}) if isinstance(given_checks, dict) else {}
        if not isinstance(given, dict):
            problem(f"review.checks.{code}", given, f"应为一个表 [review.checks.{code}]。")
            given = {}
        merged = {"enabled": True, **base, **given}
        _check_keys(
            f"review.checks.{code}", {"enabled": True, "weight": 0.0, **base}, given, problem
        )
        severity = merged["severity"]
        if severity not in SEVERITIES:
            problem(f"review.checks.{code}.severity", severity, "应为 high、medium 或 low。")
            severity = base["severity"]
        weight = merged.get("weight", risk.get(severity, 0.0))
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
            problem(f"review.checks.{code}.weight", weight, "应为不小于 0 的数字（风险分）。")
            weight = risk.get(severity, 0.0)
        checks.append(
            ReviewCheck(
                code=code,
                enabled=merged["enabled"] is True,
                severity=severity,
                weight=float(weight),
                source=str(merged["source"]),
                params={k: v for k, v in merged.items() if k not in COMMON_KEYS},
            )
        )
    cap = next(c for c in checks if c.code == "execution_cap")
    if len(cap["below"]) != len(cap["max_total"]):
        message = "below 与 max_total 应一一对应（个数相同）。"
        problem("review.checks.execution_cap.max_total", cap["max_total"], message)
    for severity, points in risk.items():
        if points < 0:
            problem(f"review.risk.{severity}", points, "应为不小于 0 的数字（风险分）。")
    must = _number(data["sample"].get("must_risk"), default["sample"]["must_risk"])
    return ReviewRules(
        checks=tuple(checks), risk=risk, must_risk=must, deviation=_deviation(data, problem)
    )


def _deviation(data: dict[str, Any], problem: Problem) -> DeviationClasses:
    """``[review.deviation]``: two shares of the 分值 with 0 ≤ general ≤ obvious (each number that
    breaks it is a problem; the defaults stand in for what is wrong)."""
    default = default_section()["deviation"]
    given = data.get("deviation") if isinstance(data.get("deviation"), dict) else {}
    shares = {k: _number(given.get(k), default[k]) for k in ("general", "obvious")}
    for key, share in shares.items():
        if not math.isfinite(share) or share < 0:
            message = "应为不小于 0 的数字（占分值的比例，如 0.2）。"
            problem(f"review.deviation.{key}", share, message)
            shares[key] = float(default[key])
    if shares["general"] > shares["obvious"]:
        problem(
            "review.deviation.obvious",
            shares["obvious"],
            f"明显偏差的界限应不小于一般偏差的界限（general = {shares['general']:g}）。",
        )
        shares = {k: float(default[k]) for k in shares}
    return DeviationClasses(**shares)


def _number(value: Any, default: float) -> float:
    """``value`` as a float, or ``default`` when it is not a number (reported already)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else float(default)


def _check_keys(where: str, default: dict[str, Any], given: Any, problem: Problem) -> None:
    """Every key of ``given`` known to ``default`` and of its type (a problem for each other)."""
    if not isinstance(given, dict):
        problem(where, given, f"应为一个表 [{where}]。")
        return
    for key, value in given.items():
        if key not in default:
            problem(f"{where}.{key}", value, f"[{where}] 中没有 {key} 这一项。")
        elif not _same_type(default[key], value):
            problem(f"{where}.{key}", value, f"应与默认值 {default[key]!r} 同一类型。")
