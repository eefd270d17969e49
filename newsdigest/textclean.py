"""Cleaning plain-text scrapes: headline, body paragraphs, dateline, outlet and agency from flattened pages.

trafilatura keeps everything when handed plain text, so scrapes get their own reader. It works on the shape
of lines (see `textlines`): the body runs from the first prose paragraph to the last one before a teaser list
("TRENDING", "Latest News") or the footer; the headline is the last headline-like line before the body;
captions, bullets, tickers, bylines and chrome inside the body are dropped; a standfirst that the body
repeats and a repeated headline are dropped; every paragraph appears once. General rules only, so other
outlets' scrapes clean the same way.
"""

from __future__ import annotations

import re

from newsdigest.credits import find_agency, find_site
from newsdigest.language import guess_language
from newsdigest.models import NO_DATE, DateFinding, Extraction
from newsdigest.textlines import (
    BULLET,
    BYLINE,
    CHROME,
    DATELINE,
    LIST_HEADING,
    PROSE,
    SHORT,
    Line,
    classify,
    normalise,
)

HEADLINE_WINDOW = 15  # lines from the top (or before the body) where a headline may sit
MIN_RESUME_WORDS = 25  # after a teaser list, body resumes only with a paragraph this long


def clean_text_scrape(text: str) -> Extraction:
    lines = [classify(t) for t in (normalise(raw) for raw in text.splitlines()) if t]
    kinds = [line.kind for line in lines]
    if PROSE not in kinds:
        return Extraction(title=None, paragraphs=[])
    first = kinds.index(PROSE)
    last = _body_end(lines, first)
    title = _headline(lines[:first])
    body = [line.text for line in lines[first:last + 1] if _keep_in_body(line, lines, title)]
    paragraphs = _unique(body, title)
    meta = [line.text for line in lines if line.kind in (BYLINE, DATELINE, CHROME)]
    chrome = [line.text for line in lines if line.kind == CHROME]
    tail = [line.text for line in lines[last + 1:] if line.kind == SHORT]
    full = "\n".join(line.text for line in lines)
    return Extraction(
        title=title,
        paragraphs=paragraphs,
        published=_publication_date(lines),
        site=find_site(chrome, tail, full),
        agency=find_agency(paragraphs[0] if paragraphs else None, meta),
        language=guess_language("\n".join(paragraphs)),
    )


def _body_end(lines: list[Line], first: int) -> int:
    """Index of the last body paragraph: prose before a teaser list takes over (unless real prose resumes)."""
    last = first
    in_list = False
    for i in range(first, len(lines)):
        line = lines[i]
        if line.kind == LIST_HEADING:
            in_list = True
        elif line.kind == PROSE and (not in_list or len(line.text.split()) >= MIN_RESUME_WORDS):
            in_list = False
            last = i
    return last


def _headline(before_body: list[Line]) -> str | None:
    """The last headline-like line above the body: 3-30 words, no sentence ending, not chrome or a name."""
    for line in reversed(before_body[-HEADLINE_WINDOW:]):
        n = len(line.text.split())
        if line.kind == SHORT and 3 <= n <= 30 and not _name_like(line.text):
            return line.text
    return None


def _keep_in_body(line: Line, lines: list[Line], title: str | None) -> bool:
    if line.kind == PROSE:
        return True
    if line.kind in (CHROME, BULLET, BYLINE, DATELINE, LIST_HEADING) or line.kind != SHORT:
        return False
    # A short unpunctuated line inside the body is a caption, a repeated headline or a subhead; only the
    # subhead is body: a few words of ordinary text (not a bare name), between paragraphs.
    n = len(line.text.split())
    i = lines.index(line)
    between_prose = 0 < i < len(lines) - 1 and lines[i + 1].kind == PROSE and lines[i - 1].kind == PROSE
    return 4 <= n <= 15 and not _name_like(line.text) and _key(line.text) != _key(title) and between_prose


def _name_like(text: str) -> bool:
    """'Sergei Shoigu', 'Vladimir Putin, President' - a caption naming someone, not a sentence."""
    tokens = re.findall(r"[^\W\d_][\w'’.-]*", text)
    return 0 < len(tokens) <= 4 and all(t[0].isupper() for t in tokens)


def _key(text: str | None) -> str:
    return re.sub(r"\W+", " ", text or "").strip().lower()


def _unique(paragraphs: list[str], title: str | None) -> list[str]:
    """Each paragraph once; drop the headline repeated in the body and a standfirst the body repeats."""
    keys = [_key(p) for p in paragraphs]
    kept = []
    for i, (text, key) in enumerate(zip(paragraphs, keys, strict=True)):
        if not key or key == _key(title) or key in keys[:i]:
            continue
        if len(key) >= 40 and any(key in later for later in keys[i + 1:] if later != key):
            continue  # a standfirst or teaser that a later paragraph contains in full
        kept.append(text)
    return kept


def _publication_date(lines: list[Line]) -> DateFinding:
    """The first dateline or byline date that is not labelled as an update; a later line stating the same
    day with a time ("Created: 08-07-2021 19:25 IST" under "date 2021-07-08") supplies the time."""
    dates = [line.date for line in lines if line.kind in (DATELINE, BYLINE) and line.date is not None]
    if not dates:
        return NO_DATE
    first = dates[0]
    if not first.has_time:
        timed = [d for d in dates[1:] if d.has_time and d.value.date() == first.value.date()]
        first = timed[0] if timed else first
    return DateFinding(first.value, "dateline", first.has_time)
