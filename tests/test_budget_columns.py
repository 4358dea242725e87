"""Budget columns as real tables have them: units in headers and values, optional 年初预算数,
资金来源 and 支出类型, the unit's printed 执行率 and 得分 (docs/data-contract.md §3.2)."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from csvdata import tables, write_folder, write_workbook

from perfkit import api, report
from perfkit.core.problems import InvalidInput
from perfkit.data import loading
from perfkit.data.readers import read_dataset
from perfkit.data.validation import validate
from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring import metrics, results
from perfkit.scoring.scores import score_dataset

MOF = load_rulebook()
AMOUNTS = ["initial_budget", "adjusted_budget", "executed"]


def _problems(tmp_path: Path, data) -> list[str]:
    return [str(p) for p in validate(read_dataset(write_folder(tmp_path / "d", data)), MOF)]


def _budget(tmp_path: Path, data, workbook: bool = False):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = (
        write_workbook(tmp_path / "d.xlsx", data)
        if workbook
        else write_folder(tmp_path / "d", data)
    )
    return loading.load(path)


# --- amount units --------------------------------------------------------------------------


def _in_yuan(data, header: str = "（元）"):
    """The budget table with headers "年初预算数（元）" … and every amount × 10,000."""
    budget = data["budget"]
    for j in (5, 6, 7):
        budget[0][j] += header
        for row in budget[1:]:
            row[j] = str(round(float(row[j]) * 10000))
    return data


@pytest.mark.parametrize("workbook", [False, True])
def test_a_table_in_yuan_a_table_in_wan_yuan_and_mixed_units_agree(tmp_path, workbook):
    # the fixture in 万元: A01 人员经费 420 / 436.5 / 433.9, 公用经费 48 / 48 / 33.6,
    # B02 阅读推广 100 / 120 / 110
    wan = _budget(tmp_path / "wan", tables(), workbook).budget[AMOUNTS].to_numpy()
    yuan = _budget(tmp_path / "yuan", _in_yuan(tables()), workbook).budget[AMOUNTS].to_numpy()
    mixed = tables()
    mixed["budget"][1][5:8] = ["4,200,000 元", "0.04365亿元", "4339千元"]
    mixed["budget"][2][5:8] = ["480000元", "48万元", "336000元"]
    mixed["budget"][3][5:8] = ["1000000元", "120", "0.011亿元"]
    mixed = _budget(tmp_path / "mixed", mixed, workbook).budget[AMOUNTS].to_numpy()
    expected = np.array([[420, 436.5, 433.9], [48, 48, 33.6], [100, 120, 110]])
    assert (wan == expected).all()
    assert (yuan == expected).all()  # exactly: 4339000 元 is 433.9, not 433.90000000000003
    assert (mixed == expected).all()


def test_1200_yuan_is_exactly_0_12_wan_yuan(tmp_path):
    data = tables()
    data["budget"][2][5:8] = ["1200元", "1200元", "1,200.50 元"]
    b = _budget(tmp_path, data).budget
    assert b.loc[1, "initial_budget"] == 0.12
    assert b.loc[1, "executed"] == 0.12005


@pytest.mark.parametrize(
    "header",
    ["全年预算数（元）", "全年预算数(元)", " 全年预算数 （ 元 ） ", "adjusted_budget (元)"],
)
def test_headers_may_name_their_unit(tmp_path, header):
    data = tables()
    data["budget"][0][6] = header
    data["budget"][1][6] = "4365000"  # 436.5 万元
    data["budget"][2][6] = "480000"
    data["budget"][3][6] = "1200000"
    raw = read_dataset(write_folder(tmp_path / "d", data))
    assert raw.tables["budget"].units == {"adjusted_budget": "元"}
    assert raw.tables["budget"].headers["adjusted_budget"] == header.strip()
    ds = loading.load(tmp_path / "d")
    assert ds.budget["adjusted_budget"].tolist() == [436.5, 48.0, 120.0]


def test_header_in_yi_yuan_and_monthly_in_yuan(tmp_path):
    data = tables()
    data["budget"][0][5] = "年初预算数（亿元）"
    data["budget"][1][5:6] = ["0.042"]  # 420 万元
    data["budget"][2][5:6] = ["0.0048"]  # 48 万元
    data["budget"][3][5:6] = ["0.01"]  # 100 万元
    data["monthly"][0][4] = "当月执行数（元）"
    data["monthly"][1][4] = "361500"  # 36.15 万元
    data["monthly"][2][4] = "36.15万元"  # an explicit unit overrides the header
    data["monthly"][3][4] = "28000"
    ds = loading.load(write_folder(tmp_path / "d", data))
    assert ds.budget["initial_budget"].tolist() == [420.0, 48.0, 100.0]
    assert ds.monthly["executed"].tolist() == [36.15, 36.15, 2.8]


def test_a_header_unit_that_is_not_an_amount_is_an_error(tmp_path):
    data = tables()
    data["budget"][0][6] = "全年预算数（件）"
    assert _problems(tmp_path, data) == [
        "budget.csv，第1行，列「全年预算数（件）」：表头所注单位“件”不是全年预算数可用的单位："
        "应为金额单位：元、千元、万元或亿元（如“全年预算数（元）”），或不注单位（按万元计）。"
    ]


@pytest.mark.parametrize("value", ["12万件", "12十", "约100", "100-200", "95%", "100美元"])
def test_unreadable_amounts_stay_errors(tmp_path, value):
    data = tables()
    data["budget"][2][7] = value
    assert _problems(tmp_path, data) == [
        f"budget.csv，第3行，列「全年执行数」：值“{value}”："
        "应为数字，单位万元（如 120.5 或 1,234.5）"
    ]


# (value, header, 万元 read, the magnitude written without 元): issue 16 §10. In a money column
# 万 means 万元 whatever the header's unit: under 万元 "150万" is 150 万元, under 元 1,500,000 元
# is 150 万元 too; 亿 and 千 likewise; 千万元 is a unit like 万元; traditional forms are simplified.
MAGNITUDES = [
    ("150万", "全年执行数", 150, "万"),
    ("150 万", "全年执行数（万元）", 150, "万"),
    ("150万", "全年执行数（元）", 150, "万"),
    ("150万", "全年执行数（亿元）", 150, "万"),
    ("1.2亿", "全年执行数", 12000, "亿"),
    ("3千", "全年执行数", 0.3, "千"),  # 3,000 元
    ("3千万元", "全年执行数", 3000, ""),
    ("12.5萬元", "全年执行数", 12.5, ""),
    ("1.2億元", "全年执行数（元）", 12000, ""),
    ("33.6萬", "全年执行数", 33.6, "万"),
]


@pytest.mark.parametrize(("value", "header", "expected", "magnitude"), MAGNITUDES)
def test_an_amount_with_a_magnitude_is_read_as_that_many_yuan(
    tmp_path, value, header, expected, magnitude
):
    data = tables()
    data["budget"][0][7] = header
    scale = {"全年执行数（元）": Decimal(10000), "全年执行数（亿元）": Decimal("0.0001")}
    for row in data["budget"][1:]:  # the other rows in the header's unit
        row[7] = str(Decimal(row[7]) * scale.get(header, Decimal(1)))
    data["budget"][2][7] = value
    ds = _budget(tmp_path, data)
    assert ds.budget["executed"].tolist()[1] == expected
    assert ds.budget["executed"].tolist()[0] == 433.9  # the other rows as before
    warned = [(p.code, p.row, p.column, p.value, p.unit_code, p.year) for p in ds.warnings]
    if magnitude:
        assert warned == [("bare_magnitude", 3, header, value, "A01", 2022)]
        written = value.replace(" ", "").replace("萬", "万").removesuffix(magnitude)
        assert ds.warnings[0].message.startswith(
            f"全年执行数只写了“{magnitude}”，未写“元”：按 {written}{magnitude}元 读取"
        )
    else:
        assert warned == []


def test_a_header_in_traditional_characters_names_its_unit(tmp_path):
    data = tables()
    data["budget"][0][6] = "全年预算数（萬元）"
    assert _budget(tmp_path, data).budget["adjusted_budget"].tolist() == [436.5, 48, 120]


def test_the_message_names_the_headers_unit(tmp_path):
    data = _in_yuan(tables())
    data["budget"][2][7] = "12万件"
    assert _problems(tmp_path, data) == [
        "budget.csv，第3行，列「全年执行数（元）」：值“12万件”：应为数字，单位元（按表头所注；"
        "如 1200 或 1,200.50），或在数字后注明单位元、千元、万元或亿元（如 1200元、0.12万元）"
    ]


def test_negative_amounts_in_yuan_are_errors(tmp_path):
    data = tables()
    data["budget"][2][7] = "-5元"
    assert _problems(tmp_path, data) == [
        "budget.csv，第3行，列「全年执行数」：值“-5元”：应为不小于 0 的数字（万元）"
    ]


# --- optional columns ----------------------------------------------------------------------


def _without(data, *headers: str):
    budget = data["budget"]
    keep = [j for j, h in enumerate(budget[0]) if h not in headers]
    data["budget"] = [[row[j] for j in keep] for row in budget]
    return data


def test_a_budget_without_initial_budget_source_and_type_validates_and_scores(tmp_path):
    ds = _budget(tmp_path, _without(tables(), "年初预算数", "资金来源", "支出类型"))
    assert ds.warnings == []
    assert ds.budget["initial_budget"].isna().all()
    assert ds.budget["fund_source"].tolist() == ["", "", ""]
    units = score_dataset(ds, MOF).units.set_index("unit_code")
    # A01: executed 433.9 + 33.6 = 467.5 of 436.5 + 48 = 484.5 → 96.49% → 9.65 points
    assert units.loc["A01", "execution_score"] == 9.65
    adjust = metrics.adjustment_rate(ds.budget)
    assert adjust["adjustment_rate"].isna().all() and adjust["initial_budget"].isna().all()


def test_a_blank_initial_budget_makes_the_unit_years_sum_unknown(tmp_path):
    data = tables()
    data["budget"][2][5] = ""  # A01 公用经费; B02 keeps its 100
    ds = _budget(tmp_path, data)
    m = metrics.unit_metrics(ds.budget).set_index("unit_code")
    assert math.isnan(m.loc["A01", "initial_budget"])
    assert math.isnan(m.loc["A01", "adjustment_rate"])
    # B02: (120 − 100) / 100
    assert m.loc["B02", "adjustment_rate"] == pytest.approx(0.2)
    records = {r["unit_code"]: r for r in json.loads(results.to_json(score_dataset(ds, MOF)))}
    assert records["A01"]["initial_budget"] is None
    assert records["B02"]["initial_budget"] == 100.0
    csv_lines = results.to_csv(score_dataset(ds, MOF)).splitlines()
    assert csv_lines[1].startswith("A01,市智慧审判保障中心,2022,,484.5,467.5,")


def test_the_report_shows_a_dash_for_an_unknown_initial_budget(tmp_path):
    ds = _budget(tmp_path, _without(tables(), "年初预算数", "资金来源"))
    detail = api.unit_detail(ds, 2022, "A01")
    html = report.overview_section(detail)
    assert "年初预算数" not in html.split("<table")[0]  # the sentence leaves it out
    assert "本单位全年预算数 484.50 万元，全年执行数 467.50 万元" in html
    assert "预算未作调整" not in html
    funding = report.appendix_table(detail)
    # 年度资金总额: 年初 — | 484.50 | 467.50
    total = funding.split("年度资金总额")[1].split("</tr>")[0]
    assert total.count("—") >= 1 and "484.50" in total
    table1 = html.split("表1")[1].split("</table>")[0]
    assert "<td>—</td>" in table1 or ">—<" in table1
    assert "0.00" not in table1


# --- the printed 执行率 and 得分 ------------------------------------------------------------


def _printed(data, rates: list[str], scores: list[str], rate_header: str = "执行率"):
    data["budget"][0] += [rate_header, "得分"]
    for row, r, s in zip(data["budget"][1:], rates, scores, strict=True):
        row += [r, s]
    return data


def test_printed_rate_and_score_are_read_as_fractions_and_points(tmp_path):
    data = _printed(tables(), ["96.49%", "", "91.67％"], ["9.65", "", "9.17分"])
    ds = _budget(tmp_path, data)
    assert ds.warnings == []
    assert ds.budget["reported_rate"].tolist()[0] == 0.9649
    assert math.isnan(ds.budget["reported_rate"].tolist()[1])
    assert ds.budget["reported_rate"].tolist()[2] == 0.9167
    assert ds.budget["reported_execution_score"].tolist()[0] == 9.65
    assert ds.budget["reported_execution_score"].tolist()[2] == 9.17


def test_a_percent_header_makes_bare_rates_percentages(tmp_path):
    data = _printed(tables(), ["96.49", "", "100"], ["", "", ""], "执行率（%）")
    ds = _budget(tmp_path, data)
    assert ds.warnings == []
    assert ds.budget["reported_rate"].tolist()[0] == 0.9649
    assert ds.budget["reported_rate"].tolist()[2] == 1.0


def test_a_rate_without_percent_is_read_and_flagged(tmp_path):
    data = _printed(tables(), ["96.49", "", "0.9167"], ["", "", ""], "预算执行率")
    ds = _budget(tmp_path, data)
    assert ds.budget["reported_rate"].tolist()[0] == 0.9649  # above 1.5: a percentage
    assert ds.budget["reported_rate"].tolist()[2] == 0.9167  # 1.5 or below: a fraction
    assert [(p.code, p.row, p.severity, p.unit_code, p.year) for p in ds.warnings] == [
        ("rate_without_percent", 2, "warning", "A01", 2022),
        ("rate_without_percent", 4, "warning", "B02", 2022),
    ]
    assert str(ds.warnings[0]).startswith(
        "budget.csv，第2行，列「预算执行率」（单位编码 A01）：值“96.49”："
        "执行率未写“%”，表头也未注明“（%）”：已按 96.49% 读取"
    )


def test_an_unreadable_printed_rate_or_score_is_a_warning(tmp_path):
    data = _printed(tables(), ["约95%", "", ""], ["", "满分", ""])
    ds = _budget(tmp_path, data)  # loads: scoring does not need them
    assert math.isnan(ds.budget["reported_rate"].tolist()[0])
    assert math.isnan(ds.budget["reported_execution_score"].tolist()[1])
    assert [(p.code, p.row, p.column, p.value) for p in ds.warnings] == [
        ("reported_execution_unreadable", 2, "执行率", "约95%"),
        ("reported_execution_unreadable", 3, "得分", "满分"),
    ]


def test_printed_rates_survive_export_to_csv_and_workbook(tmp_path):
    data = _printed(tables(), ["96.49%", "", "91.67%"], ["9.65", "", "9.17"])
    ds = _budget(tmp_path, data)
    from perfkit.data.writers import write_dataset

    for out in (tmp_path / "out", tmp_path / "out.xlsx"):
        back = loading.load(write_dataset(ds, out))
        assert back.warnings == []
        assert back.budget["reported_rate"].tolist()[0] == 0.9649
        assert back.budget["reported_execution_score"].tolist()[0] == 9.65


def test_initial_budget_blank_survives_export(tmp_path):
    data = tables()
    data["budget"][2][5] = ""
    ds = _budget(tmp_path, data)
    from perfkit.data.writers import write_dataset

    for out in (tmp_path / "out", tmp_path / "out.xlsx"):
        back = loading.load(write_dataset(ds, out))
        assert math.isnan(back.budget["initial_budget"].tolist()[1])
        assert back.budget["initial_budget"].tolist()[0] == 420.0


def test_invalid_input_is_still_raised_for_errors(tmp_path):
    data = tables()
    data["budget"][1][6] = "约100"
    with pytest.raises(InvalidInput):
        _budget(tmp_path, data)


# --- printed figures compared at the precision printed (issue 16 §10) -------------------------


def _precision(rate_a01: str, rate_b02: str, score_b02: str, b02_executed: str = "86.2"):
    """A01: 人员经费 100 / 95.86 and 公用经费 0 / 0: 95.86%; B02: 100 / ``b02_executed``. The
    printed rate of each unit on its first row, B02's printed 得分 beside it."""
    data = tables()
    data["budget"][1][5:8] = ["100", "100", "95.86"]
    data["budget"][2][5:8] = ["0", "0", "0"]
    data["budget"][3][5:8] = ["100", "100", b02_executed]
    return _printed(data, [rate_a01, "", rate_b02], ["", "", score_b02])


def _mismatches(tmp_path, data, rules="mof2020") -> list[str]:
    found = score_dataset(_budget(tmp_path, data), rules).findings
    return found.loc[found["kind"] == "score_mismatch", "message"].tolist()


def test_printed_rates_and_scores_at_their_precision_are_no_mismatch(tmp_path):
    # "0.958" (a fraction, 3 decimals) for 95.86%: 95.86% truncated to 0.001 is 0.958;
    # "86%" for 86.20%: 86.2% rounds to 86%; "8.6" for 10 × 86.2% = 8.62, which rounds to 8.6
    data = _precision("0.958", "86%", "8.6")
    assert _mismatches(tmp_path, data) == []


def test_a_printed_rate_beyond_its_precision_says_which_precision(tmp_path):
    # B02 85.40%: "86%" stands for 85.5%–86.5% rounded or 86%–87% truncated: 85.40% is neither,
    # 0.60 points apart, less than the printed 1%: the message says the precision used
    data = _precision("95.86%", "86%", "", b02_executed="85.4")
    assert _mismatches(tmp_path, data) == [
        "预算执行率自评为 86%，按全年执行数 ÷ 全年预算数计算为 85.40%，相差 0.60 个百分点"
        "（按自评表所填精度 1% 比较，仍不一致）。"
    ]


def test_a_printed_rate_with_more_decimals_is_compared_at_them(tmp_path):
    # "86.0%" stands for 85.95%–86.05% (or 86.0%–86.1% truncated): 86.20% is 0.20 points off,
    # more than the printed 0.1%, so no precision is mentioned
    data = _precision("95.86%", "86.0%", "")
    assert _mismatches(tmp_path, data) == [
        "预算执行率自评为 86.0%，按全年执行数 ÷ 全年预算数计算为 86.20%，相差 0.20 个百分点。"
    ]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        # mof2020 rounds half up: 8.62 rounds to 9, not to the printed 8
        (
            "mof2020",
            [
                "预算执行率得分自评 8 分，按评分规则计算为 8.62 分，相差 0.62 分"
                "（按自评表所填精度 1 分比较，仍不一致）。"
            ],
        ),
        # a rulebook that truncates computes 8 itself: no mismatch
        ("mof2020-whole-truncate", []),
    ],
)
def test_a_printed_score_is_compared_as_the_rulebook_rounds(tmp_path, rules, expected):
    data = _precision("95.86%", "86.2%", "8")
    assert _mismatches(tmp_path, data, rules) == expected


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("29", []),  # 30 × 96 ÷ 100 = 28.8 rounds to 29: as printed
        ("28.8", []),
        (
            "28",
            [
                "「按时完成率」自评得分 28 分，按评分规则计算为 28.80 分，相差 0.80 分"
                "（按自评表所填精度 1 分比较，仍不一致）。"
            ],
        ),
        ("28.5", ["「按时完成率」自评得分 28.5 分，按评分规则计算为 28.80 分，相差 0.30 分。"]),
    ],
)
def test_an_indicators_printed_score_is_compared_at_its_precision(tmp_path, reported, expected):
    data = tables()
    data["indicators"][5][6] = "96%"  # =100% is scored as ≥: 30 × 96 ÷ 100 = 28.8
    data["indicators"][5][8] = reported
    assert _mismatches(tmp_path, data) == expected
