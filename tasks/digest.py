"""Digest tasks: score new article versions (entities, relevance), then build, check, write and publish a week.

Scoring is incremental and batched (only versions without a score, a few hundred per batch); the digest itself
is one task because clustering and summarising need the whole week at once. The work is done by plain
functions (`score_pending`, `generate_digest`) on an open warehouse connection, so tests run them without
Prefect; the tasks add the connection, the output files and the artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from newsdigest.digest import Digest, SourceHealth, build_digest, previous_week
from newsdigest.digest_render import render_html, render_markdown, to_json
from newsdigest.entities import find_entities
from newsdigest.relevance import score_relevance
from newsdigest.stories import Story as ClusterStory
from newsdigest.stories import StoryArticle, StorySignature, signature
from newsdigest.weeks import parse_week
from tasks.ingest import utcnow
from warehouse import digest as sql
from warehouse.db import open_warehouse

SCORE_BATCH = 500


@dataclass(frozen=True)
class DigestFiles:
    markdown: Path
    html: Path
    json: Path


@dataclass(frozen=True)
class GeneratedDigest:
    digest: Digest
    markdown: str
    html: str
    json: str


def score_pending(con: duckdb.DuckDBPyConnection, threshold: float, now: datetime) -> int:
    """Entities and relevance for every current article version not scored yet; returns how many."""
    todo = sql.unscored(con)
    for start in range(0, len(todo), SCORE_BATCH):
        relevance_rows, entity_rows = [], []
        for article_id, version, title, body in todo[start : start + SCORE_BATCH]:
            entities = find_entities(title, body)
            verdict = score_relevance(title, body, entities, threshold)
            relevance_rows.append({"article_id": article_id, "version": version, "score": verdict.score,
                                   "relevant": verdict.relevant, "threshold": threshold,
                                   "reasons": list(verdict.reasons), "scored_at": now})
            entity_rows += [{"article_id": article_id, "version": version, "kind": e.kind, "entity_key": e.key,
                             "name": e.name, "entity_group": e.group, "mentions": e.count,
                             "surfaces": list(e.surfaces), "fuzzy": e.fuzzy} for e in entities]
        sql.write_scores(con, relevance_rows, entity_rows)
    return len(todo)


def earlier_signatures(con: duckdb.DuckDBPyConnection, week: str) -> list[tuple[str, StorySignature]]:
    """(week, signature) of the stories of the few digests before `week`, rebuilt from their stored articles."""
    groups: dict[tuple[str, str], list[StoryArticle]] = {}
    for wk, story_id, article_id, title, body, published in sql.earlier_stories(con, week):
        groups.setdefault((wk, story_id), []).append(StoryArticle(article_id, title, body, published))
    return [(wk, signature(ClusterStory(story_id, [a.article_id for a in arts], "", []), arts))
            for (wk, story_id), arts in groups.items()]


def coverage(con: duckdb.DuckDBPyConnection, web_sources: list[str], start: datetime, end: datetime
             ) -> list[SourceHealth]:
    problems: dict[str, list[str]] = {}
    for source, error_class, n in sql.source_problems(con, start, end):
        problems.setdefault(source, []).append(f"{error_class} x{n}")
    health = [SourceHealth(s, "failed", "; ".join(p)) for s, p in problems.items()]
    health += [SourceHealth(s, "silent", "no new articles this week") for s in
               sql.silent_sources(con, web_sources, start, end)]
    return health


def generate_digest(con: duckdb.DuckDBPyConnection, week: str, threshold: float, web_sources: list[str],
                    now: datetime, run_id: str | None = None) -> GeneratedDigest:
    """Build, verify, render and store `week`'s digest (replacing an earlier generation of it).

    Nothing is written when a citation fails verification: CitationError propagates before the write.
    """
    start = datetime.combine(parse_week(week)[0], datetime.min.time())
    before = previous_week(week)
    digest = build_digest(week, sql.week_articles(con, week, threshold), sql.previous_mentions(con, before),
                          earlier_signatures(con, week), coverage(con, web_sources, start, start + timedelta(days=7)),
                          threshold, now, run_id, sql.counted_articles(con, before))
    out = GeneratedDigest(digest, render_markdown(digest), render_html(digest), to_json(digest))
    sql.write_digest(con, digest, out.markdown, out.html, out.json)
    return out


@task(name="score-articles", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def score_articles(warehouse: Path, threshold: float) -> int:
    con = open_warehouse(warehouse)
    try:
        scored = score_pending(con, threshold, utcnow())
    finally:
        con.close()
    get_run_logger().info("scored %d article versions", scored)
    return scored


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


@task(name="write-digest", task_run_name="write digest {week}", cache_policy=NO_CACHE)
def write_digest(week: str, warehouse: Path, output_dir: Path, threshold: float, web_sources: list[str],
                 run_id: str | None) -> DigestFiles:
    con = open_warehouse(warehouse)
    try:
        out = generate_digest(con, week, threshold, web_sources, utcnow(), run_id)
    finally:
        con.close()
    output_dir.mkdir(parents=True, exist_ok=True)
    files = DigestFiles(output_dir / f"digest-{week}.md", output_dir / f"digest-{week}.html",
                        output_dir / f"digest-{week}.json")
    for path, text in ((files.markdown, out.markdown), (files.html, out.html), (files.json, out.json)):
        _write_atomic(path, text)
    create_markdown_artifact(key="weekly-digest", markdown=out.markdown, description=f"Weekly digest {week}")
    create_link_artifact(key="weekly-digest-files", link=files.html.as_uri(), link_text=f"digest {week} (HTML)",
                         description=f"Outputs: {files.markdown}, {files.html}, {files.json}")
    d = out.digest
    get_run_logger().info("digest %s: %d stories from %d relevant articles (%d left out, %d late arrivals);"
                          " written to %s", week, len(d.stories), len(d.counted), d.left_out, len(d.late),
                          files.markdown)
    return files
