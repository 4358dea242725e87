"""Every page renders for any subset of a dataset (issue 16 item 1): projects only (the most
common real publication), units only, one unit, one project, a year of a single budget row and a
single indicator row (:mod:`subsets`).

``perfkit render`` runs on each subset as a user runs it and must exit 0 having written every
page the data calls for (a unit's report for each unit with a 部门整体 table that year, a
project's for each project with rows, the year's index, the projects page when the year has
projects). Every page must read as Chinese without gaps: no "nan", "None" or "inf", no table
without rows, no chart caption without its chart and no chart without data; an empty section says
so in a sentence. The department pages (written above 200 units a year) are built on every
subset with the threshold at 0, and one is rendered from its notebook.

Expected figures are worked out by hand in :mod:`subsets` and data/sample/README.md.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import subsets
from click.testing import CliRunner

from perfkit import api, report
from perfkit.cli import cli
from perfkit.report.departments import plan

pytestmark = pytest.mark.slow
#: what a page never shows a reader (a Chinese character next to "nan" is a word character too:
#: only Latin letters around it make it part of a word)
GAPS = re.compile(r"(?<![A-Za-z])(?:nan|NaN|None|inf|undefined)(?![A-Za-z])|总分 — 分")


@dataclass
class Rendered:
    name: str
    data: Path
    out: Path


@pytest.fixture(params=list(subsets.SUBSETS))
def data(request, tmp_path) -> Path:
    """A subset of data/sample (:mod:`subsets`), written as a CSV folder."""
    return subsets.SUBSETS[request.param](tmp_path / request.param)


def _rows(data: Path, name: str) -> list[dict[str, str]]:
    with open(data / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def expected_pages(data: Path) -> set[str]:
    """The pages the data calls for, read from its CSV files (not from perfkit)."""
    pages: set[str] = set()
    for name in ("budget.csv", "indicators.csv"):
        for r in _rows(data, name):
            year, unit, project = r["年度"], r["单位编码"], r.get("项目编码", "")
            pages.add(f"{year}/index.html")
            if project:
                pages |= {f"{year}/{unit}/{project}.html", f"{year}/projects.html"}
            else:
                pages.add(f"{year}/{unit}.html")
    return pages


class Page(HTMLParser):
    """What a reader sees of a page: its text (charts' text included), its tables' body rows,
    its figure captions, its charts (inline SVG or PNG) and whether it is an error page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.bodies: list[int] = []
        self.captions = 0
        self.charts = 0
        self.error_page = False
        self._skip = 0
        self.feed(html)
        self.text = "\n".join(t.strip() for t in self.texts if t.strip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if tag in ("style", "script", "title"):
            self._skip += 1
        elif tag == "tbody":
            self.bodies.append(0)
        elif tag == "tr" and self.bodies:
            self.bodies[-1] += 1
        elif "pk-figcaption" in classes:
            self.captions += 1
        elif (tag == "svg" and "pk-chart" in classes) or (
            tag == "img" and (found.get("src") or "").startswith("data:image/png")
        ):
            self.charts += 1
        elif "pk-page-error" in classes:
            self.error_page = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.texts.append(data)


def _pages(out: Path) -> dict[str, Page]:
    return {
        str(p.relative_to(out)): Page(p.read_text(encoding="utf-8"))
        for p in sorted(out.rglob("*.html"))
        if "notebooks" not in p.relative_to(out).parts
    }


def assert_reads_without_gaps(name: str, page: Page) -> None:
    assert not page.error_page, f"{name}: error page\n{page.text[:2000]}"
    gaps = GAPS.findall(page.text)
    assert gaps == [], f"{name}: {gaps}"
    assert 0 not in page.bodies, f"{name}: a table without rows"
    assert page.captions == page.charts, f"{name}: {page.captions} captions, {page.charts} charts"


def test_every_page_renders_and_reads_without_gaps(data, tmp_path):
    """One render per subset, every check on it (the tests share no render: pytest-xdist's
    groups do not hold with this pytest)."""
    out = tmp_path / "reports"
    args = ["render", str(data), "--out", str(out), "--jobs", "1", "--no-progress"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    pages = _pages(out)
    assert set(pages) == expected_pages(data)
    for name, page in pages.items():
        assert_reads_without_gaps(name, page)
    reads_as_its_data_says(Rendered(data.name, data, out))


def _text(rendered: Rendered, page: str) -> str:
    return Page((rendered.out / page).read_text(encoding="utf-8")).text.replace("\n", "")


def reads_as_its_data_says(rendered: Rendered) -> None:
    """Sentences and figures worked out by hand (subsets.py, data/sample/README.md)."""
    if rendered.name == "projects_only":
        for year, units, projects in ((2021, 2, 5), (2022, 3, 7)):
            index = _text(rendered, f"{year}/index.html")
            assert (
                f"{year}年度没有单位开展部门整体支出绩效自评；"
                f"共有 {units} 个单位的 {projects} 个项目开展项目支出绩效自评，"
                "见四、项目支出绩效自评情况。"
            ) in index
            assert f"{year}年度没有单位开展部门整体支出绩效自评，无自评结果排名。" in index
            assert f"{year}年度没有单位开展部门整体支出绩效自评，无图表分析。" in index
            assert "各项目发现的问题见各项目的自评报告" in index
            assert "表1 各单位项目支出绩效自评情况" in index  # the first table shown
            # the title says what the year holds; the projects page links back by that title
            assert f"{year}年度 预算绩效自评 汇总" in index
            projects = _text(rendered, f"{year}/projects.html")
            assert f"返回 {year}年度 预算绩效自评 汇总" in projects
            assert "整体支出绩效自评 汇总" not in projects
        # SZ001's two projects, 97.60 and 99.19 (README): average 98.395 → 98.40
        assert "SZ001苏州市智慧审判保障中心2" in _text(rendered, "2021/index.html")
        assert "98.4099.1997.60优 2 个" in _text(rendered, "2021/index.html")
    elif rendered.name == "units_only":
        assert not (rendered.out / "2022" / "projects.html").exists()
        index = _text(rendered, "2022/index.html")
        # SZ001 99.60, SZ002 96.90, SZ008 77.49 (README): 273.99 / 3 = 91.33
        assert "2022年度共有 3 个单位开展部门整体支出绩效自评，平均总分 91.33 分" in index
        assert "四、项目支出绩效自评情况" not in index
    elif rendered.name == "one_unit":
        index = _text(rendered, "2022/index.html")
        assert "2022年度共有 1 个单位开展部门整体支出绩效自评，平均总分 99.60 分" in index
        assert "2022年度 部门（单位）整体支出绩效自评 汇总" in index
        assert "返回 2022年度 部门（单位）整体支出绩效自评 汇总" in _text(
            rendered, "2022/projects.html"
        )
        assert "共有 1 个单位的 2 个项目开展项目支出绩效自评" in index
    elif rendered.name == "one_project":
        index = _text(rendered, "2022/index.html")
        assert "2022年度没有单位开展部门整体支出绩效自评；共有 1 个单位的 1 个项目" in index
        # SZ013/P01 (README): 9.60 + 86.60 = 96.20 优
        assert "96.20" in _text(rendered, "2022/SZ013/P01.html")
        assert "2022年度共有 1 个单位的 1 个项目开展项目支出绩效自评，平均总分 96.20 分" in (
            _text(rendered, "2022/projects.html")
        )
    elif rendered.name == "single_rows":
        unit = _text(rendered, "2021/U01.html")
        assert "99.50" in unit and "95.00%" in unit and "优" in unit
        assert "2021年度共有 1 个单位开展部门整体支出绩效自评，平均总分 99.50 分" in (
            _text(rendered, "2021/index.html")
        )
        project = _text(rendered, "2022/U01/P01.html")
        assert "75.50" in project and "67.50" in project and "80.00%" in project
        # no 年度总体目标: said for the project, and the indicators' table follows 表1
        assert "本项目未填报年度总体目标。" in project and "本单位" not in project
        assert "表2 绩效指标完成情况" in project and "表3" not in project
        assert "2022年度没有单位开展部门整体支出绩效自评；共有 1 个单位的 1 个项目" in (
            _text(rendered, "2022/index.html")
        )
    else:  # pragma: no cover - a subset added without its sentences
        pytest.fail(f"no expectations for {rendered.name}")


def _department_blocks(ov: api.Overview) -> list[tuple[str, str]]:
    """What department_overview.ipynb shows, block by block, charts drawn."""
    shown = [
        ("title", report.department_title(ov)),
        ("failed", report.failed_units(ov) + report.failed_projects(ov)),
        ("ranking", report.ranking_table(ov)),
        ("charts", report.overview_charts_heading(ov)),
        *[("chart", report.figure_caption(c) + _drawn(c)) for c in report.overview_charts(ov)],
        ("findings", report.findings_summary(ov)),
        ("projects", report.project_summary(ov)),
        ("project ranking", report.department_project_ranking(ov)),
    ]
    return shown


def _drawn(chart: report.Chart) -> str:
    """A stand-in for the drawn chart, once it was drawn (as Page counts charts)."""
    figure = chart.make()
    assert figure.axes, chart.title
    return '<img src="data:image/png;base64,">'


def _split_index_blocks(ov: api.Overview) -> list[tuple[str, str]]:
    """What overview.ipynb and project_overview.ipynb show of a split year."""
    return [
        ("title", report.overview_title(ov)),
        ("ranking", report.ranking_table(ov)),
        ("charts", report.overview_charts_heading(ov)),
        *[("chart", report.figure_caption(c) + _drawn(c)) for c in report.overview_charts(ov)],
        ("findings", report.findings_summary(ov)),
        ("projects", report.project_summary(ov)),
        ("projects page title", report.projects_title(ov)),
        ("projects page", report.project_ranking(ov)),
    ]


def test_department_pages_with_a_low_threshold_read_without_gaps(data):
    ds = api.load(data)
    for year in ds.years:
        ov = api.overview(ds, year, threshold=0)
        assert ov.departments == plan(ds, year, threshold=0) != []
        html = "".join(b for _, b in _split_index_blocks(ov))
        assert_reads_without_gaps(f"{year} index, split", Page(html))
        for dep in ov.departments:
            page = api.overview(ds, year, department=dep.name)
            html = "".join(b for _, b in _department_blocks(page))
            assert_reads_without_gaps(f"{year} {dep.name}", Page(html))
            if page.units.empty:
                assert "没有单位开展部门整体支出绩效自评" in Page(html).text


def test_department_page_of_projects_only_renders_from_its_notebook(tmp_path):
    import nbformat
    import papermill

    from perfkit.rendering import htmlexport
    from perfkit.rendering.pipeline import NOTEBOOKS

    data = subsets.projects_only(tmp_path / "data")
    ds = api.load(data)
    dep = plan(ds, 2021, threshold=0)[0]
    nb = nbformat.read(NOTEBOOKS / "department_overview.ipynb", as_version=4)
    nb.metadata["title"] = dep.title(2021)
    executed = papermill.execute_notebook(
        nb, str(tmp_path / "department.ipynb"), kernel_name="python3", progress_bar=False,
        parameters={"data": str(data), "year": 2021, "rules": "mof2020",
                    "status": "", "department": dep.name},
    )  # fmt: skip
    html = htmlexport.export_html(executed, name=dep.id)
    assert htmlexport.assert_self_contained(html) == []
    page = Page(html)
    assert_reads_without_gaps(dep.href, page)
    assert f"2021年度{dep.name}所属单位中没有单位开展部门整体支出绩效自评" in page.text
    assert "2021年度没有单位开展部门整体支出绩效自评，无图表分析。" in page.text
    assert "五、项目自评结果排名" in page.text
