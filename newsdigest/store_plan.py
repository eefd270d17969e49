"""Store stage, pure part: decide what a batch of extracted documents adds to the warehouse.

Given what the warehouse already holds about the batch's articles, produce the rows to insert. No SQL here
(warehouse/store.py owns it), so the rules - new article, new version, duplicate link - are testable alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from newsdigest import archive
from newsdigest.dedupe import DuplicateIndex, assign_group
from newsdigest.models import ExtractedDocument, Extraction
from newsdigest.scoring import rows_for
from newsdigest.urls import url_key


def article_key(source: str, uri: str, url: str | None, canonical_url: str | None = None) -> str:
    """Stable identity of an article across versions and address variants.

    A web page is identified by the dedup key of its canonical URL (rel=canonical/og:url on the same site,
    else its final URL), so tracking-parameter, AMP and mobile variants of one article become one article.
    A local file without an address is identified by its location in the source.
    """
    address = canonical_url or url
    if address:
        try:
            return url_key(address)
        except ValueError:
            return address
    return f"{source}:{uri}"


def identity(item: ExtractedDocument) -> str:
    ext = item.extraction
    return article_id_for(article_key(item.doc.source, item.doc.uri, item.doc.url,
                                      ext.canonical_url if ext else None))


def article_id_for(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class StoredArticle:
    """What the warehouse already holds about one article (its current version's content)."""

    current_version: int
    sha256s: frozenset[str]
    content_hash: str = ""
    title: str | None = None
    published: datetime | None = None
    word_count: int = 0


def describe_changes(old: StoredArticle, ext: Extraction, content_hash: str) -> str | None:
    """What a new version changed, for analysts ("title; body 412 -> 430 words"); None if nothing did."""
    changes = []
    if (old.title or "") != (ext.title or ""):
        changes.append("title")
    if old.content_hash != content_hash:
        changes.append(f"body {old.word_count} -> {len(ext.text.split())} words")
    if old.published != ext.published.value:
        changes.append("published date")
    return "; ".join(changes) or None


@dataclass
class BatchPlan:
    raw_documents: list[dict] = field(default_factory=list)
    locations: list[dict] = field(default_factory=list)
    articles: list[dict] = field(default_factory=list)
    versions: list[dict] = field(default_factory=list)
    current_versions: list[dict] = field(default_factory=list)  # existing articles that got a new version
    duplicates: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    http_cache: list[dict] = field(default_factory=list)  # validators of fetched pages (web sources)
    http_responses: list[dict] = field(default_factory=list)  # headers archived with each fetched body
    relevance: list[dict] = field(default_factory=list)  # scores of new versions scored at extraction
    entities: list[dict] = field(default_factory=list)  # their entities

    @property
    def counts(self) -> dict[str, int]:
        return {
            "documents_new": len(self.raw_documents),
            "articles_new": len(self.articles),
            "versions_new": len(self.versions) - len(self.articles),
            "errors": len(self.errors),
        }


def plan_batch(
    docs: list[ExtractedDocument],
    stored: dict[str, StoredArticle],
    index: DuplicateIndex,
    run_id: str,
    now: datetime,
) -> BatchPlan:
    """Rows to write for a batch. `stored` and `index` describe the warehouse before the batch."""
    plan = BatchPlan()
    seen_sha: set[str] = set()
    state = dict(stored)
    for item in sorted(docs, key=lambda d: (d.doc.source, d.doc.uri)):
        doc = item.doc
        sha = doc.sha256
        if sha not in seen_sha:
            seen_sha.add(sha)
            codec, packed = archive.pack(doc.content)  # in the single writer: brotli, the cheapest (archive.py)
            plan.raw_documents.append({
                "sha256": sha, "size_bytes": len(doc.content), "media_type": doc.media_type,
                "compression": codec, "content": packed,
                "first_run_id": run_id, "first_seen_at": now,
            })
        if doc.http is not None:
            plan.http_cache.append({"url": doc.uri, "etag": doc.http.etag, "last_modified": doc.http.last_modified,
                                    "last_status": doc.http.status, "last_sha256": sha, "last_fetched_at": now,
                                    "last_changed_at": now})
            plan.http_responses.append({"sha256": sha, "url": doc.uri, "final_url": doc.http.final_url,
                                        "status": doc.http.status, "headers": json.dumps(doc.http.headers),
                                        "fetched_at": doc.fetched_at, "run_id": run_id})
        location = {"source": doc.source, "uri": doc.uri, "sha256": sha, "url": doc.url, "article_id": None,
                    "first_run_id": run_id, "first_seen_at": now}
        plan.locations.append(location)
        if not item.ok:
            plan.errors.append({"run_id": run_id, "source": doc.source, "uri": doc.uri, "stage": "extract",
                                "error_class": item.error_class, "message": item.error, "sha256": sha,
                                "logged_at": now})
            continue
        ext, fp = item.extraction, item.fingerprint
        assert ext is not None and fp is not None
        key = article_key(doc.source, doc.uri, doc.url, ext.canonical_url)
        article_id = article_id_for(key)
        location["article_id"] = article_id
        known = state.get(article_id)
        if known is not None and sha in known.sha256s:
            continue  # same bytes seen before at another location: nothing new to extract
        changes = describe_changes(known, ext, fp.content_hash) if known is not None else None
        if known is not None and changes is None:
            continue  # new bytes, same article content (another URL variant, a changed ad): no new version
        version = 1 if known is None else known.current_version + 1
        if known is None:
            plan.articles.append({"article_id": article_id, "article_key": key,
                                  "source": doc.source, "first_seen_at": now, "first_run_id": run_id,
                                  "current_version": 1})
            link = assign_group(index, article_id, fp, ext.canonical_url)
            plan.duplicates.append({"article_id": article_id, "group_id": link.group_id,
                                    "matched_article_id": link.matched_article_id, "rule": link.rule,
                                    "similarity": link.similarity, "containment": link.containment,
                                    "run_id": run_id})
        else:
            plan.current_versions.append({"article_id": article_id, "current_version": version})
        state[article_id] = StoredArticle(version, (known.sha256s if known else frozenset()) | {sha},
                                          fp.content_hash, ext.title, ext.published.value, len(ext.text.split()))
        plan.versions.append({
            "article_id": article_id, "version": version, "sha256": sha, "source": doc.source, "uri": doc.uri,
            "url": doc.url, "canonical_url": ext.canonical_url, "title": ext.title, "lead": ext.lead,
            "body": ext.text, "paragraph_count": len(ext.paragraphs), "word_count": len(ext.text.split()),
            "published_at": ext.published.value, "published_has_time": ext.published.has_time,
            "date_source": ext.published.source, "site": ext.site, "agency": ext.agency,
            "authors": list(ext.authors), "language": ext.language, "content_hash": fp.content_hash,
            "minhash": fp.signature, "shingle_count": fp.shingle_count, "extractor": item.extractor,
            "run_id": run_id, "extracted_at": now, "changes": changes,
        })
        if item.scores is not None:
            relevance, entities = rows_for(article_id, version, item.scores, now)
            plan.relevance.append(relevance)
            plan.entities += entities
    return plan
