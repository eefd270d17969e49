"""The one interface every input path implements: a source in, raw documents (or failures) out.

Implementations: `FolderFetcher` (local files). Which one serves a source is chosen by its `kind` through
`fetcher_for`, so flows never branch on where bytes come from and tests can swap in a loopback site.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from newsdigest.models import RawDocument
from newsdigest.settings import Settings
from newsdigest.sources import Source


@dataclass(frozen=True)
class FetchFailure:
    """An input that could not be read; recorded in the run's errors, never fatal to the run."""

    source: str
    uri: str
    error_class: str
    message: str


FetchResult = RawDocument | FetchFailure


class Fetcher(Protocol):
    def fetch(self, source: Source) -> Iterator[FetchResult]: ...


def fetcher_for(source: Source, settings: Settings) -> Fetcher:
    if source.kind == "folder":
        from newsdigest.fetch.folder import FolderFetcher

        return FolderFetcher(max_bytes=settings.max_document_bytes)
    raise ValueError(f"no fetcher for source kind {source.kind!r}")
