"""Gzipped documents at rest (a folder's .gz files, a page stored compressed): detect and unpack, capped.

Its own module, not part of `newsdigest.fetch.folder`, because the extraction workers need it: importing it
from the folder fetcher pulled the fetch settings, httpx and rich into every worker (~90 ms of each worker's
~340 ms import, `python -X importtime`).
"""

from __future__ import annotations

import gzip


def is_gzip(content: bytes) -> bool:
    return content[:2] == b"\x1f\x8b"


def gunzip_capped(content: bytes, max_bytes: int) -> bytes:
    """Decompress, refusing to expand past max_bytes (a gzip bomb must not exhaust memory)."""
    with gzip.GzipFile(fileobj=_BytesReader(content)) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"gzip expands past the {max_bytes:,}-byte limit")
    return data


class _BytesReader:
    """Minimal file object over bytes (io.BytesIO would copy large inputs once more)."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._view) if n < 0 else min(len(self._view), self._pos + n)
        chunk = self._view[self._pos : end].tobytes()
        self._pos = end
        return chunk
