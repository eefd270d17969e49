"""Extraction on every core: a process pool created once per process and reused by every batch.

Why processes: extraction (trafilatura, lxml, our date and text rules, MinHash) is CPU-bound pure Python, so
threads share one GIL and a 2-core machine extracts at the speed of one. Why one long-lived pool: starting
workers costs ~1 s each (importing trafilatura), far more than a batch of a few hundred pages is worth
paying again. Why "spawn": the flow process runs Prefect's threads and event loops; forking it could copy
a lock held by another thread into the child. ("forkserver" was tried first: its server and workers
outlived flow processes that ended without running atexit handlers, e.g. killed runs, and kept the parent's
stdout pipe open, so a caller waiting for EOF hung.) Workers are the flow process's own children and each
watches it: when the parent is gone, the worker exits.

Workers get `RawDocument`s and send back only what they computed (extraction, fingerprint, error): the page
bytes are not pickled back. A worker that dies (a segfault in a C parser, the OOM killer) does not fail the
batch: the pool is rebuilt and the batch's pages are retried one by one, so only the page that kills a worker
is reported as failed (`WorkerCrashed`), as with any other broken page.

Inside a Dask worker (or any daemonic process, which may not have children) extraction runs in-process: the
cluster is the parallelism there.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from newsdigest.memory import release_free_memory
from newsdigest.models import ExtractedDocument, RawDocument

RESET_CACHES_EVERY = 500  # documents per worker between trafilatura/htmldate cache resets (bounded memory)
# Documents per worker between heap trims. Why not after every chunk, with big blocks in their own mappings as in
# the flow process (newsdigest/memory.py): a worker is single-threaded, so its freed memory goes back to one
# arena that the next pages reuse, and the trim only has to stop slow growth. Measured on the 341 benchmark pages
# (one process, 2 passes): pinned mmap threshold + trim per 25 pages cost 1.2-1.5 ms/page of system time
# (each ~190 KB page buffer a fresh mapping, faulted in and unmapped) for a peak of 87 MiB; trim alone 0.3-0.5
# ms/page for the same 87 MiB; neither 0.0 ms for 97 MiB.
TRIM_EVERY = 100
T = TypeVar("T")
_Computed = tuple[object, object, str | None, str | None, str | None, str, object]

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_workers = 0
_done_in_worker = 0
_since_trim = 0


def default_workers() -> int:
    """NEWSDIGEST_EXTRACT_WORKERS, else every core this process may use."""
    value = os.environ.get("NEWSDIGEST_EXTRACT_WORKERS", "").strip()
    if value:
        return max(1, int(value))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def in_dask_worker() -> bool:
    if "distributed" not in sys.modules:  # a Dask worker has imported it; importing it here costs ~1 s
        return False
    try:
        from distributed import get_worker
    except ImportError:  # pragma: no cover - distributed is installed with prefect-dask
        return False
    try:
        get_worker()
    except ValueError:
        return False
    return True


def _can_fork_workers() -> bool:
    return not multiprocessing.current_process().daemon and not in_dask_worker()


def _get_pool(workers: int) -> ProcessPoolExecutor:
    global _pool, _pool_workers
    with _lock:
        if _pool is None or _pool_workers != workers:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            ctx = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                        initargs=(os.getpid(),))
            _pool_workers = workers
        return _pool


def _discard_pool(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the workers (also registered at exit). The next extraction starts a new pool."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown)


def _worker_init(parent_pid: int) -> None:
    """Import the extractor once, and exit as soon as the flow process that started this worker is gone."""
    import newsdigest.extract  # noqa: F401

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)  # orphaned: nobody will send work or read results

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def extract_one(doc: RawDocument, max_bytes: int, threshold: float | None = None) -> ExtractedDocument:
    """Extract one document and, given a relevance `threshold`, score it (entities, relevance) right here.

    Why here: the text is in this process's memory now; scoring it in the digest means reading every body back
    from DuckDB and shipping it to the workers again. A scoring failure is a note, not an extraction error: the
    article is stored unscored and the digest scores it (`tasks.digest.score_pending`).
    """
    from newsdigest.extract import extract_document

    item = extract_document(doc, max_bytes)
    if threshold is not None and item.extraction is not None:
        from newsdigest.scoring import score_text

        try:
            item.scores = score_text(item.extraction.title, item.extraction.text, threshold)
        except Exception as exc:  # noqa: BLE001 - the article is still stored; the digest scores it later
            note = f"scoring failed ({type(exc).__name__}: {exc}); the digest scores it later"
            item.note = f"{item.note}; {note}" if item.note else note
    return item


def _extract_chunk(docs: list[RawDocument], max_bytes: int, threshold: float | None = None) -> list[_Computed]:
    """Runs in a worker: extract (and score), and return the results without the page bytes."""
    global _done_in_worker, _since_trim

    out: list[_Computed] = []
    for doc in docs:
        item = extract_one(doc, max_bytes, threshold)
        out.append((item.extraction, item.fingerprint, item.error_class, item.error, item.note, item.extractor,
                    item.scores))
    _done_in_worker += len(docs)
    _since_trim += len(docs)
    if _done_in_worker >= RESET_CACHES_EVERY:
        _reset_caches()
        _done_in_worker = 0
    if _since_trim >= TRIM_EVERY:
        release_free_memory()  # pages and trees of the last chunks are garbage now
        _since_trim = 0
    return out


def _reset_caches() -> None:
    """trafilatura/htmldate/courlan keep LRU caches; clearing them now and then keeps workers' memory flat."""
    try:
        from trafilatura.meta import reset_caches
    except ImportError:  # pragma: no cover - older trafilatura
        return
    reset_caches()


def _attach(doc: RawDocument, computed: _Computed) -> ExtractedDocument:
    extraction, fp, error_class, error, note, extractor, scores = computed
    return ExtractedDocument(doc, extraction, fp, error_class=error_class, error=error, note=note,  # type: ignore[arg-type]
                             extractor=extractor, scores=scores)  # type: ignore[arg-type]


def _crashed(doc: RawDocument, exc: BaseException) -> ExtractedDocument:
    from newsdigest.extract import EXTRACTOR

    return ExtractedDocument(doc, error_class="WorkerCrashed", extractor=EXTRACTOR,
                             error=f"WorkerCrashed: the extraction worker died on this page ({exc})")


def extract_many(docs: list[RawDocument], max_bytes: int, workers: int | None = None,
                 chunk_size: int | None = None, threshold: float | None = None) -> list[ExtractedDocument]:
    """Extract `docs` on the shared pool (in order); in-process when one worker or inside Dask/daemons. Given a
    relevance `threshold`, each extracted document is scored too (`extract_one`)."""
    workers = workers or default_workers()
    if not docs:
        return []
    if workers <= 1 or len(docs) == 1 or not _can_fork_workers():
        return [extract_one(doc, max_bytes, threshold) for doc in docs]
    size = chunk_size or max(1, min(25, -(-len(docs) // (workers * 2))))
    chunks = [docs[i : i + size] for i in range(0, len(docs), size)]
    pool = _get_pool(workers)
    try:
        futures: list[Future[list[_Computed]]] = [pool.submit(_extract_chunk, chunk, max_bytes, threshold)
                                                     for chunk in chunks]
        return [_attach(doc, computed) for chunk, future in zip(chunks, futures, strict=True)
                for doc, computed in zip(chunk, future.result(), strict=True)]
    except BrokenProcessPool:
        _discard_pool(pool)
        return _one_by_one(docs, max_bytes, workers, threshold)


def start_pool(workers: int | None = None) -> None:
    """Start the workers now (each imports the extractor, ~0.75 CPU s) instead of at the first batch; returns at
    once (the imports run in the workers). Nothing happens when this process's pool is already there."""
    workers = workers or default_workers()
    if workers <= 1 or not _can_fork_workers():
        return
    with _lock:
        if _pool is not None and _pool_workers == workers:
            return
    pool = _get_pool(workers)
    for _ in range(workers):
        pool.submit(int)  # each submit starts one worker process (spawn context: one per submit)


def pool_running() -> bool:
    """Whether this process already has extraction workers (started by an ingest in the same process)."""
    with _lock:
        return _pool is not None


def map_on_pool(fn: Callable[..., T], chunks: list, *args: object) -> list[T]:
    """`[fn(chunk, *args) for chunk in chunks]`, the chunks spread over the running pool's workers (see
    `imap_on_pool`)."""
    return list(imap_on_pool(fn, chunks, *args))


def imap_on_pool(fn: Callable[..., T], chunks: list, *args: object) -> Iterator[T]:
    """`fn(chunk, *args)` for each chunk, in order, as they complete, every chunk submitted at once to the running
    pool's workers: the caller consumes the first results while the workers compute the rest.

    For other CPU-bound stages (the digest's scoring) that are worth sending only to workers that are already
    up: starting them costs more than a few seconds of work gains. `fn` must be importable by the workers.
    Falls back to this process when no pool is running, inside Dask/daemons, or if a worker dies (the
    chunks are plain computations: recomputing the ones not yet returned here loses nothing).
    """
    pool = _pool
    if pool is None or len(chunks) < 2 or not _can_fork_workers():
        yield from (fn(chunk, *args) for chunk in chunks)
        return
    done = 0
    try:
        futures = [pool.submit(fn, chunk, *args) for chunk in chunks]
        for future in futures:
            result = future.result()
            done += 1
            yield result
    except BrokenProcessPool:
        _discard_pool(pool)
        yield from (fn(chunk, *args) for chunk in chunks[done:])


def _one_by_one(docs: list[RawDocument], max_bytes: int, workers: int, threshold: float | None = None
                ) -> list[ExtractedDocument]:
    """After a worker died: retry each page alone, so only the page that kills a worker fails."""
    out: list[ExtractedDocument] = []
    for doc in docs:
        pool = _get_pool(workers)
        try:
            out.append(_attach(doc, pool.submit(_extract_chunk, [doc], max_bytes, threshold).result()[0]))
        except BrokenProcessPool as exc:
            _discard_pool(pool)
            out.append(_crashed(doc, exc))
    return out

