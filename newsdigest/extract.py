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
from newsdigest.dedupe import fingerprint
from newsdigest.fetch.folder import gunzip_capped, is_gzip
from newsdigest.html_extract import extract_html
from newsdigest.models import NO_DATE, ExtractedDocument, Extraction, ExtractionError, RawDocument
from newsdigest.textclean import clean_text_scrape

EXTRACTOR = f"newsdigest-{version('newsdigest')}+trafilatura-{version('trafilatura')}"
_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text[:2048]))


def extract_text(text: str, media_type: str, url: str | None = None) -> Extraction:
    """Extract one decoded document; the same call serves the pipeline and `newsdigest extract`."""
    if media_type == "text/html" or looks_like_html(text):
        page = extract_html(text, url)
        result = Extraction(
            title=page.title,
            paragraphs=page.paragraphs,
            published=find_publication_date(text, url),
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
    if result.published.value is None and url:
        result.published = date_from_url(url)
    if result.published.value is None:
        result.published = NO_DATE
    if not any(p.strip() for p in result.paragraphs):
        raise ExtractionError("no article text found (the page has no main body)")
    return result


def decode_document(doc: RawDocument, max_bytes: int):
    data = gunzip_capped(doc.content, max_bytes) if is_gzip(doc.content) else doc.content
    return decode_bytes(data, doc.media_type)


def extract_document(doc: RawDocument, max_bytes: int) -> ExtractedDocument:
    try:
        decoded = decode_document(doc, max_bytes)
        extraction = extract_text(decoded.text, doc.media_type, doc.url)
        return ExtractedDocument(doc, extraction, fingerprint(extraction.text), note=decoded.note,
                                 extractor=EXTRACTOR)
    except ExtractionError as exc:
        return ExtractedDocument(doc, error_class="ExtractionError", error=str(exc), extractor=EXTRACTOR)
    except Exception as exc:  # noqa: BLE001 - any failure is this document's alone
        return ExtractedDocument(doc, error_class=type(exc).__name__, error=f"{type(exc).__name__}: {exc}",
                                 extractor=EXTRACTOR)
