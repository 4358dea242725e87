"""The text a reader sees is unchanged: every page of data/sample, of the hostile units and
perfkit's own pages (error page, fallback index), section by section, against the golden text in
tests/data/golden/ (written by ``tests/golden.py`` before the report moved into templates).

Whitespace is normalised and the generation time left out (see :mod:`golden`); any other
difference — a word, a number, a heading, a table cell, escaping — fails, naming the page and
the section.
"""

from __future__ import annotations

import difflib

import golden
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("golden")]


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, str]:
    if not (golden.SAMPLE / "units.csv").exists():
        pytest.skip("no data/sample")
    return golden.render_pages(tmp_path_factory.mktemp("golden"))


def test_every_golden_page_is_rendered(pages):
    expected = {
        str(p.relative_to(golden.GOLDEN).with_suffix("")) for p in golden.GOLDEN.rglob("*.txt")
    }
    assert set(pages) == expected


@pytest.mark.parametrize(
    "name",
    sorted(str(p.relative_to(golden.GOLDEN).with_suffix("")) for p in golden.GOLDEN.rglob("*.txt")),
)
def test_reader_visible_text_is_unchanged(pages, name):
    want = golden.load((golden.GOLDEN / f"{name}.txt").read_text(encoding="utf-8"))
    got = golden.sections(pages[name])
    assert list(got) == list(want), f"{name}: sections differ"
    for section, lines in want.items():
        if got[section] != lines:
            diff = "\n".join(difflib.unified_diff(lines, got[section], lineterm="", n=1))
            pytest.fail(f"{name} § {section}: the text differs\n{diff}")
