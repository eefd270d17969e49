"""HTML pages to article text and metadata, with trafilatura doing the main-content work.

The publication date is *not* taken from here: trafilatura's date search can invent dates from bare years,
so `newsdigest.dates` finds dates with its own guarded rules. Settings were chosen by measurement on the
Zyte article-extraction dev set (`bench/extraction.py`; figures in docs/architecture.md). Junk input never
raises: it returns an empty extraction and the caller reports "no article text found".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
import trafilatura
from rapidfuzz import fuzz
from trafilatura.settings import use_config

from newsdigest.language import guess_language
from newsdigest.textlines import CHROME, LIST_HEADING, classify
from newsdigest.urls import absolute_url, canonicalize_url, choose_canonical
from newsdigest.vocab import sections

# Larger pages are usually not articles (archives, infinite scroll); trafilatura's cost grows with size.
MAX_HTML_CHARS = 5_000_000
_CONFIG = use_config()
_CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # signal-based timeouts break inside worker threads
MIN_DEDUP_WORDS = 15
FAVOR_PRECISION = True
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


def _head_facts(html: str, url: str | None) -> tuple[str | None, str | None, str | None]:
    """Declared language, rel=canonical and og:url from the page head (cheap lxml parse)."""
    try:
        doc = lxml.html.document_fromstring(html[:500_000])
    except (ValueError, lxml.etree.ParserError):
        return None, None, None
    lang = doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        metas = doc.xpath("//meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')"
                          "='content-language']/@content | //meta[@property='og:locale']/@content")
        lang = metas[0] if metas else None
    lang = lang.strip().lower().replace("_", "-")[:2] if lang and _LANG.match(lang.strip()) else None
    canonical = doc.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href")
    og_url = doc.xpath("//meta[@property='og:url']/@content")
    base = url or ""
    return (lang,
            absolute_url(base, canonical[0].strip()) if canonical else None,
            absolute_url(base, og_url[0].strip()) if og_url else None)


def _canonical(url: str | None, rel_canonical: str | None, og_url: str | None) -> str | None:
    """The page's canonical address: rel=canonical/og:url on the same site, else the page URL itself."""
    try:
        if url:
            return choose_canonical(url, rel_canonical, og_url)
        declared = rel_canonical or og_url
        return canonicalize_url(declared) if declared else None
    except ValueError:
        return None


def extract_html(html: str, url: str | None = None) -> HtmlExtraction:
    html = html[:MAX_HTML_CHARS]
    if "<" not in html:
        return HtmlExtraction()
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True,
            favor_precision=FAVOR_PRECISION, config=_CONFIG,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception:  # noqa: BLE001 - trafilatura raises assorted errors on broken markup
        doc = None
    if doc is None:
        return HtmlExtraction()
    paragraphs = _trim(_paragraphs(doc.text), doc.title, _trailing_headings(doc.body))
    lang, canonical, og_url = _head_facts(html, url)
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return HtmlExtraction(
        title=" ".join(doc.title.split()) if doc.title else None,
        paragraphs=paragraphs,
        authors=authors,
        site=doc.sitename or None,
        language=lang or guess_language(" ".join(paragraphs)),
        canonical_url=_canonical(url, canonical, og_url),
        lead=doc.description or None,
    )
