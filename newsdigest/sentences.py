"""Sentence splitting for news prose, conservative about datelines and abbreviations.

Splits after . ! ? … (and a closing quote) when the next token starts a sentence, except after tokens that
usually do not end one: an all-caps dateline word ("MOSCOW."), initials ("U.S.", "J."), and common
abbreviations ("Mr.", "Gen.", "Jan."). Sentences come back verbatim (substrings of the input).
"""

from __future__ import annotations

import re

_CANDIDATE = re.compile(r"[.!?…]+[\"'”»)]*\s+(?=[\"'“«(]?[A-ZА-ЯЁ0-9])")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "maj", "adm", "gov", "sen", "rep", "st",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vs", "etc",
    "inc", "ltd", "co", "corp", "approx", "est", "fig", "vol", "ул", "г", "гг", "им", "т", "д", "км",
}


def _ends_sentence(text: str, end: int) -> bool:
    """False when the word before the punctuation at `end` is a dateline, initial or abbreviation."""
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:end].rstrip(".!?…\"'”»)")
    bare = word.replace(".", "")
    if text[end] != ".":
        return True
    if bare.lower() in _ABBREVIATIONS or (len(bare) <= 2 and bare.isupper()):
        return False
    if "." in word:  # U.S. / e.g. / a.m.
        return False
    return not (bare.isupper() and bare.isalpha() and len(bare) >= 3 and start == 0)


def split_sentences(paragraph: str) -> list[str]:
    sentences, start = [], 0
    for match in _CANDIDATE.finditer(paragraph):
        if _ends_sentence(paragraph, match.start()):
            piece = paragraph[start : match.end()].strip()
            if piece:
                sentences.append(piece)
            start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences
