"""Splitting a narrative's Markdown into the report's sections (perfkit.data.narratives)."""

from __future__ import annotations

from perfkit.data.narratives import parse_narrative, section_of

SEED_LIKE = """# 苏州市智慧审判保障中心 2022 年度部门整体支出绩效自评报告

## 一、部门（单位）概况

本单位主要职能是……

## 二、部门（单位）整体支出绩效实现情况

独立配合法官办结案件 230 余件。

### （一）司法辅助

外出调查 10 余次。

## 三、整体支出绩效中存在问题及改进措施

一是部分绩效指标设置不合理。

## 四、绩效自评结果拟应用和公开情况

在门户网站公开。
"""


def test_sections_of_a_seed_like_report() -> None:
    n = parse_narrative(SEED_LIKE)
    # 一、概况 names no section: it stays in the preamble with the title
    assert n.preamble.startswith("# 苏州市智慧审判保障中心")
    assert "## 一、部门（单位）概况\n\n本单位主要职能是……" in n.preamble
    # ### sub-headings are content of the section they are in
    assert (
        n.achievements
        == "独立配合法官办结案件 230 余件。\n\n### （一）司法辅助\n\n外出调查 10 余次。"
    )
    # "存在问题及改进措施" names two sections: the first in NARRATIVE_SECTIONS (problems) wins
    assert n.problems == "一是部分绩效指标设置不合理。"
    assert n.measures == ""
    assert n.disclosure == "在门户网站公开。"
    assert n.source == SEED_LIKE


def test_heading_levels_one_and_two_and_closing_hashes() -> None:
    n = parse_narrative(
        "# 存在问题 #\r\n问题甲\r\n##改进措施\r\n不是标题\r\n## 改进措施\r\n措施乙\r\n"
    )
    assert n.problems == "问题甲\n##改进措施\n不是标题"  # "##改进措施" lacks the space: text
    assert n.measures == "措施乙"


def test_a_file_without_known_headings_is_preamble() -> None:
    text = "本年度各项工作完成良好。\n\n## 其他说明\n无。"
    n = parse_narrative(text)
    assert n.preamble == text
    assert (n.achievements, n.problems, n.measures, n.disclosure) == ("", "", "", "")


def test_headings_inside_code_fences_are_content() -> None:
    n = parse_narrative("## 存在问题\n```\n## 改进措施\n```\n真实的问题\n")
    assert n.problems == "```\n## 改进措施\n```\n真实的问题"
    assert n.measures == ""


def test_a_repeated_section_is_joined() -> None:
    n = parse_narrative("## 存在问题\n甲\n## 改进措施\n乙\n## 存在的问题\n丙\n")
    assert n.problems == "甲\n\n丙"
    assert n.measures == "乙"


def test_section_of() -> None:
    assert section_of("三、存在问题") == "problems"
    assert section_of("四、绩效自评结果拟应用和公开情况") == "disclosure"
    assert section_of("主要成效") == "achievements"
    assert section_of("整改措施") == "measures"
    assert section_of("一、部门概况") is None
