"""load(path, rules) -> Dataset: read, validate, coerce (perfkit.data.loading)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from csvdata import NARRATIVE, tables, write_folder, write_workbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfkit.core.problems import InvalidInput, UsageError
from perfkit.data.contract import TABLES, step_column
from perfkit.data.loading import load
from perfkit.rules.rulebook import load_rulebook


def test_types_rows_and_metadata(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "d",
        narratives={"narratives/2022/A01.md": NARRATIVE},
        toml='name = "示例"\nfictional = true\n',
    )
    ds = load(folder)
    assert ds.source == folder
    assert ds.fictional is True
    assert len(ds.fingerprint) == 12
    assert ds.files["budget"] == "budget.csv"
    assert ds.headers["indicators"]["weight"] == "分值"

    b = ds.budget
    # each printed 执行率 and 得分 keeps the precision it was printed at beside it (issue 16 §10)
    columns = [
        k for c in TABLES[1].columns for k in (c.key, *([step_column(c.key)] if c.printed else []))
    ]
    assert list(b.columns) == [*columns, "_row"]
    assert b["year"].dtype == np.int64 and b["year"].tolist() == [2022, 2022, 2022]
    assert b["adjusted_budget"].dtype == np.float64
    assert b["adjusted_budget"].tolist() == [436.5, 48.0, 120.0]
    assert b["_row"].tolist() == [2, 3, 4]
    assert b["item"].tolist() == ["人员经费", "公用经费", "阅读推广"]
    assert pd.api.types.is_string_dtype(b["item"])

    ind = ds.indicators
    assert ind["weight"].tolist() == [50.0, 40.0, 30.0, 30.0, 30.0]
    # 得分 was left blank for rows 3, 5 and 6: NaN, not 0
    assert [s if not math.isnan(s) else None for s in ind["reported_score"]] == [
        50.0,
        None,
        30.0,
        None,
        None,
    ]
    assert ind["deviation_reason"].tolist() == [""] * 5

    assert ds.monthly["month"].tolist() == [1, 2, 1]
    assert ds.monthly["executed"].tolist() == [36.15, 36.15, 2.8]
    assert ds.years == [2022]
    assert ds.unit_name("B02") == "市公共阅读服务中心"
    assert ds.narratives[(2022, "A01")].problems == "部分绩效指标设置不合理。"


def test_number_forms_are_coerced(tmp_path: Path) -> None:
    data = tables()
    # 年初预算数 420 万元; 全年预算数 1,436.5 in full-width digits; 全年执行数 with spaces
    data["budget"][1][5:8] = ["420万元", "１,４３６．５", " 433.9 "]
    data["budget"][1][0] = "2022年"
    data["monthly"][1][3] = "01"
    data["monthly"][2][3] = "2月"
    data["indicators"][1][7:9] = ["50分", "５０"]
    ds = load(write_folder(tmp_path / "d", data))
    assert ds.budget.loc[0, ["initial_budget", "adjusted_budget", "executed"]].tolist() == [
        420.0,
        1436.5,
        433.9,
    ]
    assert ds.budget.loc[0, "year"] == 2022
    assert ds.monthly["month"].tolist() == [1, 2, 1]
    assert ds.indicators.loc[0, ["weight", "reported_score"]].tolist() == [50.0, 50.0]


def test_optional_columns_and_tables_may_be_left_out(tmp_path: Path) -> None:
    data = tables()
    del data["monthly"]
    for row in data["indicators"]:
        del row[8:]  # no 得分, no 偏差原因
    ds = load(write_folder(tmp_path / "d", data))
    assert ds.indicators["reported_score"].isna().all()
    assert ds.indicators["deviation_reason"].tolist() == [""] * 5
    assert ds.monthly.empty
    assert list(ds.monthly.columns) == ["year", "unit_code", "item", "month", "executed", "_row"]
    assert ds.monthly["year"].dtype == np.int64
    assert ds.monthly["executed"].dtype == np.float64


def test_workbook_loads_like_the_folder(tmp_path: Path) -> None:
    from_csv = load(write_folder(tmp_path / "d"))
    from_xlsx = load(write_workbook(tmp_path / "data.xlsx"))
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(from_xlsx, table.name), getattr(from_csv, table.name))
    assert from_xlsx.files["indicators"] == "data.xlsx[绩效指标]"


def test_invalid_input_lists_every_problem(tmp_path: Path) -> None:
    data = tables()
    data["budget"][2][7] = "abc"  # budget row 3
    data["goals"][1][1] = "Z9"  # goals row 2
    with pytest.raises(InvalidInput) as caught:
        load(write_folder(tmp_path / "d", data))
    assert [(p.file, p.row) for p in caught.value.problems] == [
        ("budget.csv", 3),
        ("goals.csv", 2),
    ]
    report = caught.value.report()
    assert report.startswith("输入数据有 2 处错误，无法评分：\n  - budget.csv，第3行")


@pytest.mark.parametrize("rules", ["hubei", load_rulebook("hubei")])
def test_rules_by_name_or_rulebook(tmp_path: Path, rules: object) -> None:
    folder = write_folder(tmp_path / "d")
    assert len(load(folder, "mof2020").units) == 2
    # Hubei's indicators share 80 points: weights of 90 are a warning per unit, not a refusal
    warnings = load(folder, rules).warnings
    assert [(w.code, w.unit_code) for w in warnings] == [
        ("weights_total", "A01"),
        ("weights_total", "B02"),
    ]
    assert "指标总分 80 分不一致" in warnings[0].message


def test_rules_from_a_file(tmp_path: Path) -> None:
    own = tmp_path / "own.toml"
    own.write_text('extends = "mof2020"\nname = "own"\n[indicators]\ntotal = 90\n', "utf-8")
    assert len(load(write_folder(tmp_path / "d"), own).units) == 2


def test_a_path_that_is_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="不存在"):
        load(tmp_path / "missing")
    (tmp_path / "old.xls").write_bytes(b"x")
    with pytest.raises(UsageError, match=r"另存为 \.xlsx"):
        load(tmp_path / "old.xls")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(garbage=st.binary(max_size=200), table=st.sampled_from([t.name for t in TABLES]))
def test_garbage_never_escapes_as_a_traceback(tmp_path: Path, garbage: bytes, table: str) -> None:
    folder = write_folder(tmp_path / "d")
    (folder / f"{table}.csv").write_bytes(garbage)
    try:
        load(folder)
    except InvalidInput as err:
        assert err.problems


def test_text_columns_are_made_from_distinct_values(tmp_path: Path) -> None:
    """``loading.text_array`` (distinct values, taken per row) gives what a ``str`` array of
    every row's text gives, on every column of a table with repeated, blank and odd values."""
    from perfkit.data.loading import text_array
    from perfkit.data.readers import read_dataset

    data = tables()
    data["units"][1][1] = " 名称\u3000"
    data["units"][2][1] = ""
    data["indicators"][2][9] = "'=SUM(A1)"
    raw = read_dataset(write_folder(tmp_path / "d", data))
    for table in raw.tables.values():
        for key in table.frame.columns if table.status == "ok" else ():
            made = text_array(table, key)
            pd.testing.assert_extension_array_equal(made, pd.array(table.column(key), dtype="str"))
