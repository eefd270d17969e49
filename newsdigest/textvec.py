"""Bag-of-stems text features for story clustering: tokens, stopwords, stemming, weighted term counts.

Why stems and not embeddings: the pipeline runs offline with no model files, and news stories are told with
the same names and nouns by every outlet, so weighted stem overlap (TF-IDF) separates stories well. The
stemmer is chosen per token script (Cyrillic -> Russian) and per document language for Latin script, so a
Russian article clusters with other Russian articles about the same event; across languages only shared
entity keys and names written alike can link articles (there is no translation).

Terms are plain strings: a stem ("tajikistan") or an entity key ("@" + key). Title words count extra (a
headline names the development); the body is cut to its lead (later paragraphs drift into background that
many stories share). Word bigrams, heavier title or lead weighting and extra weight for capitalised words
were measured on bench/stories.py and changed nothing that mattered, so they are left out.

Stems come from `snowballstemmer`, which hands the work to PyStemmer (the same Snowball algorithms in C) when it
is installed, as this project's dependencies make sure: `build_digest` on the benchmark's week went from
0.39-0.41 to 0.22-0.23 CPU s in a fresh process, with the same stems (`tests/test_stemmer.py`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np
import snowballstemmer
from scipy import sparse

from newsdigest.language import guess_language

TITLE_WEIGHT = 2.0  # a title token counts as this many body occurrences
# An entity key counts as one occurrence: keys mostly repeat words (names, places, themes) and the 20-odd
# generic keys of an article would swamp a small week at more; they matter across languages and spellings.
ENTITY_WEIGHT = 1.0
BODY_CHARS = 5000  # lead of the body that is vectorised, about 800 words (news puts the development first)
ENTITY_PREFIX = "@"

_STOP_EN = """a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor
not now of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves said says say told
according reported report reports news agency added noted stated per cent percent mr mrs ms dr one two three
year years week weeks day days time today yesterday tomorrow monday tuesday wednesday thursday friday saturday
sunday since may might must shall upon yet however although though among amid within without via well many much
new last first next including include includes us ap afp reuters tass interfax ria xinhua nyt http https www com
"""
_STOP_RU = """и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было
вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж
вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего
раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы
нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас
про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им
более всегда конечно всю между это также заявил заявила заявили сообщил сообщила сообщили сообщает сообщается
отметил отметила сказал сказала году года год лет время однако которые который которая которое которых ранее
понедельник вторник среда среду четверг пятница пятницу суббота субботу воскресенье рамках словам тасс риа интерфакс
"""
_STOP_DE = """der die das und ist nicht mit den von zu sich des auf für im dem ein eine einer eines auch wird wurde
wurden sind war hat haben als an am aus bei bis dass er es sie nach noch nur oder so über um unter vor wie zum zur
sagte sagt heute jahr jahre"""
_STOP_FR = """le la les des et est une un que dans pour pas sur qui par au aux du avec ce il elle ils ont été être
sont a à de en se sa son ses leur leurs plus ne ou mais cette ces comme selon dit a déclaré année ans"""
_STOP_ES = """el la los las de que y en un una por con para es del se su sus al lo como más pero fue ha han este
esta estos estas sobre entre también según dijo año años"""
_SNOWBALL = {"en": "english", "ru": "russian", "de": "german", "fr": "french", "es": "spanish", "tr": "turkish"}
_SNOWBALL_LANGS = tuple(_SNOWBALL)
STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {"en": _STOP_EN, "ru": _STOP_RU, "de": _STOP_DE, "fr": _STOP_FR, "es": _STOP_ES}.items()
}
_STOP_FOR = {lang: STOPWORDS["en"] | STOPWORDS.get(lang, frozenset()) for lang in _SNOWBALL_LANGS}

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)*")  # words; hyphens split (Tajik-Afghan), apostrophes don't
_POSSESSIVE = re.compile(r"['’]s$")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ENGLISH_MARKERS = re.compile(r"\b(?:the|of|and|to|in|is|for|on|that|with)\b", re.I)
_LANGUAGE_SAMPLE = 800  # characters enough to tell the language, cheap to count

_stemmers: dict[str, snowballstemmer.stemmer] = {}
_analysed: dict[str, dict[str, tuple[str, str]]] = {}  # per document language: token -> (stem, surface)
_stems: dict[tuple[str, str], str] = {}  # (language, lower-case word) -> stem: "Border" and "border" stem once
_CACHE_LIMIT = 400_000


def _analyse(token: str, lang: str) -> tuple[str, str]:
    """(stem, surface) of a raw token; ("", "") for stopwords, numbers and single letters."""
    surface = _POSSESSIVE.sub("", token)
    word = surface.lower().replace("’", "'")
    word_lang = "ru" if _CYRILLIC.search(word) else ("en" if lang == "ru" else lang)
    if word.isdigit() or len(word) < 2 or word in _STOP_FOR[word_lang]:
        return "", ""
    stem = _stems.get((word_lang, word))
    if stem is None:
        if word_lang not in _stemmers:
            _stemmers[word_lang] = snowballstemmer.stemmer(_SNOWBALL[word_lang])
        stem = _stemmers[word_lang].stemWord(word)
        if len(_stems) < _CACHE_LIMIT:
            _stems[(word_lang, word)] = stem
    return stem, surface


def document_language(text: str) -> str:
    """Stemming language for Latin-script words: English when its commonest words are frequent (the usual case,
    decided without the full guess), else the guessed language when snowball has it, else English."""
    sample = text[:_LANGUAGE_SAMPLE]
    if len(_ENGLISH_MARKERS.findall(sample)) >= 0.08 * max(1, sample.count(" ")):
        return "en"
    lang = guess_language(sample, sample=_LANGUAGE_SAMPLE)
    return lang if lang in _SNOWBALL else "en"


def content_tokens(text: str, lang: str = "en") -> list[tuple[str, str]]:
    """(stem, surface) per content word; Cyrillic words get the Russian stemmer whatever `lang`."""
    cache = _analysed.setdefault(lang, {})
    get = cache.get
    items = [get(token) or _remember(cache, token, lang) for token in _TOKEN.findall(text)]
    return [item for item in items if item[0]]


def _remember(cache: dict[str, tuple[str, str]], token: str, lang: str) -> tuple[str, str]:
    item = _analyse(token, lang)
    if len(cache) < _CACHE_LIMIT:
        cache[token] = item
    return item


@lru_cache(maxsize=4096)
def _article_terms(title: str | None, body: str) -> tuple[Counter[str], tuple[tuple[str, str], ...]]:
    """Title-weighted stem counts and the lead's (stem, surface) pairs, cached: the digest vectorises each
    article again for its story signature. Callers must not mutate the returned Counter."""
    lead = body[:BODY_CHARS]
    lang = document_language(f"{title or ''}\n{lead}")
    counts: Counter[str] = Counter()
    for stem, _ in content_tokens(title or "", lang):
        counts[stem] += TITLE_WEIGHT
    items = tuple(content_tokens(lead, lang))
    counts.update(stem for stem, _ in items)
    return counts, items


def term_counts(title: str | None, body: str, entity_keys: Iterable[str] = (),
                surfaces: Counter[tuple[str, str]] | None = None) -> Counter[str]:
    """Weighted term occurrences of one article (a new Counter); `surfaces` collects (stem, surface) counts."""
    base, items = _article_terms(title, body)
    counts = Counter(base)
    if surfaces is not None:
        surfaces.update(items)
    for key in entity_keys:
        counts[ENTITY_PREFIX + key] += ENTITY_WEIGHT
    return counts


def unit_damped(counts: Mapping[str, float]) -> dict[str, float]:
    """1 + log(tf) weights scaled to unit length: one article's direction, whatever its length."""
    damped = {t: (1.0 + math.log(v) if v >= 1.0 else v) for t, v in counts.items()}
    norm = math.sqrt(sum(v * v for v in damped.values())) or 1.0
    return {t: v / norm for t, v in damped.items()}


def count_matrix(docs: list[Mapping[str, float]], damp: bool = True) -> tuple[sparse.csr_matrix, dict[str, int]]:
    """Sparse docs x terms matrix of counts (1 + log(tf) when `damp`: the tenth mention says less than the
    second) and the vocabulary, term -> column."""
    vocab: dict[str, int] = {}
    add = vocab.setdefault
    cols = [add(term, len(vocab)) for doc in docs for term in doc]
    vals = np.fromiter((v for doc in docs for v in doc.values()), dtype=np.float64, count=len(cols))
    if damp:
        vals = np.where(vals >= 1.0, 1.0 + np.log(np.maximum(vals, 1.0)), vals)
    indptr = np.concatenate([[0], np.cumsum([len(doc) for doc in docs])])
    return sparse.csr_matrix((vals, np.array(cols, dtype=np.int64), indptr), shape=(len(docs), len(vocab))), vocab


def idf_weights(matrix: sparse.csr_matrix) -> np.ndarray:
    """Smoothed inverse document frequency over the rows of `matrix` (the week's articles, or signatures)."""
    n = matrix.shape[0]
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    return np.log((n + 1) / (df + 1)) + 1.0


def l2_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def tfidf(docs: list[Mapping[str, float]]) -> tuple[sparse.csr_matrix, dict[str, int], np.ndarray]:
    """L2-normalised TF-IDF rows (so a row product is a cosine), the vocabulary and the IDF vector."""
    counts, vocab = count_matrix(docs)
    idf = idf_weights(counts)
    return l2_rows(sparse.csr_matrix(counts @ sparse.diags(idf))), vocab, idf


def surface_forms(pairs: Counter[tuple[str, str]]) -> dict[str, str]:
    """stem -> its most frequent surface form (ties: alphabetical), for readable keywords."""
    best: dict[str, tuple[int, str]] = {}
    for (stem, surface), n in pairs.items():
        current = best.get(stem)
        if current is None or (-n, surface) < (-current[0], current[1]):
            best[stem] = (n, surface)
    return {stem: surface for stem, (_, surface) in best.items()}


def readable(term: str, forms: Mapping[str, str]) -> str:
    """A stem in words ("tajikistan" -> "Tajikistan"); a stem never seen keeps its own spelling."""
    return forms.get(term, term)
