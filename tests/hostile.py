"""A valid dataset whose user-typed texts are hostile: markup, scripts, links, math, huge names.

:func:`build` copies data/sample into a folder and rewrites the texts of units SZ001 and SZ002
as unit staff could type them into a cell or a narrative file: ``<script>``, ``<img onerror>``,
``javascript:`` links (raw and in Markdown), ``</table>``, ``<iframe>``, ``<style>``, math-looking
``$\\alpha$``, and names hundreds of characters long. Numbers, unit codes, weights and targets are
left as they were, so the dataset still loads and scores exactly like data/sample (issue 5 §1:
hostile text must be inert, not rejected).

Scripts set ``window.__pwned`` or call ``alert``: a browser test checks that neither happened.
The CSS payload carries the marker ``pk-hostile`` so that a test can tell it from the report's
own stylesheet.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
YEAR = 2022
UNITS = ("SZ001", "SZ002")

# --- payloads ----------------------------------------------------------------------------------
SCRIPT = "<script>window.__pwned=1</script>"
ALERT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=window.__pwned=1>"
IMG_ALERT = '<img src="x" onerror="alert(1)">'
JS_LINK = '<a href="javascript:window.__pwned=1">点击查看</a>'
CLOSE_TABLE = "</td></tr></tbody></table>"
IFRAME = '<iframe src="https://example.com/"></iframe>'
STYLE = "<style>/*pk-hostile*/body{display:none}</style>"
MATH = "$\\alpha$"  # the six characters $\alpha$: must be shown as typed, not as α
#: a long name a unit might really have, and an unbreakable Latin token that could widen a page
LONG_NAME = "苏州市" + "公共数字文化与全民阅读推广服务" * 12 + "中心"
LONG_TOKEN = "NoSpaces" * 40

#: unit names as written in the hostile dataset; a report must show them exactly like this
UNIT_NAMES = {
    "SZ001": f"苏州市智慧审判保障中心{SCRIPT}{MATH}",
    "SZ002": f"{LONG_NAME}{IMG}",
}
#: 三级指标 renamed: (unit, old name) -> new name (quantitative ones reach the charts' labels)
INDICATOR_NAMES = {
    ("SZ001", "独立配合法官办结案件数"): f"独立配合法官办结案件数{SCRIPT}",
    ("SZ001", "卷宗整理归档数"): f"卷宗整理归档数{MATH}{CLOSE_TABLE}",
    ("SZ001", "“苏州智慧法院”APP功能接入“苏周到”"): f"“苏州智慧法院”APP功能接入{IMG}",
    ("SZ002", "新增馆藏文献"): f"新增馆藏文献（{'含图书、期刊、音像和数字资源' * 6}）{IMG_ALERT}",
}
#: 偏差原因分析及改进措施 set on these indicators (after renaming)
REASONS = {
    ("SZ001", "独立配合法官办结案件数"): (
        f"{ALERT}指标值偏低，[详见说明](javascript:window.__pwned=1){CLOSE_TABLE}{MATH}"
    ),
    ("SZ002", "全民阅读氛围"): f"受疫情影响{IMG}{JS_LINK}{LONG_TOKEN}",
}
#: 项目 renamed in budget.csv and monthly.csv alike (item names reach chart 1's labels)
ITEM_NAMES = {("SZ001", "智慧法院信息化运维"): f"智慧法院信息化运维{MATH}{SCRIPT}"}

NARRATIVE_SZ001 = f"""## 绩效实现情况

脚本：{SCRIPT}，弹窗：{ALERT}。

图片：{IMG} 与 ![远程图片](https://example.com/track.png)。

链接：[点我](javascript:window.__pwned=1)、[大小写](JaVaScRiPt:alert(1))、\
[实体](&#106;avascript:alert(1))、[数据](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)、\
<javascript:alert(1)>、[本地文件](file:///etc/passwd)、[引用式][坏链接]。

合法链接：[中国政府网](https://www.gov.cn/) 与 <mailto:jxpj@example.gov.cn>。

{JS_LINK}

{IFRAME}

{STYLE}

数学样式：{MATH} 与 $$\\sum_{{i=1}}^n x_i$$。

| 项目 | 说明 |
|---|---|
| {CLOSE_TABLE} | <b>粗体</b>{MATH} |

超长文本：{LONG_TOKEN}

[坏链接]: javascript:window.__pwned=1

## 存在问题

<div onmouseover="window.__pwned=1">鼠标移上来</div>

<svg onload="window.__pwned=1"></svg>

## 改进措施

<details open ontoggle="window.__pwned=1"><summary>展开</summary>内容</details>

<form action="https://example.com/"><button>提交</button></form>

## 绩效自评结果拟应用和公开情况

<meta http-equiv="refresh" content="0;url=https://example.com/">
<base href="https://example.com/">
<link rel="stylesheet" href="https://example.com/x.css">
按照有关要求予以公开。
"""

NARRATIVE_SZ002 = f"""## 绩效实现情况

2022 年新增馆藏文献 42000 余件。<object data="https://example.com/x.swf"></object>

### 小标题{SCRIPT}

* 列表项 {IMG_ALERT}
* <embed src="https://example.com/x">

## 存在问题

```html
{SCRIPT}
```

`{IMG}`

## 改进措施

> 引用 {JS_LINK}

## 绩效自评结果拟应用和公开情况

<p style="background:url(https://example.com/bg.png)">内联样式</p>
"""

DATASET_TOML = f"""name = "恶意文本测试数据集{SCRIPT}"
fictional = true
"""


@dataclass
class Hostile:
    """The dataset written by :func:`build`."""

    path: Path
    units: tuple[str, ...] = UNITS
    unit_names: dict[str, str] = field(default_factory=lambda: dict(UNIT_NAMES))
    #: 三级指标 per unit, as the report must show them
    indicator_names: dict[str, list[str]] = field(default_factory=dict)


def _rewrite(path: Path, change: Callable[[dict[str, str]], None]) -> None:
    """Rewrite a CSV of data/sample (UTF-8 with BOM, CRLF) row by row, keeping its format."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    for row in rows:
        change(row)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fields, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def _units(row: dict[str, str]) -> None:
    code = row["单位编码"]
    if code == "SZ001":
        row["单位名称"] = UNIT_NAMES["SZ001"]
        row["主管部门"] = f"苏州市中级人民法院{CLOSE_TABLE}{ALERT}"
        row["主要职能"] = f"开展信息化建设{IFRAME}{STYLE}{MATH}；保障网络运行{IMG}。"
        row["内设机构"] = f"综合处、{JS_LINK}、保障处"
        row["下属单位"] = f"{IMG_ALERT}无下属单位"
    elif code == "SZ002":
        row["单位名称"] = UNIT_NAMES["SZ002"]
        row["主要职能"] = f"承担公共图书文献服务。{LONG_TOKEN}{SCRIPT}"


def _indicators(row: dict[str, str]) -> None:
    key = (row["单位编码"], row["三级指标"])
    if key in REASONS:
        row["偏差原因分析及改进措施"] = REASONS[key]
    row["三级指标"] = INDICATOR_NAMES.get(key, row["三级指标"])
    if row["单位编码"] == "SZ001" and row["二级指标"] == "数量指标":
        row["二级指标"] = "数量指标<b>粗</b>"


def _reviews(row: dict[str, str]) -> None:
    """The sample's 复核 rows name the indicators as the hostile indicators.csv does."""
    key = (row["单位编码"], row["三级指标"])
    row["三级指标"] = INDICATOR_NAMES.get(key, row["三级指标"])
    if row["单位编码"] == "SZ001" and row["二级指标"] == "数量指标":
        row["二级指标"] = "数量指标<b>粗</b>"


def _items(row: dict[str, str]) -> None:
    row["项目"] = ITEM_NAMES.get((row["单位编码"], row["项目"]), row["项目"])


def _goals(row: dict[str, str]) -> None:
    if row["单位编码"] == "SZ001":
        row["预期目标"] += SCRIPT
        row["实际完成情况"] += f"{IMG}{CLOSE_TABLE}{MATH}"
    elif row["单位编码"] == "SZ002":
        row["预期目标"] += "[点我](javascript:alert(1))"
        row["实际完成情况"] += JS_LINK


def build(folder: Path, source: Path = SAMPLE) -> Hostile:
    """Copy ``source`` (data/sample) to ``folder`` and make the texts of SZ001 and SZ002 hostile."""
    shutil.copytree(source, folder)
    _rewrite(folder / "units.csv", _units)
    _rewrite(folder / "indicators.csv", _indicators)
    _rewrite(folder / "budget.csv", _items)
    _rewrite(folder / "monthly.csv", _items)
    _rewrite(folder / "goals.csv", _goals)
    if (folder / "reviews.csv").exists():
        _rewrite(folder / "reviews.csv", _reviews)
    narratives = folder / "narratives" / str(YEAR)
    (narratives / "SZ001.md").write_text(NARRATIVE_SZ001, encoding="utf-8")
    (narratives / "SZ002.md").write_text(NARRATIVE_SZ002, encoding="utf-8")
    (folder / "dataset.toml").write_text(DATASET_TOML, encoding="utf-8")
    names: dict[str, list[str]] = {code: [] for code in UNITS}
    with open(folder / "indicators.csv", encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["单位编码"] in names:
                names[row["单位编码"]].append(row["三级指标"])
    return Hostile(path=folder, indicator_names=names)
