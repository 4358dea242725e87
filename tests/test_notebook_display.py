"""perfkit inside IPython (issue 10): short displays, errors without tracebacks, Chinese charts."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from IPython.core.interactiveshell import InteractiveShell

import perfkit
from perfkit import notebook
from perfkit.report import display, fonts

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


@pytest.fixture(scope="module")
def shell():
    sh = InteractiveShell.instance()
    assert notebook.install(sh)
    yield sh
    InteractiveShell.clear_instance()


def test_objects_display_as_short_summaries(shell):
    ds = perfkit.load(SAMPLE)
    html = shell.display_formatter.formatters["text/html"]
    shown = html(ds)
    assert "数据集" in shown and "13 个" in shown and "<script" not in shown
    detail = perfkit.unit_detail(ds, 2022, "SZ001")
    shown = html(detail)
    assert "苏州市智慧审判保障中心" in shown and "总分" in shown
    assert len(shown) < 3000  # a summary, not the frames
    assert "汇总" in html(perfkit.overview(ds, 2022))


def test_user_errors_show_a_short_message_not_a_traceback(shell, capsys):
    shell.user_ns["perfkit"] = perfkit
    shell.user_ns["ds"] = perfkit.load(SAMPLE)
    result = shell.run_cell('perfkit.unit_detail(ds, 2022, "SZ999")')
    out = capsys.readouterr().out
    assert isinstance(result.error_in_exec, perfkit.api.UsageError)
    assert "可选单位编码：SZ001" in out
    assert "Traceback" not in out and "File " not in out


def test_an_error_message_escapes_what_the_user_wrote():
    err = perfkit.api.UsageError("数据中没有单位编码“<script>alert(1)</script>”")
    html = display.error_html(err)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_chinese_labels_in_an_analysts_own_plot_draw_no_boxes():
    perfkit.use_chinese_fonts()
    frame = pd.DataFrame({"单位": ["智慧审判保障中心", "河湖水质监测站"], "总分": [92.5, 81.0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = frame.set_index("单位")["总分"].plot.barh()
        ax.figure.canvas.draw()
    missing = [w for w in caught if "missing from font" in str(w.message).lower()]
    assert missing == []
    label = ax.get_yticklabels()[0]
    assert label.get_fontfamily()[0] in ("sans-serif", fonts.FAMILY)
    assert fonts.FAMILY in matplotlib.rcParams["font.sans-serif"][:1]
    plt.close("all")
