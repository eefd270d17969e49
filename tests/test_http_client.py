"""The polite HTTP core against a real loopback server (tests/loopback_site.py): no mocks, real sockets."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import replace

import pytest

from newsdigest.fetch.http_client import HttpClient, HttpRequest, HttpResponse, HttpSettings, fetch_all
from newsdigest.fetch.netguard import blocked_reason, retry_after_seconds
from tests.loopback_site import (
    PAGE_ETAG,
    PAGE_HTML,
    PAGE_LAST_MODIFIED,
    LoopbackSite,
    Route,
    loopback_site_fixture,  # noqa: F401 - provides the `loopback_site` fixture
)

MiB = 1024 * 1024
FAST = HttpSettings(allow_loopback=True, per_host_delay=0.0, backoff_base=0.01, connect_timeout=1.0,
                    read_timeout=2.0, max_bytes=1 * MiB, retries=3)


def get(site: LoopbackSite, path: str, settings: HttpSettings = FAST, **request: str) -> HttpResponse:
    return fetch_all([HttpRequest(site.url(path), **request)], settings)[0]


# -- success, content, conditional GET ---------------------------------------------------------------------------

def test_ok_page_has_decoded_content_charset_and_headers(loopback_site):
    response = get(loopback_site, "/page")
    assert response.ok and response.error_class is None and response.status == 200
    assert response.content == PAGE_HTML.encode()
    assert (response.content_type, response.charset) == ("text/html", "utf-8")
    assert response.final_url == loopback_site.url("/page")
    assert response.headers["etag"] == PAGE_ETAG  # names lower-cased
    assert [(a.status, a.attempt, a.error_class) for a in response.attempts] == [(200, 1, None)]
    assert response.attempts[0].bytes == len(PAGE_HTML.encode()) and response.attempts[0].started_at.tzinfo is None
    seen = loopback_site.seen("/page")[0]
    assert seen.headers["user-agent"].startswith("newsdigest/")
    assert seen.headers["accept"].startswith("text/html")
    assert "if-none-match" not in seen.headers


@pytest.mark.parametrize("path", ["/gzip-page", "/deflate-page", "/br-page"])
def test_content_encodings_are_decoded(loopback_site, path):
    response = get(loopback_site, path)
    assert response.ok and response.content == PAGE_HTML.encode()
    assert response.attempts[0].bytes == loopback_site.wait_done(path)[0].sent  # wire bytes, not decoded bytes
    assert "br" in loopback_site.seen(path)[0].headers["accept-encoding"]


def test_binary_content_and_caller_accept_header(loopback_site):
    response = get(loopback_site, "/binary", accept="application/rss+xml, */*;q=0.5")
    assert response.ok and response.content == bytes(range(256)) * 4
    assert (response.content_type, response.charset) == ("application/octet-stream", None)
    assert loopback_site.seen("/binary")[0].headers["accept"] == "application/rss+xml, */*;q=0.5"


def test_unknown_content_encoding_is_an_error(loopback_site):
    response = get(loopback_site, "/zstd-page")
    assert not response.ok and response.error_class == "UnsupportedEncoding" and response.content is None


def test_conditional_get_with_etag_gets_not_modified(loopback_site):
    response = get(loopback_site, "/page", etag=PAGE_ETAG)
    assert response.status == 304 and response.not_modified and response.content is None
    assert response.error_class is None and not response.ok
    assert loopback_site.seen("/page")[0].headers["if-none-match"] == PAGE_ETAG


def test_conditional_get_with_last_modified_gets_not_modified(loopback_site):
    response = get(loopback_site, "/page", last_modified=PAGE_LAST_MODIFIED)
    assert response.not_modified and response.error_class is None
    assert loopback_site.seen("/page")[0].headers["if-modified-since"] == PAGE_LAST_MODIFIED


def test_stale_validator_gets_full_body(loopback_site):
    response = get(loopback_site, "/page", etag='"old"')
    assert response.ok and not response.not_modified and response.content == PAGE_HTML.encode()


# -- retries ----------------------------------------------------------------------------------------------------

def test_429_retry_after_seconds_is_honoured(loopback_site):
    response = get(loopback_site, "/429-then-ok")
    assert response.ok
    assert [a.status for a in response.attempts] == [429, 200]
    assert [a.attempt for a in response.attempts] == [1, 2]
    first, second = loopback_site.seen("/429-then-ok")
    assert second.time - first.time >= loopback_site.retry_after  # Retry-After: 1


def test_503_retry_after_http_date_is_honoured(loopback_site):
    response = get(loopback_site, "/503-date-then-ok")
    assert response.ok and [a.status for a in response.attempts] == [503, 200]
    first, second = loopback_site.seen("/503-date-then-ok")
    assert second.time - first.time >= 0.9  # the date is 1-2 s ahead, at one-second resolution


def test_retry_after_is_capped(loopback_site):
    started = time.monotonic()
    response = get(loopback_site, "/503-date-then-ok", replace(FAST, max_retry_after=0.05))
    assert response.ok and time.monotonic() - started < 0.9


def test_500_then_success(loopback_site):
    response = get(loopback_site, "/500-then-ok")
    assert response.ok and [a.status for a in response.attempts] == [500, 200]
    assert response.attempts[0].error_class == "HttpStatus"


def test_always_500_gives_up_after_retries(loopback_site):
    response = get(loopback_site, "/always-500", replace(FAST, retries=2))
    assert response.error_class == "HttpStatus" and response.status == 500 and response.content is None
    assert [a.attempt for a in response.attempts] == [1, 2, 3]
    assert len(loopback_site.seen("/always-500")) == 3
    assert "3 attempts" in response.error


@pytest.mark.parametrize("path,status", [("/404", 404), ("/410", 410)])
def test_client_errors_are_not_retried(loopback_site, path, status):
    response = get(loopback_site, path)
    assert response.status == status and response.error_class == "HttpStatus"
    assert len(response.attempts) == 1 and len(loopback_site.seen(path)) == 1


# -- redirects --------------------------------------------------------------------------------------------------

def test_redirect_chain_is_followed(loopback_site):
    response = get(loopback_site, "/redirect/chain/4")  # mixes absolute and relative Locations
    assert response.ok and response.final_url == loopback_site.url("/redirect/chain/0")
    assert [a.status for a in response.attempts] == [302, 302, 302, 302, 200]
    assert response.attempts[0].final_url == loopback_site.url("/redirect/chain/3")
    assert response.request.url == loopback_site.url("/redirect/chain/4")


def test_conditional_headers_survive_redirects(loopback_site):
    get(loopback_site, "/redirect/chain/1", etag='"x"')
    assert loopback_site.seen("/redirect/chain/0")[0].headers["if-none-match"] == '"x"'


def test_redirect_loop(loopback_site):
    response = get(loopback_site, "/redirect/loop-a")
    assert response.error_class == "RedirectLoop" and response.content is None
    assert loopback_site.paths().count("/redirect/loop-a") == 1


def test_too_many_redirects(loopback_site):
    response = get(loopback_site, "/redirect/chain/7", replace(FAST, max_redirects=3))
    assert response.error_class == "TooManyRedirects"
    assert len(response.attempts) == 4  # the original request plus three followed redirects


def test_redirect_to_other_scheme_is_refused(loopback_site):
    response = get(loopback_site, "/redirect/ftp")
    assert response.error_class == "UnsupportedScheme" and response.status is None


def test_robots_checked_on_every_redirect_hop(loopback_site):
    response = get(loopback_site, "/redirect/private")
    assert response.error_class == "RobotsDisallowed"
    assert "/private/secret" not in loopback_site.paths()


# -- size limits ------------------------------------------------------------------------------------------------

def test_oversized_with_content_length_is_not_downloaded(loopback_site):
    response = get(loopback_site, "/big")
    assert response.error_class == "TooLarge" and response.content is None and response.status == 200
    assert response.attempts[0].bytes == 0  # refused on the Content-Length alone
    assert loopback_site.wait_done("/big")[0].sent < loopback_site.big_size


def test_oversized_without_content_length_stops_early(loopback_site):
    response = get(loopback_site, "/big-nolength")
    assert response.error_class == "TooLarge" and response.content is None
    assert FAST.max_bytes < response.attempts[0].bytes <= FAST.max_bytes + 256 * 1024
    assert loopback_site.wait_done("/big-nolength")[0].sent < loopback_site.big_size


@pytest.mark.parametrize("path", ["/gzip-bomb", "/brotli-bomb"])
def test_decompression_bombs_are_refused(loopback_site, path):
    response = get(loopback_site, path)
    assert response.error_class == "DecompressionBomb" and response.content is None
    assert response.attempts[0].bytes < 100_000  # small on the wire, 20 MB decoded
    assert len(response.attempts) == 1


# -- robots.txt -------------------------------------------------------------------------------------------------

def test_robots_disallowed_path_is_never_requested(loopback_site):
    responses = fetch_all([HttpRequest(loopback_site.url(p)) for p in ("/private/secret", "/page", "/404")], FAST)
    assert responses[0].error_class == "RobotsDisallowed" and responses[0].status is None
    assert "robots.txt" in responses[0].error
    assert responses[1].ok
    assert "/private/secret" not in loopback_site.paths()
    assert loopback_site.paths().count("/robots.txt") == 1  # cached per host
    assert loopback_site.paths()[0] == "/robots.txt"


def test_robots_not_consulted_when_disabled(loopback_site):
    response = get(loopback_site, "/private/secret", replace(FAST, respect_robots=False))
    assert response.ok and "/robots.txt" not in loopback_site.paths()


def test_robots_404_allows_everything():
    with LoopbackSite({"/robots.txt": Route(b"", status=404)}) as site:
        assert get(site, "/private/secret").ok


def test_robots_5xx_disallows_the_host_for_the_run():
    with LoopbackSite({"/robots.txt": Route(b"down", status=503)}) as site:
        responses = fetch_all([HttpRequest(site.url("/page")), HttpRequest(site.url("/404"))],
                              replace(FAST, retries=1))
        assert {r.error_class for r in responses} == {"RobotsUnavailable"}
        assert site.paths() == ["/robots.txt", "/robots.txt"]  # one fetch, retried once; no pages


def test_robots_rules_for_our_token():
    robots = b"User-agent: newsdigest\nDisallow: /page\n\nUser-agent: *\nDisallow:\n"
    with LoopbackSite({"/robots.txt": Route(robots)}) as site:
        assert get(site, "/page").error_class == "RobotsDisallowed"
        assert get(site, "/404").status == 404


def test_robots_attempts_are_exposed(loopback_site):
    async def run() -> list:
        async with HttpClient(FAST) as client:
            await client.fetch(HttpRequest(loopback_site.url("/page")))
            return client.robots_attempts

    attempts = asyncio.run(run())
    assert [(a.url, a.status) for a in attempts] == [(loopback_site.url("/robots.txt"), 200)]


# -- politeness -------------------------------------------------------------------------------------------------

def test_per_host_spacing(loopback_site):
    settings = replace(FAST, per_host_delay=0.2)
    responses = fetch_all([HttpRequest(loopback_site.url(f"/hold/{i}")) for i in range(4)],
                          replace(settings, per_host_concurrency=2))
    assert all(r.ok for r in responses)
    times = [s.time for s in loopback_site.requests]  # robots.txt included: it is paced too
    assert len(times) == 5
    # Measured where requests arrive, one late arrival shortens the gap after it (a loaded machine delayed one by
    # 22 ms once), so the server side checks the pace over the run; HostGate's own test checks every gap.
    assert times[-1] - times[0] >= 4 * 0.2 - 0.05, times


def test_host_gate_spaces_every_start_and_caps_concurrency():
    from newsdigest.fetch.robots import HostGate

    async def run() -> tuple[list[float], int]:
        gate, starts, inflight, peak = HostGate(per_host=2, delay=0.05, global_limit=8), [], 0, 0

        async def one() -> None:
            nonlocal inflight, peak
            async with gate.slot("example.org"):
                starts.append(time.monotonic())  # no await since the gate set the next start
                inflight += 1
                peak = max(peak, inflight)
                await asyncio.sleep(0.12)  # longer than the delay: the concurrency cap binds too
                inflight -= 1

        await asyncio.gather(*(one() for _ in range(6)))
        return starts, peak

    starts, peak = asyncio.run(run())
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 6 and min(gaps) >= 0.05 - 0.005, gaps
    assert peak == 2


def test_per_host_concurrency_is_capped(loopback_site):
    urls = [HttpRequest(loopback_site.url(f"/hold/{i}")) for i in range(6)]
    responses = fetch_all(urls, replace(FAST, per_host_concurrency=2, global_concurrency=16))
    assert all(r.ok for r in responses)
    assert loopback_site.max_inflight == 2


def test_fetch_many_preserves_order_and_never_raises(loopback_site):
    paths = ["/404", "ftp://example.org/x", "/page", "not a url", "/binary"]
    requests = [HttpRequest(p if not p.startswith("/") else loopback_site.url(p)) for p in paths]
    responses = fetch_all(requests, FAST)
    assert [r.request for r in responses] == requests
    assert [r.error_class for r in responses] == ["HttpStatus", "UnsupportedScheme", None, "InvalidURL", None]


# -- timeouts ---------------------------------------------------------------------------------------------------

def test_slow_server_times_out(loopback_site):
    started = time.monotonic()
    response = get(loopback_site, "/slow", replace(FAST, read_timeout=0.3, retries=0))
    assert response.error_class == "Timeout" and response.status is None
    assert time.monotonic() - started < 2.0


def test_timeouts_are_retried(loopback_site):
    response = get(loopback_site, "/slow", replace(FAST, read_timeout=0.2, retries=1))
    assert response.error_class == "Timeout"
    assert [a.error_class for a in response.attempts] == ["Timeout", "Timeout"]


def test_trickling_server_hits_the_overall_deadline(loopback_site):
    settings = replace(FAST, connect_timeout=0.2, read_timeout=0.6, retries=0)  # deadline 1.4 s; a byte every 0.5 s
    started = time.monotonic()
    response = get(loopback_site, "/trickle", settings)
    assert response.error_class == "Timeout" and "deadline" in response.error
    assert 1.3 < time.monotonic() - started < 2.5
    assert response.content is None


# -- address and scheme policy ----------------------------------------------------------------------------------

def test_loopback_refused_by_default(loopback_site):
    response = fetch_all([HttpRequest(loopback_site.url("/page"))])[0]
    assert response.error_class == "BlockedAddress" and "loopback" in response.error
    assert response.status is None and len(response.attempts) == 1
    assert loopback_site.paths() == []  # not even robots.txt


@pytest.mark.parametrize("url,kind", [
    ("http://localhost:9/", "loopback"),  # resolved through getaddrinfo
    ("http://[::1]:9/", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
])
def test_blocked_addresses(url, kind):
    response = fetch_all([HttpRequest(url)], HttpSettings(retries=0))[0]
    assert response.error_class == "BlockedAddress" and kind in response.error


def test_allow_private_does_not_allow_loopback():
    assert blocked_reason(ipaddress.ip_address("10.0.0.1"), False, True) is None
    assert blocked_reason(ipaddress.ip_address("127.0.0.1"), False, True) == "loopback"
    assert blocked_reason(ipaddress.ip_address("::ffff:127.0.0.1"), False, False) == "loopback"
    assert blocked_reason(ipaddress.ip_address("fd00::1"), False, False) == "private"
    assert blocked_reason(ipaddress.ip_address("100.64.0.1"), False, False) == "non-public"
    assert blocked_reason(ipaddress.ip_address("93.184.216.34"), False, False) is None


@pytest.mark.parametrize("url,error_class", [
    ("ftp://example.org/file", "UnsupportedScheme"),
    ("file:///etc/passwd", "UnsupportedScheme"),
    ("javascript:alert(1)", "UnsupportedScheme"),
    ("/relative/path", "InvalidURL"),
    ("http:///nohost", "InvalidURL"),
])
def test_unsupported_or_invalid_urls(url, error_class):
    response = fetch_all([HttpRequest(url)])[0]
    assert response.error_class == error_class and response.status is None and response.error


def test_retry_after_parsing():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_redirect_to_blocked_address_is_refused():
    with LoopbackSite({"/to-private": Route(b"", 302, {"Location": "http://10.0.0.1/admin"})}) as site:
        response = get(site, "/to-private")
        assert response.error_class == "BlockedAddress" and response.final_url == "http://10.0.0.1/admin"
        assert [a.status for a in response.attempts] == [302, None]


# -- connection reuse -------------------------------------------------------------------------------------------

def _count_connections(site: LoopbackSite) -> list[int]:
    """Count the TCP connections the site accepts from now on (one handler thread per connection)."""
    server = site._server
    accepted = [0]
    process = server.process_request

    def counting(request, client_address):  # noqa: ANN001, ANN202 - socketserver's signature
        accepted[0] += 1
        return process(request, client_address)

    server.process_request = counting
    return accepted


def test_bodiless_and_error_answers_keep_the_connection(loopback_site):
    """304s, redirects, 404s and a retried 500 are read to their end, so one keep-alive connection serves all."""
    accepted = _count_connections(loopback_site)
    settings = replace(FAST, per_host_concurrency=1)
    requests = [HttpRequest(loopback_site.url("/page"), etag=PAGE_ETAG) for _ in range(3)] + [
        HttpRequest(loopback_site.url(p)) for p in ("/redirect/chain/2", "/404", "/500-then-ok")]
    responses = fetch_all(requests, settings)
    assert [r.not_modified for r in responses[:3]] == [True] * 3
    assert responses[3].ok and responses[5].ok and [a.status for a in responses[5].attempts] == [500, 200]
    assert responses[4].error_class == "HttpStatus" and responses[4].attempts[0].bytes == len(b"not here")
    assert len(loopback_site.requests) == 10  # robots.txt, 3 x 304, 3 for the chain, 404, 500, 200
    assert accepted[0] == 1


def test_large_error_body_is_not_drained():
    body = b"x" * (200 * 1024)
    with LoopbackSite({"/huge-404": Route(body, status=404)}) as site:
        response = get(site, "/huge-404")
        assert response.error_class == "HttpStatus" and response.status == 404 and response.content is None
        assert response.attempts[0].bytes == 0  # declared too large to be worth reading: connection closed
