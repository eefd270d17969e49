"""newsdigest.trafilatura_owned gives exactly what `trafilatura.bare_extraction` gives, and steps aside when
trafilatura is not the code it mirrors.

Compared field by field (text, raw_text, the body serialised) with `bare_extraction` called as
`html_extract._body` calls it, on hand-made edge pages and, when ../shared is present, on the 91 pages of the
extraction benchmark. tests/test_extract_equivalence.py covers the whole extractor on 341 pages.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import lxml.etree
import pytest
import trafilatura

from newsdigest import trafilatura_owned
from newsdigest.html_extract import _CONFIG, extract_html, parse_html

EXTRACTION = Path(__file__).resolve().parents[2] / "shared" / "bench" / "extraction" / "html"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "web" / "page.html"

PARAS = "".join(f"<p>Paragraph {i} about the Russian base in Tajikistan and the border with Afghanistan, "
                f"which the ministry said would be reinforced this year.</p>" for i in range(8))
EDGE_PAGES = {
    "article": f"<html><head><title>T</title></head><body><nav><a href='/'>Home</a></nav>"
               f"<article><h1>Head</h1>{PARAS}</article><footer>Copyright</footer></body></html>",
    "short": "<html><body><p>Too short to be an article.</p></body></html>",
    "empty body": "<html><head><title>x</title></head><body></body></html>",
    "comments": f"<html><body><article>{PARAS}</article><div id='comments'><p>First!</p>"
                f"<ul class='comment-list'><li>nice</li></ul></div></body></html>",
    "forum": '<html><head><script type="application/ld+json">{"@type": "DiscussionForumPosting"}</script>'
             f"</head><body><div class='comments'>{PARAS}</div></body></html>",
    "table": "<html><body><table>" + "".join(f"<tr><td>Row {i} of the arms deliveries table for Uzbekistan"
                                             f" and Kazakhstan in 2024</td></tr>" for i in range(30))
             + "</table></body></html>",
}


def _reference(html: str, url: str | None):
    tree = parse_html(html)
    if tree is None:
        return None
    return trafilatura.bare_extraction(tree, url=url, with_metadata=False, include_comments=False,
                                       include_tables=True, favor_precision=True, config=_CONFIG, fast=True)


def _owned(html: str, url: str | None):
    return trafilatura_owned.fast_body(parse_html(html), url, _CONFIG)


def _same(html: str, url: str | None) -> None:
    expected, got = _reference(html, url), _owned(html, url)
    assert (expected is None) == (got is None)
    if expected is not None:
        assert got.text == expected.text
        assert got.raw_text == expected.raw_text
        assert lxml.etree.tostring(got.body) == lxml.etree.tostring(expected.body)


def test_mirrors_the_installed_trafilatura() -> None:
    """The pinned trafilatura is the code mirrored (else the speed-up is silently off: this says so)."""
    trafilatura_owned.available.cache_clear()
    assert trafilatura_owned.available(), trafilatura_owned.source_fingerprints()


@pytest.mark.parametrize("name", sorted(EDGE_PAGES))
def test_same_as_bare_extraction_on_edge_pages(name: str) -> None:
    _same(EDGE_PAGES[name], "https://example.com/2024/05/01/story.html")


def test_same_as_bare_extraction_on_the_fixture_page() -> None:
    _same(FIXTURE.read_text(encoding="utf-8"), "https://example.com/news/page.html")


@pytest.mark.skipif(not EXTRACTION.is_dir(), reason=f"benchmark pages not found at {EXTRACTION}")
def test_same_as_bare_extraction_on_the_extraction_benchmark() -> None:
    files = sorted(EXTRACTION.iterdir())
    assert len(files) == 91
    for path in files:
        raw = path.read_bytes()
        html = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8", errors="replace")
        _same(html, f"https://example.org/{path.stem}")


def test_a_changed_trafilatura_turns_it_off_and_output_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://example.com/2024/05/01/story.html"
    with_owned = extract_html(EDGE_PAGES["article"], url)
    calls: list[object] = []
    monkeypatch.setattr(trafilatura_owned, "fast_body", lambda *a, **k: calls.append(a))
    monkeypatch.setitem(trafilatura_owned.MIRRORED, "core.trafilatura_sequence", "0" * 16)
    trafilatura_owned.available.cache_clear()
    try:
        assert not trafilatura_owned.available()
        assert extract_html(EDGE_PAGES["article"], url) == with_owned
        assert calls == []  # bare_extraction (with its copies) did the work
    finally:
        monkeypatch.undo()
        trafilatura_owned.available.cache_clear()
    assert trafilatura_owned.available()


def test_a_weak_fast_result_is_parsed_again_for_the_full_cascade(body_calls: list[tuple[object, bool]]) -> None:
    """The fast pass consumed the caller's tree; the full cascade must get a fresh parse, not the leftovers."""
    html = EDGE_PAGES["short"]
    given = parse_html(html)
    extract_html(html, None, tree=given)
    trees = [tree for tree, _ in body_calls]
    assert len(trees) == 2 and trees[0] is given and trees[1] is not given
