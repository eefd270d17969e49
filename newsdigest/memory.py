"""Keep the C heap from hoarding freed page buffers (glibc only; elsewhere every call is a no-op), and keep the
garbage collector off the process's long-lived objects during an ingest run (`gc_frozen`).

Why: ingestion churns through ~190 KB page bodies, decoded strings and Arrow buffers from several threads.
glibc raises its mmap threshold after such blocks are freed (up to 32 MiB), so later ones come from per-thread
arenas, and freed arena memory stays in the process: in the N = 2,000 pipeline benchmark the flow's process
held 733 MiB at the end of ingestion, of which live Python objects were a few tens of MiB and
`malloc_trim(0)` gave 274 MiB back to the system at once (measured with `gc.get_objects` and psutil).
So the flow's process trims after each stored batch, and extraction workers every few chunks.

Pinning the mmap threshold at 128 KiB (big buffers in their own mappings) was tried as well and dropped: every
page-sized buffer then cost a fresh mapping, faulted in and unmapped, 1.2-1.5 ms of system time per page in the
workers and ~1 s per 2,000 pages in the flow's process, and the trims alone kept the peaks as low (flow process
900 vs 942 MiB at N = 2,000, workers 87 vs 87 MiB; docs/performance.md, round 4).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

_freeze_lock = threading.Lock()
_freeze_depth = 0


@cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim  # noqa: B018 - musl and others lack it: then do nothing
    except (OSError, AttributeError):
        return None
    return libc


def release_free_memory() -> bool:
    """Give freed heap memory back to the system now; True if the C library supports it."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Leave the objects that exist now (imported modules, classes, Prefect's and pydantic's machinery: ~400k in
    the ingest flow's process) out of the cyclic garbage collector's full passes while the block runs.

    Why: an ingest run allocates steadily (pages, rows, Prefect's state objects), which triggers full (oldest
    generation) collections, and each walked every one of those long-lived objects again: 7 full passes, 0.99 s
    of thread CPU in the flow's process over a 2,000-page benchmark run, 0.53 s with them frozen (`gc.callbacks`
    timing every collection; ~0.2 ms per page, the run's own objects, the dedup index above all, are still
    walked). The extraction workers collect ~0.06 ms per page and are left alone. Nothing that exists
    at the start of an ingest run becomes garbage during it in any amount that matters, so they are frozen
    (`gc.freeze`) for the block and handed back to the collector (`gc.unfreeze`) at its end; a process running
    many flows (a served deployment, the tests) does not accumulate frozen objects. Nested blocks unfreeze
    only at the outermost exit.
    """
    global _freeze_depth
    with _freeze_lock:
        _freeze_depth += 1
        if _freeze_depth == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _freeze_lock:
            _freeze_depth -= 1
            if _freeze_depth == 0:
                gc.unfreeze()
