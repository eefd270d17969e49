"""The benchmark's news site: a corpus folder served over HTTP/1.1 on 127.0.0.1, in its own process.

Why a separate process: the pipeline under test has two cores and one GIL; a server thread in the same process
would steal the flow's GIL and blur what is measured. Why not the test suite's `tests/loopback_site.py`: that
site injects faults; this one only has to be fast and honest about caching: every page, feed and sitemap
carries an ETag and Last-Modified, and conditional requests get a 304, so an unchanged re-run costs
conditional requests only.

Routes: `/robots.txt` (allow all), `/<outlet>/feed.xml` (RSS 2.0), `/<outlet>/sitemap.xml` (urlset with
Google News titles and dates), and every page of the corpus by its path. Run `python bench/site.py ROOT`; it
prints `PORT <n>` once listening. `SiteProcess(root)` starts and stops it from Python.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

ROBOTS = b"User-agent: *\nAllow: /\n"


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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        srv = self.server
        if path == "/robots.txt":
            return self._send(200, ROBOTS, "text/plain", None, None)
        if path in srv.listings:
            body = srv.listings[path]
            return self._send(200, body, "application/xml", srv.listing_etags[path], srv.started)
        target = (srv.root / path.lstrip("/")).resolve()
        if srv.root not in target.parents or not target.is_file():
            return self._send(404, b"not found", "text/plain", None, None)
        stat = target.stat()
        etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
        modified = formatdate(stat.st_mtime, usegmt=True)
        if self._fresh(etag):
            return self._send(304, b"", None, etag, modified)
        body = target.read_bytes().replace(b"{port}", srv.port_bytes)
        self._send(200, body, "text/html; charset=utf-8", etag, modified)

    def _fresh(self, etag: str) -> bool:
        tags = self.headers.get("If-None-Match")
        return tags is not None and etag in [t.strip() for t in tags.split(",")]

    def _send(self, status: int, body: bytes, content_type: str | None, etag: str | None,
              modified: str | None) -> None:
        if status == 200 and etag and self._fresh(etag):
            status, body = 304, b""
        self.send_response(status)
        if content_type and status != 304:
            self.send_header("Content-Type", content_type)
        if etag:
            self.send_header("ETag", etag)
        if modified:
            self.send_header("Last-Modified", modified)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root.resolve()
        self.port_bytes = str(self.server_address[1]).encode()
        base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.listings = build_listings(self.root, base_url)
        self.listing_etags = {k: '"' + hashlib.sha256(v).hexdigest()[:16] + '"' for k, v in self.listings.items()}
        self.started = formatdate(usegmt=True)


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
    args = parser.parse_args()
    server = _Server(args.root)
    print(f"PORT {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
