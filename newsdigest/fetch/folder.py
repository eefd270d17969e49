"""Local folder source: .txt/.html/.htm files, optionally gzipped, read recursively in a stable order."""

from __future__ import annotations

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
