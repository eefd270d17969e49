"""What each line of a plain-text scrape is: body prose, a headline candidate, a dateline, or site chrome.

Scrapes flatten a page into lines, so the page's structure has to be read back from the shape of each line:
prose ends like a sentence; headlines, captions and teaser titles are short and unpunctuated; tickers are
codes and numbers; chrome matches the vocabulary in `data/boilerplate.txt`, judged per line by rule (a short
line, a bracketed note, a "Label:" prefix), so a body sentence that merely contains such a word stays body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

_SENTENCE_END = re.compile(r"[.!?…][\"'”»)\]]*$|[\"”»]$")
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
    n = len(text.split())
    return (n >= 5 and bool(_SENTENCE_END.search(text))) or n >= 40


def classify(text: str) -> Line:
    vocab = sections("boilerplate.txt")
    low = text.lower().strip()
    bare = low.rstrip(" .:!;-–—|")
    if re.fullmatch(r"[\d\W_]*", text):
        return Line(text, CHROME)  # list numbers, separators, lone symbols
    dated = _dateline(text)
    if dated:
        return dated
    if _TICKER.match(text):
        return Line(text, TICKER)
    if bare in vocab["list_headings"]:
        return Line(text, LIST_HEADING)
    if bare in vocab["lines"]:
        return Line(text, CHROME)
    if _is_chrome(text, low, vocab):
        return Line(text, CHROME)
    if text.count(" | ") >= 2 and max(len(s.split()) for s in text.split(" | ")) <= 6:
        return Line(text, CHROME)  # a row of links: "VisionRI | Disclaimer | Terms of use"
    if re.match(r"^(?:by|от|автор:?)\s+\S+(?:\s+\S+){0,4}$", text, re.I) and not is_prose(text):
        return Line(text, BYLINE)
    bullet = _BULLET.match(text)
    if bullet and len(text[bullet.end():].split()) <= 6:
        return Line(text, BULLET)
    return Line(text, PROSE if is_prose(text) else SHORT)


def _is_chrome(text: str, low: str, vocab: dict[str, tuple[str, ...]]) -> bool:
    n = len(text.split())
    bracketed = bool(re.fullmatch(r"[(\[].*[)\]]\.?", text))
    if any(p in low for p in vocab["phrases"]) and (n <= 8 or bracketed or not is_prose(text)):
        return True
    label = re.match(r"^[•·*]?\s*([^\W\d_][\w '’-]{0,24}?)\s*:", low)
    return bool(label and label.group(1).strip() in vocab["labels"] and (n <= 12 or not is_prose(text)))


def _dateline(text: str) -> Line | None:
    """A short line whose point is a date ("5 Jul 2021 21:32", "date 2021-07-08", a byline with dates)."""
    if len(text.split()) > 16:
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
