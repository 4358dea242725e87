"""Review checks across units: a narrative paragraph or a 偏差原因 that is (nearly) the same as
another unit's (issue 17 §1; docs/review.md). Reviews find passages copied from another unit's
report (domain.md §9).

Texts are compared :func:`~perfkit.rules.rulebook.normalise`d (full-width folded, spaces and
punctuation removed), only from ``min_length`` characters on, and only between DIFFERENT units
(a unit's projects may share its wording). Similarity is rapidfuzz's ``fuzz.ratio`` (the
normalised Indel similarity, 0–1 here): MIT-licensed, C++, maintained; the usual choice for edit
distances in Python.

Comparing every pair is O(n²): 10,000 units write ~50,000 paragraphs. So (:func:`similar_pairs`):

1. identical texts are grouped by their normalised text (a dict): every member matches every
   other of another unit at 100%;
2. one text per group gets a MinHash signature of its 4-character shingles (``PERMUTATIONS``
   multiply-shift hashes, deterministic: a fixed seed, never Python's salted ``hash``), cut into
   ``BANDS`` bands of ``ROWS`` rows; texts sharing one band's values are candidates (a pair of
   texts whose shingles overlap by Jaccard 0.5 is a candidate with probability 1 − (1 − 0.5²)¹²
   ≈ 97%; near-copies overlap far more);
3. a candidate pair whose lengths alone rule out the similarity is dropped (``fuzz.ratio`` ≥ s
   needs the shorter ≥ s ÷ (2 − s) of the longer); the rest are verified with ``fuzz.ratio``.

A bucket of more than ``MAX_BUCKET`` texts (boilerplate) is compared along its texts ordered by
length, each with the next ``MAX_BUCKET`` only: the candidates stay linear in the number of texts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from perfkit.core.formatting import percent
from perfkit.review.registry import ENTITY, Context, check, hits, no_hits, text
from perfkit.rules.review import ReviewCheck
from perfkit.rules.rulebook import normalise

SHINGLE = 4
PERMUTATIONS = 24
BANDS, ROWS = 12, 2
MAX_BUCKET = 64
#: how much of a text the evidence quotes
EXCERPT = 60
#: narrative sections as the report names them (perfkit/data/narratives.py)
SECTIONS = {
    "preamble": "报告正文",
    "achievements": "绩效实现情况",
    "problems": "存在问题",
    "measures": "改进措施",
    "disclosure": "结果应用和公开情况",
}
_RNG = np.random.default_rng(20170)
_A = _RNG.integers(1, 2**63, size=PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
_B = _RNG.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
_BAND_MIX = _RNG.integers(1, 2**63, size=ROWS, dtype=np.uint64) | np.uint64(1)


def signatures(texts: list[str]) -> np.ndarray:
    """MinHash signatures (len(texts) × PERMUTATIONS, uint64) of the texts' 4-character
    shingles (a text shorter than a shingle is one shingle)."""
    codes = [np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) for t in texts]
    shingles, lengths = [], []
    for c in codes:
        if len(c) < SHINGLE:
            c = np.concatenate([c, np.zeros(SHINGLE - len(c), dtype=np.uint64)])
        h = np.zeros(len(c) - SHINGLE + 1, dtype=np.uint64)
        for k in range(SHINGLE):
            h = h * np.uint64(1_000_003) + c[k : len(c) - SHINGLE + 1 + k]
        shingles.append(h)
        lengths.append(len(h))
    if not shingles:
        return np.zeros((0, PERMUTATIONS), dtype=np.uint64)
    every = np.concatenate(shingles)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    out = np.empty((len(texts), PERMUTATIONS), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for p in range(PERMUTATIONS):
            out[:, p] = np.minimum.reduceat((every * _A[p] + _B[p]) >> np.uint64(16), starts)
    return out


def _candidates(sig: np.ndarray, lengths: np.ndarray) -> set[tuple[int, int]]:
    """Pairs (i < j) of texts sharing the values of one band (see the module's step 2)."""
    pairs: set[tuple[int, int]] = set()
    with np.errstate(over="ignore"):
        for b in range(BANDS):
            band = sig[:, b * ROWS : (b + 1) * ROWS]
            keys = (band * _BAND_MIX).sum(axis=1)
            order = np.lexsort((lengths, keys))
            sorted_keys = keys[order]
            cuts = np.flatnonzero(np.diff(sorted_keys)) + 1
            for bucket in np.split(order, cuts):
                if len(bucket) < 2:
                    continue
                members = bucket.tolist()
                for x, i in enumerate(members):
                    for j in members[x + 1 : x + 1 + MAX_BUCKET]:
                        pairs.add((min(i, j), max(i, j)))
    return pairs


@dataclass(frozen=True)
class Match:
    """The best match of one text: the other text's index and the similarity (0–1)."""

    other: int
    similarity: float


def best_matches(
    texts: list[str], owners: list[str], min_length: int, similarity: float
) -> dict[int, Match]:
    """For each text of at least ``min_length`` normalised characters, its most similar text
    (ties: the lowest index) owned by another owner, when at least ``similarity`` alike."""
    norm = [normalise(t) for t in texts]
    keep = [i for i, n in enumerate(norm) if len(n) >= min_length]
    groups: dict[str, list[int]] = {}
    for i in keep:
        groups.setdefault(norm[i], []).append(i)
    best: dict[int, Match] = {}

    def offer(i: int, j: int, score: float) -> None:
        if owners[i] == owners[j]:
            return
        old = best.get(i)
        if old is None or score > old.similarity or (score == old.similarity and j < old.other):
            best[i] = Match(j, score)

    heads = {key: _heads(members, owners) for key, members in groups.items()}

    def other_of(key: str, i: int) -> int | None:
        """The lowest index of group ``key`` owned by another owner than ``i``'s."""
        return next((j for j in heads[key] if owners[j] != owners[i]), None)

    for key, members in groups.items():
        for i in members:
            j = other_of(key, i)
            if j is not None:
                offer(i, j, 1.0)
    reps = list(groups)
    if len(reps) > 1:
        sig = signatures(reps)
        lengths = np.array([len(r) for r in reps])
        least = similarity / (2 - similarity)
        cutoff = similarity * 100
        for a, b in sorted(_candidates(sig, lengths)):
            short, long_ = sorted((lengths[a], lengths[b]))
            if short < least * long_ - 1e-9:
                continue
            score = fuzz.ratio(reps[a], reps[b], score_cutoff=cutoff) / 100
            if not score:
                continue
            for mine, theirs in ((reps[a], reps[b]), (reps[b], reps[a])):
                for i in groups[mine]:
                    j = other_of(theirs, i)
                    if j is not None:
                        offer(i, j, score)
    return best


def _heads(members: list[int], owners: list[str]) -> list[int]:
    """The lowest index of each of the first two owners of a group (by index): enough to find,
    for any text, the first of another owner."""
    heads: list[int] = []
    for i in sorted(members):
        if not heads or (len(heads) == 1 and owners[i] != owners[heads[0]]):
            heads.append(i)
        if len(heads) == 2:
            break
    return heads


def _excerpt(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= EXCERPT else value[:EXCERPT] + "……"


def _narrative_rows(ctx: Context) -> pd.DataFrame:
    """Every paragraph of the year's narratives (a unit's and its projects'), one row each:
    ENTITY, ``section``, ``text``."""
    rows = []
    every = [((y, u, ""), n) for (y, u), n in ctx.ds.narratives.items()]
    every += [((y, u, p), n) for (y, u, p), n in ctx.ds.project_narratives.items()]
    for (year, unit, project), narrative in sorted(every, key=lambda e: e[0]):
        if year != ctx.year:
            continue
        for section in SECTIONS:
            body = getattr(narrative, section, "") or ""
            for paragraph in body.split("\n\n"):
                paragraph = paragraph.strip().lstrip("#").strip()
                if paragraph:
                    rows.append((year, unit, project, section, paragraph))
    return pd.DataFrame(rows, columns=[*ENTITY, "section", "text"])


def _names(ctx: Context) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """单位名称 by 单位编码 and 项目名称 by (单位编码, 项目编码), looked up once."""
    units = ctx.ds.units.drop_duplicates("unit_code")
    projects = ctx.ds.projects.drop_duplicates(["unit_code", "project_code"])
    return (
        dict(zip(units["unit_code"], units["unit_name"], strict=True)),
        {
            (u, p): n
            for u, p, n in zip(
                projects["unit_code"],
                projects["project_code"],
                projects["project_name"],
                strict=True,
            )
        },
    )


def _copies(ctx: Context, rows: pd.DataFrame, settings: ReviewCheck, label) -> pd.DataFrame:
    """Hits for the rows whose ``text`` has a match in another unit; ``label(row)`` names
    where a text stands (a narrative's section, an indicator's 偏差原因)."""
    if rows.empty:
        return no_hits()
    rows = rows.reset_index(drop=True)
    found = best_matches(
        rows["text"].tolist(),
        rows["unit_code"].tolist(),
        int(settings["min_length"]),
        float(settings["similarity"]),
    )
    if not found:
        return no_hits()
    units, projects = _names(ctx)
    columns = {c: rows[c].tolist() for c in rows.columns}

    def record(i: int) -> dict:
        return {c: values[i] for c, values in columns.items()}

    def where(r: dict) -> str:
        """A table as a reader names it: 单位编码 单位名称 (项目 项目编码 项目名称)."""
        unit, project = r["unit_code"], r["project_code"]
        said = f"{unit} {units.get(unit, unit)}"
        if project:
            said += f" 项目 {project} {projects.get((unit, project), project)}"
        return said

    mine = sorted(found)
    evidence, message = [], []
    for i in mine:
        me, other, score = record(i), record(found[i].other), found[i].similarity
        alike = "相同" if score >= 1 else f"相似度 {percent(score, 0)}"
        evidence.append(
            f"本单位{label(me)}：“{_excerpt(me['text'])}”；{where(other)}"
            f"{label(other)}：“{_excerpt(other['text'])}”（{alike}）"
        )
        message.append(f"{label(me)}与其他单位（{other['unit_code']}）的内容{alike}，疑似照搬。")
    picked = rows.loc[mine]
    level3 = text(picked["level3"]) if "level3" in picked else ""
    return hits(picked, level3, evidence, message)


@check("copied_narrative")
def copied_narrative(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """A paragraph of a narrative (``narratives/<年度>/…md``) at least ``similarity`` alike
    (rapidfuzz ratio) to one of another unit's, from ``min_length`` characters."""
    return _copies(
        ctx, _narrative_rows(ctx), settings, lambda r: f"报告“{SECTIONS[r['section']]}”部分"
    )


@check("copied_deviation_reason")
def copied_deviation_reason(ctx: Context, settings: ReviewCheck) -> pd.DataFrame:
    """An indicator's 偏差原因分析及改进措施 at least ``similarity`` alike to one of another
    unit's, from ``min_length`` characters."""
    ind = ctx.indicators
    rows = ind[[*ENTITY, "level3"]].assign(text=text(ind["deviation_reason"]))
    rows = rows[rows["text"] != ""].sort_values([*ENTITY, "level3"], kind="stable")
    return _copies(ctx, rows, settings, lambda r: f"指标「{r['level3']}」的偏差原因")
