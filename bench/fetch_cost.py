"""CPU cost per fetched page of `HttpClient.fetch_many`, against a bare `httpx.AsyncClient` loop.

Why this exists: docs/performance.md puts the fetch at 8.5–15 CPU ms per ~190 KB page inside the ingest flow,
4.5 ms for one harvest alone. This bench isolates that cost so a change to newsdigest/fetch/http_client.py can
be measured in seconds, without a corpus, a warehouse or Prefect.

How: a child process (not a thread: it would share our GIL and its CPU would count as ours) serves N pages of
~190 KB of real-looking news HTML on 127.0.0.1 over HTTP/1.1 keep-alive; every other page is sent with
`Content-Encoding: gzip` (pre-compressed at start-up, level 6), the rest identity; every page has an ETag and
Last-Modified. This process then fetches all N through `HttpClient.fetch_many` (robots.txt honoured, per-host
delay 0, default per-host concurrency 2, allow_loopback) and, for reference, through a bare httpx loop with the
same concurrency (`client.get`, httpx decoding gzip itself); then the same again with each page's ETag
(If-None-Match: every answer a bodiless 304, the unchanged re-run). Reported: CPU ms per page of this process
(`time.process_time` around the whole fetch, client set-up included: best of `--repeat`) and pages/s (wall,
from the same best run; wall is noisy on a shared machine, CPU is what to compare). Self-contained: no corpus,
no network beyond loopback.

    .venv/bin/python bench/fetch_cost.py [--n 500] [--repeat 3] [--profile 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gzip
import hashlib
import io
import os
import pstats
import random
import subprocess
import sys
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PAGE_TARGET = 190 * 1024
_WORDS = [
    "government", "minister", "election", "security", "border", "talks", "economy", "report", "officials",
    "said", "week", "market", "energy", "pipeline", "region", "capital", "forces", "agreement", "president",
    "parliament", "trade", "sanctions", "central", "investment", "growth", "summit", "cooperation", "defence",
    "ministry", "statement", "visit", "delegation", "project", "bank", "inflation", "currency", "exports",
    "gas", "oil", "railway", "corridor", "infrastructure", "water", "drought", "harvest",
]


def make_page(i: int, seed: int = 7) -> bytes:
    """One ~190 KB article page with the bulk real pages have: head metadata, inline scripts and styles,
    navigation, the article, related links, comments and a footer. Deterministic in (i, seed)."""
    rng = random.Random(seed * 1_000_003 + i)
    vocab = _WORDS + [f"{w}{rng.randint(0, 400)}" for w in _WORDS]

    def sentence(n: int) -> str:
        words = [rng.choice(vocab) for _ in range(n)]
        return " ".join(words).capitalize() + "."

    title = sentence(8)[:-1]
    head = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} | Outlet</title>"
            f"<meta name=\"description\" content=\"{sentence(20)}\">"
            f"<meta property=\"og:title\" content=\"{title}\"><meta property=\"article:published_time\" "
            f"content=\"2026-03-0{1 + i % 7}T08:{i % 60:02d}:00Z\"><link rel=\"canonical\" "
            f"href=\"https://outlet.example/news/{i}\">"
            "<style>" + "".join(f".c{k}{{margin:{k % 9}px;padding:{k % 5}px;color:#{k * 4099 % 0xffffff:06x}}}"
                                for k in range(400)) + "</style>"
            "<script>window.dataLayer=window.dataLayer||[];" + "".join(
                f"dataLayer.push({{'event':'e{k}','v':{rng.randint(0, 99999)}}});" for k in range(300))
            + "</script></head><body>")
    nav = "<nav><ul>" + "".join(f"<li class=\"c{k}\"><a href=\"/section/{k}\">{rng.choice(vocab).title()}</a>"
                                "</li>" for k in range(120)) + "</ul></nav>"
    parts = [head, nav, f"<main><article><h1>{title}</h1><p class=\"byline\">By {rng.choice(vocab).title()}"
             f"</p><time datetime=\"2026-03-0{1 + i % 7}\">March {1 + i % 7}, 2026</time>"]
    size = sum(map(len, parts))
    k = 0
    while size < PAGE_TARGET * 0.8:
        block = (f"<p>{' '.join(sentence(rng.randint(8, 24)) for _ in range(rng.randint(2, 5)))}</p>"
                 if k % 6 else f"<div class=\"related c{k % 400}\"><a href=\"/news/{rng.randint(0, 99999)}\">"
                               f"{sentence(9)}</a></div>")
        parts.append(block)
        size += len(block)
        k += 1
    parts.append("</article></main><section class=\"comments\">")
    while size < PAGE_TARGET - 200:
        block = f"<div class=\"comment\"><b>user{rng.randint(0, 9999)}</b><p>{sentence(14)}</p></div>"
        parts.append(block)
        size += len(block)
    parts.append("</section><footer>&copy; 2026 Outlet</footer></body></html>")
    return "".join(parts).encode()


# -- the server (child process) ---------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: without this, delayed ACKs stall
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            return self._send(b"User-agent: *\nAllow: /\n", "text/plain", None, None)
        page = self.server.pages.get(self.path)
        if page is None:
            return self._send(b"not found", "text/plain", None, None, status=404)
        body, gz, etag = page
        if self.headers.get("If-None-Match") == etag:
            return self._send(b"", None, etag, None, status=304)
        zipped = gz is not None and "gzip" in (self.headers.get("Accept-Encoding") or "")
        self._send(gz if zipped else body, "text/html; charset=utf-8", etag, "gzip" if zipped else None)

    def _send(self, body: bytes, ctype: str | None, etag: str | None, encoding: str | None,
              status: int = 200) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        if etag:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", self.server.modified)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, n: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.modified = formatdate(usegmt=True)
        self.pages: dict[str, tuple[bytes, bytes | None, str]] = {}
        for i in range(n):
            body = make_page(i)
            gz = gzip.compress(body, 6, mtime=0) if i % 2 == 0 else None
            self.pages[f"/news/{i}.html"] = (body, gz, '"' + hashlib.sha1(body).hexdigest()[:16] + '"')


def serve(n: int) -> None:
    server = _Server(n)
    print(f"PORT {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.1)


@contextlib.contextmanager
def site(n: int):
    """Start the server in a child process; yield its base URL."""
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(n)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("PORT "):
            raise RuntimeError(f"bench server did not start (said {line!r})")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- the clients ------------------------------------------------------------------------------------------------

def fetch_with_client(urls: list[str], concurrency: int, etags: list[str] | None = None) -> list[bytes | str]:
    """Pages through HttpClient.fetch_many; with `etags`, conditional requests (each must answer 304).

    Returns the bodies, or with `etags` the ETags the server sent."""
    from newsdigest.fetch.http_client import HttpClient, HttpRequest, HttpSettings

    settings = HttpSettings(allow_loopback=True, per_host_delay=0.0, per_host_concurrency=concurrency)

    async def run() -> list[bytes | str]:
        async with HttpClient(settings) as client:
            responses = await client.fetch_many([HttpRequest(u, etag=e) for u, e in
                                                 zip(urls, etags or [None] * len(urls), strict=True)])
        bad = [r for r in responses if not (r.not_modified if etags else r.ok)]
        if bad:
            raise RuntimeError(f"{len(bad)} fetches failed, e.g. {bad[0].status} {bad[0].error_class}: "
                               f"{bad[0].error}")
        return [r.headers["etag"] for r in responses] if etags else [r.content for r in responses]

    return asyncio.run(run())


def fetch_bare(urls: list[str], concurrency: int, etags: list[str] | None = None) -> list[bytes | str]:
    """The same through a bare httpx.AsyncClient (`get`, httpx decodes gzip), same concurrency."""
    import httpx

    async def run() -> list[bytes | str]:
        gate = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(trust_env=False) as client:
            async def one(url: str, etag: str | None) -> bytes | str:
                async with gate:
                    response = await client.get(url, headers={"If-None-Match": etag} if etag else None)
                    if response.status_code != (304 if etag else 200):
                        raise RuntimeError(f"HTTP {response.status_code} from {url}")
                    return response.headers["etag"] if etag else response.content
            return list(await asyncio.gather(*(one(u, e) for u, e in
                                               zip(urls, etags or [None] * len(urls), strict=True))))

    return asyncio.run(run())


def measure(fn, urls: list[str], concurrency: int, expected: list, repeat: int,
            etags: list[str] | None = None) -> tuple[float, float]:
    """Best (lowest) CPU ms/page over `repeat` runs, and the pages/s of that run."""
    best = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        got = fn(urls, concurrency, etags)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        if got != expected:
            raise RuntimeError(f"{fn.__name__} returned wrong bodies")
        if best is None or cpu < best[0]:
            best = (cpu, wall)
    cpu, wall = best
    return cpu * 1000 / len(urls), len(urls) / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2, help="per-host concurrency (HttpSettings default 2)")
    parser.add_argument("--profile", type=int, default=0, metavar="K",
                        help="also cProfile one HttpClient run and print the top K functions by own time")
    parser.add_argument("--only", choices=("client", "bare"), default=None)
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        return serve(args.serve)

    pages = [make_page(i) for i in range(args.n)]
    etags = ['"' + hashlib.sha1(p).hexdigest()[:16] + '"' for p in pages]
    mean_kb = sum(map(len, pages)) / len(pages) / 1024
    gz_kb = sum(len(gzip.compress(p, 6)) for p in pages[:20:2]) / 10 / 1024
    load = os.getloadavg()[0]
    print(f"{args.n} pages, mean {mean_kb:.0f} KB (gzip ~{gz_kb:.0f} KB on the wire for every other page); "
          f"per-host concurrency {args.concurrency}; best of {args.repeat}; nproc {os.cpu_count()}; "
          f"load {load:.2f}", flush=True)
    with site(args.n) as base:
        urls = [f"{base}/news/{i}.html" for i in range(args.n)]
        fetch_bare(urls[:4], 1)  # warm imports and the server
        fetch_with_client(urls[:4], 1)
        for name, fn in (("HttpClient.fetch_many", fetch_with_client), ("bare httpx.AsyncClient", fetch_bare)):
            if args.only and fn is not (fetch_with_client if args.only == "client" else fetch_bare):
                continue
            ms, rate = measure(fn, urls, args.concurrency, pages, args.repeat)
            ms304, rate304 = measure(fn, urls, args.concurrency, etags, args.repeat, etags)
            print(f"{name:24s} 200: {ms:5.2f} CPU ms/page {rate:6.1f} pages/s   "
                  f"304: {ms304:5.2f} CPU ms/request {rate304:6.1f} requests/s", flush=True)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            fetch_with_client(urls, args.concurrency)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(args.profile)
            stats.sort_stats("cumulative").print_stats(args.profile)
            print(out.getvalue())
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
