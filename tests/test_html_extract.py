"""HTML extraction: main text without chrome, metadata from the head, junk never raises."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from trafilatura.metadata import extract_author

from newsdigest import html_extract
from newsdigest.html_extract import extract_html, parse_html

BODY = [
    "Russian and Tajik troops began joint exercises near the Afghan border on Monday, the defence ministry said.",
    "The drills at the Harb-Maidon range involve about 1,500 servicemen and armoured vehicles from the 201st base.",
    "Officials in Dushanbe said the exercise was planned long before the latest clashes across the border.",
]
PAGE = f"""<!doctype html><html lang="en-GB"><head><title>Troops drill near Afghan border | Example News</title>
<meta property="og:site_name" content="Example News"><meta name="author" content="Anna Ivanova">
<link rel="canonical" href="/world/2021/07/05/drills.html?utm_source=rss">
</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Troops drill near Afghan border</h1>
{''.join(f'<p>{p}</p>' for p in BODY)}
<p>Get the latest news delivered to your inbox. Subscribe to our newsletter.</p>
<p>Advertisement</p>
</article><aside><h3>Related</h3><ul><li><a href="/a">Kyrgyz border talks stall</a></li>
<li><a href="/b">Uzbek arms deal signed</a></li></ul></aside>
<footer>Copyright 2021 Example News. All rights reserved.</footer></body></html>"""


def test_body_without_chrome_promotions_or_related_links() -> None:
    page = extract_html(PAGE, "https://example.com/world/2021/07/05/drills.html")
    assert page.paragraphs == BODY
    assert page.title and page.title.startswith("Troops drill near Afghan border")


def test_metadata_from_the_head() -> None:
    page = extract_html(PAGE, "https://example.com/world/2021/07/05/drills.html")
    assert page.language == "en"
    assert page.site == "Example News"
    assert page.authors == ["Anna Ivanova"]
    assert page.canonical_url == "https://example.com/world/2021/07/05/drills.html"  # tracking dropped


def test_tables_are_kept() -> None:
    rows = "".join(f"<tr><td>{name}</td><td>{n}</td></tr>" for name, n in [("Kazakhstan", 12), ("Kyrgyzstan", 7)])
    html = PAGE.replace("<p>Advertisement</p>", f"<table>{rows}</table>")
    text = "\n".join(extract_html(html, None).paragraphs)
    assert "Kazakhstan" in text and "Kyrgyzstan" in text


@pytest.mark.parametrize("junk", ["", "no markup at all", "<html></html>", "<<<>>>" * 1000, "\x00\x01\x02" * 100,
                                  "<html><body><nav><a href='/'>Home</a></nav></body></html>"])
def test_junk_gives_an_empty_extraction_not_an_exception(junk: str) -> None:
    assert extract_html(junk, None).paragraphs == []


def test_a_parsed_tree_gives_the_same_result() -> None:
    """The caller's tree is consumed (the fast body extraction prunes it instead of copying it), so the
    date finder reads it first (`extract.extract_text`); the result is the same as parsing here."""
    url = "https://example.com/world/2021/07/05/drills.html"
    assert extract_html(PAGE, url, tree=parse_html(PAGE)) == extract_html(PAGE, url)


BYLINES = [
    '<div class="byline">By <a rel="author" href="/a">Anna Ivanova</a></div>',
    '<span class="author-name">Timur Saidov</span><time>5 July 2021</time>',
    '<div id="comments"><span class="author">A commenter</span></div><p class="posted-by">Posted by Ali Khan</p>',
    '<div class="post-author">Olga <span class="date">5.7.2021</span>Petrova</div>',
    '<section class="sidebar"><div class="author">Not Him</div></section><h4 class="journalist-name">Jan Novak</h4>',
    '<p>No byline on this page at all.</p>',
]


@pytest.mark.parametrize("byline", BYLINES)
def test_byline_author_matches_trafilatura(byline: str) -> None:
    """Our single-walk byline search returns what trafilatura's `extract_author` returns (it is its stand-in)."""
    html = (f"<html><head><title>t</title></head><body><article><h1>Head</h1>{byline}<p>{BODY[0]}</p>"
            "</article></body></html>")
    tree = parse_html(html)
    assert html_extract._byline_author(tree) == extract_author(tree)


def test_short_fast_result_gets_the_full_cascade(body_calls: list[tuple[object, bool]]) -> None:
    extract_html(PAGE, None)
    assert [fast for _, fast in body_calls] == [True, False]  # a short page: fast, then the full cascade
    body_calls.clear()
    long_page = PAGE.replace(BODY[0], " ".join(BODY * 4))
    extract_html(long_page, None)
    assert [fast for _, fast in body_calls] == [True]


BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench" / "extraction"


@pytest.mark.skipif(not (BENCH / "ground-truth.json").exists(), reason="../shared benchmark data absent")
def test_body_f1_on_the_extraction_benchmark() -> None:
    script = Path(__file__).parents[1] / "bench" / "extraction.py"
    spec = importlib.util.spec_from_file_location("bench_extraction", script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    pages = bench.load_pages(BENCH)
    precision, recall, f1 = bench.summarise([bench.page_scores(gold, bench.ours(html, url))
                                             for _, url, html, gold in pages])
    assert f1 >= 0.98, (precision, recall, f1)
