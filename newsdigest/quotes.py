"""Direct quotations with a named speaker: “…,” Lavrov said / said Lavrov / Lavrov said: “…” / according to X.

A quote is only useful in a digest when the reader knows who said it, and only safe when the words are the
outlet's own: so the quote text is the exact span between the marks (a verbatim substring of the article) and
a quote is kept only when a named speaker is attributed in the same sentence. Pronoun attributions (“…,” he
said) are skipped rather than guessed: resolving "he" across sentences is where misattribution happens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsdigest.summarize import Document

MIN_QUOTE_WORDS = 4  # shorter quoted phrases are scare quotes and names ("terrorist", “Operation X”)
SUBSTANTIVE_WORDS = 8  # quotes at least this long are listed first


@dataclass(frozen=True)
class Quote:
    doc_id: str
    text: str  # the quoted words, verbatim substring of the document text (without the quote marks)
    speaker: str  # e.g. "Lavrov", "Sergei Lavrov", or "Russian Defence Ministry"


# Quote mark pairs: typographic, guillemets, German/Russian low-high, wire-copy `` '', straight double quotes.
_QUOTE = re.compile(r"“([^“”\n]+)”|«([^«»\n]+)»|„([^„“\n]+)“|``((?:(?!``|'').)+)''|\"([^\"\n]+)\"")

_VERB = (r"(?:has |had |also |later |then |again )?(?:said|says|told|tells|added|adds|noted|notes|stressed|stresses|"
         r"emphasi[sz]ed|underlined|underscored|stated|declared|warned|warns|explained|announced|insisted|"
         r"remarked|argued|commented|wrote|writes|asked|replied|continued|concluded|acknowledged|admitted|"
         r"pointed out|observed|recalled|complained|claimed|suggested|reiterated|confirmed|"
         r"заявил[аи]?|сказал[аи]?|отметил[аи]?|подчеркнул[аи]?|сообщил[аи]?|добавил[аи]?|пояснил[аи]?|"
         r"считает|уверен[аы]?)")
_CAP = (r"(?:(?:Dr|Mr|Mrs|Ms|Gen|Col|Sen|Rep|Gov|Lt|Sgt|Capt|Maj|Adm|Prof|Rev|St|Jr|Sr)\.|[A-ZА-ЯЁ]\.|"
        r"[A-ZА-ЯЁ][\w'’\-]*)")
_NAME = rf"{_CAP}(?:\s+(?:(?:of|for|on|and|de|von|van|al|bin|the)\s+)?{_CAP}){{0,6}}"
# lower-case descriptors before a name: "Kremlin spokesman Dmitry Peskov", "the deputy foreign minister Ivanov"
_DESCRIBED = rf"(?:(?:the\s+)?(?:{_CAP}\s+)?(?:[a-z][a-z\-]+\s+){{0,3}})?{_NAME}"

_AFTER = [  # matched right after the closing mark
    # said the Southampton town supervisor, Vincent Cannuscio
    re.compile(rf"^\s*,?\s*{_VERB}\s+(?P<desc>(?:the\s+|a\s+)?(?:[\w'’\-]+\s+){{0,4}}?[a-z][\w\-]*),\s+"
               rf"(?P<speaker>{_NAME})"),
    re.compile(rf"^\s*,?\s*(?:[—–-]\s*)?{_VERB}\s+(?P<speaker>{_DESCRIBED})"),
    re.compile(rf"^\s*,?\s*(?:[—–-]\s*)?(?P<speaker>{_DESCRIBED}),?\s+{_VERB}\b"),
    re.compile(rf"^\s*,?\s*[Aa]ccording to\s+(?P<speaker>{_DESCRIBED})"),
]
_SPEAKER_VERB = re.compile(rf"(?P<speaker>{_NAME})\s+{_VERB}\b")
_BEFORE_TAIL = re.compile(r"^[^“”«»\"`]{0,160}?(?:,|:|\bthat|\bчто)\s*$")
_ACCORDING_BEFORE = re.compile(rf"[Aa]ccording to\s+(?P<speaker>{_DESCRIBED}),\s*$")

_NOT_A_SPEAKER = {
    "he", "she", "it", "they", "we", "i", "you", "this", "that", "these", "those", "the", "but", "and", "a", "an",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "on", "in", "at", "as", "if",
    "when", "while", "one", "some", "others", "there", "он", "она", "они", "мы", "я", "это",
}
_NON_DESCRIPTOR = {"in", "on", "at", "to", "by", "with", "from", "during", "after", "before", "about", "that",
                   "which", "who", "when", "while", "as", "a", "an", "this", "it", "he", "she", "they", "we", "i",
                   "also", "later", "then", "said", "told", "and", "but", "for", "of", "his", "her", "their"}


def _clean_speaker(raw: str) -> str | None:
    """The speaker phrase without a leading article; None when it is a pronoun, weekday or a clause."""
    words = raw.split()
    while words and words[0].islower():  # "the", "spokeswoman": the name is the speaker
        words = words[1:]
    while words and words[-1].lower() in {"the", "of", "and", "for", "on"}:
        words = words[:-1]
    if not words or all(w.lower().strip(".,") in _NOT_A_SPEAKER for w in words):
        return None
    if any(w in _NON_DESCRIPTOR for w in words if w.islower()):
        return None
    if not any(w[:1].isupper() and w.lower() not in _NOT_A_SPEAKER for w in words):
        return None
    return " ".join(words)


def _sentence_start(text: str, index: int) -> int:
    """Offset where the sentence containing `index` begins (after the last . ! ? followed by space)."""
    for match in reversed(list(re.finditer(r"[.!?…][\"'”»]*\s+", text[:index]))):
        return match.end()
    return 0


def _attribution(para: str, start: int, end: int) -> str | None:
    after = para[end:end + 160]
    for pattern in _AFTER:
        match = pattern.match(after)
        if match and "desc" in match.groupdict() and set(match.group("desc").split()) & _NON_DESCRIPTOR:
            continue  # "said in a statement, Moscow ...": not an appositive
        if match:
            speaker = _clean_speaker(match.group("speaker"))
            if speaker:
                return speaker
    before = para[_sentence_start(para, start):start]
    according = _ACCORDING_BEFORE.search(before)
    if according:
        return _clean_speaker(according.group("speaker"))
    hits = list(_SPEAKER_VERB.finditer(before))
    if hits and _BEFORE_TAIL.match(before[hits[-1].end():]):
        return _clean_speaker(hits[-1].group("speaker"))
    return None


def find_quotes(doc: Document, limit: int | None = None) -> list[Quote]:
    """Direct quotes with an attributed speaker, substantive ones (>= 8 words) first, then in text order."""
    found: list[tuple[int, int, Quote]] = []
    seen: set[str] = set()
    for line in re.finditer(r"[^\n]+", doc.text):
        para = line.group()
        for match in _QUOTE.finditer(para):
            group = next(g for g in range(1, 6) if match.group(g) is not None)
            a, b = match.span(group)
            while a < b and para[a].isspace():
                a += 1
            while b > a and (para[b - 1].isspace() or para[b - 1] == ","):
                b -= 1
            text = para[a:b]
            words = len(text.split())
            if words < MIN_QUOTE_WORDS or text in seen:
                continue
            speaker = _attribution(para, match.start(), match.end())
            if speaker is None:
                continue
            seen.add(text)
            found.append((0 if words >= SUBSTANTIVE_WORDS else 1, line.start() + a, Quote(doc.doc_id, text, speaker)))
    found.sort(key=lambda item: (item[0], item[1]))
    quotes = [quote for _, _, quote in found]
    return quotes if limit is None else quotes[:limit]
