"""Choosing what to score: the rules as given, and the years and unit codes checked against the
data, so that a typo names what is valid instead of giving a quietly empty result."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from perfkit.core.problems import UsageError
from perfkit.data.dataset import Dataset
from perfkit.rules.rulebook import Rulebook, load_rulebook

#: how rules are given: a rulebook, a preset name, a TOML file, or None (the default preset)
Rules = Rulebook | str | Path | None
#: at most this many valid codes are listed in a message
LISTED = 20


def rulebook(rules: Rules) -> Rulebook:
    """The rulebook ``rules`` names (a :class:`Rulebook` as it is)."""
    return rules if isinstance(rules, Rulebook) else load_rulebook(rules)


def listed(values: list[str]) -> str:
    """At most :data:`LISTED` values joined with 、, then how many there are in all."""
    shown = "、".join(values[:LISTED])
    return shown + (f" 等 {len(values)} 个" if len(values) > LISTED else "")


def valid_codes(ds: Dataset) -> str:
    """The dataset's unit codes, as a message lists them."""
    return listed(ds.units["unit_code"].astype(str).tolist())


def valid_years(ds: Dataset) -> str:
    """The dataset's years, as a message lists them ("无" when it has none)."""
    return "、".join(str(y) for y in ds.years) or "无"


def check_selection(
    ds: Dataset, year: int | Iterable[int] | None = None, unit: str | Iterable[str] | None = None
) -> None:
    """Raise :class:`UsageError` naming what is valid when a year or a unit code is not in ``ds``
    (so that a typo never gives a quietly empty result)."""
    years = [year] if isinstance(year, int | str) else list(year or [])
    missing_years = [y for y in years if int(y) not in ds.years]
    if missing_years:
        raise UsageError(
            f"数据中没有 {'、'.join(map(str, missing_years))} 年度；可选年度：{valid_years(ds)}。"
        )
    units = [unit] if isinstance(unit, str) else list(unit or [])
    known = set(ds.units["unit_code"].astype(str))
    unknown = [u for u in units if str(u) not in known]
    if unknown:
        raise UsageError(
            f"数据中没有单位编码“{'、'.join(map(str, unknown))}”；可选单位编码：{valid_codes(ds)}。"
        )
