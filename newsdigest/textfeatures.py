"""Words, stems and stopwords for the summariser: the features that decide which sentences carry the story.

English tokens are ROUGE's ([a-z0-9]+ after lower-casing, Porter-stemmed) so that what the summariser counts
as shared content is what an n-gram evaluation counts; other languages use \\w+ and their Snowball stemmer.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import snowballstemmer

_EN_TOKEN = re.compile(r"[a-z0-9]+")
_ANY_TOKEN = re.compile(r"\w+")

_EN_WORDS = """
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can cannot could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just let me more most my
myself no nor not now of off on once only or other our ours ourselves out over own same she should so some
such than that the their theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours yourself yourselves
s t d ll m re ve said says say told would could may might must shall one two new also mr mrs ms
don didn doesn isn wasn weren aren won wouldn couldn shouldn hasn haven hadn ain
get gets got go goes going gone went make makes made like well even much many lot lots thing things way
back still around since across among per upon yet however another every either neither something anything
"""

_RU_WORDS = """
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от
меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам
ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтобы без будто
чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой
тем нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот
через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть
том нельзя такой им более всегда конечно всю между это также заявил сообщил сказал
"""
EN_STOPWORDS = frozenset(_EN_WORDS.split())
RU_STOPWORDS = frozenset(_RU_WORDS.split())


@lru_cache(maxsize=8)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    algorithm = "porter" if language == "en" else {"ru": "russian", "de": "german", "fr": "french"}.get(
        language, "english")
    return snowballstemmer.stemmer(algorithm)


def stopwords(language: str) -> frozenset[str]:
    return RU_STOPWORDS if language == "ru" else EN_STOPWORDS


@cache
def stemmed_stopwords(language: str) -> frozenset[str]:
    """Stopwords and their stems: code comparing *stemmed* tokens must test against this, or stems such as
    "wa", "ha", "thi" (was, has, this) pass for content words."""
    words = stopwords(language)
    return words | {stem(w, language) for w in words}


def tokens(text: str, language: str = "en") -> list[str]:
    """Lower-cased word tokens (not stemmed)."""
    return (_EN_TOKEN if language == "en" else _ANY_TOKEN).findall(text.lower())


_STEM_CACHE: dict[tuple[str, str], str] = {}


def stem(word: str, language: str = "en") -> str:
    key = (language, word)
    hit = _STEM_CACHE.get(key)
    if hit is None:
        hit = _stemmer(language).stemWord(word)
        if len(_STEM_CACHE) < 200_000:
            _STEM_CACHE[key] = hit
    return hit
