"""textlines.classify gives the same answer as the rule-by-rule code it replaced, on real and random lines.

`_reference_classify` below is `classify` as it was before the speed-up (commit 561ae28), kept verbatim as the
specification; it is compared with the current code on every visible line of the 341 benchmark pages, the seed
scrapes, hand-written lines for each rule and random lines built from the vocabulary's own entries.
"""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

import pytest

from newsdigest import textlines
from newsdigest.dates import _visible_lines
from newsdigest.html_extract import parse_html
from newsdigest.textdates import find_dates
from newsdigest.textlines import (
    BULLET,
    BYLINE,
    CHROME,
    DATELINE,
    LIST_HEADING,
    PROSE,
    SHORT,
    TICKER,
    Line,
    classify,
    ends_sentence,
    is_prose,
    words,
)
from newsdigest.vocab import sections

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


# ---------------------------------------------------------------- the previous code, verbatim

def _reference_classify(text: str) -> Line:
    vocab = sections("boilerplate.txt")
    low = text.lower().strip()
    bare = low.rstrip(" .:!;-–—|")
    if re.fullmatch(r"[\d\W_]*", text):
        return Line(text, CHROME)  # list numbers, separators, lone symbols
    dated = _reference_dateline(text)
    if dated:
        return dated
    if textlines._TICKER.match(text):
        return Line(text, TICKER)
    if bare in vocab["list_headings"]:
        return Line(text, LIST_HEADING)
    if bare in vocab["lines"]:
        return Line(text, CHROME)
    if _reference_is_chrome(text, low, vocab):
        return Line(text, CHROME)
    if text.count(" | ") >= 2 and max(len(s.split()) for s in text.split(" | ")) <= 6:
        return Line(text, CHROME)  # a row of links: "VisionRI | Disclaimer | Terms of use"
    if re.match(r"^(?:by|от|автор:?)\s+\S+(?:\s+\S+){0,4}$", text, re.I) and not _reference_is_prose(text):
        return Line(text, BYLINE)
    bullet = textlines._BULLET.match(text)
    if bullet and len(text[bullet.end():].split()) <= 6:
        return Line(text, BULLET)
    return Line(text, PROSE if _reference_is_prose(text) else SHORT)


def _reference_is_prose(text: str) -> bool:
    n = len(text.split())
    return (n >= 5 and bool(textlines._SENTENCE_END.search(text))) or n >= 40


def _reference_is_chrome(text: str, low: str, vocab: dict[str, tuple[str, ...]]) -> bool:
    n = len(text.split())
    bracketed = bool(re.fullmatch(r"[(\[].*[)\]]\.?", text))
    if any(p in low for p in vocab["phrases"]) and (n <= 8 or bracketed or not _reference_is_prose(text)):
        return True
    label = re.match(r"^[•·*]?\s*([^\W\d_][\w '’-]{0,24}?)\s*:", low)
    return bool(label and label.group(1).strip() in vocab["labels"] and (n <= 12 or not _reference_is_prose(text)))


def _reference_dateline(text: str) -> Line | None:
    if len(text.split()) > 16:
        return None
    dates = find_dates(text)
    if not dates:
        return None
    if " | " in text:
        segments = text.split(" | ")
        if max(len(s.split()) for s in segments) > 8:
            return None
        chosen = textlines._published_segment(segments)
        return Line(text, BYLINE, chosen, modified_only=chosen is None)
    residue = text
    for d in reversed(dates):
        residue = residue[:d.start] + " " + residue[d.end:]
    if len(words(residue)) > 4 or _reference_is_prose(text) and len(words(residue)) > 2:
        return None
    modified = bool(textlines._MODIFIED.search(residue)) and not textlines._PUBLISHED.search(residue)
    return Line(text, DATELINE, None if modified else dates[0], modified_only=modified)


# ---------------------------------------------------------------- comparisons

def _assert_same(lines: list[str]) -> None:
    for line in lines:
        assert classify(line) == _reference_classify(line), line
        assert is_prose(line) == _reference_is_prose(line), line


@pytest.mark.skipif(not BENCH.is_dir(), reason=f"benchmark pages not found at {BENCH}")
def test_benchmark_page_lines() -> None:
    files = sorted((BENCH / "extraction" / "html").glob("*.html.gz")) + sorted((BENCH / "dates" / "html").glob("*.gz"))
    lines: list[str] = []
    for f in files:
        tree = parse_html(gzip.decompress(f.read_bytes()).decode("utf-8", "replace"))
        if tree is not None:
            lines += _visible_lines(tree)[0]
    assert len(lines) > 50_000
    _assert_same(lines)
    kinds = {classify(line).kind for line in lines}
    assert kinds >= {PROSE, SHORT, CHROME, DATELINE, BYLINE, LIST_HEADING, BULLET}  # every rule is exercised


def test_seed_lines(seed_texts: dict[str, str]) -> None:
    lines = [line for text in seed_texts.values() for line in text.splitlines()]
    assert len(lines) > 50
    _assert_same(lines + [textlines.normalise(line) for line in lines])


HAND = [
    "", " ", "12.", "— — —", "Advertisement", "Related articles", "Read more:", "Share this article",
    "Leave a comment", "(Leave a comment below.)", "[Subscribe to our newsletter]",
    "Subscribe to our newsletter to get the latest news delivered to your inbox every single morning.",
    "Photo: Reuters", "Photo: a long caption that goes on and on with many words in it to pass twelve words.",
    "Source: Interfax, 5 July 2021", "Updated: 05.07.2021 12:30", "Published 5 Jul 2021 21:32",
    "Reuters | Moscow | Updated: 05.07.2021 | Created: 04.07.2021", "By Jane Doe", "By Jane Doe and John Smith.",
    "от Ивана Петрова", "USD 74.5 ▲ 0.3%", "• one bullet", "- another bullet item", "1) numbered item here",
    "Home | World | Sport | Business", "The troops crossed the border on Monday, officials said.",
    "A short headline without a stop", "He said: \u201cWe will respond.\u201d", "It ended (as expected).",
    "Was it? \u00bb", "Prices rose.\n", "Ended with a quote\u201d", "Ended with a quote\u201d\n",
    "Trailing closers.)]\"'",
]


def test_hand_written_lines() -> None:
    _assert_same(HAND)


def test_random_lines_from_the_vocabulary() -> None:
    vocab = sections("boilerplate.txt")
    pieces = [entry for entries in vocab.values() for entry in entries] + [
        "the", "troops", "said", "on", "Monday", "5 July 2021", "05.07.2021", "12:30", "|", "•", "-", "By", "(", ")",
        "[", "]", ".", "!", "?", "…", ":", "\u201d", "\u00bb", "Updated:", "Published:", "USD", "74.5", "\n"]
    rng = random.Random(5)
    lines = []
    for _ in range(20_000):
        parts = [rng.choice(pieces) for _ in range(rng.randint(1, 45))]
        line = " ".join(parts)
        lines.append(line.capitalize() if rng.random() < 0.5 else line)
    _assert_same(lines)


def test_ends_sentence_is_the_regex() -> None:
    alphabet = ".!?…\"'\u201d\u00bb)]\n a\r\u201c\u00ab("
    rng = random.Random(1)
    cases = HAND + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(100_000)]
    for text in cases:
        assert ends_sentence(text) == bool(textlines._SENTENCE_END.search(text)), repr(text)
