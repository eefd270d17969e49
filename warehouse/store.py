"""Every SQL statement the pipeline writes or reads for ingestion. Writes are bulk (Arrow) and transactional.

Callers pass plain rows (dicts) and get plain values back; nothing here decides what to write.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pyarrow as pa

from newsdigest.dedupe import DuplicateIndex, Fingerprint
from newsdigest.store_plan import BatchPlan, StoredArticle
from warehouse.db import registered, transaction

_TS = pa.timestamp("us")
SCHEMAS = {
    "raw_documents": pa.schema([("sha256", pa.string()), ("size_bytes", pa.int64()), ("media_type", pa.string()),
                                ("compression", pa.string()), ("content", pa.binary()),
                                ("first_run_id", pa.string()), ("first_seen_at", _TS)]),
    "document_locations": pa.schema([("source", pa.string()), ("uri", pa.string()), ("sha256", pa.string()),
                                     ("url", pa.string()), ("article_id", pa.string()),
                                     ("first_run_id", pa.string()), ("first_seen_at", _TS)]),
    "articles": pa.schema([("article_id", pa.string()), ("article_key", pa.string()), ("source", pa.string()),
                           ("first_seen_at", _TS), ("first_run_id", pa.string()),
                           ("current_version", pa.int32())]),
    "article_versions": pa.schema([
        ("article_id", pa.string()), ("version", pa.int32()), ("sha256", pa.string()), ("source", pa.string()),
        ("uri", pa.string()), ("url", pa.string()), ("canonical_url", pa.string()), ("title", pa.string()),
        ("lead", pa.string()), ("body", pa.string()), ("paragraph_count", pa.int32()),
        ("word_count", pa.int32()), ("published_at", _TS), ("published_has_time", pa.bool_()),
        ("date_source", pa.string()), ("site", pa.string()), ("agency", pa.string()),
        ("authors", pa.list_(pa.string())), ("language", pa.string()), ("content_hash", pa.string()),
        ("minhash", pa.binary()), ("shingle_count", pa.int32()), ("extractor", pa.string()),
        ("run_id", pa.string()), ("extracted_at", _TS), ("changes", pa.string())]),
    "article_duplicates": pa.schema([("article_id", pa.string()), ("group_id", pa.string()),
                                     ("matched_article_id", pa.string()), ("rule", pa.string()),
                                     ("similarity", pa.float64()), ("containment", pa.float64()),
                                     ("run_id", pa.string())]),
    "run_errors": pa.schema([("run_id", pa.string()), ("source", pa.string()), ("uri", pa.string()),
                             ("stage", pa.string()), ("error_class", pa.string()), ("message", pa.string()),
                             ("sha256", pa.string()), ("logged_at", _TS)]),
    "http_responses": pa.schema([("sha256", pa.string()), ("url", pa.string()), ("final_url", pa.string()),
                                 ("status", pa.int32()), ("headers", pa.string()), ("fetched_at", _TS),
                                 ("run_id", pa.string())]),
    "article_relevance": pa.schema([("article_id", pa.string()), ("version", pa.int32()), ("score", pa.float64()),
                                    ("relevant", pa.bool_()), ("threshold", pa.float64()),
                                    ("reasons", pa.list_(pa.string())), ("scored_at", _TS)]),
    "article_entities": pa.schema([("article_id", pa.string()), ("version", pa.int32()), ("kind", pa.string()),
                                   ("entity_key", pa.string()), ("name", pa.string()),
                                   ("entity_group", pa.string()), ("mentions", pa.int32()),
                                   ("surfaces", pa.list_(pa.string())), ("fuzzy", pa.bool_())]),
    "http_cache": pa.schema([("url", pa.string()), ("etag", pa.string()), ("last_modified", pa.string()),
                             ("last_status", pa.int32()), ("last_sha256", pa.string()), ("last_fetched_at", _TS),
                             ("last_changed_at", _TS)]),
}
# Tables whose rows are identified by a key: re-inserting an existing key is a no-op (re-runs never duplicate).
_CONFLICT_FREE = {"raw_documents", "document_locations", "articles", "article_versions", "article_duplicates",
                  "http_responses", "article_relevance", "article_entities"}


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Bulk-insert plain rows into one of the `SCHEMAS` tables; keyed tables ignore rows already present."""
    if not rows:
        return
    schema = SCHEMAS[table]
    with registered(con, "_batch", pa.Table.from_pylist(rows, schema=schema)):
        cols = ", ".join(schema.names)
        tail = " ON CONFLICT DO NOTHING" if table in _CONFLICT_FREE else ""
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _batch{tail}")


def write_batch(con: duckdb.DuckDBPyConnection, plan: BatchPlan) -> None:
    """Write one batch in one transaction: all of it or none of it."""
    with transaction(con):
        for table, rows in (("raw_documents", plan.raw_documents), ("articles", plan.articles),
                            ("article_versions", plan.versions), ("article_duplicates", plan.duplicates),
                            ("document_locations", plan.locations), ("run_errors", plan.errors),
                            ("http_responses", plan.http_responses), ("article_relevance", plan.relevance),
                            ("article_entities", plan.entities)):
            insert_rows(con, table, rows)
        upsert_http_cache(con, plan.http_cache)
        for row in plan.current_versions:
            con.execute("UPDATE articles SET current_version = ? WHERE article_id = ?",
                        [row["current_version"], row["article_id"]])


def upsert_http_cache(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Validators for the next conditional GET; a 304 (no sha256) keeps the stored body reference."""
    if not rows:
        return
    batch = pa.Table.from_pylist(rows, schema=SCHEMAS["http_cache"])
    with registered(con, "_cache", batch):
        con.execute(
            "INSERT INTO http_cache SELECT * FROM (SELECT DISTINCT ON (url) * FROM _cache"
            " ORDER BY url, last_fetched_at DESC) ON CONFLICT (url) DO UPDATE SET"
            " etag = coalesce(excluded.etag, http_cache.etag),"
            " last_modified = coalesce(excluded.last_modified, http_cache.last_modified),"
            " last_status = excluded.last_status,"
            " last_changed_at = CASE WHEN excluded.last_sha256 IS NOT NULL"
            "   AND excluded.last_sha256 IS DISTINCT FROM http_cache.last_sha256"
            "   THEN excluded.last_fetched_at ELSE http_cache.last_changed_at END,"
            " last_sha256 = coalesce(excluded.last_sha256, http_cache.last_sha256),"
            " last_fetched_at = excluded.last_fetched_at"
        )


def record_errors(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    with transaction(con):
        insert_rows(con, "run_errors", rows)


def known_locations(con: duckdb.DuckDBPyConnection, keys: list[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """Which (source, uri, sha256) were already turned into an article: those need no extraction."""
    if not keys:
        return set()
    probe = pa.table({"source": [k[0] for k in keys], "uri": [k[1] for k in keys], "sha256": [k[2] for k in keys]})
    with registered(con, "_probe", probe):
        rows = con.execute(
            "SELECT l.source, l.uri, l.sha256 FROM document_locations AS l"
            " JOIN _probe AS p USING (source, uri, sha256) WHERE l.article_id IS NOT NULL"
        ).fetchall()
    return {tuple(r) for r in rows}


def stored_articles(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> dict[str, StoredArticle]:
    if not article_ids:
        return {}
    rows = con.execute(
        "SELECT a.article_id, a.current_version, list(v.sha256),"
        " any_value(v.content_hash) FILTER (WHERE v.version = a.current_version),"
        " any_value(v.title) FILTER (WHERE v.version = a.current_version),"
        " any_value(v.published_at) FILTER (WHERE v.version = a.current_version),"
        " any_value(v.word_count) FILTER (WHERE v.version = a.current_version)"
        " FROM articles AS a JOIN article_versions AS v USING (article_id) WHERE list_contains(?, a.article_id)"
        " GROUP BY a.article_id, a.current_version",
        [article_ids],
    ).fetchall()
    return {aid: StoredArticle(cur, frozenset(shas), chash, title, published, words or 0)
            for aid, cur, shas, chash, title, published, words in rows}


def load_duplicate_index(con: duckdb.DuckDBPyConnection) -> DuplicateIndex:
    """The dedup index over every stored article's current version."""
    index = DuplicateIndex()
    rows = con.execute(
        "SELECT v.article_id, d.group_id, v.content_hash, v.minhash, v.shingle_count, v.canonical_url"
        " FROM articles AS a JOIN article_versions AS v"
        "   ON v.article_id = a.article_id AND v.version = a.current_version"
        " JOIN article_duplicates AS d ON d.article_id = a.article_id ORDER BY a.first_seen_at, a.article_id"
    ).fetchall()
    for article_id, group_id, chash, signature, shingles, canonical_url in rows:
        index.add(article_id, group_id, Fingerprint(chash, bytes(signature), shingles), canonical_url)
    return index


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, flow_name: str, flow_run_name: str | None,
              started_at: datetime, parameters: dict) -> None:
    with transaction(con):
        con.execute(
            "INSERT INTO pipeline_runs (run_id, flow_name, flow_run_name, started_at, status, parameters)"
            " VALUES (?, ?, ?, ?, 'running', ?)"
            " ON CONFLICT (run_id) DO UPDATE SET status = 'running', finished_at = NULL",
            [run_id, flow_name, flow_run_name, started_at, json.dumps(parameters, default=str)],
        )


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, finished_at: datetime,
               counts: dict[str, int]) -> None:
    with transaction(con):
        con.execute(
            "UPDATE pipeline_runs SET status = ?, finished_at = ?, documents_seen = ?, documents_new = ?,"
            " articles_new = ?, versions_new = ?, errors = ? WHERE run_id = ?",
            [status, finished_at, counts.get("documents_seen", 0), counts.get("documents_new", 0),
             counts.get("articles_new", 0), counts.get("versions_new", 0), counts.get("failed", 0), run_id],
        )


def upsert_sources(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> int:
    """Record the sources of this run; a row changes only when its settings do (re-runs leave it identical).
    Returns how many rows were added or changed."""
    if not rows:
        return 0
    schema = pa.schema([("name", pa.string()), ("kind", pa.string()), ("location", pa.string()),
                        ("country", pa.string()), ("language", pa.string()), ("enabled", pa.bool_()),
                        ("sources_file", pa.string()), ("updated_at", _TS), ("updated_run_id", pa.string())])
    with transaction(con), registered(con, "_sources", pa.Table.from_pylist(rows, schema=schema)):
        return con.execute(
            "INSERT INTO sources SELECT * FROM _sources ON CONFLICT (name) DO UPDATE SET"
            " kind = excluded.kind, location = excluded.location, country = excluded.country,"
            " language = excluded.language, enabled = excluded.enabled, sources_file = excluded.sources_file,"
            " updated_at = excluded.updated_at, updated_run_id = excluded.updated_run_id"
            " WHERE (sources.kind, sources.location, sources.country, sources.language, sources.enabled,"
            " sources.sources_file) IS DISTINCT FROM (excluded.kind, excluded.location, excluded.country,"
            " excluded.language, excluded.enabled, excluded.sources_file)"
        ).fetchone()[0]

