"""Stems come from PyStemmer (Snowball in C) through snowballstemmer, and they are exactly the stems of
snowballstemmer's own pure-Python algorithms: the speed-up changes no token, entity, story or summary."""

from __future__ import annotations

import re
from pathlib import Path

import snowballstemmer
from snowballstemmer.english_stemmer import EnglishStemmer
from snowballstemmer.french_stemmer import FrenchStemmer
from snowballstemmer.german_stemmer import GermanStemmer
from snowballstemmer.porter_stemmer import PorterStemmer
from snowballstemmer.russian_stemmer import RussianStemmer

ROOT = Path(__file__).resolve().parents[1]
PURE_PYTHON = {"english": EnglishStemmer, "porter": PorterStemmer, "russian": RussianStemmer,
               "german": GermanStemmer, "french": FrenchStemmer}  # every algorithm newsdigest asks for


def _vocabulary() -> list[str]:
    words: set[str] = set()
    paths = [*ROOT.glob("seeds/*.txt"), *ROOT.glob("tests/fixtures/**/*.txt"), *ROOT.glob("tests/fixtures/**/*.html"),
             *ROOT.glob("newsdigest/data/**/*.toml")]
    duc = ROOT.parent / "shared" / "bench" / "duc2006"  # a wider English vocabulary, when the shared data is here
    paths += sorted(p for p in duc.rglob("*") if p.is_file())[:500] if duc.is_dir() else []
    for path in paths:
        words.update(re.findall(r"[^\W\d_]+", path.read_text(encoding="utf-8", errors="replace").lower()))
    return sorted(words)


def test_the_c_stemmer_is_the_one_in_use():
    import Stemmer

    assert snowballstemmer.stemmer is Stemmer.Stemmer


def test_c_and_pure_python_stems_are_identical():
    words = _vocabulary()
    assert len(words) > 2000 and any("а" <= w[0] <= "я" for w in words), "English and Russian words"
    for algorithm, pure in PURE_PYTHON.items():
        fast, slow = snowballstemmer.stemmer(algorithm), pure()
        differ = [(w, fast.stemWord(w), slow.stemWord(w)) for w in words if fast.stemWord(w) != slow.stemWord(w)]
        assert differ == [], f"{algorithm}: {differ[:10]}"
