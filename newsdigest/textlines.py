"""What each line of a plain-text scrape is: body prose, a headline candidate, a dateline, or site chrome.

Scrapes flatten a page into lines, so the page's structure has to be read back from the shape of each line:
prose ends like a sentence; headlines, captions and teaser titles are short and unpunctuated; tickers are
codes and numbers; chrome matches the vocabulary in `data/boilerplate.txt`, judged per line by rule (a short
line, a bracketed note, a "Label:" prefix), so a body sentence that merely contains such a word stays body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from newsdigest.textdates import TextDate, find_dates
from newsdigest.vocab import sections

PROSE = "prose"
SHORT = "short"  # headline candidates, subheads, captions, teaser titles, sign-offs
DATELINE = "dateline"
BYLINE = "byline"  # "Reuters | Moscow | Updated: ..." and "By Jane Doe"
TICKER = "ticker"
CHROME = "chrome"
LIST_HEADING = "list_heading"
BULLET = "bullet"

_SENTENCE_END = re.compile(r"[.!?…][\"'”»)\]]*$|[\"”»]$")  # the definition `ends_sentence` answers, faster
_BULLET = re.compile(r"^(?:[•·▪►◦‣*]|-(?=\s)|\d{1,2}[.)](?=\s))\s*")
_TICKER = re.compile(r"^(?:[A-Z]{2,5}|[€$£₽¥₸])\s*[:=]?\s*[-+]?\d[\d\s.,]*%?(?:\s*[▲▼↑↓+-]\s*[\d.,]+%?)?$")
_MODIFIED = re.compile(r"\b(?:updated|modified|edited|обновлено|изменено)\b", re.I)
_PUBLISHED = re.compile(r"\b(?:published|posted|created|date|опубликовано|дата)\b", re.I)
_WORD = re.compile(r"[^\W\d_]+", re.U)


@dataclass
class Line:
    text: str
    kind: str
    date: TextDate | None = None  # for DATELINE/BYLINE: the publication date the line states
    modified_only: bool = False  # the line's date is labelled as an update, not the publication


def normalise(line: str) -> str:
    return re.sub(r"\s+", " ", line.replace("\u00a0", " ").replace("\u200b", "")).strip()


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_prose(text: str) -> bool:
    return _is_prose(text, len(text.split()))


def _is_prose(text: str, n: int) -> bool:
    """`is_prose` for a text of n (whitespace-separated) words."""
    return (n >= 5 and ends_sentence(text)) or n >= 40


_STOPS = frozenset(".!?…")
_CLOSERS = "\"'”»)]"
_CLOSING_QUOTES = frozenset("\"”»")


def ends_sentence(text: str) -> bool:
    """`bool(_SENTENCE_END.search(text))` from the end of the text instead of a scan of all of it (3 us per
    paragraph). `$` matches at the end or before a final newline, and stops and closers are disjoint, so a match
    is: the character before the trailing run of closers is a stop, or the last character is a closing quote
    (both before a final newline, if there is one)."""
    end = text[:-1] if text.endswith("\n") else text
    before = end.rstrip(_CLOSERS)
    return (bool(before) and before[-1] in _STOPS) or (bool(end) and end[-1] in _CLOSING_QUOTES)


_NO_LETTERS = re.compile(r"[\d\W_]*")
_BYLINE_START = re.compile(r"^(?:by|от|автор:?)\s+\S+(?:\s+\S+){0,4}$", re.I)
_BRACKETED = re.compile(r"[(\[].*[)\]]\.?")
_LABEL = re.compile(r"^[•·*]?\s*([^\W\d_][\w '’-]{0,24}?)\s*:")


@cache
def _vocab_sets() -> dict[str, frozenset[str]]:
    """The boilerplate vocabulary's sections as sets, for the exact-line lookups (same entries as the tuples)."""
    return {k: frozenset(v) for k, v in sections("boilerplate.txt").items()}


def classify(text: str) -> Line:
    """What kind of line `text` is (see the module docstring).

    Each line's word count and prose test are computed once and shared by the checks, the phrase scan runs only
    when its verdict can matter, the exact-line vocabularies are sets and the patterns precompiled: the same
    answers as checking each rule in turn (tests/test_textlines.py compares with the previous code), for less
    CPU (25 -> 12 us per paragraph on the benchmark bodies; `_trim` classifies every paragraph of every page).
    """
    vocab = sections("boilerplate.txt")
    sets = _vocab_sets()
    low = text.lower().strip()
    bare = low.rstrip(" .:!;-–—|")
    if _NO_LETTERS.fullmatch(text):
        return Line(text, CHROME)  # list numbers, separators, lone symbols
    n = len(text.split())
    dated = _dateline(text, n)
    if dated:
        return dated
    if _TICKER.match(text):
        return Line(text, TICKER)
    if bare in sets["list_headings"]:
        return Line(text, LIST_HEADING)
    if bare in sets["lines"]:
        return Line(text, CHROME)
    prose = _is_prose(text, n)
    if _is_chrome(text, low, vocab, n, prose, sets["labels"]):
        return Line(text, CHROME)
    if text.count(" | ") >= 2 and max(len(s.split()) for s in text.split(" | ")) <= 6:
        return Line(text, CHROME)  # a row of links: "VisionRI | Disclaimer | Terms of use"
    if _BYLINE_START.match(text) and not prose:
        return Line(text, BYLINE)
    bullet = _BULLET.match(text)
    if bullet and len(text[bullet.end():].split()) <= 6:
        return Line(text, BULLET)
    return Line(text, PROSE if prose else SHORT)


def _is_chrome(text: str, low: str, vocab: dict[str, tuple[str, ...]], n: int, prose: bool,
               labels: frozenset[str]) -> bool:
    """A chrome phrase in a line that is short, bracketed or not prose; or a "Label:" line of that vocabulary.
    `n` is the line's word count, `prose` its `is_prose`, `labels` the "labels" section as a set. The phrase
    scan (55 substring searches) comes last: a long prose line is never chrome by phrase."""
    if (n <= 8 or _BRACKETED.fullmatch(text) or not prose) and any(p in low for p in vocab["phrases"]):
        return True
    label = _LABEL.match(low)
    return bool(label and label.group(1).strip() in labels and (n <= 12 or not prose))


def _dateline(text: str, n: int) -> Line | None:
    """A short line whose point is a date ("5 Jul 2021 21:32", "date 2021-07-08", a byline with dates);
    `n` is the line's word count."""
    if n > 16:
        return None
    dates = find_dates(text)
    if not dates:
        return None
    if " | " in text:
        segments = text.split(" | ")
        if max(len(s.split()) for s in segments) > 8:
            return None
        chosen = _published_segment(segments)
        return Line(text, BYLINE, chosen, modified_only=chosen is None)
    residue = text
    for d in reversed(dates):
        residue = residue[:d.start] + " " + residue[d.end:]
    if len(words(residue)) > 4 or is_prose(text) and len(words(residue)) > 2:
        return None
    modified = bool(_MODIFIED.search(residue)) and not _PUBLISHED.search(residue)
    return Line(text, DATELINE, None if modified else dates[0], modified_only=modified)


def _published_segment(segments: list[str]) -> TextDate | None:
    """In "Reuters | Moscow | Updated: d1 | Created: d2" prefer the created/published date; skip updates."""
    unlabeled = None
    for segment in segments:
        dates = find_dates(segment)
        if not dates:
            continue
        if _PUBLISHED.search(segment) and not _MODIFIED.search(segment):
            return dates[0]
        if not _MODIFIED.search(segment) and unlabeled is None:
            unlabeled = dates[0]
    return unlabeled
