"""Scoring stage, pure part: entities and the relevance verdict of article versions, as warehouse rows.

A separate module (not inside tasks/digest.py) so the extraction workers of `newsdigest.parallel` can run it:
scoring is ~0.6 CPU ms per article (lexicon scan + relevance). New versions are scored where they are
extracted (`score_text` on the extraction workers, rows written with the batch by the store): the warehouse
has entities and relevance as soon as an ingest stores an article, and the digest only scores what that
missed (`score_rows` through `tasks.digest.score_pending`: versions stored before this, or whose scoring
failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from newsdigest.entities import EntityMention, find_entities
from newsdigest.relevance import Relevance, score_relevance

# (article_id, version, title, body), as warehouse.digest.unscored returns them
Unscored = tuple[str, int, str | None, str]


@dataclass(frozen=True)
class Scores:
    """One text's entities and relevance verdict, before it is an article version (no id yet)."""

    relevance: Relevance
    threshold: float
    entities: tuple[EntityMention, ...]


def score_text(title: str | None, body: str, threshold: float) -> Scores:
    entities = find_entities(title, body)
    return Scores(score_relevance(title, body, entities, threshold), threshold, tuple(entities))


def rows_for(article_id: str, version: int, scores: Scores, now: datetime) -> tuple[dict, list[dict]]:
    """(article_relevance row, article_entities rows) of one scored article version."""
    verdict = scores.relevance
    relevance = {"article_id": article_id, "version": version, "score": verdict.score,
                 "relevant": verdict.relevant, "threshold": scores.threshold, "reasons": list(verdict.reasons),
                 "scored_at": now}
    entities = [{"article_id": article_id, "version": version, "kind": e.kind, "entity_key": e.key,
                 "name": e.name, "entity_group": e.group, "mentions": e.count, "surfaces": list(e.surfaces),
                 "fuzzy": e.fuzzy} for e in scores.entities]
    return relevance, entities


def score_rows(todo: list[Unscored], threshold: float, now: datetime) -> tuple[list[dict], list[dict]]:
    """(article_relevance rows, article_entities rows) for `todo`, in its order."""
    relevance_rows: list[dict] = []
    entity_rows: list[dict] = []
    for article_id, version, title, body in todo:
        relevance, entities = rows_for(article_id, version, score_text(title, body, threshold), now)
        relevance_rows.append(relevance)
        entity_rows += entities
    return relevance_rows, entity_rows
