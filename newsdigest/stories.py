"""Story clustering: the week's articles grouped into stories, with stable ids and links to earlier weeks.

A story is one development reported by several outlets or on consecutive days. Near-duplicate copies are
folded before this stage, so members here are differently worded reports. Method (see `textvec`): TF-IDF
over stems and entity keys, cosine similarity damped for articles far apart in time, then
average-linkage agglomerative clustering cut at a similarity threshold chosen on labelled data
(bench/stories.py). Average linkage needs a story's members to be similar on average, which stops the
chaining that single-link (connected pairs) suffers from when stories share background.

Scale: average linkage at threshold t can only merge groups that contain a pair with similarity >= t (a
maximum is at least the average), so the exact result is computed per connected component of the sparse
graph of such pairs; pairs are found block by block with sparse products, never by Python loops over pairs.

Everything is deterministic: articles are put in (published, article_id) order first, so the input order
does not matter, and a story's id is derived from its earliest member, so re-runs give the same ids.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

from newsdigest.textvec import (
    ENTITY_PREFIX,
    count_matrix,
    idf_weights,
    l2_rows,
    readable,
    surface_forms,
    term_counts,
    tfidf,
    unit_damped,
)

SIMILARITY_THRESHOLD = 0.2  # average-linkage cut on cosine similarity; chosen in bench/stories.py
NEAR_DAYS = 4.0  # articles this close in time compare at full similarity
DECAY_PER_DAY = 0.03  # beyond that, similarity shrinks by this fraction a day ...
MIN_TIME_FACTOR = 0.5  # ... down to this floor: far-apart articles need twice the similarity, not infinite
KEYWORDS = 5
LABEL_WORDS = 12  # label from the lead sentence when no member has a title
BLOCK_CELLS = 2_000_000  # similarities computed at once when finding similar pairs (bounds memory)

SIGNATURE_TERMS = 60
LINK_THRESHOLD = 0.25  # cosine of IDF-weighted signatures; chosen in bench/stories.py
LINK_MARGIN = 0.05  # among earlier stories this close to the best match, the most recent wins
ENTITY_LINK_WEIGHT = 0.25  # share of entity-key Jaccard in the link similarity, when both sides have keys


@dataclass(frozen=True)
class StoryArticle:
    article_id: str
    title: str | None
    body: str
    published: datetime | None
    entity_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Story:
    story_id: str
    article_ids: list[str]  # members, ordered by (published or max, article_id)
    label: str
    keywords: list[str]
    continues: str | None = None  # story_id of the earlier week's story this one develops


@dataclass(frozen=True)
class StorySignature:
    """What a later week needs to recognise a story: its weighted terms (no IDF yet) and entity keys.

    IDF is applied in `link_developing` over the pool of signatures compared, because a signature is built
    from the story's own articles only and cannot know which terms are common in other weeks.
    """

    story_id: str
    terms: tuple[tuple[str, float], ...]  # (stem, weight), heaviest first; weights form an L2 unit vector
    entity_keys: frozenset[str] = frozenset()
    first_published: datetime | None = None
    last_published: datetime | None = None


def _timestamp(value: datetime | None) -> float:
    """Epoch seconds; naive datetimes count as UTC; None as NaN (undated articles are not time-damped)."""
    if value is None:
        return math.nan
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _order_key(article: StoryArticle) -> tuple[float, str]:
    when = _timestamp(article.published)
    return (math.inf if math.isnan(when) else when, article.article_id)


def story_id_for(first_article_id: str) -> str:
    """Stable id of a story whose earliest member is `first_article_id`."""
    return "s-" + hashlib.sha1(first_article_id.encode("utf-8")).hexdigest()[:12]


def _time_factor(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    days = np.abs(rows[:, None] - cols[None, :]) / 86400.0
    factor = np.clip(1.0 - DECAY_PER_DAY * (days - NEAR_DAYS), MIN_TIME_FACTOR, 1.0)
    return np.where(np.isnan(factor), 1.0, factor)


def _similarity(matrix: sparse.csr_matrix, times: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    sim = (matrix[rows] @ matrix[cols].T).toarray()
    return sim * _time_factor(times[rows], times[cols])


def _components(matrix: sparse.csr_matrix, times: np.ndarray, threshold: float) -> np.ndarray:
    n = matrix.shape[0]
    everyone = np.arange(n)
    pair_rows, pair_cols = [], []
    step = max(1, BLOCK_CELLS // n)
    for start in range(0, n, step):
        block = everyone[start:start + step]
        r, c = np.nonzero(_similarity(matrix, times, block, everyone) >= threshold)
        pair_rows.append(r + start)
        pair_cols.append(c)
    r, c = np.concatenate(pair_rows), np.concatenate(pair_cols)
    graph = sparse.coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def cluster_labels(matrix: sparse.csr_matrix, times: np.ndarray, threshold: float = SIMILARITY_THRESHOLD
                   ) -> np.ndarray:
    """Cluster number per row of L2-normalised `matrix`: average linkage cut at `threshold` similarity."""
    n = matrix.shape[0]
    labels = np.zeros(n, dtype=np.int64)
    if n == 0:
        return labels
    component = _components(matrix, times, threshold)
    order = np.argsort(component, kind="stable")
    bounds = np.flatnonzero(np.diff(component[order])) + 1
    next_label = 0
    for members in np.split(order, bounds):
        if len(members) <= 2:  # a pair in one component is linked by an edge, so it merges
            labels[members] = next_label
            next_label += 1
            continue
        sim = _similarity(matrix, times, members, members)
        distance = np.clip(1.0 - (sim + sim.T) / 2.0, 0.0, None)
        np.fill_diagonal(distance, 0.0)
        tree = linkage(squareform(distance, checks=False), method="average")
        sub = fcluster(tree, t=1.0 - threshold, criterion="distance")
        labels[members] = sub + next_label
        next_label += int(sub.max()) + 1
    return labels


def cluster_stories(articles: list[StoryArticle], threshold: float = SIMILARITY_THRESHOLD) -> list[Story]:
    """The week's stories, ordered by their earliest member; every article belongs to exactly one story.

    Articles repeating an article_id are taken once (the earliest).
    """
    unique = {a.article_id: a for a in sorted(articles, key=_order_key, reverse=True)}
    ordered = sorted(unique.values(), key=_order_key)
    if not ordered:
        return []
    surfaces: Counter[tuple[str, str]] = Counter()
    matrix, vocab, _ = tfidf([term_counts(a.title, a.body, a.entity_keys, surfaces) for a in ordered])
    labels = cluster_labels(matrix, np.array([_timestamp(a.published) for a in ordered]), threshold)
    terms = np.array(sorted(vocab, key=vocab.__getitem__), dtype=object)
    forms = surface_forms(surfaces)
    perm = np.argsort(labels, kind="stable")  # rows grouped by story, each group in time order
    grouped = matrix[perm]
    bounds = np.flatnonzero(np.diff(labels[perm])) + 1
    spans = sorted(zip([0, *bounds.tolist()], [*bounds.tolist(), len(perm)], strict=True),
                   key=lambda span: perm[span[0]])  # stories in order of their earliest member
    stories = []
    for start, stop in spans:
        members = [ordered[i] for i in perm[start:stop].tolist()]
        rows = grouped[start:stop]
        central = members[int(np.argmax(np.asarray((rows @ rows.T).sum(axis=1)).ravel()))] if len(members) > 2 \
            else members[0]
        keywords = _keywords(rows, terms, forms)
        stories.append(Story(story_id_for(members[0].article_id), [a.article_id for a in members],
                             _label(members, central, keywords), keywords))
    return stories


def _keywords(rows: sparse.csr_matrix, terms: np.ndarray, forms: dict[str, str]) -> list[str]:
    """Heaviest words of the members' summed TF-IDF rows, readable; entity keys are not words."""
    columns, inverse = np.unique(rows.indices, return_inverse=True)
    weight = np.bincount(inverse, weights=rows.data)
    head = np.argpartition(-weight, min(len(weight), 4 * KEYWORDS) - 1)[: 4 * KEYWORDS] if len(weight) else []
    ranked = sorted((-weight[j], str(terms[columns[j]])) for j in head)  # heaviest first, ties alphabetical
    picked: list[str] = []
    for _, term in ranked:
        word = readable(term, forms)
        if not term.startswith(ENTITY_PREFIX) and word not in picked:
            picked.append(word)
    return picked[:KEYWORDS]


def _label(members: list[StoryArticle], central: StoryArticle, keywords: list[str]) -> str:
    """The most central member's title; else the first titled member's; else its lead sentence, shortened."""
    for article in [central, *members]:
        if article.title and article.title.strip():
            return " ".join(article.title.split())
    lead = re.split(r"(?<=[.!?])\s", central.body.strip(), maxsplit=1)[0].split()
    if lead:
        return " ".join(lead[:LABEL_WORDS]) + (" …" if len(lead) > LABEL_WORDS else "")
    return ", ".join(keywords) or central.article_id


def signature(story: Story, articles: list[StoryArticle]) -> StorySignature:
    """A story's signature from its members (other articles in `articles` are ignored).

    Terms are the members' mean L2-normalised word counts (entity keys kept apart, because earlier weeks'
    signatures may be rebuilt without them); the heaviest SIGNATURE_TERMS are kept.
    """
    wanted = set(story.article_ids)
    members = sorted((a for a in articles if a.article_id in wanted), key=_order_key)
    centroid: Counter[str] = Counter()
    for article in members:
        for term, weight in unit_damped(term_counts(article.title, article.body)).items():
            centroid[term] += weight
    top = sorted(centroid.items(), key=lambda kv: (-kv[1], kv[0]))[:SIGNATURE_TERMS]
    norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
    times = [a.published for a in members if a.published is not None]
    return StorySignature(story.story_id, tuple((t, round(w / norm, 6)) for t, w in top),
                          frozenset().union(*(a.entity_keys for a in members)),
                          times[0] if times else None, times[-1] if times else None)


def signature_similarity(current: list[StorySignature], earlier: list[StorySignature]) -> np.ndarray:
    """current x earlier similarity: cosine of terms after IDF over both lists (so words every story uses
    count little), blended with the Jaccard overlap of entity keys where both sides have entities."""
    pool = current + earlier
    counts, _ = count_matrix([dict(s.terms) for s in pool], damp=False)
    weighted = l2_rows(sparse.csr_matrix(counts @ sparse.diags(idf_weights(counts))))
    sim = (weighted[: len(current)] @ weighted[len(current):].T).toarray()
    keys, _ = count_matrix([dict.fromkeys(s.entity_keys, 1.0) for s in pool], damp=False)
    if keys.nnz:
        inter = (keys[: len(current)] @ keys[len(current):].T).toarray()
        sizes = np.asarray(keys.sum(axis=1)).ravel()
        a, b = sizes[: len(current), None], sizes[None, len(current):]
        both = (a > 0) & (b > 0)
        jaccard = np.divide(inter, a + b - inter, out=np.zeros_like(inter), where=both)
        sim = np.where(both, (1 - ENTITY_LINK_WEIGHT) * sim + ENTITY_LINK_WEIGHT * jaccard, sim)
    return sim


def link_developing(stories: list[Story], signatures: list[StorySignature], earlier: list[StorySignature],
                    threshold: float = LINK_THRESHOLD) -> list[Story]:
    """Stories with `continues` set to the earlier story they develop: the best match above `threshold`, or
    among matches within LINK_MARGIN of the best the most recent (a story followed for weeks links to last
    week's instalment, not the first). An earlier story with the same id (a late article) is not a link."""
    if not stories or not earlier:
        return list(stories)
    sim = signature_similarity(signatures, earlier)
    linked = []
    for i, story in enumerate(stories):
        candidates = [j for j in np.flatnonzero(sim[i] >= threshold).tolist()
                      if earlier[j].story_id != story.story_id]
        if not candidates:
            linked.append(story)
            continue
        best = max(sim[i, j] for j in candidates)
        near = [j for j in candidates if sim[i, j] >= best - LINK_MARGIN]
        chosen = max(near, key=lambda j: (_order_time(earlier[j].last_published), sim[i, j], earlier[j].story_id))
        linked.append(replace(story, continues=earlier[chosen].story_id))
    return linked


def _order_time(value: datetime | None) -> float:
    return -math.inf if value is None else _timestamp(value)
