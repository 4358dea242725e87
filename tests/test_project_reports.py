"""Project reports (项目支出绩效自评报告, issue 11 item 3): the notebook run by papermill shows
what a reader expects, ``perfkit render`` writes the projects where documented (``--level``
chooses), unit reports and the index link only to project reports that the run wrote, a unit with
projects only gets project reports only, and a failed project gets an error page.

Expected figures are those hand-computed in data/sample/README.md (项目支出绩效自评, 应得结果):
SZ013/P01 古建筑修缮工程 (380+100)/(400+100) = 96.00%, 9.60 + 86.60 = 96.20 优, two funding
sources; SZ003/P02 实验室设备更新 66.00/88.00 = 75.00%, 7.50 + 69.38 = 76.88 中.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from click.testing import CliRunner

from perfkit import api, report
from perfkit.cli import cli
from perfkit.rendering import htmlexport
from perfkit.rendering.pipeline import render

sys.path.insert(0, str(Path(__file__).resolve().parent))
import golden

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "notebooks"
SECTIONS = (
    "一、项目基本情况",
    "二、项目资金使用及管理情况",
    "三、项目绩效目标实现情况",
    "四、偏离绩效目标的原因和下一步改进措施",
    "五、绩效自评结果拟应用和公开情况",
    "附表 项目支出绩效自评表",
)
FICTIONAL = "本报告由虚构的示例数据生成，仅用于演示，不代表任何单位的真实情况。"

needs_sample = pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample")
pytestmark = [needs_sample, pytest.mark.xdist_group("project_reports")]


def _links(html: str) -> set[str]:
    return set(re.findall(r'<a href="([^"#]+)"', html))


def _after(lines: list[str], start: str, n: int) -> list[str]:
    """The ``n`` lines after the first line equal to ``start`` (table cells read one by one)."""
    i = lines.index(start)
    return lines[i + 1 : i + 1 + n]


# ---------------------------------------------------------------------------------------------
# blocks (fast)


def test_project_title_does_not_say_project_twice():
    assert report.project_report_title("古建筑修缮工程") == "古建筑修缮工程项目支出绩效自评报告"
    assert report.project_report_title("文物普查项目") == "文物普查项目支出绩效自评报告"


def test_project_blocks_escape_text_and_reuse_the_unit_tables():
    ds = api.load(SAMPLE)
    detail = api.project_detail(ds, 2022, "SZ003", "P02")
    detail.project_name = "<script>alert(1)</script>设备"
    html = report.project_title(detail) + report.project_appendix_table(detail)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;设备" in html
    results = report.project_results_section(detail)
    # the unit report's indicator table (same header), with this project's rule texts
    assert "<th>计分说明</th>" in results
    assert "得分 = 30 × 9 ÷ 12 = 22.50" in results


def test_unit_projects_links_only_reports_that_were_written(tmp_path):
    ds = api.load(SAMPLE)
    status = tmp_path / "status.json"
    entries = [
        {"unit_code": "SZ001", "unit_name": "x", "href": "SZ001/P01.html", "status": "ok",
         "error": "", "project_code": "P01", "project_name": "智慧法院信息化运维"},
        {"unit_code": "SZ001", "unit_name": "x", "href": "SZ001/P02.html", "status": "failed",
         "error": "ValueError", "project_code": "P02", "project_name": "网络安全等级保护测评"},
    ]  # fmt: skip
    status.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    html = report.unit_projects(api.unit_detail(ds, 2022, "SZ001", status=status))
    assert _links(html) == {"SZ001/P01.html"}
    assert "网络安全等级保护测评（报告未能生成）" in html
    # no status (the notebook opened in JupyterLab): no report is known to exist, none linked
    html = report.unit_projects(api.unit_detail(ds, 2022, "SZ001"))
    assert _links(html) == set()
    # SZ001's two projects (README): 97.60 and 99.19, average 98.395 → 98.40
    assert "共有 2 个项目开展项目支出绩效自评，平均总分 98.40 分" in html


# ---------------------------------------------------------------------------------------------
# the notebook, run by papermill (slow)


@pytest.fixture(scope="module")
def project_page(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("project")
    pm.execute_notebook(
        NOTEBOOKS / "project_report.ipynb",
        out / "P01.ipynb",
        parameters={"data": str(SAMPLE), "year": 2022, "unit_code": "SZ013",
                    "project_code": "P01", "rules": "mof2020"},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(out),
    )  # fmt: skip
    nb = nbformat.read(out / "P01.ipynb", as_version=4)
    nb.metadata["title"] = "苏州市文物保护修缮中心 2022年度 古建筑修缮工程项目支出绩效自评报告"
    return htmlexport.export_html(nb, name="P01")


@pytest.mark.slow
def test_project_report_reads_as_a_project_self_evaluation_report(project_page):
    html = project_page
    assert htmlexport.assert_self_contained(html) == []
    assert "@font-face" in html  # the CJK subset travels with the page
    parts = golden.sections(html)
    assert list(parts)[2:] == list(SECTIONS)
    top = parts[golden.PAGE_TOP]
    assert top[:3] == [FICTIONAL, "古建筑修缮工程项目支出绩效自评报告", "（2022年度）"]
    assert "项目编码：P01 实施单位：苏州市文物保护修缮中心" in top[3]
    # the score card: 96.20 分, 优, 96.00%, 86.60 / 90 分
    assert _after(top, "绩效指标得分", 4) == ["96.20 分", "优", "96.00%", "86.60 / 90 分"]
    basic = parts["一、项目基本情况"]
    assert basic[:2] == ["（一）项目概况", "“古建筑修缮工程”项目由苏州市文物保护修缮中心实施，"
                         "主管部门为苏州市文化广电和旅游局，项目类别为基本建设类，项目负责人为陆某。"
                         "2022年度项目全年预算数 500.00 万元。"]  # fmt: skip
    funds = parts["二、项目资金使用及管理情况"]
    assert any("全年执行数 480.00 万元，预算执行率 96.00%" in line for line in funds)
    assert any("得 9.60 分（预算执行率 96.00%，得分 = 10 × 96.00% = 9.60）" in ln for ln in funds)
    results = parts["三、项目绩效目标实现情况"]
    assert "图1 定量指标完成率" in results and "图2 各部分得分与分值" in results
    assert any("本项目 2022 年度绩效自评总分 96.20 分" in line and "“优”" in line
               for line in results)  # fmt: skip
    problems = parts["四、偏离绩效目标的原因和下一步改进措施"]
    assert "（三）下一步改进措施" in problems
    # the project's own narrative (narratives/2022/SZ013/P01.md)
    assert "加强施工过程质量管理，2023 年编制彩画保护专项方案并实施。" in problems
    appendix = parts["附表 项目支出绩效自评表"]
    assert _after(appendix, "项目名称", 1) == ["古建筑修缮工程"]
    assert _after(appendix, "实施单位", 1) == ["苏州市文物保护修缮中心"]
    # 年度资金总额 400 / 500 / 480, 分值 10, 96.00%, 9.60; 其中 by source
    assert _after(appendix, "年度资金总额", 6) == ["400.00", "500.00", "480.00", "10", "96.00%",
                                                   "9.60"]  # fmt: skip
    assert _after(appendix, "其中", 7) == ["财政拨款", "400.00", "400.00", "380.00", "—", "95.00%",
                                           "—"]  # fmt: skip
    assert _after(appendix, "上年结转", 6) == ["0.00", "100.00", "100.00", "—", "100.00%", "—"]
    # 验收合格率 20 × 98/100 = 19.60 (README)
    assert "19.60" in _after(appendix, "工程验收合格率", 5)
    assert _after(appendix, "总分", 3) == ["100", "96.20", "自评等级：优"]
    assert re.findall(r'<svg [^>]*role="img" aria-label="([^"]*)"', html) == [
        "图1 定量指标完成率",
        "图2 各部分得分与分值",
    ]


# ---------------------------------------------------------------------------------------------
# perfkit render with projects (slow)

FAIL_P02 = """
if unit_code == "SZ001" and project_code == "P02":
    raise ValueError("测试用错误：<b>项目数据不完整</b>")
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """SZ001 (two projects, P02 made to fail) and SZ013 (projects only), every level."""
    base = tmp_path_factory.mktemp("projects")
    notebooks = base / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS / "unit_report.ipynb", notebooks / "unit_report.ipynb")
    nb = nbformat.read(NOTEBOOKS / "project_report.ipynb", as_version=4)
    after = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(after + 1, nbformat.v4.new_code_cell(FAIL_P02))  # after the parameters
    nbformat.write(nb, notebooks / "project_report.ipynb")
    out = base / "reports"
    result = render(SAMPLE, out=out, units=["SZ001", "SZ013"], jobs=2,
                    notebook=notebooks / "unit_report.ipynb", progress=False)  # fmt: skip
    return out / "2022", result


@pytest.mark.slow
def test_render_writes_project_reports_where_documented(rendered):
    year, result = rendered
    records = year.parent / "_internal" / year.name
    assert result.exit_code == 1  # SZ001/P02 failed
    assert [(r.unit_code, r.status) for r in result.units] == [("SZ001", "ok")]
    assert [(r.unit_code, r.project_code, r.status) for r in result.projects] == [
        ("SZ001", "P01", "ok"), ("SZ001", "P02", "failed"),
        *[("SZ013", f"P0{i}", "ok") for i in range(1, 6)],
    ]  # fmt: skip
    for p in ("P01", "P02", "P03", "P04", "P05"):
        assert (year / "SZ013" / f"{p}.html").is_file()
        assert (records / "SZ013" / f"{p}.ipynb").is_file()
    assert not (year / "SZ013.html").exists()  # projects only: no 部门整体 report
    assert (year / "projects.html").is_file() and (records / "projects.ipynb").is_file()
    assert [r.status for r in (*result.indexes, *result.project_pages)] == ["ok", "ok"]
    summary = result.summary()
    assert (
        "2022年度：共 1 个单位，成功 1 份，失败 0 份；共 7 个项目，成功 6 份，失败 1 份。"
        in summary
    )
    assert (
        "SZ001/P02 网络安全等级保护测评（苏州市智慧审判保障中心）：生成笔记本的第 2 个" in summary
    )
    status = json.loads((records / "status.json").read_text(encoding="utf-8"))
    assert {e.get("project_code", "") + ":" + e["href"] for e in status} >= {
        ":SZ001.html",
        "P01:SZ001/P01.html",
        "P05:SZ013/P05.html",
    }


@pytest.mark.slow
def test_failed_project_gets_an_error_page(rendered):
    year, _ = rendered
    html = (year / "SZ001" / "P02.html").read_text(encoding="utf-8")
    assert htmlexport.assert_self_contained(html) == []
    assert "本报告未能生成" in html
    assert "&lt;b&gt;项目数据不完整&lt;/b&gt;" in html
    assert "项目编码：P02" in html
    assert "<code>_internal/2022/SZ001/P02.ipynb</code>" in html  # named, not linked
    assert (year.parent / "_internal" / "2022" / "SZ001" / "P02.ipynb").is_file()


@pytest.mark.slow
def test_unit_report_links_the_project_reports_that_exist(rendered):
    year, _ = rendered
    html = (year / "SZ001.html").read_text(encoding="utf-8")
    parts = golden.sections(html)
    s2 = parts["二、部门（单位）整体支出绩效实现情况"]
    assert "（六）项目支出绩效自评情况" in s2
    assert "网络安全等级保护测评（报告未能生成）" in s2
    # P01 97.60 优 (README): 285.00, 96.00%, 9.60, 88.00, 97.60, 优
    assert _after(s2, "智慧法院信息化运维", 6) == [
        "285.00",
        "96.00%",
        "9.60",
        "88.00",
        "97.60",
        "优",
    ]
    links = {h for h in _links(html) if "/" in h}
    assert links == {"SZ001/P01.html"}
    for href in links:
        assert (year / href).is_file()


@pytest.mark.slow
def test_index_and_projects_page_link_reports_that_exist(rendered):
    year, _ = rendered
    index = (year / "index.html").read_text(encoding="utf-8")
    parts = golden.sections(index)
    summary = parts["四、项目支出绩效自评情况"]
    # SZ013: 5 projects (README: P01 96.20, P02 76.70, …); SZ001: 2 projects, average 98.40
    assert _after(summary, "苏州市智慧审判保障中心", 2) == ["2", "313.10"]
    assert _after(summary, "苏州市文物保护修缮中心", 1) == ["5"]
    assert "projects.html" in _links(index)
    page = (year / "projects.html").read_text(encoding="utf-8")
    assert htmlexport.assert_self_contained(page) == []
    ranking = golden.sections(page)["一、项目自评结果排名"]
    assert "古建筑修缮工程" in ranking and "96.20" in ranking
    links = {h for h in _links(page) if h != "index.html"}
    assert "SZ001/P02.html" not in links  # failed: not linked
    assert "SZ013/P01.html" in links and "SZ001/P01.html" in links
    for href in links:
        assert (year / href).is_file(), href
    assert "报告生成失败" in ranking


@pytest.mark.slow
def test_level_unit_renders_no_project_and_links_none(tmp_path):
    args = ["render", str(SAMPLE), "--out", str(tmp_path), "--unit", "SZ001", "--level", "unit",
            "--jobs", "2", "--no-progress"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    year = tmp_path / "2022"
    assert "2022年度：共 1 个单位，成功 1 份，失败 0 份。" in result.output
    assert (year / "SZ001.html").is_file()
    assert not list(year.glob("*/*.html")) and not (year / "projects.html").exists()
    html = (year / "SZ001.html").read_text(encoding="utf-8")
    assert "（六）项目支出绩效自评情况" in html  # listed, with scores …
    assert not {h for h in _links(html) if "/" in h}  # … but not linked: none was written
    index = (year / "index.html").read_text(encoding="utf-8")
    assert "projects.html" not in index


@pytest.mark.slow
def test_level_project_renders_projects_only(tmp_path):
    result = render(SAMPLE, out=tmp_path, units=["SZ013"], jobs=2, progress=False,
                    level="project")  # fmt: skip
    assert result.exit_code == 0, result.summary()
    year = tmp_path / "2022"
    assert sorted(p.name for p in (year / "SZ013").glob("*.html")) == [
        f"P0{i}.html" for i in range(1, 6)
    ]
    assert not list(year.glob("SZ*.html"))
    assert (year / "projects.html").is_file() and (year / "index.html").is_file()
    assert "共 0 个单位，成功 0 份，失败 0 份；共 5 个项目，成功 5 份" in result.summary()


def test_unknown_level_is_a_usage_error(tmp_path):
    from perfkit.core.problems import UsageError

    with pytest.raises(UsageError, match="level"):
        render(SAMPLE, out=tmp_path, level="projects", progress=False)
    assert not list(tmp_path.iterdir())
