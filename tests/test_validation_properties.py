"""Properties of validation and scoring (issue 5 §4), checked with hypothesis.

- Garbage in any one cell (header included) of a valid dataset, as text or as raw bytes, in a CSV
  folder or a workbook, gives a valid load or :class:`InvalidInput` whose every problem names a
  file of the dataset, a row inside it and a Chinese message; never another exception.
- Any printable text typed into a free-text column (names, 主要职能, 三级指标, 偏差原因, goals)
  loads as typed, stripped of surrounding blanks: hostile text is inert, not rejected
  (issue 5 §1); left blank where the column is required, it is a problem naming file, row and
  column.
- Scores stay within [0, weight] for any valid numeric or qualitative target and actual, any
  weight and any self-reported score, under every shipped rulebook (财预〔2020〕10号 and the
  provincial presets); the execution score within [0, execution weight] for any execution rate.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from csvdata import SHEET_NAMES, tables, write_workbook
from hypo import examples
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from perfkit.core.problems import InvalidInput
from perfkit.data.loading import load
from perfkit.rules.notation import parse
from perfkit.rules.rulebook import load_rulebook, presets
from perfkit.scoring.scores import execution_score, score_targets

TABLE_NAMES = sorted(tables())
FILES = {f"{name}.csv" for name in TABLE_NAMES}
FUZZ = settings(
    max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

#: values that have broken CSV readers and number parsers before
NASTY = [
    "", " ", "\u3000", "\ufeff", '"', '""', ",", ";", "\t", "\n", "\r", "\r\n", "\x00", "\x1a",
    "=1+1", "=HYPERLINK(\"http://x\")", "@SUM(A1)", "nan", "NaN", "inf", "-inf", "1e309", "-0",
    "0x10", "１２３．５", "1,2,3", "1..2", "--1", "2022年度", "13月", "0月", "99999999999999999999",
    "<script>alert(1)</script>", "$\\alpha$", "年度", "单位编码", "≥", "≥≥1件", "约", "\\",
    "\u202e反向", "\U0001f600", "a" * 5000,
]  # fmt: skip
garbage = st.one_of(st.sampled_from(NASTY), st.text(max_size=30))


def _cell(text: str) -> str:
    """A CSV field as Excel writes it: quoted (quotes doubled) when it holds , " CR or LF."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write(folder: Path, data: dict[str, list[list[str]]], raw: tuple[str, int, int, bytes] | None):
    """Write the tables as UTF-8 CSV; ``raw`` = (table, row, column, bytes) puts bytes in a cell."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in data.items():
        lines = []
        for r, row in enumerate(rows):
            cells = [_cell(c).encode("utf-8") for c in row]
            if raw and raw[0] == name and raw[1] == r:
                cells[raw[2]] = raw[3]
            lines.append(b",".join(cells))
        (folder / f"{name}.csv").write_bytes(b"\r\n".join(lines) + b"\r\n")
    return folder


def _check_problems(err: InvalidInput, files: set[str], rows: int) -> None:
    assert err.problems, "InvalidInput without a problem"
    for p in err.problems:
        assert p.file in files, f"problem names no file of the dataset: {p}"
        assert str(p).startswith(p.file)
        assert p.message and any("\u4e00" <= c <= "\u9fff" for c in p.message), p.message
        assert p.row is None or 1 <= p.row <= rows, f"row {p.row} is outside the file: {p}"
    assert err.report().startswith("输入数据有")


def _load_or_problems(folder: Path, files: set[str], rows: int) -> None:
    try:
        load(folder)
    except InvalidInput as err:
        _check_problems(err, files, rows)


def _position(data):
    name = data.draw(st.sampled_from(TABLE_NAMES), label="table")
    rows = tables()[name]
    row = data.draw(st.integers(0, len(rows) - 1), label="row (0 = header)")
    column = data.draw(st.integers(0, len(rows[0]) - 1), label="column")
    return name, row, column


@FUZZ
@given(data=st.data(), value=garbage)
def test_garbage_text_in_any_csv_cell_loads_or_is_a_located_problem(data, value):
    name, row, column = _position(data)
    t = tables()
    t[name][row][column] = value
    with tempfile.TemporaryDirectory() as tmp:
        folder = _write(Path(tmp) / "d", t, None)
        _load_or_problems(folder, FILES, max(len(rows) for rows in t.values()))


@FUZZ
@given(data=st.data(), value=st.binary(max_size=24))
def test_garbage_bytes_in_any_csv_cell_load_or_are_a_problem(data, value):
    """Raw bytes (invalid UTF-8, NUL, stray quotes, line breaks) where a cell's text was."""
    name, row, column = _position(data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = _write(Path(tmp) / "d", tables(), (name, row, column, value))
        # bytes may add lines: a located row may be any line of the file
        _load_or_problems(folder, FILES, 1 + sum(len(r) for r in tables().values()) + len(value))


#: what openpyxl refuses to store in a cell (XML 1.0 forbids these characters)
_XML_ILLEGAL = {chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32)]}


@settings(max_examples=examples(20), deadline=None)
@given(data=st.data(), value=garbage)
def test_garbage_in_any_workbook_cell_loads_or_is_a_located_problem(data, value):
    assume(not set(value) & _XML_ILLEGAL)
    name, row, column = _position(data)
    t = tables()
    t[name][row][column] = value
    with tempfile.TemporaryDirectory() as tmp:
        book = write_workbook(Path(tmp) / "data.xlsx", t)
        files = {f"data.xlsx[{sheet}]" for sheet in SHEET_NAMES.values()} | {"data.xlsx"}
        try:
            load(book)
        except InvalidInput as err:
            _check_problems(err, files, max(len(rows) for rows in t.values()))


# --- free text is accepted as typed ------------------------------------------------------------

#: (table, column index, header, canonical key, required) of every free-text column
FREE_TEXT = [
    ("units", 1, "单位名称", "unit_name", True),
    ("units", 2, "主管部门", "department", False),
    ("units", 3, "主要职能", "functions", False),
    ("units", 4, "内设机构", "internal_bodies", False),
    ("units", 5, "下属单位", "subordinate_units", False),
    ("indicators", 4, "三级指标", "level3", True),
    ("indicators", 9, "偏差原因分析及改进措施", "deviation_reason", False),
    ("goals", 2, "预期目标", "expected", True),
    ("goals", 3, "实际完成情况", "achieved", False),
]
#: printable text as people type it (no control characters, no surrogates)
typed_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs")), min_size=0, max_size=60
) | st.sampled_from(NASTY)
#: the blanks perfkit strips from every cell (perfkit.data.readers.WHITESPACE)
BLANKS = " \t\r\n\v\f\u00a0\u3000\ufeff"


@settings(max_examples=examples(60), deadline=None)
@given(column=st.sampled_from(FREE_TEXT), row=st.integers(1, 2), value=typed_text)
def test_free_text_loads_exactly_as_typed(column, row, value):
    table, index, header, key, required = column
    assume(not set(value) & {chr(c) for c in range(32)} - set(BLANKS))
    t = tables()
    if key == "level3":
        others = {r[index] for r in t[table][1:]}
        assume(value.strip(BLANKS) not in others)  # 三级指标 is unique per unit and year
    t[table][row][index] = value
    expected = value.strip(BLANKS)
    with tempfile.TemporaryDirectory() as tmp:
        folder = _write(Path(tmp) / "d", t, None)
        if required and not expected:
            with pytest.raises(InvalidInput) as err:
                load(folder)
            assert [(p.file, p.row, p.column) for p in err.value.problems] == [
                (f"{table}.csv", row + 1, header)
            ]
            return
        ds = load(folder)
    frame = getattr(ds, table)
    assert frame.loc[frame["_row"] == row + 1, key].tolist() == [expected]


# --- scores stay within [0, weight] --------------------------------------------------------------

RULEBOOKS = [load_rulebook(name) for name in presets()]
COMPARATORS = ["≥", "≤", ">", "<", "=", "", "不低于", "不超过"]
UNITS = ["件", "%", "天", "万元", ""]
#: amounts with two decimals, 0 included (targets and actuals of 0 are real: "=0起", "≤0次")
amounts = st.integers(0, 10**8).map(lambda n: n / 100)
weights = st.integers(0, 100 * 100).map(lambda n: n / 100)
qualitative = st.sampled_from(
    ["达成年度指标", "基本达成", "部分达成", "未达成", "效果明显", "完成", "正常运行", "有效提升"]
)


@st.composite
def indicator(draw):
    """(target, actual, weight, reported 得分 or NaN) as a unit might fill them in."""
    weight = draw(weights)
    reported = draw(st.one_of(st.just(math.nan), st.integers(-500, 15000).map(lambda n: n / 100)))
    if draw(st.booleans()):
        return draw(qualitative), draw(qualitative), weight, reported
    unit, word = draw(st.sampled_from(UNITS)), draw(st.sampled_from(COMPARATORS))
    t, a = draw(amounts), draw(amounts)
    approx = draw(st.sampled_from(["", "余"])) if unit != "%" else ""
    return f"{word}{t:.2f}{unit}", f"{a:.2f}{approx}{unit}", weight, reported


@settings(max_examples=examples(200), deadline=None)
@given(rows=st.lists(indicator(), min_size=1, max_size=12), book=st.sampled_from(RULEBOOKS))
def test_indicator_scores_stay_within_zero_and_weight(rows, book):
    targets = [parse(t) for t, _, _, _ in rows]
    actuals = [parse(a) for _, a, _, _ in rows]
    w = [row[2] for row in rows]
    reported = [row[3] for row in rows]
    result = score_targets(targets, actuals, w, book, reported)
    scores = result["score"].to_numpy(float)
    assert not np.isnan(scores).any()
    # rounding to the rulebook's decimals may not lift a score above its (2-decimal) weight
    assert (scores >= 0).all() and (scores <= np.asarray(w) + 1e-9).all(), result[
        ["rule", "rule_text", "score"]
    ].to_string()


@settings(max_examples=examples(100), deadline=None)
@given(target=amounts.filter(lambda v: v > 0), weight=weights, book=st.sampled_from(RULEBOOKS))
def test_a_target_met_exactly_earns_the_full_weight(target, weight, book):
    """财预〔2020〕10号: 完成年度指标值的，得满分 (≥ and ≤ alike, at the boundary)."""
    cells = [f"≥{target:.2f}件", f"≤{target:.2f}件"]
    result = score_targets(
        [parse(c) for c in cells], [parse(f"{target:.2f}件")] * 2, [weight] * 2, book
    )
    # the weight itself, as written, whatever the rulebook's rounding (truncating included)
    assert result["score"].tolist() == [weight, weight]


@settings(max_examples=examples(100), deadline=None)
@given(
    rates=st.lists(
        st.one_of(st.floats(0, 10, allow_nan=False), st.just(math.nan)), min_size=1, max_size=20
    ),
    book=st.sampled_from(RULEBOOKS),
)
def test_execution_score_stays_within_zero_and_its_weight(rates, book):
    scores = execution_score(np.array(rates), book)
    assert ((scores >= 0) & (scores <= book.execution_weight + 1e-9)).all()
