"""Dedup fingerprints of a body: normalised-text hash and MinHash signature, computed in the extraction workers.

Why a module of its own, without datasketch: datasketch's package import pulls in `scipy.integrate` for the LSH
parameter search (0.48 of the 0.89 CPU s of `import newsdigest.extract`, `python -X importtime`), which the
workers never use: they only compute signatures. The LSH index (newsdigest/dedupe.py) uses datasketch in the
flow's process. The permutation parameters are drawn here exactly as datasketch draws them for
`MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32")`; tests/test_dedupe.py checks they, the empty start
values and every signature equal datasketch's.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

NUM_PERM = 128
SCHEME = "affine32"
SEED = 1
SHINGLE_WORDS = 3

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




def _affine32_permutations(num_perm: int, seed: int) -> np.ndarray:
    """datasketch's `MinHash._init_permutations` for the "affine32" scheme: odd `a`, any `b`, uint32."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.array([a, b])


# Drawn once and shared read-only (datasketch draws them again for every MinHash it builds, ~0.26 ms each).
PERMUTATIONS = _affine32_permutations(NUM_PERM, SEED)
_EMPTY = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)  # a MinHash of nothing
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
    a, b = PERMUTATIONS
    return (np.multiply.outer(hv, a) + b).min(axis=0)
