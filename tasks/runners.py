"""Which task runner executes the extract stage: local threads over a process pool, or a Dask cluster.

Why a separate runner for one stage and not the flow's own: the other tasks (harvest, select-new, store) open
the DuckDB file, which one process at a time may hold for writing; they must stay in the flow's process. Only
extraction (and the MinHash fingerprints computed with it) is pure CPU on plain data, so only it is sent to
Dask. The flow enters this runner around its batch loop and submits `extract_batch` to it (see
`tasks.ingest.extract_and_store`).

* `NEWSDIGEST_DASK_ADDRESS` unset: a `ThreadPoolTaskRunner` with a few threads, each waiting on the process
  pool of `newsdigest.parallel` (so several batches are in flight and every core stays busy while the flow's
  thread stores finished batches).
* `NEWSDIGEST_DASK_ADDRESS=tcp://host:8786`: prefect-dask's `DaskTaskRunner` connected to that scheduler.
  Workers must run this project's code and environment (same package versions), reach the Prefect API
  (`PREFECT_API_URL`), and need nothing else: no warehouse, no network. Run one single-threaded worker
  process per core (`dask worker ADDRESS --nworkers N --nthreads 1`): extraction holds the GIL.
"""

from __future__ import annotations

import os

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

DASK_ADDRESS_ENV = "NEWSDIGEST_DASK_ADDRESS"
LOCAL_BATCHES_IN_FLIGHT = 2  # batches extracting while one is stored: enough to keep the pool fed


def dask_address() -> str | None:
    value = os.environ.get(DASK_ADDRESS_ENV, "").strip()
    return value or None


def extract_task_runner(address: str | None = None) -> TaskRunner:
    """A fresh (not yet entered) runner for `extract_batch`; use it as `with extract_task_runner() as r:`."""
    address = address or dask_address()
    if address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=address)
    return ThreadPoolTaskRunner(max_workers=LOCAL_BATCHES_IN_FLIGHT)


def batches_in_flight(runner: TaskRunner) -> int:
    """How many extract batches to keep submitted ahead of the store: bounds memory, keeps workers busy."""
    if isinstance(runner, ThreadPoolTaskRunner):
        return LOCAL_BATCHES_IN_FLIGHT
    try:
        workers = sum(runner.client.nthreads().values())  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - an unknown runner or a scheduler that does not answer: be modest
        workers = 2
    return max(2, workers + 1)
