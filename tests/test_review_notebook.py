"""review.ipynb, the bureau analyst's notebook (issue 17 §6; docs/review.md §7): where it is
shipped and how it is kept without outputs, the copy ``perfkit review notebook`` writes, the
views it shows, and a real run with papermill on data/sample asserting on what a reader sees.

The figures are data/sample/README.md's ("复核（抽查复核）") and data/sample's CSV files, worked
out by hand and written here, never produced by the code.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import papermill as pm
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

import perfkit
from perfkit.cli import cli
from perfkit.core.problems import UsageError
from perfkit.notebook import pre_save_hook, strips_outputs
from perfkit.review import analyst, results
from perfkit.review.sample import MANUAL, MUST, RANDOM

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
PACKAGED = ROOT / "perfkit" / "review" / "notebooks" / "review.ipynb"
COPY = ROOT / "notebooks" / "review.ipynb"
SAMPLE_FILE = SAMPLE / "review-sample-2022.csv"

#: the five tables of risk 15 (README: 必抽), in rank order (ties by 单位编码, then 项目编码). Each
#: hits the red warning (high, 10) and the yellow one (medium, 5), from budget.csv and the README's
#: indicator scores: (全年预算数 − 全年执行数) ÷ 全年预算数 above 20%, and the indicators' score
#: rate ahead of the execution score rate by more than 5% of the former:
TOP5 = [
    ("SZ008", "P02"),  # 164.00 − 118.80 = 45.20 → 27.56% unspent; 90/90 = 100% vs 7.24/10
    ("SZ009", ""),  # 700 − 364 = 336 → 48.00%; 51.59/90 = 57.32% vs 5.20/10: 9.28% > 5%
    ("SZ009", "P02"),  # 76 − 20 = 56 → 73.68%; 100% vs 2.63/10
    ("SZ012", "P01"),  # 110 − 58.20 = 51.80 → 47.09%; 72/90 = 80% vs 5.29/10
    ("SZ012", "P02"),  # 32 − 9.12 = 22.88 → 71.50%; 100% vs 2.85/10
]
BOTH = "指标完成与预算执行不匹配（红色预警）；预算执行偏低（黄色预警）"
#: (单位编码, 项目编码) → 自评得分, 复核得分, 偏离度, 等级变化, counts per class (README)
TABLES = {
    ("SZ001", ""): ("99.60", "85.80", "13.86%", "优 → 良", (9, 1, 1, 1)),
    ("SZ008", "P02"): ("97.24", "85.24", "12.34%", "优 → 良", (3, 0, 1, 0)),
    ("SZ011", ""): ("87.22", "85.72", "1.72%", "未变（良）", (7, 1, 0, 0)),
    ("SZ012", "P01"): ("77.29", "72.85", "5.74%", "未变（中）", (2, 2, 0, 0)),
}
#: the re-checked indicators whose scores differ (README): 自评得分, 复核得分, 偏差, 类别
DIFFERING = {
    ("SZ001", "", "卷宗整理归档数"): (8, 7.2, 0.8, "一般偏差"),  # 8 × 135/150; 10%
    ("SZ001", "", "审判质效指标"): (10, 7, 3, "明显偏差"),  # B 档 70%; 30%
    ("SZ001", "", "服务对象满意度"): (10, 0, 10, "显著偏差"),  # 0%: no survey; 100%
    ("SZ011", "", "路面执法检查次数"): (15, 13.5, 1.5, "一般偏差"),  # 15 × 1800/2000; 10%
    ("SZ008", "P02", "示范推广新品种数"): (30, 18, 12, "明显偏差"),  # 30 × 12/20; 40%
    ("SZ012", "P01", "活动覆盖学校数"): (20, 16, 4, "一般偏差"),  # 20 × 24/30; exactly 20%
    ("SZ012", "P01", "学生满意度"): (10, 9.56, 0.44, "一般偏差"),  # 10 × 86/90 = 9.555…; 4.4%
}
SUMMARY = "复核 4 张自评表、28 个指标：完全一致 21 个，一般偏差 4 个，明显偏差 2 个，显著偏差 1 个；等级变化的 2 张。"  # fmt: skip  # noqa: E501


@pytest.fixture(scope="module")
def screening():
    return perfkit.review(perfkit.load(SAMPLE), 2022)


# --- where the notebook lives, and how it stays without outputs ------------------------------


def test_the_repository_copy_is_the_packaged_notebook():
    assert COPY.read_bytes() == PACKAGED.read_bytes(), (
        "notebooks/review.ipynb differs from perfkit/review/notebooks/review.ipynb: copy it over"
    )
    assert Path(str(analyst.NOTEBOOK)) == PACKAGED


def test_it_is_committed_without_outputs_marked_and_parameterized():
    nb = nbformat.read(PACKAGED, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["perfkit"]["strip_outputs"] is True
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    (parameters,) = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert parameters is code[0]
    names = {line.split(" = ")[0] for line in parameters.source.splitlines() if " = " in line}
    assert names == {"data", "year", "rules", "rate", "per_department", "seed", "include",
                     "exclude", "level"}  # fmt: skip


def test_the_wheel_carries_it():
    """pyproject's package data names the notebook (the wheel test in test_packaging.py writes
    it from an installed wheel with ``perfkit review notebook``)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["perfkit"]
    package = ROOT / "perfkit"
    assert any(PACKAGED in package.glob(pattern) for pattern in patterns)


@pytest.mark.parametrize(
    ("path", "stripped"),
    [
        ("notebooks/review.ipynb", True),  # the repository's copy
        ("perfkit/review/notebooks/review.ipynb", True),  # the package's
        ("notebooks/review-Copy1.ipynb", False),  # JupyterLab's Duplicate
        ("analysis/review.ipynb", False),  # Save As into another folder
    ],
)
def test_the_save_hook_strips_it_only_where_perfkit_ships_it(path, stripped):
    nb = nbformat.read(PACKAGED, as_version=4)
    assert strips_outputs(nb.metadata, path) is stripped
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="风险排名\n")]
    model = {"type": "notebook", "content": json.loads(nbformat.writes(nb))}
    pre_save_hook(model, path=path)
    saved = next(c for c in model["content"]["cells"] if c["cell_type"] == "code")
    assert (saved["outputs"] == []) is stripped


# --- perfkit review notebook: the user's own copy --------------------------------------------


def test_review_notebook_writes_the_users_own_copy(tmp_path):
    work = tmp_path / "工作" / "notebooks"
    result = CliRunner().invoke(
        cli, ["review", "notebook", "--out", str(work), "--data", str(SAMPLE), "--year", "2022"]
    )
    assert result.exit_code == 0, result.output
    written = work / "review.ipynb"
    assert str(written) in result.output
    mine = nbformat.read(written, as_version=4)
    packaged = nbformat.read(PACKAGED, as_version=4)
    # the user's own: no marker, so it keeps its outputs even as notebooks/review.ipynb
    assert "perfkit" not in mine.metadata
    assert not strips_outputs(mine.metadata, written)
    (parameters,) = [c for c in mine.cells if "parameters" in c.metadata.get("tags", [])]
    lines = parameters.source.splitlines()
    assert f"data = {str(SAMPLE.resolve())!r}" in lines
    assert "year = 2022" in lines
    assert 'rate = "20%"  # each 主管部门\'s share of its tables, rounded up (at least 1)' in lines
    # every other cell as shipped
    assert [c.source for c in mine.cells if c is not parameters] == [
        c.source for c in packaged.cells if "parameters" not in c.metadata.get("tags", [])
    ]


def test_review_notebook_without_options_is_the_packaged_one_unmarked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["review", "notebook"])
    assert result.exit_code == 0, result.output
    mine = nbformat.read(tmp_path / "review.ipynb", as_version=4)
    packaged = nbformat.read(PACKAGED, as_version=4)
    assert [c.source for c in mine.cells] == [c.source for c in packaged.cells]
    assert "perfkit" not in mine.metadata


def test_review_notebook_never_replaces_another_file(tmp_path):
    target = tmp_path / "review.ipynb"
    target.write_text('{"mine": true}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["review", "notebook", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "已存在" in result.output and "不会覆盖" in result.output
    assert target.read_text(encoding="utf-8") == '{"mine": true}'
    # a copy it wrote itself, unchanged, is left as it is (exit 0)
    other = tmp_path / "审核.ipynb"
    for _ in range(2):
        result = CliRunner().invoke(cli, ["review", "notebook", "--out", str(other)])
        assert result.exit_code == 0, result.output
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_review_notebook_with_missing_data_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(
        cli, ["review", "notebook", "--out", str(tmp_path), "--data", str(tmp_path / "无")]
    )
    assert result.exit_code == 2
    assert "找不到数据" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "review.ipynb").exists()


# --- the views the notebook shows -------------------------------------------------------------


def test_sample_summary_counts_each_way_in_the_rules_order():
    drawn = pd.DataFrame({"how": [RANDOM, MUST, MANUAL, RANDOM]})
    assert analyst.sample_summary(drawn) == (
        "共抽取 4 张自评表：人工指定 1 张，必抽（高风险） 1 张，随机抽取 2 张。"
    )
    assert analyst.sample_summary(drawn.iloc[:0]) == "没有抽取任何自评表。"


def _fake_review(ranks: dict[str, int]) -> SimpleNamespace:
    """A screening of tables named by 单位编码, each with one finding, ranked as given."""
    codes = list(ranks)
    findings = pd.DataFrame(
        {
            "year": 2022,
            "unit_code": codes,
            "project_code": "",
            "code": "zero_budget",
            "severity": "medium",
            "level3": "",
            "message": [f"{c} 的问题" for c in codes],
            "evidence": "全年预算数 0 万元",
        }
    )
    tables = pd.DataFrame(
        {"year": 2022, "unit_code": codes, "project_code": "", "rank": list(ranks.values())}
    )
    return SimpleNamespace(year=2022, findings=findings, tables=tables, deviations=None)


def test_top_findings_follow_the_rank_not_the_code():
    review = _fake_review({"A01": 2, "B02": 1, "C03": 3})
    shown = analyst.top_findings(review, 2)
    assert shown["单位编码"].tolist() == ["B02", "A01"]
    assert shown["问题"].tolist() == ["B02 的问题", "A01 的问题"]
    assert shown["审核项"].tolist() == ["全年预算数为 0（黄色预警）"] * 2


def test_top_findings_of_the_sample(screening):
    shown = analyst.top_findings(screening, 5)
    seen = list(zip(shown["单位编码"], shown["项目编码"], strict=True))
    assert seen == [t for t in TOP5 for _ in range(2)]  # the red and the yellow warning each
    assert shown["问题"][1] == "预算未执行 27.56%，超过 20.00%。"  # 45.20 ÷ 164.00


def test_draw_sample_reads_the_notebooks_parameters(screening):
    drawn = analyst.draw_sample(screening, "20%", seed=2022, include="SZ013/P02")
    manual = drawn[drawn["how"] == MANUAL]
    assert list(zip(manual["unit_code"], manual["project_code"], strict=True)) == [("SZ013", "P02")]
    for bad in (0, True, 1.5):
        with pytest.raises(UsageError, match="per_department"):
            analyst.draw_sample(screening, per_department=bad)
    with pytest.raises(UsageError, match="20%"):
        analyst.draw_sample(screening, rate="二成")
    # one per 主管部门, and every table of risk 15 beyond: 共青团 draws both of its projects and
    # 水务局 SZ009 and SZ009/P02 (one more each), 农业农村局 SZ008/P02 within its quota
    units = pd.read_csv(SAMPLE / "units.csv", encoding="utf-8-sig")
    departments = units["主管部门"].nunique()
    drawn = analyst.draw_sample(screening, rate=None, per_department=1, seed=1)
    assert len(drawn) == departments + 2
    assert set(TOP5) <= set(zip(drawn["unit_code"], drawn["project_code"], strict=True))


def test_the_deviation_views_of_the_sample(screening):
    assert results.deviation_summary(screening) == SUMMARY
    overview = results.deviation_overview(screening).set_index(["单位编码", "项目编码"])
    assert set(overview.index) == set(TABLES)
    for key, (own, reviewed, deviation, change, counts) in TABLES.items():
        row = overview.loc[key]
        assert (row["自评得分"], row["复核得分"], row["偏离度"], row["等级变化"]) == (
            own,
            reviewed,
            deviation,
            change,
        ), key
        assert tuple(row[["完全一致", "一般偏差", "明显偏差", "显著偏差"]]) == counts, key
    shown = analyst.deviating_indicators(screening)
    assert list(shown.columns) == analyst.INDICATOR_COLUMNS
    got = {
        (r["单位编码"], r["项目编码"], r["三级指标"]): (
            r["自评得分"],
            r["复核得分"],
            r["复核指标偏差"],
            r["偏差类别"],
        )
        for r in shown.to_dict("records")
    }
    assert got.keys() == DIFFERING.keys()
    for key, values in DIFFERING.items():
        assert got[key][:3] == pytest.approx(values[:3]), key
        assert got[key][3] == values[3], key


def test_a_year_without_reviews_says_so():
    review = _fake_review({"A01": 1})
    assert results.deviation_summary(review) == (
        "（2022 年度没有复核数据：数据中的 reviews（复核）表没有这一年度的行）"
    )
    assert results.deviation_overview(review).empty
    assert analyst.deviating_indicators(review).empty


# --- the notebook, run with papermill on data/sample ------------------------------------------


def _tables(html: str) -> list[list[dict[str, str]]]:
    """Each HTML table of an output as rows of {header: text} (pandas' to_html: the first
    header cell and each row's first cell are the index, left out)."""
    found = []
    for table in BeautifulSoup(html, "html.parser").find_all("table"):
        headers = [th.get_text() for th in table.thead.find_all("th")][1:]
        rows = [
            dict(zip(headers, [td.get_text() for td in tr.find_all("td")], strict=True))
            for tr in table.tbody.find_all("tr")
        ]
        found.append(rows)
    return found


@pytest.fixture(scope="module")
def shown(tmp_path_factory):
    """The notebook run from an unrelated folder; per cell id, what a reader sees: its tables
    (rows of {header: text}) and its texts (Markdown)."""
    out = tmp_path_factory.mktemp("review-notebook")
    pm.execute_notebook(
        COPY, out / "review.ipynb", parameters={"data": str(SAMPLE)}, kernel_name="python3",
        progress_bar=False, cwd=str(out),
    )  # fmt: skip
    nb = nbformat.read(out / "review.ipynb", as_version=4)
    cells = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        assert all(o["output_type"] in ("execute_result", "display_data") for o in outputs), (
            cell.id,
            outputs,
        )  # no error, no warning printed
        data = [o.get("data", {}) for o in outputs]
        cells[cell.id] = SimpleNamespace(
            tables=[t for d in data for t in _tables(d.get("text/html", ""))],
            texts=[d["text/markdown"] for d in data if "text/markdown" in d],
        )
    return cells


def test_the_notebook_shows_each_checks_count(shown, screening):
    (counts,) = shown["checks"].tables
    by_code = {row["代码"]: row for row in counts}
    # every check mof2020 runs (the two provincial ones are off by default), in its order
    assert list(by_code) == [c.code for c in screening.rulebook.review.enabled]
    assert "execution_cap" not in by_code and "over_target_deduction" not in by_code
    # worked out from budget.csv alone: tables of 2022 whose unspent share exceeds 20%
    budget = pd.read_csv(SAMPLE / "budget.csv", encoding="utf-8-sig", dtype={"项目编码": str})
    budget = budget[budget["年度"] == 2022].fillna({"项目编码": ""})
    sums = budget.groupby(["单位编码", "项目编码"])[["全年预算数", "全年执行数"]].sum()
    unspent = (sums["全年预算数"] - sums["全年执行数"]) / sums["全年预算数"]
    assert (by_code["budget_unspent"]["问题数"], by_code["zero_budget"]["问题数"]) == (
        str(int((unspent > 0.2).sum())),
        str(int((sums["全年预算数"] == 0).sum())),
    )
    assert by_code["budget_unspent"]["问题数"] == "9"
    assert by_code["budget_unspent"]["审核项"] == "预算执行偏低（黄色预警）"
    # the rest as the screening found them
    found = screening.findings["code"].value_counts()
    assert {c: int(r["问题数"]) for c, r in by_code.items()} == {
        c: int(found.get(c, 0)) for c in by_code
    }


def test_the_notebook_shows_the_risk_ranking(shown):
    (ranking,) = shown["ranking"].tables
    assert len(ranking) == 20
    top = [(r["风险排名"], r["单位编码"], r["项目编码"], r["风险分"]) for r in ranking[:5]]
    assert top == [(str(i + 1), u, p, "15.0") for i, (u, p) in enumerate(TOP5)]
    assert {r["发现的问题"] for r in ranking[:5]} == {BOTH}
    assert ranking[0]["名称"] == "农业新品种示范推广"
    assert ranking[5]["风险分"] == "10.0"  # the next ones hit the red warning only
    (findings,) = shown["top-findings"].tables
    seen = [(r["单位编码"], r["项目编码"]) for r in findings]
    assert seen == [t for t in TOP5 for _ in range(2)]


def test_the_notebook_draws_the_readmes_sample(shown):
    assert shown["sample"].texts == ["共抽取 15 张自评表：必抽（高风险） 5 张，随机抽取 10 张。"]
    (table,) = shown["sample"].tables
    committed = pd.read_csv(SAMPLE_FILE, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    # the same tables, ways and reasons as the file the README's command wrote (seed 2022)
    assert [(r["单位编码"], r["项目编码"], r["抽取方式"], r["抽取理由"]) for r in table] == list(
        zip(committed["单位编码"], committed["项目编码"], committed["抽取方式"],
            committed["抽取理由"], strict=True)
    )  # fmt: skip
    must = {(r["单位编码"], r["项目编码"]) for r in table if r["抽取方式"] == MUST}
    assert must == set(TOP5)


def test_the_notebook_shows_the_deviation_worked_out_in_the_readme(shown):
    assert shown["deviation"].texts == [SUMMARY]
    (tables,) = shown["deviation"].tables
    got = {
        (r["单位编码"], r["项目编码"]): (
            r["自评得分"], r["复核得分"], r["偏离度"], r["等级变化"],
            tuple(int(r[k]) for k in ("完全一致", "一般偏差", "明显偏差", "显著偏差")),
        )
        for r in tables
    }  # fmt: skip
    assert got == TABLES
    reasons = {(r["单位编码"], r["项目编码"]): r["主要偏差原因"] for r in tables}
    assert reasons[("SZ001", "")] == (  # shown whole, not cut at pandas' 50 characters
        "「服务对象满意度」满意度未开展问卷调查，仅以未收到投诉为依据，不得分；"
        "「审判质效指标」未提供审判质效对比数据，仅有工作总结表述，按部分达成计分；"
        "「卷宗整理归档数」归档清单仅能核实 135 件，其余卷宗尚未移交归档；"
        "审核发现：全部指标自评满分、年度指标值设置偏低"
    )
    (indicators,) = shown["indicators"].tables
    seen = {
        (r["单位编码"], r["项目编码"], r["三级指标"]): (
            float(r["自评得分"]),
            float(r["复核得分"]),
            float(r["复核指标偏差"]),
            r["偏差类别"],
        )
        for r in indicators
    }
    assert seen.keys() == DIFFERING.keys()
    for key, values in DIFFERING.items():
        assert seen[key][:3] == pytest.approx(values[:3]), key
        assert seen[key][3] == values[3], key
    assert {r["复核意见"] for r in indicators} >= {
        "满意度未开展问卷调查，仅以未收到投诉为依据，不得分。"
    }
