"""Benchmark: the review's cross-unit text checks and the whole screening at 10,000 units
(issue 17 §1; figures in docs/review.md and docs/benchmarks.md by hand).

1. Near-duplicate texts (:func:`perfkit.review.texts.best_matches`): ``--units`` units with
   ``--paragraphs`` paragraphs each (80–160 characters drawn from a shared vocabulary of a few
   hundred words, as reports share their wording), of which 1% are copies of another unit's
   paragraph with two words changed and 2% one identical boilerplate paragraph. Printed: the
   time, the copies found of those planted (recall), and what comparing every pair with
   rapidfuzz would take (``fuzz.ratio`` timed on random pairs, times n(n − 1)/2).
2. ``perfkit.review(ds, year)`` on ``demo-data --units N`` (30 indicators per unit; the demo
   data has no narratives): the screening beside ``score_dataset`` of the same data.

Run: ``.venv/bin/python benchmarks/bench_review.py [--units N] [--paragraphs P]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz

from perfkit.data.demo import write_demo
from perfkit.data.loading import load
from perfkit.review.screening import review
from perfkit.review.texts import best_matches
from perfkit.rules.rulebook import load_rulebook
from perfkit.scoring.scores import score_dataset

WORDS = [
    "开展",
    "组织",
    "推进",
    "完成",
    "提升",
    "加强",
    "落实",
    "保障",
    "服务",
    "培训",
    "宣传",
    "监测",
    "检查",
    "维护",
    "建设",
    "管理",
    "项目",
    "资金",
    "群众",
    "单位",
    "全年",
    "年度",
    "指标",
    "目标",
    "效果",
    "质量",
    "效率",
    "安全",
    "基层",
    "社区",
    "农村",
    "城市",
    "设施",
    "设备",
    "系统",
    "平台",
    "信息化",
    "数字化",
    "标准化",
    "规范化",
    "专项",
    "工作",
    "任务",
    "活动",
    "场次",
    "人次",
    "万元",
    "百分之",
    "以上",
    "以内",
    "按时",
    "及时",
    "有效",
    "明显",
    "持续",
    "稳步",
    "进一步",
    "积极",
    "全面",
    "重点",
    "难点",
    "问题",
    "措施",
    "机制",
    "制度",
    "考核",
    "评价",
    "绩效",
    "预算",
    "执行",
    "支出",
    "采购",
    "合同",
    "验收",
    "运行",
    "养护",
    "修缮",
    "改造",
    "更新",
    "购置",
    "补贴",
    "救助",
    "就业",
    "创业",
    "文化",
    "教育",
    "卫生",
    "环境",
    "水质",
    "河湖",
    "道路",
    "桥梁",
    "排水",
    "绿化",
    "古树",
    "档案",
    "文物",
    "科普",
    "青少年",
    "法院",
    "审判",
    "执法",
    "交通",
]


def paragraph(rng: np.random.Generator) -> str:
    words = rng.choice(WORDS, size=int(rng.integers(30, 60)))
    text = "".join(words)
    return text[: int(rng.integers(80, 160))] + "。"


def corpus(units: int, paragraphs: int, seed: int = 0):
    """Texts, owners and the planted copies (index of the copy, index of its original)."""
    rng = np.random.default_rng(seed)
    texts, owners, planted = [], [], []
    boiler = paragraph(rng)
    for u in range(units):
        for _ in range(paragraphs):
            texts.append(paragraph(rng))
            owners.append(f"U{u:05d}")
    n = len(texts)
    for i in rng.choice(n, size=n // 50, replace=False):
        texts[i] = boiler
    touched = set()
    for i in rng.choice(n, size=n // 100, replace=False):
        j = int(rng.integers(0, n))
        if owners[i] == owners[j] or texts[j] == boiler or {i, j} & touched:
            continue  # a copy of a copy, or of the boilerplate, is not counted
        touched |= {int(i), j}
        words = list(texts[j])
        for k in rng.choice(len(words), size=2, replace=False):
            words[k] = "改"
        texts[i] = "".join(words)
        planted.append((int(i), j))
    return texts, owners, planted


def bench_texts(units: int, paragraphs: int) -> None:
    texts, owners, planted = corpus(units, paragraphs)
    start = time.perf_counter()
    found = best_matches(texts, owners, min_length=40, similarity=0.9)
    took = time.perf_counter() - start
    hit = sum(1 for i, j in planted if i in found)
    rng = np.random.default_rng(1)
    pairs = rng.integers(0, len(texts), size=(20_000, 2))
    t0 = time.perf_counter()
    for a, b in pairs:
        fuzz.ratio(texts[a], texts[b])
    per_pair = (time.perf_counter() - t0) / len(pairs)
    n = len(texts)
    print(f"texts: {n:,} paragraphs of {units:,} units")
    print(f"  best_matches: {took:.2f} s; {len(found):,} texts with a match")
    print(f"  planted copies found: {hit} of {len(planted)}")
    print(f"  every pair with fuzz.ratio: {per_pair * n * (n - 1) / 2 / 3600:.1f} h (estimated)")


def bench_screening(units: int) -> None:
    rulebook = load_rulebook("mof2020")
    with tempfile.TemporaryDirectory() as tmp:
        write_demo(Path(tmp), units=units, seed=0, indicators_per_unit=30, year=2022)
        ds = load(tmp, rules=rulebook)
        t0 = time.perf_counter()
        score_dataset(ds, rulebook, years=[2022]).findings  # noqa: B018  (its sentences too)
        scored = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = review(ds, 2022, rulebook)
        screened = time.perf_counter() - t0
    print(f"screening: demo-data --units {units:,} ({len(ds.indicators):,} indicators)")
    print(f"  score_dataset with findings: {scored:.2f} s")
    print(f"  review(ds, 2022): {screened:.2f} s; {len(result.findings):,} findings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--paragraphs", type=int, default=5)
    args = parser.parse_args()
    bench_texts(args.units, args.paragraphs)
    bench_screening(args.units)


if __name__ == "__main__":
    main()
