"""Web ingestion end to end: the ingest flow against two outlets on a real loopback HTTP server.

One module-scoped scenario runs the flow three times: the first run meets every fault a hostile web offers
and must still store each valid article exactly once; the second, over unchanged sources, may only send
conditional requests and extracts nothing; the third sees an updated article (new version, both kept, the
change recorded) and a page that disappeared (article kept, marked gone).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.loopback_site import LoopbackSite, Route
from tests.web_fixtures import (
    BORDER_TALKS,
    CP1251_PARAS,
    CSTO_DRILLS,
    KAZAKH_ARMS,
    UNRELATED,
    UZBEK_REFUGEES,
    article_page,
    atom,
    news_sitemap,
    rss,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")
HTML = "text/html; charset=utf-8"
A1 = "/news/2021/07/05/csto-drills"


def _page_route(body: str, etag: str | None = None, modified: str | None = None, **kw) -> Route:
    headers = {"Content-Type": HTML}
    if etag:
        headers["ETag"] = etag
    if modified:
        headers["Last-Modified"] = modified
    return Route(body.encode("utf-8"), headers=headers, **kw)


def _feed_items(a: LoopbackSite, border: list[str]) -> list[dict]:
    u = a.url
    return [
        {"title": "CSTO troops begin drills near Afghan border", "link": u(A1) + "?utm_source=rss&utm_medium=feed",
         "published": datetime(2021, 7, 5, 8, 0)},
        {"title": "Kyrgyzstan and Tajikistan pull back troops from border", "link": u("/news/border-talks"),
         "published": datetime(2021, 7, 7, 10, 30), "author": "Aida Karimova",
         "summary": "Security chiefs agree on joint patrols." if border else None},
        {"title": "Kazakhstan to buy more Russian fighter jets", "link": u("/news/kazakh-arms"),
         "published": datetime(2021, 7, 8, 9, 0)},
        {"title": "Uzbekistan returns Afghan soldiers", "link": u("/news/uzbek-refugees"),
         "published": datetime(2021, 7, 6, 12, 0)},
        {"title": "Russian base to get new weapons", "link": u("/news/ru-base"), "published": datetime(2021, 7, 6)},
        {"title": "Private", "link": u("/private/leak"), "published": datetime(2021, 7, 6)},
        {"title": "Missing", "link": u("/news/missing"), "published": datetime(2021, 7, 6)},
        {"title": "Huge", "link": u("/big"), "published": datetime(2021, 7, 6)},
        {"title": "Bomb", "link": u("/gzip-bomb"), "published": datetime(2021, 7, 6)},
        {"title": "Binary", "link": u("/binary"), "published": datetime(2021, 7, 6)},
        {"title": "Loop", "link": u("/redirect/loop-a"), "published": datetime(2021, 7, 6)},
    ]


def _build_outlet_a(a: LoopbackSite, feed_etag: str = '"feed-1"', border: list[str] = BORDER_TALKS,
                    border_etag: str = '"border-1"', refugees_gone: bool = False) -> None:
    site = "Steppe Herald"
    a.routes.update({
        "/rss.xml": Route(rss("Steppe Herald", a.base_url, _feed_items(a, border)),
                          headers={"Content-Type": "application/rss+xml", "ETag": feed_etag}),
        "/sitemap.xml": Route(news_sitemap([(a.url(A1), "CSTO troops begin drills", datetime(2021, 7, 5, 8)),
                                            (a.url("/news/wheat"), "Kazakh wheat harvest", datetime(2021, 7, 6))]),
                              headers={"Content-Type": "application/xml",
                                       "Last-Modified": "Thu, 08 Jul 2021 12:00:00 GMT"}),
        A1: _page_route(article_page("CSTO troops begin drills near Afghan border", CSTO_DRILLS, site=site,
                                     published=datetime(2021, 7, 5, 8, 0), canonical=a.url(A1)), etag='"a1"'),
        "/news/border-talks": _page_route(article_page("Kyrgyzstan and Tajikistan pull back troops", border,
                                                       site=site), etag=border_etag),
        "/news/kazakh-arms": _page_route(article_page("Kazakhstan to buy more Russian fighter jets", KAZAKH_ARMS,
                                                      site=site, published=datetime(2021, 7, 8, 9)),
                                         modified="Thu, 08 Jul 2021 09:00:00 GMT", fail_first=1),
        "/news/uzbek-refugees": (Route(b"gone", status=410) if refugees_gone else
                                 _page_route(article_page("Uzbekistan returns Afghan soldiers", UZBEK_REFUGEES,
                                                          site=site, published=datetime(2021, 7, 6, 12)),
                                             etag='"uz"', fail_first=1, fail_status=429, retry_after="1")),
        "/news/ru-base": Route(article_page("Шойгу: база в Таджикистане будет усилена", CP1251_PARAS, site=site,
                                            published=datetime(2021, 7, 6), lang="ru", charset_meta=False)
                               .encode("cp1251"), headers={"Content-Type": "text/html", "ETag": '"ru"'}),
        "/news/wheat": _page_route(article_page("Kazakh wheat harvest to fall", UNRELATED, site=site,
                                                published=datetime(2021, 7, 6, 7)), etag='"wheat"'),
    })


def _build_outlet_b(b: LoopbackSite) -> None:
    copy = [p.replace("on Monday", "on Monday (July 5)") for p in CSTO_DRILLS[:-1]]  # trimmed last paragraph
    b.routes.update({
        "/feed.atom": Route(atom("Eurasia Wire", b.base_url, [
            {"title": "Russian-led bloc drills troops in Tajikistan", "link": b.url("/world/asia/csto-tajikistan"),
             "published": datetime(2021, 7, 5, 14, 0)}]), headers={"Content-Type": "application/atom+xml",
                                                                   "ETag": '"atom-1"'}),
        "/world/asia/csto-tajikistan": _page_route(
            article_page("Russian-led bloc drills troops in Tajikistan", copy, site="Eurasia Wire",
                         published=datetime(2021, 7, 5, 14, 0)).replace("Steppe", "Eurasia"), etag='"b1"'),
        "/broken.xml": Route(b"<<<this is not a feed &&& <rss", headers={"Content-Type": "application/rss+xml"}),
        "/front.html": _page_route("<html><head><title>Front</title></head><body><p>Welcome</p></body></html>"),
    })


def _sources(path: Path, a: LoopbackSite, b: LoopbackSite) -> Path:
    path.write_text(f"""
[http]
allow_loopback = true
per_host_delay = 0.0
retries = 1
read_timeout = 15.0          # generous: a busy CI machine must not turn valid pages into timeouts
connect_timeout = 10.0
max_retry_after = 2.0

[[sources]]
name = "steppe-herald"
kind = "feed"
url = "{a.url('/rss.xml')}"
country = "KZ"
language = "en"

[[sources]]
name = "steppe-herald-news-sitemap"
kind = "sitemap"
url = "{a.url('/sitemap.xml')}"

[[sources]]
name = "analyst-picks"
kind = "urls"
urls = ["{a.url('/amp' + A1)}?fbclid=xyz"]

[[sources]]
name = "slow-pages"            # its own short timeout: the slow page times out, the others never do
kind = "urls"
urls = ["{a.url('/slow')}"]
timeout = 1.0

[[sources]]
name = "eurasia-wire"
kind = "feed"
url = "{b.url('/feed.atom')}"

[[sources]]
name = "eurasia-wire-broken"
kind = "feed"
url = "{b.url('/broken.xml')}"

[[sources]]
name = "eurasia-wire-front-as-feed"
kind = "feed"
url = "{b.url('/front.html')}"
""", encoding="utf-8")
    return path


def _q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


DATA_TABLES = ["raw_documents", "document_locations", "articles", "article_versions", "article_duplicates"]


def _snapshot(db: Path) -> dict:
    return {t: sorted(map(repr, _q(db, f"SELECT * FROM {t}"))) for t in DATA_TABLES}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    from flows.ingest import ingest

    tmp = tmp_path_factory.mktemp("web")
    with LoopbackSite(slow_seconds=3) as a, LoopbackSite() as b:
        _build_outlet_a(a)
        _build_outlet_b(b)
        sources = _sources(tmp / "sources.toml", a, b)
        db = tmp / "w.duckdb"
        out: dict = {"a": a, "b": b, "db": db}
        out["first"] = ingest(sources_file=str(sources), warehouse=str(db))
        out["after_first"] = (len(a.requests), len(b.requests))
        out["snapshot"] = _snapshot(db)
        out["second"] = ingest(sources_file=str(sources), warehouse=str(db))
        out["after_second"] = (len(a.requests), len(b.requests))
        out["snapshot_second"] = _snapshot(db)
        updated = BORDER_TALKS[:-1] + [BORDER_TALKS[-1] + " A ceasefire commission will meet again in August."]
        _build_outlet_a(a, feed_etag='"feed-2"', border=updated, border_etag='"border-2"', refugees_gone=True)
        out["third"] = ingest(sources_file=str(sources), warehouse=str(db))
        yield out


def test_every_valid_article_is_stored_exactly_once(scenario):
    db = scenario["db"]
    rows = _q(db, "SELECT source, url, title FROM mart_articles ORDER BY url")
    by_path = {}
    for source, url, title in rows:
        by_path.setdefault(url.split("/", 3)[3], []).append((source, title))
    assert sorted(by_path) == sorted([A1[1:], "news/border-talks", "news/kazakh-arms", "news/uzbek-refugees",
                                      "news/ru-base", "news/wheat", "world/asia/csto-tajikistan"])
    assert all(len(v) == 1 for v in by_path.values()), by_path
    assert scenario["first"]["totals"]["articles_new"] == 7


def test_url_variants_become_one_article_with_every_address_recorded(scenario):
    db, a = scenario["db"], scenario["a"]
    listed = _q(db, "SELECT source, url FROM feed_items WHERE canonical_url = ? ORDER BY source, url", [a.url(A1)])
    assert ("steppe-herald", a.url(A1) + "?utm_source=rss&utm_medium=feed") in listed
    assert ("steppe-herald-news-sitemap", a.url(A1)) in listed
    assert ("analyst-picks", a.url("/amp" + A1) + "?fbclid=xyz") in listed
    articles = _q(db, "SELECT DISTINCT article_id FROM document_locations WHERE uri = ?", [a.url(A1)])
    assert len(articles) == 1
    assert len([s for s in a.seen(A1) if "if-none-match" not in s.headers]) == 1  # fetched in full once


def test_syndicated_copy_is_linked_not_merged(scenario):
    db, a, b = scenario["db"], scenario["a"], scenario["b"]
    links = _q(db, "SELECT rule, copy_uri, canonical_uri FROM mart_duplicate_links")
    assert links == [("near_duplicate", b.url("/world/asia/csto-tajikistan"), a.url(A1))]


def test_feed_metadata_fills_what_the_page_lacks(scenario):
    db, a = scenario["db"], scenario["a"]
    published, source, authors = _q(db, "SELECT published_at, date_source, authors FROM stg_articles"
                                        " WHERE url = ?", [a.url("/news/border-talks")])[0]
    assert (published, source) == (datetime(2021, 7, 7, 10, 30), "feed")
    assert authors == ["Aida Karimova"]
    meta = _q(db, "SELECT published_at, date_source FROM stg_articles WHERE url = ?", [a.url("/news/kazakh-arms")])
    assert meta == [(datetime(2021, 7, 8, 9, 0), "meta")]


def test_undeclared_cp1251_page_is_decoded(scenario):
    db, a = scenario["db"], scenario["a"]
    title, body, language = _q(db, "SELECT title, body, language FROM mart_articles WHERE url = ?",
                               [a.url("/news/ru-base")])[0]
    assert "Шойгу" in title and "ОДКБ" in body and language == "ru"


def test_each_fault_gives_its_recorded_error(scenario):
    db, a = scenario["db"], scenario["a"]
    first_run = scenario["first"]["run_id"]
    errors = dict(_q(db, "SELECT url, list(DISTINCT error_class ORDER BY error_class) FROM fetch_log"
                         " WHERE run_id = ? AND error_class IS NOT NULL GROUP BY url", [first_run]))
    u = a.url
    assert "RobotsDisallowed" in errors[u("/private/leak")]
    assert errors[u("/news/missing")] == ["HttpStatus"]
    assert errors[u("/big")] == ["TooLarge"]
    assert errors[u("/gzip-bomb")] == ["DecompressionBomb"]
    assert "Timeout" in errors[u("/slow")]
    loops = {c for url, classes in errors.items() if "/redirect/loop-" in url for c in classes}
    assert loops & {"RedirectLoop", "TooManyRedirects"}
    assert a.seen("/private/leak") == [], "a robots-disallowed page is never requested"
    statuses = [r[0] for r in _q(db, "SELECT status FROM fetch_log WHERE url = ? AND run_id = ? ORDER BY attempt",
                                 [u("/news/kazakh-arms"), first_run])]
    assert statuses == [500, 200]
    statuses = [r[0] for r in _q(db, "SELECT status FROM fetch_log WHERE url = ? AND run_id = ? ORDER BY attempt",
                                 [u("/news/uzbek-refugees"), first_run])]
    assert statuses == [429, 200]
    run_errors = dict(_q(db, "SELECT uri, error_class FROM run_errors WHERE run_id = ?", [first_run]))
    assert run_errors[u("/binary")] == "UnsupportedContentType"
    b = scenario["b"]
    assert run_errors[b.url("/broken.xml")] == "MalformedFeed"
    assert run_errors[b.url("/front.html")] in ("MalformedFeed", "NotAFeed")
    failed = {row["source"]: row["failed"] for row in scenario["first"]["sources"]}
    assert failed["eurasia-wire-broken"] == 1 and failed["eurasia-wire"] == 0


def test_second_run_sends_only_conditional_requests_and_extracts_nothing(scenario):
    a, b = scenario["a"], scenario["b"]
    (a1, b1), (a2, b2) = scenario["after_first"], scenario["after_second"]
    second = a.requests[a1:a2] + b.requests[b1:b2]
    retried = {"/slow"}  # a transient failure is retried (a few runs at most)
    unconditional = [r.path for r in second if r.path != "/robots.txt" and r.path.split("?")[0] not in retried
                     and "if-none-match" not in r.headers and "if-modified-since" not in r.headers
                     and not r.path.startswith(("/broken.xml", "/front.html"))]
    assert unconditional == []
    assert scenario["snapshot_second"] == scenario["snapshot"]
    totals = scenario["second"]["totals"]
    assert totals["articles_new"] == 0 and totals["versions_new"] == 0 and totals["documents_new"] == 0


def test_updated_article_gets_a_new_version_and_both_are_kept(scenario):
    db, a = scenario["db"], scenario["a"]
    versions = _q(db, "SELECT version, changes FROM article_versions WHERE article_id IN"
                      " (SELECT article_id FROM document_locations WHERE uri = ?) ORDER BY version",
                  [a.url("/news/border-talks")])
    assert [v for v, _ in versions] == [1, 2]
    assert versions[0][1] is None and "body" in versions[1][1]
    assert scenario["third"]["totals"]["versions_new"] == 1
    assert scenario["third"]["totals"]["articles_new"] == 0


def test_page_gone_after_storing_keeps_its_article_and_is_marked(scenario):
    db, a = scenario["db"], scenario["a"]
    rows = _q(db, "SELECT gone_status FROM mart_articles WHERE url = ?", [a.url("/news/uzbek-refugees")])
    assert rows == [(410,)]


def test_sources_and_their_health_are_queryable(scenario):
    db = scenario["db"]
    rows = {r[0]: r[1:] for r in _q(db, "SELECT source, kind, country, articles, latest_run_errors FROM mart_sources")}
    assert rows["steppe-herald"][:2] == ("feed", "KZ")
    assert rows["eurasia-wire-broken"][3] == 1  # its malformed feed, in the latest run too
    country = _q(db, "SELECT DISTINCT source_country FROM mart_articles WHERE source = 'steppe-herald'")
    assert country == [("KZ",)]


def test_feed_and_sitemap_bodies_are_archived_with_their_headers(scenario):
    db, a = scenario["db"], scenario["a"]
    rows = _q(db, "SELECT r.url, d.media_type, h->>'etag' FROM http_responses AS r"
                  " JOIN raw_documents AS d USING (sha256), LATERAL (SELECT r.headers::JSON AS h)"
                  " WHERE r.url IN (?, ?) ORDER BY r.fetched_at", [a.url("/rss.xml"), a.url("/sitemap.xml")])
    assert (a.url("/rss.xml"), "application/rss+xml", '"feed-1"') in rows
    assert len([r for r in rows if r[0] == a.url("/rss.xml")]) == 1  # the same bytes again are archived once
    assert any(url == a.url("/sitemap.xml") for url, _, _ in rows)
