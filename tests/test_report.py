"""The report's sentences and tables (perfkit.report.blocks) and narrative rendering
(perfkit.report.markdown).

The numbers are worked out by hand from the small dataset below; hostile strings must come out
as inert text, checked by parsing the HTML (tags and attributes), not with a regex.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from factories import budget_row, indicator_row, make_dataset, monthly_row

from perfkit import __version__, api, report
from perfkit.api import Overview, UnitStatus
from perfkit.data import fingerprints
from perfkit.data.contract import Narrative
from perfkit.report import markdown
from perfkit.rules.rulebook import load_rulebook

HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "</table>",
)
SCRIPT, IMG, JS_LINK, END_TABLE = HOSTILE


class Tags(HTMLParser):
    """Every start tag with its attributes, every end tag, and the text, of an HTML string."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.ends: list[str] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        self.ends.append(tag)

    def handle_data(self, data):
        self.text.append(data)

    def tags(self) -> set[str]:
        return {tag for tag, _ in self.starts}

    def attributes(self) -> list[tuple[str, str, str | None]]:
        return [(tag, k, v) for tag, attrs in self.starts for k, v in attrs.items()]

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.starts if a.get("id")}

    def hrefs(self) -> list[str]:
        return [a["href"] or "" for tag, a in self.starts if tag == "a" and "href" in a]

    def all_text(self) -> str:
        return "".join(self.text)


def _unit(**overrides):
    unit = {
        "unit_code": "U1",
        "unit_name": "测试单位",
        "department": "测试局",
        "functions": "负责全市测试工作。",
        "internal_bodies": "综合科、业务科",
        "subordinate_units": "",
    }
    return {**unit, **overrides}


def _dataset(unit=None, monthly=None, narrative=None, reason="", names=None):
    """U1: 全年预算数 150, 执行 142.5 (95.00%); indicators 36 + 20 + 20 + 10 = 86.00;
    total 9.50 + 86.00 = 95.50 (优)."""
    names = names or {}
    ds = make_dataset(
        units=[unit or _unit()],
        budget=[
            budget_row("U1", "人员经费", 100, 100, initial=100),
            budget_row("U1", names.get("item", "党团经费"), 10, 4.5, initial=10),
            budget_row(
                "U1",
                "信息化运维",
                40,
                38,
                initial=0,
                fund_source="上年结转",
                expense_type="项目支出",
            ),
        ],
        indicators=[
            # 40 × 180 / 200 = 36.00; no 偏差原因 → also missing_deviation_reason
            indicator_row(
                "U1",
                names.get("level3", "办结案件数"),
                "≥200件",
                "180件",
                40,
                reason=reason,
                level2=names.get("level2", "数量指标"),
            ),
            # qualitative, tier A: 20 × 100% = 20.00 (listed between the two 产出 rows)
            indicator_row(
                "U1",
                "工作成效",
                "有效提升",
                "达成年度指标",
                20,
                level1="效益指标",
                level2="社会效益指标",
            ),
            indicator_row("U1", "检查合格率", "=100%", "100%", 20, level2="质量指标"),
            indicator_row(
                "U1",
                "服务对象满意度",
                "≥90%",
                "95%",
                10,
                level1="满意度指标",
                level2="服务对象满意度指标",
            ),
        ],
        goals=[
            {
                "year": 2022,
                "unit_code": "U1",
                "expected": names.get("goal", "完成全年测试任务"),
                "achieved": names.get("achieved", "已完成"),
            },
        ],
        monthly=monthly,
    )
    if narrative is not None:
        ds.narratives[(2022, "U1")] = narrative
    ds.fingerprint = "0123456789ab"
    ds.fictional = True
    return ds


@pytest.fixture(scope="module")
def detail():
    return api.unit_detail(_dataset(), 2022, "U1")


def _full(d) -> str:
    """Every block of a unit report, with the chart captions, as the notebook shows them."""
    captions = "".join(report.figure_caption(c) for c in report.unit_charts(d))
    return "".join(
        [
            report.fictional_banner(d),
            report.title_block(d),
            report.toc(d),
            report.overview_section(d),
            report.performance_section(d),
            captions,
            report.problems_section(d),
            report.disclosure_section(d),
            report.appendix_table(d),
            report.footer(d, datetime(2023, 3, 1, 9, 30)),
        ]
    )


# ---------------------------------------------------------------------------------------------
# numbers and words


def test_number_formats_round_half_up():
    assert report.money(1234.565) == "1,234.57"  # 四舍五入, not banker's rounding
    assert report.money(800) == "800.00"
    assert report.wan(12944.27) == "12,944.27 万元"
    assert report.rate(0.95225) == "95.23%"
    assert report.rate(1.0) == "100.00%"
    assert report.points(9.6) == "9.60"
    for missing in (np.nan, None):
        assert report.money(missing) == report.rate(missing) == report.points(missing) == "—"


def test_chinese_numbers():
    expected = {1: "一", 4: "四", 10: "十", 12: "十二", 20: "二十", 21: "二十一", 99: "九十九"}
    assert {n: report.chinese_number(n) for n in expected} == expected


# ---------------------------------------------------------------------------------------------
# the unit report, block by block


def test_title_block_puts_total_and_grade_up_front(detail):
    html = report.title_block(detail)
    assert "<h1>测试单位 2022年度 部门（单位）整体支出预算绩效自评报告</h1>" in html
    # 150 万元 budget, 142.5 executed: 95.00% → 9.50; indicators 86.00; total 95.50 → 优 (≥ 90)
    assert "<td>95.50 分</td><td>优</td><td>95.00%</td><td>86.00 / 90 分</td>" in html
    assert "主管部门：测试局" in html


def test_overview_section_describes_the_unit_and_its_budget(detail):
    html = report.overview_section(detail)
    assert report.SECTIONS["s1"] in html
    assert "负责全市测试工作。" in html
    assert "本单位内设机构包括：综合科、业务科。本单位无下属单位。" in html
    # 年初 110, 全年 150: +40 万元, 40 / 110 = 36.36%; 上年结转 40 / 150 = 26.67%
    assert (
        "2022年度，本单位年初预算数 110.00 万元，全年预算数 150.00 万元，全年执行数 142.50 万元，"
        "预算执行率 95.00%。全年预算数较年初预算数增加 40.00 万元，预算调整率 36.36%。"
        "全年预算数中上年结转资金 40.00 万元，占 26.67%。"
    ) in html
    # 财政拨款 first, as the data lists it: 110 / 110 / 104.5 → 95.00%
    fund = html[html.index("表1") : html.index("表2")]
    assert fund.index("财政拨款") < fund.index("上年结转")
    assert (
        '<td>财政拨款</td><td class="pk-num">110.00</td><td class="pk-num">110.00</td>'
        '<td class="pk-num">104.50</td><td class="pk-num">95.00%</td>'
    ) in fund
    items = html[html.index("表3") :]
    assert '<td>党团经费</td><td class="pk-num">10.00</td><td class="pk-num">10.00</td>' in items
    assert '<td class="pk-num">4.50</td><td class="pk-num">45.00%</td>' in items
    assert "<td>合计</td>" in items


def test_overview_section_reads_none_words_as_none():
    d = api.unit_detail(
        _dataset(unit=_unit(internal_bodies="无", subordinate_units="无下属单位")), 2022, "U1"
    )
    assert "本单位无内设机构。本单位无下属单位。" in report.overview_section(d)
    d = api.unit_detail(_dataset(unit=_unit(subordinate_units="测试分中心")), 2022, "U1")
    assert "本单位下属单位包括：测试分中心。" in report.overview_section(d)


def test_performance_section_states_the_figures_in_sentences(detail):
    html = report.performance_section(detail)
    assert report.SECTIONS["s2"] in html
    assert "全年预算数 150.00 万元，执行 142.50 万元，执行率 95.00%。" in html
    assert "预算执行率分值 10 分，得 9.50 分" in html
    assert "执行率低于 90% 的项目有 1 个：党团经费（45.00%）。" in html
    assert (
        "本单位共设置绩效指标 4 个，分值合计 90 分，其中定量指标 3 个、定性指标 1 个；"
        "达到年度指标值的 3 个，未达到的 1 个。"
    ) in html
    # 产出 36 + 20 = 56 of 60; 效益 20 of 20; 满意度 10 of 10
    assert (
        "绩效指标得分 86.00 分，其中产出指标得 56.00 分（分值 60 分），效益指标得 20.00 分"
        "（分值 20 分），满意度指标得 10.00 分（分值 10 分）。"
    ) in html
    assert (
        "自评总分 95.50 分（预算执行率得分 9.50 分，绩效指标得分 86.00 分），自评等级为“优”。"
        "等级标准：优 ≥ 90 分，良 ≥ 80 分，中 ≥ 60 分，差 &lt; 60 分。"
    ) in html
    assert "<td>完成全年测试任务</td><td>已完成</td>" in html
    # the indicator table: completion 180/200 = 90.00%, the rule text
    assert (
        '<td class="pk-num">90.00%</td><td class="pk-num">40</td><td class="pk-num">36.00</td>'
        in html
    )
    assert "得分 = 40 × 180 ÷ 200 = 36.00" in html
    assert "<td>达成年度指标</td>" in html  # a qualitative one shows its tier


def test_tables_are_numbered_over_the_tables_shown(detail, sample_dataset):
    """A unit or a project that gave no 年度总体目标 gets a sentence, and its next tables follow
    on without a gap (issue 16 item 1: any subset of a dataset reads as a report)."""
    html = report.performance_section(detail)
    assert "表4 年度总体目标完成情况" in html and "表5 绩效指标完成情况" in html
    bare = dataclasses.replace(detail, goals=detail.goals.iloc[:0])
    html = report.performance_section(bare)
    assert "本单位未填报年度总体目标。" in html and "表4 绩效指标完成情况" in html
    assert "表5" not in html
    # the unit's projects: 表6 after 表5, 表5 after 表4
    sz001 = api.unit_detail(sample_dataset, 2022, "SZ001")
    assert "表6 项目支出绩效自评结果" in report.unit_projects(sz001)
    bare = dataclasses.replace(sz001, goals=sz001.goals.iloc[:0])
    assert "表5 项目支出绩效自评结果" in report.unit_projects(bare)
    # a project of one budget item: 表1 its funds, 表2 its goals, 表3 its indicators
    project = api.project_detail(sample_dataset, 2022, "SZ003", "P02")
    html = report.project_results_section(project)
    assert "表2 年度总体目标完成情况" in html and "表3 绩效指标完成情况" in html
    bare = dataclasses.replace(project, goals=project.goals.iloc[:0])
    html = report.project_results_section(bare)
    assert "本项目未填报年度总体目标。" in html and "表2 绩效指标完成情况" in html
    # the index: no finding, no 表 for them; the projects' table follows the ranking
    ov = api.overview(sample_dataset, 2022)
    assert "表1 各单位自评得分及等级" in report.ranking_table(ov)
    assert "表2 问题类型统计" in report.findings_summary(ov)
    assert "表3 各单位项目支出绩效自评情况" in report.project_summary(ov)
    clean = dataclasses.replace(ov, findings=ov.findings.iloc[:0])
    assert "表2 各单位项目支出绩效自评情况" in report.project_summary(clean)


def test_performance_section_compares_monthly_execution_with_time_progress():
    # 142.5 executed in equal parts over 12 months: at month 3, 35.625 / 150 = 23.75% against
    # 25.00% → 1.25 points behind; at month 12, 95.00% against 100.00% → 5.00 behind
    monthly = [monthly_row("U1", m, 142.5 / 12, item="人员经费") for m in range(1, 13)]
    d = api.unit_detail(_dataset(monthly=monthly), 2022, "U1")
    html = report.performance_section(d)
    assert "3 月末累计支出进度 23.75%，低于序时进度（25.00%）1.25 个百分点" in html
    assert "12 月末累计支出进度 95.00%，低于序时进度（100.00%）5.00 个百分点。" in html
    assert [c.title for c in report.unit_charts(d)] == [
        "图1 各项目预算执行率",
        "图2 月度累计执行进度与序时进度",
        "图3 定量指标完成率",
        "图4 各部分得分与分值",
    ]


def test_charts_follow_the_data(detail):
    # no monthly data: no time-progress chart, and the numbering closes up
    assert [c.title for c in report.unit_charts(detail)] == [
        "图1 各项目预算执行率",
        "图2 定量指标完成率",
        "图3 各部分得分与分值",
    ]
    parts = report.score_parts(detail)
    assert parts["part"].tolist() == ["预算执行", "产出指标", "效益指标", "满意度指标"]
    assert parts["weight"].tolist() == [10, 60, 20, 10]
    assert parts["score"].tolist() == pytest.approx([9.5, 56.0, 20.0, 10.0])


def test_problems_section_groups_findings_and_writes_default_measures(detail):
    html = report.problems_section(detail)
    assert report.SECTIONS["s3"] in html
    # low_execution → 预算执行方面 (一); under_target and missing reason → 绩效目标完成方面 (二)
    first = html.index("<h4>（一）预算执行方面</h4>")
    second = html.index("<h4>（二）绩效目标完成方面</h4>")
    assert first < html.index("党团经费预算执行率为 45.00%") < second
    assert second < html.index("「办结案件数」")
    assert "绩效目标设置方面" not in html
    assert (
        "一是加强预算执行管理，对执行进度偏低的项目逐月跟踪、分析原因，按序时进度加快支出，提高资金使用效益。"
        "二是切实结合年度任务和上年实际完成情况，科学合理设置绩效目标和指标值，避免指标值偏低或脱离实际。"
        "三是对未达到年度指标值的指标逐项分析偏差原因，明确改进措施并跟踪落实。"
        "四是认真总结，科学客观做出绩效管理评价，做好绩效评价结果运用。"
    ) in html


def test_problems_section_uses_the_narrative_and_says_when_nothing_was_found():
    narrative = Narrative(problems="一是部分指标设置不合理。", measures="一是**科学**设置指标。")
    d = api.unit_detail(_dataset(narrative=narrative), 2022, "U1")
    html = report.problems_section(d)
    assert "<h4>（三）单位自评说明的问题</h4>" in html
    assert "一是部分指标设置不合理。" in html
    assert "一是<strong>科学</strong>设置指标。" in html
    assert "加强预算执行管理" not in html  # the unit's measures replace the defaults
    clean = make_dataset(
        budget=[budget_row("U9", "人员经费", 100, 100)],
        indicators=[indicator_row("U9", "办结案件数", "≥10件", "10件", 90)],
    )
    html = report.problems_section(api.unit_detail(clean, 2022, "U9"))
    assert "未发现明显问题" in html
    assert "一是认真总结，科学客观做出绩效管理评价，做好绩效评价结果运用。" in html


def test_default_measures_follow_the_kinds_found():
    assert report.default_measures([]) == [report.CLOSING_MEASURE]
    measures = report.default_measures(["score_mismatch", "over_target"])
    assert measures[0].startswith("切实结合年度任务")
    assert measures[1].startswith("严格按照评分规则")
    assert measures[2] == report.CLOSING_MEASURE


def test_disclosure_section_default_and_narrative(detail):
    html = report.disclosure_section(detail)
    assert report.SECTIONS["s4"] in html
    assert (
        "按照有关要求，本单位 2022 年度部门整体支出绩效自评结果将依法予以公开，"
        "并作为改进预算管理、安排以后年度预算的重要参考。"
    ) in html
    d = api.unit_detail(_dataset(narrative=Narrative(disclosure="已在门户网站公开。")), 2022, "U1")
    html = report.disclosure_section(d)
    assert "已在门户网站公开。" in html
    assert "依法予以公开" not in html


def test_appendix_table_has_the_standard_layout(detail):
    html = report.appendix_table(detail)
    assert '<h2 id="pk-appendix">附表 部门整体支出绩效自评表</h2>' in html
    # funding block: the total row carries 分值 10, 执行率 and 得分
    assert (
        '<td colspan="2">年度资金总额</td><td class="pk-num">110.00</td>'
        '<td class="pk-num">150.00</td>'
        '<td class="pk-num">142.50</td><td class="pk-num">10</td><td class="pk-num">95.00%</td>'
        '<td class="pk-num">9.50</td>'
    ) in html
    assert '<td rowspan="2">按资金来源</td><td>财政拨款</td>' in html
    assert '<td rowspan="2">按支出类型</td><td>基本支出</td>' in html
    assert '<th rowspan="2">年度总体目标</th>' in html  # header row + 1 goal
    # the two 产出 rows become adjacent under one 一级 cell; 数量 and 质量 stay separate
    assert '<td rowspan="2">产出指标</td><td>数量指标</td><td>办结案件数</td>' in html
    assert "<td>质量指标</td><td>检查合格率</td>" in html
    assert html.index("检查合格率") < html.index("工作成效")
    for head in (
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "偏差原因分析及改进措施",
    ):
        assert f"<th>{head}</th>" in html
    # 总分: weights 10 + 90 = 100, total 95.50, grade
    assert (
        '<th colspan="5">总分</th><td class="pk-num">100</td><td class="pk-num">95.50</td>'
        "<td>自评等级：优</td>"
    ) in html


def test_toc_links_resolve_and_the_sections_are_in_order(detail):
    html = _full(detail)
    page = Tags(html)
    targets = [h[1:] for h in page.hrefs() if h.startswith("#")]
    assert len(targets) == 5 + 3  # 4 sections, the 附表, 3 charts
    assert set(targets) <= page.ids()
    text = page.all_text()
    positions = [text.rindex(title) for title in report.SECTIONS.values()]
    assert positions == sorted(positions)


def test_banner_and_footer(detail):
    assert report.FICTIONAL in report.fictional_banner(detail)
    real = dataclasses.replace(detail, fictional=False)
    assert report.fictional_banner(real) == ""
    footer = report.footer(detail, datetime(2023, 3, 1, 9, 30))
    assert "生成时间：2023年03月01日 09:30" in footer
    assert f"perfkit 版本：{__version__}" in footer
    # the fingerprint of the unit's own rows (issue 12), not the whole dataset's
    own = fingerprints.unit(_dataset(), 2022, "U1")[:12]
    assert own != "0123456789ab" and f"数据指纹：{own}" in footer
    assert "数据指纹：abc" in report.footer(detail, fingerprint="abc")
    assert "评分规则：财政部 财预〔2020〕10号（默认）" in footer


# ---------------------------------------------------------------------------------------------
# hostile text


def _hostile_dataset():
    everywhere = "".join(HOSTILE)
    narrative = Narrative(
        preamble=everywhere,
        achievements=f'{everywhere}\n\n<a href="javascript:alert(1)">链接</a> ![图](http://evil/x.png)',
        problems=f"{everywhere}\n\n<iframe src=http://evil></iframe>",
        measures=f"[外链](https://example.org) [脚本](javascript:alert(1)) {everywhere}",
        disclosure=f"<style>body{{background:url(http://evil)}}</style>{everywhere}",
    )
    unit = _unit(
        unit_name=f"测试单位{SCRIPT}", department=IMG, functions=everywhere,
        internal_bodies=END_TABLE, subordinate_units=JS_LINK,
    )  # fmt: skip
    names = {
        "item": f"党团经费{IMG}",
        "level3": f"办结案件数{END_TABLE}{SCRIPT}",
        "level2": f"数量指标{JS_LINK}",
        "goal": everywhere,
        "achieved": END_TABLE,
    }
    return _dataset(unit=unit, narrative=narrative, reason=everywhere, names=names)


def _assert_inert(html: str) -> Tags:
    page = Tags(html)
    assert not page.tags() & {"script", "img", "iframe", "style", "object", "embed", "svg"}
    assert not [a for a in page.attributes() if a[1].startswith("on")]
    for href in page.hrefs():
        assert href.startswith(("#", "https://", "http://", "mailto:")) or "://" not in href
        assert "javascript" not in href.lower()
    assert page.ends.count("table") == sum(tag == "table" for tag, _ in page.starts)
    return page


def test_hostile_text_in_a_unit_report_is_escaped_or_sanitised():
    ds = _hostile_dataset()
    book = dataclasses.replace(load_rulebook(), title=f"规则{SCRIPT}")
    d = api.unit_detail(ds, 2022, "U1", rules=book)
    page = _assert_inert(_full(d))
    text = page.all_text()
    # escaped fields show the text as typed
    for hostile in HOSTILE:
        assert hostile in text
    assert f"测试单位{SCRIPT} 2022年度" in text
    assert f"规则{SCRIPT}" in text
    # the narrative's only link is the https one, with rel noopener
    links = [
        a for tag, a in page.starts if tag == "a" and not (a.get("href") or "#").startswith("#")
    ]
    assert links == [{"href": "https://example.org", "rel": "noopener noreferrer"}]


def test_hostile_text_in_the_index_page_is_escaped():
    ds = _hostile_dataset()
    ov = api.overview(ds, 2022)
    ov.status = [
        UnitStatus("U1", f"测试单位{SCRIPT}", href='" onmouseover="alert(1)', status="ok"),
    ]
    html = report.overview_title(ov) + report.ranking_table(ov) + report.findings_summary(ov)
    page = _assert_inert(html)
    assert page.hrefs() == ['" onmouseover="alert(1)']  # one attribute value, not an attribute
    assert f"测试单位{SCRIPT}" in page.all_text()
    ov.status = [UnitStatus("U1", status="failed", error=f"{SCRIPT}\n{END_TABLE}")]
    page = _assert_inert(report.failed_units(ov) + report.ranking_table(ov))
    assert f"{SCRIPT}\n{END_TABLE}" in page.all_text()
    assert page.hrefs() == []  # a failed unit is not linked


# ---------------------------------------------------------------------------------------------
# the index page


def _overview(totals, status=()):
    n = len(totals)
    units = pd.DataFrame(
        {
            "year": 2022,
            "unit_code": [f"U{i}" for i in range(1, n + 1)],
            "unit_name": [f"单位{i}" for i in range(1, n + 1)],
            "initial_budget": 100.0,
            "adjusted_budget": 100.0,
            "executed": [95.0, 85.0, 50.0, 100.0][:n],
            "execution_rate": [0.95, 0.85, 0.50, 1.0][:n],
            "execution_score": [9.5, 8.5, 5.0, 10.0][:n],
            "indicator_score": [t - s for t, s in zip(totals, [9.5, 8.5, 5.0, 10.0], strict=False)],
            "total": totals,
            "grade": [
                "优" if t >= 90 else "良" if t >= 80 else "中" if t >= 60 else "差" for t in totals
            ],
            "n_findings": 0,
        }
    )
    findings = pd.DataFrame(columns=["year", "unit_code", "kind", "subject", "message", "value"])
    return Overview(2022, units, findings, load_rulebook(), list(status))


def test_overview_title_sums_the_units():
    ov = _overview([95.0, 85.0, 55.0, 85.0])
    html = report.overview_title(ov)
    assert "<h1>2022年度 部门（单位）整体支出绩效自评 汇总</h1>" in html
    # mean (95 + 85 + 55 + 85) / 4 = 80.00; budget 400, executed 95 + 85 + 50 + 100 = 330 → 82.50%
    assert (
        "共有 4 个单位开展部门整体支出绩效自评，平均总分 80.00 分，"
        "其中优 1 个、良 2 个、中 0 个、差 1 个。" in html
    )
    assert "合计全年预算数 400.00 万元，执行 330.00 万元，总体预算执行率 82.50%" in html
    assert "预算执行率低于 90% 的单位 2 个" in html  # 85% and 50%


def _body_rows(html: str) -> list[list[str]]:
    soup = BeautifulSoup(html, "html.parser")
    return [[c.get_text() for c in tr.find_all(["td", "th"])] for tr in soup.select("tbody tr")]


def test_ranking_shares_ranks_on_ties_and_links_each_report():
    written = [UnitStatus(f"U{i}", href=f"U{i}.html") for i in (1, 2, 3, 4)]
    ov = _overview([95.0, 85.0, 55.0, 85.0], written)
    html = report.ranking_table(ov)
    rows = _body_rows(html)
    # 95 first; 85 and 85 share rank 2 (by code within a tie); 55 is 4th
    assert [(r[0], r[1], r[7], r[8]) for r in rows] == [
        ("1", "U1", "95.00", "优"),
        ("2", "U2", "85.00", "良"),
        ("2", "U4", "85.00", "良"),
        ("4", "U3", "55.00", "差"),
    ]
    assert Tags(html).hrefs() == ["U1.html", "U2.html", "U4.html", "U3.html"]
    assert rows[0][2:7] == ["单位1", "100.00", "95.00%", "9.50", "85.50"]


def test_ranking_uses_the_status_file_links_and_refuses_foreign_ones():
    status = [
        UnitStatus("U1", href="2022/U1.html"),
        UnitStatus("U2", href="https://example.org/U2.html"),
        UnitStatus("U3", status="failed", error="数据有误"),
    ]
    html = report.ranking_table(_overview([95.0, 85.0, 55.0], status))
    assert Tags(html).hrefs() == ["2022/U1.html"]
    assert "<td>报告生成失败</td>" in html
    failed = report.failed_units(_overview([95.0, 85.0, 55.0], status))
    assert '<td class="pk-nowrap">U3</td><td>单位3</td>' in failed
    assert "数据有误" in failed
    assert report.failed_units(_overview([95.0])) == ""


def test_ranking_does_not_link_units_left_out_of_the_run():
    # A run of U1 only: U2 has no report in this folder, so it must not be linked.
    html = report.ranking_table(_overview([95.0, 85.0], [UnitStatus("U1", href="U1.html")]))
    assert Tags(html).hrefs() == ["U1.html"]
    assert "<td>本次未生成</td>" in html
    # Without a status file (the notebook opened in JupyterLab) no report is known to exist
    # beside the page: nothing is linked, so no link leads nowhere (issue 10 §3)
    assert Tags(report.ranking_table(_overview([95.0, 85.0]))).hrefs() == []


def test_findings_summary_counts_kinds_and_units():
    ov = _overview([95.0, 85.0])
    ov.findings = pd.DataFrame(
        {
            "year": 2022,
            "unit_code": ["U1", "U1", "U2"],
            "kind": ["low_execution", "low_execution", "over_target"],
            "subject": "",
            "message": "",
            "value": 0.0,
        }
    )
    html = report.findings_summary(ov)
    assert "各单位共发现问题 3 个，涉及 2 个单位。" in html
    assert '<td>预算执行率偏低</td><td class="pk-num">1</td><td class="pk-num">2</td>' in html
    assert '<td>年度指标值设置偏低</td><td class="pk-num">1</td><td class="pk-num">1</td>' in html
    assert [c.title for c in report.overview_charts(ov)][-1] == "图3 各单位问题数（按类型）"
    ov.findings = ov.findings.iloc[0:0]
    assert "各单位均未发现问题" in report.findings_summary(ov)
    assert len(report.overview_charts(ov)) == 2


# ---------------------------------------------------------------------------------------------
# narratives


def test_markdown_keeps_formatting_and_shifts_headings():
    html = markdown.render(
        "### 主要成效\n\n一是**完成**任务。\n\n- 甲\n- 乙\n\n| a | b |\n|--:|---|\n| 1 | 2 |"
    )
    assert "<h4>主要成效</h4>" in html
    assert "<strong>完成</strong>" in html
    assert "<li>甲</li>" in html
    assert '<td style="text-align:right">1</td>' in html
    assert markdown.render("#### 小节") == "<h5>小节</h5>\n"
    assert markdown.render("   ") == ""


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
        ("</table>", "&lt;/table&gt;"),
        (
            '<a href="javascript:alert(1)">x</a>',
            '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;',
        ),
        ("![示意图](http://evil.example/x.png)", "示意图"),
    ],
)
def test_markdown_shows_hostile_input_as_text(text, shown):
    html = markdown.render(text)
    assert html == f"<p>{shown}</p>\n"


def test_markdown_links_limited_to_web_and_mail():
    html = markdown.render(
        "[a](https://a.example) [b](mailto:x@y.example) [c](other.html) [d](data:text/html,x)"
    )
    page = Tags(html)
    assert page.hrefs() == ["https://a.example", "mailto:x@y.example"]
    assert [a.get("rel") for t, a in page.starts if t == "a"] == ["noopener noreferrer"] * 3
