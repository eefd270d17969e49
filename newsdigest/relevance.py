"""Relevance to Russia–Central Asia security: an explained score in 0..1 per article.

An article is on topic when it has all three of: a Russian side (Russia, its officials, forces, Moscow-led
blocs such as the CSTO, Russian bases), a Central Asian side (the five states, their cities, officials and
forces, the region) and a security frame (military, border, terrorism, Afghanistan spill-over, refugees,
drugs, intelligence...). What counts for which side, and how much, is in the lexicon
(`newsdigest/data/lexicon/*.toml`, axis weights per entry), so the score needs no word lists of its own:

1. Evidence per side: for each entity found, weight x (1 + ln(mentions)), plus TITLE_BONUS x weight when
   the title mentions it. The logarithm rewards several different signals over one word repeated; one
   entity can feed several sides (the 201st base is Russia, Tajikistan and security at once).
2. Strength per side: 1 - exp(-evidence / SATURATION); one plain mention gives about 0.4, three
   different ones about 0.8, and it never exceeds 1.
3. Focus per side, against passing mentions ("Kazakhstan abstained", "a region long seen as Russia's
   backyard", "migrants in Russia"). The body is cut into paragraphs (non-blank lines; one longer than
   MAX_UNIT_WORDS is cut into runs of sentences, so text without line breaks is still cut), and the lead is
   the title plus the opening paragraphs up to LEAD_WORDS words (datelines and stray short lines add up).
   A side's presence in a stretch of text is min(1, sum of its lexicon weights there): a minister 1,
   "aggression" 0.8, "border" 0.6, "security" 0.5. A side is in focus when
     - it is in the lead (what the story is about), or
     - it sits in one paragraph (or the title) together with both other sides (Russia, Tajikistan and an
       Afghan threat in one paragraph is the relation itself, however late it comes), provided the lead
       carries those two other sides (else a background line of an election story would count):
   focus = max(presence in the lead, min(presence of the two others in that paragraph, in the lead)), best
   paragraph taken, and the side's strength is multiplied by PASSING + (1 - PASSING) x focus. A side named
   only in passing keeps PASSING = 0.4 of its strength, and with it the score stays under 0.5 however
   often it is named (0.8 x 0.4 + 0.2 x (0.4 + 1 + 1) / 3 = 0.48): a passing side cannot make an article
   relevant. One mention in focus loses nothing, so a long wire story whose Russian side is a single deputy
   minister quoted on the Afghan border still passes.
4. Score = WEAKEST_SHARE x weakest side + (1 - WEAKEST_SHARE) x mean of the three: mostly the weakest side,
   because all three are required (a Russian strike in Syria, an Uzbek cotton harvest or a gas deal
   between Moscow and Astana lacks one and stays low); the mean only ranks the articles that have all three.
   A side with no evidence caps the score at 0.2 x 2/3 ~= 0.13.

Known limits: focus is read from words and their places, not meaning. A story filed from Astana about
Syria talks has Russia, Kazakhstan and a war in its lead and stays relevant; a passing side that shares a
paragraph with the other two, under a lead about them, counts in full; a true story whose Russian side sits
alone in a late paragraph ("Moscow is watching closely") is scored as passing, and one whose Russian
paragraph carries only weak security words ("escalation" 0.5) keeps part of its Russian strength.

The reasons name each side's strength and its strongest evidence, e.g. 'Russia 0.93: Sergei Lavrov (8),
CSTO (2, title)', and for a side not fully in focus the factor and why, e.g. 'Russia 0.25 (evidence 0.63 x
focus 0.40, in passing: not in the lead nor in a paragraph with both other sides): Moscow (1), Russia (1)'.
The threshold is the caller's setting (DEFAULT_THRESHOLD unless configured).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from newsdigest.entities import EntityMention, LexEntry, lexicon, mention_spans
from newsdigest.sentences import sentence_spans

DEFAULT_THRESHOLD = 0.5
SATURATION = 2.0
TITLE_BONUS = 1.0
WEAKEST_SHARE = 0.8
REASONS_PER_SIDE = 6
PASSING = 0.4  # share of a side's strength kept when it is mentioned only in passing
LEAD_WORDS = 40  # the lead: title + opening paragraphs until this many words (short lines such as datelines add up)
MAX_UNIT_WORDS = 60  # longer paragraphs are cut into runs of sentences of about this many words (a wire paragraph)

SIDES = (("russia", "Russia"), ("central_asia", "Central Asia"), ("security", "security"))

_LINE = re.compile(r"[^\n]+")
_WORDS = re.compile(r"\S+")


@dataclass(frozen=True)
class Relevance:
    score: float  # 0..1
    relevant: bool  # score >= threshold
    reasons: tuple[str, ...]  # human-readable evidence


def _strength(evidence: float) -> float:
    return 1.0 - math.exp(-evidence / SATURATION)


def _units(body: str) -> list[tuple[int, int, int, int]]:
    """(start, end, words, paragraph number from 1) of the body's paragraphs (non-blank lines); a paragraph over
    MAX_UNIT_WORDS is cut into runs of whole sentences of up to about MAX_UNIT_WORDS words, same number."""
    units: list[tuple[int, int, int, int]] = []
    number = 0
    for line in _LINE.finditer(body):
        text, offset = line.group(), line.start()
        words = len(_WORDS.findall(text))
        if not words:
            continue
        number += 1
        if words <= MAX_UNIT_WORDS:
            units.append((offset, line.end(), words, number))
            continue
        run: list[int] = []  # start, end, words of the run being built
        for a, b in sentence_spans(text):
            n = len(_WORDS.findall(text, a, b))
            if run and run[2] + n > MAX_UNIT_WORDS:
                units.append((offset + run[0], offset + run[1], run[2], number))
                run = []
            run = [run[0], b, run[2] + n] if run else [a, b, n]
        if run:
            units.append((offset + run[0], offset + run[1], run[2], number))
    return units


def _presence(spans: list[tuple[str, int, int]], entries: dict[str, LexEntry]) -> list[float]:
    """Per side (SIDES order), min(1, sum of the lexicon weights of these mentions)."""
    totals = [0.0, 0.0, 0.0]
    for key, _, _ in spans:
        entry = entries.get(key)
        if entry:
            totals[0] += entry.russia
            totals[1] += entry.central_asia
            totals[2] += entry.security
    return [min(1.0, t) for t in totals]


def _focus(title_spans: list[tuple[str, int, int]], body: str,
           entries: dict[str, LexEntry]) -> tuple[list[float], list[str]]:
    """Per side (SIDES order): focus in 0..1 (see the module docstring) and, when below 1, a few words on why."""
    units = _units(body)
    per_unit: list[list[tuple[str, int, int]]] = [[] for _ in units]
    u = 0
    for span in mention_spans(body):  # both in reading order: one pass
        while u < len(units) - 1 and span[1] >= units[u][1]:
            u += 1
        if units:
            per_unit[u].append(span)
    lead_spans, words = list(title_spans), 0
    for (_, _, n, _), spans in zip(units, per_unit, strict=True):
        if words >= LEAD_WORDS:
            break
        lead_spans += spans
        words += n
    lead = _presence(lead_spans, entries)
    places = [("the title", _presence(title_spans, entries))] if title_spans else []
    places += [(f"paragraph {unit[3]}", _presence(spans, entries)) for unit, spans in zip(units, per_unit, strict=True)
               if spans]
    focus, why = [], []
    for x in range(3):
        y, z = (a for a in range(3) if a != x)
        best, where = 0.0, ""
        for name, cover in places:
            if cover[x] > 0 and min(cover[y], cover[z]) > best:
                best, where = min(cover[y], cover[z]), name
        linked = min(best, lead[y], lead[z])
        focus.append(max(lead[x], linked))
        if focus[x] >= 1:
            why.append("")
        elif focus[x] > 0 and lead[x] >= linked:
            why.append("only weakly in the lead")
        elif focus[x] > 0 and best <= min(lead[y], lead[z]):
            why.append(f"with both other sides in {where}, but they are weak there ({best:.2f})")
        elif focus[x] > 0:
            why.append(f"with both other sides in {where}, but the lead carries them only weakly")
        elif best > 0:
            why.append(f"in passing: not in the lead; with both other sides only in {where}, but the lead has "
                       "not both of them")
        else:
            why.append("in passing: not in the lead nor in a paragraph with both other sides")
    return focus, why


def score_relevance(title: str | None, body: str, entities: list[EntityMention],
                    threshold: float = DEFAULT_THRESHOLD) -> Relevance:
    """Score an article from its entities (`find_entities(title, body)`); title and body are rescanned for
    mention positions (title bonus, lead, paragraphs)."""
    entries = lexicon().entries
    title_spans = mention_spans(title)
    in_title = {key for key, _, _ in title_spans}
    focus, why = _focus(title_spans, body, entries)
    sides: dict[str, float] = {}
    lines: list[str] = []
    for i, (axis, label) in enumerate(SIDES):
        evidence: list[tuple[float, str]] = []
        for mention in entities:
            entry = entries.get(mention.key)
            weight = getattr(entry, axis) if entry else 0.0
            if weight <= 0 or mention.count <= 0:
                continue
            titled = mention.key in in_title
            value = weight * (1 + math.log(mention.count) + (TITLE_BONUS if titled else 0.0))
            notes = [str(mention.count)] + (["title"] if titled else []) + (["fuzzy"] if mention.fuzzy else [])
            evidence.append((value, f"{mention.name} ({', '.join(notes)})"))
        evidence.sort(key=lambda e: (-e[0], e[1]))
        strength = _strength(sum(v for v, _ in evidence))
        factor = PASSING + (1 - PASSING) * focus[i]
        sides[axis] = strength * factor
        shown = ", ".join(text for _, text in evidence[:REASONS_PER_SIDE]) or "no evidence"
        more = f" and {len(evidence) - REASONS_PER_SIDE} more" if len(evidence) > REASONS_PER_SIDE else ""
        detail = f" (evidence {strength:.2f} x focus {factor:.2f}, {why[i]})" if evidence and factor < 1 else ""
        lines.append(f"{label} {sides[axis]:.2f}{detail}: {shown}{more}")
    values = list(sides.values())
    weakest_axis = min(sides, key=lambda a: sides[a])
    score = WEAKEST_SHARE * min(values) + (1 - WEAKEST_SHARE) * sum(values) / len(values)
    score = round(min(1.0, max(0.0, score)), 4)
    label = dict(SIDES)[weakest_axis]
    summary = f"score {score:.2f}: weakest side {label} ({sides[weakest_axis]:.2f}), threshold {threshold:.2f}"
    return Relevance(score, score >= threshold, (summary, *lines))
