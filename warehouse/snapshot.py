"""Read-only snapshots of the warehouse for analysts, published after each pipeline run.

DuckDB lets one process write a database file, and while it writes nobody else can even open the file
read-only. A scheduled pipeline writes several times an hour when web sources are busy, so analysts would keep
hitting lock errors on the live file. Instead each run ends by publishing a copy, `<warehouse>-snapshot.duckdb`
next to the live file (`var/warehouse-snapshot.duckdb` by default), which no pipeline process ever opens for
writing:

    duckdb -readonly var/warehouse-snapshot.duckdb
    .venv/bin/newsdigest query --warehouse var/warehouse-snapshot.duckdb "SELECT ..."

The copy is made by DuckDB itself (`COPY FROM DATABASE`, tables and views, consistent even if a write-ahead
log is pending) into a temporary file, which then replaces the previous snapshot with an atomic rename. An
analyst who has the old snapshot open keeps reading the old file undisturbed (POSIX rename semantics); the next
connection sees the new one. Nothing here knows Prefect; the flows call `publish_snapshot` while they hold the
warehouse-writer concurrency slot, so no pipeline write can interleave with the copy.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

SNAPSHOT_SUFFIX = "-snapshot"


def snapshot_path(warehouse: Path) -> Path:
    """Where the snapshot of `warehouse` lives: beside it, `<stem>-snapshot<suffix>`."""
    return warehouse.with_name(f"{warehouse.stem}{SNAPSHOT_SUFFIX}{warehouse.suffix or '.duckdb'}")


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def publish_snapshot(warehouse: Path, target: Path | None = None, attempts: int = 8) -> Path:
    """Copy `warehouse` to `target` (default `snapshot_path(warehouse)`) atomically; return the target.

    Retries with backoff while another process holds the live file's write lock, like `warehouse.db.connect`.
    """
    target = target or snapshot_path(warehouse)
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: nothing to snapshot")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    delay = 0.25
    for attempt in range(1, attempts + 1):
        con = duckdb.connect()  # in-memory: attaches the live file read-only and the new copy read-write
        try:
            con.execute(f"ATTACH {_quote(warehouse)} AS live (READ_ONLY)")
            con.execute(f"ATTACH {_quote(tmp)} AS snap")
            con.execute("COPY FROM DATABASE live TO snap")
            con.execute("DETACH snap")
            break
        except duckdb.IOException as exc:
            tmp.unlink(missing_ok=True)
            if "lock" not in str(exc).lower() or attempt == attempts:
                raise
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            con.close()
        time.sleep(delay)
        delay = min(delay * 2, 5.0)
    Path(f"{tmp}.wal").unlink(missing_ok=True)
    tmp.replace(target)
    return target
