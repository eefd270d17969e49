"""The interim weekly listing (until the digest lands): title, date or 'undated', outlet, first sentence.

Week semantics: an article counts in the ISO week of its publication date or, when undated, of the week it
was first stored. Articles first stored this week but published in an earlier week are listed separately
("late arrivals"), so a backfill is visible without counting anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from newsdigest.markdown_safe import md_link, md_text
from newsdigest.sentences import split_sentences


def first_sentence(body: str, limit: int = 300) -> str:
    first_para = body.strip().split("\n\n", 1)[0]
    sentences = split_sentences(first_para)
    return sentences[0][:limit] if sentences else ""


@dataclass(frozen=True)
class ListingItem:
    article_id: str
    title: str | None
    published_at: datetime | None
    date_source: str
    outlet: str | None
    agency: str | None
    url: str | None
    uri: str
    source: str
    body: str
    copies: int  # stored copies in the article's duplicate group (1 = no duplicates)
    week: str


def render_listing(week: str, counted: list[ListingItem], late: list[ListingItem], generated_at: datetime) -> str:
    lines = [f"# Weekly listing {week}", "",
             f"_Generated {generated_at:%Y-%m-%d %H:%M} UTC. Interim listing: the full digest (relevance,"
             " stories, summaries) replaces it._", "",
             f"**{len(counted)}** articles counted in {week} "
             f"({sum(1 for i in counted if i.published_at is None)} undated);"
             f" **{len(late)}** late arrivals stored this week but published earlier.", "",
             "Week rule: an article counts in the ISO week of its publication date; an undated article counts"
             " in the week it was first stored. Duplicate copies are folded into their canonical article.", ""]
    lines += ["## Articles", ""] + _items(counted) if counted else ["## Articles", "", "_None._", ""]
    if late:
        lines += ["## Late arrivals (counted in their own week)", ""] + _items(late)
    return "\n".join(lines).rstrip() + "\n"


def _items(items: list[ListingItem]) -> list[str]:
    out = []
    for item in items:
        when = f"{item.published_at:%Y-%m-%d}" if item.published_at else "undated"
        outlet = item.outlet or "outlet not stated"
        extra = [f"via {md_text(item.agency)}"] if item.agency else []
        if item.copies > 1:
            extra.append(f"{item.copies} copies")
        where = md_link(item.url, item.url) if item.url else md_text(f"{item.source}: {item.uri}")
        title = md_text(item.title) if item.title else "_(no headline)_"
        lines = [f"- **{title}** — {when} ({item.date_source}), {md_text(outlet)}"
                 + (f" ({', '.join(extra)})" if extra else ""),
                 f"  > {md_text(first_sentence(item.body))}",
                 f"  {where}"]
        out += lines + [""]
    return out
