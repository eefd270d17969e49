"""Who may write the warehouse, and when: one pipeline writer at a time, then a snapshot for analysts.

DuckDB allows one writing process per file. `warehouse.db.connect` retries briefly on a lock, which is enough for
an analyst's quick read, but two flow runs (the six-hourly `ingest` and Monday's `weekly-digest`, or a manual
re-run during a scheduled one) would interleave hundreds of short connections and sooner or later one would run
out of retries halfway through a source. So every flow that writes takes a slot of the Prefect global
concurrency limit `warehouse-writer` (limit 1) for its whole run, with `strict=True`: a misspelt or deleted
limit fails the run loudly instead of silently letting writers overlap.

`make schedule` creates the limit on the long-running server. The server-less `make run` starts a temporary
Prefect server whose database has no such limit, so `warehouse_writer` creates it (limit 1) when it is missing
before taking it; creating is idempotent (a concurrent creator's 409 is fine). The slot is held with a lease
that the run renews; if the flow process dies, the lease expires (5 minutes) and the slot frees itself.

Taking the slot is re-entrant within one run: `weekly` holds it and calls `ingest` as a subflow, which would
otherwise wait forever for its own parent.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.objects import ConcurrencyLeaseHolder
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from warehouse import snapshot

WAREHOUSE_WRITER = "warehouse-writer"
WRITER_LIMIT = 1
# How long a run waits for another writer before failing (a web harvest may legitimately take an hour).
WAIT_ENV = "NEWSDIGEST_WRITER_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 3 * 3600

_holding: ContextVar[bool] = ContextVar("newsdigest_warehouse_writer_held", default=False)


def _logger() -> logging.Logger | logging.LoggerAdapter:
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("newsdigest.concurrency")


def ensure_limit(name: str = WAREHOUSE_WRITER, limit: int = WRITER_LIMIT) -> bool:
    """Create the global concurrency limit `name` if the server has none; True when this call created it.

    An existing limit is left as the operator configured it (a warning names a limit other than 1, which would
    let writers overlap again).
    """
    with get_client(sync_client=True) as client:
        try:
            existing = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            existing = None
        if existing is not None:
            if existing.limit != limit or not existing.active:
                _logger().warning("concurrency limit %s is %s with limit %d (expected active, %d): writers may"
                                  " overlap", name, "active" if existing.active else "INACTIVE", existing.limit,
                                  limit)
            return False
        try:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=limit))
        except ObjectAlreadyExists:
            return False
    _logger().info("created global concurrency limit %s (limit %d)", name, limit)
    return True


def _holder() -> ConcurrencyLeaseHolder | None:
    """The flow run taking the slot, so the UI's concurrency page can say which run holds the warehouse."""
    from prefect.runtime import flow_run

    return ConcurrencyLeaseHolder(type="flow_run", id=flow_run.id) if flow_run.id else None


def _wait_seconds() -> float:
    return float(os.environ.get(WAIT_ENV, str(DEFAULT_WAIT_SECONDS)))


@contextmanager
def warehouse_writer(timeout_seconds: float | None = None) -> Iterator[None]:
    """Hold the `warehouse-writer` slot for the block (or, as `@warehouse_writer()`, for a whole flow body).

    Waits up to `timeout_seconds` (default `NEWSDIGEST_WRITER_WAIT_SECONDS`, 3 h) for another run to finish,
    then raises TimeoutError naming the limit, rather than queueing forever behind a stuck run.
    """
    if _holding.get():
        yield
        return
    ensure_limit()
    wait = _wait_seconds() if timeout_seconds is None else timeout_seconds
    logger = _logger()
    started = time.monotonic()
    with ExitStack() as stack:
        try:
            stack.enter_context(concurrency(WAREHOUSE_WRITER, occupy=1, timeout_seconds=wait, strict=True,
                                             holder=_holder()))
        except TimeoutError as exc:
            raise TimeoutError(f"waited {wait:.0f} s for the {WAREHOUSE_WRITER} concurrency slot; another run"
                               f" still writes the warehouse (see `prefect global-concurrency-limit inspect"
                               f" {WAREHOUSE_WRITER}` and the running flow runs in the UI)") from exc
        waited = time.monotonic() - started
        if waited > 1:
            logger.info("waited %.0f s for the %s slot (another run was writing)", waited, WAREHOUSE_WRITER)
        token = _holding.set(True)
        try:
            yield
        finally:
            _holding.reset(token)


@task(name="publish-snapshot", task_run_name="publish snapshot of {warehouse.name}", cache_policy=NO_CACHE)
def publish_snapshot(warehouse: Path) -> str:
    """Refresh the analysts' read-only copy of the warehouse (call it while holding the writer slot), or leave
    it as it is when no analyst data was stored since it was published (`warehouse.snapshot.needs_publish`): a
    run that found nothing new.

    No retries: lock waits are retried inside, and anything else (disk full) will not fix itself in seconds.
    """
    if not snapshot.needs_publish(warehouse):
        target = snapshot.snapshot_path(warehouse)
        _logger().info("read-only snapshot %s left as it is: nothing stored since it was published", target)
        return str(target)
    target = snapshot.publish_snapshot(warehouse)
    _logger().info("published read-only snapshot %s", target)
    return str(target)


def writes_warehouse(fn):
    """Decorator: the whole function body holds the `warehouse-writer` slot. Unlike `@warehouse_writer()`
    (a generator-based context manager kept in the closure), the wrapped flow stays picklable, which
    prefect-dask needs to ship it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warehouse_writer():
            return fn(*args, **kwargs)

    return wrapper
