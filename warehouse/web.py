"""SQL for web ingestion: fetch log, conditional-GET state, listing entries, gone pages, pending retries.

Page bodies and their validators are written with the documents they became (warehouse/store.py), so a
crash between fetching and storing never leaves a validator that would make the next run skip the page.
What is written here is safe to record on its own: the log, the feed/sitemap validators, 304s and listings.
A listed page that was never stored is re-requested next run (see `pending_urls`), even if its feed is 304.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import duckdb
import pyarrow as pa

from newsdigest import archive
from warehouse.db import registered, transaction
from warehouse.store import insert_rows, upsert_http_cache

_TS = pa.timestamp("us")
FETCH_LOG = pa.schema([("run_id", pa.string()), ("source", pa.string()), ("kind", pa.string()),
                       ("url", pa.string()), ("final_url", pa.string()), ("status", pa.int32()),
                       ("bytes", pa.int64()), ("elapsed_ms", pa.int32()), ("error_class", pa.string()),
                       ("error", pa.string()), ("attempt", pa.int32()), ("started_at", _TS)])
FEED_ITEMS = pa.schema([("source", pa.string()), ("url", pa.string()), ("canonical_url", pa.string()),
                        ("title", pa.string()), ("published_at", _TS), ("author", pa.string()),
                        ("summary", pa.string()), ("first_seen_at", _TS), ("first_run_id", pa.string())])
# Failures worth another request on a later run; anything else (404, robots, too large, not HTML) is final.
TRANSIENT_ERRORS = ("Timeout", "ConnectError", "ReadError", "NetworkError", "RemoteProtocolError")
MAX_FAILED_RUNS = 3  # a page failing transiently in this many runs is given up (it stays in fetch_log)


def all_cache_entries(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str | None]]:
    rows = con.execute("SELECT url, etag, last_modified FROM http_cache"
                       " WHERE etag IS NOT NULL OR last_modified IS NOT NULL").fetchall()
    return {url: (etag, modified) for url, etag, modified in rows}


def pending_urls(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Listed pages of `source` stored by no source, whose failures (if any) were transient and not too many."""
    rows = con.execute(
        """
        WITH attempts AS (
            SELECT url, run_id, error_class, status,
                   row_number() OVER (PARTITION BY url ORDER BY started_at DESC, attempt DESC) AS recency
            FROM fetch_log WHERE source = ? AND kind = 'page'
        ), last_try AS (
            SELECT url, error_class, status FROM attempts WHERE recency = 1
        ), failed_runs AS (
            SELECT url, count(DISTINCT run_id) AS runs FROM attempts WHERE error_class IS NOT NULL GROUP BY url
        )
        SELECT DISTINCT f.canonical_url
        FROM feed_items AS f
        LEFT JOIN last_try AS t ON t.url = f.canonical_url
        LEFT JOIN failed_runs AS r ON r.url = f.canonical_url
        WHERE f.source = ?
          AND NOT EXISTS (SELECT 1 FROM document_locations AS l WHERE l.uri = f.canonical_url)
          AND (t.url IS NULL
               OR (list_contains(?, t.error_class) OR t.status = 429 OR t.status >= 500))
          AND coalesce(r.runs, 0) < ?
        ORDER BY 1
        """,
        [source, source, list(TRANSIENT_ERRORS), MAX_FAILED_RUNS],
    ).fetchall()
    return [r[0] for r in rows]


def record_harvest(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, log: list[dict],
                   listed: list[dict], validators: list[dict], gone: list[tuple[str, int]], source: str,
                   bodies: list | None = None) -> None:
    """One transaction: attempts, listing entries, feed/sitemap/304 validators, gone pages, and the bodies of
    the feeds, sitemaps and home pages (archived in raw_documents with their headers in http_responses)."""
    with transaction(con):
        bodies = bodies or []
        shas = [hashlib.sha256(body.content).hexdigest() for body in bodies]
        packed = [archive.pack(body.content) for body in bodies]
        insert_rows(con, "raw_documents", [
            {"sha256": sha, "size_bytes": len(body.content), "media_type": body.media_type, "compression": codec,
             "content": data, "first_run_id": run_id, "first_seen_at": now}
            for sha, body, (codec, data) in zip(shas, bodies, packed, strict=True)])
        insert_rows(con, "http_responses", [
            {"sha256": sha, "url": body.url, "final_url": body.final_url, "status": body.status,
             "headers": json.dumps(body.headers), "fetched_at": now, "run_id": run_id}
            for sha, body in zip(shas, bodies, strict=True)])
        if log:
            _append(con, "fetch_log", FETCH_LOG, [{"run_id": run_id, **row} for row in log])
        if listed:
            rows = [{**row, "first_seen_at": now, "first_run_id": run_id} for row in listed]
            unique = list({(row["source"], row["url"]): row for row in reversed(rows)}.values())
            _append(con, "feed_items", FEED_ITEMS, unique, "ON CONFLICT DO NOTHING")
        upsert_http_cache(con, [{"url": v["url"], "etag": v["etag"], "last_modified": v["last_modified"],
                                 "last_status": v["status"], "last_sha256": None, "last_fetched_at": now,
                                 "last_changed_at": None} for v in validators])
        for url, status in gone:
            con.execute(
                "INSERT INTO article_gone SELECT DISTINCT article_id, ?, ?, ?, ? FROM document_locations"
                " WHERE source = ? AND uri = ? AND article_id IS NOT NULL ON CONFLICT DO NOTHING",
                [url, status, now, run_id, source, url],
            )


def _append(con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema, rows: list[dict], tail: str = "") -> None:
    with registered(con, "_rows", pa.Table.from_pylist(rows, schema=schema)):
        cols = ", ".join(schema.names)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rows {tail}")
