"""A small offline language guess for plain-text scrapes (HTML pages usually declare their language).

Counts very common function words per language; the winner needs a clear margin, otherwise the answer is
None ("unknown") rather than a guess. No model files, so it works offline and costs microseconds.
"""

from __future__ import annotations

import re
from collections import Counter

_STOPWORDS = {
    "en": "the of and to in is that for on with as was by it said from at are has have be this which will",
    "ru": "и в не на что с по как это из за он его для к о от мы но так же также был была были",
    "de": "der die das und ist nicht mit den von zu sich des auf für im dem ein eine auch wird",
    "fr": "le la les des et est une que dans pour pas sur qui par au aux du avec ce il",
    "es": "el la los las de que y en un una por con para es del se su al lo como",
    "tr": "ve bir bu da de için ile olarak olan daha çok gibi ama değil ise",
    "uz": "va bu bilan uchun ham bo'yicha emas edi bo'ldi qilib esa yil",
    "kk": "және бұл мен үшін деп бойынша да де оның бар болып жылы",
}
_WORDS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def guess_language(text: str, sample: int = 4000) -> str | None:
    tokens = [t.lower() for t in _TOKEN.findall(text[:sample])]
    if len(tokens) < 20:
        return None
    hits = Counter({lang: sum(t in words for t in tokens) for lang, words in _WORDS.items()})
    (best, n1), (_, n2) = hits.most_common(2)
    if n1 < 0.1 * len(tokens) or n1 < 1.5 * n2:
        return None
    return best
