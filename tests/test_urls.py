"""URL canonicalisation, dedup keys, site comparison and canonical choice (pure, offline)."""

from __future__ import annotations

import pytest

from newsdigest.urls import (
    absolute_url,
    canonicalize_url,
    choose_canonical,
    registrable_domain,
    same_site,
    url_key,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # case, default ports, fragments, empty path
        ("HTTPS://WWW.Example.COM:443/News/Item", "https://www.example.com/News/Item"),
        ("http://example.com:80", "http://example.com/"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/app#!/news/42", "https://example.com/app#!/news/42"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("  https://example.com/a\n", "https://example.com/a"),
        # tracking parameters
        ("https://example.com/a?utm_source=tg&utm_medium=social&utm_whatever=1", "https://example.com/a"),
        (
            "https://example.com/a?id=7&fbclid=IwAR0&gclid=x&yclid=1&ysclid=lq2&_openstat=abc",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?mc_cid=1&mc_eid=2&_ga=3&igshid=4&ref_src=twsrc&cmpid=5&ito=6", "https://example.com/a"),
        ("https://www.bbc.com/news/x?at_medium=RSS&at_campaign=KARANGA", "https://www.bbc.com/news/x"),
        ("https://example.ru/a?from=rss", "https://example.ru/a"),
        ("https://example.ru/a?utm_source=yxnews&ref=yxnews", "https://example.ru/a"),
        ("https://example.com/a?ref=annual-report", "https://example.com/a?ref=annual-report"),
        ("https://example.com/a?from=2024-05-01&to=2024-05-07", "https://example.com/a?from=2024-05-01&to=2024-05-07"),
        ("https://example.com/a;jsessionid=0AB12?id=1&PHPSESSID=abc", "https://example.com/a?id=1"),
        # parameter order, blank values, empty query
        ("https://example.com/search?q=astana&page=2&lang=ru", "https://example.com/search?lang=ru&page=2&q=astana"),
        ("https://example.com/a?b=&a", "https://example.com/a?a&b="),
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com?x=1", "https://example.com/?x=1"),
        ("https://example.com/a?&&x=1&&", "https://example.com/a?x=1"),
        # percent-encoding
        ("https://example.com/%7euser/%e2%80%93", "https://example.com/~user/%E2%80%93"),
        (
            "https://example.com/новости/тест",
            "https://example.com/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/%D1%82%D0%B5%D1%81%D1%82",
        ),
        ("https://example.com/a b?q=a b", "https://example.com/a%20b?q=a%20b"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/a?q=x%26y", "https://example.com/a?q=x%26y"),
        ("https://example.com/a?token=YWJj==&k%3Dx=1", "https://example.com/a?k%3Dx=1&token=YWJj=="),
        ("https://example.com/a?q=a+b&Q=%41", "https://example.com/a?Q=A&q=a+b"),
        # dot segments resolved, duplicate slashes kept (url_key collapses them)
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com//a//b", "https://example.com//a//b"),
        # IDNA
        ("https://Кремль.РФ/events", "https://xn--e1ajeds9e.xn--p1ai/events"),
        # AMP and mobile variants
        ("https://example.com/news/amp/123", "https://example.com/news/123"),
        ("https://example.com/news/123/amp", "https://example.com/news/123"),
        ("https://example.com/news/123/amp/", "https://example.com/news/123/"),
        ("https://example.com/amp/news/123", "https://example.com/news/123"),
        ("https://example.com/news/123.amp.html", "https://example.com/news/123.html"),
        ("https://example.com/news/123?amp", "https://example.com/news/123"),
        ("https://example.com/news/123?amp=1&id=2", "https://example.com/news/123?id=2"),
        ("https://edition.example.com/2024/05/06/story?outputType=amp", "https://edition.example.com/2024/05/06/story"),
        ("https://www.example.com/news/ample-supplies", "https://www.example.com/news/ample-supplies"),
        ("https://m.lenta.ru/news/2024/05/06/a/", "https://lenta.ru/news/2024/05/06/a/"),
        ("https://mobile.example.kz/a", "https://example.kz/a"),
        ("https://amp.example.com/a", "https://example.com/a"),
        ("https://m.example.co.uk/a", "https://example.co.uk/a"),
        ("https://m.co.uk/a", "https://m.co.uk/a"),  # would leave a bare public suffix: kept
        ("https://m.com/a", "https://m.com/a"),
        # Google AMP cache and viewer
        (
            "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/2024/amp/story?amp_js_v=0.1&usqp=mq331AQ",
            "https://www.example.com/news/2024/story",
        ),
        ("https://example-kz.cdn.ampproject.org/c/example.kz/a.amp.html", "http://example.kz/a.html"),
        ("https://www.google.com/amp/s/www.rferl.org/a/story/123.html", "https://www.rferl.org/a/story/123.html"),
    ],
)
def test_canonicalize_url(raw: str, expected: str) -> None:
    assert canonicalize_url(raw) == expected


def test_canonicalize_is_idempotent() -> None:
    for url in (
        "https://m.Example.com:443/a/../amp/b?utm_source=x&z=1&a=%7e#f",
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/x?b=2&a=1",
        "https://example.com/новости?q=тест",
    ):
        once = canonicalize_url(url)
        assert canonicalize_url(once) == once


def test_scheme_is_kept_but_url_key_ignores_it() -> None:
    assert canonicalize_url("http://example.com/a").startswith("http://")
    assert canonicalize_url("https://example.com/a").startswith("https://")
    keys = {
        url_key("http://example.com/a"),
        url_key("https://www.example.com/a/"),
        url_key("https://example.com//a#top"),
        url_key("https://m.example.com/a?utm_source=rss"),
        url_key("https://www-example-com.cdn.ampproject.org/c/s/www.example.com/a/amp"),
    }
    assert keys == {"example.com/a"}
    assert url_key("https://example.com/") == "example.com/"
    assert url_key("https://example.com/a?x=1") != url_key("https://example.com/a?x=2")


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://example.com/file",
        "mailto:desk@example.com",
        "javascript:alert(1)",
        "/relative/path",
        "example.com/no-scheme",
        "https://",
        "https://exa mple.com/",
        "https://example.com:99999/",
        "https://example.com:port/",
        "https://[::1/",
        "",
    ],
)
def test_canonicalize_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        canonicalize_url(bad)
    with pytest.raises(ValueError):
        url_key(bad)


def test_registrable_domain_and_same_site() -> None:
    assert registrable_domain("news.example.co.uk") == "example.co.uk"
    assert registrable_domain("www.tengrinews.kz") == "tengrinews.kz"
    assert registrable_domain("www.example.com.kz") == "example.com.kz"
    assert registrable_domain("author.livejournal.com") == "author.livejournal.com"
    assert registrable_domain("127.0.0.1") == "127.0.0.1"
    assert same_site("https://news.example.co.uk/a", "https://example.co.uk/b")
    assert same_site("https://www.example.ru/a", "https://m.example.ru/b")
    assert same_site("https://amp.example.ru/a", "http://example.ru")
    assert same_site("https://www.example.org.ru/a", "https://org.example.org.ru/")
    assert not same_site("https://example.co.uk/", "https://other.co.uk/")
    assert not same_site("https://a.livejournal.com/1.html", "https://b.livejournal.com/2.html")
    assert not same_site("https://example.ru/", "https://example.kz/")
    assert not same_site("https://example.ru/", "not a url at all")
    assert same_site("example.ru", "https://www.example.ru/x")  # bare hosts are accepted


@pytest.mark.parametrize(
    ("base", "href", "expected"),
    [
        ("https://example.com/news/a", "b", "https://example.com/news/b"),
        ("https://example.com/news/a", "/b?x=1", "https://example.com/b?x=1"),
        ("https://example.com/news/a", "//cdn.example.com/x", "https://cdn.example.com/x"),
        ("https://example.com/news/a", "http://other.org/y", "http://other.org/y"),
        ("https://example.com/news/a", " /with\nnewline ", "https://example.com/withnewline"),
        ("https://example.com/", "javascript:void(0)", None),
        ("https://example.com/", "mailto:x@example.com", None),
        ("https://example.com/", "", None),
        ("https://example.com/", None, None),
        ("not a base", "relative", None),
        ("https://example.com/", "https://example.com:bad/", None),
    ],
)
def test_absolute_url(base: str, href: str | None, expected: str | None) -> None:
    assert absolute_url(base, href) == expected


def test_choose_canonical_prefers_rel_canonical() -> None:
    page = "https://m.example.ru/news/123?utm_source=tg"
    assert choose_canonical(page, "https://www.example.ru/news/123", None) == "https://www.example.ru/news/123"
    assert choose_canonical(page, None, "https://www.example.ru/news/123/") == "https://www.example.ru/news/123/"
    # rel=canonical wins over og:url
    assert (
        choose_canonical(page, "https://www.example.ru/news/123", "https://www.example.ru/other")
        == "https://www.example.ru/news/123"
    )
    # no hints: the page URL itself, canonicalised
    assert choose_canonical(page, None, None) == "https://example.ru/news/123"
    assert choose_canonical(page, "", "  ") == "https://example.ru/news/123"


def test_choose_canonical_resolves_relative() -> None:
    page = "https://www.example.kz/ru/news/2024/05/06/story?page=2"
    assert (
        choose_canonical(page, "/ru/news/2024/05/06/story", None) == "https://www.example.kz/ru/news/2024/05/06/story"
    )
    assert choose_canonical(page, "story#top", None) == "https://www.example.kz/ru/news/2024/05/06/story"


def test_choose_canonical_ignores_cross_site_and_homepage() -> None:
    page = "https://www.example.kz/news/42"
    # cross-site canonical (syndication partner) is ignored; og:url on the same site is used instead
    assert choose_canonical(page, "https://partner.example.com/story", "https://example.kz/news/42") == (
        "https://example.kz/news/42"
    )
    assert choose_canonical(page, "https://partner.example.com/story", None) == "https://www.example.kz/news/42"
    # canonical pointing at the home page while the page is an article: a CMS bug, ignored
    assert choose_canonical(page, "https://www.example.kz/", None) == "https://www.example.kz/news/42"
    assert choose_canonical(page, "/", "https://www.example.kz") == "https://www.example.kz/news/42"
    # ... but on the home page itself it is fine
    assert choose_canonical("https://www.example.kz/?utm_source=x", "https://www.example.kz/", None) == (
        "https://www.example.kz/"
    )
    # non-http(s) and garbage candidates are ignored
    assert choose_canonical(page, "javascript:void(0)", "ftp://example.kz/x") == "https://www.example.kz/news/42"


def test_choose_canonical_subdomain_and_scheme() -> None:
    page = "https://news.example.co.uk/world/asia-1"
    assert choose_canonical(page, "https://www.example.co.uk/news/world-asia-1", None) == (
        "https://www.example.co.uk/news/world-asia-1"
    )
    # an https page whose canonical says http on the same host keeps https
    assert choose_canonical("https://www.example.ru/a/1", "http://example.ru/a/1", None) == "https://example.ru/a/1"
    # the canonical is itself canonicalised (tracking params, AMP)
    assert choose_canonical("https://www.example.ru/a/1/amp", "https://www.example.ru/a/1?utm_campaign=x", None) == (
        "https://www.example.ru/a/1"
    )


def test_choose_canonical_rejects_bad_page() -> None:
    with pytest.raises(ValueError):
        choose_canonical("file:///etc/passwd", "https://example.com/a", None)
