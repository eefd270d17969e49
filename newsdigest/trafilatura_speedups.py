"""Python equivalents of trafilatura's pruning XPaths, installed in place of the slow originals.

Why: about a quarter of the extraction workers' CPU went to trafilatura's `prune_unwanted_nodes`
(trafilatura/htmlprocessing.py) evaluating the `XPath` objects of eight lists in trafilatura/xpaths.py.
libxml2 calls back into Python for every EXSLT `re:test(...)` on every element, and its chains of
`self::div or self::item or ...` are slow too. Each callable here walks the tree once in Python (lxml's C tag
filter, compiled regexes) and returns the same elements in the same document order, as `_author_candidates`
in newsdigest/html_extract.py already does for the author XPaths. Measured on the 91 pages of the extraction
benchmark (CPU, best of 3, shared 2-core machine): one evaluation of all 13 expressions on each raw page
24 ms with the XPaths, 9 ms with these; `bench/prune_cost.py`: `extract_document` 24.6 -> 19.9 ms/page
(-19 %), bare `trafilatura.extract` 22.5 -> 20.9 ms/page.

Equivalence: tests/test_trafilatura_speedups.py compares every callable with its XPath element by element on
the 341 benchmark pages (91 extraction + 250 date pages), raw and after trafilatura's own cleaning and tag
conversion, on every tree the lists are applied to during 182 real extractions, on hand-written cases for each
XPath subtlety and on random trees, and checks that `trafilatura.extract` and `bare_extraction` give identical
output with and without `install()`. The XPath semantics reproduced:

- `.//*[...]` = element descendants of the context node, never the node itself, no comments or PIs;
  `self::div` = `el.tag == "div"` exactly (trafilatura renames tags, e.g. ul -> list, before some run).
- A missing attribute is the empty string in `contains`, `starts-with`, `translate` and `re:test`, and
  `@a='x'` is false for it. No pattern here matches "" (`_rx` refuses one), so a missing attribute never
  passes a `re:test` and the regex can be skipped for it.
- `@id|@class` (and `@id|@style`) as a string = the value of whichever of the two comes first in the
  element's source attribute order (`el.keys()` order), "" if neither is present.
- lxml's EXSLT `re:test(s, p)` is `re.compile(p, re.UNICODE).search(s)` (lxml/extensions.pxi,
  `_ExsltRegExp.test`); none of these XPaths passes the 'i' flag.

Version guard: `install()` only replaces anything when trafilatura is exactly the version these were written
against (`TRAFILATURA_VERSION`) AND every XPath's source text still hashes to the fingerprint recorded here
(a patched or rebuilt package can keep its version number while an expression changes);
otherwise it leaves trafilatura untouched and returns False. The lists are patched in place (`lst[i] = ...`), so
core.py, main_extractor.py and external.py, which imported the list objects, all see the change. Nothing in
trafilatura uses these entries except `prune_unwanted_nodes`, which calls `expression(tree)`; any other
attribute (`.path`, `.error_log`, ...) is forwarded to the original XPath, kept as `.xpath`, and calls that
are not a plain element context (an ElementTree, XPath variables) are answered by the original XPath.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import re
from collections.abc import Callable
from typing import Any

from lxml import etree

__all__ = ["TRAFILATURA_VERSION", "FastXPath", "equivalents", "install", "installed", "installed_trafilatura_version",
           "uninstall"]

LOGGER = logging.getLogger(__name__)

TRAFILATURA_VERSION = "2.3.1"

Elements = list[Any]  # lxml.html.HtmlElement (or etree._Element) results, in document order


def _rx(pattern: str) -> re.Pattern[str]:
    """lxml's `re:test` regex. The callables skip a missing (or empty) attribute instead of searching "", which
    is exact only if the pattern cannot match the empty string, so refuse one that can."""
    compiled = re.compile(pattern, re.UNICODE)
    if compiled.search("") is not None:  # not an assert: must hold under python -O
        raise ValueError(f"pattern matches the empty string, a missing attribute would pass: {pattern!r}")
    return compiled


def _id_or(el: Any, ident: str | None, other: str | None, other_name: str) -> str:
    """String value of `@id|@<other_name>`: the source-first of the two attributes present, else ""."""
    if ident is None:
        return other or ""
    if other is None:
        return ident
    keys = el.keys()
    return ident if keys.index("id") < keys.index(other_name) else other


# `self::div or self::item or self::list or self::p or self::section or self::span`
_DIPSS = ("div", "item", "list", "p", "section", "span")


# ---------------------------------------------------------------- OVERALL_DISCARD_XPATH

_OVERALL_COOKIE = _rx("cookie")
_OVERALL_ID = _rx(
    "^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|"
    "^(?:jp-|dpsp-content)|bmdh|footer|Footer|share|Share|nav|Nav|menu|related|message-container|premium|^ad-"
)
_OVERALL_CLASS = _rx(
    "^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|"
    "^(?:nav|post-nav|ZendeskForm)|subnav|avigation|navbar|navbox|menu|bar| ad |-ad-|(?:^| )ad-|dfp[Aa]d|"
    "outbrain|taboola|criteo|paid-?content|widget|footer|Footer|byline|Byline|share-|sociable|embedded|embed|"
    "tag-list|consent|modal-content|permission|elated|next-|-stories|most-popular|more-on|meta|rating|"
    "attachment|timestamp|user-info|user-profile|-icon|article-infos|message-container|slide|viewport|overlay|"
    "options|expand|obfuscated|blurred|mol-factbox|yin|zlylin|nfoline"
)


def overall_discard_0(tree: Any) -> Elements:
    """`.//*[self::div|item|list|p|section|span][@data-lp-replacement-content or
    contains(translate(@role,'N','n'),'nav') or contains(@data-component,'MostPopularStories') or
    re:test(@id|@class,'cookie') or re:test(@id, ID) or re:test(@class, CLASS)]`"""
    out = []
    for el in tree.iterdescendants(*_DIPSS):
        get = el.get
        ident, cls = get("id"), get("class")
        if (
            (cls and _OVERALL_CLASS.search(cls))
            or (ident and _OVERALL_ID.search(ident))
            or get("data-lp-replacement-content") is not None
            or "nav" in (get("role") or "").replace("N", "n")
            or "MostPopularStories" in (get("data-component") or "")
            or ((ident is not None or cls) and _OVERALL_COOKIE.search(_id_or(el, ident, cls, "class")))
        ):
            out.append(el)
    return out


_OVERALL1_ID = _rx("reader-comments|akismet")
_OVERALL1_CLASS = _rx(
    "^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print| hidden| hide|"
    "noprint|notloaded"
)
_HIDDEN = _rx("hidden")


def overall_discard_1(tree: Any) -> Elements:
    """`.//*[@class='comments-title' or starts-with(@id|@class,'reply-') or re:test(@id|@style,'hidden') or
    contains(@style,'display:none') or contains(@style,'display: none') or re:test(@id,'reader-comments|akismet')
    or re:test(@class, CLASS) or @aria-hidden='true']`"""
    out = []
    for el in tree.iterdescendants(etree.Element):
        if not el.attrib:  # every test is false without attributes
            continue
        get = el.get
        ident, cls, style = get("id"), get("class"), get("style")
        if (
            (cls and (cls == "comments-title" or _OVERALL1_CLASS.search(cls)))
            or (ident and _OVERALL1_ID.search(ident))
            or (style and ("display:none" in style or "display: none" in style))
            or get("aria-hidden") == "true"
            or _id_or(el, ident, cls, "class").startswith("reply-")
            or ((ident or style) and _HIDDEN.search(_id_or(el, ident, style, "style")))
        ):
            out.append(el)
    return out


# ---------------------------------------------------------------- TEASER / PRECISION / IMAGE

def teaser_discard_0(tree: Any) -> Elements:
    """`.//*[self::div|item|list|p|section|span][contains(translate(@id,'T','t'),'teaser') or
    contains(translate(@class,'T','t'),'teaser')]`"""
    out = []
    for el in tree.iterdescendants(*_DIPSS):
        get = el.get
        ident, cls = get("id"), get("class")
        if (cls and "teaser" in cls.replace("T", "t")) or (ident and "teaser" in ident.replace("T", "t")):
            out.append(el)
    return out


def precision_discard_0(tree: Any) -> Elements:
    """`.//header`"""
    return list(tree.iterdescendants("header"))


_BOTTOM = _rx(r"(^|\s)bottom|bottom(\s|$)")
_LINK = _rx(r"(^|\s)link(\s|$)")


def precision_discard_1(tree: Any) -> Elements:
    r"""`.//*[self::div|item|list|p|section|span][re:test(@id|@class,'(^|\s)bottom|bottom(\s|$)') or
    re:test(@id|@class,'(^|\s)link(\s|$)') or contains(@style,'border')]`"""
    out = []
    for el in tree.iterdescendants(*_DIPSS):
        get = el.get
        ident, cls = get("id"), get("class")
        style = get("style")
        if style and "border" in style:
            out.append(el)
        elif ident is not None or cls:
            first = _id_or(el, ident, cls, "class")
            if first and (_BOTTOM.search(first) or _LINK.search(first)):
                out.append(el)
    return out


def discard_image_elements_0(tree: Any) -> Elements:
    """`.//*[self::div|item|list|p|section|span][contains(@id,'caption') or contains(@class,'caption')]`"""
    out = []
    for el in tree.iterdescendants(*_DIPSS):
        get = el.get
        ident, cls = get("id"), get("class")
        if (cls and "caption" in cls) or (ident and "caption" in ident):
            out.append(el)
    return out


# ---------------------------------------------------------------- comments

_COMMENTS_ID = _rx("^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)")
_COMMENTS_ID_LISTS = _rx("^(?:[Cc]omment(?!ary)|comol)")
_COMMENTS_CLASS = _rx("^[Cc]omment(?!ary)|(?:article|post)-comments")


def remove_comments_0(tree: Any) -> Elements:
    """`.//*[self::div|list|section|details][re:test(@id,'^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)')
    or re:test(@class,'^[Cc]omment(?!ary)|(?:article|post)-comments')]`"""
    out = []
    for el in tree.iterdescendants("div", "list", "section", "details"):
        get = el.get
        ident, cls = get("id"), get("class")
        if (cls and _COMMENTS_CLASS.search(cls)) or (ident and _COMMENTS_ID.search(ident)):
            out.append(el)
    return out


def remove_comments_and_lists_0(tree: Any) -> Elements:
    """`.//*[self::div|list|section|details|ol|ul][re:test(@id, ID) or re:test(@class, CLASS)][not(self::ol or
    self::ul) or re:test(@id,'^(?:[Cc]omment(?!ary)|comol)') or re:test(@class, CLASS)]`, ID and CLASS as in
    `remove_comments_0`"""
    out = []
    for el in tree.iterdescendants("div", "list", "section", "details", "ol", "ul"):
        get = el.get
        ident, cls = get("id"), get("class")
        if (cls and _COMMENTS_CLASS.search(cls)) or (  # a class match passes both predicates
            ident and _COMMENTS_ID.search(ident) and (el.tag not in ("ol", "ul") or _COMMENTS_ID_LISTS.search(ident))
        ):
            out.append(el)
    return out


# ---------------------------------------------------------------- raw-tree prune

_INFINITE = _rx("mvp-post-add-(?:box|wrap)|infinite-?scroll")
_MVP = _rx("mvp-post-add-(?:box|wrap)")


def raw_tree_prune_0(tree: Any) -> Elements:
    """`.//*[self::div|section|aside][re:test(@id,'mvp-post-add-(?:box|wrap)|infinite-?scroll') or re:test(@class,
    same)][not(.//h1) or re:test(@id,'mvp-post-add-(?:box|wrap)') or re:test(@class,'mvp-post-add-(?:box|wrap)')]`"""
    out = []
    for el in tree.iterdescendants("div", "section", "aside"):
        get = el.get
        ident, cls = get("id"), get("class")
        if ((ident and _INFINITE.search(ident)) or (cls and _INFINITE.search(cls))) and (
            (ident and _MVP.search(ident))
            or (cls and _MVP.search(cls))
            or next(el.iterdescendants("h1"), None) is None
        ):
            out.append(el)
    return out


def raw_tree_prune_1(tree: Any) -> Elements:
    """`.//*[self::div|section|aside][contains(@class,'elementor-share-buttons')]`"""
    return [
        el
        for el in tree.iterdescendants("div", "section", "aside")
        if "elementor-share-buttons" in (el.get("class") or "")
    ]


def comments_discard_0(tree: Any) -> Elements:
    """`.//*[self::div or self::section][starts-with(@id,'respond')]`"""
    return [el for el in tree.iterdescendants("div", "section") if (el.get("id") or "").startswith("respond")]


def comments_discard_1(tree: Any) -> Elements:
    """`.//cite|.//quote` (one walk, so document order)"""
    return list(tree.iterdescendants("cite", "quote"))


_COMMENTS_DISCARD_CLASS = _rx("comments-title|nocomments|-reply-|message|signin")
_REPLY = _rx("^reply-|akismet")


def comments_discard_2(tree: Any) -> Elements:
    """`.//*[@class='comments-title' or contains(@style,'display:none') or
    re:test(@class,'comments-title|nocomments|-reply-|message|signin') or re:test(@id|@class,'^reply-|akismet')]`"""
    out = []
    for el in tree.iterdescendants(etree.Element):
        if not el.attrib:  # every test is false without attributes
            continue
        get = el.get
        ident, cls = get("id"), get("class")
        style = get("style")
        if (
            (cls and (cls == "comments-title" or _COMMENTS_DISCARD_CLASS.search(cls)))
            or (style and "display:none" in style)
            or ((ident or cls) and _REPLY.search(_id_or(el, ident, cls, "class")))
        ):
            out.append(el)
    return out


# ---------------------------------------------------------------- registry

# list name in trafilatura.xpaths -> per entry: (python equivalent, sha256 prefix of the XPath's source text it
# was written against). Every entry of these lists has an equivalent.
_EQUIVALENTS: dict[str, tuple[tuple[Callable[[Any], Elements], str], ...]] = {
    "OVERALL_DISCARD_XPATH": ((overall_discard_0, "a837e58a1b1ea116"), (overall_discard_1, "c1d5b70b8cd03783")),
    "TEASER_DISCARD_XPATH": ((teaser_discard_0, "ebb02f066626551d"),),
    "PRECISION_DISCARD_XPATH": ((precision_discard_0, "be67925fffa9fcb2"), (precision_discard_1, "53d31ea1df47920a")),
    "DISCARD_IMAGE_ELEMENTS": ((discard_image_elements_0, "cb1ab981e44913f7"),),
    "REMOVE_COMMENTS_XPATH": ((remove_comments_0, "5d97216ca15d0558"),),
    "REMOVE_COMMENTS_AND_LISTS_XPATH": ((remove_comments_and_lists_0, "9cc18d34e6e2d258"),),
    "RAW_TREE_PRUNE_XPATH": ((raw_tree_prune_0, "01e7c660fd6406f2"), (raw_tree_prune_1, "3c7afe92279543d5")),
    "COMMENTS_DISCARD_XPATH": (
        (comments_discard_0, "70d0ca82ad61e236"),
        (comments_discard_1, "95dfcb5d41712380"),
        (comments_discard_2, "4df53845e992d9c2"),
    ),
}


def _fingerprint(xpath: etree.XPath) -> str:
    return hashlib.sha256(xpath.path.encode("utf-8")).hexdigest()[:16]


class FastXPath:
    """Stands in for one of trafilatura's `XPath` objects: `fast(tree)` returns the same elements, in the same
    order, as `fast.xpath(tree)`. Other uses (an ElementTree or a comment as context, XPath variables, attributes
    such as `.path`) go to the original XPath."""

    __slots__ = ("func", "name", "xpath")

    def __init__(self, name: str, func: Callable[[Any], Elements], xpath: etree.XPath) -> None:
        self.name = name
        self.func = func
        self.xpath = xpath

    def __call__(self, _etree_or_element: Any, /, **variables: Any) -> Any:
        if variables or not isinstance(_etree_or_element, etree._Element) or not isinstance(
            _etree_or_element.tag, str
        ):
            return self.xpath(_etree_or_element, **variables)
        return self.func(_etree_or_element)

    @property
    def path(self) -> str:
        return self.xpath.path

    def __getattr__(self, attr: str) -> Any:
        if attr in FastXPath.__slots__:  # not set yet (copying, unpickling): no recursion through self.xpath
            raise AttributeError(attr)
        return getattr(self.xpath, attr)

    def __repr__(self) -> str:
        return f"<FastXPath {self.name} for XPath({' '.join(self.xpath.path.split())!r})>"


def installed_trafilatura_version() -> str | None:
    """trafilatura's version as installed (its `__version__`, else the package metadata); None if absent."""
    try:
        import trafilatura
    except ImportError:
        return None
    version = getattr(trafilatura, "__version__", None)
    if version:
        return str(version)
    try:
        return importlib.metadata.version("trafilatura")
    except importlib.metadata.PackageNotFoundError:
        return None


def _original(entry: Any) -> Any:
    return entry.xpath if isinstance(entry, FastXPath) else entry


def equivalents() -> dict[str, list[FastXPath]] | None:
    """The fast callables for trafilatura's current lists, without installing them; None when the installed
    trafilatura is not the version, or its XPaths not the text, these were written against."""
    if installed_trafilatura_version() != TRAFILATURA_VERSION:
        return None
    from trafilatura import xpaths

    result: dict[str, list[FastXPath]] = {}
    for name, entries in _EQUIVALENTS.items():
        current = getattr(xpaths, name, None)
        if not isinstance(current, list) or len(current) != len(entries):
            return None
        fast = []
        for i, (entry, (func, fingerprint)) in enumerate(zip(current, entries, strict=True)):
            original = _original(entry)
            if not isinstance(original, etree.XPath) or _fingerprint(original) != fingerprint:
                return None
            fast.append(FastXPath(f"{name}[{i}]", func, original))
        result[name] = fast
    return result


def install() -> bool:
    """Replace, in place, the entries of trafilatura's pruning lists by their Python equivalents. Idempotent.
    Returns False, and changes nothing, when trafilatura is not the expected version or an XPath changed."""
    fast = equivalents()
    if fast is None:
        LOGGER.warning(
            "trafilatura %s is not %s with the expected pruning XPaths: keeping its slower originals",
            installed_trafilatura_version(),
            TRAFILATURA_VERSION,
        )
        return False
    from trafilatura import xpaths

    for name, callables in fast.items():
        target = getattr(xpaths, name)
        for i, callable_ in enumerate(callables):
            if not isinstance(target[i], FastXPath):
                target[i] = callable_
    return True


def uninstall() -> None:
    """Put trafilatura's original XPath objects back (tests, benchmarks)."""
    try:
        from trafilatura import xpaths
    except ImportError:
        return
    for name in _EQUIVALENTS:
        target = getattr(xpaths, name, None)
        if isinstance(target, list):
            target[:] = [_original(entry) for entry in target]


def installed() -> bool:
    """Whether the fast callables are currently in trafilatura's lists."""
    try:
        from trafilatura import xpaths
    except ImportError:
        return False
    return all(
        isinstance(entry, FastXPath) for name in _EQUIVALENTS for entry in getattr(xpaths, name, None) or [None]
    )
