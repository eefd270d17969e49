"""Word lists the plain-text cleaner uses, kept as data in `newsdigest/data/` so they grow without code changes.

`boilerplate.txt` and `site_hints.txt` are sectioned (`[name]` headers, one lower-case entry a line);
`agencies.txt` has one agency a line: canonical name, then other spellings, separated by "|".
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files


def _lines(name: str) -> list[str]:
    text = files("newsdigest").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@cache
def sections(name: str) -> dict[str, tuple[str, ...]]:
    result: dict[str, list[str]] = {}
    current = None
    for line in _lines(name):
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            current = result.setdefault(header.group(1), [])
        elif current is not None:
            current.append(line.lower())
    return {k: tuple(v) for k, v in result.items()}


@cache
def agency_spellings() -> tuple[tuple[str, str], ...]:
    """(spelling, canonical name) pairs, longest spelling first so "Interfax-Kazakhstan" beats "Interfax"."""
    pairs: dict[str, str] = {}
    for line in _lines("agencies.txt"):
        names = [n.strip() for n in line.split("|") if n.strip()]
        for spelling in names:
            pairs.setdefault(spelling, names[0])
            pairs.setdefault(spelling.upper(), names[0])
    return tuple(sorted(pairs.items(), key=lambda p: -len(p[0])))


@cache
def agency_pattern() -> re.Pattern[str]:
    """Matches any agency spelling as a whole word (case-sensitive: "AP" never matches "ap")."""
    alternatives = "|".join(re.escape(s) for s, _ in agency_spellings())
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def canonical_agency(spelling: str) -> str | None:
    return dict(agency_spellings()).get(spelling)
