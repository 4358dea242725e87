"""Deterministic synthetic datasets of any size in the data contract (``perfkit demo-data``).

The data are fictional and say so (``dataset.toml``: ``fictional = true``). A dataset is a folder
of UTF-8 CSV files with the Chinese headers of :mod:`perfkit.data.contract`. Every column is built
with numpy arrays of variable-width strings in one vectorised step, and the CSV lines are joined
directly (no field needs quoting: the generator writes no ``,`` ``"`` or line break inside a
field), so 10,000 units × 30 indicators take a few seconds. The same ``seed`` gives
byte-identical files.

What the generator guarantees, so that the default rulebook (mof2020, 财预〔2020〕10号) accepts
every dataset: per unit the indicator weights are whole numbers adding up to 90 (产出指标 50,
效益指标 30, 满意度指标 10, as the standard 自评表 splits them); target and actual of an indicator
use the same unit of measure; qualitative results are tier phrases of the rulebook; every budget
item has a positive 全年预算数 and 12 monthly rows that add up to its 全年执行数 to the cent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from perfkit.core.problems import UsageError
from perfkit.data.contract import BUDGET, GOALS, INDICATORS, MONTHLY, PROJECTS, UNITS, Table

S = np.dtypes.StringDType()


def _strings(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=S)


#: (一级指标, points, 二级指标 cycled over the block's indicators)
BLOCKS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("产出指标", 50, ("数量指标", "数量指标", "质量指标", "时效指标", "成本指标")),
    ("效益指标", 30, ("社会效益指标", "经济效益指标", "生态效益指标", "可持续影响指标")),
    ("满意度指标", 10, ("服务对象满意度指标",)),
)
MIN_INDICATORS, MAX_INDICATORS = 3, 90

# Indicator kinds; each has its own notation forms for target and actual.
COUNT, PERCENT, LESS, ZERO, QUAL, SATISFACTION = range(6)

#: count units, the 三级指标 noun that goes with each, and the range of its targets
COUNT_UNITS = _strings(["件", "次", "人次", "个", "期", "台"])
COUNT_NOUNS = _strings(
    ["业务办理量", "检查次数", "服务人次", "项目完成数", "培训期数", "设备配置数"]
)
COUNT_LOW = np.array([50, 10, 100, 5, 2, 2])
COUNT_HIGH = np.array([5000, 500, 20000, 200, 50, 100])
#: target forms of "at least": prefix before the number, suffix after the unit ("" "": bare)
GE_PREFIX = _strings(["≥", "不低于", "", "", "≧", "不少于", ">=", "≥"])
GE_SUFFIX = _strings(["", "", "以上", "", "", "", "", ""])
#: forms of an actual value: exact, 230余件, 约230件, 230多件, 230件左右
APPROX_PREFIX = _strings(["", "", "约", "", ""])
APPROX_INFIX = _strings(["", "余", "", "多", ""])
APPROX_SUFFIX = _strings(["", "", "", "", "左右"])
EXACT, ABOUT, AROUND = 0, 2, 4
#: reverse (≤) indicators: unit, noun and the range of the target value
LESS_UNITS = _strings(["天", "小时", "万元"])
LESS_NOUNS = _strings(["办结时限", "响应时间", "成本控制数"])
LESS_LOW, LESS_HIGH = np.array([3, 2, 10]), np.array([30, 48, 500])
COST = 2
LE_PREFIX = _strings(["≤", "不超过", "", "≦", "不高于", "<=", "≤"])
LE_SUFFIX = _strings(["", "", "以内", "", "", "", ""])
PERCENT_NOUNS = _strings(["任务完成率", "质量合格率", "服务覆盖率", "按时完成率"])
PERCENT_TARGETS = np.array([80, 85, 90, 95, 98])
#: ≥95%, ≧95％, 不低于95%, 95% (bare)
PERCENT_PREFIX = _strings(["≥", "≧", "不低于", ""])
FULL_WIDTH = 1
ZERO_UNITS = _strings(["次", "起"])
QUAL_NOUNS = _strings(["社会效益", "服务能力", "长效管理机制", "群众获得感"])
QUAL_TARGETS = _strings(["有效提升", "持续提升", "效果明显", "达成年度指标", "稳步提升"])
#: phrases of the default rulebook's tiers A, B and C (perfkit/rules/rulebooks/mof2020.toml)
TIER_PHRASES = (
    _strings(["达成年度指标", "达成年度指标", "完成", "效果明显"]),
    _strings(["部分达成年度指标并具有一定效果", "基本达成", "基本完成"]),
    _strings(["未达成年度指标且效果较差", "未完成"]),
)
REASONS = _strings(
    [
        "受外部因素影响，部分工作推迟实施；下一年度将加强计划管理。",
        "年度指标值设置偏高，下一年度将结合实际科学设置。",
        "项目实施进度滞后；下一年度将加快推进并加强跟踪监控。",
        "工作力量不足；下一年度将通过购买服务补充力量。",
    ]
)

#: the 主管部门 of a province's units: its cities' bureaus and the province's own departments
CITIES = ("南京市", "无锡市", "徐州市", "常州市", "苏州市", "南通市", "连云港市", "淮安市",
          "盐城市", "扬州市", "镇江市", "泰州市", "宿迁市")  # fmt: skip
BUREAUS = (
    "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局", "财政局",
    "人力资源和社会保障局", "自然资源和规划局", "生态环境局", "住房和城乡建设局", "城市管理局",
    "交通运输局", "水务局", "农业农村局", "商务局", "文化广电和旅游局", "卫生健康委员会",
    "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "体育局", "统计局", "医疗保障局",
    "机关事务管理局", "园林和绿化管理局", "数据局", "档案馆", "地方志办公室", "人民政府办公室",
    "中级人民法院",
)  # fmt: skip
PROVINCE = ("江苏省教育厅", "江苏省科学技术厅", "江苏省民政厅", "江苏省财政厅", "江苏省水利厅",
            "江苏省农业农村厅", "江苏省文化和旅游厅", "江苏省卫生健康委员会", "江苏省交通运输厅",
            "江苏省自然资源厅", "江苏省生态环境厅", "江苏省住房和城乡建设厅", "江苏省人民检察院",
            "江苏省高级人民法院", "江苏省体育局", "江苏省统计局")  # fmt: skip
DEPARTMENTS = _strings([*PROVINCE, *(city + bureau for city in CITIES for bureau in BUREAUS)])
#: 主管部门 sizes: about 4 × √(units) departments, lognormal weights (σ below), each ≥ 1 unit;
#: 10,000 units give 400 departments of 1 to about 380 units (median 15)
DEPARTMENT_SPREAD = 1.0
#: the share of units whose 主管部门 is left blank (the column is optional)
NO_DEPARTMENT = 0.005
FUNCTIONS = _strings(
    [
        "承担本系统业务的技术支撑和公共服务工作，组织实施年度重点项目。",
        "负责本领域公共设施的运行维护和安全管理，提供便民服务。",
        "开展本行业的监测、检验和技术推广工作，为主管部门决策提供依据。",
        "组织实施本领域的培训、宣传和信息化建设工作。",
    ]
)
INTERNAL_BODIES = _strings(["综合科、业务科", "办公室、业务一科、业务二科", "综合处、保障处"])
SUBORDINATES = _strings(["无下属单位", "无下属单位", "无下属单位", "下属服务站 2 个"])
GOAL_EXPECTED = _strings(
    [
        "完成年度重点工作任务，保障单位正常运转。",
        "提升公共服务质量和群众满意度。",
        "加强预算执行管理，提高资金使用效益。",
        "推进信息化建设，提高工作效率。",
    ]
)
GOAL_ACHIEVED = _strings(
    [
        "年度重点工作任务基本完成。",
        "公共服务质量稳步提升。",
        "预算执行总体平稳，个别项目进度偏慢。",
        "信息化建设按计划推进。",
    ]
)

#: budget items of every unit: (项目, 支出类型, fixed 资金来源 or "" for a random one)
ITEMS: tuple[tuple[str, str, str], ...] = (
    ("人员经费", "基本支出", "财政拨款"),
    ("公用经费", "基本支出", "财政拨款"),
    ("专项业务经费", "项目支出", ""),
    ("信息化建设运维", "项目支出", ""),
    ("设备购置", "项目支出", ""),
)
FUND_SOURCES = _strings(["财政拨款", "上年结转", "其他资金"])
FUND_WEIGHTS = np.array([0.7, 0.15, 0.15])
CARRYOVER = 1

#: "00" … "99": the two decimals of an amount in 万元, or the number of an indicator
TWO_DIGITS = _strings([f"{i:02d}" for i in range(100)])


#: 项目类别 of the demo projects
PROJECT_CATEGORIES = _strings(["专项业务类", "运转类", "基本建设类", "信息化建设类", "民生保障类"])
PROJECT_NAMES = _strings(
    ["专项业务提升", "信息系统运维", "设施设备更新", "公共服务保障", "能力建设培训"]
)
#: indicators per demo project (a 项目支出绩效自评表 is shorter than a 部门整体 one)
PROJECT_INDICATORS = 8
MAX_PROJECTS = 99


def write_demo(
    out: Path,
    units: int,
    seed: int = 0,
    indicators_per_unit: int = 30,
    year: int = 2022,
    projects_per_unit: int = 0,
) -> None:
    """Write a fictional dataset of ``units`` units into the folder ``out`` (created if needed).

    Files: units.csv, budget.csv (5 items per unit), indicators.csv (``indicators_per_unit`` per
    unit, weights adding up to 90), goals.csv (2–4 per unit), monthly.csv (12 rows per budget
    item) and dataset.toml. With ``projects_per_unit`` N > 0 also projects.csv (项目编码 P01 …
    per unit) and, in budget.csv, indicators.csv and goals.csv, each project's own rows (5
    budget items, 8 indicators adding up to 90, 2–4 goals) under its 项目编码; the projects are
    drawn from a random stream of their own, so the units' rows are the same for every N.
    Raises ``UsageError`` for impossible sizes.
    """
    if not 0 <= projects_per_unit <= MAX_PROJECTS:
        raise UsageError(
            f"每个单位的项目数应在 0 到 {MAX_PROJECTS} 之间，而不是 {projects_per_unit}。"
        )
    if units < 1:
        raise UsageError(f"单位数量应为正整数，而不是 {units}。")
    if not MIN_INDICATORS <= indicators_per_unit <= MAX_INDICATORS:
        raise UsageError(
            f"每个单位的指标数应在 {MIN_INDICATORS} 到 {MAX_INDICATORS} 之间"
            f"（每个指标至少 1 分，合计 90 分），而不是 {indicators_per_unit}。"
        )
    rng = np.random.default_rng(seed)
    codes = _codes(units)
    #: per-unit performance level in [0, 1): drives execution and indicator completion
    quality = rng.random(units)
    budget, executed_cents = _budget(rng, codes, quality)
    tables = {
        UNITS: _units(rng, codes, seed),
        BUDGET: budget,
        INDICATORS: _indicators(rng, codes, quality, indicators_per_unit),
        GOALS: _goals(rng, codes),
        MONTHLY: _monthly(rng, budget, executed_cents),
    }
    if projects_per_unit:
        tables.update(_projects(seed, codes, projects_per_unit, tables))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for table, columns in tables.items():
        year_column = {} if table is PROJECTS else {"year": str(year)}
        _write_csv(out / table.filename, table, {**year_column, **columns})
    text = (
        "# Written by perfkit demo-data: every number is random and fictional.\n"
        f'name = "perfkit 演示数据（虚构）：{units} 个单位，随机种子 {seed}"\n'
        "fictional = true\n"
    )
    (out / "dataset.toml").write_bytes(text.encode("utf-8"))


def _projects(
    seed: int, codes: np.ndarray, per_unit: int, tables: dict[Table, dict[str, np.ndarray]]
) -> dict[Table, dict[str, np.ndarray]]:
    """``per_unit`` projects per unit: the projects table, and budget, indicator and goal rows
    under their 项目编码 appended to the units' (whose 项目编码 is blank)."""
    rng = np.random.default_rng([seed, 11])  # the projects' own stream: units stay the same
    n = len(codes) * per_unit
    unit = np.repeat(codes, per_unit)
    project = "P" + np.tile(TWO_DIGITS[1 : per_unit + 1], len(codes))
    entity = unit + "-" + project  # a stand-in code while the generators run
    quality = rng.random(n)
    budget, _ = _budget(rng, entity, quality)
    parts = {
        BUDGET: budget,
        INDICATORS: _indicators(rng, entity, quality, PROJECT_INDICATORS),
        GOALS: _goals(rng, entity),
    }
    out: dict[Table, dict[str, np.ndarray]] = {}
    lookup = {str(e): (str(u), str(p)) for e, u, p in zip(entity, unit, project, strict=True)}
    for table, columns in parts.items():
        pairs = [lookup[str(e)] for e in columns["unit_code"]]
        own = tables[table]
        rows = len(own["unit_code"])
        merged = {}
        for key, values in columns.items():
            if key == "unit_code":
                values = _strings([u for u, _ in pairs])
            merged[key] = np.concatenate([own[key], values]).astype(S)
        merged["project_code"] = np.concatenate(
            [np.full(rows, "", dtype=S), _strings([p for _, p in pairs])]
        )
        out[table] = merged
    out[PROJECTS] = {
        "unit_code": unit,
        "project_code": project,
        "project_name": _pick(rng, PROJECT_NAMES, n) + project,
        "category": _pick(rng, PROJECT_CATEGORIES, n),
        "manager": _pick(rng, _strings(["张", "王", "李", "赵", "陈"]), n) + "某",
    }
    return out


def _codes(units: int) -> np.ndarray:
    """D00001, D00002 …: letters and digits only, as the contract requires of a 单位编码."""
    width = max(5, len(str(units)))
    return "D" + np.strings.zfill(np.arange(1, units + 1).astype(S), width)


def _pick(rng: np.random.Generator, choices: np.ndarray, size: int) -> np.ndarray:
    return choices[rng.integers(len(choices), size=size)]


def _number(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).astype(S)


def _tenths(tenths: np.ndarray) -> np.ndarray:
    """Non-negative integers counted in tenths as text: 965 → "96.5", 960 → "96"."""
    whole = _number(tenths // 10)
    return np.where(tenths % 10 == 0, whole, whole + "." + _number(tenths % 10))


def _cents(cents: np.ndarray) -> np.ndarray:
    """Amounts counted in hundredths of 万元 as 万元 with two decimals: 12345 → "123.45"."""
    return _number(cents // 100) + "." + TWO_DIGITS[cents % 100]


def _departments(seed: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """The 主管部门 of ``n`` units as a province has them: a few hundred departments of 1 to a few
    hundred units each, drawn from a stream of their own; some left blank."""
    rng.integers(12, size=n)  # the draw this column once took: the other columns stay the same
    own = np.random.default_rng([seed, 12])
    k = max(1, min(n, len(DEPARTMENTS), round(4 * n**0.5)))
    names = DEPARTMENTS[own.permutation(len(DEPARTMENTS))[:k]]
    weights = own.lognormal(0, DEPARTMENT_SPREAD, k)
    sizes = 1 + own.multinomial(n - k, weights / weights.sum())
    chosen = own.permutation(np.repeat(names, sizes))
    return np.where(own.random(n) < NO_DEPARTMENT, "", chosen).astype(S)


def _units(rng: np.random.Generator, codes: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    n = len(codes)
    return {
        "unit_code": codes,
        "unit_name": "演示单位" + np.strings.lstrip(codes, "D"),
        "department": _departments(seed, n, rng),
        "functions": _pick(rng, FUNCTIONS, n),
        "internal_bodies": _pick(rng, INTERNAL_BODIES, n),
        "subordinate_units": _pick(rng, SUBORDINATES, n),
    }


def _budget(
    rng: np.random.Generator, codes: np.ndarray, quality: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Five budget items per unit, amounts drawn as whole hundredths of 万元 (the "cents" below)
    so that every sum is exact.

    Returns the columns and the 全年执行数 in cents (for the monthly rows).
    """
    n, m = len(codes), len(ITEMS)
    personnel = rng.uniform(100, 2000, n)
    amounts = np.empty((n, m))
    amounts[:, 0] = personnel
    amounts[:, 1] = personnel * rng.uniform(0.08, 0.2, n)
    amounts[:, 2:] = np.exp(rng.uniform(np.log(10), np.log(1500), (n, m - 2)))
    adjusted = np.maximum(np.round(amounts * 100), 100).astype(np.int64)
    fund = np.zeros((n, m), dtype=np.int64)
    fund[:, 2:] = rng.choice(len(FUND_SOURCES), size=(n, m - 2), p=FUND_WEIGHTS)
    # 年初预算数: equal to 全年预算数 for most items, −15%…+20% different for some (预算调整);
    # 上年结转 funds are not in the budget at the start of the year (年初 0)
    changed = rng.random((n, m)) < 0.4
    factor = np.where(changed, rng.uniform(0.85, 1.2, (n, m)), 1.0)
    initial = np.where(fund == CARRYOVER, 0, np.round(adjusted / factor)).astype(np.int64)
    # 执行率: a unit level from its quality (about 55%–100%) plus noise per item;
    # 人员经费 nearly all spent
    level = 0.55 + 0.45 * quality**0.4
    rate = level[:, None] + rng.normal(0, 0.05, (n, m))
    rate[:, 0] += 0.05
    executed = np.round(adjusted * np.clip(rate, 0.2, 1.0)).astype(np.int64)
    columns = {
        "unit_code": np.repeat(codes, m),
        "fund_source": FUND_SOURCES[fund.ravel()],
        "expense_type": np.tile(_strings([kind for _, kind, _ in ITEMS]), n),
        "item": np.tile(_strings([item for item, _, _ in ITEMS]), n),
        "initial_budget": _cents(initial.ravel()),
        "adjusted_budget": _cents(adjusted.ravel()),
        "executed": _cents(executed.ravel()),
    }
    return columns, executed.ravel()


def _monthly(
    rng: np.random.Generator, budget: dict[str, np.ndarray], executed_cents: np.ndarray
) -> dict[str, np.ndarray]:
    """12 monthly amounts per budget item, adding up to its 全年执行数 to the cent."""
    items = len(executed_cents)
    shares = rng.dirichlet(np.full(12, 2.0), size=items)
    cents = np.floor(executed_cents[:, None] * shares).astype(np.int64)
    cents[:, 11] = executed_cents - cents[:, :11].sum(axis=1)
    return {
        "unit_code": np.repeat(budget["unit_code"], 12),
        "item": np.repeat(budget["item"], 12),
        "month": np.tile(_number(np.arange(1, 13)), items),
        "executed": _cents(cents.ravel()),
    }


def _layout(k: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """一级 and 二级 of the k indicators of a unit, and how many fall in each block.

    The 满意度 block gets about a ninth of the indicators, 效益 three eighths of the rest; no
    block gets more indicators than points, so every weight can be a whole number ≥ 1.
    """
    n_sat = max(1, k // 9)
    n_eff = max(1, round((k - n_sat) * 3 / 8))
    counts = [k - n_sat - n_eff, n_eff, n_sat]
    level1: list[str] = []
    level2: list[str] = []
    for (name, _, subs), count in zip(BLOCKS, counts, strict=True):
        level1 += [name] * count
        level2 += [subs[i % len(subs)] for i in range(count)]
    return _strings(level1), _strings(level2), counts


def _weights(rng: np.random.Generator, n: int, counts: list[int]) -> np.ndarray:
    """Whole-number weights ≥ 1 per indicator, each block adding up to its points (50/30/10)."""
    parts = [
        1 + rng.multinomial(points - count, np.full(count, 1 / count), size=n)
        for (_, points, _), count in zip(BLOCKS, counts, strict=True)
    ]
    return np.concatenate(parts, axis=1).ravel()


def _kinds(rng: np.random.Generator, level2: np.ndarray) -> np.ndarray:
    """The kind of each indicator from its 二级指标 (a row per unit and indicator)."""
    draw = rng.random(len(level2))
    return np.select(
        [
            level2 == "数量指标",
            level2 == "质量指标",
            (level2 == "时效指标") | (level2 == "成本指标"),
            level2 == "服务对象满意度指标",
        ],
        [COUNT, np.where(draw < 0.7, PERCENT, ZERO), LESS, SATISFACTION],
        np.select([draw < 0.5, draw < 0.75], [QUAL, PERCENT], COUNT),
    )


class _Indicators:
    """Target and actual texts of every indicator row, filled kind by kind."""

    def __init__(
        self, rng: np.random.Generator, level2: np.ndarray, met: np.ndarray, q: np.ndarray
    ):
        self.rng, self.kind, self.met = rng, _kinds(rng, level2), met
        #: 成本指标 are reverse indicators in 万元
        self.cost = level2 == "成本指标"
        rows = len(level2)
        # completion of a quantity: 100%–140% when met, else (10% + 80% × quality) to 100%
        self.completion = np.where(
            met, rng.uniform(1.0, 1.4, rows), rng.uniform(0.1 + 0.8 * q, 1.0)
        )
        self.target = np.full(rows, "", dtype=S)
        self.actual = np.full(rows, "", dtype=S)
        self.noun = np.full(rows, "", dtype=S)
        #: whether the written actual meets the written target (for 偏差原因)
        self.met_written = np.ones(rows, dtype=bool)

    def counts(self) -> None:
        """≥200件, 不低于200件, 200件以上, 200件 (bare), ≧200件 …; 230件, 230余件, 约230件 …"""
        i = np.flatnonzero(self.kind == COUNT)
        rng, n = self.rng, len(i)
        u = rng.integers(len(COUNT_UNITS), size=n)
        t = rng.integers(COUNT_LOW[u], COUNT_HIGH[u] + 1)
        t = np.where(t >= 100, t // 10 * 10, t)
        a = np.floor(t * self.completion[i]).astype(np.int64)
        # approximate forms for numbers from 20 up, rounded down to tens ("230余件", not "7余件"),
        # where rounding down does not change whether the target was met
        tens = a // 10 * 10
        can_round = (a >= 20) & ((tens >= t) == (a >= t))
        approx = np.where(can_round, rng.integers(len(APPROX_INFIX), size=n), EXACT)
        a = np.where(approx != EXACT, tens, a)
        form = rng.integers(len(GE_PREFIX), size=n)
        unit = COUNT_UNITS[u]
        self.target[i] = GE_PREFIX[form] + _number(t) + unit + GE_SUFFIX[form]
        self.actual[i] = (
            APPROX_PREFIX[approx] + _number(a) + APPROX_INFIX[approx] + unit + APPROX_SUFFIX[approx]
        )
        self.noun[i] = COUNT_NOUNS[u]
        self.met_written[i] = a >= t

    def percents(self) -> None:
        """≥95%, ≧95％, 不低于95%, 95% (bare), =100%; satisfaction ≥90% and up."""
        rng = self.rng
        i = np.flatnonzero((self.kind == PERCENT) | (self.kind == SATISFACTION))
        n = len(i)
        satisfaction = self.kind[i] == SATISFACTION
        t = PERCENT_TARGETS[rng.integers(np.where(satisfaction, 2, 0), len(PERCENT_TARGETS))]
        t = np.where(~satisfaction & (rng.random(n) < 0.15), 100, t)
        # actual in tenths of a percent: from the target up to 100% when met
        above = np.floor(rng.random(n) * (1000 - t * 10 + 1)).astype(np.int64)
        a = np.where(self.met[i], t * 10 + above, np.floor(t * 10 * self.completion[i]))
        a = np.minimum(a, 1000).astype(np.int64)
        form = rng.integers(len(PERCENT_PREFIX), size=n)
        sign = np.where(t == 100, "=", PERCENT_PREFIX[form])
        pct = np.where(form == FULL_WIDTH, "％", "%").astype(S)
        self.target[i] = sign + _number(t) + pct
        self.actual[i] = _tenths(a) + pct
        self.noun[i] = np.where(satisfaction, "服务对象满意度", _pick(rng, PERCENT_NOUNS, n))
        self.met_written[i] = a >= t * 10

    def reverse(self) -> None:
        """≤15天, 不超过15天, 15天以内, ≦15天, 不高于15天 …; 12天, 约12天, 12天左右."""
        i = np.flatnonzero(self.kind == LESS)
        rng, n = self.rng, len(i)
        u = np.where(self.cost[i], COST, rng.integers(COST, size=n))
        t = rng.integers(LESS_LOW[u], LESS_HIGH[u] + 1)
        # met: 60%–100% of the target; not met: the target divided by the completion
        a = np.where(
            self.met[i],
            np.floor(t * 10 * rng.uniform(0.6, 1.0, n)),
            np.ceil(t * 10 / self.completion[i]),
        ).astype(np.int64)
        form = rng.integers(len(LE_PREFIX), size=n)
        approx = rng.choice([EXACT, ABOUT, AROUND], size=n, p=[0.8, 0.1, 0.1])
        unit = LESS_UNITS[u]
        self.target[i] = LE_PREFIX[form] + _number(t) + unit + LE_SUFFIX[form]
        self.actual[i] = APPROX_PREFIX[approx] + _tenths(a) + unit + APPROX_SUFFIX[approx]
        self.noun[i] = LESS_NOUNS[u]
        self.met_written[i] = a <= t * 10

    def zeros(self) -> None:
        """=0次 / =0起 (accidents): 0 when met, else 1 to 3."""
        i = np.flatnonzero(self.kind == ZERO)
        n = len(i)
        unit = _pick(self.rng, ZERO_UNITS, n)
        a = np.where(self.met[i], 0, self.rng.integers(1, 4, size=n))
        self.target[i] = "=0" + unit
        self.actual[i] = _number(a) + unit
        self.noun[i] = "安全事故"
        self.met_written[i] = a == 0

    def qualitative(self) -> None:
        """A tier phrase of the rulebook: tier A when met, else B (2/3) or C (1/3)."""
        i = np.flatnonzero(self.kind == QUAL)
        rng, n = self.rng, len(i)
        tier = np.where(self.met[i], 0, np.where(rng.random(n) < 2 / 3, 1, 2))
        phrase = np.full(n, "", dtype=S)
        for key, phrases in enumerate(TIER_PHRASES):
            at = np.flatnonzero(tier == key)
            phrase[at] = _pick(rng, phrases, len(at))
        self.target[i] = _pick(rng, QUAL_TARGETS, n)
        self.actual[i] = phrase
        self.noun[i] = _pick(rng, QUAL_NOUNS, n)
        self.met_written[i] = tier == 0


def _indicators(
    rng: np.random.Generator, codes: np.ndarray, quality: np.ndarray, k: int
) -> dict[str, np.ndarray]:
    """k indicators per unit in every notation form; how many are met follows the unit's quality."""
    n = len(codes)
    level1, level2, counts = _layout(k)
    level1, level2 = np.tile(level1, n), np.tile(level2, n)
    rows = n * k
    q = np.repeat(quality, k)
    met = rng.random(rows) < 0.1 + 0.85 * q
    ind = _Indicators(rng, level2, met, q)
    ind.counts()
    ind.percents()
    ind.reverse()
    ind.zeros()
    ind.qualitative()
    # 偏差原因: written for most indicators that fell short, left blank for the others
    explained = ~ind.met_written & (rng.random(rows) < 0.85)
    reason = np.where(explained, _pick(rng, REASONS, rows), "").astype(S)
    return {
        "unit_code": np.repeat(codes, k),
        "level1": level1,
        "level2": level2,
        "level3": ind.noun + np.tile(TWO_DIGITS[1 : k + 1], n),
        "target": ind.target,
        "actual": ind.actual,
        "weight": _number(_weights(rng, n, counts)),
        "deviation_reason": reason,
    }


def _goals(rng: np.random.Generator, codes: np.ndarray) -> dict[str, np.ndarray]:
    per_unit = rng.integers(2, 5, size=len(codes))
    pick = rng.integers(len(GOAL_EXPECTED), size=int(per_unit.sum()))
    return {
        "unit_code": np.repeat(codes, per_unit),
        "expected": GOAL_EXPECTED[pick],
        "achieved": GOAL_ACHIEVED[pick],
    }


def _write_csv(path: Path, table: Table, columns: dict[str, np.ndarray | str]) -> None:
    """Write the columns in the contract's order with its Chinese headers: UTF-8, LF endings.

    Fields are joined without quoting: no generated field holds a comma, quote or line break.
    """
    keys = [col.key for col in table.columns if col.key in columns]
    rows = len(next(v for v in columns.values() if not isinstance(v, str)))
    lines = np.full(rows, columns[keys[0]], dtype=S)
    for key in keys[1:]:
        lines = lines + "," + columns[key]
    header = ",".join(table.column(key).zh for key in keys)
    path.write_bytes(("\n".join([header, *lines.tolist()]) + "\n").encode("utf-8"))
