"""SQL behind the digest: scoring state, the week's articles, earlier stories, coverage, and digest writes.

Reads return plain tuples/dicts, or the digest's own dataclasses (`week_articles`); `write_digest` replaces a
week's digest rows in one transaction, so regenerating a week never duplicates it and a crash leaves the
previous generation in place. `week_input_hashes` and `earlier_stories_hash` hash, inside DuckDB, exactly the
rows `week_articles` and `earlier_stories` read (same SQL), so an unchanged week is recognised without loading it.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from newsdigest.digest import Digest, WeekArticle, outlet_name
from newsdigest.entities import EntityMention
from newsdigest.relevance import Relevance
from warehouse.db import transaction
from warehouse.store import insert_rows

_TS = pa.timestamp("us")
_S, _I, _B, _F, _L = pa.string(), pa.int32(), pa.bool_(), pa.float64(), pa.list_(pa.string())
_DIGEST_TABLES = {  # explicit types, so an all-empty or all-NULL column still loads (e.g. no story is dated)
    "stories": pa.schema([("story_id", _S), ("week", _S), ("label", _S), ("keywords", _L), ("entities", _L),
                          ("continues_story_id", _S), ("continues_week", _S), ("rank", _I), ("article_count", _I),
                          ("copy_count", _I), ("outlet_count", _I), ("relevance", _F), ("first_published", _TS),
                          ("last_published", _TS)]),
    "story_articles": pa.schema([("week", _S), ("story_id", _S), ("article_id", _S), ("position", _I),
                                 ("late_arrival", _B)]),
    "digest_items": pa.schema([("week", _S), ("story_id", _S), ("position", _I), ("kind", _S), ("text", _S),
                               ("speaker", _S), ("article_id", _S), ("article_version", _I), ("url", _S)]),
    "digests": pa.schema([("week", _S), ("generated_at", _TS), ("run_id", _S), ("articles", _I), ("outlets", _I),
                          ("stories", _I), ("left_out", _I), ("undated", _I), ("late_arrivals", _I),
                          ("threshold", _F), ("markdown", _S), ("html", _S), ("json", _S), ("inputs_sha256", _S)]),
}


def unscored(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str | None, str]]:
    """(article_id, version, title, body) of current versions without a relevance score yet."""
    return con.execute(
        "SELECT s.article_id, s.version, s.title, s.body FROM stg_articles AS s"
        " ANTI JOIN article_relevance AS r ON r.article_id = s.article_id AND r.version = s.version"
        " ORDER BY s.article_id"
    ).fetchall()


def _insert_all(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, pa.Table]], delete_week: str | None = None
                ) -> None:
    """One transaction: optionally delete `delete_week`'s rows, then insert each Arrow table into its table.

    The Arrow tables are registered before the transaction and unregistered after it, so a failed insert
    rolls back and raises its own error (unregistering inside an aborted transaction would mask it).
    """
    names = [f"_new_{i}" for i in range(len(tables))]
    for name, (_, arrow) in zip(names, tables, strict=True):
        con.register(name, arrow)
    try:
        with transaction(con):
            if delete_week is not None:
                for table in ("digest_items", "story_articles", "stories", "digests"):
                    con.execute(f"DELETE FROM {table} WHERE week = ?", [delete_week])
            for name, (table, arrow) in zip(names, tables, strict=True):
                cols = ", ".join(arrow.schema.names)
                conflict = " ON CONFLICT DO NOTHING" if delete_week is None else ""
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}{conflict}")
    finally:
        for name in names:
            con.unregister(name)


def write_scores(con: duckdb.DuckDBPyConnection, relevance: list[dict], entities: list[dict]) -> None:
    """Scores and entities of a batch of article versions, in one transaction (re-scoring inserts nothing).

    Through the store's `insert_rows`, as the ingest writes the scores it computes with each batch: one schema
    and one conflict rule for both writers of these tables."""
    with transaction(con):
        insert_rows(con, "article_relevance", relevance)
        insert_rows(con, "article_entities", entities)


_WEEK_ROWS = """
SELECT m.article_id, m.version, m.title, m.body, m.published_at, m.site, m.agency, m.url, m.source, m.uri,
       m.first_seen_at, m.digest_week <> $week AS late, r.score, r.reasons, m.copies,
       (SELECT list({'site': c.site, 'url': c.url, 'agency': c.agency} ORDER BY c.article_id)
          FROM mart_articles AS c
         WHERE c.duplicate_group_id = m.duplicate_group_id AND c.article_id <> m.article_id) AS copies_meta
FROM mart_articles AS m
JOIN article_relevance AS r ON r.article_id = m.article_id AND r.version = m.version
WHERE m.is_canonical
  AND (m.digest_week = $week
       OR (m.week_basis = 'published' AND m.digest_week < $week AND strftime(m.first_seen_at, '%G-W%V') = $week))
"""
_WEEK_ARTICLES = _WEEK_ROWS + "ORDER BY m.published_at NULLS LAST, m.first_seen_at, m.article_id\n"

# Order-independent content hashes (count and sum of DuckDB's 64-bit hash() of each whole row) of the rows
# week_articles reads: every column of _WEEK_ROWS, and every column of those versions' article_entities rows.
# Rows are unique (one per canonical article; entity rows by primary key) and each carries its own key, so the
# count and sum change whenever a row is added, removed or changed (but for a ~2^-64 chance of a changed row
# keeping its hash). 40-55 ms at 2,000 articles, against ~250 ms to load them into Python (docs/digest.md).
_WEEK_HASHES = f"""
WITH w AS MATERIALIZED ({_WEEK_ROWS}),
e AS (SELECT e.* FROM article_entities AS e SEMI JOIN w ON e.article_id = w.article_id AND e.version = w.version)
SELECT (SELECT count(*) FROM w), (SELECT coalesce(sum(hash(w)), 0) FROM w),
       (SELECT count(*) FROM e), (SELECT coalesce(sum(hash(e)), 0) FROM e)
"""


def week_articles(con: duckdb.DuckDBPyConnection, week: str, threshold: float) -> list[WeekArticle]:
    """Canonical articles counted in `week` plus late arrivals first stored in it, with scores and entities.

    The week rule lives in mart_articles.digest_week (published date, else first stored); a late arrival is a
    dated article first stored in `week` but published in an earlier one. Entities are loaded only for articles
    scoring at or above `threshold`: the digest only counts the others (as left out), and on the benchmark's
    week they were 8,273 of the 8,541 entity rows (1,762 of 1,792 articles; `week_articles` 0.12-0.14 -> 0.07-0.09
    CPU s).
    """
    rows = con.execute(_WEEK_ARTICLES, {"week": week}).fetchall()
    entities = entities_for(con, [(r[0], r[1]) for r in rows if r[12] >= threshold])
    out = []
    for (article_id, version, title, body, published, site, agency, url, source, uri, first_seen, late, score,
         reasons, copies, copies_meta) in rows:
        mentions = tuple(EntityMention(kind, key, name, group, n, tuple(surfaces), fuzzy)
                         for kind, key, name, group, n, surfaces, fuzzy in entities.get((article_id, version), []))
        copy_outlets = {outlet_name(c["site"], c["url"], c["agency"]) for c in copies_meta or []}
        out.append(WeekArticle(article_id, version, title, body, published, site, agency, url, source, first_seen,
                               bool(late), Relevance(score, score >= threshold, tuple(reasons)), mentions, copies,
                               tuple(sorted(o for o in copy_outlets if o)), uri))
    return out


def week_input_hashes(con: duckdb.DuckDBPyConnection, week: str) -> tuple[int, int, int, int]:
    """(articles, their rows' hash, entity rows, their hash) of what `week_articles(con, week, …)` reads.

    The hashes depend on DuckDB's hash(), deterministic for a given DuckDB version (after an upgrade that
    changes it, a week is rebuilt once)."""
    articles, articles_hash, entities, entities_hash = con.execute(_WEEK_HASHES, {"week": week}).fetchall()[0]
    return articles, int(articles_hash), entities, int(entities_hash)


def entities_for(con: duckdb.DuckDBPyConnection, keys: list[tuple[str, int]]) -> dict[tuple[str, int], list[tuple]]:
    """(kind, entity_key, name, entity_group, mentions, surfaces, fuzzy) per (article_id, version)."""
    if not keys:
        return {}
    con.register("_keys", pa.table({"article_id": [k[0] for k in keys], "version": [k[1] for k in keys]}))
    try:
        rows = con.execute(
            "SELECT e.article_id, e.version, e.kind, e.entity_key, e.name, e.entity_group, e.mentions, e.surfaces,"
            " e.fuzzy FROM article_entities AS e JOIN _keys AS k USING (article_id, version)"
            " ORDER BY e.article_id, e.kind, e.entity_key"
        ).fetchall()
    finally:
        con.unregister("_keys")
    found: dict[tuple[str, int], list[tuple]] = {}
    for row in rows:
        found.setdefault((row[0], row[1]), []).append(row[2:])
    return found


def counted_articles(con: duckdb.DuckDBPyConnection, week: str) -> int:
    """Relevant canonical articles counted in `week` (the digest's headline figure, for any week)."""
    return con.execute(
        "SELECT count(*) FROM mart_articles AS m JOIN article_relevance AS r"
        " ON r.article_id = m.article_id AND r.version = m.version AND r.relevant"
        " WHERE m.is_canonical AND m.digest_week = ?", [week]).fetchall()[0][0]


def previous_mentions(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, int]:
    """Entity key -> relevant canonical articles mentioning it that were counted in `week`."""
    rows = con.execute(
        "SELECT e.entity_key, count(DISTINCT m.article_id) FROM mart_articles AS m"
        " JOIN article_relevance AS r ON r.article_id = m.article_id AND r.version = m.version AND r.relevant"
        " JOIN article_entities AS e ON e.article_id = m.article_id AND e.version = m.version"
        " WHERE m.is_canonical AND m.digest_week = ? GROUP BY 1", [week]
    ).fetchall()
    return dict(rows)


_EARLIER_STORIES = """
WITH recent AS (SELECT DISTINCT week FROM stories WHERE week < $week ORDER BY week DESC LIMIT $weeks_back)
SELECT sa.week, sa.story_id, sa.position, s.article_id, s.title, s.body, s.published_at
FROM story_articles AS sa JOIN recent USING (week) JOIN stg_articles AS s USING (article_id)
"""


def earlier_stories(con: duckdb.DuckDBPyConnection, week: str, weeks_back: int = 4) -> list[tuple]:
    """(week, story_id, article_id, title, body, published_at) of stories in the few digests before `week`."""
    return con.execute(
        f"SELECT week, story_id, article_id, title, body, published_at FROM ({_EARLIER_STORIES}) AS r"
        " ORDER BY week, story_id, position", {"week": week, "weeks_back": weeks_back}
    ).fetchall()


def earlier_stories_hash(con: duckdb.DuckDBPyConnection, week: str, weeks_back: int = 4) -> tuple[int, int]:
    """(rows, order-independent hash of the rows, positions included) of what `earlier_stories` reads."""
    rows, rows_hash = con.execute(f"SELECT count(*), coalesce(sum(hash(r)), 0) FROM ({_EARLIER_STORIES}) AS r",
                                  {"week": week, "weeks_back": weeks_back}).fetchall()[0]
    return rows, int(rows_hash)


def source_problems(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
    """(source, error_class, count) of fetch errors logged by runs in [start, end)."""
    return con.execute(
        "SELECT source, error_class, count(*) FROM run_errors WHERE stage = 'fetch' AND logged_at >= ?"
        " AND logged_at < ? GROUP BY ALL ORDER BY source, 3 DESC", [start, end]
    ).fetchall()


def silent_sources(con: duckdb.DuckDBPyConnection, names: list[str], start: datetime, end: datetime) -> list[str]:
    """Sources among `names` that gave articles before `start` but none in [start, end)."""
    if not names:
        return []
    rows = con.execute(
        "SELECT source FROM articles WHERE list_contains(?, source) GROUP BY source"
        " HAVING min(first_seen_at) < ? AND count(*) FILTER (WHERE first_seen_at >= ? AND first_seen_at < ?) = 0"
        " ORDER BY source", [names, start, start, end]
    ).fetchall()
    return [r[0] for r in rows]


def stored_digest(con: duckdb.DuckDBPyConnection, week: str) -> dict | None:
    """The stored digest row of `week` (figures, outputs, inputs fingerprint), or None when there is none."""
    cur = con.execute(
        "SELECT week, generated_at, run_id, articles, outlets, stories, left_out, undated, late_arrivals,"
        " threshold, markdown, html, json, inputs_sha256 FROM digests WHERE week = ?", [week])
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


def digest_rows(digest: Digest, markdown: str, html: str, json_text: str, inputs_sha256: str | None = None
                ) -> tuple[dict, list, list, list]:
    """The digest as rows of digests, stories, story_articles and digest_items (schema: 0003_digest.sql,
    0005_digest_inputs.sql)."""
    week = digest.week
    stories, members, items = [], [], []
    for s in digest.stories:
        stories.append({"story_id": s.story.story_id, "week": week, "label": s.story.label,
                        "keywords": list(s.story.keywords),
                        "entities": sorted({e.key for a in s.articles for e in a.entities}),
                        "continues_story_id": s.story.continues, "continues_week": s.continues_week,
                        "rank": s.rank, "article_count": len(s.articles),
                        "copy_count": sum(a.copies for a in s.articles), "outlet_count": len(s.outlets),
                        "relevance": s.relevance, "first_published": s.dates[0] if s.dates else None,
                        "last_published": s.dates[-1] if s.dates else None})
        members += [{"week": week, "story_id": s.story.story_id, "article_id": a.article_id, "position": i,
                     "late_arrival": a.late} for i, a in enumerate(s.articles, 1)]
        for kind, lines in (("summary", [(x.text, None, x.doc_id) for x in s.summary]),
                            ("quote", [(q.text, q.speaker, q.doc_id) for q in s.quotes])):
            items += [{"week": week, "story_id": s.story.story_id, "position": i, "kind": kind, "text": text,
                       "speaker": speaker, "article_id": doc_id, "article_version": s.article(doc_id).version,
                       "url": s.article(doc_id).url} for i, (text, speaker, doc_id) in enumerate(lines, 1)]
    row = {"week": week, "generated_at": digest.generated_at, "run_id": digest.run_id,
           "articles": len(digest.counted), "outlets": len(digest.outlets), "stories": len(digest.stories),
           "left_out": digest.left_out, "undated": digest.undated, "late_arrivals": len(digest.late),
           "threshold": digest.threshold, "markdown": markdown, "html": html, "json": json_text,
           "inputs_sha256": inputs_sha256}
    return row, stories, members, items


def write_digest(con: duckdb.DuckDBPyConnection, digest: Digest, markdown: str, html: str, json_text: str,
                 inputs_sha256: str | None = None) -> None:
    """Replace the week's digest (stories, members, cited lines, the digest row) in one transaction; the row
    records `inputs_sha256`, the fingerprint of what the digest was built from."""
    digest_row, stories, story_articles, items = digest_rows(digest, markdown, html, json_text, inputs_sha256)
    tables = [(table, pa.Table.from_pylist(rows, schema=_DIGEST_TABLES[table]))
              for table, rows in (("stories", stories), ("story_articles", story_articles), ("digest_items", items),
                                  ("digests", [digest_row]))]
    _insert_all(con, tables, delete_week=digest.week)
