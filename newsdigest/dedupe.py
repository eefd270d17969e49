"""Duplicate detection: exact (normalised-text hash) and near-duplicate (MinHash-LSH over word shingles).

Why body text only: the same wire story re-published by another outlet differs in headline, boilerplate and
trimmed endings, but shares most of its word 3-grams. Different articles about the same event share few
(Jaccard well under 0.2), so they stay apart; grouping those is story clustering, which belongs to the digest.

Duplicates are linked, never dropped: each stored article belongs to one duplicate group, and the group's
canonical article (earliest published, then first stored) is derived in SQL, so a later-found earlier copy
takes over without rewriting links.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

from newsdigest.fingerprint import (  # noqa: F401 - re-exported: dedup's public names
    NUM_PERM,
    PERMUTATIONS,
    SCHEME,
    SHINGLE_WORDS,
    Fingerprint,
    content_hash,
    fingerprint,
    minhash_values,
    shingles_of,
    tokens,
)

CANDIDATE_THRESHOLD = 0.3  # LSH recall threshold; candidates are then verified below
NEAR_JACCARD = 0.5  # estimated Jaccard at or above which two bodies are copies of one story
NEAR_CONTAINMENT = 0.85  # or: this share of the shorter body's shingles is inside the longer one
MIN_SHINGLES = 25  # bodies shorter than this only match exactly: too little text to judge


# The index rebuilds one MinHash per stored or matched signature with the fingerprint module's parameters.
_PERMUTATIONS = PERMUTATIONS


def _minhash(signature: bytes) -> MinHash:
    return MinHash(hashvalues=np.frombuffer(signature, dtype="<u8"), seed=1, scheme=SCHEME,
                   permutations=_PERMUTATIONS)


@dataclass(frozen=True)
class DuplicateLink:
    """Which group an article joined and why. matched_article_id is None for a group's first member."""

    article_id: str
    group_id: str
    matched_article_id: str | None
    rule: str  # "first" | "canonical_url" | "content_hash" | "near_duplicate"
    similarity: float | None  # estimated Jaccard of word 3-gram shingles (1.0 for exact)
    containment: float | None  # share of the shorter body's shingles found in the other


class DuplicateIndex:
    """Fingerprints of stored articles, searchable by exact hash and by LSH; grows as articles are added."""

    def __init__(self) -> None:
        self._lsh = MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=NUM_PERM)
        self._by_hash: dict[str, str] = {}
        self._by_url: dict[str, str] = {}
        self._group: dict[str, str] = {}
        self._minhash: dict[str, MinHash] = {}
        self._size: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._group)

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._group

    def add(self, article_id: str, group_id: str, fp: Fingerprint, canonical_url: str | None = None) -> None:
        self._group[article_id] = group_id
        self._by_hash.setdefault(fp.content_hash, article_id)
        if canonical_url:
            self._by_url.setdefault(canonical_url, article_id)
        if fp.shingle_count >= MIN_SHINGLES:
            mh = _minhash(fp.signature)
            self._minhash[article_id] = mh
            self._size[article_id] = fp.shingle_count
            self._lsh.insert(article_id, mh)

    def match(self, article_id: str, fp: Fingerprint, canonical_url: str | None = None) -> DuplicateLink:
        """The best stored copy of this body, or a new group of its own.

        Order of rules: the same declared canonical URL, then the same normalised text, then near-duplicate.
        """
        same_url = self._by_url.get(canonical_url) if canonical_url else None
        if same_url is not None and same_url != article_id:
            jaccard, containment = self._similarity(fp, same_url)
            return DuplicateLink(article_id, self._group[same_url], same_url, "canonical_url", jaccard, containment)
        exact = self._by_hash.get(fp.content_hash)
        if exact is not None and exact != article_id:
            return DuplicateLink(article_id, self._group[exact], exact, "content_hash", 1.0, 1.0)
        if fp.shingle_count >= MIN_SHINGLES:
            best = self._best_near(article_id, fp)
            if best is not None:
                other, jaccard, containment = best
                return DuplicateLink(article_id, self._group[other], other, "near_duplicate",
                                     round(jaccard, 4), round(containment, 4))
        return DuplicateLink(article_id, article_id, None, "first", None, None)

    def _estimate(self, mh: MinHash, size: int, other: str) -> tuple[float, float]:
        """Estimated Jaccard, and containment of the smaller body derived from it and the shingle counts."""
        jaccard = mh.jaccard(self._minhash[other])
        shared = jaccard / (1 + jaccard) * (size + self._size[other])
        return jaccard, min(1.0, shared / min(size, self._size[other]))

    def _similarity(self, fp: Fingerprint, other: str) -> tuple[float | None, float | None]:
        if other not in self._minhash or fp.shingle_count < MIN_SHINGLES:
            return None, None
        jaccard, containment = self._estimate(_minhash(fp.signature), fp.shingle_count, other)
        return round(jaccard, 4), round(containment, 4)

    def _best_near(self, article_id: str, fp: Fingerprint) -> tuple[str, float, float] | None:
        mh = _minhash(fp.signature)
        best: tuple[str, float, float] | None = None
        for other in sorted(self._lsh.query(mh)):
            if other == article_id:
                continue
            jaccard, containment = self._estimate(mh, fp.shingle_count, other)
            if jaccard < NEAR_JACCARD and containment < NEAR_CONTAINMENT:
                continue
            if best is None or (jaccard, containment) > (best[1], best[2]):
                best = (other, jaccard, containment)
        return best


def assign_group(index: DuplicateIndex, article_id: str, fp: Fingerprint,
                 canonical_url: str | None = None) -> DuplicateLink:
    """Match a new article and add it, so later copies in the same batch find it too."""
    link = index.match(article_id, fp, canonical_url)
    index.add(article_id, link.group_id, fp, canonical_url)
    return link
