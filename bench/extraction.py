"""Score the HTML body extractor on the Zyte article-extraction benchmark (dev half in ../shared).

Scoring follows ../shared/README.md: tokens are `\\w+` matches; per page, TP/FP/FN are counted over word
4-gram shingle counts; precision and recall are averaged over pages; F1 is their harmonic mean. A page where
the extractor returns nothing has precision 0 and recall 0 (it counts against both, like a wrong answer).

    python bench/extraction.py            # our extractor (newsdigest.html_extract)
    python bench/extraction.py --compare  # plus trafilatura default and favor_precision baselines
    python bench/extraction.py --worst 10 # the ten pages with the lowest F1, for error analysis
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

from newsdigest.decode import decode_bytes  # noqa: E402
from newsdigest.html_extract import extract_html  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "extraction"
TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[str]:
    tokens = TOKEN.findall(text or "")
    return Counter(" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def page_scores(gold: str, pred: str) -> tuple[float, float]:
    """Precision and recall of one page over 4-gram shingle counts."""
    g, p = shingles(gold), shingles(pred)
    tp = sum((g & p).values())
    n_pred, n_gold = sum(p.values()), sum(g.values())
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else (1.0 if not n_pred else 0.0)
    return precision, recall


def summarise(scores: list[tuple[float, float]]) -> tuple[float, float, float]:
    precision = sum(s[0] for s in scores) / len(scores)
    recall = sum(s[1] for s in scores) / len(scores)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def load_pages(data: Path) -> list[tuple[str, str, str, str]]:
    """(id, url, html, gold body) for every page in the benchmark."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, item in sorted(truth.items()):
        raw = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append((page_id, item["url"], decode_bytes(raw, "text/html").text, item["articleBody"]))
    return pages


def ours(html: str, url: str) -> str:
    return "\n\n".join(extract_html(html, url).paragraphs)


def trafilatura_baseline(**options: bool) -> Callable[[str, str], str]:
    import trafilatura

    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url, include_comments=False, **options) or ""

    return run


def score(name: str, extractor: Callable[[str, str], str], pages, worst: int = 0) -> tuple[float, float, float]:
    started = time.perf_counter()
    per_page = [(page_id, url, page_scores(gold, extractor(html, url))) for page_id, url, html, gold in pages]
    elapsed = time.perf_counter() - started
    precision, recall, f1 = summarise([s for _, _, s in per_page])
    print(f"{name:<28} P={precision:.4f} R={recall:.4f} F1={f1:.4f}  ({len(pages)} pages, {elapsed:.1f} s)")
    if worst:
        ranked = sorted(per_page, key=lambda x: sum(x[2]))
        for page_id, url, (p, r) in ranked[:worst]:
            print(f"    P={p:.3f} R={r:.3f} {page_id[:12]} {url}")
    return precision, recall, f1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--compare", action="store_true", help="also score trafilatura baselines")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages")
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").exists():
        print(f"skipped: benchmark data not found at {args.data}")
        return 0
    pages = load_pages(args.data)
    if args.compare:
        score("trafilatura default", trafilatura_baseline(), pages)
        score("trafilatura favor_precision", trafilatura_baseline(favor_precision=True), pages)
    score("newsdigest.html_extract", ours, pages, worst=args.worst)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
