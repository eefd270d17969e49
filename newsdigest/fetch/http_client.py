"""The polite, defensive HTTP fetch core shared by every web source (feeds, sitemaps, URL lists).

Why it looks the way it does:

* Politeness is enforced here (with robots.HostGate), not by callers: at most `per_host_concurrency`
  requests in flight per host, at least `per_host_delay` seconds between request starts to a host, robots.txt
  honoured, one identifying User-Agent, and retries/backoff that go through the same per-host gate.
* Nothing a remote site does may hurt the pipeline: redirects are followed by hand so each hop is re-vetted
  (scheme, address policy, robots), bodies are streamed and capped before and after decompression, and every
  attempt has an overall deadline so a byte-trickling server cannot hold a slot forever.
* Results are plain data: every per-URL problem becomes an HttpResponse with `error_class`/`error`, and every
  exchange becomes an `Attempt` (one fetch_log row). No Prefect, no DuckDB: the caller logs and archives.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

import certifi
import httpx

from newsdigest.fetch.netguard import (
    ACCEPT_ENCODING,
    AddressGuard,
    PolicyError,
    loop_key,
    parse_target,
    read_capped_body,
    resolve_location,
    retry_after_seconds,
)
from newsdigest.fetch.robots import HostGate, RobotsCache, RobotsFetch

try:
    import h2  # noqa: F401  (httpx needs it for HTTP/2)

    HAVE_H2 = True
except ImportError:  # pragma: no cover - httpx[http2] is a dependency
    HAVE_H2 = False

REDIRECTS = {301, 302, 303, 307, 308}
RETRYABLE_ERRORS = {"Timeout", "ConnectError", "NetworkError"}
ROBOTS_MAX_BYTES = 512 * 1024  # Google reads the first 500 KiB of a robots.txt
DRAIN_MAX_BYTES = 64 * 1024  # read and discard at most this much of a non-2xx body to keep the connection
DRAIN_SECONDS = 2.0  # ... and spend at most this long on it (see _drain)


@dataclass(frozen=True)
class HttpSettings:
    user_agent: str = "newsdigest/0.1 (+https://github.com/newsdigest; contact: ops@newsdigest.invalid)"
    per_host_concurrency: int = 2  # never more than 2 in flight to one host
    per_host_delay: float = 1.0  # min seconds between request starts to one host
    global_concurrency: int = 16
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024  # enforced while streaming, on decoded bytes too (decompression bombs)
    max_redirects: int = 5
    retries: int = 3  # extra attempts on connect errors/timeouts, 429 and 5xx only
    backoff_base: float = 0.5  # exponential backoff with full jitter
    max_retry_after: float = 60.0  # Retry-After (seconds or HTTP-date) honoured, capped at this
    allow_loopback: bool = False  # tests set True; default refuses loopback/private/link-local/reserved hosts
    allow_private: bool = False
    respect_robots: bool = True
    http2: bool = True

    @property
    def agent_token(self) -> str:
        """The product token robots.txt groups are matched against ("newsdigest")."""
        return self.user_agent.split("/")[0].split()[0].lower()

    @property
    def attempt_deadline(self) -> float:
        """Overall cap on one exchange, so slow trickling cannot dodge the per-read timeout."""
        return self.connect_timeout + 2 * self.read_timeout


DEFAULT_SETTINGS = HttpSettings()


@dataclass(frozen=True)
class HttpRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    accept: str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"  # callers pass feed/sitemap accept headers


@dataclass(frozen=True)
class Attempt:
    """One HTTP exchange (or one refusal by policy, so the log says why nothing was fetched): a fetch_log row.

    `url` is what this exchange asked for, `final_url` where it led (the Location of a redirect), `bytes` the
    body bytes received on the wire, `attempt` the 1-based try number for that URL.
    """

    url: str
    final_url: str | None
    status: int | None
    bytes: int
    elapsed_ms: int
    error_class: str | None
    error: str | None
    attempt: int
    started_at: datetime  # UTC naive


@dataclass
class HttpResponse:
    request: HttpRequest
    final_url: str | None
    status: int | None  # None when no response (network error, refused by policy)
    headers: dict[str, str]  # lower-cased names of the final response
    content: bytes | None  # decoded body (content-encoding removed) for 2xx; None otherwise
    content_type: str | None  # media type without parameters, e.g. "text/html"
    charset: str | None  # from the Content-Type header, if any
    not_modified: bool  # 304 to a conditional request
    error_class: str | None
    error: str | None  # a clear, actionable one-line message
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.content is not None \
            and self.error_class is None


@dataclass
class _Exchange:
    """The outcome of one try, before it is turned into an Attempt/HttpResponse."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    received: int = 0
    error_class: str | None = None
    error: str | None = None
    retry_after: float | None = None


@cache
def _tls_context() -> ssl.SSLContext:
    """One certificate-verifying TLS context (certifi's CA bundle, as httpx builds by default) for every client.

    Why shared: httpx loads the CA bundle again for each client it creates, ~59 CPU ms (measured, 10 clients);
    every harvest creates a client, so an unchanged re-run of four sources spent ~0.24 s of its ~1 s of work
    there. An SSLContext may serve many connections and threads.
    """
    return ssl.create_default_context(cafile=certifi.where())


class HttpClient:
    """Polite async fetcher; use as `async with HttpClient(settings) as client:`. Bound to one event loop."""

    def __init__(self, settings: HttpSettings = DEFAULT_SETTINGS, *,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        s = settings
        self._client = httpx.AsyncClient(
            http2=s.http2 and HAVE_H2, follow_redirects=False, transport=transport, trust_env=False,
            verify=_tls_context(),
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                                  pool=s.connect_timeout),
            limits=httpx.Limits(max_connections=s.global_concurrency, max_keepalive_connections=s.global_concurrency),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": ACCEPT_ENCODING})
        self._gate = HostGate(s.per_host_concurrency, s.per_host_delay, s.global_concurrency)
        self._guard = AddressGuard(s.allow_loopback, s.allow_private)
        self._robots = RobotsCache(self._load_robots)
        self.robots_attempts: list[Attempt] = []  # exchanges made for robots.txt, for the caller's fetch_log

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._robots.cancel_pending()
        await self._client.aclose()

    async def fetch_many(self, requests: Iterable[HttpRequest]) -> list[HttpResponse]:
        """Fetch all, in parallel within the politeness limits; results in the order of `requests`."""
        return list(await asyncio.gather(*(self.fetch(r) for r in requests)))

    async def fetch(self, request: HttpRequest) -> HttpResponse:
        """Fetch one URL following redirects; never raises for per-URL problems."""
        attempts: list[Attempt] = []
        try:
            return await self._fetch(request, attempts, robots=self.settings.respect_robots,
                                     max_bytes=self.settings.max_bytes)
        except Exception as exc:  # a bug or an exotic library error must not sink a whole batch
            return _failed(request, None, "InternalError", f"unexpected {type(exc).__name__}: {exc}", attempts)

    async def _fetch(self, request: HttpRequest, attempts: list[Attempt], *, robots: bool,
                     max_bytes: int) -> HttpResponse:
        url_text, seen, hops = request.url, set(), 0
        while True:
            try:
                url = parse_target(url_text)
                await self._guard.check(url)
                if robots:
                    policy = await self._robots.policy(url)
                    if not policy.allows(str(url), self.settings.agent_token):
                        raise PolicyError(policy.deny_class, policy.explain(str(url), self.settings.agent_token))
            except PolicyError as exc:
                attempts.append(Attempt(url_text, None, None, 0, 0, exc.error_class, exc.message, 1, _utcnow()))
                return _failed(request, url_text if hops else None, exc.error_class, exc.message, attempts)
            # parse_target already did what loop_key does (normalise, drop the fragment), so str(url) is the
            # loop key; loop_key(str(url)) would parse the URL twice more (~25 µs a page) to the same string.
            seen.add(str(url))
            exchange = await self._with_retries(url, request, attempts, max_bytes)
            location = exchange.headers.get("location") if exchange.status in REDIRECTS else None
            if location is None:
                return _finish(request, str(url), exchange, attempts)
            url_text = resolve_location(url, location)
            hops += 1
            if loop_key(url_text) in seen:
                return _failed(request, str(url), "RedirectLoop",
                               f"redirect loop: {url} redirects back to {url_text}", attempts, exchange)
            if hops > self.settings.max_redirects:
                return _failed(request, str(url), "TooManyRedirects", f"more than {self.settings.max_redirects} "
                               f"redirects starting at {request.url}; last Location was {url_text}", attempts,
                               exchange)

    async def _with_retries(self, url: httpx.URL, request: HttpRequest, attempts: list[Attempt],
                            max_bytes: int) -> _Exchange:
        s = self.settings
        host = url.raw_host.decode("ascii").lower()
        for number in range(1, s.retries + 2):
            started_at = _utcnow()
            t0 = time.monotonic()
            exchange = await self._exchange(url, request, host, max_bytes)
            location = exchange.headers.get("location") if exchange.status in REDIRECTS else None
            attempts.append(Attempt(str(url), resolve_location(url, location) if location else
                                    (str(url) if exchange.status is not None else None),
                                    exchange.status, exchange.received, int((time.monotonic() - t0) * 1000),
                                    *((exchange.error_class, exchange.error) if exchange.error_class
                                      else _status_error(exchange.status)), number, started_at))
            retryable = exchange.error_class in RETRYABLE_ERRORS or exchange.status == 429 or (
                exchange.status is not None and exchange.status >= 500 and exchange.error_class is None)
            if not retryable or number > s.retries:
                return exchange
            if exchange.retry_after is not None:
                wait = min(exchange.retry_after, s.max_retry_after)
                self._gate.defer(host, wait)  # Retry-After speaks for the whole host, not just this URL
            else:
                wait = random.uniform(0, min(s.backoff_base * 2 ** (number - 1), s.max_retry_after))
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _exchange(self, url: httpx.URL, request: HttpRequest, host: str, max_bytes: int) -> _Exchange:
        headers = {"Accept": request.accept}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        out = _Exchange()
        deadline = self.settings.attempt_deadline
        try:
            async with self._gate.slot(host), asyncio.timeout(deadline), \
                    self._client.stream("GET", url, headers=headers) as response:
                out.status = response.status_code
                out.headers = dict(response.headers.items())  # names already lower-cased, repeats joined
                out.retry_after = retry_after_seconds(out.headers.get("retry-after"))
                if 200 <= out.status < 300:
                    out.content = await read_capped_body(response, out, max_bytes)
                else:
                    await _drain(response, out)
        except PolicyError as exc:
            out.error_class, out.error = exc.error_class, exc.message
        except TimeoutError:
            out.error_class, out.error = "Timeout", f"no complete response from {url} within {deadline:g}s " \
                                                    "(overall per-attempt deadline)"
        except httpx.TimeoutException as exc:
            out.error_class, out.error = "Timeout", f"{type(exc).__name__} from {url}: {str(exc) or 'timed out'}"
        except httpx.ConnectError as exc:
            out.error_class, out.error = "ConnectError", f"cannot connect to {url}: {exc}"
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            out.error_class, out.error = "NetworkError", f"{type(exc).__name__} from {url}: {exc}"
        except httpx.HTTPError as exc:
            out.error_class, out.error = type(exc).__name__, f"{type(exc).__name__} from {url}: {exc}"
        if out.error_class is not None:
            out.content = None
        return out

    async def _load_robots(self, robots_url: str) -> RobotsFetch:
        response = await self._fetch(HttpRequest(robots_url, accept="text/plain,*/*;q=0.5"), self.robots_attempts,
                                     robots=False, max_bytes=min(self.settings.max_bytes, ROBOTS_MAX_BYTES))
        return RobotsFetch(response.status, response.content if response.ok else None, response.error,
                           response.error_class)


async def _drain(response: httpx.Response, counter: _Exchange) -> None:
    """Read and discard a small non-2xx body (304, redirect, error page) so the connection can be reused.

    Why: httpcore returns a connection to the pool only when the response was read to its end; a 304 left
    unread (it has no body, but its end is still an unread event) closed the connection, so every
    conditional request of an unchanged re-run, every redirect hop and every retry paid a new TCP (and in
    production TLS) handshake. bench/fetch_cost.py, CPU per 304 on loopback: 1.05-1.12 ms unread, 0.67 ms
    drained, 0.57-0.61 ms for a bare httpx loop.
    A body declared larger than DRAIN_MAX_BYTES is not worth downloading: the connection is closed instead,
    as before. Draining is best effort and never changes the outcome: a body that errors, runs past
    DRAIN_MAX_BYTES or takes longer than DRAIN_SECONDS is abandoned (the connection is closed), and the
    exchange keeps its status. Bytes read count as received (they crossed the wire).
    """
    length = response.headers.get("content-length", "")
    if response.is_closed or (length.isdigit() and int(length) > DRAIN_MAX_BYTES):
        return  # closed: a transport that hands over pre-read responses (httpx.MockTransport)
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            async for chunk in response.aiter_raw():
                counter.received += len(chunk)
                if counter.received > DRAIN_MAX_BYTES:
                    return  # an endless error body: give up; closing the stream closes the connection
    except (TimeoutError, httpx.HTTPError, httpx.StreamError):
        return


def fetch_all(requests: Iterable[HttpRequest], settings: HttpSettings = DEFAULT_SETTINGS) -> list[HttpResponse]:
    """Synchronous wrapper (asyncio.run) for callers in worker threads."""
    todo = list(requests)

    async def run() -> list[HttpResponse]:
        async with HttpClient(settings) as client:
            return await client.fetch_many(todo)

    return asyncio.run(run())


def _finish(request: HttpRequest, final_url: str, ex: _Exchange, attempts: list[Attempt]) -> HttpResponse:
    """Build the response for a non-redirect outcome: success, 304, HTTP error or transport error."""
    media, charset = _content_type(ex.headers.get("content-type"))
    not_modified = ex.status == 304 and bool(request.etag or request.last_modified)
    error_class, error = ex.error_class, ex.error
    if error_class is None and not not_modified and (ex.status is None or not 200 <= ex.status < 300):
        error_class, error = "HttpStatus", f"HTTP {ex.status} from {final_url}"
    if error_class is not None and attempts and attempts[-1].attempt > 1:
        error = f"{error} (gave up after {attempts[-1].attempt} attempts)"
    return HttpResponse(request, final_url if ex.status is not None else None, ex.status, ex.headers,
                        ex.content if error_class is None else None, media, charset, not_modified,
                        error_class, error, attempts)


def _failed(request: HttpRequest, final_url: str | None, error_class: str, error: str, attempts: list[Attempt],
            ex: _Exchange | None = None) -> HttpResponse:
    headers = ex.headers if ex else {}
    media, charset = _content_type(headers.get("content-type"))
    return HttpResponse(request, final_url, ex.status if ex else None, headers, None, media, charset, False,
                        error_class, error, attempts)


def _status_error(status: int | None) -> tuple[str | None, str | None]:
    return ("HttpStatus", f"HTTP {status}") if status is not None and status >= 400 else (None, None)


def _content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset" and val.strip().strip("'\""):
            charset = val.strip().strip("'\"").lower()
    return media.strip().lower() or None, charset


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
