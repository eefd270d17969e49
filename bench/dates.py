"""Score the publication-date finder on the date benchmark (dev half in ../shared/bench/dates).

A page counts as correct only when the returned day equals the gold day (time and zone are ignored).
Precision = correct / returned, recall = correct / total, F1 their harmonic mean: returning no date costs
recall only, a wrong date costs both, which is the trade-off we want (a wrong date is worse than none).
The gold URL is passed to the finder, as the pipeline knows every page's address.

    python bench/dates.py             # newsdigest.dates.find_publication_date, with a breakdown by source
    python bench/dates.py --compare   # plus htmldate.find_date with its defaults (the baseline)
    python bench/dates.py --errors    # list wrong and missing pages for error analysis
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdigest.dates import find_publication_date  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "dates"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)

# A finder maps (html, url) to (day "YYYY-MM-DD" or None, source label).
Finder = Callable[[str, str], tuple[str | None, str]]


def decode_html(raw: bytes) -> str:
    """UTF-8 first, then the page's meta charset, then cp1252; never fails (bad bytes are replaced)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = _META_CHARSET.search(raw[:8192])
    for encoding in ([match.group(1).decode("ascii", "replace")] if match else []) + ["cp1252"]:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1", errors="replace")


def load_pages(data: Path) -> list[tuple[str, str, str]]:
    """(url, html, gold day) for every page in the benchmark."""
    gold = json.loads((data / "gold.json").read_text(encoding="utf-8"))
    pages = []
    for url, item in sorted(gold.items()):
        raw = gzip.decompress((data / "html" / item["file"]).read_bytes())
        pages.append((url, decode_html(raw), item["date"]))
    return pages


def ours(html: str, url: str) -> tuple[str | None, str]:
    found = find_publication_date(html, url)
    return (found.value.strftime("%Y-%m-%d") if found.value else None), found.source


def htmldate_baseline(html: str, url: str) -> tuple[str | None, str]:
    from htmldate import find_date

    try:
        return find_date(html, url=url), "htmldate"
    except Exception:  # noqa: BLE001 - a crash counts as no answer
        return None, "htmldate"


def score(finder: Finder, pages: list[tuple[str, str, str]]) -> dict:
    """Counts, P/R/F1, a per-source breakdown and the list of errors (url, gold, predicted, source)."""
    returned = correct = 0
    by_source: Counter[tuple[str, bool]] = Counter()
    errors = []
    for url, html, gold in pages:
        day, source = finder(html, url)
        if day is not None:
            returned += 1
            correct += day == gold
            by_source[(source, day == gold)] += 1
        if day != gold:
            errors.append((url, gold, day, source))
    precision = correct / returned if returned else 0.0
    recall = correct / len(pages) if pages else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(pages), "returned": returned, "correct": correct, "precision": precision,
            "recall": recall, "f1": f1, "by_source": by_source, "errors": errors}


def report(name: str, finder: Finder, pages, show_errors: bool = False) -> dict:
    started = time.perf_counter()
    result = score(finder, pages)
    elapsed = time.perf_counter() - started
    print(f"{name}: n={result['n']} returned={result['returned']} correct={result['correct']} "
          f"P={result['precision']:.4f} R={result['recall']:.4f} F1={result['f1']:.4f} ({elapsed:.1f}s)")
    sources = sorted({s for s, _ in result["by_source"]})
    for source in sources:
        ok, bad = result["by_source"][(source, True)], result["by_source"][(source, False)]
        print(f"  {source:<9} returned={ok + bad:>4} correct={ok:>4} wrong={bad:>3}")
    if show_errors:
        for url, gold, day, source in result["errors"]:
            print(f"  {'MISSING' if day is None else 'WRONG  '} gold={gold} got={day} ({source}) {url}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder (gold.json, html/)")
    parser.add_argument("--compare", action="store_true", help="also score htmldate.find_date (defaults)")
    parser.add_argument("--errors", action="store_true", help="list wrong and missing pages")
    args = parser.parse_args(argv)
    if not (args.data / "gold.json").is_file():
        print(f"skipped: data not found ({args.data})")
        return 0
    pages = load_pages(args.data)
    report("newsdigest.dates", ours, pages, args.errors)
    if args.compare:
        report("htmldate baseline", htmldate_baseline, pages, args.errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
