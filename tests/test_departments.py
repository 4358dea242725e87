"""Indexes that hold at 10,000 units (issue 12): above 200 units a year, the index and the
projects page list 主管部门, each with a page of its own (departments/<id>.html).

The dataset is made here, with figures worked out by hand: 201 units, each with one budget row
(全年预算数 100 万元) and one indicator ("≥100件", 分值 90), so that a unit's total is
执行率 × 10 + 90 × 实际/100:

- 甲局: 120 units, all spent, 100件 → 10 + 90 = 100.00 (优);
- 乙局: 60 units: 30 spent 80 of 100 with 80件 → 8 + 72 = 80.00 (良), 30 spent 100 with 50件
  → 10 + 45 = 55.00 (差); average (30 × 80 + 30 × 55) / 60 = 67.50; execution 5,400 / 6,000;
- 丙局: 15 units, all spent, 60件 → 10 + 54 = 64.00 (中);
- 6 units with a blank 主管部门 ("未填写主管部门"), all spent, 70件 → 73.00 (中).

Projects: A001 has P01 (all spent, 100件: 100.00) and P02 (80 of 100, 80件: 80.00); B001 has
P01 (all spent, 50件: 55.00).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd
import pytest

from perfkit import api, report
from perfkit.core.problems import UsageError
from perfkit.data.demo import _departments
from perfkit.report import charts, departments

YEAR = 2022
#: (department, units, executed of 100, actual 件 of 100)
GROUPS = (
    ("甲局", "A", 120, [(100, 100)]),
    ("乙局", "B", 60, [(80, 80), (100, 50)]),
    ("丙局", "C", 15, [(100, 60)]),
    ("", "N", 6, [(100, 70)]),
)
#: (unit, project, executed of 100, actual 件 of 100)
PROJECTS = (("A001", "P01", 100, 100), ("A001", "P02", 80, 80), ("B001", "P01", 100, 50))
MAX_PAGE = 1.5 * 1024 * 1024


def _write(folder: Path, name: str, rows: list[list[str]]) -> None:
    with open(folder / name, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def write_dataset(folder: Path) -> Path:
    """The dataset described above, as a CSV folder."""
    folder.mkdir(parents=True, exist_ok=True)
    units = [["单位编码", "单位名称", "主管部门"]]
    budget = [["年度", "单位编码", "项目编码", "项目", "全年预算数", "全年执行数"]]
    indicators = [["年度", "单位编码", "项目编码", "一级指标", "二级指标", "三级指标", "年度指标值",
                   "实际完成值", "分值"]]  # fmt: skip
    for department, prefix, n, kinds in GROUPS:
        for i in range(1, n + 1):
            code = f"{prefix}{i:03d}"
            executed, actual = kinds[(i - 1) * len(kinds) // n]
            units.append([code, f"{department or '无部门'}第{i}单位", department])
            budget.append([str(YEAR), code, "", "基本支出", "100", str(executed)])
            indicators.append([str(YEAR), code, "", "产出指标", "数量指标", "办结数", "≥100件",
                               f"{actual}件", "90"])  # fmt: skip
    goals = [["年度", "单位编码", "项目编码", "预期目标", "实际完成情况"]]
    goals += [[str(YEAR), row[0], "", "完成年度工作", "已完成"] for row in units[1:]]
    projects = [["单位编码", "项目编码", "项目名称"]]
    for unit, project, executed, actual in PROJECTS:
        projects.append([unit, project, f"{unit}的{project}项目"])
        goals.append([str(YEAR), unit, project, "完成项目", "已完成"])
        budget.append([str(YEAR), unit, project, "项目经费", "100", str(executed)])
        indicators.append([str(YEAR), unit, project, "产出指标", "数量指标", "完成数", "≥100件",
                           f"{actual}件", "90"])  # fmt: skip
    for name, rows in (("units.csv", units), ("budget.csv", budget),
                       ("indicators.csv", indicators), ("goals.csv", goals),
                       ("projects.csv", projects)):  # fmt: skip
        _write(folder, name, rows)
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("departments") / "data")


@pytest.fixture(scope="module")
def ds(data):
    return api.load(data)


@pytest.fixture(scope="module")
def status_file(tmp_path_factory, ds) -> Path:
    """A status file as a full render writes it: every report written, one unit's failed."""
    failed = {"A002": "KeyError: 甲局第2单位", "C001": "KeyError: 丙局"}
    entries = [
        {"unit_code": code, "unit_name": "", "href": "", "error": failed.get(code, ""),
         "status": "failed" if code in failed else "ok"}
        for code in ds.units["unit_code"]
    ]  # fmt: skip
    entries += [
        {"unit_code": u, "unit_name": "", "href": "", "status": "ok", "error": "",
         "project_code": p, "project_name": ""}
        for u, p, _, _ in PROJECTS
    ]  # fmt: skip
    path = tmp_path_factory.mktemp("status") / "status.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


class _Reader(HTMLParser):
    """Table rows as lists of cell texts, and every link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    return reader


def _id(name: str) -> str:
    return hashlib.blake2b(name.encode("utf-8"), digest_size=6).hexdigest()


# --- the plan ------------------------------------------------------------------------------------


def test_plan_lists_every_department_with_its_units(ds):
    pages = departments.plan(ds, YEAR)
    assert [(p.name, len(p.unit_codes)) for p in pages] == [
        ("丙局", 15),  # name order (by code point: 丙 U+4E19, 乙 U+4E59, 甲 U+7532)
        ("乙局", 60),
        ("甲局", 120),
        ("未填写主管部门", 6),  # the blank ones last
    ]
    assert pages[2].unit_codes[:2] == ("A001", "A002")
    assert pages[3].unit_codes == tuple(f"N{i:03d}" for i in range(1, 7))
    for page in pages:  # a stable, file-safe id from the name alone
        assert re.fullmatch(r"[0-9a-f]{12}", page.id)
        assert page.id == _id(page.name)
        assert page.href == f"departments/{page.id}.html"
    assert len({p.id for p in pages}) == 4
    assert pages[2].title(YEAR) == "2022年度 甲局所属单位 整体支出绩效自评 汇总"
    assert pages[3].title(YEAR) == "2022年度 未填写主管部门的单位 整体支出绩效自评 汇总"


def test_up_to_200_units_there_is_no_department_page(ds, sample_dataset):
    assert departments.plan(sample_dataset, YEAR) == []
    assert api.overview(sample_dataset, YEAR).departments == []
    groups = departments.unit_departments(ds)
    codes = sorted(groups)
    assert len(codes) == 201
    assert departments.group(codes[:200], groups) == []
    assert len(departments.group(codes, groups)) == 4
    assert departments.plan(ds, YEAR, threshold=201) == []
    assert departments.plan(ds, 2021) == []  # no unit that year


def test_department_names_are_stripped_and_blank_ones_grouped():
    assert departments.department_name("  甲局 ") == "甲局"
    assert departments.department_name("") == departments.UNFILLED
    assert departments.department_name(float("nan")) == departments.UNFILLED
    assert departments.department_id(" 甲局") == departments.department_id("甲局") == _id("甲局")


# --- the index and the projects page above the threshold --------------------------------------


def test_index_lists_departments_with_counts_averages_and_grades(ds, status_file):
    ov = api.overview(ds, YEAR, status=status_file)
    assert [d.name for d in ov.departments] == ["丙局", "乙局", "甲局", "未填写主管部门"]
    page = read(report.ranking_table(ov))
    body = [row[:9] for row in page.rows[1:]]
    assert body == [
        # 排名, 主管部门, 单位数, 全年预算数, 执行率, 平均总分, 最高分, 最低分, 等级分布
        ["1", "甲局", "120", "12,000.00", "100.00%", "100.00", "100.00", "100.00", "优 120 个"],
        ["2", "乙局", "60", "6,000.00", "90.00%", "67.50", "80.00", "55.00", "良 30 个、差 30 个"],
        ["3", "丙局", "15", "1,500.00", "100.00%", "64.00", "64.00", "64.00", "中 15 个"],
        ["—", "未填写主管部门", "6", "600.00", "100.00%", "73.00", "73.00", "73.00", "中 6 个"],
    ]
    names = {d.name: d for d in ov.departments}
    assert page.links == [names[n].href for n in ("甲局", "乙局", "丙局", "未填写主管部门")]
    text = report.ranking_table(ov)
    assert "201 个单位分属 3 个主管部门" in text and "另有 6 个单位未填写主管部门" in text
    assert "A001" not in text  # no unit row on the index
    # the title's figures are the whole year's, as before
    title = report.overview_title(ov)
    assert "共有 201 个单位" in title and "优 120 个、良 30 个、中 21 个、差 30 个" in title


def test_index_links_departments_only_after_a_render(ds):
    ov = api.overview(ds, YEAR)  # no status: a notebook opened in JupyterLab
    assert read(report.ranking_table(ov)).links == []
    assert read(report.project_summary(ov)).links == []
    assert read(report.project_ranking(ov)).links == []


def test_index_projects_per_department(ds, status_file):
    ov = api.overview(ds, YEAR, status=status_file)
    html = report.project_summary(ov)
    page = read(html)
    assert page.rows[1:] == [
        # 主管部门, 单位数, 项目数, 全年预算数, 平均总分, 最高分, 最低分, 等级分布
        ["乙局", "1", "1", "100.00", "55.00", "55.00", "55.00", "差 1 个"],
        ["甲局", "1", "2", "200.00", "90.00", "100.00", "80.00", "优 1 个、良 1 个"],
    ]
    names = {d.name: d for d in ov.departments}
    assert page.links == [
        "projects.html",
        f"{names['乙局'].href}#pk-dept-projects",
        f"{names['甲局'].href}#pk-dept-projects",
    ]
    assert "共有 2 个单位的 3 个项目" in html


def test_projects_page_lists_departments_not_projects(ds, status_file):
    ov = api.overview(ds, YEAR, status=status_file)
    html = report.project_ranking(ov)
    page = read(html)
    assert [row[:10] for row in page.rows[1:]] == [
        # 排名, 主管部门, 单位数, 项目数, 全年预算数, 执行率, 平均总分, 最高分, 最低分, 等级分布
        ["1", "甲局", "1", "2", "200.00", "90.00%", "90.00", "100.00", "80.00", "优 1 个、良 1 个"],
        ["2", "乙局", "1", "1", "100.00", "100.00%", "55.00", "55.00", "55.00", "差 1 个"],
    ]
    assert "P01" not in html and "全部 3 个项目的实施单位分属 2 个主管部门" in html


def test_at_200_units_the_index_is_as_before(ds, status_file):
    ov = api.overview(ds, YEAR, status=status_file, threshold=201)
    assert ov.departments == []
    html = report.ranking_table(ov)
    assert "一、自评结果排名" in html and len(read(html).rows) == 1 + 201
    assert report.project_ranking(ov).count("<tr>") == 1 + 3


# --- the department page ------------------------------------------------------------------------


def test_department_overview_scores_its_units_only(ds, status_file):
    ov = api.overview(ds, YEAR, status=status_file, department="乙局")
    assert ov.department == "乙局" and ov.departments == []
    assert sorted(ov.units["unit_code"]) == [f"B{i:03d}" for i in range(1, 61)]
    assert list(ov.projects["unit_code"]) == ["B001"]
    assert ov.units["total"].mean() == pytest.approx(67.5)
    blank = api.overview(ds, YEAR, department="未填写主管部门")
    assert sorted(blank.units["unit_code"]) == [f"N{i:03d}" for i in range(1, 7)]
    with pytest.raises(UsageError, match="没有主管部门为“丁局”的单位；可选主管部门：丙局、乙局"):
        api.overview(ds, YEAR, department="丁局")


def test_department_page_blocks_link_one_folder_up(ds, status_file):
    ov = api.overview(ds, YEAR, status=status_file, department="甲局")
    title = report.department_title(ov)
    assert "<h1>2022年度 甲局所属单位 整体支出绩效自评 汇总</h1>" in title
    assert "共有 120 个单位" in title and "平均总分 100.00 分" in title
    assert read(title).links == ["#pk-dept-projects", "../index.html"]
    ranking = read(report.ranking_table(ov))
    assert len(ranking.rows) == 1 + 120
    # A002 failed: listed, not linked
    assert ranking.links[:2] == ["../A001.html", "../A003.html"] and len(ranking.links) == 119
    failed = report.failed_units(ov)
    assert "A002" in failed and "C001" not in failed  # another department's failure
    projects = read(report.department_project_ranking(ov))
    assert projects.ids == {"pk-dept-projects"}
    assert projects.links == ["../A001/P01.html", "../A001/P02.html"]
    summary = read(report.project_summary(ov))
    assert summary.links == ["#pk-dept-projects"]
    assert (
        report.department_project_ranking(api.overview(ds, YEAR, department="丙局")) == ""
    )  # no project


# --- charts ---------------------------------------------------------------------------------------


def test_dense_scatter_is_raster_and_names_only_the_lowest():
    rng = np.random.default_rng(0)
    n = 5000
    units = pd.DataFrame({
        "execution_rate": rng.uniform(0.5, 1.0, n),
        "total": rng.uniform(60, 100, n),
        "grade": "优",
        "unit_name": [f"单位{i}" for i in range(n)],
    })  # fmt: skip
    units.loc[17, ["total", "execution_rate"]] = [20.0, 0.3]  # the lowest: named
    fig = charts.execution_vs_score(units, ["优", "良", "中", "差"])
    ax = fig.axes[0]
    assert all(c.get_rasterized() for c in ax.collections)
    assert sum(len(c.get_offsets()) for c in ax.collections) == n
    labels = [t.get_text() for t in ax.texts]
    assert "单位17" in labels and 1 <= len(labels) <= charts.OUTLIERS
    assert "5000 个点" in ax.get_title()
    small = charts.execution_vs_score(units.head(20), ["优", "良", "中", "差"])
    assert not any(c.get_rasterized() for c in small.axes[0].collections)
    assert "个点" not in small.axes[0].get_title()


# --- the demo data ------------------------------------------------------------------------------


def test_demo_fills_departments_as_a_province_has_them():
    names = _departments(0, 10_000, np.random.default_rng(0))
    assert (names == _departments(0, 10_000, np.random.default_rng(0))).all()  # deterministic
    sizes = np.unique(names[names != ""], return_counts=True)[1]
    assert 300 <= len(sizes) <= 500  # some hundreds of 主管部门
    assert sizes.min() >= 1 and 100 <= sizes.max() <= 400
    assert 10 <= (names == "").sum() <= 100  # a few left blank
    assert len(set(_departments(1, 10_000, np.random.default_rng(0)))) > 300


# --- the notebooks, rendered as the pipeline renders them --------------------------------------


def _render(notebook: str, out: Path, page: Path, title: str, **parameters: object) -> str:
    import nbformat
    import papermill

    from perfkit.rendering import htmlexport
    from perfkit.rendering.pipeline import NOTEBOOKS

    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    nb.metadata["title"] = title
    executed = papermill.execute_notebook(
        nb, str(out / "notebooks" / page.with_suffix(".ipynb").name), parameters=parameters,
        kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOKS),
    )  # fmt: skip
    html = htmlexport.export_html(executed, name=page.stem)
    assert htmlexport.assert_self_contained(html) == []
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(html, encoding="utf-8")
    return html


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, data, ds, status_file) -> Path:
    """The year's folder as a render leaves it: reports (stand-ins), index, projects page and
    the department pages, the last three from the notebooks."""
    out = tmp_path_factory.mktemp("reports") / str(YEAR)
    (out / "notebooks").mkdir(parents=True)
    for code in ds.units["unit_code"]:
        (out / f"{code}.html").write_text("report", encoding="utf-8")
    for unit, project, _, _ in PROJECTS:
        (out / unit).mkdir(exist_ok=True)
        (out / unit / f"{project}.html").write_text("report", encoding="utf-8")
    common = {"data": str(data), "year": YEAR, "rules": "mof2020", "status": str(status_file)}
    _render("overview.ipynb", out, out / "index.html", "index", **common)
    _render("project_overview.ipynb", out, out / "projects.html", "projects", **common)
    for dep in departments.plan(ds, YEAR):
        _render("department_overview.ipynb", out, out / dep.href, dep.title(YEAR),
                department=dep.name, **common)  # fmt: skip
    return out


@pytest.mark.slow
@pytest.mark.xdist_group("departments")
def test_every_link_of_the_rendered_pages_resolves(rendered):
    pages = [rendered / "index.html", rendered / "projects.html",
             *sorted((rendered / "departments").glob("*.html"))]  # fmt: skip
    assert len(pages) == 2 + 4
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert len(html.encode("utf-8")) < MAX_PAGE
        for href in read(html).links:
            parts = urlsplit(href)
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.name}: {href}"
            if parts.fragment:
                assert parts.fragment in read(target.read_text(encoding="utf-8")).ids, href


@pytest.mark.slow
@pytest.mark.xdist_group("departments")
def test_rendered_department_page_shows_its_units_and_projects(rendered, ds):
    dep = next(d for d in departments.plan(ds, YEAR) if d.name == "乙局")
    html = (rendered / dep.href).read_text(encoding="utf-8")
    assert "<title>2022年度 乙局所属单位 整体支出绩效自评 汇总</title>" in html
    for heading in ("一、自评结果排名", "二、图表分析", "三、存在问题汇总",
                    "四、项目支出绩效自评情况", "五、项目自评结果排名"):  # fmt: skip
        assert heading in html
    assert "共有 60 个单位" in html and "平均总分 67.50 分" in html
    assert "A001" not in html and 'href="../B001/P01.html"' in html
    index = (rendered / "index.html").read_text(encoding="utf-8")
    assert "一、各主管部门自评情况" in index and f'href="{dep.href}"' in index
    assert "B001" not in index


def test_a_department_of_project_only_units_is_left_out_of_the_units_table(ds):
    ov = api.overview(ds, YEAR)
    ov.departments.append(departments.Department(departments.department_id("丁局"), "丁局", ()))
    assert [r["name"] for r in departments.department_ranking_view(ov)["rows"]] == [
        "甲局", "乙局", "丙局", "未填写主管部门"
    ]  # fmt: skip
    assert departments.department_ranking_view(ov)["n_departments"] == 3


@pytest.mark.slow
@pytest.mark.xdist_group("departments")
def test_render_writes_department_pages_and_renders_again_only_the_changed_one(tmp_path):
    """perfkit render: the department pages after the year's reports, linked from the index;
    one changed unit renders its report, the index and its own department's page only."""
    from perfkit.rendering.pipeline import render

    data = write_dataset(tmp_path / "data")
    out = tmp_path / "reports"
    one = render(data, out=out, units=["B001", "A005"], jobs=2, progress=False)
    assert one.exit_code == 0, one.summary()
    deps = {d.name: d for d in departments.plan(api.load(data), YEAR)}
    assert sorted(r.unit_name for r in one.department_pages) == sorted(deps)
    year = out / str(YEAR)
    for dep in deps.values():
        assert (year / dep.href).is_file()
        assert (out / "_internal" / str(YEAR) / "departments" / f"{dep.id}.ipynb").is_file()
    index = (year / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{dep.href}"' in index for dep in deps.values())
    page = (year / deps["乙局"].href).read_text(encoding="utf-8")
    assert 'href="../B001.html"' in page and 'href="../B001/P01.html"' in page

    # 甲局第5单位 changes: its report, the index and 甲局's page; 乙局's page is left alone
    path = data / "indicators.csv"
    text = path.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith(f"{YEAR},A005,"))
    path.write_text(text.replace(row, row.replace("件", "件（复核）")), encoding="utf-8")
    two = render(data, out=out, units=["B001", "A005"], jobs=2, progress=False)
    assert two.exit_code == 0, two.summary()
    rendered = {(r.kind, r.unit_code) for r in two.rendered}
    assert rendered == {("unit", "A005"), ("index", "index"), ("department", deps["甲局"].id)}
