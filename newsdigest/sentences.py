"""Sentence splitting for news prose, conservative about datelines and abbreviations.

Splits after . ! ? … (and a closing quote) when the next token starts a sentence, except after tokens that
usually do not end one: an all-caps dateline word ("MOSCOW."), initials ("U.S.", "J."), and common
abbreviations ("Mr.", "Gen.", "Jan.", "Calif."). Sentences come back verbatim (substrings of the input), and
`sentence_spans` gives their offsets, because summaries cite sentences by exact position in the stored text.
Conservative means: when unsure, do not split (a too-long sentence is harmless, a cut one is misquoted).
"""

from __future__ import annotations

import re

# End punctuation, optional closing quotes/brackets (incl. the `` '' of wire copy), whitespace, then something
# that can start a sentence: an opening quote or bracket, an upper-case letter (Latin or Cyrillic) or a digit.
_CANDIDATE = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+(?=[\"'“‘«(`\[]*[A-ZА-ЯЁ0-9])")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "maj", "adm", "gov", "sen", "rep", "st",
    "jr", "sr", "rev", "cmdr", "cpl", "pvt", "gens", "sens", "reps", "atty", "supt", "det", "hon", "mt", "ft",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vs", "etc",
    "inc", "ltd", "co", "corp", "bros", "approx", "est", "fig", "vol", "ave", "blvd", "rd",
    # US state abbreviations of AP style ("PINE RIDGE, S.D." is covered by the dotted-word rule)
    "ala", "ariz", "ark", "calif", "colo", "conn", "del", "fla", "ga", "ill", "ind", "kan", "kans", "ky", "la",
    "md", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "okla", "ore", "pa", "tenn", "tex", "va", "vt",
    "wash", "wis", "wyo",
    "ул", "г", "гг", "им", "т", "д", "км", "тыс", "млн", "млрд", "руб", "ст", "пос", "обл",
}


def _ends_sentence(text: str, end: int) -> bool:
    """False when the word before the punctuation at `end` is a dateline, initial or abbreviation."""
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:end].rstrip(".!?…\"'”’»)]")
    bare = word.replace(".", "").lstrip("\"'“‘«(`[")
    if text[end] != ".":
        return True
    if bare.lower() in _ABBREVIATIONS or (len(bare) == 1 and bare.isupper()):
        return False
    if "." in word:  # U.S. / e.g. / a.m.
        return False
    return not (bare.isupper() and bare.isalpha() and len(bare) >= 3 and start == 0)


def sentence_spans(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `paragraph`, surrounding whitespace excluded."""
    spans, start = [], 0
    for match in _CANDIDATE.finditer(paragraph):
        if _ends_sentence(paragraph, match.start()):
            _append_trimmed(paragraph, start, match.end(), spans)
            start = match.end()
    _append_trimmed(paragraph, start, len(paragraph), spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def split_sentences(paragraph: str) -> list[str]:
    return [paragraph[a:b] for a, b in sentence_spans(paragraph)]
