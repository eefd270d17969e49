"""Web sources (feed, sitemap, urls, homepage) to raw documents, through the polite HTTP client.

One call harvests one source: list the article URLs (feed items, sitemap entries, the URL list, or feeds
discovered on a home page), canonicalise and de-duplicate them, then fetch the pages with conditional GET.
Warehouse state comes in as plain data (`CacheEntry` per URL, pending retries) and everything the warehouse
should record goes out in a `WebHarvest` (documents, failures, one log row per HTTP attempt, validators,
feed entries, gone pages), so this module never touches DuckDB and tests drive it against a loopback site.

Pages are fetched through a sliding window of `window` listed URLs and, when the caller passes `emit`, handed
over in listed order in chunks of up to `window` documents as soon as they arrive, instead of all at the end:
memory then stays bounded by the window, not by the size of the source (10,000 pages of ~190 KB would be
~2 GB held at once), and the caller extracts one chunk while the next is being fetched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from newsdigest.feeds import FeedError, discover_feeds, parse_feed, parse_sitemap
from newsdigest.fetch.base import FetchFailure
from newsdigest.fetch.http_client import HttpClient, HttpRequest, HttpResponse, HttpSettings
from newsdigest.models import HttpMeta, ListingHints, RawDocument
from newsdigest.sources import Source
from newsdigest.urls import canonicalize_url

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json, " \
              "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.5"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
GONE = {404, 410}
MAX_DISCOVERED_FEEDS = 3
DEFAULT_MAX_SITEMAPS = 20


@dataclass(frozen=True)
class CacheEntry:
    """Validators from the last successful fetch of a URL (sent back for a conditional GET)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Listed:
    """One article URL a source listed, with what the listing said about it."""

    url: str  # canonicalised: the URL we fetch and the document's `uri`
    listed_as: str  # exactly as the feed/sitemap/list gave it
    hints: ListingHints | None = None


@dataclass(frozen=True)
class ListingBody:
    """A feed, sitemap or home page as received: archived like page bodies, so listings can be re-parsed."""

    url: str
    final_url: str
    status: int
    media_type: str
    content: bytes
    headers: dict[str, str] = field(hash=False, compare=False)


@dataclass
class WebHarvest:
    source: str
    documents: list[RawDocument] = field(default_factory=list)
    failures: list[FetchFailure] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)  # fetch_log rows without run_id
    validators: list[dict] = field(default_factory=list)  # http_cache rows for feeds, sitemaps and 304s
    listed: list[Listed] = field(default_factory=list)
    gone: list[tuple[str, int]] = field(default_factory=list)  # (url, status) of pages answering 404/410
    not_modified: int = 0  # conditional requests answered 304
    shared: int = 0  # listed pages another source fetches in this run
    listing_bodies: list[ListingBody] = field(default_factory=list)  # feeds/sitemaps/home pages answered 200
    fetched: int = 0  # pages answered 200 with HTML (kept in `documents`, or handed to `emit`)

    @property
    def counts(self) -> dict[str, int]:
        return {"listed": len(self.listed), "fetched": self.fetched, "not_modified": self.not_modified,
                "failed": len(self.failures), "gone": len(self.gone), "shared": self.shared}


def settings_for_source(base: HttpSettings, source: Source) -> HttpSettings:
    """Per-source limits from the sources file override the global HTTP settings."""
    options = source.options
    settings = base
    if "per_host_delay" in options:
        settings = replace(settings, per_host_delay=options["per_host_delay"])
    if "timeout" in options:
        settings = replace(settings, read_timeout=options["timeout"], connect_timeout=min(
            settings.connect_timeout, options["timeout"]))
    return settings


Claim = Callable[[list[str]], set[str]]
Emit = Callable[[list[RawDocument]], None]
DEFAULT_WINDOW = 200
# The first chunk handed over is this small and each next one twice the last, up to `window`: extraction starts
# after ~25 pages instead of a full window, and keeps being fed while the pipeline fills (with one 200-page chunk
# after the first 25, bench/pipeline.py's two cores idled ~0.6 s while it was fetched: the workers had finished the
# 25 and waited for the 200), while later chunks stay large (one extract and one store task run per few hundred
# pages; each task run costs ~50 ms of CPU with the Prefect server). A harvest that starts while the pipeline is
# already busy (the next source on a host) passes `first_chunk=None` and hands over whole windows from the start.
FIRST_CHUNK = 25


def harvest(source: Source, settings: HttpSettings, cache: dict[str, CacheEntry],
            pending: list[str] | None = None, now: datetime | None = None, claim: Claim | None = None,
            emit: Emit | None = None, window: int = DEFAULT_WINDOW, expect: Callable[[], None] | None = None,
            first_chunk: int | None = FIRST_CHUNK) -> WebHarvest:
    """Synchronous entry point (runs its own event loop; call it from a worker thread or a Prefect task).

    `claim`, given the canonical page URLs this source lists, returns those it may fetch: when several sources
    list one article in a run (a feed and a sitemap of one outlet), only the first fetches it.
    `emit`, when given, receives the fetched documents in listed order, in chunks of at most `window`, and
    may block (a bounded queue): fetching pauses once `window` pages wait to be handed over; the first chunks
    ramp up from `first_chunk` pages, doubling (see FIRST_CHUNK). It runs in a
    helper thread, so a blocked `emit` never stalls the event loop (no spurious timeouts of in-flight
    requests). Without `emit`, documents are collected in the returned `WebHarvest.documents`.
    `expect`, when given, is called once as soon as a listing (feed, sitemap, home page) answered with new
    content and lists pages to fetch, before they are fetched: new pages are probably coming, so the caller
    can start what will process them (the ingest flow starts its extraction workers, ~1 s of imports, which
    then overlaps the fetching instead of delaying the first batch). An unchanged listing (304) never calls it.
    """
    return asyncio.run(_harvest(source, settings_for_source(settings, source), cache, pending or [], now, claim,
                                emit, max(1, window), expect, first_chunk))


async def _harvest(source: Source, settings: HttpSettings, cache: dict[str, CacheEntry], pending: list[str],
                   now: datetime | None, claim: Claim | None, emit: Emit | None = None,
                   window: int = DEFAULT_WINDOW, expect: Callable[[], None] | None = None,
                   first_chunk: int | None = FIRST_CHUNK) -> WebHarvest:
    out = WebHarvest(source.name)
    async with HttpClient(settings) as client:
        lister = _Lister(source, client, cache, out, now or datetime.now(UTC).replace(tzinfo=None))
        listed = await lister.list_urls()
        known = {item.url for item in listed}
        listed += [Listed(url, url) for url in pending if url not in known]  # earlier transient failures
        limit = source.options.get("max_items")
        out.listed = listed[:limit] if limit else listed
        mine = claim([item.url for item in out.listed]) if claim else {item.url for item in out.listed}
        to_fetch = [item for item in out.listed if item.url in mine]
        out.shared = len(out.listed) - len(to_fetch)
        if expect is not None and to_fetch and out.listing_bodies:
            expect()
        await _fetch_pages(client, source, to_fetch, cache, out, emit, window, first_chunk)
    return out


async def _fetch_pages(client: HttpClient, source: Source, items: list[Listed], cache: dict[str, CacheEntry],
                       out: WebHarvest, emit: Emit | None, window: int, first_chunk: int | None = None) -> None:
    """Fetch `items` with at most `window` of them started and not yet handed over; results in listed order.

    The client's per-host limits decide how many requests really run at once; the window only bounds how many
    pages (and their bytes) this harvest holds. With `emit`, each time the oldest pages are done they are
    passed on (in a thread: `emit` may block while the consumer is busy) and fetching continues meanwhile.
    """
    loop = asyncio.get_running_loop()
    tasks: dict[int, asyncio.Task[HttpResponse]] = {}
    started = handed = 0
    chunk_size = min(window, max(1, first_chunk or window))  # then doubling up to `window`: see FIRST_CHUNK
    def start_more() -> None:
        nonlocal started
        while started < len(items) and started < handed + window:
            tasks[started] = loop.create_task(client.fetch(_request(items[started].url, cache)))
            started += 1

    while handed < len(items):
        start_more()
        # the oldest page first: pages are handed over in listed order (stable batches and dedup decisions)
        await asyncio.wait([tasks[handed]])
        while handed < started and tasks[handed].done():
            _page(out, source, items[handed], tasks.pop(handed).result())
            handed += 1
        start_more()  # keep fetching while the chunk below is handed over
        while emit is not None and out.documents and (len(out.documents) >= chunk_size or handed == len(items)):
            chunk, out.documents = out.documents[:chunk_size], out.documents[chunk_size:]
            chunk_size = min(window, chunk_size * 2)
            await loop.run_in_executor(None, emit, chunk)


def _request(url: str, cache: dict[str, CacheEntry], accept: str | None = None) -> HttpRequest:
    entry = cache.get(url, CacheEntry())
    extra = {"accept": accept} if accept else {}
    return HttpRequest(url, etag=entry.etag, last_modified=entry.last_modified, **extra)


def _record(out: WebHarvest, kind: str, response: HttpResponse) -> None:
    """fetch_log rows for every attempt, and the validators/headers of a usable answer."""
    for attempt in response.attempts:
        out.log.append({"source": out.source, "kind": kind, "url": attempt.url, "final_url": attempt.final_url,
                        "status": attempt.status, "bytes": attempt.bytes, "elapsed_ms": attempt.elapsed_ms,
                        "error_class": attempt.error_class, "error": attempt.error, "attempt": attempt.attempt,
                        "started_at": attempt.started_at})
    if not response.ok and not response.not_modified and out.log and out.log[-1]["error_class"] is None \
            and response.attempts:
        # decided after the last answer (redirect loop, not HTML, ...): the log's last row says why it failed
        out.log[-1].update(error_class=response.error_class or "HttpError", error=response.error)
    if (response.ok and kind != "page") or response.not_modified:  # 200 pages: stored with their document
        out.validators.append({"url": response.request.url, "etag": response.headers.get("etag"),
                               "last_modified": response.headers.get("last-modified"),
                               "status": response.status, "not_modified": response.not_modified})


def _failure(out: WebHarvest, uri: str, response: HttpResponse, what: str) -> None:
    status = f" (HTTP {response.status})" if response.status else ""
    out.failures.append(FetchFailure(out.source, uri, response.error_class or "HttpError",
                                     f"{what} {uri}{status}: {response.error or 'no usable response'}"))


def _page(out: WebHarvest, source: Source, item: Listed, response: HttpResponse) -> None:
    _record(out, "page", response)
    if response.not_modified:
        out.not_modified += 1
        return
    if response.status in GONE:
        out.gone.append((item.url, response.status))
    if not response.ok:
        _failure(out, item.url, response, "page")
        return
    if response.content_type not in HTML_TYPES:
        out.failures.append(FetchFailure(source.name, item.url, "UnsupportedContentType",
                                         f"page {item.url}: content type {response.content_type!r} is not HTML;"
                                         " recorded and skipped"))
        return
    assert response.content is not None
    doc = RawDocument(source=source.name, uri=item.url, content=response.content, media_type="text/html",
                      fetched_at=_now(), url=response.final_url or item.url, charset=response.charset,
                      hints=item.hints, http=HttpMeta(response.status or 200, response.final_url, response.headers))
    out.documents.append(doc)
    out.fetched += 1


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


class _Lister:
    """Turns a source into the article URLs it lists (feeds and sitemaps fetched conditionally too)."""

    def __init__(self, source: Source, client: HttpClient, cache: dict[str, CacheEntry], out: WebHarvest,
                 now: datetime) -> None:
        self.source, self.client, self.cache, self.out, self.now = source, client, cache, out, now

    async def list_urls(self) -> list[Listed]:
        kind, url = self.source.kind, self.source.url
        if kind == "urls":
            items = [listed for u in self.source.urls if (listed := _listed(u, None))]
        elif kind == "feed":
            items = await self._feed(url)
        elif kind == "sitemap":
            items = await self._sitemap(url)
        else:
            items = await self._homepage(url)
        return _unique(items)

    async def _get(self, url: str, kind: str, accept: str) -> HttpResponse | None:
        response = await self.client.fetch(_request(url, self.cache, accept))
        _record(self.out, kind, response)
        if response.not_modified:
            return None  # unchanged since the last run: nothing new listed
        if not response.ok:
            _failure(self.out, url, response, kind)
            return None
        self.out.listing_bodies.append(ListingBody(url, response.final_url or url, response.status or 200,
                                                   response.content_type or "application/octet-stream",
                                                   response.content or b"", dict(response.headers)))
        return response

    async def _feed(self, url: str) -> list[Listed]:
        response = await self._get(url, "feed", FEED_ACCEPT)
        if response is None:
            return []
        try:
            feed = parse_feed(response.content or b"", response.final_url or url)
        except FeedError as exc:
            self.out.failures.append(FetchFailure(self.source.name, url, "MalformedFeed", f"feed {url}: {exc}"))
            return []
        if feed.warning:
            self.out.failures.append(FetchFailure(self.source.name, url, "FeedWarning",
                                                  f"feed {url}: {feed.warning} (items recovered)"))
        return [listed for i in feed.items
                if (listed := _listed(i.url, ListingHints(i.title, i.published, i.author, i.summary)))]

    async def _sitemap(self, url: str) -> list[Listed]:
        queue, seen, items = [url], set(), []
        budget = self.source.options.get("max_sitemaps", DEFAULT_MAX_SITEMAPS)
        since = self.source.options.get("since_days")
        cutoff = self.now - timedelta(days=since) if since else None
        while queue and len(seen) < budget:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.add(current)
            response = await self._get(current, "sitemap", SITEMAP_ACCEPT)
            if response is None:
                continue
            try:
                sitemap = parse_sitemap(response.content or b"", response.final_url or current)
            except FeedError as exc:
                self.out.failures.append(FetchFailure(self.source.name, current, "MalformedSitemap",
                                                      f"sitemap {current}: {exc}"))
                continue
            fresh = [e for e in sitemap.entries if cutoff is None or e.lastmod is None or e.lastmod >= cutoff]
            if sitemap.kind == "index":
                newest_first = sorted(fresh, key=lambda e: e.lastmod or datetime.min, reverse=True)
                queue += [e.url for e in newest_first]
            else:
                items += [listed for e in fresh
                          if (listed := _listed(e.url, ListingHints(e.news_title, e.news_published)))]
        return items

    async def _homepage(self, url: str) -> list[Listed]:
        response = await self._get(url, "page", "text/html")
        if response is None:
            return []
        html = (response.content or b"").decode(response.charset or "utf-8", errors="replace")
        feeds = discover_feeds(html, response.final_url or url)[:MAX_DISCOVERED_FEEDS]
        if not feeds:
            self.out.failures.append(FetchFailure(self.source.name, url, "NoFeedFound",
                                                  f"home page {url} advertises no feed (<link rel=alternate>)"))
        items: list[Listed] = []
        for feed_url in feeds:
            items += await self._feed(feed_url)
        return items


def _listed(url: str, hints: ListingHints | None) -> Listed | None:
    """A listed URL in canonical form (tracking parameters, AMP and mobile variants folded), or None."""
    if not url.lower().startswith(("http://", "https://")):
        return None
    try:
        return Listed(canonicalize_url(url), url, hints)
    except ValueError:
        return None


def _unique(items: list[Listed]) -> list[Listed]:
    """One entry per canonical URL; the first listing (and its hints) wins."""
    seen: dict[str, Listed] = {}
    for item in items:
        seen.setdefault(item.url, item)
    return list(seen.values())
