"""Memory bounds of the ingest process: the C heap hands freed pages back, DuckDB's buffer pool is capped."""

from __future__ import annotations

import sys
from pathlib import Path

import psutil
import pytest

from newsdigest.memory import limit_heap_growth, release_free_memory
from warehouse.db import DEFAULT_MEMORY_LIMIT, connect

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc controls: Linux only")


def _anonymous_rss() -> int:
    """Resident memory that is not file-backed: what the heap holds. Total RSS also counts resident pages of
    shared libraries and mapped files, which the kernel may drop or fault in at any moment; in one full
    `make test` run total RSS grew by only 141 MiB for 181 MiB of new buffers, and this test failed."""
    info = psutil.Process().memory_info()
    return info.rss - info.shared


def test_freed_page_buffers_go_back_to_the_system():
    assert limit_heap_growth() is True
    before = _anonymous_rss()
    pages = [bytearray(190_000) for _ in range(1_000)]  # ~190 MB of page-sized buffers, as a batch in flight
    for page in pages:
        page[::4096] = b"x" * len(page[::4096])  # touch every memory page
    held = _anonymous_rss()
    del pages
    assert release_free_memory() is True
    after = _anonymous_rss()
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
