"""Harvests hand pages over in listed-order chunks while they fetch (bounded memory), and never hang the flow."""

from __future__ import annotations

import threading
import time

import pytest

from flows.ingest import Handover, HandoverClosed
from newsdigest.fetch.http_client import HttpSettings
from newsdigest.fetch.web import harvest
from newsdigest.sources import Source
from tests.loopback_site import LoopbackSite, Route

FAST = HttpSettings(allow_loopback=True, per_host_delay=0.0, backoff_base=0.01, connect_timeout=1.0,
                    read_timeout=2.0)


def _page(n: int) -> bytes:
    return f"<!doctype html><html><head><title>Page {n}</title></head><body><p>Body of page {n}.</p></body></html>" \
        .encode()


@pytest.fixture
def site():
    routes = {f"/a/{n}": Route(_page(n), headers={"Content-Type": "text/html; charset=utf-8"}) for n in range(7)}
    routes |= {f"/b/{n}": Route(_page(10 + n), headers={"Content-Type": "text/html; charset=utf-8"}) for n in range(8)}
    routes["/a/3"] = Route(b"missing", status=404)  # a failed page in the middle keeps the order of the rest
    # page 1 answers last: the hand-over waits for it rather than passing page 2 first
    routes["/a/1"] = Route(_page(1), headers={"Content-Type": "text/html; charset=utf-8"}, delay=0.3)
    with LoopbackSite(routes) as running:
        yield running


def test_pages_are_handed_over_in_listed_order_chunks_of_the_window(site):
    urls = tuple(site.url(f"/a/{n}") for n in range(7))
    chunks: list[list[str]] = []
    result = harvest(Source("s", "urls", urls=urls), FAST, {}, emit=lambda docs: chunks.append(
        [d.uri for d in docs]), window=2)
    fetched = [u for u in urls if not u.endswith("/a/3")]
    assert [u for chunk in chunks for u in chunk] == fetched
    assert all(1 <= len(chunk) <= 2 for chunk in chunks)
    assert result.documents == []  # handed over, not kept
    assert result.counts["fetched"] == 6 and result.counts["failed"] == 1


def test_the_first_chunks_ramp_up_to_whole_windows(site):
    """Extraction can start after a few pages and stays fed while the pipeline fills; later chunks are whole
    windows (few, large batches)."""
    urls = tuple(site.url(f"/a/{n}") for n in range(7)) + tuple(site.url(f"/b/{n}") for n in range(8))
    sizes: list[int] = []
    harvest(Source("s", "urls", urls=urls), FAST, {}, emit=lambda docs: sizes.append(len(docs)), window=4,
            first_chunk=1)
    assert sizes == [1, 2, 4, 4, 3]  # 14 pages fetched (one 404): 1, 2, then windows of 4, then the rest
    sizes.clear()
    harvest(Source("s", "urls", urls=urls), FAST, {}, emit=lambda docs: sizes.append(len(docs)), window=4,
            first_chunk=None)
    assert sizes == [4, 4, 4, 2]  # a harvest that starts into a busy pipeline: whole windows from the start


def test_without_emit_documents_are_returned(site):
    urls = tuple(site.url(f"/a/{n}") for n in range(7))
    result = harvest(Source("s", "urls", urls=urls), FAST, {}, window=2)
    assert [d.uri for d in result.documents] == [u for u in urls if not u.endswith("/a/3")]


def test_a_slow_consumer_pauses_the_harvest_without_timeouts(site):
    """`emit` blocking longer than the read timeout must not fail in-flight requests (it runs off the loop)."""
    urls = tuple(site.url(f"/a/{n}") for n in range(7))
    sizes: list[int] = []

    def slow(docs):
        sizes.append(len(docs))
        time.sleep(2.5)  # > read_timeout

    result = harvest(Source("s", "urls", urls=urls), FAST, {}, emit=slow, window=3)
    assert sum(sizes) == 6 and result.counts["failed"] == 1  # only the 404


def test_a_closed_handover_releases_a_blocked_harvest():
    handover = Handover(chunks=1)
    emit = handover.emitter("s")
    emit(["first"])  # fills the queue
    raised: list[BaseException] = []

    def blocked() -> None:
        try:
            emit(["second"])
        except HandoverClosed as exc:
            raised.append(exc)

    thread = threading.Thread(target=blocked)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()  # full queue: the harvest waits (backpressure)
    handover.close()
    thread.join(timeout=5)
    assert not thread.is_alive() and len(raised) == 1


def test_expect_is_called_once_for_a_changed_listing_and_never_for_an_unchanged_one():
    """The flow starts its extraction workers on `expect`: as soon as a listing brings pages, not for a 304."""
    from newsdigest.fetch.web import CacheEntry

    pages = {f"/p/{n}": Route(_page(n), headers={"Content-Type": "text/html"}) for n in range(3)}
    with LoopbackSite(pages) as running:
        items = "".join(f"<item><title>{n}</title><link>{running.url(f'/p/{n}')}</link></item>" for n in range(3))
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
        running.routes["/feed.xml"] = Route(feed, headers={"Content-Type": "application/rss+xml", "ETag": '"f1"'})
        source = Source("s", "feed", url=running.url("/feed.xml"))
        calls: list[int] = []
        fetched_at_call: list[int] = []

        def expect() -> None:
            calls.append(1)
            fetched_at_call.append(sum(1 for path in running.paths() if path.startswith("/p/")))

        result = harvest(source, FAST, {}, expect=expect)
        assert calls == [1] and fetched_at_call == [0]  # once, before the first page was requested
        assert result.counts["fetched"] == 3
        cache = {running.url("/feed.xml"): CacheEntry(etag='"f1"')}
        harvest(source, FAST, cache, expect=expect)  # the feed answers 304: nothing new is coming
        assert calls == [1]
