"""Both notebooks run end to end with papermill on data/sample and export to HTML without code.

The assertions are on what a reader sees in the exported HTML; the seed unit's total and grade
are worked out here from the sample's CSV files, independently of perfkit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "notebooks"
SEED_UNIT = "SZ001"
SEED_NAME = "苏州市智慧审判保障中心"
HEADINGS = (
    "一、部门（单位）概况",
    "二、部门（单位）整体支出绩效实现情况",
    "三、部门（单位）整体支出绩效中存在问题及改进措施",
    "四、绩效自评结果拟应用和公开情况",
    "附表 部门整体支出绩效自评表",
)
FICTIONAL = "本报告由虚构的示例数据生成，仅用于演示，不代表任何单位的真实情况。"
PNG = re.compile(r'<img[^>]*\ssrc="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"')
#: a chart inlined as SVG, with its accessible name (perfkit.report.charts.to_svg)
_SVG = re.compile(r"<svg\b([^>]*)>(.*?)</svg>", re.S)
_LABEL = re.compile(r'\saria-label="([^"]*)"')


def _charts(html: str) -> list[tuple[str, str]]:
    """(accessible name, content) of each chart inlined as SVG (``perfkit.report.charts.to_svg``:
    class ``pk-chart``, ``role="img"``), whatever the order of its attributes."""
    found = []
    for attrs, body in _SVG.findall(html):
        label = _LABEL.search(attrs)
        if 'class="pk-chart"' in attrs and 'role="img"' in attrs and label:
            found.append((label[1], body))
    return found


def _execute(name: str, out_dir: Path, **parameters) -> tuple[nbformat.NotebookNode, str]:
    """Run a notebook (from an unrelated folder) and export it as a reader gets it."""
    out = out_dir / f"{name}.ipynb"
    pm.execute_notebook(
        NOTEBOOKS / f"{name}.ipynb",
        out,
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=str(out_dir),
    )
    nb = nbformat.read(out, as_version=4)
    shown = nbformat.from_dict(nb)  # the cells tagged remove-cell (the notebook's own guide) go,
    shown.cells = [c for c in nb.cells if "remove-cell" not in c.metadata.get("tags", [])]
    html, _ = HTMLExporter(exclude_input=True).from_notebook_node(shown)  # as perfkit's export
    return nb, html


def _streams_and_errors(nb: nbformat.NotebookNode) -> list[dict]:
    return [
        o
        for cell in nb.cells
        for o in cell.get("outputs", [])
        if o["output_type"] in ("stream", "error")
    ]


@pytest.fixture(scope="module")
def unit_report(tmp_path_factory):
    return _execute("unit_report", tmp_path_factory.mktemp("unit"), data=str(SAMPLE),
                    year=2022, unit_code=SEED_UNIT, rules="mof2020")  # fmt: skip


@pytest.fixture(scope="module")
def overview(tmp_path_factory):
    out = tmp_path_factory.mktemp("overview")
    status = out / "status.json"
    entries = [
        {"unit_code": SEED_UNIT, "unit_name": SEED_NAME, "href": f"{SEED_UNIT}.html",
         "status": "ok", "error": ""},
        {"unit_code": "SZ002", "unit_name": "苏州市公共阅读服务中心", "href": "",
         "status": "failed", "error": "第 3 个单元格出错：KeyError"},
    ]  # fmt: skip
    status.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    # `data` is left at its default ("../data/sample"): found from the source tree
    return _execute("overview", out, status=str(status))


def _seed_total() -> tuple[str, str]:
    """The seed unit's total and grade, from the CSV files, by the mof2020 rules."""
    budget = pd.read_csv(SAMPLE / "budget.csv", encoding="utf-8-sig")
    # the unit's own 部门整体 rows: rows with a 项目编码 are its projects' tables (issue 11)
    budget = budget[budget["项目编码"].isna()]
    rows = budget[budget["单位编码"] == SEED_UNIT]
    rate = rows["全年执行数"].sum() / rows["全年预算数"].sum()  # 768.00 / 800.00 = 0.96
    execution = min(rate, 1) * 10  # 9.60
    indicators = pd.read_csv(SAMPLE / "indicators.csv", encoding="utf-8-sig")
    indicators = indicators[indicators["项目编码"].isna()]
    ind = indicators[indicators["单位编码"] == SEED_UNIT]
    # every indicator of the seed unit is met (230余件 ≥ 150件, 0次 = 0次, 96% ≥ 90%, the three
    # qualitative ones 达成年度指标 …), so each earns its full weight: 90 in all
    assert ind["分值"].sum() == 90
    total = round(execution + ind["分值"].sum(), 2)  # 99.60
    return f"{total:.2f}", "优" if total >= 90 else "良"


def test_unit_report_shows_the_seed_structure(unit_report):
    _, html = unit_report
    for heading in HEADINGS:
        assert heading in html
    positions = [html.index(f">{h}<") for h in HEADINGS]
    assert positions == sorted(positions)
    assert f"{SEED_NAME} 2022年度 部门（单位）整体支出预算绩效自评报告" in html
    total, grade = _seed_total()
    assert (total, grade) == ("99.60", "优")
    assert f"<td>{total} 分</td><td>{grade}</td>" in html  # up front
    assert f"自评总分 {total} 分" in html and f"自评等级为“{grade}”" in html
    assert FICTIONAL in html
    assert "党团经费预算执行率为 45.00%" in html  # a finding, in section 三
    assert "目　录" in html and 'href="#pk-appendix"' in html
    assert "数据指纹：" in html and "评分规则：财政部 财预〔2020〕10号（默认）" in html


def test_unit_report_charts_are_inline_svg_whose_text_is_text(unit_report):
    _, html = unit_report
    titles = ["图1 各项目预算执行率", "图2 月度累计执行进度与序时进度", "图3 定量指标完成率",
              "图4 各部分得分与分值"]  # fmt: skip
    found = _charts(html)
    assert [name for name, _ in found] == titles  # execution, monthly progress, completion, parts
    assert not PNG.findall(html)
    body = {name: svg for name, svg in found}
    # the labels are text, in Chinese, drawn by the page's font: item names, months, legends
    assert "<text" in body[titles[0]] and ">党团经费<" in body[titles[0]]
    assert ">低于 90%<" in body[titles[0]] and ">12月<" in body[titles[1]]
    assert ">各部分得分与分值<" in body[titles[3]] and ">得分<" in body[titles[3]]
    for _, svg in found:
        assert "<script" not in svg and "<metadata" not in svg and "http" not in svg
        assert "<image" not in svg and "<path" in svg  # drawn, not a picture inside


def test_unit_report_has_no_code_errors_or_stray_output(unit_report):
    nb, html = unit_report
    assert _streams_and_errors(nb) == []
    assert "Traceback" not in html
    assert "from perfkit import" not in html and "api.unit_detail" not in html
    assert 'class="jp-InputArea' not in html
    assert "injected-parameters" not in [c.id for c in nb.cells if c.get("outputs")]
    # each chart's title is its accessible name, in the notebook's output as in the page
    names = [
        name
        for cell in nb.cells
        for o in cell.get("outputs", [])
        for name, _ in _charts(o.get("data", {}).get("text/html", ""))
    ]
    assert names[0] == "图1 各项目预算执行率"


def test_overview_ranks_links_and_reports_failures(overview):
    nb, html = overview
    assert _streams_and_errors(nb) == []
    assert "Traceback" not in html
    assert "2022年度 部门（单位）整体支出绩效自评 汇总" in html
    assert FICTIONAL in html
    units = pd.read_csv(SAMPLE / "units.csv", encoding="utf-8-sig")
    for name in units["单位名称"]:
        assert name in html
    assert f'href="{SEED_UNIT}.html"' in html  # from the status file
    # no status entry: this run made no report for it, so it is not linked
    assert 'href="SZ003.html"' not in html
    assert "本次未生成" in html
    assert 'href="SZ002.html"' not in html  # failed: not linked
    assert "第 3 个单元格出错：KeyError" in html
    assert len(PNG.findall(html)) == 3  # grades, execution against score, findings
