"""Errors a user can act on, never a Python exception's name (issue 16 §2).

A report that cannot be rendered is named in the summary, on its error page and on the index
with a Chinese sentence: which part of the report failed and why (a message written for people,
a kernel that died, a cell that ran too long, a missing font), and where the technical detail
is — the run's log in the output folder, which keeps the traceback. Every command that stops on
an error no one foresaw says what could not be done, exits with code 3 and prints the path of
the log that keeps the traceback, never the traceback itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from perfkit.cli import EXIT_INTERNAL, cli
from perfkit.rendering import failures

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "notebooks"
YEAR = "2022"


# ---------------------------------------------------------------------------------------------
# the sentences


def _executed(*cells: tuple[str, dict]) -> str:
    """An executed notebook's JSON as papermill leaves it: code cells with their ids and
    papermill records (the injected parameters first)."""
    nb = {"cells": [{"cell_type": "code", "id": "injected", "source": "",
                     "metadata": {"tags": ["injected-parameters"],
                                  "papermill": {"start_time": "t"}}}]}  # fmt: skip
    for cell_id, record in cells:
        nb["cells"].append({"cell_type": "code", "id": cell_id, "source": "",
                            "metadata": {"papermill": record}})  # fmt: skip
    return json.dumps(nb)


def test_the_cell_that_failed_is_named_by_its_part_of_the_report():
    done = {"start_time": "t", "exception": False}
    raised = {"start_time": "t", "exception": True}
    text = _executed(("parameters", done), ("setup", done), ("section-2", raised), ("x", {}))
    assert failures.failed_cell(text) == ("section-2", 3)
    # a timeout or a dead kernel: the last cell that started
    text = _executed(("parameters", done), ("setup", done), ("title", done), ("x", {}))
    assert failures.failed_cell(text) == ("title", 3)
    assert failures.failed_cell("not json") is None
    assert failures.part("section-2", 3) == "报告的“二、部门（单位）整体支出绩效实现情况”"
    assert failures.part("funds", 4) == "报告的“二、项目资金使用及管理情况”"
    assert failures.part("my-own-cell", 5) == "笔记本的第 5 个代码单元"


def test_an_exception_written_for_people_is_shown_and_a_programs_is_not():
    people = failures.cell_error(("setup", 2), "ValueError", "第 7 行的年度不是数字", ["tb"])
    assert people.message == "生成报告的数据（读取数据、计算得分）时出错：第 7 行的年度不是数字"
    assert "ValueError" in people.detail and "tb" in people.detail
    ours = failures.cell_error(("setup", 2), "UsageError", "no year 1999", [])
    assert ours.message.endswith(
        "时出错：no year 1999"
    )  # perfkit's own errors are meant to be read
    bug = failures.cell_error(
        ("section-3", 5), "AttributeError", "'NoneType' object has no attribute 'x'",
        ["\x1b[0;31mTraceback\x1b[0m", "line 3"],
    )  # fmt: skip
    assert bug.message.startswith("生成报告的“三、部门（单位）整体支出绩效中存在问题及改进措施”时")
    assert "程序内部错误" in bug.message and "perfkit validate" in bug.message
    assert "AttributeError" not in bug.message and "NoneType" not in bug.message
    assert "AttributeError: 'NoneType'" in bug.detail and "\x1b" not in bug.detail


def test_a_kernel_that_dies_or_hangs_and_a_missing_font_are_said_in_chinese():
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    died = failures.kernel_error(DeadKernelError("Kernel died"), ("section-1", 3), 900)
    assert died.message.startswith(
        "运行报告的 Python 内核在生成报告的“一、部门（单位）概况”时意外退出"
    )
    assert "DeadKernelError" not in died.message and "DeadKernelError" in died.detail
    hung = failures.kernel_error(CellTimeoutError("cell timed out"), ("title", 2), 900)
    assert hung.message.startswith("生成报告的标题和目录超过 15 分钟仍未完成")
    start = failures.kernel_error(RuntimeError("No such kernel named python3"), None, 900)
    assert start.message.startswith("无法启动运行报告的 Python 内核")
    font = failures.export_error(FileNotFoundError(2, "No such file", "/x/NotoSansCJK.ttc"))
    assert "找不到嵌入报告的中文字体" in font.message and "FileNotFoundError" in font.detail


def test_a_message_written_into_a_page_names_no_path_of_this_machine():
    text = "工作节点 n1:42 上找不到数据 /srv/perfkit/data 和 C:\\数据\\2022、file:///home/u/x.html"
    assert failures.redact(text, ["/srv/perfkit"]) == (
        "工作节点 n1:42 上找不到数据 〈本机路径〉/data 和 〈本机路径〉、〈本机路径〉"
    )
    kept = "≥200件/年，2022/12/31 前完成，完成率 1/2，见 http://example.gov.cn/a/b"
    assert failures.redact(kept) == kept


# ---------------------------------------------------------------------------------------------
# a report that fails, end to end

#: after the parameters: SZ003 meets a bug, SZ004's kernel dies
FAULTS = """
import os, signal
if unit_code == "SZ003":
    None.missing_attribute
if unit_code == "SZ004":
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
@pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample")
def test_failed_reports_are_said_in_chinese_and_the_log_keeps_the_traceback(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    nb = nbformat.read(NOTEBOOKS / "unit_report.ipynb", as_version=4)
    after = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(after + 1, nbformat.v4.new_code_cell(FAULTS))
    nbformat.write(nb, folder / "unit_report.ipynb")
    out = tmp_path / "reports"
    run = subprocess.run(
        [sys.executable, "-c", "from perfkit.cli import main; main()", "render", str(SAMPLE),
         "--out", str(out), "--level", "unit", "--jobs", "1", "--no-progress",
         "--notebook", str(folder / "unit_report.ipynb"),
         "--unit", "SZ002", "--unit", "SZ003", "--unit", "SZ004"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout
    summary = run.stdout
    assert "2022年度：共 3 个单位，成功 1 份，失败 2 份。" in summary
    assert (
        "  - 2022年度 SZ003 苏州市卫生监测评价中心：生成笔记本的第 2 个代码单元时出现程序内部错误。"
        "可能是数据中有 perfkit 未能处理的内容" in summary
    )
    assert (
        "  - 2022年度 SZ004 苏州市市政设施养护管理处：运行报告的 Python 内核在生成笔记本的第 2 个"
        "代码单元时意外退出（可能是内存不足或被终止）" in summary
    )
    for name in ("AttributeError", "NoneType", "DeadKernelError", "Kernel died"):
        assert name not in summary
    log = Path(re.search(r"本次运行的日志（含错误的技术细节）：(\S+)", summary).group(1))
    assert log.parent == out / "_internal" / "logs"
    detail = log.read_text(encoding="utf-8")
    assert "2022年度 SZ003 苏州市卫生监测评价中心" in detail
    assert "AttributeError: 'NoneType' object has no attribute 'missing_attribute'" in detail
    assert "Traceback" in detail or "----> " in detail  # the notebook's traceback
    assert "2022年度 SZ004 苏州市市政设施养护管理处" in detail and "DeadKernelError" in detail
    # the pages say the same, and where the detail is
    page = (out / YEAR / "SZ003.html").read_text(encoding="utf-8")
    assert "程序内部错误" in page and "AttributeError" not in page
    assert f"<code>{log.relative_to(out).as_posix()}</code>" in page
    index = (out / YEAR / "index.html").read_text(encoding="utf-8")
    assert "运行报告的 Python 内核" in index and "DeadKernelError" not in index
    assert (out / YEAR / "SZ002.html").is_file()  # the others are rendered


# ---------------------------------------------------------------------------------------------
# every command: an unforeseen error


def test_an_unforeseen_error_is_one_sentence_exit_3_and_a_log(tmp_path, monkeypatch):
    import perfkit.data.loading

    def broken(*args, **kwargs):
        return None.missing_attribute  # a bug

    monkeypatch.setenv("PERFKIT_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(perfkit.data.loading, "load", broken)
    run = CliRunner().invoke(cli, ["score", str(SAMPLE)])
    assert run.exit_code == EXIT_INTERNAL == 1
    assert run.exception is None or isinstance(run.exception, SystemExit)
    assert "Traceback" not in run.output and "AttributeError" not in run.output
    (log,) = (tmp_path / "logs").glob("perfkit-*.log")
    assert run.output.startswith(
        f"错误：未能计算得分：perfkit 内部出错。技术细节（错误追踪）已写入日志 {log}"
    )
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "AttributeError: 'NoneType' object has no attribute 'missing_attribute'" in text


def test_a_file_the_command_may_not_write_is_named(tmp_path, monkeypatch):
    import perfkit.data.loading

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "data.xlsx"))

    monkeypatch.setenv("PERFKIT_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(perfkit.data.loading, "load", refused)
    run = CliRunner().invoke(cli, ["validate", str(SAMPLE)])
    assert run.exit_code == EXIT_INTERNAL
    assert run.output.startswith(f"错误：未能检查数据集：{tmp_path / 'data.xlsx'}：没有权限。")
    assert "PermissionError" not in run.output


@pytest.mark.skipif(not (SAMPLE / "units.csv").exists(), reason="no data/sample")
def test_a_render_that_stops_half_way_keeps_its_traceback_in_the_output_folder(
    tmp_path, monkeypatch
):
    from perfkit.rendering import pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("在写入报告之间出错")

    monkeypatch.setattr(pipeline, "run", broken)
    out = tmp_path / "reports"
    run = CliRunner().invoke(cli, ["render", str(SAMPLE), "--out", str(out), "--unit", "SZ003",
                                   "--level", "unit", "--no-progress"])  # fmt: skip
    assert run.exit_code == EXIT_INTERNAL
    (log,) = (out / "_internal" / "logs").glob("render-*.log")
    assert run.output.startswith(
        f"错误：未能生成报告：perfkit 内部出错。技术细节（错误追踪）已写入日志 {log}"
    )
    assert "RuntimeError: 在写入报告之间出错" in log.read_text(encoding="utf-8")
    assert "Traceback" not in run.output
