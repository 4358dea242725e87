"""The CJK font: registered from the noto-cjk-sans-otc package, idempotently, no missing glyph."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib as mpl
import noto_cjk_sans_otc
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure

from perfkit.report import fonts

CHINESE = "部门（单位）整体支出预算绩效自评报告：预算执行率（%），得分 −5 至 100"


def _draw(title: str) -> None:
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([-5, 0, 100], [1, 2, 3])
    ax.set_title(title)
    ax.set_xlabel("月份")
    ax.set_ylabel("累计执行进度")
    fig.savefig(io.BytesIO(), format="png")


def test_the_font_matplotlib_resolves_is_the_packages_sc_face():
    fonts.use_cjk_font()
    prop = font_manager.FontProperties(family=fonts.FAMILY)
    found = font_manager.findfont(prop, fallback_to_default=False)
    assert Path(found) == Path(noto_cjk_sans_otc.FONT_PATH)
    # the collection's faces are JP, KR, SC, TC, HK: Simplified Chinese is face 2
    assert getattr(found, "face_index", 2) == 2


def test_use_cjk_font_is_idempotent_and_restores_the_rc_params():
    path = str(fonts.font_path())
    fonts.use_cjk_font()
    count = sum(f.fname == path for f in font_manager.fontManager.ttflist)
    with mpl.rc_context({"font.sans-serif": ["DejaVu Sans"], "axes.unicode_minus": True}):
        fonts.use_cjk_font()
        fonts.use_cjk_font()
        assert sum(f.fname == path for f in font_manager.fontManager.ttflist) == count
        assert mpl.rcParams["font.family"] == ["sans-serif"]
        assert mpl.rcParams["font.sans-serif"] == [fonts.FAMILY, "DejaVu Sans"]
        assert mpl.rcParams["axes.unicode_minus"] is False


def test_chinese_labels_draw_without_any_warning():
    fonts.use_cjk_font()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" would raise here
        _draw(CHINESE)


def test_the_check_above_can_fail_without_the_cjk_font():
    """Control: the same drawing with only DejaVu Sans does warn about missing glyphs."""
    with (
        mpl.rc_context({"font.family": ["DejaVu Sans"]}),
        pytest.warns(UserWarning, match="missing from font"),
    ):
        _draw(CHINESE)
