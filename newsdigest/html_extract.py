"""HTML pages to article text and metadata, with trafilatura doing the main-content work.

The publication date is *not* taken from here: trafilatura's date search can invent dates from bare years,
so `newsdigest.dates` finds dates with its own guarded rules. Settings were chosen by measurement on the
Zyte article-extraction dev set (`bench/extraction.py`; figures in docs/architecture.md). Junk input never
raises: it returns an empty extraction and the caller reports "no article text found".
"""

from __future__ import annotations

import contextlib
import os
import re
from copy import deepcopy
from dataclasses import dataclass, field

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from rapidfuzz import fuzz
from trafilatura import metadata as tmeta
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.settings import Document, use_config
from trafilatura.utils import load_html, trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS

from newsdigest import parse_speedups, trafilatura_owned, trafilatura_speedups, tree_queries
from newsdigest.language import guess_language
from newsdigest.textlines import CHROME, LIST_HEADING, classify
from newsdigest.urls import absolute_url, canonicalize_url, choose_canonical
from newsdigest.vocab import sections

# trafilatura's pruning XPaths replaced by proven-equivalent Python walks (-18 % CPU per page), and its page loading
# given a C-level element class lookup and a vectorised control-character test (-1 to -1.5 ms of ~20 ms per page);
# see those modules.
# NEWSDIGEST_TRAFILATURA_SPEEDUPS=0 keeps trafilatura's own, e.g. to rule them out when chasing a difference.
if os.environ.get("NEWSDIGEST_TRAFILATURA_SPEEDUPS", "1").strip() != "0":
    trafilatura_speedups.install()
    parse_speedups.install()

# Larger pages are usually not articles (archives, infinite scroll); trafilatura's cost grows with size.
MAX_HTML_CHARS = 5_000_000
_CONFIG = use_config()
_CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # signal-based timeouts break inside worker threads
MIN_DEDUP_WORDS = 15
FAVOR_PRECISION = True
# Below this many characters a fast-mode body gets the full cascade (~150 words).
RESCUE_CHARS = 1000
_LANG = re.compile(r"^[a-z]{2}(?:[-_][a-z0-9]+)*$", re.I)


@dataclass
class HtmlExtraction:
    title: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    site: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    lead: str | None = None


def _paragraphs(text: str | None) -> list[str]:
    seen: set[str] = set()
    out = []
    for para in re.split(r"\n+", text or ""):
        para = " ".join(para.split())
        if not para:
            continue
        long = len(para.split()) >= MIN_DEDUP_WORDS
        if long and para in seen:
            continue  # a pull quote or a template repeating a paragraph; short lines may repeat (recipes)
        seen.add(para)
        out.append(para)
    return out


_END = re.compile(r"[.!?…。！？:\"'”’»)\]]\s*$")
MAX_PROMO_WORDS = 40
MAX_TEASER_WORDS = 16


def _is_promo(para: str) -> bool:
    """A short paragraph asking the reader to subscribe, follow or send tips."""
    low = para.lower()
    hits = sum(p in low for p in sections("boilerplate.txt")["calls_to_action"])
    return hits >= 2 or (hits == 1 and len(para.split()) <= MAX_PROMO_WORDS)


def _is_teaser(para: str) -> bool:
    """A headline-like line (short, no sentence end): a related-article link when it trails the body."""
    return len(para.split()) <= MAX_TEASER_WORDS and not _END.search(para)


def _trailing_headings(body) -> set[str]:
    """Headings with no text after them: link lists styled as headings, not section titles."""
    found: set[str] = set()
    for child in reversed(list(body) if body is not None else []):
        text = " ".join("".join(child.itertext()).split())
        if not text or classify(text).kind == CHROME:
            continue
        if child.tag != "head":
            break
        found.add(text)
    return found


_TEASER_TAG = re.compile(r"\[[A-Z][A-Z ]{2,15}\]\W*$")  # "... amid China turmoil [VIDEO]"


def _trim(paragraphs: list[str], title: str | None, tail_heads: set[str]) -> list[str]:
    """Drop chrome lines, promotions and a repeated headline; cut a trailing "Related"-style teaser list."""
    kept: list[str] = []
    while paragraphs and (paragraphs[-1] in tail_heads or classify(paragraphs[-1]).kind == CHROME):
        paragraphs = paragraphs[:-1]
    for para in paragraphs:
        kind = None if para.startswith("|") else classify(para).kind  # "| a | b |" is a table row
        if kind == LIST_HEADING and kept:
            break
        if kind == CHROME or _is_promo(para) or (title and _same_text(para, title)) or _TEASER_TAG.search(para):
            continue
        kept.append(para)
    return kept


def _same_text(a: str, b: str) -> bool:
    return fuzz.ratio(a.casefold(), b.casefold()) >= 90


def parse_html(html: str) -> HtmlElement | None:
    """The page parsed once, the way trafilatura parses it; shared by the metadata, date and body steps."""
    if not isinstance(html, str) or "<" not in html:
        return None
    try:
        tree = load_html(html[:MAX_HTML_CHARS])
    except Exception:  # noqa: BLE001 - junk markup is an empty page, never an error
        return None
    return tree if tree is not None and len(tree) else None


def _head_facts(doc: HtmlElement, url: str | None) -> tuple[str | None, str | None, str | None]:
    """Declared language, rel=canonical and og:url from the page head."""
    root = doc.getroottree().getroot()
    metas, canonical, og_url = tree_queries.head_links(root)  # one walk for three `//meta|//link` XPaths
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        lang = metas[0] if metas else None
    lang = lang.strip().lower().replace("_", "-")[:2] if lang and _LANG.match(lang.strip()) else None
    base = url or ""
    return (lang,
            absolute_url(base, canonical[0].strip()) if canonical else None,
            absolute_url(base, og_url[0].strip()) if og_url else None)


# trafilatura's AUTHOR_XPATHS and AUTHOR_DISCARD_XPATHS (trafilatura/xpaths.py) as one pass in Python: libxml2
# spends ~8 ms/page on those `//*[self::a or ...]` scans, this walk under 1 ms. Same elements, same order.
_AUTHOR_TAGS = ({"a", "address", "div", "link", "p", "span", "strong"}, {"a", "div", "h3", "h4", "p", "span"})
_AUTHOR_RE = (re.compile("author-?name|AuthorName|authorName"), re.compile("author|zuozhe|bianji|xiaobian"),
              re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"),
              re.compile("[Aa]uthor"), re.compile("[Aa]uthor|screenname|writer|[Bb]yline"))
_DISCARD_TAGS = {"a", "div", "section", "span"}
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile("^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
                            "article-(?:share|support)|print|category|meta-date|meta-reviewer")


def _author_candidates(tree: HtmlElement) -> tuple[list[list[HtmlElement]], set[HtmlElement]]:
    """Elements matched by each of trafilatura's three author expressions, and the elements it discards first."""
    rel_me = {el.getparent() for el in tree.iter("rel") if el.text_content() == "me"}  # its `rel='me'` test
    found: list[list[HtmlElement]] = [[], [], []]
    discarded: set[HtmlElement] = set()
    for el in tree.iter(etree.Element):
        tag = el.tag
        if tag in ("time", "figure"):
            discarded.add(el)
        if not el.attrib:  # most elements: only the tag and the `rel` child can match
            if tag == "author" or (el in rel_me and tag in _AUTHOR_TAGS[0]):
                found[0].append(el)
            continue
        get = el.get
        cls, ident, itemprop = get("class") or "", get("id") or "", get("itemprop") or ""
        component = get("data-component") or ""
        if tag in _DISCARD_TAGS and el is not tree and (
                ident == "comments" or cls in ("comments", "title", "date") or "Figure" in component
                or (ident and _DISCARD_ID.search(ident)) or (cls and _DISCARD_CLASS.search(cls))):
            discarded.add(el)
        if tag == "author" or (tag in _AUTHOR_TAGS[0] and (
                get("rel") == "author" or ident == "author" or cls == "author" or itemprop == "author name"
                or el in rel_me or get("data-testid") in ("AuthorCard", "AuthorURL")
                or (cls and _AUTHOR_RE[0].search(cls)))):
            found[0].append(el)
        if tag in _AUTHOR_TAGS[1] and (cls in ("byline", "username", "byl", "BBL") or "author" in itemprop
                                       or (ident and _AUTHOR_RE[1].search(ident))
                                       or (cls and _AUTHOR_RE[2].search(cls))):
            found[1].append(el)
        if ("Byline" in component or "author" in itemprop or (ident and _AUTHOR_RE[3].search(ident))
                or (cls and _AUTHOR_RE[4].search(cls))):
            found[2].append(el)
    return found, discarded


def _byline_author(tree: HtmlElement) -> str | None:
    """trafilatura's `extract_author` (the byline when no meta tag names the author), same answer, cheaper: one
    walk finds the candidates, and only a candidate, not the whole page, is copied and pruned."""
    found, discarded = _author_candidates(tree)
    for elements in found:
        for el in elements:
            if el in discarded or any(a in discarded for a in el.iterancestors()):
                continue  # pruned away with the discarded parts in trafilatura's copy
            candidate = prune_unwanted_nodes(deepcopy(el), AUTHOR_DISCARD_XPATHS)
            content = trim(" ".join(candidate.itertext()))
            if content and 2 < len(content) < 120:
                return tmeta.normalize_authors(None, content)
    return None


def _metadata(tree: HtmlElement, url: str | None) -> Document:
    """Title, author, site name and description exactly as trafilatura's `with_metadata=True` finds them, without
    the parts we never use (its date search, categories, tags, licence), which cost more than the rest."""
    meta = tmeta.examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    with contextlib.suppress(Exception):  # bugs in trafilatura's JSON-LD reader
        meta = tmeta.extract_meta_json(tree, meta)
    meta.title = meta.title or tmeta.extract_title(tree)
    meta.author = meta.author or _byline_author(tree)
    meta.url = meta.url or tmeta.extract_url(tree, url)
    if not meta.sitename:
        meta.sitename = tmeta.extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url and (match := tmeta.META_URL.match(meta.url)):
        meta.sitename = match[1]
    meta.clean_and_trim()
    return meta


def _canonical(url: str | None, rel_canonical: str | None, og_url: str | None) -> str | None:
    """The page's canonical address: rel=canonical/og:url on the same site, else the page URL itself."""
    try:
        if url:
            return choose_canonical(url, rel_canonical, og_url)
        declared = rel_canonical or og_url
        return canonicalize_url(declared) if declared else None
    except ValueError:
        return None


def _body(tree: HtmlElement, url: str | None, fast: bool, owned: bool = False) -> Document | None:
    """trafilatura's body of `tree`. With `owned`, the tree is given away: fast mode then works on it directly
    (`trafilatura_owned.fast_body`, same answer without trafilatura's three copies of the page)."""
    try:
        if owned and fast and FAVOR_PRECISION and trafilatura_owned.available():
            return trafilatura_owned.fast_body(tree, url, _CONFIG)
        return trafilatura.bare_extraction(  # given a tree, trafilatura works on a copy of it
            tree, url=url, with_metadata=False, include_comments=False, include_tables=True,
            favor_precision=FAVOR_PRECISION, config=_CONFIG, fast=fast,
        )
    except Exception:  # noqa: BLE001 - trafilatura raises assorted errors on broken markup
        return None


def _weak(doc: Document | None) -> bool:
    """A fast-mode result that trafilatura's fallbacks (readability, justext) might improve: empty or short
    (they engage below MIN_EXTRACTED_SIZE), or structurally odd (no paragraph text, or more tables than
    paragraphs, where trafilatura prefers readability)."""
    if doc is None or len(doc.text or "") < RESCUE_CHARS:
        return True
    body = doc.body
    return body is None or not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p"))


def extract_html(html: str, url: str | None = None, tree: HtmlElement | None = None) -> HtmlExtraction:
    """Body text and metadata of one page; `tree` is `parse_html(html)` when the caller parsed it already.

    The tree is consumed: metadata and head links are read first, then the body extraction prunes and rewrites
    the tree itself instead of copying it (a page whose fast result is weak is parsed again for the full
    cascade, ~1 in 10). A caller that needs the tree afterwards (the date finder) reads it before this call.
    """
    tree = parse_html(html) if tree is None else tree
    if tree is None:
        return HtmlExtraction()
    try:
        meta = _metadata(tree, url)
    except Exception:  # noqa: BLE001 - metadata is optional; the body stands on its own
        meta = Document()
    lang, canonical, og_url = _head_facts(tree, url)
    doc = _body(tree, url, fast=True, owned=True)
    if _weak(doc):  # the full cascade costs ~1.5x; only pages where it can matter pay for it
        fresh = parse_html(html)  # the fast pass consumed `tree`
        doc = (_body(fresh, url, fast=False) if fresh is not None else None) or doc
    if doc is None:
        return HtmlExtraction()
    paragraphs = _trim(_paragraphs(doc.text), meta.title, _trailing_headings(doc.body))
    authors = [a.strip() for a in (meta.author or "").split(";") if a.strip()]
    return HtmlExtraction(
        title=" ".join(meta.title.split()) if meta.title else None,
        paragraphs=paragraphs,
        authors=authors,
        site=meta.sitename or None,
        language=lang or guess_language(" ".join(paragraphs)),
        canonical_url=_canonical(url, canonical, og_url),
        lead=meta.description or None,
    )
