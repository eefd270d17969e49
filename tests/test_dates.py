"""Publication dates from HTML: strongest evidence first, no date rather than an invented one."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from newsdigest.dates import date_from_url, find_publication_date
from newsdigest.html_extract import parse_html

DATES_BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "dates"


def page(head: str = "", body: str = "") -> str:
    return f"<html><head><title>Storm hits coast</title>{head}</head><body>{body}</body></html>"


def jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_jsonld_date_published_wins_over_date_modified():
    html = page(jsonld({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Storm",
                        "dateModified": "2021-03-01T10:00:00Z", "datePublished": "2021-02-09T08:30:00Z"}))
    found = find_publication_date(html, "https://example.org/news/storm")
    assert (found.value, found.source, found.has_time) == (datetime(2021, 2, 9, 8, 30), "jsonld", True)


def test_jsonld_graph_and_lists_are_searched():
    graph = {"@graph": [{"@type": "WebSite", "name": "x"},
                        {"@type": ["Article"], "datePublished": "2020-05-04"}]}
    found = find_publication_date(page(jsonld([graph])), None)
    assert (found.value, found.source, found.has_time) == (datetime(2020, 5, 4), "jsonld", False)


def test_modified_date_only_when_nothing_else():
    head = '<meta property="article:modified_time" content="2022-01-05T12:00:00+00:00">'
    assert find_publication_date(page(head), None).value.date() == date(2022, 1, 5)
    head += '<meta property="article:published_time" content="2021-12-24T08:00:00+00:00">'
    assert find_publication_date(page(head), None).value == datetime(2021, 12, 24, 8, 0)


def test_meta_published_time_with_zone_becomes_utc():
    html = page('<meta property="article:published_time" content="2021-02-09T01:30:00+02:00">')
    found = find_publication_date(html, None)
    assert (found.value, found.source, found.has_time) == (datetime(2021, 2, 8, 23, 30), "meta", True)
    assert found.value.tzinfo is None


def test_bare_year_in_text_is_not_a_date():
    html = page(body="<h1>Storm hits coast</h1><p>The band formed in 2004 and toured until 2019.</p>")
    found = find_publication_date(html, "https://example.org/music/band")
    assert (found.value, found.source) == (None, "none")


def test_year_or_month_only_values_are_not_dates():
    html = page('<meta property="article:published_time" content="2021-02"><meta name="date" content="2021">')
    assert find_publication_date(html, None).source == "none"


def test_date_in_url_path():
    found = find_publication_date(page(body="<p>No date here.</p>"), "https://blog.example.org/2021/02/09/storm/")
    assert (found.value, found.source, found.has_time) == (datetime(2021, 2, 9), "url", False)
    assert date_from_url("https://example.org/2021-02-09-storm").value == datetime(2021, 2, 9)
    assert date_from_url("https://example.org/news/20210209/storm.html").value == datetime(2021, 2, 9)


def test_year_month_url_is_not_enough():
    assert date_from_url("https://example.org/2021/02/storm/").source == "none"
    assert find_publication_date(page(body="<p>text</p>"), "https://example.org/2021/02/storm/").source == "none"


def test_german_byline_under_the_headline():
    body = ("<nav>Heute: 01.01.2024</nav><article><h1>Storm hits coast</h1><p>Von Anna Muster, 9. Februar 2021,"
            " 14:05 Uhr</p><p>" + "Lange Rede über das Wetter. " * 30 + "Am 12.03.2019 war es ruhig.</p></article>")
    found = find_publication_date(page(body=body), None)
    assert (found.value, found.source, found.has_time) == (datetime(2021, 2, 9, 14, 5), "html", True)


def test_byline_ignores_update_dates_and_picks_matching_metadata():
    head = ('<meta property="article:published_time" content="2021-02-01T09:00:00Z">'
            '<meta name="date" content="2021-02-09T09:00:00Z">')
    body = "<h1>Storm hits coast</h1><p>Aktualisiert am 10.02.2021</p><p>Veröffentlicht am 09.02.2021</p>"
    found = find_publication_date(page(head, body), None)
    assert (found.value, found.source) == (datetime(2021, 2, 9, 9, 0), "meta")


@pytest.mark.parametrize("junk", ["", "   ", "<", "\x00\x01<html>", "\ufffd" * 1000, "<div>" * 50_000,
                                  bytes(range(256)).decode("latin-1") * 20, None])
def test_junk_input_gives_no_date(junk):
    assert find_publication_date(junk, None).source == "none"


def test_future_and_ancient_dates_are_rejected():
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert find_publication_date(page(f'<meta property="article:published_time" content="{future}">'),
                                 None).source == "none"
    assert find_publication_date(page('<meta name="date" content="1990-05-01">'), None).source == "none"


@pytest.mark.skipif(not (DATES_BENCH / "gold.json").is_file(), reason="shared date benchmark not available")
def test_benchmark_scores():
    spec = importlib.util.spec_from_file_location("bench_dates", Path(__file__).resolve().parents[1] / "bench"
                                                  / "dates.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.score(bench.ours, bench.load_pages(DATES_BENCH))
    assert result["f1"] >= 0.95
    assert result["precision"] >= 0.97


def test_a_tree_parsed_by_the_extractor_gives_the_same_date():
    html = """<html><head><meta property="article:published_time" content="2021-07-05T10:00:00+02:00"></head>
    <body><h1>Troops drill near the border</h1><p>Am 5. Juli 2021 um 10:00 Uhr</p><p>Text.</p></body></html>"""
    for url in (None, "https://example.com/2021/07/05/drills.html"):
        assert find_publication_date(html, url, tree=parse_html(html)) == find_publication_date(html, url)
        assert find_publication_date(html, url).value == datetime(2021, 7, 5, 8, 0)
