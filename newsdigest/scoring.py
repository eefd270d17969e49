"""Scoring stage, pure part: entities and the relevance verdict of article versions, as warehouse rows.

A separate module (not inside tasks/digest.py) so the extraction workers of `newsdigest.parallel` can run it:
scoring is ~1.3 CPU ms per article (lexicon scan + relevance), 2.6 s for a 2,000-article week in one thread,
and the digest flow otherwise runs it on one core while the other idles.
"""

from __future__ import annotations

from datetime import datetime

from newsdigest.entities import find_entities
from newsdigest.relevance import score_relevance

# (article_id, version, title, body), as warehouse.digest.unscored returns them
Unscored = tuple[str, int, str | None, str]


def score_rows(todo: list[Unscored], threshold: float, now: datetime) -> tuple[list[dict], list[dict]]:
    """(article_relevance rows, article_entities rows) for `todo`, in its order."""
    relevance_rows: list[dict] = []
    entity_rows: list[dict] = []
    for article_id, version, title, body in todo:
        entities = find_entities(title, body)
        verdict = score_relevance(title, body, entities, threshold)
        relevance_rows.append({"article_id": article_id, "version": version, "score": verdict.score,
                               "relevant": verdict.relevant, "threshold": threshold,
                               "reasons": list(verdict.reasons), "scored_at": now})
        entity_rows += [{"article_id": article_id, "version": version, "kind": e.kind, "entity_key": e.key,
                         "name": e.name, "entity_group": e.group, "mentions": e.count,
                         "surfaces": list(e.surfaces), "fuzzy": e.fuzzy} for e in entities]
    return relevance_rows, entity_rows
