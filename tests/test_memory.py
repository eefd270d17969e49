"""Memory bounds of the ingest process: the C heap hands freed pages back, DuckDB's buffer pool is capped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.db import DEFAULT_CHECKPOINT_THRESHOLD, DEFAULT_MEMORY_LIMIT, connect

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc controls: Linux only")


# Run in a fresh interpreter: twice in full `make test` runs, measured inside the test process, the growth for
# 181 MiB of new buffers was only 141-144 MiB (total and anonymous RSS alike) and the test failed, though it
# passes alone. The cause was not established (threads left by earlier tests - Prefect's services, event loops -
# freeing memory during the measurement is one candidate); a fresh process measures the mechanism alone.
_MEASURE = """
import json, psutil
from newsdigest.memory import release_free_memory
rss = lambda: psutil.Process().memory_info().rss
before = rss()
for batch in range(3):  # after the first free, glibc raises its mmap threshold: later batches come from the heap
    pages = [bytearray(190_000) for _ in range(1_000)]  # ~190 MB of page-sized buffers, as a batch in flight
    for page in pages:
        page[::4096] = b"x" * len(page[::4096])  # touch every memory page
    held = rss()
    del pages
assert release_free_memory() is True
print(json.dumps({"before": before, "held": held, "after": rss()}))
"""


def test_freed_page_buffers_go_back_to_the_system():
    out = subprocess.run([sys.executable, "-c", _MEASURE], capture_output=True, text=True, check=True).stdout
    rss = json.loads(out)
    before, held, after = rss["before"], rss["held"], rss["after"]
    assert held - before > 150 * 2**20
    assert after - before < 40 * 2**20, f"{(after - before) / 2**20:.0f} MiB kept after freeing 190 MB"


def test_connections_cap_duckdb_memory(tmp_path: Path, monkeypatch):
    con = connect(tmp_path / "w.duckdb")
    try:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()
    assert DEFAULT_MEMORY_LIMIT == "256MB" and limit.replace(" ", "") in ("256.0MB", "244.1MiB", "256MB")
    monkeypatch.setenv("NEWSDIGEST_DUCKDB_MEMORY_LIMIT", "1GB")
    con = connect(tmp_path / "w.duckdb")
    try:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0].replace(" ", "") in (
            "1.0GB", "953.6MiB", "1GB")
    finally:
        con.close()


def test_connections_checkpoint_rarely(tmp_path: Path, monkeypatch):
    """A 256MB log before DuckDB checkpoints on its own: small store batches then append without rewriting the
    row group (and the raw archive in it) at every other batch. A CHECKPOINT still empties the log."""
    path = tmp_path / "w.duckdb"
    con = connect(path)
    try:
        setting = con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0].replace(" ", "")
        assert DEFAULT_CHECKPOINT_THRESHOLD == "256MB" and setting in ("256.0MB", "244.1MiB", "256MB")
        con.execute("CREATE TABLE t AS SELECT repeat('x', 1000) || range AS s FROM range(30000)")  # ~30 MB of log
        wal = Path(f"{path}.wal")
        assert wal.exists() and wal.stat().st_size > 16 * 2**20  # DuckDB's default (16MB) would have checkpointed
        con.execute("CHECKPOINT")
        assert not wal.exists() or wal.stat().st_size == 0
    finally:
        con.close()
    monkeypatch.setenv("NEWSDIGEST_DUCKDB_CHECKPOINT_THRESHOLD", "16MB")
    con = connect(tmp_path / "other.duckdb")
    try:
        assert con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0].replace(" ", "") in (
            "16.0MB", "15.2MiB", "16MB")
    finally:
        con.close()


def test_gc_frozen_keeps_old_objects_out_of_collections_until_the_outermost_exit():
    import gc
    import weakref

    from newsdigest.memory import gc_frozen

    class Node:
        def __init__(self) -> None:
            self.me = self  # a reference cycle: only the cyclic collector can free it

    def garbage_cycle() -> weakref.ref:
        return weakref.ref(Node())  # unreachable at once, but alive until a collection finds it

    assert gc.get_freeze_count() == 0
    gc.disable()  # no automatic collection may take `old` before the freeze; gc.collect() below still runs
    try:
        old = garbage_cycle()  # exists when the block starts, like the modules and classes of a flow process
        with gc_frozen():
            assert gc.get_freeze_count() > 1000  # the modules, classes and functions loaded so far
            new = garbage_cycle()  # made during the run: still collected
            gc.collect()
            assert new() is None
            assert old() is not None  # frozen: full passes do not walk it
            with gc_frozen():  # the weekly flow's ingest subflow inside the weekly flow, or two runs in threads
                pass
            gc.collect()
            assert old() is not None  # the inner block's end does not unfreeze the outer block's objects
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert old() is None  # handed back to the collector at the outermost exit
    finally:
        gc.enable()


def test_gc_frozen_unfreezes_when_the_run_fails():
    import gc

    from newsdigest.memory import gc_frozen

    with pytest.raises(RuntimeError), gc_frozen():
        raise RuntimeError("ingest failed")
    assert gc.get_freeze_count() == 0
