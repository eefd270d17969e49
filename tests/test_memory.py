"""Memory bounds of the ingest process: the C heap hands freed pages back, DuckDB's buffer pool is capped."""

from __future__ import annotations

import sys
from pathlib import Path

import psutil
import pytest

from newsdigest.memory import limit_heap_growth, release_free_memory
from warehouse.db import DEFAULT_MEMORY_LIMIT, connect

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc controls: Linux only")


def test_freed_page_buffers_go_back_to_the_system():
    assert limit_heap_growth() is True
    before = psutil.Process().memory_info().rss
    pages = [bytearray(190_000) for _ in range(1_000)]  # ~190 MB of page-sized buffers, as a batch in flight
    for page in pages:
        page[::4096] = b"x" * len(page[::4096])  # touch every memory page
    held = psutil.Process().memory_info().rss
    del pages
    assert release_free_memory() is True
    after = psutil.Process().memory_info().rss
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
