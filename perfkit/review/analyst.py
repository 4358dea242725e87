"""The bureau analyst's notebook ``review.ipynb`` (issue 17 §6; docs/review.md §7): where it is
shipped, the copy ``perfkit review notebook`` writes, and the views it shows.

The notebook is thin: it calls :func:`perfkit.review` and the functions below and shows what they
return; every figure is computed here or in the modules they call, with tests.

Where it lives: ``perfkit/review/notebooks/review.ipynb`` is package data (:data:`NOTEBOOK`, found
with :mod:`importlib.resources`), so an installed wheel has it; ``notebooks/review.ipynb`` at the
repository root is a byte-for-byte copy for JupyterLab in a checkout, as ``notebooks/`` holds copies
of ``perfkit/report/notebooks/``. Both are committed without outputs and marked
``"perfkit": {"strip_outputs": true}``, so that perfkit's save hook (:mod:`perfkit.notebook`)
saves them without outputs. :func:`write_copy` gives a user the notebook as their own: the marker
left out (their copy keeps its outputs when saved), ``data`` and ``year`` set when given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

import nbformat
import pandas as pd

from perfkit.core.atomic import write_text
from perfkit.core.crashlog import os_reason
from perfkit.core.problems import UsageError
from perfkit.review.deviation import CLASSES
from perfkit.review.registry import ENTITY
from perfkit.review.results import Review, has_deviations, zh_view
from perfkit.review.sample import draw, drawn_by_how, parse_rate

#: the file name of the analyst's notebook, in the package and in the repository's notebooks/
NAME = "review.ipynb"
#: the packaged notebook (a Traversable: a path in an installed wheel or a checkout)
NOTEBOOK = files("perfkit.review") / "notebooks" / NAME
#: the per-indicator columns the notebook shows of an indicator whose scores differ
INDICATOR_COLUMNS = ["单位编码", "项目编码", "三级指标", "指标值", "分值", "自评完成值", "自评得分",
                     "复核完成值", "复核得分", "复核指标偏差", "偏差类别", "复核意见"]  # fmt: skip


def top_findings(review: Review, n: int = 5) -> pd.DataFrame:
    """Every finding of the tables ranked 1 to ``n``, in Chinese (``Review.table("findings")``),
    in the order of their rank, each table's findings in the screening's order."""
    view = zh_view(review, "findings")
    ranks = review.findings[ENTITY].merge(review.tables[[*ENTITY, "rank"]], on=ENTITY, how="left")
    rank = ranks["rank"].to_numpy(dtype=float)
    keep = (rank <= n).nonzero()[0]
    order = keep[rank[keep].argsort(kind="stable")]
    return view.iloc[order].reset_index(drop=True)


def draw_sample(
    review: Review,
    rate: str | float | None = "20%",
    per_department: int | None = None,
    include: Iterable[str] | str = (),
    exclude: Iterable[str] | str = (),
    seed: int = 0,
    level: str = "all",
) -> pd.DataFrame:
    """The sample as ``perfkit review sample`` draws it (:func:`perfkit.review.sample.draw`),
    from the notebook's parameters: ``per_department`` (an integer from 1), when given, in place
    of ``rate`` ("20%" or 0.2); a single code given as text ("SZ001") is one code, not a list of
    characters. A bad value is a :class:`UsageError` naming it."""
    if per_department is not None:
        if isinstance(per_department, bool) or not isinstance(per_department, int):
            raise UsageError(f"per_department 应为不小于 1 的整数，而不是“{per_department}”。")
        if per_department < 1:
            raise UsageError(f"per_department 应为不小于 1 的整数，而不是“{per_department}”。")
        fraction = None
    elif rate is None:
        raise UsageError("请给出 rate（每个主管部门抽取的比例）或 per_department（个数）之一。")
    else:
        fraction = parse_rate(str(rate))
    codes = [[c] if isinstance(c, str) else list(c) for c in (include, exclude)]
    return draw(review, fraction, per_department, codes[0], codes[1], seed, level)


def sample_summary(sample: pd.DataFrame) -> str:
    """One sentence: how many tables were drawn, and how many each way (人工指定, 必抽（高风险）,
    随机抽取)."""
    if sample.empty:
        return "没有抽取任何自评表。"
    ways = "，".join(f"{how} {n} 张" for how, n in drawn_by_how(sample))
    return f"共抽取 {len(sample)} 张自评表：{ways}。"


def deviating_indicators(review: Review) -> pd.DataFrame:
    """The re-checked indicators whose 复核得分 differs from the 自评得分 (every class but
    完全一致), in Chinese with the 复核表's headers (:data:`INDICATOR_COLUMNS`), in the tables'
    order."""
    if not has_deviations(review):
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    view = review.deviations.table("indicators")
    differs = view["偏差类别"] != CLASSES["consistent"]
    return view.loc[differs, INDICATOR_COLUMNS].reset_index(drop=True)


_PARAMETER = re.compile(r"^(?P<name>data|year) = .*$", re.M)


def _set_parameters(source: str, values: dict[str, str]) -> str:
    """The parameters cell with ``data`` and ``year`` given new values (Python literals)."""
    found = set()

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in values:
            return match[0]
        found.add(name)
        return f"{name} = {values[name]}"

    out = _PARAMETER.sub(replace, source)
    missing = set(values) - found
    if missing:  # the packaged notebook always has them (tests/test_review_notebook.py)
        raise RuntimeError(f"review.ipynb has no parameter {', '.join(sorted(missing))}")
    return out


def notebook_copy(data: str | Path | None = None, year: int | None = None) -> str:
    """The text of the user's own copy of the notebook: the packaged one without the
    ``perfkit.strip_outputs`` marker, its ``data`` (as an absolute path) and ``year`` set when
    given."""
    nb = nbformat.reads(NOTEBOOK.read_text(encoding="utf-8"), as_version=4)
    marker = nb.metadata.get("perfkit", {})
    marker.pop("strip_outputs", None)
    if not marker:
        nb.metadata.pop("perfkit", None)
    values = {}
    if data is not None:
        values["data"] = repr(str(Path(data).expanduser().resolve()))
    if year is not None:
        values["year"] = str(int(year))
    if values:
        (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        cell.source = _set_parameters(cell.source, values)
    return nbformat.writes(nb)


def write_copy(out: str | Path, data: str | Path | None = None, year: int | None = None) -> Path:
    """Write :func:`notebook_copy` to ``out`` (a folder: ``out/review.ipynb``; or a path ending
    in .ipynb) atomically, the folder made when missing. ``data`` must exist. An existing file
    with other content is never replaced (:class:`UsageError`); one with the same is left as it
    is."""
    out = Path(out)
    target = out if out.suffix.lower() == ".ipynb" else out / NAME
    if data is not None and not Path(data).expanduser().exists():
        raise UsageError(f"找不到数据：{data}（数据文件夹或 .xlsx 工作簿）。")
    if target.is_dir():
        raise UsageError(f"{target} 是一个文件夹，不能写成笔记本。")
    text = notebook_copy(data, year)
    if target.exists():
        if target.read_bytes() == text.encode("utf-8"):
            return target
        raise UsageError(
            f"{target} 已存在，内容与要写的不同，不会覆盖它；请换一个文件夹或文件名，或先移走它。"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"不能建立文件夹：{os_reason(err) or target.parent}。") from err
    return write_text(target, text)
