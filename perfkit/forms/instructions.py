"""The 填表说明 sheet: what to fill in, how targets are written, and the scoring rules in use.

The scoring part is generated from the rulebook, so a form made under the Hubei preset explains
Hubei's 20-point execution score and a form made under Jiangxi's explains its steps.
"""

from __future__ import annotations

from perfkit.forms.layout import WEIGHT_SUM_LABEL
from perfkit.rules.rulebook import Rulebook, Step

#: (写法, 含义, 计分) — the notation of 年度指标值, as parsed by perfkit.rules.notation
NOTATION_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    (
        "≥95%",
        "不低于 95%；也可写作 >=95%、不低于95%、95%以上",
        "正向指标：实际值达到目标即得满分",
    ),
    ("≥200件", "不少于 200 件；也可写作 不少于200件、200件以上", "正向指标"),
    ("不低于12次", "即 ≥12次", "正向指标"),
    ("12次", "只写数字视同“≥12次”", "正向指标"),
    ("230余件", "约数（余、多、约、左右）：按 230 件计", "正向指标"),
    (
        "≤30天",
        "不超过 30 天；也可写作 <=30天、不超过30天、30天以内",
        "反向指标：不超过目标即得满分",
    ),
    ("=0次", "恰为 0 次，如安全事故、有效投诉", "实际为 0 才得满分，否则 0 分"),
    ("=100%", "等于 100%", "按正向指标计分"),
    ("达成年度指标", "定性指标：没有数字的表述", "按下方定性指标档次计分"),
)


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


def _num(x: float) -> str:
    return f"{x:g}"


def execution_steps(rb: Rulebook) -> tuple[list[Step], float]:
    """The steps above 0%, highest first, and the score below all of them (a step at 0% or none)."""
    steps = sorted((s for s in rb.execution_steps if s.min > 0), key=lambda s: -s.min)
    floor = next((s.score for s in rb.execution_steps if s.min <= 0), 0.0)
    return steps, floor


def execution_rule(rb: Rulebook) -> str:
    """The execution-score rule in words (财预〔2020〕10号 and the provincial variants)."""
    head = "预算执行率 = 全年执行数 ÷ 全年预算数；"
    if rb.execution_method == "steps":
        steps, floor = execution_steps(rb)
        text = "；".join(f"执行率达到 {_pct(s.min)} 得 {_num(s.score)} 分" for s in steps)
        full = _num(rb.execution_weight)
        return f"{head}按档计分（满分 {full} 分）：{text}；其余得 {_num(floor)} 分。"
    w = _num(rb.execution_weight)
    return f"{head}得分 = 执行率 × {w} 分，最高 {w} 分。"


def reverse_rule(rb: Rulebook) -> str:
    if rb.reverse == "linear":
        return (
            "反向指标（≤）：不超过目标得满分；超过时得分 = "
            "分值 × (1 − (实际值 − 目标值) ÷ 目标值)，实际值达到目标值 2 倍时得 0 分。"
        )
    return (
        "反向指标（≤）：不超过目标得满分；超过时得分 = 分值 × 目标值 ÷ 实际值"
        "（目标为 0 时得 0 分）。"
    )


def scoring_rules(rb: Rulebook) -> list[str]:
    """The rulebook's rules, one sentence each, as the 填表说明 prints them."""
    grades = "，".join(f"{g.name} ≥ {_num(g.min)} 分" for g in rb.grades if g.min > 0)
    lowest = rb.grades[-1].name if rb.grades else ""
    total = _num(rb.indicator_total)
    return [
        execution_rule(rb),
        f"绩效指标共 {total} 分，各指标分值之和必须等于 {total} 分"
        f"（表中“{WEIGHT_SUM_LABEL}”不等于 {total} 时显示为红色）。",
        "正向指标（≥、只写数字、约数）：达到目标得满分；未达到时得分 = 分值 × 实际值 ÷ 目标值。",
        reverse_rule(rb),
        "等于 0 的指标（=0）：实际为 0 得满分，否则得 0 分；等于其他数值的按正向指标计分。",
        "定性指标：按实际完成情况所属档次计分（见下表）；单位自评得分落在该档区间内的予以采用，"
        "否则按该档默认比例计分。",
        f"每个指标得分保留 {rb.decimals} 位小数；总分 = 预算执行率得分 + 各指标得分。",
        f"等级：{grades}，其余为{lowest}。",
        f"自评得分与按规则计算的得分相差超过 {_num(rb.score_mismatch)} 分的，将在评价报告中列出。",
        f"全年执行率低于 {_pct(rb.low_execution)} 的，请在偏差原因栏说明；实际值达到目标值 "
        f"{_pct(rb.over_target)} 及以上的，说明目标可能设置偏低，也请说明。",
    ]


def tier_rows(rb: Rulebook) -> list[tuple[str, str, str, str]]:
    """(档次, 得分区间, 默认得分, 可用表述) per qualitative tier."""
    return [
        (
            t.label,
            f"分值的 {_pct(t.min)}–{_pct(t.max)}",
            f"分值 × {_pct(t.share)}",
            "、".join(t.phrases),
        )
        for t in rb.tiers
    ]


GUIDE: tuple[str, ...] = (
    "本表由财政部门根据预算数据生成。浅黄色单元格由单位填写：指标的实际完成值、得分（自评分，可不填）、"
    "偏差原因分析及改进措施，以及年度总体目标的实际完成情况。",
    "新增指标请填在指标区下方的空白行（整行为浅黄色），一级、二级指标可从下拉列表选择。",
    "实际完成值请与年度指标值使用同一计量单位：目标为“≥95%”的填“96%”（带 % 号），"
    "目标为“≥200件”的填“235件”；定性指标可从下拉列表选择档次，或填写下表“可用表述”中的一种。",
    "预算执行数据（年初预算数、全年预算数、全年执行数）由财政部门提供，执行率和得分自动计算，"
    "不需填写；如有出入，请与财政部门联系，不要在表中改动。",
    "工作表已保护以免误改公式和预填内容，没有密码：确需修改时，在“审阅”选项卡点“撤销工作表保护”。",
    "请不要删除或移动表中已有的内容；工作表和文件可以改名。填好后保存为 .xlsx 格式"
    "（WPS 请选择“Microsoft Excel 文件 (*.xlsx)”）交回。",
)
