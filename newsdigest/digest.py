"""The weekly digest, pure part: from the week's scored articles to ranked, summarised, cited stories.

Inputs are plain data read by warehouse/digest.py; the output is a `Digest` that digest_render.py turns into
Markdown, HTML and JSON and that warehouse/digest.py stores. Every summary sentence and quote is checked
verbatim against the stored body of the article it cites before the digest exists (`verify_digest`), so a
bug upstream fails the run loudly instead of putting words in an outlet's mouth.

Week semantics (docs/digest.md): an article counts in the ISO week of its publication date or, when undated,
the week it was first stored. Articles first stored this week but published earlier ("late arrivals") are
shown, marked as such, but counted only in their own week; stories made only of them rank after this week's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import zip_longest
from urllib.parse import urlsplit

from newsdigest.entities import EntityMention
from newsdigest.relevance import Relevance
from newsdigest.sentences import sentence_spans
from newsdigest.stories import Story, StoryArticle, StorySignature, cluster_stories, link_developing, signature
from newsdigest.summarize import (
    CitationError,
    Document,
    Quote,
    SummarySentence,
    find_quotes,
    summarize,
    word_count,
)
from newsdigest.weeks import parse_week, week_of

SUMMARY_WORDS = 90  # per story: about three sentences, a five-minute read for the top stories
MAX_STORIES = 15  # stories summarised and shown; every story is stored (warehouse tables, JSON)
QUOTES_PER_STORY = 3
QUOTE_WORDS = 40  # longer quotes are cut to their first whole sentences (a prefix stays verbatim)
KIND_ORDER = ("country", "person", "org", "place", "theme")


def outlet_name(site: str | None, url: str | None, agency: str | None) -> str | None:
    """Who published an article: the site's stated name, else its web address's host, else the credited
    wire agency (a plain-text scrape of an Interfax item is Interfax's copy). None when nothing says."""
    if site and site.strip():
        return site.strip()
    parts = urlsplit(url) if url else None
    if parts and parts.scheme in ("http", "https") and parts.hostname:
        return parts.hostname.removeprefix("www.")
    return agency.strip() if agency and agency.strip() else None


@dataclass(frozen=True)
class WeekArticle:
    """A canonical article shown in a week's digest, with its scores (one row of warehouse/digest.py)."""

    article_id: str
    version: int
    title: str | None
    body: str
    published: datetime | None
    site: str | None
    agency: str | None
    url: str | None
    source: str
    first_seen_at: datetime
    late: bool  # published in an earlier week, first stored in this one
    relevance: Relevance
    entities: tuple[EntityMention, ...] = ()
    copies: int = 1  # stored copies in its duplicate group
    copy_outlets: tuple[str, ...] = ()  # known outlets of the other copies
    uri: str | None = None  # location in its source (file path or address), for articles without a URL

    @property
    def outlet(self) -> str | None:
        return outlet_name(self.site, self.url, self.agency)

    @property
    def outlets(self) -> tuple[str, ...]:
        """Known outlets of this article and its duplicate copies; empty when none names one."""
        return tuple(sorted(set(self.copy_outlets) | ({self.outlet} if self.outlet else set())))

    @property
    def counted_week(self) -> str:
        return week_of(self.published or self.first_seen_at)


@dataclass(frozen=True)
class SourceHealth:
    source: str
    status: str  # "failed" | "silent"
    detail: str


@dataclass(frozen=True)
class DigestQuote:
    doc_id: str
    text: str  # verbatim substring of the cited article's body
    speaker: str  # as attributed in the article
    trimmed: bool = False  # the quotation goes on in the article (text is its first sentences)


def outlets_of(articles: list[WeekArticle]) -> list[str]:
    """Distinct outlets of the articles and their copies, sorted."""
    return sorted({o for a in articles for o in a.outlets})


def unattributed_in(articles: list[WeekArticle]) -> int:
    """Articles (with their copies) that name no outlet."""
    return sum(1 for a in articles if not a.outlets)


@dataclass
class DigestStory:
    story: Story
    rank: int
    articles: list[WeekArticle]
    summary: list[SummarySentence]
    quotes: list[DigestQuote]
    continues_week: str | None = None
    shown: bool = True  # summarised and rendered (the top MAX_STORIES)

    @property
    def outlets(self) -> list[str]:
        return outlets_of(self.articles)

    @property
    def unattributed(self) -> int:
        """Articles (with their copies) that name no outlet."""
        return unattributed_in(self.articles)

    @property
    def agencies(self) -> list[str]:
        return sorted({a.agency for a in self.articles if a.agency})

    @property
    def relevance(self) -> float:
        return max(a.relevance.score for a in self.articles)

    @property
    def late_only(self) -> bool:
        return all(a.late for a in self.articles)

    @property
    def dates(self) -> list[datetime]:
        return sorted(a.published for a in self.articles if a.published)

    def article(self, article_id: str) -> WeekArticle:
        return next(a for a in self.articles if a.article_id == article_id)


@dataclass(frozen=True)
class ActorRow:
    kind: str
    key: str
    name: str
    articles: int
    previous: int  # articles mentioning it counted in the previous week

    @property
    def change(self) -> int:
        return self.articles - self.previous


@dataclass
class Digest:
    week: str
    generated_at: datetime
    threshold: float
    counted: list[WeekArticle]  # relevant canonical articles counted in the week
    late: list[WeekArticle]  # relevant late arrivals shown this week
    left_out: int
    stories: list[DigestStory]  # every story, ranked; the first MAX_STORIES are shown
    actors: list[ActorRow]
    coverage: list[SourceHealth] = field(default_factory=list)
    run_id: str | None = None
    previous_week: str = ""
    previous_articles: int = 0  # relevant articles counted in the previous week

    @property
    def outlets(self) -> list[str]:
        return outlets_of(self.counted)

    @property
    def unattributed(self) -> int:
        return unattributed_in(self.counted)

    @property
    def undated(self) -> int:
        return sum(1 for a in self.counted if a.published is None)

    @property
    def shown(self) -> list[DigestStory]:
        return [s for s in self.stories if s.shown]

    @property
    def late_weeks(self) -> list[str]:
        return sorted({a.counted_week for a in self.late})


def previous_week(week: str) -> str:
    return week_of(parse_week(week)[0] - timedelta(days=7))


def _story_input(article: WeekArticle) -> StoryArticle:
    return StoryArticle(article.article_id, article.title, article.body, article.published,
                        frozenset(e.key for e in article.entities))


def _rank_key(articles: list[WeekArticle]) -> tuple[bool, float]:
    """This week's stories before late-only ones; then coverage (distinct outlets; a story naming none counts as
    one), copies (log, a tie-breaker) and relevance, so what many outlets report on topic comes first."""
    outlets = {o for a in articles for o in a.outlets}
    coverage = len(outlets) + (1 if not outlets else 0)
    copies = sum(a.copies for a in articles)
    score = coverage + 0.5 * math.log1p(copies) + 2 * max(a.relevance.score for a in articles)
    return all(a.late for a in articles), -score


def trim_quote(text: str, words: int = QUOTE_WORDS) -> tuple[str, bool]:
    """A long quotation cut to its first whole sentences within `words` (a prefix, so still verbatim)."""
    if word_count(text) <= words:
        return text, False
    end = 0
    for _, stop in sentence_spans(text):
        if word_count(text[:stop]) > words:
            break
        end = stop
    if not end:  # one long sentence: cut after the last whole word that fits
        end = [m.end() for m in re.finditer(r"\S+", text)][words - 1]
    return text[:end].rstrip(" ,;:—–-"), True


def _speaker_key(speaker: str) -> str:
    return speaker.split()[-1].lower()


def _quotes(articles: list[WeekArticle], summary: list[SummarySentence]) -> list[DigestQuote]:
    """Up to QUOTES_PER_STORY quotes, as varied as the story allows: taken article by article in turn, first
    those adding both a new article and a new speaker, then a new article, then a new speaker, then any (one
    outlet quoting one official at length cannot fill them all); quotes the summary already carries come last."""
    pools = [find_quotes(Document(a.article_id, a.body)) for a in articles]
    ordered = [q for turn in zip_longest(*pools) for q in turn if q is not None]
    ordered.sort(key=lambda q: any(q.text in s.text for s in summary))  # stable: already summarised ones last
    picked: list[Quote] = []
    for new_doc, new_speaker in ((True, True), (True, False), (False, True), (False, False)):
        for quote in ordered:
            if len(picked) == QUOTES_PER_STORY or quote in picked:
                continue
            if new_doc and quote.doc_id in {p.doc_id for p in picked}:
                continue
            if new_speaker and _speaker_key(quote.speaker) in {_speaker_key(p.speaker) for p in picked}:
                continue
            picked.append(quote)
    quotes = []
    for quote in picked:
        text, trimmed = trim_quote(quote.text)
        quotes.append(DigestQuote(quote.doc_id, text, quote.speaker, trimmed))
    return quotes


def speaker_name(quote: DigestQuote, article: WeekArticle) -> str:
    """The speaker as the article attributes them, with the person's name as the lexicon knows it when the
    attribution ends in a spelling of it ("Shoigu" -> "Sergei Shoigu", "Russian Deputy Foreign Minister Andrei
    Rodenko" -> "Russian Deputy Foreign Minister Andrei Rudenko"); the verbatim attribution stays in the JSON."""
    words = quote.speaker.split()
    folded = [w.casefold() for w in words]
    for mention in article.entities:
        if mention.kind != "person":
            continue
        for surface in mention.surfaces:
            tail = surface.casefold().split()
            if not tail or folded[-len(tail):] != tail:
                continue
            prefix, name = words[: len(words) - len(tail)], mention.name.split()
            given = {n.casefold() for n in name[:-1]}  # first names the article already wrote before the surname
            while prefix and prefix[-1].casefold() in given:
                prefix.pop()
            return " ".join(prefix + name)
    return quote.speaker


def _summarise(articles: list[WeekArticle]) -> tuple[list[SummarySentence], list[DigestQuote]]:
    docs = [Document(a.article_id, a.body, a.title, a.published) for a in articles]
    summary = summarize(docs, words=SUMMARY_WORDS, language="en")
    return summary, _quotes(articles, summary)


def verify_digest(stories: list[DigestStory]) -> None:
    """Raise CitationError unless every summary line and quote is verbatim in the stored body it cites."""
    for story in stories:
        bodies = {a.article_id: a.body for a in story.articles}
        for kind, doc_id, text in [("summary", s.doc_id, s.text) for s in story.summary] + [
                ("quote", q.doc_id, q.text) for q in story.quotes]:
            if doc_id not in bodies:
                raise CitationError(f"{kind} in story {story.story.story_id} cites an article outside it: {doc_id!r}")
            if not text or text not in bodies[doc_id]:
                raise CitationError(f"{kind} in story {story.story.story_id} is not verbatim in article"
                                    f" {doc_id!r}: {text!r}")


def build_digest(week: str, articles: list[WeekArticle], previous_mentions: dict[str, int],
                 earlier: list[tuple[str, StorySignature]], coverage: list[SourceHealth], threshold: float,
                 now: datetime, run_id: str | None = None, previous_articles: int = 0) -> Digest:
    """`articles`: the week's canonical articles (counted and late); `earlier`: (week, signature) pairs of the
    stories of recent digests, to mark developing stories. Raises CitationError on any unverifiable line."""
    relevant = [a for a in articles if a.relevance.score >= threshold]
    counted = [a for a in relevant if not a.late]
    left_out = sum(1 for a in articles if not a.late and a.relevance.score < threshold)
    by_id = {a.article_id: a for a in relevant}
    inputs = [_story_input(a) for a in relevant]
    stories = cluster_stories(inputs)
    stories = link_developing(stories, [signature(s, inputs) for s in stories], [sig for _, sig in earlier])
    week_of_story = {sig.story_id: wk for wk, sig in earlier}
    ranked = sorted(stories, key=lambda s: (_rank_key([by_id[i] for i in s.article_ids]), s.story_id))
    digest_stories = []
    for rank, story in enumerate(ranked, 1):
        members = [by_id[i] for i in story.article_ids]
        shown = rank <= MAX_STORIES
        summary, quotes = _summarise(members) if shown else ([], [])
        digest_stories.append(DigestStory(story, rank, members, summary, quotes,
                                          week_of_story.get(story.continues) if story.continues else None, shown))
    verify_digest(digest_stories)
    return Digest(week, now, threshold, counted, [a for a in relevant if a.late], left_out, digest_stories,
                  _actors(counted, previous_mentions), coverage, run_id, previous_week(week), previous_articles)


def _actors(counted: list[WeekArticle], previous: dict[str, int]) -> list[ActorRow]:
    seen: dict[str, tuple[EntityMention, int]] = {}
    for article in counted:
        for mention in article.entities:
            first, n = seen.get(mention.key, (mention, 0))
            seen[mention.key] = (first, n + 1)
    rows = [ActorRow(m.kind, key, m.name, n, previous.get(key, 0)) for key, (m, n) in seen.items()]
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(rows, key=lambda r: (order.get(r.kind, len(order)), r.kind, -r.articles, r.name))
