"""The notebook API on data/sample: load, score, unit_detail, overview and the status file.

Expected figures are worked out by hand from data/sample's CSV files (see the comments; the
sample's README has the same arithmetic for every unit).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfkit import api
from perfkit.core.problems import UsageError
from perfkit.data import fingerprints

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def ds(sample_dataset):
    return sample_dataset


def test_relative_data_paths_are_found_from_the_notebooks_folder_or_the_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert api.resolve_path("../data/sample") == SAMPLE  # the notebooks' default
    assert api.resolve_path("data/sample") == SAMPLE
    assert api.resolve_path(SAMPLE) == SAMPLE
    (tmp_path / "data" / "sample").mkdir(parents=True)
    assert api.resolve_path("data/sample") == Path("data/sample")  # the current folder first
    assert api.resolve_path("nowhere") == Path("nowhere")


def test_load_reads_the_sample(ds):
    assert len(ds.units) == 13  # SZ013 has projects only: no row in score(ds)
    assert ds.fictional is True
    assert len(ds.fingerprint) == 12


def test_score_gives_one_row_per_unit(ds):
    units = api.score(ds, year=2022).set_index("unit_code")
    assert len(units) == 12
    # SZ001: Σ全年执行数 433.90 + 33.60 + 1.08 + 273.60 + 25.82 = 768.00 of Σ全年预算数
    # 436.50 + 48.00 + 2.40 + 285.00 + 28.10 = 800.00 → 96.00% → 9.60; all 12 indicators met → 90
    assert units.loc["SZ001", "execution_rate"] == pytest.approx(0.96)
    assert units.loc["SZ001", "total"] == pytest.approx(99.60)
    assert units.loc["SZ001", "grade"] == "优"
    # SZ009: 364 / 700 = 52% → 5.20; indicators 51.59 (README) → 56.79, below 60 → 差
    assert units.loc["SZ009", "total"] == pytest.approx(56.79)
    assert units.loc["SZ009", "grade"] == "差"
    one = api.score(ds, year=2022, unit="SZ001")
    assert one["unit_code"].tolist() == ["SZ001"]


def test_unit_detail_gathers_what_the_report_shows(ds):
    d = api.unit_detail(ds, 2022, "SZ001")
    assert d.unit_name == "苏州市智慧审判保障中心"
    assert d.summary["total"] == pytest.approx(99.60)
    assert d.summary["functions"].startswith("开展全市法院“智慧审判”信息化建设")
    assert d.summary["internal_bodies"] == "综合处、保障处"
    assert len(d.indicators) == 12
    assert d.indicators["weight"].sum() == pytest.approx(90)
    assert len(d.budget) == 5 and len(d.budget_items) == 5 and len(d.goals) == 3
    # 党团经费 1.08 / 2.40 = 45%, 公用经费 33.60 / 48 = 70% (both below 90%); 办结案件
    # 230 / 150 = 153% (at least 130% of the target)
    found = d.findings.groupby("kind")["subject"].apply(sorted).to_dict()
    assert found == {
        "low_execution": ["党团经费", "公用经费"],
        "over_target": ["独立配合法官办结案件数"],
    }
    # 年初 420 + 48 + 2.40 + 260 + 0 = 730.40; 全年 800 → 调整 69.60
    assert d.metrics["adjustment"] == pytest.approx(69.60)
    assert d.progress["month"].tolist() == list(range(1, 13))
    assert d.progress["cumulative_rate"].iloc[-1] == pytest.approx(0.96)
    assert d.narrative is not None and "230 余件" in d.narrative.achievements
    assert d.fictional is True
    # the footer's fingerprint covers the unit's own data (incremental renders, issue 12)
    assert d.fingerprint == fingerprints.short(fingerprints.unit(ds, 2022, "SZ001")) != ""
    assert d.rulebook.name == "mof2020"


def test_unit_detail_names_what_is_missing_and_what_is_valid(ds):
    # the sample's thirteen codes SZ001 … SZ013 are all listed
    codes = "、".join(f"SZ{i:03d}" for i in range(1, 14))
    with pytest.raises(UsageError) as err:
        api.unit_detail(ds, 2022, "SZ999")
    assert str(err.value) == f"数据中没有单位编码为“SZ999”的单位；可选单位编码：{codes}。"
    with pytest.raises(UsageError, match="没有 2021 年度的数据；该单位的数据年度：2022。"):
        api.unit_detail(ds, 2021, "SZ001")
    with pytest.raises(UsageError, match="没有 2021 年度的单位；可选年度：2022。"):
        api.overview(ds, 2021)


def test_score_with_filters_that_match_nothing_says_so(ds):
    with pytest.raises(UsageError, match="数据中没有 2023 年度；可选年度：2022。"):
        api.score(ds, year=2023)
    with pytest.raises(UsageError, match="数据中没有单位编码“XX1”；可选单位编码：SZ001、"):
        api.score(ds, unit=["SZ001", "XX1"])
    assert len(api.score(ds, year=2022, unit="SZ001")) == 1


def test_public_frames_have_no_internal_columns(ds):
    d = api.unit_detail(ds, 2022, "SZ001")
    for name in ("indicators", "findings", "budget", "goals", "monthly"):
        assert not [c for c in getattr(d, name).columns if c.startswith("_")], name


def test_chinese_tables_for_reading(ds):
    d = api.unit_detail(ds, 2022, "SZ001")
    ind = d.table("indicators")
    assert {"三级指标", "年度指标值", "完成率", "得分", "计分说明"} <= set(ind.columns)
    # 230 ÷ 150 = 153.33% for 独立配合法官办结案件数 (the sample's first indicator)
    assert ind["完成率"].iloc[0] == "153.33%"
    assert set(d.table("findings")["问题类型"]) <= {
        "预算执行率偏低", "支出进度滞后", "指标未达到年度指标值", "年度指标值设置偏低",
        "未说明偏差原因", "自评得分有误", "自评表填报不规范",
    }  # fmt: skip
    assert d.table("indicators", lang="en") is d.indicators
    with pytest.raises(UsageError, match="可选：indicators、findings"):
        d.table("nope")
    ov = api.overview(ds, 2022)
    assert "总分" in ov.table("units").columns


def test_short_reprs(ds):
    assert repr(ds).startswith("<Dataset ") and "13 个单位" in repr(ds)
    d = api.unit_detail(ds, 2022, "SZ001")
    assert repr(d).startswith("<UnitDetail SZ001 苏州市智慧审判保障中心 2022年度: 总分 ")
    assert len(repr(d)) < 200
    assert repr(api.overview(ds, 2022)) == (
        f"<Overview 2022年度: 12 个单位, {len(api.overview(ds, 2022).findings)} 个问题>"
    )


def test_the_public_names_are_what_completion_offers():
    import perfkit

    assert dir(perfkit) == [
        "__version__", "export_report", "load", "overview", "project_detail", "render", "review",
        "score", "unit_detail", "use_chinese_fonts",
    ]  # fmt: skip


def test_overview_and_the_status_file(ds, tmp_path):
    status = tmp_path / "status.json"
    entries = [
        {"unit_code": "SZ001", "unit_name": "苏州市智慧审判保障中心", "href": "SZ001.html",
         "status": "ok", "error": None},
        {"unit_code": "SZ002", "status": "failed", "error": "内核崩溃"},
        {"unit_name": "没有编码的条目被忽略"},
    ]  # fmt: skip
    status.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    ov = api.overview(ds, 2022, status=status)
    assert len(ov.units) == 12
    assert ov.findings["unit_code"].nunique() == 11  # every unit but SZ010 has findings
    assert [(s.unit_code, s.status, s.error) for s in ov.status] == [
        ("SZ001", "ok", ""),
        ("SZ002", "failed", "内核崩溃"),
    ]
    assert api.read_status("") == []


def test_a_broken_status_file_is_a_clear_error(tmp_path):
    broken = tmp_path / "status.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(UsageError, match="无法读取生成状态文件"):
        api.read_status(broken)
    broken.write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match="应为 JSON 列表"):
        api.read_status(broken)


def test_load_reuses_the_validated_dataset_until_a_file_changes(tmp_path, monkeypatch):
    import shutil

    from perfkit import api
    from perfkit.data import loading

    data = tmp_path / "data"
    shutil.copytree(api.resolve_path("data/sample"), data)
    calls = []
    real = loading.load
    monkeypatch.setattr(loading, "load", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = api.load(data)
    first.indicators.loc[0, "weight"] = 999.0  # a caller's change must not reach the cache
    first.units["unit_name"] = "改过的名称"
    first.budget.drop(index=first.budget.index[0], inplace=True)
    first.monthly.iloc[0, first.monthly.columns.get_loc("year")] = 1999
    second = api.load(data)
    assert len(calls) == 1
    assert second.indicators.loc[0, "weight"] != 999.0
    assert "改过的名称" not in set(second.units["unit_name"])
    assert len(second.budget) == len(first.budget) + 1
    assert second.monthly["year"].iloc[0] == 2022
    # an edited file is read again
    units = data / "units.csv"
    units.write_bytes(units.read_bytes() + b"\n")
    api.load(data)
    assert len(calls) == 2
    # another rules argument is another load (None and "mof2020" are not compared)
    api.load(data, rules="mof2020")
    assert len(calls) == 3
