"""Reading CSV folders and workbooks into raw string tables (perfkit.data.readers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from csvdata import tables, write_folder, write_workbook

from perfkit.core.problems import UsageError
from perfkit.data.readers import cell_text, read_dataset


def snapshot(raw) -> dict:
    """What a reader produced, as plain values: per table the rows of stripped text by key,
    the Excel row numbers and the status."""
    return {
        name: (
            {key: t.column(key).tolist() for key in sorted(t.frame.columns)},
            t.rows.tolist(),
            t.status,
        )
        for name, t in raw.tables.items()
    }


@pytest.fixture
def baseline(tmp_path: Path) -> dict:
    return snapshot(read_dataset(write_folder(tmp_path / "base")))


def test_reads_the_valid_dataset(tmp_path: Path) -> None:
    raw = read_dataset(write_folder(tmp_path / "d"))
    assert raw.problems == []
    budget = raw.tables["budget"]
    assert budget.file == "budget.csv"
    assert budget.rows.tolist() == [2, 3, 4]  # header is row 1
    assert budget.column("adjusted_budget").tolist() == ["436.5", "48", "120"]
    assert budget.headers["adjusted_budget"] == "全年预算数"
    assert raw.tables["units"].column("internal_bodies").tolist() == ["综合处、保障处", ""]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_encodings_and_line_endings_read_identically(
    tmp_path: Path, baseline: dict, encoding: str, newline: str
) -> None:
    folder = write_folder(tmp_path / "d", encoding=encoding, newline=newline)
    raw = read_dataset(folder)
    assert raw.problems == []
    assert snapshot(raw) == baseline


def test_padded_headers_english_keys_and_padded_values(tmp_path: Path, baseline: dict) -> None:
    data = tables()
    data["units"][0] = [
        " 单位编码 ",
        "\u3000单位名称",
        "department",
        "主要职能\xa0",
        "内设机构",
        "下属单位",
    ]
    data["budget"][0] = [
        "YEAR",
        "Unit_Code",
        "资金来源",
        "支出类型",
        "项目",
        "年初预算数",
        "Adjusted_Budget",
        " executed ",
    ]
    data["budget"][1][1] = "  A01\u3000"
    data["budget"][1][6] = "\xa0436.5 "
    raw = read_dataset(write_folder(tmp_path / "d", data))
    assert raw.problems == []
    assert snapshot(raw) == baseline
    assert raw.tables["budget"].headers["unit_code"] == "Unit_Code"  # as written, stripped
    assert raw.tables["units"].headers["unit_code"] == "单位编码"


def test_extra_columns_are_dropped(tmp_path: Path, baseline: dict) -> None:
    data = tables()
    for i, row in enumerate(data["budget"]):
        row.insert(2, "备注" if i == 0 else "某说明")
    raw = read_dataset(write_folder(tmp_path / "d", data))
    assert raw.problems == []
    assert snapshot(raw) == baseline


def test_duplicated_header_is_a_problem(tmp_path: Path) -> None:
    data = tables()
    for row in data["budget"]:
        row.append(row[1])
    data["budget"][0][-1] = "unit_code"
    raw = read_dataset(write_folder(tmp_path / "d", data))
    [problem] = raw.problems
    text = str(problem)
    # budget.csv, header row 1, the ninth column (I) repeats column B (单位编码)
    assert text.startswith("budget.csv，第1行，列「unit_code」")
    assert "第 B 列「单位编码」" in text
    assert raw.tables["budget"].headers["unit_code"] == "单位编码"


def test_blank_rows_are_skipped_and_row_numbers_stay_true(tmp_path: Path) -> None:
    data = tables()
    budget = data["budget"]
    # Excel rows: 1 header, 2 data, 3 blank, 4 data, 5 only commas, 6 spaces only, 7 data
    data["budget"] = [budget[0], budget[1], [], budget[2], [""] * 8, ["  ", "\u3000"], budget[3]]
    raw = read_dataset(write_folder(tmp_path / "d", data))
    assert raw.problems == []
    assert raw.tables["budget"].rows.tolist() == [2, 4, 7]
    assert raw.tables["budget"].column("item").tolist() == ["人员经费", "公用经费", "阅读推广"]


def test_a_row_longer_than_the_header_is_read(tmp_path: Path) -> None:
    data = tables()
    data["goals"][2] = [*data["goals"][2], "多出的一格"]
    raw = read_dataset(write_folder(tmp_path / "d", data))
    assert raw.problems == []
    assert raw.tables["goals"].column("expected").tolist() == [
        "保障信息化系统平稳运行",
        "开展全民阅读推广",
    ]
    assert raw.tables["goals"].rows.tolist() == [2, 3]


def test_chinese_file_names(tmp_path: Path, baseline: dict) -> None:
    folder = write_folder(tmp_path / "d")
    (folder / "budget.csv").rename(folder / "预算执行.csv")
    raw = read_dataset(folder)
    assert raw.problems == []
    assert raw.tables["budget"].file == "预算执行.csv"
    assert snapshot(raw) == baseline


def test_undecodable_file_is_a_problem(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d")
    (folder / "goals.csv").write_bytes(b"\xff\xfe\xff\x80,\x80\n")  # neither UTF-8 nor GB18030
    raw = read_dataset(folder)
    [problem] = raw.problems
    assert problem.file == "goals.csv"
    assert "文件编码无法识别" in str(problem)
    assert raw.tables["goals"].status == "unreadable"


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    data = tables()
    data["goals"] = [data["goals"][0]]
    folder = write_folder(tmp_path / "d", data)
    (folder / "monthly.csv").write_bytes(b"\xef\xbb\xbf \r\n")
    raw = read_dataset(folder)
    assert raw.tables["goals"].status == "header_only"
    assert raw.tables["monthly"].status == "empty"


def test_fingerprint_is_stable_and_follows_the_bytes(tmp_path: Path) -> None:
    first = read_dataset(write_folder(tmp_path / "a")).fingerprint
    again = read_dataset(write_folder(tmp_path / "b")).fingerprint
    data = tables()
    data["budget"][1][7] = "433.8"
    changed = read_dataset(write_folder(tmp_path / "c", data)).fingerprint
    assert len(first) == 12 and int(first, 16) >= 0
    assert first == again
    assert changed != first


def test_metadata_and_narratives(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "d",
        narratives={"narratives/2022/A01.md": "## 存在问题\n\n执行率偏低。\n"},
        toml='name = "示例（虚构）"\nfictional = true\n',
    )
    raw = read_dataset(folder)
    assert raw.fictional is True
    assert raw.name == "示例（虚构）"
    [narrative] = raw.narratives
    assert (narrative.file, narrative.year, narrative.unit_code) == (
        "narratives/2022/A01.md",
        "2022",
        "A01",
    )
    assert narrative.narrative.problems == "执行率偏低。"


def test_gbk_narrative(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d")
    path = folder / "narratives" / "2022" / "B02.md"
    path.parent.mkdir(parents=True)
    path.write_bytes("## 改进措施\n加强预算执行。\n".encode("gbk"))
    [narrative] = read_dataset(folder).narratives
    assert narrative.narrative.measures == "加强预算执行。"


def test_bad_dataset_toml(tmp_path: Path) -> None:
    raw = read_dataset(write_folder(tmp_path / "d", toml="fictional = 是\n"))
    [problem] = raw.problems
    assert problem.file == "dataset.toml"
    assert "TOML" in problem.message


def test_workbook_reads_like_the_folder(tmp_path: Path, baseline: dict) -> None:
    path = write_workbook(tmp_path / "data.xlsx")
    raw = read_dataset(path)
    assert raw.problems == []
    assert snapshot(raw) == baseline
    assert raw.tables["budget"].file == "data.xlsx[预算执行]"
    assert raw.tables["budget"].column("initial_budget").tolist() == ["420", "48", "100"]


def test_workbook_with_english_sheet_names_metadata_and_narratives(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    write_workbook(
        path,
        extra={
            "dataset": [["键", "值"], ["name", "示例"], ["fictional", True]],
            "叙述": [["年度", "单位编码", "正文（Markdown）"], [2022, "B02", "## 存在问题\n无。"]],
        },
    )
    raw = read_dataset(path)
    assert raw.problems == []
    assert (raw.fictional, raw.name) == (True, "示例")
    [narrative] = raw.narratives
    assert (narrative.file, narrative.row, narrative.year) == ("data.xlsx[叙述]", 2, "2022")
    assert narrative.narrative.problems == "无。"


def test_workbook_blank_rows_keep_excel_row_numbers(tmp_path: Path) -> None:
    data = tables()
    data["goals"].insert(2, [])  # Excel row 3 left empty
    raw = read_dataset(write_workbook(tmp_path / "data.xlsx", data))
    assert raw.tables["goals"].rows.tolist() == [2, 4]


def test_broken_workbook_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip file")
    raw = read_dataset(path)
    [problem] = raw.problems
    assert problem.file == "broken.xlsx"
    assert "无法作为 .xlsx 工作簿打开" in problem.message


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (200.0, "200"),
        (2022, "2022"),
        (436.5, "436.5"),
        (0.1 + 0.2, "0.3"),  # Excel shows 15 significant digits
        (True, "TRUE"),
        (" A01 ", " A01 "),  # stripping happens later, for every source alike
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_a_path_that_is_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="不存在"):
        read_dataset(tmp_path / "nowhere")
    other = tmp_path / "data.txt"
    other.write_text("x")
    with pytest.raises(UsageError, match="文件夹"):
        read_dataset(other)


def test_header_below_blank_lines_keeps_excel_rows(tmp_path: Path) -> None:
    data = tables()
    data["goals"] = [[], ["", "", "", ""], *data["goals"]]  # header on Excel row 3
    raw = read_dataset(write_folder(tmp_path / "d", data))
    goals = raw.tables["goals"]
    assert (goals.header_row, goals.rows.tolist()) == (3, [4, 5])
