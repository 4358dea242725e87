"""Why a report could not be generated, in words a user can act on (issue 16 §2).

A report that fails is named in the summary, on its error page and on the index with one Chinese
sentence: what could not be done (which part of the report: "二、部门（单位）整体支出绩效实现
情况"), why as far as perfkit can tell (a message written for people, a kernel that died, a cell
that ran too long, a worker lost with the cluster), and what to do. Never a Python exception's
name: the exception, its message and its traceback are the :attr:`Failure.detail`, which goes
to the run's log (:mod:`perfkit.rendering.runlog`) and nowhere else.

:func:`redact` takes the paths of this machine out of a message before it is written into the
publish folder (issue 16 §4): an error page or the index never shows where the data lives.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from perfkit.core.crashlog import technical

#: what each cell of perfkit's notebooks builds, by its cell id ("生成{part}时出错")
PARTS = {
    "parameters": "报告的参数",
    "injected-parameters": "报告的参数",
    "setup": "报告的数据（读取数据、计算得分）",
    "title": "报告的标题和目录",
    "section-1": "报告的“一、部门（单位）概况”",
    "section-2": "报告的“二、部门（单位）整体支出绩效实现情况”",
    "section-3": "报告的“三、部门（单位）整体支出绩效中存在问题及改进措施”",
    "section-4": "报告的“四、绩效自评结果拟应用和公开情况”",
    "basic": "报告的“一、项目基本情况”",
    "funds": "报告的“二、项目资金使用及管理情况”",
    "results": "报告的“三、项目绩效目标实现情况”",
    "problems": "报告的“四、偏离绩效目标的原因和下一步改进措施”",
    "disclosure": "报告的“五、绩效自评结果拟应用和公开情况”",
    "appendix": "报告的附表和页脚",
    "failed": "汇总页的未能生成报告列表",
    "ranking": "汇总页的排名表",
    "charts": "汇总页的图表",
    "findings": "汇总页的“存在问题汇总”",
    "projects": "汇总页的“项目支出绩效自评情况”",
    "project-ranking": "汇总页的“项目自评结果排名”",
    "footer": "页面的页脚",
}
#: perfkit's own errors: their message is a Chinese sentence written for the user
PERFKIT_ERRORS = frozenset(
    {"PerfkitError", "InvalidInput", "UsageError", "RulebookError", "NotationError"}
)
#: the longest message kept from an exception written for people
MESSAGE_LIMIT = 600
ADVICE = "请把日志交给技术支持人员。"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: characters that end a path inside a sentence
_STOP = r"\s\"'“”‘’（）()<>\[\]{}，,；;。、"
_PATHS = (
    re.compile(r"file:/+[^" + _STOP + r"]*", re.IGNORECASE),
    re.compile(r"(?<![\w.:/~-])(?:~/|/)(?:[^" + _STOP + r"/]+/)+[^" + _STOP + r"/]*"),
    re.compile(r"(?<![\w])[A-Za-z]:[\\/][^" + _STOP + r"]*"),
    re.compile(r"\\\\[^" + _STOP + r"]+"),
)
#: what a path of this machine becomes in a page
HIDDEN_PATH = "〈本机路径〉"


@dataclass(frozen=True)
class Failure:
    """A report's failure: ``message`` for the user (summary, pages), ``detail`` for the log."""

    message: str
    detail: str = ""


def part(cell_id: str, position: int) -> str:
    """What a notebook cell builds: its part of the report, or "笔记本的第 N 个代码单元"."""
    return PARTS.get(cell_id) or f"笔记本的第 {position} 个代码单元"


def failed_cell(notebook: str | None) -> tuple[str, int] | None:
    """The cell where an executed notebook stopped (papermill's record: the cell marked as the
    exception, else the last cell started), as (cell id, its position among the code cells);
    None when the notebook shows none."""
    try:
        cells = json.loads(notebook or "")["cells"]
    except (ValueError, KeyError, TypeError):
        return None
    code = [
        c for c in cells
        if isinstance(c, dict) and c.get("cell_type") == "code"
        and "injected-parameters" not in c.get("metadata", {}).get("tags", [])
    ]  # fmt: skip
    started = None
    for n, cell in enumerate(code, 1):
        record = cell.get("metadata", {}).get("papermill", {})
        if record.get("exception"):
            return str(cell.get("id", "")), n
        if record.get("start_time"):
            started = (str(cell.get("id", "")), n)
    return started


def for_people(text: str) -> bool:
    """Whether an exception's message was written for a reader (it has Chinese in it)."""
    return bool(_CJK.search(text))


def _clip(text: str) -> str:
    text = _ANSI.sub("", text).strip()
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def cell_error(
    where: tuple[str, int] | None, ename: str, evalue: str, traceback: list[str]
) -> Failure:
    """A notebook cell raised: which part, and its message when written for people."""
    what = part(*where) if where else "报告"
    detail = _ANSI.sub("", "\n".join([f"{ename}: {evalue}", *traceback]))
    if ename in PERFKIT_ERRORS or for_people(evalue):
        return Failure(f"生成{what}时出错：{_clip(evalue)}", detail)
    return Failure(
        f"生成{what}时出现程序内部错误。可能是数据中有 perfkit 未能处理的内容："
        f"请先运行 perfkit validate 检查数据；数据无误时，{ADVICE}",
        detail,
    )


def kernel_error(err: BaseException, where: tuple[str, int] | None, timeout: int) -> Failure:
    """The notebook could not run to its end for a reason other than a cell's exception: the
    kernel died, a cell ran longer than ``timeout`` seconds, the kernel could not start."""
    name = type(err).__name__
    what = part(*where) if where else "报告"
    detail = technical(err)
    if name == "DeadKernelError":
        return Failure(
            f"运行报告的 Python 内核在生成{what}时意外退出（可能是内存不足或被终止），"
            "请重新运行；仍然失败时，请检查本机内存。",
            detail,
        )
    if name in ("CellTimeoutError", "TimeoutError"):
        return Failure(
            f"生成{what}超过 {timeout // 60} 分钟仍未完成，已停止（可能是数据量过大或程序卡住）。",
            detail,
        )
    if where is None:
        return Failure(
            "无法启动运行报告的 Python 内核。请确认 perfkit 安装完整"
            f"（Jupyter 的 python3 内核可用）；{ADVICE}",
            detail,
        )
    return Failure(f"生成{what}时运行中断。{ADVICE}", detail)


def export_error(err: BaseException) -> Failure:
    """The executed notebook could not be made into a page."""
    if isinstance(err, ImportError | FileNotFoundError) and "noto" in str(err).lower():
        return Failure(
            "找不到嵌入报告的中文字体（Noto Sans CJK SC，随 perfkit 安装的 noto-cjk-sans-otc），"
            "报告未能导出为 HTML 页面。请重新安装 perfkit。",
            technical(err),
        )
    return Failure(
        f"报告已计算完成，但导出为 HTML 页面时出现程序内部错误。{ADVICE}",
        technical(err),
    )


def internal_error(err: BaseException) -> Failure:
    """An error of perfkit's own code around the notebook (the worker, the client)."""
    return Failure(f"生成本报告时出现程序内部错误。{ADVICE}", technical(err))


def redact(text: str, roots: list[str] | tuple[str, ...] = ()) -> str:
    """``text`` without the paths of this machine: each of ``roots`` (the data folder, the
    output folder …) and anything that reads as an absolute path becomes :data:`HIDDEN_PATH`."""
    for root in sorted({r.rstrip("/\\") for r in roots if r and len(r) > 1}, key=len, reverse=True):
        text = text.replace(root, HIDDEN_PATH)
    for pattern in _PATHS:
        text = pattern.sub(HIDDEN_PATH, text)
    return text
