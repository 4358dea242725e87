"""``perfkit forms make --review SAMPLE``: one 复核表 workbook per sampled table (issue 17 §3,
domain.md §9), made with the machinery of the self-evaluation forms (:mod:`perfkit.forms.make`:
named styles, locked and editable cells, drop-downs, protection without a password, the very
hidden ``_perfkit`` sheet).

The sheet 复核表, twelve columns A–L:

- title "{年度}年度绩效自评复核表"; 被复核对象 (unit or project name) | 单位编码 | 项目编码 |
  评分规则;
- 预算执行情况（万元）: 全年预算数 | 全年执行数 | 执行率 (locked) | 复核执行数 (editable; blank
  accepts the unit's figures) | 复核执行率 (a live formula);
- 绩效指标复核: 一级指标 | 二级指标 | 三级指标 | 指标值 | 分值 | 自评完成值 | 自评得分 | 得分来源
  (locked; 自评得分 is the unit's reported 得分, perfkit's own where blank, and 得分来源 says which)
  | 复核完成值 | 复核得分 | 复核意见 | 佐证材料/备注 (editable); then 合计;
- 复核汇总: 自评总分 and 自评等级 (locked), 复核总体意见, 复核人, 复核日期 (editable).

复核得分 is optional: perfkit computes it from the 复核完成值 with the same rulebook; a typed one
that differs is flagged. The hidden sheet says ``form_kind = review`` and carries the issued
indicators (年度指标值, 分值, 实际完成值 as issued), so that ``forms collect`` recognises the
form and names a locked cell that was changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from perfkit.core.problems import UsageError
from perfkit.core.version import __version__
from perfkit.data.dataset import Dataset
from perfkit.forms import make as M
from perfkit.forms.meta import write_meta
from perfkit.review.deviation import self_evaluation
from perfkit.rules.rulebook import Rulebook, load_rulebook

REVIEW_KIND = "review"
REVIEW_SHEET = "复核表"
REVIEW_HELP_SHEET = "复核说明"
TITLE = "{year}年度绩效自评复核表"
BUDGET_SECTION = "预算执行情况（万元）"
INDICATOR_SECTION = "绩效指标复核"
SUMMARY_SECTION = "复核汇总"
#: the indicator block's columns: contract key (or own name) -> (column letter, header)
COLUMNS: dict[str, tuple[str, str]] = {
    "level1": ("A", "一级指标"),
    "level2": ("B", "二级指标"),
    "level3": ("C", "三级指标"),
    "target": ("D", "指标值"),
    "weight": ("E", "分值"),
    "actual": ("F", "自评完成值"),
    "self_score": ("G", "自评得分"),
    "self_source": ("H", "得分来源"),
    "review_actual": ("I", "复核完成值"),
    "review_score": ("J", "复核得分"),
    "review_opinion": ("K", "复核意见"),
    "review_evidence": ("L", "佐证材料/备注"),
}
INPUTS = ("review_actual", "review_score", "review_opinion", "review_evidence")
WIDTHS = {"A": 10, "B": 12, "C": 18, "D": 13, "E": 7, "F": 13, "G": 8, "H": 10, "I": 13,
          "J": 8, "K": 26, "L": 20}  # fmt: skip
LAST = "L"
LABELS = {
    "adjusted_budget": "全年预算数",
    "executed": "全年执行数",
    "rate": "执行率",
    "review_executed": "复核执行数",
    "review_rate": "复核执行率",
    "self_total": "自评总分",
    "grade_before": "自评等级",
    "review_summary": "复核总体意见",
    "reviewer": "复核人",
    "review_date": "复核日期",
}
SOURCES = {"reported": "单位自评", "computed": "perfkit 计算"}
GUIDE = (
    "浅黄色单元格由复核人填写，其余单元格已锁定（审阅 → 撤销工作表保护可解除，无密码），请勿修改。",
    "复核完成值：按核实的佐证材料填写实际完成的数值或档次，写法与实际完成值相同（如“150件”“95%”"
    "“2022年10月”“部分达成年度指标并具有一定效果”）；留空表示认可单位自评的完成值。",
    "复核得分：可不填。perfkit 按同一评分规则由复核完成值计算复核得分；"
    "填写的复核得分与计算结果不一致时会在回收时标出。",
    "复核意见：说明与自评不一致的原因（如“佐证材料仅能证明 150 件”）；"
    "偏差最大的指标的复核意见将作为主要偏差原因。",
    "复核执行数：核实的全年执行数（万元）；留空表示认可单位填报的预算执行数据。",
    "自评得分：单位填报的得分；单位未填得分的，为 perfkit 按评分规则计算的得分"
    "（得分来源一栏注明）。",
    "复核人、复核日期每表填写一次；复核总体意见写在复核汇总中。",
    "偏差分类（perfkit 默认，无公开标准）：得分差为 0 为完全一致；不超过分值 20% 为一般偏差；"
    "不超过 50% 为明显偏差；超过 50% 为显著偏差。偏离度 =（自评得分 − 复核得分）÷ 自评得分。",
)


def review_file(unit: str, project: str = "") -> str:
    """``复核-<单位编码>.xlsx`` or ``复核-<单位编码>-<项目编码>.xlsx``."""
    return f"复核-{unit}-{project}.xlsx" if project else f"复核-{unit}.xlsx"


def _rows_of(frame: pd.DataFrame, year: int, unit: str, project: str) -> pd.DataFrame:
    own = frame["project_code"].fillna("").astype(str) if "project_code" in frame else ""
    sel = (frame["year"] == year) & (frame["unit_code"] == unit) & (own == project)
    return frame.loc[sel].sort_values("_row", kind="stable")


def build_review_form(
    ds: Dataset, year: int, unit: str, rb: Rulebook, project: str = ""
) -> Workbook:
    """The 复核表 of one table (not saved): the unit's 部门整体 table, or ``project``'s."""
    book = rb.for_projects() if project else rb
    budget = _rows_of(ds.budget, year, unit, project)
    issued = _rows_of(ds.indicators, year, unit, project)
    seen = self_evaluation(ds, rb, year, unit, project)
    scores = seen.indicators.set_index("level3")
    table = seen.tables.iloc[0]
    wb = Workbook()
    ws = wb.active
    ws.title = REVIEW_SHEET
    sh = M._Sheet(ws, WIDTHS)
    name = ds.project_name(unit, project) if project else ds.unit_name(unit)
    sh.box("A", 1, TITLE.format(year=year), LAST, bold=True, border=False, size=16,
           align="center")  # fmt: skip
    sh.fit(1, 2)
    sh.box("A", 2, "被复核对象", header=True)
    sh.box("B", 2, name, "E")
    sh.box("F", 2, "单位编码", header=True)
    sh.box("G", 2, unit)
    sh.box("H", 2, "项目编码", header=True)
    sh.box("I", 2, project or "（部门整体）")
    sh.box("J", 2, "评分规则", header=True)
    sh.box("K", 2, book.title, "L")
    # budget execution
    sh.box("A", 4, BUDGET_SECTION, LAST, header=True)
    spans = [("adjusted_budget", "A", "B"), ("executed", "C", "D"), ("rate", "E", "F"),
             ("review_executed", "G", "H"), ("review_rate", "I", "J")]  # fmt: skip
    for key, first, last in spans:
        sh.box(first, 5, LABELS[key], last, header=True)
    adjusted = float(budget["adjusted_budget"].sum())
    executed = float(budget["executed"].sum())
    sh.box("A", 6, round(adjusted, 6), "B", align="right", number_format=M.AMOUNT_FORMAT)
    sh.box("C", 6, round(executed, 6), "D", align="right", number_format=M.AMOUNT_FORMAT)
    sh.box("E", 6, M.Formula('=IF(N(A6)=0,"",C6/A6)'), "F", align="right",
           number_format=M.RATE_FORMAT)  # fmt: skip
    sh.box("G", 6, None, "H", entry=True, align="right", number_format=M.AMOUNT_FORMAT)
    sh.box("I", 6, M.Formula('=IF(OR(G6="",N(A6)=0),"",G6/A6)'), "J", align="right",
           number_format=M.RATE_FORMAT)  # fmt: skip
    sh.box("K", 5, "复核执行数留空表示认可单位填报的数据", LAST, to_row=6, border=False, size=9,
           color="595959")  # fmt: skip
    numbers = M._number_validation("复核执行数")
    ws.add_data_validation(numbers)
    numbers.add("G6")
    # indicators
    sh.box("A", 8, INDICATOR_SECTION, LAST, header=True)
    for _key, (col, head) in COLUMNS.items():
        sh.box(col, 9, head, header=True)
    sh.fit(9, 2)
    scores_ok = M._number_validation("复核得分")
    ws.add_data_validation(scores_ok)
    row = 10
    for ind in issued.itertuples(index=False):
        s = scores.loc[ind.level3]
        values = {
            "level1": ind.level1, "level2": ind.level2, "level3": ind.level3,
            "target": ind.target, "weight": float(ind.weight), "actual": ind.actual,
            "self_score": float(s["self_score"]), "self_source": SOURCES[s["self_source"]],
        }  # fmt: skip
        for key, (col, _) in COLUMNS.items():
            entry = key in INPUTS
            number = key in ("weight", "self_score", "review_score")
            sh.box(
                col,
                row,
                values.get(key),
                entry=entry,
                align="right" if number else "left",
                number_format=M.SCORE_FORMAT if number else ("@" if entry else "General"),
            )
        scores_ok.add(f"J{row}")
        if M._is_qualitative(str(ind.target)):
            tiers = M._list_validation([t.label for t in book.tiers], "复核完成值")
            ws.add_data_validation(tiers)
            tiers.add(f"I{row}")
        row += 1
    last = row - 1
    sh.box("A", row, "合计", "D", header=True)
    for col in ("E", "G", "J"):
        formula = f"=SUM({col}10:{col}{last})" if last >= 10 else "=0"
        sh.box(col, row, M.Formula(formula), align="right", number_format=M.SCORE_FORMAT)
    for col in ("F", "H", "I", "K", "L"):
        sh.box(col, row, None)
    # summary
    row += 2
    sh.box("A", row, SUMMARY_SECTION, LAST, header=True)
    row += 1
    sh.box("A", row, LABELS["self_total"], "B", header=True)
    sh.box("C", row, float(table["self_total"]), "D", align="right",
           number_format=M.SCORE_FORMAT)  # fmt: skip
    sh.box("E", row, LABELS["grade_before"], "F", header=True)
    sh.box("G", row, str(table["grade_before"]), "H")
    sh.box("I", row, "自评总分 = 预算执行率得分 + 各指标自评得分（按评分规则折算）", LAST,
           border=False, size=9, color="595959")  # fmt: skip
    row += 1
    sh.box("A", row, LABELS["review_summary"], "B", header=True)
    sh.box("C", row, None, LAST, entry=True, number_format="@")
    sh.fit(row, 4)
    row += 1
    sh.box("A", row, LABELS["reviewer"], "B", header=True)
    sh.box("C", row, None, "E", entry=True, number_format="@")
    sh.box("F", row, LABELS["review_date"], "G", header=True)
    sh.box("H", row, None, "I", entry=True, number_format="@")
    row += 2
    note = "说明：浅黄色单元格由复核人填写；填写方法见“复核说明”工作表。"
    if ds.fictional:
        note += "本表数据为虚构示例，仅供演示。"
    sh.box("A", row, note, LAST, border=False, size=9, color="595959")
    sh.apply_heights()
    ws.freeze_panes = "A10"
    M._page_setup(ws, f"A1:{LAST}{row}")
    ws.page_setup.orientation = "landscape"
    M._protect(ws)
    _write_guide(wb, ds.fictional)
    info = {
        "form_kind": REVIEW_KIND,
        "layout_version": "1",
        "unit_code": unit,
        **({"level": "project", "project_code": project} if project else {}),
        "year": str(year),
        "form_sheet": REVIEW_SHEET,
        "rulebook": rb.name,
        "fictional": "true" if ds.fictional else "false",
        "source_fingerprint": ds.fingerprint,
        "generator": f"perfkit {__version__}",
    }
    write_meta(wb, info, {"indicators": issued}, "", tables=("indicators",))
    wb.active = 0
    wb.calculation.fullCalcOnLoad = True
    return wb


def _write_guide(wb: Workbook, fictional: bool) -> None:
    ws = wb.create_sheet(REVIEW_HELP_SHEET)
    sh = M._Sheet(ws, {"A": 100})
    sh.box("A", 1, "复核说明", bold=True, border=False, size=14)
    row = 2
    if fictional:
        sh.box("A", row, "注意：本表数据为虚构示例，仅供演示。", bold=True, border=False)
        row += 1
    for i, text in enumerate(GUIDE, start=1):
        sh.box("A", row, f"{i}. {text}", border=False)
        row += 1
    sh.apply_heights()
    ws.sheet_view.showGridLines = False
    M._page_setup(ws, f"A1:A{row}")
    M._protect(ws)


def make_review_forms(
    ds: Dataset,
    sample: Sequence[tuple[int, str, str]],
    out_dir: str | Path,
    rulebook: Rulebook | str | Path | None = None,
) -> list[Path]:
    """Write one 复核表 per (年度, 单位编码, 项目编码) of ``sample`` into ``out_dir``."""
    rb = rulebook if isinstance(rulebook, Rulebook) else load_rulebook(rulebook)
    names: dict[str, tuple[str, str]] = {}
    for _year, unit, project in sample:
        name = review_file(unit, project).casefold()
        if name in names and names[name] != (unit, project):
            raise UsageError(f"两份复核表的文件名相同（{review_file(unit, project)}）。")
        names[name] = (unit, project)
    years = {y for y, _, _ in sample}
    if len(years) > 1:
        raise UsageError(
            f"抽查样本含多个年度（{'、'.join(map(str, sorted(years)))}），请分年度生成。"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for year, unit, project in sample:
        path = out / review_file(unit, project)
        M._save(build_review_form(ds, year, unit, rb, project), path)
        paths.append(path)
    return paths
