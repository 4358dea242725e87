"""Random text in every text field, through the whole chain (issue 16, "Done when").

Hypothesis draws text from every class of character a cell or a narrative can carry — any
Unicode character a UTF-8 file can hold (controls, C1, non-characters, private use, unassigned,
astral), the classes perfkit does not keep (tests/badtext.py), bidirectional controls, zero-width
and combining marks, terminal escape sequences, markup, spreadsheet formulas, Excel's ``_xHHHH_``
escapes, CSV quotes and line breaks — and writes it into every text column of the data contract
and into the narratives of a slice of data/sample: SZ001 with its two projects and its narrative,
and SZ013, a unit of project tables only. Then it does what a user does:

``validate`` → ``score`` → ``forms make`` → ``forms collect`` → ``export`` (CSV and workbook)
→ ``validate`` of what was written, and ``render``;

and asserts what the issue asks: no traceback anywhere, every JSON strict (RFC 8259: no NaN, no
Infinity, no lone surrogate), every workbook readable (by openpyxl and by perfkit), every page
passing the sharing checks (:func:`perfkit.rendering.htmlexport.assert_self_contained`) and free
of the characters perfkit does not keep.

Free-text columns take the random text in every example. The columns the reader parses (一级指标,
二级指标, 年度指标值, 实际完成值) take it in some examples only: such a table may then be refused,
and a refusal must be exit code 2 with strict JSON that names the cells, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from badtext import IN_FILES, SEQUENCES
from click.testing import CliRunner
from hypo import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from perfkit.cli import cli
from perfkit.core.text import FORBIDDEN
from perfkit.data.contract import TABLES
from perfkit.rendering.htmlexport import assert_self_contained

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
YEAR = 2022
#: SZ001: a unit with its 部门整体 table, two projects and a narrative; SZ013: projects only
SLICE = ("SZ001", "SZ013")
#: text columns the reader parses: random text there may make a table unscorable (exit 2)
PARSED = {("indicators", "level1"), ("indicators", "level2"), ("indicators", "target"),
          ("indicators", "actual"), ("reviews", "review_actual")}  # fmt: skip
#: every text column of the contract, as (table, key, Chinese header)
TEXT_COLUMNS = [
    (table.name, column.key, column.zh)
    for table in TABLES
    for column in table.columns
    if column.kind == "text"
]
#: columns whose values must stay equal across tables: one draw serves them all (a review row
#: names its indicator by the 三级指标 as the indicators table writes it)
SHARED = {("monthly", "item"): ("budget", "item"), ("reviews", "level3"): ("indicators", "level3")}

#: single characters a careful test adds to Hypothesis' own: each class perfkit removes, the
#: bidi controls, zero-width and combining characters, CSV's own, astral CJK and an emoji
HOSTILE_CHARS = [
    *IN_FILES.values(),
    "\u202e", "\u202d", "\u2066", "\u2067", "\u2069", "\u200e", "\u200f", "\u061c",
    "\u200b", "\u200d", "\ufeff", "\u0301", "\u20dd", "\u3000", "\u00a0",
    '"', ",", "'", "\r", "\n", "\t", "\\",
    "\U00020000", "\U0001f600", "\u2028", "\u2029",
]  # fmt: skip
#: whole strings a cell could hold
HOSTILE_STRINGS = [
    SEQUENCES,
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="alert(1)">',
    "</td></tr></table><style>body{display:none}</style>",
    "[点此](javascript:alert(1))",
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "_x0001__x005F_x000D_",
    "{{ 7*7 }}{% raw %}",
    "$\\alpha$",
    "\x1b]0;PWNED\x07",
    "url(http://evil.example/a.png)",
    "@import 'http://evil.example/x.css';",
    "%s%n%x",
    "\U0010fffd" * 3,
    "第一行\r\n第二行",
]
CHARS = st.one_of(
    st.characters(codec="utf-8"),  # any character a UTF-8 file can hold
    st.sampled_from(HOSTILE_CHARS),
)
TEXT = st.one_of(
    st.text(CHARS, max_size=24),
    st.sampled_from(HOSTILE_STRINGS),
    st.lists(st.sampled_from(HOSTILE_STRINGS + HOSTILE_CHARS), max_size=4).map("".join),
)


def _read(name: str) -> tuple[list[str], list[list[str]]]:
    with open(SAMPLE / name, encoding="utf-8-sig", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    return header, rows


def _slice() -> dict[str, tuple[list[str], list[list[str]]]]:
    """data/sample's tables restricted to SLICE (the year's rows, the units' rows)."""
    out = {}
    for table in TABLES:
        path = SAMPLE / table.filename
        if not path.exists():
            continue
        header, rows = _read(table.filename)
        at = header.index("单位编码")
        year = header.index("年度") if "年度" in header else None
        out[table.name] = (
            header,
            [r for r in rows if r[at] in SLICE and (year is None or r[year] == str(YEAR))],
        )
    return out


def _insert(text: str, extra: str) -> str:
    """``text`` with ``extra`` after its first character (so that stripping at the ends does not
    hide it and distinct values stay distinct); a blank cell gets ``extra`` itself."""
    return text[:1] + extra + text[1:] if text else extra


@st.composite
def spoiled(draw, parsed: bool | None = None) -> dict:
    """A draw: random text for every text column (the parsed ones in some draws only) and for
    the narratives' paragraphs."""
    touch_parsed = draw(st.booleans()) if parsed is None else parsed
    columns = {}
    for table, key, _ in TEXT_COLUMNS:
        if (table, key) in SHARED or ((table, key) in PARSED and not touch_parsed):
            continue
        columns[(table, key)] = draw(TEXT)
    for target, source in SHARED.items():
        if source in columns:
            columns[target] = columns[source]
    return {"columns": columns, "narrative": draw(TEXT), "parsed": touch_parsed}


def _write_dataset(folder: Path, draw: dict) -> Path:
    """The slice with the draw's text in every cell of its columns, and in the narratives."""
    folder.mkdir(parents=True)
    for table, (header, rows) in _slice().items():
        zh = {key: name for t, key, name in TEXT_COLUMNS if t == table}
        for (t, key), extra in draw["columns"].items():
            if t != table or zh[key] not in header:
                continue
            at = header.index(zh[key])
            for row in rows:
                row[at] = _insert(row[at], extra)
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        (folder / f"{table}.csv").write_text(buf.getvalue(), encoding="utf-8-sig", newline="")
    shutil.copy(SAMPLE / "dataset.toml", folder / "dataset.toml")
    for unit in SLICE:
        for source in (SAMPLE / "narratives" / str(YEAR)).glob(f"{unit}*"):
            files = [source] if source.is_file() else sorted(source.glob("*.md"))
            for path in files:
                rel = path.relative_to(SAMPLE)
                text = path.read_text(encoding="utf-8")
                lines = [
                    line if line.startswith("#") or not line.strip() else line + draw["narrative"]
                    for line in text.split("\n")
                ]
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                (folder / rel).write_text("\n".join(lines), encoding="utf-8", newline="")
    return folder


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"not strict JSON: {name}")


def strict_json(text: str):
    """``text`` parsed as RFC 8259 JSON: NaN, Infinity and lone surrogates refused."""
    value = json.loads(text, parse_constant=_refuse_constant)
    _no_surrogate(value)
    return value


def _no_surrogate(value) -> None:
    if isinstance(value, str):
        assert not any("\ud800" <= c <= "\udfff" for c in value), value
    elif isinstance(value, list):
        for v in value:
            _no_surrogate(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_surrogate(k)
            _no_surrogate(v)


def _run(*args: object):
    """The ``perfkit`` command in this process; never a traceback, an exception or a code
    outside the contract's."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    shown = f"perfkit {' '.join(map(str, args))}\n{result.output}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(shown) from result.exception
    assert "Traceback" not in result.output, shown
    assert result.exit_code in (0, 1, 2), shown
    assert "\x1b" not in result.output and "\x9b" not in result.output, shown
    return result


def _workbooks_readable(folder: Path) -> list[Path]:
    books = sorted(folder.rglob("*.xlsx"))
    for book in books:
        load_workbook(book).close()  # XML any Excel reads: openpyxl raises on what it cannot
    return books


def _chain(tmp: Path, draw: dict) -> None:
    data = _write_dataset(tmp / "data", draw)
    checked = _run("validate", data, "--format", "json")
    problems = strict_json(checked.stdout)
    if checked.exit_code == 2:
        # refused: only a parsed column's text can make the slice unscorable
        assert draw["parsed"], checked.output
        errors = [p for p in problems if p["severity"] == "error"]
        assert errors and all(p["file"] and p["code"] for p in errors), problems
        return
    assert checked.exit_code == 0, checked.output
    scored = _run("score", data, "--format", "json")
    assert scored.exit_code == 0, scored.output
    strict_json(scored.stdout)
    strict_json(_run("score", data, "--level", "project", "--format", "json").stdout)
    _run("score", data, "--format", "csv")

    forms = tmp / "forms"
    made = _run("forms", "make", data, "--year", YEAR, "--out", forms)
    assert made.exit_code == 0, made.output
    assert len(_workbooks_readable(forms)) == 1 + 2 + 5  # SZ001, its 2 projects, SZ013's 5
    for out in ("collected", "collected.xlsx"):
        collected = _run("forms", "collect", forms, "--out", tmp / out)
        assert collected.exit_code == 0, collected.output
        again = _run("validate", tmp / out, "--format", "json")
        assert again.exit_code == 0, again.output
        strict_json(again.stdout)
    for out in ("exported", "exported.xlsx"):
        exported = _run("export", data, "--out", tmp / out)
        assert exported.exit_code == 0, exported.output
        again = _run("validate", tmp / out, "--format", "json")
        assert again.exit_code == 0, again.output
        strict_json(again.stdout)
    _workbooks_readable(tmp)


@settings(
    max_examples=examples(6),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(draw=spoiled())
def test_random_text_in_every_field_goes_through_the_chain(tmp_path_factory, draw):
    _chain(tmp_path_factory.mktemp("chain"), draw)


def _pages_pass_the_sharing_checks(out: Path) -> int:
    pages = sorted(out.rglob("*.html"))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        where = page.relative_to(out)
        assert assert_self_contained(html) == [], where
        assert not FORBIDDEN.search(html), where
        assert "Traceback" not in html, where
    for path in out.rglob("*.json"):
        strict_json(path.read_text(encoding="utf-8"))
    return len(pages)


@pytest.mark.slow
@settings(
    max_examples=3,  # a render each: a few draws, every text column and narrative in each
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(draw=spoiled(parsed=False))
def test_random_text_in_every_field_renders_every_page(tmp_path_factory, draw):
    tmp = tmp_path_factory.mktemp("render")
    data = _write_dataset(tmp / "data", draw)
    out = tmp / "reports"
    run = subprocess.run(
        [sys.executable, "-c", "from perfkit.cli import main; main()", "render", str(data),
         "--out", str(out), "--jobs", "1", "--no-progress"],
        capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=900,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    shown = run.stdout + run.stderr
    assert run.returncode == 0, shown
    assert "Traceback" not in shown and "\x1b" not in shown, shown
    # SZ001's report and its 2 projects', SZ013's 5 projects', the index and the projects page
    assert _pages_pass_the_sharing_checks(out) >= 1 + 2 + 5 + 2
