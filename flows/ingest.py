"""The ingest flow: every enabled source -> load or harvest -> select new -> extract -> dedupe+store, in batches.

Web sources are harvested concurrently (one task each, a bounded thread pool; each is polite per host on its
own). A harvest hands its pages over in chunks of `batch_size` through a small bounded queue while it goes on
fetching; the flow's thread takes each chunk through select-new and into the same batched extract and store
stages as local files (`tasks.ingest.ExtractStore`). Pages held at any moment are therefore bounded by the
queue, the harvest windows and the batches in flight, whatever the size of the sources, and fetching overlaps
extraction.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from prefect import allow_failure, flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from newsdigest import parallel
from newsdigest.fetch.base import FetchFailure
from newsdigest.fetch.web import FIRST_CHUNK
from newsdigest.memory import gc_frozen
from newsdigest.settings import Settings
from newsdigest.sources import load_http_overrides, load_sources
from tasks.concurrency import publish_snapshot, writes_warehouse
from tasks.ingest import ExtractStore, SourceOutcome, load_source, record_failures, select_new, utcnow
from tasks.runners import dask_address, extract_task_runner
from tasks.web import harvest_source, release_claims
from warehouse import snapshot, store
from warehouse.db import keep_open, open_warehouse

HANDOVER_CHUNKS = 2  # harvested chunks waiting for the flow's thread; a full queue pauses the harvests


def settings_for(sources_file: str | None, warehouse: str | None) -> Settings:
    settings = Settings.from_env()
    if sources_file:
        settings = replace(settings, sources_file=Path(sources_file).resolve())
    if warehouse:
        settings = replace(settings, warehouse=Path(warehouse).resolve())
    overrides = load_http_overrides(settings.sources_file)
    if overrides:
        settings = replace(settings, http=replace(settings.http, **overrides))
    return settings


def _run_name() -> str:
    """`ingest <sources file stem> <UTC time>`: tells runs apart in the UI list without opening them."""
    spec = flow_run.parameters.get("sources_file") or Settings.from_env().sources_file
    return f"ingest {Path(str(spec)).stem} {datetime.now(UTC):%Y-%m-%d %H:%M}Z"


@flow(name="ingest", flow_run_name=_run_name, log_prints=True, task_runner=ThreadPoolTaskRunner(max_workers=4))
@writes_warehouse  # one writing run at a time (tasks/concurrency.py); re-entrant when weekly calls ingest
def ingest(sources_file: str | None = None, warehouse: str | None = None, threshold: float | None = None) -> dict:
    """Load every enabled source into the warehouse, scoring new articles' relevance at `threshold` (default:
    NEWSDIGEST_RELEVANCE_THRESHOLD, else the model's). Returns per-source counts (also a table artifact)."""
    settings = settings_for(sources_file, warehouse)
    if threshold is not None:
        settings = replace(settings, relevance_threshold=threshold)
    # one DuckDB instance for the run (no checkpoint and reload per task); the process's long-lived objects out of
    # the garbage collector's full passes (newsdigest/memory.py)
    with keep_open(settings.warehouse), gc_frozen():
        return _ingest(settings)


def _ingest(settings: Settings) -> dict:
    logger = get_run_logger()
    sources = [s for s in load_sources(settings.sources_file) if s.enabled]
    run_id = str(flow_run.id or uuid.uuid4())
    con = open_warehouse(settings.warehouse)
    try:
        store.start_run(con, run_id, "ingest", flow_run.name, utcnow(),
                        {"sources_file": str(settings.sources_file), "warehouse": str(settings.warehouse)})
        source_rows = [_source_row(s, settings, run_id) for s in load_sources(settings.sources_file)]
        # marked after the commit (only then is the count known): a crash in between leaves the snapshot's
        # `sources` behind until the next publish
        if store.upsert_sources(con, source_rows):
            snapshot.mark_unpublished(settings.warehouse)
    finally:
        con.close()
    rows: list[dict] = []
    totals: Counter[str] = Counter()
    status = "failed"
    handover = Handover(HANDOVER_CHUNKS)
    try:
        harvests = _submit_harvests([s for s in sources if s.is_web], settings, run_id, handover)
        selected: dict[str, Counter[str]] = {s.name: Counter() for s in sources}
        with extract_task_runner() as extract_runner:  # threads over the process pool, or Dask (tasks/runners.py)
            pipeline = ExtractStore(settings, run_id, extract_runner)
            local_failures = {}
            for source in sources:
                if not source.is_web:
                    docs, local_failures[source.name] = load_source(source, settings)
                    _record_failures(local_failures[source.name], settings, run_id)
                    _select_and_add(pipeline, docs, source.name, settings, selected)
            for name, docs in handover.chunks(harvests):
                _select_and_add(pipeline, docs, name, settings, selected)
            outcomes = pipeline.finish()
        for source in sources:
            if source.is_web:
                failures, web_counts = _harvest_result(source, harvests[source.name], settings, run_id)
            else:
                failures, web_counts = local_failures[source.name], {}
            row = _row(source, selected[source.name], failures, web_counts,
                       outcomes.get(source.name, SourceOutcome()))
            rows.append(row)
            totals.update({"documents_seen": row["fetched"], "documents_new": row.pop("_documents_new"),
                           "articles_new": row["new_articles"], "versions_new": row["updated"],
                           "unchanged": row["unchanged"], "failed": row["failed"]})
        status = "completed"
    finally:
        handover.close()  # after a failure, harvests blocked on a full hand-over stop instead of hanging the run
        release_claims(run_id)
        con = open_warehouse(settings.warehouse)
        try:
            store.finish_run(con, run_id, status, utcnow(), totals)
        finally:
            con.close()
    create_table_artifact(key="ingest-summary", table=rows,
                          description=f"Ingest run {flow_run.name or run_id}: per-source counts")
    # the analysts' read-only copy, unless nothing was stored since it was published (warehouse/snapshot.py)
    publish_snapshot(settings.warehouse)
    logger.info("ingest finished: %s", totals)
    return {"run_id": run_id, "warehouse": str(settings.warehouse), "sources": rows, "totals": dict(totals)}


def _source_row(source, settings: Settings, run_id: str) -> dict:
    location = str(source.path) if source.path else source.url or (source.urls[0] if source.urls else "")
    return {"name": source.name, "kind": source.kind, "location": location, "country": source.country,
            "language": source.language, "enabled": source.enabled, "sources_file": str(settings.sources_file),
            "updated_at": utcnow(), "updated_run_id": run_id}


def _host(source) -> str:
    """host[:port] of a web source: its politeness unit (robots.txt is per origin too)."""
    return urlsplit(source.url or (source.urls[0] if source.urls else "")).netloc.lower()


def _submit_harvests(sources: list, settings: Settings, run_id: str, handover: Handover) -> dict:
    """One harvest task per web source, in parallel across hosts; sources on one host run one after another,
    so the per-host politeness limits hold for the outlet as a whole, not per source. The first harvest on a
    host hands its pages over in small, growing chunks (extraction starts early); a later one, which starts while
    the pipeline is busy with the earlier ones' pages, in whole batches (fewer task runs)."""
    futures, last_on_host = {}, {}
    for source in sources:
        previous = last_on_host.get(_host(source))
        after = [allow_failure(previous)] if previous else None
        future = harvest_source.submit(source, settings, run_id, handover.emitter(source.name), _warm_extraction,
                                       None if previous else FIRST_CHUNK, wait_for=after)
        futures[source.name] = last_on_host[_host(source)] = future
    return futures


def _warm_extraction() -> None:
    """Start the local extraction workers when a harvest announces new pages (not with a Dask cluster, which has
    its own workers). Measured in bench/pipeline.py at N = 2,000: the first batch of 25 pages was extracted
    ~2 s after it was fetched, the workers' start-up, with both cores mostly idle."""
    if dask_address() is None:
        parallel.start_pool()


class HandoverClosed(RuntimeError):
    """The flow stopped taking pages (it failed): the harvest stops instead of waiting forever."""


class Handover:
    """Bounded queue of (source name, documents) chunks from the harvest threads to the flow's thread.

    A full queue blocks the harvests (backpressure: memory stays bounded). If the flow's thread fails it
    closes the hand-over, and every blocked or later `put` raises, so no harvest thread waits forever.
    """

    def __init__(self, chunks: int) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=chunks)
        self._closed = threading.Event()

    def emitter(self, name: str):
        """The `emit` callback of one source's harvest."""
        def emit(docs: list) -> None:
            while not self._closed.is_set():
                try:
                    self._queue.put((name, docs), timeout=0.5)
                    return
                except queue.Full:
                    continue
            raise HandoverClosed(f"source {name}: the ingest flow stopped taking pages")

        return emit

    def close(self) -> None:
        self._closed.set()

    def chunks(self, harvests: dict) -> Iterator[tuple[str, list]]:
        """Chunks as harvests deliver them, until every harvest has finished and the queue is empty."""
        while True:
            try:
                yield self._queue.get(timeout=0.05)  # how soon the end of the last harvest is noticed
            except queue.Empty:
                # a harvest puts its last chunk before it finishes: finished + empty means nothing more comes
                if all(_done(f) for f in harvests.values()) and self._queue.empty():
                    return


def _done(future) -> bool:
    wrapped = getattr(future, "wrapped_future", None)  # the thread pool's own future: no API round trip
    return wrapped.done() if wrapped is not None else future.state.is_final()


def _select_and_add(pipeline: ExtractStore, docs: list, source_name: str, settings: Settings,
                    selected: dict[str, Counter[str]]) -> None:
    fresh = select_new(docs, source_name, settings.warehouse)
    selected[source_name].update(fetched=len(docs), unchanged=len(docs) - len(fresh))
    pipeline.add(fresh, source_name)


def _harvest_result(source, future, settings: Settings, run_id: str) -> tuple[list[FetchFailure], dict[str, int]]:
    try:
        _, failures, counts = future.result()
    except Exception as exc:  # noqa: BLE001 - a broken source is reported; the other sources go on
        get_run_logger().error("source %s: harvest failed: %s: %s", source.name, type(exc).__name__, exc)
        failures, counts = [FetchFailure(source.name, source.url or source.name, type(exc).__name__,
                                         f"harvest of {source.name} failed: {exc}")], {}
    _record_failures(failures, settings, run_id)
    return failures, counts


def _record_failures(failures: list[FetchFailure], settings: Settings, run_id: str) -> None:
    """The `record-failures` task, only when there is something to record (a task run is not free)."""
    if failures:
        record_failures(quote(failures), settings.warehouse, run_id)


def _reasons(failures: list[FetchFailure], errors: list[str]) -> str:
    counts = Counter([f.error_class for f in failures] + errors)
    return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in counts.most_common()) or ""


def _row(source, selected: Counter[str], failures: list[FetchFailure], web: dict[str, int],
         outcome: SourceOutcome) -> dict:
    counts = outcome.counts
    fetched = selected["fetched"]
    unchanged = selected["unchanged"] + web.get("not_modified", 0)
    return {"source": source.name, "kind": source.kind, "listed": web.get("listed", fetched + len(failures)),
            "fetched": fetched, "new_articles": counts["articles_new"], "updated": counts["versions_new"],
            "unchanged": unchanged, "failed": len(failures) + counts["errors"],
            "reasons": _reasons(failures, outcome.extract_errors), "_documents_new": counts["documents_new"]}
