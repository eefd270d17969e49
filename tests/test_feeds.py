"""Feeds, sitemaps, robots.txt and feed autodiscovery, from fixture files only (no network)."""

from __future__ import annotations

import gzip
import time
from datetime import datetime
from pathlib import Path
from unittest import mock

import feedparser
import pytest

from newsdigest.feeds import (
    FeedError,
    FeedItem,
    ParsedFeed,
    discover_feeds,
    html_to_text,
    looks_like_feed,
    parse_date,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
    sniff,
)

WEB = Path(__file__).parent / "fixtures" / "web"
BASE = "https://www.example-asia.kz/rss/security.xml"


def fixture(name: str) -> bytes:
    return (WEB / name).read_bytes()


# ------------------------------------------------------------------------------------------------------ feeds


def test_rss20() -> None:
    feed = parse_feed(fixture("rss20.xml"), BASE)
    assert isinstance(feed, ParsedFeed)
    assert feed.format == "rss20" and feed.warning is None
    assert feed.title == "Central Asia Wire — Security"
    # the item without a link and the javascript: link are skipped
    assert [item.url for item in feed] == [
        "https://www.example-asia.kz/news/2024/05/06/border-exercise?utm_source=rss&utm_medium=feed",  # relative
        "https://www.example-asia.kz/news/2024/05/05/khatlon-arrests",
        "https://www.example-asia.kz/news/turkmen-gas",
    ]
    first, second, third = feed.items
    assert first == FeedItem(
        url="https://www.example-asia.kz/news/2024/05/06/border-exercise?utm_source=rss&utm_medium=feed",
        title="Kazakhstan and Kyrgyzstan hold joint border exercise",
        published=datetime(2024, 5, 6, 8, 30),  # 14:30 +0600 -> naive UTC
        author="Aigerim Sadykova",  # dc:creator
        summary="Troops from both countries trained near the border & checkpoints.",  # tags, script stripped
        guid="cawire-2024-0506-01",
    )
    assert second.published == datetime(2024, 5, 5, 9, 0)
    assert second.author == "Central Asia Desk"
    assert second.summary == "Police detained five people “linked to extremism”."
    assert third.published is None  # a garbled date is not replaced by anything
    assert third.summary is None and third.author is None and third.guid is None
    assert len(feed) == 3 and feed[0] is first


def test_atom10() -> None:
    feed = parse_feed(fixture("atom10.xml"), "https://example.ru/atom.xml")
    assert feed.format == "atom10" and feed.warning is None
    assert feed.title == "Новости России и Центральной Азии"
    first, second = feed
    assert first.url == "https://example.ru/news/2024/05/06/tashkent"
    assert first.title == "Шойгу провёл переговоры в Ташкенте"
    assert first.published == datetime(2024, 5, 6, 7, 15)  # <published>, not <updated>
    assert first.author == "Иван Петров"
    assert first.summary == "Стороны обсудили безопасность границы с Афганистаном."
    assert first.guid == "tag:example.ru,2024:news-1001"
    assert second.url == "https://example.ru/news/2024/05/05/updated-only"  # relative href resolved
    assert second.published == datetime(2024, 5, 5, 23, 30)  # only <updated> stated
    assert second.summary == "Content used when there is no summary."


def test_rdf10() -> None:
    feed = parse_feed(fixture("rdf10.xml"), "https://news.example.kg/rss")
    assert feed.format == "rss10"
    (item,) = feed
    assert item.url == "https://news.example.kg/a/1"
    assert item.title == "Bishkek hosts CSTO security council meeting"
    assert item.published == datetime(2024, 5, 4, 2, 0)  # dc:date with +06:00
    assert item.author == "Bakyt Osmonov"


def test_rss091_with_doctype() -> None:
    feed = parse_feed(fixture("rss091.xml"), "http://oldwire.example.com/rss")
    assert feed.format.startswith("rss091")
    (item,) = feed
    assert item.url == "http://oldwire.example.com/caspian-summit.html"
    assert item.title == "Caspian summit closes in Ashgabat"
    assert item.published is None


def test_json_feed() -> None:
    assert sniff(fixture("feed.json")) == "jsonfeed" and looks_like_feed(fixture("feed.json"))
    feed = parse_feed(fixture("feed.json"), "https://steppe.example.mn/feed.json")
    assert feed.format == "json1" and feed.title == "Steppe Monitor"
    (item,) = feed  # the item without a url is skipped
    assert item.url == "https://steppe.example.mn/news/ulaanbaatar-talks"
    assert item.published == datetime(2024, 5, 1, 23, 0)
    assert item.author == "Bat-Erdene"
    assert item.summary == "Talks on the Power of Siberia 2 pipeline."
    assert item.guid == "2024-05-02-ulaanbaatar"


def test_undeclared_cyrillic_encoding_and_msk_zone() -> None:
    feed = parse_feed(fixture("rss20_cp1251_undeclared.xml"), "https://fergana.example.uz/rss")
    (item,) = feed
    assert feed.title == "Фергана — новости"
    assert item.title == "Узбекистан и Россия подписали соглашение о безопасности"
    assert item.url == "https://fergana.example.uz/news/101"
    assert item.published == datetime(2024, 5, 2, 7, 0)  # 10:00 MSK = 07:00 UTC


def test_gzipped_feed() -> None:
    feed = parse_feed(gzip.compress(fixture("rss20.xml")), BASE)
    assert len(feed) == 3


def test_malformed_feed_with_entries_is_accepted_with_warning() -> None:
    feed = parse_feed(fixture("malformed_with_entries.xml"), "https://broken.example.uz/rss")
    assert feed.warning is not None and "not well-formed" in feed.warning
    assert [item.url for item in feed] == [
        "https://broken.example.uz/news/metro?id=5&page=1",
        "https://broken.example.uz/news/samarkand",
    ]
    assert feed[0].title == "Tashkent metro expansion & security checks"
    assert feed[0].published == datetime(2024, 5, 3, 7, 0)


def test_malformed_feed_without_entries_is_an_error() -> None:
    with pytest.raises(FeedError, match="malformed XML"):
        parse_feed(fixture("malformed_no_entries.xml"), BASE)
    with pytest.raises(FeedError, match="malformed"):
        parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>cut & short</title>', BASE)


def test_empty_but_valid_feed_is_not_an_error() -> None:
    feed = parse_feed(b'<rss version="2.0"><channel><title>Quiet day</title></channel></rss>', BASE)
    assert feed.items == [] and feed.warning is None and feed.title == "Quiet day"


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="HTML page"):
        parse_feed(fixture("page.html"), BASE)
    with pytest.raises(FeedError, match="HTML page"):
        parse_feed(b"\n\n  <html><body><p>Access denied</p></body></html>", BASE)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (b"plain text, no markup at all", "not a recognised feed"),
        (b'{"status": "ok"}', "JSON"),
        (b'<?xml version="1.0"?><config><a>1</a></config>', "not a recognised feed"),
    ],
)
def test_not_a_feed(content: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(content, BASE)


def test_binary_fixture_and_sitemap_are_not_feeds() -> None:
    with pytest.raises(FeedError, match="binary"):
        parse_feed(fixture("binary.bin"), BASE)
    with pytest.raises(FeedError, match="sitemap"):
        parse_feed(fixture("sitemap_index.xml"), BASE)


def test_billion_laughs_feed_is_harmless() -> None:
    start = time.monotonic()
    feed = parse_feed(fixture("billion_laughs_feed.xml"), "https://lol.example.com/rss")
    assert time.monotonic() - start < 2
    for item in feed:  # the entity is never expanded
        assert len(item.url) < 100 and (item.title is None or len(item.title) < 100)
    assert "https://lol.example.com/b" in [item.url for item in feed]


def test_feedparser_gets_bytes_never_a_url() -> None:
    real_parse = feedparser.parse
    seen: list[object] = []

    def spy(source, *args, **kwargs):
        seen.append(source)
        return real_parse(source, *args, **kwargs)

    with mock.patch("newsdigest.feeds.feedparser.parse", side_effect=spy):
        parse_feed(fixture("rss20.xml"), BASE)
    assert seen and all(hasattr(source, "read") for source in seen)
    with pytest.raises(TypeError):
        parse_feed(BASE, BASE)  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("rss20.xml", "rss"),
        ("rss091.xml", "rss"),
        ("atom10.xml", "atom"),
        ("rdf10.xml", "rdf"),
        ("feed.json", "jsonfeed"),
        ("sitemap_index.xml", "sitemapindex"),
        ("sitemap_urlset.xml", "urlset"),
        ("sitemap_urlset.xml.gz", "urlset"),
        ("sitemap_news.xml", "urlset"),
        ("page.html", "html"),
        ("binary.bin", "binary"),
        ("not_a_sitemap.xml", "xml"),
    ],
)
def test_sniff(name: str, kind: str) -> None:
    assert sniff(fixture(name)) == kind
    assert looks_like_feed(fixture(name)) is (kind in ("rss", "atom", "rdf", "jsonfeed"))


def test_sniff_edge_cases() -> None:
    assert sniff(b"") == "empty"
    assert (
        sniff(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- c -->\n<feed xmlns='http://www.w3.org/2005/Atom'/>") == "atom"
    )
    assert sniff('<?xml version="1.0" encoding="utf-16"?><rss version="2.0"/>'.encode("utf-16")) == "rss"
    assert sniff(b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>') == "html"
    assert sniff(b"<meta charset=utf-8><title>x</title>") == "html"


# -------------------------------------------------------------------------------------------------- sitemaps

SITE = "https://www.example-asia.kz/sitemap.xml"


def test_sitemap_index() -> None:
    sitemap = parse_sitemap(fixture("sitemap_index.xml"), SITE)
    assert sitemap.kind == "index" and sitemap.warning is None
    assert [(e.url, e.lastmod) for e in sitemap.entries] == [
        ("https://www.example-asia.kz/sitemap-news.xml", datetime(2024, 5, 6, 7, 0)),
        ("https://www.example-asia.kz/sitemap-2024-05.xml.gz", datetime(2024, 5, 1)),
        ("https://www.example-asia.kz/sitemap-static.xml", None),  # relative <loc> tolerated
    ]


def test_sitemap_urlset() -> None:
    sitemap = parse_sitemap(fixture("sitemap_urlset.xml"), SITE)  # https:// namespace variant
    assert sitemap.kind == "urlset"
    assert [(e.url, e.lastmod) for e in sitemap.entries] == [
        ("https://www.example-asia.kz/news/2024/05/06/border-exercise", datetime(2024, 5, 6, 8, 35)),
        ("https://www.example-asia.kz/news/2024/05/05/khatlon-arrests?a=1&b=2", None),  # invalid lastmod
        ("https://www.example-asia.kz/about", None),
    ]  # the ftp:// entry is skipped
    assert all(e.news_title is None and e.language is None for e in sitemap.entries)


def test_sitemap_without_namespace() -> None:
    sitemap = parse_sitemap(fixture("sitemap_nonamespace.xml"), "https://tolerant.example.tj/sitemap.xml")
    (entry,) = sitemap.entries
    assert entry.url == "https://tolerant.example.tj/news/1"
    assert entry.lastmod == datetime(2024, 5, 1, 5, 0, 0, 250000)


def test_google_news_sitemap() -> None:
    sitemap = parse_sitemap(fixture("sitemap_news.xml"), "https://www.example.ru/sitemap-news.xml")
    first, second = sitemap.entries
    assert first.url == "https://www.example.ru/news/2024/05/06/dushanbe-visit"
    assert first.news_title == "Визит в Душанбе: обсуждены вопросы безопасности"
    assert first.news_published == datetime(2024, 5, 6, 6, 45)
    assert first.language == "ru"
    assert first.lastmod is None
    assert second.news_title == "Astana forum & the Caspian"
    assert second.news_published == datetime(2024, 5, 5)
    assert second.lastmod == datetime(2024, 5, 5, 20, 0)


def test_gzip_sitemap() -> None:
    plain = parse_sitemap(fixture("sitemap_urlset.xml"), SITE)
    assert parse_sitemap(fixture("sitemap_urlset.xml.gz"), SITE) == plain


def test_gzip_bomb_is_refused() -> None:
    bomb = fixture("gzip_bomb.xml.gz")
    assert len(bomb) < 100_000
    with pytest.raises(FeedError, match="limit"):
        parse_sitemap(bomb, SITE)
    with pytest.raises(FeedError, match="limit"):
        parse_sitemap(gzip.compress(fixture("sitemap_urlset.xml")), SITE, max_bytes=100)
    assert sniff(bomb) == "urlset"  # sniffing inflates only a small prefix


def test_corrupt_gzip() -> None:
    data = fixture("sitemap_urlset.xml.gz")
    with pytest.raises(FeedError, match="gzip"):
        parse_sitemap(data[:-20], SITE)
    with pytest.raises(FeedError, match="gzip"):
        parse_sitemap(data[:12] + b"\xff" * 30 + data[42:], SITE)


def test_billion_laughs_sitemap_is_refused_quickly() -> None:
    start = time.monotonic()
    with pytest.raises(FeedError, match="entit"):
        parse_sitemap(fixture("billion_laughs_sitemap.xml"), SITE)
    assert time.monotonic() - start < 2


def test_malformed_sitemaps_recover_with_warning() -> None:
    ns = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    raw_ampersand = (
        ns + b"<url><loc>https://e.kz/a?x=1&y=2&amp;z=3</loc></url><url><loc>https://e.kz/b</loc></url></urlset>"
    )
    sitemap = parse_sitemap(raw_ampersand, "https://e.kz/sitemap.xml")
    assert sitemap.warning is not None and "&" in sitemap.warning
    assert [e.url for e in sitemap.entries] == ["https://e.kz/a?x=1&y=2&z=3", "https://e.kz/b"]
    truncated = ns + b"<url><loc>https://e.kz/a</loc></url><url><loc>https://e.kz/b</loc></url><url><loc>https://e"
    sitemap = parse_sitemap(truncated, "https://e.kz/sitemap.xml")
    assert sitemap.warning is not None and "recovery" in sitemap.warning
    assert [e.url for e in sitemap.entries][:2] == ["https://e.kz/a", "https://e.kz/b"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not_a_sitemap.xml", "not a sitemap"),
        ("rss20.xml", "RSS feed, not a sitemap"),
        ("atom10.xml", "Atom feed"),
        ("page.html", "HTML page"),
        ("binary.bin", "binary"),
    ],
)
def test_not_a_sitemap(name: str, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_sitemap(fixture(name), SITE)


def test_empty_and_garbage_sitemaps() -> None:
    with pytest.raises(FeedError, match="empty"):
        parse_sitemap(b"", SITE)
    with pytest.raises(FeedError, match="empty"):
        parse_sitemap(gzip.compress(b""), SITE)
    with pytest.raises(FeedError):
        parse_sitemap(b"<<< not xml at all", SITE)


def test_robots_sitemaps() -> None:
    robots = (
        "\ufeffUser-agent: *\nDisallow: /search\n"
        "Sitemap: https://www.example.kz/sitemap.xml\n"
        "sitemap:https://www.example.kz/sitemap-news.xml # news\n"
        "SITEMAP: /relative-sitemap.xml\n"
        "Sitemap: https://www.example.kz/sitemap.xml\n"
        "# Sitemap: https://www.example.kz/commented.xml\n"
        "Sitemap: ftp://www.example.kz/nope.xml\n"
        "Host: www.example.kz\n"
    )
    assert robots_sitemaps(robots, "https://www.example.kz/robots.txt") == [
        "https://www.example.kz/sitemap.xml",
        "https://www.example.kz/sitemap-news.xml",
        "https://www.example.kz/relative-sitemap.xml",
    ]
    assert robots_sitemaps("", "https://www.example.kz/robots.txt") == []


# ---------------------------------------------------------------------------------------------- autodiscovery


def test_discover_feeds() -> None:
    html = fixture("page.html").decode("utf-8")
    assert discover_feeds(html, "https://www.example.ru/lenta/today") == [
        "https://www.example.ru/rss/all.xml",  # resolved against <base href>, duplicate dropped
        "https://www.example.ru/atom.xml",
        "https://feeds.example.ru/security.rss",  # rel token list, type with parameters, protocol-relative
        "https://www.example.ru/feed.json",
        "https://www.example.ru/rdf",  # found in <body> too
    ]


def test_discover_feeds_without_base_and_none_found() -> None:
    html = '<link rel="alternate" type="application/atom+xml" href="feed/atom">'
    assert discover_feeds(html, "https://example.kg/news/") == ["https://example.kg/news/feed/atom"]
    assert discover_feeds("<html><head><title>x</title></head></html>", "https://example.kg/") == []
    assert discover_feeds("", "https://example.kg/") == []


# -------------------------------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon, 06 May 2024 14:30:00 +0600", datetime(2024, 5, 6, 8, 30)),
        ("Mon, 6 May 2024 14:30:00 GMT", datetime(2024, 5, 6, 14, 30)),
        ("Mon, 06 May 2024 14:30 EDT", datetime(2024, 5, 6, 18, 30)),
        ("Thu, 02 May 2024 10:00:00 MSK", datetime(2024, 5, 2, 7, 0)),
        ("2024-05-06T14:30:00+06:00", datetime(2024, 5, 6, 8, 30)),
        ("2024-05-06T14:30:00.250Z", datetime(2024, 5, 6, 14, 30, 0, 250000)),
        ("2024-05-06T02:30:00-05:00", datetime(2024, 5, 6, 7, 30)),
        ("2024-05-06", datetime(2024, 5, 6)),
        ("2024-05-06 14:30:00", datetime(2024, 5, 6, 14, 30)),
        ("2024-13-01", None),
        ("Mon, 32 May 2024 10:00:00 GMT", None),
        ("0001-01-01T00:00:00Z", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_html_to_text() -> None:
    assert html_to_text("<p>A&nbsp;<b>bold</b>&amp;<i>brave</i></p><script>evil()</script><p>move</p>") == (
        "A bold&brave move"
    )
    assert html_to_text("<style>p{}</style>   ") is None
    assert html_to_text(None) is None
    assert html_to_text("Unclosed <a href='x'>link") == "Unclosed link"


def test_external_entities_are_never_loaded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    doctype = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
    feed = doctype + '<rss version="2.0"><channel><item><title>a &xxe; b</title><link>https://e.kz/1</link></item>'
    parsed = parse_feed((feed + "</channel></rss>").encode(), "https://e.kz/rss")
    assert all("TOP-SECRET" not in (item.title or "") for item in parsed)
    sitemap = doctype + "<urlset><url><loc>https://e.kz/&xxe;</loc></url></urlset>"
    with pytest.raises(FeedError, match="entit"):
        parse_sitemap(sitemap.encode(), "https://e.kz/sitemap.xml")


def test_misdeclared_encoding_is_detected_with_warning() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Лента новостей</title>'
        "<item><title>Переговоры о безопасности в Астане</title><link>/a</link></item></channel></rss>"
    )
    feed = parse_feed(body.encode("cp1251"), "https://e.kz/rss")
    assert feed.title == "Лента новостей"
    assert feed[0].title == "Переговоры о безопасности в Астане"
    assert feed.warning is not None and "utf-8" in feed.warning
    declared = body.replace("utf-8", "windows-1251").encode("cp1251")
    assert parse_feed(declared, "https://e.kz/rss").warning is None


def test_garbled_encoding_declaration_is_a_feed_error_not_a_crash() -> None:
    content = fixture("rss091.xml").replace(b"ISO-8859-1", b"\x90SO-8859-1")
    with pytest.raises(FeedError, match="could not be parsed"):
        parse_feed(content, "http://oldwire.example.com/rss")
