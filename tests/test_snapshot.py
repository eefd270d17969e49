"""Writers and analysts around one DuckDB file: one pipeline writer at a time, and a read-only snapshot.

DuckDB allows one writing process and, while it writes, no other process may open the file at all. Flow runs
therefore take the `warehouse-writer` concurrency slot (tasks/concurrency.py), and the pipeline publishes
`<warehouse>-snapshot.duckdb` after each run (warehouse/snapshot.py). The snapshot tests hold real connections
in separate processes, because DuckDB's locks are per process.
"""

from __future__ import annotations

import contextvars
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SEEDS, write_sources
from warehouse.db import connect, open_warehouse
from warehouse.snapshot import mark_unpublished, needs_publish, publish_snapshot, snapshot_path, unpublished_marker

# A process that holds a connection open until told to go on (one line on stdin), printing a count before and after.
HOLDER = textwrap.dedent("""
    import sys, duckdb
    path, mode, sql = sys.argv[1], sys.argv[2], sys.argv[3]
    con = duckdb.connect(path, read_only=(mode == "ro"))
    print("before", con.execute(sql).fetchone()[0], flush=True)
    sys.stdin.readline()
    print("after", con.execute(sql).fetchone()[0], flush=True)
    con.close()
""")


def _hold(path: Path, mode: str, sql: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), mode, sql], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    assert line[:1] == ["before"], f"holder failed to open {path}"
    return proc, int(line[1])


def _release(proc: subprocess.Popen[str]) -> int:
    out, _ = proc.communicate("go\n", timeout=30)
    assert proc.returncode == 0
    return int(out.split()[1])


def _add_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute("INSERT INTO pipeline_runs (run_id, flow_name, started_at, status) VALUES (?, 'test', now(),"
                " 'completed')", [run_id])


def _small_warehouse(path: Path, runs: int) -> None:
    con = open_warehouse(path)
    try:
        for n in range(runs):
            _add_run(con, f"run-{n}")
    finally:
        con.close()


def _read_only_scalar(path: Path, sql: str):
    """One value from a fresh read-only connection, as an analyst would read it."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_snapshot_has_the_tables_views_and_rows(tmp_path: Path):
    live = tmp_path / "warehouse.duckdb"
    _small_warehouse(live, 2)
    target = publish_snapshot(live)
    assert target == snapshot_path(live) == tmp_path / "warehouse-snapshot.duckdb"
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left behind"
    con = duckdb.connect(str(target), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM mart_runs").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM mart_articles").fetchone()[0] == 0
        live_con = duckdb.connect(str(live), read_only=True)
        try:
            assert (con.execute("SELECT version, checksum FROM schema_migrations ORDER BY 1").fetchall()
                    == live_con.execute("SELECT version, checksum FROM schema_migrations ORDER BY 1").fetchall())
        finally:
            live_con.close()
    finally:
        con.close()


def test_read_only_on_the_live_file_waits_for_the_writer(tmp_path: Path):
    live = tmp_path / "warehouse.duckdb"
    _small_warehouse(live, 1)
    writer, _ = _hold(live, "rw", "SELECT count(*) FROM pipeline_runs")
    finisher = threading.Timer(1.5, _release, [writer])  # the writer finishes 1.5 s from now
    try:
        with pytest.raises(duckdb.IOException, match="(?i)lock"):
            connect(live, read_only=True, attempts=1)  # without retrying, an analyst fails at once
        started = time.monotonic()
        finisher.start()
        con = connect(live, read_only=True)  # retries with backoff: opens as soon as the writer is done
        waited = time.monotonic() - started
    finally:
        finisher.join()
        if writer.poll() is None:
            writer.kill()
    try:
        assert con.execute("SELECT count(*) FROM pipeline_runs").fetchone()[0] == 1
    finally:
        con.close()
    assert waited >= 1.0, "the analyst's connection waited for the writer instead of failing"
    publish_snapshot(live)  # the snapshot publisher uses the same wait-and-retry


def test_snapshot_is_published_while_an_analyst_reads_the_live_file(tmp_path: Path):
    """The fast path (checkpoint + byte copy) needs the file to itself; with a reader holding it, the snapshot
    is made through DuckDB's COPY FROM DATABASE instead, and holds the same rows."""
    live = tmp_path / "warehouse.duckdb"
    _small_warehouse(live, 3)
    reader, before = _hold(live, "ro", "SELECT count(*) FROM pipeline_runs")
    try:
        target = publish_snapshot(live)
    finally:
        assert _release(reader) == before == 3
    assert _read_only_scalar(target, "SELECT count(*) FROM mart_runs") == 3


def test_snapshot_copy_equals_the_live_data_after_uncheckpointed_writes(tmp_path: Path):
    """Rows committed but still in the write-ahead log (a connection open in this process) are in the copy."""
    live = tmp_path / "warehouse.duckdb"
    _small_warehouse(live, 1)
    con = open_warehouse(live)
    try:
        con.execute("SET wal_autocheckpoint = '1GB'")
        _add_run(con, "late")
        target = publish_snapshot(live)  # the live connection stays open meanwhile
    finally:
        con.close()
    assert _read_only_scalar(target, "SELECT count(*) FROM pipeline_runs WHERE run_id = 'late'") == 1


def test_unchanged_warehouse_keeps_its_snapshot_and_a_write_refreshes_it(tmp_path: Path):
    """An unchanged run does not copy the warehouse again; the next write (even one row) is published."""
    live = tmp_path / "warehouse.duckdb"
    _small_warehouse(live, 1)
    target = publish_snapshot(live)
    first = target.stat()
    time.sleep(0.02)
    con = open_warehouse(live)  # open, read, checkpoint, close: nothing written
    try:
        con.execute("SELECT count(*) FROM pipeline_runs").fetchone()
    finally:
        con.close()
    assert publish_snapshot(live) == target
    again = target.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)  # the same file, not a copy
    con = open_warehouse(live)
    try:
        _add_run(con, "later")
    finally:
        con.close()
    publish_snapshot(live)
    assert target.stat().st_ino != first.st_ino
    assert _read_only_scalar(target, "SELECT count(*) FROM pipeline_runs WHERE run_id = 'later'") == 1


def test_unpublished_marker_says_when_a_publish_is_due(tmp_path: Path):
    """No snapshot yet, or data marked since the last publish: due; a publish (copy or not) clears the mark."""
    live = tmp_path / "warehouse.duckdb"
    _small_warehouse(live, 1)
    assert needs_publish(live)  # no snapshot yet
    publish_snapshot(live)
    assert not needs_publish(live)
    mark_unpublished(live)
    assert unpublished_marker(live).exists() and needs_publish(live)
    publish_snapshot(live)  # nothing changed in the file: the snapshot is current, and the mark goes
    assert not unpublished_marker(live).exists() and not needs_publish(live)
    snapshot_path(live).unlink()
    assert needs_publish(live)


def test_a_schema_change_is_due_for_publishing(tmp_path: Path):
    """New migrations or changed views reach the snapshot even when the run that applies them stores nothing."""
    live = tmp_path / "warehouse.duckdb"
    _small_warehouse(live, 1)
    publish_snapshot(live)
    con = connect(live)
    try:
        con.execute("DELETE FROM schema_views")  # as if a view's SQL had changed since the last open
    finally:
        con.close()
    unpublished_marker(live).unlink(missing_ok=True)
    open_warehouse(live).close()  # re-creates the views
    assert unpublished_marker(live).exists() and needs_publish(live)


@pytest.mark.usefixtures("prefect_harness")
def test_writer_run_succeeds_while_an_analyst_reads_the_snapshot(tmp_path: Path):
    from flows.ingest import ingest

    folder = tmp_path / "in"
    folder.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for seed in seeds[:2]:
        shutil.copy(seed, folder / seed.name)
    sources = write_sources(tmp_path / "sources.toml", folder)
    live = tmp_path / "warehouse.duckdb"
    ingest(sources_file=str(sources), warehouse=str(live))
    snapshot = snapshot_path(live)

    analyst, before = _hold(snapshot, "ro", "SELECT count(*) FROM mart_articles")
    try:
        for seed in seeds[2:]:
            shutil.copy(seed, folder / seed.name)
        result = ingest(sources_file=str(sources), warehouse=str(live))  # writes, then replaces the snapshot
    finally:
        after_in_old_session = _release(analyst)
    assert before == 2 and result["totals"]["articles_new"] == 3
    assert after_in_old_session == 2, "an open analyst session keeps reading the snapshot it opened"
    assert _read_only_scalar(snapshot, "SELECT count(*) FROM mart_articles") == 5, "a new session sees the run"


@pytest.mark.usefixtures("prefect_harness")
def test_one_writer_at_a_time():
    from tasks.concurrency import warehouse_writer

    outcome: list[BaseException | None] = []

    def second_writer() -> None:
        try:
            with warehouse_writer(timeout_seconds=2):
                outcome.append(None)
        except TimeoutError as exc:
            outcome.append(exc)

    context = contextvars.copy_context()  # the Prefect settings of the harness, taken before holding the slot
    with warehouse_writer():  # creates the limit on this (temporary) server, like `make run`
        with warehouse_writer():  # re-entrant: weekly holds the slot and calls ingest, which takes it again
            pass
        other = threading.Thread(target=context.run, args=(second_writer,))
        other.start()
        other.join()
    assert isinstance(outcome[0], TimeoutError) and "warehouse-writer" in str(outcome[0])
    started = time.monotonic()
    with warehouse_writer(timeout_seconds=10):  # released: the next writer gets it at once
        assert time.monotonic() - started < 5
