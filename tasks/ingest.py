"""Ingest tasks: one task per source to load, then one per batch of documents to extract and to store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from newsdigest.extract import extract_document
from newsdigest.fetch.base import FetchFailure, fetcher_for
from newsdigest.models import ExtractedDocument, RawDocument
from newsdigest.settings import Settings
from newsdigest.sources import Source
from newsdigest.store_plan import article_id_for, article_key, plan_batch
from warehouse import store
from warehouse.db import open_warehouse


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@task(name="load-source", task_run_name="load {source.name}", retries=2, retry_delay_seconds=5,
      cache_policy=NO_CACHE)
def load_source(source: Source, settings: Settings) -> tuple[list[RawDocument], list[FetchFailure]]:
    """Read every input of one source; unreadable inputs become failures, not exceptions."""
    logger = get_run_logger()
    docs: list[RawDocument] = []
    failures: list[FetchFailure] = []
    for result in fetcher_for(source, settings).fetch(source):
        if isinstance(result, FetchFailure):
            logger.error("source %s: %s (%s)", source.name, result.message, result.error_class)
            failures.append(result)
        else:
            docs.append(result)
    logger.info("source %s: %d documents read, %d failed", source.name, len(docs), len(failures))
    return docs, failures


@task(name="select-new", task_run_name="select new from {source_name}", cache_policy=NO_CACHE)
def select_new(docs: list[RawDocument], source_name: str, warehouse: Path) -> list[RawDocument]:
    """Drop documents whose exact bytes at this location were already stored: unchanged input costs nothing."""
    con = open_warehouse(warehouse)
    try:
        known = store.known_locations(con, [(d.source, d.uri, d.sha256) for d in docs])
    finally:
        con.close()
    fresh = [d for d in docs if (d.source, d.uri, d.sha256) not in known]
    get_run_logger().info("source %s: %d new or changed, %d unchanged", source_name, len(fresh),
                          len(docs) - len(fresh))
    return fresh


@task(name="extract-batch", task_run_name="extract {source_name} batch {batch_no}", cache_policy=NO_CACHE)
def extract_batch(docs: list[RawDocument], source_name: str, batch_no: int,
                  max_bytes: int) -> list[ExtractedDocument]:
    logger = get_run_logger()
    results = [extract_document(doc, max_bytes) for doc in docs]
    for item in results:
        if not item.ok:
            logger.error("extract failed for %s:%s: %s", item.doc.source, item.doc.uri, item.error)
        elif item.note:
            logger.warning("%s:%s: %s", item.doc.source, item.doc.uri, item.note)
    return results


@task(name="store-batch", task_run_name="store {source_name} batch {batch_no}", retries=2,
      retry_delay_seconds=10, cache_policy=NO_CACHE)
def store_batch(extracted: list[ExtractedDocument], source_name: str, batch_no: int, warehouse: Path,
                run_id: str) -> dict[str, int]:
    """Dedupe against the warehouse and write the batch in one transaction (safe to retry: all or nothing)."""
    con = open_warehouse(warehouse)
    try:
        ids = [article_id_for(article_key(e.doc.source, e.doc.uri, e.doc.url)) for e in extracted if e.ok]
        plan = plan_batch(extracted, store.stored_articles(con, ids), store.load_duplicate_index(con), run_id,
                          utcnow())
        store.write_batch(con, plan)
    finally:
        con.close()
    counts = plan.counts
    get_run_logger().info("source %s batch %d stored: %s", source_name, batch_no, counts)
    return counts


@task(name="record-failures", cache_policy=NO_CACHE)
def record_failures(failures: list[FetchFailure], warehouse: Path, run_id: str) -> None:
    if not failures:
        return
    now = utcnow()
    con = open_warehouse(warehouse)
    try:
        store.record_errors(con, [{"run_id": run_id, "source": f.source, "uri": f.uri, "stage": "fetch",
                                   "error_class": f.error_class, "message": f.message, "sha256": None,
                                   "logged_at": now} for f in failures])
    finally:
        con.close()
