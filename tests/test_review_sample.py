"""The sample to re-check (issue 17 §2, docs/review.md): quotas per 主管部门 worked out by hand,
high risks always drawn, the draw reproducible by seed, includes and excludes, the file written
(xlsx read by openpyxl, CSV) and read back, a file perfkit did not write refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from perfkit.cli import cli
from perfkit.core.problems import UsageError
from perfkit.review.sample import (
    COLUMNS,
    MANUAL,
    MUST,
    RANDOM,
    draw,
    parse_rate,
    read_sample,
    write_sample,
)
from perfkit.review.screening import review
from perfkit.rules.rulebook import load_rulebook
from tests.factories import budget_row, indicator_row, make_dataset


def unit(code: str, department: str, funds: float = 100.0) -> dict:
    return {"unit_code": code, "unit_name": f"单位{code}", "department": department}


def clean_table(code: str, funds: float = 100.0) -> tuple[dict, list[dict]]:
    """A table no check hits: all spent, every indicator met exactly, nothing reported."""
    rows = [indicator_row(code, f"指标{i}", f"≥{i}件", f"{i}件", 30) for i in (1, 2, 3)]
    return budget_row(code, adjusted=funds, executed=funds), rows


def dataset(departments: dict[str, list[str]], risky: tuple[str, ...] = (), funds=None):
    """Units in their 主管部门; a ``risky`` unit hits payment_as_quantity (high, 10) and
    cost_with_ge (medium, 5): risk 15, the default must_risk."""
    units, budgets, indicators = [], [], []
    for department, codes in departments.items():
        for code in codes:
            units.append(unit(code, department))
            budget, rows = clean_table(code, (funds or {}).get(code, 100.0))
            if code in risky:
                rows[0] = indicator_row(code, "资金支付率", "≥95%", "100%", 30)
                rows[1] = indicator_row(code, "人均成本", "≥50元", "60元", 30, level1="成本指标",
                                        level2="经济成本指标")  # fmt: skip
            budgets.append(budget)
            indicators.extend(rows)
    return make_dataset(units=units, budget=budgets, indicators=indicators)


@pytest.fixture(scope="module")
def five_and_two():
    """主管部门 甲 with five units (A1 risky), 乙 with two."""
    ds = dataset({"甲": ["A1", "A2", "A3", "A4", "A5"], "乙": ["B1", "B2"]}, risky=("A1",))
    return review(ds, 2022)


def test_the_risky_unit_is_risky(five_and_two):
    t = five_and_two.tables.set_index("unit_code")
    assert t.loc["A1", "risk"] == 15 and t.loc["A2", "risk"] == 0


def test_quota_is_the_rate_rounded_up_and_high_risk_always_drawn(five_and_two):
    # 甲: 20% of 5 = 1: A1 (risk 15 ≥ 15) fills it; 乙: 20% of 2 = 0.4 → 1, drawn at random
    s = draw(five_and_two, rate=0.2, seed=1)
    a = s[s["department"] == "甲"]
    assert a[["unit_code", "how"]].values.tolist() == [["A1", MUST]]
    assert len(s) == 2
    assert sorted(s["department"]) == ["乙", "甲"]
    b = s[s["department"] == "乙"]
    assert len(b) == 1 and b["how"].item() == RANDOM
    # 50%: 甲 ceil(2.5) = 3 (A1 + 2 at random), 乙 ceil(1) = 1
    s = draw(five_and_two, rate=0.5, seed=1)
    assert (s["department"] == "甲").sum() == 3 and (s["department"] == "乙").sum() == 1
    assert (s["how"] == MUST).sum() == 1


def test_per_department_is_a_fixed_quota_at_most_the_stratum(five_and_two):
    s = draw(five_and_two, per_department=3, seed=0)
    assert (s["department"] == "甲").sum() == 3 and (s["department"] == "乙").sum() == 2


def test_same_seed_same_sample_other_seeds_others(five_and_two):
    first = draw(five_and_two, rate=0.4, seed=7)
    assert first.equals(draw(five_and_two, rate=0.4, seed=7))
    drawn = {tuple(draw(five_and_two, rate=0.4, seed=s)["unit_code"]) for s in range(20)}
    assert len(drawn) > 1


def test_funds_weight_the_draw():
    # 乙: B1 has 全年预算数 1000, B2 0: with a quota of 1, B1 is always drawn (B2 has no funds)
    ds = dataset({"乙": ["B1", "B2"]}, funds={"B1": 1000.0, "B2": 0.0})
    r = review(ds, 2022)
    for seed in range(10):
        assert draw(r, per_department=1, seed=seed)["unit_code"].tolist() == ["B1"]


def test_includes_and_excludes_are_honoured(five_and_two):
    s = draw(five_and_two, rate=0.2, include=["A3"], exclude=["A1", "B1"], seed=0)
    got = dict(zip(s["unit_code"], s["how"], strict=True))
    # 甲 without A1: 4 candidates, 20% → 1: A3 by hand fills it; 乙 without B1: B2
    assert got == {"A3": MANUAL, "B2": RANDOM}
    with pytest.raises(UsageError, match="ZZ9"):
        draw(five_and_two, rate=0.2, include=["ZZ9"])
    with pytest.raises(UsageError, match="A2"):
        draw(five_and_two, rate=0.2, include=["A2"], exclude=["A2"])
    with pytest.raises(UsageError):
        draw(five_and_two)


def test_projects_are_candidates_named_unit_slash_project():
    budget = [
        budget_row("U1"),
        {**budget_row("U1", adjusted=50, executed=50), "project_code": "P01"},
    ]
    rows = [indicator_row("U1", f"指标{i}", "≥1件", "1件", 30) for i in (1, 2, 3)]
    ds = make_dataset(
        units=[unit("U1", "甲")],
        budget=budget,
        indicators=[*rows, *({**r, "project_code": "P01"} for r in rows)],
        projects=[{"unit_code": "U1", "project_code": "P01", "project_name": "项目一"}],
    )
    r = review(ds, 2022)
    assert draw(r, per_department=5, level="unit")["project_code"].tolist() == [""]
    assert draw(r, per_department=5, level="project")["project_code"].tolist() == ["P01"]
    assert len(draw(r, per_department=5, level="all")) == 2
    s = draw(r, per_department=1, level="unit", include=["U1/P01"])
    assert s[["project_code", "how"]].values.tolist() == [["P01", MANUAL]]


@pytest.mark.parametrize(("text", "value"), [("20%", 0.2), ("0.2", 0.2), ("100%", 1.0)])
def test_rate(text, value):
    assert parse_rate(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["20", "0", "-5%", "abc", "150%"])
def test_bad_rate(text):
    with pytest.raises(UsageError, match="--rate"):
        parse_rate(text)


def test_written_and_read_back_xlsx_and_csv(five_and_two, tmp_path: Path):
    s = draw(five_and_two, rate=0.5, seed=2)
    for name in ("s.xlsx", "s.csv"):
        path = write_sample(s, 2022, tmp_path / name)
        back = read_sample(path)
        assert back["unit_code"].tolist() == s["unit_code"].tolist()
        assert back["how"].tolist() == s["how"].tolist()
        assert (back["year"] == 2022).all() and (back["project_code"] == "").all()
        write_sample(s, 2022, path)  # its own sample: replaced
    wb = load_workbook(tmp_path / "s.xlsx")
    assert [c.value for c in wb.active[1]] == COLUMNS
    first = (tmp_path / "s.csv").read_bytes().split(b"\r\n")[0]
    assert first.decode("utf-8-sig") == ",".join(COLUMNS)


def test_a_formula_like_name_stays_text(tmp_path):
    frame = pd.DataFrame(
        [[2022, "U1", "", "=HYPERLINK(1)", "甲", 1.0, 0.0, 1, RANDOM, "x"]],
        columns=["year", "unit_code", "project_code", "name", "department", "funds", "risk",
                 "rank", "how", "why"],
    )  # fmt: skip
    for name in ("f.xlsx", "f.csv"):
        write_sample(frame, 2022, tmp_path / name)
        assert read_sample(tmp_path / name)["name"].item() == "=HYPERLINK(1)"
    assert load_workbook(tmp_path / "f.xlsx").active["D2"].data_type == "s"


def test_a_file_perfkit_did_not_write_is_refused(five_and_two, tmp_path):
    s = draw(five_and_two, rate=0.2, seed=0)
    mine = tmp_path / "notes.csv"
    mine.write_text("我的笔记\n", encoding="utf-8")
    with pytest.raises(UsageError, match="不会覆盖"):
        write_sample(s, 2022, mine)
    assert mine.read_text(encoding="utf-8") == "我的笔记\n"
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"not a workbook")
    with pytest.raises(UsageError, match="不会覆盖"):
        write_sample(s, 2022, book)
    assert book.read_bytes() == b"not a workbook"
    with pytest.raises(UsageError, match="不是 perfkit review sample"):
        read_sample(mine)


def run(*args: str):
    return CliRunner().invoke(cli, ["review", "sample", *args], catch_exceptions=False)


def test_the_command_on_the_sample(sample_path, tmp_path):
    a, b, c = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.csv"
    base = [str(sample_path), "--year", "2022", "--rate", "20%"]
    assert run(*base, "--seed", "5", "--out", str(a)).exit_code == 0
    assert run(*base, "--seed", "5", "--out", str(b)).exit_code == 0
    assert read_sample(a).equals(read_sample(b))
    others = [run(*base, "--seed", str(s), "--out", str(c)) for s in range(6, 12)]
    assert all(o.exit_code == 0 for o in others)

    # the high risks (risk ≥ 15 on the sample) are drawn whatever the seed
    def must(path):
        s = read_sample(path)
        return set(zip(s["unit_code"], s["project_code"], s["how"] == MUST, strict=True))

    assert {m for m in must(a) if m[2]} == {m for m in must(c) if m[2]} != set()
    out = run(*base, "--include", "SZ002", "--exclude", "SZ009", "--out", str(c))
    assert out.exit_code == 0
    s = read_sample(c)
    assert s.loc[s["unit_code"] == "SZ002", "how"].tolist()[:1] == [MANUAL]
    assert not ((s["unit_code"] == "SZ009") & (s["project_code"] == "")).any()
    bad = run(*base, "--include", "XX1", "--out", str(c))
    assert bad.exit_code == 2 and "XX1" in bad.stderr
    notes = tmp_path / "notes.xlsx"
    notes.write_bytes(b"x")
    refused = run(*base, "--out", str(notes))
    assert refused.exit_code == 2 and "不会覆盖" in refused.stderr
    assert notes.read_bytes() == b"x"
    assert run(*base, "--out", str(tmp_path / "s.txt")).exit_code == 2


def test_must_risk_is_the_rulebooks(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('extends = "mof2020"\n[review.sample]\nmust_risk = 16\n', "utf-8")
    assert load_rulebook(path).review.must_risk == 16
    ds = dataset({"甲": ["A1", "A2", "A3", "A4", "A5"]}, risky=("A1",))
    # A1's risk 15 is below 16: no table is drawn for its risk
    s = draw(review(ds, 2022, load_rulebook(path)), rate=0.2, seed=0)
    assert len(s) == 1 and s["how"].tolist() == [RANDOM]
