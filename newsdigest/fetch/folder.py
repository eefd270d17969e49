"""Local folder source: .txt/.html/.htm files, optionally gzipped, read recursively in a stable order."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from newsdigest.fetch.base import FetchFailure, FetchResult
from newsdigest.models import RawDocument
from newsdigest.sources import Source

MEDIA_TYPES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}


def media_type_for(name: str) -> str | None:
    """Media type from the file name, looking through a trailing .gz."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return next((mt for ext, mt in MEDIA_TYPES.items() if lower.endswith(ext)), None)


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


class FolderFetcher:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def fetch(self, source: Source) -> Iterator[FetchResult]:
        root = source.path
        if root is None or not root.is_dir():
            yield FetchFailure(source.name, str(root), "SourceMissing", f"folder not found: {root}")
            return
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            uri = path.relative_to(root).as_posix()
            if path.name.startswith("."):
                continue
            media_type = media_type_for(path.name)
            if media_type is None:
                yield FetchFailure(source.name, uri, "UnsupportedFileType",
                                   f"skipped {uri}: only .txt, .html, .htm (optionally .gz) are read")
                continue
            yield self._read(source.name, uri, path, media_type)

    def _read(self, source: str, uri: str, path: Path, media_type: str) -> FetchResult:
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                return FetchFailure(source, uri, "DocumentTooLarge",
                                    f"{uri} is {size:,} bytes, over the {self.max_bytes:,}-byte limit"
                                    " (NEWSDIGEST_MAX_DOCUMENT_BYTES)")
            content = path.read_bytes()
        except OSError as exc:
            return FetchFailure(source, uri, type(exc).__name__, f"cannot read {uri}: {exc}")
        return RawDocument(source=source, uri=uri, content=content, media_type=media_type,
                           fetched_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0))
