"""Digests of `extract_document`'s whole output per page, to prove a speed-up changes no result.

Each page's ExtractedDocument (every Extraction field, the fingerprint's content hash, MinHash signature bytes
and shingle count, error class and message, decode note; not the extractor label, which only names versions) is
reduced to the sha256 of a canonical JSON repr. `--write` records the digests of the current code; without it
they are recomputed and the pages that differ listed. Pages: the 91 of ../shared/bench/extraction and the 250 of
../shared/bench/dates (as bench/extract_cost.py and bench/dates.py read them, handed over as raw bytes with
their URL), the reference kept in tests/fixtures/extract_reference.json for tests/test_extract_equivalence.py;
optionally (`--corpus N`) N pages of the pipeline benchmark's generated corpus, whose digests go to a file
outside the repository (corpus-derived data is not committed).

    python bench/extract_reference.py --write               # before a change: record
    python bench/extract_reference.py                       # after: compare (exit 1 on any difference)
    python bench/extract_reference.py --corpus 600 --write  # also the corpus pages (reference under /tmp)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdigest.extract import extract_document  # noqa: E402
from newsdigest.models import ExtractedDocument, RawDocument  # noqa: E402

SHARED = ROOT.parent / "shared" / "bench"
REFERENCE = ROOT / "tests" / "fixtures" / "extract_reference.json"
CORPUS = Path("/tmp/newsdigest-bench/corpus-v3-n2000-o4-d10-s7")
CORPUS_REFERENCE = Path("/tmp/newsdigest-extract-reference-corpus.json")
MAX_BYTES = 50 * 1024 * 1024
FETCHED = datetime(2024, 1, 1)


def shared_pages(shared: Path = SHARED) -> dict[str, RawDocument]:
    """page id -> RawDocument for the 91 extraction and 250 date pages ({} when the data is absent)."""
    pages: dict[str, RawDocument] = {}
    truth_file = shared / "extraction" / "ground-truth.json"
    if truth_file.exists():
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        for page_id, item in sorted(truth.items()):
            raw = gzip.decompress((shared / "extraction" / "html" / f"{page_id}.html.gz").read_bytes())
            pages[f"extraction/{page_id}"] = RawDocument("bench", item["url"], raw, "text/html", FETCHED,
                                                         url=item["url"])
    gold_file = shared / "dates" / "gold.json"
    if gold_file.exists():
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        for url, item in sorted(gold.items()):
            raw = gzip.decompress((shared / "dates" / "html" / item["file"]).read_bytes())
            pages[f"dates/{item['file']}"] = RawDocument("bench", url, raw, "text/html", FETCHED, url=url)
    return pages


def corpus_pages(n: int, root: Path = CORPUS) -> dict[str, RawDocument]:
    """page id -> RawDocument for n corpus pages (every k-th of the sorted paths, so all outlets are in), with
    the bytes and URL the pipeline benchmark serves."""
    pages: dict[str, RawDocument] = {}
    paths = sorted(root.glob("outlet*/**/*.html"))
    for path in paths[:: max(1, len(paths) // n)][:n]:
        rel = path.relative_to(root).as_posix()
        url = f"http://127.0.0.1:8000/{rel}"
        raw = path.read_bytes().replace(b"{port}", b"8000")
        pages[f"corpus/{rel}"] = RawDocument("bench", url, raw, "text/html", FETCHED, url=url)
    return pages


def canonical(result: ExtractedDocument) -> dict[str, Any]:
    """Every output field of one extraction, JSON-ready (datetimes as ISO text, signature as hex)."""
    ex = result.extraction
    fp = result.fingerprint
    return {
        "extraction": None if ex is None else {
            "title": ex.title, "paragraphs": ex.paragraphs,
            "published": [ex.published.value.isoformat() if ex.published.value else None,
                          ex.published.source, ex.published.has_time],
            "site": ex.site, "agency": ex.agency, "authors": ex.authors, "language": ex.language,
            "canonical_url": ex.canonical_url, "url": ex.url, "lead": ex.lead,
        },
        "fingerprint": None if fp is None else [fp.content_hash, fp.signature.hex(), fp.shingle_count],
        "error_class": result.error_class, "error": result.error, "note": result.note,
    }  # not `extractor`: a label with the package versions, the same for every page


def digest(result: ExtractedDocument) -> str:
    text = json.dumps(canonical(result), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digests(pages: dict[str, RawDocument]) -> dict[str, str]:
    return {page_id: digest(extract_document(doc, MAX_BYTES)) for page_id, doc in pages.items()}


def differences(expected: dict[str, str], got: dict[str, str]) -> list[str]:
    return sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the current output as the reference")
    parser.add_argument("--corpus", type=int, default=0, help="also this many corpus pages")
    args = parser.parse_args(argv)
    jobs = [(REFERENCE, shared_pages())]
    if args.corpus:
        jobs.append((CORPUS_REFERENCE, corpus_pages(args.corpus)))
    failed = False
    for target, pages in jobs:
        if not pages:
            print(f"skipped {target.name}: no pages")
            continue
        got = digests(pages)
        if args.write:
            target.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            print(f"wrote {len(got)} digests to {target}")
            continue
        expected = json.loads(target.read_text(encoding="utf-8"))
        diff = differences({k: v for k, v in expected.items() if k in got}, got)
        print(f"{target.name}: {len(got)} pages, {len(diff)} differ" + (f": {diff[:10]}" if diff else ""))
        failed |= bool(diff)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
