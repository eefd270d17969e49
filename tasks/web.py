"""Web tasks: one task per web source harvests it (list, then fetch pages politely) and records the fetch log.

The network part runs in `newsdigest.fetch.web` (pure of Prefect and DuckDB); this task only reads the
conditional-GET state and pending retries from the warehouse, and writes back what is safe to write before
the pages are stored (see warehouse/web.py). Retries here would re-run the whole source, so there are none:
the HTTP client already retries each request, and pages that still fail are retried by the next run.
No task timeout either: Prefect cannot interrupt a sync task in a worker thread (it only warns on every run);
a harvest is bounded by the source's `max_items` and the client's per-request timeouts and retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from newsdigest.fetch.base import FetchFailure
from newsdigest.fetch.web import FIRST_CHUNK, CacheEntry, Emit, WebHarvest, harvest
from newsdigest.models import RawDocument
from newsdigest.settings import Settings
from newsdigest.sources import Source
from tasks.ingest import utcnow
from warehouse import snapshot
from warehouse import web as web_sql
from warehouse.db import open_warehouse

RECORD_ATTEMPTS = 3
T = TypeVar("T")
# Page URLs already taken by a source in a flow run (run id -> URLs): harvest tasks of one run share a process.
_CLAIMED: dict[str, set[str]] = {}
_CLAIM_LOCK = threading.Lock()


def claimer(run_id: str):
    """The `claim` callback for `harvest`: the first source of a run to list a page fetches it."""
    def claim(urls: list[str]) -> set[str]:
        with _CLAIM_LOCK:
            taken = _CLAIMED.setdefault(run_id, set())
            mine = {u for u in urls if u not in taken}
            taken |= mine
            return mine

    return claim


def release_claims(run_id: str) -> None:
    with _CLAIM_LOCK:
        _CLAIMED.pop(run_id, None)


@task(name="harvest-source", task_run_name="harvest {source.name}", cache_policy=NO_CACHE)
def harvest_source(source: Source, settings: Settings, run_id: str, emit: Emit | None = None,
                   expect: Callable[[], None] | None = None, first_chunk: int | None = FIRST_CHUNK
                   ) -> tuple[list[RawDocument], list[FetchFailure], dict[str, int]]:
    """Harvest one source. With `emit` (the flow's bounded hand-over), pages go to it in chunks of up to
    `settings.batch_size` (ramping up from `first_chunk`) while the harvest goes on, and the returned document
    list is empty. `expect` is called when a changed listing announces pages to fetch
    (`newsdigest.fetch.web.harvest`)."""
    logger = get_run_logger()
    cache, pending = _state(source, settings)
    if pending:
        logger.info("source %s: retrying %d pages that failed or were not stored before", source.name, len(pending))
    result = harvest(source, settings.http, cache, pending, claim=claimer(run_id), emit=emit,
                     window=settings.batch_size, expect=expect, first_chunk=first_chunk)
    _record(result, settings, run_id)
    for failure in result.failures:
        logger.error("source %s: %s [%s]", source.name, failure.message, failure.error_class)
    logger.info("source %s: %s", source.name, result.counts)
    return result.documents, result.failures, result.counts


def _with_warehouse(settings: Settings, source: str, what: str, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Run `work` on a fresh warehouse connection, retrying on a DuckDB error (a busy database under load):
    losing a whole source's harvest to a passing error would cost far more than a short wait."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        con = None
        try:
            con = open_warehouse(settings.warehouse)
            return work(con)
        except duckdb.Error as exc:
            if attempt == RECORD_ATTEMPTS:
                raise
            get_run_logger().warning("source %s: %s failed (%s: %s); retrying", source, what,
                                     type(exc).__name__, exc)
            time.sleep(0.5 * attempt)
        finally:
            if con is not None:
                con.close()
    raise AssertionError("unreachable")


def _state(source: Source, settings: Settings) -> tuple[dict[str, CacheEntry], list[str]]:
    """Validators for conditional GET and the pages to retry."""
    def read(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, CacheEntry], list[str]]:
        entries = web_sql.all_cache_entries(con)
        return ({url: CacheEntry(etag, modified) for url, (etag, modified) in entries.items()},
                web_sql.pending_urls(con, source.name))

    return _with_warehouse(settings, source.name, "reading fetch state", read)


def _record(result: WebHarvest, settings: Settings, run_id: str) -> None:
    listed = [{"source": result.source, "url": item.listed_as, "canonical_url": item.url,
               "title": item.hints.title if item.hints else None,
               "published_at": item.hints.published if item.hints else None,
               "author": item.hints.author if item.hints else None,
               "summary": item.hints.summary if item.hints else None} for item in result.listed]
    if listed or result.gone:  # listing entries and gone pages are analyst data (warehouse/snapshot.py)
        snapshot.mark_unpublished(settings.warehouse)
    # one transaction: a retry never duplicates
    _with_warehouse(settings, result.source, "recording the fetch log", lambda con: web_sql.record_harvest(
        con, run_id, utcnow(), result.log, listed, result.validators, result.gone, result.source,
        result.listing_bodies))
