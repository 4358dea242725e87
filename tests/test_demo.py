"""The synthetic dataset generator (perfkit demo-data): deterministic, in the contract, valid."""

from __future__ import annotations

import csv
import re
import tomllib
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from perfkit.api import load
from perfkit.core.problems import UsageError
from perfkit.data.contract import TABLES, UNIT_CODE_PATTERN
from perfkit.data.demo import write_demo
from perfkit.scoring.scores import score_dataset

#: projects.csv only with --projects-per-unit; demo data has no reviews (复核)
FILES = [t.filename for t in TABLES if t.name not in ("projects", "reviews")] + ["dataset.toml"]


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    # no field needs quoting: every row has exactly as many fields as the header
    assert all(len(row) == len(header) for row in body), name
    return [dict(zip(header, row, strict=True)) for row in body]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo(out, units=7, seed=3, indicators_per_unit=12, year=2023)
    return out


def test_same_seed_gives_byte_identical_files(tmp_path):
    write_demo(tmp_path / "a", units=30, seed=11)
    write_demo(tmp_path / "b", units=30, seed=11)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_different_seeds_differ(tmp_path):
    write_demo(tmp_path / "a", units=30, seed=1)
    write_demo(tmp_path / "b", units=30, seed=2)
    for name in ("budget.csv", "indicators.csv", "monthly.csv"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_headers_are_the_contracts_chinese_names(demo):
    for table in TABLES:
        if table.name in ("projects", "reviews"):
            continue
        first = (demo / table.filename).read_bytes().split(b"\n", 1)[0].decode("utf-8")
        assert first == ",".join(c.zh for c in table.columns if c.zh in first.split(","))
        assert all(c.zh in first.split(",") for c in table.columns if c.required)


def test_row_counts(demo):
    # 7 units; 5 budget items each; 12 indicators each; 12 months per budget item
    units = read_csv(demo, "units.csv")
    assert len(units) == 7
    assert len(read_csv(demo, "budget.csv")) == 7 * 5
    assert len(read_csv(demo, "indicators.csv")) == 7 * 12
    assert len(read_csv(demo, "monthly.csv")) == 7 * 5 * 12
    goals = Counter(r["单位编码"] for r in read_csv(demo, "goals.csv"))
    assert set(goals) == {u["单位编码"] for u in units}
    assert all(2 <= n <= 4 for n in goals.values())
    assert all(re.fullmatch(UNIT_CODE_PATTERN, u["单位编码"]) for u in units)
    years = {r["年度"] for name in ("budget.csv", "indicators.csv", "goals.csv", "monthly.csv")
             for r in read_csv(demo, name)}  # fmt: skip
    assert years == {"2023"}


def test_dataset_toml_says_fictional(demo):
    meta = tomllib.loads((demo / "dataset.toml").read_text(encoding="utf-8"))
    assert meta["fictional"] is True
    assert "虚构" in meta["name"]


@pytest.mark.parametrize("per_unit", [3, 4, 9, 12, 30, 90])
def test_weights_are_whole_numbers_adding_up_to_90(tmp_path, per_unit):
    write_demo(tmp_path, units=25, seed=per_unit, indicators_per_unit=per_unit)
    rows = read_csv(tmp_path, "indicators.csv")
    totals: dict[str, int] = defaultdict(int)
    blocks: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        weight = int(row["分值"])
        assert weight >= 1
        totals[row["单位编码"]] += weight
        blocks[row["单位编码"], row["一级指标"]] += weight
    assert len(totals) == 25
    assert set(totals.values()) == {90}
    # the standard split: 产出指标 50, 效益指标 30, 满意度指标 10
    assert {(level1, points) for (_, level1), points in blocks.items()} == {
        ("产出指标", 50),
        ("效益指标", 30),
        ("满意度指标", 10),
    }
    names = Counter((row["单位编码"], row["三级指标"]) for row in rows)
    assert max(names.values()) == 1  # 三级指标 unique per unit


def test_monthly_rows_add_up_to_the_years_execution(demo):
    budget = read_csv(demo, "budget.csv")
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in read_csv(demo, "monthly.csv"):
        sums[row["单位编码"], row["项目"]] += Decimal(row["当月执行数"])
        assert Decimal(row["当月执行数"]) >= 0
    for row in budget:
        adjusted, executed = Decimal(row["全年预算数"]), Decimal(row["全年执行数"])
        assert adjusted > 0 and 0 <= executed <= adjusted
        assert sums[row["单位编码"], row["项目"]] == executed
        if row["资金来源"] == "上年结转":
            assert row["年初预算数"] == "0.00"


def test_every_notation_form_occurs(tmp_path):
    write_demo(tmp_path, units=200, seed=5)
    rows = read_csv(tmp_path, "indicators.csv")
    targets = "\n".join(r["年度指标值"] for r in rows)
    actuals = "\n".join(r["实际完成值"] for r in rows)
    for form in ("≥", "≧", ">=", "不低于", "不少于", "以上", "≤", "≦", "<=", "不超过", "不高于",
                 "以内", "=0", "=100", "％"):  # fmt: skip
        assert form in targets, form
    for form in ("余", "多", "约", "左右", "％", "部分达成年度指标并具有一定效果", "未完成"):
        assert form in actuals, form
    assert any(re.fullmatch(r"\d+(件|次|人次|个|期|台|%)", r["年度指标值"]) for r in rows)  # bare
    assert any(r["偏差原因分析及改进措施"] for r in rows)
    assert Counter(r["资金来源"] for r in read_csv(tmp_path, "budget.csv")).keys() == {
        "财政拨款",
        "上年结转",
        "其他资金",
    }


@pytest.mark.parametrize(("units", "per_unit"), [(0, 30), (-1, 30), (5, 2), (5, 91)], ids=str)
def test_impossible_sizes_are_usage_errors(tmp_path, units, per_unit):
    with pytest.raises(UsageError):
        write_demo(tmp_path, units=units, indicators_per_unit=per_unit)


def test_perfkit_loads_and_scores_a_50_unit_demo_without_problems(tmp_path):
    write_demo(tmp_path, units=50, seed=0)
    ds = load(tmp_path)  # raises InvalidInput listing any problem
    assert ds.fictional
    assert len(ds.units) == 50 and len(ds.indicators) == 50 * 30 and len(ds.monthly) == 50 * 60
    scores = score_dataset(ds)
    assert len(scores.units) == 50
    assert (scores.units["indicator_weight"] == 90).all()
    # every qualitative result fits a tier; every score lies between 0 and its weight
    qualitative = scores.indicators["rule"].str.startswith("qualitative")
    assert (scores.indicators.loc[qualitative, "tier"] != "").all()
    assert scores.indicators["score"].between(0, scores.indicators["weight"]).all()
    assert scores.units["total"].between(0, 100).all()
    assert len(set(scores.units["grade"])) >= 2
