"""Keep the C heap from hoarding freed page buffers (glibc only; elsewhere every call is a no-op).

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
import sys
from functools import cache


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
