"""`extract_document` gives, field for field, the output recorded before the CPU speed-ups, on 341 real pages.

tests/fixtures/extract_reference.json holds, per benchmark page (91 extraction + 250 date pages, read from
../shared/bench and handed over as raw bytes with their URL, as the pipeline does), the sha256 of a canonical
repr of the whole ExtractedDocument: title, paragraphs, publication date (value, source, has_time), site, agency,
authors, language, canonical and page URL, lead, the fingerprint (content hash, MinHash signature bytes, shingle
count), error class and message and decode note. It was written by bench/extract_reference.py running the code
of commit 561ae28 (`git archive`), before newsdigest/parse_speedups.py, newsdigest/tree_queries.py, the fast
`dedupe.minhash_values` and the reworked `textlines.classify`, so every page must still produce exactly that.
After a deliberate change of extraction output, rewrite it with `python bench/extract_reference.py --write` (and
say why in the commit).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from extract_reference import REFERENCE, SHARED, differences, digests, shared_pages  # noqa: E402

from newsdigest import parse_speedups, trafilatura_speedups  # noqa: E402

needs_bench = pytest.mark.skipif(not (SHARED / "extraction").is_dir() or not (SHARED / "dates").is_dir(),
                                 reason=f"benchmark pages not found at {SHARED}")


@needs_bench
def test_every_benchmark_page_extracts_as_recorded() -> None:
    assert trafilatura_speedups.install() and parse_speedups.install()  # as newsdigest.html_extract runs them
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))
    pages = shared_pages()
    assert len(pages) == len(expected) == 341
    diff = differences(expected, digests(pages))
    assert not diff, f"{len(diff)} pages differ from the reference, e.g. {diff[:5]}"
