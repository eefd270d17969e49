"""Score the summariser on DUC 2006 (../shared/bench/duc2006): ROUGE-1/2 recall against 4 human summaries.

Systems, side by side on the same sets and the same scorer (newsdigest/rouge.py):
  lead      DUC's baseline: the first N words of the most recent document in the set
  newsdigest  newsdigest.summarize.summarize, reading the files exactly as `newsdigest summarize` does

DUC 2006 is query-focused (each set has a topic statement); we ignore the topics and summarise generically,
as the digest does, so published DUC 2006 systems (which used the topic) had an advantage. Published levels
for orientation (official ROUGE-1.5.5 with jackknifing, 250 words): best system ROUGE-2 ~0.095, baseline
~0.06. At 100 words there is no official DUC 2006 run; for DUC 2004 (different sets) the best extractive
systems reach ROUGE-2 ~0.098 and LexRank ~0.075 -- not directly comparable, shown only as a level.

    python bench/summarize.py                 # all 50 sets at 100 and 250 words
    python bench/summarize.py --sets 5        # first 5 sets, quick
    python bench/summarize.py --cli           # produce our summaries by running `newsdigest summarize`
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdigest.rouge import rouge_n_recall, truncate_words  # noqa: E402
from newsdigest.summarize import summarize  # noqa: E402
from newsdigest.summarize_io import load_documents  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "duc2006"
PUBLISHED = {250: "DUC 2006 published (250w, query-focused): best R2 ~0.095, baseline R2 ~0.06",
             100: "DUC 2004 published (100w, other sets): best extractive R2 ~0.098, LexRank ~0.075"}


@dataclass
class Scores:
    r1: list[float] = field(default_factory=list)
    r2: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def doc_sets(data: Path, limit: int | None = None) -> list[tuple[str, Path, list[str]]]:
    """(set id, docs dir, reference summaries) for each set with references, sorted by id."""
    out = []
    for docs_dir in sorted((data / "docs").iterdir()):
        stem = docs_dir.name[:-1]  # D0601A -> D0601
        refs = [p.read_text(encoding="utf-8", errors="replace")
                for p in sorted((data / "models").glob(f"{stem}.M.*"))]
        if refs:
            out.append((docs_dir.name, docs_dir, refs))
    return out[:limit] if limit else out


def lead_summary(docs_dir: Path, words: int) -> str:
    docs = load_documents([docs_dir])
    latest = max(range(len(docs)), key=lambda i: (docs[i].published is not None, docs[i].published or 0, -i))
    return truncate_words(docs[latest].text, words)


def our_summary(docs_dir: Path, words: int, via_cli: bool = False) -> str:
    if via_cli:
        exe = Path(sys.executable).with_name("newsdigest")
        command = [str(exe)] if exe.exists() else [sys.executable, "-m", "newsdigest.cli"]
        result = subprocess.run([*command, "summarize", str(docs_dir), "--words", str(words)],
                                capture_output=True, text=True, check=True)
        return result.stdout
    return "\n".join(s.text for s in summarize(load_documents([docs_dir]), words=words))


def evaluate(data: Path, sets: int | None = None, budgets: tuple[int, ...] = (100, 250),
             via_cli: bool = False) -> dict[tuple[str, int], Scores]:
    """Per (system, budget): ROUGE-1/2 recall of each set (summaries truncated to the budget) and runtime."""
    results: dict[tuple[str, int], Scores] = {}
    for _, docs_dir, refs in doc_sets(data, sets):
        for words in budgets:
            for name, make in (("lead", lambda d, w: lead_summary(d, w)),
                               ("newsdigest", lambda d, w: our_summary(d, w, via_cli))):
                started = time.perf_counter()
                summary = make(docs_dir, words)
                scores = results.setdefault((name, words), Scores())
                scores.seconds.append(time.perf_counter() - started)
                scores.r1.append(rouge_n_recall(summary, refs, 1, words))
                scores.r2.append(rouge_n_recall(summary, refs, 2, words))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", type=int, help="only the first N sets (quick run)")
    parser.add_argument("--words", type=int, nargs="+", default=[100, 250])
    parser.add_argument("--cli", action="store_true", help="run `newsdigest summarize` for our summaries")
    args = parser.parse_args(argv)
    if not (args.data / "docs").is_dir():
        print(f"skip: no DUC 2006 data at {args.data} (needs ../shared/bench/duc2006)")
        return 0
    started = time.perf_counter()
    results = evaluate(args.data, args.sets, tuple(args.words), args.cli)
    n_sets = len(next(iter(results.values())).r1) if results else 0
    print(f"DUC 2006, {n_sets} sets, generic summaries (topic statements ignored), ROUGE recall, Porter stem, "
          "no stopword removal, pooled over 4 references")
    print(f"{'system':<12} {'words':>5} {'ROUGE-1':>8} {'ROUGE-2':>8} {'R2 sem':>7} {'s/set':>7}")
    for words in args.words:
        for name in ("lead", "newsdigest"):
            s = results[(name, words)]
            sem = statistics.stdev(s.r2) / len(s.r2) ** 0.5 if len(s.r2) > 1 else 0.0
            print(f"{name:<12} {words:>5} {statistics.mean(s.r1):8.4f} {statistics.mean(s.r2):8.4f} {sem:7.4f}"
                  f" {statistics.mean(s.seconds):7.3f}")
        if words in PUBLISHED:
            print(f"  ({PUBLISHED[words]})")
    print(f"total {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
