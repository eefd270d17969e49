"""The benchmark's news site: a corpus folder served over HTTP/1.1 on 127.0.0.1, in its own process.

Why a separate process: the pipeline under test has two cores and one GIL; a server thread in the same process
would steal the flow's GIL and blur what is measured. Why not the test suite's `tests/loopback_site.py`: that
site injects faults; this one only has to be fast and honest about caching: every page, feed and sitemap
carries an ETag and Last-Modified, and conditional requests get a 304, so an unchanged re-run costs
conditional requests only.

Why asyncio and pages prepared at start-up: the site stands in for the outlets' own servers, whose CPU is not the
pipeline's, yet here it shares the benchmark's 2 cores. `http.server` (a thread per connection, headers parsed
by `email`) plus a search of every ~190 KB page for its `{port}` placeholders cost 0.72-0.74 CPU ms per page
served, ~3.5 % of all CPU in a 2,000-page run; one event loop with requests parsed by hand, validators and
placeholder offsets found once before the clock, costs 0.23-0.24 (most of it the kernel's loopback send).

Routes: `/robots.txt` (allow all), `/<outlet>/feed.xml` (RSS 2.0), `/<outlet>/sitemap.xml` (urlset with
Google News titles and dates), and every page of the corpus manifest by its path (anything else is a 404);
GET and HEAD, HTTP/1.1 keep-alive. Run `python bench/site.py ROOT`; it
prints `PORT <n>` once listening. `SiteProcess(root)` starts and stops it from Python.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate
from pathlib import Path
from xml.sax.saxutils import escape

ROBOTS = b"User-agent: *\nAllow: /\n"
PLACEHOLDER = b"{port}"  # in the corpus pages' links (bench/corpus.py); the port is only known once listening


def _rfc822(iso: str) -> str:
    return format_datetime(datetime.fromisoformat(iso).replace(tzinfo=UTC))


def build_listings(root: Path, base_url: str) -> dict[str, bytes]:
    """RSS feed and sitemap per outlet, from the corpus manifest (newest first, as outlets publish them)."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    by_outlet: dict[str, list[dict]] = {}
    for article in manifest["articles"]:
        by_outlet.setdefault(article["outlet"], []).append(article)
    out: dict[str, bytes] = {}
    for outlet, articles in by_outlet.items():
        articles.sort(key=lambda a: a["published"], reverse=True)
        items = "".join(
            f"<item><title>{escape(a['title'])}</title><link>{base_url}/{a['path']}</link>"
            f"<guid isPermaLink=\"true\">{base_url}/{a['path']}</guid><pubDate>{_rfc822(a['published'])}</pubDate>"
            "</item>" for a in articles)
        out[f"/{outlet}/feed.xml"] = (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{outlet}</title>'
            f"<link>{base_url}/{outlet}/</link><description>{outlet} news</description>{items}</channel></rss>"
        ).encode()
        urls = "".join(
            f"<url><loc>{base_url}/{a['path']}</loc><lastmod>{a['published']}Z</lastmod><news:news>"
            f"<news:publication><news:name>{outlet}</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{a['published']}Z</news:publication_date>"
            f"<news:title>{escape(a['title'])}</news:title></news:news></url>" for a in articles)
        out[f"/{outlet}/sitemap.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + urls + "</urlset>").encode()
    return out


class _Site:
    """What the site serves: listings from memory, pages from the corpus folder (only the manifest's paths)."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root.resolve()
        self.port_bytes = str(port).encode()
        self.listings = build_listings(self.root, f"http://127.0.0.1:{port}")
        self.listing_etags = {k: '"' + hashlib.sha256(v).hexdigest()[:16] + '"' for k, v in self.listings.items()}
        self.started = formatdate(usegmt=True)
        manifest = json.loads((self.root / "manifest.json").read_text(encoding="utf-8"))
        self.pages = {"/" + a["path"]: self.root / a["path"] for a in manifest["articles"]}
        # Prepared at start-up, before any clock: validators from one stat, and where each page's `{port}`
        # placeholders are, so a request copies the file around them instead of searching 190 KB for them.
        self.prepared: dict[str, tuple[str, str, list[int]]] = {}
        for path, file in self.pages.items():
            stat = file.stat()
            data = file.read_bytes()
            offsets, at = [], data.find(PLACEHOLDER)
            while at >= 0:
                offsets.append(at)
                at = data.find(PLACEHOLDER, at + len(PLACEHOLDER))
            self.prepared[path] = (f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"',
                                   formatdate(stat.st_mtime, usegmt=True), offsets)

    def body(self, path: str, offsets: list[int]) -> bytes:
        data = memoryview(self.pages[path].read_bytes())
        parts, previous = [], 0
        for at in offsets:
            parts += (data[previous:at], self.port_bytes)
            previous = at + len(PLACEHOLDER)
        parts.append(data[previous:])
        return b"".join(parts)

    def respond(self, method: str, target: str, if_none_match: str | None) -> list[bytes]:
        """The whole HTTP/1.1 response to one request."""
        if method not in ("GET", "HEAD"):
            return _response(405, b"method not allowed", "text/plain", None, None)
        path = target.split("?", 1)[0]
        if path == "/robots.txt":
            return _response(200, ROBOTS, "text/plain", None, None, head=method == "HEAD")
        if path in self.listings:
            etag = self.listing_etags[path]
            if _fresh(if_none_match, etag):
                return _response(304, b"", None, etag, self.started)
            return _response(200, self.listings[path], "application/xml", etag, self.started, head=method == "HEAD")
        if path not in self.pages:
            return _response(404, b"not found", "text/plain", None, None)
        etag, modified, offsets = self.prepared[path]
        if _fresh(if_none_match, etag):
            return _response(304, b"", None, etag, modified)
        body = self.body(path, offsets)
        return _response(200, body, "text/html; charset=utf-8", etag, modified, head=method == "HEAD")


_REASONS = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def _fresh(if_none_match: str | None, etag: str) -> bool:
    return if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]


def _response(status: int, body: bytes, content_type: str | None, etag: str | None, modified: str | None,
              head: bool = False) -> list[bytes]:
    lines = [f"HTTP/1.1 {status} {_REASONS[status]}", f"Date: {formatdate(usegmt=True)}"]
    if content_type and status != 304:
        lines.append(f"Content-Type: {content_type}")
    if etag:
        lines.append(f"ETag: {etag}")
    if modified:
        lines.append(f"Last-Modified: {modified}")
    lines.append(f"Content-Length: {len(body)}")
    header = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return [header] if head or not body else [header, body]  # written as two buffers: no copy of the body


MAX_HEADER_BYTES = 64 * 1024


class _Connection(asyncio.Protocol):
    """One keep-alive connection: requests are parsed as they arrive and answered in order."""

    def __init__(self, site: _Site) -> None:
        self.site = site
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4:]
            request_line, *header_lines = head.split("\r\n")
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            parts = request_line.split()
            if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                self.transport.writelines(_response(400, b"bad request", "text/plain", None, None))
                self.transport.close()
                return
            length = int(headers.get("content-length") or 0)  # a body on a GET is read and ignored
            if len(self.buffer) < length:
                self.buffer = head.encode("latin-1") + b"\r\n\r\n" + self.buffer  # wait for the rest
                return
            self.buffer = self.buffer[length:]
            self.transport.writelines(self.site.respond(parts[0], parts[1], headers.get("if-none-match")))
            if headers.get("connection", "").lower() == "close" or parts[2] == "HTTP/1.0":
                self.transport.close()
                return
        if len(self.buffer) > MAX_HEADER_BYTES:
            self.transport.close()


def serve(root: Path) -> None:
    """Listen on 127.0.0.1 (a free port), print `PORT <n>`, serve until interrupted."""

    async def listen() -> None:
        loop = asyncio.get_running_loop()
        holder: dict[str, _Site] = {}
        server = await loop.create_server(lambda: _Connection(holder["site"]), "127.0.0.1", 0, backlog=128)
        port = server.sockets[0].getsockname()[1]
        holder["site"] = _Site(root, port)
        print(f"PORT {port}", flush=True)
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(listen())


class SiteProcess:
    """`with SiteProcess(root) as site:` serves the corpus from a child process; `site.url(path)`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = 0
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> SiteProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen([sys.executable, __file__, str(self.root)], stdout=subprocess.PIPE,
                                      text=True, env=env)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()
        if not line.startswith("PORT "):
            self._proc.kill()
            raise RuntimeError(f"bench site did not start (said {line!r})")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    serve(parser.parse_args().root)


if __name__ == "__main__":
    main()
