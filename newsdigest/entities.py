"""Entities and themes in an article: countries, places, people, organisations and security themes.

Spellings live in editable TOML files under `newsdigest/data/lexicon/` (syntax in its README.md), so
analysts add an alias without touching code; every alias of an entry maps to one stable key (Daesh, ISIS,
ИГИЛ -> `islamic_state`), which is what the warehouse stores and SQL groups by.

Why words, not one big regex: a Python regex alternation of hundreds of aliases is tried branch by branch
at every character and costs tens of milliseconds per article; instead the text is split into words once
and each distinct word is classified once per process (memo), so an 800-word article costs about one set
look-up per word, done in C (`Lexicon.starts`); only the few words that can start a mention are looked at in
Python. Russian inflection is handled by stems (`Таджикистан*`), multi-word names by
short word sequences (longest first, their words consumed), acronyms by case-sensitive matching.

Misspelled names ("Rodenko" for Rudenko) are caught by fuzzy matching, deliberately narrow so ordinary words
never match: only capitalised words that matched nothing, of at least FUZZY_MIN_LEN letters, compared with
single-word person/organisation spellings (7+ letters) of the same first letter, by Levenshtein similarity
>= FUZZY_CUTOFF (one typo in a 7-13 letter name, two from 14); a name that differs only by a final "a" is
another person (Zakharov/Zakharova). Latin script only: in Russian, one-letter near-misses are ordinary
inflections (Медведем is "with a bear", not Medvedev), and the stems already cover real spellings. Such
mentions carry fuzzy=True.

`mention_spans` gives every mention's character offsets (the relevance score reads where each side is
mentioned); the last few scanned texts are cached, so scoring an article right after `find_entities` does
not scan it again.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from itertools import compress

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

KINDS = ("country", "place", "person", "org", "theme")
FUZZY_MIN_LEN = 6  # candidate words shorter than this are never fuzzy-matched
FUZZY_TARGET_MIN_LEN = 7  # names shorter than this ("Putin", "Rahmon") are never fuzzy targets: too many near-misses
FUZZY_CUTOFF = 0.85  # normalised Levenshtein similarity (1 - edits / longer length)
MAX_GAP = 3  # words a `~` in a term may skip
MIN_STEM = 4  # letters before a `*`

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_GROUP = re.Match.group
MEMO_LIMIT = 200_000  # distinct words remembered by Lexicon.starts before the memo is cleared (bounded memory)


@dataclass(frozen=True)
class EntityMention:
    kind: str  # 'country' | 'place' | 'person' | 'org' | 'theme'
    key: str  # stable lexicon key, e.g. 'tajikistan', 'shoigu', 'csto', 'islamic_state', 'border'
    name: str  # display name
    group: str | None  # side or family: 'russia', 'central_asia', 'moscow_led', 'extremist', 'military', ...
    count: int  # mentions in title + body
    surfaces: tuple[str, ...]  # distinct spellings found, in order of first appearance (case-insensitive)
    fuzzy: bool  # matched (also) by fuzzy spelling


@dataclass(frozen=True)
class LexEntry:
    """One lexicon entry; the axis weights say what a mention is evidence of for the relevance score."""

    kind: str
    key: str
    name: str
    group: str | None
    country: str | None
    russia: float
    central_asia: float
    security: float


@dataclass(frozen=True)
class _Word:
    text: str  # normalised: lower-cased unless cased
    prefix: bool
    cased: bool


@dataclass(frozen=True)
class _Term:
    key: str  # "" for stop phrases: consumed, never reported
    words: tuple[_Word | None, ...]  # None = gap of 0..MAX_GAP words


def _normalise(text: str) -> str:
    """ё -> е (Russian texts write either); length-preserving, so offsets still point into the original."""
    return text.replace("ё", "е").replace("Ё", "Е")


def _parse_term(raw: str, key: str) -> _Term:
    forced = raw.startswith("=")
    words: list[_Word | None] = []
    for part in _normalise(raw.lstrip("=")).split():
        if part == "~":
            words.append(None)
            continue
        prefix = part.endswith("*")
        text = part.rstrip("*")
        if not _WORD.fullmatch(text):
            raise ValueError(f"lexicon {key!r}: {raw!r} has a word that is not letters/digits: {part!r}")
        if prefix and not words and len(text) < MIN_STEM:  # later words are held in check by the first
            raise ValueError(f"lexicon {key!r}: stem {part!r} is shorter than {MIN_STEM} letters")
        cased = forced or (text.upper() == text and text.lower() != text)
        words.append(_Word(text if cased else text.lower(), prefix, cased))
    if not words or words[0] is None or words[-1] is None:
        raise ValueError(f"lexicon {key!r}: bad term {raw!r}")
    return _Term(key, tuple(words))


_GROUP_DEFAULTS = {"russia": "russia", "central_asia": "central_asia", "extremist": "security"}


def _entry(kind: str, key: str, table: dict) -> LexEntry:
    weights = {"russia": 0.0, "central_asia": 0.0, "security": 0.0}
    default_axis = _GROUP_DEFAULTS.get(table.get("group") or "")
    if default_axis:
        weights[default_axis] = 1.0
    for axis in weights:
        if axis in table:
            weights[axis] = float(table[axis])
    return LexEntry(kind, key, table["name"], table.get("group"), table.get("country"), **weights)


class Lexicon:
    """The compiled lexicon: entries by key, word/stem/phrase indexes, fuzzy targets."""

    def __init__(self, documents: Iterable[dict]):
        self.entries: dict[str, LexEntry] = {}
        self._exact: dict[tuple[bool, str], str] = {}  # (cased, word) -> key
        self._stems: dict[tuple[bool, str], str] = {}
        self._phrases: dict[tuple[bool, bool, str], list[_Term]] = {}  # first word (cased, prefix, text)
        self._owner: dict[tuple, str] = {}  # spelling -> key, to refuse one spelling in two entries
        fuzzy_targets: dict[str, str] = {}
        for doc in documents:
            kind = doc["kind"]
            if kind not in KINDS:
                raise ValueError(f"lexicon kind {kind!r} not one of {KINDS}")
            for key, table in doc.items():
                if key != "kind":
                    self._add(kind, key, table, fuzzy_targets)
        self._stem_lengths = sorted({len(t) for _, t in self._stems}, reverse=True)
        self._phrase_stem_lengths = sorted({len(t) for _, prefix, t in self._phrases if prefix})
        # first MIN_STEM letters of every stem: most words share none, and skip the stem look-ups
        self._heads = {(c, t[:MIN_STEM]) for c, t in self._stems}
        self._heads |= {(c, t[:MIN_STEM]) for c, prefix, t in self._phrases if prefix}
        self._memo: dict[str, tuple | None] = {}  # word -> classify(word), for `starts`
        self._starters: set[str] = set()  # the words in _memo that can start a mention
        self._fuzzy: dict[str, tuple[list[str], list[str]]] = {}  # first letter -> (spellings, keys)
        for text, key in sorted(fuzzy_targets.items()):
            names, keys = self._fuzzy.setdefault(text[0], ([], []))
            names.append(text)
            keys.append(key)

    def _add(self, kind: str, key: str, table: dict, fuzzy_targets: dict[str, str]) -> None:
        stop = key.startswith("_")  # stop phrases: consumed, never reported
        if not stop:
            if key in self.entries:
                raise ValueError(f"lexicon key {key!r} defined twice")
            self.entries[key] = _entry(kind, key, table)
        fuzzy = kind in ("person", "org") and not stop and table.get("fuzzy", True)
        for raw in table["terms"]:
            term = _Term("" if stop else key, _parse_term(raw, key).words)
            if self._owner.setdefault(term.words, term.key) != term.key:
                raise ValueError(f"lexicon spelling {raw!r} belongs to both {self._owner[term.words]!r} and {key!r}")
            self._index(term)
            word = term.words[0]
            if (fuzzy and len(term.words) == 1 and not word.cased and len(word.text) >= FUZZY_TARGET_MIN_LEN
                    and word.text.isalpha() and word.text.isascii()):
                fuzzy_targets.setdefault(word.text, key)

    def _index(self, term: _Term) -> None:
        first = term.words[0]
        assert first is not None
        if len(term.words) > 1:
            self._phrases.setdefault((first.cased, first.prefix, first.text), []).append(term)
        elif first.prefix:
            self._stems[(first.cased, first.text)] = term.key
        else:
            self._exact[(first.cased, first.text)] = term.key

    @lru_cache(maxsize=200_000)  # noqa: B019 - one Lexicon per process (module cache), never freed anyway
    def classify(self, orig: str) -> tuple[str | None, tuple[_Term, ...], str | None] | None:
        """For one word as written (ё normalised): None if it can start no mention (most words), else
        (single-word key or None, phrases that may start here, fuzzy key if nothing else matches)."""
        lower = orig.lower()
        single = self._exact.get((True, orig)) or self._exact.get((False, lower))
        phrases = [*self._phrases.get((True, False, orig), ()), *self._phrases.get((False, False, lower), ())]
        if (True, orig[:MIN_STEM]) in self._heads or (False, lower[:MIN_STEM]) in self._heads:
            for n in self._stem_lengths:  # longest stem first
                if single:
                    break
                if n <= len(orig):
                    single = self._stems.get((True, orig[:n])) or self._stems.get((False, lower[:n]))
            for n in self._phrase_stem_lengths:
                if n > len(orig):
                    break
                phrases += self._phrases.get((True, True, orig[:n]), ())
                phrases += self._phrases.get((False, True, lower[:n]), ())
        phrases.sort(key=lambda t: -sum(w is not None for w in t.words))
        fuzzy = None
        if (not single and len(orig) >= FUZZY_MIN_LEN and orig[0].isupper() and not orig.isupper()
                and orig.isalpha() and orig.isascii()):
            fuzzy = self.fuzzy_key(orig)
        return (single, tuple(phrases), fuzzy) if single or phrases or fuzzy else None

    def starts(self, origs: list[str]) -> list[int]:
        """Indexes of the words of `origs` that can start a mention (`classify` not None), in order.

        Why not `classify` per word in a Python loop: ~95 % of words start nothing, and the loop cost more than
        the rest of the scan. Here each distinct new word is classified once (set difference against the memo),
        and the positions come from C-level `map`/`compress` over the list."""
        memo = self._memo
        new = set(origs).difference(memo)
        if new:
            if len(memo) + len(new) > MEMO_LIMIT:
                memo.clear()
                self._starters.clear()
                new = set(origs)
            for word in new:
                info = memo[word] = self.classify(word)
                if info is not None:
                    self._starters.add(word)
        return list(compress(range(len(origs)), map(self._starters.__contains__, origs)))

    def classified(self, word: str) -> tuple[str | None, tuple[_Term, ...], str | None] | None:
        """`classify(word)`, from the memo `starts` filled (or computed, should another thread have just cleared
        it)."""
        try:
            return self._memo[word]
        except KeyError:
            return self.classify(word)

    @lru_cache(maxsize=50_000)  # noqa: B019
    def fuzzy_key(self, orig: str) -> str | None:
        """Key of the person/org whose single-word spelling is within FUZZY_CUTOFF of this word, if any."""
        lower = orig.lower()
        names, keys = self._fuzzy.get(lower[0], ((), ()))
        if not names:
            return None
        best = process.extractOne(lower, names, scorer=Levenshtein.normalized_similarity, score_cutoff=FUZZY_CUTOFF)
        if not best or lower.rstrip("a") == best[0].rstrip("a"):  # Zakharov/Zakharova: another person
            return None
        return keys[best[2]]


@cache
def lexicon() -> Lexicon:
    """The packaged lexicon, loaded and compiled once per process."""
    folder = files("newsdigest").joinpath("data", "lexicon")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".toml"))
    return Lexicon(tomllib.loads(folder.joinpath(name).read_text(encoding="utf-8")) for name in names)


class _Found:
    __slots__ = ("count", "surfaces", "fuzzy")

    def __init__(self) -> None:
        self.count = 0
        self.surfaces: dict[str, str] = {}  # casefolded -> first spelling seen (whitespace collapsed)
        self.fuzzy = False

    def add(self, surface: str, fuzzy: bool) -> None:
        self.count += 1
        self.fuzzy = self.fuzzy or fuzzy
        if surface not in self.surfaces:  # fast path: the exact slice was seen before
            surface = _SPACE.sub(" ", surface)
            self.surfaces.setdefault(surface.casefold(), surface)


def _match(words: tuple[_Word | None, ...], k: int, j: int, origs: list[str]) -> int:
    """End word index if `words[k:]` matches from word j on (gaps shortest first), else 0."""
    while k < len(words):
        word = words[k]
        if word is None:
            for skip in range(MAX_GAP + 1):
                end = _match(words, k + 1, j + skip, origs)
                if end:
                    return end
            return 0
        if j >= len(origs):
            return 0
        token = origs[j] if word.cased else origs[j].lower()
        if not (token.startswith(word.text) if word.prefix else token == word.text):
            return 0
        k += 1
        j += 1
    return j


def _scan(lex: Lexicon, text: str) -> list[tuple[str, int, int, bool]]:
    """Every mention in `text` as (key, start, end, fuzzy), character offsets into `text`, in reading order."""
    words = list(_WORD.finditer(_normalise(text)))
    origs = list(map(_GROUP, words))
    spans: list[tuple[str, int, int, bool]] = []
    end = 0  # words before this index are consumed by the last mention
    for i in lex.starts(origs):
        if i < end:
            continue
        single, phrases, fuzzy_key = lex.classified(origs[i])
        key, end, fuzzy = None, 0, False
        for term in phrases:  # longest first
            end = _match(term.words, 0, i, origs)
            if end:
                key = term.key
                break
        if not end:
            end = i + 1
            key, fuzzy = (single, False) if single else (fuzzy_key, fuzzy_key is not None)
        if key:  # "" = stop phrase
            spans.append((key, words[i].start(), words[end - 1].end(), fuzzy))
    return spans


@lru_cache(maxsize=16)
def _mentions(text: str) -> tuple[tuple[str, int, int, bool], ...]:
    """`_scan` with the packaged lexicon, the last few texts cached: the relevance score reads the mention
    positions of the article whose entities were just found, and this spares it a second scan."""
    return tuple(_scan(lexicon(), text))


def mention_counts(text: str | None) -> dict[str, int]:
    """Mentions per key in one text."""
    counts: dict[str, int] = {}
    for key, _, _, _ in _mentions(text) if text else ():
        counts[key] = counts.get(key, 0) + 1
    return counts


def mention_spans(text: str | None) -> list[tuple[str, int, int]]:
    """Every mention in one text as (key, start, end) character offsets, in reading order (the relevance score
    uses it to see where in the article each side is mentioned)."""
    return [(key, start, end) for key, start, end, _ in _mentions(text)] if text else []


def find_entities(title: str | None, body: str) -> list[EntityMention]:
    """Entities and themes in title + body, aliases merged, sorted by (kind, key)."""
    lex = lexicon()
    found: dict[str, _Found] = {}
    for text in (title, body):
        for key, start, end, fuzzy in _mentions(text) if text else ():
            hit = found.get(key) or found.setdefault(key, _Found())
            hit.add(text[start:end], fuzzy)
    mentions = []
    for key, hit in found.items():
        entry = lex.entries[key]
        mentions.append(EntityMention(entry.kind, key, entry.name, entry.group, hit.count,
                                      tuple(hit.surfaces.values()), hit.fuzzy))
    return sorted(mentions, key=lambda m: (m.kind, m.key))
