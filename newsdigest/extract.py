"""Extract stage: raw documents in, extracted articles (or per-document errors) out.

Plain-text scrapes go through our own cleaner (trafilatura keeps everything in plain text); HTML goes
through trafilatura plus a guarded date finder. Every failure is caught per document, so one broken page
never fails a batch. The dedup fingerprint is computed here, next to the text, so it parallelises with
extraction instead of running in the single writer.
"""

from __future__ import annotations

import re
from importlib.metadata import version

from newsdigest.dates import date_from_url, find_publication_date
from newsdigest.decode import decode_bytes
from newsdigest.fingerprint import fingerprint
from newsdigest.gzipped import gunzip_capped, is_gzip
from newsdigest.html_extract import extract_html, parse_html
from newsdigest.models import (
    NO_DATE,
    DateFinding,
    ExtractedDocument,
    Extraction,
    ExtractionError,
    ListingHints,
    RawDocument,
)
from newsdigest.textclean import clean_text_scrape

EXTRACTOR = f"newsdigest-{version('newsdigest')}+trafilatura-{version('trafilatura')}"
_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)


# Fewer words than this is a menu, a link bar or an error stub, never an article worth a digest line.
MIN_ARTICLE_WORDS = 8
_WORD = re.compile(r"\w+")


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text[:2048]))


def extract_text(text: str, media_type: str, url: str | None = None, hints: ListingHints | None = None) -> Extraction:
    """Extract one decoded document; the same call serves the pipeline and `newsdigest extract`."""
    if media_type == "text/html" or looks_like_html(text):
        tree = parse_html(text)  # parsed once: date finder, metadata and body all read this tree
        published = find_publication_date(text, url, tree=tree)  # first: extract_html consumes the tree
        page = extract_html(text, url, tree=tree)
        result = Extraction(
            title=page.title,
            paragraphs=page.paragraphs,
            published=published,
            site=page.site,
            authors=page.authors,
            language=page.language,
            canonical_url=page.canonical_url,
            url=url,
            lead=page.lead,
        )
    else:
        result = clean_text_scrape(text)
        result.url = url
    result = merge_hints(result, hints)  # page evidence first, then the feed entry, then the URL path
    if result.published.value is None and url:
        result.published = date_from_url(url)
    if result.published.value is None:
        result.published = NO_DATE
    words = sum(len(_WORD.findall(p)) for p in result.paragraphs)
    if words < MIN_ARTICLE_WORDS:
        detail = "the page has no main body" if not words else f"only {words} words, e.g. menus or a link bar"
        raise ExtractionError(f"no article text found ({detail})")
    return result


def merge_hints(result: Extraction, hints: ListingHints | None) -> Extraction:
    """Fill title, date, author and lead from the feed/sitemap entry when the page itself lacks them."""
    if hints is None:
        return result
    if not result.title and hints.title:
        result.title = hints.title
    from_url_same_day = (result.published.source == "url" and hints.published is not None
                         and result.published.value is not None
                         and result.published.value.date() == hints.published.date())
    if (result.published.value is None or from_url_same_day) and hints.published is not None:
        has_time = (hints.published.hour, hints.published.minute, hints.published.second) != (0, 0, 0)
        result.published = DateFinding(hints.published, "feed", has_time)
    if not result.authors and hints.author:
        result.authors = [hints.author]
    if not result.lead and hints.summary and hints.summary not in result.text:
        result.lead = hints.summary
    return result


def decode_document(doc: RawDocument, max_bytes: int):
    data = gunzip_capped(doc.content, max_bytes) if is_gzip(doc.content) else doc.content
    return decode_bytes(data, doc.media_type, doc.charset)


def extract_document(doc: RawDocument, max_bytes: int) -> ExtractedDocument:
    try:
        decoded = decode_document(doc, max_bytes)
        extraction = extract_text(decoded.text, doc.media_type, doc.url, doc.hints)
        return ExtractedDocument(doc, extraction, fingerprint(extraction.text), note=decoded.note,
                                 extractor=EXTRACTOR)
    except ExtractionError as exc:
        return ExtractedDocument(doc, error_class="ExtractionError", error=str(exc), extractor=EXTRACTOR)
    except Exception as exc:  # noqa: BLE001 - any failure is this document's alone
        return ExtractedDocument(doc, error_class=type(exc).__name__, error=f"{type(exc).__name__}: {exc}",
                                 extractor=EXTRACTOR)
