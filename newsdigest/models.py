"""Plain data passed between pipeline stages.

Stages (load/fetch -> extract -> dedupe -> store -> digest) exchange these dataclasses only, so every stage
can be tested without Prefect or DuckDB and run unchanged inside a task, a process pool or a Dask worker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsdigest.fingerprint import Fingerprint
    from newsdigest.scoring import Scores

# Where a publication date came from. "none" means no trustworthy date was found (published_at is None).
DATE_SOURCES = ("jsonld", "meta", "url", "dateline", "feed", "html", "text", "none")


@dataclass(frozen=True)
class ListingHints:
    """What a feed or sitemap said about a page; fills what the page itself lacks (date_source "feed")."""

    title: str | None = None
    published: datetime | None = None  # naive UTC
    author: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class HttpMeta:
    """The HTTP answer a page came with: archived with its bytes, validators kept for conditional GET."""

    status: int
    final_url: str | None
    headers: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


@dataclass(frozen=True)
class RawDocument:
    """One input exactly as received: the bytes are archived unchanged (gzip files stay gzipped)."""

    source: str  # name of the configured source, e.g. "seeds"
    uri: str  # stable locator within the source: relative path for folders, URL for the web
    content: bytes
    media_type: str  # "text/plain" or "text/html" (after looking inside gzip); other types are rejected
    fetched_at: datetime  # when the pipeline read or downloaded it (UTC, naive)
    url: str | None = None  # the page's public address, when known (the final URL after redirects)
    charset: str | None = None  # charset declared by the server (HTTP Content-Type), a hint for decoding
    hints: ListingHints | None = None  # the feed/sitemap entry that listed this page, when there was one
    http: HttpMeta | None = None  # how the page was fetched (web sources only)

    @cached_property
    def sha256(self) -> str:  # read several times per page (select, store, logs): hash ~190 KB once
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class DateFinding:
    """A publication date and the evidence it came from; value None means 'unknown', never a guess."""

    value: datetime | None
    source: str = "none"  # one of DATE_SOURCES
    has_time: bool = False  # False when only the day is known (value is then at 00:00)


NO_DATE = DateFinding(None, "none", False)


@dataclass
class Extraction:
    """What the pipeline extracts from one document (the `extract --json` output)."""

    title: str | None
    paragraphs: list[str]
    published: DateFinding = NO_DATE
    site: str | None = None  # outlet that published the page, when stated
    agency: str | None = None  # wire agency whose copy it is (Interfax, Reuters, ...), when stated
    authors: list[str] = field(default_factory=list)
    language: str | None = None  # ISO 639-1 code
    canonical_url: str | None = None
    url: str | None = None
    lead: str | None = None  # standfirst/summary when distinct from the body

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


class ExtractionError(Exception):
    """A document that cannot become an article; the message says why, for the operator's log."""


@dataclass
class ExtractedDocument:
    """One document after extraction: either an extraction with its dedup fingerprint, or an error."""

    doc: RawDocument
    extraction: Extraction | None = None
    fingerprint: Fingerprint | None = None
    error_class: str | None = None
    error: str | None = None
    note: str | None = None  # non-fatal problem worth a log line (e.g. a guessed encoding)
    extractor: str = "unknown"  # extractor name and version, stored with the article version
    scores: Scores | None = None  # entities and relevance, when scored where it was extracted (newsdigest/scoring.py)

    @property
    def ok(self) -> bool:
        return self.extraction is not None
