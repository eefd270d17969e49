"""Ingest tasks: one task per source to load, then one per batch of documents to extract and to store.

Throughput (docs/performance.md): extraction is the only CPU-heavy stage, so `extract_batch` runs on every core
(a process pool, or a Dask cluster through `tasks.runners`), and `ExtractStore` keeps a few batches
extracting while the flow's thread dedupes and stores the previous one. The dedup index lives in this process
between batches (reloading it from DuckDB for every batch made ingestion quadratic in the warehouse size).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from newsdigest import parallel
from newsdigest.dedupe import DuplicateIndex
from newsdigest.fetch.base import FetchFailure, fetcher_for
from newsdigest.memory import release_free_memory
from newsdigest.models import ExtractedDocument, RawDocument
from newsdigest.settings import Settings
from newsdigest.sources import Source
from newsdigest.store_plan import identity, plan_batch
from warehouse import snapshot, store
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


def select_new(docs: list[RawDocument], source_name: str, warehouse: Path) -> list[RawDocument]:
    """Drop documents whose exact bytes at this location were already stored: unchanged input costs nothing.

    A plain function called in the flow (its log lines go to the flow run), not a task: it is one indexed
    lookup per chunk, and a task run costs ~50 ms of CPU between the client and the Prefect server (measured:
    ~41 ms server + ~8 ms client per no-op task run), more than the lookup itself."""
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
def extract_batch(docs: list[RawDocument], source_name: str, batch_no: int, max_bytes: int,
                  threshold: float | None = None) -> list[ExtractedDocument]:
    """Extract a batch on every core (process pool; in-process on a Dask worker, where the cluster parallelises),
    scoring each page at `threshold` as it is extracted (newsdigest/scoring.py)."""
    logger = get_run_logger()
    results = parallel.extract_many(docs, max_bytes, threshold=threshold)
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
        ids = [identity(e) for e in extracted if e.ok]
        stored = store.stored_articles(con, ids)
        with _INDEXES.checkout(con, warehouse) as index:
            plan = plan_batch(extracted, stored, index, run_id, utcnow())
            snapshot.mark_unpublished(warehouse)  # before the commit (warehouse/snapshot.py)
            store.write_batch(con, plan)
        if plan.current_versions:  # a new version changes an indexed fingerprint: reload next time
            _INDEXES.forget(warehouse)
    finally:
        con.close()
    counts = plan.counts
    get_run_logger().info("source %s batch %d stored: %s", source_name, batch_no, counts)
    return counts


@dataclass
class SourceOutcome:
    """What the batches of one source added, and the error class of every page that failed extraction."""

    counts: dict[str, int] = field(default_factory=lambda: {"documents_new": 0, "articles_new": 0,
                                                             "versions_new": 0, "errors": 0})
    extract_errors: list[str] = field(default_factory=list)


def batches(docs: list[RawDocument], size: int) -> list[list[RawDocument]]:
    return [docs[i : i + size] for i in range(0, len(docs), size)]


class ExtractStore:
    """Documents in, stored articles out: batches go through `extract-batch` then `store-batch`; use it in a flow.

    Batches are handed to the tasks wrapped in Prefect's `quote`: Prefect otherwise walks every parameter,
    dataclass fields included, to resolve futures and record dependencies, which cost 7 % of the flow
    process's CPU samples in the N = 2,000 pipeline benchmark (py-spy) for no information.

    `add` may be called many times (a source's documents, or chunks of them as a harvest delivers them); each
    batch is submitted to the entered `runner` (from `tasks.runners.extract_task_runner`) and at most
    `batches_in_flight(runner)` batches are extracted ahead of the store, so memory does not grow with the
    number of documents. Batches are stored in the order they were added, by the calling thread (the only
    warehouse writer), so dedup decisions and stored rows are the same as running them one by one. Without a
    runner each batch is extracted (on the process pool) and stored before `add` returns.
    """

    def __init__(self, settings: Settings, run_id: str, runner: TaskRunner | None = None) -> None:
        from tasks.runners import batches_in_flight

        self.settings, self.run_id, self.runner = settings, run_id, runner
        self.window = batches_in_flight(runner) if runner is not None else 0
        self.outcomes: dict[str, SourceOutcome] = {}
        self._numbers: dict[str, int] = {}
        self._pending: deque = deque()

    def add(self, docs: list[RawDocument], source_name: str) -> None:
        self.outcomes.setdefault(source_name, SourceOutcome())
        for batch in batches(docs, self.settings.batch_size):
            number = self._numbers[source_name] = self._numbers.get(source_name, 0) + 1
            if self.runner is None:
                self._store(source_name, number, extract_batch(quote(batch), source_name, number,
                                                               self.settings.max_document_bytes,
                                                               self.settings.relevance_threshold))
                release_free_memory()
                continue
            self._pending.append((source_name, number, self.runner.submit(extract_batch, {
                "docs": self._wrap(batch), "source_name": source_name, "batch_no": number,
                "max_bytes": self.settings.max_document_bytes,
                "threshold": self.settings.relevance_threshold})))
            while len(self._pending) > self.window:
                self._store_oldest()

    def _wrap(self, batch: list[RawDocument]) -> object:
        """`quote` for the local runner; a Dask graph treats the (named)tuple that `quote` is as a task, so
        batches go to Dask as they are (prefect-dask ships them to the cluster whole anyway)."""
        return quote(batch) if isinstance(self.runner, ThreadPoolTaskRunner) else batch

    def finish(self) -> dict[str, SourceOutcome]:
        """Store every batch still extracting; returns the outcome per source."""
        while self._pending:
            self._store_oldest()
        return self.outcomes

    def _store_oldest(self) -> None:
        source_name, number, future = self._pending.popleft()
        self._store(source_name, number, future.result())
        del future  # it holds the batch's results: with it, the batch's pages and texts are garbage
        release_free_memory()  # give the freed heap back (newsdigest/memory.py)

    def _store(self, source_name: str, number: int, extracted: list[ExtractedDocument]) -> None:
        outcome = self.outcomes[source_name]
        outcome.extract_errors += [e.error_class or "ExtractionError" for e in extracted if not e.ok]
        counts = store_batch(quote(extracted), source_name, number, self.settings.warehouse, self.run_id)
        for key, value in counts.items():
            outcome.counts[key] += value


def extract_and_store(docs: list[RawDocument], source_name: str, settings: Settings, run_id: str,
                      runner: TaskRunner | None = None) -> SourceOutcome:
    """One source's documents through `ExtractStore`, all stored on return."""
    pipeline = ExtractStore(settings, run_id, runner)
    pipeline.add(docs, source_name)
    return pipeline.finish()[source_name]


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


def _index_token(con: duckdb.DuckDBPyConnection, warehouse: Path) -> tuple[int, ...]:
    """Cheap fingerprint of what the dedup index is built from: row counts, and the file's identity (a
    warehouse deleted and created again at the same path is another warehouse)."""
    row = con.execute("SELECT (SELECT count(*) FROM article_duplicates), (SELECT count(*) FROM article_versions)"
                      ).fetchone()
    assert row is not None
    try:
        stat = os.stat(warehouse)
        identity_ = (stat.st_dev, stat.st_ino)
    except OSError:
        identity_ = (-1, -1)
    return int(row[0]), int(row[1]), *identity_


class _IndexCache:
    """The dedup index of each warehouse, kept in this process between store batches.

    `store.load_duplicate_index` reads every stored fingerprint and rebuilds the LSH; doing that per batch
    costs O(stored) per batch, O(N^2) per run. The cache is used only while the warehouse still holds exactly
    what the index was built from plus this process's own writes (row counts checked before each batch), so a
    write by another process, a failed batch (the index already holds its articles) or a new version of an
    article (its indexed fingerprint changed) all make the next batch reload from the warehouse.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Path, tuple[DuplicateIndex, tuple[int, ...]]] = {}

    def forget(self, warehouse: Path) -> None:
        with self._lock:
            self._entries.pop(warehouse, None)

    @contextmanager
    def checkout(self, con: duckdb.DuckDBPyConnection, warehouse: Path) -> Iterator[DuplicateIndex]:
        """The index to plan a batch with; kept for the next batch only if the block succeeds."""
        with self._lock:  # store batches of one process share the index: one at a time
            entry = self._entries.pop(warehouse, None)
            index = entry[0] if entry is not None and entry[1] == _index_token(con, warehouse) else \
                store.load_duplicate_index(con)
            yield index  # an exception propagates and the entry stays popped: the next batch reloads
            self._entries[warehouse] = (index, _index_token(con, warehouse))


_INDEXES = _IndexCache()
