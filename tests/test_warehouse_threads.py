"""Tasks of one flow run open the warehouse from worker threads at the same moment; that must never fail.

Regression test for a CI failure: the first connections of a process to a DuckDB file raced on creating the
database instance, and a thread's `register()` then failed with "Table Function with name python_arrow_scan
does not exist" (or the open with ResourceInUseException). With the open unserialised this test failed in each
of 3 runs (1 to 10 of its 800 rounds); `warehouse.db.connect` serialises the open and it passes.
"""

from __future__ import annotations

import threading
from datetime import datetime

from warehouse import store
from warehouse.db import connect, open_warehouse

THREADS = 8
ROUNDS = 100


def test_threads_opening_the_warehouse_at_once_all_write(tmp_path):
    path = tmp_path / "w.duckdb"
    open_warehouse(path).close()
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        for i in range(ROUNDS):
            barrier.wait()  # all threads open together, after all closed: the instance is re-created each round
            try:
                con = connect(path)
                try:
                    # a read that registers an Arrow table outside the write lock, as the "select new" task does
                    assert store.known_locations(con, [("s", f"u{i}", "0" * 64)]) == set()
                    store.record_errors(con, [{"run_id": f"t{n}", "source": "s", "uri": f"u{i}", "stage": "fetch",
                                               "error_class": "X", "message": "m", "sha256": None,
                                               "logged_at": datetime(2026, 1, 1)}])
                finally:
                    con.close()
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)
            barrier.wait()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    con = connect(path, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM run_errors").fetchone()[0] == THREADS * ROUNDS
    finally:
        con.close()
