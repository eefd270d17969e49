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
from warehouse.db import transaction

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
        ("run_id", pa.string()), ("extracted_at", _TS)]),
    "article_duplicates": pa.schema([("article_id", pa.string()), ("group_id", pa.string()),
                                     ("matched_article_id", pa.string()), ("rule", pa.string()),
                                     ("similarity", pa.float64()), ("containment", pa.float64()),
                                     ("run_id", pa.string())]),
    "run_errors": pa.schema([("run_id", pa.string()), ("source", pa.string()), ("uri", pa.string()),
                             ("stage", pa.string()), ("error_class", pa.string()), ("message", pa.string()),
                             ("sha256", pa.string()), ("logged_at", _TS)]),
}
# Tables whose rows are identified by a key: re-inserting an existing key is a no-op (re-runs never duplicate).
_CONFLICT_FREE = {"raw_documents", "document_locations", "articles", "article_versions", "article_duplicates"}


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    schema = SCHEMAS[table]
    batch = pa.Table.from_pylist(rows, schema=schema)
    con.register("_batch", batch)
    try:
        cols = ", ".join(schema.names)
        tail = " ON CONFLICT DO NOTHING" if table in _CONFLICT_FREE else ""
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _batch{tail}")
    finally:
        con.unregister("_batch")


def write_batch(con: duckdb.DuckDBPyConnection, plan: BatchPlan) -> None:
    """Write one batch in one transaction: all of it or none of it."""
    with transaction(con):
        for table, rows in (("raw_documents", plan.raw_documents), ("articles", plan.articles),
                            ("article_versions", plan.versions), ("article_duplicates", plan.duplicates),
                            ("document_locations", plan.locations), ("run_errors", plan.errors)):
            _insert(con, table, rows)
        for row in plan.current_versions:
            con.execute("UPDATE articles SET current_version = ? WHERE article_id = ?",
                        [row["current_version"], row["article_id"]])


def record_errors(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    with transaction(con):
        _insert(con, "run_errors", rows)


def known_locations(con: duckdb.DuckDBPyConnection, keys: list[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """Which (source, uri, sha256) were already turned into an article: those need no extraction."""
    if not keys:
        return set()
    probe = pa.table({"source": [k[0] for k in keys], "uri": [k[1] for k in keys], "sha256": [k[2] for k in keys]})
    con.register("_probe", probe)
    try:
        rows = con.execute(
            "SELECT l.source, l.uri, l.sha256 FROM document_locations AS l"
            " JOIN _probe AS p USING (source, uri, sha256) WHERE l.article_id IS NOT NULL"
        ).fetchall()
    finally:
        con.unregister("_probe")
    return {tuple(r) for r in rows}


def stored_articles(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> dict[str, StoredArticle]:
    if not article_ids:
        return {}
    rows = con.execute(
        "SELECT a.article_id, a.current_version, list(v.sha256) FROM articles AS a"
        " JOIN article_versions AS v USING (article_id) WHERE list_contains(?, a.article_id)"
        " GROUP BY a.article_id, a.current_version",
        [article_ids],
    ).fetchall()
    return {aid: StoredArticle(cur, frozenset(shas)) for aid, cur, shas in rows}


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
             counts.get("articles_new", 0), counts.get("versions_new", 0), counts.get("errors", 0), run_id],
        )
