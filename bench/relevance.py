"""Score the relevance filter on the labelled set in tests/fixtures/relevance/labels.toml.

Positive class = relevant to Russia–Central Asia security. Precision = true positives / predicted
relevant, recall = true positives / gold relevant, F1 their harmonic mean, all at the given threshold
(DEFAULT_THRESHOLD unless --threshold). Figures are printed per split: "dev" items were used while tuning
the lexicon and weights (optimistic), "holdout" items were written after tuning and never tuned on;
holdout items carrying `batch = N` in labels.toml are also reported per batch ("holdout/1" = items without
a batch, the first set; "holdout/2" = realistic wire-style items written before the salience change).
The set is small and mostly constructed: read the figures as a regression check, not as a field estimate.

    python bench/relevance.py               # figures per split and overall
    python bench/relevance.py --list        # every item with its score and verdict
    python bench/relevance.py --threshold 0.4
    python bench/relevance.py --speed       # plus ms per ~800-word article over 10,000 scorings
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdigest.entities import find_entities  # noqa: E402
from newsdigest.relevance import DEFAULT_THRESHOLD, score_relevance  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "relevance"
SEEDS = ROOT / "seeds"


def load_items() -> list[tuple[str, str, str | None, str, bool]]:
    """(name, split, title, body, gold) for every labelled item."""
    labels = tomllib.loads((FIXTURES / "labels.toml").read_text(encoding="utf-8"))
    items = []
    for name, meta in labels.get("fixtures", {}).items():
        title, _, body = (FIXTURES / name).read_text(encoding="utf-8").partition("\n")
        items.append((name, meta["split"], title.strip() or None, body.strip(), meta["relevant"]))
    for name, meta in labels.get("seeds", {}).items():
        items.append((name, meta["split"], None, (SEEDS / name).read_text(encoding="utf-8"), meta["relevant"]))
    return items


def batches() -> dict[str, str]:
    """Item name -> "holdout/N" for holdout items (N = their `batch`, 1 when absent)."""
    labels = tomllib.loads((FIXTURES / "labels.toml").read_text(encoding="utf-8"))
    return {name: f"holdout/{meta.get('batch', 1)}" for table in ("fixtures", "seeds")
            for name, meta in labels.get(table, {}).items() if meta["split"] == "holdout"}


def figures(rows: list[tuple[bool, bool]]) -> str:
    tp = sum(1 for gold, pred in rows if gold and pred)
    fp = sum(1 for gold, pred in rows if not gold and pred)
    fn = sum(1 for gold, pred in rows if gold and not pred)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    positives = sum(1 for gold, _ in rows if gold)
    return (f"n={len(rows):3d} (relevant {positives}, off-topic {len(rows) - positives})  tp={tp} fp={fp} fn={fn}  "
            f"precision={precision:.3f} recall={recall:.3f} F1={f1:.3f}")


def speed(items: list[tuple[str, str, str | None, str, bool]], runs: int = 10_000) -> str:
    """find_entities + score_relevance on ~800-word articles glued from the labelled texts (warm caches)."""
    rng = random.Random(0)
    bodies = [body for *_, body, _ in items]
    articles = []
    for _ in range(200):
        parts: list[str] = []
        while sum(len(p.split()) for p in parts) < 800:
            parts.append(rng.choice(bodies))
        articles.append("\n\n".join(parts))
    words = sum(len(a.split()) for a in articles) / len(articles)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(runs):
        body = articles[i % len(articles)]
        score_relevance("Russia and Tajikistan", body, find_entities("Russia and Tajikistan", body))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return (f"speed: {runs} articles of ~{words:.0f} words: {cpu / runs * 1000:.2f} ms/article CPU time, "
            f"{wall / runs * 1000:.2f} ms wall clock (wall > CPU when the machine is busy)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--list", action="store_true", help="print every item with its score")
    parser.add_argument("--speed", action="store_true", help="also time 10,000 scorings of ~800-word articles")
    args = parser.parse_args()
    items = load_items()
    results: list[tuple[str, str, bool, bool, float]] = []
    start = time.perf_counter()
    for name, split, title, body, gold in items:
        verdict = score_relevance(title, body, find_entities(title, body), args.threshold)
        results.append((name, split, gold, verdict.relevant, verdict.score))
    elapsed = time.perf_counter() - start
    if args.list:
        for name, split, gold, pred, score in sorted(results, key=lambda r: (r[1], -r[4])):
            mark = "ok " if gold == pred else "ERR"
            print(f"{mark} {split:7s} {score:.3f} gold={'rel' if gold else 'off'} {name}")
        print()
    print(f"threshold {args.threshold:.2f}")
    for split in sorted({r[1] for r in results}):
        print(f"  {split:9s} " + figures([(g, p) for _, s, g, p, _ in results if s == split]))
        if split == "holdout":
            batch_of = batches()
            for batch in sorted(set(batch_of.values())):
                print(f"  {batch:9s} " + figures([(g, p) for n, _, g, p, _ in results if batch_of.get(n) == batch]))
    print(f"  {'all':9s} " + figures([(g, p) for _, _, g, p, _ in results]))
    print(f"({len(items)} items scored in {elapsed * 1000:.0f} ms, lexicon load included)")
    if args.speed:
        print(speed(items))


if __name__ == "__main__":
    main()
