"""Feeds, sitemaps and feed autodiscovery: bytes/str in, dataclasses out. Pure; nothing here touches the network.

API
---
``parse_feed(content: bytes, base_url, *, max_bytes=50 MB) -> ParsedFeed``
    RSS 0.9x/2.0, RSS 1.0 (RDF), Atom 0.3/1.0 through feedparser, plus JSON Feed 1.x parsed here. feedparser is
    always handed an in-memory stream (never a str, which it could treat as a URL or a file name; passing a str
    to ``parse_feed`` is a ``TypeError``), with ``Content-Location: base_url`` so it resolves relative links;
    links are resolved against ``base_url`` again here. Items without an http(s) link are skipped; item URLs are
    kept as the feed gives them (absolute, *not* canonicalised). ``ParsedFeed`` behaves like the list of its
    items (iteration, ``len``, indexing) and also carries ``title``, ``format`` and ``warning``: the warning is
    set when the feed was not well-formed but feedparser's lenient parser still recovered entries (log it; the
    items are usable). A non-UTF-8 feed that declares no encoding gets a detected charset (charset-normalizer)
    instead of feedparser's windows-1252 fallback, which would garble Cyrillic.
    :class:`FeedError` when the content is not a feed: empty, binary, HTML, a sitemap, other XML or JSON,
    malformed with no entries. An empty but valid feed (a channel with no items) is not an error.

``parse_sitemap(content: bytes, base_url, *, max_bytes=50 MB) -> Sitemap``
    Sitemap index or urlset, with the Google News extension. Elements are matched by local name, so any (or no,
    or the "wrong" https) sitemaps.org namespace works; relative ``<loc>`` values are resolved, non-http(s) ones
    skipped. Parsed by lxml with entity resolution, DTD loading and network access off; a document declaring
    entities in a DOCTYPE is refused outright (no sitemap needs one; it is how entity-expansion bombs start).
    Malformed XML: a raw ``&`` in URLs is repaired, otherwise libxml2's recovery mode is used; either way
    ``Sitemap.warning`` says so. Non-sitemap content -> :class:`FeedError`.

gzip (both functions)
    Detected by magic bytes, inflated incrementally with an output cap (``max_bytes``, default 50 MB, the sitemap
    protocol's own limit); beyond it, or on corrupt/truncated data, :class:`FeedError`.

``robots_sitemaps(robots_txt, base_url) -> list[str]``, ``discover_feeds(html, base_url) -> list[str]``,
``sniff(content) -> str``, ``looks_like_feed(content) -> bool``, ``parse_date(text) -> datetime | None``,
``html_to_text(fragment) -> str | None``.

Dates are naive UTC datetimes, only ever taken from what the document states: RFC 822 (including MSK/MSD) and
ISO 8601 / W3C-DTF with offsets are understood; a value without a recognised offset is read as UTC; a date
without a time is midnight UTC; anything unparsable or outside 1970-2100 is ``None``.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz
from html import unescape
from html.parser import HTMLParser
from typing import Any, Literal

import feedparser
from charset_normalizer import from_bytes
from lxml import etree

from newsdigest.urls import absolute_url

__all__ = [
    "FEED_TYPES",
    "MAX_DECOMPRESSED_BYTES",
    "FeedError",
    "FeedItem",
    "ParsedFeed",
    "Sitemap",
    "SitemapEntry",
    "discover_feeds",
    "html_to_text",
    "looks_like_feed",
    "parse_date",
    "parse_feed",
    "parse_sitemap",
    "robots_sitemaps",
    "sniff",
]

MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class FeedError(ValueError):
    """The content is not a usable feed or sitemap; the message says why."""


@dataclass(frozen=True)
class FeedItem:
    url: str  # absolute http(s) URL as the feed gives it (not canonicalised)
    title: str | None = None
    published: datetime | None = None  # naive UTC, only when the feed states a date
    author: str | None = None
    summary: str | None = None  # plain text (tags stripped, entities decoded)
    guid: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    items: list[FeedItem]
    title: str | None = None
    format: str = ""  # feedparser's version string ("rss20", "atom10", "rss10", ...) or "json1"
    warning: str | None = None  # set when the XML was malformed but entries were recovered

    def __iter__(self) -> Iterator[FeedItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> FeedItem:
        return self.items[index]


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None
    news_title: str | None = None
    news_published: datetime | None = None
    language: str | None = None


@dataclass(frozen=True)
class Sitemap:
    kind: Literal["index", "urlset"]
    entries: list[SitemapEntry] = field(default_factory=list)
    warning: str | None = None  # set when the XML had to be parsed in recovery mode


# ----------------------------------------------------------------------------------------------------- dates

_TZ_ABBREVIATIONS = {"MSK": 3, "MSD": 4, "UT": 0, "UTC": 0, "GMT": 0, "Z": 0}
_ISO_RE = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?$",
    re.I,
)


def _sane(dt: datetime) -> datetime | None:
    return dt if 1970 <= dt.year <= 2100 else None


def _to_naive_utc(dt: datetime) -> datetime:
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def parse_date(text: str | None) -> datetime | None:
    """RFC 822 / ISO 8601 (W3C) date-time -> naive UTC; ``None`` when absent, invalid or implausible."""
    if not text or not isinstance(text, str):
        return None
    value = text.strip()
    if not value:
        return None
    m = _ISO_RE.match(value)
    if m:
        year, month, day, hour, minute, second, frac, tz = m.groups()
        try:
            dt = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                int((frac or "0")[:6].ljust(6, "0")),
            )  # fmt: skip
        except ValueError:
            return None
        if tz and tz.upper() not in ("Z", "UTC", "GMT"):
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
            if hours > 14 or minutes > 59:
                return None
            dt = dt - sign * timedelta(hours=hours, minutes=minutes)
        return _sane(dt)
    # RFC 822 / 2822, with a few tolerated zone names that email.utils does not know
    cleaned = re.sub(r"\s+", " ", value)
    zone = re.search(r"\s([A-Za-z]{2,4})$", cleaned)
    extra_offset = None
    if zone and zone.group(1).upper() in _TZ_ABBREVIATIONS:
        extra_offset = _TZ_ABBREVIATIONS[zone.group(1).upper()]
        cleaned = cleaned[: zone.start()] + " +0000"
    parsed = parsedate_tz(cleaned)
    if parsed is None:
        return None
    try:
        offset = parsed[9] if parsed[9] is not None else 0
        if extra_offset is not None:
            offset = extra_offset * 3600
        dt = datetime(*parsed[:6], tzinfo=timezone(timedelta(seconds=offset)))
    except (ValueError, OverflowError):
        return None
    return _sane(_to_naive_utc(dt))


def _struct_to_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return _sane(datetime(*value[:6]))  # feedparser's *_parsed values are already UTC
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------------------------------------------ text


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "head", "title"})
    _BLOCK = frozenset(
        {
            "p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6",
            "blockquote", "section", "article", "header", "footer", "figure", "figcaption", "hr", "pre", "dd", "dt",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(fragment: str | None) -> str | None:
    """Untrusted HTML fragment -> plain text: tags dropped (script/style content too), entities decoded,
    whitespace collapsed. ``None`` when nothing is left."""
    if not fragment:
        return None
    parser = _TextExtractor()
    try:
        parser.feed(fragment)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # HTMLParser is tolerant, but never let a hostile fragment break ingestion
        text = unescape(re.sub(r"<[^>]*>", " ", fragment))
    text = re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()
    return text or None


def _plain(value: Any, detail: Any = None) -> str | None:
    if not isinstance(value, str):
        return None
    kind = detail.get("type", "") if isinstance(detail, dict) else ""
    if kind == "text/plain" and "<" not in value:
        text = re.sub(r"\s+", " ", value).strip()
        return text or None
    return html_to_text(value)


# ---------------------------------------------------------------------------------------------------- sniffing

_FEED_KINDS = frozenset({"rss", "atom", "rdf", "jsonfeed"})
_PROLOG_RE = re.compile(r"^(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)", re.S | re.I)
_TAG_RE = re.compile(r"^<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_HTML_HINT_RE = re.compile(r"<(?:html|head|body|meta|title|script|div|p)[\s>/]|<!doctype\s+html", re.I)

#: Values of <link type> that :func:`discover_feeds` accepts (lower-case, parameters stripped).
FEED_TYPES = frozenset(
    {
        "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json",
        "application/x-rss+xml", "application/x-atom+xml", "application/x.atom+xml", "text/rss+xml",
    }
)  # fmt: skip


def _inflate(data: bytes, max_bytes: int) -> bytes:
    """Inflate (possibly multi-member) gzip data, refusing output beyond ``max_bytes``."""
    out = bytearray()
    rest = data
    while rest[:2] == _GZIP_MAGIC:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        chunk_in = rest
        try:
            while True:
                piece = inflater.decompress(chunk_in, max(1, max_bytes - len(out) + 1))
                out += piece
                if len(out) > max_bytes:
                    raise FeedError(f"gzip content inflates beyond the {max_bytes:,}-byte limit (decompression bomb?)")
                chunk_in = inflater.unconsumed_tail
                if inflater.eof or not chunk_in and not piece:
                    break
        except zlib.error as exc:
            raise FeedError(f"corrupt gzip content: {exc}") from exc
        if not inflater.eof:
            raise FeedError("truncated gzip content")
        rest = inflater.unused_data
    if rest.strip(b"\x00 \t\r\n"):
        raise FeedError("trailing garbage after gzip content")
    return bytes(out)


def _head_text(content: bytes, limit: int = 4096) -> str:
    head = content[: limit * 2]
    if head.startswith(b"\xef\xbb\xbf"):
        return head[3:].decode("utf-8", "replace")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace")
    if head[:2] in (b"<\x00", b"\x00<"):
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", "replace")
    return head.decode("utf-8", "replace")


def _is_binary(content: bytes) -> bool:
    head = content[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<"):
        return False  # UTF-16 text
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    return controls > max(8, len(head) // 50)


def sniff(content: bytes) -> str:
    """What a response body is, from its first bytes: ``"rss"``, ``"atom"``, ``"rdf"``, ``"jsonfeed"``,
    ``"sitemapindex"``, ``"urlset"``, ``"html"``, ``"json"``, ``"xml"`` (other XML), ``"empty"``, ``"binary"``
    or ``"unknown"``. gzip is looked through (only a bounded prefix is inflated)."""
    if not content or not content.strip():
        return "empty"
    if content[:2] == _GZIP_MAGIC:
        try:
            content = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(content, 65536)
        except zlib.error:
            return "binary"
        if not content.strip():
            return "empty"
    if _is_binary(content):
        return "binary"
    text = _head_text(content)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        return "jsonfeed" if re.search(r'"version"\s*:\s*"https?://jsonfeed\.org/version/', text) else "json"
    if re.match(r"<!doctype\s+html", stripped, re.I):
        return "html"
    rest = stripped
    while True:
        m = _PROLOG_RE.match(rest)
        if not m or not m.group(0):
            break
        rest = rest[m.end() :]
    tag = _TAG_RE.match(rest)
    if tag:
        name = tag.group(2)
        lname = name.lower()
        if lname == "rss":
            return "rss"
        if name == "feed":
            return "atom"
        if name == "RDF":
            return "rdf"
        if name in ("sitemapindex", "urlset"):
            return name
        if lname in ("html", "head", "body"):
            return "html"
        if _HTML_HINT_RE.search(text[:2048]) and not re.search(r"<\?xml", text[:100]):
            return "html"
        return "xml"
    if _HTML_HINT_RE.search(text[:2048]):
        return "html"
    return "unknown"


def looks_like_feed(content: bytes) -> bool:
    """True for RSS (any version), Atom, RSS 1.0/RDF and JSON Feed; False for sitemaps, HTML and the rest."""
    return sniff(content) in _FEED_KINDS


# ------------------------------------------------------------------------------------------------------ feeds


def _prepare(content: bytes, what: str, max_bytes: int) -> bytes:
    if not isinstance(content, bytes | bytearray | memoryview):
        raise TypeError(f"content must be bytes, got {type(content).__name__}")
    content = bytes(content)
    if not content.strip():
        raise FeedError(f"empty content: no {what} here")
    if content[:2] == _GZIP_MAGIC:
        content = _inflate(content, max_bytes)
        if not content.strip():
            raise FeedError(f"empty content after gzip inflation: no {what} here")
    elif len(content) > max_bytes:
        raise FeedError(f"content is larger than the {max_bytes:,}-byte limit")
    return content


def _not_a(kind: str, what: str) -> FeedError:
    reasons = {
        "html": f"content is an HTML page, not a {what}",
        "binary": f"content is binary data, not a {what}",
        "sitemapindex": f"content is a sitemap index, not a {what}",
        "urlset": f"content is a sitemap (urlset), not a {what}",
        "json": f"content is JSON but not a JSON Feed, not a {what}",
        "rss": f"content is an RSS feed, not a {what}",
        "atom": f"content is an Atom feed, not a {what}",
        "rdf": f"content is an RSS 1.0/RDF feed, not a {what}",
        "jsonfeed": f"content is a JSON Feed, not a {what}",
    }
    return FeedError(reasons.get(kind, f"content is not a {what} ({kind})"))


_XML_ENCODING_RE = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=\s*[\"']([A-Za-z0-9._:-]+)", re.I)
# feedparser's "bozo" exceptions that only say the declared encoding or media type was off: the XML itself is fine
_SOFT_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def parse_feed(content: bytes, base_url: str, *, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> ParsedFeed:
    """Items of an RSS/Atom/RDF/JSON feed, in feed order. See the module docstring for the contract."""
    content = _prepare(content, "feed", max_bytes)
    kind = sniff(content)
    if kind in ("html", "binary", "sitemapindex", "urlset", "json", "empty"):
        raise _not_a(kind, "feed")
    if kind == "jsonfeed":
        return _parse_json_feed(content, base_url)

    charset, declared = _charset_override(content)
    content_type = f"application/xml; charset={charset}" if charset else "application/xml"
    try:
        result = feedparser.parse(
            io.BytesIO(content),
            response_headers={"content-location": base_url, "content-type": content_type},
            resolve_relative_uris=True,
            sanitize_html=True,
        )
    except Exception as exc:  # feedparser can trip over hostile input (e.g. a garbled encoding declaration)
        raise FeedError(f"feed could not be parsed: {type(exc).__name__}: {_describe(exc)}") from exc
    entries = result.get("entries") or []
    version = result.get("version") or ""
    problem = result.get("bozo_exception") if result.get("bozo") else None
    hard_problem = problem is not None and not isinstance(problem, _SOFT_BOZO)
    if not entries:
        if kind not in _FEED_KINDS or not version:
            detail = f"; malformed XML: {_describe(problem)}" if hard_problem else ""
            raise FeedError(f"content is not a recognised feed (no RSS, Atom or RDF root element){detail}")
        if hard_problem:
            raise FeedError(f"malformed feed with no entries: {_describe(problem)}")

    warning = None
    if hard_problem and entries:
        warning = f"feed is not well-formed ({_describe(problem)}); {len(entries)} entries recovered leniently"
    elif problem is not None:
        warning = f"feed encoding or media type mismatch: {_describe(problem)}"
    elif charset and declared:
        warning = f"feed declares encoding {declared!r} but its bytes do not decode with it; decoded as {charset}"
    items = [item for entry in entries if (item := _feed_item(entry, base_url)) is not None]
    feed_info = result.get("feed") or {}
    title = _plain(dict.get(feed_info, "title"), dict.get(feed_info, "title_detail"))
    return ParsedFeed(items=items, title=title, format=version, warning=warning)


def _charset_override(content: bytes) -> tuple[str | None, str | None]:
    """A detected charset for a feed whose bytes are not UTF-8 and that declares no encoding, or declares one its
    bytes do not decode with (no BOM either), and the encoding it declared. ``None`` when the feed's own
    information is good enough.

    feedparser would otherwise fall back to windows-1252, which garbles Cyrillic (windows-1251, KOI8-R) feeds."""
    if content.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None, None
    try:
        content.decode("utf-8")
        return None, None
    except UnicodeDecodeError:
        pass
    match = _XML_ENCODING_RE.match(content[:512])
    declared = match.group(1).decode("ascii") if match else None
    if declared:
        try:
            content.decode(declared)
            return None, declared
        except (LookupError, UnicodeDecodeError):
            pass
    best = from_bytes(content[:262_144]).best()
    return (best.encoding if best is not None else None), declared


def _describe(exc: Any) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _entry_link(entry: dict[str, Any]) -> str | None:
    link = dict.get(entry, "link")
    if link:
        return link
    for candidate in dict.get(entry, "links") or []:
        if dict.get(candidate, "rel", "alternate") == "alternate" and dict.get(candidate, "href"):
            return candidate["href"]
    guid = dict.get(entry, "id")
    if dict.get(entry, "guidislink") and guid:
        return guid
    return None


def _entry_date(entry: dict[str, Any]) -> datetime | None:
    """published, else updated (Atom updated, dc:date), else created. Our own parser reads the stated string
    first (it knows zone names such as MSK that feedparser silently treats as UTC); feedparser's parsed value
    covers the exotic formats it knows."""
    for key in ("published", "updated", "created"):
        raw = dict.get(entry, key)
        parsed = parse_date(raw) if isinstance(raw, str) else None
        if parsed is None:
            parsed = _struct_to_datetime(dict.get(entry, f"{key}_parsed"))
        if parsed is not None:
            return parsed
    return None


def _entry_author(entry: dict[str, Any]) -> str | None:
    detail = dict.get(entry, "author_detail") or {}
    name = dict.get(detail, "name") if isinstance(detail, dict) else None
    author = _plain(name) or _plain(dict.get(entry, "author"))
    if author is None:
        names = [_plain(dict.get(a, "name")) for a in dict.get(entry, "authors") or [] if isinstance(a, dict)]
        author = ", ".join(n for n in names if n) or None
    return author


def _entry_summary(entry: dict[str, Any]) -> str | None:
    summary = _plain(dict.get(entry, "summary"), dict.get(entry, "summary_detail"))
    if summary:
        return summary
    for content in dict.get(entry, "content") or []:
        text = _plain(dict.get(content, "value"), content)
        if text:
            return text
    return None


def _feed_item(entry: dict[str, Any], base_url: str) -> FeedItem | None:
    url = absolute_url(base_url, _entry_link(entry))
    if url is None:
        return None
    guid = dict.get(entry, "id")
    return FeedItem(
        url=url,
        title=_plain(dict.get(entry, "title"), dict.get(entry, "title_detail")),
        published=_entry_date(entry),
        author=_entry_author(entry),
        summary=_entry_summary(entry),
        guid=guid.strip() if isinstance(guid, str) and guid.strip() else None,
    )


def _parse_json_feed(content: bytes, base_url: str) -> ParsedFeed:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"malformed JSON Feed: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedError("malformed JSON Feed: no 'items' list")
    items: list[FeedItem] = []
    for raw in data["items"]:
        if not isinstance(raw, dict):
            continue
        link = raw.get("url") if isinstance(raw.get("url"), str) else None
        if link is None and isinstance(raw.get("external_url"), str):
            link = raw["external_url"]
        url = absolute_url(base_url, link)
        if url is None:
            continue
        authors = raw.get("authors") if isinstance(raw.get("authors"), list) else [raw.get("author")]
        names = [_plain(a.get("name")) for a in authors if isinstance(a, dict)]
        summary = _plain(raw.get("summary")) or _plain(raw.get("content_text"), {"type": "text/plain"})
        summary = summary or html_to_text(raw.get("content_html") if isinstance(raw.get("content_html"), str) else None)
        guid = raw.get("id")
        items.append(
            FeedItem(
                url=url,
                title=_plain(raw.get("title"), {"type": "text/plain"}),
                published=parse_date(raw.get("date_published")) or parse_date(raw.get("date_modified")),
                author=", ".join(n for n in names if n) or None,
                summary=summary,
                guid=str(guid).strip() if isinstance(guid, str | int) and str(guid).strip() else None,
            )
        )
    return ParsedFeed(items=items, title=_plain(data.get("title"), {"type": "text/plain"}), format="json1")


# --------------------------------------------------------------------------------------------------- sitemaps


def _xml_parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False, recover=recover
    )


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def _text(el: Any) -> str | None:
    """Direct text of an element; unexpanded entity references are dropped, never expanded."""
    if el is None:
        return None
    parts = [el.text or ""]
    for child in el:  # entity references, comments, stray elements: their own text is never used
        parts.append(child.tail or "")
    text = "".join(parts).strip()
    return text or None


def _child(el: Any, name: str) -> Any:
    for child in el:
        if _local(child.tag) == name:
            return child
    return None


_DOCTYPE_RE = re.compile(rb"<!DOCTYPE", re.I)
_ENTITY_DECL_RE = re.compile(rb"<!ENTITY", re.I)


def _declares_entities(content: bytes) -> bool:
    """A DOCTYPE internal subset declaring entities: no sitemap needs one (this is how entity bombs start)."""
    head = content[:1_048_576]
    if b"\x00" in head[:4]:  # UTF-16: decode the head to look
        head = _head_text(content, 524_288).encode("utf-8", "replace")
    doctype = _DOCTYPE_RE.search(head)
    return bool(doctype and _ENTITY_DECL_RE.search(head, doctype.start()))


_BARE_AMPERSAND_RE = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")


def _parse_xml(content: bytes) -> tuple[Any, str | None]:
    """Strict parse; else the commonest sitemap bug (a raw ``&`` in a URL) repaired; else libxml2's recovery mode,
    which may drop or garble content, hence the warning."""
    try:
        return etree.fromstring(content, _xml_parser(recover=False)), None
    except etree.XMLSyntaxError as exc:
        error = exc
    repaired = _BARE_AMPERSAND_RE.sub(b"&amp;", content)
    if repaired != content:
        try:
            root = etree.fromstring(repaired, _xml_parser(recover=False))
            return root, f"sitemap is not well-formed XML ({error}); unescaped '&' repaired"
        except etree.XMLSyntaxError:
            pass
    try:
        root = etree.fromstring(repaired, _xml_parser(recover=True))
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise FeedError(f"malformed sitemap XML: {error}") from error
    return root, f"sitemap is not well-formed XML ({error}); parsed in recovery mode, entries may be missing"


def parse_sitemap(content: bytes, base_url: str, *, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> Sitemap:
    """Entries of a sitemap index or urlset (Google News fields included). See the module docstring."""
    content = _prepare(content, "sitemap", max_bytes)
    kind = sniff(content)
    if kind in ("html", "binary", "json", "jsonfeed", "rss", "atom", "rdf", "empty"):
        raise _not_a(kind, "sitemap")
    if _declares_entities(content):
        raise FeedError("sitemap declares XML entities in a DOCTYPE; refused (possible entity-expansion attack)")
    root, warning = _parse_xml(content)
    root_name = _local(root.tag)
    if root_name == "sitemapindex":
        entries = [
            SitemapEntry(url=url, lastmod=parse_date(_text(_child(el, "lastmod"))))
            for el in root
            if _local(el.tag) == "sitemap" and (url := absolute_url(base_url, _text(_child(el, "loc"))))
        ]
        return Sitemap(kind="index", entries=entries, warning=warning)
    if root_name == "urlset":
        entries = []
        for el in root:
            if _local(el.tag) != "url":
                continue
            url = absolute_url(base_url, _text(_child(el, "loc")))
            if url is None:
                continue
            news = _child(el, "news")
            title = published = language = None
            if news is not None:
                title = _plain(_text(_child(news, "title")), {"type": "text/plain"})
                published = parse_date(_text(_child(news, "publication_date")))
                publication = _child(news, "publication")
                if publication is not None:
                    language = _text(_child(publication, "language"))
            entries.append(
                SitemapEntry(
                    url=url,
                    lastmod=parse_date(_text(_child(el, "lastmod"))),
                    news_title=title,
                    news_published=published,
                    language=language.lower() if language else None,
                )
            )
        return Sitemap(kind="urlset", entries=entries, warning=warning)
    raise FeedError(f"XML document with root <{root_name}> is not a sitemap (expected <urlset> or <sitemapindex>)")


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    """``Sitemap:`` URLs declared in a robots.txt (any case, any group), absolute, deduplicated, in order."""
    found: list[str] = []
    for line in robots_txt.lstrip("\ufeff").splitlines():
        line = line.split("#", 1)[0].strip()
        name, sep, value = line.partition(":")
        if not sep or name.strip().lower() not in ("sitemap", "site-map"):
            continue
        url = absolute_url(base_url, value.strip())
        if url and url not in found:
            found.append(url)
    return found


# ----------------------------------------------------------------------------------------------- autodiscovery


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # ("base" | "feed", href)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("link", "base"):
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        href = values.get("href", "").strip()
        if not href:
            return
        if tag == "base":
            self.links.append(("base", href))
            return
        rels = values.get("rel", "").lower().split()
        media_type = values.get("type", "").split(";", 1)[0].strip().lower()
        if "alternate" in rels and media_type in FEED_TYPES:
            self.links.append(("feed", href))

    handle_startendtag = handle_starttag


def discover_feeds(html: str, base_url: str) -> list[str]:
    """Feed URLs advertised by ``<link rel="alternate" type="application/rss+xml|atom+xml|rdf+xml|feed+json">``.

    Made absolute (honouring the first ``<base href>``), http(s) only, deduplicated, in document order.
    """
    collector = _LinkCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # pragma: no cover - HTMLParser is tolerant; keep whatever was collected
        pass
    bases = [href for kind, href in collector.links if kind == "base"]
    base = (absolute_url(base_url, bases[0]) if bases else None) or base_url  # the first <base href> rules
    found: list[str] = []
    for kind, href in collector.links:
        if kind != "feed":
            continue
        url = absolute_url(base, href)
        if url and url not in found:
            found.append(url)
    return found
