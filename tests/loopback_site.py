"""A real HTTP server on 127.0.0.1 for fetch tests: static routes plus the faults real news sites produce.

Why a real server rather than mocks: politeness (spacing, concurrency), streaming caps, timeouts and
redirect handling only mean something against real sockets. The server records every request it gets
(method, path, headers, arrival time, bytes it managed to send), so tests can assert what was *not* requested
(robots-disallowed paths, blocked addresses) and how requests were paced.

Usage: importing `loopback_site_fixture` (or `loopback_site`, e.g. from conftest.py) gives the `loopback_site`
fixture: a started `LoopbackSite` with the built-in endpoints. `LoopbackSite(routes={...})` is a context manager.
"""

from __future__ import annotations

import functools
import gzip
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest

MiB = 1024 * 1024
PAGE_HTML = "<!doctype html><html><head><title>Новости</title></head><body><p>Привет, мир</p></body></html>"
DEFAULT_ROBOTS = b"User-agent: *\nDisallow: /private/\n"
PAGE_ETAG = '"page-v1"'
PAGE_LAST_MODIFIED = "Mon, 06 Jan 2025 10:00:00 GMT"


@dataclass
class Route:
    """A static answer; an ETag / Last-Modified header makes matching conditional requests get a 304."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0  # answer the first N hits with `fail_status` (then the body): "500 then success"
    fail_status: int = 500
    retry_after: str | None = None  # sent with the failures (seconds or an HTTP-date)
    delay: float = 0.0  # seconds to wait before answering (a slow page)


@dataclass
class Seen:
    """One request as the server saw it. `time` is time.monotonic() on arrival; `sent` body bytes written."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    time: float
    sent: int = 0
    done: bool = False


@functools.cache
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * (20 * MiB), compresslevel=9)  # ~20 KB on the wire


@functools.cache
def brotli_bomb() -> bytes:
    return brotli.compress(b"\0" * (20 * MiB), quality=5)  # a few dozen bytes on the wire


class LoopbackSite:
    """Threaded HTTP/1.1 server on 127.0.0.1 (random port) with request recording; see module docstring."""

    def __init__(self, routes: dict[str, Route] | None = None, *, slow_seconds: float = 3.0,
                 hold_seconds: float = 0.3, big_size: int = 32 * MiB, retry_after: int = 1) -> None:
        self.routes = dict(routes or {})
        self.slow_seconds = slow_seconds  # /slow answers after this long
        self.hold_seconds = hold_seconds  # /hold/<anything> answers after this long (concurrency tests)
        self.big_size = big_size  # /big and /big-nolength body size
        self.retry_after = retry_after  # seconds in /429-then-ok's Retry-After
        self.requests: list[Seen] = []
        self.inflight = 0
        self.max_inflight = 0
        self._hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> LoopbackSite:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.site = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="loopback-site", daemon=True)  # short poll: stop() is quick
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LoopbackSite:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses and records -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "site not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def paths(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.requests if seen.path == path]

    def wait_done(self, path: str, timeout: float = 5.0) -> list[Seen]:
        """Requests for `path`, after waiting for their handlers to finish (e.g. to read `sent`)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and not all(s.done for s in self.seen(path)):
            time.sleep(0.02)
        return self.seen(path)

    def _record(self, seen: Seen) -> int:
        with self._lock:
            self.requests.append(seen)
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            route = seen.path.split("?")[0]
            self._hits[route] = self._hits.get(route, 0) + 1
            return self._hits[route]

    def _finish(self, seen: Seen) -> None:
        with self._lock:
            self.inflight -= 1
            seen.done = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 15  # idle keep-alive connections give their thread back eventually
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site: LoopbackSite = self.server.site  # type: ignore[attr-defined]
        self.seen_request = Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
        hit = site._record(self.seen_request)
        try:
            self._dispatch(site, self.path.split("?")[0], hit)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client gave up (as it should for oversized/slow answers)
        finally:
            site._finish(self.seen_request)

    # -- response helpers ------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, *,
              length: bool = True) -> None:
        self.send_response(status)
        headers = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self._write(body)

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        self.seen_request.sent += len(data)

    def _static(self, route: Route, hit: int = 1) -> None:
        if route.delay:
            time.sleep(route.delay)
        if hit <= route.fail_first:
            return self._send(route.fail_status, b"try later",
                              {"Retry-After": route.retry_after} if route.retry_after else {})
        if route.status == 200 and _not_modified(self.seen_request.headers, route.headers):
            keep = {k: v for k, v in route.headers.items() if k.lower() in ("etag", "last-modified")}
            self._send(304, b"", keep)
        else:
            self._send(route.status, route.body, route.headers)

    def _stream(self, size: int, headers: dict[str, str], length: bool) -> None:
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header(*(("Content-Length", str(size)) if length else ("Connection", "close")))
        self.close_connection = not length
        self.end_headers()
        chunk = b"x" * 65536
        left = size
        while left > 0:
            self._write(chunk[:left])
            left -= len(chunk)

    # -- endpoints -------------------------------------------------------------------------------------------
    def _dispatch(self, site: LoopbackSite, path: str, hit: int) -> None:
        if path in site.routes:
            return self._static(site.routes[path], hit)
        for prefix, handler in _PREFIXED.items():
            if path.startswith(prefix):
                return handler(self, site, path[len(prefix):], hit)
        handler = _EXACT.get(path)
        if handler is None:
            return self._send(404, b"not found")
        return handler(self, site, hit)


def _not_modified(request: dict[str, str], validators: dict[str, str]) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since."""
    lower = {k.lower(): v for k, v in validators.items()}
    if "if-none-match" in request:
        tags = [t.strip() for t in request["if-none-match"].split(",")]
        return "etag" in lower and ("*" in tags or lower["etag"] in tags)
    if "if-modified-since" in request and "last-modified" in lower:
        try:
            return parsedate_to_datetime(lower["last-modified"]) <= parsedate_to_datetime(request["if-modified-since"])
        except (TypeError, ValueError):
            return False
    return False


HTML = {"Content-Type": "text/html; charset=utf-8"}
_Exact = Callable[[_Handler, LoopbackSite, int], None]
_Prefixed = Callable[[_Handler, LoopbackSite, str, int], None]


def _page(h: _Handler, site: LoopbackSite, hit: int) -> None:
    h._static(Route(PAGE_HTML.encode(), headers={**HTML, "ETag": PAGE_ETAG, "Last-Modified": PAGE_LAST_MODIFIED}))


def _then_ok(status: int, retry_after: Callable[[LoopbackSite], str] | None = None) -> _Exact:
    def handler(h: _Handler, site: LoopbackSite, hit: int) -> None:
        if hit == 1:
            return h._send(status, b"try later", {"Retry-After": retry_after(site)} if retry_after else {})
        return h._send(200, PAGE_HTML.encode(), HTML)

    return handler


def _slow(h: _Handler, site: LoopbackSite, hit: int) -> None:
    time.sleep(site.slow_seconds)
    h._send(200, PAGE_HTML.encode(), HTML)


def _trickle(h: _Handler, site: LoopbackSite, hit: int) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "100")
    h.end_headers()
    for _ in range(100):  # 50 s in total: only an overall deadline stops this
        h._write(b"x")
        time.sleep(0.5)


def _hold(h: _Handler, site: LoopbackSite, rest: str, hit: int) -> None:
    time.sleep(site.hold_seconds)
    h._send(200, f"<p>hold {rest}</p>".encode(), HTML)


def _chain(h: _Handler, site: LoopbackSite, rest: str, hit: int) -> None:
    n = int(rest or 0)
    if n <= 0:
        return h._send(200, PAGE_HTML.encode(), HTML)
    # alternate absolute URLs and relative references, as real sites do
    location = site.url(f"/redirect/chain/{n - 1}") if n % 2 else str(n - 1)
    h._send(302, b"", {"Location": location})


def _redirect(location: Callable[[LoopbackSite], str], status: int = 301) -> _Exact:
    return lambda h, site, hit: h._send(status, b"", {"Location": location(site)})


_EXACT: dict[str, _Exact] = {
    "/": _page,
    "/page": _page,
    "/robots.txt": lambda h, site, hit: h._send(200, DEFAULT_ROBOTS),
    "/private/secret": lambda h, site, hit: h._send(200, b"secret", HTML),
    "/slow": _slow,
    "/trickle": _trickle,
    "/429-then-ok": _then_ok(429, lambda site: str(site.retry_after)),
    "/503-date-then-ok": _then_ok(503, lambda site: formatdate(int(time.time()) + 2, usegmt=True)),
    "/500-then-ok": _then_ok(500),
    "/always-500": lambda h, site, hit: h._send(500, b"boom"),
    "/404": lambda h, site, hit: h._send(404, b"not here"),
    "/410": lambda h, site, hit: h._send(410, b"gone"),
    "/redirect/loop-a": _redirect(lambda site: "/redirect/loop-b"),
    "/redirect/loop-b": _redirect(lambda site: site.url("/redirect/loop-a")),
    "/redirect/ftp": _redirect(lambda site: f"ftp://127.0.0.1:{site.port}/file.txt"),
    "/redirect/private": _redirect(lambda site: "/private/secret", 302),
    "/big": lambda h, site, hit: h._stream(site.big_size, HTML, length=True),
    "/big-nolength": lambda h, site, hit: h._stream(site.big_size, HTML, length=False),
    "/gzip-bomb": lambda h, site, hit: h._send(200, gzip_bomb(), {**HTML, "Content-Encoding": "gzip"}),
    "/brotli-bomb": lambda h, site, hit: h._send(200, brotli_bomb(), {**HTML, "Content-Encoding": "br"}),
    "/gzip-page": lambda h, site, hit: h._send(200, gzip.compress(PAGE_HTML.encode()),
                                               {**HTML, "Content-Encoding": "gzip"}),
    "/deflate-page": lambda h, site, hit: h._send(200, zlib.compress(PAGE_HTML.encode()),
                                                  {**HTML, "Content-Encoding": "deflate"}),
    "/br-page": lambda h, site, hit: h._send(200, brotli.compress(PAGE_HTML.encode()),
                                             {**HTML, "Content-Encoding": "br"}),
    "/zstd-page": lambda h, site, hit: h._send(200, b"\x28\xb5\x2f\xfd", {**HTML, "Content-Encoding": "zstd"}),
    "/binary": lambda h, site, hit: h._send(200, bytes(range(256)) * 4, {"Content-Type": "application/octet-stream"}),
}
_PREFIXED: dict[str, _Prefixed] = {
    "/hold/": _hold,
    "/redirect/chain/": _chain,
}


@pytest.fixture(name="loopback_site")
def loopback_site_fixture() -> Iterator[LoopbackSite]:
    """A fresh site per test (counters such as "fail once, then succeed" start from zero)."""
    with LoopbackSite() as site:
        yield site


# `from tests.loopback_site import loopback_site` (e.g. in conftest.py) provides the same fixture; test modules
# import `loopback_site_fixture` instead so their `loopback_site` parameters do not shadow the import (F811).
loopback_site = loopback_site_fixture
