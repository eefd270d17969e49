"""Opening the warehouse: connection with lock retry, versioned migrations, and the analyst views.

Migrations (`migrations/NNNN_name.sql`) are applied once each, in order, inside a transaction, and their
checksums are recorded so an edited, already-applied migration is refused instead of silently diverging.
Views (`models/staging`, then `models/marts`) hold no data, so they are re-created on every start.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb

HERE = Path(__file__).resolve().parent
MIGRATIONS = HERE / "migrations"
MODEL_LAYERS = (HERE / "models" / "staging", HERE / "models" / "marts")
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    pass


# Opening a file creates DuckDB's database instance when no connection of this process holds it yet, and
# duckdb-python registers its Arrow scan function on that instance only after the instance is visible to other
# threads. Two threads connecting at that moment let the second one see a half-made instance: its next
# `register()` fails with "Table Function with name python_arrow_scan does not exist", or the open fails with
# ResourceInUseException ("Unique file handle conflict"). Reproduced with 8 threads connecting at a barrier
# (tests/test_warehouse_threads.py); serialising `duckdb.connect` within the process removes both.
_CONNECT_LOCK = threading.Lock()


# DuckDB's buffer pool may grow to 80 % of the machine's memory, and it keeps the blocks of a growing warehouse
# cached: in the N = 10,000 pipeline benchmark the flow's process peaked at 1,965 MiB with the default and at
# 1,458 MiB with 256MB (bench/pipeline.py, one run each, docs/performance.md). Our statements are batch inserts
# and lookups; larger operators spill to disk. Raise it with NEWSDIGEST_DUCKDB_MEMORY_LIMIT for heavy analyst SQL.
DEFAULT_MEMORY_LIMIT = "256MB"

# How much write-ahead log DuckDB collects before it checkpoints on its own (its default: 16MB). Why larger: a
# table's rows go into one row group of up to 122,880 rows, and every checkpoint rewrites the row group it
# appended to, raw page archive included, leaving the old blocks free in the file. With 16MB that happened
# every ~2 store batches: at 2,000 articles the file was 168 MiB of which 80 MiB free blocks, the inserts cost
# 1.28 CPU ms/page and the snapshot (checkpoint + byte copy) 1.55 s; with 256MB, 88 MiB, no free blocks, 0.79
# ms/page and 0.49 s; at 10,000 articles 558 -> 409 MiB and 1.30 -> 1.02 ms/page (the store stage alone,
# replayed from pickled extractions, one run each). The log is checkpointed anyway when a run publishes its
# snapshot or closes the file; a crash leaves at most this much log to replay on the next open.
DEFAULT_CHECKPOINT_THRESHOLD = "256MB"


def _config() -> dict[str, str]:
    """Same for every connection of the process (DuckDB refuses a second configuration for an open file)."""
    return {"memory_limit": os.environ.get("NEWSDIGEST_DUCKDB_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT,
            "checkpoint_threshold": os.environ.get("NEWSDIGEST_DUCKDB_CHECKPOINT_THRESHOLD", "").strip()
            or DEFAULT_CHECKPOINT_THRESHOLD}


T = TypeVar("T")


def _locked(exc: BaseException) -> bool:
    """DuckDB's answer when another process holds the file's write lock (IOException "Could not set lock");
    ResourceInUse is kept as a safety net for an instance of this process still being torn down by a thread."""
    return isinstance(exc, duckdb.ResourceInUseException) or (
        isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower())


def retry_while_locked(work: Callable[[], T], attempts: int) -> T:
    """`work()`, retried with backoff (0.25 s, doubling, at most 5 s between tries) while the DuckDB file is
    locked by another process; any other error, or the last attempt's, is raised. Shared by `connect` and
    `warehouse.snapshot`, so every way into the file waits for a writer the same way."""
    delay = 0.25
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except (duckdb.IOException, duckdb.ResourceInUseException) as exc:
            if not _locked(exc) or attempt == attempts:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


def connect(path: Path, read_only: bool = False, attempts: int = 8) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, retrying with backoff while another process holds the write lock."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)

    def open_file() -> duckdb.DuckDBPyConnection:
        with _CONNECT_LOCK:
            return duckdb.connect(str(path), read_only=read_only, config=_config())

    return retry_while_locked(open_file, attempts)


# Tasks of one flow run share a process and open their own connections from worker threads. DuckDB's
# optimistic concurrency would make two such writers conflict (catalog or row write-write conflicts), so
# writes and schema set-up are serialised within the process; each transaction is short.
# Also taken by warehouse.snapshot: its checkpointed byte copy must not race a commit of this process.
WRITE_LOCK = threading.RLock()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing: a crash or error inside leaves no half-written rows."""
    with WRITE_LOCK:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: object) -> Iterator[str]:
    """Expose an Arrow table to SQL as `name` for the duration of the block.

    If the block fails, the transaction may already be aborted and unregistering would raise its own error
    ("transaction is aborted"), hiding the real one; so only a clean exit lets an unregister error through.
    """
    con.register(name, table)
    failed = False
    try:
        yield name
    except BaseException:
        failed = True
        raise
    finally:
        try:
            con.unregister(name)
        except duckdb.Error:
            if not failed:
                raise


def migration_files() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append((int(match.group(1)), match.group(2), path))
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations, then (re)create views. Returns the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    applied = {v: c for v, c in con.execute("SELECT version, checksum FROM schema_migrations").fetchall()}
    done = []
    for version, name, path in migration_files():
        sql = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if version in applied:
            if applied[version] != checksum:
                raise MigrationError(
                    f"migration {path.name} was edited after it was applied; add a new migration instead"
                )
            continue
        with transaction(con):
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                [version, name, checksum, datetime.now(UTC).replace(tzinfo=None)],
            )
        done.append(version)
    create_views(con)
    return done


def model_files() -> list[Path]:
    return [p for layer in MODEL_LAYERS for p in sorted(layer.glob("*.sql"))]


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    with transaction(con):
        for path in model_files():
            con.execute(f"CREATE OR REPLACE VIEW {path.stem} AS\n{path.read_text(encoding='utf-8')}")
        # which model files the views were made from (metadata, not a migration: views are never data)
        con.execute("CREATE TABLE IF NOT EXISTS schema_views (checksum VARCHAR NOT NULL)")
        con.execute("DELETE FROM schema_views")
        con.execute("INSERT INTO schema_views VALUES (?)", [views_checksum()])


def _up_to_date(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every migration is applied and every view exists with the SQL of its model file.

    Re-creating views on every open would be DDL racing with other threads' queries (tasks of one flow run
    open their own connections concurrently); checking first makes the common open a read.
    """
    try:
        applied = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    except duckdb.CatalogException:
        return False
    if applied != {version for version, _, _ in migration_files()}:
        return False
    try:
        stored = con.execute("SELECT checksum FROM schema_views").fetchall()
    except duckdb.CatalogException:
        return False
    return stored == [(views_checksum(),)]


def views_checksum() -> str:
    """One hash of every model file: the views are re-created when any of them changes."""
    digest = hashlib.sha256()
    for path in model_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A writable connection with the schema up to date."""
    con = connect(path)
    try:
        with WRITE_LOCK:
            if not _up_to_date(con):
                from warehouse.snapshot import mark_unpublished  # here: snapshot.py imports this module

                mark_unpublished(Path(path))  # new tables or views must reach the analysts' snapshot too
                migrate(con)
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def keep_open(path: Path) -> Iterator[None]:
    """Hold the warehouse's database instance open in this process for the block.

    Why: tasks open and close their own connections, and closing the last connection of a process closes
    DuckDB's instance, which checkpoints the file; the next open reads the catalog and checks migrations
    again. In the ingest flow that happened for every select and store batch: 16 % of the flow process's busy
    CPU samples in the N = 2,000 pipeline benchmark (py-spy). With one connection held, the others come and go
    on the same instance, and DuckDB checkpoints when its log passes `wal_autocheckpoint` and at the end.
    """
    con = open_warehouse(path)
    try:
        yield
    finally:
        con.close()


def data_tests() -> list[Path]:
    return sorted((HERE / "tests").glob("*.sql"))


def run_data_tests(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """dbt-style data tests: each query returns offending rows; returns {test name: failing row count}."""
    return {p.stem: len(con.execute(p.read_text(encoding="utf-8")).fetchall()) for p in data_tests()}
