"""Dedup on constructed copies of real articles (the seeds): copies found, different articles kept apart."""

import gzip
import hashlib
import itertools
import random
import sys
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from newsdigest.dedupe import (
    NUM_PERM,
    SCHEME,
    SHINGLE_WORDS,
    DuplicateIndex,
    Fingerprint,
    assign_group,
    fingerprint,
    minhash_values,
    shingles_of,
    tokens,
)
from newsdigest.html_extract import parse_html

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


def _body(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if len(p.split()) > 12]


def test_seeds_are_five_different_articles(seed_texts):
    index = DuplicateIndex()
    links = [assign_group(index, name, fingerprint(text)) for name, text in seed_texts.items()]
    assert [link.rule for link in links] == ["first"] * 5
    # 003 and 004 report the same week's events (Tajik border, CSTO help): still not copies.
    fps = {name: fingerprint(text) for name, text in seed_texts.items()}
    for a, b in itertools.combinations(fps, 2):
        solo = DuplicateIndex()
        solo.add(a, a, fps[a])
        assert solo.match(b, fps[b]).rule == "first", (a, b)


def test_syndicated_copy_with_other_boilerplate_headline_and_trimmed_end(seed_texts):
    original = seed_texts["003_bbbd152a2ce05057.txt"]
    paras = _body(original)
    copy = "\n\n".join(
        ["Tajik border: Putin offers help (updated headline)", "Share on Facebook | Tweet | Email"]
        + paras[:-1]  # the last paragraph trimmed
        + ["Read more: Russia's Defence Ministry holds drills", "© 2021 Another Outlet. All rights reserved."]
    )
    index = DuplicateIndex()
    assign_group(index, "orig", fingerprint(original))
    link = assign_group(index, "copy", fingerprint(copy))
    assert link.rule == "near_duplicate"
    assert link.group_id == "orig" and link.matched_article_id == "orig"
    assert link.similarity is not None and link.similarity > 0.7


def test_exact_copy_ignores_case_and_punctuation(seed_texts):
    original = seed_texts["001_0acae4aa53c38f04.txt"]
    index = DuplicateIndex()
    assign_group(index, "a", fingerprint(original))
    link = assign_group(index, "b", fingerprint(original.upper().replace("«", '"').replace("»", '"')))
    assert (link.rule, link.similarity, link.group_id) == ("content_hash", 1.0, "a")


def test_same_canonical_url_links_copies(seed_texts):
    text = seed_texts["000_7cfd1a385b78c9bd.txt"]
    index = DuplicateIndex()
    assign_group(index, "a", fingerprint(text), "https://example.com/story")
    link = assign_group(index, "b", fingerprint(text[: len(text) // 2]), "https://example.com/story")
    assert link.rule == "canonical_url" and link.group_id == "a"


def test_copies_within_one_batch_chain_to_the_first(seed_texts):
    paras = _body(seed_texts["004_017209d9a1e91163.txt"])
    index = DuplicateIndex()
    a = assign_group(index, "a", fingerprint("\n".join(paras)))
    b = assign_group(index, "b", fingerprint("\n".join(paras[:-1])))
    c = assign_group(index, "c", fingerprint("\n".join(["Intro line added by a blog."] + paras)))
    assert a.rule == "first" and {b.group_id, c.group_id} == {"a"}


def test_short_texts_only_match_exactly():
    index = DuplicateIndex()
    assign_group(index, "a", fingerprint("Russia and Tajikistan hold talks."))
    link = assign_group(index, "b", fingerprint("Russia and Tajikistan hold new talks."))
    assert link.rule == "first"


# ---------------------------------------------------------------- fingerprint = the datasketch computation

def _datasketch_fingerprint(text: str) -> Fingerprint:
    """The fingerprint as computed before `minhash_values` (datasketch's MinHash.update_batch), kept as the
    reference: stored signatures must stay bit-identical across versions."""
    words = tokens(text)
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    mh = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    mh.update_batch([s.encode("utf-8") for s in shingles if s])
    return Fingerprint(
        content_hash=hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest(),
        signature=np.asarray(mh.hashvalues, dtype="<u8").tobytes(),
        shingle_count=len(shingles) if words else 0,
    )


def _bench_texts() -> list[str]:
    """Text of the 341 benchmark pages (any text will do; these are long, multilingual, messy)."""
    files = sorted((BENCH / "extraction" / "html").glob("*.html.gz")) + sorted((BENCH / "dates" / "html").glob("*.gz"))
    texts = []
    for f in files:
        tree = parse_html(gzip.decompress(f.read_bytes()).decode("utf-8", "replace"))
        if tree is not None:
            texts.append(tree.text_content()[:20_000])  # about the longest article bodies
    return texts


EDGE_TEXTS = ["", "   ", "!!! ...", "one", "two words", "three words here", "Ünïcode ß Straße ﬁ ＡＢＣ", "a a a a a",
              "\U0001f600 emoji 😀 words", "\ud800 lone surrogate is no word", "日本語のテキスト 中文 русский текст"]


def test_fingerprint_equals_datasketch_on_seeds_and_edge_cases(seed_texts):
    for text in [*seed_texts.values(), *EDGE_TEXTS]:
        assert fingerprint(text) == _datasketch_fingerprint(text), text[:60]


@pytest.mark.skipif(not BENCH.is_dir(), reason=f"benchmark pages not found at {BENCH}")
def test_fingerprint_equals_datasketch_on_benchmark_pages():
    texts = _bench_texts()
    assert len(texts) > 330
    for text in texts:
        for body in (text, text[:300]):  # a long body and a short one
            assert fingerprint(body) == _datasketch_fingerprint(body)


def test_minhash_values_equal_datasketch_on_random_sets():
    rng = random.Random(3)
    alphabet = "abcdefghij ÄöüßЖжΩ日本\U0001f600"
    for size in [0, 1, 2, 3, 10, 100, 1000, 5000]:
        for _ in range(5):
            shingles = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20))) for _ in range(size)}
            mh = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
            mh.update_batch([s.encode("utf-8") for s in shingles])
            got = minhash_values(shingles)
            assert got.dtype == mh.hashvalues.dtype
            assert np.array_equal(got, mh.hashvalues)
    assert minhash_values(set()).tolist() == [2**32 - 1] * NUM_PERM
    assert minhash_values([]) is not minhash_values([])  # callers get their own array


def test_shingles_of():
    assert shingles_of([]) == set()
    assert shingles_of(["a"]) == {"a"}
    assert shingles_of(["a", "b"]) == {"a b"}
    assert shingles_of(["a", "b", "c", "d", "a", "b", "c"]) == {"a b c", "b c d", "c d a", "d a b"}


def test_fingerprint_parameters_are_datasketchs():
    """The worker-side fingerprint draws datasketch's own permutations and start values, without importing it."""
    import newsdigest.fingerprint as fp

    reference = MinHash(num_perm=NUM_PERM, seed=fp.SEED, scheme=SCHEME)
    assert fp.PERMUTATIONS.dtype == reference.permutations.dtype
    assert np.array_equal(fp.PERMUTATIONS, reference.permutations)
    assert fp._EMPTY.dtype == reference.hashvalues.dtype and np.array_equal(fp._EMPTY, reference.hashvalues)


def test_extraction_workers_do_not_import_datasketch():
    """`import newsdigest.extract` (what every extraction worker does) stays free of datasketch and scipy."""
    import subprocess

    code = "import sys, newsdigest.extract; print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
