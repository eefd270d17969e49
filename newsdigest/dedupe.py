"""Duplicate detection: exact (normalised-text hash) and near-duplicate (MinHash-LSH over word shingles).

Why body text only: the same wire story re-published by another outlet differs in headline, boilerplate and
trimmed endings, but shares most of its word 3-grams. Different articles about the same event share few
(Jaccard well under 0.2), so they stay apart; grouping those is story clustering, which belongs to the digest.

Duplicates are linked, never dropped: each stored article belongs to one duplicate group, and the group's
canonical article (earliest published, then first stored) is derived in SQL, so a later-found earlier copy
takes over without rewriting links.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SCHEME = "affine32"
SHINGLE_WORDS = 3
CANDIDATE_THRESHOLD = 0.3  # LSH recall threshold; candidates are then verified below
NEAR_JACCARD = 0.5  # estimated Jaccard at or above which two bodies are copies of one story
NEAR_CONTAINMENT = 0.85  # or: this share of the shorter body's shingles is inside the longer one
MIN_SHINGLES = 25  # bodies shorter than this only match exactly: too little text to judge


_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Case- and width-folded word tokens: punctuation, quotes and spacing differences do not count."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(tokens(text)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    """What dedup needs of a body; computed where the text is extracted, stored with the article version."""

    content_hash: str
    signature: bytes  # MinHash hash values, uint64 little-endian
    shingle_count: int


def shingles_of(words: list[str]) -> set[str]:
    """The word 3-grams of a body; a body of one or two words is its own single shingle, no words none."""
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return set(map(" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)))


def fingerprint(text: str) -> Fingerprint:
    words = tokens(text)
    shingles = shingles_of(words)
    joined = " ".join(words)
    return Fingerprint(
        content_hash=hashlib.sha256(joined.encode("utf-8")).hexdigest(),
        signature=np.asarray(minhash_values(shingles), dtype="<u8").tobytes(),
        shingle_count=len(shingles),
    )


# datasketch draws a MinHash's permutation parameters from a seeded RandomState on every construction (~0.26 ms);
# the index rebuilds one MinHash per stored or matched signature, so the parameters are drawn once and shared
# (read-only) by all of them: the same numbers, since they depend only on (num_perm, seed, scheme).
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME).permutations
_EMPTY = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, permutations=_PERMUTATIONS).hashvalues
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_SHA1_WORDS = hashlib.sha1().digest_size // 4  # a digest is five little-endian uint32 words


def minhash_values(shingles: Iterable[str]) -> np.ndarray:
    """`MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)` updated with the UTF-8 shingles: its `hashvalues`,
    computed without datasketch's per-value Python calls.

    Why: the signatures are stored and compared across runs, so they must stay bit-identical, but datasketch's
    `update_batch` calls `sha1_hash32` (hashlib.sha1, a slice, `struct.unpack`) per shingle in Python. Here the
    digests are joined once and read as one uint32 array: `sha1_hash32(b)` is the first four digest bytes read
    little-endian, which is every fifth little-endian uint32 word of the joined digests. The rest is datasketch's
    "affine32" scheme as numpy does it there (uint32 arithmetic wraps): the MurmurHash3 finalizer, then
    `a * h + b` per permutation, the column minimum, and the all-0xFFFFFFFF start values when there is nothing.
    `fingerprint` 1.38 -> 0.97 CPU ms per body on the bodies of 941 benchmark pages; tests/test_dedupe.py checks
    equality with datasketch on the text of the 341 benchmark pages, the seeds, random and edge-case sets, and
    tests/test_extract_equivalence.py the stored signature of every benchmark body.
    """
    sha1 = hashlib.sha1
    digests = b"".join([sha1(s.encode("utf-8")).digest() for s in shingles])
    if not digests:
        return _EMPTY.copy()
    s1, m1, s2, m2, s3 = _FMIX32
    hv = np.frombuffer(digests, dtype="<u4")[::_SHA1_WORDS].astype(np.uint32)
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    hv = hv ^ (hv >> s3)
    a, b = _PERMUTATIONS
    return (np.multiply.outer(hv, a) + b).min(axis=0)


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
