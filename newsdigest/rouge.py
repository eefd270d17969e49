"""ROUGE-N recall as ROUGE-1.5.5 computes it with `-m -n 2 -l N` (stemmed, no stopword removal, pooled).

Kept in-house (a screen of code) so the benchmark needs no Perl and no download. Conventions: the summary is
truncated to its first N whitespace-separated words (the script's `-l N`); then text is lower-cased, tokens
are [a-z0-9]+ and those longer than 3 characters are Porter-stemmed (as the script does); recall pools the
references (sum of clipped matches over all references / sum of their n-gram counts, the script's `-f A`).
Known differences: the script also maps WordNet irregular forms (went -> go) before stemming, and official
DUC figures average jackknifed 3-reference subsets; both shift every system alike by a fraction of a point.
"""

from __future__ import annotations

import re
from collections import Counter

from newsdigest.textfeatures import stem

_TOKEN = re.compile(r"[a-z0-9]+")


def truncate_words(text: str, words: int | None) -> str:
    return text if words is None else " ".join(text.split()[:words])


def rouge_tokens(text: str) -> list[str]:
    return [stem(token, "en") if len(token) > 3 else token for token in _TOKEN.findall(text.lower())]


def ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def rouge_n_counts(summary: str, references: list[str], n: int, words: int | None = None) -> tuple[int, int]:
    """(matched n-grams, reference n-grams), pooled over the references."""
    system = ngrams(rouge_tokens(truncate_words(summary, words)), n)
    hits = total = 0
    for reference in references:
        ref = ngrams(rouge_tokens(reference), n)
        hits += sum(min(count, system[gram]) for gram, count in ref.items())
        total += sum(ref.values())
    return hits, total


def rouge_n_recall(summary: str, references: list[str], n: int, words: int | None = None) -> float:
    hits, total = rouge_n_counts(summary, references, n, words)
    return hits / total if total else 0.0
