"""Choosing summary sentences: the concept-coverage ILP, its greedy fallback, and the one-article ranking.

Split from summarize.py, which builds the candidates and weights; this module only optimises. The ILP is
Gillick & Favre's: maximise the weight of the concepts covered by the chosen sentences within a word budget;
a concept counts once however many chosen sentences hold it, so redundancy earns nothing. Solved exactly
(within ILP_GAP) by HiGHS through scipy.optimize.milp, bounded by a node count so results are deterministic.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from newsdigest.textfeatures import stemmed_stopwords

POSITION_BONUS = 1.0  # objective bonus of a document's first sentence, decaying with position
ANAPHORA_PENALTY = 3.0  # objective cost of a sentence opening with a pronoun or connective ("He", "But")
ILP_MAX_SENTENCES = 100  # the ILP sees at most this many candidates, the densest in concepts (speed)
ILP_GAP = 0.01  # stop within 1% of the optimum: measured ROUGE is the same, worst-case time much lower
ILP_NODE_LIMIT = 500  # branch-and-bound node cap: deterministic, unlike a time limit
AVERAGE_SENTENCE_WORDS = 25  # news sentences, for the per-article cap
ILP_TIME_LIMIT = 5.0  # seconds; only a safety net (typical solve: tens of milliseconds)

_ANAPHORIC_START = re.compile(r"^(?:[\"“«`']*)(?:He|She|It|They|We|I|You|This|That|These|Those|Such|His|Her|"
                              r"Their|Its|Our|But|And|Or|Nor|So|Also|However|Meanwhile|Still|Yet|Instead|Thus|"
                              r"Therefore|Moreover|Furthermore|Besides|Nevertheless|Nonetheless|Likewise|"
                              r"Similarly|Otherwise|Both|Another|Again)\b")


@dataclass(frozen=True)
class Candidate:
    doc: int  # index into the input list
    position: int
    text: str
    words: int
    stems: tuple[str, ...]
    concepts: frozenset[str]


def position_bonus(candidate: Candidate) -> float:
    bonus = POSITION_BONUS / (1.0 + candidate.position)
    if _ANAPHORIC_START.match(candidate.text):
        bonus -= ANAPHORA_PENALTY  # "He said ..." out of context reads badly; prefer self-standing sentences
    return bonus


def select_ilp(candidates: list[Candidate], weights: dict[str, float], budget: int) -> list[Candidate]:
    """Maximise covered concept weight (+ position bonus) s.t. total words <= budget; exact via HiGHS."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    pool = [c for c in candidates if c.words <= budget and (c.concepts & weights.keys())]
    pool_size = min(ILP_MAX_SENTENCES, 40 + budget // 4)  # ~4 candidates per selectable sentence slot
    if len(pool) > pool_size:
        def density(c: Candidate) -> float:
            return sum(weights.get(k, 0.0) for k in c.concepts) / c.words
        pool = sorted(pool, key=lambda c: (-density(c), c.doc, c.position))[:pool_size]
    if not pool:
        return []
    # Exact reformulation that keeps the model small: a concept found in one pool sentence only is just a
    # bonus of that sentence, and concepts found in the same set of sentences share one variable.
    holders: dict[str, list[int]] = {}
    for j, cand in enumerate(pool):
        for k in cand.concepts:
            if k in weights:
                holders.setdefault(k, []).append(j)
    sentence_value = [0.0] * len(pool)
    groups: dict[tuple[int, ...], float] = {}
    for k, js in holders.items():  # weights are whole numbers: these sums are exact in any order
        if len(js) == 1:
            sentence_value[js[0]] += weights[k]
        else:
            groups[tuple(js)] = groups.get(tuple(js), 0.0) + weights[k]
    sentence_value = [value + position_bonus(c) for value, c in zip(sentence_value, pool, strict=True)]
    signatures = sorted(groups)
    n_c, n_s = len(signatures), len(pool)
    # variables: [group_0 .. group_{n_c-1}, sentence_0 .. sentence_{n_s-1}], all binary
    objective = -np.array([groups[g] for g in signatures] + sentence_value)
    rows, cols, vals = [], [], []
    for i, signature in enumerate(signatures):  # group_i <= sum of the sentences containing it
        rows += [i] * (len(signature) + 1)
        cols += [i] + [n_c + j for j in signature]
        vals += [1.0] + [-1.0] * len(signature)
    length = np.concatenate([np.zeros(n_c), [c.words for c in pool]])[None, :]
    constraints = [LinearConstraint(length, 0.0, budget)]
    docs = sorted({c.doc for c in pool})
    if len(docs) > 1:  # coverage across a story's articles: no one article fills the summary
        cap = per_document_cap(budget)
        per_doc = np.zeros((len(docs), n_c + n_s))
        for j, cand in enumerate(pool):
            per_doc[docs.index(cand.doc), n_c + j] = 1.0
        constraints.append(LinearConstraint(per_doc, 0.0, cap))
    if n_c:
        cover = coo_matrix((vals, (rows, cols)), shape=(n_c, n_c + n_s)).tocsr()
        constraints.append(LinearConstraint(cover, -np.inf, 0.0))
    result = milp(objective, constraints=constraints, integrality=np.ones(n_c + n_s), bounds=Bounds(0, 1),
                  options={"disp": False, "mip_rel_gap": ILP_GAP, "node_limit": ILP_NODE_LIMIT,
                           "time_limit": ILP_TIME_LIMIT})
    if result.x is None:
        return select_greedy(pool, weights, budget)
    chosen = [pool[j] for j in range(n_s) if result.x[n_c + j] > 0.5]
    if sum(c.words for c in chosen) > budget:  # cannot happen with a feasible solution; belt and braces
        return select_greedy(pool, weights, budget)
    return chosen


def per_document_cap(budget: int) -> int:
    """Most sentences one article may give a multi-article summary: half the ~25-word sentences that fit."""
    return max(2, math.ceil(budget / AVERAGE_SENTENCE_WORDS / 2))


def select_greedy(candidates: list[Candidate], weights: dict[str, float], budget: int) -> list[Candidate]:
    """Fallback: repeatedly take the sentence with the best new-concept gain per word that still fits."""
    chosen: list[Candidate] = []
    covered: set[str] = set()
    used = 0
    remaining = [c for c in candidates if c.words <= budget]
    while remaining:
        gains = [(sum(weights.get(k, 0.0) for k in c.concepts - covered) + position_bonus(c)) / c.words
                 for c in remaining]
        best = max(range(len(remaining)), key=lambda i: (gains[i], -remaining[i].doc, -remaining[i].position))
        if gains[best] <= 0:
            break
        pick = remaining.pop(best)
        chosen.append(pick)
        covered |= pick.concepts
        used += pick.words
        remaining = [c for c in remaining if used + c.words <= budget]
    return chosen


def select_centroid(candidates: list[Candidate], budget: int, language: str) -> list[Candidate]:
    """One article (no concept is shared): lead-weighted similarity to the centroid, greedy, no repeats."""
    stop = stemmed_stopwords(language)  # compared with stems below
    vectors = [Counter(s for s in c.stems if s not in stop) for c in candidates]
    centroid: Counter[str] = Counter()
    for vector in vectors:
        centroid.update(vector)

    def cosine(a: Counter[str], b: Counter[str]) -> float:
        dot = sum(v * b.get(k, 0) for k, v in a.items())
        norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
        return dot / norm if norm else 0.0

    scores = [cosine(v, centroid) + 2.0 * position_bonus(c) for c, v in zip(candidates, vectors, strict=True)]
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i].doc, candidates[i].position))
    chosen: list[int] = []
    used = 0
    for i in order:
        if used + candidates[i].words > budget:
            continue
        if any(cosine(vectors[i], vectors[j]) > 0.5 for j in chosen):
            continue
        chosen.append(i)
        used += candidates[i].words
    return [candidates[i] for i in chosen]
