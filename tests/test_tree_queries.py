"""newsdigest.tree_queries returns exactly what the whole-document XPaths it replaces return.

Node-by-node comparisons (same elements or attribute values, same document order) on the 341 benchmark pages as
the pipeline parses them, from the root and from nested context nodes; on hand-written cases for each XPath
subtlety; and on random trees, parsed and built by hand. Lists of lxml elements compare by node: lxml hands out
the same proxy object for a node while one is alive, and the first result list keeps them alive.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml import etree

from newsdigest import tree_queries as tq
from newsdigest.html_extract import parse_html

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
needs_bench = pytest.mark.skipif(not BENCH.is_dir(), reason=f"benchmark pages not found at {BENCH}")


def _strings(values: list[Any]) -> list[str]:
    assert all(isinstance(v, str) for v in values)
    return [str(v) for v in values]


def compare(context: Any) -> int:
    """Assert every walk equals its XPath from this context node; return how many nodes they found."""
    lang, canonical, og_url = tq.head_links(context)
    assert lang == _strings(context.xpath(tq.LANG_META))
    assert canonical == _strings(context.xpath(tq.CANONICAL))
    assert og_url == _strings(context.xpath(tq.OG_URL))
    assert tq.jsonld_scripts(context) == context.xpath(tq.JSONLD_SCRIPTS)
    assert tq.metas_with_content(context) == context.xpath(tq.METAS_WITH_CONTENT)
    marked, in_article = tq.marked_times(context)
    assert marked == context.xpath(tq.MARKED_TIMES)
    assert in_article == context.xpath(tq.ARTICLE_TIME)
    assert tq.article_time(context) == in_article
    return (len(lang) + len(canonical) + len(og_url) + len(tq.jsonld_scripts(context)) + len(marked)
            + len(in_article) + len(tq.metas_with_content(context)))


def _contexts(tree: Any) -> list[Any]:
    """The tree, its document root, and a few nested elements: `//` starts from the document whatever the context."""
    root = tree.getroottree().getroot()
    elements = list(root.iter(etree.Element))
    return [tree, root, *elements[len(elements) // 2 :: max(1, len(elements) // 3)][:3]]


@needs_bench
def test_benchmark_pages() -> None:
    files = sorted((BENCH / "extraction" / "html").glob("*.html.gz")) + sorted((BENCH / "dates" / "html").glob("*.gz"))
    assert len(files) == 91 + 250
    found = pages = 0
    for f in files:
        html = gzip.decompress(f.read_bytes()).decode("utf-8", "replace")
        tree = parse_html(html)
        if tree is None:
            continue
        pages += 1
        for context in _contexts(tree):
            found += compare(context)
    assert pages > 330
    assert found > 20_000  # the pages do exercise the expressions


def _page(head: str, body: str) -> Any:
    tree = parse_html(f"<!doctype html><html><head>{head}</head><body>{body}</body></html>")
    assert tree is not None
    return tree


def test_language_metas() -> None:
    head = "".join([
        '<meta http-equiv="Content-Language" content="de">', '<meta http-equiv="CONTENT-LANGUAGE" content="fr">',
        '<meta http-equiv="content-languagE" content="ru">', '<meta http-equiv="Content-Languagé" content="no">',
        '<meta http-equiv="content-language " content="no2">', '<meta http-equiv="content-language">',
        '<meta property="og:locale" content="en_GB">', '<meta property="og:locale">',
        '<meta property="og:locale" http-equiv="content-language" content="both">',  # one node, once
        '<meta property="OG:locale" content="no3">', '<meta name="og:locale" content="no4">',
        '<meta property="og:locale" content="">',
    ])
    tree = _page(head, "<p>x</p>")
    assert tq.head_links(tree)[0] == ["de", "fr", "ru", "en_GB", "both", ""]
    compare(tree)


def test_canonical_links() -> None:
    head = "".join([
        '<link rel="canonical" href="/a">', '<link rel="Canonical" href="/no-case">',
        '<link rel="alternate canonical" href="/b">', '<link rel="\tcanonical\n" href="/c">',
        '<link rel="canonical\u00a0" href="/no-nbsp">', '<link rel="canonical-x" href="/no-prefix">',
        '<link rel="canonical">', '<link href="/no-rel">', '<link rel="canonical" href="">',
        '<meta property="og:url" content="/og">', '<meta property="og:url">', '<meta property="og:url " content="/n">',
    ])
    tree = _page(head, '<link rel="canonical" href="/in-body">')
    assert tq.head_links(tree)[1:] == (["/a", "/b", "/c", "", "/in-body"], ["/og"])
    compare(tree)


def test_jsonld_and_metas() -> None:
    head = "".join([
        '<script type="application/ld+json">{}</script>', '<script type="application/LD+JSON">{}</script>',
        '<script type="lD+jSoN">{}</script>', '<script type="application/ld+json; charset=utf-8">{}</script>',
        '<script type="application/ld json">{}</script>', '<script>{}</script>', '<script type="">{}</script>',
        '<meta name="a" content="">', '<meta name="b">', '<meta content="c">',
    ])
    tree = _page(head, '<script type="application/ld+json">[]</script>')
    assert len(tq.jsonld_scripts(tree)) == 5
    assert len(tq.metas_with_content(tree)) == 2
    compare(tree)


def test_times() -> None:
    body = "".join([
        '<time datetime="2021-01-01">plain, outside</time>', '<time pubdate="">no datetime</time>',
        '<time pubdate="" datetime="2021-01-02">empty pubdate</time>',
        '<time itemprop="datepublished" datetime="2021-01-03">case</time>',
        '<time itemprop="datePublished" datetime="">empty datetime</time>',
        '<article><div><time class="entry-date published" datetime="2021-01-04">x</time>'
        '<time datetime="2021-01-05">y</time></div><article><time datetime="2021-01-06">z</time></article></article>',
        '<time class="xposted" datetime="2021-01-07">w</time>',
    ])
    tree = _page("", body)
    marked, in_article = tq.marked_times(tree)
    assert [t.get("datetime") for t in marked] == ["2021-01-02", "", "2021-01-04", "2021-01-07"]
    assert [t.get("datetime") for t in in_article] == ["2021-01-04"]
    compare(tree)
    assert tq.marked_times(_page("", "<p>no time</p>")) == ([], [])


def test_fragment_and_nested_context() -> None:
    tree = parse_html('<div><p>x</p><meta property="og:url" content="/u"><h1>h</h1></div>')
    assert tree is not None and tree.tag == "div"  # lxml.html.fromstring returned the fragment's element
    for context in _contexts(tree):
        compare(context)


_TAGS = ["meta", "link", "script", "time", "article", "head", "div", "span", "p"]
_ATTRS = {
    "http-equiv": ["content-language", "Content-Language", "refresh", ""],
    "property": ["og:locale", "og:url", "og:title", "og:type", ""],
    "content": ["x", "", "en"],
    "rel": ["canonical", "alternate canonical", "nofollow", " canonical ", ""],
    "href": ["/a", ""],
    "type": ["application/ld+json", "application/LD+JSON", "text/javascript", ""],
    "itemprop": ["datePublished", "datepublished", "name", ""],
    "class": ["published", "posted-on", "entry-date", "meta", ""],
    "pubdate": [""],
    "datetime": ["2021-01-01", ""],
}


def _random_markup(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 5)):
        tag = rng.choice(_TAGS)
        attrs = " ".join(f'{k}="{rng.choice(v)}"' for k, v in _ATTRS.items() if rng.random() < 0.25)
        inner = _random_markup(rng, depth + 1) if depth < 4 and rng.random() < 0.6 else "t"
        parts.append(f"<{tag} {attrs}>{inner}</{tag}>" if tag not in ("meta", "link") else f"<{tag} {attrs}>")
    return "".join(parts)


def test_random_parsed_trees() -> None:
    rng = random.Random(7)
    for _ in range(300):
        tree = _page(_random_markup(rng), _random_markup(rng))
        for context in _contexts(tree):
            compare(context)


def test_random_built_trees() -> None:
    """Trees the parser would not make (metas and links anywhere, nested articles), built element by element."""
    rng = random.Random(11)
    for _ in range(200):
        root = lxml.html.document_fromstring("<html><head></head><body></body></html>")
        nodes = [root, root[0], root[1]]
        for _ in range(rng.randint(5, 60)):
            el = etree.SubElement(rng.choice(nodes), rng.choice(_TAGS))
            for key, values in _ATTRS.items():
                if rng.random() < 0.25:
                    el.set(key, rng.choice(values))
            if rng.random() < 0.5:
                el.text = rng.choice(["a", "b c", ""])
            if rng.random() < 0.3:
                el.tail = rng.choice(["tail", " "])
            nodes.append(el)
        for context in _contexts(root):
            compare(context)
