"""newsdigest.trafilatura_speedups returns exactly what trafilatura's pruning XPaths return.

Element-by-element comparisons (same elements, same document order) on the benchmark pages, raw and after
trafilatura's cleaning and tag conversion, on the trees trafilatura really prunes during extractions, on
hand-written cases for each XPath subtlety and on random trees; then identical extraction output with and
without `install()`. Lists of lxml elements compare by node: lxml hands out the same proxy object for a node
while one is alive, and the first result list keeps them alive.
"""

from __future__ import annotations

import gzip
import random
import re
from collections.abc import Iterator
from copy import copy, deepcopy
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import trafilatura
from lxml import etree
from trafilatura import xpaths
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

from newsdigest import trafilatura_speedups as speedups
from newsdigest.trafilatura_speedups import FastXPath

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
LIST_NAMES = (
    "OVERALL_DISCARD_XPATH", "TEASER_DISCARD_XPATH", "PRECISION_DISCARD_XPATH", "DISCARD_IMAGE_ELEMENTS",
    "REMOVE_COMMENTS_XPATH", "REMOVE_COMMENTS_AND_LISTS_XPATH", "RAW_TREE_PRUNE_XPATH", "COMMENTS_DISCARD_XPATH",
)
needs_bench = pytest.mark.skipif(not BENCH.is_dir(), reason=f"benchmark pages not found at {BENCH}")


@pytest.fixture(autouse=True)
def _original_lists() -> Iterator[None]:
    """Every test starts and ends with trafilatura's own XPath objects in the lists."""
    speedups.uninstall()
    yield
    speedups.uninstall()


@pytest.fixture(scope="module")
def fast() -> list[FastXPath]:
    speedups.uninstall()
    found = speedups.equivalents()
    if found is None:
        pytest.skip(f"installed trafilatura is not the {speedups.TRAFILATURA_VERSION} the equivalents were written for")
    assert list(found) == list(LIST_NAMES)
    return [fx for name in LIST_NAMES for fx in found[name]]


def _paths(tree: Any, elements: list[Any]) -> list[str]:
    return [tree.getroottree().getpath(el) for el in elements]


def compare(fx: FastXPath, tree: Any) -> int:
    """Assert the Python walk and the XPath give the same elements in the same order; return how many."""
    expected = fx.xpath(tree)
    got = fx.func(tree)
    if got != expected:
        pytest.fail(f"{fx.name} on <{tree.tag}>: xpath {_paths(tree, expected)[:8]} != python {_paths(tree, got)[:8]}")
    return len(expected)


def compare_all(fast: list[FastXPath], tree: Any) -> int:
    return sum(compare(fx, tree) for fx in fast)


# ---------------------------------------------------------------- benchmark pages

def _bench_pages() -> list[tuple[str, bytes]]:
    files = sorted((BENCH / "extraction" / "html").glob("*.html.gz")) + sorted((BENCH / "dates" / "html").glob("*.gz"))
    return [(f.name, gzip.decompress(f.read_bytes())) for f in files]


@needs_bench
def test_bench_pages_raw_and_converted(fast: list[FastXPath]) -> None:
    pages = _bench_pages()
    assert len(pages) == 91 + 250
    options = Extractor()  # trafilatura.extract's defaults
    trees = elements = 0
    for _name, html in pages:
        tree = load_html(html)
        assert tree is not None
        converted = convert_tags(tree_cleaning(copy(tree), options), options)
        for context in (tree, converted):
            elements += compare_all(fast, context)
            trees += 1
        for expr in xpaths.COMMENTS_XPATH:  # a context node that is not the root: comment sections, as
            subtree = next(iter(expr(converted)), None)  # extract_comments prunes them
            if subtree is not None:
                elements += compare_all(fast, subtree)
                trees += 1
    assert trees > 2 * len(pages)
    assert elements > 50_000  # the pages do exercise the expressions (54,574 raw + converted when written)


def _extraction_pages() -> list[bytes]:
    return [gzip.decompress(f.read_bytes()) for f in sorted((BENCH / "extraction" / "html").glob("*.html.gz"))]


class _Checker:
    """Stands in for one list entry during an extraction: answers as the original XPath does, and records
    whether the Python walk agrees on that very tree (pruned intermediates, comment subtrees...)."""

    def __init__(self, fx: FastXPath, log: dict[str, int], failures: list[str]) -> None:
        self.fx, self.log, self.failures = fx, log, failures

    def __call__(self, tree: Any) -> list[Any]:
        expected = self.fx.xpath(tree)
        got = self.fx(tree)
        self.log[self.fx.name] = self.log.get(self.fx.name, 0) + 1
        if got != expected:
            self.failures.append(f"{self.fx.name}: {_paths(tree, expected)[:5]} != {_paths(tree, got)[:5]}")
        return expected


def _extractions(pages: list[bytes]) -> list[tuple[Any, ...]]:
    out = []
    for html in pages:
        default = trafilatura.extract(html)
        doc = trafilatura.bare_extraction(html, favor_precision=True, include_comments=False)
        out.append((default, doc.text if doc else None, doc.comments if doc else None))
    return out


@needs_bench
def test_extraction_output_unchanged(fast: list[FastXPath]) -> None:
    pages = _extraction_pages()
    assert len(pages) == 91
    before = _extractions(pages)
    assert sum(1 for default, text, _ in before if default and text) > 80

    # the XPaths' answers on the trees they are really applied to during these extractions
    calls: dict[str, int] = {}
    failures: list[str] = []
    by_name = {fx.name: fx for fx in fast}
    try:
        for name in LIST_NAMES:
            target = getattr(xpaths, name)
            for i in range(len(target)):
                target[i] = _Checker(by_name[f"{name}[{i}]"], calls, failures)
        checked = _extractions(pages)
    finally:  # uninstall() does not know _Checker: put the originals back by hand
        for name in LIST_NAMES:
            target = getattr(xpaths, name)
            target[:] = [entry.fx.xpath if isinstance(entry, _Checker) else entry for entry in target]
    assert not failures, failures[:5]
    assert checked == before
    assert set(calls) == set(by_name), f"never called: {set(by_name) - set(calls)}"

    assert speedups.install()
    after = _extractions(pages)
    assert after == before


# ---------------------------------------------------------------- install / uninstall

def test_install_replaces_in_place_and_is_idempotent(fast: list[FastXPath]) -> None:
    lists = {name: getattr(xpaths, name) for name in LIST_NAMES}
    originals = {name: list(lst) for name, lst in lists.items()}
    from trafilatura import core, external, main_extractor

    assert speedups.install()
    assert speedups.installed()
    assert main_extractor.OVERALL_DISCARD_XPATH is lists["OVERALL_DISCARD_XPATH"]
    assert external.OVERALL_DISCARD_XPATH is lists["OVERALL_DISCARD_XPATH"]
    assert core.RAW_TREE_PRUNE_XPATH is lists["RAW_TREE_PRUNE_XPATH"]
    for name, lst in lists.items():
        assert getattr(xpaths, name) is lst
        assert all(isinstance(entry, FastXPath) for entry in lst)
        assert [entry.xpath for entry in lst] == originals[name]
        assert all(entry.path == entry.xpath.path for entry in lst)
    first = {name: list(lst) for name, lst in lists.items()}
    assert speedups.install()  # idempotent: same callables, nothing wrapped twice
    assert {name: list(lst) for name, lst in lists.items()} == first
    assert "OVERALL_DISCARD_XPATH[1]" in repr(lists["OVERALL_DISCARD_XPATH"][1])
    assert "comments-title" in repr(lists["OVERALL_DISCARD_XPATH"][1])
    speedups.uninstall()
    assert not speedups.installed()
    assert {name: list(lst) for name, lst in lists.items()} == originals


def test_install_refuses_another_version(fast: list[FastXPath], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trafilatura, "__version__", "2.3.2")
    before = {name: list(getattr(xpaths, name)) for name in LIST_NAMES}
    assert speedups.install() is False
    assert {name: list(getattr(xpaths, name)) for name in LIST_NAMES} == before


def test_install_refuses_an_edited_xpath(fast: list[FastXPath], monkeypatch: pytest.MonkeyPatch) -> None:
    edited = list(xpaths.TEASER_DISCARD_XPATH)
    edited[0] = etree.XPath(".//*[self::div][contains(@class, 'teaser')]")
    monkeypatch.setattr(xpaths, "TEASER_DISCARD_XPATH", edited)
    before = {name: list(getattr(xpaths, name)) for name in LIST_NAMES}
    assert speedups.install() is False
    assert {name: list(getattr(xpaths, name)) for name in LIST_NAMES} == before


def test_other_contexts_go_to_the_original_xpath(fast: list[FastXPath]) -> None:
    doc = load_html('<html><body><div class="comments-title">x</div><header>h</header></body></html>')
    for fx in fast:
        assert fx(doc.getroottree()) == fx.xpath(doc.getroottree())
        assert fx(doc) == fx.xpath(doc)
    header = next(fx for fx in fast if fx.name == "PRECISION_DISCARD_XPATH[0]")
    assert header(doc.getroottree()) == doc.findall(".//header")
    comment = etree.Comment("c")
    for call in (header, header.xpath):  # a comment is no context for either
        with pytest.raises(ValueError):
            call(comment)
    # XPath variables are the original's business
    assert header(doc, unused="x") == header.xpath(doc, unused="x")


# ---------------------------------------------------------------- hand-written cases

def _doc(body: str) -> Any:
    return load_html(f"<html><head><title>t</title></head><body>{body}</body></html>")


def _fx(fast: list[FastXPath], name: str) -> FastXPath:
    return next(fx for fx in fast if fx.name == name)


def _matches(fx: FastXPath, tree: Any) -> list[str]:
    """The text of each element both agree on (the cases label every element by its text)."""
    compare(fx, tree)
    return [(el.text or "").strip() for el in fx.func(tree)]


def test_first_attribute_in_source_order(fast: list[FastXPath]) -> None:
    # re:test(@id|@class, 'cookie'): only the source-first of id and class counts, even when empty
    tree = _doc('<div class="cookiejar" id="a">1</div><div id="b" class="cookiejar">2</div>'
                '<div id="" class="cookiejar">3</div><div class="cookiejar" id="">4</div>'
                '<div id="cookiejar">5</div><div class="cookiejar">6</div>')
    assert _matches(_fx(fast, "OVERALL_DISCARD_XPATH[0]"), tree) == ["1", "4", "5", "6"]
    # re:test(@id|@style, 'hidden') and starts-with(@id|@class, 'reply-')
    tree = _doc('<p style="visibility:hidden" id="x1">1</p><p id="x2" style="visibility:hidden">2</p>'
                '<p style="visibility:hidden">3</p><span class="reply-box" id="q">4</span>'
                '<span id="q2" class="reply-box">5</span><span id="reply-x">6</span>')
    assert _matches(_fx(fast, "OVERALL_DISCARD_XPATH[1]"), tree) == ["1", "3", "4", "6"]
    # precision: bottom/link tested on the source-first attribute
    tree = _doc('<div class="page bottom" id="m1">1</div><div id="m2" class="page bottom">2</div>'
                '<div class="link" id="m3">3</div><div class="linked" style="x">4</div>'
                '<div id="m5" style="border:0">5</div><div id="bottom">6</div><div id="topbottom">7</div>')
    assert _matches(_fx(fast, "PRECISION_DISCARD_XPATH[1]"), tree) == ["1", "3", "5", "6", "7"]
    tree = _doc('<div class="akismet-x" id="z1">1</div><div id="z2" class="akismet-x">2</div>'
                '<div class="x" id="reply-1">3</div><div class="signin">4</div><div id="reply-2">5</div>')
    assert _matches(_fx(fast, "COMMENTS_DISCARD_XPATH[2]"), tree) == ["1", "4", "5"]


def test_missing_and_empty_attributes(fast: list[FastXPath]) -> None:
    tree = _doc('<div>plain</div><div id>e1</div><div class="">e2</div><div data-lp-replacement-content>lp</div>'
                '<div data-component="x MostPopularStories">mp</div><span aria-hidden="TRUE">ah1</span>'
                '<span aria-hidden="true">ah2</span><p style="display: none">dn</p><p style="display:none;">dn2</p>'
                '<p class="comments-title">ct</p><p class="xcomments-title">ct2</p><p class="comments-titles">ct3</p>')
    assert _matches(_fx(fast, "OVERALL_DISCARD_XPATH[0]"), tree) == ["lp", "mp"]
    assert _matches(_fx(fast, "OVERALL_DISCARD_XPATH[1]"), tree) == ["ah2", "dn", "dn2", "ct", "ct2", "ct3"]
    assert _matches(_fx(fast, "COMMENTS_DISCARD_XPATH[2]"), tree) == ["dn2", "ct", "ct2", "ct3"]
    for fx in fast:
        compare(fx, tree)


def test_translate_role_and_teaser(fast: list[FastXPath]) -> None:
    tree = _doc('<div role="Navigation">r1</div><div role="NAV">r2</div><div role="mainNav">r3</div>'
                '<div role="navigation">r4</div><a role="navigation">r5</a>'
                '<div id="Teaser">t1</div><div class="TEASER">t2</div><span class="big-Teaser">t3</span>'
                '<section id="teasers">t4</section><ul class="teaser"><li>t5</li></ul>')
    assert _matches(_fx(fast, "OVERALL_DISCARD_XPATH[0]"), tree) == ["r1", "r3", "r4"]
    assert _matches(_fx(fast, "TEASER_DISCARD_XPATH[0]"), tree) == ["t1", "t3", "t4"]


def test_comment_lists_and_nesting(fast: list[FastXPath]) -> None:
    tree = _doc('<div id="comments">c1<div class="comment-body">c2<div class="Comment">c3</div></div></div>'
                '<div id="commentary">no</div><ol id="disqus_thread">o1<li>x</li></ol><ol id="comments-list">o2</ol>'
                '<ul class="post-comments">u1</ul><ul id="comol">u2</ul><details class="comment-x">d1</details>'
                '<section id="dsq-comments">s1</section><aside id="comments">a1</aside>')
    assert _matches(_fx(fast, "REMOVE_COMMENTS_XPATH[0]"), tree) == ["c1", "c2", "c3", "d1", "s1"]
    assert _matches(_fx(fast, "REMOVE_COMMENTS_AND_LISTS_XPATH[0]"), tree) == [
        "c1", "c2", "c3", "o2", "u1", "u2", "d1", "s1"]
    converted = deepcopy(tree)
    for el in converted.iter("ol", "ul"):
        el.tag = "list"  # as convert_tags does: the ol/ul exception no longer applies
    assert _matches(_fx(fast, "REMOVE_COMMENTS_XPATH[0]"), converted) == [
        "c1", "c2", "c3", "o1", "o2", "u1", "u2", "d1", "s1"]
    assert _matches(_fx(fast, "REMOVE_COMMENTS_AND_LISTS_XPATH[0]"), converted) == [
        "c1", "c2", "c3", "o1", "o2", "u1", "u2", "d1", "s1"]


def test_raw_tree_prune_h1_guard(fast: list[FastXPath]) -> None:
    tree = _doc('<div id="infinite-scroll">i1<h1>real</h1></div><div class="infinitescroll">i2</div>'
                '<section class="mvp-post-add-box">s<div><h1>x</h1></div></section>'
                '<aside id="wrap" class="infinite-scroll">a<div><div><h1>deep</h1></div></div></aside>'
                '<div class="mvp-post-add-wrap" id="infinite">m<h1>h</h1></div>'
                '<span class="infinite-scroll">not a container</span>'
                '<div class="x elementor-share-buttons--y">share</div>')
    assert _matches(_fx(fast, "RAW_TREE_PRUNE_XPATH[0]"), tree) == ["i2", "s", "m"]
    assert _matches(_fx(fast, "RAW_TREE_PRUNE_XPATH[1]"), tree) == ["share"]


def test_union_cite_quote_in_document_order(fast: list[FastXPath]) -> None:
    tree = _doc('<quote>q1<cite>c1</cite></quote><cite>c2<quote>q2</quote></cite><p><quote>q3</quote></p>'
                '<header>h1<div><header>h2</header></div></header>')
    assert _matches(_fx(fast, "COMMENTS_DISCARD_XPATH[1]"), tree) == ["q1", "c1", "c2", "q2", "q3"]
    assert _matches(_fx(fast, "PRECISION_DISCARD_XPATH[0]"), tree) == ["h1", "h2"]
    tree = _doc('<div id="respond">r</div><section id="respond-x">s</section><p id="respond">p</p>'
                '<div id="xrespond">x</div>')
    assert _matches(_fx(fast, "COMMENTS_DISCARD_XPATH[0]"), tree) == ["r", "s"]


def test_context_node_comments_and_tag_names(fast: list[FastXPath]) -> None:
    tree = lxml.html.document_fromstring(
        '<html><body><!-- <div class="comments-title"> --><?php echo 1 ?>'
        '<div class="comments-title" id="outer">o<!-- c --><div class="comments-title" id="inner">x</div></div>'
        '<div id="renamed">r</div><div id="upper">u</div><div id="ns">n</div></body></html>')
    body = tree.find("body")
    assert any(not isinstance(node.tag, str) for node in body)  # the tree holds comments / PIs
    body.append(etree.Comment("appended comment"))
    body.append(etree.ProcessingInstruction("pi", "x"))
    for ident, tag in (("renamed", "item"), ("upper", "DIV"), ("ns", "{urn:x}div")):
        el = tree.get_element_by_id(ident)
        el.tag = tag
        el.set("class", "comments-title")
        el.set("role", "nav")
    for fx in fast:
        compare(fx, tree)
        compare(fx, body)
    outer = tree.get_element_by_id("outer")
    assert _matches(_fx(fast, "COMMENTS_DISCARD_XPATH[2]"), outer) == ["x"]  # not the context node itself
    assert _matches(_fx(fast, "COMMENTS_DISCARD_XPATH[2]"), tree) == ["o", "x", "r", "u", "n"]
    assert _matches(_fx(fast, "OVERALL_DISCARD_XPATH[1]"), tree) == ["o", "x", "r", "u", "n"]
    assert _matches(_fx(fast, "OVERALL_DISCARD_XPATH[0]"), tree) == ["r"]  # self::div is exact, self::item too
    detached = deepcopy(outer)  # its own document, as trafilatura's candidate copies
    for fx in fast:
        compare(fx, detached)


_TAGS = ("div", "item", "list", "p", "section", "span", "details", "ol", "ul", "aside", "header", "cite",
         "quote", "h1", "a", "head", "main")
_VALUES = ("", "x", "cookie", "Cookie-bar", "reply-", "reply-x", "a-reply-b", "hidden", "is-hidden", "bottom",
           "page bottom", "bottom-bar", "Padding-bottom-lg", "link", "a link b", "permalink", "caption", "Teaser",
           "TEASER", "comment", "Comments", "commentary", "comol", "disqus_thread", "dsq-comments", "post-comments",
           "mvp-post-add-box", "infinite-scroll", "infinitescroll", "elementor-share-buttons", "respond-1", "nav",
           "Navigation", "NAV", "akismet", "signin", "message", "comments-title", "hide-x", "x hide", " ad x",
           "share", "author", "widget", "display:none", "display: none", "border:1px", "MostPopularStories", "true")
_ATTRS = ("id", "class", "style", "role", "aria-hidden", "data-component", "data-lp-replacement-content", "title")


def _random_tree(rng: random.Random) -> Any:
    root = etree.Element("html")
    body = etree.SubElement(root, "body")
    nodes = [body]
    for _ in range(rng.randint(5, 60)):
        parent = rng.choice(nodes)
        if rng.random() < 0.08:
            parent.append(etree.Comment("c"))
            continue
        el = etree.SubElement(parent, rng.choice(_TAGS))
        for attr in rng.sample(_ATTRS, rng.randint(0, 4)):  # random source order
            el.set(attr, rng.choice(_VALUES))
        el.text = "t"
        nodes.append(el)
    return root


def test_random_trees(fast: list[FastXPath]) -> None:
    rng = random.Random(20240601)
    matched = 0
    for _ in range(300):
        built = _random_tree(rng)
        parsed = lxml.html.document_fromstring(etree.tostring(built, encoding="unicode"))
        for tree in (built, parsed):
            matched += compare_all(fast, tree)
            contexts = list(tree.iter("div", "section", "list"))
            if contexts:
                matched += compare_all(fast, rng.choice(contexts))
    assert matched > 2000


def test_patterns_are_the_xpaths_own(fast: list[FastXPath]) -> None:
    """Each regex is copied verbatim from a `re:test(..., '<pattern>')` of the XPaths, and none matches ""."""
    with pytest.raises(ValueError):
        speedups._rx("(^|\\s)x?")
    patterns = [value for value in vars(speedups).values() if isinstance(value, re.Pattern)]
    assert len(patterns) >= 10
    assert not any(pattern.search("") for pattern in patterns)
    sources = " ".join(fx.path for fx in fast)
    for pattern in patterns:
        assert pattern.flags == re.UNICODE
        assert f"'{pattern.pattern}')" in sources, pattern.pattern
